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
#include "judge_internal.h"

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

int judge_write_all(int fd, const unsigned char *data, size_t len)
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
int judge_write_file_at(int dirfd, const char *rel, const unsigned char *data, size_t len,
                        mode_t mode, char *error, size_t size)
{
    char path[512];
    if (snprintf(path, sizeof path, "%s", rel) >= (int)sizeof path) {
        snprintf(error, size, "file name too long: %s", rel);
        return -1;
    }
    mode_t dir_mode = (mode & 0222) == 0222 ? 0777 : 0755;
    for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdirat(dirfd, path, dir_mode) < 0 && errno != EEXIST) {
            snprintf(error, size, "mkdir %s in workspace: %s", path, strerror(errno));
            return -1;
        }
        if (fchmodat(dirfd, path, dir_mode, 0) < 0) {
            snprintf(error, size, "chmod %s in workspace: %s", path, strerror(errno));
            return -1;
        }
        *slash = '/';
    }
    int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(error, size, "create %s in workspace: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (fchmod(fd, mode) < 0 || judge_write_all(fd, data, len) < 0) {
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
        rc = judge_write_file_at(dirfd, name, job->files[i].data, job->files[i].len, 0666, error,
                                 size);
    }
    close(dirfd);
    return rc;
}

/* ---- one sandboxed step ---- */

void judge_internal_error(sandbox_result *out, const char *what, const char *detail)
{
    out->status = SANDBOX_INTERNAL_ERROR;
    out->exit_code = -1;
    snprintf(out->message, sizeof out->message, "%s%s", what, detail);
}

