/*
 * dispatch.c - the dispatcher: `threads` claimers and one monitor, all
 * started with the server.  A claimer takes a queued job from the store,
 * parses it with its origin's hook, waits for a pool ticket, judges it with
 * judge_run (the job's cancel pipe as abort_fd), writes the native result
 * and hands the callback, if any, to callback.c.  The monitor, twice a
 * second, keeps the claims of the jobs running here alive and closes the
 * cancel pipe of any that was cancelled (or taken over); every few seconds
 * it sweeps the store (expired results, jobs of dead servers).
 */
#include "dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callback.h"
#include "log.h"
#include "store_engine.h"

/* A job claimed this many times without finishing (its server died each
 * time) is not judged again: it ends with an error. */
#define MAX_ATTEMPTS 3
#define KEEP_INTERVAL_MS 500
#define SWEEP_INTERVAL_MS 5000

const store_origin store_origin_v1 = {.name = "v1", .parse = NULL, .callback_body = NULL};

typedef struct running {
    bool busy;
    store_id id;
    char handle[96];
    int cancel_wfd;               /* closed to stop the job; -1 once closed */
    bool cancelled;
} running;

struct dispatcher {
    dispatcher_options o;
    const char *names[8];
    pthread_mutex_t lock;
    pthread_cond_t wake;          /* stopping */
    bool stopping;
    running *slots;
    pthread_t *threads;
    unsigned nthreads, started;
    pthread_t monitor;
    bool monitor_started;
    callbacks *callbacks;
};

static void iso_time(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03dZ", base, (int)(ms % 1000));
}

static void set_time(json_t *o, const char *key, int64_t ms)
{
    if (ms <= 0) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char buf[40];
    iso_time(ms, buf, sizeof buf);
    json_object_set_new(o, key, json_string(buf));
}

json_t *store_job_native_body(const store_job *job)
{
    json_t *b = json_object();
    if (!b)
        return NULL;
    json_object_set_new(b, "id", json_string(job->id));
    json_object_set_new(b, "state", json_string(store_state_name(job->state)));
    set_time(b, "submitted_at", job->created_ms);
    set_time(b, "started_at", job->started_ms);
    set_time(b, "finished_at", job->finished_ms);
    if (job->state == STORE_DONE && job->result) {
        json_error_t jerr;
        json_t *res = json_loadb(job->result, job->result_len, 0, &jerr);
        if (json_is_object(res)) {
            const char *key;
            json_t *value;
            json_object_foreach(res, key, value) {
                if (strcmp(key, "id") != 0 && strcmp(key, "state") != 0)
                    json_object_set(b, key, value);
            }
        } else {
            json_t *e = json_object();
            json_object_set_new(e, "code", json_string("internal"));
            json_object_set_new(e, "message", json_string("the stored result is not readable"));
            json_object_set_new(b, "error", e);
        }
        json_decref(res);
    }
    return b;
}

static const store_origin *find_origin(const dispatcher *d, const char *name)
{
    for (size_t i = 0; i < d->o.norigins; i++)
        if (name && strcmp(d->o.origins[i]->name, name) == 0)
            return d->o.origins[i];
    return NULL;
}

/* The job ended without a judgement: {"error": {...}} is its result. */
static char *error_result(int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *error_result(int status, const char *code, const char *fmt, ...)
{
    api_error err = {0};
    va_list ap;
    va_start(ap, fmt);
    api_error_vset(&err, status, code, NULL, fmt, ap);
    va_end(ap);
    json_t *body = api_error_body(&err);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return text;
}

static bool is_stopping(dispatcher *d)
{
    pthread_mutex_lock(&d->lock);
    bool s = d->stopping;
    pthread_mutex_unlock(&d->lock);
    return s;
}

/* Wait up to ms, or until stopping.  Returns true when stopping. */
static bool pause_ms(dispatcher *d, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->lock);
    if (!d->stopping)
        pthread_cond_timedwait(&d->wake, &d->lock, &until);
    bool s = d->stopping;
    pthread_mutex_unlock(&d->lock);
    return s;
}

