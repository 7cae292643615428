#!/usr/bin/python3
"""Drives the dashboard in headless Chromium and reports what it saw, as one JSON object.

  browser_check.py --url http://127.0.0.1:PORT --agent AGENT_ID --container NAME
                   [--token TOKEN] [--screenshots DIR] [--timeout 30]

Steps, in order (each waits for the page's hooks, documented at the top of web/app.js):
  1. open / (with --token: expect the token form, fill it and submit), wait until the
     overview is rendered, list its agents;
  2. #/containers: count the table's rows;
  3. #/agent/AGENT?range=1h: data-points of every chart, and the points in the host series
     answer the page drew (agent_api_points; container_api_points likewise in step 5);
  4. click the 12h range button: the host series request sent after the click, its from/to;
  5. #/agent/AGENT/container/NAME?range=1h: data-points of every chart;
  6. with --screenshots: overview.png, containers.png, agent.png (after step 4),
     container.png at 1280x900, overview-dark.png (prefers-color-scheme: dark) and
     overview-phone.png (390x844).
Throughout it collects console errors and warnings, uncaught exceptions, errors of the
browser's log, failed requests (loading failures other than cancellations, and answers
>= 400 except the 401s expected before --token is entered), whether any request URL or the
page's address holds the token, and how many /api/ requests after the token was entered
lacked "Authorization: Bearer TOKEN" (null when no token was entered: without --token, or
when the page never asked for one).

Prints on stdout:
  {"console_errors":[...], "failed_requests":[{"url","status"|"error"}], "overview_agents":[...],
   "firing_alerts":["RULE/AGENT/CONTAINER",...] (shown on top of the overview),
   "container_rows":N, "agent_charts":{"host-cpu":N,...}, "agent_api_points":N,
   "range_request":{"url","from","to"}|null, "container_charts":{...}, "container_api_points":N,
   "token_in_url":false, "api_requests_without_token":N|null,
   "token_form_shown":bool, "screenshots":[paths]}
and exits 0: the caller judges the figures. Exits 2, saying why on stderr, when the check
itself cannot run: chromium missing or not starting, a step timing out, the protocol failing.
Chromium is always stopped at the end. Needs Debian's chromium and python3-websocket.
"""
import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket

SETTLE_S = 0.5    # after a layout change (theme, viewport) before a screenshot


class CheckFailed(Exception):
    """The check could not do its job (exit 2); not a finding about the page."""


