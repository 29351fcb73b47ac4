/*
 * auth.c - owns authentication: parsing the token file, the endpoint ->
 * scope policy, and the decision for one request (auth.h).  Tokens are
 * hashed at load time and the plain text is wiped; a presented token is
 * hashed once and compared with every stored digest by memeql_sec (nettle)
 * without stopping at a match, so the time taken does not depend on which
 * token matched or where a wrong one differs.
 */
#include "auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A token shorter than this is refused at load: guessable. */
#define AUTH_TOKEN_MIN 16
#define AUTH_TOKEN_MAX 512
#define AUTH_FILE_MAX (4u << 20)

static const struct {
    const char *name;
    unsigned bits;
} scope_names[] = {
    {"read", AUTH_SCOPE_READ},
    {"run", AUTH_SCOPE_RUN | AUTH_SCOPE_READ},
    {"metrics", AUTH_SCOPE_METRICS},
    {"admin", AUTH_SCOPE_ADMIN | AUTH_SCOPE_RUN | AUTH_SCOPE_READ | AUTH_SCOPE_METRICS},
};

static const struct {
    const char *name;
    unsigned bits;
} open_names[] = {
    {"health", AUTH_OPEN_HEALTH},
    {"metrics", AUTH_OPEN_METRICS},
    {"openapi", AUTH_OPEN_OPENAPI},
};

/* Split `list` on commas; each item goes through `lookup`. */
static int parse_list(const char *list, unsigned *out, int (*lookup)(const char *, size_t, unsigned *))
{
    unsigned bits = 0;
    const char *p = list;
    if (!*p)
        return -1;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        unsigned b;
        if (n == 0 || lookup(p, n, &b) < 0)
            return -1;
        bits |= b;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = bits;
    return 0;
}

static int lookup_scope(const char *s, size_t n, unsigned *out)
{
    for (size_t i = 0; i < sizeof scope_names / sizeof scope_names[0]; i++)
        if (strlen(scope_names[i].name) == n && strncmp(s, scope_names[i].name, n) == 0) {
            *out = scope_names[i].bits;
            return 0;
        }
    return -1;
}

static int lookup_open(const char *s, size_t n, unsigned *out)
{
    if (n == 4 && strncmp(s, "none", 4) == 0) {
        *out = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof open_names / sizeof open_names[0]; i++)
        if (strlen(open_names[i].name) == n && strncmp(s, open_names[i].name, n) == 0) {
            *out = open_names[i].bits;
            return 0;
        }
    return -1;
}

int auth_scopes_parse(const char *list, unsigned *out)
{
    return parse_list(list, out, lookup_scope);
}

int auth_open_parse(const char *list, unsigned *out)
{
    return parse_list(list, out, lookup_open);
}

static void digest_of(const char *token, size_t len, unsigned char out[32])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)token);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

