/*
 * test_api.c - validating /v1/run bodies and serializing results
 * (server/api/api.c), the verdict rules (judge_decide in server/judge/judge.c) and
 * language files (langs_parse in server/common/langs.c).  No sandbox, no HTTP.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "judge.h"
#include "langs.h"
#include "unit.h"

static server_config config;
static language_table langs;

/* Parse `body`; on success free the job unless the caller wants it. */
static int parse(const char *body, api_error *err, job_request *keep)
{
    job_request job;
    memset(err, 0, sizeof *err);
    int rc = api_parse_run(body, strlen(body), &config, &langs, &job, err);
    if (rc == 0) {
        if (keep)
            *keep = job;
        else
            job_request_free(&job);
    }
    return rc;
}

/* True when `body` is refused with `status` naming `field`. */
static bool refused(const char *body, int status, const char *field)
{
    api_error err;
    if (parse(body, &err, NULL) == 0) {
        printf("# accepted: %s\n", body);
        return false;
    }
    bool ok = err.status == status && strcmp(err.field, field) == 0 && err.message[0];
    if (!ok)
        printf("# %s -> %d field '%s': %s\n", body, err.status, err.field, err.message);
    return ok;
}

static bool accepted(const char *body)
{
    api_error err;
    if (parse(body, &err, NULL) == 0)
        return true;
    printf("# refused %s -> %d %s: %s\n", body, err.status, err.field, err.message);
    return false;
}

static void load_languages(void)
{
    static const char *const files[] = {
        "{\"id\":\"c\",\"name\":\"C\",\"image\":\"default\",\"source_file\":\"main.c\","
        "\"compile\":[\"gcc\",\"-o\",\"main\",\"main.c\"],\"run\":[\"./main\"],"
        "\"version\":[\"gcc\",\"--version\"],\"env\":{\"PATH\":\"/usr/bin:/bin\"},"
        "\"compile_limits\":{\"cpu_ms\":15000}}",
        "{\"id\":\"java\",\"name\":\"Java\",\"image\":\"java\",\"source_file\":\"Main.java\","
        "\"compile\":[\"javac\",\"Main.java\"],\"run\":[\"java\",\"Main\"],"
        "\"limits\":{\"memory_kb\":524288,\"pids\":128}}",
        "{\"id\":\"python3\",\"name\":\"Python 3\",\"image\":\"default\",\"source_file\":\"main.py\","
        "\"compile\":null,\"run\":[\"python3\",\"main.py\"]}",
    };
    langs.count = 3;
    langs.items = calloc(3, sizeof *langs.items);
    char error[512];
    for (size_t i = 0; i < 3; i++) {
        int rc = langs_parse(files[i], strlen(files[i]), "test", &langs.items[i], error, sizeof error);
        if (rc == 0)
            langs.items[i].version = strdup("1.0");
        CHECK("langs: parse a language file", rc == 0);
        if (rc)
            printf("# %s\n", error);
    }
}

static void test_language_files(void)
{
    char error[512];
    language l;
    const char *bad[] = {
        "{\"id\":\"x\"}",
        "{\"id\":\"../x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"]}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[]}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"colour\":1}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"limits\":{\"cpu_ms\":-1}}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"a/b\",\"run\":[\"x\"]}",
        "[1,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = langs_parse(bad[i], strlen(bad[i]), "bad.json", &l, error, sizeof error);
        CHECK("langs: a bad language file is refused with its name", rc < 0 && strstr(error, "bad.json"));
    }
    const char *env = "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],"
                      "\"env\":{\"A\":\"1\",\"B\":\"two\"}}";
    CHECK("langs: env becomes NAME=value", langs_parse(env, strlen(env), "x", &l, error, sizeof error) == 0 &&
          l.env && strcmp(l.env[0], "A=1") == 0 && strcmp(l.env[1], "B=two") == 0 && !l.env[2] &&
          !l.compile_argv);
    language_free(&l);
}

