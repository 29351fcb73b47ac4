"""tests/server/lib.py - helpers for the black-box tests of `judgebox serve`:
start a real server on a loopback port chosen by the kernel (--listen
127.0.0.1:0; the port is read from the server's "listening" log line), stop
it by its PID, talk HTTP with the standard library, and report checks in the
runner's protocol ("PASS name" / "FAIL name: why").

A server's stderr log is /tmp/judgebox-serve-<test script's pid>-*.log.
Server.cleanup() removes it when no check failed while the server lived, and
keeps it (printing its path) when one did.  Every server a script started
and did not clean up is cleaned up the same way when the script exits."""

import atexit
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
BINARY = os.environ.get("JUDGEBOX_SERVE_BIN") or os.path.join(ROOT, BUILD, "judgebox")
IMAGES = os.environ.get("JUDGEBOX_IMAGES", "/var/lib/judgebox/images")
LANGS = os.path.join(ROOT, "langs")

failures = 0
passes = 0
started = []  # every Server of this script, for the exit-time safety net (_cleanup_all)

# Every response Server.request gets is appended to
# $BUILD/captures/<folder>-<script>.jsonl (truncated when the script starts), so the
# ops suite can check the server suite's real responses against the OpenAPI
# document (tests/ops/validate-responses.mjs).
# <folder>-<script>: tests/server/suite.py and tests/live/suite.py must not share a file.
_script = os.path.abspath(sys.argv[0] or "python")
CAPTURE = os.path.join(ROOT, BUILD, "captures", "%s-%s.jsonl" % (
    os.path.basename(os.path.dirname(_script)), os.path.splitext(os.path.basename(_script))[0]))
try:
    os.makedirs(os.path.dirname(CAPTURE), exist_ok=True)
    open(CAPTURE, "w").close()
except OSError:
    CAPTURE = None


def capture(method, path, status, headers, body):
    if not CAPTURE:
        return
    entry = {"method": method, "path": path, "status": status,
             "content_type": headers.get("content-type", ""),
             "body": body if not isinstance(body, bytes) else body.decode("utf-8", "replace")}
    try:
        with open(CAPTURE, "a") as f:
            f.write(json.dumps(entry) + "\n")
    except OSError:
        pass


def report(name, ok, why=""):
    global failures, passes
    if ok:
        passes += 1
        print("PASS " + name, flush=True)
    else:
        failures += 1
        why = " ".join(str(why).split())[:400]
        print("FAIL %s: %s" % (name, why or "check failed"), flush=True)
    return ok


def check(name, fn):
    """Run fn(); it returns (ok, why) or raises.  Exceptions are failures."""
    try:
        result = fn()
        if isinstance(result, tuple):
            return report(name, result[0], result[1] if len(result) > 1 else "")
        return report(name, bool(result))
    except Exception as e:  # a broken check must not stop the suite
        return report(name, False, "%s: %s" % (type(e).__name__, e))


class Server:
    """A `judgebox serve` process on 127.0.0.1:<kernel-chosen port>."""

    def __init__(self, *args, env=None):
        self.args = list(args)
        self.log_file = tempfile.NamedTemporaryFile(prefix="judgebox-serve-%d-" % os.getpid(), suffix=".log",
                                                    delete=False)
        self.log_path = self.log_file.name
        self.failures_at_start = failures
        self.cleaned = False
        full_env = dict(os.environ)
        full_env.setdefault("JUDGEBOX_IMAGES", IMAGES)
        if env:
            full_env.update(env)
        cmd = [BINARY, "serve", "--listen", "127.0.0.1:0", "--langs", LANGS] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log_file, env=full_env)
        started.append(self)
        self.port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            for entry in self.log():
                if entry.get("msg") == "listening":
                    self.port = entry["port"]
            if self.port:
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            text = open(self.log_path, errors="replace").read()
            self.stop()
            raise RuntimeError("server did not start: " + text[-500:])

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        entries = []
        with open(self.log_path, errors="replace") as f:
            for line in f:
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    entries.append({"raw": line.rstrip("\n")})
        return entries

    def stop(self, timeout=60):
        """SIGTERM by PID, wait; SIGKILL if it does not go.  Returns the exit code."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode

    def sanitizer_reports(self):
        """Lines of AddressSanitizer/UBSan reports in the server's stderr
        (when the binary under test is the -san build)."""
        with open(self.log_path, errors="replace") as f:
            return [l.strip() for l in f if "Sanitizer" in l or "runtime error:" in l]

    def cleanup(self):
        """Stop the server; remove its log unless a check failed since it started
        (then keep the log and print where it is).  Safe to call twice."""
        self.stop()
        if self.cleaned:
            return
        self.cleaned = True
        if failures > self.failures_at_start:
            print("server log kept (pid %d; a check failed while it ran): %s" % (self.pid, self.log_path),
                  flush=True)
            return
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    def request(self, method, path, body=None, headers=None, timeout=120):
        """(status, headers dict (lower-case names), parsed JSON or raw bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if body is not None and not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            hdrs = {"Content-Type": "application/json"}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            h = {k.lower(): v for k, v in resp.getheaders()}
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = data
            capture(method, path, resp.status, h, parsed)
            return resp.status, h, parsed
        finally:
            conn.close()

    def run(self, body, timeout=120):
        return self.request("POST", "/v1/run", body, timeout=timeout)

    def health(self):
        return self.request("GET", "/v1/health")[2]

    def wait_health(self, pred, timeout=20):
        deadline = time.time() + timeout
        h = None
        while time.time() < deadline:
            h = self.health()
            if pred(h):
                return True, h
            time.sleep(0.02)
        return False, h

    def raw_socket(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return s

    def workspace_paths(self):
        """Workspace tmpfs mounts of this server (the core names them <pid>-<start>-<n>)."""
        paths = []
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 1 and "/workspaces/%d-" % self.pid in fields[1]:
                    paths.append(fields[1])
        return paths

    def workspaces_mounted(self):
        return len(self.workspace_paths())

    def workspaces_holding_files(self):
        """Mounted workspaces that are not empty: an idle server keeps up to 8
        emptied ones for reuse (sandbox/workspace.c), never one with files."""
        return [p for p in self.workspace_paths() if os.listdir(p)]


def wait_until(pred, timeout=60, step=0.05):
    """Poll pred() until it is true (True) or `timeout` seconds pass (then
    pred() once more decides): wait on a condition, never on a sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return bool(pred())


@atexit.register
def _cleanup_all():
    """The safety net: stop (by PID) every server the script left running and
    treat its log as cleanup() does."""
    for srv in started:
        try:
            srv.cleanup()
        except Exception as e:  # one server's trouble must not keep the others running
            print("stopping server pid %d at exit: %s: %s" % (srv.pid, type(e).__name__, e), flush=True)


def run_startup_failure(args, env=None):
    """Run `judgebox serve ARGS` expecting it to refuse to start.
    Returns (exit code, stderr lines)."""
    full_env = dict(os.environ)
    full_env.setdefault("JUDGEBOX_IMAGES", IMAGES)
    if env:
        full_env.update(env)
    p = subprocess.run([BINARY, "serve", "--listen", "127.0.0.1:0"] + args, env=full_env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    lines = [l for l in p.stderr.decode(errors="replace").split("\n") if l.strip()]
    return p.returncode, lines
