#!/usr/bin/env python3
"""Helpers for bench/abuse (standard library only): the /health prober and the attackers.

  abuse.py probe     --port P --seconds S [--source 127.0.0.9]   one JSON line of results at the end
                     [--path /nope --expect 404]   a path without the database, to tell its delay apart
  abuse.py slowloris --port P --connections N [--every 2]         "ready", then a JSON line on SIGTERM
  abuse.py idle      --port P --connections N
  abuse.py flood     --port P --connections N [--window 512]
  abuse.py cpu-snapshot FILE                                       every process's CPU ticks and session, now
  abuse.py phase     --name N --probe F [--attacker F]... [--wrk F] --rss-kib --fds --cpu F0 F1 ...
  abuse.py report    FILE                                          the table; exit 1 if a phase failed

Every attacker and the prober is its own process with its own event loop, so one cannot delay
another's sockets; bench/abuse runs the prober under SCHED_FIFO so that the load on two cores does
not delay it either (its own timer lateness is reported as `lag`, to show it). Each role connects
from its own loopback address (prober 127.0.0.9, slowloris .2, idle .3, flood .4; wrk from .1), so a
per-peer limit in the server sees the attackers as peers other than the prober, as a load balancer
would be. Sockets are bound with IP_BIND_ADDRESS_NO_PORT, so thousands of connections from one
address share the ephemeral ports by destination like unbound ones.
"""
import argparse
import asyncio
import json
import math
import os
import random
import resource
import signal
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
HOST = "127.0.0.1"


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def connect(port, source, protocol_factory=None):
    """A TCP connection from `source` (any port) to HOST:port; a (transport, protocol) pair when
    protocol_factory is given, else (reader, writer)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
        sock.setblocking(False)
        await loop.sock_connect(sock, (HOST, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    if protocol_factory:
        return await loop.create_connection(protocol_factory, sock=sock)
    return await asyncio.open_connection(sock=sock)


# --- the prober ------------------------------------------------------------------------------------

T0 = time.perf_counter()  # the trace's zero


PATH = "/health"


def request(keep):
    return (f"GET {PATH} HTTP/1.1\r\nHost: abuse-probe\r\n" + ("" if keep else "Connection: close\r\n") +
            "\r\n").encode()


async def read_response(reader):
    """(status, keep_alive) of one response, its body read."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    if length:
        await reader.readexactly(length)
    return status, keep


def failure_kind(exc):
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, (asyncio.IncompleteReadError, BrokenPipeError)):
        return "closed"
    return type(exc).__name__


class Series:
    def __init__(self):
        self.probes = 0
        self.latencies = []  # ms, successful probes (kept-alive: plus the probes a stall held back)
        self.failures = {}   # kind -> count
        self.trace = []      # (seconds since the prober started, ms, "ok" or the failure)

    def ok(self, t0, ms):
        self.latencies.append(ms)
        self.trace.append((t0 - T0, ms, "ok"))

    def fail(self, kind, t0):
        self.failures[kind] = self.failures.get(kind, 0) + 1
        self.trace.append((t0 - T0, (time.perf_counter() - t0) * 1000, kind))

    def summary(self):
        values = sorted(self.latencies)

        def pct(q):
            return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)] if values else None

        return {"probes": self.probes, "failures": sum(self.failures.values()), "failure_kinds": self.failures,
                "p50": pct(0.50), "p99": pct(0.99), "max": values[-1] if values else None}


