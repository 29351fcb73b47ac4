"""tests/server/faults.py - regression checks for the HTTP faults of issue 11
(docs/reliability.md, "## HTTP server"): shutdown under keep-alive load,
slow clients, queue fairness, protocol errors and pipelining, half-closed
clients, the log, memory amplification and RSS.  Real servers on loopback
ports the kernel picks; slow clients are raw sockets bound to other loopback
addresses (127.0.0.2...), so the per-address cap is tested without touching
anything outside 127.0.0.0/8.  Every wait is on a condition with a generous
deadline."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Server, report  # noqa: E402


def check(name, fn):
    """lib.check, and the figures of a passing check as a '#' line (the
    runner counts only PASS/FAIL lines; docs/reliability.md quotes these)."""
    try:
        result = fn()
    except Exception as e:  # a broken check must not stop the suite
        return report(name, False, "%s: %s" % (type(e).__name__, e))
    ok, why = (result[0], result[1] if len(result) > 1 else "") if isinstance(result, tuple) else (result, "")
    report(name, bool(ok), why)
    if ok and why:
        print("#   " + " ".join(str(why).split())[:400], flush=True)
    return ok


def server_with(config, *args, env=None):
    """A server with `config` (a dict) as its --config file."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
    try:
        return Server("--config", f.name, *args, env=env)
    finally:
        os.unlink(f.name)


def connect(port, src=None, timeout=30):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_all(s, timeout=30, until=None):
    """Bytes until the peer closes, `until(data)` holds, or the timeout."""
    s.settimeout(timeout)
    data = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if until and until(data):
            break
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not c:
            break
        data += c
    return data


