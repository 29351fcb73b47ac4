/*
 * test_ops_metrics.c - the metrics registry (server/ops/metrics.c): what a
 * judged request, requests, refusals and gauges turn into in the
 * exposition, histogram buckets cumulative, observing without a registry
 * harmless; and the embedded OpenAPI document is JSON with every path the
 * server routes.  (promtool checks the format in tests/suites/60-ops.sh.)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "openapi.h"
#include "unit.h"

static void gauges(void *ctx, metrics_gauges *g)
{
    (void)ctx;
    g->slots = 4;
    g->busy = 3;
    g->queued = 7;
    g->queue_capacity = 64;
}

static int has(const char *text, const char *line)
{
    return strstr(text, line) != NULL;
}

int main(void)
{
    size_t len = 0;
    metrics_request(0, 200);                    /* no registry: nothing happens */
    CHECK("no registry: render is NULL", metrics_render(&len) == NULL);

    language items[2] = {{.id = "c"}, {.id = "python3"}};
    language_table langs = {items, 2};
    CHECK("init", metrics_init(&langs) == 0);
    metrics_set_gauges(gauges, NULL);
    int run = metrics_endpoint("POST", "/v1/run");
    int health = metrics_endpoint("GET", "/v1/health");
    CHECK("endpoints registered", run == 0 && health == 1 && metrics_endpoint("POST", "/v1/run") == 0);
    metrics_request(run, 200);
    metrics_request(run, 200);
    metrics_request(run, 422);
    metrics_request(-1, 404);
    metrics_request(health, 1000);              /* out of range: counted as 599 */

    job_request job = {.lang = &items[0]};
    step_result runs[3] = {0};
    runs[0].ran = runs[1].ran = true;
    runs[0].result.status = SANDBOX_OK;
    runs[0].result.wall_ms = 30;
    runs[0].result.cpu_ms = 20;
    runs[1].result.status = SANDBOX_TIME_LIMIT;
    runs[1].result.wall_ms = 2100;
    runs[1].result.cpu_ms = 2000;
    job_result res = {.has_compile = true, .runs = runs, .nruns = 3, .verdict = "time_limit", .queue_ms = 3};
    res.compile.ran = true;
    res.compile.result.wall_ms = 400;
    metrics_job(&job, &res);
    job_request job2 = {.lang = &items[1]};
    job_result res2 = {.verdict = "accepted"};
    metrics_job(&job2, &res2);
    metrics_sandbox_setup_us(1500);
    metrics_internal_error("judge");
    metrics_internal_error("somewhere");
    metrics_auth_refused(401);
    metrics_auth_refused(403);
    metrics_auth_refused(403);
    metrics_quota_refused("runs_per_second");

    char *text = metrics_render(&len);
    CHECK("render", text && len == strlen(text));
    if (!text)
        return 1;
    CHECK("requests by endpoint and code",
          has(text, "judgebox_http_requests_total{method=\"POST\",endpoint=\"/v1/run\",code=\"200\"} 2\n") &&
              has(text, "judgebox_http_requests_total{method=\"POST\",endpoint=\"/v1/run\",code=\"422\"} 1\n"));
    CHECK("unmatched requests", has(text, "endpoint=\"unmatched\",code=\"404\"} 1\n"));
    CHECK("odd status kept in range", has(text, "endpoint=\"/v1/health\",code=\"599\"} 1\n"));
    CHECK("verdicts by language", has(text, "judgebox_verdicts_total{language=\"c\",verdict=\"time_limit\"} 1\n") &&
                                      has(text, "judgebox_verdicts_total{language=\"python3\",verdict=\"accepted\"} 1\n"));
    CHECK("runs by limit", has(text, "judgebox_sandbox_runs_total{stage=\"run\",status=\"time_limit\"} 1\n") &&
                               has(text, "judgebox_sandbox_runs_total{stage=\"run\",status=\"ok\"} 1\n") &&
                               has(text, "judgebox_sandbox_runs_total{stage=\"compile\",status=\"ok\"} 1\n"));
    CHECK("a run that did not happen is not counted",
          has(text, "judgebox_sandbox_runs_total{stage=\"run\",status=\"memory_limit\"} 0\n"));
    CHECK("run wall histogram cumulative",
          has(text, "judgebox_run_wall_seconds_bucket{le=\"0.025\"} 0\n") &&
              has(text, "judgebox_run_wall_seconds_bucket{le=\"0.05\"} 1\n") &&
              has(text, "judgebox_run_wall_seconds_bucket{le=\"2.5\"} 2\n") &&
              has(text, "judgebox_run_wall_seconds_bucket{le=\"+Inf\"} 2\n") &&
              has(text, "judgebox_run_wall_seconds_sum 2.130000\n") &&
              has(text, "judgebox_run_wall_seconds_count 2\n"));
    CHECK("run cpu histogram", has(text, "judgebox_run_cpu_seconds_sum 2.020000\n"));
    CHECK("compile histogram", has(text, "judgebox_compile_duration_seconds_count 1\n") &&
                                   has(text, "judgebox_compile_duration_seconds_bucket{le=\"0.25\"} 0\n") &&
                                   has(text, "judgebox_compile_duration_seconds_bucket{le=\"0.5\"} 1\n"));
    CHECK("queue histogram (both jobs)", has(text, "judgebox_queue_wait_seconds_count 2\n"));
    CHECK("setup histogram", has(text, "judgebox_sandbox_setup_seconds_bucket{le=\"0.002\"} 1\n") &&
                                 has(text, "judgebox_sandbox_setup_seconds_bucket{le=\"0.001\"} 0\n"));
    CHECK("internal errors", has(text, "judgebox_internal_errors_total{where=\"judge\"} 1\n") &&
                                 has(text, "judgebox_internal_errors_total{where=\"other\"} 1\n"));
    CHECK("auth refusals", has(text, "judgebox_auth_refusals_total{code=\"401\"} 1\n") &&
                               has(text, "judgebox_auth_refusals_total{code=\"403\"} 2\n"));
    CHECK("quota refusals", has(text, "judgebox_quota_refusals_total{quota=\"runs_per_second\"} 1\n"));
    CHECK("gauges", has(text, "judgebox_slots_busy 3\n") && has(text, "judgebox_queue_depth 7\n") &&
                        has(text, "judgebox_slots 4\n"));
    CHECK("every family has HELP and TYPE", has(text, "# TYPE judgebox_verdicts_total counter\n") &&
                                                has(text, "# TYPE judgebox_run_wall_seconds histogram\n"));
    free(text);
    metrics_shutdown();
    CHECK("after shutdown: render is NULL", metrics_render(&len) == NULL);

    /* The OpenAPI document built into the binary. */
    size_t dlen = 0;
    const char *doc = openapi_document(&dlen);
    json_error_t jerr;
    json_t *d = json_loadb(doc, dlen, 0, &jerr);
    CHECK("openapi: parses", d != NULL);
    CHECK("openapi: 3.1", d && json_is_string(json_object_get(d, "openapi")) &&
                              strncmp(json_string_value(json_object_get(d, "openapi")), "3.1", 3) == 0);
    json_t *paths = d ? json_object_get(d, "paths") : NULL;
    const char *need[] = {"/v1/run", "/v1/languages", "/v1/health", "/v1/limits", "/v1/openapi.json", "/metrics"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        char name[96];
        snprintf(name, sizeof name, "openapi: has %s", need[i]);
        CHECK(name, json_object_get(paths, need[i]) != NULL);
    }
    json_decref(d);
    UNIT_EXIT();
}
