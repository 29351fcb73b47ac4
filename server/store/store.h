/*
 * store.h - the job store behind every asynchronous submission (native
 * POST /v1/run?async=true, Judge0's POST /submissions without wait, and
 * its batches): a submission is written durably before it is acknowledged,
 * picked up by a dispatcher (dispatch.h) that judges it through the worker
 * pool, and its result kept until it expires.  Two engines behind one
 * interface, chosen by URL:
 *   sqlite:PATH            (default: sqlite:<state dir>/jobs.db) one file,
 *                          WAL mode, every commit fsynced; several servers
 *                          of one machine may share it
 *   redis://HOST:PORT[/DB] a Redis Stream with a consumer group (any number
 *                          of servers share the queue and the results; a job
 *                          held by a node that died is taken over after
 *                          claim_timeout_s with XAUTOCLAIM)
 * Every call is thread-safe.  Nothing here knows HTTP or a result's shape:
 * `request` is whatever text its origin stored (the origin's parse hook in
 * dispatch.h turns it into a job), `result` is the native result JSON
 * (api_run_response, or {"error": {...}} when the server could not judge
 * it); each API renders them its own way.
 */
#ifndef JUDGEBOX_STORE_H
#define JUDGEBOX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store;

/* A job's id: a random (version 4) UUID in lower case, NUL-terminated. */
#define STORE_ID_LEN 37
typedef char store_id[STORE_ID_LEN];

typedef enum store_state {
    STORE_QUEUED = 0,
    STORE_RUNNING = 1,
    STORE_DONE = 2,              /* judged, or failed for the server's fault: see result */
    STORE_CANCELLED = 3,         /* cancelled while queued or running; result is NULL */
} store_state;
/* "queued", "running", "done", "cancelled" */
const char *store_state_name(store_state state);

typedef struct store_options {
    const char *url;             /* NULL: "sqlite:<state_dir>/jobs.db" */
    const char *state_dir;       /* NULL: "/var/lib/judgebox" (created if missing) */
    unsigned result_ttl_s;       /* finished jobs are forgotten after this; 0: 86400 */
    unsigned claim_timeout_s;    /* redis: a running job whose node stopped
                                    answering is taken over after this; 0: 30 */
} store_options;

/* Open (and create) the store and check that it can be written: a
 * read-only, full or corrupt database, an unreachable Redis or a bad URL
 * is -1 with one line ("store sqlite:/x/jobs.db: database disk image is
 * malformed").  Jobs left running by a server that died are queued again. */
int store_open(const store_options *options, store **out, char *error, size_t error_size);
void store_close(store *s);
/* "sqlite:/var/lib/judgebox/jobs.db" or "redis://127.0.0.1:6379/0" */
const char *store_url(const store *s);
unsigned store_result_ttl(const store *s);

/* One submission to store. */
typedef struct store_submission {
    const char *origin;          /* "v1", "judge0": names the parse hook (dispatch.h) */
    const char *request;         /* the serialized request, stored as given */
    size_t request_len;
    const char *callback_url;    /* NULL or "": none */
} store_submission;

/* Store n submissions durably, all or none (one transaction), and give
 * each an id in ids[i].  0 once they are on disk (SQLite, fsynced) or
 * acknowledged by Redis; -1 with an error when none was stored: answer 503
 * and acknowledge nothing. */
int store_submit(store *s, const store_submission *subs, size_t n, store_id *ids,
                 char *error, size_t error_size);

/* A job as stored.  Strings are malloc'd (store_job_free), NULL when absent. */
typedef struct store_job {
    store_id id;
    store_state state;
    char *origin;
    char *request;
    size_t request_len;
    char *callback_url;
    char *result;                /* STORE_DONE: the native result JSON text */
    size_t result_len;
    int64_t created_ms;          /* Unix time in ms; 0 when not yet */
    int64_t started_ms;
    int64_t finished_ms;
} store_job;
void store_job_free(store_job *job);

/* 1 and *out filled when the job exists, 0 when it does not (never
 * submitted, deleted, or expired), -1 with an error. */
int store_get(store *s, const char *id, store_job *out, char *error, size_t error_size);
/* store_get for each of n ids (a batch): found[i] says whether out[i] was
 * filled.  -1 with an error (then nothing is filled). */
int store_get_many(store *s, const char *const *ids, size_t n, store_job *out, bool *found,
                   char *error, size_t error_size);

/* Cancel a queued or running job (a running one is stopped by the node
 * running it within about a second).  1 when it was cancelled now; 0 when
 * there is no such job; 2 when it had already finished or was cancelled
 * (nothing changed); *was (if not NULL) gets the state it had.  -1: error. */
int store_cancel(store *s, const char *id, store_state *was, char *error, size_t error_size);
/* Forget a job whatever its state.  1 deleted, 0 no such job, -1 error. */
int store_delete(store *s, const char *id, char *error, size_t error_size);

typedef struct store_counts {
    uint64_t queued, running, done, cancelled;
} store_counts;
int store_count(store *s, store_counts *out, char *error, size_t error_size);

/* True when `id` has the shape of a store id (checked before any lookup). */
bool store_id_valid(const char *id);

#endif