def parse_responses(data):
    """Split raw HTTP/1.1 responses (Content-Length bodies) into
    [(status, headers dict, body bytes)]; interim 1xx responses included."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0])
        if not m:
            break
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode(errors="replace")
        status = int(m.group(1))
        n = int(headers.get("content-length", "0")) if status >= 200 else 0
        if len(rest) < n:
            break                 # not all in yet
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def read_one_response(s, timeout=120):
    """(status, headers, body) of one final response, read in linear time
    (interim 1xx responses skipped)."""
    s.settimeout(timeout)
    buf = bytearray()
    while True:
        while b"\r\n\r\n" not in buf:
            c = s.recv(65536)
            if not c:
                return None, {}, bytes(buf)
            buf += c
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status >= 200:
            break
        buf = bytearray(rest)
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode(errors="replace")
    n = int(headers.get("content-length", "0"))
    body = bytearray(rest)
    while len(body) < n:
        c = s.recv(1 << 20)
        if not c:
            break
        body += c
    return status, headers, bytes(body)


def complete(data, n):
    """True once `data` holds n final (non-1xx) responses."""
    return len([r for r in parse_responses(data) if r[0] >= 200]) >= n


def post(body):
    b = json.dumps(body).encode()
    return (b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(b)) + b


def run_bash(srv, script, timeout=120, **extra):
    body = {"language": "bash", "source": script}
    body.update(extra)
    return srv.run(body, timeout=timeout)


# ------------------------------------------------ 12, 14: protocol and logs

def protocol_checks(srv):
    def pipelining():
        s = connect(srv.port)
        try:
            s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n" +
                      post({"language": "bash", "source": "echo piped"}) +
                      b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
                      b"GET /v1/limits HTTP/1.1\r\nHost: x\r\n\r\n")
            data = read_all(s, 60, until=lambda d: complete(d, 4))
        finally:
            s.close()
        rs = [r for r in parse_responses(data) if r[0] >= 200]
        ok = (len(rs) == 4 and [r[0] for r in rs] == [200, 200, 404, 200] and
              json.loads(rs[1][2])["runs"][0]["stdout"] == "piped\n" and
              json.loads(rs[2][2])["error"]["code"] == "not_found" and
              "limits" in json.loads(rs[3][2]))
        return ok, "got %d answers: %s" % (len(rs), [(r[0], r[2][:60]) for r in rs])
    check("pipelining: four requests in one write get four answers in order (a 404 included)",
          pipelining)

    def half_closed(request, want):
        def fn():
            s = connect(srv.port)
            try:
                s.sendall(request)
                s.shutdown(socket.SHUT_WR)
                data = read_all(s, 60, until=lambda d: complete(d, 1))
            finally:
                s.close()
            rs = [r for r in parse_responses(data) if r[0] >= 200]
            return (len(rs) == 1 and rs[0][0] == 200 and want(json.loads(rs[0][2])),
                    "got %r" % data[:300])
        return fn
    check("a half-closed client (SHUT_WR after GET /v1/health) still gets its answer",
          half_closed(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", lambda b: b["status"] == "ok"))
    check("a half-closed client (SHUT_WR after POST /v1/run) still gets its answer",
          half_closed(post({"language": "bash", "source": "sleep 0.5; echo half"}),
                      lambda b: b["runs"][0]["stdout"] == "half\n"))

    def closed_mid_run_still_cancels():
        before = srv.health()["runs"]
        s = connect(srv.port)
        s.sendall(post({"language": "bash", "source": "sleep 2", "tests": [{}] * 6}))
        ok, _ = srv.wait_health(lambda h: h["busy"] >= 1, timeout=30)
        s.close()
        idle, h = srv.wait_health(lambda h: h["busy"] == 0 and h["queued"] == 0, timeout=30)
        ran = srv.health()["runs"] - before
        return ok and idle and ran < 6, "started %d of 6 runs; health %s" % (ran, h)
    check("a client that closes mid-run is still taken for gone (its runs are dropped)",
          closed_mid_run_still_cancels)

    # What libmicrohttpd 0.9.75 (Debian 12) answers by itself, before any
    # handler of ours runs.  These pin today's behaviour; when one fails,
    # the library changed: update docs/reliability.md ("## HTTP server").
    def pin(name, request, want):
        def fn():
            s = connect(srv.port)
            try:
                s.sendall(request)
                data = read_all(s, 10)
            finally:
                s.close()
            return want(data), "got %r" % data[:400]
        check("libmicrohttpd 0.9.75 pin: " + name, fn)
    pin("a NUL byte in a header value cuts the value; the request is answered",
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n",
        lambda d: d.startswith(b"HTTP/1.1 200 "))
    pin("a garbage Content-Length gets its own HTML 400 with the head sent twice",
        b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
        lambda d: d.count(b"HTTP/1.1 400 Bad Request") == 2 and b"<html>" in d)
    pin("a negative Content-Length: the same",
        b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}",
        lambda d: d.count(b"HTTP/1.1 400 Bad Request") == 2 and b"<html>" in d)
    pin("a malformed request line is closed without an answer",
        b"GARBAGE\r\n\r\n", lambda d: d == b"")
    pin("headers over the buffer get an HTML 431",
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n",
        lambda d: d.startswith(b"HTTP/1.1 431 ") and b"<html>" in d)
    pin("bad chunked encoding gets an HTML 400",
        b"POST /v1/run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        lambda d: d.startswith(b"HTTP/1.1 400 ") and b"<html>" in d)

    def errors_are_json():
        bad = []
        for method, path, body in (("GET", "/nope", None), ("DELETE", "/v1/run", None),
                                   ("POST", "/v1/run", "{")):
            status, headers, resp = srv.request(method, path, body)
            if not (isinstance(resp, dict) and "error" in resp and
                    headers.get("content-type") == "application/json"):
                bad.append((method, path, status, str(resp)[:80]))
        s = connect(srv.port)
        try:
            s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (64 << 20))
            rs = parse_responses(read_all(s, 20, until=lambda d: complete(d, 1)))
        finally:
            s.close()
        if not (rs and rs[0][0] == 413 and rs[0][1].get("content-type") == "application/json" and
                json.loads(rs[0][2])["error"]["code"] == "too_large"):
            bad.append(("POST", "/v1/run", "64 MiB announced", rs[:1]))
        return not bad, bad
    check("every error the server shapes is JSON (404, 405, 400, 413)", errors_are_json)

    def every_line_has_client():
        lines = [e for e in srv.log() if "method" in e]
        missing = [e for e in lines if e.get("client") != "127.0.0.1"]
        return lines and not missing, "%d request lines, %d without the client address: %s" % (
            len(lines), len(missing), missing[:2])
    check("every request log line carries the client address", every_line_has_client)


def internal_error_log_check():
    """A run the sandbox cannot start (its image vanished after startup) is
    the server's failure: its request line is at level error, with the cause."""
    images = tempfile.mkdtemp(prefix="judgebox-images-")
    link = os.path.join(images, "default")
    srv = None
    try:
        os.symlink(os.path.join(lib.IMAGES, "default"), link)
        srv = Server("--slots", "1", env={"JUDGEBOX_IMAGES": images})
        os.unlink(link)

        def fn():
            status, _, resp = run_bash(srv, "echo hi")
            verdict = (resp or {}).get("verdict") if isinstance(resp, dict) else None
            time.sleep(0.2)
            lines = [e for e in srv.log() if e.get("path") == "/v1/run"]
            line = lines[-1] if lines else {}
            ok = (verdict == "internal_error" or status == 500) and line.get("level") == "error" and \
                len(line.get("cause", "")) > 5
            return ok, "status %s verdict %s; log line %s" % (status, verdict, line)
        check("an internal_error request is logged at level error with its cause", fn)
    finally:
        if os.path.islink(link):
            os.unlink(link)
        if srv:
            srv.stop()
            srv.cleanup()
        shutil.rmtree(images, ignore_errors=True)


