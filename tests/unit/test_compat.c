/*
 * test_compat.c - the pure parts of the Judge0 and Piston layers: semver
 * ranges as node-semver reads them, bash-like word splitting of Judge0's
 * option strings, argv insertion, Judge0's number formats, Judge0's
 * validation messages, the stored form of a submission, and zips.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "compat_zip.h"
#include "judge0.h"
#include "semver.h"
#include "unit.h"

static bool sat(const char *version, const char *range)
{
    semver v;
    return semver_parse_loose(version, &v) && semver_satisfies(&v, range);
}

static bool split_is(const char *text, const char *const *want)
{
    char **words;
    if (compat_shell_split(text, &words) < 0)
        return false;
    bool ok = true;
    size_t i = 0;
    for (; want[i]; i++)
        if (!words[i] || strcmp(words[i], want[i]) != 0)
            ok = false;
    ok = ok && words[i] == NULL;
    compat_argv_free(words);
    return ok;
}

static json_t *errors_of(const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    language_table empty = {0};
    judge0_submission s;
    json_t *errors = NULL;
    int rc = judge0_submission_parse(j, false, &empty, &s, &errors);
    json_decref(j);
    if (rc == 0)
        judge0_submission_free(&s);
    return errors;
}

static bool has_error(json_t *errors, const char *field, const char *message)
{
    json_t *list = json_object_get(errors, field);
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(json_string_value(json_array_get(list, i)), message) == 0)
            return true;
    return false;
}

int main(void)
{
    CHECK("semver exact", sat("3.11.2", "3.11.2") && !sat("3.11.2", "3.11.3"));
    CHECK("semver star and x", sat("3.11.2", "*") && sat("3.11.2", "3.x") && sat("3.11.2", "3") &&
                               sat("3.11.2", "3.11.x") && !sat("3.11.2", "2.x"));
    CHECK("semver caret", sat("3.11.2", "^3.1") && !sat("4.0.0", "^3.1") && sat("0.2.5", "^0.2.3") &&
                          !sat("0.3.0", "^0.2.3"));
    CHECK("semver tilde", sat("3.11.9", "~3.11.2") && !sat("3.12.0", "~3.11.2") && sat("3.12.0", "~3"));
    CHECK("semver comparators", sat("3.11.2", ">=3 <4") && !sat("4.0.0", ">=3 <4") && sat("3.11.2", ">3.10") &&
                                !sat("3.10.9", ">3.10") && sat("3.11.2", "<=3.11") && !sat("3.12.0", "<=3.11"));
    CHECK("semver hyphen and or", sat("2.5.0", "1.2 - 2") && !sat("3.0.0", "1.2 - 2") &&
                                  sat("3.0.0", "1.x || >=3") && !sat("2.0.0", "1.x || >=3"));
    CHECK("semver bad range matches nothing", !sat("3.11.2", "bogus") && !sat("3.11.2", "3.1.2.4"));
    CHECK("semver empty range is any (node-semver)", sat("3.11.2", ""));
    semver v;
    char buf[32];
    CHECK("semver loose parse", semver_parse_loose("17.0.21.1", &v) && v.major == 17 && v.patch == 21 &&
                                semver_parse_loose("1.07.1", &v) && v.minor == 7 &&
                                !semver_parse_loose("unknown", &v));
    semver_parse_loose("9", &v);
    semver_format(&v, buf, sizeof buf);
    CHECK("semver format", strcmp(buf, "9.0.0") == 0);

    CHECK("split plain", split_is("a  b\tc", (const char *[]){"a", "b", "c", NULL}));
    CHECK("split quotes", split_is("'two words' \"x\\\"y\" z\\ w", (const char *[]){"two words", "x\"y", "z w", NULL}));
    CHECK("split removes $&;<>|`", split_is("a;b $HOME `x` c|d", (const char *[]){"ab", "HOME", "x", "cd", NULL}));
    CHECK("split empty", split_is("   ", (const char *[]){NULL}));
    CHECK("split empty quotes are a word", split_is("'' x", (const char *[]){"", "x", NULL}));
    char **words;
    CHECK("split unclosed quote", compat_shell_split("'abc", &words) < 0);

    char *argv[] = {"gcc", "-O2", "-o", "main", "main.c", "-lm", NULL};
    char *extra[] = {"-DX=1", "-Wall", NULL};
    char **out = compat_argv_insert(argv, "main.c", extra);
    char *joined = compat_argv_join(out);
    CHECK("argv insert before the source", strcmp(joined, "gcc -O2 -o main -DX=1 -Wall main.c -lm") == 0);
    free(joined);
    compat_argv_free(out);
    char *go[] = {"go", "build", NULL};
    out = compat_argv_insert(go, "main.go", extra);
    joined = compat_argv_join(out);
    CHECK("argv insert after argv[0] when the source is absent", strcmp(joined, "go -DX=1 -Wall build") == 0);
    free(joined);
    compat_argv_free(out);

    compat_seconds(buf, sizeof buf, 4);
    CHECK("seconds 4 ms", strcmp(buf, "0.004") == 0);
    compat_seconds(buf, sizeof buf, 10);
    CHECK("seconds 10 ms", strcmp(buf, "0.01") == 0);
    compat_seconds(buf, sizeof buf, 2000);
    CHECK("seconds 2 s", strcmp(buf, "2.0") == 0);
    char uuid[37];
    compat_uuid(uuid);
    CHECK("uuid v4 shape", strlen(uuid) == 36 && uuid[14] == '4' && strchr("89ab", uuid[19]) && uuid[8] == '-');

    json_t *e = errors_of("{}");
    CHECK("judge0 blank", has_error(e, "source_code", "can't be blank") && has_error(e, "language_id", "can't be blank"));
    json_decref(e);
    e = errors_of("{\"source_code\":\"x\",\"language_id\":71,\"cpu_time_limit\":\"abc\",\"memory_limit\":1,"
                  "\"wall_time_limit\":99,\"number_of_runs\":0,\"enable_network\":true}");
    CHECK("judge0 messages", has_error(e, "cpu_time_limit", "is not a number") &&
                            has_error(e, "memory_limit", "must be greater than or equal to 2048") &&
                            has_error(e, "wall_time_limit", "must be less than or equal to 20.0") &&
                            has_error(e, "number_of_runs", "must be greater than 0") &&
                            has_error(e, "enable_network", "enabling network is not allowed") &&
                            has_error(e, "language_id", "language with id 71 doesn't exist"));
    json_decref(e);

    /* Ids beyond an int (found by fuzz_judge0: a float cast was undefined
     * behaviour) name no language; 2^32 + 71 must not wrap around to 71. */
    e = errors_of("{\"source_code\":\"x\",\"language_id\":5.05556e+41}");
    CHECK("judge0 huge float language_id", has_error(e, "language_id", "language with id -1 doesn't exist"));
    json_decref(e);
    e = errors_of("{\"source_code\":\"x\",\"language_id\":4294967367}");
    CHECK("judge0 language_id 2^32+71 does not wrap", has_error(e, "language_id", "language with id -1 doesn't exist"));
    json_decref(e);

    /* The stored form keeps every field, bytes exactly. */
    judge0_submission s = {0};
    compat_uuid(s.token);
    s.created_ms = 1234;
    s.language_id = 50;
    s.source_code = (unsigned char *)strdup("x\xff");
    s.source_len = 2;
    s.has_source = true;
    s.command_line_arguments = strdup("a b");
    s.cpu_time_limit = 2.5;
    s.memory_limit = 64000;
    s.number_of_runs = 3;
    s.redirect_stderr_to_stdout = true;
    size_t len;
    char *stored = judge0_submission_store(&s, &len);
    judge0_submission back;
    int rc = judge0_submission_load(stored, len, NULL, &back);
    CHECK("judge0 stored form round trip",
          rc == 0 && strcmp(back.token, s.token) == 0 && back.source_len == 2 &&
          memcmp(back.source_code, "x\xff", 2) == 0 && !back.has_stdin && back.cpu_time_limit == 2.5 &&
          back.memory_limit == 64000 && back.number_of_runs == 3 && back.redirect_stderr_to_stdout &&
          strcmp(back.command_line_arguments, "a b") == 0 && back.created_ms == 1234);
    free(stored);
    judge0_submission_free(&s);
    if (rc == 0)
        judge0_submission_free(&back);
    CHECK("judge0 stored form refuses garbage", judge0_submission_load("{]", 2, NULL, &back) < 0);

    judge0_fields f;
    char why[200];
    CHECK("judge0 fields", judge0_fields_parse("stdout,status", &f, why, sizeof why) == 0 &&
                           judge0_fields_parse("stdout,nope,zz", &f, why, sizeof why) < 0 &&
                           strcmp(why, "invalid fields: [nope, zz]") == 0);

    job_file *files;
    size_t n;
    CHECK("zip: not a zip", compat_zip_extract((const unsigned char *)"hello", 5, 1 << 20, &files, &n, why,
                                               sizeof why) < 0);
    CHECK("zip: path rules", compat_path_ok("a/b.c") && !compat_path_ok("../a") && !compat_path_ok("/a") &&
                             !compat_path_ok("a//b") && !compat_path_ok("a/./b") && !compat_path_ok("a\n"));
    UNIT_EXIT();
}
