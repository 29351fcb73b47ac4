"""tests/live/suite.py - black-box tests of live runs (issue 15) against real
`judgebox serve` processes (tests/server/lib.py): files out, streamed
responses through curl -N and the eventsource npm client, WebSocket
sessions through the ws npm client, and the playground in headless
Chromium through puppeteer-core (tests/live/*.mjs, one process per
scenario, each printing one JSON line the checks read).

The server has a run dir, state dir, cgroup parent and host uids of its own,
so that `judgebox cleanup` at the end removes what its slots keep between
runs (their net-namespace mounts, cgroups) without touching other servers',
and the leak checks count only its own."""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import lib  # noqa: E402
from lib import Server, check, report, wait_until  # noqa: E402

NODE_MODULES = os.path.join(HERE, "node_modules")
ARTIFACTS = os.environ.get("JUDGEBOX_TEST_ARTIFACTS", os.path.join(lib.ROOT, lib.BUILD, "test-artifacts"))
# Host uids far from the default (3000000) and from the other suites' servers.
UID_BASE = 3800000


def node(script, *args, timeout=180):
    """Run tests/live/SCRIPT with node; its last stdout line is JSON."""
    proc = subprocess.run(["node", os.path.join(HERE, script)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout, cwd=HERE)
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    if not lines:
        raise RuntimeError("%s printed nothing (rc %d): %s" % (script, proc.returncode, proc.stderr[-600:]))
    return json.loads(lines[-1])


def b64(text):
    return base64.b64encode(text.encode()).decode()


# ---- files out ----

OUTPUTS_PROGRAM = r"""
import os
os.makedirs('out/deep', exist_ok=True)
open('report.xml', 'w').write('<testsuite tests="1"/>')
open('out/a.png', 'wb').write(b'\x89PNG' + bytes(range(16)))
open('out/b.png', 'wb').write(b'B' * 300)
open('out/deep/c.png', 'wb').write(b'not matched by out/*.png')
os.symlink('/etc/passwd', 'out/link.png')
os.symlink('/etc', 'escape')
os.mkfifo('out/fifo.png')
print('wrote')
"""


def outputs_checks(s):
    body = {"language": "python3", "source": OUTPUTS_PROGRAM,
            "outputs": ["report.xml", "out/*.png", "escape/passwd", "missing.txt"]}
    status, _, res = s.run(body)

    def files():
        return {f["name"]: f for f in res["runs"][0].get("files") or []}
    check("outputs: the run is judged (200, ok)", lambda: (status == 200 and res["verdict"] == "ok", res))
    check("outputs: report.xml comes back base64 with its size",
          lambda: (files().get("report.xml", {}).get("content_b64") == b64('<testsuite tests="1"/>')
                   and files()["report.xml"]["size"] == 22, files()))
    check("outputs: out/*.png matches the two regular files, sorted, binary intact",
          lambda: ([n for n in files() if n.startswith("out/")] == ["out/a.png", "out/b.png"]
                   and base64.b64decode(files()["out/a.png"]["content_b64"]) == b"\x89PNG" + bytes(range(16)),
                   list(files())))
    check("outputs: a symlink to a host file is not followed (out/link.png absent)",
          lambda: ("out/link.png" not in files(), list(files())))
    check("outputs: a path through a symlinked directory is not followed (escape/passwd absent)",
          lambda: ("escape/passwd" not in files(), list(files())))
    check("outputs: a FIFO is skipped without blocking", lambda: ("out/fifo.png" not in files(), list(files())))
    check("outputs: nothing over the budget: files_truncated false",
          lambda: (res["runs"][0].get("files_truncated") is False, res["runs"][0]))

    body["max_output_files_bytes"] = 100
    status, _, res = s.run(body)
    check("outputs: over max_output_files_bytes a file is truncated, the next omitted",
          lambda: (status == 200 and files()["out/b.png"].get("truncated") is True
                   and len(base64.b64decode(files()["out/b.png"]["content_b64"])) == 100 - 22 - 20
                   and res["runs"][0]["files_truncated"] is True, files()))
    body["max_output_files_bytes"] = 10
    status, _, res = s.run(body)
    check("outputs: a file past the spent budget is reported omitted with its size",
          lambda: (files()["out/b.png"].get("omitted") is True and files()["out/b.png"]["size"] == 300, files()))

    # Two tests share one budget; each run returns its own files.
    two = {"language": "bash", "source": "echo \"$1\" > result.txt",
           "tests": [{"args": ["first"]}, {"args": ["second"]}], "outputs": ["result.txt"]}
    status, _, res = s.run(two)
    check("outputs: every test returns its own /box files",
          lambda: ([base64.b64decode(r["files"][0]["content_b64"]) for r in res["runs"]] == [b"first\n", b"second\n"],
                   res))
    # A run killed for a limit returns no files (null): /box is not read after a kill.
    status, _, res = s.run({"language": "bash", "source": "echo x > a.txt; sleep 10",
                            "outputs": ["a.txt"], "limits": {"wall_ms": 500}})
    check("outputs: a run killed for a limit reports files null",
          lambda: (res["runs"][0]["status"] == "wall_time_limit" and res["runs"][0]["files"] is None, res))
    for bad, field in ((["../etc/passwd"], "outputs[0]"), (["/etc/passwd"], "outputs[0]"), ("x", "outputs"),
                       ([1], "outputs[0]")):
        status, _, res = s.run({"language": "bash", "source": "true", "outputs": bad})
        check("outputs: %r is refused with 422 naming %s" % (bad, field),
              lambda: (status == 422 and res["error"]["field"] == field, res))
    status, _, res = s.run({"language": "bash", "source": "true", "outputs": ["a"],
                            "max_output_files_bytes": 1 << 40})
    check("outputs: max_output_files_bytes over the maximum is refused (422)",
          lambda: (status == 422 and res["error"]["field"] == "max_output_files_bytes", res))


# ---- streamed output ----

def curl_stream(s, body, accept, max_time=120):
    """POST /v1/run through `curl -N`; [(seconds since start, line)]."""
    proc = subprocess.Popen(["curl", "-sN", "--max-time", str(max_time), "-H", "Accept: " + accept,
                             "-H", "Content-Type: application/json", "--data-binary", json.dumps(body),
                             "http://127.0.0.1:%d/v1/run" % s.port], stdout=subprocess.PIPE)
    start = time.monotonic()
    lines = []
    for raw in proc.stdout:
        lines.append((time.monotonic() - start, raw.decode("utf-8", "replace").rstrip("\n")))
    proc.wait()
    return lines


def sse_events(lines):
    """[(t, event, data)] from SSE lines."""
    events, name = [], None
    for t, line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((t, name, json.loads(line[6:])))
    return events


SLOW_PRINTER = "import time\nprint('first', flush=True)\ntime.sleep(2)\nprint('second')\n"


def streaming_checks(s):
    body = {"language": "python3", "source": SLOW_PRINTER}
    ev = sse_events(curl_stream(s, body, "text/event-stream"))
    # An interpreted language may have a syntax check: compile events come first then.
    ev = [e for e in ev if e[1] not in ("compile_start", "compile_end")]
    names = [e[1] for e in ev]
    check("stream (SSE, curl -N): run_start, stdout, stdout, run_end, done in order",
          lambda: (names == ["run_start", "stdout", "stdout", "run_end", "done"], names))
    check("stream (SSE): stdout chunks carry the test id and the text",
          lambda: ([(e[2]["test"], e[2]["data"]) for e in ev if e[1] == "stdout"] == [("1", "first\n"), ("1", "second\n")],
                   ev))
    check("stream (SSE): the first chunk arrives while the program still runs (>= 1 s before done)",
          lambda: (ev[-1][0] - ev[1][0] >= 1.0, [(round(e[0], 2), e[1]) for e in ev]))
    check("stream (SSE): done carries the whole response (verdict, runs)",
          lambda: (ev[-1][2]["verdict"] == "ok" and ev[-1][2]["runs"][0]["stdout"] == "first\nsecond\n", ev[-1]))

    lines = curl_stream(s, {"language": "c", "source": "int main(void) { return x; }"}, "application/x-ndjson")
    nd = [json.loads(l) for _, l in lines if l]
    names = [e["event"] for e in nd]
    check("stream (NDJSON): a compile error streams compile_start, its stderr, compile_end, done",
          lambda: (names[0] == "compile_start" and "stderr" in names and names[-2:] == ["compile_end", "done"]
                   and nd[-2]["status"] == "compile_error" and nd[-1]["verdict"] == "compile_error", names))
    check("stream (NDJSON): the compiler's messages are stage compile",
          lambda: (any(e["event"] == "stderr" and e["stage"] == "compile" and "undeclared" in e["data"] for e in nd), nd))

    # Not UTF-8: base64 with a flag; a character cut between two chunks stays whole.
    src = ("import sys, time\nsys.stdout.buffer.write(b'\\xc3'); sys.stdout.flush(); time.sleep(0.3)\n"
           "sys.stdout.buffer.write(b'\\xa9\\n'); sys.stdout.flush(); time.sleep(0.3)\n"
           "sys.stdout.buffer.write(b'\\xff\\xfe'); sys.stdout.flush()\n")
    nd = [json.loads(l) for _, l in curl_stream(s, {"language": "python3", "source": src}, "application/x-ndjson") if l]
    outs = [e for e in nd if e["event"] == "stdout"]
    check("stream: a UTF-8 character split across writes arrives whole as text",
          lambda: (outs[0]["data"] == "\u00e9\n" and "encoding" not in outs[0], outs))
    check("stream: bytes that are not UTF-8 arrive base64 with encoding: base64",
          lambda: (outs[-1].get("encoding") == "base64" and base64.b64decode(outs[-1]["data"]) == b"\xff\xfe", outs))

    # Caps hold: only output_bytes of output is streamed.
    nd = [json.loads(l) for _, l in curl_stream(s, {"language": "python3", "source": "print('x' * 1000000)",
                                                    "limits": {"output_bytes": 1000}}, "application/x-ndjson") if l]
    streamed = sum(len(e["data"]) for e in nd if e["event"] == "stdout")
    check("stream: output over limits.output_bytes is cut at the cap (output_limit)",
          lambda: (streamed == 1000 and nd[-2]["event"] == "run_end" and nd[-2]["status"] == "output_limit"
                   and nd[-2]["stdout_truncated"] is True, (streamed, nd[-2:])))

    status, hdrs, res = s.request("POST", "/v1/run", {"language": "nope", "source": ""},
                                  headers={"Accept": "text/event-stream"})
    check("stream: a bad request still gets its JSON error (422), not a stream",
          lambda: (status == 422 and hdrs.get("content-type") == "application/json", (status, hdrs, res)))

    # A client that goes away cancels the run.
    proc = subprocess.Popen(["curl", "-sN", "-H", "Accept: application/x-ndjson", "--data-binary",
                             json.dumps({"language": "bash", "source": "echo started; sleep 45",
                                         "limits": {"wall_ms": 50000}}),
                             "http://127.0.0.1:%d/v1/run" % s.port], stdout=subprocess.PIPE)
    first = []
    for line in proc.stdout:
        first.append(line)
        if b'"stdout"' in line or len(first) > 10:
            break
    gone_at = time.monotonic()
    proc.kill()
    proc.wait()

    def cancelled():
        for _ in range(600):
            for e in s.log():
                if e.get("stream") == "ndjson" and e.get("verdict") == "cancelled":
                    return True, time.monotonic() - gone_at
            time.sleep(0.05)
        return False, "no cancelled log line"
    ok, took = cancelled()
    check("stream: a client that disconnects mid-run cancels it (log: verdict cancelled, client gone)",
          lambda: (ok and b"started" in first[-1], (took, first)))
    check("stream: the cancelled run stops long before its 45 s sleep", lambda: (ok and took < 30, took))
    check("stream: the server answers normally after the cancelled stream",
          lambda: (s.run({"language": "bash", "source": "echo ok"})[2]["runs"][0]["stdout"] == "ok\n", ""))

    # A real SSE client.
    r = node("sse.mjs", s.port, json.dumps(body))
    r["events"] = [e for e in r.get("events", []) if e["event"] not in ("compile_start", "compile_end")]
    names = [e["event"] for e in r["events"]]
    check("stream (eventsource npm client): the events in order, ending with done",
          lambda: (names == ["run_start", "stdout", "stdout", "run_end", "done"] and "transport_error" not in r, r))
    check("stream (eventsource): the first chunk came >= 1 s before done",
          lambda: (r["events"][-1]["ms"] - r["events"][1]["ms"] >= 1000, [(e["event"], e["ms"]) for e in r["events"]]))


# ---- WebSocket sessions ----

def server_children(s):
    """Processes of a run (a run's init or program, in a pid namespace of its own) still alive below the
    server; its zygote and slot helpers (sandbox/helper.c) live in the host's pid namespace and stay."""
    def children(pid):
        pids = []
        try:
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                    pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return pids

    def in_own_pid_namespace(pid):
        try:
            with open("/proc/%d/status" % pid) as f:
                return any(line.startswith("NSpid:") and len(line.split()) > 2 for line in f)
        except OSError:
            return False

    found, todo = [], children(s.pid)
    while todo:
        pid = todo.pop()
        if in_own_pid_namespace(pid):
            found.append(pid)
        else:
            todo += children(pid)
    return found


ECHO = "import sys\nfor line in sys.stdin:\n    print('echo:', line.strip(), flush=True)\nprint('bye')\n"


def ws_checks(s):
    url = "ws://127.0.0.1:%d/v1/ws" % s.port
    piston_url = "ws://127.0.0.1:%d/api/v2/connect" % s.port

    r = node("ws.mjs", url, "echo", json.dumps({"type": "init", "language": "python3", "version": "3",
                                                 "files": [{"content": ECHO}]}))
    msgs = r["messages"]
    types = [m["type"] for m in msgs]
    out = "".join(m["data"] for m in msgs if m["type"] == "data" and m["stream"] == "stdout")
    check("ws: init is answered with runtime {language, version}",
          lambda: (msgs[0] == {"type": "runtime", "language": "python3", "version": msgs[0]["version"],
                               "ms": msgs[0]["ms"]} and msgs[0]["version"].startswith("3"), msgs[:1]))
    # A language with a compile step (python3 byte-compiles) sends stage/exit of "compile" first.
    run_stage = next((i for i, m in enumerate(msgs) if m["type"] == "stage" and m["stage"] == "run"), None)
    first_data = next((i for i, m in enumerate(msgs) if m["type"] == "data"), None)
    check("ws: stage run comes before any data",
          lambda: (run_stage is not None and first_data is not None and run_stage < first_data
                   and all(m["type"] in ("stage", "exit") and m.get("stage") == "compile"
                           for m in msgs[1:run_stage]), types))
    check("ws: lines typed into stdin are echoed one by one, EOF ends the program",
          lambda: (out == "echo: hello\necho: world\nbye\n", out))
    check("ws: exit {stage: run, code: 0, signal: null}, then close 4999 Job Completed",
          lambda: (msgs[-1]["type"] == "exit" and msgs[-1]["stage"] == "run" and msgs[-1]["code"] == 0
                   and msgs[-1]["signal"] is None and r.get("close") == 4999, (msgs[-1], r.get("close"))))

    r = node("ws.mjs", piston_url, "signal", json.dumps({"type": "init", "language": "bash",
                                                          "files": [{"content": "echo ready; exec sleep 30"}],
                                                          "run_timeout": 40000}))
    last = r["messages"][-1]
    check("ws (/api/v2/connect): a signal message ends the program (exit signal SIGTERM)",
          lambda: (last["type"] == "exit" and last["signal"] == "SIGTERM" and last["code"] is None
                   and last["wall_ms"] < 20000 and r.get("close") == 4999, r))

    r = node("ws.mjs", url, "limit", json.dumps({"type": "init", "language": "bash",
                                                  "files": [{"content": "echo start; sleep 30"}],
                                                  "limits": {"wall_ms": 1000}}))
    last = r["messages"][-1]
    check("ws: a limit kills the program (exit status wall_time_limit)",
          lambda: (last["type"] == "exit" and last["status"] == "wall_time_limit" and r.get("close") == 4999, r))

    before = len([e for e in s.log() if e.get("msg", "").endswith(": cancelled")])
    r = node("ws.mjs", url, "disconnect", json.dumps({"type": "init", "language": "bash",
                                                       "files": [{"content": "echo ready; sleep 40"}],
                                                       "limits": {"wall_ms": 50000}}))
    check("ws: the program ran before the client disconnected", lambda: ("disconnected_at" in r, r))
    check("ws: a client that disconnects cancels the run (log: cancelled)",
          lambda: (wait_until(lambda: len([e for e in s.log() if e.get("msg", "").endswith(": cancelled")]) > before),
                   [e for e in s.log() if "live session" in e.get("msg", "")]))
    check("ws: nothing of the disconnected session's run survives (no child process of the server)",
          lambda: (wait_until(lambda: not server_children(s)), server_children(s)))

    r = node("ws.mjs", url, "raw", json.dumps([{"type": "data", "stream": "stdin", "data": "x"}]))
    check("ws: a message before init closes with 4003", lambda: (r.get("close") == 4003, r))
    r = node("ws.mjs", url, "raw", json.dumps([{"type": "init", "language": "nope"}]))
    check("ws: an unknown language is an error message, then close 4002",
          lambda: (r["messages"][0]["type"] == "error" and "unknown language" in r["messages"][0]["message"]
                   and r.get("close") == 4002, r))
    r = node("ws.mjs", url, "raw", json.dumps([{"type": "init", "language": "bash", "files": [{"content": "sleep 5"}],
                                                "limits": {"wall_ms": 10000}},
                                               {"type": "data", "stream": "stdout", "data": "x"}]))
    check("ws: writing to anything but stdin closes with 4004", lambda: (r.get("close") == 4004, r))
    r = node("ws.mjs", url, "raw", json.dumps([{"type": "init", "language": "bash", "files": [{"content": "sleep 5"}],
                                                "limits": {"wall_ms": 10000}},
                                               {"type": "signal", "signal": "SIGNOPE"}]))
    check("ws: an unknown signal closes with 4005", lambda: (r.get("close") == 4005, r))
    r = node("ws.mjs", url, "raw", json.dumps([{"type": "init", "language": "bash", "files": [{"content": "true"}]},
                                               {"type": "init", "language": "bash", "files": [{"content": "true"}]}]))
    check("ws: a second init closes with 4000", lambda: (r.get("close") == 4000, r))
    r = node("ws.mjs", url, "raw", json.dumps([{"type": "init", "language": "c",
                                                "files": [{"content": "int main(void) { return x; }"}]}]))
    stages = [(m["type"], m.get("stage")) for m in r["messages"] if m["type"] in ("stage", "exit")]
    check("ws: a compile error: stage compile, its stderr, exit {stage: compile, status: compile_error}",
          lambda: (stages == [("stage", "compile"), ("exit", "compile")]
                   and r["messages"][-1]["status"] == "compile_error" and r["messages"][-1]["code"] == 1
                   and any(m["type"] == "data" and m["stream"] == "stderr" for m in r["messages"]), r))
    status, hdrs, body = s.request("GET", "/v1/ws")
    check("ws: GET /v1/ws without Upgrade is 426 with a JSON error",
          lambda: (status == 426 and body["error"]["code"] == "upgrade_required", (status, body)))
    status, hdrs, body = s.request("GET", "/v1/ws", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                                               "Sec-WebSocket-Version": "13",
                                                               "Sec-WebSocket-Key": "short"})
    check("ws: a malformed Sec-WebSocket-Key is 400", lambda: (status == 400, (status, body)))


