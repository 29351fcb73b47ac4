"""tests/server/suite.py - black-box tests of `judgebox serve` against real
servers on loopback, judging real programs in the default image (c, cpp,
python3, bash).  Prints "PASS name" / "FAIL name: why" per check; a missing
binary or image is a FAIL, never a skip.

Servers: `main` (2 slots) for endpoints, statuses, checkers, errors, the
log and the 50 concurrent requests; `tight` (1 slot, queue 1) for the full
queue, slow clients and a client that disconnects mid-run; a few servers
that must refuse to start."""

import base64
import concurrent.futures
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Server, check, report  # noqa: E402

NEEDED = ["c", "cpp", "python3", "bash"]
# name (id or alias) -> language id, from GET /v1/languages at setup: "c" is
# an alias of c17 and "cpp" of cpp17 (docs/languages.md)
CANON = {}

C_SUM = '#include <stdio.h>\nint main(void){long a,b;if(scanf("%ld %ld",&a,&b)!=2)return 1;printf("%ld\\n",a+b);return 0;}\n'
C_STATE = r'''#include <stdio.h>
int main(void) {
    FILE *f = fopen("state", "r");
    if (f) { puts("seen"); return 0; }
    f = fopen("state", "w");
    if (!f) { puts("cannot write /box"); return 1; }
    fputs("x", f); fclose(f);
    FILE *g = fopen("/tmp/state", "r");
    if (g) { puts("tmp seen"); return 0; }
    g = fopen("/tmp/state", "w");
    if (g) fclose(g);
    FILE *m = fopen("main", "r");
    if (!m) { puts("no binary"); return 1; }
    fclose(m);
    puts("fresh");
    return 0;
}
'''
C_EXIT3 = "int main(void){return 3;}\n"
C_SEGV = '#include <stdlib.h>\nint main(void){int *p=(int*)(long)atoi("0");*p=1;return 0;}\n'
C_SPIN = "int main(void){volatile unsigned long x=0;for(;;)x++;}\n"
C_SLEEP = "#include <unistd.h>\nint main(void){sleep(10);return 0;}\n"
C_MEM = ("#include <stdlib.h>\n#include <string.h>\n"
         "int main(void){for(int i=0;i<64;i++){char*p=malloc(16<<20);if(!p)return 2;memset(p,1,16<<20);}return 0;}\n")
C_OUTPUT = '#include <stdio.h>\nint main(void){for(;;)fputs("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\\n",stdout);}\n'
C_MOUNT = '#include <sys/mount.h>\nint main(void){mount("none","/tmp","tmpfs",0,0);return 0;}\n'
C_BROKEN = "int main(void){ return x; }\n"
CPP_SQ = '#include <iostream>\nint main(){long n;std::cin>>n;std::cout<<n*n+1<<"\\n";}\n'
C_SQ = '#include <stdio.h>\nint main(void){long n;if(scanf("%ld",&n)!=1)return 1;printf("%ld\\n",n*n+1);return 0;}\n'
PY_SQ = "n = int(input())\nprint(n * n + 1)\n"
BASH_SQ = 'read n\necho $((n * n + 1))\n'
SQ = {"c": C_SQ, "cpp": CPP_SQ, "python3": PY_SQ, "bash": BASH_SQ}


def run1(srv, language, source, limits=None, **extra):
    body = {"language": language, "source": source}
    if limits:
        body["limits"] = limits
    body.update(extra)
    status, headers, resp = srv.run(body)
    if status != 200:
        raise AssertionError("HTTP %s: %s" % (status, resp))
    return resp


def error_of(resp):
    return (resp or {}).get("error", {}) if isinstance(resp, dict) else {}


# ---------------------------------------------------------------- startup

