/*
 * stream.c - streamed /v1/run responses (see stream.h): the observer that
 * formats events, the queue between the threads that produce them (the
 * slots' runner threads for output, workers for step ends, the executor
 * for the end) and libmicrohttpd's thread that sends them, and the content
 * reader with its suspend/resume hand-off.
 *
 * Output chunks are cut anywhere by the kernel; an event's text must be
 * whole UTF-8, so up to three bytes of a sequence that a chunk ends in the
 * middle of wait for the next chunk of the same step and stream.  A chunk
 * that is not UTF-8 even so goes as base64 ("encoding": "base64").
 */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "route.h"
#include "text.h"

struct live_stream {
    pthread_mutex_t lock;
    int refs;
    live_format format;
    const job_request *job;
    judge_observer observer;
    carry_state *carries;                /* [step][stream]: step 0 the compile, 1 + i test i */
    size_t nsteps;
    /* The queue. */
    char *data;
    size_t len, cap, sent;
    bool finished;                 /* the last event is queued */
    /* The request, while its connection lives. */
    http_request *req;
    bool parked;
    int client_fd;                 /* a dup of the client's socket, ours */
};

bool live_stream_wanted(const char *accept, live_format *format)
{
    if (!accept)
        return false;
    if (strstr(accept, "text/event-stream")) {
        *format = LIVE_SSE;
        return true;
    }
    if (strstr(accept, "application/x-ndjson")) {
        *format = LIVE_NDJSON;
        return true;
    }
    return false;
}

/* ---- the queue ---- */

/* Append bytes and wake the connection; under the lock. */
static void append_locked(live_stream *s, const char *bytes, size_t n)
{
    if (!s->req)
        return; /* nobody reads any more */
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        char *grown = realloc(s->data, cap);
        if (!grown)
            return; /* the event is lost; `done` still says everything */
        s->data = grown;
        s->cap = cap;
    }
    memcpy(s->data + s->len, bytes, n);
    s->len += n;
    if (s->parked) {
        s->parked = false;
        http_stream_wake(s->req);
    }
}

