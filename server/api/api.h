/*
 * api.h - the v1 JSON contract: a POST /v1/run body to a validated
 * job_request (or an api_error naming the field), a job_result to the
 * response body, and the bodies of /v1/languages, /v1/limits and errors.
 * No I/O and no HTTP here: callers hand in bytes and get jansson values.
 */
#ifndef JUDGEBOX_API_H
#define JUDGEBOX_API_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "judge.h"
#include "langs.h"
#include "problem_store.h"

typedef struct api_error {
    int status;               /* HTTP status: 400, 404, 405, 413, 422, 500, 503 */
    const char *code;         /* "bad_json", "wrong_type", "unknown_field", ... */
    char field[128];          /* "limits.cpu_ms", "tests[3].stdin"; "" when none */
    char message[320];
} api_error;

void api_error_set(api_error *err, int status, const char *code, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void api_error_vset(api_error *err, int status, const char *code, const char *field,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* {"error": {"code", "message", "field"?}} */
json_t *api_error_body(const api_error *err);

/* True when the JSON text nests arrays/objects deeper than max_depth
 * (checked before parsing, so a hostile body costs one linear scan). */
bool api_json_too_deep(const char *text, size_t len, unsigned max_depth);

/* Parse and validate a /v1/run body.  0, or -1 with `err` (400 or 422). */
int api_parse_run(const char *body, size_t len, const server_config *config,
                  const language_table *langs, job_request *out, api_error *err);

/* api_problems.c: fill `job` from the stored problem `problem` (the
 * request's "problem" value): its tests, its validator or default checker
 * settings; its time and memory limits go to *defaults (the request's
 * "limits" may still override them).  0, or -1 with `err`. */
int api_problem_job(json_t *root, json_t *problem, const problem_meta *local,
                    const server_config *config, const language_table *langs, job_request *job,
                    sandbox_limits *defaults, api_error *err);
/* api_parse_run, judged against `local` (a package directory read by
 * `judgebox judge`) instead of a stored problem; NULL = api_parse_run. */
int api_parse_run_local(const char *body, size_t len, const server_config *config,
                        const language_table *langs, const problem_meta *local, job_request *out,
                        api_error *err);
/* Parse a judge program object (checker or interactor); api.c. */
int api_parse_program(json_t *root, json_t *obj, const char *key, const server_config *c,
                      const language_table *langs, judge_program *prog, api_error *err);

/* A program's run limits from root[key] under `policy` and its compile
 * limits (the language's defaults); api.c. */
int api_program_limits(json_t *root, const char *key, const limit_policy *policy,
                       const server_config *c, judge_program *prog, api_error *err);

/* The 200 response of /v1/run.  Outputs take at most
 * api_output_budget(job) bytes once encoded (escaping and base64
 * included); what does not fit is cut and flagged *_truncated. */
json_t *api_run_response(const char *id, const job_request *job, const job_result *result);

/* A run's signal as the API names it: "SIGSEGV", the number when it has
 * no name, null when there was none. */
json_t *api_signal_json(int sig);
uint64_t api_output_budget(const job_request *job);

/* The same response, streamed: the body's exact size goes to *size, and
 * api_stream_read produces it piece by piece (the outputs are encoded as
 * the client reads, never held encoded).  Takes *result over (emptied);
 * free with api_stream_free.  NULL when out of memory. */
typedef struct api_stream api_stream;
api_stream *api_run_stream(const char *id, const job_request *job, job_result *result,
                           uint64_t *size);
/* Up to max bytes at pos (reads are in order); 0 at the end, -1 on error. */
ssize_t api_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void api_stream_free(void *cls);
json_t *api_languages_body(const language_table *langs);
json_t *api_limits_body(const server_config *config, const language_table *langs);

#endif
