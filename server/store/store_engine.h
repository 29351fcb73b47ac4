/*
 * store_engine.h - what sits behind store.h: the operations each engine
 * (store_sqlite.c, store_redis.c) provides, and the calls only the
 * dispatcher makes (claim a queued job, write its result, keep its claim
 * alive and learn of cancellations, sweep expired results).  store.c
 * picks the engine from the URL and forwards to it.
 */
#ifndef JUDGEBOX_STORE_ENGINE_H
#define JUDGEBOX_STORE_ENGINE_H

#include "store.h"

/* A claimed job: the job, and what the engine needs to finish it. */
typedef struct store_claim {
    store_job job;
    unsigned attempts;           /* 1 the first time it is claimed */
    char handle[96];             /* redis: "stream\nentry id"; sqlite: unused */
} store_claim;

typedef struct store_ops {
    const char *name;
    int (*submit)(store *s, const store_submission *subs, size_t n, store_id *ids, int64_t now_ms,
                  char *error, size_t size);
    int (*get)(store *s, const char *id, store_job *out, char *error, size_t size);
    int (*cancel)(store *s, const char *id, store_state *was, char *error, size_t size);
    int (*del)(store *s, const char *id, char *error, size_t size);
    int (*count)(store *s, store_counts *out, char *error, size_t size);
    int (*claim)(store *s, const char *const *origins, size_t norigins, unsigned wait_ms,
                 store_claim *out, char *error, size_t size);
    int (*finish)(store *s, store_claim *claim, store_state state, const char *result, size_t len,
                  char *error, size_t size);
    int (*keep)(store *s, store_claim *const *claims, size_t n, bool *cancelled, char *error,
                size_t size);
    int (*sweep)(store *s, char *error, size_t size);
    void (*close)(store *s);
} store_ops;

struct store {
    const store_ops *ops;
    char url[1100];
    unsigned ttl_s, claim_timeout_s;
    void *engine;
};

extern const store_ops store_sqlite_ops, store_redis_ops;
int store_sqlite_open(store *s, const char *path, char *error, size_t size);
int store_redis_open(store *s, const char *host, int port, int db, char *error, size_t size);

int64_t store_now_ms(void);
/* A new random id. */
int store_new_id(store_id out);

/* For the dispatcher.  claim: 1 and *out when a job of one of `origins`
 * was claimed (state now running), 0 when none came within wait_ms, -1
 * error.  finish: 1 written, 0 the job was cancelled or deleted meanwhile
 * (nothing written), -1 error.  keep: refresh the claims of the jobs
 * running here (redis: their idle time) and set cancelled[i] for those
 * cancelled since; -1 error.  sweep: forget expired results. */
int store_claim_job(store *s, const char *const *origins, size_t norigins, unsigned wait_ms,
                    store_claim *out, char *error, size_t size);
int store_finish_job(store *s, store_claim *claim, store_state state, const char *result,
                     size_t len, char *error, size_t size);
int store_keep_jobs(store *s, store_claim *const *claims, size_t n, bool *cancelled, char *error,
                    size_t size);
int store_sweep(store *s, char *error, size_t size);

#endif
