"""tests/async/suite.py - black-box tests of the asynchronous API and the job
store (issue 10, parts 3 and 4): real `judgebox serve` processes on loopback
ports the kernel picks (tests/server/lib.py), each with its own store in a
temporary directory; real Python programs in the default image; a real
redis-server started here on a free loopback port; a tiny HTTP receiver on
loopback for callback_url.  Servers and redis are stopped by PID; mounts
made here (tmpfs for a full disk, a read-only bind) are removed.

  endpoints   POST /v1/run?async=true, GET/DELETE /v1/runs/{id}: every field,
              wrong types, missing fields, states, cancel when queued/running/
              done, 404/405/409, async=false, expiry
  callbacks   PUT to callback_url, retried 3 times, then given up
  durability  SQLite: 200 submissions from 4 clients, kill -9 once half are
              acknowledged, the rest sent after the restart; then 200 more,
              kill -9 half-way through the judging; every acknowledged id
              resolves to its own correct result.  Redis: two servers, 200
              submissions, one killed half-way (its jobs taken over)
  store       corrupt / damaged / read-only database refused at start-up with
              one line; a full disk answers 503 and loses nothing acknowledged
Sizes: ASYNC_DURABILITY_N (default 200)."""

import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import lib  # noqa: E402
from lib import check, report  # noqa: E402

N = int(os.environ.get("ASYNC_DURABILITY_N", "200"))
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TMP = tempfile.mkdtemp(prefix="judgebox-async-")
SERVERS = []
MOUNTS = []

SQUARE = "print(int(input()) * 3 + 1)"
SLEEPER = "import time, sys\ntime.sleep(float(sys.argv[1]))\nprint('slept')"


def body(source=SQUARE, stdin=None, **extra):
    b = {"language": "python3", "source": source}
    if stdin is not None:
        b["tests"] = [{"stdin": stdin}]
    b.update(extra)
    return b


def sleeper(seconds):
    return body(SLEEPER, tests=[{"args": [str(seconds)]}],
                limits={"wall_ms": int(seconds * 1000) + 20000, "cpu_ms": 5000})


def start(*args, store=None, name="s"):
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    extra = list(args)
    if store is None:
        store = "sqlite:" + os.path.join(d, "jobs.db")
    srv = lib.Server("--store", store, "--state-dir", d, *extra)
    SERVERS.append(srv)
    return srv


def submit(srv, b, query="?async=true"):
    return srv.request("POST", "/v1/run" + query, b)


def get(srv, rid):
    return srv.request("GET", "/v1/runs/" + rid)


