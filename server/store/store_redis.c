/*
 * store_redis.c - the job store shared by several servers: Redis (hiredis).
 *   judgebox:job:<id>       a hash: state, origin, request, callback_url,
 *                           result, created_ms, started_ms, finished_ms,
 *                           attempts, node (the consumer running it)
 *   judgebox:queue:<origin> a stream of {id}, with the consumer group
 *                           "judgebox"; one stream per origin so a server
 *                           reads only the origins it can judge
 *   judgebox:queues         the set of those streams (for counting)
 *   judgebox:finished:2, :3 sorted sets of done / cancelled ids by finish
 *                           time, so counting them costs no scan (trimmed
 *                           to the result time-to-live at each sweep)
 * A submission is one MULTI/EXEC (hashes and stream entries together).  A
 * server claims with XREADGROUP, and first with XAUTOCLAIM the entries
 * whose consumer has been silent for claim_timeout_s: a running job keeps
 * its entry's idle time near zero with XCLAIM every second, so only a dead
 * (or cut off) server's jobs are taken over.  The small state changes that
 * must be atomic (claim, finish, keep, cancel) are Lua scripts.  Finished
 * jobs get an EXPIRE of the result time-to-live.  Each thread borrows a
 * connection from a small pool; a broken connection is dropped and the
 * command tried once more on a new one.
 * Durability is Redis's: a submission is acknowledged once Redis has it,
 * and survives a Redis restart as far as its persistence (appendonly,
 * appendfsync) is configured; see docs/store.md.
 */
#include "store_engine.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUP "judgebox"
#define JOB_PREFIX "judgebox:job:"
#define QUEUE_PREFIX "judgebox:queue:"

typedef struct conn_node {
    redisContext *c;
    struct conn_node *next;
} conn_node;

typedef struct redis_engine {
    char host[256];
    int port, db;
    char node[128];               /* this server's consumer name */
    pthread_mutex_t lock;
    conn_node *free_list;
    /* Streams whose group is known to exist (created on first use). */
    char groups[16][80];
    unsigned ngroups;
} redis_engine;

static redis_engine *engine(store *s)
{
    return s->engine;
}

static redisContext *connect_one(redis_engine *e, char *error, size_t size)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(e->host, e->port, tv);
    if (!c || c->err) {
        snprintf(error, size, "connect to %s:%d: %s", e->host, e->port,
                 c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    /* Blocking reads wait at most a few seconds; commands never hang. */
    struct timeval rw = {15, 0};
    redisSetTimeout(c, rw);
    if (e->db) {
        redisReply *r = redisCommand(c, "SELECT %d", e->db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(error, size, "select database %d: %s", e->db,
                     r ? r->str : c->errstr);
            freeReplyObject(r);
            redisFree(c);
            return NULL;
        }
        freeReplyObject(r);
    }
    return c;
}

static redisContext *borrow(redis_engine *e, char *error, size_t size)
{
    pthread_mutex_lock(&e->lock);
    conn_node *n = e->free_list;
    if (n)
        e->free_list = n->next;
    pthread_mutex_unlock(&e->lock);
    if (n) {
        redisContext *c = n->c;
        free(n);
        return c;
    }
    return connect_one(e, error, size);
}

/* Give a connection back, or drop it when it broke. */
static void give_back(redis_engine *e, redisContext *c)
{
    if (!c)
        return;
    conn_node *n = c->err ? NULL : malloc(sizeof *n);
    if (!n) {
        redisFree(c);
        return;
    }
    n->c = c;
    pthread_mutex_lock(&e->lock);
    n->next = e->free_list;
    e->free_list = n;
    pthread_mutex_unlock(&e->lock);
}

/* One command (argv form), retried once on a fresh connection when the
 * connection broke.  The reply, or NULL with an error (an error reply is
 * returned as an error too). */
static redisReply *command(redis_engine *e, int argc, const char **argv, const size_t *lens,
                           const char *what, char *error, size_t size)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        redisContext *c = borrow(e, error, size);
        if (!c)
            return NULL;
        redisReply *r = redisCommandArgv(c, argc, argv, lens);
        if (!r) {
            snprintf(error, size, "%s: %s", what, c->errstr);
            redisFree(c);
            continue;
        }
        give_back(e, c);
        if (r->type == REDIS_REPLY_ERROR) {
            snprintf(error, size, "%s: %s", what, r->str);
            freeReplyObject(r);
            return NULL;
        }
        return r;
    }
    return NULL;
}

