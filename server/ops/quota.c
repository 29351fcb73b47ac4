/*
 * quota.c - owns the per-client quotas (quota.h): a hash table from client
 * key to its state (requests in flight, two token buckets), refilled
 * lazily from the time each call passes in.
 *
 * Buckets: runs_per_second R holds at most max(1, R) runs (one second of
 * burst) and refills R per second; cpu_seconds_per_minute C holds at most
 * C seconds and refills C/60 per second.  A judging request needs one run
 * and a CPU bucket that is not in debt; its CPU time is charged afterwards
 * and may push the bucket below zero, so a client that spent a minute's
 * CPU in one request waits until the debt is paid.
 */
#include "quota.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTA_KEY_MAX 128
#define QUOTA_HEADS 1024

struct quota_ticket {               /* one client's entry; a ticket points at it */
    struct quota_ticket *next;
    quota_table *table;
    char key[QUOTA_KEY_MAX];
    quota_limits limits;            /* as of the last request */
    unsigned in_flight;
    double runs, cpu;               /* tokens */
    double at;                      /* time of the last refill */
};

struct quota_table {
    pthread_mutex_t lock;
    struct quota_ticket *heads[QUOTA_HEADS];
    size_t count;
};

void quota_limits_merge(quota_limits *base, const quota_limits *over, unsigned set)
{
    if (set & QUOTA_SET_CONCURRENT)
        base->concurrent = over->concurrent;
    if (set & QUOTA_SET_RUNS)
        base->runs_per_second = over->runs_per_second;
    if (set & QUOTA_SET_CPU)
        base->cpu_seconds_per_minute = over->cpu_seconds_per_minute;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int quota_limits_set(quota_limits *limits, unsigned *set, const char *key, const char *value)
{
    double v;
    if (strcmp(key, "concurrent") == 0) {
        if (parse_double(value, 0, 100000, &v) < 0 || v != floor(v))
            return -1;
        limits->concurrent = (unsigned)v;
        *set |= QUOTA_SET_CONCURRENT;
    } else if (strcmp(key, "runs_per_second") == 0) {
        if (parse_double(value, 0, 1e6, &v) < 0)
            return -1;
        limits->runs_per_second = v;
        *set |= QUOTA_SET_RUNS;
    } else if (strcmp(key, "cpu_seconds_per_minute") == 0) {
        if (parse_double(value, 0, 1e7, &v) < 0)
            return -1;
        limits->cpu_seconds_per_minute = v;
        *set |= QUOTA_SET_CPU;
    } else {
        return -1;
    }
    return 0;
}

int quota_table_create(quota_table **out)
{
    quota_table *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return 0;
}

void quota_table_free(quota_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < QUOTA_HEADS; i++) {
        struct quota_ticket *e = t->heads[i];
        while (e) {
            struct quota_ticket *next = e->next;
            free(e);
            e = next;
        }
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static size_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ull;        /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h % QUOTA_HEADS);
}

static double runs_capacity(const quota_limits *l)
{
    return l->runs_per_second < 1 ? 1 : l->runs_per_second;
}

/* Bring the buckets up to `now` under `limits`. */
static void refill(struct quota_ticket *e, double now)
{
    double dt = now - e->at;
    if (dt < 0)
        dt = 0;
    e->at = now;
    if (e->limits.runs_per_second > 0) {
        double cap = runs_capacity(&e->limits);
        e->runs = fmin(cap, e->runs + dt * e->limits.runs_per_second);
    }
    if (e->limits.cpu_seconds_per_minute > 0) {
        double cap = e->limits.cpu_seconds_per_minute;
        e->cpu = fmin(cap, e->cpu + dt * cap / 60);
    }
}

static bool idle(struct quota_ticket *e, double now)
{
    refill(e, now);
    return e->in_flight == 0 &&
           (e->limits.runs_per_second <= 0 || e->runs >= runs_capacity(&e->limits)) &&
           (e->limits.cpu_seconds_per_minute <= 0 || e->cpu >= e->limits.cpu_seconds_per_minute);
}

/* Forget clients whose state is the same as a new client's. */
static void evict_idle(quota_table *t, double now)
{
    for (size_t i = 0; i < QUOTA_HEADS; i++) {
        struct quota_ticket **pp = &t->heads[i];
        while (*pp) {
            struct quota_ticket *e = *pp;
            if (idle(e, now)) {
                *pp = e->next;
                free(e);
                t->count--;
            } else {
                pp = &e->next;
            }
        }
    }
}

static unsigned ceil_s(double s)
{
    if (s <= 0)
        return 0;
    double c = ceil(s - 1e-9);
    return c < 1 ? 1 : c > 86400 ? 86400 : (unsigned)c;
}