void auth_table_free(auth_table *table)
{
    if (!table)
        return;
    free(table->tokens);
    table->tokens = NULL;
    table->count = 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated field of [*p, end): start and length. */
static bool next_field(const char **p, const char *end, const char **start, size_t *n)
{
    const char *s = *p;
    while (s < end && is_space(*s))
        s++;
    if (s == end)
        return false;
    const char *e = s;
    while (e < end && !is_space(*e))
        e++;
    *start = s;
    *n = (size_t)(e - s);
    *p = e;
    return true;
}

static bool token_char_ok(unsigned char c)
{
    /* RFC 6750 b64token, plus '~' '+' '/' '=' '-' '.' '_' */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr("-._~+/=", c) != NULL;
}

static bool name_char_ok(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr("-._@", c) != NULL;
}

/* One non-comment line into *t; -1 with why. */
static int parse_line(const char *line, size_t len, auth_token *t, char *why, size_t why_size)
{
    const char *p = line, *end = line + len, *f;
    size_t n;
    char buf[AUTH_TOKEN_MAX + 1];
    memset(t, 0, sizeof *t);
    if (!next_field(&p, end, &f, &n))
        return 1;                   /* blank */
    if (n < AUTH_TOKEN_MIN || n > AUTH_TOKEN_MAX) {
        snprintf(why, why_size, "a token must be %d to %d characters long (this one has %zu)",
                 AUTH_TOKEN_MIN, AUTH_TOKEN_MAX, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!token_char_ok((unsigned char)f[i])) {
            snprintf(why, why_size, "a token may hold only letters, digits and -._~+/=");
            return -1;
        }
    digest_of(f, n, t->digest);
    if (!next_field(&p, end, &f, &n)) {
        snprintf(why, why_size, "want TOKEN NAME SCOPES [KEY=VALUE...]; the name is missing");
        return -1;
    }
    if (n >= AUTH_NAME_MAX) {
        snprintf(why, why_size, "name longer than %d characters", AUTH_NAME_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!name_char_ok((unsigned char)f[i])) {
            snprintf(why, why_size, "name '%.*s': only letters, digits and -._@", (int)n, f);
            return -1;
        }
    memcpy(t->name, f, n);
    t->name[n] = '\0';
    if (!next_field(&p, end, &f, &n)) {
        snprintf(why, why_size, "token '%s' has no scopes (read, run, metrics, admin)", t->name);
        return -1;
    }
    if (n > AUTH_TOKEN_MAX) {
        snprintf(why, why_size, "scopes of '%s' too long", t->name);
        return -1;
    }
    memcpy(buf, f, n);
    buf[n] = '\0';
    if (auth_scopes_parse(buf, &t->scopes) < 0) {
        snprintf(why, why_size, "token '%s': scopes '%s': want a comma list of read, run, metrics, admin",
                 t->name, buf);
        return -1;
    }
    while (next_field(&p, end, &f, &n)) {
        if (n > AUTH_TOKEN_MAX) {
            snprintf(why, why_size, "token '%s': a KEY=VALUE field is too long", t->name);
            return -1;
        }
        memcpy(buf, f, n);
        buf[n] = '\0';
        char *eq = strchr(buf, '=');
        if (eq)
            *eq = '\0';
        if (!eq || quota_limits_set(&t->quota, &t->quota_set, buf, eq + 1) < 0) {
            snprintf(why, why_size,
                     "token '%s': '%.*s': want concurrent=N, runs_per_second=R or "
                     "cpu_seconds_per_minute=C", t->name, (int)n, f);
            return -1;
        }
    }
    return 0;
}

int auth_table_parse(const char *text, size_t len, const char *origin, auth_table *out,
                     char *error, size_t error_size)
{
    auth_table t = {0};
    size_t cap = 0;
    unsigned lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        lineno++;
        const char *hash = memchr(p, '#', (size_t)(line_end - p));
        size_t n = (size_t)((hash ? hash : line_end) - p);
        if (memchr(p, '\0', n)) {
            snprintf(error, error_size, "%s:%u: NUL byte", origin, lineno);
            goto fail;
        }
        auth_token tok;
        char why[256];
        int rc = parse_line(p, n, &tok, why, sizeof why);
        if (rc < 0) {
            snprintf(error, error_size, "%s:%u: %s", origin, lineno, why);
            goto fail;
        }
        if (rc == 0) {
            for (size_t i = 0; i < t.count; i++) {
                if (memcmp(t.tokens[i].digest, tok.digest, sizeof tok.digest) == 0) {
                    snprintf(error, error_size, "%s:%u: the token of '%s' is also the token of '%s'",
                             origin, lineno, tok.name, t.tokens[i].name);
                    goto fail;
                }
                if (strcmp(t.tokens[i].name, tok.name) == 0) {
                    snprintf(error, error_size, "%s:%u: name '%s' is used twice (quotas are per name)",
                             origin, lineno, tok.name);
                    goto fail;
                }
            }
            if (t.count == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                auth_token *grown = realloc(t.tokens, ncap * sizeof *grown);
                if (!grown) {
                    snprintf(error, error_size, "%s: out of memory", origin);
                    goto fail;
                }
                t.tokens = grown;
                cap = ncap;
            }
            t.tokens[t.count++] = tok;
        }
        p = nl ? nl + 1 : end;
    }
    if (t.count == 0) {
        snprintf(error, error_size, "%s: no tokens (want lines of TOKEN NAME SCOPES)", origin);
        goto fail;
    }
    *out = t;
    return 0;
fail:
    auth_table_free(&t);
    return -1;
}

int auth_table_load(const char *path, auth_table *out, char *error, size_t error_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, error_size, "--auth-token-file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(error, error_size, "--auth-token-file %s: stat: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)AUTH_FILE_MAX) {
        snprintf(error, error_size, "--auth-token-file %s: want a regular file under %u bytes", path,
                 AUTH_FILE_MAX);
        close(fd);
        return -1;
    }
    if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
        snprintf(error, error_size,
                 "--auth-token-file %s: mode %03o lets other users read or change the tokens "
                 "(chmod 600 or 640)", path, (unsigned)(st.st_mode & 0777));
        close(fd);
        return -1;
    }
    char *text = malloc((size_t)st.st_size + 1);
    if (!text) {
        snprintf(error, error_size, "--auth-token-file %s: out of memory", path);
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(error, error_size, "--auth-token-file %s: read: %s", path, strerror(errno));
            free(text);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    int rc = auth_table_parse(text, got, path, out, error, error_size);
    explicit_bzero(text, got);
    free(text);
    return rc;
}

/* ---- policy ---- */

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