async def probe(args):
    loop = asyncio.get_running_loop()
    interval, timeout = args.interval, args.timeout
    fresh, kept, lag = Series(), Series(), []
    start = loop.time() + 0.05
    end = start + args.seconds
    pending = set()

    async def fresh_probe():
        t0 = time.perf_counter()
        writer = None
        try:
            async def one():
                nonlocal writer
                reader, writer = await connect(args.port, args.source)
                writer.write(request(False))
                return await read_response(reader)

            status, _ = await asyncio.wait_for(one(), timeout)
            if status == args.expect:
                fresh.ok(t0, (time.perf_counter() - t0) * 1000)
            else:
                fresh.fail(f"status {status}", t0)
        except Exception as e:  # noqa: BLE001 - every way a probe fails is a result
            fresh.fail(failure_kind(e), t0)
        finally:
            if writer:
                writer.close()

    async def fresh_loop():
        i = 0
        while True:
            due = start + i * interval
            if due >= end:
                return
            await asyncio.sleep(max(0.0, due - loop.time()))
            lag.append((loop.time() - due) * 1000)
            fresh.probes += 1
            t = asyncio.ensure_future(fresh_probe())
            pending.add(t)
            t.add_done_callback(pending.discard)
            i += 1

    async def kept_loop():
        reader = writer = None
        i = 0
        while True:
            due = start + i * interval
            if due >= end:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            kept.probes += 1
            t0 = time.perf_counter()
            try:
                async def one():
                    nonlocal reader, writer
                    if writer is None:
                        reader, writer = await connect(args.port, args.source)
                    writer.write(request(True))
                    return await read_response(reader)

                status, keep = await asyncio.wait_for(one(), timeout)
                elapsed = (time.perf_counter() - t0) * 1000
                if status == args.expect:
                    kept.ok(t0, elapsed)
                    # A stall held the probes due meanwhile back: count them with the time they would
                    # have waited (HdrHistogram's coordinated-omission correction).
                    missed = elapsed - interval * 1000
                    while missed >= interval * 1000:
                        kept.latencies.append(missed)
                        missed -= interval * 1000
                else:
                    kept.fail(f"status {status}", t0)
                if not keep:
                    writer.close()
                    reader = writer = None
            except Exception as e:  # noqa: BLE001
                kept.fail(failure_kind(e), t0)
                if writer:
                    writer.close()
                reader = writer = None
            # The next tick not yet past (a stall skips the ticks it covered; counted above).
            i = max(i + 1, math.ceil((loop.time() - start) / interval))
        if writer:
            writer.close()

    await asyncio.gather(fresh_loop(), kept_loop())
    if pending:
        await asyncio.wait(set(pending))
    if args.trace:
        with open(args.trace, "w") as f:
            f.write(f"# t0 = {T0:.3f} s CLOCK_MONOTONIC\n")
            for name, series in (("fresh", fresh), ("kept", kept)):
                for t, ms, outcome in series.trace:
                    f.write(f"{t:.3f} {name} {ms:.2f} {outcome}\n")
    lag.sort()
    print(json.dumps({"fresh": fresh.summary(), "kept": kept.summary(),
                      "lag_p99": lag[min(len(lag) - 1, math.ceil(0.99 * len(lag)) - 1)] if lag else None,
                      "lag_max": lag[-1] if lag else None}), flush=True)


# --- the attackers ---------------------------------------------------------------------------------

class Stats(dict):
    open_count = None  # set by keep_open: how many of its connections are open

    def add(self, key, n=1):
        self[key] = self.get(key, 0) + n


def run_attacker(args, body):
    """Runs body(stats, stop_event) until SIGTERM; prints "ready" when body says so, then one JSON line."""
    raise_nofile()

    async def main():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        stats = Stats(kind=args.command, connections=args.connections)
        ready_at = {}

        def ready():
            if not ready_at:
                ready_at["t"] = time.monotonic()
                stats["ready_s"] = round(time.monotonic() - started, 2)
                stats["snapshot_at_ready"] = {k: v for k, v in stats.items() if isinstance(v, int)}
                print("ready", flush=True)

        started = time.monotonic()
        task = asyncio.ensure_future(body(args, stats, ready))
        await stop.wait()
        stats["seconds_since_ready"] = round(time.monotonic() - ready_at["t"], 2) if ready_at else 0
        if stats.open_count:
            stats["open_at_end"] = stats.open_count()
        task.cancel()
        # asyncio.wait_for of Python 3.11 may swallow a cancel when its connect completes at the
        # same moment, and such a connection loop would never end: wait a little, then exit anyway.
        await asyncio.wait({task}, timeout=2)
        print(json.dumps(stats), flush=True)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(main())
    sys.stdout.flush()
    os._exit(0)  # not asyncio.run: cancelling the leftover tasks could hang the same way


