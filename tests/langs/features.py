#!/usr/bin/env python3
"""tests/langs/features.py - judging the way contest judges do (issue 14),
through a real server (tests/server/lib.py): C/C++ standards and aliases,
compile_options allowlists (422 naming the flag), multi-file compiles, the
Java/Scala main class with a package line, ES modules, OCaml's str and unix,
syntax checks of interpreted languages as compile_error, file_size_kb and
stack_kb in limits and compile_limits (a compiler stopped by the file-size
limit reports that limit), PyPy.  Languages whose image is not built are
reported as FAIL (make rootfs IMAGES=all)."""
import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
from lib import Server, check, report  # noqa: E402
import lib  # noqa: E402


def run(srv, body):
    status, _, r = srv.run(body, timeout=300)
    return status, r


def stdout_is(srv, body, want):
    """(ok, why): the first run of `body` printed exactly `want`."""
    _, r = run(srv, body)
    return r.get("runs") and r["runs"][0]["stdout"] == want, str(r)[:400]


# Programs checked by what they print: (check name, language id that must be
# served or None, the request, its first run's exact stdout).
PRINTS = [
    ("multi-file: a C++ program over two .cpp files links", None,
     {"language": "cpp", "files": [
         {"content": "#include \"lib.h\"\n#include <cstdio>\nint main() { std::printf(\"%d\\n\", add(2, 3)); }\n"},
         {"name": "lib.h", "content": "int add(int, int);\n"},
         {"name": "lib.cpp", "content": "#include \"lib.h\"\nint add(int a, int b) { return a + b; }\n"}]},
     "5\n"),
    ("java: any public class with main, in a package", "java",
     {"language": "java", "stdin": "7",
      "source": "package contest.solution;\nimport java.util.*;\n// class Fake\npublic class Solver {\n  public static void main(String[] args) { System.out.println(\"solved \" + new Scanner(System.in).nextInt()); }\n}\n"},
     "solved 7\n"),
    ("java: two source files compile together", "java",
     {"language": "java", "files": [
         {"content": "public class App { public static void main(String[] a) { System.out.println(Util.twice(21)); } }\n"},
         {"name": "Util.java", "content": "public class Util { static int twice(int x) { return 2 * x; } }\n"}]},
     "42\n"),
    ("scala: the object with def main, in a package", "scala",
     {"language": "scala",
      "source": "package golf\nobject Prog {\n  def main(args: Array[String]): Unit = println(\"scala ok\")\n}\n"},
     "scala ok\n"),
    ("kotlin: main in a package", "kotlin",
     {"language": "kotlin", "source": "package golf.kt\n\nfun main() {\n    println(\"kotlin ok\")\n}\n"},
     "kotlin ok\n"),
    ("javascript: ES modules (import/export, a .mjs file)", "javascript",
     {"language": "js", "stdin": "21", "files": [
         {"content": "import { readFileSync } from 'fs';\nimport { twice } from './lib.mjs';\nconsole.log(twice(Number(readFileSync(0, 'utf8'))));\n"},
         {"name": "lib.mjs", "content": "export function twice(x) { return 2 * x; }\n"}]},
     "42\n"),
    ("ocaml: str and unix are linked (as on Kattis)", "ocaml",
     {"language": "ocaml",
      "source": "let () = print_endline (Str.global_replace (Str.regexp \"a\") \"o\" \"banana\"); ignore (Unix.getpid ())\n"},
     "bonono\n"),
]


