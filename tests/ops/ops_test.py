"""tests/ops/ops_test.py - black-box checks of server/ops against real
`judgebox serve` processes on loopback (tests/server/lib.py starts and stops
them by PID): tokens and scopes (401/403 JSON, WWW-Authenticate, open
endpoints, the loopback rule), quotas (429 with Retry-After and RateLimit-*
for concurrency, runs per second and CPU seconds per minute, per token and
per client address), /metrics (promtool check metrics, counters that follow
what was sent), and the OpenAPI document (served bytes = the file, every
route of server/http/routes.c described, swagger-parser, and every response
this script and the server suite captured valid against its schemas).
Prints "PASS name" / "FAIL name: why"."""

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import lib  # noqa: E402
from lib import Server, check, report  # noqa: E402

ROOT = lib.ROOT
OPS = os.path.join(ROOT, "tests", "ops")
DOC = os.path.join(ROOT, "server", "ops", "openapi.json")

RUNNER = "runner-token-0123456789abcdef"
READER = "reader-token-0123456789abcdef"
PROM = "metrics-token-0123456789abcde"
CONC = "concurrent-token-0123456789ab"
RATE = "rate-token-0123456789abcdefgh"
CPU = "cpu-token-0123456789abcdefghi"
TOKENS = """# judgebox tokens for the ops suite
%s ci run
%s dashboard read
%s prometheus metrics
%s conc run concurrent=1
%s rate run runs_per_second=0.5
%s cpu run cpu_seconds_per_minute=1
""" % (RUNNER, READER, PROM, CONC, RATE, CPU)

BASH_ECHO = {"language": "bash", "source": "echo hi", "expected_output": "hi\n"}
# Spins until the CPU limit; the wall limit is the most allowed, so a busy
# machine (other suites, load 20+) still ends it by CPU, not by wall time.
C_SPIN = {"language": "python3", "source": "while True:\n    pass\n",
          "limits": {"cpu_ms": 1500, "wall_ms": 60000}}


def bearer(token):
    return {"Authorization": "Bearer " + token}


