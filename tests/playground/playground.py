"""tests/playground/playground.py - the playground page (issue 15, part 6) against
real `judgebox serve` processes (tests/server/lib.py): its files over HTTP
(types, CSP, ETag/304, HEAD, 404s), --no-playground and "playground": false
in the config, the page open while the API needs a token, and the page in
headless Chromium through puppeteer-core (browser.mjs, one process per
scenario printing one JSON line): a Python 3 program reading stdin, output
streamed while it runs, the shareable link reopened, a C compile error, and
the API key field.  Screenshots go to $JUDGEBOX_TEST_ARTIFACTS/playground
(default build/test-artifacts/playground)."""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import lib  # noqa: E402
from lib import Server, check, report  # noqa: E402

ARTIFACTS = os.path.join(os.environ.get("JUDGEBOX_TEST_ARTIFACTS",
                                        os.path.join(lib.ROOT, lib.BUILD, "test-artifacts")), "playground")
TOKEN = "playground-test-token-0123456789abcdef"
PY_OUT = "hello ADA, BOB, CY\ncount 3 args ['one', 'two words']\n"


def browser(scenario, base, *extra, timeout=400):
    proc = subprocess.run(["node", os.path.join(HERE, "browser.mjs"), scenario, base, ARTIFACTS] + list(extra),
                          capture_output=True, text=True, timeout=timeout, cwd=HERE)
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    if not lines:
        raise RuntimeError("browser.mjs %s printed nothing (rc %d): %s" % (scenario, proc.returncode, proc.stderr[-800:]))
    r = json.loads(lines[-1])
    if r.get("error"):
        raise RuntimeError("browser.mjs %s: %s" % (scenario, r["error"][:600]))
    return r


def clean_page(r):
    """No console error, no uncaught exception, nothing fetched elsewhere or failed."""
    bad = {k: r[k] for k in ("console_errors", "page_errors", "outside", "failed") if r.get(k)}
    return not bad, bad


