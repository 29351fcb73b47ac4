/*
 * pattern.h - route patterns (see route.h): exact paths, {name} segments
 * and a trailing '*' segment for a prefix.  Pure string work, no HTTP, so
 * it is tested alone (tests/unit/test_routes.c).
 */
#ifndef JUDGEBOX_PATTERN_H
#define JUDGEBOX_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_PARAMS 4

typedef struct http_params {
    struct {
        const char *name;         /* in the pattern, not NUL-terminated */
        size_t name_len;
        char *value;              /* malloc'd */
    } p[HTTP_MAX_PARAMS];
    unsigned n;
    const char *rest;             /* the '*' part: a suffix of the path */
} http_params;

/* Does `path` match `pattern`?  When `out` is given, the parameters go
 * there (free them with http_params_clear; on no match nothing is kept). */
bool http_pattern_match(const char *pattern, const char *path, http_params *out);
/* A {name} value, or the '*' rest for "*"; NULL when absent. */
const char *http_params_get(const http_params *params, const char *name);
void http_params_clear(http_params *params);

#endif