/* Queue one event; takes the reference to `payload` (an object). */
static void emit(live_stream *s, const char *event, json_t *payload, bool last)
{
    if (!payload)
        return;
    char *text;
    if (s->format == LIVE_SSE) {
        char *json = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
        text = NULL;
        if (json && asprintf(&text, "event: %s\ndata: %s\n\n", event, json) < 0)
            text = NULL;
        free(json);
    } else {
        json_t *line = json_object();
        json_object_set_new(line, "event", json_string(event));
        json_object_update(line, payload);
        char *json = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(line);
        text = NULL;
        if (json && asprintf(&text, "%s\n", json) < 0)
            text = NULL;
        free(json);
    }
    json_decref(payload);
    pthread_mutex_lock(&s->lock);
    if (!s->finished) {
        if (text)
            append_locked(s, text, strlen(text));
        if (last) {
            s->finished = true;
            if (s->parked && s->req) {
                s->parked = false;
                http_stream_wake(s->req);
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    free(text);
}

/* ---- the observer ---- */

static json_t *test_id(const live_stream *s, size_t test)
{
    return test == JUDGE_COMPILE ? json_null() : json_string(s->job->tests[test].id);
}

static const char *stage_of(size_t test)
{
    return test == JUDGE_COMPILE ? "compile" : "run";
}

static void on_step_start(void *arg, size_t test)
{
    live_stream *s = arg;
    json_t *p = json_object();
    if (test != JUDGE_COMPILE)
        json_object_set_new(p, "test", test_id(s, test));
    char run_id[SANDBOX_RUN_ID_MAX];
    judge_run_id(s->job, test, run_id, sizeof run_id);
    if (run_id[0]) /* judgebox attach RUN_ID, while it runs */
        json_object_set_new(p, "run_id", json_string(run_id));
    emit(s, test == JUDGE_COMPILE ? "compile_start" : "run_start", p, false);
}

static void emit_output(live_stream *s, size_t test, int stream, const char *data, size_t len, bool base64)
{
    json_t *p = json_object();
    json_object_set_new(p, "stage", json_string(stage_of(test)));
    json_object_set_new(p, "test", test_id(s, test));
    if (base64) {
        size_t n;
        char *b64 = base64_encode(data, len, &n);
        json_object_set_new(p, "data", b64 ? json_stringn_nocheck(b64, n) : json_string(""));
        json_object_set_new(p, "encoding", json_string("base64"));
        free(b64);
    } else {
        json_object_set_new(p, "data", json_stringn_nocheck(data, len));
    }
    emit(s, stream == 2 ? "stderr" : "stdout", p, false);
}

/* Where the last whole UTF-8 sequence of data[0..len) ends, when what
 * follows is the start of a sequence cut short. */
static size_t complete_prefix(const char *data, size_t len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = (unsigned char)data[len - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        if (c < 0xC2 || c > 0xF4)
            return len; /* ASCII, or no lead byte: nothing to wait for */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        return need > back ? len - back : len;
    }
    return len;
}

char *utf8_carry(carry_state *c, const char *data, size_t len, size_t *whole)
{
    char *joined = malloc(c->len + len + 1);
    if (!joined)
        return NULL;
    memcpy(joined, c->bytes, c->len);
    memcpy(joined + c->len, data, len);
    size_t total = c->len + len;
    *whole = complete_prefix(joined, total);
    c->len = total - *whole;
    memcpy(c->bytes, joined + *whole, c->len);
    return joined;
}

static void on_output(void *arg, size_t test, int stream, const char *data, size_t len)
{
    live_stream *s = arg;
    size_t step = test == JUDGE_COMPILE ? 0 : test + 1;
    if (step >= s->nsteps || stream < 1 || stream > 2)
        return;
    size_t whole;
    char *text = utf8_carry(&s->carries[step * 2 + (size_t)(stream - 1)], data, len, &whole);
    if (text && whole > 0)
        emit_output(s, test, stream, text, whole, !utf8_valid(text, whole));
    free(text);
}

static json_t *signal_name(int sig)
{
    if (sig <= 0)
        return json_null();
    const char *abbrev = sigabbrev_np(sig);
    char name[32];
    if (!abbrev)
        return json_integer(sig);
    snprintf(name, sizeof name, "SIG%s", abbrev);
    return json_string(name);
}

static void on_step_end(void *arg, size_t test, const step_result *step)
{
    live_stream *s = arg;
    size_t index = test == JUDGE_COMPILE ? 0 : test + 1;
    for (int stream = 1; stream <= 2 && index < s->nsteps; stream++) {
        carry_state *c = &s->carries[index * 2 + (size_t)(stream - 1)];
        if (c->len)
            emit_output(s, test, stream, c->bytes, c->len, true); /* a sequence never completed */
        c->len = 0;
    }
    const sandbox_result *r = &step->result;
    json_t *p = json_object();
    const char *status = sandbox_status_name(r->status);
    if (test == JUDGE_COMPILE) {
        if (r->status == SANDBOX_OK && r->exit_code == 0)
            status = "ok";
        else if (r->status == SANDBOX_OK || r->status == SANDBOX_RUNTIME_ERROR)
            status = "compile_error";
    } else {
        json_object_set_new(p, "test", test_id(s, test));
    }
    json_object_set_new(p, "status", json_string(status));
    json_object_set_new(p, "exit_code", r->signal > 0 || r->exit_code < 0 ? json_null() : json_integer(r->exit_code));
    json_object_set_new(p, "signal", signal_name(r->signal));
    json_object_set_new(p, "cpu_ms", json_integer((json_int_t)r->cpu_ms));
    json_object_set_new(p, "wall_ms", json_integer((json_int_t)r->wall_ms));
    json_object_set_new(p, "memory_kb", json_integer((json_int_t)r->memory_kb));
    json_object_set_new(p, "stdout_truncated", json_boolean(r->stdout_truncated));
    json_object_set_new(p, "stderr_truncated", json_boolean(r->stderr_truncated));
    if (r->message[0]) {
        size_t n;
        char *text = utf8_repair(r->message, strnlen(r->message, sizeof r->message), &n);
        if (text)
            json_object_set_new(p, "message", json_stringn_nocheck(text, n));
        free(text);
    }
    emit(s, test == JUDGE_COMPILE ? "compile_end" : "run_end", p, false);
}

/* ---- lifetime ---- */

live_stream *live_stream_new(live_format format, job_request *job)
{
    live_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nsteps = job->ntests + 1;
    s->carries = calloc(s->nsteps * 2, sizeof *s->carries);
    if (!s->carries) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->refs = 1;
    s->format = format;
    s->job = job;
    s->client_fd = -1;
    s->observer = (judge_observer){.arg = s, .step_start = on_step_start, .output = on_output,
                                   .step_end = on_step_end};
    job->observer = &s->observer;
    return s;
}

void live_stream_ref(live_stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->refs++;
    pthread_mutex_unlock(&s->lock);
}

void live_stream_unref(live_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (!last)
        return;
    if (s->client_fd >= 0)
        close(s->client_fd);
    pthread_mutex_destroy(&s->lock);
    free(s->carries);
    free(s->data);
    free(s);
}

void live_stream_finish(live_stream *s, const char *event, json_t *body)
{
    if (!json_is_object(body)) {
        json_decref(body);
        body = json_object();
    }
    emit(s, event, body, true);
}

/* ---- the connection's side ---- */

/* The stream reply is done with (request_completed): the connection is
 * gone or has everything.  The judge may still be running with abort_fd
 * on our dup of the socket: shut it down so the hang-up shows at once. */
static void detach(void *cls)
{
    live_stream *s = cls;
    pthread_mutex_lock(&s->lock);
    s->req = NULL;
    s->parked = false;
    if (s->client_fd >= 0 && !s->finished)
        shutdown(s->client_fd, SHUT_RDWR);
    pthread_mutex_unlock(&s->lock);
    live_stream_unref(s);
}

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    live_stream *s = cls;
    pthread_mutex_lock(&s->lock);
    ssize_t n;
    if (s->sent < s->len) {
        size_t left = s->len - s->sent;
        size_t take = left < max ? left : max;
        memcpy(buf, s->data + s->sent, take);
        s->sent += take;
        if (s->sent == s->len)
            s->sent = s->len = 0;
        n = (ssize_t)take;
    } else if (s->finished || !s->req) {
        n = 0; /* the end */
    } else {
        /* Nothing yet: park the connection until an event comes. */
        s->parked = true;
        http_stream_park(s->req);
        n = HTTP_STREAM_WAIT;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

int live_stream_start(live_stream *s, http_request *req)
{
    int fd = http_client_fd(req);
    s->client_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
    if (s->client_fd < 0)
        return -1;
    s->req = req;
    live_stream_ref(s); /* the reply's, dropped by detach */
    http_reply_header(req, "Cache-Control", "no-cache");
    http_reply_header(req, "X-Accel-Buffering", "no");
    http_reply_stream(req, 200,
                      s->format == LIVE_SSE ? "text/event-stream; charset=utf-8" : "application/x-ndjson",
                      HTTP_STREAM_UNKNOWN, read_events, s, detach);
    http_reply_now(req);
    return 0;
}

int live_stream_client_fd(const live_stream *s)
{
    return s->client_fd;
}

void live_run_finished(live_stream *s, http_request *req, const char *id, const job_request *job, int rc,
                       job_result *res, const char *why)
{
    http_log_set(req, "stream", json_string(s->format == LIVE_SSE ? "sse" : "ndjson"));
    http_log_set(req, "queue_ms", json_integer((json_int_t)res->queue_ms));
    if (rc < 0) {
        http_log_set(req, "cause", json_string(why));
        api_error err;
        api_error_set(&err, 500, "internal", NULL, "the server could not judge this request: %s", why);
        live_stream_finish(s, "error", api_error_body(&err));
        return;
    }
    http_log_set(req, "verdict", json_string(res->verdict));
    if (res->cancelled)
        http_log_set(req, "gone", json_true());
    json_t *body = api_run_response(id, job, res);
    if (!body) {
        api_error err;
        api_error_set(&err, 500, "internal", NULL, "out of memory building the response");
        body = api_error_body(&err);
    }
    live_stream_finish(s, body && json_object_get(body, "error") ? "error" : "done", body);
}
