#!/usr/bin/python3
# A small, offline flame graph for bench/ingest --profile: Debian ships no flame graph tool, so
# this does the two steps of Brendan Gregg's FlameGraph scripts with the standard library only.
#
#   perf script | bench/flamegraph.py collapse > x.folded     stacks, root first, ';'-joined, count
#   bench/flamegraph.py svg TITLE < x.folded > x.svg          an SVG (frames under 0.5 % left out)
#   bench/flamegraph.py top N < x.folded                      self and total share of the top frames
#
# Names are shortened for reading: argument lists and template arguments are dropped.
import collections
import html
import re
import sys


def short(name):
    name = re.sub(r"\+0x[0-9a-f]+$", "", name)
    # Drop template arguments and argument lists, innermost first.
    for _ in range(20):
        new = re.sub(r"<[^<>]*>", "", name)
        new = re.sub(r"\([^()]*\)", "", new)
        if new == name:
            break
        name = new
    name = name.replace("(anonymous namespace)::", "").replace("boost::asio::", "asio::")
    return name.strip() or "?"


def collapse(lines):
    counts = collections.Counter()
    comm, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            if comm is not None:
                counts[";".join([comm] + frames[::-1])] += 1
            comm, frames = None, []
        elif not line.startswith((" ", "\t")):
            comm = line.split()[0]
        else:
            parts = line.split(None, 1)
            sym = parts[1] if len(parts) > 1 else "[unknown]"
            sym = re.sub(r" \(.*\)$", "", sym)  # the (dso) at the end
            if sym == "[unknown]":
                dso = re.search(r"\(([^)]*)\)$", line)
                sym = "[" + (dso.group(1).rsplit("/", 1)[-1] if dso else "unknown") + "]"
            frames.append(short(sym))
    if comm is not None:
        counts[";".join([comm] + frames[::-1])] += 1
    for stack, n in sorted(counts.items()):
        print(f"{stack} {n}")


def read_folded(lines):
    stacks = []
    for line in lines:
        stack, _, n = line.rstrip("\n").rpartition(" ")
        if stack:
            stacks.append((stack.split(";"), int(n)))
    return stacks


def top(lines, n):
    stacks = read_folded(lines)
    total = sum(c for _, c in stacks)
    self_, incl = collections.Counter(), collections.Counter()
    for frames, c in stacks:
        self_[frames[-1]] += c
        for f in set(frames):
            incl[f] += c
    print(f"{total} samples")
    print("self %   frame")
    for f, c in self_.most_common(n):
        print(f"{100 * c / total:6.1f}   {f}")
    print("total %  frame")
    for f, c in incl.most_common(n):
        print(f"{100 * c / total:6.1f}   {f}")


def svg(lines, title):
    root = {"n": 0, "kids": {}}
    for frames, c in read_folded(lines):
        node = root
        node["n"] += c
        for f in frames:
            node = node["kids"].setdefault(f, {"n": 0, "kids": {}})
            node["n"] += c
    width, row, total = 1200, 16, root["n"] or 1
    minimum = total * 0.005
    rects = []

    def depth_of(node):
        kids = [k for k in node["kids"].values() if k["n"] >= minimum]
        return 1 + max((depth_of(k) for k in kids), default=0)

    depth = depth_of(root)
    height = (depth + 2) * row + 30

    def walk(name, node, x, level):
        w = node["n"] / total * width
        y = height - (level + 1) * row - 10
        hue = 20 + sum(name.encode()) % 40  # stable across runs
        label = html.escape(name)
        pct = 100 * node["n"] / total
        text = html.escape(name if len(name) * 7 < w else name[: max(0, int(w / 7) - 2)] + "..") if w > 21 else ""
        rects.append(f'<g><title>{label} ({pct:.1f} %)</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" '
                     f'height="{row - 1}" fill="hsl({hue},90%,60%)"/><text x="{x + 3:.1f}" y="{y + 12}">{text}</text></g>')
        for k, kid in sorted(node["kids"].items()):
            if kid["n"] >= minimum:
                walk(k, kid, x, level + 1)
            x += kid["n"] / total * width

    walk("all", root, 0, 0)
    print(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
          f'font-size="11"><rect width="100%" height="100%" fill="#fff"/>'
          f'<text x="4" y="16" font-size="13">{html.escape(title)} ({total} samples; hover for names)</text>')
    print("\n".join(rects))
    print("</svg>")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "collapse":
        collapse(sys.stdin)
    elif what == "svg":
        svg(sys.stdin, sys.argv[2] if len(sys.argv) > 2 else "flame graph")
    elif what == "top":
        top(sys.stdin, int(sys.argv[2]) if len(sys.argv) > 2 else 25)
    else:
        sys.exit("usage: flamegraph.py collapse | svg TITLE | top N")
