/*
 * http.c - libmicrohttpd glue for `judgebox serve`: routing (404, 405),
 * request bodies (413 as soon as the Content-Length or the bytes received
 * pass the maximum, nothing more buffered; a body that trickles in too
 * slowly is cut off), JSON responses, and one structured log line per
 * request, written when the connection is done with it.
 *
 * Threads: a few libmicrohttpd threads poll every connection, and a fixed
 * set of executor threads judges admitted requests; all of them start with
 * the server and no thread is created afterwards (a thread being created
 * while the sandbox core clones a run could leave glibc state half-taken in
 * the run's init).  A slow or silent client costs a connection, never a
 * thread or a sandbox slot: a request is admitted to the worker pool only
 * once its whole body is in; its connection is then suspended, an executor
 * judges it and resumes the connection with the response ready.  While a
 * request is judged its socket is watched; if the client hangs up, the
 * request's unstarted runs are dropped and nothing is sent.
 */
#include "http.h"

#include <errno.h>
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
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "log.h"

typedef struct request request;

struct http_server {
    struct MHD_Daemon *daemon;
    app *app;
    /* Admitted /v1/run requests waiting for an executor, and the executors. */
    pthread_mutex_t lock;
    pthread_cond_t work, idle;
    request *head, *tail;
    unsigned inflight;            /* admitted, response not yet delivered */
    bool stopping;
    pthread_t *executors;
    unsigned nexecutors, started;
    /* GET /v1/languages and /v1/limits: the languages and the config do
     * not change while the server runs, so their bodies are made once. */
    char *languages_body, *limits_body;
    size_t languages_len, limits_len;
};

typedef enum route {
    ROUTE_NONE,
    ROUTE_RUN,
    ROUTE_LANGUAGES,
    ROUTE_HEALTH,
    ROUTE_LIMITS,
} route;

static const struct {
    const char *path;
    route route;
    const char *method;          /* GET routes also answer HEAD */
} routes[] = {
    {"/v1/run", ROUTE_RUN, "POST"},
    {"/v1/languages", ROUTE_LANGUAGES, "GET"},
    {"/v1/health", ROUTE_HEALTH, "GET"},
    {"/v1/limits", ROUTE_LIMITS, "GET"},
};

/* Per-request state, owned by the connection (MHD's con_cls) and freed in
 * request_completed.  While an executor judges it, the executor owns the
 * job fields; the connection is suspended meanwhile. */
struct request {
    char id[17];
    struct timespec start;
    route route;
    char *body;
    size_t len, cap;
    bool responded;               /* a response is queued */
    bool too_large;               /* body went over the maximum; discarding */
    size_t discarded;
    unsigned status;
    json_t *log;                  /* fields for this request's log line */
    /* An admitted /v1/run request. */
    struct MHD_Connection *conn;
    pool_ticket *ticket;
    job_request job;
    int client_fd;
    bool admitted;                /* counted in server->inflight */
    bool judged;                  /* the executor is done; the connection resumed */
    bool client_gone;
    unsigned reply_status;
    json_t *reply;                /* the body to send when resumed */
    request *next;
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

/* ---- responses ---- */

/* `body` as compact JSON text and a newline, malloc'd; takes the
 * reference.  NULL when out of memory. */
static char *json_text(json_t *body, size_t *len)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
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

/* Queue `text` as the JSON response; MHD_RESPMEM_MUST_FREE hands it over. */
static enum MHD_Result send_text(struct MHD_Connection *conn, request *r, unsigned status,
                                 char *text, size_t len, enum MHD_ResponseMemoryMode mode,
                                 const char *retry_after, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if (retry_after)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES) {
        r->responded = true;
        r->status = status;
    }
    return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, request *r, unsigned status,
                                 json_t *body, const char *retry_after, const char *allow)
{
    size_t len;
    char *text = json_text(body, &len);
    if (!text) {
        log_message("error", "request %s: out of memory serializing the response", r->id);
        return MHD_NO;
    }
    return send_text(conn, r, status, text, len, MHD_RESPMEM_MUST_FREE, retry_after, allow);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, request *r, const api_error *err,
                                  const char *retry_after, const char *allow)
{
    json_object_set_new(r->log, "error", json_string(err->code));
    if (err->field[0])
        json_object_set_new(r->log, "field", json_string(err->field));
    return send_json(conn, r, (unsigned)err->status, api_error_body(err), retry_after, allow);
}