/* EVAL script with 2 keys and the given args. */
static redisReply *eval2(redis_engine *e, const char *script, const char *key1, const char *key2,
                         int nargs, const char **args, const size_t *arglens, const char *what,
                         char *error, size_t size)
{
    const char *argv[16];
    size_t lens[16];
    int n = 0;
    argv[n] = "EVAL"; lens[n++] = 4;
    argv[n] = script; lens[n++] = strlen(script);
    argv[n] = "2"; lens[n++] = 1;
    argv[n] = key1; lens[n++] = strlen(key1);
    argv[n] = key2; lens[n++] = strlen(key2);
    for (int i = 0; i < nargs && n < 16; i++) {
        argv[n] = args[i];
        lens[n++] = arglens ? arglens[i] : strlen(args[i]);
    }
    return command(e, n, argv, lens, what, error, size);
}

static void job_key(char *out, size_t size, const char *id)
{
    snprintf(out, size, JOB_PREFIX "%s", id);
}

static void queue_key(char *out, size_t size, const char *origin)
{
    snprintf(out, size, QUEUE_PREFIX "%s", origin);
}

/* XGROUP CREATE ... MKSTREAM once per stream and process. */
static int ensure_group(redis_engine *e, const char *stream, char *error, size_t size)
{
    pthread_mutex_lock(&e->lock);
    for (unsigned i = 0; i < e->ngroups; i++)
        if (strcmp(e->groups[i], stream) == 0) {
            pthread_mutex_unlock(&e->lock);
            return 0;
        }
    pthread_mutex_unlock(&e->lock);
    const char *argv[] = {"XGROUP", "CREATE", stream, GROUP, "0", "MKSTREAM"};
    char err[512];
    redisReply *r = command(e, 6, argv, NULL, "create the consumer group", err, sizeof err);
    if (!r && !strstr(err, "BUSYGROUP")) {
        snprintf(error, size, "%s", err);
        return -1;
    }
    freeReplyObject(r);
    const char *sargv[] = {"SADD", "judgebox:queues", stream};
    r = command(e, 3, sargv, NULL, "list the stream", error, size);
    if (!r)
        return -1;
    freeReplyObject(r);
    pthread_mutex_lock(&e->lock);
    if (e->ngroups < 16)
        snprintf(e->groups[e->ngroups++], sizeof e->groups[0], "%s", stream);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int store_redis_open(store *s, const char *host, int port, int db, char *error, size_t size)
{
    redis_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(error, size, "%s", strerror(errno));
        return -1;
    }
    snprintf(e->host, sizeof e->host, "%s", host);
    e->port = port;
    e->db = db;
    pthread_mutex_init(&e->lock, NULL);
    char hostname[64] = "host";
    gethostname(hostname, sizeof hostname - 1);
    store_id rnd;
    if (store_new_id(rnd) < 0) {
        snprintf(error, size, "make a consumer name: %s", strerror(errno));
        pthread_mutex_destroy(&e->lock);
        free(e);
        return -1;
    }
    snprintf(e->node, sizeof e->node, "%s-%d-%.8s", hostname, (int)getpid(), rnd);
    s->engine = e;
    /* Prove the server answers and takes writes now, not at the first
     * submission. */
    char key[128];
    snprintf(key, sizeof key, "judgebox:node:%s", e->node);
    const char *argv[] = {"SET", key, "1", "EX", "60"};
    redisReply *r = command(e, 5, argv, NULL, "write a test key", error, size);
    if (!r) {
        s->engine = NULL;
        pthread_mutex_destroy(&e->lock);
        free(e);
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

static void redis_close(store *s)
{
    redis_engine *e = engine(s);
    if (!e)
        return;
    for (conn_node *n = e->free_list, *next; n; n = next) {
        next = n->next;
        redisFree(n->c);
        free(n);
    }
    pthread_mutex_destroy(&e->lock);
    free(e);
    s->engine = NULL;
}

static int redis_submit(store *s, const store_submission *subs, size_t n, store_id *ids,
                        int64_t now, char *error, size_t size)
{
    redis_engine *e = engine(s);
    for (size_t i = 0; i < n; i++) {
        char stream[128];
        queue_key(stream, sizeof stream, subs[i].origin);
        if (ensure_group(e, stream, error, size) < 0)
            return -1;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        redisContext *c = borrow(e, error, size);
        if (!c)
            return -1;
        char created[32];
        snprintf(created, sizeof created, "%lld", (long long)now);
        redisAppendCommand(c, "MULTI");
        for (size_t i = 0; i < n; i++) {
            char key[128], stream[128];
            job_key(key, sizeof key, ids[i]);
            queue_key(stream, sizeof stream, subs[i].origin);
            const char *cb = subs[i].callback_url ? subs[i].callback_url : "";
            redisAppendCommand(c, "HSET %s state 0 origin %s request %b callback_url %s "
                               "created_ms %s attempts 0", key, subs[i].origin,
                               subs[i].request, subs[i].request_len, cb, created);
            redisAppendCommand(c, "XADD %s * id %s", stream, ids[i]);
        }
        redisAppendCommand(c, "EXEC");
        /* MULTI, 2n QUEUED, then EXEC's array. */
        bool broken = false, failed = false;
        redisReply *r = NULL;
        for (size_t k = 0; k < 2 * n + 2; k++) {
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                snprintf(error, size, "store the submission: %s", c->errstr);
                broken = true;
                break;
            }
            bool last = k == 2 * n + 1;
            if (r->type == REDIS_REPLY_ERROR) {
                snprintf(error, size, "store the submission: %s", r->str);
                failed = true;
            } else if (last) {
                if (r->type != REDIS_REPLY_ARRAY) {
                    snprintf(error, size, "store the submission: the transaction was aborted");
                    failed = true;
                } else {
                    for (size_t j = 0; j < r->elements; j++)
                        if (r->element[j]->type == REDIS_REPLY_ERROR) {
                            snprintf(error, size, "store the submission: %s", r->element[j]->str);
                            failed = true;
                        }
                }
            }
            freeReplyObject(r);
        }
        if (broken) {
            /* Nothing may have been committed if the connection broke before
             * EXEC; a retry on a fresh connection is safe only then, and we
             * cannot know: say so rather than risk a duplicate. */
            redisFree(c);
            return -1;
        }
        give_back(e, c);
        return failed ? -1 : 0;
    }
    return -1;
}

/* HGETALL reply -> job.  -1 when out of memory or malformed. */
static int parse_job(const redisReply *r, const char *id, store_job *out, unsigned *attempts)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    bool have_state = false;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        const char *name = k->str;
        char **dst = NULL;
        size_t *len = NULL;
        if (strcmp(name, "state") == 0) {
            out->state = (store_state)atoi(v->str);
            have_state = true;
        } else if (strcmp(name, "origin") == 0) {
            dst = &out->origin;
        } else if (strcmp(name, "request") == 0) {
            dst = &out->request;
            len = &out->request_len;
        } else if (strcmp(name, "callback_url") == 0) {
            if (v->len)
                dst = &out->callback_url;
        } else if (strcmp(name, "result") == 0) {
            dst = &out->result;
            len = &out->result_len;
        } else if (strcmp(name, "created_ms") == 0) {
            out->created_ms = atoll(v->str);
        } else if (strcmp(name, "started_ms") == 0) {
            out->started_ms = atoll(v->str);
        } else if (strcmp(name, "finished_ms") == 0) {
            out->finished_ms = atoll(v->str);
        } else if (strcmp(name, "attempts") == 0 && attempts) {
            *attempts = (unsigned)atoi(v->str);
        }
        if (dst) {
            *dst = malloc(v->len + 1);
            if (!*dst) {
                store_job_free(out);
                return -1;
            }
            memcpy(*dst, v->str, v->len);
            (*dst)[v->len] = '\0';
            if (len)
                *len = v->len;
        }
    }
    if (!have_state || !out->origin || !out->request) {
        store_job_free(out);
        return -1;
    }
    return 0;
}