# ------------------------------------------------------------ 11: fairness

def fairness_check():
    srv = Server("--slots", "2", "--queue", "8")
    try:
        def fn():
            done = {}

            def big():
                t = time.time()
                done["big"] = run_bash(srv, "sleep 1", tests=[{}] * 16,
                                       limits={"wall_ms": 20000})
                done["big_at"] = time.time() - t
            tb = threading.Thread(target=big)
            tb.start()
            ok, h = srv.wait_health(lambda h: h["busy"] == 2 and h["runs_waiting"] >= 4, timeout=60)
            t0 = time.time()
            small = run_bash(srv, "echo small")
            small_took = time.time() - t0
            small_before_big = "big" not in done
            tb.join()
            good = (ok and small[0] == 200 and small[2]["runs"][0]["stdout"] == "small\n" and
                    small_before_big and done["big"][0] == 200)
            return good, ("small answered in %.1fs, before the 16-test request: %s (that one took %.1fs)"
                          % (small_took, small_before_big, done.get("big_at", -1)))
        check("queue fairness: a 1-test request is not stuck behind a 16-test one (2 slots)", fn)
    finally:
        srv.stop()
        srv.cleanup()


# ------------------------------------------------------ 4: slow clients

class Trickler:
    """Slow clients: each socket sends one header byte per second from its
    own loopback address, never finishing its headers."""

    def __init__(self, port, sources, per_source):
        self.socks = []
        self.refused = 0
        for src in sources:
            for _ in range(per_source):
                try:
                    s = connect(port, src, timeout=5)
                    s.setblocking(False)
                    self.socks.append(s)
                except OSError:
                    self.refused += 1
        self.closed_by_server = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop)
        self.thread.start()

    def loop(self):
        header = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000
        pos = 0
        while not self.stop.is_set() and pos < len(header):
            for s in list(self.socks):
                try:
                    if s.recv(4096) == b"":
                        raise ConnectionResetError()
                except BlockingIOError:
                    pass
                except OSError:
                    self.socks.remove(s)
                    self.closed_by_server += 1
                    s.close()
                    continue
                try:
                    s.send(header[pos:pos + 1])
                except BlockingIOError:
                    pass
                except OSError:
                    self.socks.remove(s)
                    self.closed_by_server += 1
                    s.close()
            pos += 1
            self.stop.wait(1.0)

    def open(self):
        return len(self.socks)

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


