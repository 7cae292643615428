#!/usr/bin/env python3
"""A paced read load for bench/read: a dashboard's series reads at a fixed rate, whatever the
answers' speed (wrk is not rate-limited). Read i is due at start + i / rate; a pool of threads,
each with its own kept-alive connection, sends each when due. Its latency is counted from when it
was due, not from when a free thread sent it, so reads queued behind slow ones count as slow
(no coordinated omission). Reads take the agents in turn, and alternate between the agent's host
series and a container's series (--kinds host,container; or only one of them), over FROM..TO with
the default step (or --step).

  bench/read_load.py --port P --agents 50 --names a,b,c --from EPOCH --to EPOCH [--rate 20] [--kinds K]
      [--step SECONDS] [--show-one]

With --show-one it sends only the first read and prints what the answer holds (its resolution:
raw rows or a rollup, step, points, samples averaged). Otherwise it runs until SIGTERM or SIGINT,
then prints one line:
  reads N seconds S rate R p50_ms X p99_ms Y service_p99_ms Z errors E late L
(late: reads sent more than 100 ms after they were due, for want of a free thread)."""

import argparse
import http.client
import json
import signal
import sys
import threading
import time


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--from", dest="start", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--kinds", default="host,container")
    ap.add_argument("--step", help="the series' step in seconds (default: the server's)")
    ap.add_argument("--show-one", action="store_true")
    args = ap.parse_args()
    names = args.names.split(",")
    kinds = args.kinds.split(",")
    query = f"from={args.start}&to={args.to}" + (f"&step={args.step}" if args.step else "")

    stop = threading.Event()
    lock = threading.Lock()
    state = {"next": 0}
    latencies, services = [], []
    counts = {"errors": 0, "late": 0}
    start = time.monotonic() + 0.05

    def target(i):
        turn = i // len(kinds)
        agent = f"agent-{turn % args.agents + 1:02d}"
        if kinds[i % len(kinds)] == "host":
            return f"/api/v1/agents/{agent}/host?{query}"
        name = names[turn // args.agents % len(names)]
        return f"/api/v1/agents/{agent}/containers/{name}/series?{query}"

    if args.show_one:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        conn.request("GET", target(0))
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            print(f"HTTP {response.status} for {target(0)}: {body[:200]!r}")
            return 1
        d = json.loads(body)
        print(f"resolution {d.get('resolution', '?')}, step {d['step']} s, {len(d['points'])} points,"
              f" {sum(p['samples'] for p in d['points'])} samples averaged ({target(0)})")
        return 0

    def worker():
        conn = None
        while not stop.is_set():
            with lock:
                i = state["next"]
                state["next"] += 1
            due = start + i / args.rate
            wait = due - time.monotonic()
            if wait > 0 and stop.wait(wait):
                return
            sent = time.monotonic()
            ok = False
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                conn.request("GET", target(i))
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn = None
            done = time.monotonic()
            with lock:
                latencies.append(done - due)
                services.append(done - sent)
                if not ok:
                    counts["errors"] += 1
                if sent - due > 0.1:
                    counts["late"] += 1

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.threads)]
    for t in threads:
        t.start()
    while not stop.is_set():
        stop.wait(0.2)
    ended = time.monotonic()
    for t in threads:
        t.join(timeout=35)
    with lock:
        n = len(latencies)
        seconds = max(ended - start, 1e-9)
        print(f"reads {n} seconds {seconds:.1f} rate {n / seconds:.1f}"
              f" p50_ms {percentile(latencies, 50) * 1000:.1f} p99_ms {percentile(latencies, 99) * 1000:.1f}"
              f" service_p99_ms {percentile(services, 99) * 1000:.1f}"
              f" errors {counts['errors']} late {counts['late']}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
