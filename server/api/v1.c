/*
 * v1.c - the native v1 endpoints as route handlers: POST /v1/run (parse,
 * admit to the worker pool, judge on an executor, answer), GET
 * /v1/languages and /v1/limits (bodies made once: the languages and the
 * config do not change while the server runs) and GET /v1/health.
 * The JSON contract itself is api.c; HTTP plumbing is server/http.
 */
#include "v1.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "judge.h"
#include "log.h"
#include "queue.h"
#include "runs_http.h"
#include "stream.h"

/* One admitted /v1/run request, owned by its deferred work. */
typedef struct run_work {
    pool_ticket *ticket;
    job_request job;
    bool streamed;                /* Accept: text/event-stream or application/x-ndjson */
    live_format format;
} run_work;

static uint64_t ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
    return ms > 0 ? (uint64_t)ms : 0;
}

/* A step the sandbox could not run is the server's failure, whatever
 * the response says: log the first cause at level error. */
static void log_internal_errors(http_request *req, const job_result *res)
{
    const step_result *bad = NULL;
    const char *what = "compile";
    char where[64];
    if (res->has_compile && res->compile.ran && res->compile.result.status == SANDBOX_INTERNAL_ERROR)
        bad = &res->compile;
    for (size_t i = 0; !bad && i < res->nruns; i++) {
        if (res->runs[i].ran && res->runs[i].result.status == SANDBOX_INTERNAL_ERROR) {
            bad = &res->runs[i];
            snprintf(where, sizeof where, "test %zu", i);
            what = where;
        }
    }
    if (!bad)
        return;
    char cause[sizeof bad->result.message + 80];
    snprintf(cause, sizeof cause, "%s: %s", what, bad->result.message);
    http_log_cause(req, cause);
}

/* Executor thread: judge, answer (or hang up when the client left). */
static void judge_work(http_request *req, void *cls)
{
    run_work *w = cls;
    app *a = http_app(req);
    job_result res;
    char why[512] = "";
    /* A streamed run answers now and sends events as they happen (server/live). */
    live_stream *stream = w->streamed ? live_stream_new(w->format, &w->job) : NULL;
    if (stream && live_stream_start(stream, req) < 0) {
        w->job.observer = NULL;
        live_stream_unref(stream);
        stream = NULL;
    }
    int abort_fd = stream ? live_stream_client_fd(stream) : http_client_fd(req);
    if (stream) /* no interim 102 in the middle of a streamed body: a half-close is a hang-up */
        pool_ticket_set_probe(w->ticket, NULL, NULL);
    int rc = judge_run(a->context, w->ticket, &w->job, abort_fd, &res, why, sizeof why);
    if (stream) {
        pool_leave(w->ticket);
        if (rc == 0)
            http_judged(req, &res); /* the client's CPU quota */
        live_run_finished(stream, req, http_request_id(req), &w->job, rc, &res, why);
        if (rc == 0)
            job_result_free(&res);
        live_stream_unref(stream);
        job_request_free(&w->job);
        free(w);
        return;
    }
    pool_leave(w->ticket);
    http_log_set(req, "queue_ms", json_integer((json_int_t)res.queue_ms));
    if (rc < 0) {
        http_log_cause(req, why);
        http_reply_errorf(req, 500, "internal", NULL, "the server could not judge this request: %s",
                          why);
    } else {
        http_judged(req, &res);    /* the client's CPU quota */
        http_log_set(req, "verdict", json_string(res.verdict));
        if (!res.cancelled)
            log_internal_errors(req, &res);
        if (res.has_compile)
            http_log_set(req, "compile_ms", json_integer((json_int_t)res.compile_ms));
        http_log_set(req, "run_ms", json_integer((json_int_t)res.run_ms));
        if (res.cancelled && http_shutting_down(req)) {
            /* Cancelled by a shutdown past its drain time. */
            char retry[16];
            snprintf(retry, sizeof retry, "%u", a->config->retry_after_s);
            http_reply_header(req, "Retry-After", retry);
            http_reply_errorf(req, 503, "shutting_down", NULL,
                              "the server shut down before this request was judged; retry");
        } else if (res.cancelled) {
            http_log_set(req, "gone", json_true());
            http_hang_up(req);     /* nobody to answer */
        } else {
            /* Streamed: the outputs are encoded as the client reads, so a
             * large response never sits whole (or escaped) in memory. */
            uint64_t size;
            api_stream *st = api_run_stream(http_request_id(req), &w->job, &res, &size);
            if (st)
                http_reply_stream(req, 200, "application/json", size, api_stream_read, st,
                                  api_stream_free);
            else
                http_reply_errorf(req, 500, "internal", NULL, "out of memory building the response");
        }
        job_result_free(&res);
    }
    job_request_free(&w->job);
    free(w);
}

