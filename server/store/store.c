/*
 * store.c - the engine-independent part of the job store: parsing the
 * store URL and opening the engine it names, job ids (random UUIDs),
 * state names, and the forwarding of every call to the engine.
 */
#include "store_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

const char *store_state_name(store_state state)
{
    switch (state) {
    case STORE_QUEUED: return "queued";
    case STORE_RUNNING: return "running";
    case STORE_DONE: return "done";
    case STORE_CANCELLED: return "cancelled";
    }
    return "unknown";
}

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_new_id(store_id out)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    snprintf(out, STORE_ID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
    return 0;
}

bool store_id_valid(const char *id)
{
    if (!id || strlen(id) != STORE_ID_LEN - 1)
        return false;
    for (int i = 0; i < STORE_ID_LEN - 1; i++) {
        char c = id[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

void store_job_free(store_job *job)
{
    if (!job)
        return;
    free(job->origin);
    free(job->request);
    free(job->callback_url);
    free(job->result);
    memset(job, 0, sizeof *job);
}

/* mkdir -p for the default state directory. */
static int make_dirs(const char *path, char *error, size_t size)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(error, size, "state directory %s: path too long", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
                snprintf(error, size, "create state directory %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

/* redis://HOST:PORT[/DB] -> parts.  0, or -1 with an error. */
static int parse_redis_url(const char *url, char *host, size_t hsize, int *port, int *db,
                           char *error, size_t size)
{
    const char *p = url + strlen("redis://");
    const char *end = p + strcspn(p, "/");
    const char *colon = NULL;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            goto bad;
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if ((size_t)(close - p - 1) >= hsize)
            goto bad;
        memcpy(host, p + 1, (size_t)(close - p - 1));
        host[close - p - 1] = '\0';
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        const char *hend = colon ? colon : end;
        if (hend == p || (size_t)(hend - p) >= hsize || memchr(p, '@', (size_t)(hend - p)))
            goto bad;
        memcpy(host, p, (size_t)(hend - p));
        host[hend - p] = '\0';
    }
    *port = 6379;
    if (colon) {
        char *e;
        errno = 0;
        long v = strtol(colon + 1, &e, 10);
        if (errno || e != end || v < 1 || v > 65535)
            goto bad;
        *port = (int)v;
    }
    *db = 0;
    if (*end == '/' && end[1]) {
        char *e;
        errno = 0;
        long v = strtol(end + 1, &e, 10);
        if (errno || *e || v < 0 || v > 1000000)
            goto bad;
        *db = (int)v;
    }
    return 0;
bad:
    snprintf(error, size, "--store %s: want redis://HOST:PORT[/DB]", url);
    return -1;
}

int store_open(const store_options *o, store **out, char *error, size_t size)
{
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(error, size, "open store: %s", strerror(errno));
        return -1;
    }
    s->ttl_s = o->result_ttl_s ? o->result_ttl_s : 86400;
    s->claim_timeout_s = o->claim_timeout_s ? o->claim_timeout_s : 30;
    const char *state_dir = o->state_dir && *o->state_dir ? o->state_dir : "/var/lib/judgebox";
    char err[900] = "";
    int rc;
    if (!o->url || !*o->url) {
        if (make_dirs(state_dir, error, size) < 0) {
            free(s);
            return -1;
        }
        snprintf(s->url, sizeof s->url, "sqlite:%s/jobs.db", state_dir);
    } else {
        snprintf(s->url, sizeof s->url, "%s", o->url);
    }
    if (strncmp(s->url, "sqlite:", 7) == 0) {
        const char *path = s->url + 7;
        if (!*path) {
            snprintf(error, size, "--store %s: want sqlite:PATH", s->url);
            free(s);
            return -1;
        }
        s->ops = &store_sqlite_ops;
        rc = store_sqlite_open(s, path, err, sizeof err);
    } else if (strncmp(s->url, "redis://", 8) == 0) {
        char host[256];
        int port, db;
        if (parse_redis_url(s->url, host, sizeof host, &port, &db, error, size) < 0) {
            free(s);
            return -1;
        }
        s->ops = &store_redis_ops;
        rc = store_redis_open(s, host, port, db, err, sizeof err);
    } else {
        snprintf(error, size, "--store %s: want sqlite:PATH or redis://HOST:PORT[/DB]", s->url);
        free(s);
        return -1;
    }
    if (rc < 0) {
        snprintf(error, size, "store %s: %s", s->url, err);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void store_close(store *s)
{
    if (!s)
        return;
    s->ops->close(s);
    free(s);
}

const char *store_url(const store *s)
{
    return s->url;
}

unsigned store_result_ttl(const store *s)
{
    return s->ttl_s;
}

/* Engine errors carry the store's URL so a log line says which store. */
static int fail_with_url(store *s, int rc, char *error, size_t size, const char *err)
{
    if (rc < 0)
        snprintf(error, size, "store %s: %s", s->url, err);
    return rc;
}

int store_submit(store *s, const store_submission *subs, size_t n, store_id *ids, char *error,
                 size_t size)
{
    char err[900] = "";
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (store_new_id(ids[i]) < 0) {
            snprintf(error, size, "store %s: make an id: %s", s->url, strerror(errno));
            return -1;
        }
    int rc = s->ops->submit(s, subs, n, ids, store_now_ms(), err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_get(store *s, const char *id, store_job *out, char *error, size_t size)
{
    char err[900] = "";
    memset(out, 0, sizeof *out);
    if (!store_id_valid(id))
        return 0;
    int rc = s->ops->get(s, id, out, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_get_many(store *s, const char *const *ids, size_t n, store_job *out, bool *found,
                   char *error, size_t size)
{
    for (size_t i = 0; i < n; i++) {
        int rc = store_get(s, ids[i], &out[i], error, size);
        if (rc < 0) {
            for (size_t j = 0; j < i; j++)
                if (found[j])
                    store_job_free(&out[j]);
            return -1;
        }
        found[i] = rc == 1;
    }
    return 0;
}

int store_cancel(store *s, const char *id, store_state *was, char *error, size_t size)
{
    char err[900] = "";
    if (!store_id_valid(id))
        return 0;
    store_state dummy;
    int rc = s->ops->cancel(s, id, was ? was : &dummy, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_delete(store *s, const char *id, char *error, size_t size)
{
    char err[900] = "";
    if (!store_id_valid(id))
        return 0;
    int rc = s->ops->del(s, id, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_count(store *s, store_counts *out, char *error, size_t size)
{
    char err[900] = "";
    memset(out, 0, sizeof *out);
    int rc = s->ops->count(s, out, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_claim_job(store *s, const char *const *origins, size_t norigins, unsigned wait_ms,
                    store_claim *out, char *error, size_t size)
{
    char err[900] = "";
    memset(out, 0, sizeof *out);
    int rc = s->ops->claim(s, origins, norigins, wait_ms, out, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_finish_job(store *s, store_claim *claim, store_state state, const char *result,
                     size_t len, char *error, size_t size)
{
    char err[900] = "";
    int rc = s->ops->finish(s, claim, state, result, len, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_keep_jobs(store *s, store_claim *const *claims, size_t n, bool *cancelled, char *error,
                    size_t size)
{
    char err[900] = "";
    for (size_t i = 0; i < n; i++)
        cancelled[i] = false;
    if (n == 0)
        return 0;
    int rc = s->ops->keep(s, claims, n, cancelled, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}

int store_sweep(store *s, char *error, size_t size)
{
    char err[900] = "";
    int rc = s->ops->sweep(s, err, sizeof err);
    return fail_with_url(s, rc, error, size, err);
}
