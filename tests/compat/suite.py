"""tests/compat/suite.py - black-box tests of the Judge0 CE 1.13.1 and
Piston v2 APIs of `judgebox serve` (server/compat), against real servers on
loopback ports the kernel picks, judging real programs in the default image
(c, cpp, python3, bash).  Every Judge0 endpoint and field (wrong types,
missing fields, limits over the maximum), the verdict map (accepted, wrong
answer, time limit, memory, output limit, runtime error by exit code and by
signal, compile error, forbidden syscall), base64 in (with Ruby's line
breaks) and out, fields=*, multi-file zips, asynchronous submissions,
batches, deletion and callbacks; the Piston endpoints by hand and through
the real `piston-client` npm package.  Prints "PASS name" / "FAIL name:
why"; a missing binary, image or npm package is a FAIL, never a skip."""

import base64
import http.server
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import lib  # noqa: E402
from lib import Server, check, report  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SECONDS = re.compile(r"^\d+\.\d{1,3}$")

C_SPIN = "int main(void){volatile unsigned long x=0;for(;;)x++;}\n"
C_SEGV = '#include <stdlib.h>\nint main(void){int *p=(int*)(long)atoi("0");*p=1;return 0;}\n'
C_FPE = '#include <stdlib.h>\nint main(void){volatile int z=atoi("0");return 7/z;}\n'
C_ABRT = '#include <stdlib.h>\nint main(void){abort();}\n'
C_EXIT3 = "int main(void){return 3;}\n"
C_MEM = ("#include <stdlib.h>\n#include <string.h>\n"
         "int main(void){for(int i=0;i<64;i++){char*p=malloc(16<<20);if(!p)return 2;memset(p,1,16<<20);}return 0;}\n")
C_OUTPUT = '#include <stdio.h>\nint main(void){for(;;)fputs("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\\n",stdout);}\n'
C_MOUNT = '#include <sys/mount.h>\nint main(void){mount("none","/tmp","tmpfs",0,0);return 0;}\n'
C_BROKEN = "int main(void){ return x; }\n"
C_HALF_SECOND = ("#include <time.h>\nint main(void){volatile unsigned long x=0;"
                 "while(clock()<CLOCKS_PER_SEC/2)x++;return 0;}\n")
C_DEFINE = '#include <stdio.h>\nint main(void){printf("%d\\n", VALUE);return 0;}\n'
C_ORDER = ('#include <stdio.h>\n#include <unistd.h>\nint main(void){write(1,"a\\n",2);usleep(200000);'
           'write(2,"b\\n",2);usleep(200000);write(1,"c\\n",2);return 0;}\n')
PY_ECHO = "print(f'hello, {input()}')\n"


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def ruby_b64(s):
    """Base64.encode64: a line break every 60 characters."""
    raw = base64.b64encode(s.encode() if isinstance(s, str) else s).decode()
    return "".join(raw[i:i + 60] + "\n" for i in range(0, len(raw), 60))


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return base64.b64encode(buf.getvalue()).decode()


def submit(srv, body, query="wait=true", timeout=180):
    return srv.request("POST", "/submissions?" + query, body, timeout=timeout)


def judged(srv, body, query="wait=true"):
    status, _, resp = submit(srv, body, query)
    if status != 201:
        raise AssertionError("HTTP %s: %s" % (status, resp))
    return resp


def status_is(resp, sid):
    return isinstance(resp, dict) and resp.get("status", {}).get("id") == sid


def poll(srv, token, query="", timeout=120):
    """GET a submission until it is no longer In Queue / Processing."""
    deadline = time.time() + timeout
    resp = None
    while time.time() < deadline:
        status, _, resp = srv.request("GET", "/submissions/%s?%s" % (token, query))
        if status == 200 and resp.get("status", {}).get("id", 1) > 2:
            return resp
        time.sleep(0.1)
    raise AssertionError("too slow: %s still %s after %ss" % (token, resp, timeout))


# ---------------------------------------------------------------- metadata

def metadata_checks(srv):
    def languages():
        status, _, b = srv.request("GET", "/languages")
        ids = {l["id"]: l["name"] for l in b} if status == 200 else {}
        want = {50: "C (GCC ", 54: "C++ (GCC ", 71: "Python (3.", 46: "Bash (", 43: "Plain Text",
                89: "Multi-file program"}
        ok = all(i in ids and ids[i].startswith(p) for i, p in want.items())
        ok = ok and all(set(l) == {"id", "name"} for l in b) and 48 not in ids
        return ok, "%s %s" % (status, b)
    check("judge0 GET /languages: Judge0 ids with real versions (50 C, 54 C++, 71 Python, 46 Bash, 43, 89)",
          languages)

    def languages_all():
        status, _, b = srv.request("GET", "/languages/all")
        return status == 200 and all(set(l) == {"id", "name", "is_archived"} and l["is_archived"] is False
                                     for l in b) and any(l["id"] == 50 for l in b), b
    check("judge0 GET /languages/all: id, name, is_archived", languages_all)

    def language_one():
        status, _, b = srv.request("GET", "/languages/50")
        ok = (status == 200 and b["id"] == 50 and b["source_file"] == "main.c" and "%s" in b["compile_cmd"]
              and b["run_cmd"] == "./main" and b["is_archived"] is False)
        s2, _, py = srv.request("GET", "/languages/71")
        ok = ok and s2 == 200 and py["compile_cmd"] is None and py["source_file"] == "main.py"
        s3, _, alias = srv.request("GET", "/languages/49")
        ok = ok and s3 == 200 and alias["name"].startswith("C (GCC")
        return ok, "%s %s / %s" % (status, b, py)
    check("judge0 GET /languages/{id}: source_file, compile_cmd with %s, run_cmd; 49 is an alias of C", language_one)

    def language_missing():
        s1, _, b1 = srv.request("GET", "/languages/9999")
        s2, _, b2 = srv.request("GET", "/languages/abc")
        return s1 == 404 and s2 == 404 and b1 == {"status": 404, "error": "Not Found"}, (s1, b1, s2, b2)
    check("judge0 GET /languages/{unknown}: 404", language_missing)

    def statuses():
        status, _, b = srv.request("GET", "/statuses")
        want = ["In Queue", "Processing", "Accepted", "Wrong Answer", "Time Limit Exceeded",
                "Compilation Error", "Runtime Error (SIGSEGV)", "Runtime Error (SIGXFSZ)",
                "Runtime Error (SIGFPE)", "Runtime Error (SIGABRT)", "Runtime Error (NZEC)",
                "Runtime Error (Other)", "Internal Error", "Exec Format Error"]
        return status == 200 and b == [{"id": i + 1, "description": d} for i, d in enumerate(want)], b
    check("judge0 GET /statuses: ids 1-14 with Judge0's descriptions", statuses)

    def about_version():
        s1, _, about = srv.request("GET", "/about")
        s2, h, version = srv.request("GET", "/version")
        ok = (s1 == 200 and about.get("version") == "1.13.1" and
              {"version", "homepage", "source_code", "maintainer"} <= set(about) and
              s2 == 200 and version == b"1.13.1" and h.get("content-type", "").startswith("text/plain"))
        return ok, (about, version, h)
    check("judge0 GET /about (JSON) and /version (plain text 1.13.1)", about_version)

    def config_info():
        status, _, b = srv.request("GET", "/config_info")
        keys = ["maintenance_mode", "enable_wait_result", "enable_compiler_options",
                "allowed_languages_for_compile_options", "enable_command_line_arguments",
                "enable_submission_delete", "enable_callbacks", "callbacks_max_tries", "callbacks_timeout",
                "enable_additional_files", "max_queue_size", "cpu_time_limit", "max_cpu_time_limit",
                "cpu_extra_time", "max_cpu_extra_time", "wall_time_limit", "max_wall_time_limit",
                "memory_limit", "max_memory_limit", "stack_limit", "max_stack_limit",
                "max_processes_and_or_threads", "max_max_processes_and_or_threads",
                "enable_per_process_and_thread_time_limit", "allow_enable_per_process_and_thread_time_limit",
                "enable_per_process_and_thread_memory_limit",
                "allow_enable_per_process_and_thread_memory_limit", "max_file_size", "max_max_file_size",
                "number_of_runs", "max_number_of_runs", "redirect_stderr_to_stdout", "max_extract_size",
                "enable_batched_submissions", "max_submission_batch_size", "submission_cache_duration",
                "use_docs_as_homepage", "allow_enable_network", "enable_network"]
        ok = (status == 200 and list(b) == keys and b["cpu_time_limit"] == 5.0 and b["memory_limit"] == 128000
              and b["max_cpu_time_limit"] == 15.0 and b["enable_submission_delete"] is True
              and b["enable_network"] is False)
        return ok, b
    check("judge0 GET /config_info: Judge0 1.13.1's keys, defaults and environment", config_info)

    def workers():
        status, _, b = srv.request("GET", "/workers")
        return (status == 200 and len(b) == 1 and
                set(b[0]) == {"queue", "size", "available", "idle", "working", "paused", "failed"} and
                b[0]["available"] == 2), b
    check("judge0 GET /workers: queue, size, available, idle, working, paused, failed", workers)

    def system_info():
        status, _, b = srv.request("GET", "/system_info")
        return status == 200 and b.get("Architecture") and b.get("CPU(s)") and "Mem" in b, b
    check("judge0 GET /system_info: lscpu-style keys", system_info)

    def index():
        status, _, b = srv.request("GET", "/submissions")
        return status == 403 and not b, (status, b)
    check("judge0 GET /submissions (list all, admin only): 403 with no body", index)