void v1_run(http_request *req)
{
    int async = runs_async_flag(req);
    if (async != 0) {
        if (async > 0)
            runs_submit(req);      /* server/store: stored, judged later */
        return;
    }
    app *a = http_app(req);
    api_error err = {0};
    size_t len;
    const char *body = http_body(req, &len);
    run_work *w = calloc(1, sizeof *w);
    if (!w) {
        http_reply_errorf(req, 500, "internal", NULL, "out of memory admitting the request");
        return;
    }
    if (api_parse_run(body, len, a->config, a->langs, &w->job, &err) < 0) {
        free(w);
        http_reply_error(req, &err);
        return;
    }
    snprintf(w->job.run_id_prefix, sizeof w->job.run_id_prefix, "%s", http_request_id(req));
    w->streamed = live_stream_wanted(http_header(req, "Accept"), &w->format);
    http_log_set(req, "language", json_string(w->job.lang->id));
    http_log_set(req, "tests", json_integer((json_int_t)w->job.ntests));
    w->ticket = pool_admit(a->pool);
    if (!w->ticket) {
        int e = errno;
        job_request_free(&w->job);
        free(w);
        if (e != EAGAIN) {
            http_reply_errorf(req, 500, "internal", NULL, "admit request: %s", strerror(e));
            return;
        }
        char retry[16];
        snprintf(retry, sizeof retry, "%u", a->config->retry_after_s);
        http_reply_header(req, "Retry-After", retry);
        http_reply_errorf(req, 503, "queue_full", NULL,
                          "all %u slots are busy and %u requests are queued; retry later",
                          a->config->slots, a->config->queue);
        return;
    }
    /* One client's requests share one turn for the slots (queue.c);
     * without memory for a group the request takes turns alone. */
    (void)pool_ticket_set_group(w->ticket, http_client_key(req));
    /* A client that shuts its sending side after the request still gets
     * its answer; one that closed is told apart by a probe. */
    pool_ticket_set_probe(w->ticket, http_probe_half_close, req);
    if (http_defer(req, judge_work, w) < 0) {
        pool_leave(w->ticket);
        job_request_free(&w->job);
        free(w);
        char retry[16];
        snprintf(retry, sizeof retry, "%u", a->config->retry_after_s);
        http_reply_header(req, "Retry-After", retry);
        http_reply_errorf(req, 503, "shutting_down", NULL, "the server is shutting down");
    }
}

/* Bodies that never change while the server runs, made on first use. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char *languages_body, *limits_body;
static size_t languages_len, limits_len;

static char *json_line(json_t *body, size_t *len)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    *len = text ? strlen(text) : 0;
    char *with_nl = text ? realloc(text, *len + 2) : NULL;
    if (!with_nl) {
        free(text);
        return NULL;
    }
    with_nl[(*len)++] = '\n';
    with_nl[*len] = '\0';
    return with_nl;
}

static void serve_cached(http_request *req, char **body, size_t *len, bool limits)
{
    app *a = http_app(req);
    pthread_mutex_lock(&cache_lock);
    if (!*body)
        *body = json_line(limits ? api_limits_body(a->config, a->langs) : api_languages_body(a->langs),
                          len);
    char *text = *body;
    size_t n = *len;
    pthread_mutex_unlock(&cache_lock);
    if (!text) {
        http_reply_errorf(req, 500, "internal", NULL, "out of memory building the response");
        return;
    }
    http_reply_raw(req, 200, "application/json", text, n, NULL);
}

void v1_languages(http_request *req)
{
    serve_cached(req, &languages_body, &languages_len, false);
}

void v1_limits(http_request *req)
{
    serve_cached(req, &limits_body, &limits_len, true);
}

void v1_health(http_request *req)
{
    app *a = http_app(req);
    pool_stats st;
    pool_get_stats(a->pool, &st);
    json_t *b = json_object();
    json_object_set_new(b, "status", json_string("ok"));
    json_object_set_new(b, "slots", json_integer(st.workers));
    json_object_set_new(b, "busy", json_integer(st.busy));
    json_object_set_new(b, "queued", json_integer(st.queued));
    json_object_set_new(b, "queue_capacity", json_integer(st.queue_max));
    json_object_set_new(b, "cgroup_version", json_integer(a->cgroup_version));
    json_object_set_new(b, "languages", json_integer((json_int_t)a->langs->count));
    json_object_set_new(b, "uptime_s", json_integer((json_int_t)(ms_since(&a->started) / 1000)));
    json_object_set_new(b, "requests_admitted", json_integer((json_int_t)st.admitted));
    json_object_set_new(b, "requests_rejected", json_integer((json_int_t)st.rejected));
    json_object_set_new(b, "runs", json_integer((json_int_t)st.tasks_run));
    json_object_set_new(b, "runs_waiting", json_integer((json_int_t)st.waiting_tasks));
    http_reply_json(req, 200, b);
}