def main():
    srv = Server("--slots", "2")
    try:
        _, _, langs = srv.request("GET", "/v1/languages")
        byname = {n: l for l in langs for n in [l["id"]] + l.get("aliases", [])}

        def need(*ids):
            missing = [i for i in ids if i not in byname]
            if missing:
                raise RuntimeError("languages not served (image missing?): %s" % missing)

        def count():
            ids = {l["id"] for l in langs}
            return len(ids) >= 60, "%d languages" % len(ids)
        check("languages: at least 60 served", count)

        def aliases():
            need("c", "cpp", "py", "js", "c++")
            ok = (byname["c"]["id"] == "c17" and byname["cpp"]["id"] == "cpp17" and
                  byname["c++"]["id"] == "cpp17" and byname["py"]["id"] == "python3" and
                  byname["js"]["id"] == "javascript" and "c" in byname["c17"]["aliases"])
            return ok, "c->%s cpp->%s" % (byname["c"]["id"], byname["cpp"]["id"])
        check("aliases: c, cpp, c++, py, js resolve and are listed", aliases)

        def standards():
            need("c11", "c23", "cpp11", "cpp20", "cpp23")
            src = {"c23": "#include <stdio.h>\n_Static_assert(1);\nint main(void) { [[maybe_unused]] int z = 0; int x = 0b101; printf(\"%d\\n\", x); }\n",
                   "cpp20": "#include <cstdio>\n#include <compare>\n#include <concepts>\ntemplate <std::integral T> T twice(T x) { return 2 * x; }\nint main() { std::printf(\"%d\\n\", twice(2) + (1 <=> 2 < 0)); }\n",
                   "cpp23": "#include <cstdio>\nconstexpr int f(int n) { if consteval { return n * 11; } else { return n; } }\nint main() { constexpr int x = f(5); auto n = 0uz; std::printf(\"%d\\n\", x + (int)n); }\n"}
            want = {"c23": "5\n", "cpp20": "5\n", "cpp23": "55\n"}
            bad = []
            for lang, s in src.items():
                _, r = run(srv, {"language": lang, "source": s})
                out = r.get("runs", [{}])[0].get("stdout") if r.get("runs") else None
                if out != want[lang]:
                    bad.append((lang, (r.get("compile") or {}).get("stderr", "")[:200], out))
            # each id compiles in its own standard
            versions = {"c11": "201112", "c17": "201710", "c23": "202000", "cpp11": "201103", "cpp14": "201402",
                        "cpp17": "201703", "cpp20": "202002", "cpp23": "202100"}
            for lang, v in versions.items():
                macro = "__STDC_VERSION__" if lang.startswith("c") and not lang.startswith("cpp") else "__cplusplus"
                _, r = run(srv, {"language": lang, "source": "#include <stdio.h>\nint main(void) { printf(\"%ld\\n\", (long)" + macro + "); return 0; }\n"})
                out = r["runs"][0]["stdout"].strip() if r.get("runs") else ""
                if not out.isdigit() or int(out) < int(v) or (lang not in ("c23", "cpp23") and int(out) != int(v)):
                    bad.append((lang, out))
            return not bad, bad
        check("standards: each of c11..c23, cpp11..cpp23 compiles in its standard; c23 and cpp23 features work", standards)

        def options_plain():
            src = "#include <stdio.h>\n#define S(x) #x\n#define T(x) S(x)\nint main(void) {\n#ifdef LOCAL\nputs(T(VALUE));\n#endif\nreturn 0; }\n"
            _, r = run(srv, {"language": "cpp", "source": src, "compile_options": ["-O3", "-DLOCAL", "-DVALUE=42", "-std=gnu++20"]})
            out = r["runs"][0]["stdout"] if r.get("runs") else None
            return out == "42\n", str(r)[:300]
        check("compile_options: -O3 -DLOCAL -DVALUE=42 -std=gnu++20 reach g++", options_plain)

        def options_refused():
            bad = []
            for flag in ["-fplugin=/tmp/x.so", "-o/etc/passwd", "-DVALUE=\"x\"", "-O3; rm -rf /", "-B/tmp", "-wrapper"]:
                status, r = run(srv, {"language": "c", "source": "int main(){}", "compile_options": [flag]})
                err = r.get("error", {})
                if status != 422 or flag[:20] not in err.get("message", "") or err.get("field") != "compile_options[0]":
                    bad.append((flag, status, err))
            status, r = run(srv, {"language": "python3", "source": "print(1)", "compile_options": ["-O2"]})
            if status != 422:
                bad.append(("python3 -O2", status))
            return not bad, bad
        check("compile_options: anything off the allowlist is a 422 naming the flag", options_refused)

        def sanitizer():
            # -fsanitize=undefined: a signed overflow is reported at run time
            src = "#include <limits.h>\n#include <stdio.h>\nint main(int argc, char **argv) { int x = INT_MAX; x += argc; printf(\"%d\\n\", x); }\n"
            _, r = run(srv, {"language": "c", "source": src, "compile_options": ["-fsanitize=undefined", "-O0"]})
            run0 = r["runs"][0] if r.get("runs") else {}
            ok = "signed integer overflow" in run0.get("stderr", "")
            # AddressSanitizer is not on the allowlist (docs/languages.md)
            st, _ = run(srv, {"language": "c", "source": "int main(){}", "compile_options": ["-fsanitize=address"]})
            return ok and st == 422, str(r)[:500]
        check("compile_options: -fsanitize=undefined reports a signed overflow; address is refused", sanitizer)

        # Programs that must print one exact line: (check, language to need, request, stdout).
        for name, lang, body, want in PRINTS:
            def prints(lang=lang, body=body, want=want):
                if lang:
                    need(lang)
                return stdout_is(srv, body, want)
            check(name, prints)

        def syntax_checks():
            cases = {"python3": "print('unclosed'\n", "perl": "print 'x' +;\n", "bash": "if true; then\n",
                     "lua": "print(1 +)\n", "javascript": "console.log(1 +);\n", "ruby": "puts(1 +)\n",
                     "php": "<?php echo 1 +;\n"}
            bad = []
            for lang, s in cases.items():
                if lang not in byname:
                    bad.append((lang, "not served"))
                    continue
                # a test that would pass if the file were never loaded
                _, r = run(srv, {"language": lang, "source": s, "tests": [{"expected_output": ""}]})
                if r.get("verdict") != "compile_error" or r.get("runs"):
                    bad.append((lang, r.get("verdict")))
            return not bad, bad
        check("syntax checks: a broken interpreted program is compile_error, never run", syntax_checks)

        def file_size():
            src = "char big[96 << 20] = {1};\nint main(void) { return big[0] - 1; }\n"
            _, r = run(srv, {"language": "c", "source": src})
            c = r.get("compile") or {}
            first = c.get("status") == "output_limit" and r.get("verdict") == "compile_error" and \
                "file_size_kb" in c.get("message", "")
            _, r2 = run(srv, {"language": "c", "source": src,
                              "compile_limits": {"file_size_kb": 262144, "disk_kb": 524288}})
            second = (r2.get("compile") or {}).get("status") == "ok" and r2.get("runs") and r2["runs"][0]["status"] == "ok"
            return first and second, "default: %s / raised: %s" % (str(c)[:300], str(r2.get("compile"))[:300])
        check("file_size_kb: a 96 MB initialized array stops the linker (output_limit), raised it compiles",
              file_size)

        def limits_fields():
            status, _, b = srv.request("GET", "/v1/limits")
            ok = all(f in b["limits"] and f in b["compile_limits"] for f in ("file_size_kb", "stack_kb"))
            st, r = run(srv, {"language": "c", "source": "int main(){}", "limits": {"stack_kb": 10 ** 9}})
            return ok and st == 422 and r["error"]["field"] == "limits.stack_kb", str(b)[:200]
        check("limits: file_size_kb and stack_kb are API limits with bounds", limits_fields)

        def stack():
            src = ("#include <stdio.h>\nint f(int n) { volatile char pad[1024]; pad[0] = (char)n; "
                   "return n == 0 ? pad[0] : f(n - 1) + 1; }\nint main(void) { printf(\"%d\\n\", f(100000)); }\n")
            # -O0: at -O2 gcc turns the recursion into a loop
            _, small = run(srv, {"language": "c", "source": src, "compile_options": ["-O0"], "limits": {"stack_kb": 8192}})
            _, big = run(srv, {"language": "c", "source": src, "compile_options": ["-O0"],
                               "limits": {"stack_kb": 262144, "memory_kb": 524288}})
            ok = (small.get("runs") and small["runs"][0]["status"] == "runtime_error" and
                  big.get("runs") and big["runs"][0]["stdout"] == "100000\n")
            return ok, "8 MiB: %s / 256 MiB: %s" % (str(small.get("runs"))[:200], str(big.get("runs"))[:200])
        check("stack_kb: 100 MB of recursion overflows 8 MiB and runs in 256 MiB", stack)

        def pypy():
            need("pypy3", "pypy")
            src = "s = 0\nfor i in range(30000000):\n    s += i * i % 7\nprint(s)\n"
            _, r = run(srv, {"language": "pypy", "source": src, "limits": {"cpu_ms": 10000, "wall_ms": 20000}})
            run0 = r["runs"][0] if r.get("runs") else {}
            # i*i % 7 repeats 0 1 4 2 2 4 1 (14 per 7 numbers): 14 * 4285714 + 0 + 1
            return run0.get("stdout") == "59999997\n" and run0.get("status") == "ok", str(r)[:300]
        check("pypy3: a 30-million-iteration loop runs under PyPy", pypy)
    finally:
        srv.cleanup()
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
