/*
 * routes.c - the route table: every endpoint of the server, one line each,
 * {method, pattern, handler, max body}.  Handlers live in their rooms and
 * are declared in the room's header; see route.h for the patterns and the
 * handler interface.  Add a line, keep the table sorted by room.
 */
#include "route.h"

#include "compat.h"
#include "runs_http.h"
#include "ops_http.h"
#include "playground.h"
#include "problems_http.h"
#include "session.h"
#include "v1.h"

const http_route http_routes[] = {
    /* server/api: the native v1 API */
    {"POST", "/v1/run", v1_run, 0},
    {"GET", "/v1/languages", v1_languages, 0},
    {"GET", "/v1/health", v1_health, 0},
    {"GET", "/v1/limits", v1_limits, 0},
    /* server/live: interactive sessions (WebSocket) */
    {"GET", "/v1/ws", live_ws, 0},
    {"GET", "/api/v2/connect", live_ws, 0},
    /* server/store: asynchronous runs (POST /v1/run?async=true is v1_run's) */
    {"GET", "/v1/runs/{id}", runs_get, 0},
    {"DELETE", "/v1/runs/{id}", runs_cancel, 0},
    /* server/ops: metrics and the API's description */
    {"GET", "/metrics", ops_metrics_handler, 0},
    {"GET", "/v1/openapi.json", ops_openapi_handler, 0},
    /* server/compat: Judge0 CE 1.13.1 (docs/compat.md) */
    {"POST", "/submissions/batch", judge0_batch_create, 0},
    {"GET", "/submissions/batch", judge0_batch_show, 0},
    {"POST", "/submissions", judge0_create, 0},
    {"GET", "/submissions", judge0_index, 0},
    {"GET", "/submissions/{token}", judge0_show, 0},
    {"DELETE", "/submissions/{token}", judge0_delete, 0},
    {"GET", "/languages", judge0_languages, 0},
    {"GET", "/languages/all", judge0_languages_all, 0},
    {"GET", "/languages/{id}", judge0_language_show, 0},
    {"GET", "/statuses", judge0_statuses, 0},
    {"GET", "/about", judge0_about, 0},
    {"GET", "/version", judge0_version, 0},
    {"GET", "/config_info", judge0_config_info, 0},
    {"GET", "/workers", judge0_workers, 0},
    {"GET", "/system_info", judge0_system_info, 0},
    {"GET", "/statistics", judge0_statistics, 0},
    /* server/compat: Piston v2 */
    {"POST", "/api/v2/execute", piston_execute, 0},
    {"GET", "/api/v2/runtimes", piston_runtimes, 0},
    {"*", "/api/v2/packages", piston_packages, 0},
    /* server/problems: problem packages (issue 9) */
    {"POST", "/v1/problems", problems_post, 0},
    {"GET", "/v1/problems", problems_list, 0},
    {"GET", "/v1/problems/{id}", problems_get, 0},
    {"DELETE", "/v1/problems/{id}", problems_delete, 0},
    /* server/playground: the page at / (issue 15) */
    {"GET", "/", playground_index, 0},
    {"GET", "/playground/{name}", playground_asset, 0},
};

const size_t http_route_count = sizeof http_routes / sizeof http_routes[0];

const http_spooled_route http_spooled_routes[] = {
    {"POST", "/v1/problems", problems_max_body},
};

const size_t http_spooled_route_count = sizeof http_spooled_routes / sizeof http_spooled_routes[0];
