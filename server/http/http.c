/*
 * http.c - libmicrohttpd glue for `judgebox serve`: the route table
 * (routes.c) dispatch with 404 and 405, request bodies (413 as soon as the
 * Content-Length or the bytes received pass the route's maximum, nothing
 * more buffered; a body that trickles in too slowly is cut off), the
 * handler interface of route.h (request accessors, replies, deferred work)
 * and one structured log line per request, written when the connection is
 * done with it.
 *
 * Threads: a few libmicrohttpd threads poll every connection, and a fixed
 * set of executor threads runs the slow work handlers defer (judging); all
 * of them start with the server and no thread is created afterwards (a
 * thread being created while the sandbox core clones a run could leave
 * glibc state half-taken in the run's init).  A slow or silent client costs
 * a connection, never a thread or a sandbox slot: a handler runs only once
 * the whole body is in; a deferring handler's connection is suspended, an
 * executor runs the work and resumes the connection with the reply ready.
 * The reply is queued on a later call of the access handler, never on the
 * first one (libmicrohttpd closes a connection whose response was queued
 * before the request was read to the end, which breaks pipelining).
 */
#include "http.h"
#include "route.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "ops.h"
#include "pattern.h"

/* One open connection, for the deadlines and the health reserve: what it
 * is waiting for and since when.  Made and freed by libmicrohttpd's
 * connection notifications (its socket is closed only after CLOSED, so
 * the reaper may shut it down under conns_lock). */
typedef enum conn_phase {
    PHASE_HEADERS,                /* connected or answered; next request's headers not all in */
    PHASE_BODY,                   /* headers in, body arriving */
    PHASE_BUSY,                   /* handled, deferred or answering: no deadline here */
} conn_phase;

typedef struct conn_track {
    int fd;
    char client[INET6_ADDRSTRLEN];
    conn_phase phase;
    struct timespec since;        /* CLOCK_MONOTONIC, start of the phase */
    bool reserve;                 /* over connection_limit: health only, short deadline */
    bool reaped;                  /* shut down by the reaper */
    struct conn_track *prev, *next;
} conn_track;

struct http_server {
    struct MHD_Daemon *daemon;
    app *app;
    /* Deferred work waiting for an executor, and the executors. */
    pthread_mutex_t lock;
    pthread_cond_t work, idle;    /* idle: CLOCK_MONOTONIC, for timed waits */
    http_request *head, *tail;
    unsigned inflight;            /* deferred, reply not yet delivered */
    unsigned suspended;           /* connections suspended for deferred work */
    bool stopping;                /* executors: leave once the list is empty */
    bool draining;                /* shutting down: admit nothing new */
    pthread_t *executors;
    unsigned nexecutors, started;
    /* Open connections and the reaper thread that enforces deadlines (and
     * gives memory back to the system when idle). */
    pthread_mutex_t conns_lock;
    pthread_cond_t reaper_wake;   /* CLOCK_MONOTONIC */
    conn_track *conns;
    unsigned nconns;
    uint64_t completed;           /* requests finished, to notice idleness */
    bool reaper_stop, reaper_started;
    pthread_t reaper;
    int *metric_ids;              /* route index -> metrics endpoint */
};

/* Connections beyond connection_limit kept for GET /v1/health, so a full
 * server still says how it is; they get a short header deadline. */
#define HEALTH_RESERVE 16
#define HEALTH_PATH "/v1/health"
#define RESERVE_HEADER_TIMEOUT_S 2

typedef enum reply_kind {
    REPLY_NONE,
    REPLY_JSON,
    REPLY_RAW,
    REPLY_STREAM,
    REPLY_HANG_UP,
    REPLY_UPGRADE,
} reply_kind;

#define MAX_REPLY_HEADERS 8

/* Per-request state, owned by the connection (MHD's con_cls) and freed in
 * request_completed.  While an executor runs its deferred work, the
 * executor owns it; the connection is suspended meanwhile. */
struct http_request {
    http_server *server;
    struct MHD_Connection *conn;
    char id[17];
    char client[INET6_ADDRSTRLEN];
    struct timespec start;
    const char *method, *path;    /* libmicrohttpd's, valid while the request lives */
    const http_route *route;      /* NULL: no route for this path */
    bool method_ok;
    size_t max_body;
    http_params params;           /* {name} values of the route's pattern */
    char *body;
    size_t len, cap;
    int spool_fd;                 /* spooled routes: the body's file; -1 otherwise */
    uint64_t spooled;             /* bytes written to it */
    bool too_large;               /* body went over the maximum; discarding */
    bool spool;                   /* the body goes to spool_fd */
    size_t discarded;
    bool dispatched;              /* the handler ran */
    bool http11;                  /* may take an interim 1xx response */
    bool failed;                  /* http_log_cause: log at level error */
    bool half_closed;             /* the probe found the client half-closed */
    conn_track *track;
    bool responded;               /* a response is queued */
    unsigned status;              /* of the queued response */
    json_t *log;                  /* fields for this request's log line */
    /* The reply a handler (or its deferred work) made, waiting to be queued. */
    reply_kind kind;
    unsigned reply_status;
    json_t *reply_json;
    const void *raw;
    size_t raw_len;
    void (*raw_free)(void *);
    uint64_t stream_size;
    http_stream_read stream_read;
    void *stream_cls;
    void (*stream_done)(void *);
    http_upgrade_fn upgrade_fn;
    void *upgrade_cls;
    char *headers[MAX_REPLY_HEADERS][2];
    unsigned nheaders;
    /* Deferred work. */
    http_work work;
    void *work_cls;
    int client_fd;
    bool deferred;                /* counted in server->inflight */
    bool work_done;               /* the executor is done; the connection resumed */
    bool early;                   /* http_reply_now: replied while the work goes on */
    bool work_finished;           /* (early) the work returned */
    bool completed;               /* (early) request_completed ran; the work frees it */
    http_request *next;
    ops_gate gate;                /* server/ops: auth and quota decision, ticket */
};