class Browser:
    """A headless Chromium and a DevTools protocol session with its page."""

    def __init__(self, timeout, on_event):
        self.timeout = timeout
        self.on_event = on_event
        self.proc = None
        self.ws = None
        self.next_id = 0
        self.dir = tempfile.mkdtemp(prefix="hicloud-browser-")

    def start(self):
        exe = shutil.which("chromium")
        if not exe:
            raise CheckFailed("chromium is not installed (Debian package chromium)")
        self.log = open(os.path.join(self.dir, "chromium.log"), "wb")
        # Its own session, so that stopping it reaches its renderer and helper processes.
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={self.dir}/profile",
             "--no-sandbox", "--disable-gpu", "--window-size=1280,900", "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--disable-dev-shm-usage", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, start_new_session=True)
        port_file = os.path.join(self.dir, "profile", "DevToolsActivePort")
        deadline = time.monotonic() + self.timeout
        port = None
        while port is None:
            if self.proc.poll() is not None:
                raise CheckFailed(f"chromium exited with {self.proc.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise CheckFailed(f"chromium did not open its DevTools port within {self.timeout} s")
            try:
                with open(port_file) as f:
                    port = int(f.readline().strip())
            except (OSError, ValueError):
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=self.timeout) as r:
            targets = json.load(r)
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            raise CheckFailed("chromium has no page target")
        # Without an Origin header Chromium accepts the connection (no --remote-allow-origins).
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"],
                                              timeout=self.timeout, suppress_origin=True)

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "chromium.log"), "rb") as f:
                return f.read()[-2000:].decode(errors="replace").strip()
        except OSError:
            return ""

    def _receive(self, timeout):
        """One message (an event is handed to on_event), or None when none came in time."""
        self.ws.settimeout(max(timeout, 0.01))
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        if "method" in message:
            self.on_event(message["method"], message.get("params", {}))
        return message

    def send(self, method, params=None):
        self.next_id += 1
        wanted = self.next_id
        self.ws.send(json.dumps({"id": wanted, "method": method, "params": params or {}}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = self._receive(deadline - time.monotonic())
            if message and message.get("id") == wanted:
                if "error" in message:
                    raise CheckFailed(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
        raise CheckFailed(f"{method}: no answer within {self.timeout} s")

    def pump(self, seconds):
        """Handles events for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._receive(deadline - time.monotonic())

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise CheckFailed(f"evaluating {expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression, step):
        """Polls a JS expression until it is truthy; its value. CheckFailed after the timeout."""
        deadline = time.monotonic() + self.timeout
        # While the page loads, document.body may not exist yet: that is "not yet", not an error.
        guarded = f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return null; }} }})()"
        while True:
            value = self.evaluate(guarded)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CheckFailed(f"step {step} timed out after {self.timeout} s waiting for {expression}")
            self.pump(0.1)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        if self.ws:
            try:
                self.ws.close()
            except Exception:
                pass
        if self.proc:
            # The group is chromium's own (start_new_session): its renderers and helpers too.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                    self.proc.wait(5)
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
            if self.proc.poll() is None:
                self.proc.wait()
            try:   # helpers still exiting after chromium itself
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Recorder:
    """What the page did: console output, requests and their answers."""

    def __init__(self, token):
        self.token = token
        self.token_given_at = None   # the request count when the token was submitted
        self.console = []
        self.log_errors = []         # (url, text): filtered at the end against expected 401s
        self.requests = []           # in order: {"id", "url", "headers"}
        self.by_id = {}
        self.failed = []
        self.expected_401 = set()

    def event(self, method, p):
        if method == "Network.requestWillBeSent":
            request = {"id": p["requestId"], "url": p["request"]["url"],
                       "headers": dict(p["request"].get("headers", {})),
                       "before_token": self.token_given_at is None}
            if p["requestId"] in self.by_id:      # a redirect reuses the id
                self.by_id[p["requestId"]]["url"] = request["url"]
            else:
                self.by_id[p["requestId"]] = request
                self.requests.append(request)
        elif method == "Network.requestWillBeSentExtraInfo":
            request = self.by_id.get(p["requestId"])
            if request:
                request["headers"].update(p.get("headers", {}))
        elif method == "Network.responseReceived":
            status = p["response"]["status"]
            url = p["response"]["url"]
            # Sent before the token was entered, whenever its answer comes (a slow one may come after).
            sent_before_token = self.by_id.get(p["requestId"], {}).get("before_token", False)
            if status == 401 and self.token and sent_before_token and is_api(url):
                self.expected_401.add(url)
            elif status >= 400:
                self.failed.append({"url": url, "status": status})
        elif method == "Network.loadingFailed":
            if not p.get("canceled"):
                request = self.by_id.get(p["requestId"], {})
                self.failed.append({"url": request.get("url"), "error": p.get("errorText")})
        elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.console.append(f"console.{p['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.console.append(f"uncaught: {d.get('exception', {}).get('description') or d.get('text')}")
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            entry = p["entry"]
            self.log_errors.append((entry.get("url"), f"{entry.get('source')}: {entry.get('text')}"))

    def console_errors(self):
        # The browser logs every 401 answer; those expected before the token was entered are not errors.
        logged = [text for url, text in self.log_errors
                  if not (text.startswith("network:") and url in self.expected_401)]
        return self.console + logged

    def token_in_url(self, page_urls):
        if not self.token:
            return False
        return any(self.token in u or urllib.parse.quote(self.token, safe="") in u
                   for u in [r["url"] for r in self.requests] + page_urls)

    def api_requests_without_token(self):
        if self.token_given_at is None:   # no --token, or the page never asked for it
            return None
        wanted = f"Bearer {self.token}"
        return sum(1 for r in self.requests[self.token_given_at:]
                   if is_api(r["url"]) and header(r["headers"], "authorization") != wanted)


def is_api(url):
    return urllib.parse.urlsplit(url).path.startswith("/api/")


def header(headers, name):
    return next((v for k, v in headers.items() if k.lower() == name), None)


def ready_on(view):
    return (f"document.body.dataset.view === {json.dumps(view)} && "
            "['1', 'error'].includes(document.body.dataset.ready)")


def charts(browser):
    return browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-chart]')]"
        ".filter(e => !e.dataset.chart.startsWith('spark-'))"
        ".map(e => [e.dataset.chart, Number(e.dataset.points)]))")


def answered_points(browser, rec, mark, path):
    """How many points the latest answer to a series request (sent after `mark`) held:
    what the page's charts of that series should plot."""
    for r in reversed(rec.requests[mark:]):
        if urllib.parse.urlsplit(r["url"]).path == path:
            try:
                body = browser.send("Network.getResponseBody", {"requestId": r["id"]})
                return len(json.loads(body["body"])["points"])
            except (CheckFailed, ValueError, KeyError, TypeError):
                return None
    return None


def go(browser, hash_, view, step):
    """Navigates within the page and waits until that view says it is rendered."""
    # data-ready is cleared here too, so a value left by the previous view is never read.
    browser.evaluate(f"document.body.dataset.ready = '0'; location.hash = {json.dumps(hash_)}; true")
    browser.wait_for(ready_on(view), step)


def run(args, browser, rec):
    out = {"console_errors": [], "failed_requests": [], "overview_agents": [], "firing_alerts": [],
           "container_rows": None,
           "agent_charts": {}, "agent_api_points": None, "range_request": None, "container_charts": {},
           "container_api_points": None, "token_in_url": False,
           "api_requests_without_token": None, "token_form_shown": False, "screenshots": []}
    page_urls = []

    def shot(name):
        if args.screenshots:
            path = os.path.join(args.screenshots, name)
            browser.screenshot(path)
            out["screenshots"].append(path)

    def note_url():
        page_urls.append(browser.evaluate("location.href"))

    for domain in ("Runtime", "Log", "Network", "Page"):
        browser.send(f"{domain}.enable")
    browser.send("Emulation.setEmulatedMedia",
                 {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    agent = urllib.parse.quote(args.agent, safe="")
    container = urllib.parse.quote(args.container, safe="")
    host_path = f"/api/v1/agents/{agent}/host"

    # 1. the overview, through the token form when there is a token
    browser.send("Page.navigate", {"url": args.url.rstrip("/") + "/"})
    form_up = "(() => { const f = document.getElementById('token-form'); return !!f && !f.hidden; })()"
    state = browser.wait_for(f"({form_up}) ? 'form' : ({ready_on('overview')}) ? 'ready' : ''", 1)
    if state == "form":
        out["token_form_shown"] = True
        if not args.token:
            raise CheckFailed("step 1: the page asks for a read token; pass --token")
        rec.token_given_at = len(rec.requests)
        browser.evaluate("(() => { const f = document.getElementById('token-form');"
                         f" f.elements.token.value = {json.dumps(args.token)}; f.requestSubmit(); return true; }})()")
        # Submitting hides the form at once; it comes back only if the server refuses the token.
        if browser.wait_for(f"({form_up}) ? 'form' : ({ready_on('overview')}) ? 'ready' : ''", 1) == "form":
            raise CheckFailed("step 1: the server refused the token given with --token")
    out["overview_agents"] = browser.evaluate(
        "[...document.querySelectorAll('[data-agent-id]')].map(e => e.dataset.agentId)")
    out["firing_alerts"] = browser.evaluate(
        "[...document.querySelectorAll('#alerts [data-alert]')].map(e => e.dataset.alert)")
    note_url()
    shot("overview.png")

    # 2. all containers
    go(browser, "#/containers", "containers", 2)
    out["container_rows"] = browser.evaluate("document.querySelectorAll('tr[data-container]').length")
    note_url()
    shot("containers.png")

    # 3. the agent's page
    mark = len(rec.requests)
    go(browser, f"#/agent/{agent}?range=1h", "agent", 3)
    out["agent_charts"] = charts(browser)
    out["agent_api_points"] = answered_points(browser, rec, mark, host_path)
    note_url()

    # 4. a range change: which host series does it ask for?
    mark = len(rec.requests)
    browser.evaluate("document.querySelector('[data-range=\"12h\"]').click(); true")
    browser.wait_for(f"location.hash.includes('range=12h') && ({ready_on('agent')})", 4)
    for r in rec.requests[mark:]:
        parts = urllib.parse.urlsplit(r["url"])
        if parts.path == host_path:
            q = urllib.parse.parse_qs(parts.query)
            out["range_request"] = {"url": r["url"], "from": q.get("from", [None])[0],
                                    "to": q.get("to", [None])[0]}
            break
    out["range_resolution"] = browser.evaluate("document.querySelector('.range-bar .resolution').textContent")
    note_url()
    shot("agent.png")

    # 5. the container's page
    mark = len(rec.requests)
    go(browser, f"#/agent/{agent}/container/{container}?range=1h", "container", 5)
    out["container_charts"] = charts(browser)
    out["container_api_points"] = answered_points(
        browser, rec, mark, f"/api/v1/agents/{agent}/containers/{container}/series")
    note_url()
    shot("container.png")

    # 6. the overview in the dark theme and on a phone
    if args.screenshots:
        browser.send("Emulation.setEmulatedMedia",
                     {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        go(browser, "#/", "overview", 6)
        browser.pump(SETTLE_S)
        shot("overview-dark.png")
        browser.send("Emulation.setEmulatedMedia",
                     {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        browser.pump(SETTLE_S)
        shot("overview-phone.png")
        browser.send("Emulation.clearDeviceMetricsOverride")

    browser.pump(SETTLE_S)   # late console messages and answers
    out["console_errors"] = rec.console_errors()
    out["failed_requests"] = rec.failed
    out["token_in_url"] = rec.token_in_url(page_urls)
    out["api_requests_without_token"] = rec.api_requests_without_token()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--agent", required=True)
    parser.add_argument("--container", required=True)
    parser.add_argument("--token")
    parser.add_argument("--screenshots", metavar="DIR")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per step (default 30)")
    args = parser.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)

    rec = Recorder(args.token)
    browser = Browser(args.timeout, rec.event)
    try:
        browser.start()
        out = run(args, browser, rec)
    except CheckFailed as e:
        print(f"browser_check: {e}", file=sys.stderr)
        return 2
    except (OSError, websocket.WebSocketException) as e:
        print(f"browser_check: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    finally:
        browser.close()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
