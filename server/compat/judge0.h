/*
 * judge0.h - the Judge0 CE 1.13.1 submission model, apart from HTTP: a
 * request body validated as Judge0 validates it (422 {"field": [msgs]}),
 * the normalized submission kept in the job store, the job judgebox runs
 * for it, the verdict map from a judged result to Judge0's statuses and
 * fields, and rendering with `fields` and `base64_encoded`.  Judge0's own
 * settings (limits, feature switches) come from the environment variables
 * Judge0 reads (judge0_settings).  judge0_http.c is the HTTP side.
 */
#ifndef JUDGEBOX_JUDGE0_H
#define JUDGEBOX_JUDGE0_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "config.h"
#include "judge.h"
#include "judge0_langs.h"
#include "langs.h"

/* Judge0's configuration (app/helpers/config.rb), read once from the
 * environment with Judge0's variable names and defaults. */
typedef struct judge0_settings {
    bool maintenance_mode, enable_wait_result, enable_compiler_options,
        enable_command_line_arguments, enable_submission_delete, enable_callbacks,
        enable_additional_files, enable_per_process_and_thread_time_limit,
        allow_enable_per_process_and_thread_time_limit,
        enable_per_process_and_thread_memory_limit,
        allow_enable_per_process_and_thread_memory_limit, redirect_stderr_to_stdout,
        enable_batched_submissions, use_docs_as_homepage, allow_enable_network, enable_network,
        implicit_base64_encoding;
    unsigned callbacks_max_tries;
    double callbacks_timeout;
    unsigned max_queue_size;
    double cpu_time_limit, max_cpu_time_limit, cpu_extra_time, max_cpu_extra_time,
        wall_time_limit, max_wall_time_limit;
    long memory_limit, max_memory_limit, stack_limit, max_stack_limit,
        max_processes_and_or_threads, max_max_processes_and_or_threads, max_file_size,
        max_max_file_size, number_of_runs, max_number_of_runs, max_extract_size,
        max_submission_batch_size;
    double submission_cache_duration;
} judge0_settings;

const judge0_settings *judge0_settings_get(void);
/* GET /config_info */
json_t *judge0_config_info_body(void);

/* One submission after validation and defaults.  Byte fields may hold any
 * bytes (base64_encoded=true); `has_*` false is Judge0's null. */
typedef struct judge0_submission {
    char token[37];
    int64_t created_ms;
    int language_id;
    judge0_language lang;        /* resolved; lang.lang NULL when not (stored, no table) */
    unsigned char *source_code, *stdin_data, *expected_output, *additional_files;
    size_t source_len, stdin_len, expected_len, additional_len;
    bool has_source, has_stdin, has_expected, has_additional;
    char *compiler_options, *command_line_arguments, *callback_url;   /* NULL = null */
    double cpu_time_limit, cpu_extra_time, wall_time_limit;            /* seconds */
    long memory_limit, stack_limit, max_processes_and_or_threads, max_file_size, number_of_runs;
    bool per_process_time_limit, per_process_memory_limit, redirect_stderr_to_stdout,
        enable_network;
    bool interpreted;            /* the language has no compiler: a "compile" step is a syntax
                                    check, whose failure Judge0 would show as the run's */
} judge0_submission;

void judge0_submission_free(judge0_submission *s);

/* Validate one submission object (a POST /submissions body or one entry of
 * a batch).  0 when valid; 1 when it breaks Judge0's rules: *errors is a
 * new {"field": ["message", ...]} (422) and *out holds nothing to free;
 * -1 when out of memory.  The token and created_ms are set here. */
int judge0_submission_parse(json_t *body, bool base64_encoded, const language_table *langs,
                            judge0_submission *out, json_t **errors);

/* The normalized submission as stored text (JSON; bytes in base64), and
 * back.  langs may be NULL: the language is then not resolved. */
char *judge0_submission_store(const judge0_submission *s, size_t *len);
int judge0_submission_load(const char *text, size_t len, const language_table *langs,
                           judge0_submission *out);

/* The job judgebox runs for a submission: files (the zip extracted), one
 * test per run, limits, compile and run commands.  0, or -1 with `err`. */
int judge0_build_job(const judge0_submission *s, const server_config *config, job_request *out,
                     api_error *err);

/* The store's parse hook for origin "judge0" (dispatch.h). */
int judge0_store_parse(const char *request, size_t len, const server_config *config,
                       const language_table *langs, job_request *out, api_error *err);

/* Where a submission is: Judge0's status 1 and 2, or judged. */
typedef enum judge0_state { JUDGE0_QUEUED, JUDGE0_PROCESSING, JUDGE0_DONE } judge0_state;

/* What a judged submission shows: Judge0's result fields. */
typedef struct judge0_outcome {
    int status_id;
    unsigned char *stdout_data, *stderr_data, *compile_output;     /* NULL = null */
    size_t stdout_len, stderr_len, compile_len;
    char *message;                                                   /* NULL = null */
    bool has_time;
    uint64_t time_ms, wall_ms, memory_kb;
    bool has_exit_code, has_exit_signal;
    int exit_code, exit_signal;
    int64_t finished_ms;
} judge0_outcome;

void judge0_outcome_free(judge0_outcome *o);
/* The verdict map: a native result (api_run_response's JSON, or
 * {"error": {...}} when the server could not judge) to Judge0's fields. */
int judge0_outcome_from_native(const judge0_submission *s, json_t *native, int64_t finished_ms,
                               judge0_outcome *out);

/* Judge0's status descriptions, ids 1..14. */
const char *judge0_status_description(int id);
json_t *judge0_statuses_body(void);

/* Which fields to render: ?fields= (NULL or "" for the default 8, "*"
 * for all).  0, or -1 with the 400 message ("invalid fields: [a, b]"). */
typedef struct judge0_fields {
    uint64_t mask;
} judge0_fields;
int judge0_fields_parse(const char *spec, judge0_fields *out, char *error, size_t error_size);
extern const judge0_fields judge0_default_fields;

/* The submission as Judge0 serializes it.  `outcome` NULL when not judged
 * yet.  With base64_encoded false, a text field that is not valid UTF-8
 * makes this return NULL with *not_utf8 set (Judge0's conversion error). */
json_t *judge0_render(const judge0_submission *s, judge0_state state,
                      const judge0_outcome *outcome, const judge0_fields *fields,
                      bool base64_encoded, bool *not_utf8);

/* The origin of Judge0's asynchronous submissions in the job store. */
struct store_origin;
extern const struct store_origin judge0_store_origin;

#endif
