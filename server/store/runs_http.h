/*
 * runs_http.h - the native asynchronous endpoints (route handlers, listed
 * in server/http/routes.c): POST /v1/run?async=true stores the run and
 * answers 202 {"id", "state"}; GET /v1/runs/{id} answers its state and,
 * once done, its result; DELETE /v1/runs/{id} cancels it.
 */
#ifndef JUDGEBOX_RUNS_HTTP_H
#define JUDGEBOX_RUNS_HTTP_H

#include <stddef.h>

#include "api.h"
#include "route.h"

/* The ?async= of POST /v1/run: 1 asynchronous ("true", "1"), 0 not
 * (absent, "false", "0"), -1 when it was neither (a 400 was sent). */
int runs_async_flag(http_request *req);
void runs_submit(http_request *req);    /* POST /v1/run?async=true */

/* Take callback_url out of an asynchronous /v1/run body (pure; fuzzed):
 * *request gets the text to store and to validate as a /v1/run body (the
 * body as it was when it is not a JSON object holding callback_url, so
 * that api_parse_run gives its usual error), *callback_url the URL or NULL.
 * 0, or -1 with err: 400 wrong_type, 422 invalid_callback_url, 500. */
int runs_split_body(const char *body, size_t len, unsigned max_json_depth, char **request,
                    size_t *request_len, char **callback_url, api_error *err);
void runs_get(http_request *req);       /* GET /v1/runs/{id} */
void runs_cancel(http_request *req);    /* DELETE /v1/runs/{id} */

#endif
