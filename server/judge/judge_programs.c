/*
 * judge_programs.c - the judge programs of a request: special judges
 * (checkers) and interactors.  Each is made ready once per request in the
 * judge programs' workspace (<prog_dir>/checker, <prog_dir>/interactor):
 * copied from the on-disk compile cache (<programs_dir>/<hash>/box) when
 * it is there, else compiled in a sandbox through the pool, put in the
 * cache (a rename, so a half-written entry is never seen) and copied.
 * The copies are root's and read-only to the runs; per test, the data a
 * program reads (input, the submission's output, answer) is written under
 * .t/<test>/ read-only too, with a writable feedback/ directory.
 *
 * A checker runs after its test, in the same slot, in a fresh sandbox of
 * its own.  An interactive test runs on a worker of the interact pool,
 * which holds two slots and a helper thread: the helper runs the
 * interactor in one slot while the worker runs the solution in the other,
 * joined by two pipes; then the verdict is attributed as DOMjudge does.
 * Whatever a judge program does wrong (does not compile, crashes, loops,
 * exits with a code its protocol does not know) is judge_error, never
 * the submission's fault.
 */
#include "files.h"
#include "judge_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---- making a program ready ---- */

static int prepare(pool_ticket *ticket, judge_batch *b, const judge_program *prog,
                   const job_commands *cmds, const char *kind, int abort_fd, char *why, size_t size);

