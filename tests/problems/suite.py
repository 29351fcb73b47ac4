"""tests/problems/suite.py - issue 9 end to end: special judges (a C++
testlib-protocol checker and a C Kattis validator, both written here),
interactive problems in both protocols, problem packages stored once
(upload, list, show, delete, restart), hostile archives, early stop and
scores, and `judgebox judge` (one file, --all).  Real servers on loopback
ports the kernel picks (tests/server/lib.py), a state directory of our own
per server, real programs in the default image."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
sys.path.insert(0, HERE)

import lib  # noqa: E402
import packages  # noqa: E402
from lib import check, report  # noqa: E402

LONG_WALL = {"wall_ms": 30000}   # the machine may be busy: CPU limits decide, not wall


def entries(state, sub):
    path = os.path.join(state, sub)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def upload(srv, data):
    return srv.request("POST", "/v1/problems", data, headers={"Content-Type": "application/octet-stream"},
                       timeout=300)


def verdicts(body):
    return [r.get("verdict") for r in body.get("runs", [])]


def main():
    state = tempfile.mkdtemp(prefix="judgebox-problems-")
    cfg = os.path.join(state, "config.json")
    with open(cfg, "w") as f:
        json.dump({"max_problem_unpacked_bytes": 64 << 20, "max_problem_files": 5000}, f)
    srv = lib.Server("--state-dir", state, "--config", cfg, "--slots", "2", "--interactive-slots", "1")
    ids = {}
    try:
        # ---- packages: upload, same content twice, list, show ----
        add_files = packages.add_package()

        def upload_tar():
            st, _, body = upload(srv, packages.tar_bytes(add_files))
            ids["add"] = body.get("id") if isinstance(body, dict) else None
            return (st == 201 and re.fullmatch(r"[0-9a-f]{64}", body["id"] or "") and body["tests"] == 7
                    and body["name"] == "A plus B" and body["checker"]["protocol"] == "kattis"
                    and body["checker"]["language"] == "c" and body["limits"]["time_limit_ms"] == 1000
                    and body["limits"]["memory_kb"] == 65536 and body["created"] is True, (st, body))
        check("upload: a tar package is stored (201, id, tests, checker, limits)", upload_tar)

        def upload_zip_again():
            st, _, body = upload(srv, packages.zip_bytes(add_files, prefix="a-plus-b/"))
            return (st == 200 and body["id"] == ids["add"] and body["created"] is False
                    and entries(state, "problems") == [ids["add"]], (st, body, entries(state, "problems")))
        check("upload: the same package as a zip in a folder gets the same id and stores nothing new",
              upload_zip_again)

        def list_and_show():
            st, _, body = srv.request("GET", "/v1/problems")
            st2, _, one = srv.request("GET", "/v1/problems/" + ids["add"])
            names = [t["id"] for t in one.get("test_list", [])]
            want = ["sample/1", "sample/2", "secret/large/03", "secret/large/nested/01",
                    "secret/large/nested/02", "secret/small/01", "secret/small/02"]
            st3, _, _ = srv.request("GET", "/v1/problems/" + "0" * 64)
            return (st == 200 and [p["id"] for p in body["problems"]] == [ids["add"]] and st2 == 200
                    and names == want and st3 == 404, (body, names, st3))
        check("GET /v1/problems lists it; /v1/problems/{id} shows the tests in sorted group order; "
              "an unknown id is 404", list_and_show)

        # ---- judging against the package: every verdict, early stop, scores ----
        expect = {
            "accepted/sum.c": "accepted", "accepted/sum.py": "accepted",
            "wrong_answer/off_by_one.c": "wrong_answer", "time_limit_exceeded/spin.c": "time_limit",
            "run_time_error/crash.c": "runtime_error", "memory_limit_exceeded/hog.c": "memory_limit",
        }
        for name, want in expect.items():
            def judge(name=name, want=want):
                lang = "c" if name.endswith(".c") else "python3"
                st, _, body = srv.run({"language": lang, "source": packages.ADD_SUBMISSIONS[name],
                                       "problem": ids["add"], "limits": LONG_WALL}, timeout=300)
                v = verdicts(body)
                if want == "accepted":
                    return (st == 200 and body["verdict"] == "accepted" and v == ["accepted"] * 7
                            and body["score"] == 5 and body["max_score"] == 5
                            and body["runs"][0]["checker_message"] == "correct: 3", body)
                # the third test (secret/large/03, a = 500) fails; the rest is skipped, not run
                return (st == 200 and body["verdict"] == want and v[:2] == ["accepted"] * 2 and v[2] == want
                        and v[3:] == ["skipped"] * 4 and body["score"] == 0
                        and "stdout" not in body["runs"][3], (st, body.get("verdict"), v))
            check("problem: %s gets %s%s" % (name, want, "" if want == "accepted" else ", later tests skipped"),
                  judge)

        def no_early_stop():
            st, _, body = srv.run({"language": "c", "source": packages.ADD_SUBMISSIONS["wrong_answer/off_by_one.c"],
                                   "problem": ids["add"], "stop_on_first_failure": False, "limits": LONG_WALL})
            v = verdicts(body)
            return (st == 200 and "skipped" not in v and v.count("wrong_answer") == 3 and body["score"] == 2, v)
        check("problem: stop_on_first_failure false runs every test; score counts the accepted secret ones",
              no_early_stop)

        def conflicts():
            st, _, body = srv.run({"language": "c", "source": "int main(){}", "problem": ids["add"],
                                   "tests": [{"stdin": ""}]})
            st2, _, body2 = srv.run({"language": "c", "source": "int main(){}", "problem": "nope"})
            return (st == 422 and body["error"]["field"] == "tests" and st2 == 422
                    and body2["error"]["code"] == "unknown_problem", (body, body2))
        check("problem: tests with a problem is a 422 conflict; an unknown problem is a 422", conflicts)

        def default_validator():
            st, _, body = upload(srv, packages.tar_bytes(packages.floaty_package(), "gz"))
            ids["floaty"] = body.get("id")
            good = "n = int(input())\nprint('%.4f' % (n / 2 + 0.0004))\n"
            bad = "n = int(input())\nprint(n / 2 + 0.01)\n"
            _, _, g = srv.run({"language": "python3", "source": good, "problem": ids["floaty"]})
            _, _, b = srv.run({"language": "python3", "source": bad, "problem": ids["floaty"]})
            return (st == 201 and body["checker"]["type"] == "default"
                    and body["checker"]["validator_flags"] == ["float_tolerance", "1e-3"]
                    and g["verdict"] == "accepted" and b["verdict"] == "wrong_answer", (body, g, b))
        check("problem: the default validator with float_tolerance from validator_flags", default_validator)

        # ---- special judges in raw requests ----
        checker_files = [{"name": "checker.cpp", "content": packages.TESTLIB_CHECKER},
                         {"name": "minitestlib.h", "content": packages.MINI_TESTLIB_H}]
        add_tests = [{"id": "a", "stdin": "1 2\n", "expected_output": "3\n"},
                     {"id": "b", "stdin": "20 22\n", "expected_output": "42\n", "points": 4},
                     {"id": "c", "stdin": "5 5\n", "expected_output": "10\n"}]

        def testlib(source, **extra):
            body = {"language": "python3", "source": source, "tests": add_tests,
                    "checker": {"type": "program", "protocol": "testlib", "language": "cpp",
                                "files": checker_files}}
            body.update(extra)
            return srv.run(body, timeout=300)

        def testlib_verdicts():
            _, _, ok = testlib("a, b = map(int, input().split())\nprint(a + b)\n")
            _, _, off = testlib("a, b = map(int, input().split())\nprint(a + b + (a > 10))\n")
            _, _, pe = testlib("a, b = map(int, input().split())\nprint(a + b, 'junk')\n")
            _, _, wa = testlib("print(0)\n")
            return (ok["verdict"] == "accepted" and ok["score"] == 6 and ok["max_score"] == 6
                    and ok["runs"][0]["checker_message"] == "3 is right"
                    and verdicts(off) == ["accepted", "partially_accepted", "accepted"]
                    and off["runs"][1]["score"] == 0.5 and off["score"] == 2.5
                    and off["verdict"] == "partially_accepted"
                    and pe["verdict"] == "wrong_answer"
                    and pe["runs"][0]["checker_message"].startswith("presentation error: extra output")
                    and wa["verdict"] == "wrong_answer" and "expected 3, got 0" in wa["runs"][0]["checker_message"],
                    (ok, off.get("runs"), pe.get("runs"), wa.get("runs")))
        check("testlib checker (C++, with a header sent alongside): accepted, points, presentation error, "
              "wrong answer; scores", testlib_verdicts)

        def checker_cached():
            before = entries(state, "programs")
            testlib("print(3)\n")
            after = entries(state, "programs")
            return (len(before) >= 1 and before == after and not any(e.startswith(".tmp") for e in after),
                    (before, after))
        check("a checker is compiled once: its cache entry is reused, nothing new on disk", checker_cached)

        def kattis_raw():
            st, _, body = srv.run({"language": "python3", "source": "a, b = map(int, input().split())\nprint(a*b)\n",
                                   "tests": add_tests, "checker": {"type": "program", "protocol": "kattis",
                                                                   "language": "c", "source": packages.ADD_VALIDATOR}})
            return (st == 200 and verdicts(body) == ["wrong_answer", "wrong_answer", "wrong_answer"]
                    and body["runs"][0]["checker_message"] == "expected 3, got 2"
                    and body["runs"][0]["checker"]["exit_code"] == 43, body)
        check("Kattis validator in a raw request: judgemessage.txt is the message", kattis_raw)

        def raw_early_stop():
            st, _, body = srv.run({"language": "python3", "source": "print(3)\n", "tests": add_tests,
                                   "stop_on_first_failure": True})
            return (st == 200 and verdicts(body) == ["accepted", "wrong_answer", "skipped"]
                    and body["score"] == 1 and body["max_score"] == 6, body)
        check("raw tests: stop_on_first_failure skips the rest; points give score and max_score", raw_early_stop)

        def broken_checkers():
            base = {"language": "python3", "source": "print(3)\n", "tests": add_tests[:1]}
            _, _, nocompile = srv.run(dict(base, checker={"type": "program", "protocol": "testlib",
                                                          "language": "cpp", "source": "int main( {"}))
            _, _, loops = srv.run(dict(base, checker={"type": "program", "protocol": "kattis", "language": "c",
                                                      "source": "int main(void){for(;;);}"},
                                       checker_limits={"cpu_ms": 300}))
            _, _, crash = srv.run(dict(base, checker={"type": "program", "protocol": "testlib", "language": "c",
                                                      "source": "#include <stdlib.h>\nint main(void){abort();}"}))
            _, _, code = srv.run(dict(base, checker={"type": "program", "protocol": "kattis", "language": "c",
                                                     "source": "int main(void){return 0;}"}))
            return (nocompile["verdict"] == "judge_error" and "does not compile" in nocompile["judge_error"]
                    and loops["verdict"] == "judge_error" and "time_limit" in loops["runs"][0]["checker_message"]
                    and crash["verdict"] == "judge_error" and "crashed" in crash["runs"][0]["checker_message"]
                    and code["verdict"] == "judge_error" and "not 42" in code["runs"][0]["checker_message"],
                    (nocompile, loops.get("runs"), crash.get("runs"), code.get("runs")))
        check("a checker that does not compile, loops, crashes or exits 0 under Kattis is judge_error, "
              "with the reason", broken_checkers)

        # ---- interactive problems ----
        def interactive_package():
            st, _, body = upload(srv, packages.tar_bytes(packages.guess_package({"8": "loop", "9": "idle"})))
            ids["guess"] = body.get("id")
            return st == 201 and body["interactive"] is True and body["tests"] == 6, body
        check("upload: an interactive package (validation: custom interactive)", interactive_package)

        def guess(source, tests_limit=None, **limits):
            body = {"language": "c", "source": source, "problem": ids["guess"],
                    "stop_on_first_failure": False}
            body["limits"] = dict(LONG_WALL, **limits)
            if tests_limit:
                body["interactor_limits"] = tests_limit
            return srv.run(body, timeout=300)[2]

        def interactive_verdicts():
            ok = guess(packages.GUESS_SUBMISSIONS["accepted/bisect.c"], {"cpu_ms": 500}, wall_ms=8000)
            v = verdicts(ok)
            runs = ok["runs"]
            return (v[:4] == ["accepted"] * 4 and runs[0]["checker_message"].startswith("found in")
                    and v[4] == "judge_error" and "interactor hit time_limit" in runs[4]["checker_message"]
                    and v[5] == "wall_time_limit" and runs[5]["checker_message"].startswith("idle")
                    and "interactor" in runs[0], (v, [r.get("checker_message") for r in runs]))
        check("interactive (Kattis): accepted; a looping interactor is judge_error; both sides waiting "
              "is wall_time_limit, said to be idleness", interactive_verdicts)

        def interactive_solution_faults():
            wa = guess(packages.GUESS_SUBMISSIONS["wrong_answer/linear.c"], {"cpu_ms": 500}, wall_ms=8000)
            crash = guess("#include <stdlib.h>\nint main(void){abort();}\n", {"cpu_ms": 500}, wall_ms=8000)
            spin = guess("int main(void){volatile unsigned long x=0;for(;;)x++;}\n", {"cpu_ms": 500},
                         cpu_ms=300, wall_ms=8000)
            quiet = guess("int main(void){return 0;}\n", {"cpu_ms": 500}, wall_ms=8000)
            return (verdicts(wa)[2] == "wrong_answer" and "more than 20" in wa["runs"][2]["checker_message"]
                    and verdicts(crash)[0] == "runtime_error" and verdicts(spin)[0] == "time_limit"
                    and verdicts(quiet)[0] == "wrong_answer",
                    (verdicts(wa), verdicts(crash), verdicts(spin), verdicts(quiet)))
        check("interactive: a wrong solution, a crash, a CPU hog and one that exits at once get "
              "wrong_answer, runtime_error, time_limit, wrong_answer", interactive_solution_faults)

        def testlib_interactor():
            body = {"language": "c", "source": packages.GUESS_SUBMISSIONS["accepted/bisect.c"],
                    "tests": [{"stdin": "17\n"}, {"stdin": "999\n"}],
                    "interactor": {"protocol": "testlib", "language": "c", "source": packages.GUESS_TESTLIB_INTERACTOR}}
            _, _, ok = srv.run(body)
            body["source"] = packages.GUESS_SUBMISSIONS["wrong_answer/linear.c"]
            _, _, wa = srv.run(body)
            return (ok["verdict"] == "accepted" and ok["runs"][0]["checker_message"].startswith("found in")
                    and wa["verdict"] == "wrong_answer", (ok, wa))
        check("interactive (testlib protocol) in a raw request", testlib_interactor)

        def both_flood():
            # Each side writes 4 MiB and never reads, under an output cap of
            # 8 MiB: the 1 MiB pipes to the other side fill, and each
            # supervisor's forwarding must not block, or neither enforces
            # its wall limit and the request hangs with two slots held.
            flood = ("#include <string.h>\n#include <unistd.h>\nint main(void){static char b[65536];"
                     "memset(b,'x',sizeof b);for(int i=0;i<64;i++)if(write(1,b,sizeof b)<0)return 1;return 0;}\n")
            body = {"language": "c", "source": flood, "tests": [{"stdin": "1\n"}],
                    "limits": {"wall_ms": 2000, "output_bytes": 8 << 20},
                    "interactor": {"protocol": "testlib", "language": "c", "source": flood},
                    "interactor_limits": {"wall_ms": 2000, "output_bytes": 8 << 20}}
            started = time.monotonic()
            status, _, got = srv.run(body, timeout=120)
            took = time.monotonic() - started
            verdict = got.get("verdict") if isinstance(got, dict) else None
            return (status == 200 and verdict == "wall_time_limit" and took < 60,
                    (status, verdict, round(took, 1), got))
        check("interactive: both sides flooding and never reading end at their wall limits "
              "(the supervisors forward without blocking)", both_flood)

        # ---- hostile archives: 422 naming the entry, nothing left ----
        def tar_with(members):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as t:
                for info, data in members:
                    t.addfile(info, io.BytesIO(data) if data is not None else None)
            return buf.getvalue()

        def member(name, data=b"x", **kw):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            for k, v in kw.items():
                setattr(info, k, v)
            return info, data

        def special(name, kind, **kw):
            info = tarfile.TarInfo(name)
            info.type = kind
            for k, v in kw.items():
                setattr(info, k, v)
            return info, None

        def many_entries():
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
                for i in range(100000):
                    z.writestr("data/secret/%06d.in" % i, b"")
            return buf.getvalue()

        def bomb():
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                with z.open("data/secret/big.in", "w", force_zip64=True) as f:
                    chunk = b"\0" * (1 << 20)
                    for _ in range(1024):
                        f.write(chunk)
            return buf.getvalue()

        good = packages.tar_bytes(add_files, "gz")
        hostile = [
            ("path traversal", tar_with([member("problem.yaml", b"name: x\n"), member("data/../../evil.in")]), ".."),
            ("symlink", tar_with([special("data/secret/1.in", tarfile.SYMTYPE, linkname="/etc/shadow")]),
             "symbolic link"),
            ("absolute path", tar_with([member("/tmp/judgebox-evil")]), "absolute"),
            ("hard link", tar_with([member("a.in"), special("b.in", tarfile.LNKTYPE, linkname="a.in")]), "hard link"),
            ("device", tar_with([special("data/dev", tarfile.CHRTYPE, devmajor=1, devminor=3)]), "device"),
            ("setuid bit", tar_with([member("run.sh", b"#!/bin/sh\n", mode=0o4755)]), "setuid"),
            ("100,000 entries", many_entries(), "more than 5000 entries"),
            ("a 1 GiB entry compressed to ~1 MB", bomb(), "unpacks to more than"),
            ("truncated archive", good[: len(good) // 2], "truncated"),
            ("not an archive", b"this is not an archive\n" * 50, "not a tar"),
            ("an archive without tests", packages.tar_bytes({"problem.yaml": b"name: empty\n"}), "no tests"),
            ("a .in without its .ans", packages.tar_bytes({"data/secret/1.in": b"1\n"}), ".ans"),
            ("bad problem.yaml", packages.tar_bytes({"problem.yaml": b"limits: 5\n", "data/secret/1.in": b"",
                                                     "data/secret/1.ans": b""}), "limits must be a mapping"),
        ]
        for name, data, want in hostile:
            def refused(data=data, want=want):
                before = entries(state, "problems")
                st, _, body = upload(srv, data)
                after = entries(state, "problems")
                msg = body["error"]["message"] if isinstance(body, dict) and "error" in body else str(body)
                return (st == 422 and want in msg and after == before and entries(state, "spool") == [],
                        (st, msg, before, after))
            check("hostile archive refused with 422, nothing left on disk: " + name, refused)

        def evil_not_written():
            return not os.path.exists("/tmp/judgebox-evil") and not os.path.exists(os.path.join(state, "evil.in"))
        check("hostile archive: nothing was written outside the store", evil_not_written)

        # ---- restart: problems and compiled checkers survive ----
        def restart():
            nonlocal srv
            programs = entries(state, "programs")
            srv.cleanup()
            srv = lib.Server("--state-dir", state, "--config", cfg, "--slots", "2")
            st, _, body = srv.request("GET", "/v1/problems")
            _, _, run = srv.run({"language": "c", "source": packages.ADD_SUBMISSIONS["accepted/sum.c"],
                                 "problem": ids["add"], "limits": LONG_WALL})
            return (st == 200 and sorted(p["id"] for p in body["problems"]) == sorted([ids["add"], ids["floaty"], ids["guess"]])
                    and run["verdict"] == "accepted" and entries(state, "programs") == programs,
                    (body, run.get("verdict"), programs, entries(state, "programs")))
        check("restart: stored problems and cached judge programs are reused", restart)

        def delete():
            st, _, body = srv.request("DELETE", "/v1/problems/" + ids["floaty"])
            st2, _, _ = srv.request("GET", "/v1/problems/" + ids["floaty"])
            st3, _, _ = srv.request("DELETE", "/v1/problems/" + ids["floaty"])
            return (st == 200 and body["deleted"] is True and st2 == 404 and st3 == 404
                    and ids["floaty"] not in entries(state, "problems"), (st, body, st2, st3))
        check("DELETE /v1/problems/{id}: gone from disk, then 404", delete)

        def limits_body():
            _, _, body = srv.request("GET", "/v1/limits")
            return ("checker_limits" in body and "interactor_limits" in body
                    and body["problems"]["max_problem_files"] == 5000, body.get("problems"))
        check("GET /v1/limits has checker_limits, interactor_limits and the package bounds", limits_body)

        def leaks():
            # An idle server keeps up to 8 emptied workspaces for reuse (sandbox/workspace.c).
            holding, kept = srv.workspaces_holding_files(), srv.workspaces_mounted()
            return (not holding and kept <= 8 and not srv.sanitizer_reports(),
                    (holding, kept, srv.sanitizer_reports()[:3]))
        check("no workspace left holding files (at most 8 kept, emptied), no sanitizer report", leaks)
    finally:
        srv.cleanup()

    # ---- upload cap ----
    small_state = tempfile.mkdtemp(prefix="judgebox-problems-cap-")
    small_cfg = os.path.join(small_state, "config.json")
    with open(small_cfg, "w") as f:
        json.dump({"max_problem_bytes": 4096}, f)
    capped = lib.Server("--state-dir", small_state, "--config", small_cfg, "--slots", "1",
                        "--interactive-slots", "0")
    try:
        def too_big():
            st, _, body = upload(capped, b"\0" * 100000)
            return (st == 413 and entries(small_state, "problems") == [] and entries(small_state, "spool") == [],
                    (st, body))
        check("upload over max_problem_bytes is a 413, nothing kept", too_big)
    finally:
        capped.cleanup()
        shutil.rmtree(small_state, ignore_errors=True)

    # ---- judgebox judge ----
    pkg = tempfile.mkdtemp(prefix="judgebox-problem-dir-")
    try:
        packages.write_dir(packages.add_package(), pkg)
        env = dict(os.environ)
        env.setdefault("JUDGEBOX_IMAGES", lib.IMAGES)
        base = [lib.BINARY, "judge", pkg, "--langs", lib.LANGS, "--state-dir", state, "--wall-ms", "30000"]

        def judge_one():
            p = subprocess.run(base + [os.path.join(pkg, "submissions/accepted/sum.c")], env=env,
                               capture_output=True, text=True, timeout=600)
            lines = p.stdout.strip().split("\n")
            return (p.returncode == 0 and len(lines) == 8 and lines[0].startswith("sample/1")
                    and "accepted" in lines[0] and lines[-1].startswith("verdict accepted"), (p.returncode, p.stdout, p.stderr))
        check("judgebox judge DIR FILE: a line per test and the verdict, exit 0", judge_one)

        def judge_wrong():
            p = subprocess.run(base + [os.path.join(pkg, "submissions/wrong_answer/off_by_one.c")], env=env,
                               capture_output=True, text=True, timeout=600)
            return p.returncode == 1 and "verdict wrong_answer" in p.stdout and "skipped" in p.stdout, p.stdout
        check("judgebox judge DIR FILE: not accepted exits 1", judge_wrong)

        def judge_all():
            p = subprocess.run(base + ["--all"], env=env, capture_output=True, text=True, timeout=900)
            return (p.returncode == 0 and "6 submissions judged, 0 mismatches, 0 not judged" in p.stdout,
                    (p.returncode, p.stdout, p.stderr))
        check("judgebox judge --all: every submission matches its folder", judge_all)

        def judge_all_mislabelled():
            with open(os.path.join(pkg, "submissions/accepted/mislabelled.py"), "w") as f:
                f.write("a, b = map(int, input().split())\nprint(a - b)\n")
            p = subprocess.run(base + ["--all"], env=env, capture_output=True, text=True, timeout=900)
            return (p.returncode == 1 and "MISMATCH accepted/mislabelled.py: expected accepted, got wrong_answer"
                    in p.stdout and "1 mismatches" in p.stdout, (p.returncode, p.stdout))
        check("judgebox judge --all: a mislabelled submission is reported, exit 1", judge_all_mislabelled)

        def judge_bad_dir():
            p = subprocess.run([lib.BINARY, "judge", "/nonexistent", "x.c"], env=env, capture_output=True,
                               text=True, timeout=60)
            return p.returncode == 2 and "/nonexistent" in p.stderr, p.stderr
        check("judgebox judge: a missing package directory is one line and exit 2", judge_bad_dir)
    finally:
        shutil.rmtree(pkg, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)

    print("%d passed, %d failed" % (lib.passes, lib.failures))
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