def wait_state(srv, rid, states, timeout=120):
    """Poll until the run's state is in `states`; (True, body) or (False, last)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        st, _, b = get(srv, rid)
        last = (st, b)
        if st == 200 and b.get("state") in states:
            return True, b
        time.sleep(0.05)
    return False, last


def stdout_of(b):
    runs = b.get("runs") or []
    return runs[0].get("stdout") if runs else None


def err(resp):
    st, _, b = resp
    e = (b or {}).get("error") if isinstance(b, dict) else None
    return st, (e or {}).get("code"), (e or {}).get("field")


# ---- endpoints ----------------------------------------------------------

def endpoint_checks():
    srv = start("--slots", "1", "--queue", "8", name="api")

    def submit_and_poll():
        st, h, b = submit(srv, body(stdin="4"))
        if st != 202:
            return False, "status %s %s" % (st, b)
        rid = b.get("id", "")
        if not UUID.match(rid) or b.get("state") != "queued":
            return False, "body %s" % b
        if h.get("location") != "/v1/runs/" + rid:
            return False, "Location %s" % h.get("location")
        ok, done = wait_state(srv, rid, ["done"])
        if not ok:
            return False, "never done: %s" % (done,)
        good = (done["id"] == rid and done["verdict"] == "ok" and stdout_of(done) == "13\n" and
                done["language"]["id"] == "python3" and
                all(done.get(k) for k in ("submitted_at", "started_at", "finished_at")))
        return good, json.dumps(done)[:300]
    check("POST /v1/run?async=true: 202 {id, state: queued}, Location; GET gives the result when done", submit_and_poll)

    def async_one_also():
        st, _, b = submit(srv, body(stdin="1"), "?async=1")
        return st == 202 and wait_state(srv, b["id"], ["done"])[0], (st, b)
    check("async=1 is asynchronous too", async_one_also)

    def async_false_is_sync():
        st, _, b = submit(srv, body(stdin="2"), "?async=false")
        return st == 200 and stdout_of(b) == "7\n" and "state" not in b, (st, b)
    check("async=false answers synchronously with the result", async_false_is_sync)

    def states_and_cancel():
        # One slot, so two dispatcher threads: a long sleeper runs, the
        # next is taken (shown running, waiting for the slot), the third
        # waits in the store's queue.
        st1, _, a = submit(srv, sleeper(30))
        st0, _, nxt = submit(srv, sleeper(30))
        st2, _, b = submit(srv, body(stdin="5"))
        if st1 != 202 or st2 != 202 or st0 != 202:
            return False, "submit %s %s %s" % (a, nxt, b)
        ok, ra = wait_state(srv, a["id"], ["running"], timeout=60)
        ok2, rn = wait_state(srv, nxt["id"], ["running"], timeout=60)
        if not ok or not ok2:
            return False, "first two never running: %s %s" % (ra, rn)
        st, _, cn = srv.request("DELETE", "/v1/runs/" + nxt["id"])
        if st != 200 or cn.get("was") != "running":
            return False, "cancel the one next in line: %s %s" % (st, cn)
        st, _, rb = get(srv, b["id"])
        if st != 200 or rb["state"] != "queued" or rb.get("started_at") is not None:
            return False, "second not queued: %s" % rb
        st, _, cq = srv.request("DELETE", "/v1/runs/" + b["id"])
        if st != 200 or cq != {"id": b["id"], "state": "cancelled", "was": "queued"}:
            return False, "cancel queued: %s %s" % (st, cq)
        t0 = time.time()
        st, _, cr = srv.request("DELETE", "/v1/runs/" + a["id"])
        if st != 200 or cr.get("was") != "running":
            return False, "cancel running: %s %s" % (st, cr)
        # The running sleeper is stopped: the slot frees long before 30 s.
        ok, h = srv.wait_health(lambda h: h["busy"] == 0, timeout=25)
        if not ok:
            return False, "slot still busy after cancel: %s" % h
        stopped_in = time.time() - t0
        st3, _, c = submit(srv, body(stdin="6"))
        ok, rc = wait_state(srv, c["id"], ["done"])
        sa, sb = get(srv, a["id"])[2], get(srv, b["id"])[2]
        good = (ok and stdout_of(rc) == "19\n" and sa["state"] == "cancelled" and
                sb["state"] == "cancelled" and "runs" not in sb and stopped_in < 25)
        return good, "a=%s b=%s c=%s stopped in %.1fs" % (sa, sb, rc, stopped_in)
    check("states queued/running/done; DELETE cancels a queued run (never runs) and stops a running one", states_and_cancel)

    def cancel_done_unknown():
        st, _, b = submit(srv, body(stdin="0"))
        wait_state(srv, b["id"], ["done"])
        r1 = err(srv.request("DELETE", "/v1/runs/" + b["id"]))
        r2 = err(srv.request("DELETE", "/v1/runs/00000000-0000-4000-8000-000000000000"))
        r3 = err(get(srv, "00000000-0000-4000-8000-000000000000"))
        r4 = err(get(srv, "not-an-id"))
        r5 = err(get(srv, b["id"].upper()))
        still = get(srv, b["id"])[2]
        good = (r1 == (409, "not_cancellable", "id") and r2 == (404, "not_found", "id") and
                r3 == (404, "not_found", "id") and r4 == (404, "not_found", "id") and
                r5 == (404, "not_found", "id") and still["state"] == "done")
        return good, [r1, r2, r3, r4, r5, still.get("state")]
    check("DELETE of a done run 409 (kept); unknown or malformed ids 404 for GET and DELETE", cancel_done_unknown)

    def methods():
        rid = "00000000-0000-4000-8000-000000000000"
        r1 = srv.request("PUT", "/v1/runs/" + rid, {})
        r2 = srv.request("POST", "/v1/runs/" + rid, {})
        r3 = srv.request("GET", "/v1/runs/")
        return (r1[0] == 405 and r2[0] == 405 and r3[0] == 404 and "allow" in r1[1]), \
            [r1[0], r2[0], r3[0], r1[1].get("allow")]
    check("PUT/POST /v1/runs/{id} 405 with Allow; /v1/runs/ without id 404", methods)

    # Every bad body: the asynchronous answer is the synchronous one (same
    # status, code and field), and nothing is stored.
    bad_bodies = [
        ("not JSON", "{nope"),
        ("an array", "[]"),
        ("empty", ""),
        ("missing language", {"source": "print(1)"}),
        ("language a number", {"language": 3, "source": "print(1)"}),
        ("unknown language", {"language": "cobol-85", "source": "x"}),
        ("missing source and files", {"language": "python3"}),
        ("source a number", {"language": "python3", "source": 5}),
        ("files not an array", {"language": "python3", "files": {}}),
        ("tests not an array", {"language": "python3", "source": "1", "tests": "x"}),
        ("test stdin a number", {"language": "python3", "source": "1", "tests": [{"stdin": 1}]}),
        ("test args not an array", {"language": "python3", "source": "1", "tests": [{"args": "a"}]}),
        ("limits not an object", {"language": "python3", "source": "1", "limits": 5}),
        ("limit out of range", {"language": "python3", "source": "1", "limits": {"cpu_ms": 10 ** 12}}),
        ("limit a string", {"language": "python3", "source": "1", "limits": {"cpu_ms": "1"}}),
        ("checker unknown", {"language": "python3", "source": "1", "checker": {"type": "nope"}}),
        ("unknown field", {"language": "python3", "source": "1", "colour": "red"}),
    ]
    for name, b in bad_bodies:
        def same(b=b):
            sync = err(srv.request("POST", "/v1/run", b))
            asyn = err(srv.request("POST", "/v1/run?async=true", b))
            return sync == asyn and sync[0] in (400, 413, 422), "sync %s async %s" % (sync, asyn)
        check("async body with %s: the same error as a synchronous run" % name, same)

    cb_cases = [
        ("a number", 5, (400, "wrong_type", "callback_url")),
        ("an object", {"url": "http://x"}, (400, "wrong_type", "callback_url")),
        ("ftp", "ftp://127.0.0.1/x", (422, "invalid_callback_url", "callback_url")),
        ("not a URL", "not a url", (422, "invalid_callback_url", "callback_url")),
        ("relative", "/callback", (422, "invalid_callback_url", "callback_url")),
        ("with credentials", "http://u:p@127.0.0.1/x", (422, "invalid_callback_url", "callback_url")),
    ]
    for name, value, want in cb_cases:
        def cb(value=value, want=want):
            got = err(submit(srv, body(stdin="1", callback_url=value)))
            return got == want, got
        check("callback_url %s: %s %s" % (name, want[0], want[1]), cb)

    def cb_null():
        st, _, b = submit(srv, body(stdin="1", callback_url=None))
        return st == 202 and wait_state(srv, b["id"], ["done"])[0], (st, b)
    check("callback_url null: accepted, no callback", cb_null)

    def async_bad_query():
        return err(submit(srv, body(stdin="1"), "?async=maybe")) == (400, "bad_query", "async")
    check("async=maybe: 400 bad_query naming async", async_bad_query)

    def none_stored_for_errors():
        # Bad submissions stored nothing: the store holds only the runs above.
        import sqlite3
        db = sqlite3.connect(os.path.join(TMP, "api", "jobs.db"))
        n = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        db.close()
        return n == 8, "%d rows" % n
    check("refused submissions are not stored (only the 8 accepted ones are)", none_stored_for_errors)

    def sanitizer():
        lines = srv.sanitizer_reports()
        return not lines, lines[:3]
    check("no sanitizer report from the API server", sanitizer)
    srv.cleanup()

    def expiry():
        s2 = start("--result-ttl", "1", name="ttl")
        try:
            st, _, b = submit(s2, body(stdin="1"))
            ok, done = wait_state(s2, b["id"], ["done"])
            if not ok:
                return False, done
            deadline = time.time() + 30
            while time.time() < deadline:
                if get(s2, b["id"])[0] == 404:
                    return True
                time.sleep(0.1)
            return False, "still served after 30 s with --result-ttl 1"
        finally:
            s2.cleanup()
    check("--result-ttl 1: a finished run is forgotten (404) after it expires", expiry)


# ---- callbacks ------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1:<free port> recording each request;
    `fail_first` requests are answered 500."""

    def __init__(self, fail_first=0):
        self.requests = []
        self.fail_first = fail_first
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n)
                with outer.cond:
                    outer.requests.append((self.command, self.path, dict(self.headers), data))
                    failing = len(outer.requests) <= outer.fail_first
                    outer.cond.notify_all()
                self.send_response(500 if failing else 204)
                self.end_headers()
            do_PUT = do_POST = do_GET = do_any

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/cb"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def wait(self, n, timeout=60):
        with self.cond:
            self.cond.wait_for(lambda: len(self.requests) >= n, timeout)
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def callback_checks():
    srv = start(name="callbacks")
    try:
        def delivered():
            rx = Receiver()
            try:
                st, _, b = submit(srv, body(stdin="10", callback_url=rx.url("/done?x=1")))
                reqs = rx.wait(1)
                if not reqs:
                    return False, "no callback within 60 s"
                method, path, headers, data = reqs[0]
                got = json.loads(data)
                good = (method == "PUT" and path == "/done?x=1" and
                        headers.get("Content-Type") == "application/json" and
                        got["id"] == b["id"] and got["state"] == "done" and stdout_of(got) == "31\n")
                return good, (method, path, got)
            finally:
                rx.close()
        check("callback_url gets a PUT of the finished run (the GET body) as JSON", delivered)

        def retried():
            rx = Receiver(fail_first=2)
            try:
                st, _, b = submit(srv, body(stdin="1", callback_url=rx.url()))
                reqs = rx.wait(3)
                time.sleep(0)  # nothing more may come; checked below with the 3-failure case
                return len(reqs) == 3 and all(r[0] == "PUT" for r in reqs), [r[0] for r in reqs]
            finally:
                rx.close()
        check("a callback answered 500 twice is tried again and delivered on the 3rd try", retried)

        def gives_up():
            rx = Receiver(fail_first=100)
            try:
                st, _, b = submit(srv, body(stdin="1", callback_url=rx.url()))
                rx.wait(3)
                # After the third failure the server logs that it gave up;
                # wait for that line, then count the tries.
                deadline = time.time() + 60
                while time.time() < deadline:
                    if any("not delivered" in (e.get("msg") or "") and b["id"] in e.get("msg", "")
                           for e in srv.log()):
                        break
                    time.sleep(0.1)
                n = len(rx.requests)
                return n == 3, "%d tries" % n
            finally:
                rx.close()
        check("a callback that always fails is tried exactly 3 times, then given up (logged)", gives_up)

        def unreachable_does_not_block():
            # A callback to a closed port fails fast; the run's result is stored anyway.
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            st, _, b = submit(srv, body(stdin="2", callback_url="http://127.0.0.1:%d/x" % port))
            ok, done = wait_state(srv, b["id"], ["done"])
            return ok and stdout_of(done) == "7\n", done
        check("an unreachable callback_url does not lose the result", unreachable_does_not_block)
    finally:
        srv.cleanup()


