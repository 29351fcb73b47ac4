/*
 * callback.h - delivering a finished job to its callback_url with libcurl,
 * as Judge0 does: an HTTP PUT of a JSON body, up to 3 tries, 5 seconds of
 * timeout each, a second apart; any 2xx answer is delivered.  Deliveries
 * wait in a bounded in-memory queue served by threads made at start-up.
 * A callback not yet delivered when the server stops is lost (the result
 * itself stays in the store and can be fetched).
 */
#ifndef JUDGEBOX_CALLBACK_H
#define JUDGEBOX_CALLBACK_H

#include <stddef.h>

/* 0 when `url` is an absolute http:// or https:// URL with a host (and no
 * credentials), else -1 with the reason ("must be http or https"). */
int callback_url_check(const char *url, char *why, size_t why_size);

typedef struct callbacks callbacks;

typedef struct callback_options {
    unsigned threads;            /* 0: 2 */
    unsigned tries;              /* 0: 3 */
    unsigned timeout_s;          /* each try; 0: 5 */
    size_t queue_max;            /* 0: 10000; more are dropped (logged) */
} callback_options;

int callbacks_start(const callback_options *options, callbacks **out, char *error, size_t size);
/* Queue a PUT of `body` (taken over, malloc'd JSON text) to `url`. */
void callbacks_send(callbacks *c, const char *job_id, const char *url, char *body, size_t len);
/* Stop: the delivery in progress ends, the rest are dropped. */
void callbacks_stop(callbacks *c);

#endif
