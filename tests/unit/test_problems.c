/*
 * test_problems.c - the pure parts of issue 9: the testlib and Kattis
 * exit-code protocols, judge programs' content hash, archive entry path
 * checks, problem.yaml parsing, and scores and skipped tests in
 * judge_decide.
 */
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "package.h"
#include "program.h"
#include "unit.h"

static void test_testlib(void)
{
    program_outcome o;
    program_decide_testlib(0, "ok fine\n", 8, &o);
    CHECK("testlib 0 accepted", strcmp(o.verdict, "accepted") == 0 && strcmp(o.message, "ok fine") == 0);
    program_decide_testlib(1, "wrong", 5, &o);
    CHECK("testlib 1 wrong answer", strcmp(o.verdict, "wrong_answer") == 0);
    program_decide_testlib(2, "extra token", 11, &o);
    CHECK("testlib 2 presentation error is wrong_answer, said so",
          strcmp(o.verdict, "wrong_answer") == 0 && strstr(o.message, "presentation error: extra token"));
    program_decide_testlib(7, "points 0.25 partly", 18, &o);
    CHECK("testlib 7 points with the word", strcmp(o.verdict, "partially_accepted") == 0 && o.has_score &&
          o.score == 0.25);
    program_decide_testlib(7, "3 of 4", 6, &o);
    CHECK("testlib 7 points without the word", o.has_score && o.score == 3);
    program_decide_testlib(7, "no number", 9, &o);
    CHECK("testlib 7 without a score is judge_error", strcmp(o.verdict, "judge_error") == 0);
    program_decide_testlib(3, "fail: bad input", 15, &o);
    CHECK("testlib 3 judge_error", strcmp(o.verdict, "judge_error") == 0 && strstr(o.message, "bad input"));
    program_decide_testlib(4, NULL, 0, &o);
    CHECK("testlib unknown code judge_error", strcmp(o.verdict, "judge_error") == 0 && strstr(o.message, "4"));
    program_decide_testlib(0, "a\x01" "b", 3, &o);
    CHECK("testlib message made printable", strcmp(o.message, "a?b") == 0);
}

static void test_kattis(void)
{
    program_outcome o;
    program_decide_kattis(42, "good\n", 5, NULL, 0, &o);
    CHECK("kattis 42 accepted", strcmp(o.verdict, "accepted") == 0 && strcmp(o.message, "good") == 0 && !o.has_score);
    program_decide_kattis(42, NULL, 0, "17.5\n", 5, &o);
    CHECK("kattis score.txt", o.has_score && o.score == 17.5);
    program_decide_kattis(43, "differs", 7, NULL, 0, &o);
    CHECK("kattis 43 wrong answer", strcmp(o.verdict, "wrong_answer") == 0);
    program_decide_kattis(0, NULL, 0, NULL, 0, &o);
    CHECK("kattis 0 is judge_error", strcmp(o.verdict, "judge_error") == 0);
    program_decide_kattis(1, "crash", 5, NULL, 0, &o);
    CHECK("kattis other code judge_error with message", strcmp(o.verdict, "judge_error") == 0 &&
          strstr(o.message, "crash") && strstr(o.message, "exited with 1"));
}

static void test_hash(void)
{
    language l = {0};
    l.id = "c";
    program_file f1 = {"main.c", (unsigned char *)"ab", 2};
    program_file f2 = {"main.c", (unsigned char *)"a", 1};
    judge_program a = {0}, b = {0};
    a.lang = b.lang = &l;
    a.files = &f1;
    a.nfiles = 1;
    b.files = &f1;
    b.nfiles = 1;
    program_hash(&a);
    program_hash(&b);
    CHECK("program hash: same content, same hash", strcmp(a.hash, b.hash) == 0 && strlen(a.hash) == 64);
    b.files = &f2;
    program_hash(&b);
    CHECK("program hash: content changes it", strcmp(a.hash, b.hash) != 0);
    char *args[] = {"x", NULL};
    b.files = &f1;
    b.args = args;
    program_hash(&b);
    CHECK("program hash: args change it", strcmp(a.hash, b.hash) != 0);
}

