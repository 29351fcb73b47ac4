/*
 * route.h - how a room serves HTTP: one line in the route table
 * (routes.c) naming a method, a path pattern and a handler living in the
 * room, and the small interface a handler sees.  A handler never touches
 * libmicrohttpd: it reads the request through the accessors below and
 * answers with exactly one http_reply_* call, either at once (on the
 * libmicrohttpd thread: answer fast, never block) or from slow work it hands
 * to an executor thread with http_defer (judging, store I/O, compiling).
 *
 * Patterns: "/v1/run" (exact), "/v1/runs/{id}" (a {name} matches one
 * non-empty segment, read with http_param(req, "id")), and a pattern ending
 * in a '*' segment, "/submissions/" "*" (a prefix: "/submissions" and every
 * path below it; the rest, without the leading '/', is http_param(req,
 * "*"), "" for the bare prefix).
 * Methods: "GET" also answers HEAD; "*" takes every method (the handler
 * decides).  A path that matches some route but not its method gets 405
 * with Allow; no match at all gets 404.  Routes are tried in table order.
 */
#ifndef JUDGEBOX_ROUTE_H
#define JUDGEBOX_ROUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api.h"
#include "http.h"

typedef struct http_request http_request;

/* Called once the whole body is in (on a libmicrohttpd thread). */
typedef void (*http_handler)(http_request *req);
/* Slow work on an executor thread; it must reply (or hang up). */
typedef void (*http_work)(http_request *req, void *cls);

typedef struct http_route {
    const char *method;           /* "GET", "POST", "PUT", "DELETE", ... or "*" */
    const char *pattern;
    http_handler handler;
    size_t max_body;              /* bytes; 0: the server's max_body_bytes */
} http_route;

/* routes.c: the table, in match order. */
extern const http_route http_routes[];
extern const size_t http_route_count;

/* Routes whose body is spooled to an unnamed file (O_TMPFILE under the
 * state directory) instead of memory: uploads far bigger than any JSON
 * body.  Their cap comes from the config (max_body is ignored); the
 * handler reads the body with http_body_fd. */
typedef struct http_spooled_route {
    const char *method, *pattern;
    uint64_t (*max_body)(const server_config *config);
} http_spooled_route;
extern const http_spooled_route http_spooled_routes[];
extern const size_t http_spooled_route_count;

/* ---- the request (valid until the reply is sent) ---- */
app *http_app(const http_request *req);
const char *http_method(const http_request *req);
const char *http_path(const http_request *req);            /* without the query */
const char *http_param(const http_request *req, const char *name);   /* NULL when absent */
/* Query parameters and headers: read them in the handler, not in deferred
 * work (save what the work needs). */
const char *http_query(const http_request *req, const char *name);
const char *http_header(const http_request *req, const char *name);
const char *http_body(const http_request *req, size_t *len);        /* "" when none */
/* A spooled route's body: a read-only file positioned at 0 (owned by the
 * request, closed with it), and its size; -1 for other routes. */
int http_body_fd(const http_request *req, uint64_t *len);
/* The client's address ("127.0.0.1", "::1") and the request's id (also in
 * X-Request-Id and the log line). */
const char *http_client(const http_request *req);
/* Who the client is for fairness and quotas: its token's name when it
 * authenticated, else its address. */
const char *http_client_key(const http_request *req);
const char *http_request_id(const http_request *req);
/* The client's socket, to watch for a hang-up while working (poll
 * POLLRDHUP); never read or write it. */
int http_client_fd(const http_request *req);
/* True once shutdown began (new work is refused, running work may be
 * cancelled after the drain time: answer 503 shutting_down then). */
bool http_shutting_down(const http_request *req);
/* For pool_ticket_set_probe(ticket, http_probe_half_close, req): told that
 * the client shut its sending side, tell whether it is gone (1) or only
 * half-closed and still reading (0), by sending it an interim
 * "102 Processing" that a closed peer answers with a reset. */
