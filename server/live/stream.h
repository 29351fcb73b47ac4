/*
 * stream.h - a streamed POST /v1/run response (Accept: text/event-stream
 * or application/x-ndjson): a judge_observer that turns a request's steps
 * into events (compile_start, compile_end, run_start, stdout, stderr,
 * run_end, done, error), a byte queue of formatted events, and the
 * libmicrohttpd content reader that drains it, suspending the connection
 * while the queue is empty and resuming it when an event comes.
 *
 * Memory stays bounded by the request's limits: output events carry only
 * the bytes the sandbox kept under output_bytes.  The stream is shared by
 * the connection and the executor judging it (reference counted); when
 * the connection goes first, events are dropped and the client's socket
 * is shut down so the judge's abort_fd reports the hang-up.
 */
#ifndef JUDGEBOX_STREAM_H
#define JUDGEBOX_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "judge.h"
#include "route.h"

typedef enum live_format { LIVE_SSE, LIVE_NDJSON } live_format;

typedef struct live_stream live_stream;

/* The format an Accept header asks for; false for an ordinary response. */
bool live_stream_wanted(const char *accept, live_format *format);

/* A stream for `job` (the observer is set on it: job->observer).  One
 * reference, the caller's.  NULL when out of memory. */
live_stream *live_stream_new(live_format format, job_request *job);
void live_stream_ref(live_stream *s);
void live_stream_unref(live_stream *s);

/* From the request's deferred work: answer 200 with the stream now (the
 * events follow as the work produces them) and keep a descriptor of the
 * client's socket for the judge's abort_fd (live_stream_client_fd): it
 * reports the hang-up even after the connection is closed.  0, or -1
 * (then nothing was replied). */
int live_stream_start(live_stream *s, http_request *req);
int live_stream_client_fd(const live_stream *s);

/* The last event: `done` with the whole response body, or `error` with an
 * error body.  Takes the reference to `body`.  Nothing is queued after. */
void live_stream_finish(live_stream *s, const char *event, json_t *body);

/* Output cut anywhere by the kernel, made into whole UTF-8 pieces: up to
 * three bytes of a sequence a chunk ends in the middle of wait in the
 * carry for the next chunk of the same stream. */
typedef struct carry_state {
    char bytes[4];
    size_t len;
} carry_state;
/* The carried bytes and data[0..len) up to the last whole sequence,
 * malloc'd (*whole bytes, maybe 0); NULL when out of memory. */
char *utf8_carry(carry_state *c, const char *data, size_t len, size_t *whole);

/* The deferred work's end: log fields, then `done` with the whole response
 * body (as without streaming) or `error` when the server failed (rc < 0,
 * `why`). */
void live_run_finished(live_stream *s, http_request *req, const char *id, const job_request *job, int rc,
                       job_result *res, const char *why);

#endif