static uint64_t ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
    return ms > 0 ? (uint64_t)ms : 0;
}

static void new_request_id(char out[17])
{
    unsigned char raw[8];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        /* Not secret, only unique enough to find a log line. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t v = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)out;
        memcpy(raw, &v, sizeof raw);
    }
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* ---- the handler interface (route.h) ---- */

app *http_app(const http_request *req) { return req->server->app; }
const char *http_method(const http_request *req) { return req->method; }
const char *http_path(const http_request *req) { return req->path; }
const char *http_request_id(const http_request *req) { return req->id; }
const char *http_client(const http_request *req) { return req->client; }
const char *http_client_key(const http_request *req)
{
    return req->gate.token ? req->gate.token->name : req->client;
}
int http_client_fd(const http_request *req) { return req->client_fd; }

const char *http_param(const http_request *req, const char *name)
{
    return http_params_get(&req->params, name);
}

const char *http_query(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int http_body_fd(const http_request *req, uint64_t *len)
{
    *len = req->spooled;
    if (req->spool_fd >= 0 && lseek(req->spool_fd, 0, SEEK_SET) < 0)
        return -1;
    return req->spool_fd;
}

/* Is `r` for a spooled route?  Then its cap and an unnamed file for its
 * body (none yet: made on the first byte). */
static void find_spooled(http_request *r, const server_config *c)
{
    r->spool_fd = -1;
    if (!r->route || !r->method_ok)
        return;
    for (size_t i = 0; i < http_spooled_route_count; i++) {
        const http_spooled_route *sr = &http_spooled_routes[i];
        if (strcmp(sr->method, r->route->method) == 0 && strcmp(sr->pattern, r->route->pattern) == 0) {
            r->spool = true;
            r->max_body = (size_t)sr->max_body(c);
        }
    }
}

/* Append upload bytes to the spool file; -1 with errno. */
static int spool_write(http_request *r, const server_config *c, const char *data, size_t n)
{
    if (r->spool_fd < 0) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/spool", c->state_dir ? c->state_dir : "/var/tmp");
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return -1;
        r->spool_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (r->spool_fd < 0)
            return -1;
    }
    while (n > 0) {
        ssize_t w = write(r->spool_fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
        r->spooled += (uint64_t)w;
    }
    return 0;
}

const char *http_body(const http_request *req, size_t *len)
{
    *len = req->len;
    return req->body ? req->body : "";
}

bool http_shutting_down(const http_request *req)
{
    http_server *s = req->server;
    pthread_mutex_lock(&s->lock);
    bool draining = s->draining;
    pthread_mutex_unlock(&s->lock);
    return draining;
}

int http_probe_half_close(void *cls)
{
    http_request *req = cls;
    /* The peer shut its sending side: it may have gone, or may still be
     * reading.  Only a write tells: an interim 1xx response is one an
     * HTTP/1.1 client must accept and skip before the final one, and a
     * peer that closed answers it with a reset (then POLLHUP/POLLERR).
     * An HTTP/1.0 client cannot take one: take it as gone. */
    static const char interim[] = "HTTP/1.1 102 Processing\r\n\r\n";
    if (!req->http11 || req->client_fd < 0)
        return 1;
    ssize_t n = send(req->client_fd, interim, sizeof interim - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n != (ssize_t)(sizeof interim - 1))
        return 1;                 /* gone, or a partial line we cannot finish: close */
    json_object_set_new(req->log, "half_closed", json_true());
    req->half_closed = true;
    return 0;
}

void http_log_cause(http_request *req, const char *cause)
{
    req->failed = true;
    json_object_set_new(req->log, "cause", json_string(cause));
}

void http_log_set(http_request *req, const char *key, json_t *value)
{
    json_object_set_new(req->log, key, value);
}

void http_reply_header(http_request *req, const char *name, const char *value)
{
    if (req->nheaders >= MAX_REPLY_HEADERS) {
        log_message("error", "request %s: more than %d reply headers; %s dropped", req->id,
                    MAX_REPLY_HEADERS, name);
        return;
    }
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    req->headers[req->nheaders][0] = n;
    req->headers[req->nheaders][1] = v;
    req->nheaders++;
}

/* Drop a reply made earlier (a handler replied twice: the last one wins). */
static void reply_clear(http_request *req)
{
    json_decref(req->reply_json);
    req->reply_json = NULL;
    if (req->kind == REPLY_RAW && req->raw_free)
        req->raw_free((void *)req->raw);
    if (req->kind == REPLY_STREAM && req->stream_done)
        req->stream_done(req->stream_cls);
    req->raw = NULL;
    req->raw_free = NULL;
    req->stream_done = NULL;
    req->kind = REPLY_NONE;
}

void http_reply_json(http_request *req, unsigned status, json_t *body)
{
    reply_clear(req);
    req->kind = REPLY_JSON;
    req->reply_status = status;
    req->reply_json = body;
}

void http_reply_error(http_request *req, const api_error *err)
{
    json_object_set_new(req->log, "error", json_string(err->code));
    if (err->field[0])
        json_object_set_new(req->log, "field", json_string(err->field));
    http_reply_json(req, (unsigned)err->status, api_error_body(err));
}

void http_reply_errorf(http_request *req, int status, const char *code, const char *field,
                       const char *fmt, ...)
{
    api_error err;
    va_list ap;
    va_start(ap, fmt);
    api_error_vset(&err, status, code, field, fmt, ap);
    va_end(ap);
    http_reply_error(req, &err);
}

void http_reply_raw(http_request *req, unsigned status, const char *content_type,
                    const void *body, size_t len, void (*free_body)(void *))
{
    reply_clear(req);
    req->kind = REPLY_RAW;
    req->reply_status = status;
    req->raw = body;
    req->raw_len = len;
    req->raw_free = free_body;
    if (content_type)
        http_reply_header(req, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
}

void http_reply_stream(http_request *req, unsigned status, const char *content_type,
                       uint64_t size, http_stream_read read, void *cls, void (*done)(void *cls))
{
    reply_clear(req);
    req->kind = REPLY_STREAM;
    req->reply_status = status;
    req->stream_size = size;
    req->stream_read = read;
    req->stream_cls = cls;
    req->stream_done = done;
    if (content_type)
        http_reply_header(req, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
}

void http_judged(http_request *req, const job_result *result)
{
    ops_gate_charge(&req->gate, result);
}

void http_reply_upgrade(http_request *req, http_upgrade_fn upgraded, void *cls)
{
    reply_clear(req);
    req->kind = REPLY_UPGRADE;
    req->reply_status = MHD_HTTP_SWITCHING_PROTOCOLS;
    req->upgrade_fn = upgraded;
    req->upgrade_cls = cls;
}

/* What the upgrade handler needs, apart from the request (which may be
 * gone by the time the socket is handed over). */
typedef struct upgrade_target {
    http_upgrade_fn fn;
    void *cls;
} upgrade_target;

static void upgrade_trampoline(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
                               size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)con_cls;
    upgrade_target *t = cls;
    t->fn(t->cls, sock, extra, extra_len, (http_upgraded *)urh);
    free(t);
}

void http_upgraded_close(http_upgraded *handle)
{
    MHD_upgrade_action((struct MHD_UpgradeResponseHandle *)handle, MHD_UPGRADE_ACTION_CLOSE);
}

void http_hang_up(http_request *req)
{
    reply_clear(req);
    req->kind = REPLY_HANG_UP;
}

int http_defer(http_request *req, http_work work, void *cls)
{
    http_server *s = req->server;
    pthread_mutex_lock(&s->lock);
    if (s->draining || s->stopping) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    req->work = work;
    req->work_cls = cls;
    req->deferred = true;
    s->inflight++;
    s->suspended++;
    /* Suspended before any executor can see it, so the resume that follows
     * the work always finds a suspended connection. */
    MHD_suspend_connection(req->conn);
    if (s->tail)
        s->tail->next = req;
    else
        s->head = req;
    s->tail = req;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* ---- responses ---- */

/* `body` as compact JSON text and a newline, malloc'd; takes the
 * reference.  NULL when out of memory. */
static char *json_text(json_t *body, size_t *len)
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

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    http_request *req = cls;
    ssize_t n = req->stream_read(req->stream_cls, pos, buf, max);
    if (n == HTTP_STREAM_WAIT)
        return 0;                  /* parked by http_stream_park: called again once woken */
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

void http_stream_park(http_request *req)
{
    MHD_suspend_connection(req->conn);
}

void http_stream_wake(http_request *req)
{
    MHD_resume_connection(req->conn);
}

void http_reply_now(http_request *req)
{
    http_server *s = req->server;
    pthread_mutex_lock(&s->lock);
    req->early = true;
    req->work_done = true;
    MHD_resume_connection(req->conn);
    if (--s->suspended == 0)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
}

/* Queue the reply the handler made.  MHD_NO closes the connection. */
static enum MHD_Result deliver(struct MHD_Connection *conn, http_request *r)
{
    struct MHD_Response *resp = NULL;
    switch (r->kind) {
    case REPLY_NONE:
        log_message("error", "request %s: %s %s: the handler made no reply", r->id, r->method, r->path);
        http_reply_errorf(r, 500, "internal", NULL, "the handler of %s made no reply", r->path);
        return deliver(conn, r);
    case REPLY_HANG_UP:
        return MHD_NO;
    case REPLY_UPGRADE: {
        upgrade_target *t = malloc(sizeof *t);
        if (!t)
            return MHD_NO;
        *t = (upgrade_target){r->upgrade_fn, r->upgrade_cls};
        resp = MHD_create_response_for_upgrade(upgrade_trampoline, t);
        if (!resp)
            free(t);
        break;
    }
    case REPLY_JSON: {
        size_t len;
        char *text = json_text(r->reply_json, &len);
        r->reply_json = NULL;
        if (!text) {
            log_message("error", "request %s: out of memory serializing the response", r->id);
            return MHD_NO;
        }
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(text);
        else
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        break;
    }
    case REPLY_RAW:
        if (r->raw_free) {
            resp = MHD_create_response_from_buffer_with_free_callback(r->raw_len, (void *)r->raw,
                                                                      r->raw_free);
            if (!resp)
                r->raw_free((void *)r->raw);
        } else {
            resp = MHD_create_response_from_buffer(r->raw_len, (void *)r->raw,
                                                   MHD_RESPMEM_PERSISTENT);
        }
        r->raw = NULL;
        r->raw_free = NULL;
        break;
    case REPLY_STREAM:
        /* The stream's cls is freed in request_completed (stream_done),
         * after libmicrohttpd is done reading. */
        resp = MHD_create_response_from_callback(
            r->stream_size == HTTP_STREAM_UNKNOWN ? MHD_SIZE_UNKNOWN : r->stream_size, 64 * 1024,
            stream_reader, r, NULL);
        break;
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if ((r->track && r->track->reserve) || http_shutting_down(r))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    for (size_t i = 0; i < r->gate.nheaders; i++)
        MHD_add_response_header(resp, r->gate.headers[i].name, r->gate.headers[i].value);
    for (unsigned i = 0; i < r->nheaders; i++)
        MHD_add_response_header(resp, r->headers[i][0], r->headers[i][1]);
    enum MHD_Result rc = MHD_queue_response(conn, r->reply_status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES) {
        r->responded = true;
        r->status = r->reply_status;
    }
    return rc;
}

/* ---- routing ---- */

static bool method_matches(const char *want, const char *method)
{
    return strcmp(want, "*") == 0 || strcmp(want, method) == 0 ||
           (strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* The first route whose pattern and method match; else remember that the
 * path matched some route (405) or none (404). */
static void find_route(http_request *r)
{
    const http_route *path_match = NULL;
    for (size_t i = 0; i < http_route_count; i++) {
        const http_route *rt = &http_routes[i];
        if (!http_pattern_match(rt->pattern, r->path, NULL))
            continue;
        if (!path_match)
            path_match = rt;
        if (method_matches(rt->method, r->method)) {
            http_pattern_match(rt->pattern, r->path, &r->params);
            r->route = rt;
            r->method_ok = true;
            return;
        }
    }
    r->route = path_match;
    r->method_ok = false;
}

/* 405: every method the path takes. */
static void method_not_allowed(http_request *r)
{
    char allow[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < http_route_count; i++) {
        const http_route *rt = &http_routes[i];
        if (!http_pattern_match(rt->pattern, r->path, NULL))
            continue;
        const char *m[2] = {rt->method, strcmp(rt->method, "GET") == 0 ? "HEAD" : NULL};
        for (int k = 0; k < 2 && m[k]; k++) {
            if (strstr(allow, m[k]))
                continue;
            int n = snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", m[k]);
            if (n > 0 && (size_t)n < sizeof allow - used)
                used += (size_t)n;
        }
    }
    http_reply_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    http_reply_errorf(r, 405, "method_not_allowed", NULL, "%s takes %s, not %s", r->path, allow,
                      r->method);
}

/* ---- the MHD callbacks ---- */

static void client_address(struct MHD_Connection *conn, char *out, size_t size)
{
    snprintf(out, size, "unknown");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

static int connection_fd(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

static void set_phase(http_server *s, conn_track *t, conn_phase phase)
{
    if (!t)
        return;
    pthread_mutex_lock(&s->conns_lock);
    t->phase = phase;
    clock_gettime(CLOCK_MONOTONIC, &t->since);
    pthread_mutex_unlock(&s->conns_lock);
}

static conn_track *track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static http_request *new_request(http_server *s, struct MHD_Connection *conn, const char *url,
                                 const char *method)
{
    http_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->log = json_object();
    if (!r->log) {
        free(r);
        return NULL;
    }
    r->server = s;
    r->conn = conn;
    r->method = method;
    r->path = url;
    r->client_fd = connection_fd(conn);
    new_request_id(r->id);
    client_address(conn, r->client, sizeof r->client);
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    json_object_set_new(r->log, "id", json_string(r->id));
    json_object_set_new(r->log, "client", json_string(r->client));
    json_object_set_new(r->log, "method", json_string(method));
    json_object_set_new(r->log, "path", json_string(url));
    find_route(r);
    r->max_body = r->route && r->route->max_body ? r->route->max_body
                                                 : s->app->config->max_body_bytes;
    r->track = track_of(conn);
    set_phase(s, r->track, PHASE_BODY);
    find_spooled(r, s->app->config);
    return r;
}

/* The whole body is in: route, and run the handler. */
static enum MHD_Result dispatch(struct MHD_Connection *conn, http_request *r)
{
    http_server *s = r->server;
    r->dispatched = true;
    set_phase(s, r->track, PHASE_BUSY);
    char retry[16];
    snprintf(retry, sizeof retry, "%u", s->app->config->retry_after_s);
    if (http_shutting_down(r)) {
        http_reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
        http_reply_errorf(r, 503, "shutting_down", NULL,
                          "the server is shutting down; retry on another instance or later");
    } else if (r->track && r->track->reserve &&
               !(strcmp(r->path, HEALTH_PATH) == 0 &&
                 (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0))) {
        http_reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
        http_reply_errorf(r, 503, "too_many_connections", NULL,
                          "all %u connections are open; only GET %s is answered beyond them",
                          s->app->config->connection_limit, HEALTH_PATH);
    } else if (r->gate.status && r->gate.empty_body) {
        json_object_set_new(r->log, "error", json_string(r->gate.code));
        http_reply_raw(r, (unsigned)r->gate.status, NULL, "", 0, NULL);
    } else if (r->gate.status) {
        http_reply_errorf(r, r->gate.status, r->gate.code, NULL, "%s", r->gate.message);
    } else if (r->too_large)
        http_reply_errorf(r, 413, "too_large", NULL, "request body is over the maximum of %zu bytes",
                          r->max_body);
    else if (!r->route)
        http_reply_errorf(r, 404, "not_found", NULL, "no such endpoint: %s", r->path);
    else if (!r->method_ok)
        method_not_allowed(r);
    else
        r->route->handler(r);
    if (r->deferred)
        return MHD_YES;             /* suspended; the executor replies */
    return deliver(conn, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    http_server *server = cls;
    app *a = server->app;
    http_request *r = *con_cls;
    if (!r) {
        r = new_request(server, conn, url, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->http11 = version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
        /* Credentials and quotas before the body is read (server/ops); a
         * refused request's body is discarded, and the refusal is its reply. */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        ops_gate_check(a->ops, method, url, http_header(r, MHD_HTTP_HEADER_AUTHORIZATION),
                       http_header(r, "X-Auth-Token"), ci ? ci->client_addr : NULL, &r->gate);
        if (r->gate.status) {
            json_object_set_new(r->log, "error", json_string(r->gate.code));
            return MHD_YES;
        }
        if (r->gate.token)
            json_object_set_new(r->log, "token", json_string(r->gate.token->name));
        /* Refuse an announced oversized body before reading it (this closes
         * the connection: the body is never read). */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && r->route && r->method_ok) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno == 0 && end != cl && *end == '\0' && n > r->max_body) {
                r->dispatched = true;
                http_reply_errorf(r, 413, "too_large", NULL,
                                  "request body of %llu bytes is over the maximum of %zu", n,
                                  r->max_body);
                return deliver(conn, r);
            }
        }
        return MHD_YES;
    }
    if (r->work_done)
        return deliver(conn, r);     /* resumed by the executor that ran the work */
    if (r->dispatched) {
        *upload_data_size = 0;       /* answered early (413): discard the rest */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (ms_since(&r->start) > (uint64_t)a->config->body_timeout_s * 1000) {
            /* libmicrohttpd cannot answer before the body is in: hang up. */
            json_object_set_new(r->log, "error", json_string("body_timeout"));
            return MHD_NO;
        }
        if (r->spool && !r->too_large && !r->gate.status && n <= r->max_body - r->spooled) {
            if (spool_write(r, a->config, upload_data, n) < 0) {
                r->dispatched = true;
                http_reply_errorf(r, 500, "internal", NULL, "spool the request body: %s",
                                  strerror(errno));
                return deliver(conn, r);
            }
            return MHD_YES;
        }
        if (r->too_large || r->gate.status || r->spool || !r->route || !r->method_ok || n > r->max_body - r->len) {
            /* A body over the maximum (or for a request that will get 404
             * or 405).  This libmicrohttpd only answers once the body is
             * in, so drop what we have and discard the rest, up to as much
             * again; past that the client gets no answer, only a closed
             * connection. */
            free(r->body);
            r->body = NULL;
            r->cap = 0;
            if (r->spool_fd >= 0 && ftruncate(r->spool_fd, 0) == 0)
                r->spooled = 0;  /* the spooled part is of no use now */
            if (r->route && r->method_ok && !r->gate.status)
                r->too_large = true;
            r->discarded += n;
            if (r->discarded > r->max_body) {
                json_object_set_new(r->log, "error", json_string("too_large"));
                return MHD_NO;
            }
            return MHD_YES;
        }
        if (r->len + n > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n)
                cap *= 2;
            if (cap > r->max_body)
                cap = r->max_body;
            char *body = realloc(r->body, cap);
            if (!body) {
                r->dispatched = true;
                http_reply_errorf(r, 500, "internal", NULL, "out of memory reading the body");
                return deliver(conn, r);
            }
            r->body = body;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }
    return dispatch(conn, r);
}

static bool send_all(int fd, const char *p, size_t n, int timeout_ms)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, timeout_ms) <= 0)
                return false;
        } else if (!(k < 0 && errno == EINTR)) {
            return false;
        }
    }
    return true;
}

/* A half-closed client's reply, written by the executor while the
 * connection is still suspended: resumed, libmicrohttpd 0.9.75 may read
 * the end of the stream before sending and close the connection unanswered.
 * Sent with Connection: close; the connection is then closed unanswered by
 * libmicrohttpd (REPLY_HANG_UP). */
static void reply_direct(http_request *r)
{
    if (r->kind != REPLY_JSON && r->kind != REPLY_RAW && r->kind != REPLY_STREAM)
        return;
    int timeout_ms = (int)r->server->app->config->connection_timeout_s * 1000;
    char *text = NULL;
    const char *body = NULL;
    size_t len = 0;
    bool sized = true;
    if (r->kind == REPLY_JSON) {
        text = json_text(r->reply_json, &len);
        r->reply_json = NULL;
        body = text;
        if (!text) {
            r->kind = REPLY_HANG_UP;
            return;
        }
    } else if (r->kind == REPLY_RAW) {
        body = r->raw;
        len = r->raw_len;
    } else if (r->stream_size != HTTP_STREAM_UNKNOWN) {
        len = (size_t)r->stream_size;
    } else {
        sized = false;            /* close-delimited */
    }
    char head[2048];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %u %s\r\nConnection: close\r\nX-Request-Id: %s\r\n",
                     r->reply_status, r->reply_status < 300 ? "OK" : "Error", r->id);
    if (r->kind == REPLY_JSON)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: application/json\r\n");
    if (sized)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", len);
    for (unsigned i = 0; i < r->nheaders && (size_t)n < sizeof head; i++)
        n += snprintf(head + n, sizeof head - (size_t)n, "%s: %s\r\n", r->headers[i][0], r->headers[i][1]);
    for (size_t i = 0; i < r->gate.nheaders && (size_t)n < sizeof head; i++)
        n += snprintf(head + n, sizeof head - (size_t)n, "%s: %s\r\n", r->gate.headers[i].name,
                      r->gate.headers[i].value);
    bool ok = (size_t)n + 2 < sizeof head;
    if (ok) {
        n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
        ok = send_all(r->client_fd, head, (size_t)n, timeout_ms);
    }
    if (ok && r->kind != REPLY_STREAM) {
        ok = send_all(r->client_fd, body, len, timeout_ms);
    } else if (ok) {
        char *buf = malloc(64 * 1024);
        uint64_t pos = 0;
        ok = buf != NULL;
        while (ok) {
            ssize_t k = r->stream_read(r->stream_cls, pos, buf, 64 * 1024);
            if (k <= 0) {
                ok = k == 0;
                break;
            }
            ok = send_all(r->client_fd, buf, (size_t)k, timeout_ms);
            pos += (uint64_t)k;
        }
        free(buf);
    }
    free(text);
    if (ok)
        r->status = r->reply_status;
    else
        json_object_set_new(r->log, "terminated", json_string("write_error"));
    reply_clear(r);
    r->kind = REPLY_HANG_UP;
}

static void free_request(http_request *r)
{
    reply_clear(r);
    http_params_clear(&r->params);
    for (unsigned i = 0; i < r->nheaders; i++) {
        free(r->headers[i][0]);
        free(r->headers[i][1]);
    }
    free(r->body);
    if (r->spool_fd >= 0)
        close(r->spool_fd);
    free(r);
}

static void *executor_main(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->work, &s->lock);
        if (!s->head)
            break;                 /* stopping, and nothing left */
        http_request *r = s->head;
        s->head = r->next;
        if (!s->head)
            s->tail = NULL;
        r->next = NULL;
        pthread_mutex_unlock(&s->lock);
        r->work(r, r->work_cls);
        if (r->half_closed)
            reply_direct(r);
        /* Publish the reply before resuming: the connection's thread reads
         * it when libmicrohttpd calls the handler again. */
        pthread_mutex_lock(&s->lock);
        if (r->early) {
            /* Replied already (http_reply_now); free it if the connection
             * is gone, else request_completed will. */
            r->work_finished = true;
            if (r->completed) {
                pthread_mutex_unlock(&s->lock);
                free_request(r);
                pthread_mutex_lock(&s->lock);
            }
            continue;
        }
        r->work_done = true;
        MHD_resume_connection(r->conn);
        if (--s->suspended == 0)
            pthread_cond_broadcast(&s->idle);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode why)
{
    http_server *server = cls;
    (void)conn;
    http_request *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (r->deferred) {
        pthread_mutex_lock(&server->lock);
        if (--server->inflight == 0)
            pthread_cond_broadcast(&server->idle);
        pthread_mutex_unlock(&server->lock);
    }
    set_phase(server, r->track, PHASE_HEADERS);
    pthread_mutex_lock(&server->conns_lock);
    server->completed++;
    pthread_mutex_unlock(&server->conns_lock);
    ops_gate_finish(&r->gate);
    if (r->status)
        metrics_request(r->route && r->method_ok ? server->metric_ids[r->route - http_routes] : -1,
                        r->status);
    json_t *line = r->log;
    json_object_set_new(line, "status", r->status ? json_integer(r->status) : json_null());
    json_object_set_new(line, "ms", json_integer((json_int_t)ms_since(&r->start)));
    static const char *const reasons[] = {
        [MHD_REQUEST_TERMINATED_COMPLETED_OK] = NULL,
        [MHD_REQUEST_TERMINATED_WITH_ERROR] = "error",
        [MHD_REQUEST_TERMINATED_TIMEOUT_REACHED] = "timeout",
        [MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN] = "shutdown",
        [MHD_REQUEST_TERMINATED_READ_ERROR] = "read_error",
        [MHD_REQUEST_TERMINATED_CLIENT_ABORT] = "client_abort",
    };
    if ((size_t)why < sizeof reasons / sizeof reasons[0] && reasons[why])
        json_object_set_new(line, "terminated", json_string(reasons[why]));
    log_json(r->status >= 500 || r->failed ? "error" : "info", line);
    r->log = NULL;                  /* a late http_log_set drops its value */
    if (r->early) {
        pthread_mutex_lock(&server->lock);
        bool working = !r->work_finished;
        r->completed = true;
        pthread_mutex_unlock(&server->lock);
        if (working) {
            reply_clear(r);         /* the stream's `done`: the work stops producing */
            return;                 /* the executor frees it when the work returns */
        }
    }
    free_request(r);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_track *t = calloc(1, sizeof *t);
        if (!t)
            return;               /* untracked: no deadline beyond libmicrohttpd's idle one */
        t->fd = connection_fd(conn);
        client_address(conn, t->client, sizeof t->client);
        clock_gettime(CLOCK_MONOTONIC, &t->since);
        pthread_mutex_lock(&s->conns_lock);
        t->reserve = ++s->nconns > s->app->config->connection_limit;
        t->next = s->conns;
        if (s->conns)
            s->conns->prev = t;
        s->conns = t;
        pthread_mutex_unlock(&s->conns_lock);
        *socket_context = t;
        return;
    }
    conn_track *t = *socket_context;
    if (!t)
        return;
    *socket_context = NULL;
    pthread_mutex_lock(&s->conns_lock);
    if (t->prev) t->prev->next = t->next; else s->conns = t->next;
    if (t->next) t->next->prev = t->prev;
    s->nconns--;
    pthread_mutex_unlock(&s->conns_lock);
    free(t);
}