unsigned auth_required_scope(const char *method, const char *path, unsigned open_mask)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
               strcmp(method, "OPTIONS") == 0;
    if (strcmp(path, "/v1/health") == 0 || strcmp(path, "/health") == 0)
        return (open_mask & AUTH_OPEN_HEALTH) ? 0 : AUTH_SCOPE_READ;
    if (strcmp(path, "/metrics") == 0)
        return (open_mask & AUTH_OPEN_METRICS) ? 0 : AUTH_SCOPE_METRICS;
    if (strcmp(path, "/v1/openapi.json") == 0)
        return (open_mask & AUTH_OPEN_OPENAPI) ? 0 : AUTH_SCOPE_READ;
    /* The playground's static files; its API calls carry the token. */
    if (get && (open_mask & AUTH_OPEN_PLAYGROUND) && (strcmp(path, "/") == 0 || has_prefix(path, "/playground/")))
        return 0;
    /* Problem packages are part of the server's configuration. */
    if (!get && (strcmp(path, "/v1/problems") == 0 || has_prefix(path, "/v1/problems/")))
        return AUTH_SCOPE_ADMIN;
    return get ? AUTH_SCOPE_READ : AUTH_SCOPE_RUN;
}

/* ---- one request ---- */

/* The credential of a request: the Bearer token, else X-Auth-Token. */
static const char *credential(const char *authorization, const char *x_auth_token, size_t *len,
                              bool *malformed)
{
    *malformed = false;
    if (authorization && *authorization) {
        const char *a = authorization;
        while (*a == ' ')
            a++;
        if (strncasecmp(a, "Bearer", 6) != 0 || (a[6] != ' ' && a[6] != '\t')) {
            *malformed = true;
            return NULL;
        }
        a += 7;
        while (*a == ' ' || *a == '\t')
            a++;
        size_t n = strlen(a);
        while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
            n--;
        *len = n;
        return a;
    }
    if (x_auth_token && *x_auth_token) {
        *len = strlen(x_auth_token);
        return x_auth_token;
    }
    return NULL;
}

static const char *scope_name(unsigned needed)
{
    return needed & AUTH_SCOPE_ADMIN     ? "admin"
           : needed & AUTH_SCOPE_METRICS ? "metrics"
           : needed & AUTH_SCOPE_RUN     ? "run"
                                         : "read";
}

int auth_authorize(const auth_table *table, unsigned open_mask, const char *method, const char *path,
                   const char *authorization, const char *x_auth_token, auth_decision *out)
{
    memset(out, 0, sizeof *out);
    if (!table)
        return 0;
    unsigned needed = auth_required_scope(method, path, open_mask);
    size_t len = 0;
    bool malformed;
    const char *presented = credential(authorization, x_auth_token, &len, &malformed);
    const auth_token *who = NULL;
    if (presented) {
        unsigned char digest[32];
        digest_of(presented, len, digest);
        /* Every digest is compared, whatever matched. */
        for (size_t i = 0; i < table->count; i++) {
            bool same = memeql_sec(digest, table->tokens[i].digest, sizeof digest) != 0;
            who = same ? &table->tokens[i] : who;
        }
        explicit_bzero(digest, sizeof digest);
    }
    if (needed == 0) {
        out->token = who;           /* open: a token is optional */
        return 0;
    }
    if (!who) {
        out->status = 401;
        out->code = "unauthorized";
        out->www_authenticate = presented ? "Bearer realm=\"judgebox\", error=\"invalid_token\""
                                          : "Bearer realm=\"judgebox\"";
        snprintf(out->message, sizeof out->message, "%s",
                 malformed   ? "the Authorization header must be 'Bearer TOKEN'"
                 : presented ? "the token is not valid"
                             : "this endpoint needs a token: 'Authorization: Bearer TOKEN' or "
                               "'X-Auth-Token: TOKEN'");
        return 401;
    }
    out->token = who;
    if ((who->scopes & needed) != needed) {
        out->status = 403;
        out->code = "forbidden";
        out->www_authenticate = "Bearer realm=\"judgebox\", error=\"insufficient_scope\"";
        snprintf(out->message, sizeof out->message, "token '%s' lacks the '%s' scope needed for %s %s",
                 who->name, scope_name(needed), method, path);
        return 403;
    }
    return 0;
}

bool auth_refusal_body_empty(const char *path)
{
    return !(has_prefix(path, "/v1/") || strcmp(path, "/v1") == 0 || strcmp(path, "/metrics") == 0 ||
             strcmp(path, "/health") == 0);
}

bool auth_listen_is_loopback(const char *listen)
{
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
    char host[256];
    if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
        listen++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof host)
        return false;               /* "" or ":8080" is every address */
    memcpy(host, listen, n);
    host[n] = '\0';
    if (strcmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}
