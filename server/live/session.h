/*
 * session.h - interactive sessions over WebSocket (GET /v1/ws, and
 * /api/v2/connect for Piston's clients): the upgrade handler, and the
 * threads made at startup that serve every session -- one I/O thread that
 * owns the sockets (frames in and out, stdin, signals, idle and total
 * limits) and runner threads that judge a session's program through the
 * worker pool with its stdin a pipe the I/O thread writes to.
 */
#ifndef JUDGEBOX_SESSION_H
#define JUDGEBOX_SESSION_H

#include <stddef.h>

#include "http.h"
#include "route.h"

/* Seconds: the init message must come within; a session with no message
 * from the client and no output for; the whole session's cap beyond its
 * compile and run wall limits. */
#define LIVE_INIT_TIMEOUT_S 10
#define LIVE_IDLE_TIMEOUT_S 60
#define LIVE_TOTAL_SLACK_S 30

typedef struct live_sessions live_sessions;

/* Start the session threads (runners: at most this many programs at once;
 * more sessions wait in the pool's queue like any request). */
int live_sessions_start(app *a, unsigned runners, live_sessions **out, char *error, size_t error_size);
/* End every session (their runs are cancelled), join the threads, free.
 * Before http_stop: libmicrohttpd must not hold upgraded sockets then. */
void live_sessions_stop(live_sessions *l);

/* Route handler: GET /v1/ws and GET /api/v2/connect. */
void live_ws(http_request *req);

#endif
