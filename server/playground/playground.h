/*
 * playground.h - the playground page (issue 15, part 6): GET / and
 * GET /playground/{name} serve the page's files, built into the binary
 * from web/playground/ (playground.c); the page itself talks to the
 * server only through the public API.  Off (404) with --no-playground
 * or "playground": false in the config.
 */
#ifndef JUDGEBOX_PLAYGROUND_H
#define JUDGEBOX_PLAYGROUND_H

#include <stddef.h>

#include "route.h"

void playground_index(http_request *req);
void playground_asset(http_request *req);

/* The embedded file served at `path` ("/", "/playground/app.js"), or NULL;
 * its bytes, length and Content-Type, and its gzipped bytes when it has
 * them (gz NULL otherwise). */
typedef struct playground_file {
    const char *path;
    const char *content_type;
    const char *data;
    size_t len;
    const char *gz;
    size_t gz_len;
} playground_file;
const playground_file *playground_find(const char *path);

/* Request headers, as the handlers read them (tests/fuzz/fuzz_playground_headers.c):
 * does If-None-Match `header` (NULL: absent) name `etag` (quoted), and
 * does Accept-Encoding `header` take gzip?  1 or 0. */
int playground_etag_matches(const char *header, const char *etag);
int playground_accepts_gzip(const char *header);

#endif