static void test_paths(void)
{
    char clean[300], why[300];
    CHECK("entry: plain", package_entry_path_ok("data/secret/1.in", clean, sizeof clean, why, sizeof why) &&
          strcmp(clean, "data/secret/1.in") == 0);
    CHECK("entry: ./ prefix and trailing /", package_entry_path_ok("./data/", clean, sizeof clean, why, sizeof why) &&
          strcmp(clean, "data") == 0);
    CHECK("entry: root", package_entry_path_ok("./", clean, sizeof clean, why, sizeof why) && clean[0] == '\0');
    CHECK("entry: .. refused", !package_entry_path_ok("data/../../etc/passwd", clean, sizeof clean, why, sizeof why) &&
          strstr(why, ".."));
    CHECK("entry: absolute refused", !package_entry_path_ok("/etc/passwd", clean, sizeof clean, why, sizeof why) &&
          strstr(why, "absolute"));
    CHECK("entry: empty component refused", !package_entry_path_ok("a//b", clean, sizeof clean, why, sizeof why));
    CHECK("entry: dot component refused", !package_entry_path_ok("a/./b", clean, sizeof clean, why, sizeof why));
    CHECK("entry: control char refused", !package_entry_path_ok("a\nb", clean, sizeof clean, why, sizeof why));
    CHECK("entry: NULL refused", !package_entry_path_ok(NULL, clean, sizeof clean, why, sizeof why));
    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "a/");
    strcat(deep, "f");
    CHECK("entry: too deep refused", !package_entry_path_ok(deep, clean, sizeof clean, why, sizeof why));
}

static void test_yaml(void)
{
    problem_yaml y;
    char err[256];
    const char *text = "name: Guess\nsource: NWERC\nvalidation: custom interactive\n"
                       "validator_flags: float_tolerance 1e-6\nlimits:\n  memory: 256\n  time_multiplier: 3\n"
                       "keywords: [a, b]\n";
    CHECK("yaml: parses", problem_yaml_parse(text, strlen(text), &y, err, sizeof err) == 0 &&
          strcmp(y.name, "Guess") == 0 && strcmp(y.validation, "custom interactive") == 0 &&
          strcmp(y.validator_flags, "float_tolerance 1e-6") == 0 && y.memory_mb == 256 &&
          y.time_multiplier == 3);
    problem_yaml_free(&y);
    const char *newer = "name:\n  en: Hello\ntype: scoring\nlimits: {time_limit: 2.5}\nvalidator_flags: [case_sensitive]\n";
    CHECK("yaml: newer format", problem_yaml_parse(newer, strlen(newer), &y, err, sizeof err) == 0 &&
          strcmp(y.name, "Hello") == 0 && strcmp(y.type, "scoring") == 0 && y.time_limit_s == 2.5 &&
          strcmp(y.validator_flags, "case_sensitive") == 0);
    problem_yaml_free(&y);
    CHECK("yaml: empty is every default", problem_yaml_parse("", 0, &y, err, sizeof err) == 0 && !y.name);
    problem_yaml_free(&y);
    const char *bad[] = {"name: [1, 2]\n", "limits: 5\n", "limits:\n  memory: lots\n", "- a\n- b\n",
                         "name: \"unterminated\n", "limits:\n  memory: -1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "yaml: refused %zu", i);
        CHECK(name, problem_yaml_parse(bad[i], strlen(bad[i]), &y, err, sizeof err) < 0 && err[0]);
    }
}

static void test_scores(void)
{
    language l = {0};
    l.id = "c";
    job_test tests[3] = {0};
    for (int i = 0; i < 3; i++) {
        tests[i].has_expected = true;
        tests[i].expected = "1";
        tests[i].expected_len = 1;
    }
    tests[1].has_points = true;
    tests[1].points = 5;
    job_request job = {0};
    job.lang = &l;
    job.tests = tests;
    job.ntests = 3;
    job.checker.type = CHECKER_TOKENS;
    job_result res = {0};
    step_result runs[3] = {0};
    res.runs = runs;
    res.nruns = 3;
    char out[] = "1";
    runs[0].ran = runs[1].ran = true;
    runs[0].result.stdout_data = out;
    runs[0].result.stdout_len = 1;
    runs[1].result.stdout_data = out;
    runs[1].result.stdout_len = 1;
    runs[2].skipped = true;
    judge_decide(&job, &res);
    CHECK("scores: accepted tests' points, skipped counts nothing", res.scored && res.score == 6 &&
          res.max_score == 7 && strcmp(res.runs[2].verdict, "skipped") == 0 &&
          strcmp(res.verdict, "accepted") == 0);
    runs[1].decided = true;
    runs[1].verdict = "partially_accepted";
    runs[1].has_score = true;
    runs[1].score = 2.5;
    judge_decide(&job, &res);
    CHECK("scores: a checker's partial score", res.score == 3.5 && strcmp(res.verdict, "partially_accepted") == 0);
    strcpy(res.judge_error, "the checker does not compile");
    judge_decide(&job, &res);
    CHECK("verdict: judge_error when the checker is unusable", strcmp(res.verdict, "judge_error") == 0);
}

int main(void)
{
    test_testlib();
    test_kattis();
    test_hash();
    test_paths();
    test_yaml();
    test_scores();
    UNIT_EXIT();
}
