/*
 * ops.h - the one door server/http uses into server/ops: the serve flags
 * of this room, startup (token file, the "no tokens, no public address"
 * rule, the metrics registry), and the gate every request passes before
 * its handler (authentication, then quotas), with the response headers
 * the gate asks for.  The parts have their own headers: auth.h (tokens,
 * scopes; auth_authorize is what server/compat calls for Judge0's empty
 * 401/403), quota.h, metrics.h, openapi.h.
 */
#ifndef JUDGEBOX_OPS_H
#define JUDGEBOX_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "auth.h"
#include "judge.h"
#include "langs.h"
#include "metrics.h"
#include "openapi.h"
#include "quota.h"

typedef struct ops_options {
    const char *auth_token_file;   /* NULL: no authentication */
    unsigned open_mask;            /* AUTH_OPEN_* */
    bool insecure_no_auth;         /* allow no tokens on a non-loopback address */
    quota_limits quota;            /* defaults for every client; 0 = unlimited */
} ops_options;

void ops_options_default(ops_options *o);
/* One serve flag of this room: 1 when `flag` is ours and took `value`
 * (*used_value true) or needed none, 0 when it is not ours, -1 with
 * `error` for a bad value. */
int ops_option(ops_options *o, const char *flag, const char *value, bool *used_value,
               char *error, size_t error_size);
/* The usage lines of these flags. */
extern const char ops_usage[];

typedef struct ops ops;

/* Load tokens, check the listen address, create the metrics registry.
 * -1 with one line in `error`. */
int ops_open(const ops_options *o, const char *listen, const language_table *langs, ops **out,
             char *error, size_t error_size);
void ops_close(ops *o);
bool ops_auth_enabled(const ops *o);
const auth_table *ops_tokens(const ops *o);
unsigned ops_open_mask(const ops *o);

#define OPS_HEADERS_MAX 6

/* The gate's decision for one request; lives in the request's state. */
typedef struct ops_gate {
    int status;                    /* 0: go on; else 401, 403, 429, 503 */
    const char *code;              /* error code for the JSON body */
    char message[256];
    const auth_token *token;       /* the caller, when authenticated */
    quota_ticket *ticket;          /* held until ops_gate_finish */
    bool judging;
    bool empty_body;               /* answer the refusal without a body (Judge0's way) */
    size_t nheaders;
    struct { const char *name; char value[112]; } headers[OPS_HEADERS_MAX];
} ops_gate;

/* Decide a request: credentials (`authorization`, `x_auth_token` header
 * values or NULL), then quotas keyed by the token's name or the client's
 * address.  Fills g (status 0 when it may go on) and counts refusals in
 * the metrics; the headers in g go on the response whatever the status. */
void ops_gate_check(ops *o, const char *method, const char *path, const char *authorization,
                    const char *x_auth_token, const struct sockaddr *client, ops_gate *g);
/* Charge the CPU time of a judged request to its client. */
void ops_gate_charge(ops_gate *g, const job_result *result);
/* The request is done (every path, also refusals): releases the ticket. */
void ops_gate_finish(ops_gate *g);

#endif