def token_file(tmp, text, mode=0o600):
    path = os.path.join(tmp, "tokens-%d" % len(os.listdir(tmp)))
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def err_code(body):
    return (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None


# ---------------------------------------------------------------- startup

def run_startup_failure(args):
    """lib's, without the warning log lines that precede a refusal (the
    sanitizer build warns about mallopt)."""
    code, lines = lib.run_startup_failure(args)
    return code, [l for l in lines if not l.startswith("{")]


def startup_checks(tmp):
    code, lines = run_startup_failure(["--listen", "0.0.0.0:0"])
    check("auth: no tokens on a non-loopback address is refused",
          lambda: (code == 1 and len(lines) == 1 and "not a loopback address" in lines[0], lines))
    # 192.0.2.1 (TEST-NET-1) is never on this machine: the bind fails, so
    # nothing listens, but the auth rule must have let it through first.
    code, lines = run_startup_failure(["--listen", "192.0.2.1:0", "--insecure-no-auth"])
    check("auth: --insecure-no-auth lifts the loopback rule",
          lambda: (code == 1 and lines and "loopback" not in lines[0] and "192.0.2.1" in lines[0], lines))
    loose = token_file(tmp, TOKENS, 0o644)
    code, lines = run_startup_failure(["--auth-token-file", loose])
    check("auth: a token file others can read is refused",
          lambda: (code == 1 and "chmod" in " ".join(lines), lines))
    bad = token_file(tmp, "%s ci run\nshort x run\n" % RUNNER)
    code, lines = run_startup_failure(["--auth-token-file", bad])
    check("auth: a bad token line is one error naming FILE:LINE",
          lambda: (code == 1 and len(lines) == 1 and (bad + ":2:") in lines[0], lines))
    code, lines = run_startup_failure(["--auth-open", "health,everything"])
    check("auth: an unknown --auth-open name is refused",
          lambda: (code == 2 and "--auth-open" in " ".join(lines), lines))
    code, lines = run_startup_failure(["--quota-runs-per-second", "fast"])
    check("quota: a bad quota value is refused",
          lambda: (code == 2 and "--quota-runs-per-second" in " ".join(lines), lines))


# ---------------------------------------------------------------- auth

def auth_checks(srv):
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO)
    check("auth: no token -> 401 JSON with WWW-Authenticate",
          lambda: (st == 401 and err_code(body) == "unauthorized" and "message" in body["error"]
                   and h.get("www-authenticate", "").startswith("Bearer realm="), (st, h, body)))
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO, bearer(RUNNER + "x"))
    check("auth: a wrong token -> 401 invalid_token",
          lambda: (st == 401 and 'error="invalid_token"' in h.get("www-authenticate", ""), (st, h)))
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO, {"Authorization": "Basic Y2k6cGFzcw=="})
    check("auth: a Basic credential -> 401", lambda: (st == 401, (st, body)))
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO, bearer(READER))
    check("auth: a token without the run scope -> 403 JSON",
          lambda: (st == 403 and err_code(body) == "forbidden" and "'run'" in body["error"]["message"]
                   and 'insufficient_scope' in h.get("www-authenticate", ""), (st, h, body)))
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO, bearer(RUNNER))
    check("auth: Authorization: Bearer with the run scope -> judged",
          lambda: (st == 200 and body.get("verdict") == "accepted", (st, body)))
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO, {"X-Auth-Token": RUNNER})
    check("auth: X-Auth-Token -> judged", lambda: (st == 200 and body.get("verdict") == "accepted", (st, body)))
    st, h, body = srv.request("GET", "/v1/languages", None, bearer(READER))
    check("auth: read scope lists languages", lambda: (st == 200 and isinstance(body, list), st))
    st, h, body = srv.request("GET", "/v1/languages")
    check("auth: languages need a token", lambda: (st == 401, st))
    st, h, body = srv.request("GET", "/v1/health")
    check("auth: health is open by default", lambda: (st == 200 and body.get("status") == "ok", (st, body)))
    st, h, body = srv.request("GET", "/metrics")
    check("auth: metrics need a token by default", lambda: (st == 401, st))
    st, h, body = srv.request("GET", "/metrics", None, bearer(RUNNER))
    check("auth: metrics need the metrics scope", lambda: (st == 403, st))
    st, h, body = srv.request("GET", "/metrics", None, bearer(PROM))
    check("auth: the metrics scope scrapes", lambda: (st == 200 and h.get("content-type", "").startswith("text/plain"), (st, h)))
    st, h, body = srv.request("GET", "/v1/nowhere")
    check("auth: an unknown path without a token -> 401 (paths are not disclosed)", lambda: (st == 401, st))
    # A refused request's body is discarded, not judged or buffered.
    big = json.dumps({"language": "bash", "source": "#" + "x" * (1 << 20)})
    st, h, body = srv.request("POST", "/v1/run", big)
    check("auth: a 1 MiB body without a token -> 401", lambda: (st == 401, (st, body)))
    log = srv.log()
    check("auth: the log names the token, never its text",
          lambda: (any(e.get("token") == "ci" for e in log) and
                   not any(RUNNER in json.dumps(e) for e in log), "token field missing or secret logged"))


def auth_open_checks(tmp, tokens):
    srv = Server("--auth-token-file", tokens, "--auth-open", "metrics,openapi", "--slots", "1")
    try:
        st, _, _ = srv.request("GET", "/v1/health")
        check("auth-open: health closed when not listed -> 401", lambda: (st == 401, st))
        st, _, _ = srv.request("GET", "/v1/health", None, bearer(READER))
        check("auth-open: health with a read token", lambda: (st == 200, st))
        st, _, _ = srv.request("GET", "/metrics")
        check("auth-open: metrics open", lambda: (st == 200, st))
        st, _, _ = srv.request("GET", "/v1/openapi.json")
        check("auth-open: openapi open", lambda: (st == 200, st))
    finally:
        srv.cleanup()


# ---------------------------------------------------------------- quotas

