/*
 * session.c - interactive sessions over WebSocket (see session.h), with
 * Piston's /api/v2/connect messages:
 *   client: init {language, version, files, args, limits, compile_limits}
 *           data {stream: "stdin", data[, eof: true]}, signal {signal}
 *   server: runtime {language, version}, stage {stage}, data {stream, data},
 *           exit {stage, code, signal, status, ...}, error {message}
 * and Piston's close codes (4000 already initialized, 4001 init timeout,
 * 4002 notified error, 4003 not initialized, 4004 stdin only, 4005 bad
 * signal, 4999 job completed).
 *
 * Threads: the I/O thread owns every socket and the session's input side
 * (frames, the stdin pipe's write end, the signal pipe, timers); a runner
 * thread judges one session at a time through the pool (judge_run with the
 * observer's stdin/signal pipes), and the slot's runner thread adds output
 * frames.  Frames to send go through the session's locked out buffer and
 * an eventfd wakes the I/O thread.  A session is freed when both sides are
 * done with it (refs).  A client that goes away closes the abort pipe:
 * pool_run sees the hang-up and cancels the run, so nothing survives it.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "judge.h"
#include "log.h"
#include "stream.h"
#include "text.h"
#include "ws.h"

#define MAX_PENDING_STDIN (1u << 20)

typedef enum session_state { S_INIT, S_JUDGING, S_CLOSED } session_state;

typedef struct session session;
struct session {
    live_sessions *owner;
    unsigned long id;
    int fd;
    http_upgraded *handle;
    session *next;                 /* in owner->all */
    session *queue_next;           /* in owner's runner queue */
    /* I/O thread only. */
    session_state state;
    uint8_t *in;
    size_t in_len, in_cap;
    uint8_t *msg;                  /* a fragmented message being assembled */
    size_t msg_len;
    int msg_opcode;
    char *stdin_pending;
    size_t stdin_len;
    bool stdin_eof;                /* close the pipe once pending is written */
    int stdin_w, signal_w, abort_w;
    uint64_t created_ms, last_client_ms, total_ms;
    /* The run's ends of the pipes (the runner's after queueing). */
    int stdin_r, signal_r, abort_r;
    job_request job;
    pool_ticket *ticket;
    judge_observer observer;
    carry_state carries[2];
    /* Shared, under lock. */
    pthread_mutex_t lock;
    uint8_t *out;
    size_t out_len, out_cap;
    bool closing;                  /* a close frame is queued: nothing after it */
    bool runner_done;              /* the runner is finished with it (or never had it) */
    uint64_t last_output_ms;
    int refs;
};

