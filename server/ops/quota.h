/*
 * quota.h - per-client quotas: requests at once, judging requests per
 * second and CPU seconds per minute, each a token bucket keyed by the
 * token's name (or the client's address when authentication is off).
 *
 * A request takes a ticket on arrival (quota_acquire): the concurrency
 * count goes up, and a judging request also takes one "run" from the
 * runs-per-second bucket; the CPU bucket must not be in debt.  When the
 * judging is done its CPU time is charged (quota_charge_cpu: the bucket
 * may go below zero, which refuses the client's next requests until it
 * refills), and quota_release gives the concurrency back.  A refusal says
 * which quota and how long to wait (Retry-After), and every verdict
 * carries the RateLimit-* figures of the quota nearest to refusing.
 *
 * Time is passed in (seconds, CLOCK_MONOTONIC) so the buckets are tested
 * without sleeping.  Thread-safe: one mutex per table, taken twice per
 * request, never per sandbox run.
 */
#ifndef JUDGEBOX_QUOTA_H
#define JUDGEBOX_QUOTA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct quota_limits {
    unsigned concurrent;            /* requests in flight; 0 = unlimited */
    double runs_per_second;         /* judging requests; 0 = unlimited */
    double cpu_seconds_per_minute;  /* sandbox CPU time; 0 = unlimited */
} quota_limits;

enum { QUOTA_SET_CONCURRENT = 1, QUOTA_SET_RUNS = 2, QUOTA_SET_CPU = 4 };

/* Apply the fields of `over` that `set` names onto `base`. */
void quota_limits_merge(quota_limits *base, const quota_limits *over, unsigned set);
/* One "key=value" override (concurrent, runs_per_second,
 * cpu_seconds_per_minute): 0, or -1 when the key or value is wrong. */
int quota_limits_set(quota_limits *limits, unsigned *set, const char *key, const char *value);

typedef struct quota_table quota_table;
typedef struct quota_ticket quota_ticket;

/* Keys kept at once; idle ones (nothing in flight, buckets full) are
 * forgotten to make room. */
#define QUOTA_MAX_KEYS 4096

int quota_table_create(quota_table **out);
void quota_table_free(quota_table *table);

typedef struct quota_verdict {
    bool allowed;
    const char *refused_by;         /* "concurrent", "runs_per_second", "cpu_seconds_per_minute", "clients" */
    unsigned retry_after_s;         /* with a refusal */
    /* RateLimit-Limit / -Remaining / -Reset and RateLimit-Policy of the
     * quota nearest to refusing; has_headers false when no quota applies. */
    bool has_headers;
    unsigned long limit, remaining, reset_s;
    char policy[96];
} quota_verdict;

/* Take a ticket for a request of client `key` under `limits`; `judging`
 * says whether it costs a run.  Returns 0 with *ticket set when allowed
 * (release it with quota_release), 1 when refused (no ticket), -1 when out
 * of memory.  `v` is filled either way. */
int quota_acquire(quota_table *table, const char *key, const quota_limits *limits, bool judging,
                  double now, quota_ticket **ticket, quota_verdict *v);
/* Charge the CPU seconds the ticket's request used. */
void quota_charge_cpu(quota_ticket *ticket, double cpu_seconds, double now);
/* The request is done.  NULL is ignored. */
void quota_release(quota_ticket *ticket);

/* Keys held now (tests). */
size_t quota_table_keys(quota_table *table);

#endif