/* A pool ticket, waiting while synchronous requests fill the queue.  NULL
 * when the job was cancelled or the server is stopping meanwhile. */
static pool_ticket *admit(dispatcher *d, unsigned slot)
{
    for (;;) {
        pool_ticket *t = pool_admit(d->o.pool);
        if (t)
            return t;
        if (errno != EAGAIN) {
            log_message("error", "dispatcher: admit a job: %s", strerror(errno));
        }
        pthread_mutex_lock(&d->lock);
        bool give_up = d->slots[slot].cancelled;
        pthread_mutex_unlock(&d->lock);
        if (give_up || pause_ms(d, 20))
            return NULL;
    }
}

static void deliver_callback(dispatcher *d, const store_origin *origin, store_claim *claim,
                             char *result, size_t len)
{
    store_job view = claim->job;
    view.state = STORE_DONE;
    view.result = result;
    view.result_len = len;
    view.finished_ms = store_now_ms();
    json_t *body = origin && origin->callback_body ? origin->callback_body(&view)
                                                   : store_job_native_body(&view);
    if (!body)
        return;
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text)
        callbacks_send(d->callbacks, claim->job.id, claim->job.callback_url, text, strlen(text));
}

/* Judge one claimed job and store what came of it. */
static void process(dispatcher *d, unsigned slot, store_claim *claim)
{
    const store_origin *origin = find_origin(d, claim->job.origin);
    char *result = NULL;
    store_state final = STORE_DONE;
    char error[1024];
    job_request job = {0};
    bool parsed = false;
    int wfd = -1, rfd = -1;

    if (claim->attempts > MAX_ATTEMPTS) {
        result = error_result(500, "internal",
                              "the server stopped %u times while judging this job; it is not "
                              "judged again", claim->attempts - 1);
        log_message("error", "job %s: claimed %u times without finishing; giving up",
                     claim->job.id, claim->attempts);
        goto finish;
    }
    if (claim->attempts > 1)
        log_message("info", "job %s: claimed again (attempt %u): the server running it stopped "
                            "before finishing it", claim->job.id, claim->attempts);
    api_error perr = {0};
    int prc = origin && origin->parse
                  ? origin->parse(claim->job.request, claim->job.request_len, d->o.config,
                                  d->o.langs, &job, &perr)
                  : api_parse_run(claim->job.request, claim->job.request_len, d->o.config,
                                  d->o.langs, &job, &perr);
    if (prc < 0) {
        /* Checked when it was submitted: only a configuration change (a
         * language removed, a lower maximum) gets here. */
        json_t *body = api_error_body(&perr);
        result = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        goto finish;
    }
    parsed = true;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        result = error_result(500, "internal", "make a cancel pipe: %s", strerror(errno));
        goto finish;
    }
    rfd = fds[0];
    wfd = fds[1];
    pthread_mutex_lock(&d->lock);
    running *r = &d->slots[slot];
    r->busy = true;
    r->cancelled = false;
    snprintf(r->id, sizeof r->id, "%s", claim->job.id);
    snprintf(r->handle, sizeof r->handle, "%s", claim->handle);
    r->cancel_wfd = wfd;
    pthread_mutex_unlock(&d->lock);

    pool_ticket *ticket = admit(d, slot);
    job_result res = {0};
    int jrc = -1;
    bool cancelled = true;
    if (ticket) {
        jrc = judge_run(d->o.context, ticket, &job, rfd, &res, error, sizeof error);
        pool_leave(ticket);
        cancelled = jrc == 0 && res.cancelled;
    }
    pthread_mutex_lock(&d->lock);
    r->busy = false;
    if (r->cancel_wfd >= 0)
        close(r->cancel_wfd);
    r->cancel_wfd = -1;
    pthread_mutex_unlock(&d->lock);
    close(rfd);
    if (jrc < 0 && ticket) {
        log_message("error", "job %s: %s", claim->job.id, error);
        result = error_result(500, "internal", "the server could not judge this job: %s", error);
    } else if (!cancelled) {
        json_t *body = api_run_response(claim->job.id, &job, &res);
        result = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        if (!result)
            result = error_result(500, "internal", "out of memory building the result");
    } else {
        final = STORE_CANCELLED;  /* written only if still running (it is not) */
    }
    if (jrc == 0)
        job_result_free(&res);