# ---- durability -------------------------------------------------------------

def submit_many(servers, n):
    """Submit n runs (stdin i) spread over servers from 4 threads; returns
    {id: expected stdout} of the acknowledged ones and the list of failures."""
    acked, failures = {}, []
    lock = threading.Lock()

    def worker(k):
        for i in range(k, n, 4):
            srv = servers[i % len(servers)]
            try:
                st, _, b = submit(srv, body(stdin=str(i)))
            except Exception as e:  # a server being killed may drop the connection
                with lock:
                    failures.append("%d: %s" % (i, e))
                continue
            with lock:
                if st == 202:
                    acked[b["id"]] = "%d\n" % (i * 3 + 1)
                else:
                    failures.append("%d: %s %s" % (i, st, b))
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acked, failures


def count_done(srv, ids):
    n = 0
    for rid in ids:
        st, _, b = get(srv, rid)
        if st == 200 and b["state"] == "done":
            n += 1
    return n


def all_correct(srv, acked, timeout):
    """Wait until every acknowledged id is done; then compare outputs."""
    deadline = time.time() + timeout
    pending = dict(acked)
    wrong = []
    while pending and time.time() < deadline:
        for rid in list(pending):
            st, _, b = get(srv, rid)
            if st == 200 and b["state"] == "done":
                if stdout_of(b) != pending[rid] or b.get("verdict") != "ok":
                    wrong.append((rid, stdout_of(b), pending[rid], b.get("verdict")))
                del pending[rid]
            elif st != 200 or b["state"] == "cancelled":
                wrong.append((rid, st, b))
                del pending[rid]
        if pending:
            time.sleep(0.2)
    return pending, wrong