struct live_sessions {
    app *app;
    int epfd, wake_fd;
    pthread_t io;
    bool io_started;
    pthread_t *runners;
    unsigned nrunners, started;
    pthread_mutex_t lock;
    pthread_cond_t work;
    session *incoming;             /* upgraded, not yet seen by the I/O thread */
    session *all;                  /* the I/O thread's */
    session *queue_head, *queue_tail;
    bool stopping;
    unsigned long next_id;
};

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void wake(live_sessions *l)
{
    uint64_t one = 1;
    if (write(l->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_message("error", "live: wake the session thread: %s", strerror(errno));
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void session_unref(session *s)
{
    pthread_mutex_lock(&s->lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (!last)
        return;
    close_fd(&s->stdin_w);
    close_fd(&s->signal_w);
    close_fd(&s->abort_w);
    close_fd(&s->stdin_r);
    close_fd(&s->signal_r);
    close_fd(&s->abort_r);
    job_request_free(&s->job);
    pthread_mutex_destroy(&s->lock);
    free(s->in);
    free(s->msg);
    free(s->out);
    free(s->stdin_pending);
    free(s);
}

/* ---- frames out ---- */

/* Queue a frame; under s->lock. */
static void queue_frame_locked(session *s, int opcode, const void *data, size_t len)
{
    if (s->closing)
        return;
    uint8_t hdr[10];
    size_t h = ws_frame_header(hdr, opcode, len);
    if (s->out_len + h + len > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 4096;
        while (cap < s->out_len + h + len)
            cap *= 2;
        uint8_t *grown = realloc(s->out, cap);
        if (!grown)
            return;
        s->out = grown;
        s->out_cap = cap;
    }
    memcpy(s->out + s->out_len, hdr, h);
    memcpy(s->out + s->out_len + h, data, len);
    s->out_len += h + len;
    if (opcode == WS_OP_CLOSE)
        s->closing = true;
}

/* Send a JSON message (takes the reference). */
static void send_json(session *s, json_t *msg)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(msg);
    if (!text)
        return;
    pthread_mutex_lock(&s->lock);
    queue_frame_locked(s, WS_OP_TEXT, text, strlen(text));
    pthread_mutex_unlock(&s->lock);
    free(text);
    wake(s->owner);
}

static void send_close(session *s, int code, const char *reason)
{
    uint8_t body[125];
    size_t n = strlen(reason);
    if (n > sizeof body - 2)
        n = sizeof body - 2;
    body[0] = (uint8_t)(code >> 8);
    body[1] = (uint8_t)code;
    memcpy(body + 2, reason, n);
    pthread_mutex_lock(&s->lock);
    queue_frame_locked(s, WS_OP_CLOSE, body, n + 2);
    pthread_mutex_unlock(&s->lock);
    wake(s->owner);
}

static void send_error(session *s, const char *message)
{
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("error"));
    json_object_set_new(m, "message", json_string(message));
    send_json(s, m);
}

/* An error the client is told about, then the session ends (4002). */
static void fail_session(session *s, const char *message)
{
    send_error(s, message);
    send_close(s, 4002, "Notified Error");
}

/* ---- the observer (runner and slot threads) ---- */

static void on_stage(void *arg, size_t test)
{
    session *s = arg;
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("stage"));
    json_object_set_new(m, "stage", json_string(test == JUDGE_COMPILE ? "compile" : "run"));
    send_json(s, m);
}

static void send_data(session *s, int stream, const char *data, size_t len, bool base64)
{
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("data"));
    json_object_set_new(m, "stream", json_string(stream == 2 ? "stderr" : "stdout"));
    if (base64) {
        size_t n;
        char *b64 = base64_encode(data, len, &n);
        json_object_set_new(m, "data", b64 ? json_stringn_nocheck(b64, n) : json_string(""));
        json_object_set_new(m, "encoding", json_string("base64"));
        free(b64);
    } else {
        json_object_set_new(m, "data", json_stringn_nocheck(data, len));
    }
    send_json(s, m);
}

static void on_output(void *arg, size_t test, int stream, const char *data, size_t len)
{
    (void)test;
    session *s = arg;
    if (stream < 1 || stream > 2)
        return;
    __atomic_store_n(&s->last_output_ms, now_ms(), __ATOMIC_RELAXED);
    size_t whole;
    char *text = utf8_carry(&s->carries[stream - 1], data, len, &whole);
    if (text && whole)
        send_data(s, stream, text, whole, !utf8_valid(text, whole));
    free(text);
}

static void on_exit_step(void *arg, size_t test, const step_result *step)
{
    session *s = arg;
    for (int stream = 1; stream <= 2; stream++) {
        carry_state *c = &s->carries[stream - 1];
        if (c->len)
            send_data(s, stream, c->bytes, c->len, true);
        c->len = 0;
    }
    const sandbox_result *r = &step->result;
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("exit"));
    json_object_set_new(m, "stage", json_string(test == JUDGE_COMPILE ? "compile" : "run"));
    json_object_set_new(m, "code", r->signal > 0 || r->exit_code < 0 ? json_null() : json_integer(r->exit_code));
    json_object_set_new(m, "signal", api_signal_json(r->signal));
    const char *status = sandbox_status_name(r->status);
    if (test == JUDGE_COMPILE && (r->status == SANDBOX_OK || r->status == SANDBOX_RUNTIME_ERROR))
        status = r->status == SANDBOX_OK && r->exit_code == 0 ? "ok" : "compile_error";
    json_object_set_new(m, "status", json_string(status));
    json_object_set_new(m, "cpu_ms", json_integer((json_int_t)r->cpu_ms));
    json_object_set_new(m, "wall_ms", json_integer((json_int_t)r->wall_ms));
    json_object_set_new(m, "memory_kb", json_integer((json_int_t)r->memory_kb));
    if (r->message[0]) {
        size_t n;
        char *text = utf8_repair(r->message, strnlen(r->message, sizeof r->message), &n);
        if (text)
            json_object_set_new(m, "message", json_stringn_nocheck(text, n));
        free(text);
    }
    send_json(s, m);
}

/* ---- runner threads ---- */

