/*
 * test_routes.c - route patterns (server/http/pattern.c) and the route
 * table (server/http/routes.c): exact paths, {name} segments, '*' prefixes.
 */
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "route.h"
#include "unit.h"

static int param_is(const http_params *p, const char *name, const char *want)
{
    const char *got = http_params_get(p, name);
    return got && strcmp(got, want) == 0;
}

int main(void)
{
    http_params p = {0};
    CHECK("exact path matches", http_pattern_match("/v1/run", "/v1/run", NULL));
    CHECK("exact path: longer path does not", !http_pattern_match("/v1/run", "/v1/runs", NULL));
    CHECK("exact path: shorter path does not", !http_pattern_match("/v1/run", "/v1/ru", NULL));
    CHECK("exact path: trailing slash does not", !http_pattern_match("/v1/run", "/v1/run/", NULL));

    CHECK("{id} matches one segment", http_pattern_match("/v1/runs/{id}", "/v1/runs/abc123", &p));
    CHECK("{id} value", param_is(&p, "id", "abc123"));
    CHECK("{id}: unknown name is NULL", http_params_get(&p, "nope") == NULL);
    CHECK("{id} needs a non-empty segment", !http_pattern_match("/v1/runs/{id}", "/v1/runs/", NULL));
    CHECK("{id} is one segment only", !http_pattern_match("/v1/runs/{id}", "/v1/runs/a/b", NULL));
    CHECK("two params", http_pattern_match("/p/{pid}/t/{tid}", "/p/aplusb/t/7", &p));
    CHECK("two params: first", param_is(&p, "pid", "aplusb"));
    CHECK("two params: second", param_is(&p, "tid", "7"));
    CHECK("param then literal tail", http_pattern_match("/v1/runs/{id}/events", "/v1/runs/x/events", &p) &&
                                         param_is(&p, "id", "x"));
    CHECK("no match keeps nothing", !http_pattern_match("/v1/runs/{id}/events", "/v1/runs/x/other", &p));
    CHECK("no match leaves the earlier params as they were", param_is(&p, "id", "x"));

    CHECK("prefix matches below", http_pattern_match("/submissions/*", "/submissions/12/x", &p));
    CHECK("prefix rest", param_is(&p, "*", "12/x"));
    CHECK("prefix matches itself", http_pattern_match("/submissions/*", "/submissions", &p));
    CHECK("prefix itself: empty rest", param_is(&p, "*", ""));
    CHECK("prefix with slash: empty rest", http_pattern_match("/submissions/*", "/submissions/", &p) &&
                                               param_is(&p, "*", ""));
    CHECK("prefix is a whole segment", !http_pattern_match("/submissions/*", "/submissionsX", NULL));
    http_params_clear(&p);

    /* The table: every pattern well formed, the v1 endpoints present. */
    int v1 = 0;
    for (size_t i = 0; i < http_route_count; i++) {
        const http_route *rt = &http_routes[i];
        CHECK("route has a method, a /pattern and a handler",
              rt->method && rt->pattern && rt->pattern[0] == '/' && rt->handler);
        if (strcmp(rt->pattern, "/v1/run") == 0 || strcmp(rt->pattern, "/v1/health") == 0)
            v1++;
    }
    CHECK("route table has /v1/run and /v1/health", v1 == 2);
    UNIT_EXIT();
}