def statistics_check(srv, before):
    def statistics():
        status, _, b = srv.request("GET", "/statistics")
        ok = (status == 200 and {"now", "submissions", "languages", "statuses", "database"} <= set(b) and
              b["submissions"]["total"] > before and b["submissions"]["today"] >= 1 and
              any(l["language"]["id"] == 71 and l["count"] >= 1 for l in b["languages"]) and
              any(s["status"]["id"] == 3 for s in b["statuses"]) and
              len(b["submissions"]["last_30_days"]) == 30)
        return ok, b
    check("judge0 GET /statistics: counts what was submitted", statistics)


# ---------------------------------------------------------------- verdicts

def verdict_checks(srv):
    def accepted():
        r = judged(srv, {"source_code": PY_ECHO, "language_id": 71, "stdin": "Judge0",
                         "expected_output": "hello, Judge0"})
        ok = (status_is(r, 3) and r["stdout"] == "hello, Judge0\n" and UUID.match(r["token"]) and
              SECONDS.match(r["time"]) and isinstance(r["memory"], int) and r["memory"] > 0 and
              r["stderr"] is None and r["compile_output"] is None and r["message"] is None and
              list(r) == ["stdout", "time", "memory", "stderr", "token", "compile_output", "message", "status"])
        return ok, r
    check("judge0 wait=true: Accepted, default fields in Judge0's order, time string, memory KB", accepted)

    def judge0_strip_rule():
        r = judged(srv, {"source_code": "print()\nprint('  a  ')\nprint('b\\t')\nprint()\n", "language_id": 71,
                         "expected_output": "  a\nb\n\n\n"})
        return status_is(r, 3), r
    check("judge0 expected_output: lines right-stripped and the whole stripped, as Judge0 compares",
          judge0_strip_rule)

    def wrong():
        r = judged(srv, {"source_code": PY_ECHO, "language_id": 71, "stdin": "x", "expected_output": "hello, y"})
        return status_is(r, 4) and r["stdout"] == "hello, x\n", r
    check("judge0 Wrong Answer: 4", wrong)

    def tle():
        r = judged(srv, {"source_code": C_SPIN, "language_id": 50, "cpu_time_limit": 0.3, "cpu_extra_time": 0.2})
        return status_is(r, 5) and r["message"] == "Time limit exceeded" and float(r["time"]) >= 0.3, r
    check("judge0 Time Limit Exceeded (CPU): 5", tle)

    def tle_extra():
        r = judged(srv, {"source_code": C_HALF_SECOND, "language_id": 50, "cpu_time_limit": 0.2,
                         "cpu_extra_time": 2})
        return status_is(r, 5) and float(r["time"]) > 0.2, r
    check("judge0 finished within cpu_extra_time but over cpu_time_limit: 5, as isolate says", tle_extra)

    def tle_wall():
        r = judged(srv, {"source_code": "import time\ntime.sleep(5)\n", "language_id": 71, "wall_time_limit": 1})
        return status_is(r, 5) and "wall" in (r["message"] or ""), r
    check("judge0 Time Limit Exceeded (wall clock): 5", tle_wall)

    def compile_error():
        r = judged(srv, {"source_code": C_BROKEN, "language_id": 50})
        return (status_is(r, 6) and "error" in (r["compile_output"] or "") and r["time"] is None and
                r["stdout"] is None), r
    check("judge0 Compilation Error: 6 with compile_output", compile_error)

    def segv():
        r = judged(srv, {"source_code": C_SEGV, "language_id": 50}, "wait=true&fields=status,exit_signal,message")
        return status_is(r, 7) and r["exit_signal"] == 11 and r["message"] == "Caught fatal signal 11", r
    check("judge0 SIGSEGV: 7, exit_signal 11", segv)

    def output_limit():
        r = judged(srv, {"source_code": C_OUTPUT, "language_id": 50, "max_file_size": 64},
                   "wait=true&fields=status,exit_signal,stdout")
        return status_is(r, 8) and r["exit_signal"] == 25 and 0 < len(r["stdout"]) <= 64 * 1024, \
            {k: (v if k != "stdout" else len(v or "")) for k, v in r.items()}
    check("judge0 output over max_file_size: 8 (SIGXFSZ), output kept up to the cap", output_limit)

    def fpe():
        r = judged(srv, {"source_code": C_FPE, "language_id": 50}, "wait=true&fields=status,exit_signal")
        return status_is(r, 9) and r["exit_signal"] == 8, r
    check("judge0 SIGFPE: 9", fpe)

    def abrt():
        r = judged(srv, {"source_code": C_ABRT, "language_id": 50}, "wait=true&fields=status,exit_signal")
        return status_is(r, 10) and r["exit_signal"] == 6, r
    check("judge0 SIGABRT: 10", abrt)

    def nzec():
        r = judged(srv, {"source_code": C_EXIT3, "language_id": 50}, "wait=true&fields=status,exit_code,message")
        return status_is(r, 11) and r["exit_code"] == 3 and r["message"] == "Exited with error status 3", r
    check("judge0 non-zero exit: 11 (NZEC), exit_code, message", nzec)

    def memory():
        r = judged(srv, {"source_code": C_MEM, "language_id": 50, "memory_limit": 65536},
                   "wait=true&fields=status,exit_code,message,memory")
        return (status_is(r, 11) and r["exit_code"] == 137 and r["message"] == "Exited with error status 137"), r
    check("judge0 memory limit: 11 with exit code 137, as Judge0 reports an OOM kill", memory)

    def syscall():
        r = judged(srv, {"source_code": C_MOUNT, "language_id": 50}, "wait=true&fields=status,exit_signal,message")
        return status_is(r, 12) and r["exit_signal"] == 31 and "mount" in r["message"], r
    check("judge0 forbidden syscall: 12 (Other), SIGSYS, the syscall named", syscall)

    def python_exception():
        r = judged(srv, {"source_code": "raise SystemExit(4)", "language_id": 71}, "wait=true&fields=status,exit_code")
        return status_is(r, 11) and r["exit_code"] == 4, r
    check("judge0 interpreted program exiting 4: 11", python_exception)

    def python_syntax():
        r = judged(srv, {"source_code": "print(", "language_id": 71},
                   "wait=true&fields=status,exit_code,stderr,compile_output")
        return (status_is(r, 11) and r["exit_code"] == 1 and "SyntaxError" in (r["stderr"] or "") and
                r["compile_output"] is None), r
    check("judge0 Python syntax error: 11 with the error in stderr, as Judge0 (no compile step)", python_syntax)

    def plain_text():
        r = judged(srv, {"source_code": "just text\n", "language_id": 43})
        return status_is(r, 3) and r["stdout"] == "just text\n", r
    check("judge0 language 43 Plain Text: the source is the output", plain_text)