/* The deadline of a connection in its phase, in seconds; 0: none. */
static unsigned deadline_s(const server_config *c, const conn_track *t)
{
    switch (t->phase) {
    case PHASE_HEADERS:
        return t->reserve ? RESERVE_HEADER_TIMEOUT_S : c->header_timeout_s;
    case PHASE_BODY:
        return c->body_timeout_s;
    case PHASE_BUSY:
        break;
    }
    return 0;
}

/* Twice a second: shut down connections past their header or body
 * deadline (libmicrohttpd's own timeout is an idle one: a client sending
 * a byte a second would hold its connection for ever), and give freed
 * memory back to the system once the server has been idle for a tick. */
static void *reaper_main(void *arg)
{
    http_server *s = arg;
    const server_config *c = s->app->config;
    uint64_t seen = 0;
    bool trimmed = true;
    pthread_mutex_lock(&s->conns_lock);
    while (!s->reaper_stop) {
        struct timespec wake;
        clock_gettime(CLOCK_MONOTONIC, &wake);
        wake.tv_nsec += 500 * 1000 * 1000;
        if (wake.tv_nsec >= 1000000000) {
            wake.tv_sec++;
            wake.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->reaper_wake, &s->conns_lock, &wake);
        if (s->reaper_stop)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (conn_track *t = s->conns; t; t = t->next) {
            unsigned limit = deadline_s(c, t);
            uint64_t age = ms_since(&t->since);
            if (!limit || t->reaped || t->fd < 0 || age <= (uint64_t)limit * 1000)
                continue;
            /* libmicrohttpd sees the end of the stream and closes it. */
            if (shutdown(t->fd, SHUT_RDWR) == 0 || errno == ENOTCONN) {
                t->reaped = true;
                json_t *line = json_object();
                json_object_set_new(line, "msg", json_string("closed a slow connection"));
                json_object_set_new(line, "client", json_string(t->client));
                json_object_set_new(line, "waited_for",
                                    json_string(t->phase == PHASE_BODY ? "body" : "headers"));
                json_object_set_new(line, "after_ms", json_integer((json_int_t)age));
                log_json("warning", line);
            }
        }
        /* Idle for a whole tick after some work: trim the heap. */
        bool busy = seen != s->completed;
        seen = s->completed;
        if (busy) {
            trimmed = false;
        } else if (!trimmed) {
            pthread_mutex_lock(&s->lock);
            bool idle = s->inflight == 0;
            pthread_mutex_unlock(&s->lock);
            if (idle) {
                malloc_trim(0);
                trimmed = true;
            }
        }
    }
    pthread_mutex_unlock(&s->conns_lock);
    return NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_message("warning", "libmicrohttpd: %s", msg);
}

