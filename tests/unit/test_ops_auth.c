/*
 * test_ops_auth.c - the token file, the endpoint -> scope policy, and the
 * decision for one request (server/ops/auth.c), plus the loopback rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "unit.h"

#define RUNNER "runner-token-0123456789abcdef"
#define READER "reader-token-0123456789abcdef"
#define ADMIN  "admin-token-0123456789abcdefgh"

static int parse(const char *text, auth_table *t, char *err)
{
    return auth_table_parse(text, strlen(text), "tokens", t, err, 256);
}

int main(void)
{
    char err[256];
    auth_table t = {0};
    const char *file =
        "# judgebox tokens\n"
        "\n"
        RUNNER " ci run concurrent=2 runs_per_second=5\n"
        "  " READER "\treader read   # dashboards\n"
        ADMIN " ops admin\r\n";
    CHECK("parse: a valid file", parse(file, &t, err) == 0 && t.count == 3);
    CHECK("parse: names kept", t.count == 3 && strcmp(t.tokens[0].name, "ci") == 0 &&
                                   strcmp(t.tokens[1].name, "reader") == 0 && strcmp(t.tokens[2].name, "ops") == 0);
    CHECK("parse: run implies read", t.count == 3 && t.tokens[0].scopes == (AUTH_SCOPE_RUN | AUTH_SCOPE_READ));
    CHECK("parse: admin implies all", t.count == 3 && (t.tokens[2].scopes & (AUTH_SCOPE_METRICS | AUTH_SCOPE_RUN)) ==
                                                         (AUTH_SCOPE_METRICS | AUTH_SCOPE_RUN));
    CHECK("parse: quota overrides", t.count == 3 && t.tokens[0].quota.concurrent == 2 &&
                                        t.tokens[0].quota.runs_per_second == 5 &&
                                        t.tokens[0].quota_set == (QUOTA_SET_CONCURRENT | QUOTA_SET_RUNS));
    CHECK("parse: token text not kept", t.count == 3 && !memmem(t.tokens, t.count * sizeof *t.tokens, RUNNER, 10));

    auth_table bad = {0};
    CHECK("parse: short token refused", parse("short ci run\n", &bad, err) < 0 && strstr(err, "tokens:1:"));
    CHECK("parse: unknown scope refused", parse(RUNNER " ci rnu\n", &bad, err) < 0 && strstr(err, "rnu"));
    CHECK("parse: missing scopes refused", parse(RUNNER " ci\n", &bad, err) < 0 && strstr(err, "no scopes"));
    CHECK("parse: duplicate token refused", parse(RUNNER " a run\n" RUNNER " b run\n", &bad, err) < 0 &&
                                                strstr(err, "tokens:2:"));
    CHECK("parse: duplicate name refused", parse(RUNNER " a run\n" READER " a read\n", &bad, err) < 0);
    CHECK("parse: bad quota key refused", parse(RUNNER " a run speed=3\n", &bad, err) < 0 && strstr(err, "speed"));
    CHECK("parse: bad quota value refused", parse(RUNNER " a run concurrent=-1\n", &bad, err) < 0);
    CHECK("parse: empty file refused", parse("# nothing\n\n", &bad, err) < 0 && strstr(err, "no tokens"));
    CHECK("parse: odd token bytes refused", parse("token-with-\"quote\"-in-it ci run\n", &bad, err) < 0);

    /* Policy */
    CHECK("scope: health open by default", auth_required_scope("GET", "/v1/health", AUTH_OPEN_DEFAULT) == 0);
    CHECK("scope: health closed when not open", auth_required_scope("GET", "/v1/health", 0) == AUTH_SCOPE_READ);
    CHECK("scope: metrics needs metrics", auth_required_scope("GET", "/metrics", AUTH_OPEN_DEFAULT) == AUTH_SCOPE_METRICS);
    CHECK("scope: metrics open", auth_required_scope("GET", "/metrics", AUTH_OPEN_METRICS) == 0);
    CHECK("scope: run needs run", auth_required_scope("POST", "/v1/run", AUTH_OPEN_DEFAULT) == AUTH_SCOPE_RUN);
    CHECK("scope: judge0 submissions need run", auth_required_scope("POST", "/submissions", 0) == AUTH_SCOPE_RUN);
    CHECK("scope: languages need read", auth_required_scope("GET", "/v1/languages", 0) == AUTH_SCOPE_READ);
    CHECK("scope: problem upload needs admin", auth_required_scope("POST", "/v1/problems", 0) == AUTH_SCOPE_ADMIN);
    CHECK("scope: problem delete needs admin", auth_required_scope("DELETE", "/v1/problems/x", 0) == AUTH_SCOPE_ADMIN);
    CHECK("scope: the playground page is open while on",
          auth_required_scope("GET", "/", AUTH_OPEN_PLAYGROUND) == 0 &&
              auth_required_scope("GET", "/playground/app.js", AUTH_OPEN_PLAYGROUND) == 0);
    CHECK("scope: the playground page needs read when off",
          auth_required_scope("GET", "/", AUTH_OPEN_DEFAULT) == AUTH_SCOPE_READ);
    CHECK("scope: only GET of the page is open", auth_required_scope("POST", "/", AUTH_OPEN_PLAYGROUND) == AUTH_SCOPE_RUN);
    CHECK("scope: the page does not open the API under it",
          auth_required_scope("GET", "/v1/languages", AUTH_OPEN_PLAYGROUND) == AUTH_SCOPE_READ);
    unsigned open;
    CHECK("open: list parsed", auth_open_parse("health,metrics,openapi", &open) == 0 && open == 7);
    CHECK("open: none", auth_open_parse("none", &open) == 0 && open == 0);
    CHECK("open: unknown refused", auth_open_parse("health,run", &open) < 0);
    CHECK("open: empty item refused", auth_open_parse("health,", &open) < 0);

    /* Decisions */
    auth_decision d;
    CHECK("auth off: passes", auth_authorize(NULL, 0, "POST", "/v1/run", NULL, NULL, &d) == 0);
    CHECK("no credential: 401", auth_authorize(&t, AUTH_OPEN_DEFAULT, "POST", "/v1/run", NULL, NULL, &d) == 401 &&
                                    strcmp(d.code, "unauthorized") == 0 && d.www_authenticate);
    CHECK("bearer: passes", auth_authorize(&t, 1, "POST", "/v1/run", "Bearer " RUNNER, NULL, &d) == 0 &&
                                d.token == &t.tokens[0]);
    CHECK("bearer: scheme case-insensitive", auth_authorize(&t, 1, "POST", "/v1/run", "bearer  " RUNNER " ", NULL, &d) == 0);
    CHECK("x-auth-token: passes", auth_authorize(&t, 1, "POST", "/v1/run", NULL, RUNNER, &d) == 0 && d.token == &t.tokens[0]);
    CHECK("wrong token: 401 invalid_token",
          auth_authorize(&t, 1, "POST", "/v1/run", "Bearer " RUNNER "x", NULL, &d) == 401 &&
              strstr(d.www_authenticate, "invalid_token"));
    CHECK("prefix of a token: 401", auth_authorize(&t, 1, "POST", "/v1/run", NULL, "runner-token-0123", &d) == 401);
    CHECK("basic scheme: 401", auth_authorize(&t, 1, "POST", "/v1/run", "Basic Zm9vOmJhcg==", NULL, &d) == 401 &&
                                   strstr(d.message, "Bearer"));
    CHECK("read token on run: 403", auth_authorize(&t, 1, "POST", "/v1/run", "Bearer " READER, NULL, &d) == 403 &&
                                        strcmp(d.code, "forbidden") == 0 && d.token == &t.tokens[1] &&
                                        strstr(d.message, "'run'"));
    CHECK("run token on metrics: 403", auth_authorize(&t, 1, "GET", "/metrics", NULL, RUNNER, &d) == 403);
    CHECK("admin token on metrics", auth_authorize(&t, 1, "GET", "/metrics", NULL, ADMIN, &d) == 0);
    CHECK("open health: no token", auth_authorize(&t, 1, "GET", "/v1/health", NULL, NULL, &d) == 0 && !d.token);
    CHECK("open health: wrong token still passes", auth_authorize(&t, 1, "GET", "/v1/health", NULL, "nope", &d) == 0);
    CHECK("bearer wins over x-auth-token",
          auth_authorize(&t, 1, "POST", "/v1/run", "Bearer " READER, RUNNER, &d) == 403);
    auth_table_free(&t);

    CHECK("refusal body: native JSON", !auth_refusal_body_empty("/v1/run") && !auth_refusal_body_empty("/metrics"));
    CHECK("refusal body: Judge0 empty", auth_refusal_body_empty("/submissions") &&
                                            auth_refusal_body_empty("/languages/4"));

    /* Loopback rule */
    CHECK("loopback: 127.0.0.1", auth_listen_is_loopback("127.0.0.1:8080"));
    CHECK("loopback: 127.1.2.3", auth_listen_is_loopback("127.1.2.3:0"));
    CHECK("loopback: [::1]", auth_listen_is_loopback("[::1]:8080"));
    CHECK("loopback: localhost", auth_listen_is_loopback("localhost:8080"));
    CHECK("not loopback: 0.0.0.0", !auth_listen_is_loopback("0.0.0.0:8080"));
    CHECK("not loopback: [::]", !auth_listen_is_loopback("[::]:8080"));
    CHECK("not loopback: empty host", !auth_listen_is_loopback(":8080"));
    CHECK("not loopback: a name", !auth_listen_is_loopback("judge.example:8080"));

    /* The file on disk: mode checked */
    char path[] = "/tmp/judgebox-tokens-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        const char *line = RUNNER " ci run\n";
        CHECK("load: write", write(fd, line, strlen(line)) == (ssize_t)strlen(line));
        close(fd);
        chmod(path, 0600);
        CHECK("load: 0600 accepted", auth_table_load(path, &t, err, sizeof err) == 0 && t.count == 1);
        auth_table_free(&t);
        chmod(path, 0644);
        CHECK("load: world-readable refused", auth_table_load(path, &t, err, sizeof err) < 0 && strstr(err, "chmod"));
        unlink(path);
    }
    CHECK("load: missing file", auth_table_load("/nonexistent/tokens", &t, err, sizeof err) < 0 &&
                                    strstr(err, "No such file"));
    UNIT_EXIT();
}