# ---------------------------------------------------------------- fields

ALL_FIELDS = ["source_code", "language_id", "stdin", "expected_output", "stdout", "status_id", "created_at",
              "finished_at", "time", "memory", "stderr", "token", "number_of_runs", "cpu_time_limit",
              "cpu_extra_time", "wall_time_limit", "memory_limit", "stack_limit",
              "max_processes_and_or_threads", "enable_per_process_and_thread_time_limit",
              "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code",
              "exit_signal", "message", "wall_time", "compiler_options", "command_line_arguments",
              "redirect_stderr_to_stdout", "callback_url", "additional_files", "enable_network", "status",
              "language"]


def field_checks(srv):
    def all_fields():
        r = judged(srv, {"source_code": PY_ECHO, "language_id": 71, "stdin": "all", "cpu_time_limit": 2,
                         "memory_limit": 100000, "stack_limit": 32000, "max_processes_and_or_threads": 30,
                         "max_file_size": 2048, "cpu_extra_time": 0.5, "wall_time_limit": 4},
                   "wait=true&fields=*")
        ok = (list(r) == ALL_FIELDS and r["source_code"] == PY_ECHO and r["language_id"] == 71 and
              r["stdin"] == "all" and r["status_id"] == 3 and r["cpu_time_limit"] == "2.0" and
              r["cpu_extra_time"] == "0.5" and r["wall_time_limit"] == "4.0" and r["memory_limit"] == 100000 and
              r["stack_limit"] == 32000 and r["max_processes_and_or_threads"] == 30 and
              r["max_file_size"] == 2048 and r["number_of_runs"] == 1 and r["exit_code"] == 0 and
              r["exit_signal"] is None and SECONDS.match(r["wall_time"]) and
              re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r["created_at"]) and
              r["finished_at"] >= r["created_at"] and r["language"]["id"] == 71 and
              r["language"]["name"].startswith("Python") and r["enable_network"] is False and
              r["redirect_stderr_to_stdout"] is False)
        return ok, r
    check("judge0 fields=*: every field, in Judge0's order, with its type and unit", all_fields)

    def some_fields():
        r = judged(srv, {"source_code": "print(1)", "language_id": 71}, "wait=true&fields=stdout,status_id,language")
        return list(r) == ["stdout", "status_id", "language"] and r["stdout"] == "1\n", r
    check("judge0 fields=stdout,status_id,language: only those", some_fields)

    def bad_fields():
        status, _, r = submit(srv, {"source_code": "print(1)", "language_id": 71}, "wait=true&fields=stdout,nope,x")
        return status == 400 and r == {"error": "invalid fields: [nope, x]"}, (status, r)
    check("judge0 fields with unknown names: 400 invalid fields", bad_fields)

    def base64_in_out():
        src = "import sys\n" + "# " + "x" * 100 + "\nprint(sys.stdin.read().upper(), end='')\n"
        r = judged(srv, {"source_code": ruby_b64(src), "language_id": 71, "stdin": ruby_b64("abc\n"),
                         "expected_output": b64("ABC\n")}, "wait=true&base64_encoded=true&fields=*")
        ok = (status_is(r, 3) and r["stdout"] == b64("ABC\n") and "\n" not in r["source_code"] and
              base64.b64decode(r["source_code"]).decode() == src and r["stdin"] == b64("abc\n"))
        return ok, r
    check("judge0 base64_encoded=true: Ruby-style base64 (line breaks) in, strict base64 out", base64_in_out)

    def base64_bad():
        status, _, r = submit(srv, {"source_code": "!!!", "language_id": 71}, "wait=true&base64_encoded=true")
        return status == 422 and "source_code" in r, (status, r)
    check("judge0 base64_encoded=true with source_code that is not base64: 422", base64_bad)

    def not_utf8():
        src = "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe')\n"
        status, _, r = submit(srv, {"source_code": src, "language_id": 71})
        ok = status == 201 and "UTF-8" in r.get("error", "") and UUID.match(r.get("token", ""))
        r2 = judged(srv, {"source_code": b64(src), "language_id": 71}, "wait=true&base64_encoded=true")
        ok = ok and base64.b64decode(r2["stdout"]) == b"\xff\xfe"
        return ok, (r, r2)
    check("judge0 output that is not UTF-8: Judge0's conversion error, exact bytes with base64", not_utf8)


# ---------------------------------------------------------------- validation

def expect_422(srv, body, field, message, query="wait=true"):
    status, _, r = submit(srv, body, query)
    ok = status == 422 and isinstance(r, dict) and message in (r.get(field) or [])
    return ok, (status, r)