static void judge_session(live_sessions *l, session *s)
{
    job_result res;
    char why[512] = "";
    int rc = judge_run(l->app->context, s->ticket, &s->job, s->abort_r, &res, why, sizeof why);
    pool_leave(s->ticket);
    s->ticket = NULL;
    /* The run is over: its ends of the pipes go (stdin writes now fail). */
    close_fd(&s->stdin_r);
    close_fd(&s->signal_r);
    if (rc < 0) {
        log_message("error", "live session %lu: %s", s->id, why);
        fail_session(s, why);
    } else {
        log_message("info", "live session %lu: %s", s->id, res.verdict ? res.verdict : "?");
        send_close(s, 4999, "Job Completed");
        job_result_free(&res);
    }
}

static void *runner_main(void *arg)
{
    live_sessions *l = arg;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->queue_head && !l->stopping)
            pthread_cond_wait(&l->work, &l->lock);
        session *s = l->queue_head;
        if (!s)
            break; /* stopping, nothing queued */
        l->queue_head = s->queue_next;
        if (!l->queue_head)
            l->queue_tail = NULL;
        pthread_mutex_unlock(&l->lock);
        judge_session(l, s);
        pthread_mutex_lock(&s->lock);
        s->runner_done = true;
        pthread_mutex_unlock(&s->lock);
        wake(l);
        session_unref(s);
        pthread_mutex_lock(&l->lock);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* ---- messages from the client (I/O thread) ---- */

static bool version_matches(const char *want, const char *have)
{
    if (!want || !*want || strcmp(want, "*") == 0)
        return true;
    size_t n = strlen(want);
    return strncmp(want, have, n) == 0 && (have[n] == '\0' || have[n] == '.');
}

static int make_pipe(int *r, int *w, int write_flags)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    if (write_flags && fcntl(fds[1], F_SETFL, write_flags) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    *r = fds[0];
    *w = fds[1];
    return 0;
}

/* Piston's init -> a /v1/run body, parsed and validated like one. */
static void handle_init(live_sessions *l, session *s, json_t *msg)
{
    static const char *const known[] = {"type", "language", "version", "files", "args", "limits",
                                        "compile_limits", "run_timeout", "compile_timeout", "run_memory_limit",
                                        "compile_memory_limit", NULL};
    const char *unknown = json_unknown_key(msg, known);
    if (unknown) {
        char why[160];
        snprintf(why, sizeof why, "init: unknown field %.100s", unknown);
        fail_session(s, why);
        return;
    }
    json_t *body = json_object();
    json_object_set(body, "language", json_object_get(msg, "language"));
    if (json_object_get(msg, "files"))
        json_object_set(body, "files", json_object_get(msg, "files"));
    json_t *test = json_object();
    if (json_object_get(msg, "args"))
        json_object_set(test, "args", json_object_get(msg, "args"));
    json_object_set_new(body, "tests", json_pack("[o]", test));
    json_t *limits = json_deep_copy(json_object_get(msg, "limits"));
    json_t *compile_limits = json_deep_copy(json_object_get(msg, "compile_limits"));
    static const struct {
        const char *piston, *ours;
        bool compile, bytes;
    } piston_limits[] = {{"run_timeout", "wall_ms", false, false},
                         {"compile_timeout", "wall_ms", true, false},
                         {"run_memory_limit", "memory_kb", false, true},
                         {"compile_memory_limit", "memory_kb", true, true}};
    for (size_t i = 0; i < sizeof piston_limits / sizeof piston_limits[0]; i++) {
        json_t *v = json_object_get(msg, piston_limits[i].piston);
        if (!v || (json_is_integer(v) && json_integer_value(v) < 0))
            continue; /* Piston's -1: the default */
        json_t **target = piston_limits[i].compile ? &compile_limits : &limits;
        if (!*target)
            *target = json_object();
        if (json_is_integer(v) && piston_limits[i].bytes)
            v = json_integer(json_integer_value(v) / 1024);
        else
            json_incref(v);
        json_object_set_new(*target, piston_limits[i].ours, v);
    }
    if (limits)
        json_object_set_new(body, "limits", limits);
    if (compile_limits)
        json_object_set_new(body, "compile_limits", compile_limits);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    api_error err = {0};
    if (!text || api_parse_run(text, strlen(text), l->app->config, l->app->langs, &s->job, &err) < 0) {
        free(text);
        char why[sizeof err.message + 160];
        if (err.field[0] && strncmp(err.field, "tests[0].", 9) == 0)
            snprintf(why, sizeof why, "init: %s (%s)", err.message, err.field + 9);
        else
            snprintf(why, sizeof why, "init: %s", err.message[0] ? err.message : "out of memory");
        fail_session(s, why);
        return;
    }
    free(text);
    json_t *version = json_object_get(msg, "version");
    if (version && (!json_is_string(version) ||
                    !version_matches(json_string_value(version), s->job.lang->version))) {
        char why[200];
        snprintf(why, sizeof why, "init: %.60s-%.40s runtime is unknown (this server has version %.40s)",
                 s->job.lang->id, json_is_string(version) ? json_string_value(version) : "?",
                 s->job.lang->version);
        job_request_free(&s->job);
        fail_session(s, why);
        return;
    }
    if (make_pipe(&s->stdin_r, &s->stdin_w, O_NONBLOCK) < 0 || make_pipe(&s->signal_r, &s->signal_w, O_NONBLOCK) < 0 ||
        make_pipe(&s->abort_r, &s->abort_w, 0) < 0) {
        job_request_free(&s->job);
        fail_session(s, "init: out of descriptors");
        return;
    }
    s->ticket = pool_admit(l->app->pool);
    if (!s->ticket) {
        job_request_free(&s->job);
        fail_session(s, errno == EAGAIN ? "all slots are busy and the queue is full; retry later"
                                        : "the server could not admit the session");
        return;
    }
    s->observer = (judge_observer){.arg = s, .step_start = on_stage, .output = on_output, .step_end = on_exit_step,
                                   .stdin_fd = s->stdin_r, .signal_fd = s->signal_r};
    s->job.observer = &s->observer;
    s->total_ms = s->job.limits.wall_ms + (job_compile_argv(&s->job) ? s->job.compile_limits.wall_ms : 0) +
                  LIVE_TOTAL_SLACK_S * 1000;
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("runtime"));
    json_object_set_new(m, "language", json_string(s->job.lang->id));
    json_object_set_new(m, "version", json_string(s->job.lang->version));
    send_json(s, m);
    s->state = S_JUDGING;
    pthread_mutex_lock(&s->lock);
    s->refs++;
    s->runner_done = false;
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&l->lock);
    if (l->queue_tail)
        l->queue_tail->queue_next = s;
    else
        l->queue_head = s;
    l->queue_tail = s;
    pthread_cond_signal(&l->work);
    pthread_mutex_unlock(&l->lock);
}