async def keep_open(args, stats, ready, protocol_factory, concurrency=256):
    """Holds args.connections connections made by protocol_factory(on_lost), opening one again
    whenever one closes (the server's deadline, mostly) or fails to open. Ready once each has been
    tried once, opened or not: a server that limits connections per peer refuses some for good."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(concurrency)  # connects in flight at once
    transports = set()
    tried = 0
    stopping = False

    async def open_one(first=False):
        nonlocal tried
        while not stopping:
            async with gate:
                try:
                    transport, _ = await asyncio.wait_for(
                        connect(args.port, args.source, lambda: protocol_factory(lost)), 5)
                    transports.add(transport)
                    stats.add("opened")
                    return
                except Exception as e:  # noqa: BLE001
                    stats.add("connect_" + failure_kind(e))
                finally:
                    if first:
                        first = False
                        tried += 1
                        if tried == args.connections:
                            ready()
            await asyncio.sleep(0.1)

    def lost(transport):
        transports.discard(transport)
        if stopping:
            return
        stats.add("closed_by_server")
        loop.create_task(open_one())

    stats.open_count = lambda: len(transports)
    try:
        await asyncio.gather(*(open_one(first=True) for _ in range(args.connections)))
        await asyncio.Event().wait()
    finally:
        stopping = True
        for t in list(transports):
            t.abort()


class Watched(asyncio.Protocol):
    def __init__(self, on_lost, stats):
        self.on_lost, self.stats, self.transport = on_lost, stats, None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.stats.add("bytes_received", len(data))  # a 503 at the connection limit, say

    def connection_lost(self, exc):
        self.on_lost(self.transport)


async def idle(args, stats, ready):
    """Connections that send nothing."""
    await keep_open(args, stats, ready, lambda lost: Watched(lost, stats))


async def slowloris(args, stats, ready):
    """Connections that send a request's headers one byte every `every` seconds, never finishing them."""
    loop = asyncio.get_running_loop()
    headers = b"GET /health HTTP/1.1\r\nHost: abuse-slowloris\r\nX-Slowloris: " + b"a" * 100000

    class Slow(Watched):
        def connection_made(self, transport):
            super().connection_made(transport)
            self.sent = 0
            # Staggered, so the bytes of 500 connections do not arrive in lockstep.
            self.timer = loop.call_later(random.uniform(0, args.every), self.tick)

        def tick(self):
            if self.transport.is_closing():
                return
            self.transport.write(headers[self.sent:self.sent + 1])
            self.sent += 1
            stats.add("bytes_sent")
            self.timer = loop.call_later(args.every, self.tick)

        def connection_lost(self, exc):
            self.timer.cancel()
            super().connection_lost(exc)

    await keep_open(args, stats, ready, lambda lost: Slow(lost, stats))


async def flood(args, stats, ready):
    """Connections that write GET /health requests back to back, `window` unanswered at most, and
    count the answers as they come."""
    loop = asyncio.get_running_loop()
    one = b"GET /health HTTP/1.1\r\nHost: abuse-flood\r\n\r\n"
    chunk = 64
    batch = one * chunk
    any_status, ok_status = b"HTTP/1.1 ", b"HTTP/1.1 200 "

    class Flood(asyncio.Protocol):
        def __init__(self, on_lost):
            self.on_lost = on_lost

        def connection_made(self, transport):
            self.transport, self.sent, self.answered = transport, 0, 0
            self.tail_any = self.tail_ok = b""
            self.fill()

        def fill(self):
            while self.sent - self.answered <= args.window - chunk:
                self.transport.write(batch)
                self.sent += chunk
                stats.add("requests_sent", chunk)

        def data_received(self, data):
            a = self.tail_any + data
            o = self.tail_ok + data
            n, ok = a.count(any_status), o.count(ok_status)
            self.tail_any, self.tail_ok = a[-(len(any_status) - 1):], o[-(len(ok_status) - 1):]
            self.answered += n
            stats.add("responses", n)
            stats.add("responses_200", ok)
            self.fill()

        def connection_lost(self, exc):
            stats.add("unanswered_at_close", self.sent - self.answered)
            self.on_lost(self.transport)

    await keep_open(args, stats, ready, Flood)


# --- one phase's record, and the report -----------------------------------------------------------