int http_probe_half_close(void *req);
/* Fields added to this request's log line ({"language": ...}). */
void http_log_set(http_request *req, const char *key, json_t *value);   /* steals value */
/* The request failed on the server's side (even when answered 200, as a
 * run's internal_error is): its line is logged at level error with
 * "cause".  5xx answers are logged at level error anyway. */
void http_log_cause(http_request *req, const char *cause);

/* ---- the reply: exactly one per request ---- */
/* Extra response headers; call before the reply. */
void http_reply_header(http_request *req, const char *name, const char *value);
/* JSON body (steals the reference), served as application/json. */
void http_reply_json(http_request *req, unsigned status, json_t *body);
/* {"error": {...}} with err's status; logs the code.  Also the 503/retry
 * helper: http_reply_header(req, "Retry-After", "1") first. */
void http_reply_error(http_request *req, const api_error *err);
void http_reply_errorf(http_request *req, int status, const char *code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Raw bytes: `free_body` NULL means the bytes outlive the server (static
 * or built at startup); otherwise it is called on them when sent. */
void http_reply_raw(http_request *req, unsigned status, const char *content_type,
                    const void *body, size_t len, void (*free_body)(void *));
/* A body produced piece by piece as the client reads it, never whole in
 * memory: `read` fills up to `max` bytes at `pos` and returns the count,
 * 0 at the end (HTTP_STREAM_UNKNOWN size: chunked) or -1 to abort the
 * connection; `done` frees `cls` when the response is finished with. */
#define HTTP_STREAM_UNKNOWN UINT64_MAX
typedef ssize_t (*http_stream_read)(void *cls, uint64_t pos, char *buf, size_t max);
void http_reply_stream(http_request *req, unsigned status, const char *content_type,
                       uint64_t size, http_stream_read read, void *cls, void (*done)(void *cls));
/* Replies that start before the work ends (server/live/: streamed runs).
 * From deferred work, after http_reply_stream: send the reply now and
 * keep working; the work's return then sends nothing more.  The request
 * stays valid for the work until it returns, even when the client went
 * away meanwhile (stream `done` has run by then: stop producing).
 * A stream's `read` may return HTTP_STREAM_WAIT, having called
 * http_stream_park(req) from inside `read`: the connection sleeps until
 * http_stream_wake(req) (any thread; call both under one lock of yours,
 * so no wake is lost). */
void http_reply_now(http_request *req);
#define HTTP_STREAM_WAIT ((ssize_t)-2)
void http_stream_park(http_request *req);
void http_stream_wake(http_request *req);
/* 101 Switching Protocols (WebSocket, server/live/): once sent, `upgraded`
 * gets the raw socket on a libmicrohttpd thread, with any bytes the client
 * sent ahead (`extra`); it must take them and return at once.  The socket
 * is then the callee's until http_upgraded_close(handle) (any thread; never
 * close the fd itself).  Headers (Upgrade, Sec-WebSocket-Accept) with
 * http_reply_header first. */
typedef struct http_upgraded http_upgraded;
typedef void (*http_upgrade_fn)(void *cls, int fd, const char *extra, size_t extra_len, http_upgraded *handle);
void http_reply_upgrade(http_request *req, http_upgrade_fn upgraded, void *cls);
void http_upgraded_close(http_upgraded *handle);
/* Close the connection without an answer (the client went away). */
void http_hang_up(http_request *req);

/* A handler (or its work) that judged tells what the judging used: the
 * client's CPU quota is charged with it (server/ops). */
void http_judged(http_request *req, const job_result *result);

/* ---- slow work ---- */
/* Suspend the connection and run work(req, cls) on an executor thread; the
 * reply it makes is sent when it returns.  `cls` is the work's to free.
 * Returns 0, or -1 when the server is stopping (reply 503 yourself).
 * Executors are shared: /v1/run holds at most slots + queue of them, and a
 * few spare ones serve other rooms' work. */
int http_defer(http_request *req, http_work work, void *cls);

#endif