/* Write what stdin has pending; close it after when asked. */
static void flush_stdin(session *s)
{
    while (s->stdin_len > 0 && s->stdin_w >= 0) {
        ssize_t n = write(s->stdin_w, s->stdin_pending, s->stdin_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) { /* EPIPE: the program is gone */
            s->stdin_len = 0;
            close_fd(&s->stdin_w);
            return;
        }
        memmove(s->stdin_pending, s->stdin_pending + n, s->stdin_len - (size_t)n);
        s->stdin_len -= (size_t)n;
    }
    if (s->stdin_eof && s->stdin_len == 0)
        close_fd(&s->stdin_w);
}

static int parse_signal(json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) > 0 && json_integer_value(v) < NSIG ? (int)json_integer_value(v) : -1;
    if (!json_is_string(v))
        return -1;
    const char *name = json_string_value(v);
    if (strncmp(name, "SIG", 3) == 0)
        name += 3;
    for (int sig = 1; sig < NSIG; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && strcmp(abbrev, name) == 0)
            return sig;
    }
    return -1;
}

static void handle_message(live_sessions *l, session *s, const uint8_t *data, size_t len)
{
    s->last_client_ms = now_ms();
    json_error_t jerr;
    json_t *msg = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *type = msg ? json_string_value(json_object_get(msg, "type")) : NULL;
    if (!msg || !json_is_object(msg) || !type) {
        send_error(s, "a message is a JSON object with a \"type\"");
        json_decref(msg);
        return;
    }
    if (strcmp(type, "init") == 0) {
        if (s->state != S_INIT)
            send_close(s, 4000, "Already Initialized");
        else
            handle_init(l, s, msg);
    } else if (s->state == S_INIT) {
        send_close(s, 4003, "Not yet Initialized");
    } else if (strcmp(type, "data") == 0) {
        json_t *d = json_object_get(msg, "data");
        const char *stream = json_string_value(json_object_get(msg, "stream"));
        if (!stream || strcmp(stream, "stdin") != 0) {
            send_close(s, 4004, "Can only write to stdin");
        } else if ((d && !json_is_string(d)) || (!d && !json_is_true(json_object_get(msg, "eof")))) {
            send_error(s, "data: \"data\" must be a string");
        } else if (d && s->stdin_len + json_string_length(d) > MAX_PENDING_STDIN) {
            fail_session(s, "stdin: more than 1 MiB waiting for the program to read it");
        } else {
            if (d && json_string_length(d) > 0) {
                char *grown = realloc(s->stdin_pending, s->stdin_len + json_string_length(d));
                if (grown) {
                    s->stdin_pending = grown;
                    memcpy(grown + s->stdin_len, json_string_value(d), json_string_length(d));
                    s->stdin_len += json_string_length(d);
                }
            }
            if (json_is_true(json_object_get(msg, "eof")))
                s->stdin_eof = true;
            flush_stdin(s);
        }
    } else if (strcmp(type, "signal") == 0) {
        int sig = parse_signal(json_object_get(msg, "signal"));
        if (sig < 0)
            send_close(s, 4005, "Invalid signal");
        else if (s->signal_w >= 0 && write(s->signal_w, &sig, sizeof sig) != (ssize_t)sizeof sig)
            send_error(s, "signal: could not be delivered");
    } else {
        char why[120];
        snprintf(why, sizeof why, "unknown message type %.60s", type);
        send_error(s, why);
    }
    json_decref(msg);
}

