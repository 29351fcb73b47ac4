/*
 * http.h - the HTTP front of `judgebox serve` (libmicrohttpd): routes,
 * body limits, connection lifetime, responses and the per-request log
 * line.  The app struct holds what request handlers share; all of it is
 * read-only after startup except the pool, which is thread-safe.
 */
#ifndef JUDGEBOX_HTTP_H
#define JUDGEBOX_HTTP_H

#include <time.h>

#include "config.h"
#include "judge.h"
#include "langs.h"
#include "queue.h"
#include "sandbox.h"
#include "store.h"

struct ops;

typedef struct app {
    const server_config *config;
    const language_table *langs;
    sandbox_context *context;
    int cgroup_version;
    pool *pool;
    store *store;                 /* asynchronous runs (server/store) */
    struct dispatcher *dispatcher;/* judges the store's jobs, delivers callbacks (NULL: none) */
    struct timespec started;      /* CLOCK_MONOTONIC */
    struct ops *ops;              /* server/ops: auth, quotas (NULL: none) */
    struct live_sessions *live;   /* WebSocket sessions (server/live); NULL: none */
} app;

typedef struct http_server http_server;

/* Requests judged at once (running or queued) are at most slots + queue,
 * capped here; each has an executor thread made at startup. */
#define HTTP_MAX_EXECUTORS 1024
unsigned executors_for(const server_config *config);

/* Listen on config->listen and serve in background threads.  The bound
 * port (useful with port 0) goes to *port. */
int http_start(app *a, http_server **out, unsigned *port, char *error, size_t error_size);
/* Stop accepting, let running requests finish, free. */
void http_stop(http_server *server);

#endif
