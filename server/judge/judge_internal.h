/*
 * judge_internal.h - what judge.c (a request's flow and verdicts) and
 * judge_programs.c (checkers, interactors, their compile cache) share:
 * one sandboxed step, the batch a request's tasks see, and file writing
 * into workspaces.  Not for other rooms.
 */
#ifndef JUDGEBOX_JUDGE_INTERNAL_H
#define JUDGEBOX_JUDGE_INTERNAL_H

#include "command_lines.h"
#include "judge.h"

typedef struct step_input {
    const language *lang;        /* rootfs and environment */
    const char *box_dir;
    sandbox_box_mode box_mode;
    const char *const *argv;
    const sandbox_limits *limits;
    const unsigned char *stdin_data; /* given through a memfd; NULL = see stdin_fd */
    size_t stdin_len;
    int stdin_fd;                /* >= 0: the run's stdin (not closed here); -1 = /dev/null */
    int stdout_fd;               /* >= 0: forwarded there; -1 = captured */
    int cancel_fd;
    bool stderr_to_stdout;
    const sandbox_hooks *hooks;  /* live output, files out (server/live); NULL = none */
    int signal_fd;               /* > 0: signals for the program (an interactive session) */
    const char *run_id;          /* the run's name while it lives; NULL or "" = the sandbox's default */
    const sandbox_network *network; /* NULL = none */
} step_input;

/* One run in `slot`; out->result holds its result (internal_error with a
 * message when the sandbox could not run it). */
void judge_run_step(sandbox_slot *slot, const step_input *in, sandbox_result *out);
void judge_internal_error(sandbox_result *out, const char *what, const char *detail);

typedef struct judge_batch {
    const job_request *job;
    const job_commands *commands;  /* the submission's compile and run command lines */
    job_result *result;
    const char *box_dir;         /* the submission's workspace (its /box) */
    const char *prog_dir;        /* the judge programs' workspace: checker/, interactor/ */
    int cancel_fd;
    size_t base;                 /* index of the batch's first test */
    /* A judge program being compiled (judge_programs.c). */
    const judge_program *building;
    const char *build_dir;
    char *const *build_argv;
    sandbox_result build_result;
    char **checker_run, **interactor_run;  /* ready programs' run argv (owned) */
} judge_batch;

/* Create `rel` under dirfd with its parents; mode applied exactly.
 * -1 with `error`. */
int judge_write_file_at(int dirfd, const char *rel, const unsigned char *data, size_t len,
                        mode_t mode, char *error, size_t size);
int judge_write_all(int fd, const unsigned char *data, size_t len);

/* judge_programs.c.  Make `prog` ready at <prog_dir>/<kind>: from the
 * cache, or compiled through the pool and then cached.  0 when ready;
 * 1 when the program is unusable (`why` says why: the judge_error of
 * every test); 2 when the request was cancelled meanwhile; -1 on a
 * server failure (`why`). */
pool *judge_interact_pool(void);

int judge_prepare_program(pool_ticket *ticket, judge_batch *b, const judge_program *prog,
                          const char *kind, int abort_fd, char *why, size_t size);
/* After test i ran normally with an OK status: run the special judge on
 * its output and set r->verdict, message, score (r->decided). */
void judge_check(judge_batch *b, size_t i, sandbox_slot *slot, step_result *r);
/* Test i of an interactive problem: the solution and the interactor
 * joined by pipes, on a worker of the interact pool; sets r. */
void judge_interact(judge_batch *b, size_t i, step_result *r);

#endif