static int redis_get(store *s, const char *id, store_job *out, char *error, size_t size)
{
    redis_engine *e = engine(s);
    char key[128];
    job_key(key, sizeof key, id);
    const char *argv[] = {"HGETALL", key};
    redisReply *r = command(e, 2, argv, NULL, "read the job", error, size);
    if (!r)
        return -1;
    int rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
        rc = 0;
    else if (parse_job(r, id, out, NULL) < 0) {
        snprintf(error, size, "read the job %s: malformed or out of memory", id);
        rc = -1;
    } else {
        rc = 1;
    }
    freeReplyObject(r);
    return rc;
}

static const char cancel_script[] =
    "local st = redis.call('HGET', KEYS[1], 'state')\n"
    "if not st then return -1 end\n"
    "if st == '0' or st == '1' then\n"
    "  redis.call('HSET', KEYS[1], 'state', '3', 'finished_ms', ARGV[1])\n"
    "  redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
    "  redis.call('ZADD', 'judgebox:finished:3', ARGV[1], ARGV[3])\n"
    "  return tonumber(st)\n"
    "end\n"
    "return 10 + tonumber(st)\n";

static int redis_cancel(store *s, const char *id, store_state *was, char *error, size_t size)
{
    redis_engine *e = engine(s);
    char key[128], now[32], ttl[32];
    job_key(key, sizeof key, id);
    snprintf(now, sizeof now, "%lld", (long long)store_now_ms());
    snprintf(ttl, sizeof ttl, "%u", s->ttl_s);
    const char *args[] = {now, ttl, id};
    redisReply *r = eval2(e, cancel_script, key, key, 3, args, NULL, "cancel the job", error, size);
    if (!r)
        return -1;
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    if (v < 0)
        return 0;
    if (v >= 10) {
        *was = (store_state)(v - 10);
        return 2;
    }
    *was = (store_state)v;
    return 1;
}