def quota_checks(srv):
    # concurrent=1: a second request while the first runs is refused.
    slow = {"language": "bash", "source": "sleep 2; echo done", "limits": {"wall_ms": 10000}}
    first = {}

    def run_slow():
        first["r"] = srv.request("POST", "/v1/run", slow, bearer(CONC))

    t = threading.Thread(target=run_slow)
    t.start()
    ok, _ = srv.wait_health(lambda h: h.get("busy", 0) >= 1, 30)
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO, bearer(CONC))
    t.join()
    check("quota: concurrent=1 refuses a second request in flight with 429",
          lambda: (ok and st == 429 and err_code(body) == "rate_limited" and "concurrent" in body["error"]["message"]
                   and h.get("retry-after") == "1", (ok, st, h, body)))
    check("quota: the first request was judged", lambda: (first.get("r", (0,))[0] == 200, first.get("r")))
    st, h, body = srv.request("POST", "/v1/run", BASH_ECHO, bearer(CONC))
    check("quota: after it ends, the next one is judged", lambda: (st == 200, (st, body)))

    # runs_per_second=0.5: a bucket of one run refilling every 2 s.
    st1, h1, _ = srv.request("POST", "/v1/run", BASH_ECHO, bearer(RATE))
    st2, h2, b2 = srv.request("POST", "/v1/run", BASH_ECHO, bearer(RATE))
    check("quota: runs_per_second: the first is judged with RateLimit-* headers",
          lambda: (st1 == 200 and h1.get("ratelimit-limit") == "1" and h1.get("ratelimit-remaining") == "0"
                   and h1.get("ratelimit-policy") == "1;w=1" and "ratelimit-reset" in h1, (st1, h1)))
    retry = int(h2.get("retry-after", "0") or 0)
    check("quota: runs_per_second: the second at once -> 429, Retry-After 1..2",
          lambda: (st2 == 429 and 1 <= retry <= 2 and "per second" in b2["error"]["message"]
                   and h2.get("ratelimit-remaining") == "0", (st2, h2, b2)))
    time.sleep(retry)   # the server said when: honour it, then it must accept
    st3, h3, b3 = srv.request("POST", "/v1/run", BASH_ECHO, bearer(RATE))
    check("quota: runs_per_second: after Retry-After the request is judged", lambda: (st3 == 200, (st3, b3)))
    st, _, _ = srv.request("POST", "/v1/run", BASH_ECHO, bearer(RUNNER))
    check("quota: another token is not limited by this one's quota", lambda: (st == 200, st))

    # cpu_seconds_per_minute=1: one 1.5 s CPU run puts the token in debt.
    st1, h1, b1 = srv.request("POST", "/v1/run", C_SPIN, bearer(CPU))
    cpu_used = (b1.get("runs") or [{}])[0].get("cpu_ms", 0) + ((b1.get("compile") or {}).get("cpu_ms", 0)) if st1 == 200 else 0
    st2, h2, b2 = srv.request("POST", "/v1/run", BASH_ECHO, bearer(CPU))
    retry = int(h2.get("retry-after", "0") or 0)
    # debt = used - 1 s, repaid at 1/60 s per second
    want = max(1, (cpu_used / 1000.0 - 1.0) * 60)
    check("quota: cpu_seconds_per_minute: a run over the budget, then 429 until the debt is repaid",
          lambda: (st1 == 200 and st2 == 429 and "CPU seconds" in b2["error"]["message"]
                   and abs(retry - want) <= 10, (st1, cpu_used, st2, retry, want, b2)))


def quota_by_address_checks():
    srv = Server("--quota-runs-per-second", "0.2", "--slots", "1")
    try:
        st1, h1, _ = srv.request("POST", "/v1/run", BASH_ECHO)
        st2, h2, b2 = srv.request("POST", "/v1/run", BASH_ECHO)
        st3, _, _ = srv.request("GET", "/v1/languages")
        check("quota: without tokens the client address is the key -> 429",
              lambda: (st1 == 200 and st2 == 429 and "127.0.0.1" in b2["error"]["message"]
                       and 4 <= int(h2.get("retry-after", 0)) <= 5, (st1, st2, h2, b2)))
        check("quota: reads are not charged", lambda: (st3 == 200, st3))
    finally:
        srv.cleanup()


# ---------------------------------------------------------------- metrics

def scrape(srv):
    st, h, body = srv.request("GET", "/metrics", None, bearer(PROM))
    text = body if isinstance(body, str) else (body.decode() if isinstance(body, bytes) else json.dumps(body))
    return st, text


