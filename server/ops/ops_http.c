/*
 * ops_http.c - owns this room's two endpoints: the Prometheus exposition
 * (rendered per scrape from the atomics, metrics.c) and the OpenAPI
 * document (bytes built into the binary, openapi.c; served as they are).
 * Both answer at once on the libmicrohttpd thread: neither blocks.
 */
#include "ops_http.h"

#include <stdlib.h>

#include "metrics.h"
#include "openapi.h"

void ops_metrics_handler(http_request *req)
{
    size_t len = 0;
    char *text = metrics_render(&len);
    if (!text) {
        http_reply_errorf(req, 500, "internal", NULL, "out of memory rendering the metrics");
        return;
    }
    http_reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, free);
}

void ops_openapi_handler(http_request *req)
{
    size_t len = 0;
    const char *doc = openapi_document(&len);
    http_reply_raw(req, 200, "application/json", doc, len, NULL);
}