static int redis_del(store *s, const char *id, char *error, size_t size)
{
    redis_engine *e = engine(s);
    char key[128];
    job_key(key, sizeof key, id);
    const char *argv[] = {"DEL", key};
    redisReply *r = command(e, 2, argv, NULL, "delete the job", error, size);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? 1 : 0;
    freeReplyObject(r);
    for (int st = STORE_DONE; st <= STORE_CANCELLED; st++) {
        char set[64];
        snprintf(set, sizeof set, "judgebox:finished:%d", st);
        const char *zargv[] = {"ZREM", set, id};
        r = command(e, 3, zargv, NULL, "delete the job", error, size);
        if (!r)
            return -1;
        freeReplyObject(r);
    }
    return rc;
}

/* Queued: the entries of each stream not yet delivered to a consumer
 * (XINFO GROUPS "lag"; a cancelled queued job counts until a server skips
 * it).  Running: the entries delivered and not acknowledged ("pending").
 * Done and cancelled: the sorted sets, from the time-to-live on. */
static int redis_count(store *s, store_counts *out, char *error, size_t size)
{
    redis_engine *e = engine(s);
    const char *argv[] = {"SMEMBERS", "judgebox:queues"};
    redisReply *r = command(e, 2, argv, NULL, "count jobs", error, size);
    if (!r)
        return -1;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const char *gargv[] = {"XINFO", "GROUPS", r->element[i]->str};
        redisReply *g = command(e, 3, gargv, NULL, "count jobs", error, size);
        if (!g) {
            freeReplyObject(r);
            return -1;
        }
        for (size_t k = 0; g->type == REDIS_REPLY_ARRAY && k < g->elements; k++) {
            const redisReply *grp = g->element[k];
            bool ours = false;
            long long pending = 0, lag = 0;
            for (size_t f = 0; grp->type == REDIS_REPLY_ARRAY && f + 1 < grp->elements; f += 2) {
                const char *name = grp->element[f]->str;
                const redisReply *v = grp->element[f + 1];
                if (strcmp(name, "name") == 0 && v->type == REDIS_REPLY_STRING)
                    ours = strcmp(v->str, GROUP) == 0;
                else if (strcmp(name, "pending") == 0 && v->type == REDIS_REPLY_INTEGER)
                    pending = v->integer;
                else if (strcmp(name, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
                    lag = v->integer;
            }
            if (ours) {
                out->running += (uint64_t)pending;
                out->queued += (uint64_t)lag;
            }
        }
        freeReplyObject(g);
    }
    freeReplyObject(r);
    char since[32];
    snprintf(since, sizeof since, "%lld", (long long)(store_now_ms() - (int64_t)s->ttl_s * 1000));
    for (int st = STORE_DONE; st <= STORE_CANCELLED; st++) {
        char set[64];
        snprintf(set, sizeof set, "judgebox:finished:%d", st);
        const char *zargv[] = {"ZCOUNT", set, since, "+inf"};
        redisReply *z = command(e, 4, zargv, NULL, "count jobs", error, size);
        if (!z)
            return -1;
        uint64_t n = z->type == REDIS_REPLY_INTEGER ? (uint64_t)z->integer : 0;
        if (st == STORE_DONE)
            out->done = n;
        else
            out->cancelled = n;
        freeReplyObject(z);
    }
    return 0;
}

static const char claim_script[] =
    "local st = redis.call('HGET', KEYS[1], 'state')\n"
    "if st == '0' or st == '1' then\n"
    "  redis.call('HSET', KEYS[1], 'state', '1', 'started_ms', ARGV[3], 'node', ARGV[4])\n"
    "  redis.call('HINCRBY', KEYS[1], 'attempts', 1)\n"
    "  return redis.call('HGETALL', KEYS[1])\n"
    "end\n"
    "redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[2], ARGV[2])\n"
    "return false\n";

/* Take the job of stream entry `entry` (its fields: id <uuid>).  1 claimed,
 * 0 the job was gone or finished (entry acknowledged), -1 error. */
static int take_entry(store *s, const char *stream, const redisReply *entry, store_claim *out,
                      char *error, size_t size)
{
    redis_engine *e = engine(s);
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2 ||
        entry->element[0]->type != REDIS_REPLY_STRING)
        return 0;
    const char *entry_id = entry->element[0]->str;
    const redisReply *fields = entry->element[1];
    const char *id = NULL;
    if (fields->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < fields->elements; i += 2)
            if (strcmp(fields->element[i]->str, "id") == 0)
                id = fields->element[i + 1]->str;
    char key[128], now[32];
    job_key(key, sizeof key, id && store_id_valid(id) ? id : "none");
    snprintf(now, sizeof now, "%lld", (long long)store_now_ms());
    const char *args[] = {GROUP, entry_id, now, e->node};
    redisReply *r = eval2(e, claim_script, key, stream, 4, args, NULL, "claim a job", error, size);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && id) {
        if (parse_job(r, id, &out->job, &out->attempts) < 0) {
            snprintf(error, size, "claim the job %s: malformed or out of memory", id);
            rc = -1;
        } else {
            snprintf(out->handle, sizeof out->handle, "%s\n%s", stream, entry_id);
            rc = 1;
        }
    }
    freeReplyObject(r);
    return rc;
}