def slow_client_checks():
    srv = server_with({"header_timeout_s": 4, "connection_limit": 64, "per_ip_connection_limit": 16},
                      "--slots", "1", "--queue", "4")
    try:
        def one_address():
            t = Trickler(srv.port, ["127.0.0.2"], 100)
            try:
                # The cap closes the extra ones at once.
                deadline = time.time() + 20
                while time.time() < deadline and t.open() > 16:
                    time.sleep(0.2)
                open_now = t.open()
                t0 = time.time()
                h = srv.request("GET", "/v1/health", timeout=10)
                r = run_bash(srv, "echo served", timeout=30)
                took = time.time() - t0
                ok = (open_now <= 16 and h[0] == 200 and r[0] == 200 and
                      r[2]["runs"][0]["stdout"] == "served\n")
                return ok, ("%d of 100 slow connections from one address stayed open; health %s and a run %s in %.1fs"
                            % (open_now, h[0], r[0], took))
            finally:
                t.close()
        check("slow clients: 100 connections trickling headers from one address hold at most "
              "per_ip_connection_limit; others are served", one_address)

        def many_addresses():
            sources = ["127.0.0.%d" % i for i in range(2, 10)]
            t = Trickler(srv.port, sources, 10)       # 80 > connection_limit 64
            try:
                ok_h = srv.request("GET", "/v1/health", timeout=10)[0] == 200
                status, _, resp = srv.run({"language": "bash", "source": "echo x"}, timeout=30)
                full_answer = (status == 200 or
                               (status == 503 and resp["error"]["code"] == "too_many_connections"))
                # Past header_timeout_s the slow ones are shut down and a run goes through.
                deadline = time.time() + 40
                served = False
                while time.time() < deadline and not served:
                    st, _, r = srv.run({"language": "bash", "source": "echo later"}, timeout=30)
                    served = st == 200 and r["runs"][0]["stdout"] == "later\n"
                    if not served:
                        time.sleep(0.5)
                deadline = time.time() + 20
                while time.time() < deadline and t.open() > 0:
                    time.sleep(0.2)
                reaped = [e for e in srv.log() if e.get("msg") == "closed a slow connection"]
                ok = ok_h and full_answer and served and t.open() == 0 and len(reaped) >= 1
                return ok, ("health while full %s; run while full %s %s; served later %s; %d slow still open; "
                            "%d 'closed a slow connection' lines" % (ok_h, status, str(resp)[:100], served,
                                                                     t.open(), len(reaped)))
            finally:
                t.close()
        check("slow clients from many addresses: health answered while full, the slow ones are "
              "shut down after header_timeout_s, then runs are served", many_addresses)
    finally:
        srv.stop()
        srv.cleanup()


# --------------------------------------------------------- 3: shutdown