def validation_checks(srv):
    py = {"source_code": "print(1)", "language_id": 71}

    def blank():
        status, _, r = submit(srv, {})
        return (status == 422 and r.get("source_code") == ["can't be blank"] and
                r.get("language_id") == ["can't be blank"]), (status, r)
    check("judge0 422: missing source_code and language_id are \"can't be blank\"", blank)

    cases = [
        ("source_code whitespace only", {"source_code": "   ", "language_id": 71}, "source_code", "can't be blank"),
        ("source_code an array", {"source_code": ["x"], "language_id": 71}, "source_code", "is invalid"),
        ("language_id unknown", {"source_code": "x", "language_id": 9999}, "language_id",
         "language with id 9999 doesn't exist"),
        ("language_id not a number", {"source_code": "x", "language_id": "abc"}, "language_id",
         "language with id 0 doesn't exist"),
        ("language_id an object", {"source_code": "x", "language_id": {}}, "language_id", "is invalid"),
        ("cpu_time_limit a word", dict(py, cpu_time_limit="abc"), "cpu_time_limit", "is not a number"),
        ("cpu_time_limit a boolean", dict(py, cpu_time_limit=True), "cpu_time_limit", "is not a number"),
        ("cpu_time_limit over 15", dict(py, cpu_time_limit=16), "cpu_time_limit",
         "must be less than or equal to 15.0"),
        ("cpu_time_limit negative", dict(py, cpu_time_limit=-1), "cpu_time_limit",
         "must be greater than or equal to 0"),
        ("cpu_extra_time over 5", dict(py, cpu_extra_time=6), "cpu_extra_time", "must be less than or equal to 5.0"),
        ("cpu_extra_time a word", dict(py, cpu_extra_time="x"), "cpu_extra_time", "is not a number"),
        ("wall_time_limit under 1", dict(py, wall_time_limit=0.5), "wall_time_limit",
         "must be greater than or equal to 1"),
        ("wall_time_limit over 20", dict(py, wall_time_limit=21), "wall_time_limit",
         "must be less than or equal to 20.0"),
        ("memory_limit under 2048", dict(py, memory_limit=1000), "memory_limit",
         "must be greater than or equal to 2048"),
        ("memory_limit over 512000", dict(py, memory_limit=600000), "memory_limit",
         "must be less than or equal to 512000"),
        ("memory_limit a list", dict(py, memory_limit=[1]), "memory_limit", "is not a number"),
        ("stack_limit over 128000", dict(py, stack_limit=200000), "stack_limit",
         "must be less than or equal to 128000"),
        ("max_processes_and_or_threads 0", dict(py, max_processes_and_or_threads=0),
         "max_processes_and_or_threads", "must be greater than 0"),
        ("max_processes_and_or_threads over 120", dict(py, max_processes_and_or_threads=121),
         "max_processes_and_or_threads", "must be less than or equal to 120"),
        ("max_file_size over 4096", dict(py, max_file_size=5000), "max_file_size",
         "must be less than or equal to 4096"),
        ("number_of_runs 0", dict(py, number_of_runs=0), "number_of_runs", "must be greater than 0"),
        ("number_of_runs over 20", dict(py, number_of_runs=21), "number_of_runs", "must be less than or equal to 20"),
        ("compiler_options over 512 characters", {"source_code": "int main(){}", "language_id": 50,
                                                  "compiler_options": "-O2 " * 130},
         "compiler_options", "is too long (maximum is 512 characters)"),
        ("compiler_options for an interpreted language", dict(py, compiler_options="-O2"), "compiler_options",
         "setting compiler options is only allowed for compiled languages"),
        ("compiler_options with an unclosed quote", {"source_code": "int main(){}", "language_id": 50,
                                                     "compiler_options": "-DX='1"},
         "compiler_options", "has a quote that is not closed"),
        ("command_line_arguments over 512 characters", dict(py, command_line_arguments="a " * 257),
         "command_line_arguments", "is too long (maximum is 512 characters)"),
        ("stdin an object", dict(py, stdin={"a": 1}), "stdin", "is invalid"),
        ("expected_output a list", dict(py, expected_output=[]), "expected_output", "is invalid"),
        ("callback_url a list", dict(py, callback_url=[]), "callback_url", "is invalid"),
        ("enable_network true", dict(py, enable_network=True), "enable_network", "enabling network is not allowed"),
        ("redirect_stderr_to_stdout an object", dict(py, redirect_stderr_to_stdout={}), "redirect_stderr_to_stdout",
         "is invalid"),
        ("enable_per_process_and_thread_time_limit a list", dict(py, enable_per_process_and_thread_time_limit=[]),
         "enable_per_process_and_thread_time_limit", "is invalid"),
        ("additional_files not base64", dict(py, additional_files="!!!"), "additional_files", "is not valid base64"),
        ("additional_files not a zip", dict(py, additional_files=b64("not a zip")), "additional_files",
         None),
        ("multi-file program with source_code", {"language_id": 89, "source_code": "x",
                                                 "additional_files": zip_of({"run": "echo"})},
         "source_code", "must be blank"),
        ("multi-file program without additional_files", {"language_id": 89}, "additional_files", "can't be blank"),
    ]
    for name, body, field, message in cases:
        def one(body=body, field=field, message=message):
            if message is None:
                status, _, r = submit(srv, body)
                return status == 422 and field in r, (status, r)
            return expect_422(srv, body, field, message)
        check("judge0 422: %s" % name, one)

    def lenient_types():
        r = judged(srv, {"source_code": "print(2)", "language_id": "71", "cpu_time_limit": "2.5",
                         "memory_limit": "64000", "number_of_runs": "1", "redirect_stderr_to_stdout": "false",
                         "enable_per_process_and_thread_time_limit": True}, "wait=true&fields=*")
        return (status_is(r, 3) and r["cpu_time_limit"] == "2.5" and r["memory_limit"] == 64000 and
                r["enable_per_process_and_thread_time_limit"] is True), r
    check("judge0 numbers and booleans as strings are cast as Rails casts them", lenient_types)

    def malformed():
        status, _, r = srv.request("POST", "/submissions?wait=true", b'{"source_code": ')
        return status == 400 and "error" in r, (status, r)
    check("judge0 malformed JSON: 400 {\"error\"}", malformed)

    def ignored_unknown():
        r = judged(srv, dict(py, not_a_judge0_field=1))
        return status_is(r, 3), r
    check("judge0 unknown fields are ignored, as Rails' permit does", ignored_unknown)


# ---------------------------------------------------------------- options

