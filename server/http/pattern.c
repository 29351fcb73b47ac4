/*
 * pattern.c - matching a request path against a route pattern: "/v1/run"
 * (exact), "/v1/runs/{id}" ({name}: one non-empty segment), a trailing "/"
 * "*" (the prefix itself and every path below it; the rest, without its
 * leading '/', is the "*" parameter).
 */
#include "pattern.h"

#include <stdlib.h>
#include <string.h>

void http_params_clear(http_params *params)
{
    for (unsigned i = 0; i < params->n; i++)
        free(params->p[i].value);
    params->n = 0;
    params->rest = NULL;
}

bool http_pattern_match(const char *pattern, const char *path, http_params *out)
{
    http_params got = {0};
    const char *p = pattern, *u = path;
    bool ok = false;
    while (*p) {
        if (p[0] == '/' && p[1] == '*' && p[2] == '\0') {
            if (*u != '\0' && *u != '/')
                goto done;
            got.rest = *u ? u + 1 : u;
            ok = true;
            goto done;
        }
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t seg = strcspn(u, "/");
            if (!close || seg == 0 || got.n >= HTTP_MAX_PARAMS)
                goto done;
            if (out) {
                char *value = strndup(u, seg);
                if (!value)
                    goto done;
                got.p[got.n].name = p + 1;
                got.p[got.n].name_len = (size_t)(close - p - 1);
                got.p[got.n].value = value;
            }
            got.n++;
            p = close + 1;
            u += seg;
            continue;
        }
        if (*p != *u)
            goto done;
        p++;
        u++;
    }
    ok = *u == '\0';
done:
    if (ok && out) {
        http_params_clear(out);
        *out = got;
    } else if (out) {
        http_params_clear(&got);
    }
    return ok;
}

const char *http_params_get(const http_params *params, const char *name)
{
    if (strcmp(name, "*") == 0)
        return params->rest;
    size_t n = strlen(name);
    for (unsigned i = 0; i < params->n; i++)
        if (params->p[i].name_len == n && memcmp(params->p[i].name, name, n) == 0)
            return params->p[i].value;
    return NULL;
}
