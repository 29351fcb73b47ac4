/*
 * auth.h - who may call the server: the token file (--auth-token-file),
 * the scope each endpoint needs, and the check of one request's
 * credentials (`Authorization: Bearer T` or `X-Auth-Token: T`).
 *
 * Token file: one token per line, `TOKEN NAME SCOPES [KEY=VALUE...]`;
 * SCOPES is a comma list of read, run, metrics, admin (admin implies every
 * other, run implies read); the optional KEY=VALUE fields override the
 * server's quotas for that token (concurrent=N, runs_per_second=R,
 * cpu_seconds_per_minute=C; 0 = unlimited).  `#` starts a comment.
 * Tokens are kept only as SHA-256 digests and every presented credential
 * is compared with every digest in constant time, so neither the position
 * of a mismatch nor which token matched shows in the timing.
 *
 * For other rooms (the Judge0/Piston layer in server/compat/ answers
 * 401/403 with empty bodies, as Judge0 does): call auth_authorize() with
 * the request's method, path and the two header values; it returns 0,
 * 401 or 403 and says which token it was.  The native API's JSON errors
 * are made by server/http from the same decision.
 */
#ifndef JUDGEBOX_AUTH_H
#define JUDGEBOX_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "quota.h"

enum {
    AUTH_SCOPE_READ = 1u << 0,     /* GET of languages, limits, problems, runs, the API document */
    AUTH_SCOPE_RUN = 1u << 1,      /* submit work (POST), cancel it (DELETE) */
    AUTH_SCOPE_METRICS = 1u << 2,  /* GET /metrics */
    AUTH_SCOPE_ADMIN = 1u << 3,    /* change problems; implies every scope */
};

/* Endpoints that may be made open (no token) with --auth-open. */
enum {
    AUTH_OPEN_HEALTH = 1u << 0,    /* /v1/health (and Judge0's /about-style probes) */
    AUTH_OPEN_METRICS = 1u << 1,   /* /metrics */
    AUTH_OPEN_OPENAPI = 1u << 2,   /* /v1/openapi.json */
    AUTH_OPEN_PLAYGROUND = 1u << 3, /* GET / and the page's files (set by serve while the page is on) */
};
#define AUTH_OPEN_DEFAULT AUTH_OPEN_HEALTH

#define AUTH_NAME_MAX 64

typedef struct auth_token {
    unsigned char digest[32];      /* SHA-256 of the token */
    char name[AUTH_NAME_MAX];      /* for logs, metrics and quotas; never the token */
    unsigned scopes;               /* AUTH_SCOPE_* after implications */
    quota_limits quota;            /* per-token overrides ... */
    unsigned quota_set;            /* ... QUOTA_SET_* bits say which */
} auth_token;

typedef struct auth_table {
    auth_token *tokens;
    size_t count;
} auth_table;

/* Read a token file (refused when others may read or write it).  -1 with
 * "FILE:LINE: why" in error. */
int auth_table_load(const char *path, auth_table *out, char *error, size_t error_size);
/* The same from text already read (unit tests, fuzzing); `origin` names it
 * in errors. */
int auth_table_parse(const char *text, size_t len, const char *origin, auth_table *out,
                     char *error, size_t error_size);
void auth_table_free(auth_table *table);

/* "read,run" -> bits; -1 for an unknown name. */
int auth_scopes_parse(const char *list, unsigned *out);
/* "health,metrics" (or "none") -> AUTH_OPEN_* bits; -1 for an unknown name. */
int auth_open_parse(const char *list, unsigned *out);

/* The scope a request needs: 0 when the endpoint is open. */
unsigned auth_required_scope(const char *method, const char *path, unsigned open_mask);

typedef struct auth_decision {
    int status;                    /* 0 (let through), 401 or 403 */
    const auth_token *token;       /* the caller when known (also with 403) */
    const char *code;              /* "unauthorized", "forbidden" */
    char message[200];
    const char *www_authenticate;  /* value of the WWW-Authenticate header (401 and 403) */
} auth_decision;

/* Decide one request.  `table` NULL means authentication is off: every
 * request passes with no token.  `authorization` and `x_auth_token` are
 * the header values or NULL. */
int auth_authorize(const auth_table *table, unsigned open_mask, const char *method, const char *path,
                   const char *authorization, const char *x_auth_token, auth_decision *out);

/* How a 401/403 looks on `path`: the native API (/v1/..., /metrics)
 * answers a JSON error; the compatibility APIs (Judge0's paths, Piston's
 * /api/v2/...) answer with an empty body, as Judge0 does. */
bool auth_refusal_body_empty(const char *path);

/* True when HOST (from HOST:PORT, brackets allowed) is a loopback address
 * or "localhost"; an unauthenticated server listens only there unless
 * --insecure-no-auth. */
bool auth_listen_is_loopback(const char *listen);

#endif