/* RateLimit-* of the time-based quota with the smallest share left. */
static void fill_headers(const struct quota_ticket *e, quota_verdict *v)
{
    const quota_limits *l = &e->limits;
    double best = 2;
    size_t off = 0;
    v->has_headers = false;
    v->policy[0] = '\0';
    if (l->runs_per_second > 0) {
        double cap = runs_capacity(l);
        double share = e->runs / cap;
        if (share < best) {
            best = share;
            v->limit = (unsigned long)ceil(cap);
            v->remaining = e->runs > 0 ? (unsigned long)floor(e->runs) : 0;
            v->reset_s = ceil_s((cap - e->runs) / l->runs_per_second);
        }
        off += (size_t)snprintf(v->policy + off, sizeof v->policy - off, "%lu;w=1",
                                (unsigned long)ceil(cap));
        v->has_headers = true;
    }
    if (l->cpu_seconds_per_minute > 0 && off < sizeof v->policy) {
        double cap = l->cpu_seconds_per_minute;
        double share = e->cpu / cap;
        if (share < best) {
            v->limit = (unsigned long)ceil(cap);
            v->remaining = e->cpu > 0 ? (unsigned long)floor(e->cpu) : 0;
            v->reset_s = ceil_s((cap - e->cpu) / (cap / 60));
        }
        snprintf(v->policy + off, sizeof v->policy - off, "%s%lu;w=60;name=\"cpu_seconds\"",
                 off ? ", " : "", (unsigned long)ceil(cap));
        v->has_headers = true;
    }
}

int quota_acquire(quota_table *t, const char *key, const quota_limits *limits, bool judging,
                  double now, quota_ticket **ticket, quota_verdict *v)
{
    memset(v, 0, sizeof *v);
    *ticket = NULL;
    pthread_mutex_lock(&t->lock);
    size_t h = hash_key(key);
    struct quota_ticket *e = t->heads[h];
    while (e && strncmp(e->key, key, QUOTA_KEY_MAX - 1) != 0)
        e = e->next;
    if (!e) {
        if (t->count >= QUOTA_MAX_KEYS)
            evict_idle(t, now);
        if (t->count >= QUOTA_MAX_KEYS) {
            pthread_mutex_unlock(&t->lock);
            v->refused_by = "clients";
            v->retry_after_s = 1;
            return 1;
        }
        e = calloc(1, sizeof *e);
        if (!e) {
            pthread_mutex_unlock(&t->lock);
            return -1;
        }
        e->table = t;
        snprintf(e->key, sizeof e->key, "%s", key);
        e->limits = *limits;
        e->runs = runs_capacity(limits);
        e->cpu = limits->cpu_seconds_per_minute;
        e->at = now;
        e->next = t->heads[h];
        t->heads[h] = e;
        t->count++;
    }
    refill(e, now);
    /* Limits may change between requests (a token file reloaded, another
     * token of the same name): keep the tokens, cap them to the new sizes. */
    e->limits = *limits;
    refill(e, now);
    const quota_limits *l = &e->limits;
    if (l->concurrent > 0 && e->in_flight >= l->concurrent) {
        v->refused_by = "concurrent";
        v->retry_after_s = 1;
    } else if (judging && l->runs_per_second > 0 && e->runs < 1) {
        v->refused_by = "runs_per_second";
        v->retry_after_s = ceil_s((1 - e->runs) / l->runs_per_second);
    } else if (judging && l->cpu_seconds_per_minute > 0 && e->cpu <= 0) {
        v->refused_by = "cpu_seconds_per_minute";
        v->retry_after_s = ceil_s((0.001 - e->cpu) / (l->cpu_seconds_per_minute / 60));
    }
    if (!v->refused_by) {
        if (judging && l->runs_per_second > 0)
            e->runs -= 1;
        e->in_flight++;
        v->allowed = true;
        *ticket = e;
    }
    if (judging)
        fill_headers(e, v);
    if (v->refused_by && !v->has_headers && strcmp(v->refused_by, "concurrent") == 0) {
        v->has_headers = true;
        v->limit = l->concurrent;
        v->remaining = 0;
        v->reset_s = 1;
        snprintf(v->policy, sizeof v->policy, "%u;name=\"concurrent\"", l->concurrent);
    }
    pthread_mutex_unlock(&t->lock);
    return v->allowed ? 0 : 1;
}

void quota_charge_cpu(quota_ticket *e, double cpu_seconds, double now)
{
    if (!e || !(cpu_seconds > 0))
        return;
    pthread_mutex_lock(&e->table->lock);
    refill(e, now);
    if (e->limits.cpu_seconds_per_minute > 0)
        e->cpu -= cpu_seconds;
    pthread_mutex_unlock(&e->table->lock);
}

void quota_release(quota_ticket *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->table->lock);
    if (e->in_flight > 0)
        e->in_flight--;
    pthread_mutex_unlock(&e->table->lock);
}

size_t quota_table_keys(quota_table *t)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}