def option_checks(srv):
    def compiler_options():
        r = judged(srv, {"source_code": C_DEFINE, "language_id": 50, "compiler_options": "-DVALUE=42 -Wall"})
        return status_is(r, 3) and r["stdout"] == "42\n", r
    check("judge0 compiler_options reach the compiler", compiler_options)

    def arguments():
        r = judged(srv, {"source_code": 'printf "%s|" "$@"', "language_id": 46,
                         "command_line_arguments": "one 'two words' \"three\\\"q\" $HOME;x"})
        return status_is(r, 3) and r["stdout"] == 'one|two words|three"q|HOMEx|', r
    check("judge0 command_line_arguments split as bash would, with $&;<>|` removed as Judge0 does", arguments)

    def redirect():
        r = judged(srv, {"source_code": C_ORDER, "language_id": 50, "redirect_stderr_to_stdout": True})
        return status_is(r, 3) and r["stdout"] == "a\nb\nc\n" and r["stderr"] is None, r
    check("judge0 redirect_stderr_to_stdout: one stream, in the order written", redirect)

    def runs():
        r = judged(srv, {"source_code": "print(input())", "language_id": 71, "stdin": "x", "number_of_runs": 3,
                         "expected_output": "x"}, "wait=true&fields=status,number_of_runs,time")
        return status_is(r, 3) and r["number_of_runs"] == 3, r
    check("judge0 number_of_runs: every run accepted", runs)

    def stack_and_limits():
        r = judged(srv, {"source_code": "import resource\nprint(resource.getrlimit(resource.RLIMIT_STACK)[0]//1024,"
                         " resource.getrlimit(resource.RLIMIT_FSIZE)[0]//1024)", "language_id": 71,
                         "stack_limit": 32000, "max_file_size": 2000})
        return status_is(r, 3) and r["stdout"] == "32000 2000\n", r
    check("judge0 stack_limit and max_file_size become the run's rlimits (KB)", stack_and_limits)

    def processes():
        r = judged(srv, {"source_code": "import os\nfor i in range(20):\n    if os.fork() == 0:\n"
                         "        import time; time.sleep(2); os._exit(0)\nprint('forked')",
                         "language_id": 71, "max_processes_and_or_threads": 5}, "wait=true&fields=status,stderr")
        return r["status"]["id"] == 11 and "BlockingIOError" in (r["stderr"] or ""), r
    check("judge0 max_processes_and_or_threads limits forks", processes)

    def extra_files():
        zipped = zip_of({"helper.py": "def greet(n):\n    return 'hi ' + n\n", "data/names.txt": "ada\n"})
        r = judged(srv, {"source_code": "import helper\nprint(helper.greet(open('data/names.txt').read().strip()))",
                         "language_id": 71, "additional_files": zipped})
        return status_is(r, 3) and r["stdout"] == "hi ada\n", r
    check("judge0 additional_files next to a normal program (zip unpacked in /box)", extra_files)

    def multi_file():
        zipped = zip_of({"main.c": '#include "lib.h"\nint main(void){return show(7);}\n',
                         "lib.h": '#include <stdio.h>\nstatic int show(int n){printf("n=%d\\n", n);return 0;}\n',
                         "compile": "gcc -o prog main.c\n", "run": "./prog \"$@\"\n"})
        r = judged(srv, {"language_id": 89, "additional_files": zipped}, "wait=true&fields=*")
        return status_is(r, 3) and r["stdout"] == "n=7\n" and r["source_code"] is None, r
    check("judge0 language 89 Multi-file program: zip with compile and run scripts", multi_file)

    def multi_file_compile_error():
        zipped = zip_of({"main.c": "int main(void){return y;}\n", "compile": "gcc -o prog main.c\n",
                         "run": "./prog\n"})
        r = judged(srv, {"language_id": 89, "additional_files": zipped})
        return status_is(r, 6) and "error" in (r["compile_output"] or ""), r
    check("judge0 multi-file program whose compile script fails: 6", multi_file_compile_error)

    def zip_escape():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("../evil", "x")
        status, _, r = submit(srv, {"source_code": "print(1)", "language_id": 71,
                                    "additional_files": base64.b64encode(buf.getvalue()).decode()})
        return status == 422 and "additional_files" in r, (status, r)
    check("judge0 additional_files with ../ in a name: 422, nothing written", zip_escape)


# ---------------------------------------------------------------- asynchronous

class CallbackSink:
    """A real HTTP server on a loopback port that records PUTs."""

    def __init__(self):
        self.bodies = []
        self.cond = threading.Condition()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with sink.cond:
                    sink.bodies.append((self.path, self.headers.get("Content-Type"), body))
                    sink.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, path, timeout=120):
        deadline = time.time() + timeout
        with self.cond:
            while time.time() < deadline:
                for p, ctype, body in self.bodies:
                    if p == path:
                        return ctype, body
                self.cond.wait(0.5)
        return None, None

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def async_checks(srv):
    def async_one():
        status, _, r = submit(srv, {"source_code": PY_ECHO, "language_id": 71, "stdin": "async"}, "")
        if status != 201 or list(r) != ["token"] or not UUID.match(r["token"]):
            return False, (status, r)
        got = poll(srv, r["token"], "fields=stdout,status,token,created_at,finished_at,stdin")
        return got["stdout"] == "hello, async\n" and got["token"] == r["token"] and got["stdin"] == "async", got
    check("judge0 without wait: 201 {token}, then GET /submissions/{token} has the result", async_one)

    def async_states():
        status, _, r = submit(srv, {"source_code": "import time\ntime.sleep(1.5)\nprint(1)", "language_id": 71}, "")
        s2, _, first = srv.request("GET", "/submissions/%s" % r["token"])
        done = poll(srv, r["token"])
        return (status == 201 and s2 == 200 and first["status"]["id"] in (1, 2, 3) and
                done["status"]["id"] == 3), (first, done)
    check("judge0 asynchronous submission is In Queue or Processing, then Accepted", async_states)

    def async_base64():
        status, _, r = submit(srv, {"source_code": b64("print('b64')"), "language_id": 71}, "base64_encoded=true")
        got = poll(srv, r["token"], "base64_encoded=true")
        return got["stdout"] == b64("b64\n"), got
    check("judge0 asynchronous with base64 in and out", async_base64)

    def unknown_token():
        s1, _, b1 = srv.request("GET", "/submissions/00000000-0000-4000-8000-000000000000")
        s2, _, b2 = srv.request("GET", "/submissions/not-a-token")
        return s1 == 404 and s2 == 404 and b1 == {"status": 404, "error": "Not Found"}, (s1, b1, s2, b2)
    check("judge0 GET of an unknown token: 404", unknown_token)

    def get_fields():
        status, _, r = submit(srv, {"source_code": "print(5)", "language_id": 71}, "")
        poll(srv, r["token"])
        s1, _, bad = srv.request("GET", "/submissions/%s?fields=stdout,bogus" % r["token"])
        s2, _, every = srv.request("GET", "/submissions/%s?fields=*" % r["token"])
        return s1 == 400 and bad == {"error": "invalid fields: [bogus]"} and s2 == 200 and list(every) == ALL_FIELDS, \
            (bad, every)
    check("judge0 GET with fields=* and with unknown fields", get_fields)

    def batch():
        body = {"submissions": [{"source_code": "print(1)", "language_id": 71},
                                {"source_code": "", "language_id": 71},
                                {"source_code": C_EXIT3, "language_id": 50}]}
        status, _, r = srv.request("POST", "/submissions/batch", body)
        if status != 201 or len(r) != 3 or "token" not in r[0] or r[1] != {"source_code": ["can't be blank"]}:
            return False, (status, r)
        for t in (r[0]["token"], r[2]["token"]):
            poll(srv, t)
        s2, _, got = srv.request("GET", "/submissions/batch?tokens=%s,%s,00000000-0000-4000-8000-000000000000"
                                 % (r[0]["token"], r[2]["token"]))
        subs = got.get("submissions", [])
        return (s2 == 200 and len(subs) == 3 and subs[0]["status"]["id"] == 3 and subs[1]["status"]["id"] == 11
                and subs[2] is None), got
    check("judge0 batch: POST (one invalid entry) and GET ?tokens= (null for an unknown token)", batch)

    def batch_limits():
        too_many = {"submissions": [{"source_code": "print(1)", "language_id": 71}] * 21}
        s1, _, r1 = srv.request("POST", "/submissions/batch", too_many)
        s2, _, r2 = srv.request("POST", "/submissions/batch", {"submissions": []})
        s3, _, r3 = srv.request("POST", "/submissions/batch", {"submissions": [{"source_code": ""}]})
        s4, _, r4 = srv.request("GET", "/submissions/batch?tokens=")
        ok = (s1 == 400 and r1 == {"error": "number of submissions in a batch should be less than or equal to 20"} and
              s2 == 400 and r2 == {"error": "there should be at least one submission in a batch"} and
              s3 == 422 and isinstance(r3, list) and s4 == 400)
        return ok, (r1, r2, r3, r4)
    check("judge0 batch: more than 20, none, all invalid", batch_limits)

    def delete():
        status, _, r = submit(srv, {"source_code": "print('bye')", "language_id": 71}, "")
        poll(srv, r["token"])
        s1, _, gone = srv.request("DELETE", "/submissions/%s?fields=stdout,token" % r["token"])
        s2, _, after = srv.request("GET", "/submissions/%s" % r["token"])
        s3, _, missing = srv.request("DELETE", "/submissions/%s" % r["token"])
        return (s1 == 200 and gone == {"stdout": b64("bye\n"), "token": r["token"]} and s2 == 404 and s3 == 404), \
            (gone, after, missing)
    check("judge0 DELETE: the deleted submission in base64, then 404", delete)

    def delete_queued():
        status, _, r = submit(srv, {"source_code": "import time\ntime.sleep(3)", "language_id": 71}, "")
        s1, _, refused = srv.request("DELETE", "/submissions/%s" % r["token"])
        poll(srv, r["token"])
        return s1 == 400 and "cannot be deleted because its status is" in refused.get("error", ""), refused
    check("judge0 DELETE of a queued or running submission: 400", delete_queued)

    def callback():
        sink = CallbackSink()
        try:
            url = "http://127.0.0.1:%d/hook/1" % sink.port
            status, _, r = submit(srv, {"source_code": "print('called back')", "language_id": 71,
                                        "callback_url": url}, "")
            ctype, body = sink.wait("/hook/1")
            if body is None:
                return False, "too slow: no PUT to the callback_url within 120 s"
            got = json.loads(body)
            ok = (status == 201 and got.get("token") == r["token"] and got["status"]["id"] == 3 and
                  base64.b64decode(got["stdout"]) == b"called back\n" and ctype.startswith("application/json"))
            return ok, got
        finally:
            sink.close()
    check("judge0 callback_url: PUT of the result (base64, default fields)", callback)

    def callback_wait():
        sink = CallbackSink()
        try:
            url = "http://127.0.0.1:%d/hook/2" % sink.port
            r = judged(srv, {"source_code": "print('waited')", "language_id": 71, "callback_url": url})
            ctype, body = sink.wait("/hook/2")
            if body is None:
                return False, "too slow: no PUT to the callback_url within 120 s"
            got = json.loads(body)
            return (got["token"] == r["token"] and got["status"]["id"] == 3 and
                    base64.b64decode(got["stdout"]) == b"waited\n"), got
        finally:
            sink.close()
    check("judge0 callback_url with wait=true: called back too, as Judge0", callback_wait)


