/*
 * test_ops_quota.c - token buckets and concurrency of server/ops/quota.c,
 * with the time passed in (no sleeping): refusals, Retry-After, the
 * RateLimit-* figures, refill, CPU debt, per-key isolation and eviction.
 */
#include <stdio.h>
#include <string.h>

#include "quota.h"
#include "unit.h"

int main(void)
{
    quota_table *q = NULL;
    CHECK("create", quota_table_create(&q) == 0);
    quota_limits l = {.concurrent = 2, .runs_per_second = 2, .cpu_seconds_per_minute = 6};
    quota_ticket *a = NULL, *b = NULL, *c = NULL;
    quota_verdict v;
    CHECK("first allowed", quota_acquire(q, "k", &l, true, 100.0, &a, &v) == 0 && v.allowed && a);
    CHECK("headers present", v.has_headers && v.limit == 2 && v.remaining == 1);
    CHECK("policy lists both", strstr(v.policy, "2;w=1") && strstr(v.policy, "6;w=60"));
    CHECK("second allowed", quota_acquire(q, "k", &l, true, 100.0, &b, &v) == 0 && v.remaining == 0);
    CHECK("third: concurrent refused", quota_acquire(q, "k", &l, true, 100.0, &c, &v) == 1 && !c &&
                                           strcmp(v.refused_by, "concurrent") == 0 && v.retry_after_s >= 1);
    quota_release(a);
    CHECK("after release: runs refused", quota_acquire(q, "k", &l, true, 100.0, &c, &v) == 1 &&
                                             strcmp(v.refused_by, "runs_per_second") == 0 && v.retry_after_s == 1 &&
                                             v.remaining == 0 && v.reset_s >= 1);
    CHECK("half a second later: one run back", quota_acquire(q, "k", &l, true, 100.5, &c, &v) == 0);
    quota_release(b);
    quota_release(c);
    CHECK("reads cost no run", quota_acquire(q, "k", &l, false, 100.5, &a, &v) == 0 && !v.has_headers);
    quota_release(a);

    /* CPU: 6 s per minute = 0.1 s per second. */
    CHECK("cpu: allowed", quota_acquire(q, "cpu", &l, true, 200.0, &a, &v) == 0);
    quota_charge_cpu(a, 9.0, 200.0);            /* 3 s of debt */
    quota_release(a);
    CHECK("cpu: in debt refused", quota_acquire(q, "cpu", &l, true, 201.0, &a, &v) == 1 &&
                                      strcmp(v.refused_by, "cpu_seconds_per_minute") == 0);
    CHECK("cpu: retry after the debt", v.retry_after_s >= 19 && v.retry_after_s <= 31);
    CHECK("cpu: remaining 0", v.remaining == 0 && v.limit == 6);
    CHECK("cpu: after the debt allowed", quota_acquire(q, "cpu", &l, true, 231.0, &a, &v) == 0);
    quota_release(a);

    /* Keys are independent. */
    quota_limits one = {.runs_per_second = 1};
    CHECK("key x", quota_acquire(q, "x", &one, true, 300.0, &a, &v) == 0);
    quota_release(a);
    CHECK("key x again refused", quota_acquire(q, "x", &one, true, 300.0, &a, &v) == 1);
    CHECK("key y unaffected", quota_acquire(q, "y", &one, true, 300.0, &a, &v) == 0);
    quota_release(a);
    CHECK("slow rate: retry 10 s", quota_acquire(q, "slow", &(quota_limits){.runs_per_second = 0.1}, true, 300.0, &a, &v) == 0);
    quota_release(a);
    CHECK("slow rate: refused", quota_acquire(q, "slow", &(quota_limits){.runs_per_second = 0.1}, true, 300.0, &a, &v) == 1 &&
                                    v.retry_after_s == 10);
    CHECK("unlimited: no headers", quota_acquire(q, "free", &(quota_limits){0}, true, 300.0, &a, &v) == 0 && !v.has_headers);
    quota_release(a);

    /* Eviction: idle keys go when the table is full. */
    size_t before = quota_table_keys(q);
    char key[32];
    int ok = 1;
    for (int i = 0; i < QUOTA_MAX_KEYS + 10; i++) {
        snprintf(key, sizeof key, "client-%d", i);
        quota_ticket *t = NULL;
        ok &= quota_acquire(q, key, &one, true, 1000.0 + i, &t, &v) == 0;
        quota_release(t);
    }
    CHECK("eviction: every new client allowed", ok);
    CHECK("eviction: table bounded", quota_table_keys(q) <= QUOTA_MAX_KEYS && before > 0);

    quota_limits m = {0};
    unsigned set = 0;
    CHECK("set: concurrent", quota_limits_set(&m, &set, "concurrent", "3") == 0 && m.concurrent == 3);
    CHECK("set: fraction refused for concurrent", quota_limits_set(&m, &set, "concurrent", "1.5") < 0);
    CHECK("set: rate", quota_limits_set(&m, &set, "runs_per_second", "0.5") == 0 && m.runs_per_second == 0.5);
    CHECK("set: junk refused", quota_limits_set(&m, &set, "runs_per_second", "fast") < 0);
    CHECK("set: nan refused", quota_limits_set(&m, &set, "cpu_seconds_per_minute", "nan") < 0);
    quota_limits base = {.concurrent = 9, .runs_per_second = 9, .cpu_seconds_per_minute = 9};
    quota_limits_merge(&base, &m, QUOTA_SET_CONCURRENT);
    CHECK("merge: only the set fields", base.concurrent == 3 && base.runs_per_second == 9);
    quota_table_free(q);
    UNIT_EXIT();
}