static enum MHD_Result fail(struct MHD_Connection *conn, request *r, int status, const char *code,
                            const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static enum MHD_Result fail(struct MHD_Connection *conn, request *r, int status, const char *code,
                            const char *field, const char *fmt, ...)
{
    api_error err;
    va_list ap;
    va_start(ap, fmt);
    api_error_vset(&err, status, code, field, fmt, ap);
    va_end(ap);
    return send_error(conn, r, &err, NULL, NULL);
}

/* ---- endpoints ---- */

static enum MHD_Result serve_health(struct MHD_Connection *conn, request *r, app *a)
{
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
    return send_json(conn, r, MHD_HTTP_OK, b, NULL, NULL);
}

static int client_fd(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

/* Judge one admitted request (executor thread): the response body waits in
 * r->reply until the connection is resumed. */
static void judge_request(http_server *s, request *r)
{
    app *a = s->app;
    job_result res;
    char why[512] = "";
    int rc = judge_run(a->context, r->ticket, &r->job, r->client_fd, &res, why, sizeof why);
    pool_leave(r->ticket);
    r->ticket = NULL;
    json_object_set_new(r->log, "queue_ms", json_integer((json_int_t)res.queue_ms));
    if (rc < 0) {
        log_message("error", "request %s: %s", r->id, why);
        api_error err = {0};
        api_error_set(&err, 500, "internal", NULL, "the server could not judge this request: %s", why);
        json_object_set_new(r->log, "error", json_string(err.code));
        r->reply_status = 500;
        r->reply = api_error_body(&err);
    } else {
        json_object_set_new(r->log, "verdict", json_string(res.verdict));
        if (res.has_compile)
            json_object_set_new(r->log, "compile_ms", json_integer((json_int_t)res.compile_ms));
        json_object_set_new(r->log, "run_ms", json_integer((json_int_t)res.run_ms));
        if (res.cancelled) {
            /* The client hung up: nobody to answer. */
            json_object_set_new(r->log, "client", json_string("gone"));
            r->client_gone = true;
        } else {
            r->reply_status = MHD_HTTP_OK;
            r->reply = api_run_response(r->id, &r->job, &res);
            if (!r->reply) {
                api_error err = {0};
                api_error_set(&err, 500, "internal", NULL, "out of memory building the response");
                r->reply_status = 500;
                r->reply = api_error_body(&err);
            }
        }
        job_result_free(&res);
    }
    job_request_free(&r->job);
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
        request *r = s->head;
        s->head = r->next;
        if (!s->head)
            s->tail = NULL;
        r->next = NULL;
        pthread_mutex_unlock(&s->lock);
        judge_request(s, r);
        /* Publish the result before resuming: the connection's thread reads
         * it when libmicrohttpd calls the handler again. */
        pthread_mutex_lock(&s->lock);
        r->judged = true;
        MHD_resume_connection(r->conn);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* The body is in: validate, admit, and hand the request to an executor. */
static enum MHD_Result serve_run(struct MHD_Connection *conn, request *r, http_server *s)
{
    app *a = s->app;
    api_error err = {0};
    int rc = api_parse_run(r->body ? r->body : "", r->len, a->config, a->langs, &r->job, &err);
    free(r->body);                /* not needed past parsing */
    r->body = NULL;
    r->cap = 0;
    if (rc < 0)
        return send_error(conn, r, &err, NULL, NULL);
    json_object_set_new(r->log, "language", json_string(r->job.lang->id));
    json_object_set_new(r->log, "tests", json_integer((json_int_t)r->job.ntests));

    r->ticket = pool_admit(a->pool);
    if (!r->ticket) {
        job_request_free(&r->job);
        if (errno != EAGAIN)
            return fail(conn, r, 500, "internal", NULL, "admit request: %s", strerror(errno));
        char retry[16];
        snprintf(retry, sizeof retry, "%u", a->config->retry_after_s);
        api_error_set(&err, 503, "queue_full", NULL,
                      "all %u slots are busy and %u requests are queued; retry later",
                      a->config->slots, a->config->queue);
        return send_error(conn, r, &err, retry, NULL);
    }
    r->conn = conn;
    r->client_fd = client_fd(conn);
    MHD_suspend_connection(conn);
    pthread_mutex_lock(&s->lock);
    r->admitted = true;
    s->inflight++;
    if (s->tail)
        s->tail->next = r;
    else
        s->head = r;
    s->tail = r;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->lock);
    return MHD_YES;
}

/* ---- the MHD callbacks ---- */

static route find_route(const char *url, const char **method)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(url, routes[i].path) == 0) {
            *method = routes[i].method;
            return routes[i].route;
        }
    }
    return ROUTE_NONE;
}