static int redis_claim(store *s, const char *const *origins, size_t norigins, unsigned wait_ms,
                       store_claim *out, char *error, size_t size)
{
    redis_engine *e = engine(s);
    if (norigins == 0 || norigins > 8)
        return 0;
    char streams[8][128];
    for (size_t i = 0; i < norigins; i++) {
        queue_key(streams[i], sizeof streams[i], origins[i]);
        if (ensure_group(e, streams[i], error, size) < 0)
            return -1;
    }
    /* Jobs of servers that went silent first. */
    char idle[32];
    snprintf(idle, sizeof idle, "%u", s->claim_timeout_s * 1000);
    for (size_t i = 0; i < norigins; i++) {
        const char *argv[] = {"XAUTOCLAIM", streams[i], GROUP, e->node, idle, "0-0", "COUNT", "1"};
        redisReply *r = command(e, 8, argv, NULL, "take over a job", error, size);
        if (!r) {
            if (strstr(error, "NOGROUP")) {
                pthread_mutex_lock(&e->lock);
                e->ngroups = 0;
                pthread_mutex_unlock(&e->lock);
            }
            return -1;
        }
        int rc = 0;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
            r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0)
            rc = take_entry(s, streams[i], r->element[1]->element[0], out, error, size);
        freeReplyObject(r);
        if (rc != 0)
            return rc;
    }
    const char *argv[32];
    int n = 0;
    char block[32];
    snprintf(block, sizeof block, "%u", wait_ms);
    argv[n++] = "XREADGROUP"; argv[n++] = "GROUP"; argv[n++] = GROUP; argv[n++] = e->node;
    argv[n++] = "COUNT"; argv[n++] = "1"; argv[n++] = "BLOCK"; argv[n++] = block;
    argv[n++] = "STREAMS";
    for (size_t i = 0; i < norigins; i++)
        argv[n++] = streams[i];
    for (size_t i = 0; i < norigins; i++)
        argv[n++] = ">";
    redisReply *r = command(e, n, argv, NULL, "read the queue", error, size);
    if (!r) {
        /* Redis lost its data (restarted without persistence, flushed):
         * make the groups again on the next claim. */
        if (strstr(error, "NOGROUP")) {
            pthread_mutex_lock(&e->lock);
            e->ngroups = 0;
            pthread_mutex_unlock(&e->lock);
        }
        return -1;
    }
    int rc = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        redisReply *str = r->element[0];
        if (str->type == REDIS_REPLY_ARRAY && str->elements == 2 &&
            str->element[1]->type == REDIS_REPLY_ARRAY && str->element[1]->elements > 0)
            rc = take_entry(s, str->element[0]->str, str->element[1]->element[0], out, error, size);
    }
    freeReplyObject(r);
    return rc;
}

