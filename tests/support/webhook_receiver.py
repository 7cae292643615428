#!/usr/bin/env python3
"""A webhook receiver for HiCloud's integration tests (Python 3, stdlib only).

webhook_receiver.py --port-file FILE --log FILE [--fail-first N] [--status CODE]
                    [--cert PEM --key PEM] [--hold MS]

Listens on 127.0.0.1 on a free port and writes the port to --port-file once listening (whole,
by a rename). Takes POSTs on any path; for each appends one JSON line to --log, flushed, before
answering: {"path", "headers": {lower-case name: value}, "body": the parsed JSON body or the raw
text if not JSON, "status": what it answers, "time": epoch seconds when the body was read}.
Answers --status (default 500) to the first N requests, then 200 "ok". With --cert and --key it
speaks https. --hold MS waits that long before reading a request (and so, on https, before the
TLS handshake) and again before answering: a slow receiver. Exits on SIGTERM.
"""
import argparse, json, os, signal, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port-file", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--status", type=int, default=500)
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--hold", type=int, default=0)
args = parser.parse_args()
lock = threading.Lock()
served = 0
log = open(args.log, "a", encoding="utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        time.sleep(args.hold / 1000)
        super().setup()

    def do_POST(self):
        global served
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        with lock:
            status = args.status if served < args.fail_first else 200
            served += 1
            entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                     "body": body, "status": status, "time": time.time()}
            log.write(json.dumps(entry) + "\n")
            log.flush()
        time.sleep(args.hold / 1000)
        answer = b"ok" if status == 200 else b"failed"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if args.cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    # The handshake on the first read, in the request's thread: a slow client holds up no other.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
