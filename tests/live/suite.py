"""tests/live/suite.py - black-box tests of live runs (issue 15) against real
`judgebox serve` processes (tests/server/lib.py): files out, streamed
responses through curl -N and the eventsource npm client, WebSocket
sessions through the ws npm client, and the playground in headless
Chromium through puppeteer-core (tests/live/*.mjs, one process per
scenario, each printing one JSON line the checks read)."""

import base64
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import lib  # noqa: E402
from lib import Server, check, report  # noqa: E402

NODE_MODULES = os.path.join(HERE, "node_modules")
ARTIFACTS = os.environ.get("JUDGEBOX_TEST_ARTIFACTS", os.path.join(lib.ROOT, lib.BUILD, "test-artifacts"))


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


SUITES = {"outputs": outputs_checks}


def main():
    wanted = sys.argv[1:] or list(SUITES)
    s = Server("--slots", "2")
    try:
        for name in wanted:
            SUITES[name](s)
        report("live: no sanitizer report in the server's log", not s.sanitizer_reports(), s.sanitizer_reports())
    finally:
        code = s.stop()
        report("live: the server stops cleanly (exit 0)", code == 0, code)
        report("live: no workspace left mounted", s.workspaces_mounted() == 0)
        s.cleanup()
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