def startup_checks():
    def one_line(args, expect, env=None):
        rc, lines = lib.run_startup_failure(args, env)
        ok = rc != 0 and len(lines) == 1 and expect in lines[0]
        return ok, "exit %s, stderr %r" % (rc, lines)

    check("startup: missing images directory is one line, non-zero exit",
          lambda: one_line(["--langs", lib.LANGS, "--images", "/nonexistent/images"], "/nonexistent/images"))
    with tempfile.TemporaryDirectory() as empty:
        check("startup: no image for any language is one line",
              lambda: one_line(["--langs", lib.LANGS, "--images", empty], "image"))
    with tempfile.TemporaryDirectory() as langs:
        with open(os.path.join(langs, "broken.json"), "w") as f:
            f.write('{"id": "broken", "name": 5}')
        check("startup: an unloadable language file is one line naming it",
              lambda: one_line(["--langs", langs], "broken.json"))
    check("startup: a bad --listen is one line",
          lambda: one_line(["--langs", lib.LANGS, "--listen", "no-port-here"], "HOST:PORT"))
    with tempfile.NamedTemporaryFile("w", suffix=".json") as cfg:
        cfg.write('{"limits": {"max": {"cpu_ms": 5}}}')
        cfg.flush()
        check("startup: an inconsistent config file is one line",
              lambda: one_line(["--langs", lib.LANGS, "--config", cfg.name], "cpu_ms"))


# ---------------------------------------------------------------- endpoints

def endpoint_checks(srv):
    def health():
        status, h, b = srv.request("GET", "/v1/health")
        ok = (status == 200 and b.get("status") == "ok" and b.get("slots") == 2 and
              "busy" in b and "queued" in b and b.get("cgroup_version") in (1, 2) and
              h.get("content-type") == "application/json")
        return ok, "%s %s" % (status, b)
    check("GET /v1/health: status, slots, busy, queued, cgroup version", health)

    def languages():
        status, _, b = srv.request("GET", "/v1/languages")
        byid = {n: l for l in b for n in [l["id"]] + l.get("aliases", [])} if status == 200 else {}
        missing = [l for l in NEEDED if l not in byid]
        if missing:
            return False, "languages missing (is the default image built? make default-image): %s" % missing
        ok = (byid["c"]["compiled"] is True and byid["python3"]["compiled"] is False and
              byid["cpp"]["source_file"] == "main.cpp" and
              all(byid[l]["version"] not in ("", "unknown") for l in NEEDED) and
              all(set(x) >= {"id", "name", "version", "compiled", "source_file"} for x in b))
        return ok, json.dumps(b)[:300]
    check("GET /v1/languages: id, name, version from the image, compiled, source_file", languages)

    def limits():
        status, _, b = srv.request("GET", "/v1/limits")
        ok = status == 200
        for key in ("limits", "compile_limits"):
            for f in ("cpu_ms", "wall_ms", "memory_kb", "pids", "output_bytes", "disk_kb"):
                e = b.get(key, {}).get(f, {})
                ok = ok and e.get("min", 0) <= e.get("default", -1) <= e.get("max", -2)
        ok = ok and b["request"]["max_body_bytes"] == 4 << 20 and b["request"]["max_tests"] >= 1
        return ok, json.dumps(b)[:300]
    check("GET /v1/limits: default, min and max of every limit", limits)

    def head():
        status, h, b = srv.request("HEAD", "/v1/health")
        return status == 200 and b is None, "%s %r" % (status, b)
    check("HEAD /v1/health answers without a body", head)


# ---------------------------------------------------------------- judging