def kill9(srv):
    os.kill(srv.pid, signal.SIGKILL)
    srv.proc.wait()


def sqlite_durability():
    """Submissions from 4 clients; kill -9 once half are acknowledged (runs
    being judged, submissions still coming); the rest are sent to the
    restarted server.  Every acknowledged id must resolve to its result."""
    name = "durable"
    d = os.path.join(TMP, name)
    srv = start("--slots", "2", name=name)
    store_url = "sqlite:" + os.path.join(d, "jobs.db")
    acked, lock = {}, threading.Lock()
    refused = []
    current = [srv]
    killed = threading.Event()

    def worker(k):
        for i in range(k, N, 4):
            while True:
                target = current[0]
                try:
                    st, _, b = submit(target, body(stdin=str(i)))
                except Exception:  # the server was killed under us: send it again
                    st = None
                if st == 202:
                    with lock:
                        acked[b["id"]] = "%d\n" % (i * 3 + 1)
                    break
                if st is not None and st != 202 and not killed.is_set():
                    with lock:
                        refused.append((i, st, b))
                    break
                # No answer (or an error while it died): wait for the restart.
                killed.wait(60)
                while current[0] is target:
                    time.sleep(0.05)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 300
    while time.time() < deadline and len(acked) < N // 2:
        time.sleep(0.01)
    with lock:
        acked_at_kill = len(acked)
    killed.set()
    kill9(srv)
    import sqlite3
    db = sqlite3.connect(os.path.join(d, "jobs.db"))
    states = dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
    db.close()
    srv.cleanup()
    srv2 = lib.Server("--store", store_url, "--state-dir", d, "--slots", "2")
    SERVERS.append(srv2)
    current[0] = srv2
    for t in threads:
        t.join(600)
    check("sqlite: killed -9 with %d of %d submissions acknowledged (store then: %d queued, %d running, "
          "%d done), the rest sent to the restarted server" %
          (acked_at_kill, N, states.get(0, 0), states.get(1, 0), states.get(2, 0)),
          lambda: (0 < acked_at_kill < N and len(acked) == N and not refused and states.get(1, 0) > 0,
                   "acked %d at kill, %d in all, refused %s, states %s" %
                   (acked_at_kill, len(acked), refused[:3], states)))
    pending, wrong = all_correct(srv2, acked, timeout=600)
    check("sqlite: after kill -9 and restart every one of the %d ids resolves to its own correct result" % N,
          lambda: (not pending and not wrong, "pending %d, wrong %s" % (len(pending), wrong[:3])))
    check("sqlite: the restarted server logged the runs the killed one had left running",
          lambda: any("claimed again" in (e.get("msg") or "") for e in srv2.log()))

    # Round 2: everything acknowledged first, kill -9 half-way through the judging.
    acked2, failures = submit_many([srv2], N)
    report("sqlite: %d more submissions acknowledged" % N, not failures and len(acked2) == N,
           "%d acked, failures %s" % (len(acked2), failures[:3]))
    ids = list(acked2)
    deadline = time.time() + 300
    while time.time() < deadline and count_done(srv2, ids[: N // 2]) < N // 4:
        time.sleep(0.2)
    done_before = count_done(srv2, ids)
    kill9(srv2)
    check("sqlite: killed -9 half-way through judging (%d of %d done)" % (done_before, N),
          lambda: (0 < done_before < N, "%d done when killed" % done_before))
    srv2.cleanup()
    srv3 = lib.Server("--store", store_url, "--state-dir", d, "--slots", "2")
    SERVERS.append(srv3)
    acked.update(acked2)
    pending, wrong = all_correct(srv3, acked, timeout=600)
    check("sqlite: after the second kill -9 and restart all %d ids of both rounds resolve correctly" % len(acked),
          lambda: (not pending and not wrong, "pending %d, wrong %s" % (len(pending), wrong[:3])))
    srv3.cleanup()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    """redis-server on a free loopback port, no persistence, in a temp dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=TMP)
        self.proc = None
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
                 "--protected-mode", "yes", "--logfile", os.path.join(self.dir, "redis.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 20
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1) as c:
                        c.sendall(b"PING\r\n")
                        if c.recv(16).startswith(b"+PONG"):
                            return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def redis_checks():
    if not shutil.which("redis-server"):
        report("redis: redis-server is installed (make test-deps)", False, "redis-server not found")
        return
    try:
        rd = Redis()
    except Exception as e:
        report("redis: redis-server starts on a loopback port", False, e)
        return
    a = b = None
    try:
        a = start("--slots", "2", "--claim-timeout", "3", store=rd.url, name="node-a")
        b = start("--slots", "2", "--claim-timeout", "3", store=rd.url, name="node-b")

        def any_node_answers():
            st, _, r = submit(a, body(stdin="8"))
            ok, done = wait_state(b, r["id"], ["done"])
            st2, _, via_a = get(a, r["id"])
            return ok and stdout_of(done) == "25\n" and via_a == done, (done, via_a)
        check("redis: submitted to one node, the other answers GET with the same result", any_node_answers)

        def cancel_across():
            # Fill both nodes' slots with sleepers, then cancel each via the other node.
            subs = [submit(a, sleeper(30))[2]["id"] for _ in range(4)]
            ok = all(wait_state(a, rid, ["running"], timeout=60)[0] for rid in subs)
            if not ok:
                return False, "sleepers never all running"
            for i, rid in enumerate(subs):
                st, _, r = (a if i % 2 else b).request("DELETE", "/v1/runs/" + rid)
                if st != 200 or r["was"] != "running":
                    return False, (st, r)
            ok_a = a.wait_health(lambda h: h["busy"] == 0, timeout=25)[0]
            ok_b = b.wait_health(lambda h: h["busy"] == 0, timeout=25)[0]
            states = [get(b, rid)[2]["state"] for rid in subs]
            return ok_a and ok_b and states == ["cancelled"] * 4, states
        check("redis: DELETE on any node stops a run on whichever node runs it", cancel_across)

        acked, failures = submit_many([a, b], N)
        report("redis: %d submissions acknowledged by two nodes" % N, not failures and len(acked) == N,
               "%d acked, failures %s" % (len(acked), failures[:3]))
        ids = list(acked)
        deadline = time.time() + 300
        while time.time() < deadline and count_done(b, ids[: N // 2]) < N // 4:
            time.sleep(0.2)
        done_before = count_done(b, ids)
        kill9(a)
        check("redis: node A killed -9 half-way (%d of %d done)" % (done_before, N),
              lambda: (0 < done_before < N, "%d done when killed" % done_before))
        pending, wrong = all_correct(b, acked, timeout=600)
        check("redis: node B finishes everything, node A's claimed runs taken over: all %d correct" % N,
              lambda: (not pending and not wrong, "pending %d, wrong %s" % (len(pending), wrong[:3])))
        check("redis: node B logged the runs it took over from node A",
              lambda: any("claimed again" in (e.get("msg") or "") for e in b.log()))

        def restart_a():
            a2 = start("--slots", "2", "--claim-timeout", "3", store=rd.url, name="node-a")
            try:
                rid = ids[0]
                st, _, r = get(a2, rid)
                return st == 200 and stdout_of(r) == acked[rid], r
            finally:
                a2.cleanup()
        check("redis: a restarted node serves results judged by the other", restart_a)
    finally:
        for s in (a, b):
            if s:
                s.cleanup()
        rd.stop()


# ---- store failures -----------------------------------------------------------

def refusal_lines(args):
    """Exit code and stderr lines of a refused start, without the JSON log
    lines of warnings that come before the refusal (e.g. the sanitizer build
    warns about mallopt)."""
    code, lines = lib.run_startup_failure(["--langs", lib.LANGS] + args)
    kept = []
    for line in lines:
        try:
            if json.loads(line).get("level") == "warning":
                continue
        except ValueError:
            pass
        kept.append(line)
    return code, kept


def one_line_refusal(args, want):
    code, lines = refusal_lines(args)
    good = code == 1 and len(lines) == 1 and all(w in lines[0] for w in want)
    return good, "exit %s, %s" % (code, lines[:3])


def mount(*args):
    subprocess.run(["mount"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def umount_all():
    for m in reversed(MOUNTS):
        subprocess.run(["umount", m], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    MOUNTS.clear()


def store_failure_checks():
    d = os.path.join(TMP, "bad")
    os.makedirs(d, exist_ok=True)
    garbage = os.path.join(d, "garbage.db")
    with open(garbage, "wb") as f:
        f.write(b"not a database at all " * 500)
    check("a file that is not a database: one line naming it, exit 1",
          lambda: one_line_refusal(["--store", "sqlite:" + garbage], [garbage, "not a database"]))

    check("--store with an unknown scheme: one line, exit 1",
          lambda: one_line_refusal(["--store", "postgres://x"], ["sqlite:PATH or redis://"]))

    def unreachable_redis():
        return one_line_refusal(["--store", "redis://127.0.0.1:%d" % free_port()],
                                ["redis://127.0.0.1", "Connection refused"])
    check("--store redis:// with nothing listening: one line, exit 1", unreachable_redis)

    # A damaged database: made by a server, then a page overwritten.
    dmg = os.path.join(TMP, "damaged")
    srv = start(name="damaged")
    for i in range(60):
        submit(srv, body(source="x = '%s'\nprint(1)" % ("y" * 2000), stdin=str(i)))
    srv.cleanup()
    import sqlite3
    db = sqlite3.connect(os.path.join(dmg, "jobs.db"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with open(os.path.join(dmg, "jobs.db"), "r+b") as f:
        f.seek(3 * 4096)
        f.write(b"\x5a" * 8192)
    check("a damaged database: refused at start-up with one line saying so",
          lambda: one_line_refusal_any(["--store", "sqlite:" + os.path.join(dmg, "jobs.db")],
                                       ["corrupt", "malformed"]))

    # Read-only: a bind mount of a directory holding a good store, remounted ro.
    ro = os.path.join(TMP, "ro")
    srv = start(name="ro")
    st, _, b = submit(srv, body(stdin="3"))
    wait_state(srv, b["id"], ["done"])
    srv.cleanup()
    try:
        mount("--bind", ro, ro)
        MOUNTS.append(ro)
        mount("-o", "remount,ro,bind", ro)
        check("a read-only database: refused at start-up with one line saying so",
              lambda: one_line_refusal_any(["--store", "sqlite:" + os.path.join(ro, "jobs.db"),
                                            "--state-dir", ro], ["read-only", "readonly"]))
    except subprocess.CalledProcessError as e:
        report("a read-only database: refused at start-up", False, "mount: %s" % e.stderr)
    finally:
        umount_all()

    full_disk_check()


def one_line_refusal_any(args, any_of):
    code, lines = refusal_lines(args)
    good = code == 1 and len(lines) == 1 and any(w in lines[0] for w in any_of)
    return good, "exit %s, %s" % (code, lines[:3])


def full_disk_check():
    d = os.path.join(TMP, "full")
    os.makedirs(d, exist_ok=True)
    try:
        mount("-t", "tmpfs", "-o", "size=4m,mode=0755", "judgebox-test-full", d)
        MOUNTS.append(d)
    except subprocess.CalledProcessError as e:
        report("full disk: a small tmpfs for the store", False, e.stderr)
        return
    srv = None
    try:
        srv = lib.Server("--store", "sqlite:" + os.path.join(d, "jobs.db"), "--state-dir", d,
                         "--slots", "1")
        SERVERS.append(srv)
        st, _, first = submit(srv, body(stdin="1"))
        ok, _ = wait_state(srv, first["id"], ["done"])
        # Fill the disk.
        filler = os.path.join(d, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        big = "x = '%s'\nprint(int(input()) * 3 + 1)" % ("z" * 60000)
        acked, refused, other = {}, 0, []
        for i in range(40):
            st, h, b = submit(srv, body(source=big, stdin=str(i)))
            if st == 202:
                acked[b["id"]] = "%d\n" % (i * 3 + 1)
            elif st == 503 and err((st, h, b))[1] == "store_unavailable" and h.get("retry-after"):
                refused += 1
            else:
                other.append((st, b))
        check("full disk: submissions that cannot be stored get 503 store_unavailable with Retry-After",
              lambda: (refused > 0 and not other, "refused %d, other %s" % (refused, other[:2])))
        os.unlink(filler)
        pending, wrong = all_correct(srv, acked, timeout=300)
        check("full disk: every run acknowledged before the disk filled up is judged once space returns",
              lambda: (not pending and not wrong, "pending %d wrong %s" % (len(pending), wrong[:2])))
        st, _, b = submit(srv, body(stdin="2"))
        check("full disk: with space again, submissions are accepted", lambda: st == 202 and
              wait_state(srv, b["id"], ["done"])[0])
        srv.cleanup()
        srv = None
    finally:
        if srv:
            srv.cleanup()
        umount_all()


def main():
    if not os.path.exists(lib.BINARY):
        report("judgebox binary exists", False, "%s not found (make all)" % lib.BINARY)
        return 1
    try:
        endpoint_checks()
        callback_checks()
        store_failure_checks()
        sqlite_durability()
        redis_checks()
    finally:
        for s in SERVERS:
            try:
                s.cleanup()
            except Exception:
                pass
        umount_all()
        shutil.rmtree(TMP, ignore_errors=True)
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
