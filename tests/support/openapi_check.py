#!/usr/bin/python3
"""Checks HiCloud's HTTP answers against its OpenAPI 3.1 document (docs/openapi.yaml).

  openapi_check.py DOC METHOD PATH_TEMPLATE STATUS BODY_FILE
      Validates the JSON in BODY_FILE against the application/json schema of that operation's
      response for STATUS (or its `default` response). Each error goes to stderr with its JSON
      path. Exit 0 valid, 1 invalid, 2 usage error or no such operation/response.
      e.g. openapi_check.py docs/openapi.yaml GET /api/v1/agents/{agent_id}/host 200 body.json
  openapi_check.py DOC --operations
      One "METHOD PATH_TEMPLATE" line per operation, to compare with the server's route table.
  openapi_check.py DOC --check
      Checks the document: openapi 3.1.x, components' schemas valid draft 2020-12 and their
      examples valid, every $ref resolves, path parameters declared, operationIds unique, a 200
      or 204 per operation. Exit 0 sound, 1 with a line per problem.

The integration tests run it on real answers of a real server; tests/support/
openapi_check_selftest.sh runs it on tests/fixtures/openapi/. Needs only Debian's python3-yaml
and python3-jsonschema (4.10 or later), no network: $refs are local to the document.
"""
import json
import re
import sys

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# JSON Schema counts 4.0 as an integer; an answer's integer must be written as one (4).
STRICT = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, x: isinstance(x, int) and not isinstance(x, bool)))


class Usage(Exception):
    pass


def pointer(doc, ref):
    """The value a local $ref ('#/a/b') names in doc; KeyError when there is none."""
    if not ref.startswith("#"):
        raise KeyError(f"{ref}: only local references are used")
    node = doc
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def deref(doc, node):
    """A Response, Parameter or Header object with its $ref (if any) followed."""
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(doc, node["$ref"])
    return node


def operations(doc):
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def response_schema(doc, method, path, status):
    op = doc.get("paths", {}).get(path, {}).get(method.lower())
    if op is None:
        raise Usage(f"{method} {path}: no such operation in the document")
    responses = {str(k): v for k, v in op.get("responses", {}).items()}
    response = responses.get(str(status), responses.get("default"))
    if response is None:
        raise Usage(f"{method} {path}: no response {status} and no default")
    content = deref(doc, response).get("content", {})
    if "application/json" not in content:
        raise Usage(f"{method} {path} {status}: the response has no application/json content")
    return content["application/json"]["schema"]


def validate(doc, schema, body):
    """The errors of body against schema, whose $refs are resolved against the whole document."""
    # The document's components ride along as an unknown keyword, so '#/components/...'
    # resolves from the root without RefResolver (deprecated after jsonschema 4.17).
    root = dict(schema, components=doc.get("components", {}))
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    validator = STRICT(root)
    return sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))


def refs(node, where="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from refs(value, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from refs(value, f"{where}/{i}")


def check(doc):
    problems = []
    if not re.fullmatch(r"3\.1\.\d+", str(doc.get("openapi", ""))):
        problems.append(f"openapi: {doc.get('openapi')!r}, expected 3.1.x")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            problems.append(f"components/schemas/{name}: {e.message}")
            continue
        for example in schema.get("examples", []):
            for e in validate(doc, schema, example):
                problems.append(f"components/schemas/{name}: example {example!r}: {e.json_path}: {e.message}")
    for where, ref in refs(doc):
        try:
            pointer(doc, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            problems.append(f"{where}: $ref {ref} does not resolve")
    seen = {}
    for method, path, op in operations(doc):
        name = f"{method.upper()} {path}"
        params = [deref(doc, p) for p in doc["paths"][path].get("parameters", []) + op.get("parameters", [])]
        declared = {p.get("name") for p in params if p.get("in") == "path" and p.get("required") is True}
        for template in re.findall(r"\{([^}]+)\}", path):
            if template not in declared:
                problems.append(f"{name}: {{{template}}} has no parameter in: path, required: true")
        op_id = op.get("operationId")
        if not op_id:
            problems.append(f"{name}: no operationId")
        elif op_id in seen:
            problems.append(f"{name}: operationId {op_id} is also {seen[op_id]}'s")
        else:
            seen[op_id] = name
        statuses = {str(k) for k in op.get("responses", {})}
        if not statuses & {"200", "204"}:
            problems.append(f"{name}: no 200 or 204 response")
    return problems


def strict_object(pairs):
    """A JSON object; a member written twice is an error, not "the last one wins"."""
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a member written twice in {{{', '.join(keys)}}}")
    return dict(pairs)


def no_constant(name):
    raise ValueError(f"{name} is not JSON")  # Python's json would read NaN, Infinity


def main(argv):
    if len(argv) == 3 and argv[2] in ("--operations", "--check"):
        mode = argv[2]
    elif len(argv) == 6 and re.fullmatch(r"[1-5]\d\d", argv[4]):
        mode = "validate"
    else:
        raise Usage("usage: openapi_check.py DOC METHOD PATH_TEMPLATE STATUS BODY_FILE | DOC --operations | DOC --check")
    with open(argv[1], encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if mode == "--operations":
        for method, path, _ in operations(doc):
            print(method.upper(), path)
        return 0
    if mode == "--check":
        problems = check(doc)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0

    _, _, method, path, status, body_file = argv
    schema = response_schema(doc, method, path, status)
    try:
        with open(body_file, encoding="utf-8") as f:
            body = json.load(f, object_pairs_hook=strict_object, parse_constant=no_constant)
    except ValueError as e:
        print(f"{body_file}: not JSON: {e}", file=sys.stderr)
        return 1
    errors = validate(doc, schema, body)
    for e in errors:
        print(f"{body_file}: {e.json_path}: {e.message}", file=sys.stderr)
        for sub in e.context:  # why each alternative of a oneOf/anyOf failed
            print(f"  {sub.json_path}: {sub.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (Usage, OSError, yaml.YAMLError) as e:
        print(f"openapi_check: {e}", file=sys.stderr)
        sys.exit(2)
