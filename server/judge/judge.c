/*
 * judge.c - judging one request with the sandbox core: make a workspace
 * (a size-capped tmpfs directory), write the source files into it,
 * compile once with /box writable so the program stays there, then run
 * every test with /box copy-on-write so each starts from the same
 * post-compile state.  Steps go through the worker pool, so the tests of
 * one request spread over free slots.  stdin reaches a program through a
 * memfd; stdout and stderr are captured by the core.  The verdict rules
 * (judge_decide) and the checkers turn statuses and outputs into
 * verdicts.  This file builds sandbox_specs and reads sandbox_results; it
 * never touches kernel interfaces beyond files in the workspace and memfds.
 */
#include "judge.h"

#include "command_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

int judge_worker_init(void *ctx, unsigned index, void **resource, char *error, size_t size)
{
    sandbox_error err = {0};
    sandbox_slot *slot = NULL;
    /* First free slot, so a CLI run holding slot 0 does not stop a server
     * from starting. */
    if (sandbox_slot_acquire(ctx, -1, &slot, &err) < 0) {
        snprintf(error, size, "worker %u: acquire a sandbox slot: %s", index, err.message);
        return -1;
    }
    *resource = slot;
    return 0;
}

void judge_worker_fini(void *ctx, void *resource)
{
    (void)ctx;
    if (resource)
        sandbox_slot_release(resource);
}

/* ---- writing the sources ---- */

static int write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Create `rel` (already validated: no "..", no leading '/', no empty
 * component) under dirfd, with its parent directories. */
