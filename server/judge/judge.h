/*
 * judge.h - one judged request: the validated job (what api.c parses) and
 * its result (what api.c serializes), and judge_run, which compiles once
 * and runs every test through the worker pool.
 */
#ifndef JUDGEBOX_JUDGE_H
#define JUDGEBOX_JUDGE_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "checkers.h"
#include "config.h"
#include "langs.h"
#include "program.h"
#include "outputs.h"
#include "queue.h"
#include "sandbox.h"

typedef struct job_file {
    char *name;                  /* relative path (api.c names files[0] as the language's source_file) */
    unsigned char *data;
    size_t len;
} job_file;

typedef struct job_test {
    char *id;
    unsigned char *stdin_data;
    size_t stdin_len;
    char **args;                 /* NULL-terminated, may be empty */
    bool has_expected;
    char *expected;
    size_t expected_len;
    /* Problem tests: files of the stored package instead of the bytes
     * above (stdin read from stdin_path; expected_path is the answer). */
    char *stdin_path;
    char *expected_path;
    uint64_t data_bytes;         /* size of both files, to size the workspace */
    bool has_points;
    double points;               /* worth of the test; 1 when not given */
} job_test;

struct step_result;

/* Told as a request's steps happen (server/live/: streamed responses).
 * `test` is the test's index, JUDGE_COMPILE for the compile.  Tests run
 * on several workers at once: every callback must be thread-safe and
 * quick; `output` comes from a slot's runner thread while the run lives. */
#define JUDGE_COMPILE ((size_t)-1)
typedef struct judge_observer {
    void *arg;
    void (*step_start)(void *arg, size_t test);
    void (*output)(void *arg, size_t test, int stream, const char *data, size_t len);
    void (*step_end)(void *arg, size_t test, const struct step_result *step);
    /* > 0: an interactive session (server/live/session.c): the runs read
     * this pipe as stdin (instead of the test's) and take signals from
     * signal_fd (sandbox_spec.signal_fd). */
    int stdin_fd, signal_fd;
} judge_observer;

typedef struct job_request {
    const language *lang;
    job_file *files;
    size_t nfiles;
    job_test *tests;
    size_t ntests;
    checker checker;
    sandbox_limits limits;          /* every exposed field filled */
    sandbox_limits compile_limits;  /* every exposed field filled */
    /* Set by the compatibility APIs (server/compat), NULL/false otherwise: */
    char **compile_argv;            /* NULL-terminated, malloc'd: instead of the language's
                                       (compiler options, a multi-file program's script) */
    char **run_argv;                /* likewise for the run command (tests' args follow it) */
    bool stderr_to_stdout;          /* runs: the program's stderr goes into its stdout */
    char **compile_options;         /* allowed flags, NULL-terminated; NULL = none */
    /* Special judges and interactors (server/problems/program.h). */
    judge_program checker_prog;     /* present: decides instead of `checker` */
    judge_program interactor;       /* present: the tests are interactive */
    const char *programs_dir;       /* compile cache of judge programs; NULL = none */
    bool stop_on_first_failure;     /* later tests are skipped, not run */
    char *problem_id;               /* judged against a stored package */
    char *problem_dir;              /* its directory, owned by the request */
    output_request *outputs;        /* files out after each run; NULL when none asked */
    sandbox_network *network;       /* the runs' network (not the compile's), malloc'd; NULL = none */
    const judge_observer *observer; /* NULL: nobody watches */
    char run_id_prefix[48];         /* the request's id: its runs are named <prefix>-<test index> and
                                       <prefix>-compile while they live (judgebox attach, docs/attach.md);
                                       "" = the sandbox's default names */
} job_request;

/* The name of a job's run `test` (JUDGE_COMPILE: its compile) into out; "" without a prefix. */
static inline void judge_run_id(const job_request *job, size_t test, char *out, size_t size)
{
    if (!job->run_id_prefix[0])
        snprintf(out, size, "%s", "");
    else if (test == JUDGE_COMPILE)
        snprintf(out, size, "%s-compile", job->run_id_prefix);
    else
        snprintf(out, size, "%s-%zu", job->run_id_prefix, test);
}

/* The commands a job compiles and runs with: its own, else its language's. */
static inline char *const *job_compile_argv(const job_request *job)
{
    return job->compile_argv ? job->compile_argv : job->lang->compile_argv;
}
static inline char *const *job_run_argv(const job_request *job)
{
    return job->run_argv ? job->run_argv : job->lang->run_argv;
}

typedef struct step_result {
    bool ran;                    /* false: skipped because the request was cancelled */
    bool skipped;                /* not run: an earlier test failed (stop_on_first_failure) */
    bool decided;                /* verdict set by the test's task (program, interactor) */
    sandbox_result result;
    const char *verdict;         /* NULL when the test expects nothing */
    char checker_message[CHECKER_MESSAGE_MAX];
    bool has_score;              /* the checker gave a score */
    double score;
    sandbox_result checker;      /* the checker's or interactor's own run, when there was one */
    bool has_checker_run;
    output_files files;          /* with job->outputs: what the run left in /box */
} step_result;

typedef struct job_result {
    bool has_compile;
    step_result compile;
    const char *compile_status;  /* "ok", "compile_error", or the limit it hit */
    step_result *runs;           /* ntests entries, or none after a failed compile */
    size_t nruns;
    const char *verdict;
    bool cancelled;              /* the client went away; the result is partial */
    bool scored;                 /* score and max_score mean something */
    double score, max_score;
    char judge_error[CHECKER_MESSAGE_MAX]; /* why a judge program could not be used */
    uint64_t queue_ms, compile_ms, run_ms;
} job_result;

/* Judge `job` for a request admitted with `ticket`, in a workspace of
 * `context` and the slots of the pool: workspace, files,
 * compile, tests, verdicts.  abort_fd as for pool_run.  0 when judged (or
 * cancelled: out->cancelled); -1 with `error` when the server failed
 * (workspace, files), which is the server's fault, not the program's;
 * then `out` holds nothing to free, only queue_ms. */
int judge_run(sandbox_context *context, pool_ticket *ticket, const job_request *job, int abort_fd,
              job_result *out, char *error, size_t error_size);
/* Verdicts from statuses and checker results (pure; judge_run calls it). */
void judge_decide(const job_request *job, job_result *result);
void job_result_free(job_result *result);
void job_request_free(job_request *job);

/* The pool whose workers each hold two slots and a helper thread, for
 * interactive tests (made at startup; NULL = interactive tests refused).
 * Process-wide and set once before serving. */
void judge_set_interact_pool(pool *interact);
int judge_pair_init(void *ctx, unsigned index, void **resource, char *error, size_t size);
void judge_pair_fini(void *ctx, void *resource);

/* Worker-pool hooks: each worker holds a sandbox slot for its life.
 * ctx is the sandbox_context. */
int judge_worker_init(void *ctx, unsigned index, void **resource, char *error, size_t size);
void judge_worker_fini(void *ctx, void *resource);

#endif