def metric(text, name, labels=None):
    """The value of one sample, or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in (labels or {}).items()):
            return float(m.group(3))
    return None


def metrics_checks(srv, tmp):
    st, before = scrape(srv)
    sent = [
        ({"language": "c", "source": "int main(void){return 0;}\n", "expected_output": "x"}, "wrong_answer"),
        ({"language": "c", "source": "int main(void){ return x; }\n"}, "compile_error"),
        (C_SPIN, "time_limit"),
        ({"language": "python3", "source": "print(2)", "expected_output": "2\n"}, "accepted"),
    ]
    verdicts = []
    c_id = "c"      # "c" may be an alias: the metrics name the language's own id
    for body, want in sent:
        s, _, b = srv.request("POST", "/v1/run", body, bearer(RUNNER))
        verdicts.append((s, (b or {}).get("verdict") if isinstance(b, dict) else None, want))
        if body["language"] == "c" and isinstance(b, dict):
            c_id = (b.get("language") or {}).get("id", c_id)
    st, text = scrape(srv)
    path = os.path.join(tmp, "metrics.txt")
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run(["promtool", "check", "metrics"], stdin=open(path), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    check("metrics: promtool check metrics accepts the exposition (no lint problems)",
          lambda: (st == 200 and p.returncode == 0 and not p.stdout.strip(), p.stdout.decode()[:300]))
    check("metrics: the requests had the verdicts the checks below count",
          lambda: (all(s == 200 and v == w for s, v, w in verdicts), verdicts))

    def grew(name, labels, by=1):
        a = metric(before, name, labels) or 0
        b = metric(text, name, labels)
        return b is not None and b - a >= by, "%s%s: %s -> %s" % (name, labels, a, b)

    check("metrics: verdicts by language", lambda: grew("judgebox_verdicts_total", {"language": c_id, "verdict": "wrong_answer"}))
    check("metrics: compile errors by language", lambda: grew("judgebox_verdicts_total", {"language": c_id, "verdict": "compile_error"}))
    check("metrics: python3 accepted", lambda: grew("judgebox_verdicts_total", {"language": "python3", "verdict": "accepted"}))
    check("metrics: runs ended by the CPU limit", lambda: grew("judgebox_sandbox_runs_total", {"stage": "run", "status": "time_limit"}))
    check("metrics: compiles counted", lambda: grew("judgebox_sandbox_runs_total", {"stage": "compile", "status": "ok"}))
    check("metrics: a failed compile counted by how it ended",
          lambda: grew("judgebox_sandbox_runs_total", {"stage": "compile", "status": "runtime_error"}))
    check("metrics: requests by endpoint and status",
          lambda: grew("judgebox_http_requests_total", {"method": "POST", "endpoint": "/v1/run", "code": "200"}, 4))
    check("metrics: the refused requests are there too",
          lambda: (metric(text, "judgebox_http_requests_total", {"endpoint": "/v1/run", "code": "401"}) or 0) >= 1)
    for h in ("judgebox_queue_wait_seconds", "judgebox_compile_duration_seconds", "judgebox_run_wall_seconds",
              "judgebox_run_cpu_seconds", "judgebox_sandbox_setup_seconds"):
        check("metrics: histogram %s observed" % h, lambda h=h: grew(h + "_count", None))
    check("metrics: the CPU-limited run is in the top CPU buckets",
          lambda: ((metric(text, "judgebox_run_cpu_seconds_bucket", {"le": "2.5"}) or 0) -
                   (metric(text, "judgebox_run_cpu_seconds_bucket", {"le": "1"}) or 0) >= 1, "no run between 1 and 2.5 s of CPU"))
    check("metrics: slots gauge = --slots", lambda: (metric(text, "judgebox_slots") == 2, metric(text, "judgebox_slots")))
    check("metrics: queue depth and busy slots present",
          lambda: metric(text, "judgebox_queue_depth") is not None and metric(text, "judgebox_slots_busy") is not None)
    check("metrics: internal errors counted (none here)",
          lambda: (metric(text, "judgebox_internal_errors_total", {"where": "judge"}) == 0, "judge errors != 0"))
    check("metrics: quota and auth refusals counted",
          lambda: ((metric(text, "judgebox_quota_refusals_total", {"quota": "concurrent"}) or 0) >= 1 and
                   (metric(text, "judgebox_auth_refusals_total", {"code": "403"}) or 0) >= 1, "refusal counters"))
    # A busy server shows it: 2 slots held by sleepers, then the gauge.  Three
    # tokens: the queue gives each client one turn at a time.  The sleep is long
    # enough that on a busy machine the third request is queued while the first
    # two still sleep (2 s was not: their set-up skew ate the window).
    answers = {}

    def sleeper(tok):
        answers[tok[:4]] = srv.request("POST", "/v1/run", {"language": "bash", "source": "sleep 6",
                                                          "limits": {"wall_ms": 30000}}, bearer(tok))[0]
    sleepers = [threading.Thread(target=sleeper, args=(tok,)) for tok in (RUNNER, CONC, RATE)]
    for t in sleepers:
        t.start()
    seen = {"max_busy": 0, "max_queued": 0, "max_waiting": 0}

    def busy_seen():
        _, t = scrape(srv)
        busy, queued = metric(t, "judgebox_slots_busy"), metric(t, "judgebox_queue_depth")
        waiting = metric(t, "judgebox_runs_waiting")
        seen["max_busy"] = max(seen["max_busy"], busy or 0)
        seen["max_queued"] = max(seen["max_queued"], queued or 0)
        seen["max_waiting"] = max(seen["max_waiting"], waiting or 0)
        # The third request waits either as a request (queue_depth) or, once a
        # judge thread took it, as a run submitted to the busy slots (runs_waiting).
        return busy == 2 and (queued or 0) + (waiting or 0) >= 1

    deadline, ok = time.time() + 20, False
    while time.time() < deadline and not ok:
        ok = busy_seen()
        time.sleep(0.05)
    for t in sleepers:
        t.join()
    seen["answers"] = answers
    check("metrics: slots_busy, queue_depth and runs_waiting follow the load (2 busy, 1 waiting)", lambda: (ok, seen))


# ---------------------------------------------------------------- openapi

def routes_in_table():
    text = open(os.path.join(ROOT, "server", "http", "routes.c")).read()
    return re.findall(r'\{\s*"([A-Z*]+)"\s*,\s*"([^"]+)"\s*,', text)


def openapi_checks(srv, tmp):
    st, h, body = srv.request("GET", "/v1/openapi.json", None, bearer(READER))
    served = os.path.join(tmp, "served-openapi.json")
    with open(served, "w") as f:
        json.dump(body, f)
    file_doc = json.load(open(DOC))
    check("openapi: GET /v1/openapi.json serves server/ops/openapi.json",
          lambda: (st == 200 and body == file_doc, st))
    st2, _, _ = srv.request("GET", "/v1/openapi.json")
    check("openapi: needs the read scope unless --auth-open openapi", lambda: (st2 == 401, st2))
    paths = file_doc.get("paths", {})
    missing = []
    for method, pattern in routes_in_table():
        if pattern.endswith("/*"):
            prefix = pattern[:-2]
            ok = any(p == prefix or p.startswith(prefix + "/") for p in paths)
        else:
            item = paths.get(pattern, {})
            ok = method == "*" and bool(item) or method.lower() in item
        if not ok:
            missing.append("%s %s" % (method, pattern))
    check("openapi: every route in server/http/routes.c is described", lambda: (not missing, missing))
    for script, what in (("validate-openapi.mjs", "served document"),):
        p = subprocess.run(["node", os.path.join(OPS, script), served, "openapi (%s)" % what],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = p.stdout.decode(errors="replace").strip()
        print(out if out else "FAIL openapi: %s printed nothing (exit %d)" % (script, p.returncode), flush=True)
        if p.returncode != 0 and "FAIL" not in out:
            report("openapi: %s" % script, False, "exit %d" % p.returncode)


def validate_captures(tag, path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        report(tag, False, "no captured responses at %s (tests/suites/30-server.sh writes them; "
                           "make test runs it before this suite)" % path)
        return
    p = subprocess.run(["node", os.path.join(OPS, "validate-responses.mjs"), DOC, path, tag],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    out = p.stdout.decode(errors="replace").strip()
    print(out, flush=True)
    if p.returncode != 0 and "FAIL" not in out:
        report(tag, False, "validator exit %d" % p.returncode)


def main():
    if not os.path.isdir(os.path.join(OPS, "node_modules")):
        report("ops: npm validators installed", False, "tests/ops/node_modules is missing (make test-prereqs runs npm ci)")
    tmp = tempfile.mkdtemp(prefix="judgebox-ops-")
    startup_checks(tmp)
    tokens = token_file(tmp, TOKENS)
    srv = Server("--auth-token-file", tokens, "--slots", "2", "--queue", "8")
    try:
        auth_checks(srv)
        quota_checks(srv)
        metrics_checks(srv, tmp)
        openapi_checks(srv, tmp)
        check("ops: no sanitizer report from the server", lambda: (not srv.sanitizer_reports(), srv.sanitizer_reports()[:3]))
    finally:
        code = srv.stop()
        report("ops: the server stops cleanly on SIGTERM", code == 0, "exit %s" % code)
        srv.cleanup()
    auth_open_checks(tmp, tokens)
    quota_by_address_checks()
    validate_captures("openapi: this suite's responses", lib.CAPTURE)
    validate_captures("openapi: the server suite's responses",
                      os.path.join(ROOT, lib.BUILD, "captures", "server-suite.jsonl"))
    subprocess.run(["rm", "-rf", tmp])
    return 0 if lib.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