def shutdown_under_keepalive(round_no):
    srv = server_with({"drain_timeout_s": 30}, "--slots", "2", "--queue", "16")
    results = []            # (sent_at, status, code)
    refused_connects = []
    lock = threading.Lock()
    stop = threading.Event()

    def hammer(i):
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        n = 0
        while not stop.is_set():
            n += 1
            sent = time.time()
            try:
                if n % 2:
                    conn.request("GET", "/v1/health")
                else:
                    conn.request("POST", "/v1/run", body=json.dumps({"language": "bash", "source": "echo k"}),
                                 headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                code = None
                if resp.status != 200:
                    try:
                        code = json.loads(data)["error"]["code"]
                    except (ValueError, KeyError, TypeError):
                        code = "not-json"
                with lock:
                    results.append((sent, resp.status, code))
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()   # and come back on a new connection, as clients do
            except ConnectionRefusedError:
                with lock:
                    refused_connects.append(time.time())
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                time.sleep(0.05)
        conn.close()

    long_result = {}

    def long_request():
        long_result["r"] = run_bash(srv, "sleep 3; echo long", timeout=120)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    lt = threading.Thread(target=long_request)
    idle = []
    idle_answers = []
    try:
        # Kept-alive connections that sit idle when SIGTERM comes.
        for _ in range(3):
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
            c.request("GET", "/v1/health")
            c.getresponse().read()
            idle.append(c)
        for t in threads:
            t.start()
        lt.start()
        srv.wait_health(lambda h: h["busy"] >= 1, timeout=30)
        deadline = time.time() + 30
        while time.time() < deadline and len(results) < 20:
            time.sleep(0.05)
        t0 = time.time()
        os.kill(srv.pid, signal.SIGTERM)
        deadline = time.time() + 30
        while time.time() < deadline and not any(
                str(e.get("msg", "")).startswith("draining") for e in srv.log()):
            time.sleep(0.02)
        for c in idle:
            try:
                c.request("POST", "/v1/run", body=json.dumps({"language": "bash", "source": "echo i"}),
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                body = r.read()
                idle_answers.append((r.status, json.loads(body)["error"]["code"] if r.status == 503 else body[:60],
                                     r.getheader("Connection", "")))
            except (OSError, http.client.HTTPException, ValueError) as e:
                idle_answers.append(("error", type(e).__name__, ""))
        try:
            code = srv.proc.wait(90)
        except Exception:
            code = "still running after 90 s"
        stopped_after = time.time() - t0
        stop.set()
        for t in threads:
            t.join(60)
        lt.join(60)
    finally:
        stop.set()
        for c in idle:
            c.close()
        srv.stop()
    late_ok = [r for r in results if r[0] > t0 + 1.0 and r[1] == 200]
    refused = [r for r in results if r[1] == 503 and r[2] == "shutting_down"]
    long_ok = long_result.get("r", (None,))[0] == 200 and \
        long_result["r"][2]["runs"][0]["stdout"] == "long\n"
    idle_ok = idle_answers and all(a[0] == 503 and a[1] == "shutting_down" and a[2].lower() == "close"
                                   for a in idle_answers)
    aborted = "Aborted" in open(srv.log_path, errors="replace").read() or code == -signal.SIGABRT
    srv.cleanup()
    ok = code == 0 and not aborted and long_ok and not late_ok and idle_ok and refused_connects
    return ok, ("round %d: exit %s after %.1fs; %d requests, %d admitted >1s after SIGTERM, %d got 503 "
                "shutting_down, %d reconnects refused; idle kept-alive connections got %s; in-flight "
                "request answered: %s" % (round_no, code, stopped_after, len(results), len(late_ok),
                                          len(refused), len(refused_connects), idle_answers, long_ok))


def shutdown_checks():
    for i in range(4):
        check("SIGTERM under keep-alive load: new requests get 503 at once, in-flight ones finish, "
              "exit 0 without abort (round %d of 4)" % (i + 1), lambda i=i: shutdown_under_keepalive(i + 1))

    def drain_bound():
        srv = server_with({"drain_timeout_s": 2}, "--slots", "1")
        try:
            res = {}

            def long_request():
                res["r"] = run_bash(srv, "sleep 40; echo never", limits={"wall_ms": 60000}, timeout=120)
            t = threading.Thread(target=long_request)
            t.start()
            srv.wait_health(lambda h: h["busy"] == 1, timeout=30)
            t0 = time.time()
            os.kill(srv.pid, signal.SIGTERM)
            code = srv.proc.wait(60)
            took = time.time() - t0
            t.join(30)
            status, headers, body = res.get("r", (None, {}, None))
            ok = (code == 0 and took < 30 and status == 503 and
                  body["error"]["code"] == "shutting_down" and headers.get("retry-after"))
            tail = "" if ok else " log tail: " + open(srv.log_path, errors="replace").read()[-600:]
            return ok, "exit %s after %.1fs; the in-flight request got %s %s%s" % (code, took, status, body, tail)
        finally:
            srv.stop()
            srv.cleanup()
    check("SIGTERM with a run longer than drain_timeout_s: cancelled with 503 shutting_down, "
          "exit 0 in bounded time", drain_bound)


# ------------------------------------------- 5, 13: memory amplification, RSS

def proc_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


CONTROL_FLOOD = "import sys\nsys.stdout.write('\\x01' * (16 << 20))\n"


def memory_checks():
    if lib.BINARY.endswith("-san"):
        # ASan's shadow memory and quarantine make RSS figures meaningless.
        print("# memory checks skipped: %s is a sanitizer build" % lib.BINARY, flush=True)
        return
    srv = Server("--slots", "2", "--queue", "16")
    try:
        def amplification():
            run_bash(srv, "echo warm")
            base_hwm = proc_kb(srv.pid, "VmHWM")
            body = {"language": "python3", "source": CONTROL_FLOOD, "tests": [{}, {}],
                    "limits": {"output_bytes": 16 << 20, "wall_ms": 30000}}
            s = connect(srv.port)
            try:
                s.sendall(post(body))
                # Judged and answered, but the client reads nothing yet.
                ok, _ = srv.wait_health(lambda h: h["runs"] >= 3 and h["busy"] == 0, timeout=120)
                time.sleep(0.5)
                rss_unread = proc_kb(srv.pid, "VmRSS")
                status, headers, payload = read_one_response(s, 120)
            finally:
                s.close()
            hwm = proc_kb(srv.pid, "VmHWM")
            resp = json.loads(payload) if status == 200 else {}
            runs = resp.get("runs", [])
            # api_output_budget: 2 streams x (tests x output_bytes + the
            # compile's output_bytes, 1 MiB by default).
            budget = 2 * (2 * (16 << 20) + (1 << 20))
            flagged = len(runs) == 2 and all(r["stdout_truncated"] for r in runs)
            kept = sum(len(r["stdout"]) for r in runs)
            grew_mb = (hwm - base_hwm) / 1024.0
            # Raw output is 32 MiB; escaped as \u0001 it would be 192 MiB and,
            # built whole (tree, text, copies), the server peaked past 300 MiB.
            good = (ok and status == 200 and len(payload) <= budget + 65536 and flagged and
                    kept > 0 and grew_mb < 120)
            return good, ("response %d bytes (budget %d), %d bytes of output kept, truncated flags %s; "
                          "server peak grew %.0f MiB, RSS %.0f MiB while the client read nothing"
                          % (len(payload), budget, kept, flagged, grew_mb, rss_unread / 1024.0))
        check("memory amplification: 32 MiB of control bytes give a response within the output budget, "
              "streamed, and server memory bounded", amplification)

        def rss_falls_back():
            threads = []
            errors = []

            def load(i):
                for _ in range(10):
                    st, _, r = run_bash(srv, "head -c 200000 /dev/zero | tr '\\0' 'x'; echo",
                                        tests=[{}] * 4)
                    if st != 200:
                        errors.append(st)
            for i in range(6):
                threads.append(threading.Thread(target=load, args=(i,)))
                threads[-1].start()
            for t in threads:
                t.join()
            peak = proc_kb(srv.pid, "VmHWM")
            # Idle: the reaper trims the heap within a second or two.
            deadline = time.time() + 30
            rss = proc_kb(srv.pid, "VmRSS")
            while time.time() < deadline and rss > 64 * 1024:
                time.sleep(0.5)
                rss = proc_kb(srv.pid, "VmRSS")
            return (not errors and rss <= 64 * 1024,
                    "60 requests x 4 tests of 200 KB output: peak %.0f MiB, idle RSS %.0f MiB (bound 64 MiB), "
                    "errors %s" % (peak / 1024.0, rss / 1024.0, errors[:3]))
        check("RSS falls back under a generous bound once idle after load", rss_falls_back)
    finally:
        srv.stop()
        reports = srv.sanitizer_reports()
        report("no sanitizer report in the memory server's log", not reports, reports[:5])
        srv.cleanup()


# ---------------------------------------------------------------- main

def main():
    if not os.access(lib.BINARY, os.X_OK):
        report("server faults setup", False, "%s is not built (make all)" % lib.BINARY)
        return 1
    rootfs = os.path.join(lib.IMAGES, "default", "rootfs")
    if not os.path.isdir(rootfs):
        report("server faults setup", False,
               "the default image is missing at %s; build it with `make default-image`" % rootfs)
        return 1
    only = os.environ.get("FAULTS_ONLY", "")
    groups = [("protocol", None), ("internal", internal_error_log_check), ("fairness", fairness_check),
              ("slow", slow_client_checks), ("memory", memory_checks), ("shutdown", shutdown_checks)]
    for name, fn in groups:
        if only and only not in name:
            continue
        if name == "protocol":
            srv = Server("--slots", "1", "--queue", "4")
            try:
                protocol_checks(srv)
            finally:
                srv.stop()
                reports = srv.sanitizer_reports()
                report("no sanitizer report in the protocol server's log", not reports, reports[:5])
                srv.cleanup()
            continue
        try:
            fn()
        except Exception as e:
            report("server faults: %s" % name, False, "%s: %s" % (type(e).__name__, e))
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