/* A memfd holding the test's stdin, positioned at 0; -1 with `error`. */
static int stdin_memfd(const unsigned char *data, size_t len, char *error, size_t size)
{
    int fd = memfd_create("judgebox-stdin", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(error, size, "memfd_create for stdin: %s", strerror(errno));
        return -1;
    }
    if (judge_write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        snprintf(error, size, "fill stdin memfd: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void judge_run_step(sandbox_slot *slot, const step_input *in, sandbox_result *out)
{
    memset(out, 0, sizeof *out);
    /* A test's stdin (empty when none is given) is a memfd; a compile
     * has none (NULL) and reads /dev/null. */
    int stdin_fd = in->stdin_fd, own_fd = -1;
    if (in->stdin_data) {
        char why[256];
        stdin_fd = own_fd = stdin_memfd(in->stdin_data, in->stdin_len, why, sizeof why);
        if (stdin_fd < 0) {
            judge_internal_error(out, "", why);
            return;
        }
    }
    sandbox_spec spec = {
        .rootfs = in->lang->rootfs,
        .argv = in->argv,
        .env = (const char *const *)in->lang->env,
        .workdir = NULL,
        .box_dir = in->box_dir,
        .box_mode = in->box_mode,
        .stdin_fd = stdin_fd,
        .stdout_fd = in->stdout_fd,
        .stderr_fd = -1,
        .limits = *in->limits,
        .hostname = NULL,
        .cancel_fd = in->cancel_fd,
        .stderr_to_stdout = in->stderr_to_stdout,
        .hooks = in->hooks,
        .signal_fd = in->signal_fd,
        .run_id = in->run_id && in->run_id[0] ? in->run_id : NULL,
        .network = in->network,
    };
    sandbox_error err = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int run_rc = sandbox_run(slot, &spec, out, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000 -
                 (int64_t)out->wall_ms * 1000;
    metrics_sandbox_setup_us(us > 0 ? (uint64_t)us : 0);   /* the sandbox's own cost */
    if (run_rc < 0) {
        out->status = SANDBOX_INTERNAL_ERROR;
        if (!out->message[0])
            snprintf(out->message, sizeof out->message, "%s", err.message);
    }
    if (own_fd >= 0)
        close(own_fd);
}

/* The sandbox hooks of one step: live output to the observer, files out. */
typedef struct step_hooks {
    const job_request *job;
    size_t test;
    step_result *out;
    sandbox_hooks hooks;
} step_hooks;

static void hook_output(void *arg, int stream, const char *data, size_t len)
{
    step_hooks *h = arg;
    h->job->observer->output(h->job->observer->arg, h->test, stream, data, len);
}

static void hook_finished(void *arg, int box_fd)
{
    step_hooks *h = arg;
    outputs_collect(h->job->outputs, box_fd, &h->out->files);
}

/* The hooks a step needs, or NULL. */
static const sandbox_hooks *live_hooks(step_hooks *h, const job_request *job, size_t test, step_result *out)
{
    *h = (step_hooks){.job = job, .test = test, .out = out};
    h->hooks.arg = h;
    h->hooks.output = job->observer && job->observer->output ? hook_output : NULL;
    h->hooks.finished = job->outputs && job->outputs->npatterns && test != JUDGE_COMPILE ? hook_finished : NULL;
    return h->hooks.output || h->hooks.finished ? &h->hooks : NULL;
}

static void compile_task(void *arg, size_t index, void *resource)
{
    (void)index;
    judge_batch *b = arg;
    step_input in = {
        .lang = b->job->lang,
        .box_dir = b->box_dir,
        .box_mode = SANDBOX_BOX_WRITABLE,
        .argv = (const char *const *)b->commands->compile,
        .limits = &b->job->compile_limits,
        .stdin_fd = -1,
        .stdout_fd = -1,
        .cancel_fd = b->cancel_fd,
    };
    char run_id[SANDBOX_RUN_ID_MAX];
    judge_run_id(b->job, JUDGE_COMPILE, run_id, sizeof run_id);
    in.run_id = run_id;
    step_hooks live;
    in.hooks = live_hooks(&live, b->job, JUDGE_COMPILE, &b->result->compile);
    const judge_observer *o = b->job->observer;
    if (o && o->step_start)
        o->step_start(o->arg, JUDGE_COMPILE);
    b->result->compile.ran = true;
    judge_run_step(resource, &in, &b->result->compile.result);
    if (o && o->step_end)
        o->step_end(o->arg, JUDGE_COMPILE, &b->result->compile);
}

static void decide_test(const job_request *job, size_t i, step_result *r);

static void test_task(void *arg, size_t index, void *resource)
{
    judge_batch *b = arg;
    index += b->base;
    const job_test *t = &b->job->tests[index];
    step_result *out = &b->result->runs[index];
    out->ran = true;
    if (b->job->interactor.present) {
        judge_interact(b, index, out);
        return;
    }
    const language *l = b->job->lang;
    char *const *run = b->commands->run;
    size_t nrun = 0, nargs = 0;
    while (run[nrun])
        nrun++;
    while (t->args && t->args[nargs])
        nargs++;
    const char **argv = calloc(nrun + nargs + 1, sizeof *argv);
    if (!argv) {
        judge_internal_error(&out->result, "build argv: ", strerror(errno));
        return;
    }
    for (size_t i = 0; i < nrun; i++)
        argv[i] = run[i];
    for (size_t i = 0; i < nargs; i++)
        argv[nrun + i] = t->args[i];
    int stdin_fd = -1;
    if (t->stdin_path) {
        stdin_fd = open(t->stdin_path, O_RDONLY | O_CLOEXEC);
        if (stdin_fd < 0) {
            judge_internal_error(&out->result, "open the test's input: ", strerror(errno));
            free(argv);
            return;
        }
    }
    step_input in = {
        .lang = l,
        .box_dir = b->box_dir,
        .box_mode = SANDBOX_BOX_COPY_ON_WRITE,
        .argv = argv,
        .limits = &b->job->limits,
        .stdin_data = t->stdin_path ? NULL : t->stdin_data,
        .stdin_len = t->stdin_len,
        .stdin_fd = stdin_fd,
        .stdout_fd = -1,
        .cancel_fd = b->cancel_fd,
        .stderr_to_stdout = b->job->stderr_to_stdout,
        .network = b->job->network,
    };
    char run_id[SANDBOX_RUN_ID_MAX];
    judge_run_id(b->job, index, run_id, sizeof run_id);
    in.run_id = run_id;
    step_hooks live;
    in.hooks = live_hooks(&live, b->job, index, out);
    const judge_observer *o = b->job->observer;
    if (o && o->stdin_fd > 0) { /* an interactive session: stdin is its pipe */
        in.stdin_data = NULL;
        in.stdin_fd = o->stdin_fd;
        in.signal_fd = o->signal_fd;
    }
    if (o && o->step_start)
        o->step_start(o->arg, index);
    judge_run_step(resource, &in, &out->result);
    if (o && o->step_end)
        o->step_end(o->arg, index, out);
    if (stdin_fd >= 0)
        close(stdin_fd);
    free(argv);
    if (b->job->checker_prog.present && t->has_expected && out->result.status == SANDBOX_OK &&
        b->result->judge_error[0] == '\0')
        judge_check(b, index, resource, out);
    else
        decide_test(b->job, index, out);
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

/* The whole of a file, malloc'd and NUL-terminated; NULL with errno. */
static char *read_whole(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *data = NULL;
    if (fstat(fd, &st) == 0 && (data = malloc((size_t)st.st_size + 1))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        data[got] = '\0';
        *len = got;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return data;
}

/* The verdict of test i from its run, with a built-in checker; a verdict
 * set by a judge program (r->decided) stays. */
static void decide_test(const job_request *job, size_t i, step_result *r)
{
    const job_test *t = &job->tests[i];
    if (r->decided || !r->ran || r->skipped)
        return;
    r->verdict = NULL;
    r->checker_message[0] = '\0';
    if (!t->has_expected)
        return;
    if (r->result.status != SANDBOX_OK) {
        r->verdict = sandbox_status_name(r->result.status);
        return;
    }
    const char *expected = t->expected;
    size_t expected_len = t->expected_len;
    char *loaded = NULL;
    if (t->expected_path) {
        loaded = read_whole(t->expected_path, &expected_len);
        if (!loaded) {
            snprintf(r->checker_message, sizeof r->checker_message, "read the answer file: %s",
                     strerror(errno));
            r->verdict = "internal_error";
            r->decided = true;
            return;
        }
        expected = loaded;
    }
    bool ok = checker_accepts(&job->checker, r->result.stdout_data, r->result.stdout_len, expected,
                              expected_len, r->checker_message, sizeof r->checker_message);
    r->verdict = ok ? "accepted" : "wrong_answer";
    free(loaded);
    if (t->expected_path)
        r->decided = true;       /* the file is not read again by judge_decide */
}

static bool failed(const step_result *r)
{
    if (!r->ran || r->skipped)
        return false;
    if (r->verdict)
        return strcmp(r->verdict, "accepted") != 0;
    return r->result.status != SANDBOX_OK;
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
    if (res->judge_error[0]) {
        res->verdict = "judge_error";
        return;
    }
    bool any_expected = job->interactor.present;
    res->score = res->max_score = 0;
    for (size_t i = 0; i < res->nruns; i++) {
        step_result *r = &res->runs[i];
        const job_test *t = &job->tests[i];
        double worth = t->has_points ? t->points : 1;
        if (t->has_expected || job->interactor.present) {
            any_expected = true;
            res->max_score += worth;
        }
        if (r->skipped) {
            r->verdict = "skipped";
            continue;
        }
        decide_test(job, i, r);
        if (!r->ran)
            continue;
        if (r->verdict && r->has_score)
            res->score += r->score;
        else if (r->verdict && strcmp(r->verdict, "accepted") == 0)
            res->score += worth;
        if (!res->verdict && failed(r))
            res->verdict = r->verdict ? r->verdict : sandbox_status_name(r->result.status);
    }
    res->scored = any_expected;
    if (!res->verdict)
        res->verdict = any_expected ? "accepted" : "ok";
}

/* ---- the request ---- */

static pool *interact_pool_of_process;

void judge_set_interact_pool(pool *interact)
{
    interact_pool_of_process = interact;
}

pool *judge_interact_pool(void)
{
    return interact_pool_of_process;
}

/* Room for the judge programs and, per test judged at once, its data. */
static uint64_t programs_workspace_kb(const job_request *job)
{
    uint64_t kb = 0;
    const judge_program *progs[] = {&job->checker_prog, &job->interactor};
    for (size_t p = 0; p < 2; p++) {
        if (!progs[p]->present)
            continue;
        for (size_t i = 0; i < progs[p]->nfiles; i++)
            kb += progs[p]->files[i].len / 1024 + 4;
        kb += progs[p]->compile_limits.disk_kb + progs[p]->limits.disk_kb + 1024;
    }
    if (kb == 0)
        return 0;
    uint64_t per_test = 0;
    for (size_t i = 0; i < job->ntests; i++) {
        const job_test *t = &job->tests[i];
        uint64_t bytes = t->data_bytes + t->stdin_len + t->expected_len;
        if (bytes > per_test)
            per_test = bytes;
    }
    per_test = per_test / 1024 + job->limits.output_bytes / 1024 + 256;
    size_t at_once = job->ntests < 64 ? job->ntests : 64;
    /* A cap, not a reservation: tmpfs takes memory only as it fills. */
    return kb + per_test * at_once;
}

static void skip_rest(job_result *out, size_t from)
{
    for (size_t j = from; j < out->nruns; j++) {
        out->runs[j].skipped = true;
        out->runs[j].verdict = "skipped";
    }
}

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

    sandbox_workspace *ws = NULL, *pws = NULL;
    sandbox_error err = {0};
    if (sandbox_workspace_create(context, size_kb, &ws, &err) < 0) {
        snprintf(error, size, "create workspace: %s", err.message);
        commands_free(&commands);
        return -1;
    }
    /* Judge programs get a workspace of their own: the submission's runs
     * see only theirs, never a checker's data. */
    uint64_t prog_kb = programs_workspace_kb(job);
    if (prog_kb && sandbox_workspace_create(context, prog_kb, &pws, &err) < 0) {
        snprintf(error, size, "create the judge programs' workspace: %s", err.message);
        sandbox_workspace_destroy(ws);
        commands_free(&commands);
        return -1;
    }
    const char *dir = sandbox_workspace_path(ws);
    int rc = -1;
    judge_batch batch = {0};
    if (write_sources(dir, job, commands.main_file, error, size) < 0)
        goto out;
    batch = (judge_batch){.job = job, .commands = &commands, .result = out, .box_dir = dir,
                          .prog_dir = pws ? sandbox_workspace_path(pws) : NULL,
                          .cancel_fd = pool_ticket_cancel_fd(ticket)};
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
    const judge_program *progs[] = {&job->checker_prog, &job->interactor};
    const char *kinds[] = {"checker", "interactor"};
    for (size_t p = 0; p < 2; p++) {
        if (!progs[p]->present)
            continue;
        int prc = judge_prepare_program(ticket, &batch, progs[p], kinds[p], abort_fd,
                                        out->judge_error, sizeof out->judge_error);
        if (prc == 2) {
            out->cancelled = true;
            rc = 0;
            goto out;
        }
        if (prc < 0) {
            snprintf(error, size, "%s", out->judge_error);
            goto out;
        }
        if (prc == 1) {
            rc = 0;              /* judge_error; no test is run */
            goto out;
        }
    }
    if (job->stop_on_first_failure) {
        /* In order, one at a time: the first failure skips the rest. */
        for (size_t i = 0; i < job->ntests && !out->cancelled; i++) {
            batch.base = i;
            out->cancelled = pool_run(ticket, 1, test_task, &batch, abort_fd) == 1;
            decide_test(job, i, &out->runs[i]);
            if (!out->cancelled && failed(&out->runs[i])) {
                skip_rest(out, i + 1);
                break;
            }
        }
    } else {
        out->cancelled = pool_run(ticket, job->ntests, test_task, &batch, abort_fd) == 1;
    }
    for (size_t i = 0; i < out->nruns; i++)
        out->run_ms += out->runs[i].result.wall_ms;
    rc = 0;
out:
    for (size_t k = 0; k < 2; k++) {
        char **run = k == 0 ? batch.checker_run : batch.interactor_run;
        for (char **a = run; a && *a; a++)
            free(*a);
        free(run);
    }
    sandbox_workspace_destroy(pws);
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
    for (size_t i = 0; i < r->nruns; i++) {
        sandbox_result_free(&r->runs[i].result);
        sandbox_result_free(&r->runs[i].checker);
        output_files_free(&r->runs[i].files);
    }
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
        free(t->stdin_path);
        free(t->expected_path);
    }
    free(job->tests);
    program_free(&job->checker_prog);
    program_free(&job->interactor);
    free(job->problem_id);
    free(job->problem_dir);
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
    if (job->outputs) {
        output_request_free(job->outputs);
        free(job->outputs);
    }
    free(job->network);
    memset(job, 0, sizeof *job);
}