static void test_requests(void)
{
    api_error err;
    job_request job;

    CHECK("run: minimal request", parse("{\"language\":\"python3\",\"source\":\"print(1)\"}", &err, &job) == 0);
    if (err.status == 0) {
        CHECK("run: one implicit test with id 1", job.ntests == 1 && strcmp(job.tests[0].id, "1") == 0 &&
              !job.tests[0].has_expected && job.tests[0].stdin_len == 0 && job.tests[0].args && !job.tests[0].args[0]);
        CHECK("run: source saved as the language's file", job.nfiles == 1 &&
              strcmp(job.files[0].name, "main.py") == 0 && job.files[0].len == 8);
        CHECK("run: default limits", job.limits.cpu_ms == 2000 && job.limits.wall_ms == 5000 &&
              job.limits.memory_kb == 262144 && job.limits.pids == 64 &&
              job.limits.output_bytes == 1048576 && job.limits.disk_kb == 65536);
        CHECK("run: default compile limits", job.compile_limits.cpu_ms == 10000);
        CHECK("run: default checker is lines", job.checker.type == CHECKER_LINES);
        job_request_free(&job);
    }
    CHECK("run: full request", parse(
        "{\"language\":\"c\",\"source\":\"int main(){}\",\"tests\":["
        "{\"id\":\"a\",\"stdin\":\"1 2\\n\",\"args\":[\"x\",\"y\"],\"expected_output\":\"3\\n\"},"
        "{\"id\":7,\"stdin_b64\":\"AAE=\",\"expected_output_b64\":\"/w==\"}],"
        "\"checker\":{\"type\":\"float\",\"abs\":0.5},"
        "\"limits\":{\"cpu_ms\":1000,\"memory_kb\":65536},\"compile_limits\":{\"wall_ms\":9000}}", &err, &job) == 0);
    if (err.status == 0) {
        CHECK("run: tests parsed", job.ntests == 2 && strcmp(job.tests[0].id, "a") == 0 &&
              strcmp(job.tests[1].id, "7") == 0 && strcmp(job.tests[0].args[1], "y") == 0 &&
              job.tests[0].has_expected && job.tests[0].expected_len == 2);
        CHECK("run: base64 stdin and expected output", job.tests[1].stdin_len == 2 &&
              job.tests[1].stdin_data[0] == 0 && job.tests[1].stdin_data[1] == 1 &&
              job.tests[1].expected_len == 1 && (unsigned char)job.tests[1].expected[0] == 0xff);
        CHECK("run: float checker with only abs", job.checker.type == CHECKER_FLOAT &&
              job.checker.abs_tolerance == 0.5 && job.checker.rel_tolerance == 0);
        CHECK("run: limits given and defaulted", job.limits.cpu_ms == 1000 && job.limits.memory_kb == 65536 &&
              job.limits.wall_ms == 5000);
        CHECK("run: language compile limits", job.compile_limits.cpu_ms == 15000 &&
              job.compile_limits.wall_ms == 9000);
        job_request_free(&job);
    }
    CHECK("run: files with base64 and a subdirectory", parse(
        "{\"language\":\"c\",\"files\":[{\"name\":\"whatever.c\",\"content\":\"x\"},"
        "{\"name\":\"lib/data.bin\",\"content\":\"AP8=\",\"encoding\":\"base64\"}]}", &err, &job) == 0);
    if (err.status == 0) {
        CHECK("run: first file is the main file", strcmp(job.files[0].name, "main.c") == 0 &&
              strcmp(job.files[1].name, "lib/data.bin") == 0 && job.files[1].len == 2 &&
              job.files[1].data[1] == 0xff);
        job_request_free(&job);
    }
    CHECK("run: stdin may hold NUL bytes", parse("{\"language\":\"c\",\"source\":\"x\",\"stdin\":\"a\\u0000b\"}", &err, &job) == 0);
    if (err.status == 0) {
        CHECK("run: NUL kept in stdin", job.tests[0].stdin_len == 3 && job.tests[0].stdin_data[1] == 0);
        job_request_free(&job);
    }
    CHECK("run: language minimum raises the default", parse("{\"language\":\"java\",\"source\":\"x\"}", &err, &job) == 0);
    if (err.status == 0) {
        CHECK("run: java defaults to its minimum memory", job.limits.memory_kb == 524288 && job.limits.pids == 128);
        job_request_free(&job);
    }
    CHECK("run: checker shorthand", accepted("{\"language\":\"c\",\"source\":\"x\",\"checker\":\"tokens\"}"));
    CHECK("run: top-level expected_output", accepted("{\"language\":\"c\",\"source\":\"x\",\"expected_output\":\"1\"}"));

    /* 400: malformed or wrong types. */
    CHECK("400 malformed JSON", refused("{\"language\":", 400, ""));
    CHECK("400 trailing garbage", refused("{} x", 400, ""));
    CHECK("400 not an object", refused("[1,2]", 400, "body"));
    CHECK("400 duplicate keys", refused("{\"language\":\"c\",\"language\":\"c\",\"source\":\"\"}", 400, ""));
    CHECK("400 invalid UTF-8 in JSON", refused("{\"language\":\"c\",\"source\":\"\xff\"}", 400, ""));
    CHECK("400 language not a string", refused("{\"language\":5,\"source\":\"x\"}", 400, "language"));
    CHECK("400 source not a string", refused("{\"language\":\"c\",\"source\":[]}", 400, "source"));
    CHECK("400 tests not an array", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":{}}", 400, "tests"));
    CHECK("400 test not an object", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[1]}", 400, "tests[0]"));
    CHECK("400 stdin not a string", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[{\"stdin\":1}]}", 400, "tests[0].stdin"));
    CHECK("400 args not an array", refused("{\"language\":\"c\",\"source\":\"x\",\"args\":\"a\"}", 400, "args"));
    CHECK("400 arg not a string", refused("{\"language\":\"c\",\"source\":\"x\",\"args\":[1]}", 400, "args[0]"));
    CHECK("400 limit not an integer", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"cpu_ms\":1.5}}", 400, "limits.cpu_ms"));
    CHECK("400 limit a string", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"cpu_ms\":\"9\"}}", 400, "limits.cpu_ms"));
    CHECK("400 limits not an object", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":[]}", 400, "limits"));
    CHECK("400 integer overflow", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"cpu_ms\":99999999999999999999999}}", 400, ""));
    CHECK("400 checker wrong type", refused("{\"language\":\"c\",\"source\":\"x\",\"checker\":1}", 400, "checker"));
    CHECK("400 tolerance wrong type", refused("{\"language\":\"c\",\"source\":\"x\",\"checker\":{\"type\":\"float\",\"abs\":\"1\"}}", 400, "checker.abs"));
    CHECK("400 file content wrong type", refused("{\"language\":\"c\",\"files\":[{\"content\":1}]}", 400, "files[0].content"));

    /* 400: nesting. */
    char deep[200] = "{\"language\":\"c\",\"source\":\"x\",\"stdin\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    CHECK("400 nested too deep", refused(deep, 400, ""));
    CHECK("depth: brackets in strings do not count", !api_json_too_deep("{\"a\":\"[[[[[[[[\\\"[[[[\"}", 20, 2));
    CHECK("depth: counts nesting", api_json_too_deep("[[[]]]", 6, 2) && !api_json_too_deep("[[[]]]", 6, 3));

    /* 422: well-typed but unacceptable. */
    CHECK("422 unknown field", refused("{\"language\":\"c\",\"source\":\"x\",\"stdn\":\"\"}", 422, "stdn"));
    CHECK("422 unknown test field", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[{\"input\":\"\"}]}", 422, "tests[0].input"));
    CHECK("422 missing language", refused("{\"source\":\"x\"}", 422, "language"));
    CHECK("422 unknown language", refused("{\"language\":\"cobol\",\"source\":\"x\"}", 422, "language"));
    CHECK("422 language with NUL", refused("{\"language\":\"c\\u0000x\",\"source\":\"x\"}", 422, "language"));
    CHECK("422 missing source", refused("{\"language\":\"c\"}", 422, "source"));
    CHECK("422 source and files", refused("{\"language\":\"c\",\"source\":\"x\",\"files\":[]}", 422, "files"));
    CHECK("422 NUL in source", refused("{\"language\":\"c\",\"source\":\"a\\u0000b\"}", 422, "source"));
    CHECK("422 empty files", refused("{\"language\":\"c\",\"files\":[]}", 422, "files"));
    CHECK("422 second file needs a name", refused("{\"language\":\"c\",\"files\":[{\"content\":\"\"},{\"content\":\"\"}]}", 422, "files[1].name"));
    CHECK("422 file name escapes", refused("{\"language\":\"c\",\"files\":[{\"content\":\"\"},{\"name\":\"../x\",\"content\":\"\"}]}", 422, "files[1].name"));
    CHECK("422 absolute file name", refused("{\"language\":\"c\",\"files\":[{\"content\":\"\"},{\"name\":\"/etc/x\",\"content\":\"\"}]}", 422, "files[1].name"));
    CHECK("422 file name clashes with main", refused("{\"language\":\"c\",\"files\":[{\"content\":\"\"},{\"name\":\"main.c\",\"content\":\"\"}]}", 422, "files[1].name"));
    CHECK("422 file and directory clash", refused("{\"language\":\"c\",\"files\":[{\"content\":\"\"},{\"name\":\"a\",\"content\":\"\"},{\"name\":\"a/b\",\"content\":\"\"}]}", 422, "files[2].name"));
    CHECK("422 bad encoding", refused("{\"language\":\"c\",\"files\":[{\"content\":\"\",\"encoding\":\"hex\"}]}", 422, "files[0].encoding"));
    CHECK("422 bad base64", refused("{\"language\":\"c\",\"files\":[{\"content\":\"!!\",\"encoding\":\"base64\"}]}", 422, "files[0].content"));
    CHECK("422 NUL in utf8 file", refused("{\"language\":\"c\",\"files\":[{\"content\":\"\\u0000\"}]}", 422, "files[0].content"));
    CHECK("422 empty tests", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[]}", 422, "tests"));
    CHECK("422 stdin beside tests", refused("{\"language\":\"c\",\"source\":\"x\",\"stdin\":\"\",\"tests\":[{}]}", 422, "stdin"));
    CHECK("422 stdin and stdin_b64", refused("{\"language\":\"c\",\"source\":\"x\",\"stdin\":\"\",\"stdin_b64\":\"\"}", 422, "stdin_b64"));
    CHECK("422 bad stdin_b64", refused("{\"language\":\"c\",\"source\":\"x\",\"stdin_b64\":\"***\"}", 422, "stdin_b64"));
    CHECK("422 duplicate test ids", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[{\"id\":\"2\"},{}]}", 422, "tests[1].id"));
    CHECK("422 empty test id", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[{\"id\":\"\"}]}", 422, "tests[0].id"));
    CHECK("422 NUL in an argument", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[{\"args\":[\"a\\u0000\"]}]}", 422, "tests[0].args[0]"));
    CHECK("422 unknown checker", refused("{\"language\":\"c\",\"source\":\"x\",\"checker\":{\"type\":\"fuzzy\"}}", 422, "checker.type"));
    CHECK("422 tolerance on tokens", refused("{\"language\":\"c\",\"source\":\"x\",\"checker\":{\"type\":\"tokens\",\"abs\":1}}", 422, "checker.abs"));
    CHECK("422 negative tolerance", refused("{\"language\":\"c\",\"source\":\"x\",\"checker\":{\"type\":\"float\",\"rel\":-1}}", 422, "checker.rel"));
    CHECK("422 unknown limit", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"cpu\":1}}", 422, "limits.cpu"));
    CHECK("422 zero limit", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"cpu_ms\":0}}", 422, "limits.cpu_ms"));
    CHECK("422 negative limit", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"memory_kb\":-5}}", 422, "limits.memory_kb"));
    CHECK("422 huge limit", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"wall_ms\":9223372036854775807}}", 422, "limits.wall_ms"));
    CHECK("422 above maximum", refused("{\"language\":\"c\",\"source\":\"x\",\"limits\":{\"pids\":1025}}", 422, "limits.pids"));
    CHECK("422 compile limit above maximum", refused("{\"language\":\"c\",\"source\":\"x\",\"compile_limits\":{\"cpu_ms\":600000}}", 422, "compile_limits.cpu_ms"));
    CHECK("422 below the language minimum", refused("{\"language\":\"java\",\"source\":\"x\",\"limits\":{\"memory_kb\":65536}}", 422, "limits.memory_kb"));
    memset(&err, 0, sizeof err);
    parse("{\"language\":\"java\",\"source\":\"x\",\"limits\":{\"memory_kb\":65536}}", &err, NULL);
    CHECK("422 message names the minimum and the language", strstr(err.message, "524288") && strstr(err.message, "java"));

    /* Bounds: tests per request, output budget. */
    size_t cap = 64 + 8 * (config.max_tests + 1);
    char *many = malloc(cap);
    strcpy(many, "{\"language\":\"c\",\"source\":\"x\",\"tests\":[");
    for (unsigned i = 0; i <= config.max_tests; i++)
        strcat(many, i ? ",{}" : "{}");
    strcat(many, "]}");
    CHECK("422 too many tests", refused(many, 422, "tests"));
    many[strlen(many) - 5] = ']';       /* drop the last ",{}" */
    many[strlen(many) - 4] = '}';
    many[strlen(many) - 3] = '\0';
    CHECK("max tests accepted", accepted(many));
    free(many);
    CHECK("422 output budget", refused("{\"language\":\"c\",\"source\":\"x\",\"tests\":[{},{},{},{},{},{},{},{},{}],"
                                       "\"limits\":{\"output_bytes\":16777216}}", 422, "limits.output_bytes"));
}