def judging_checks(srv):
    def hello():
        r = run1(srv, "python3", "print('hello')")
        run = r["runs"][0]
        # the compile step of an interpreted language is its syntax check
        ok = ((r["compile"] is None or r["compile"]["status"] == "ok") and r["verdict"] == "ok" and run["status"] == "ok" and
              run["stdout"] == "hello\n" and run["exit_code"] == 0 and "verdict" not in run and
              r["language"]["id"] == "python3" and r["language"]["version"] not in ("", "unknown") and
              isinstance(run["cpu_ms"], int) and isinstance(run["memory_kb"], int) and r["id"])
        return ok, json.dumps(r)[:400]
    check("run: interpreted program, no tests, compile null or a syntax check, verdict ok", hello)

    def compile_once():
        before = srv.health()["runs"]
        r = run1(srv, "c", C_STATE, tests=[{"id": "a"}, {"id": "b"}, {"id": "c"}])
        after = srv.health()["runs"]
        outs = [x["stdout"] for x in r["runs"]]
        ok = (r["compile"]["status"] == "ok" and outs == ["fresh\n"] * 3 and after - before == 4 and
              [x["id"] for x in r["runs"]] == ["a", "b", "c"])
        return ok, "runs %d, outputs %s" % (after - before, outs)
    check("run: compile once, every test starts from the same post-compile state", compile_once)

    def spread():
        src = "import time\ntime.sleep(1)\nprint('done')\n"
        t0 = time.time()
        r = run1(srv, "python3", src, tests=[{}, {}])
        took = time.time() - t0
        total = sum(x["wall_ms"] for x in r["runs"])
        return took < 1.8 and total >= 1900, "took %.2fs for %d ms of runs" % (took, total)
    check("run: tests of one request spread over free slots", spread)

    def compile_error():
        r = run1(srv, "c", C_BROKEN, tests=[{"expected_output": "1"}])
        ok = (r["verdict"] == "compile_error" and r["compile"]["status"] == "compile_error" and
              "error" in r["compile"]["stderr"] and r["runs"] == [])
        return ok, json.dumps(r)[:400]
    check("status compile_error: compiler messages, no runs", compile_error)

    def status_case(name, language, source, limits, want, extra_check=None):
        def fn():
            r = run1(srv, language, source, limits)
            run = r["runs"][0]
            ok = run["status"] == want and r["verdict"] == want
            if ok and extra_check:
                ok = extra_check(run)
            return ok, json.dumps(r)[:500]
        check("status %s: %s" % (want, name), fn)

    status_case("exit 0", "c", C_EXIT3.replace("3", "0"), None, "ok", lambda r: r["exit_code"] == 0)
    status_case("exit 3", "c", C_EXIT3, None, "runtime_error",
                lambda r: r["exit_code"] == 3 and r["signal"] is None)
    status_case("segfault", "c", C_SEGV, None, "runtime_error",
                lambda r: r["signal"] == "SIGSEGV" and r["exit_code"] is None)
    status_case("busy loop", "c", C_SPIN, {"cpu_ms": 300}, "time_limit",
                lambda r: r["cpu_ms"] >= 250)
    status_case("sleep", "c", C_SLEEP, {"wall_ms": 500}, "wall_time_limit",
                lambda r: r["wall_ms"] >= 450 and r["cpu_ms"] < 300)
    status_case("1 GiB of malloc", "c", C_MEM, {"memory_kb": 65536}, "memory_limit")
    status_case("endless output", "c", C_OUTPUT, {"output_bytes": 1000}, "output_limit",
                lambda r: r["stdout_truncated"] is True and len(r["stdout"]) <= 1000)
    status_case("mount(2)", "c", C_MOUNT, None, "forbidden_syscall",
                lambda r: r["syscall"] == "mount")

    def verdicts():
        tests = [{"id": "1", "stdin": "1 2\n", "expected_output": "3\n"},
                 {"id": "2", "stdin": "2 2\n", "expected_output": "5\n"},
                 {"id": "3", "stdin": "x\n", "expected_output": "0\n"},
                 {"id": "4", "stdin": "5 5\n"}]
        r = run1(srv, "c", C_SUM, tests=tests)
        v = [x.get("verdict") for x in r["runs"]]
        ok = (v == ["accepted", "wrong_answer", "runtime_error", None] and r["verdict"] == "wrong_answer"
              and "expected '5', got '4'" in r["runs"][1].get("checker_message", ""))
        return ok, "verdicts %s, top %s" % (v, r["verdict"])
    check("verdicts: accepted, wrong_answer, a failing status, none without expected output; first failure is the verdict", verdicts)

    def all_accepted():
        r = run1(srv, "c", C_SUM, tests=[{"stdin": "1 1", "expected_output": "2"},
                                          {"stdin": "-1 1", "expected_output": "0"}])
        return r["verdict"] == "accepted", r["verdict"]
    check("verdicts: all tests accepted gives accepted", all_accepted)

    def tle_verdict():
        r = run1(srv, "c", C_SPIN, {"cpu_ms": 200}, tests=[{"expected_output": "x"}])
        return r["runs"][0]["verdict"] == "time_limit" and r["verdict"] == "time_limit", json.dumps(r)[:300]
    check("verdicts: a run that hit a limit has the limit as its verdict", tle_verdict)