def http_checks(s):
    status, h, body = s.request("GET", "/")
    check("http: GET / is the page (200, text/html)",
          lambda: (status == 200 and h["content-type"].startswith("text/html")
                   and b"<title>judgebox playground</title>" in body, (status, h.get("content-type"))))
    check("http: the page's CSP allows only the server itself",
          lambda: ("script-src 'self'" in h.get("content-security-policy", "")
                   and "connect-src 'self'" in h["content-security-policy"]
                   and "default-src 'none'" in h["content-security-policy"]
                   and "unsafe" not in h["content-security-policy"], h.get("content-security-policy")))
    refs = sorted(set(re.findall(rb'(?:src|href)="(/[^"]*)"', body)))
    check("http: the page refers only to its own files (no CDN)",
          lambda: (refs and all(r.startswith(b"/playground/") for r in refs)
                   and b"http://" not in body and b"https://" not in body, refs))
    types = {"/playground/app.js": "text/javascript", "/playground/editor.js": "text/javascript",
             "/playground/style.css": "text/css", "/playground/icon.svg": "image/svg+xml"}
    for path, ctype in types.items():
        st, hh, b = s.request("GET", path)
        check("http: %s is served as %s" % (path, ctype),
              lambda: (st == 200 and hh["content-type"].startswith(ctype) and len(b) > 100
                       and hh.get("x-content-type-options") == "nosniff", (st, hh.get("content-type"))))
    st, hh, b = s.request("GET", "/playground/editor.js")
    check("http: the CodeMirror bundle is built in (minified, over 200 KB)",
          lambda: (st == 200 and len(b) > 200000 and b"CodeMirror" in b[:400], len(b)))
    plain = b
    st, hh, gz = s.request("GET", "/playground/editor.js", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    check("http: the bundle comes gzipped to a client that accepts gzip (the same bytes, a third the size)",
          lambda: (st == 200 and hh.get("content-encoding") == "gzip" and gzip.decompress(gz) == plain
                   and len(gz) * 2 < len(plain) and "Accept-Encoding" in hh.get("vary", ""), (st, hh)))
    check("http: the gzipped bundle has an ETag of its own",
          lambda: (hh.get("etag") and hh["etag"] != s.request("GET", "/playground/editor.js")[1].get("etag"), hh.get("etag")))
    st, hh, b2 = s.request("GET", "/playground/editor.js", headers={"Accept-Encoding": "gzip;q=0, br"})
    check("http: gzip;q=0 gets the plain bundle",
          lambda: (st == 200 and "content-encoding" not in hh and b2 == plain, hh.get("content-encoding")))
    etag = h.get("etag", "")
    st, hh, b = s.request("GET", "/", headers={"If-None-Match": etag})
    check("http: If-None-Match with the ETag gives 304 without a body",
          lambda: (etag.startswith('"') and st == 304 and not b and hh.get("etag") == etag, (etag, st)))
    st, hh, b = s.request("GET", "/", headers={"If-None-Match": 'W/"0000000000000000", W/%s' % etag})
    check("http: If-None-Match with a list naming the ETag (weak form too) gives 304", lambda: (st == 304, st))
    st, hh, b = s.request("GET", "/", headers={"If-None-Match": '"0000000000000000"'})
    check("http: another ETag gives the page again (200)", lambda: (st == 200 and b, st))
    check("http: Cache-Control no-cache (revalidated, so a new binary is seen at once)",
          lambda: (h.get("cache-control") == "no-cache", h.get("cache-control")))
    st, hh, b = s.request("HEAD", "/playground/app.js")
    check("http: HEAD answers like GET without the body",
          lambda: (st == 200 and not b and hh["content-type"].startswith("text/javascript"), (st, b)))
    for path in ("/playground/nope.js", "/playground/", "/index.html", "/playground/app.js/x"):
        st, hh, b = s.request("GET", path)
        check("http: unknown %s is the ordinary 404 JSON" % path,
              lambda: (st == 404 and isinstance(b, dict) and b["error"]["code"] == "not_found", (st, b)))
    st, hh, b = s.request("POST", "/", body="{}")
    check("http: POST / is 405 with Allow", lambda: (st == 405 and "GET" in hh.get("allow", ""), (st, hh.get("allow"))))


def browser_checks(s):
    base = "http://127.0.0.1:%d/" % s.port
    try:
        r = browser("run", base)
    except Exception as e:  # one failure line per expectation below
        r = {"error": str(e)}
    shown = r.get("shown") or {}
    check("browser: the page loads with no console error and no request outside the server", lambda: clean_page(r))
    check("browser: the language list (from /v1/languages) has Python 3",
          lambda: (any(l["id"] == "python3" and l["text"].startswith("Python 3") for l in r["languages"]),
                   r.get("languages", r.get("error"))))
    check("browser: the editor highlights Python (CodeMirror token spans)",
          lambda: (shown["highlighted"] >= 5, shown.get("highlighted")))
    check("browser: a Python 3 program reading stdin shows its output (with its arguments)",
          lambda: (shown["stdout"] == PY_OUT, shown or r.get("error")))
    check("browser: the verdict shown is ok", lambda: (shown["verdict"] == "ok", shown.get("verdict")))
    check("browser: time and memory are shown",
          lambda: (re.fullmatch(r"\d+ ms CPU, \d+ ms wall", shown["time"])
                   and re.fullmatch(r"\d+ KB", shown["memory"]), (shown.get("time"), shown.get("memory"))))
    check("browser: a screenshot is saved as a test artifact",
          lambda: (os.path.getsize(os.path.join(ARTIFACTS, "playground-run.png")) > 10000, ARTIFACTS))
    check("browser: Share puts the state in the URL fragment (the address bar too)",
          lambda: (re.fullmatch(re.escape(base) + r"#s=[A-Za-z0-9_-]+", r["link"]) and r["link_after_share"] == r["link"],
                   r.get("link")))
    reo = r.get("reopened") or {}
    check("browser: the shareable link, opened in a fresh profile, restores language, source, stdin, args, limits",
          lambda: (r["reopened_state"] == "ready"
                   and all(reo[k] == shown[k] for k in ("language", "source", "stdin", "args", "cpu_ms"))
                   and reo["cpu_ms"] == "4000" and reo["args"] == "one\ntwo words", (reo, shown)))
    check("browser: output is shown while the program still runs (streamed)",
          lambda: (r["seen_while_running"] == "running", r.get("seen_while_running")))
    check("browser: Ctrl+Enter in the editor runs without inserting a line",
          lambda: (r["streamed"]["source"] == 'import time\nprint("first", flush=True)\ntime.sleep(4)\nprint("second")',
                   r["streamed"].get("source")))
    check("browser: the streamed run ends with all its output and ok",
          lambda: (r["streamed"]["stdout"] == "first\nsecond\n" and r["streamed"]["verdict"] == "ok", r.get("streamed")))

    try:
        r = browser("compile_error", base)
    except Exception as e:
        r = {"error": str(e)}
    shown = r.get("shown") or {}
    check("browser (compile error): no console error, nothing outside the server", lambda: clean_page(r))
    check("browser (compile error): the verdict shown is compile_error",
          lambda: (shown["verdict"] == "compile_error", shown or r.get("error")))
    check("browser (compile error): the compiler's message is shown in the compile output pane",
          lambda: (shown["compile_visible"] and "error: expected" in shown["compile_output"]
                   and "main.c:1:" in shown["compile_output"], shown.get("compile_output")))
    check("browser (compile error): nothing ran (no stdout)", lambda: (shown["stdout"] == "", shown.get("stdout")))
    check("browser: a garbled link says it could not be read",
          lambda: ("could not be read" in r["bad_links"]["garbled"], r.get("bad_links")))
    check("browser: a link naming a language the server lacks says so",
          lambda: ("'cobol-2099' is not on this server" in r["bad_links"]["unknown_language"], r.get("bad_links")))
    check("browser (compile error): its link restores C17 and the source",
          lambda: (r["reopened"]["language"] == "c17" and r["reopened"]["source"] == "int main(void) { return 0 }",
                   r.get("reopened")))


def off_checks(state):
    s = Server("--slots", "1", "--interactive-slots", "0", "--state-dir", state, "--no-playground")
    try:
        for path in ("/", "/playground/app.js", "/playground/editor.js"):
            st, h, b = s.request("GET", path)
            check("--no-playground: GET %s is the 404 JSON" % path,
                  lambda: (st == 404 and isinstance(b, dict) and b["error"]["code"] == "not_found", (st, b)))
        st, h, b = s.request("GET", "/v1/languages")
        check("--no-playground: the API is unaffected", lambda: (st == 200 and b, st))
    finally:
        s.cleanup()
    tmp = tempfile.mkdtemp(prefix="judgebox-playground-")
    try:
        conf = os.path.join(tmp, "config.json")
        with open(conf, "w") as f:
            json.dump({"playground": False}, f)
        s = Server("--slots", "1", "--interactive-slots", "0", "--state-dir", state, "--config", conf)
        try:
            st, h, b = s.request("GET", "/")
            check('config "playground": false: GET / is 404', lambda: (st == 404, (st, b)))
        finally:
            s.cleanup()
        with open(conf, "w") as f:
            json.dump({"playground": "no"}, f)
        code, lines = lib.run_startup_failure(["--langs", lib.LANGS, "--config", conf])
        check('config "playground": "no" is refused at start, naming the field',
              lambda: (code == 1 and any("playground must be true or false" in l for l in lines), (code, lines)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def auth_checks(state):
    tmp = tempfile.mkdtemp(prefix="judgebox-playground-")
    tokens = os.path.join(tmp, "tokens")
    with open(tokens, "w") as f:
        f.write("%s playground run\n" % TOKEN)
    os.chmod(tokens, 0o600)
    s = Server("--slots", "1", "--interactive-slots", "0", "--state-dir", state, "--auth-token-file", tokens)
    try:
        st, h, b = s.request("GET", "/")
        check("auth: the page itself needs no token (200)", lambda: (st == 200, st))
        st, h, b = s.request("GET", "/playground/app.js")
        check("auth: the page's files need no token", lambda: (st == 200, st))
        st, h, b = s.request("GET", "/v1/languages")
        check("auth: the API still does (401)", lambda: (st == 401, st))
        st, h, b = s.request("POST", "/", body="{}")
        check("auth: only GET of the page is open (POST / needs a token)", lambda: (st == 401, st))
        try:
            r = browser("auth", "http://127.0.0.1:%d/" % s.port, TOKEN)
        except Exception as e:
            r = {"error": str(e)}
        check("auth browser: without a key the page says it needs one and opens the key field",
              lambda: (r["state_without_key"] == "error" and "API key" in r["notice_without_key"]
                       and r["settings_open"] is True, r))
        check("auth browser: with the key (Authorization: Bearer) languages load and a run is ok",
              lambda: (r["state_with_key"] == "ready" and r["shown"]["stdout"] == "authorized key\n"
                       and r["shown"]["verdict"] == "ok", r.get("shown") or r.get("error")))
        check("auth browser: the key is kept in localStorage", lambda: (r["stored_key"] == TOKEN, r.get("stored_key")))
        check("auth browser: no other console error, nothing outside the server", lambda: clean_page(r))
        check("auth: the server logged the runs under the token's name",
              lambda: (any(e.get("path") == "/v1/run" and e.get("token") == "playground" for e in s.log()),
                       [e for e in s.log() if e.get("path") == "/v1/run"][-2:]))
    finally:
        s.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    state = tempfile.mkdtemp(prefix="judgebox-playground-state-")
    s = Server("--slots", "2", "--interactive-slots", "0", "--state-dir", state)
    try:
        http_checks(s)
        browser_checks(s)
        report("playground: no sanitizer report in the server's log", not s.sanitizer_reports(), s.sanitizer_reports())
    finally:
        code = s.stop()
        report("playground: the server stops cleanly (exit 0)", code == 0,
               "exit %s; %s" % (code, open(s.log_path).read()[-600:]))
        report("playground: no workspace left mounted", s.workspaces_mounted() == 0)
        s.cleanup()
    try:
        off_checks(state)
        auth_checks(state)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
