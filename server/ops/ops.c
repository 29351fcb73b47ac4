/*
 * ops.c - owns this room's startup and the per-request gate (ops.h): the
 * serve flags --auth-token-file, --auth-open, --insecure-no-auth and
 * --quota-*, the refusal to serve a non-loopback address without tokens,
 * and the order of checks for one request: credentials first (401/403),
 * then the client's quotas (429), each refusal counted in the metrics.
 */
#include "ops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ops {
    auth_table tokens;
    bool auth;
    unsigned open_mask;
    quota_limits quota;
    quota_table *quotas;
};

const char ops_usage[] =
    "  --auth-token-file FILE  tokens, one per line: TOKEN NAME SCOPES [KEY=VALUE...]\n"
    "                      (scopes read, run, metrics, admin; docs/operations.md)\n"
    "  --auth-open LIST    endpoints open without a token: health, metrics, openapi, none\n"
    "                      (default health)\n"
    "  --insecure-no-auth  allow serving a non-loopback address without tokens\n"
    "  --quota-concurrent N            judging requests in flight per client (0 = no limit)\n"
    "  --quota-runs-per-second R       judging requests per second per client\n"
    "  --quota-cpu-seconds-per-minute C  sandbox CPU seconds per minute per client\n";

void ops_options_default(ops_options *o)
{
    memset(o, 0, sizeof *o);
    o->open_mask = AUTH_OPEN_DEFAULT;
}

int ops_option(ops_options *o, const char *flag, const char *value, bool *used_value,
               char *error, size_t error_size)
{
    *used_value = false;
    if (strcmp(flag, "--insecure-no-auth") == 0) {
        o->insecure_no_auth = true;
        return 1;
    }
    static const struct {
        const char *flag, *key;
    } quota_flags[] = {
        {"--quota-concurrent", "concurrent"},
        {"--quota-runs-per-second", "runs_per_second"},
        {"--quota-cpu-seconds-per-minute", "cpu_seconds_per_minute"},
    };
    bool ours = strcmp(flag, "--auth-token-file") == 0 || strcmp(flag, "--auth-open") == 0;
    for (size_t i = 0; i < sizeof quota_flags / sizeof quota_flags[0]; i++)
        ours = ours || strcmp(flag, quota_flags[i].flag) == 0;
    if (!ours)
        return 0;
    if (!value) {
        snprintf(error, error_size, "%s needs a value", flag);
        return -1;
    }
    *used_value = true;
    if (strcmp(flag, "--auth-token-file") == 0) {
        o->auth_token_file = value;
        return 1;
    }
    if (strcmp(flag, "--auth-open") == 0) {
        if (auth_open_parse(value, &o->open_mask) < 0) {
            snprintf(error, error_size, "--auth-open %s: want a comma list of health, metrics, openapi, or none",
                     value);
            return -1;
        }
        return 1;
    }
    for (size_t i = 0; i < sizeof quota_flags / sizeof quota_flags[0]; i++) {
        unsigned set = 0;
        if (strcmp(flag, quota_flags[i].flag) == 0 &&
            quota_limits_set(&o->quota, &set, quota_flags[i].key, value) < 0) {
            snprintf(error, error_size, "%s %s: want a number, 0 (no limit) or more", flag, value);
            return -1;
        }
    }
    return 1;
}

int ops_open(const ops_options *opt, const char *listen, const language_table *langs, ops **out,
             char *error, size_t error_size)
{
    *out = NULL;
    /* A malformed HOST:PORT is left for the listener to report. */
    const char *colon = strrchr(listen, ':');
    bool well_formed = colon && colon[1];
    if (well_formed && !opt->auth_token_file && !opt->insecure_no_auth && !auth_listen_is_loopback(listen)) {
        snprintf(error, error_size,
                 "--listen %s is not a loopback address and no --auth-token-file is given: anyone who "
                 "can reach it could run code (give tokens, or --insecure-no-auth if a proxy in front "
                 "authenticates)", listen);
        return -1;
    }
    ops *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(error, error_size, "start: out of memory");
        return -1;
    }
    o->open_mask = opt->open_mask;
    o->quota = opt->quota;
    if (opt->auth_token_file) {
        if (auth_table_load(opt->auth_token_file, &o->tokens, error, error_size) < 0) {
            free(o);
            return -1;
        }
        o->auth = true;
    }
    if (quota_table_create(&o->quotas) < 0 || metrics_init(langs) < 0) {
        snprintf(error, error_size, "start: out of memory");
        ops_close(o);
        return -1;
    }
    *out = o;
    return 0;
}

void ops_close(ops *o)
{
    if (!o)
        return;
    metrics_shutdown();
    quota_table_free(o->quotas);
    auth_table_free(&o->tokens);
    free(o);
}

bool ops_auth_enabled(const ops *o)
{
    return o && o->auth;
}