def checker_checks(srv):
    def judge(source, expected, checker, language="python3"):
        body = {"tests": [{"expected_output": expected}]}
        if checker is not None:
            body["checker"] = checker
        r = run1(srv, language, source, **body)
        return r["runs"][0]["verdict"]

    def case(name, source, expected, checker, want):
        check("checker %s" % name, lambda: (lambda v: (v == want, "got %s" % v))(judge(source, expected, checker)))

    p_trailing = "print('1 2  ')\nprint('3')\nprint()\nprint()\n"
    case("lines (default): trailing spaces and blank lines ignored", p_trailing, "1 2\n3", None, "accepted")
    case("lines: a changed line is wrong", p_trailing, "1 2\n4", {"type": "lines"}, "wrong_answer")
    case("lines: split tokens differently is wrong", "print('1 2 3')", "1 2\n3", {"type": "lines"}, "wrong_answer")
    case("exact: missing newline is wrong", "import sys\nsys.stdout.write('3')", "3\n", {"type": "exact"}, "wrong_answer")
    case("exact: same bytes accepted", "print(3)", "3\n", {"type": "exact"}, "accepted")
    case("tokens: whitespace-insensitive", "print('1   2')\nprint('3')", "1 2 3", {"type": "tokens"}, "accepted")
    case("tokens: different token is wrong", "print('1 2 4')", "1 2 3", {"type": "tokens"}, "wrong_answer")
    case("float abs: within", "print(0.3333)", "0.33333333", {"type": "float", "abs": 1e-3}, "accepted")
    case("float abs: outside", "print(0.3333)", "0.33333333", {"type": "float", "abs": 1e-6}, "wrong_answer")
    case("float rel: within", "print(1000.5)", "1000", {"type": "float", "rel": 1e-3}, "accepted")
    case("float rel: outside", "print(1000.5)", "1000", {"type": "float", "rel": 1e-5}, "wrong_answer")


def encoding_checks(srv):
    def non_utf8():
        src = "import sys\nsys.stdout.buffer.write(b'\\xff\\xfeA\\x00B')\nsys.stderr.buffer.write(b'ok')\n"
        r = run1(srv, "python3", src)
        run = r["runs"][0]
        ok = (base64.b64decode(run.get("stdout_b64", "")) == b"\xff\xfeA\x00B" and
              run["stdout"] == "\ufffd\ufffdA\x00B" and "stderr_b64" not in run and run["stderr"] == "ok")
        return ok, json.dumps(run)[:300]
    check("output that is not UTF-8 round-trips through stdout_b64", non_utf8)

    def binary_stdin():
        data = bytes(range(256))
        src = "import sys\nsys.stdout.buffer.write(sys.stdin.buffer.read())\n"
        r = run1(srv, "python3", src, stdin_b64=base64.b64encode(data).decode())
        run = r["runs"][0]
        return base64.b64decode(run.get("stdout_b64", "")) == data, json.dumps(run)[:200]
    check("stdin_b64 with every byte value reaches the program exactly", binary_stdin)

    def nul_stdin():
        r = run1(srv, "bash", "cat", stdin="a\u0000b\u00e9")
        run = r["runs"][0]
        return run["stdout"] == "a\u0000b\u00e9" and "stdout_b64" not in run, json.dumps(run)
    check("stdin with NUL and UTF-8 comes back as a JSON string", nul_stdin)

    def files():
        header = base64.b64encode(b"static int add(int a, int b) { return a + b; }\n").decode()
        body = {"language": "c",
                "files": [{"name": "main.c",
                           "content": '#include <stdio.h>\n#include "lib/add.h"\nint main(void){printf("%d\\n", add(2, 3));return 0;}\n'},
                          {"name": "lib/add.h", "content": header, "encoding": "base64"}],
                "tests": [{"expected_output": "5"}]}
        status, _, r = srv.run(body)
        return status == 200 and r["verdict"] == "accepted", json.dumps(r)[:400]
    check("files[]: several files, base64 encoding, a subdirectory", files)

    def reused_workspace():
        # The C request above left its files, a subdirectory and a compiled
        # program in its workspace; an idle server keeps workspaces emptied
        # for reuse (sandbox/workspace.c): none holds a file, and the next
        # request's /box holds only its own source.
        kept, holding = srv.workspaces_mounted(), srv.workspace_paths() and srv.workspaces_holding_files()
        r = run1(srv, "bash", "ls -A /box; ls -A /box/.. >/dev/null")
        listing = r["runs"][0]["stdout"]
        return (kept >= 1 and not holding and listing == "main.sh\n",
                "%d kept, holding files: %s, /box: %r" % (kept, holding, listing))
    check("a reused workspace starts empty (only the request's own files in /box)", reused_workspace)

    def mountinfo_names_no_host_path():
        # A test run: its /box is a copy-on-write overlay on the request's
        # workspace, whose lower mount stays (a workspace is its own tmpfs):
        # no mount of the run, roots included, names a host path.
        r = run1(srv, "bash", "cat /proc/self/mountinfo")
        info = r["runs"][0]["stdout"]
        leaks = [line for line in info.splitlines()
                 if any(part in line for part in ("/run/judgebox", "/workspaces", lib.IMAGES))]
        return " /box " in info and not leaks, leaks or info[:600]
    check("a test run's mountinfo names no host path (its workspace, the image, the state directory)",
          mountinfo_names_no_host_path)

    def args():
        r = run1(srv, "bash", 'printf "%s\\n" "$@"', args=["a b", "\u00e9t\u00e9", "--x"])
        return r["runs"][0]["stdout"] == "a b\n\u00e9t\u00e9\n--x\n", r["runs"][0]["stdout"]
    check("args reach the program as argv", args)