static void program_compile_task(void *arg, size_t index, void *resource)
{
    (void)index;
    judge_batch *b = arg;
    const judge_program *prog = b->building;
    step_input in = {
        .lang = prog->lang,
        .box_dir = b->build_dir,
        .box_mode = SANDBOX_BOX_WRITABLE,
        .argv = (const char *const *)b->build_argv,
        .limits = &prog->compile_limits,
        .stdin_fd = -1,
        .stdout_fd = -1,
        .cancel_fd = b->cancel_fd,
    };
    judge_run_step(resource, &in, &b->build_result);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The tail of a compiler's output, for a judge_error message. */
static void compile_failure(const sandbox_result *r, const char *kind, char *why, size_t size)
{
    const char *text = r->stderr_len ? r->stderr_data : r->stdout_data;
    size_t len = r->stderr_len ? r->stderr_len : r->stdout_len;
    if (!text)
        text = "", len = 0;
    if (len > 600) {
        text += len - 600;
        len = 600;
    }
    if (r->status == SANDBOX_OK || r->status == SANDBOX_RUNTIME_ERROR)
        snprintf(why, size, "the %s does not compile: %.*s", kind, (int)len, text);
    else
        snprintf(why, size, "compiling the %s hit %s%s%s", kind, sandbox_status_name(r->status),
                 r->message[0] ? ": " : "", r->message);
}

/* A judge program's command lines, built as a submission's are (its
 * language's, with the language's placeholders filled); -1 with `why`. */
static int program_commands(const judge_program *prog, job_commands *out, char *why, size_t size)
{
    job_request job = {0};
    job.lang = prog->lang;
    job.nfiles = prog->nfiles;
    job.files = calloc(prog->nfiles ? prog->nfiles : 1, sizeof *job.files);
    if (!job.files) {
        snprintf(why, size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < prog->nfiles; i++) {
        job.files[i].name = prog->files[i].name;
        job.files[i].data = prog->files[i].data;
        job.files[i].len = prog->files[i].len;
    }
    int rc = commands_build(&job, out, why, size);
    free(job.files);
    return rc;
}

int judge_prepare_program(pool_ticket *ticket, judge_batch *b, const judge_program *prog,
                          const char *kind, int abort_fd, char *why, size_t size)
{
    job_commands cmds;
    if (program_commands(prog, &cmds, why, size) < 0)
        return -1;
    int rc = prepare(ticket, b, prog, &cmds, kind, abort_fd, why, size);
    if (rc == 0) {
        /* Its run command, for every test (freed by judge_run). */
        char ***slot = strcmp(kind, "checker") == 0 ? &b->checker_run : &b->interactor_run;
        *slot = cmds.run;
        cmds.run = NULL;
    }
    commands_free(&cmds);
    return rc;
}

static int prepare(pool_ticket *ticket, judge_batch *b, const judge_program *prog,
                   const job_commands *cmds, const char *kind, int abort_fd, char *why, size_t size)
{
    char target[PATH_MAX], build[PATH_MAX], cached[PATH_MAX] = "";
    snprintf(target, sizeof target, "%s/%s", b->prog_dir, kind);
    snprintf(build, sizeof build, "%s/%s-build", b->prog_dir, kind);
    const char *cache = b->job->programs_dir;
    if (cache) {
        snprintf(cached, sizeof cached, "%s/%s/box", cache, prog->hash);
        if (is_dir(cached))
            return program_copy_tree(cached, target, why, size) < 0 ? -1 : 0;
    }
    if (mkdir(build, 0777) < 0 || chmod(build, 0777) < 0) {
        snprintf(why, size, "mkdir %s: %s", build, strerror(errno));
        return -1;
    }
    int dirfd = open(build, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(why, size, "open %s: %s", build, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < prog->nfiles; i++) {
        const char *name = i == 0 ? cmds->main_file : prog->files[i].name;
        if (judge_write_file_at(dirfd, name, prog->files[i].data, prog->files[i].len, 0666, why,
                                size) < 0) {
            close(dirfd);
            return -1;
        }
    }
    close(dirfd);
    if (cmds->compile) {
        b->building = prog;
        b->build_argv = cmds->compile;
        b->build_dir = build;
        memset(&b->build_result, 0, sizeof b->build_result);
        if (pool_run(ticket, 1, program_compile_task, b, abort_fd) == 1) {
            sandbox_result_free(&b->build_result);
            return 2;
        }
        sandbox_result *r = &b->build_result;
        bool ok = r->status == SANDBOX_OK && r->exit_code == 0;
        if (!ok)
            compile_failure(r, kind, why, size);
        bool internal = r->status == SANDBOX_INTERNAL_ERROR;
        sandbox_result_free(r);
        if (!ok) {
            program_remove_tree(build);
            return internal ? -1 : 1;
        }
    }
    if (cache) {
        /* <cache>/.tmp-<pid>-<ns>/box, then one rename makes it visible.
         * Losing the race to another request that cached it first is fine. */
        char tmp[PATH_MAX], tmp_box[PATH_MAX + 8], entry[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s/.tmp-%d-%llu", cache, (int)getpid(),
                 (unsigned long long)now_ns());
        snprintf(tmp_box, sizeof tmp_box, "%s/box", tmp);
        snprintf(entry, sizeof entry, "%s/%s", cache, prog->hash);
        if ((mkdir(cache, 0755) < 0 && errno != EEXIST) || mkdir(tmp, 0755) < 0) {
            snprintf(why, size, "mkdir in the program cache %s: %s", cache, strerror(errno));
            program_remove_tree(build);
            return -1;
        }
        if (program_copy_tree(build, tmp_box, why, size) < 0) {
            program_remove_tree(tmp);
            program_remove_tree(build);
            return -1;
        }
        if (rename(tmp, entry) < 0)
            program_remove_tree(tmp);
    }
    int rc = program_copy_tree(build, target, why, size) < 0 ? -1 : 0;
    program_remove_tree(build);
    return rc;
}

/* ---- a test's data for a judge program ---- */

static int copy_path_to(const char *from, int dirfd, const char *name, char *why, size_t size)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(why, size, "open %s: %s", from, strerror(errno));
        return -1;
    }
    int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (out < 0) {
        snprintf(why, size, "create %s: %s", name, strerror(errno));
        close(in);
        return -1;
    }
    int rc = 0;
    if (file_copy_fd(out, in) < 0) {
        snprintf(why, size, "copy %s: %s", from, strerror(errno));
        rc = -1;
    }
    close(in);
    if (close(out) < 0 && rc == 0) {
        snprintf(why, size, "close %s: %s", name, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* <prog_dir>/<kind>/.t/<i>/ with input, answer (and output when given),
 * read-only, and feedback/ writable.  Its path goes to `dir`. */
static int make_test_dir(const judge_batch *b, const char *kind, size_t i, const char *output,
                         size_t output_len, char *dir, size_t dir_size, char *why, size_t size)
{
    const job_test *t = &b->job->tests[i];
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s/%s/.t", b->prog_dir, kind);
    if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
        snprintf(why, size, "mkdir %s: %s", parent, strerror(errno));
        return -1;
    }
    snprintf(dir, dir_size, "%s/%zu", parent, i);
    if (mkdir(dir, 0755) < 0) {
        snprintf(why, size, "mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, size, "open %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (t->stdin_path)
        rc = copy_path_to(t->stdin_path, fd, "input", why, size);
    else
        rc = judge_write_file_at(fd, "input", t->stdin_data, t->stdin_len, 0444, why, size);
    if (rc == 0 && t->expected_path)
        rc = copy_path_to(t->expected_path, fd, "answer", why, size);
    else if (rc == 0)
        rc = judge_write_file_at(fd, "answer", (const unsigned char *)(t->expected ? t->expected : ""),
                                 t->expected_len, 0444, why, size);
    if (rc == 0 && output)
        rc = judge_write_file_at(fd, "output", (const unsigned char *)output, output_len, 0444, why,
                                 size);
    if (rc == 0 && (mkdirat(fd, "feedback", 0777) < 0 || fchmodat(fd, "feedback", 0777, 0) < 0)) {
        snprintf(why, size, "mkdir %s/feedback: %s", dir, strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
}

/* Up to `max` bytes of a feedback file; NULL when absent. */
static char *read_small(const char *dir, const char *name, size_t max, size_t *len)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/feedback/%s", dir, name);
    return file_read(path, max, true, len);
}

/* argv: the language's run command, the protocol's files, extra args. */
static const char **program_argv(const judge_program *prog, char *const *run,
                                 const char *const *files, size_t nfiles)
{
    size_t nrun = 0, nargs = 0;
    while (run[nrun])
        nrun++;
    while (prog->args && prog->args[nargs])
        nargs++;
    const char **argv = calloc(nrun + nfiles + nargs + 1, sizeof *argv);
    if (!argv)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < nrun; i++)
        argv[k++] = run[i];
    for (size_t i = 0; i < nfiles; i++)
        argv[k++] = files[i];
    for (size_t i = 0; i < nargs; i++)
        argv[k++] = prog->args[i];
    return argv;
}

/* A judge program's run that did not end by exiting on its own. */
static bool program_run_failed(const sandbox_result *r)
{
    if (r->status == SANDBOX_OK)
        return false;
    return !(r->status == SANDBOX_RUNTIME_ERROR && r->signal == 0 && r->exit_code >= 0);
}

static void program_decide(const judge_program *prog, const char *kind, const sandbox_result *run,
                           const char *dir, program_outcome *out)
{
    if (program_run_failed(run)) {
        out->verdict = "judge_error";
        out->has_score = false;
        snprintf(out->message, sizeof out->message, "the %s %s%s%s%s", kind,
                 run->status == SANDBOX_RUNTIME_ERROR ? "crashed" : "hit ",
                 run->status == SANDBOX_RUNTIME_ERROR ? "" : sandbox_status_name(run->status),
                 run->message[0] ? ": " : "", run->message);
        return;
    }
    if (prog->protocol == PROTOCOL_TESTLIB) {
        program_decide_testlib(run->exit_code, run->stderr_data, run->stderr_len, out);
        return;
    }
    size_t mlen = 0, slen = 0;
    char *message = read_small(dir, "judgemessage.txt", 4096, &mlen);
    char *score = read_small(dir, "score.txt", 64, &slen);
    program_decide_kattis(run->exit_code, message, mlen, score, slen, out);
    free(message);
    free(score);
}

static void set_judge_error(step_result *r, const char *what, const char *detail)
{
    r->verdict = "judge_error";
    r->decided = true;
    snprintf(r->checker_message, sizeof r->checker_message, "%s%s", what, detail);
}

static void apply_outcome(step_result *r, const program_outcome *o)
{
    r->verdict = o->verdict;
    r->decided = true;
    r->has_score = o->has_score;
    r->score = o->score;
    snprintf(r->checker_message, sizeof r->checker_message, "%s", o->message);
}

void judge_check(judge_batch *b, size_t i, sandbox_slot *slot, step_result *r)
{
    const judge_program *prog = &b->job->checker_prog;
    char dir[PATH_MAX], why[512];
    if (make_test_dir(b, "checker", i, r->result.stdout_data ? r->result.stdout_data : "",
                      r->result.stdout_len, dir, sizeof dir, why, sizeof why) < 0) {
        set_judge_error(r, "prepare the checker's files: ", why);
        r->verdict = "internal_error";
        program_remove_tree(dir);
        return;
    }
    char in[64], out[64], ans[64], fb[64];
    snprintf(in, sizeof in, "/box/.t/%zu/input", i);
    snprintf(out, sizeof out, "/box/.t/%zu/output", i);
    snprintf(ans, sizeof ans, "/box/.t/%zu/answer", i);
    snprintf(fb, sizeof fb, "/box/.t/%zu/feedback/", i);
    const char *testlib_files[] = {in, out, ans};
    const char *kattis_files[] = {in, ans, fb};
    const char **argv = program_argv(prog, b->checker_run, prog->protocol == PROTOCOL_TESTLIB ? testlib_files
                                                                              : kattis_files, 3);
    int stdin_fd = -1;
    if (prog->protocol == PROTOCOL_KATTIS) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/output", dir);
        stdin_fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (!argv || (prog->protocol == PROTOCOL_KATTIS && stdin_fd < 0)) {
        set_judge_error(r, "start the checker: ", strerror(errno));
        r->verdict = "internal_error";
    } else {
        char box[PATH_MAX];
        snprintf(box, sizeof box, "%s/checker", b->prog_dir);
        step_input step = {
            .lang = prog->lang,
            .box_dir = box,
            .box_mode = SANDBOX_BOX_WRITABLE,
            .argv = argv,
            .limits = &prog->limits,
            .stdin_fd = stdin_fd,
            .stdout_fd = -1,
            .cancel_fd = b->cancel_fd,
        };
        judge_run_step(slot, &step, &r->checker);
        r->has_checker_run = true;
        if (r->checker.status == SANDBOX_INTERNAL_ERROR) {
            set_judge_error(r, "run the checker: ", r->checker.message);
            r->verdict = "internal_error";
        } else {
            program_outcome o;
            program_decide(prog, "checker", &r->checker, dir, &o);
            apply_outcome(r, &o);
        }
    }
    if (stdin_fd >= 0)
        close(stdin_fd);
    free(argv);
    program_remove_tree(dir);
}

/* ---- interactive tests ---- */

/* A worker of the interact pool: two slots, and a helper thread that runs
 * the interactor in the second while the worker runs the solution. */
typedef struct pair {
    sandbox_slot *solution_slot, *interactor_slot;
    pthread_t helper;
    bool helper_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool has_job, job_done, stopping;
    const step_input *job;
    sandbox_result *job_result;
    int close_after[2];          /* our ends of the pipes the interactor used */
    uint64_t job_end_ns;
} pair;

static void *pair_helper(void *arg)
{
    pair *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->has_job && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        if (!p->has_job)
            break;
        pthread_mutex_unlock(&p->lock);
        judge_run_step(p->interactor_slot, p->job, p->job_result);
        uint64_t end = now_ns();
        /* Its pipe ends go as soon as it is over: the solution reads EOF,
         * and its writes fail instead of blocking. */
        for (int k = 0; k < 2; k++)
            if (p->close_after[k] >= 0)
                close(p->close_after[k]);
        pthread_mutex_lock(&p->lock);
        p->job_end_ns = end;
        p->has_job = false;
        p->job_done = true;
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int judge_pair_init(void *ctx, unsigned index, void **resource, char *error, size_t size)
{
    pair *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(error, size, "interact worker %u: out of memory", index);
        return -1;
    }
    sandbox_error err = {0};
    if (sandbox_slot_acquire(ctx, -1, &p->solution_slot, &err) < 0 ||
        sandbox_slot_acquire(ctx, -1, &p->interactor_slot, &err) < 0) {
        snprintf(error, size, "interact worker %u: acquire a sandbox slot: %s", index, err.message);
        if (p->solution_slot)
            sandbox_slot_release(p->solution_slot);
        free(p);
        return -1;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    int e = pthread_create(&p->helper, NULL, pair_helper, p);
    if (e) {
        snprintf(error, size, "interact worker %u: start its helper thread: %s", index, strerror(e));
        judge_pair_fini(ctx, p);
        return -1;
    }
    p->helper_started = true;
    *resource = p;
    return 0;
}

void judge_pair_fini(void *ctx, void *resource)
{
    (void)ctx;
    pair *p = resource;
    if (!p)
        return;
    if (p->helper_started) {
        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->helper, NULL);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    sandbox_slot_release(p->solution_slot);
    sandbox_slot_release(p->interactor_slot);
    free(p);
}

typedef struct interaction {
    judge_batch *b;
    size_t test;
    step_result *r;
} interaction;

static bool solution_limit(sandbox_status s)
{
    return s == SANDBOX_TIME_LIMIT || s == SANDBOX_MEMORY_LIMIT || s == SANDBOX_OUTPUT_LIMIT ||
           s == SANDBOX_FORBIDDEN_SYSCALL;
}

/* DOMjudge's attribution, with both sides' results in. */
static void attribute(const judge_program *prog, const sandbox_result *sol, const sandbox_result *it,
                      uint64_t sol_end, uint64_t it_end, const char *dir, step_result *r)
{
    if (sol->status == SANDBOX_INTERNAL_ERROR || it->status == SANDBOX_INTERNAL_ERROR) {
        set_judge_error(r, "run the interaction: ",
                        sol->status == SANDBOX_INTERNAL_ERROR ? sol->message : it->message);
        r->verdict = "internal_error";
        return;
    }
    if (sol->status == SANDBOX_WALL_TIME_LIMIT && it->status == SANDBOX_WALL_TIME_LIMIT) {
        r->verdict = "wall_time_limit";
        r->decided = true;
        snprintf(r->checker_message, sizeof r->checker_message,
                 "idle: the solution and the interactor were both waiting for each other "
                 "(solution %llu ms CPU, interactor %llu ms CPU in %llu ms)",
                 (unsigned long long)sol->cpu_ms, (unsigned long long)it->cpu_ms,
                 (unsigned long long)sol->wall_ms);
        return;
    }
    program_outcome o;
    program_decide(prog, "interactor", it, dir, &o);
    /* The interactor said "wrong" before the solution ended: that stands,
     * whatever the solution did after losing its partner. */
    if (strcmp(o.verdict, "wrong_answer") == 0 && it_end <= sol_end) {
        apply_outcome(r, &o);
        return;
    }
    if (solution_limit(sol->status)) {
        r->verdict = sandbox_status_name(sol->status);
        r->decided = true;
        return;
    }
    if (strcmp(o.verdict, "judge_error") == 0) {
        apply_outcome(r, &o);
        return;
    }
    if (sol->status != SANDBOX_OK) {
        r->verdict = sandbox_status_name(sol->status);
        r->decided = true;
        return;
    }
    apply_outcome(r, &o);
}

static void pair_task(void *arg, size_t index, void *resource)
{
    (void)index;
    interaction *x = arg;
    pair *p = resource;
    judge_batch *b = x->b;
    const job_request *job = b->job;
    const judge_program *prog = &job->interactor;
    const job_test *t = &job->tests[x->test];
    step_result *r = x->r;
    char dir[PATH_MAX], why[512];
    if (make_test_dir(b, "interactor", x->test, NULL, 0, dir, sizeof dir, why, sizeof why) < 0) {
        set_judge_error(r, "prepare the interactor's files: ", why);
        r->verdict = "internal_error";
        program_remove_tree(dir);
        return;
    }
    char in[64], out[64], ans[64], fb[64], box[PATH_MAX];
    snprintf(in, sizeof in, "/box/.t/%zu/input", x->test);
    snprintf(out, sizeof out, "/box/.t/%zu/feedback/output", x->test);
    snprintf(ans, sizeof ans, "/box/.t/%zu/answer", x->test);
    snprintf(fb, sizeof fb, "/box/.t/%zu/feedback/", x->test);
    snprintf(box, sizeof box, "%s/interactor", b->prog_dir);
    const char *testlib_files[] = {in, out, ans};
    const char *kattis_files[] = {in, ans, fb};
    const char **iargv = program_argv(prog, b->interactor_run, prog->protocol == PROTOCOL_TESTLIB ? testlib_files
                                                                               : kattis_files, 3);
    char *const *run_argv = b->commands->run;
    size_t nrun = 0, nargs = 0;
    while (run_argv[nrun])
        nrun++;
    while (t->args && t->args[nargs])
        nargs++;
    const char **sargv = calloc(nrun + nargs + 1, sizeof *sargv);
    int to_interactor[2] = {-1, -1}, to_solution[2] = {-1, -1};
    if (!iargv || !sargv || pipe2(to_interactor, O_CLOEXEC) < 0 ||
        pipe2(to_solution, O_CLOEXEC) < 0) {
        set_judge_error(r, "set up the interaction: ", strerror(errno));
        r->verdict = "internal_error";
        for (int k = 0; k < 2; k++) {
            if (to_interactor[k] >= 0)
                close(to_interactor[k]);
            if (to_solution[k] >= 0)
                close(to_solution[k]);
        }
        free(iargv);
        free(sargv);
        program_remove_tree(dir);
        return;
    }
    for (size_t k = 0; k < nrun; k++)
        sargv[k] = run_argv[k];
    for (size_t k = 0; k < nargs; k++)
        sargv[nrun + k] = t->args[k];
    /* Room for chatty protocols before a writer blocks (best effort). */
    fcntl(to_interactor[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(to_solution[1], F_SETPIPE_SZ, 1 << 20);
    /* One wall limit covers both. */
    sandbox_limits ilimits = prog->limits;
    ilimits.wall_ms = job->limits.wall_ms;
    step_input istep = {
        .lang = prog->lang,
        .box_dir = box,
        .box_mode = SANDBOX_BOX_WRITABLE,
        .argv = iargv,
        .limits = &ilimits,
        .stdin_fd = to_interactor[0],
        .stdout_fd = to_solution[1],
        .cancel_fd = b->cancel_fd,
    };
    step_input sstep = {
        .lang = job->lang,
        .box_dir = b->box_dir,
        .box_mode = SANDBOX_BOX_COPY_ON_WRITE,
        .argv = sargv,
        .limits = &job->limits,
        .stdin_fd = to_solution[0],
        .stdout_fd = to_interactor[1],
        .cancel_fd = b->cancel_fd,
    };
    char run_id[SANDBOX_RUN_ID_MAX]; /* the solution's, as a test's of a plain request */
    judge_run_id(job, x->test, run_id, sizeof run_id);
    sstep.run_id = run_id;
    pthread_mutex_lock(&p->lock);
    p->job = &istep;
    p->job_result = &r->checker;
    p->close_after[0] = to_interactor[0];
    p->close_after[1] = to_solution[1];
    p->job_done = false;
    p->has_job = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);

    judge_run_step(p->solution_slot, &sstep, &r->result);
    uint64_t sol_end = now_ns();
    close(to_interactor[1]);
    close(to_solution[0]);

    pthread_mutex_lock(&p->lock);
    while (!p->job_done)
        pthread_cond_wait(&p->cond, &p->lock);
    uint64_t it_end = p->job_end_ns;
    pthread_mutex_unlock(&p->lock);
    r->has_checker_run = true;
    attribute(prog, &r->result, &r->checker, sol_end, it_end, dir, r);
    free(iargv);
    free(sargv);
    program_remove_tree(dir);
}

void judge_interact(judge_batch *b, size_t i, step_result *r)
{
    pool *ip = judge_interact_pool();
    if (!ip) {
        set_judge_error(r, "interactive tests are disabled on this server (--interactive-slots 0)", "");
        r->verdict = "internal_error";
        return;
    }
    pool_ticket *t = pool_admit(ip);
    if (!t) {
        set_judge_error(r, "no interactive slot: ", strerror(errno));
        r->verdict = "internal_error";
        return;
    }
    interaction x = {b, i, r};
    if (pool_run(t, 1, pair_task, &x, -1) == 1) {
        set_judge_error(r, "interaction cancelled", "");
        r->verdict = "internal_error";
    }
    pool_leave(t);
}
