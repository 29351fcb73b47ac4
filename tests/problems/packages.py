"""tests/problems/packages.py - problem packages written by the tests
themselves (nothing copied from elsewhere), in the Kattis / ICPC layout:

- add/: "print a + b".  Sample and secret groups (secret/small, and
  secret/large/nested), a Kattis-protocol output validator in C, .timelimit,
  problem.yaml with a memory limit, and submissions/<verdict>/ for
  `judgebox judge --all`.
- guess/: an interactive guessing game; the interactor (Kattis protocol,
  C) answers "lower"/"higher"/"correct" and allows 20 guesses.
- floaty/: the default validator with float_tolerance.

Plus the C++ testlib-protocol checker and a tiny header that mimics
testlib's exit codes (NOT testlib.h), and a testlib-protocol interactor,
for raw /v1/run requests."""

import io
import os
import tarfile
import zipfile

ADD_VALIDATOR = r'''#include <stdio.h>
#include <stdlib.h>
/* Kattis protocol: validator input answer feedback_dir < output */
int main(int argc, char **argv) {
    if (argc < 4) return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/judgemessage.txt", argv[3]);
    FILE *msg = fopen(path, "w");
    FILE *ans = fopen(argv[2], "r");
    long want, got;
    if (!msg || !ans || fscanf(ans, "%ld", &want) != 1) return 1;
    if (scanf("%ld", &got) != 1) { fprintf(msg, "no number in the output"); return 43; }
    char extra[2];
    if (scanf("%1s", extra) == 1) { fprintf(msg, "extra output after %ld", got); return 43; }
    if (got != want) { fprintf(msg, "expected %ld, got %ld", want, got); return 43; }
    fprintf(msg, "correct: %ld", got);
    return 42;
}
'''

GUESS_INTERACTOR = r'''#include <stdio.h>
#include <stdlib.h>
/* Kattis interactive protocol: interactor input answer feedback_dir,
 * stdin = the solution's stdout, stdout = the solution's stdin.
 * The input file holds the secret number (1..1000) and a mode word:
 * "play" (normal), "loop" (burns CPU: a broken interactor), "idle" (waits
 * for input it never asked for). */
int main(int argc, char **argv) {
    if (argc < 4) return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/judgemessage.txt", argv[3]);
    FILE *msg = fopen(path, "w");
    FILE *in = fopen(argv[1], "r");
    int secret; char mode[16] = "play";
    if (!msg || !in || fscanf(in, "%d %15s", &secret, mode) < 1) return 1;
    if (mode[0] == 'l') { volatile unsigned long x = 0; for (;;) x++; }
    if (mode[0] == 'i') { int c; while ((c = getchar()) != EOF) {} return 43; }
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("1000\n");
    for (int i = 1; i <= 20; i++) {
        int g;
        if (scanf("%d", &g) != 1) { fprintf(msg, "guess %d: no number", i); return 43; }
        if (g == secret) { printf("correct\n"); fprintf(msg, "found in %d guesses", i); return 42; }
        printf(g < secret ? "higher\n" : "lower\n");
    }
    fprintf(msg, "more than 20 guesses");
    return 43;
}
'''

GUESS_TESTLIB_INTERACTOR = r'''#include <stdio.h>
/* testlib interactive protocol: interactor input output [answer]; exit 0
 * accepted, 1 wrong answer, 3 fail. */
int main(int argc, char **argv) {
    if (argc < 3) return 3;
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "w");
    int secret;
    if (!in || !out || fscanf(in, "%d", &secret) != 1) return 3;
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("1000\n");
    for (int i = 1; i <= 20; i++) {
        int g;
        if (scanf("%d", &g) != 1) { fprintf(stderr, "guess %d: no number", i); return 1; }
        if (g == secret) { printf("correct\n"); fprintf(out, "%d\n", i); fprintf(stderr, "found in %d", i); return 0; }
        printf(g < secret ? "higher\n" : "lower\n");
    }
    fprintf(stderr, "more than 20 guesses");
    return 1;
}
'''

# A stand-in for testlib's checker conventions, written here: NOT testlib.h.
MINI_TESTLIB_H = r'''#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstdarg>
#include <fstream>
#include <string>
/* minitestlib.h: the testlib checker protocol in 30 lines (exit 0 ok,
 * 1 wrong answer, 2 presentation error, 3 fail, 7 points; the message on
 * stderr, "points <value> <message>" for points). */
enum verdict { _ok = 0, _wa = 1, _pe = 2, _fail = 3, _points = 7 };
struct stream {
    std::ifstream f;
    long readLong(verdict onError) {
        long v;
        if (!(f >> v)) quit(onError, "expected a number");
        return v;
    }
    bool seekEof() { std::string s; return !(f >> s); }
    static void quit(verdict v, const char *fmt, ...) {
        va_list ap; va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap);
        std::exit(v);
    }
};
static stream inf, ouf, ans;
static void registerTestlibCmd(int argc, char **argv) {
    if (argc < 4) stream::quit(_fail, "usage: checker input output answer");
    inf.f.open(argv[1]); ouf.f.open(argv[2]); ans.f.open(argv[3]);
    if (!inf.f || !ouf.f || !ans.f) stream::quit(_fail, "cannot open the files");
}
#define quitf stream::quit
static void quitp(double points, const char *msg) {
    fprintf(stderr, "points %g %s", points, msg); std::exit(_points);
}
'''