static void test_errors(void)
{
    api_error err;
    api_error_set(&err, 422, "unknown_language", "language", "unknown language \"%s\"", "x");
    json_t *body = api_error_body(&err);
    json_t *e = json_object_get(body, "error");
    CHECK("error body", e && strcmp(json_string_value(json_object_get(e, "code")), "unknown_language") == 0 &&
          strcmp(json_string_value(json_object_get(e, "field")), "language") == 0 &&
          strstr(json_string_value(json_object_get(e, "message")), "\"x\""));
    json_decref(body);
    api_error_set(&err, 400, "bad_json", NULL, "bad \xff byte");
    body = api_error_body(&err);
    e = json_object_get(body, "error");
    CHECK("error body without field, repaired message", e && !json_object_get(e, "field") &&
          json_object_get(e, "message"));
    json_decref(body);
}

static step_result run_result(sandbox_status status, int exit_code, int sig, const char *out)
{
    step_result s;
    memset(&s, 0, sizeof s);
    s.ran = true;
    s.result.status = status;
    s.result.exit_code = exit_code;
    s.result.signal = sig;
    if (out) {
        s.result.stdout_data = strdup(out);
        s.result.stdout_len = strlen(out);
    }
    return s;
}

static char *dup_bytes(const char *p, size_t len)
{
    if (!p)
        return NULL;
    char *d = malloc(len + 1);
    memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

/* A deep copy of a result (the stream takes its result over). */
static job_result copy_result(const job_result *r)
{
    job_result c = *r;
    c.runs = calloc(r->nruns ? r->nruns : 1, sizeof *c.runs);
    for (size_t i = 0; i < r->nruns; i++) {
        c.runs[i] = r->runs[i];
        sandbox_result *d = &c.runs[i].result;
        const sandbox_result *s = &r->runs[i].result;
        d->stdout_data = dup_bytes(s->stdout_data, s->stdout_len);
        d->stderr_data = dup_bytes(s->stderr_data, s->stderr_len);
    }
    if (r->has_compile) {
        sandbox_result *d = &c.compile.result;
        const sandbox_result *s = &r->compile.result;
        d->stdout_data = dup_bytes(s->stdout_data, s->stdout_len);
        d->stderr_data = dup_bytes(s->stderr_data, s->stderr_len);
    }
    return c;
}

static void test_verdicts(void)
{
    api_error err;
    job_request job;
    if (parse("{\"language\":\"c\",\"source\":\"x\",\"tests\":[{\"expected_output\":\"1\"},"
              "{\"expected_output\":\"2\"},{}]}", &err, &job) != 0) {
        CHECK("verdicts: request", false);
        return;
    }
    job_result res;
    memset(&res, 0, sizeof res);
    res.has_compile = true;
    res.compile = run_result(SANDBOX_OK, 0, 0, "");
    res.nruns = 3;
    res.runs = calloc(3, sizeof *res.runs);
    res.runs[0] = run_result(SANDBOX_OK, 0, 0, "1\n");
    res.runs[1] = run_result(SANDBOX_OK, 0, 0, "2");
    res.runs[2] = run_result(SANDBOX_OK, 0, 0, "anything");
    judge_decide(&job, &res);
    CHECK("verdict: all accepted", strcmp(res.verdict, "accepted") == 0 &&
          strcmp(res.runs[0].verdict, "accepted") == 0 && !res.runs[2].verdict &&
          strcmp(res.compile_status, "ok") == 0);

    free(res.runs[1].result.stdout_data);
    res.runs[1] = run_result(SANDBOX_OK, 0, 0, "3");
    res.runs[2].result.status = SANDBOX_TIME_LIMIT;
    judge_decide(&job, &res);
    CHECK("verdict: first failing run decides", strcmp(res.verdict, "wrong_answer") == 0 &&
          strcmp(res.runs[1].verdict, "wrong_answer") == 0 && res.runs[1].checker_message[0]);

    res.runs[0].result.status = SANDBOX_MEMORY_LIMIT;
    judge_decide(&job, &res);
    CHECK("verdict: a status that is not ok is the verdict", strcmp(res.runs[0].verdict, "memory_limit") == 0 &&
          strcmp(res.verdict, "memory_limit") == 0);

    res.runs[0].result.status = SANDBOX_OK;
    free(res.runs[1].result.stdout_data);
    res.runs[1] = run_result(SANDBOX_OK, 0, 0, "2");
    judge_decide(&job, &res);
    CHECK("verdict: a run without expectation that failed counts", strcmp(res.verdict, "time_limit") == 0 &&
          !res.runs[2].verdict);

    res.compile.result.status = SANDBOX_RUNTIME_ERROR;
    res.compile.result.exit_code = 1;
    judge_decide(&job, &res);
    CHECK("verdict: compile error", strcmp(res.verdict, "compile_error") == 0 &&
          strcmp(res.compile_status, "compile_error") == 0);
    res.compile.result.status = SANDBOX_TIME_LIMIT;
    judge_decide(&job, &res);
    CHECK("verdict: compile hit a limit", strcmp(res.verdict, "compile_error") == 0 &&
          strcmp(res.compile_status, "time_limit") == 0);

    /* Serialization of a finished run. */
    res.compile.result.status = SANDBOX_OK;
    res.compile.result.exit_code = 0;
    res.runs[2].result.status = SANDBOX_RUNTIME_ERROR;
    res.runs[2].result.exit_code = -1;
    res.runs[2].result.signal = SIGSEGV;
    free(res.runs[2].result.stdout_data);
    res.runs[2].result.stdout_data = malloc(3);
    memcpy(res.runs[2].result.stdout_data, "a\xff", 3);
    res.runs[2].result.stdout_len = 2;
    judge_decide(&job, &res);
    json_t *body = api_run_response("abc", &job, &res);
    json_t *runs = json_object_get(body, "runs");
    json_t *r2 = json_array_get(runs, 2);
    CHECK("response: top level", strcmp(json_string_value(json_object_get(body, "id")), "abc") == 0 &&
          strcmp(json_string_value(json_object_get(body, "verdict")), "runtime_error") == 0 &&
          json_is_object(json_object_get(body, "compile")) && json_array_size(runs) == 3);
    CHECK("response: signal by name, no exit code", r2 &&
          strcmp(json_string_value(json_object_get(r2, "signal")), "SIGSEGV") == 0 &&
          json_is_null(json_object_get(r2, "exit_code")) && !json_object_get(r2, "verdict"));
    CHECK("response: invalid UTF-8 gets stdout_b64", r2 &&
          strcmp(json_string_value(json_object_get(r2, "stdout_b64")), "Yf8=") == 0 &&
          strcmp(json_string_value(json_object_get(r2, "stdout")), "a\xef\xbf\xbd") == 0 &&
          !json_object_get(r2, "stderr_b64"));
    json_t *r0 = json_array_get(runs, 0);
    CHECK("response: accepted run", r0 && strcmp(json_string_value(json_object_get(r0, "verdict")), "accepted") == 0 &&
          json_integer_value(json_object_get(r0, "exit_code")) == 0 && json_is_null(json_object_get(r0, "syscall")) &&
          json_is_false(json_object_get(r0, "stdout_truncated")));
    json_decref(body);

    /* The streamed response is byte for byte the dumped tree plus "\n",
     * whatever the read size (issue 11, fault 5). */
    char *want_text = NULL;
    {
        json_t *b = api_run_response("abc", &job, &res);
        want_text = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(b);
    }
    size_t sizes[] = {1, 5, 7, 64, 65536};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        job_result copy = copy_result(&res);
        uint64_t size = 0;
        api_stream *st = api_run_stream("abc", &job, &copy, &size);
        char *got = calloc(1, size + 1);
        uint64_t pos = 0;
        ssize_t n;
        while (st && got && pos <= size &&
               (n = api_stream_read(st, pos, got + pos, (size_t)(size - pos < sizes[k] ? size - pos + 1 : sizes[k]))) > 0)
            pos += (uint64_t)n;
        bool same = st && got && want_text && pos == size && size == strlen(want_text) + 1 &&
                    memcmp(got, want_text, size - 1) == 0 && got[size - 1] == '\n';
        char name[96];
        snprintf(name, sizeof name, "stream: same bytes as the tree, read %zu at a time", sizes[k]);
        CHECK(name, same);
        free(got);
        api_stream_free(st);
        job_result_free(&copy);
    }
    free(want_text);

    /* The budget bounds the encoded outputs: 1 MiB of \x01 (6 bytes each
     * as JSON text) in a request whose outputs may take 2 x 1 MiB. */
    {
        job_request small = job;
        small.ntests = 1;
        small.limits.output_bytes = 1 << 20;
        small.compile_limits.output_bytes = 0;
        job_result big;
        memset(&big, 0, sizeof big);
        big.nruns = 1;
        big.runs = calloc(1, sizeof *big.runs);
        big.runs[0] = run_result(SANDBOX_OK, 0, 0, "");
        free(big.runs[0].result.stdout_data);
        big.runs[0].result.stdout_data = malloc(1 << 20);
        memset(big.runs[0].result.stdout_data, 1, 1 << 20);
        big.runs[0].result.stdout_len = 1 << 20;
        judge_decide(&small, &big);
        uint64_t size = 0;
        job_result moved = copy_result(&big);
        api_stream *st = api_run_stream("abc", &small, &moved, &size);
        CHECK("budget: the streamed response stays within the output budget plus the JSON around it",
              st && size <= api_output_budget(&small) + 4096 && size > api_output_budget(&small) - 4096);
        api_stream_free(st);
        job_result_free(&moved);
        json_t *b = api_run_response("abc", &small, &big);
        json_t *r = json_array_get(json_object_get(b, "runs"), 0);
        size_t kept = json_string_length(json_object_get(r, "stdout"));
        CHECK("budget: the cut output is flagged truncated and fits the budget",
              json_is_true(json_object_get(r, "stdout_truncated")) && kept > 0 &&
              kept * 6 <= api_output_budget(&small));
        json_decref(b);
        job_result_free(&big);
    }

    res.cancelled = true;
    judge_decide(&job, &res);
    CHECK("verdict: cancelled", strcmp(res.verdict, "cancelled") == 0);
    job_result_free(&res);
    job_request_free(&job);
}

