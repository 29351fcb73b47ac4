/*
 * runs_http.h - the native asynchronous endpoints (route handlers, listed
 * in server/http/routes.c): POST /v1/run?async=true stores the run and
 * answers 202 {"id", "state"}; GET /v1/runs/{id} answers its state and,
 * once done, its result; DELETE /v1/runs/{id} cancels it.
 */
#ifndef JUDGEBOX_RUNS_HTTP_H
#define JUDGEBOX_RUNS_HTTP_H

#include "route.h"

/* The ?async= of POST /v1/run: 1 asynchronous ("true", "1"), 0 not
 * (absent, "false", "0"), -1 when it was neither (a 400 was sent). */
int runs_async_flag(http_request *req);
void runs_submit(http_request *req);    /* POST /v1/run?async=true */
void runs_get(http_request *req);       /* GET /v1/runs/{id} */
void runs_cancel(http_request *req);    /* DELETE /v1/runs/{id} */

#endif