# ---------------------------------------------------------------- switches

def restricted_checks():
    env = {"ENABLE_WAIT_RESULT": "false", "ENABLE_BATCHED_SUBMISSIONS": "false", "ENABLE_COMPILER_OPTIONS": "false",
           "ENABLE_COMMAND_LINE_ARGUMENTS": "false", "ENABLE_CALLBACKS": "false", "ENABLE_ADDITIONAL_FILES": "false",
           "MAX_QUEUE_SIZE": "0", "CPU_TIME_LIMIT": "1", "MAX_CPU_TIME_LIMIT": "2"}
    with tempfile.TemporaryDirectory() as state:
        srv = Server("--slots", "1", "--state-dir", state, env=env)
        try:
            py = {"source_code": "print(1)", "language_id": 71}
            check("judge0 ENABLE_WAIT_RESULT=false: wait=true is 400 wait not allowed",
                  lambda: (lambda s, r: (s == 400 and r == {"error": "wait not allowed"}, r))(*submit(srv, py)[::2]))
            check("judge0 ENABLE_BATCHED_SUBMISSIONS=false: 400",
                  lambda: (lambda s, _, r: (s == 400 and r == {"error": "batched submissions are not allowed"}, r))(
                      *srv.request("POST", "/submissions/batch", {"submissions": [py]})))
            check("judge0 ENABLE_COMPILER_OPTIONS=false: 422",
                  lambda: expect_422(srv, {"source_code": "int main(){}", "language_id": 50, "compiler_options": "-O1"},
                                     "compiler_options", "setting compiler options is not allowed", ""))
            check("judge0 ENABLE_COMMAND_LINE_ARGUMENTS=false: 422",
                  lambda: expect_422(srv, dict(py, command_line_arguments="a"), "command_line_arguments",
                                     "setting command line arguments is not allowed", ""))
            check("judge0 ENABLE_CALLBACKS=false: 422",
                  lambda: expect_422(srv, dict(py, callback_url="http://127.0.0.1:1/"), "callback_url",
                                     "setting callback is not allowed", ""))
            check("judge0 ENABLE_ADDITIONAL_FILES=false: 422",
                  lambda: expect_422(srv, dict(py, additional_files=zip_of({"a": "b"})), "additional_files",
                                     "setting additional files is not allowed", ""))
            check("judge0 CPU_TIME_LIMIT / MAX_CPU_TIME_LIMIT from the environment",
                  lambda: expect_422(srv, dict(py, cpu_time_limit=3), "cpu_time_limit",
                                     "must be less than or equal to 2.0", ""))
            check("judge0 MAX_QUEUE_SIZE reached: 503 queue is full",
                  lambda: (lambda s, r: (s == 503 and r == {"error": "queue is full"}, r))(*submit(srv, py, "")[::2]))
            check("judge0 DELETE with ENABLE_SUBMISSION_DELETE unset: 400 delete not allowed",
                  lambda: (lambda s, _, r: (s == 400 and r == {"error": "delete not allowed"}, r))(
                      *srv.request("DELETE", "/submissions/00000000-0000-4000-8000-000000000000")))
        finally:
            srv.cleanup()

    with tempfile.TemporaryDirectory() as state:
        srv = Server("--slots", "1", "--state-dir", state, env={"MAINTENANCE_MODE": "true"})
        try:
            def maintenance():
                status, _, r = submit(srv, {"source_code": "print(1)", "language_id": 71})
                s2, _, langs = srv.request("GET", "/languages")
                return status == 503 and "maintenance" in r.get("error", "") and s2 == 200, (status, r)
            check("judge0 MAINTENANCE_MODE: submissions 503, the rest answers", maintenance)
        finally:
            srv.cleanup()


def templated_options_check():
    """A language file that says where compile options go ({options}) gets
    Judge0's compiler_options there, each checked against its allowlist."""
    with tempfile.TemporaryDirectory() as tmp:
        langs = os.path.join(tmp, "langs")
        os.mkdir(langs)
        c = None
        for name in sorted(os.listdir(lib.LANGS)):
            with open(os.path.join(lib.LANGS, name)) as f:
                d = json.load(f)
            if d["id"] == "c" or "c" in d.get("aliases", []):
                c = d
        c["id"] = "c"
        c.pop("aliases", None)
        c["compile"] = ["gcc", "{options}", "-o", "main", "{sources}"]
        c["compile_options"] = ["-D[A-Z]+=[0-9]+"]
        with open(os.path.join(langs, "c.json"), "w") as f:
            json.dump(c, f)
        srv = Server("--slots", "1", "--state-dir", os.path.join(tmp, "state"), "--langs", langs)
        try:
            def allowed_and_refused():
                r = judged(srv, {"source_code": C_DEFINE, "language_id": 50, "compiler_options": "-DVALUE=7"})
                status, _, refused = submit(srv, {"source_code": C_DEFINE, "language_id": 50,
                                                  "compiler_options": "-DVALUE=7 -fplugin=x"})
                s2, _, lang = srv.request("GET", "/languages/50")
                return (status_is(r, 3) and r["stdout"] == "7\n" and status == 422 and
                        refused == {"compiler_options": ["option -fplugin=x is not allowed for this language"]} and
                        lang["compile_cmd"] == "gcc %s -o main main.c"), (r, refused, lang)
            check("judge0 compiler_options into a language file's {options}, checked against its allowlist",
                  allowed_and_refused)
        finally:
            srv.cleanup()