/* libmicrohttpd's polling threads: handlers only parse and answer, slow
 * work happens on executors, so two are plenty. */
#define HTTP_THREADS 2
/* Executors beyond the ones /v1/run may hold, for other rooms' work. */
#define HTTP_SPARE_EXECUTORS 4

unsigned executors_for(const server_config *config)
{
    unsigned n = config->slots + config->queue;
    return n > HTTP_MAX_EXECUTORS ? HTTP_MAX_EXECUTORS : n;
}
static void free_server(http_server *s);

int http_start(app *a, http_server **out, unsigned *port, char *error, size_t size)
{
    const char *spec = a->config->listen;
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        snprintf(error, size, "--listen %s: want HOST:PORT", spec);
        return -1;
    }
    char host[256];
    size_t hlen = (size_t)(colon - spec);
    if (spec[0] == '[' && hlen >= 2 && spec[hlen - 1] == ']') {
        spec++;
        hlen -= 2;
    }
    if (hlen >= sizeof host) {
        snprintf(error, size, "--listen %s: host name too long", a->config->listen);
        return -1;
    }
    memcpy(host, spec, hlen);
    host[hlen] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, colon + 1, &hints, &ai);
    if (gai != 0) {
        snprintf(error, size, "--listen %s: %s", a->config->listen, gai_strerror(gai));
        return -1;
    }
    /* Bind here rather than in libmicrohttpd, so a failure is one line
     * with its errno ("listen on 127.0.0.1:8080: Address already in use"). */
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        snprintf(error, size, "listen on %s: socket: %s", a->config->listen, strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        snprintf(error, size, "listen on %s: %s", a->config->listen, strerror(errno));
        close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(error, size, "start HTTP server: %s", strerror(errno));
        close(fd);
        return -1;
    }
    s->app = a;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->conns_lock, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_condattr_t mono;
    pthread_condattr_init(&mono);
    pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
    pthread_cond_init(&s->idle, &mono);
    pthread_cond_init(&s->reaper_wake, &mono);
    pthread_condattr_destroy(&mono);
    /* Each route is an endpoint of the request metrics (its pattern). */
    s->metric_ids = calloc(http_route_count, sizeof *s->metric_ids);
    if (!s->metric_ids) {
        snprintf(error, size, "start HTTP server: %s", strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i < http_route_count; i++)
        s->metric_ids[i] = metrics_endpoint(http_routes[i].method, http_routes[i].pattern);
    /* One executor per request that may be admitted at once; the pool
     * refuses more (max_outstanding), so none ever waits for an executor. */
    s->nexecutors = executors_for(a->config) + HTTP_SPARE_EXECUTORS;
    s->executors = calloc(s->nexecutors, sizeof *s->executors);
    if (!s->executors) {
        snprintf(error, size, "start HTTP server: %s", strerror(errno));
        goto fail;
    }
    for (; s->started < s->nexecutors; s->started++) {
        int err = pthread_create(&s->executors[s->started], NULL, executor_main, s);
        if (err) {
            snprintf(error, size, "start executor thread %u: %s", s->started, strerror(err));
            goto fail;
        }
    }
    int err = pthread_create(&s->reaper, NULL, reaper_main, s);
    if (err) {
        snprintf(error, size, "start the connection reaper thread: %s", strerror(err));
        goto fail;
    }
    s->reaper_started = true;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    /* The per-address cap goes last: 0 means none, and MHD takes 0 as
     * "no cap" too. */
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)a->config->connection_limit + HEALTH_RESERVE,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)a->config->connection_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)a->config->per_ip_connection_limit,
        MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(error, size, "listen on %s: libmicrohttpd could not start", a->config->listen);
        goto fail;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    *port = 0;
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
        *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    *out = s;
    return 0;
