"""tests/attach/server.py - `judgebox attach` on a run of the server (run by
tests/suites/57-attach.sh): a streamed /v1/run whose program waits on a FIFO
announces its run id in run_start (<request id>-0, the request id of the
X-Request-Id header); an attach by that id sees the program's source in /box
and writes to the FIFO; the run then ends ok with its own output, and the
response's run carries the same run_id.  A server whose config has attaching
off writes no record of a live run (a plain request: its slot's helper process
runs it)."""

import json
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
from lib import BUILD, ROOT, Server, check, report, wait_until  # noqa: E402

ATTACH_BIN = os.path.join(ROOT, BUILD, "judgebox")
SOURCE = 'mkfifo /tmp/go\nread line < /tmp/go\necho "done $line"\n'


def attach(config, *args, timeout=60):
    p = subprocess.run([ATTACH_BIN, "attach", "--config", config] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def listed(run_id):
    p = subprocess.run([ATTACH_BIN, "attach", "--list"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return any(line.split()[:1] == [run_id] for line in p.stdout.decode().splitlines())


def main():
    tmp = tempfile.mkdtemp(prefix="judgebox-attach-")
    config = os.path.join(tmp, "config.json")
    log = os.path.join(tmp, "attach.log")
    with open(config, "w") as f:
        json.dump({"attach": {"enabled": True, "log": log}}, f)
    s = Server("--slots", "1", "--config", config)
    headers = os.path.join(tmp, "headers")
    proc = None
    try:
        body = json.dumps({"language": "sh", "source": SOURCE, "limits": {"wall_ms": 60000}})
        proc = subprocess.Popen(["curl", "-sN", "-D", headers, "-H", "Accept: application/x-ndjson",
                                 "-H", "Content-Type: application/json", "--data-binary", body,
                                 "http://127.0.0.1:%d/v1/run" % s.port], stdout=subprocess.PIPE)
        events = []
        run_id = None
        for line in proc.stdout:
            if not line.strip():
                continue
            e = json.loads(line)
            events.append(e)
            if e.get("event") == "run_start":
                run_id = e.get("run_id")
                break
        request_id = None
        for h in open(headers, errors="replace").read().splitlines():
            if h.lower().startswith("x-request-id:"):
                request_id = h.split(":", 1)[1].strip()
        compile_start = [e for e in events if e.get("event") == "compile_start"]
        check("attach server: run_start names the run <request id>-0",
              lambda: (run_id is not None and request_id is not None and run_id == request_id + "-0",
                       "run_id %r, X-Request-Id %r, events %r" % (run_id, request_id, events)))
        check("attach server: compile_start names the check step <request id>-compile",
              lambda: (compile_start and compile_start[0].get("run_id") == "%s-compile" % request_id,
                       repr(compile_start)))
        if not run_id:
            return
        check("attach server: the run is listed while it lives", lambda: wait_until(lambda: listed(run_id)))
        check("attach server: the program's FIFO appears (seen through an attach)",
              lambda: wait_until(lambda: attach(config, run_id, "--", "test", "-p", "/tmp/go")[0] == 0))
        rc, out, err = attach(config, run_id, "--", "cat", "/box/main.sh")
        check("attach server: an attach by run id sees the source in /box", lambda: (rc == 0 and out == SOURCE, err))
        rc, out, err = attach(config, run_id, "--", "sh", "-c", "echo hi > /tmp/go")
        check("attach server: an attach writes to the run's FIFO", lambda: (rc in (0, 137), "%d %s" % (rc, err)))
        rest = []
        for line in proc.stdout:
            if line.strip():
                rest.append(json.loads(line))
        proc.wait(60)
        end = [e for e in rest if e.get("event") == "run_end"]
        done = [e for e in rest if e.get("event") == "done"]
        check("attach server: the run ends ok", lambda: (end and end[0].get("status") == "ok", repr(end)))
        runs = done[0].get("result", done[0]).get("runs", []) if done else []
        check("attach server: the run's output is its own",
              lambda: (runs and runs[0].get("stdout") == "done hi\n", repr(done)[:300]))
        check("attach server: the response's run carries its run_id",
              lambda: (runs and runs[0].get("run_id") == run_id, repr(runs)[:300]))
        check("attach server: the run is no longer listed", lambda: wait_until(lambda: not listed(run_id)))
        check("attach server: both attaches are in the attach log",
              lambda: sum(1 for l in open(log) if '"event":"attach"' in l and run_id in l) >= 2)
        check("attach server: no sanitizer report", lambda: (not s.sanitizer_reports(), s.sanitizer_reports()))
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        s.cleanup()
        for name in ("config.json", "attach.log", "headers"):
            try:
                os.unlink(os.path.join(tmp, name))
            except OSError:
                pass
        os.rmdir(tmp)


def find_program(token):
    """(pid, slot) of the sandboxed process whose /tmp holds the FIFO `token`, or None."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            uid = os.stat("/proc/" + name).st_uid
            if 3000000 <= uid < 3000000 + 2 * 4096 and \
                    stat.S_ISFIFO(os.stat("/proc/%s/root/tmp/%s" % (name, token)).st_mode):
                return int(name), (uid - 3000000) // 2
        except OSError:
            pass
    return None


def attach_off():
    tmp = tempfile.mkdtemp(prefix="judgebox-attach-off-")
    config = os.path.join(tmp, "config.json")
    with open(config, "w") as f:
        json.dump({"attach": {"enabled": False}}, f)
    token = "go-off-%d" % os.getpid()
    source = 'mkfifo /tmp/%s\nread line < /tmp/%s\necho "done $line"\n' % (token, token)
    s = Server("--slots", "1", "--config", config)
    proc = None
    try:
        body = json.dumps({"language": "sh", "source": source, "limits": {"wall_ms": 60000}})
        proc = subprocess.Popen(["curl", "-s", "-H", "Content-Type: application/json", "--data-binary", body,
                                 "http://127.0.0.1:%d/v1/run" % s.port], stdout=subprocess.PIPE)
        live = {}

        def program():
            live["at"] = find_program(token)
            return live["at"]
        if not check("attach off server: the run is live (its FIFO made)", lambda: wait_until(program)):
            return
        pid, slot = live["at"]
        names = os.listdir("/run/judgebox/runs")
        check("attach off server: no record of the live run under runs/",
              lambda: (not {"slot%d" % slot, ".slot%d.tmp" % slot} & set(names), "slot %d: %r" % (slot, names)))
        with open("/proc/%d/root/tmp/%s" % (pid, token), "w") as f:
            f.write("off\n")
        out, _ = proc.communicate(timeout=60)
        result = json.loads(out)
        runs = result.get("runs", [])
        check("attach off server: the run then ends ok with its output",
              lambda: (result.get("verdict") == "ok" and runs and runs[0].get("stdout") == "done off\n", out[:300]))
        check("attach off server: no sanitizer report", lambda: (not s.sanitizer_reports(), s.sanitizer_reports()))
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        s.cleanup()
        os.unlink(config)
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
    attach_off()