TESTLIB_CHECKER = r'''#include "minitestlib.h"
/* a + b: exact is accepted; off by one earns half a point; "PE" when
 * the number is followed by junk; anything else is wrong. */
int main(int argc, char **argv) {
    registerTestlibCmd(argc, argv);
    long want = ans.readLong(_fail);
    long got = ouf.readLong(_pe);
    if (!ouf.seekEof()) quitf(_pe, "extra output after %ld", got);
    if (got == want) quitf(_ok, "%ld is right", got);
    if (got == want + 1 || got == want - 1) quitp(0.5, "off by one");
    quitf(_wa, "expected %ld, got %ld", want, got);
}
'''

ADD_SUBMISSIONS = {
    "accepted/sum.c": "#include <stdio.h>\nint main(void){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a+b);return 0;}\n",
    "accepted/sum.py": "a, b = map(int, input().split())\nprint(a + b)\n",
    "wrong_answer/off_by_one.c": "#include <stdio.h>\nint main(void){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a+b+(a>100));return 0;}\n",
    "time_limit_exceeded/spin.c": "#include <stdio.h>\nint main(void){long a,b;scanf(\"%ld %ld\",&a,&b);volatile unsigned long x=0;if(a>100)for(;;)x++;printf(\"%ld\\n\",a+b);return 0;}\n",
    "run_time_error/crash.c": "#include <stdio.h>\n#include <stdlib.h>\nint main(void){long a,b;scanf(\"%ld %ld\",&a,&b);if(a>100)abort();printf(\"%ld\\n\",a+b);return 0;}\n",
    "memory_limit_exceeded/hog.c": "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void){long a,b;scanf(\"%ld %ld\",&a,&b);if(a>100)for(;;){char*p=malloc(1<<20);if(!p)return 3;memset(p,1,1<<20);}printf(\"%ld\\n\",a+b);return 0;}\n",
}

GUESS_SUBMISSIONS = {
    "accepted/bisect.c": r'''#include <stdio.h>
#include <string.h>
int main(void){int hi,lo=1;char r[32];if(scanf("%d",&hi)!=1)return 1;
for(;;){int m=(lo+hi)/2;printf("%d\n",m);fflush(stdout);if(scanf("%31s",r)!=1)return 1;
if(!strcmp(r,"correct"))return 0;if(!strcmp(r,"higher"))lo=m+1;else hi=m-1;}}
''',
    "wrong_answer/linear.c": r'''#include <stdio.h>
#include <string.h>
int main(void){int hi;char r[32];if(scanf("%d",&hi)!=1)return 1;
for(int g=1;;g++){printf("%d\n",g);fflush(stdout);if(scanf("%31s",r)!=1)return 0;if(!strcmp(r,"correct"))return 0;}}
''',
}


def add_package(extra_submissions=None):
    """{relative path: bytes} of the add/ package."""
    files = {
        "problem.yaml": "name: A plus B\nsource: judgebox tests\nvalidation: custom\nlimits:\n  memory: 64\n",
        ".timelimit": "1\n",
        "data/sample/1.in": "1 2\n", "data/sample/1.ans": "3\n",
        "data/sample/2.in": "10 -3\n", "data/sample/2.ans": "7\n",
        "data/secret/small/01.in": "5 5\n", "data/secret/small/01.ans": "10\n",
        "data/secret/small/02.in": "0 0\n", "data/secret/small/02.ans": "0\n",
        "data/secret/large/nested/01.in": "123456 654321\n", "data/secret/large/nested/01.ans": "777777\n",
        "data/secret/large/nested/02.in": "999 1\n", "data/secret/large/nested/02.ans": "1000\n",
        "data/secret/large/03.in": "500 500\n", "data/secret/large/03.ans": "1000\n",
        "output_validators/add_validator/validator.c": ADD_VALIDATOR,
        "input_validators/check/check.py": "import sys\nsys.exit(42)\n",
    }
    subs = dict(ADD_SUBMISSIONS)
    subs.update(extra_submissions or {})
    for name, text in subs.items():
        files["submissions/" + name] = text
    return {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}


def guess_package(modes=None):
    """The interactive guessing problem; modes: {test name: mode word}."""
    files = {
        "problem.yaml": "name: Guess the number\nvalidation: custom interactive\n",
        ".timelimit": "2\n",
        "data/sample/1.in": "17 play\n", "data/sample/1.ans": "17\n",
        "data/secret/1.in": "1 play\n", "data/secret/1.ans": "1\n",
        "data/secret/2.in": "1000 play\n", "data/secret/2.ans": "1000\n",
        "data/secret/3.in": "600 play\n", "data/secret/3.ans": "600\n",
        "output_validators/guess/interactor.c": GUESS_INTERACTOR,
    }
    for name, mode in (modes or {}).items():
        files["data/secret/%s.in" % name] = "5 %s\n" % mode
        files["data/secret/%s.ans" % name] = "5\n"
    for name, text in GUESS_SUBMISSIONS.items():
        files["submissions/" + name] = text
    return {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}


def floaty_package():
    return {k: v.encode() for k, v in {
        "problem.yaml": "name: Halves\nvalidator_flags: float_tolerance 1e-3\n",
        "data/sample/1.in": "1\n", "data/sample/1.ans": "0.5\n",
        "data/secret/1.in": "3\n", "data/secret/1.ans": "1.5\n",
    }.items()}


def write_dir(files, root):
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def tar_bytes(files, compress=None, prefix=""):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if compress == "gz" else "w") as t:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_bytes(files, prefix=""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files.items()):
            z.writestr(prefix + name, data)
    return buf.getvalue()