def wrk_summary(path):
    """samples/s acknowledged (2xx), p99 and non-2xx from wrk's --latency output, as bench/ingest reads it."""
    text = open(path).read()
    total = secs = p99 = None
    non2xx = 0
    socket_errors = ""
    for line in text.splitlines():
        f = line.split()
        if "requests in" in line:
            total, secs = int(f[0]), float(f[3].rstrip("s,"))
        elif line.strip().startswith("Socket errors:"):  # connections the server refused or closed
            socket_errors = ", socket errors " + line.split(":", 1)[1].strip()
        elif line.strip().startswith("Non-2xx"):
            non2xx = int(f[-1])
        elif f and f[0] == "99%":
            v = f[1]
            p99 = float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-2]) if v.endswith("ms") else float(v[:-1]) * 1000
    if total is None:
        return "ingest: no wrk result"
    return f"ingest {(total - non2xx) / secs:.0f} samples/s (p99 {p99:.0f} ms, {non2xx} non-2xx{socket_errors})"


def attacker_summary(path):
    lines = [line for line in open(path).read().splitlines() if line.startswith("{")]
    if not lines:
        return f"{os.path.basename(path)}: no result"
    s = json.loads(lines[-1])
    at_ready = s.get("snapshot_at_ready", {})
    secs = s.get("seconds_since_ready") or float("nan")

    def since(key):
        return s.get(key, 0) - at_ready.get(key, 0)

    failed = sum(v for k, v in s.items() if k.startswith("connect_"))
    tail = f", {failed} failed connects" if failed else ""
    if s["kind"] == "flood":
        other = since("responses") - since("responses_200")
        return (f"flood {s['connections']} conn {since('responses') / secs:.0f} req/s"
                f"{f' ({other} non-200)' if other else ''}{tail}")
    what = "slowloris" if s["kind"] == "slowloris" else "idle"
    held = s.get("open_at_end", s["connections"])
    return (f"{what} {s['connections']}{'' if held == s['connections'] else f' ({held} open at end)'} "
            f"(up {s.get('ready_s', '?')} s, {since('closed_by_server')} cut){tail}")


def cpu_snapshot(path):
    """{pid: [session id, utime + stime ticks]} of every process, and the time, for cpu_shares."""
    procs = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = open(f"/proc/{pid}/stat").read()
            except OSError:
                continue
            f = stat[stat.rindex(")") + 2:].split()  # comm may hold spaces and parentheses
            procs[pid] = [int(f[3]), int(f[11]) + int(f[12])]
    json.dump({"t": time.monotonic(), "procs": procs}, open(path, "w"))


def cpu_shares(before, after, server, db, session):
    """% of one core between two snapshots: the server, MariaDB, and every process outside `session`
    (processes that ended in between are not counted)."""
    a, b = json.load(open(before)), json.load(open(after))
    hz = os.sysconf("SC_CLK_TCK")
    secs = b["t"] - a["t"]

    def used(pid):
        return b["procs"][pid][1] - (a["procs"][pid][1] if pid in a["procs"] else 0)

    other = sum(used(pid) for pid, (sid, _) in b["procs"].items() if sid != session)
    return {k: 100 * v / hz / secs for k, v in (("server", used(str(server)) if str(server) in b["procs"] else 0),
                                                   ("db", used(str(db)) if str(db) in b["procs"] else 0),
                                                   ("other", other))}


def phase_record(args):
    rec = json.loads(open(args.probe).read().strip().splitlines()[-1])
    attack = [attacker_summary(a) for a in args.attacker] + ([wrk_summary(args.wrk)] if args.wrk else [])
    rec.update(phase=args.name, rss_kib=args.rss_kib, fds=args.fds,
               cpu=cpu_shares(args.cpu[0], args.cpu[1], args.server_pid, args.db_pid, args.session),
               attack="; ".join(attack) or "-")
    print(json.dumps(rec))


# --- the report ------------------------------------------------------------------------------------