/* Frames in s->in: handle each whole one.  false: the session must end. */
static bool handle_frames(live_sessions *l, session *s)
{
    size_t at = 0;
    bool ok = true;
    while (ok && at < s->in_len) {
        ws_frame f;
        const char *why = NULL;
        long used = ws_parse_frame(s->in + at, s->in_len - at, &f, &why);
        if (used == 0)
            break;
        if (used < 0) {
            send_close(s, 1002, why);
            ok = false;
            break;
        }
        at += (size_t)used;
        switch (f.opcode) {
        case WS_OP_PING:
            pthread_mutex_lock(&s->lock);
            queue_frame_locked(s, WS_OP_PONG, f.payload, f.len);
            pthread_mutex_unlock(&s->lock);
            break;
        case WS_OP_PONG:
            break;
        case WS_OP_CLOSE:
            send_close(s, 1000, "");
            ok = false;
            break;
        case WS_OP_BINARY:
        case WS_OP_TEXT:
        case WS_OP_CONTINUATION:
            if ((f.opcode == WS_OP_CONTINUATION) != (s->msg_opcode != 0) || s->msg_len + f.len > WS_MAX_FRAME) {
                send_close(s, 1002, "bad fragmentation or message too large");
                ok = false;
                break;
            }
            if (f.opcode != WS_OP_CONTINUATION)
                s->msg_opcode = f.opcode;
            uint8_t *grown = realloc(s->msg, s->msg_len + f.len + 1);
            if (!grown) {
                ok = false;
                break;
            }
            s->msg = grown;
            memcpy(s->msg + s->msg_len, f.payload, f.len);
            s->msg_len += f.len;
            if (f.fin) {
                if (s->msg_opcode == WS_OP_BINARY) {
                    send_close(s, 1003, "messages are JSON text");
                    ok = false;
                } else {
                    handle_message(l, s, s->msg, s->msg_len);
                }
                s->msg_len = 0;
                s->msg_opcode = 0;
            }
            break;
        }
    }
    if (at) {
        memmove(s->in, s->in + at, s->in_len - at);
        s->in_len -= at;
    }
    return ok;
}

/* ---- the I/O thread ---- */

/* The client is gone or the session ended: cancel the run, stop reading. */
static void end_session(session *s)
{
    if (s->state == S_CLOSED)
        return;
    s->state = S_CLOSED;
    close_fd(&s->abort_w);  /* POLLHUP on abort_r: pool_run cancels the run */
    close_fd(&s->stdin_w);
    close_fd(&s->signal_w);
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_mutex_unlock(&s->lock);
}

