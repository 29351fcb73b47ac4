/*
 * routes.c - the route table: every endpoint of the server, one line each,
 * {method, pattern, handler, max body}.  Handlers live in their rooms and
 * are declared in the room's header; see route.h for the patterns and the
 * handler interface.  Add a line, keep the table sorted by room.
 */
#include "route.h"

#include "runs_http.h"
#include "ops_http.h"
#include "v1.h"

const http_route http_routes[] = {
    /* server/api: the native v1 API */
    {"POST", "/v1/run", v1_run, 0},
    {"GET", "/v1/languages", v1_languages, 0},
    {"GET", "/v1/health", v1_health, 0},
    {"GET", "/v1/limits", v1_limits, 0},
    /* server/store: asynchronous runs (POST /v1/run?async=true is v1_run's) */
    {"GET", "/v1/runs/{id}", runs_get, 0},
    {"DELETE", "/v1/runs/{id}", runs_cancel, 0},
    /* server/ops: metrics and the API's description */
    {"GET", "/metrics", ops_metrics_handler, 0},
    {"GET", "/v1/openapi.json", ops_openapi_handler, 0},
};

const size_t http_route_count = sizeof http_routes / sizeof http_routes[0];