def report(path, limit_ms):
    """The table of bench/abuse's phases (one JSON object a line in `path`); False if one failed."""
    phases = [json.loads(line) for line in open(path) if line.strip()]

    def ms(v):
        return "-" if v is None else f"{v:.1f}" if v < 100 else f"{v:.0f}"

    head = (f"{'phase':<14} | {'fresh':>6} {'fail':>4} {'p50':>6} {'p99':>6} {'max':>6} | "
            f"{'kept':>6} {'fail':>4} {'p50':>6} {'p99':>6} {'max':>6} | {'lag':>5} | "
            f"{'RSS MiB':>7} {'fds':>6} | {'srv%':>4} {'db%':>4} {'other%':>6} | attack side")
    print(head)
    print("-" * len(head) + "-" * 40)
    ok = True
    for p in phases:
        f, k = p["fresh"], p["kept"]
        bad = []
        for name, s in (("fresh", f), ("kept", k)):
            if s["failures"]:
                bad.append(f"{name} failures {s['failure_kinds']}")
            if s["p99"] is None or s["p99"] >= limit_ms:
                bad.append(f"{name} p99 {ms(s['p99'])} ms")
        ok = ok and not bad
        print(f"{p['phase']:<14} | {f['probes']:>6} {f['failures']:>4} {ms(f['p50']):>6} {ms(f['p99']):>6} "
              f"{ms(f['max']):>6} | {k['probes']:>6} {k['failures']:>4} {ms(k['p50']):>6} {ms(k['p99']):>6} "
              f"{ms(k['max']):>6} | {ms(p['lag_max']):>5} | {p['rss_kib'] / 1024:>7.1f} {p['fds']:>6} "
              f"| {p['cpu']['server']:>4.0f} {p['cpu']['db']:>4.0f} {p['cpu']['other']:>6.0f} | {p['attack']}")
        for b in bad:
            print(f"{'':<14}   FAIL: {b}")
    print(f"\nlatencies in ms (successful probes; kept-alive with coordinated-omission correction); lag: the "
          f"prober's own worst timer lateness; RSS, fds: the server's at the end of the phase; srv%, db%, "
          f"other%: CPU during the probes of the server, MariaDB and every process outside the benchmark (200 = both "
          f"cores). Pass: no failed probe and p99 < {limit_ms:g} ms in every phase.")
    print("RESULT:", "pass" if ok else "FAIL")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--interval", type=float, default=0.01)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--source", default="127.0.0.9")
    p.add_argument("--trace", help="file for every probe: seconds since start, mode, ms, outcome")
    p.add_argument("--path", default="/health",
                   help="another path to ask, e.g. /nope --expect 404: one the database takes no part in")
    p.add_argument("--expect", type=int, default=200, help="the status that counts as answered")
    for name, source in (("slowloris", "127.0.0.2"), ("idle", "127.0.0.3"), ("flood", "127.0.0.4")):
        a = sub.add_parser(name)
        a.add_argument("--port", type=int, required=True)
        a.add_argument("--connections", type=int, required=True)
        a.add_argument("--source", default=source)
        if name == "slowloris":
            a.add_argument("--every", type=float, default=2.0, help="seconds between a connection's bytes")
        if name == "flood":
            a.add_argument("--window", type=int, default=512, help="requests unanswered at most, per connection")
    ph = sub.add_parser("phase")
    ph.add_argument("--name", required=True)
    ph.add_argument("--probe", required=True)
    ph.add_argument("--attacker", action="append", default=[])
    ph.add_argument("--wrk")
    ph.add_argument("--rss-kib", type=int, required=True)
    ph.add_argument("--fds", type=int, required=True)
    ph.add_argument("--cpu", nargs=2, required=True, metavar=("BEFORE", "AFTER"), help="two cpu-snapshot files")
    ph.add_argument("--server-pid", type=int, required=True)
    ph.add_argument("--db-pid", type=int, required=True)
    ph.add_argument("--session", type=int, required=True, help="this benchmark's session id")
    cs = sub.add_parser("cpu-snapshot")
    cs.add_argument("file")
    r = sub.add_parser("report")
    r.add_argument("file")
    r.add_argument("--limit-ms", type=float, default=100.0)
    args = ap.parse_args()

    if args.command == "probe":
        global PATH
        PATH = args.path
        raise_nofile()
        asyncio.run(probe(args))
    elif args.command == "cpu-snapshot":
        cpu_snapshot(args.file)
    elif args.command == "phase":
        phase_record(args)
    elif args.command == "report":
        sys.exit(0 if report(args.file, args.limit_ms) else 1)
    else:
        run_attacker(args, {"slowloris": slowloris, "idle": idle, "flood": flood}[args.command])


if __name__ == "__main__":
    main()