static const char finish_script[] =
    "local st = redis.call('HGET', KEYS[1], 'state')\n"
    "local node = redis.call('HGET', KEYS[1], 'node')\n"
    "local wrote = 0\n"
    "if st == '1' and node == ARGV[7] then\n"
    "  redis.call('HSET', KEYS[1], 'state', ARGV[3], 'result', ARGV[4], 'finished_ms', ARGV[5])\n"
    "  redis.call('HDEL', KEYS[1], 'node')\n"
    "  redis.call('EXPIRE', KEYS[1], ARGV[6])\n"
    "  redis.call('ZADD', 'judgebox:finished:' .. ARGV[3], ARGV[5], ARGV[8])\n"
    "  wrote = 1\n"
    "end\n"
    "redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[2], ARGV[2])\n"
    "return wrote\n";

static int split_handle(const store_claim *claim, char *stream, size_t ssize, char *entry,
                        size_t esize)
{
    const char *nl = strchr(claim->handle, '\n');
    if (!nl || (size_t)(nl - claim->handle) >= ssize)
        return -1;
    memcpy(stream, claim->handle, (size_t)(nl - claim->handle));
    stream[nl - claim->handle] = '\0';
    snprintf(entry, esize, "%s", nl + 1);
    return 0;
}

static int redis_finish(store *s, store_claim *claim, store_state state, const char *result,
                        size_t len, char *error, size_t size)
{
    redis_engine *e = engine(s);
    char stream[128], entry[64], key[128], st[8], now[32], ttl[32];
    if (split_handle(claim, stream, sizeof stream, entry, sizeof entry) < 0) {
        snprintf(error, size, "store the result: bad claim handle");
        return -1;
    }
    job_key(key, sizeof key, claim->job.id);
    snprintf(st, sizeof st, "%d", (int)state);
    snprintf(now, sizeof now, "%lld", (long long)store_now_ms());
    snprintf(ttl, sizeof ttl, "%u", s->ttl_s);
    const char *args[] = {GROUP, entry, st, result ? result : "", now, ttl, e->node, claim->job.id};
    size_t lens[] = {strlen(GROUP), strlen(entry), strlen(st), result ? len : 0, strlen(now),
                     strlen(ttl), strlen(e->node), strlen(claim->job.id)};
    redisReply *r = eval2(e, finish_script, key, stream, 8, args, lens, "store the result", error,
                          size);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
    freeReplyObject(r);
    return rc;
}