finish:
    if (parsed)
        job_request_free(&job);
    size_t len = result ? strlen(result) : 0;
    /* A result that cannot be written (disk full, Redis away) is tried
     * again every second: the job stays claimed by this live server, so
     * nobody else would finish it.  On stop it stays running in the store
     * and runs again after the restart. */
    int frc;
    while ((frc = store_finish_job(d->o.store, claim, final, result, len, error, sizeof error)) < 0) {
        log_message("error", "job %s: %s; trying again", claim->job.id, error);
        if (pause_ms(d, 1000))
            break;
    }
    if (frc < 0)
        log_message("error", "job %s: result not stored; it runs again when a server restarts",
                    claim->job.id);
    else if (frc == 1 && final == STORE_DONE && claim->job.callback_url && result)
        deliver_callback(d, origin, claim, result, len);
    free(result);
}

static void *claimer_main(void *arg)
{
    void **args = arg;
    dispatcher *d = args[0];
    unsigned slot = (unsigned)(uintptr_t)args[1];
    free(args);
    char error[1024];
    int64_t last_error_log = 0;
    while (!is_stopping(d)) {
        store_claim claim;
        int rc = store_claim_job(d->o.store, d->names, d->o.norigins, 1000, &claim, error,
                                 sizeof error);
        if (rc < 0) {
            if (store_now_ms() - last_error_log > 10000) {
                log_message("error", "dispatcher: %s", error);
                last_error_log = store_now_ms();
            }
            pause_ms(d, 1000);
            continue;
        }
        if (rc == 0)
            continue;
        process(d, slot, &claim);
        store_job_free(&claim.job);
    }
    return NULL;
}

static void *monitor_main(void *arg)
{
    dispatcher *d = arg;
    char error[1024];
    int64_t last_sweep = 0, last_error_log = 0;
    store_claim *claims = calloc(d->nthreads, sizeof *claims);
    store_claim **ptrs = calloc(d->nthreads, sizeof *ptrs);
    bool *cancelled = calloc(d->nthreads, sizeof *cancelled);
    unsigned *slot_of = calloc(d->nthreads, sizeof *slot_of);
    if (!claims || !ptrs || !cancelled || !slot_of) {
        log_message("error", "dispatcher monitor: out of memory; cancellations of running jobs "
                             "and takeovers will not work");
        goto out;
    }
    while (!pause_ms(d, KEEP_INTERVAL_MS)) {
        size_t n = 0;
        pthread_mutex_lock(&d->lock);
        for (unsigned i = 0; i < d->nthreads; i++) {
            if (!d->slots[i].busy || d->slots[i].cancelled)
                continue;
            memset(&claims[n], 0, sizeof claims[n]);
            snprintf(claims[n].job.id, sizeof claims[n].job.id, "%s", d->slots[i].id);
            snprintf(claims[n].handle, sizeof claims[n].handle, "%s", d->slots[i].handle);
            ptrs[n] = &claims[n];
            slot_of[n++] = i;
        }
        pthread_mutex_unlock(&d->lock);
        int rc = store_keep_jobs(d->o.store, ptrs, n, cancelled, error, sizeof error);
        if (rc == 0) {
            pthread_mutex_lock(&d->lock);
            for (size_t k = 0; k < n; k++) {
                running *r = &d->slots[slot_of[k]];
                if (!cancelled[k] || !r->busy || strcmp(r->id, claims[k].job.id) != 0)
                    continue;
                r->cancelled = true;
                if (r->cancel_wfd >= 0) {
                    close(r->cancel_wfd);   /* POLLHUP on the job's abort_fd */
                    r->cancel_wfd = -1;
                }
                log_message("info", "job %s: cancelled while running; stopping it", r->id);
            }
            pthread_mutex_unlock(&d->lock);
        }
        if (rc == 0 && store_now_ms() - last_sweep >= SWEEP_INTERVAL_MS) {
            rc = store_sweep(d->o.store, error, sizeof error);
            last_sweep = store_now_ms();
        }
        if (rc < 0 && store_now_ms() - last_error_log > 10000) {
            log_message("error", "dispatcher: %s", error);
            last_error_log = store_now_ms();
        }
    }
out:
    free(claims);
    free(ptrs);
    free(cancelled);
    free(slot_of);
    return NULL;
}