fail:
    free_server(s);
    close(fd);
    return -1;
}

/* Stop the executors (each finishes the request it holds) and the
 * reaper, and free. */
static void free_server(http_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->started; i++)
        pthread_join(s->executors[i], NULL);
    if (s->reaper_started) {
        pthread_mutex_lock(&s->conns_lock);
        s->reaper_stop = true;
        pthread_cond_broadcast(&s->reaper_wake);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->reaper, NULL);
    }
    free(s->executors);
    free(s->metric_ids);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->conns_lock);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->idle);
    pthread_cond_destroy(&s->reaper_wake);
    free(s);
}

/* Wait until `*count` is 0 or the deadline passes (NULL: no deadline);
 * s->lock held.  True when it reached 0. */
static bool wait_zero(http_server *s, const unsigned *count, const struct timespec *deadline)
{
    while (*count > 0) {
        if (!deadline) {
            pthread_cond_wait(&s->idle, &s->lock);
        } else if (pthread_cond_timedwait(&s->idle, &s->lock, deadline) == ETIMEDOUT) {
            return *count == 0;
        }
    }
    return true;
}

void http_stop(http_server *s)
{
    if (!s)
        return;
    /* 1. Admit nothing more: every new request, on a new or a kept-alive
     *    connection, gets 503 shutting_down with Connection: close, and
     *    the listening socket is closed. */
    pthread_mutex_lock(&s->lock);
    s->draining = true;
    unsigned inflight = s->inflight;
    pthread_mutex_unlock(&s->lock);
    unsigned drain_s = s->app->config->drain_timeout_s;
    log_message("info", "draining: %u requests in flight get up to %u s to finish", inflight, drain_s);
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    /* 2. Let the admitted requests finish and be answered, within the
     *    drain time; past it, cancel their runs (the clients get 503). */
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += drain_s;
    pthread_mutex_lock(&s->lock);
    bool drained = wait_zero(s, &s->inflight, &deadline);
    inflight = s->inflight;
    pthread_mutex_unlock(&s->lock);
    if (!drained) {
        log_message("warning", "drain time of %u s is over: cancelling %u requests", drain_s, inflight);
        pool_cancel_all(s->app->pool);
    }
    /* 3. libmicrohttpd 0.9.75 aborts the process when stopped with a
     *    suspended connection: wait until every deferred work is done and
     *    its connection resumed (cancelled runs end within moments), then
     *    give their 503s a few seconds to be sent (a client that does not
     *    read loses its answer, not the shutdown). */
    pthread_mutex_lock(&s->lock);
    wait_zero(s, &s->suspended, NULL);
    if (!drained) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += 5;
        wait_zero(s, &s->inflight, &deadline);
    }
    pthread_mutex_unlock(&s->lock);
    MHD_stop_daemon(s->daemon);
    free_server(s);
}