static const char keep_script[] =
    "local st = redis.call('HGET', KEYS[1], 'state')\n"
    "local node = redis.call('HGET', KEYS[1], 'node')\n"
    "if st == '1' and node == ARGV[2] then\n"
    "  redis.call('XCLAIM', KEYS[2], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')\n"
    "  return 0\n"
    "end\n"
    "return 1\n";

static int redis_keep(store *s, store_claim *const *claims, size_t n, bool *cancelled, char *error,
                      size_t size)
{
    redis_engine *e = engine(s);
    for (size_t i = 0; i < n; i++) {
        char stream[128], entry[64], key[128];
        if (split_handle(claims[i], stream, sizeof stream, entry, sizeof entry) < 0)
            continue;
        job_key(key, sizeof key, claims[i]->job.id);
        const char *args[] = {GROUP, e->node, entry};
        redisReply *r = eval2(e, keep_script, key, stream, 3, args, NULL, "keep a claim", error,
                              size);
        if (!r)
            return -1;
        cancelled[i] = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        freeReplyObject(r);
    }
    return 0;
}

/* Redis forgets expired results itself; the finished-id sets are trimmed
 * to the same time-to-live here. */
static int redis_sweep(store *s, char *error, size_t size)
{
    redis_engine *e = engine(s);
    char before[32];
    snprintf(before, sizeof before, "(%lld", (long long)(store_now_ms() - (int64_t)s->ttl_s * 1000));
    for (int st = STORE_DONE; st <= STORE_CANCELLED; st++) {
        char set[64];
        snprintf(set, sizeof set, "judgebox:finished:%d", st);
        const char *argv[] = {"ZREMRANGEBYSCORE", set, "-inf", before};
        redisReply *r = command(e, 4, argv, NULL, "forget expired results", error, size);
        if (!r)
            return -1;
        freeReplyObject(r);
    }
    return 0;
}

const store_ops store_redis_ops = {
    .name = "redis",
    .submit = redis_submit,
    .get = redis_get,
    .cancel = redis_cancel,
    .del = redis_del,
    .count = redis_count,
    .claim = redis_claim,
    .finish = redis_finish,
    .keep = redis_keep,
    .sweep = redis_sweep,
    .close = redis_close,
};