# ---------------------------------------------------------------- errors

def error_checks(srv):
    def err(method, path, body, want_status, want_code=None, want_field=None, headers=None):
        status, h, resp = srv.request(method, path, body, headers=headers)
        e = error_of(resp)
        ok = status == want_status and e.get("message")
        if want_code:
            ok = ok and e.get("code") == want_code
        if want_field is not None:
            ok = ok and e.get("field") == want_field
        return ok, "%s %s" % (status, resp)

    check("404 unknown route", lambda: err("GET", "/v1/nothing", None, 404, "not_found"))
    check("404 unknown route, even with a body", lambda: err("POST", "/v2/run", "{}", 404, "not_found"))

    def method():
        status, h, resp = srv.request("GET", "/v1/run")
        return status == 405 and h.get("allow") == "POST" and error_of(resp).get("code"), "%s %s" % (status, h)
    check("405 wrong method, with Allow", method)
    check("405 POST to a GET endpoint", lambda: err("POST", "/v1/languages", "{}", 405))
    check("400 malformed JSON", lambda: err("POST", "/v1/run", '{"language": "c", ', 400, "bad_json"))
    check("400 wrong type names the field",
          lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "limits": {"cpu_ms": "fast"}}, 400,
                      "wrong_type", "limits.cpu_ms"))
    check("400 tests not a list", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "tests": 3}, 400, "wrong_type", "tests"))
    check("400 a non-integer limit (1e30)",
          lambda: err("POST", "/v1/run", '{"language":"c","source":"x","limits":{"cpu_ms":1e30}}', 400, None, "limits.cpu_ms"))
    check("400 an integer too big for 64 bits",
          lambda: err("POST", "/v1/run", '{"language":"c","source":"x","limits":{"cpu_ms":123456789012345678901234567890}}', 400, "bad_json"))
    check("400 nesting 100000 deep, quickly",
          lambda: err("POST", "/v1/run", '{"language":"c","source":"x","stdin":' + "[" * 100000 + "]" * 100000 + "}", 400, "bad_json"))
    check("422 unknown language", lambda: err("POST", "/v1/run", {"language": "no-such-language", "source": "x"}, 422, "unknown_language", "language"))
    check("422 missing source", lambda: err("POST", "/v1/run", {"language": "c"}, 422, "missing_field", "source"))
    check("422 NUL byte in source", lambda: err("POST", "/v1/run", {"language": "c", "source": "int\u0000main"}, 422, None, "source"))
    check("422 limit below the minimum", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "limits": {"memory_kb": 1}}, 422, "out_of_range", "limits.memory_kb"))
    check("422 limit above the maximum", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "limits": {"cpu_ms": 10 ** 15}}, 422, "out_of_range", "limits.cpu_ms"))
    check("422 negative limit", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "limits": {"wall_ms": -1}}, 422, "out_of_range", "limits.wall_ms"))
    check("422 compile limit above the maximum", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "compile_limits": {"memory_kb": 10 ** 12}}, 422, "out_of_range", "compile_limits.memory_kb"))
    check("422 unknown field", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "stdn": ""}, 422, "unknown_field", "stdn"))
    check("422 thousands of tests", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "tests": [{}] * 5000}, 422, "too_many", "tests"))
    check("422 unknown checker", lambda: err("POST", "/v1/run", {"language": "c", "source": "x", "checker": {"type": "magic"}}, 422, None, "checker.type"))
    check("422 file name escaping /box", lambda: err("POST", "/v1/run", {"language": "c", "files": [{"content": "x"}, {"name": "../../etc/x", "content": ""}]}, 422, None, "files[1].name"))

    def too_large_announced():
        # Headers announce 64 MiB; no body is sent.  The answer must come
        # at once: the server refuses without waiting for (or buffering) it.
        s = srv.raw_socket()
        try:
            s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 67108864\r\n\r\n")
            s.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"HTTP/1.1 413"), data[:100]
        finally:
            s.close()
    check("413 announced body over the maximum, refused before it is sent", too_large_announced)

    def too_large_chunked():
        s = srv.raw_socket()
        try:
            s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 65536
            sent = 0
            s.settimeout(10)
            try:
                while sent < 6 << 20:
                    s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                    sent += len(chunk)
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    c = s.recv(4096)
                    if not c:
                        break
                    data += c
            except OSError:
                pass
            return data.startswith(b"HTTP/1.1 413"), data[:100]
        finally:
            s.close()
    check("413 chunked body over the maximum", too_large_chunked)

    def too_large_expect():
        # What curl does for big bodies: headers with Expect: 100-continue,
        # then the body only if the server says so.  It must say 413.
        s = srv.raw_socket()
        try:
            s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % (5 << 20))
            s.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                c = s.recv(4096)
                if not c:
                    break
                data += c
            return data.startswith(b"HTTP/1.1 413") and b"too_large" in data + s.recv(4096), data[:100]
        finally:
            s.close()
    check("413 a 5 MiB body announced with Expect: 100-continue, no 100 sent", too_large_expect)

    def still_healthy():
        h = srv.health()
        return h["status"] == "ok" and h["busy"] == 0 and h["queued"] == 0, h
    check("server healthy and idle after the bad requests", still_healthy)