SUITES = {"outputs": outputs_checks, "streaming": streaming_checks, "ws": ws_checks}


def mounts_under(path):
    """Mount points at or below PATH (/proc/mounts escapes spaces as \\040)."""
    with open("/proc/mounts") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f if len(line.split()) > 1]
    return [p for p in points if p == path or p.startswith(path + "/")]


def cgroups_of(parent):
    """Directories of cgroup PARENT in every hierarchy (v1 and v2)."""
    found = []
    for top in os.listdir("/sys/fs/cgroup"):
        d = os.path.join("/sys/fs/cgroup", top, parent)
        if os.path.isdir(d):
            found.append(d)
    if os.path.isdir(os.path.join("/sys/fs/cgroup", parent)):
        found.append(os.path.join("/sys/fs/cgroup", parent))
    return found


def main():
    wanted = sys.argv[1:] or list(SUITES)
    own = tempfile.mkdtemp(prefix="judgebox-live-")
    os.chmod(own, 0o755)
    place = ["--run-dir", os.path.join(own, "run"), "--cgroup-parent", "judgebox-live-%d" % os.getpid(),
             "--uid-base", str(UID_BASE)]
    s = Server("--slots", "2", "--state-dir", os.path.join(own, "state"), *place)
    try:
        for name in wanted:
            SUITES[name](s)
        report("live: no sanitizer report in the server's log", not s.sanitizer_reports(), s.sanitizer_reports())
    finally:
        code = s.stop()
        report("live: the server stops cleanly (exit 0)", code == 0,
               "exit %s; %s" % (code, " | ".join(s.sanitizer_reports()[:5]) or open(s.log_path).read()[-600:]))
        report("live: no workspace left mounted", s.workspaces_mounted() == 0)
        s.cleanup()
        done = subprocess.run([lib.BINARY, "cleanup"] + place, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=120)
        report("live: judgebox cleanup of the server's run dir succeeds", done.returncode == 0,
               "exit %d: %s" % (done.returncode, done.stdout.decode(errors="replace")[-400:]))
        left = mounts_under(own)
        report("live: no mount under the server's run and state dirs is left", not left, left[:5])
        report("live: no cgroup of the server is left", not cgroups_of(place[3]), cgroups_of(place[3]))
        if not left:
            shutil.rmtree(own, ignore_errors=True)
    validate_captures()
    return 1 if lib.failures else 0


def validate_captures():
    """The plain JSON answers of this suite (files out, WebSocket refusals) against
    the OpenAPI document, with the ops suite's validator (its npm set-up)."""
    ops = os.path.join(lib.ROOT, "tests", "ops")
    if not lib.CAPTURE or not os.path.isdir(os.path.join(ops, "node_modules")):
        report("live: responses match the OpenAPI document", False,
               "tests/ops/node_modules is missing (make test-prereqs runs npm ci)")
        return
    p = subprocess.run(["node", os.path.join(ops, "validate-responses.mjs"),
                        os.path.join(lib.ROOT, "server", "ops", "openapi.json"), lib.CAPTURE, "live"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    out = p.stdout.decode(errors="replace").strip()
    print(out, flush=True)
    if p.returncode != 0 and "FAIL" not in out:
        report("live: responses match the OpenAPI document", False, "validator exit %d" % p.returncode)


if __name__ == "__main__":
    sys.exit(main())
