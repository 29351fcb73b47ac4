/*
 * metrics.h - the server's Prometheus metrics (GET /metrics): requests by
 * endpoint and status, verdicts by language, sandbox runs by how they
 * ended (each limit), histograms of queue wait, compile time, run wall
 * and CPU time and sandbox set-up time, internal errors, auth and quota
 * refusals, and gauges read from the worker pool when scraped.
 *
 * One registry per process (metrics_init at startup, metrics_shutdown at
 * exit); observing is a few relaxed atomic adds, no lock and no
 * allocation, and every observe call is a no-op when no registry exists
 * (the CLI, unit tests of other rooms).  Endpoints and languages are
 * registered before the server takes requests; nothing is added later.
 */
#ifndef JUDGEBOX_METRICS_H
#define JUDGEBOX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "langs.h"

#define METRICS_MAX_ENDPOINTS 64

typedef struct metrics_gauges {
    unsigned slots, busy, queued, queue_capacity;
    uint64_t runs_waiting;
} metrics_gauges;
/* Called at scrape time for the pool's gauges. */
typedef void (*metrics_gauge_fn)(void *ctx, metrics_gauges *out);

/* Create the process's registry for `langs` (which must outlive it).
 * -1 when out of memory. */
int metrics_init(const language_table *langs);
void metrics_shutdown(void);
void metrics_set_gauges(metrics_gauge_fn fn, void *ctx);

/* Register an endpoint ("POST", "/v1/run"; a path template such as
 * "/v1/runs/{id}" for a family of paths): its index, or -1 when full or
 * no registry.  Registering the same pair twice returns the same index. */
int metrics_endpoint(const char *method, const char *path);

/* One HTTP request answered with `status`; endpoint -1 = no route matched. */
void metrics_request(int endpoint, unsigned status);
/* Everything a judged request tells: its verdict by language, the compile
 * and each run (status, wall, CPU), its queue wait.  Called by judge_run
 * for every caller (native, compat, asynchronous). */
void metrics_job(const job_request *job, const job_result *result);
/* Time sandbox_run took beyond the program's own wall time (set-up and
 * tear-down of the sandbox), in microseconds. */
void metrics_sandbox_setup_us(uint64_t us);
/* Something failed that was the server's fault ("judge", "http", ...;
 * an unknown name counts as "other"). */
void metrics_internal_error(const char *where);
/* A request refused for credentials (401, 403) or a quota ("concurrent",
 * "runs_per_second", "cpu_seconds_per_minute", "clients"). */
void metrics_auth_refused(unsigned status);
void metrics_quota_refused(const char *quota);

/* The exposition (text format 0.0.4), malloc'd, NUL-terminated; NULL when
 * out of memory or no registry. */
char *metrics_render(size_t *len);

#endif