def queue_full_check():
    with tempfile.TemporaryDirectory() as state:
        srv = Server("--slots", "1", "--queue", "0", "--state-dir", state)
        try:
            results = {}

            def long_one():
                results["long"] = submit(srv, {"source_code": "import time\ntime.sleep(4)", "language_id": 71})

            t = threading.Thread(target=long_one)
            t.start()
            ok, h = srv.wait_health(lambda h: h["busy"] == 1, timeout=60)
            if not ok:
                t.join()
                return report("judge0 wait=true with every slot busy and no queue: 503 queue is full", False,
                              "too slow: the first submission never ran: %s" % h)
            status, _, r = submit(srv, {"source_code": "print(1)", "language_id": 71})
            t.join()
            return report("judge0 wait=true with every slot busy and no queue: 503 queue is full",
                          status == 503 and r == {"error": "queue is full"} and results["long"][0] == 201,
                          (status, r, results["long"][0]))
        finally:
            srv.cleanup()


def auth_checks():
    """With tokens (server/ops), Judge0 and Piston refusals are 401/403 with
    an empty body, as Judge0 sends them; X-Auth-Token is Judge0's header."""
    run_token, read_token = "compat-run-token-0123456789", "compat-read-token-0123456789"
    with tempfile.TemporaryDirectory() as state:
        tokens = os.path.join(state, "tokens")
        with open(tokens, "w") as f:
            f.write("%s runner run\n%s reader read\n" % (run_token, read_token))
        os.chmod(tokens, 0o600)
        srv = Server("--slots", "1", "--state-dir", os.path.join(state, "s"), "--auth-token-file", tokens)
        try:
            py = {"source_code": "print(1)", "language_id": 71}

            def refusals():
                s1, _, b1 = submit(srv, py)
                s2, _, b2 = srv.request("POST", "/submissions?wait=true", py, headers={"X-Auth-Token": read_token})
                s3, _, b3 = srv.request("GET", "/languages")
                s4, _, b4 = piston_post(srv, {"language": "python", "version": "*", "files": [{"content": ""}]})
                ok = s1 == 401 and s2 == 403 and s3 == 401 and s4 == 401 and not (b1 or b2 or b3 or b4)
                return ok, (s1, b1, s2, b2, s3, b3, s4, b4)
            check("judge0/piston with tokens: 401 without, 403 without the scope, empty bodies", refusals)

            def allowed():
                s1, _, r = srv.request("POST", "/submissions?wait=true", py, headers={"X-Auth-Token": run_token})
                s2, _, langs = srv.request("GET", "/languages", headers={"X-Auth-Token": read_token})
                return s1 == 201 and status_is(r, 3) and s2 == 200, (s1, r, s2)
            check("judge0 with X-Auth-Token: judged; a read token lists languages", allowed)
        finally:
            srv.cleanup()


# ---------------------------------------------------------------- Piston

def piston_post(srv, body, content_type="application/json"):
    return srv.request("POST", "/api/v2/execute", body, headers={"Content-Type": content_type})


def piston_checks(srv):
    def runtimes():
        status, _, b = srv.request("GET", "/api/v2/runtimes")
        by = {r["language"]: r for r in b} if status == 200 else {}
        py, cpp, c = by.get("python", {}), by.get("c++", {}), by.get("c", {})
        ok = (re.match(r"^3\.\d+\.\d+$", py.get("version", "")) and "py" in py.get("aliases", []) and
              "runtime" not in py and cpp.get("runtime") == "gcc" and "cpp" in cpp.get("aliases", []) and
              c.get("runtime") == "gcc" and all(set(r) <= {"language", "version", "aliases", "runtime"} for r in b))
        return ok, b
    check("piston GET /api/v2/runtimes: language, semver version, aliases, runtime", runtimes)

    def hello():
        status, _, r = piston_post(srv, {"language": "py", "version": "3.x",
                                         "files": [{"name": "x.py", "content": "print('hi')"}]})
        run = r.get("run", {}) if isinstance(r, dict) else {}
        ok = (status == 200 and r["language"] == "python" and re.match(r"^3\.", r["version"]) and
              "compile" not in r and run.get("stdout") == "hi\n" and run.get("stderr") == "" and
              run.get("output") == "hi\n" and run.get("code") == 0 and run.get("signal") is None and
              run.get("status") is None and run.get("message") is None and isinstance(run.get("cpu_time"), int)
              and isinstance(run.get("wall_time"), int) and run.get("memory", 0) > 1024 * 1024)
        return ok, r
    check("piston execute: interpreted (no compile stage), units ms and bytes", hello)

    def compiled():
        status, _, r = piston_post(srv, {"language": "c", "version": "*", "stdin": "5",
                                         "files": [{"content": "#include <stdio.h>\nint main(int c,char**v){int n;"
                                                               "scanf(\"%d\",&n);printf(\"%d %s\\n\",n*2,v[1]);}"}],
                                         "args": ["arg1"]})
        ok = (status == 200 and r["compile"]["code"] == 0 and r["compile"]["status"] is None and
              r["run"]["stdout"] == "10 arg1\n")
        return ok, r
    check("piston execute: compiled language has compile and run; stdin and args", compiled)

    def compile_error():
        status, _, r = piston_post(srv, {"language": "c", "version": "*", "files": [{"content": C_BROKEN}]})
        ok = (status == 200 and r["compile"]["code"] == 1 and r["compile"]["status"] == "RE" and
              "error" in r["compile"]["stderr"] and r["run"] == r["compile"])
        return ok, r
    check("piston execute: failed compile, run equals compile as Piston answers", compile_error)

    def syntax_error():
        status, _, r = piston_post(srv, {"language": "python", "version": "*", "files": [{"content": "print("}]})
        return (status == 200 and "compile" not in r and r["run"]["status"] == "RE" and
                "SyntaxError" in r["run"]["stderr"]), r
    check("piston execute: a Python syntax error is the run's (no compile stage)", syntax_error)

    def interleaved():
        status, _, r = piston_post(srv, {"language": "c", "version": "*", "files": [{"content": C_ORDER}]})
        run = r["run"]
        return (status == 200 and run["stdout"] == "a\nc\n" and run["stderr"] == "b\n" and
                run["output"] == "a\nb\nc\n"), run
    check("piston output: stdout and stderr in the order written", interleaved)

    def statuses():
        cases = [("RE", {"language": "python", "version": "*", "files": [{"content": "raise SystemExit(3)"}]},
                  lambda run: run["code"] == 3 and run["signal"] is None and run["message"] == "Exited with error status 3"),
                 ("SG", {"language": "c", "version": "*", "files": [{"content": C_SEGV}]},
                  lambda run: run["signal"] == "SIGSEGV" and run["code"] is None),
                 ("TO", {"language": "c", "version": "*", "files": [{"content": C_SPIN}], "run_cpu_time": 300},
                  lambda run: run["signal"] == "SIGKILL" and run["cpu_time"] >= 300),
                 ("SG", {"language": "c", "version": "*", "files": [{"content": C_MEM}], "run_memory_limit": 64 << 20},
                  lambda run: run["signal"] == "SIGKILL"),
                 ("OL", {"language": "c", "version": "*", "files": [{"content": C_OUTPUT}]},
                  lambda run: run["signal"] == "SIGKILL" and run["message"] == "stdout length exceeded")]
        bad = []
        for want, body, pred in cases:
            status, _, r = piston_post(srv, body)
            run = r.get("run", {}) if isinstance(r, dict) else {}
            if status != 200 or run.get("status") != want or not pred(run):
                bad.append((want, status, {k: v for k, v in run.items() if k not in ("stdout", "output")}))
        return not bad, bad
    check("piston statuses: RE (exit code), SG (signal), TO, memory (SG SIGKILL), OL", statuses)

    def versions():
        ok = True
        out = []
        for rng in ["3", "3.x", "^3.1", "~3", ">=3 <4", "*", "2.x || 3.x", "3.0.0 - 3.99"]:
            status, _, r = piston_post(srv, {"language": "python3", "version": rng, "files": [{"content": "print(1)"}]})
            out.append((rng, status))
            ok = ok and status == 200
        for rng in ["2.x", "<3", "4", "bogus"]:
            status, _, r = piston_post(srv, {"language": "python", "version": rng, "files": [{"content": "print(1)"}]})
            out.append((rng, status, r))
            ok = ok and status == 400 and r == {"message": "python-%s runtime is unknown" % rng}
        return ok, out
    check("piston version: semver ranges pick the runtime, others are unknown", versions)

    def errors():
        cases = [({"version": "*", "files": []}, "language is required as a string"),
                 ({"language": 5, "version": "*", "files": []}, "language is required as a string"),
                 ({"language": "python", "files": []}, "version is required as a string"),
                 ({"language": "python", "version": 3, "files": []}, "version is required as a string"),
                 ({"language": "python", "version": "*"}, "files is required as an array"),
                 ({"language": "python", "version": "*", "files": {}}, "files is required as an array"),
                 ({"language": "python", "version": "*", "files": [{"name": "a"}]}, "files[0].content is required as a string"),
                 ({"language": "python", "version": "*", "files": [{"content": "eA==", "encoding": "base64"}]},
                  "files must include at least one utf8 encoded file"),
                 ({"language": "nope", "version": "*", "files": [{"content": ""}]}, "nope-* runtime is unknown"),
                 ({"language": "python", "version": "*", "files": [{"content": ""}], "run_timeout": 10 ** 9},
                  "run_timeout cannot exceed the configured limit of 60000"),
                 ({"language": "python", "version": "*", "files": [{"content": ""}], "run_cpu_time": "5"},
                  "If specified, run_cpu_time must be a number"),
                 ({"language": "python", "version": "*", "files": [{"content": ""}], "compile_timeout": -5},
                  "compile_timeout must be non-negative"),
                 ({"language": "python", "version": "*", "files": [{"content": ""}], "run_memory_limit": 1 << 40},
                  "run_memory_limit cannot exceed the configured limit of 2147483648")]
        bad = []
        for body, msg in cases:
            status, _, r = piston_post(srv, body)
            if status != 400 or r != {"message": msg}:
                bad.append((body, status, r))
        s2, _, r2 = piston_post(srv, "language=python", "application/x-www-form-urlencoded")
        if s2 != 415 or r2 != {"message": "requests must be of type application/json"}:
            bad.append(("form", s2, r2))
        return not bad, bad
    check("piston 400 {message} for missing or wrong fields and limits; 415 for a form", errors)

    def extra_files():
        status, _, r = piston_post(srv, {"language": "python", "version": "*", "files": [
            {"name": "main.py", "content": "import helper\nprint(helper.X, open('d.bin','rb').read())"},
            {"name": "helper.py", "content": "X = 7"},
            {"name": "d.bin", "content": "AAE=", "encoding": "base64"}]})
        return status == 200 and r["run"]["stdout"] == "7 b'\\x00\\x01'\n", r
    check("piston files: the first is the program, others keep their names, base64 content", extra_files)

    def packages():
        status, _, r = srv.request("GET", "/api/v2/packages")
        return status == 501 and "message" in r, (status, r)
    check("piston /api/v2/packages: 501", packages)