# ---------------------------------------------------------------- load

def concurrency_check(srv):
    def fifty():
        langs = ["c", "cpp", "python3", "bash"]
        jobs = []
        for i in range(50):
            lang = langs[i % 4]
            n = 1000 + i * 37
            jobs.append((lang, n, {"language": lang, "source": SQ[lang],
                                   "tests": [{"stdin": "%d\n" % n, "expected_output": "%d\n" % (n * n + 1)}]}))
        barrier = threading.Barrier(50)

        def send(job):
            lang, n, body = job
            barrier.wait(30)
            status, _, r = srv.run(body, timeout=300)
            return lang, n, status, r

        with concurrent.futures.ThreadPoolExecutor(50) as ex:
            results = list(ex.map(send, jobs))
        bad = []
        ids = set()
        for lang, n, status, r in results:
            if status != 200 or r.get("verdict") != "accepted" or r["runs"][0]["stdout"] != "%d\n" % (n * n + 1) \
                    or r["language"]["id"] != CANON.get(lang, lang):
                bad.append((lang, n, status, json.dumps(r)[:200]))
            else:
                ids.add(r["id"])
        return not bad and len(ids) == 50, "%d wrong: %s" % (len(bad), bad[:3])
    check("50 concurrent requests in c, cpp, python3, bash each get their own right answer", fifty)


