/*
 * ops_http.h - this room's endpoints (route.h handlers): GET /metrics and
 * GET /v1/openapi.json.
 */
#ifndef JUDGEBOX_OPS_HTTP_H
#define JUDGEBOX_OPS_HTTP_H

#include "route.h"

void ops_metrics_handler(http_request *req);
void ops_openapi_handler(http_request *req);

#endif
