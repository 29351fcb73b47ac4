/*
 * fuzz_judge0.c - libFuzzer harness for the Judge0 layer's parsers
 * (server/compat): a request body through judge0_submission_parse (with
 * and without base64_encoded), the stored form and back, and the job it
 * builds (zip unpacking, word splitting of the option strings).
 * Properties: a body either validates or yields a non-empty 422 object;
 * the stored form of a valid submission loads back to the same fields;
 * building its job either succeeds with one test per run or fails with a
 * 422 naming a field.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "judge0.h"

static char *c_compile[] = {"gcc", "-o", "main", "main.c", NULL};
static char *c_run[] = {"./main", NULL};
static char *bash_run[] = {"bash", "main.sh", NULL};
static language items[] = {
    {.id = "bash", .name = "Bash", .image = "default", .source_file = "main.sh", .version = "5.2.15",
     .rootfs = "/nonexistent", .run_argv = bash_run},
    {.id = "c", .name = "C", .image = "default", .source_file = "main.c", .version = "12.2.0",
     .rootfs = "/nonexistent", .compile_argv = c_compile, .run_argv = c_run},
};
static const language_table langs = {items, 2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool base64 = data[0] & 1;
    json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (!body)
        return 0;
    server_config config;
    config_defaults(&config);
    judge0_submission s;
    json_t *errors = NULL;
    int rc = judge0_submission_parse(body, base64, &langs, &s, &errors);
    json_decref(body);
    FUZZ_ASSERT(rc == 0 || rc == 1);
    if (rc == 1) {
        FUZZ_ASSERT(json_is_object(errors) && json_object_size(errors) > 0);
        json_decref(errors);
        config_free(&config);
        return 0;
    }
    size_t len;
    char *stored = judge0_submission_store(&s, &len);
    FUZZ_ASSERT(stored);
    judge0_submission back;
    FUZZ_ASSERT(judge0_submission_load(stored, len, &langs, &back) == 0);
    FUZZ_ASSERT(back.language_id == s.language_id && back.source_len == s.source_len &&
                (s.source_len == 0 || memcmp(back.source_code, s.source_code, s.source_len) == 0) &&
                back.stdin_len == s.stdin_len && back.number_of_runs == s.number_of_runs &&
                back.memory_limit == s.memory_limit && back.cpu_time_limit == s.cpu_time_limit);
    free(stored);
    job_request job;
    api_error err = {0};
    if (judge0_build_job(&back, &config, &job, &err) == 0) {
        FUZZ_ASSERT(job.ntests == (size_t)(back.number_of_runs > 0 ? back.number_of_runs : 1));
        FUZZ_ASSERT(job.limits.cpu_ms > 0 && job.limits.memory_kb > 0);
    } else {
        FUZZ_ASSERT(err.status == 422 && err.field[0]);
    }
    job_request_free(&job);
    judge0_submission_free(&back);
    judge0_submission_free(&s);
    config_free(&config);
    return 0;
}