def log_check(srv):
    def one_line_per_request():
        status, h, r = srv.run({"language": "c", "source": C_SUM, "tests": [{"stdin": "1 2", "expected_output": "3"}]})
        rid = h.get("x-request-id")
        time.sleep(0.2)
        lines = [e for e in srv.log() if e.get("id") == rid]
        if len(lines) != 1:
            return False, "%d lines for %s" % (len(lines), rid)
        e = lines[0]
        ok = (rid == r["id"] and e.get("language") == CANON.get("c", "c") and e.get("verdict") == "accepted" and
              e.get("status") == 200 and all(isinstance(e.get(k), int) for k in ("queue_ms", "compile_ms", "run_ms", "ms")))
        return ok, json.dumps(e)
    check("log: one structured line per request with id, language, verdict, timings, queue wait", one_line_per_request)

    def every_request_logged():
        entries = [e for e in srv.log() if "path" in e]
        return all("id" in e and "status" in e for e in entries) and len(entries) > 50, len(entries)
    check("log: every request has a line with id and status", every_request_logged)


# ---------------------------------------------------------------- one slot

SLEEPER = "import time, sys\ntime.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 2)\nprint('woke')\n"


def tight_checks(srv):
    def queue_full():
        results = {}

        def send(key, seconds):
            results[key] = srv.run({"language": "python3", "source": SLEEPER, "args": [str(seconds)]})

        before = srv.health()["runs"]
        a = threading.Thread(target=send, args=("a", 2))
        a.start()
        # Busy with a's program, its syntax check done: a request admitted
        # during the check would take the next turn (tickets of one client
        # take turns, queue.c) and never be seen waiting.
        ok, h = srv.wait_health(lambda h: h["busy"] == 1 and h["runs"] >= before + 1)
        if not ok:
            return False, "first request never ran: %s" % h
        b = threading.Thread(target=send, args=("b", 0))
        b.start()
        ok, h = srv.wait_health(lambda h: h["queued"] == 1)
        if not ok:
            return False, "second request never queued: %s" % h
        status, headers, resp = srv.run({"language": "python3", "source": "print(1)"})
        a.join()
        b.join()
        ok = (status == 503 and headers.get("retry-after", "").isdigit() and
              error_of(resp).get("code") == "queue_full" and
              results["a"][0] == 200 and results["b"][0] == 200 and
              results["b"][2]["runs"][0]["stdout"] == "woke\n")
        return ok, "third: %s %s %s; a %s b %s" % (status, headers.get("retry-after"), resp,
                                                   results["a"][0], results["b"][0])
    check("503 with Retry-After when the queue is full; the admitted requests still finish", queue_full)

    def slow_client():
        s = srv.raw_socket()
        try:
            body = json.dumps({"language": "python3", "source": "print('slow')"}).encode()
            s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10])
            time.sleep(0.3)
            t0 = time.time()
            status, _, r = srv.run({"language": "python3", "source": "print('fast')"}, timeout=20)
            took = time.time() - t0
            h = srv.health()
            s.sendall(body[10:])
            s.settimeout(20)
            data = b""
            while b"slow" not in data:
                c = s.recv(65536)
                if not c:
                    break
                data += c
            ok = (status == 200 and r["runs"][0]["stdout"] == "fast\n" and took < 5 and
                  h["busy"] == 0 and data.startswith(b"HTTP/1.1 200") and b"slow" in data)
            return ok, "status %s in %.2fs, health %s, slow got %r" % (status, took, h, data[:60])
        finally:
            s.close()
    check("a slow client sending its body holds no slot (1 slot, another request runs meanwhile)", slow_client)

    def vanished_client():
        s = srv.raw_socket()
        s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"language\"")
        s.close()
        status, _, r = srv.run({"language": "bash", "source": "echo ok"}, timeout=20)
        return status == 200 and r["runs"][0]["stdout"] == "ok\n", "%s %s" % (status, json.dumps(r)[:600])
    check("a client that vanishes mid-body leaves the server serving", vanished_client)

    def disconnect_mid_run():
        before_runs = srv.health()["runs"]
        body = json.dumps({"language": "python3", "source": SLEEPER,
                           "tests": [{"args": ["3"]} for _ in range(5)]}).encode()
        s = srv.raw_socket()
        s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        ok, h = srv.wait_health(lambda h: h["busy"] == 1, timeout=10)
        time.sleep(0.5)
        s.close()
        t0 = time.time()
        idle, h = srv.wait_health(lambda h: h["busy"] == 0 and h["queued"] == 0, timeout=15)
        took = time.time() - t0
        time.sleep(0.3)
        runs = srv.health()["runs"] - before_runs
        gone = [e for e in srv.log() if e.get("gone") is True]
        mounts = len(srv.workspaces_holding_files())
        status, _, r = srv.run({"language": "bash", "source": "echo after"}, timeout=20)
        # Run to the end, the five 3 s runs would take 12 s more: the queued
        # ones are dropped and the running one is cancelled (spec.cancel_fd).
        ok = (ok and idle and took < 1.5 and runs <= 2 and len(gone) == 1 and mounts == 0 and
              status == 200 and r["runs"][0]["stdout"] == "after\n")
        return ok, ("idle after %.2fs, %d of 5 runs started, %d 'gone' log lines, %d workspaces holding files, next %s"
                    % (took, runs, len(gone), mounts, status))
    check("a client that disconnects mid-run: the remaining runs are dropped, nothing leaks", disconnect_mid_run)