int dispatcher_start(const dispatcher_options *o, dispatcher **out, char *error, size_t size)
{
    if (o->norigins > sizeof ((dispatcher *)0)->names / sizeof(char *)) {
        snprintf(error, size, "dispatcher: too many origins");
        return -1;
    }
    dispatcher *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(error, size, "dispatcher: %s", strerror(errno));
        return -1;
    }
    d->o = *o;
    for (size_t i = 0; i < o->norigins; i++)
        d->names[i] = o->origins[i]->name;
    /* Twice the slots: while a thread writes its result (an fsync) and
     * claims the next job, another thread's job already waits in the pool
     * for the slot, which would otherwise idle (measured with make bench,
     * item 6: 1.25x slower than synchronous with one thread per slot).  So
     * "running" means taken by a server: being judged or next in line. */
    d->nthreads = o->threads ? o->threads : 2 * o->config->slots;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->slots = calloc(d->nthreads, sizeof *d->slots);
    d->threads = calloc(d->nthreads, sizeof *d->threads);
    if (!d->slots || !d->threads) {
        snprintf(error, size, "dispatcher: %s", strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < d->nthreads; i++)
        d->slots[i].cancel_wfd = -1;
    callback_options co = {0};
    if (callbacks_start(&co, &d->callbacks, error, size) < 0)
        goto fail;
    for (; d->started < d->nthreads; d->started++) {
        void **args = malloc(2 * sizeof *args);
        if (!args) {
            snprintf(error, size, "dispatcher: %s", strerror(errno));
            goto fail;
        }
        args[0] = d;
        args[1] = (void *)(uintptr_t)d->started;
        int err = pthread_create(&d->threads[d->started], NULL, claimer_main, args);
        if (err) {
            free(args);
            snprintf(error, size, "dispatcher: start a thread: %s", strerror(err));
            goto fail;
        }
    }
    int err = pthread_create(&d->monitor, NULL, monitor_main, d);
    if (err) {
        snprintf(error, size, "dispatcher: start the monitor: %s", strerror(err));
        goto fail;
    }
    d->monitor_started = true;
    *out = d;
    return 0;
fail:
    dispatcher_stop(d);
    return -1;
}

void dispatcher_send_callback(dispatcher *d, const char *id, const char *url, char *body, size_t len)
{
    if (!d || !d->callbacks) {
        free(body);
        return;
    }
    callbacks_send(d->callbacks, id, url, body, len);
}

void dispatcher_notify(dispatcher *d)
{
    (void)d;   /* the sqlite engine signals its own waiters; redis blocks in XREADGROUP */
}

void dispatcher_stop(dispatcher *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = 0; i < d->started; i++)
        pthread_join(d->threads[i], NULL);
    if (d->monitor_started)
        pthread_join(d->monitor, NULL);
    callbacks_stop(d->callbacks);
    free(d->slots);
    free(d->threads);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
    free(d);
}
