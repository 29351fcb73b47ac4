/*
 * metrics.c - owns the metrics registry and its Prometheus text
 * exposition (metrics.h).  Every counter and histogram bucket is a
 * relaxed atomic in arrays sized at startup (endpoints x status codes,
 * languages x verdicts), so an observation never locks or allocates;
 * only a scrape walks the arrays and formats them.  Histograms keep their
 * sum in microseconds (an integer, so it can be added atomically) and are
 * shown in seconds.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox.h"

typedef _Atomic uint64_t counter;

#define STATUS_CODES 600             /* 100..599 kept exactly; others count as 599 */
#define MAX_BOUNDS 16

typedef struct histogram {
    const char *name, *help;
    const double *bounds;            /* seconds, ascending */
    size_t nbounds;
    counter buckets[MAX_BOUNDS + 1]; /* non-cumulative; the last is +Inf */
    counter sum_us, count;
} histogram;

static const double queue_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
static const double compile_bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60};
static const double run_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const double setup_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1};

enum { H_QUEUE, H_COMPILE, H_RUN_WALL, H_RUN_CPU, H_SETUP, H_COUNT };

static const char *const verdicts[] = {
    "accepted", "wrong_answer", "ok", "compile_error", "runtime_error", "time_limit",
    "wall_time_limit", "memory_limit", "output_limit", "forbidden_syscall", "internal_error",
    "network_limit", "cancelled", "judge_error", "partially_accepted", "skipped", "other",
};
#define NVERDICTS (sizeof verdicts / sizeof verdicts[0])

/* Sandbox statuses (sandbox.h order) plus one for anything newer. */
#define NSTATUS (SANDBOX_NETWORK_LIMIT + 2)
static const char *const stages[] = {"compile", "run"};

static const char *const error_places[] = {"judge", "http", "sandbox", "other"};
#define NPLACES (sizeof error_places / sizeof error_places[0])
static const char *const quotas[] = {"concurrent", "runs_per_second", "cpu_seconds_per_minute", "clients"};
#define NQUOTAS (sizeof quotas / sizeof quotas[0])

typedef struct registry {
    const language_table *langs;
    struct timespec started;         /* CLOCK_REALTIME, for process_start_time_seconds */
    /* endpoints: registered at startup; [METRICS_MAX_ENDPOINTS] = no route */
    char methods[METRICS_MAX_ENDPOINTS][8];
    char paths[METRICS_MAX_ENDPOINTS][96];
    _Atomic int nendpoints;
    counter (*requests)[STATUS_CODES];          /* [METRICS_MAX_ENDPOINTS + 1] */
    counter (*verdicts)[NVERDICTS];             /* [langs->count] */
    counter runs[2][NSTATUS];
    counter errors[NPLACES];
    counter auth[2];                            /* 401, 403 */
    counter quota[NQUOTAS];
    histogram h[H_COUNT];
    metrics_gauge_fn gauges;
    void *gauges_ctx;
} registry;

static _Atomic(registry *) current;

