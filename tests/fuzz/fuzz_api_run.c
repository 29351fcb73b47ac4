/*
 * fuzz_api_run.c - libFuzzer harness for the /v1/run request parser
 * (api_parse_run in server/api/api.c): any bytes as a body, against the
 * default server config and two languages (one compiled, one not).
 * Properties: it either accepts (and the job is consistent: a language,
 * at least one file and one test, limits within the policy) or refuses with
 * a 4xx status, an error code and a message; nothing leaks (ASan).
 */
#include <string.h>

#include "api.h"
#include "config.h"
#include "fuzz.h"
#include "judge.h"
#include "langs.h"

static server_config config;
static language_table langs;
static language items[2];

static void setup(void)
{
    static const char *const files[2] = {
        "{\"id\":\"c\",\"name\":\"C\",\"image\":\"default\",\"source_file\":\"main.c\","
        "\"compile\":[\"gcc\",\"main.c\"],\"run\":[\"./a.out\"],\"limits\":{\"memory_kb\":4096}}",
        "{\"id\":\"python3\",\"name\":\"Python\",\"image\":\"default\",\"source_file\":\"main.py\","
        "\"compile\":null,\"run\":[\"python3\",\"main.py\"]}",
    };
    char error[256];
    config_defaults(&config);
    for (int i = 0; i < 2; i++)
        if (langs_parse(files[i], strlen(files[i]), "fuzz", &items[i], error, sizeof error) < 0) {
            fprintf(stderr, "fuzz set-up: %s\n", error);
            abort();
        }
    langs.items = items;
    langs.count = 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    job_request job;
    api_error err;
    memset(&err, 0, sizeof err);
    if (api_parse_run((const char *)data, size, &config, &langs, &job, &err) == 0) {
        FUZZ_ASSERT(job.lang == &items[0] || job.lang == &items[1]);
        FUZZ_ASSERT(job.nfiles >= 1 && job.files[0].data);
        FUZZ_ASSERT(job.ntests >= 1 && job.ntests <= config.max_tests);
        for (size_t i = 0; i < limit_field_count; i++) {
            uint64_t v = limit_get(&job.limits, &limit_fields[i]);
            FUZZ_ASSERT(v <= limit_get(&config.run.max, &limit_fields[i]) ||
                        limit_get(&config.run.max, &limit_fields[i]) == 0);
        }
        for (size_t i = 0; i < job.ntests; i++)
            FUZZ_ASSERT(job.tests[i].id && job.tests[i].stdin_data);
        job_request_free(&job);
    } else {
        FUZZ_ASSERT(err.status >= 400 && err.status < 500);
        FUZZ_ASSERT(err.code && err.code[0]);
        FUZZ_ASSERT(err.message[0]);
    }
    return 0;
}