static int write_file_at(int dirfd, const char *rel, const unsigned char *data, size_t len,
                         char *error, size_t size)
{
    char path[512];
    if (snprintf(path, sizeof path, "%s", rel) >= (int)sizeof path) {
        snprintf(error, size, "file name too long: %s", rel);
        return -1;
    }
    for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdirat(dirfd, path, 0777) < 0 && errno != EEXIST) {
            snprintf(error, size, "mkdir %s in workspace: %s", path, strerror(errno));
            return -1;
        }
        if (fchmodat(dirfd, path, 0777, 0) < 0) {
            snprintf(error, size, "chmod %s in workspace: %s", path, strerror(errno));
            return -1;
        }
        *slash = '/';
    }
    int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(error, size, "create %s in workspace: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (fchmod(fd, 0666) < 0 || write_all(fd, data, len) < 0) {
        snprintf(error, size, "write %s in workspace: %s", path, strerror(errno));
        rc = -1;
    }
    if (close(fd) < 0 && rc == 0) {
        snprintf(error, size, "close %s in workspace: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

static int write_sources(const char *dir, const job_request *job, const char *main_file,
                         char *error, size_t size)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(error, size, "open workspace %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < job->nfiles && rc == 0; i++) {
        const char *name = i == 0 ? main_file : job->files[i].name;
        rc = write_file_at(dirfd, name, job->files[i].data, job->files[i].len, error, size);
    }
    close(dirfd);
    return rc;
}

/* ---- one sandboxed step ---- */

typedef struct step_input {
    const char *const *argv;
    const sandbox_limits *limits;
    sandbox_box_mode box_mode;
    const unsigned char *stdin_data;
    size_t stdin_len;
    bool stderr_to_stdout;
} step_input;

static void internal_error(step_result *out, const char *what, const char *detail)
{
    out->result.status = SANDBOX_INTERNAL_ERROR;
    out->result.exit_code = -1;
    snprintf(out->result.message, sizeof out->result.message, "%s%s", what, detail);
}

/* A memfd holding the test's stdin, positioned at 0; -1 with `error`. */
static int stdin_memfd(const unsigned char *data, size_t len, char *error, size_t size)
{
    int fd = memfd_create("judgebox-stdin", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(error, size, "memfd_create for stdin: %s", strerror(errno));
        return -1;
    }
    if (write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        snprintf(error, size, "fill stdin memfd: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void run_step(const job_request *job, const char *box_dir, int cancel_fd,
                     const step_input *in, sandbox_slot *slot, step_result *out)
{
    memset(&out->result, 0, sizeof out->result);
    out->ran = true;
    /* A test's stdin (empty when none is given) is a memfd; a compile
     * has none (NULL) and reads /dev/null. */
    int stdin_fd = -1;
    if (in->stdin_data) {
        char why[256];
        stdin_fd = stdin_memfd(in->stdin_data, in->stdin_len, why, sizeof why);
        if (stdin_fd < 0) {
            internal_error(out, "", why);
            return;
        }
    }
    sandbox_spec spec = {
        .rootfs = job->lang->rootfs,
        .argv = in->argv,
        .env = (const char *const *)job->lang->env,
        .workdir = NULL,
        .box_dir = box_dir,
        .box_mode = in->box_mode,
        .stdin_fd = stdin_fd,
        .stdout_fd = -1,
        .stderr_fd = -1,
        .limits = *in->limits,
        .hostname = NULL,
        .cancel_fd = cancel_fd,
        .stderr_to_stdout = in->stderr_to_stdout,
    };
    sandbox_error err = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int run_rc = sandbox_run(slot, &spec, &out->result, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000 -
                 (int64_t)out->result.wall_ms * 1000;
    metrics_sandbox_setup_us(us > 0 ? (uint64_t)us : 0);   /* the sandbox's own cost */
    if (run_rc < 0) {
        out->result.status = SANDBOX_INTERNAL_ERROR;
        if (!out->result.message[0])
            snprintf(out->result.message, sizeof out->result.message, "%s", err.message);
    }
    if (stdin_fd >= 0)
        close(stdin_fd);
}

typedef struct judge_batch {
    const job_request *job;
    const job_commands *commands;
    job_result *result;
    const char *box_dir;
    int cancel_fd;
} judge_batch;

static void compile_task(void *arg, size_t index, void *resource)
{
    (void)index;
    judge_batch *b = arg;
    step_input in = {
        .argv = (const char *const *)b->commands->compile,
        .limits = &b->job->compile_limits,
        .box_mode = SANDBOX_BOX_WRITABLE,
        .stdin_data = NULL,
        .stdin_len = 0,
    };
    run_step(b->job, b->box_dir, b->cancel_fd, &in, resource, &b->result->compile);
}

static void test_task(void *arg, size_t index, void *resource)
{
    judge_batch *b = arg;
    const job_test *t = &b->job->tests[index];
    step_result *out = &b->result->runs[index];
    char *const *run = b->commands->run;
    size_t nrun = 0, nargs = 0;
    while (run[nrun])
        nrun++;
    while (t->args && t->args[nargs])
        nargs++;
    const char **argv = calloc(nrun + nargs + 1, sizeof *argv);
    if (!argv) {
        out->ran = true;
        internal_error(out, "build argv: ", strerror(errno));
        return;
    }
    for (size_t i = 0; i < nrun; i++)
        argv[i] = run[i];
    for (size_t i = 0; i < nargs; i++)
        argv[nrun + i] = t->args[i];
    step_input in = {
        .argv = argv,
        .limits = &b->job->limits,
        .box_mode = SANDBOX_BOX_COPY_ON_WRITE,
        .stdin_data = t->stdin_data,
        .stdin_len = t->stdin_len,
        .stderr_to_stdout = b->job->stderr_to_stdout,
    };
    run_step(b->job, b->box_dir, b->cancel_fd, &in, resource, out);
    free(argv);
}

/* ---- verdicts ---- */

/* A compiler child killed by RLIMIT_FSIZE (ld or as writing a 512 MB
 * array) makes the driver exit 1 with strsignal(SIGXFSZ) in its message:
 * that is the file-size limit's status, not a compile error. */
static bool hit_file_size(const sandbox_result *r)
{
    return r->stderr_data && strstr(r->stderr_data, "File size limit exceeded");
}

static const char *compile_status(const sandbox_result *r)
{
    if (r->status == SANDBOX_OK && r->exit_code == 0)
        return "ok";
    if ((r->status == SANDBOX_OK || r->status == SANDBOX_RUNTIME_ERROR) && hit_file_size(r))
        return sandbox_status_name(SANDBOX_OUTPUT_LIMIT);
    if (r->status == SANDBOX_OK || r->status == SANDBOX_RUNTIME_ERROR)
        return "compile_error";
    return sandbox_status_name(r->status);
}

void judge_decide(const job_request *job, job_result *res)
{
    res->verdict = NULL;
    if (res->cancelled) {
        res->verdict = "cancelled";
        return;
    }
    if (res->has_compile) {
        sandbox_result *cr = &res->compile.result;
        res->compile_status = compile_status(cr);
        if (strcmp(res->compile_status, "output_limit") == 0 && !cr->message[0])
            snprintf(cr->message, sizeof cr->message,
                     "the compiler wrote a file of compile_limits.file_size_kb (%llu KiB)",
                     (unsigned long long)job->compile_limits.file_size_kb);
        if (strcmp(res->compile_status, "ok") != 0) {
            res->verdict = res->compile.result.status == SANDBOX_INTERNAL_ERROR ? "internal_error"
                                                                                : "compile_error";
            return;
        }
    }
    bool any_expected = false;
    for (size_t i = 0; i < res->nruns; i++) {
        step_result *r = &res->runs[i];
        const job_test *t = &job->tests[i];
        r->verdict = NULL;
        r->checker_message[0] = '\0';
        if (!r->ran)
            continue;
        if (t->has_expected) {
            any_expected = true;
            if (r->result.status != SANDBOX_OK)
                r->verdict = sandbox_status_name(r->result.status);
            else if (checker_accepts(&job->checker, r->result.stdout_data, r->result.stdout_len,
                                     t->expected, t->expected_len, r->checker_message,
                                     sizeof r->checker_message))
                r->verdict = "accepted";
            else
                r->verdict = "wrong_answer";
        }
        if (!res->verdict) {
            if (r->verdict && strcmp(r->verdict, "accepted") != 0)
                res->verdict = r->verdict;
            else if (!r->verdict && r->result.status != SANDBOX_OK)
                res->verdict = sandbox_status_name(r->result.status);
        }
    }
    if (!res->verdict)
        res->verdict = any_expected ? "accepted" : "ok";
}

/* ---- the request ---- */

int judge_run(sandbox_context *context, pool_ticket *ticket, const job_request *job, int abort_fd,
              job_result *out, char *error, size_t size)
{
    memset(out, 0, sizeof *out);
    job_commands commands;
    if (commands_build(job, &commands, error, size) < 0)
        return -1;
    /* a compile, or the syntax check of an interpreted language */
    out->has_compile = commands.compile != NULL;

    /* Room for the sources plus whatever the compiler writes into /box. */
    uint64_t bytes = 0;
    for (size_t i = 0; i < job->nfiles; i++)
        bytes += job->files[i].len + 4096;
    uint64_t size_kb = bytes / 1024 + 1024;
    if (out->has_compile)
        size_kb += job->compile_limits.disk_kb;

    sandbox_workspace *ws = NULL;
    sandbox_error err = {0};
    if (sandbox_workspace_create(context, size_kb, &ws, &err) < 0) {
        snprintf(error, size, "create workspace: %s", err.message);
        commands_free(&commands);
        return -1;
    }
    const char *dir = sandbox_workspace_path(ws);
    int rc = -1;
    if (write_sources(dir, job, commands.main_file, error, size) < 0)
        goto out;
    judge_batch batch = {job, &commands, out, dir, pool_ticket_cancel_fd(ticket)};
    if (out->has_compile) {
        out->cancelled = pool_run(ticket, 1, compile_task, &batch, abort_fd) == 1;
        out->compile_ms = out->compile.result.wall_ms;
        if (out->cancelled || strcmp(compile_status(&out->compile.result), "ok") != 0) {
            rc = 0;
            goto out;
        }
    }
    out->runs = calloc(job->ntests, sizeof *out->runs);
    if (!out->runs) {
        snprintf(error, size, "allocate %zu results: %s", job->ntests, strerror(errno));
        goto out;
    }
    out->nruns = job->ntests;
    out->cancelled = pool_run(ticket, job->ntests, test_task, &batch, abort_fd) == 1;
    for (size_t i = 0; i < out->nruns; i++)
        out->run_ms += out->runs[i].result.wall_ms;
    rc = 0;
out:
    sandbox_workspace_destroy(ws);
    commands_free(&commands);
    if (rc == 0)
        judge_decide(job, out);
    else
        job_result_free(out);     /* the compile's output, the runs array */
    out->queue_ms = pool_ticket_queue_ms(ticket);
    if (rc == 0)
        metrics_job(job, out);      /* verdict, runs, timings: for every caller of judge_run */
    else
        metrics_internal_error("judge");
    return rc;
}

void job_result_free(job_result *r)
{
    if (r->has_compile)
        sandbox_result_free(&r->compile.result);
    for (size_t i = 0; i < r->nruns; i++)
        sandbox_result_free(&r->runs[i].result);
    free(r->runs);
    memset(r, 0, sizeof *r);
}

void job_request_free(job_request *job)
{
    for (size_t i = 0; i < job->nfiles; i++) {
        free(job->files[i].name);
        free(job->files[i].data);
    }
    free(job->files);
    for (size_t i = 0; i < job->ntests; i++) {
        job_test *t = &job->tests[i];
        free(t->id);
        free(t->stdin_data);
        if (t->args)
            for (char **a = t->args; *a; a++)
                free(*a);
        free(t->args);
        free(t->expected);
    }
    free(job->tests);
    char **argvs[] = {job->compile_argv, job->run_argv};
    for (size_t i = 0; i < 2; i++) {
        for (char **a = argvs[i]; a && *a; a++)
            free(*a);
        free(argvs[i]);
    }
    if (job->compile_options)
        for (char **o = job->compile_options; *o; o++)
            free(*o);
    free(job->compile_options);
    memset(job, 0, sizeof *job);
}
