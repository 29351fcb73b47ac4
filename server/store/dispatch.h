/*
 * dispatch.h - the store's dispatcher: threads started with the server
 * that claim queued jobs from the store, turn each stored request into a
 * job with its origin's parse hook, judge it through the worker pool
 * (judge_run), write the native result JSON back, and deliver the job's
 * callback_url (callback.c: PUT, 3 tries, 5 s timeout each, as Judge0).
 * A cancelled job (store_cancel) that is running here is stopped.
 *
 * Origins: each API that submits to the store names itself ("v1",
 * "judge0") and gives the dispatcher two hooks; a server only claims jobs
 * of origins it knows.
 */
#ifndef JUDGEBOX_DISPATCH_H
#define JUDGEBOX_DISPATCH_H

#include <jansson.h>
#include <stddef.h>

#include "api.h"
#include "config.h"
#include "judge.h"
#include "langs.h"
#include "queue.h"
#include "sandbox.h"
#include "store.h"

typedef struct store_origin {
    const char *name;            /* as given in store_submission.origin */
    /* The stored request text -> a validated job.  0, or -1 with err: the
     * job then ends done with {"error": ...} as its result.  NULL: the text
     * is a native /v1/run body (api_parse_run). */
    int (*parse)(const char *request, size_t len, const server_config *config,
                 const language_table *langs, job_request *out, api_error *err);
    /* The body PUT to callback_url once the job is done (job->result is
     * the native result).  NULL hook: the native GET /v1/runs/{id} body.
     * Returns a new reference, or NULL to send nothing. */
    json_t *(*callback_body)(const store_job *job);
} store_origin;

/* The native origin ("v1"): a /v1/run body; callbacks get the GET body. */
extern const store_origin store_origin_v1;

typedef struct dispatcher dispatcher;

typedef struct dispatcher_options {
    store *store;
    const server_config *config;
    const language_table *langs;
    sandbox_context *context;
    pool *pool;
    const store_origin *const *origins; /* the origins this server judges */
    size_t norigins;
    unsigned threads;            /* jobs taken at once; 0: config->slots */
} dispatcher_options;

/* Start the dispatcher's threads (all of them now: no thread is created
 * later).  -1 with an error. */
int dispatcher_start(const dispatcher_options *options, dispatcher **out, char *error,
                     size_t error_size);
/* A job was submitted here: wake an idle thread now rather than at its
 * next poll. */
void dispatcher_notify(dispatcher *d);
/* Queue a PUT of `body` (taken over, malloc'd JSON text) to `url` on the
 * dispatcher's callback threads: for results made outside the store
 * (Judge0's wait=true submissions call back too). */
void dispatcher_send_callback(dispatcher *d, const char *id, const char *url, char *body, size_t len);
/* Stop claiming, let the jobs being judged finish, stop the threads. */
void dispatcher_stop(dispatcher *d);

/* The native GET /v1/runs/{id} body of a stored job: {"id", "state",
 * "created_at", ...} and, once done, the result's fields. */
json_t *store_job_native_body(const store_job *job);

#endif