static void add(counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void hist_init(histogram *h, const char *name, const char *help, const double *bounds, size_t n)
{
    h->name = name;
    h->help = help;
    h->bounds = bounds;
    h->nbounds = n;
}

static void observe_us(histogram *h, uint64_t us)
{
    double s = (double)us / 1e6;
    size_t i = 0;
    while (i < h->nbounds && s > h->bounds[i])
        i++;
    add(&h->buckets[i], 1);
    add(&h->sum_us, us);
    add(&h->count, 1);
}

int metrics_init(const language_table *langs)
{
    registry *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->langs = langs;
    clock_gettime(CLOCK_REALTIME, &r->started);
    r->requests = calloc(METRICS_MAX_ENDPOINTS + 1, sizeof *r->requests);
    r->verdicts = calloc(langs && langs->count ? langs->count : 1, sizeof *r->verdicts);
    if (!r->requests || !r->verdicts) {
        free(r->requests);
        free(r->verdicts);
        free(r);
        return -1;
    }
#define N(a) (sizeof a / sizeof a[0])
    hist_init(&r->h[H_QUEUE], "judgebox_queue_wait_seconds",
              "Time from admission of a judging request to its first sandbox run starting.",
              queue_bounds, N(queue_bounds));
    hist_init(&r->h[H_COMPILE], "judgebox_compile_duration_seconds",
              "Wall time of compiles.", compile_bounds, N(compile_bounds));
    hist_init(&r->h[H_RUN_WALL], "judgebox_run_wall_seconds",
              "Wall time of test runs.", run_bounds, N(run_bounds));
    hist_init(&r->h[H_RUN_CPU], "judgebox_run_cpu_seconds",
              "CPU time of test runs (every process and thread of the run).", run_bounds, N(run_bounds));
    hist_init(&r->h[H_SETUP], "judgebox_sandbox_setup_seconds",
              "Time a sandbox run took beyond the program's own wall time: building and tearing down the sandbox.",
              setup_bounds, N(setup_bounds));
#undef N
    registry *old = atomic_exchange(&current, r);
    if (old) {
        free(old->requests);
        free(old->verdicts);
        free(old);
    }
    return 0;
}

void metrics_shutdown(void)
{
    registry *r = atomic_exchange(&current, NULL);
    if (!r)
        return;
    free(r->requests);
    free(r->verdicts);
    free(r);
}

void metrics_set_gauges(metrics_gauge_fn fn, void *ctx)
{
    registry *r = atomic_load(&current);
    if (!r)
        return;
    r->gauges = fn;
    r->gauges_ctx = ctx;
}

int metrics_endpoint(const char *method, const char *path)
{
    registry *r = atomic_load(&current);
    if (!r)
        return -1;
    int n = atomic_load(&r->nendpoints);
    for (int i = 0; i < n; i++)
        if (strcmp(r->methods[i], method) == 0 && strcmp(r->paths[i], path) == 0)
            return i;
    if (n >= METRICS_MAX_ENDPOINTS || strlen(method) >= sizeof r->methods[0] ||
        strlen(path) >= sizeof r->paths[0])
        return -1;
    strcpy(r->methods[n], method);
    strcpy(r->paths[n], path);
    atomic_store(&r->nendpoints, n + 1);
    return n;
}

void metrics_request(int endpoint, unsigned status)
{
    registry *r = atomic_load_explicit(&current, memory_order_acquire);
    if (!r)
        return;
    if (endpoint < 0 || endpoint >= atomic_load_explicit(&r->nendpoints, memory_order_relaxed))
        endpoint = METRICS_MAX_ENDPOINTS;
    if (status < 100 || status >= STATUS_CODES)
        status = STATUS_CODES - 1;
    add(&r->requests[endpoint][status], 1);
}

static size_t verdict_index(const char *v)
{
    if (v)
        for (size_t i = 0; i + 1 < NVERDICTS; i++)
            if (strcmp(verdicts[i], v) == 0)
                return i;
    return NVERDICTS - 1;
}

static void observe_run(registry *r, int stage, const step_result *s, bool cancelled)
{
    if (!s->ran)
        return;
    unsigned st = (unsigned)s->result.status;
    if (st >= NSTATUS - 1)
        st = NSTATUS - 1;
    add(&r->runs[stage][st], 1);
    if (s->result.status == SANDBOX_INTERNAL_ERROR && !cancelled)
        add(&r->errors[2], 1);
    if (stage == 0) {
        observe_us(&r->h[H_COMPILE], s->result.wall_ms * 1000);
    } else {
        observe_us(&r->h[H_RUN_WALL], s->result.wall_ms * 1000);
        observe_us(&r->h[H_RUN_CPU], s->result.cpu_ms * 1000);
    }
}

void metrics_job(const job_request *job, const job_result *res)
{
    registry *r = atomic_load_explicit(&current, memory_order_acquire);
    if (!r)
        return;
    observe_us(&r->h[H_QUEUE], res->queue_ms * 1000);
    if (res->has_compile)
        observe_run(r, 0, &res->compile, res->cancelled);
    for (size_t i = 0; i < res->nruns; i++)
        observe_run(r, 1, &res->runs[i], res->cancelled);
    if (r->langs && job->lang >= r->langs->items && job->lang < r->langs->items + r->langs->count) {
        size_t li = (size_t)(job->lang - r->langs->items);
        add(&r->verdicts[li][verdict_index(res->verdict)], 1);
    }
}

void metrics_sandbox_setup_us(uint64_t us)
{
    registry *r = atomic_load_explicit(&current, memory_order_acquire);
    if (r)
        observe_us(&r->h[H_SETUP], us);
}

void metrics_internal_error(const char *where)
{
    registry *r = atomic_load_explicit(&current, memory_order_acquire);
    if (!r)
        return;
    size_t i = 0;
    while (i + 1 < NPLACES && strcmp(error_places[i], where ? where : "") != 0)
        i++;
    add(&r->errors[i], 1);
}

void metrics_auth_refused(unsigned status)
{
    registry *r = atomic_load_explicit(&current, memory_order_acquire);
    if (r && (status == 401 || status == 403))
        add(&r->auth[status == 403], 1);
}

void metrics_quota_refused(const char *quota)
{
    registry *r = atomic_load_explicit(&current, memory_order_acquire);
    if (!r)
        return;
    for (size_t i = 0; i < NQUOTAS; i++)
        if (quota && strcmp(quotas[i], quota) == 0)
            add(&r->quota[i], 1);
}

/* ---- exposition ---- */

/* A label value: backslash, quote and newline escaped. */
static void put_label(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f), fputc(*s, f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_histogram(FILE *f, histogram *h)
{
    header(f, h->name, "histogram", h->help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= h->nbounds; i++) {
        cumulative += get(&h->buckets[i]);
        if (i < h->nbounds)
            fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", h->name, h->bounds[i], (unsigned long long)cumulative);
        else
            fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", h->name, (unsigned long long)cumulative);
    }
    /* Read after the buckets: a concurrent observation may make count run
     * ahead of +Inf by one for a moment; never behind. */
    uint64_t count = get(&h->count);
    if (count < cumulative)
        count = cumulative;
    fprintf(f, "%s_sum %.6f\n%s_count %llu\n", h->name, (double)get(&h->sum_us) / 1e6, h->name,
            (unsigned long long)count);
}

static const char *status_label(unsigned st)
{
    return st < NSTATUS - 1 ? sandbox_status_name((sandbox_status)st) : "other";
}

char *metrics_render(size_t *len)
{
    registry *r = atomic_load_explicit(&current, memory_order_acquire);
    if (!r)
        return NULL;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;

    header(f, "judgebox_http_requests_total", "counter",
           "HTTP requests answered, by method, endpoint (the route's path template; \"unmatched\" when none) and status code.");
    int n = atomic_load(&r->nendpoints);
    for (int e = 0; e <= METRICS_MAX_ENDPOINTS; e++) {
        if (e >= n && e != METRICS_MAX_ENDPOINTS)
            continue;
        for (unsigned code = 100; code < STATUS_CODES; code++) {
            uint64_t v = get(&r->requests[e][code]);
            if (!v)
                continue;
            fputs("judgebox_http_requests_total{method=\"", f);
            put_label(f, e == METRICS_MAX_ENDPOINTS ? "other" : r->methods[e]);
            fputs("\",endpoint=\"", f);
            put_label(f, e == METRICS_MAX_ENDPOINTS ? "unmatched" : r->paths[e]);
            fprintf(f, "\",code=\"%u\"} %llu\n", code, (unsigned long long)v);
        }
    }

    header(f, "judgebox_verdicts_total", "counter", "Judged requests by language and overall verdict.");
    for (size_t l = 0; r->langs && l < r->langs->count; l++)
        for (size_t v = 0; v < NVERDICTS; v++) {
            uint64_t c = get(&r->verdicts[l][v]);
            if (!c)
                continue;
            fputs("judgebox_verdicts_total{language=\"", f);
            put_label(f, r->langs->items[l].id);
            fprintf(f, "\",verdict=\"%s\"} %llu\n", verdicts[v], (unsigned long long)c);
        }

    header(f, "judgebox_sandbox_runs_total", "counter",
           "Sandbox runs by stage (compile, run) and how they ended: ok, runtime_error, or the limit that stopped them.");
    for (int s = 0; s < 2; s++)
        for (unsigned st = 0; st < NSTATUS; st++)
            fprintf(f, "judgebox_sandbox_runs_total{stage=\"%s\",status=\"%s\"} %llu\n", stages[s],
                    status_label(st), (unsigned long long)get(&r->runs[s][st]));

    header(f, "judgebox_internal_errors_total", "counter",
           "Failures that were the server's fault, by where they happened (judge: workspace or files; sandbox: a run that could not be built; http: responses).");
    for (size_t i = 0; i < NPLACES; i++)
        fprintf(f, "judgebox_internal_errors_total{where=\"%s\"} %llu\n", error_places[i],
                (unsigned long long)get(&r->errors[i]));

    header(f, "judgebox_auth_refusals_total", "counter", "Requests refused for their credentials: 401 (none or invalid), 403 (missing scope).");
    fprintf(f, "judgebox_auth_refusals_total{code=\"401\"} %llu\n", (unsigned long long)get(&r->auth[0]));
    fprintf(f, "judgebox_auth_refusals_total{code=\"403\"} %llu\n", (unsigned long long)get(&r->auth[1]));

    header(f, "judgebox_quota_refusals_total", "counter", "Requests refused with 429, by the quota that refused them.");
    for (size_t i = 0; i < NQUOTAS; i++)
        fprintf(f, "judgebox_quota_refusals_total{quota=\"%s\"} %llu\n", quotas[i],
                (unsigned long long)get(&r->quota[i]));

    for (int i = 0; i < H_COUNT; i++)
        put_histogram(f, &r->h[i]);

    if (r->gauges) {
        metrics_gauges g = {0};
        r->gauges(r->gauges_ctx, &g);
        header(f, "judgebox_slots", "gauge", "Sandbox slots (worker threads) of this server.");
        fprintf(f, "judgebox_slots %u\n", g.slots);
        header(f, "judgebox_slots_busy", "gauge", "Slots running a sandbox now.");
        fprintf(f, "judgebox_slots_busy %u\n", g.busy);
        header(f, "judgebox_queue_depth", "gauge", "Admitted requests waiting for a slot.");
        fprintf(f, "judgebox_queue_depth %u\n", g.queued);
        header(f, "judgebox_queue_capacity", "gauge", "Requests that may wait before the server answers 503.");
        fprintf(f, "judgebox_queue_capacity %u\n", g.queue_capacity);
        header(f, "judgebox_runs_waiting", "gauge", "Sandbox runs submitted and not yet started.");
        fprintf(f, "judgebox_runs_waiting %llu\n", (unsigned long long)g.runs_waiting);
    }
    header(f, "judgebox_languages", "gauge", "Languages this server offers.");
    fprintf(f, "judgebox_languages %zu\n", r->langs ? r->langs->count : 0);
    header(f, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
    fprintf(f, "process_start_time_seconds %lld\n", (long long)r->started.tv_sec);

    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