const auth_table *ops_tokens(const ops *o)
{
    return o && o->auth ? &o->tokens : NULL;
}

unsigned ops_open_mask(const ops *o)
{
    return o ? o->open_mask : AUTH_OPEN_DEFAULT;
}

static void add_header(ops_gate *g, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_header(ops_gate *g, const char *name, const char *fmt, ...)
{
    if (g->nheaders >= OPS_HEADERS_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    g->headers[g->nheaders].name = name;
    vsnprintf(g->headers[g->nheaders].value, sizeof g->headers[0].value, fmt, ap);
    va_end(ap);
    g->nheaders++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void client_key(const struct sockaddr *sa, char *out, size_t size)
{
    snprintf(out, size, "addr:unknown");
    if (!sa)
        return;
    char host[INET6_ADDRSTRLEN] = "";
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
    if (host[0])
        snprintf(out, size, "addr:%s", host);
}

void ops_gate_check(ops *o, const char *method, const char *path, const char *authorization,
                    const char *x_auth_token, const struct sockaddr *client, ops_gate *g)
{
    memset(g, 0, sizeof *g);
    if (!o)
        return;
    auth_decision d;
    if (auth_authorize(ops_tokens(o), o->open_mask, method, path, authorization, x_auth_token, &d) != 0) {
        g->status = d.status;
        g->code = d.code;
        g->token = d.token;
        g->empty_body = auth_refusal_body_empty(path);
        snprintf(g->message, sizeof g->message, "%s", d.message);
        add_header(g, "WWW-Authenticate", "%s", d.www_authenticate);
        metrics_auth_refused((unsigned)d.status);
        return;
    }
    g->token = d.token;
    /* Quotas count work: requests that judge (POST) or cancel it. */
    unsigned scope = auth_required_scope(method, path, o->open_mask);
    bool work = scope == AUTH_SCOPE_RUN && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
    if (!work)
        return;
    quota_limits limits = o->quota;
    if (g->token)
        quota_limits_merge(&limits, &g->token->quota, g->token->quota_set);
    if (!limits.concurrent && !(limits.runs_per_second > 0) && !(limits.cpu_seconds_per_minute > 0))
        return;
    g->judging = strcmp(method, "POST") == 0;
    char key[96];
    if (g->token)
        snprintf(key, sizeof key, "token:%s", g->token->name);
    else
        client_key(client, key, sizeof key);
    quota_verdict v;
    int rc = quota_acquire(o->quotas, key, &limits, g->judging, now_s(), &g->ticket, &v);
    if (v.has_headers) {
        add_header(g, "RateLimit-Limit", "%lu", v.limit);
        add_header(g, "RateLimit-Remaining", "%lu", v.remaining);
        add_header(g, "RateLimit-Reset", "%lu", v.reset_s);
        add_header(g, "RateLimit-Policy", "%s", v.policy);
    }
    if (rc < 0) {
        g->status = 503;
        g->code = "internal";
        snprintf(g->message, sizeof g->message, "out of memory keeping quotas");
        metrics_internal_error("http");
        return;
    }
    if (rc > 0) {
        g->status = 429;
        g->code = "rate_limited";
        add_header(g, "Retry-After", "%u", v.retry_after_s);
        const char *who = g->token ? g->token->name : key + 5;
        if (strcmp(v.refused_by, "concurrent") == 0)
            snprintf(g->message, sizeof g->message, "%s already has %u requests in flight (quota concurrent)",
                     who, limits.concurrent);
        else if (strcmp(v.refused_by, "runs_per_second") == 0)
            snprintf(g->message, sizeof g->message, "%s is over its quota of %g judging requests per second; retry in %u s",
                     who, limits.runs_per_second, v.retry_after_s);
        else if (strcmp(v.refused_by, "cpu_seconds_per_minute") == 0)
            snprintf(g->message, sizeof g->message, "%s used its %g CPU seconds per minute; retry in %u s",
                     who, limits.cpu_seconds_per_minute, v.retry_after_s);
        else
            snprintf(g->message, sizeof g->message, "too many clients are tracked at once; retry in %u s",
                     v.retry_after_s);
        metrics_quota_refused(v.refused_by);
    }
}

void ops_gate_charge(ops_gate *g, const job_result *res)
{
    if (!g->ticket)
        return;
    uint64_t cpu_ms = 0;
    if (res->has_compile && res->compile.ran)
        cpu_ms += res->compile.result.cpu_ms;
    for (size_t i = 0; i < res->nruns; i++)
        if (res->runs[i].ran)
            cpu_ms += res->runs[i].result.cpu_ms;
    quota_charge_cpu(g->ticket, (double)cpu_ms / 1000, now_s());
}

void ops_gate_finish(ops_gate *g)
{
    quota_release(g->ticket);
    g->ticket = NULL;
}