static void test_bodies(void)
{
    json_t *l = api_languages_body(&langs);
    json_t *c = json_array_get(l, 0);
    CHECK("languages body", json_array_size(l) == 3 && strcmp(json_string_value(json_object_get(c, "id")), "c") == 0 &&
          json_is_true(json_object_get(c, "compiled")) &&
          strcmp(json_string_value(json_object_get(c, "source_file")), "main.c") == 0 &&
          json_is_false(json_object_get(json_array_get(l, 2), "compiled")));
    json_decref(l);
    json_t *lim = api_limits_body(&config, &langs);
    json_t *cpu = json_object_get(json_object_get(lim, "limits"), "cpu_ms");
    CHECK("limits body", cpu && json_integer_value(json_object_get(cpu, "default")) == 2000 &&
          json_integer_value(json_object_get(cpu, "max")) == 30000 &&
          json_object_get(json_object_get(lim, "request"), "max_tests") &&
          json_object_get(json_object_get(json_object_get(lim, "languages"), "java"), "min"));
    json_decref(lim);
}

int main(void)
{
    config_defaults(&config);
    char error[256];
    CHECK("config: defaults are consistent", config_check(&config, error, sizeof error) == 0);
    load_languages();
    test_language_files();
    test_requests();
    test_errors();
    test_verdicts();
    test_bodies();
    langs_free(&langs);
    config_free(&config);
    UNIT_EXIT();
}