def timeout_checks(srv):
    """srv runs with connection_timeout_s 4 and body_timeout_s 6."""
    def long_run():
        r = run1(srv, "python3", SLEEPER, {"wall_ms": 10000}, args=["5"])
        return r["runs"][0]["stdout"] == "woke\n", json.dumps(r)[:200]
    check("a run longer than the idle timeout is still answered", long_run)

    def silent_client():
        s = srv.raw_socket()
        try:
            s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
            t0 = time.time()
            s.settimeout(30)
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            took = time.time() - t0
            return data == b"" and 3 < took < 20, "closed after %.1fs, got %r" % (took, data[:80])
        finally:
            s.close()
    check("a silent client is disconnected after the idle timeout", silent_client)

    def trickle():
        s = srv.raw_socket()
        try:
            s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            t0 = time.time()
            closed = False
            for _ in range(60):
                try:
                    s.sendall(b" ")
                except OSError:
                    closed = True
                    break
                s.settimeout(0.5)
                try:
                    if s.recv(4096) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
                    break
            took = time.time() - t0
            h = srv.health()
            return closed and 5 < took < 20 and h["busy"] == 0, "closed %s after %.1fs" % (closed, took)
        finally:
            s.close()
    check("a body trickling in longer than body_timeout_s is cut off", trickle)


# ---------------------------------------------------------------- main

def main():
    if not os.access(lib.BINARY, os.X_OK):
        report("server suite setup", False, "%s is not built (make all)" % lib.BINARY)
        return 1
    rootfs = os.path.join(lib.IMAGES, "default", "rootfs")
    if not os.path.isdir(rootfs):
        report("server suite setup", False,
               "the default image is missing at %s; build it with `make default-image`" % rootfs)
        return 1

    startup_checks()

    main_srv = tight = None
    try:
        main_srv = Server("--slots", "2", "--queue", "64")
        _, _, langs = main_srv.request("GET", "/v1/languages")
        CANON.update({n: l["id"] for l in langs for n in [l["id"]] + l.get("aliases", [])})
        have = set(CANON)
        if not report("server suite setup: languages c, cpp, python3, bash are served",
                      all(l in have for l in NEEDED),
                      "served: %s; build the default image (make default-image)" % sorted(have)):
            return 1
        endpoint_checks(main_srv)
        judging_checks(main_srv)
        checker_checks(main_srv)
        encoding_checks(main_srv)
        error_checks(main_srv)
        concurrency_check(main_srv)
        log_check(main_srv)
        code = main_srv.stop()
        report("SIGTERM stops the server cleanly (exit 0)", code == 0, "exit %s" % code)

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as cfg:
            cfg.write('{"connection_timeout_s": 4, "body_timeout_s": 6}')
        try:
            tight = Server("--slots", "1", "--queue", "1", "--config", cfg.name)
        finally:
            os.unlink(cfg.name)
        tight_checks(tight)
        timeout_checks(tight)
    except Exception as e:
        report("server suite", False, "%s: %s" % (type(e).__name__, e))
    finally:
        for name, s in (("main", main_srv), ("one-slot", tight)):
            if s:
                s.stop()
                reports = s.sanitizer_reports()
                report("no sanitizer report in the %s server's log" % name, not reports, reports[:5])
                s.cleanup()
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
