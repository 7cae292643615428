#!/usr/bin/env bash
# Runs tests/support/openapi_check.py on the hand-written bodies of tests/fixtures/openapi/:
# each valid one must pass (exit 0), each invalid one must fail (exit 1) naming the mistake,
# docs/openapi.yaml must pass --check and invalid_openapi.yaml must fail it.
# Usage: tests/support/openapi_check_selftest.sh   (from anywhere; one line per case, exit 1 if any fails)
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
check=("$root/tests/support/openapi_check.py")        # its #! is Debian's /usr/bin/python3
[ -n "${PYTHON:-}" ] && check=("$PYTHON" "${check[@]}")  # PYTHON=python3: another interpreter
doc="$root/docs/openapi.yaml"
fixtures="$root/tests/fixtures/openapi"
failed=0

# expect EXIT_CODE ARGS...: runs the checker, compares its exit code, shows its stderr.
expect() {
  local want=$1; shift
  local err got
  err=$("${check[@]}" "$@" 2>&1 >/dev/null); got=$?
  local args="${*:2}"
  if [ "$got" -eq "$want" ]; then
    echo "ok   (exit $got) ${args//$fixtures\//}"
  else
    echo "FAIL (exit $got, expected $want) ${args//$fixtures\//}"; failed=1
  fi
  [ -n "$err" ] && sed -e "s|$fixtures/||" -e 's/^/       /' <<<"$err" | head -8
  return 0
}

series=/api/v1/agents/{agent_id}/host
container_series=/api/v1/agents/{agent_id}/containers/{container_name}/series

expect 0 "$doc" --check
expect 1 "$fixtures/invalid_openapi.yaml" --check  # one mistake of each kind

# valid: every 200, and some errors
expect 0 "$doc" POST /monitor_info 200 "$fixtures/monitor_info_200.json"
expect 0 "$doc" POST /monitor_info 413 "$fixtures/monitor_info_413.json"
expect 0 "$doc" GET /health 200 "$fixtures/health_200.json"
expect 0 "$doc" GET /health 503 "$fixtures/health_503.json"
expect 0 "$doc" GET /api/v1/agents 200 "$fixtures/agents_200.json"
expect 0 "$doc" GET "$series" 200 "$fixtures/host_series_200.json"
expect 0 "$doc" GET "$series" 400 "$fixtures/host_series_400.json"
expect 0 "$doc" GET /api/v1/containers 200 "$fixtures/containers_200.json"
expect 0 "$doc" GET "$container_series" 200 "$fixtures/container_series_200.json"
expect 0 "$doc" GET "$container_series" 404 "$fixtures/container_series_404.json"
expect 0 "$doc" GET /metrics 431 "$fixtures/metrics_431.json"  # not listed: the default response

# invalid
expect 1 "$doc" GET /api/v1/agents 200 "$fixtures/invalid_agents_figure_as_string.json"
expect 1 "$doc" GET /api/v1/agents 200 "$fixtures/invalid_agents_count_with_fraction.json"
expect 1 "$doc" GET /api/v1/agents 200 "$fixtures/invalid_agents_unknown_state.json"
expect 1 "$doc" GET "$series" 200 "$fixtures/invalid_host_series_missing_member.json"
expect 1 "$doc" GET /api/v1/containers 200 "$fixtures/invalid_containers_extra_member.json"
expect 1 "$doc" GET "$container_series" 200 "$fixtures/invalid_container_series_bad_time.json"
expect 1 "$doc" GET /health 200 "$fixtures/invalid_health_200_with_zone.json"
expect 1 "$doc" GET "$series" 400 "$fixtures/invalid_error_400_says_404.json"
expect 1 "$doc" GET /metrics 401 "$fixtures/invalid_error_data_null.json"
expect 1 "$doc" GET /api/v1/agents 200 "$fixtures/invalid_not_json.json"
expect 1 "$doc" GET "$series" 200 "$fixtures/invalid_host_series_nan.json"
expect 1 "$doc" GET /api/v1/containers 200 "$fixtures/invalid_containers_member_twice.json"

# usage: no such operation, no JSON response, wrong arguments
expect 2 "$doc" DELETE /api/v1/agents 200 "$fixtures/agents_200.json"
expect 2 "$doc" GET /metrics 200 "$fixtures/agents_200.json"
expect 2 "$doc" GET /api/v1/agents
expect 2 "$doc" GET /api/v1/agents ok "$fixtures/agents_200.json"

[ "$failed" -eq 0 ] && echo "openapi_check: all cases pass" || echo "openapi_check: some cases FAILED"
exit "$failed"