/* Send what is queued; true when the socket failed. */
static bool flush_out(session *s, bool *drained)
{
    pthread_mutex_lock(&s->lock);
    bool failed = false;
    size_t sent = 0;
    while (sent < s->out_len) {
        ssize_t n = send(s->fd, s->out + sent, s->out_len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            failed = true;
            break;
        }
        sent += (size_t)n;
    }
    if (sent) {
        memmove(s->out, s->out + sent, s->out_len - sent);
        s->out_len -= sent;
    }
    *drained = s->out_len == 0;
    pthread_mutex_unlock(&s->lock);
    return failed;
}

static void read_socket(live_sessions *l, session *s)
{
    for (;;) {
        if (s->in_cap - s->in_len < 4096) {
            size_t cap = s->in_cap ? s->in_cap * 2 : 8192;
            if (cap > WS_MAX_FRAME + 64) {
                send_close(s, 1009, "message too large");
                end_session(s);
                return;
            }
            uint8_t *grown = realloc(s->in, cap);
            if (!grown) {
                end_session(s);
                return;
            }
            s->in = grown;
            s->in_cap = cap;
        }
        ssize_t n = recv(s->fd, s->in + s->in_len, s->in_cap - s->in_len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            end_session(s); /* the client went away */
            return;
        }
        s->in_len += (size_t)n;
        if (!handle_frames(l, s)) {
            end_session(s);
            return;
        }
    }
}

static void check_timers(session *s, uint64_t now)
{
    if (now < s->created_ms)
        return; /* `now` was read before this session came in */
    if (s->state == S_INIT && now - s->created_ms > LIVE_INIT_TIMEOUT_S * 1000u) {
        send_close(s, 4001, "Initialization Timeout");
        end_session(s);
        return;
    }
    if (s->state != S_JUDGING)
        return;
    uint64_t output = __atomic_load_n(&s->last_output_ms, __ATOMIC_RELAXED);
    uint64_t active = output > s->last_client_ms ? output : s->last_client_ms;
    if (active < now && now - active > LIVE_IDLE_TIMEOUT_S * 1000u) {
        char why[96];
        snprintf(why, sizeof why, "idle: no message and no output for %d s; the session ends",
                 LIVE_IDLE_TIMEOUT_S);
        fail_session(s, why);
        end_session(s);
    } else if (now - s->created_ms > s->total_ms) {
        fail_session(s, "the session's total time is over; it ends");
        end_session(s);
    }
}

/* Take in new sessions; flush, time, and free the others. */
static void sweep(live_sessions *l, uint64_t now)
{
    pthread_mutex_lock(&l->lock);
    session *fresh = l->incoming;
    l->incoming = NULL;
    bool stopping = l->stopping;
    pthread_mutex_unlock(&l->lock);
    while (fresh) {
        session *s = fresh;
        fresh = s->next;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = s};
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
            log_message("error", "live: epoll_ctl: %s", strerror(errno));
            end_session(s);
        }
        s->next = l->all;
        l->all = s;
        read_socket(l, s); /* bytes that came with the upgrade, or before epoll saw the socket */
    }
    for (session **p = &l->all; *p;) {
        session *s = *p;
        if (stopping && s->state != S_CLOSED) {
            send_close(s, 1001, "server shutting down");
            end_session(s);
        }
        check_timers(s, now);
        if (s->state != S_CLOSED)
            flush_stdin(s);
        bool drained = false;
        bool failed = flush_out(s, &drained);
        pthread_mutex_lock(&s->lock);
        bool closing = s->closing, runner_done = s->runner_done;
        pthread_mutex_unlock(&s->lock);
        if (failed || (closing && drained)) {
            end_session(s);
            if (s->handle) {
                epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
                shutdown(s->fd, SHUT_RDWR);
                http_upgraded_close(s->handle);
                s->handle = NULL;
                s->fd = -1;
            }
        }
        if (!s->handle && runner_done) {
            *p = s->next;
            session_unref(s);
            continue;
        }
        p = &s->next;
    }
}

static void *io_main(void *arg)
{
    live_sessions *l = arg;
    for (;;) {
        struct epoll_event events[32];
        int n = epoll_wait(l->epfd, events, 32, 100);
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL) {
                uint64_t count;
                if (read(l->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
                    log_message("error", "live: read wake fd: %s", strerror(errno));
                continue;
            }
            session *s = events[i].data.ptr;
            if (s->state != S_CLOSED)
                read_socket(l, s);
        }
        sweep(l, now_ms());
        pthread_mutex_lock(&l->lock);
        bool done = l->stopping && !l->all && !l->incoming;
        pthread_mutex_unlock(&l->lock);
        if (done)
            break;
    }
    return NULL;
}