static enum MHD_Result first_call(struct MHD_Connection *conn, request *r, http_server *s,
                                  const char *url, const char *method)
{
    app *a = s->app;
    const char *allowed = NULL;
    r->route = find_route(url, &allowed);
    if (r->route == ROUTE_NONE)
        return fail(conn, r, 404, "not_found", NULL, "no such endpoint: %s", url);
    bool ok = strcmp(method, allowed) == 0 ||
              (strcmp(allowed, "GET") == 0 && strcmp(method, "HEAD") == 0);
    if (!ok) {
        api_error err = {0};
        api_error_set(&err, 405, "method_not_allowed", NULL, "%s takes %s, not %s", url, allowed,
                      method);
        return send_error(conn, r, &err, NULL, strcmp(allowed, "GET") == 0 ? "GET, HEAD" : allowed);
    }
    switch (r->route) {
    case ROUTE_LANGUAGES:
        return send_text(conn, r, MHD_HTTP_OK, s->languages_body, s->languages_len,
                         MHD_RESPMEM_PERSISTENT, NULL, NULL);
    case ROUTE_LIMITS:
        return send_text(conn, r, MHD_HTTP_OK, s->limits_body, s->limits_len,
                         MHD_RESPMEM_PERSISTENT, NULL, NULL);
    case ROUTE_HEALTH:
        return serve_health(conn, r, a);
    case ROUTE_RUN:
    case ROUTE_NONE:
        break;
    }
    /* POST /v1/run: refuse an announced oversized body before reading it. */
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && *end == '\0' && n > a->config->max_body_bytes)
            return fail(conn, r, 413, "too_large", NULL,
                        "request body of %llu bytes is over the maximum of %zu", n,
                        a->config->max_body_bytes);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_server *server = cls;
    app *a = server->app;
    request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->log = json_object();
        if (!r->log) {
            free(r);
            return MHD_NO;
        }
        new_request_id(r->id);
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        json_object_set_new(r->log, "id", json_string(r->id));
        json_object_set_new(r->log, "method", json_string(method));
        json_object_set_new(r->log, "path", json_string(url));
        *con_cls = r;
        return first_call(conn, r, server, url, method);
    }
    if (r->judged) {
        /* Resumed by the executor that judged it. */
        if (r->client_gone)
            return MHD_NO;           /* close; nobody is listening */
        json_t *reply = r->reply;
        r->reply = NULL;
        return send_json(conn, r, r->reply_status, reply, NULL, NULL);
    }
    if (r->admitted) {
        *upload_data_size = 0;       /* suspended; not expected to be called */
        return MHD_YES;
    }
    if (r->responded) {
        /* Answered early (404, 405, 413): discard whatever still comes. */
        *upload_data_size = 0;
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
        if (r->too_large || n > a->config->max_body_bytes - r->len) {
            /* A body without Content-Length went over the maximum.  This
             * libmicrohttpd only answers once the body is in, so drop what
             * we have and discard the rest, up to as much again; past that
             * the client gets no answer, only a closed connection. */
            free(r->body);
            r->body = NULL;
            r->cap = 0;
            r->too_large = true;
            r->discarded += n;
            if (r->discarded > a->config->max_body_bytes) {
                json_object_set_new(r->log, "error", json_string("too_large"));
                return MHD_NO;
            }
            return MHD_YES;
        }
        if (r->len + n > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n)
                cap *= 2;
            if (cap > a->config->max_body_bytes)
                cap = a->config->max_body_bytes;
            char *body = realloc(r->body, cap);
            if (!body)
                return fail(conn, r, 500, "internal", NULL, "out of memory reading the body");
            r->body = body;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }
    if (r->too_large)
        return fail(conn, r, 413, "too_large", NULL,
                    "request body is over the maximum of %zu bytes", a->config->max_body_bytes);
    return serve_run(conn, r, server);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode why)
{
    http_server *server = cls;
    (void)conn;
    request *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (r->admitted) {
        pthread_mutex_lock(&server->lock);
        if (--server->inflight == 0)
            pthread_cond_broadcast(&server->idle);
        pthread_mutex_unlock(&server->lock);
    }
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
    log_json("info", line);
    json_decref(r->reply);
    free(r->body);
    free(r);
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

/* libmicrohttpd's polling threads: handlers only parse and answer, judging
 * happens on executors, so two are plenty. */
#define HTTP_THREADS 2

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
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->languages_body = json_text(api_languages_body(a->langs), &s->languages_len);
    s->limits_body = json_text(api_limits_body(a->config, a->langs), &s->limits_len);
    if (!s->languages_body || !s->limits_body) {
        snprintf(error, size, "start HTTP server: out of memory");
        goto fail;
    }
    /* One executor per request that may be admitted at once; the pool
     * refuses more (max_outstanding), so none ever waits for an executor. */
    s->nexecutors = executors_for(a->config);
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
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)a->config->connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)a->config->connection_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
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

/* Stop the executors (each finishes the request it holds) and free. */
static void free_server(http_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->started; i++)
        pthread_join(s->executors[i], NULL);
    free(s->executors);
    free(s->languages_body);
    free(s->limits_body);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->idle);
    free(s);
}

void http_stop(http_server *s)
{
    if (!s)
        return;
    /* Stop accepting, let every admitted request be judged and answered,
     * then stop libmicrohttpd (it must not hold suspended connections). */
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    pthread_mutex_lock(&s->lock);
    while (s->inflight > 0)
        pthread_cond_wait(&s->idle, &s->lock);
    pthread_mutex_unlock(&s->lock);
    MHD_stop_daemon(s->daemon);
    free_server(s);
}