def piston_client_checks(srv):
    node_modules = os.path.join(HERE, "node_modules", "piston-client")
    if not os.path.isdir(node_modules):
        return report("piston-client npm package", False,
                      "tests/compat/node_modules/piston-client is missing (make test-prereqs runs npm ci)")
    p = subprocess.run(["node", os.path.join(HERE, "piston_client.mjs"), "http://127.0.0.1:%d" % srv.port],
                       capture_output=True, timeout=300)
    if p.returncode != 0:
        return report("piston-client npm package", False, p.stderr.decode(errors="replace")[-400:])
    out = json.loads(p.stdout)
    check("piston-client: runtimes()", lambda: (any(r["language"] == "python" for r in out["runtimes"]),
                                                 out["runtimes"]))
    check("piston-client: hello world", lambda: (out["hello"]["run"]["stdout"] == "hello, piston\n", out["hello"]))
    check("piston-client: stdin", lambda: (out["stdin"]["run"]["stdout"] == "xobegduj\n", out["stdin"]))
    check("piston-client: args", lambda: (out["args"]["run"]["stdout"] == "2:one:two words\n", out["args"]))
    check("piston-client: compile error",
          lambda: (out["compile_error"]["compile"]["code"] != 0 and "error" in out["compile_error"]["run"]["stderr"],
                   out["compile_error"]))
    check("piston-client: compiled C++ with the client's default args",
          lambda: (out["compiled"]["run"]["stdout"] == "31\n", out["compiled"]))
    check("piston-client: timeout",
          lambda: (out["timeout"]["run"]["status"] == "TO" and out["timeout"]["run"]["signal"] == "SIGKILL",
                   out["timeout"]))


def main():
    if not os.path.exists(lib.BINARY):
        report("judgebox binary", False, "%s is missing (make all)" % lib.BINARY)
        return 1
    if not os.path.isdir(os.path.join(lib.IMAGES, "default", "rootfs")):
        report("default image", False, "%s/default/rootfs is missing (make default-image)" % lib.IMAGES)
        return 1
    with tempfile.TemporaryDirectory() as state:
        srv = Server("--slots", "2", "--state-dir", state, env={"ENABLE_SUBMISSION_DELETE": "true"})
        try:
            _, _, stats = srv.request("GET", "/statistics")
            before = stats["submissions"]["total"]
            metadata_checks(srv)
            verdict_checks(srv)
            field_checks(srv)
            validation_checks(srv)
            option_checks(srv)
            async_checks(srv)
            statistics_check(srv, before)
            piston_checks(srv)
            piston_client_checks(srv)
            def nothing_left():
                # Idle, a server keeps up to 8 workspaces emptied for reuse
                # (sandbox/workspace.c): none may hold a file.
                ok, h = srv.wait_health(lambda h: h["busy"] == 0 and h["queued"] == 0, timeout=120)
                deadline = time.time() + 30
                while srv.workspaces_holding_files() and time.time() < deadline:
                    time.sleep(0.1)
                holding, kept = srv.workspaces_holding_files(), srv.workspaces_mounted()
                return ok and not holding and kept <= 8, (h, holding, kept)
            check("no workspace of this server holds a file once it is idle (at most 8 kept, emptied)", nothing_left)
            check("no sanitizer report in the server's log",
                  lambda: (not srv.sanitizer_reports(), srv.sanitizer_reports()[:3]))
        finally:
            srv.cleanup()
    restricted_checks()
    queue_full_check()
    templated_options_check()
    auth_checks()
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