/* ---- the upgrade ---- */

static void upgraded(void *cls, int fd, const char *extra, size_t extra_len, http_upgraded *handle)
{
    live_sessions *l = cls;
    session *s = calloc(1, sizeof *s);
    if (!s || (extra_len && !(s->in = malloc(extra_len + 8192)))) {
        free(s);
        http_upgraded_close(handle);
        return;
    }
    if (extra_len) {
        memcpy(s->in, extra, extra_len);
        s->in_len = extra_len;
        s->in_cap = extra_len + 8192;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->owner = l;
    s->fd = fd;
    s->handle = handle;
    s->refs = 1;
    s->runner_done = true; /* until a runner takes it */
    s->stdin_w = s->signal_w = s->abort_w = s->stdin_r = s->signal_r = s->abort_r = -1;
    s->created_ms = s->last_client_ms = now_ms();
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    pthread_mutex_lock(&l->lock);
    s->id = ++l->next_id;
    s->next = l->incoming;
    l->incoming = s;
    pthread_mutex_unlock(&l->lock);
    wake(l);
}

void live_ws(http_request *req)
{
    live_sessions *l = http_app(req)->live;
    const char *upgrade = http_header(req, "Upgrade");
    const char *version = http_header(req, "Sec-WebSocket-Version");
    char accept[WS_ACCEPT_LEN + 1];
    if (!l) {
        http_reply_errorf(req, 503, "unavailable", NULL, "interactive sessions are not running");
        return;
    }
    if (!upgrade || strcasecmp(upgrade, "websocket") != 0) {
        http_reply_header(req, "Upgrade", "websocket");
        http_reply_errorf(req, 426, "upgrade_required", NULL,
                          "%s is a WebSocket endpoint: send Upgrade: websocket (docs/api.md)", http_path(req));
        return;
    }
    if (!version || strcmp(version, "13") != 0) {
        http_reply_header(req, "Sec-WebSocket-Version", "13");
        http_reply_errorf(req, 426, "upgrade_required", NULL, "WebSocket version 13 is the one spoken here");
        return;
    }
    if (!ws_accept_key(http_header(req, "Sec-WebSocket-Key"), accept)) {
        http_reply_errorf(req, 400, "bad_request", "Sec-WebSocket-Key",
                          "Sec-WebSocket-Key must be 16 bytes in base64");
        return;
    }
    http_log_set(req, "websocket", json_true());
    http_reply_header(req, "Upgrade", "websocket");
    http_reply_header(req, "Sec-WebSocket-Accept", accept);
    http_reply_upgrade(req, upgraded, l);
}

/* ---- lifetime ---- */

int live_sessions_start(app *a, unsigned runners, live_sessions **out, char *error, size_t size)
{
    live_sessions *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(error, size, "start live sessions: out of memory");
        return -1;
    }
    l->app = a;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->work, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (l->epfd < 0 || l->wake_fd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wake_fd, &ev) < 0) {
        snprintf(error, size, "start live sessions: %s", strerror(errno));
        live_sessions_stop(l);
        return -1;
    }
    l->runners = calloc(runners ? runners : 1, sizeof *l->runners);
    l->nrunners = runners ? runners : 1;
    if (!l->runners) {
        snprintf(error, size, "start live sessions: out of memory");
        live_sessions_stop(l);
        return -1;
    }
    int err = pthread_create(&l->io, NULL, io_main, l);
    if (err) {
        snprintf(error, size, "start the live session thread: %s", strerror(err));
        live_sessions_stop(l);
        return -1;
    }
    l->io_started = true;
    for (; l->started < l->nrunners; l->started++) {
        err = pthread_create(&l->runners[l->started], NULL, runner_main, l);
        if (err) {
            snprintf(error, size, "start live session runner %u: %s", l->started, strerror(err));
            live_sessions_stop(l);
            return -1;
        }
    }
    *out = l;
    return 0;
}

void live_sessions_stop(live_sessions *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->lock);
    if (l->wake_fd >= 0)
        wake(l);
    /* The I/O thread ends every session (cancelling its run) and leaves
     * once the runners are done with them; the runners leave after. */
    if (l->io_started)
        pthread_join(l->io, NULL);
    for (unsigned i = 0; i < l->started; i++)
        pthread_join(l->runners[i], NULL);
    free(l->runners);
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->work);
    free(l);
}
