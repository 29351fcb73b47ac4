/*
 * api_problems.c - "problem": ID in a /v1/run body: the stored package
 * (server/problems/problem_store.h) becomes the job's tests (files, not bytes),
 * its checker (the default validator's flags mapped onto the built-in
 * token checker, or its output validator as a Kattis-protocol program;
 * for an interactive problem that program is the interactor) and its
 * limits (the package's time limit x time_multiplier as cpu_ms, its
 * memory as memory_kb), which the request's "limits" may still override.
 */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "problem_store.h"

static int oom(api_error *err)
{
    api_error_set(err, 500, "internal", NULL, "out of memory while reading the problem");
    return -1;
}

/* The whole of a (validator source) file, malloc'd; -1 with errno. */
static int read_file(const char *path, unsigned char **data, size_t *len)
{
    char *text = file_read(path, 64 << 20, false, len);
    if (!text)
        return -1;
    *data = (unsigned char *)text;
    return 0;
}

/* The default validator's flags onto the built-in checker. */
static int default_checker(const problem_meta *m, checker *ch, api_error *err)
{
    ch->type = CHECKER_TOKENS;
    ch->case_insensitive = true;
    ch->abs_tolerance = 0;
    ch->rel_tolerance = 0;
    bool floats = false, exact = false;
    for (char **f = m->validator_flags; f && *f; f++) {
        const char *flag = *f;
        if (strcmp(flag, "case_sensitive") == 0) {
            ch->case_insensitive = false;
        } else if (strcmp(flag, "space_change_sensitive") == 0) {
            exact = true;
        } else if (strcmp(flag, "float_tolerance") == 0 || strcmp(flag, "float_absolute_tolerance") == 0 ||
                   strcmp(flag, "float_relative_tolerance") == 0) {
            char *end = NULL;
            double v = f[1] ? strtod(f[1], &end) : NAN;
            if (!f[1] || *end || !isfinite(v) || v < 0) {
                api_error_set(err, 422, "invalid_value", "problem",
                              "problem %s: validator_flags %s needs a number after it", m->id, flag);
                return -1;
            }
            if (strcmp(flag, "float_tolerance") == 0)
                ch->abs_tolerance = ch->rel_tolerance = v;
            else if (strcmp(flag, "float_absolute_tolerance") == 0)
                ch->abs_tolerance = v;
            else
                ch->rel_tolerance = v;
            floats = true;
            f++;
        }
        /* Other words are the custom validator's business; ignored here. */
    }
    if (floats)
        ch->type = CHECKER_FLOAT;
    if (exact)
        ch->type = CHECKER_EXACT;
    return 0;
}

static int validator_program(json_t *root, const problem_meta *m, const server_config *c,
                             const language_table *langs, judge_program *prog, bool interactor,
                             api_error *err)
{
    prog->lang = langs_find(langs, m->validator_language);
    if (!prog->lang) {
        api_error_set(err, 422, "unknown_language", "problem",
                      "problem %s: its output validator is in %s, which this server does not have",
                      m->id, m->validator_language);
        return -1;
    }
    prog->protocol = PROTOCOL_KATTIS;
    size_t n = 0;
    while (m->validator_files[n])
        n++;
    prog->files = calloc(n, sizeof *prog->files);
    if (!prog->files)
        return oom(err);
    size_t dir_len = strlen(m->validator_files[0]);
    while (dir_len > 0 && m->validator_files[0][dir_len - 1] != '/')
        dir_len--;
    for (size_t i = 0; i < n; i++) {
        program_file *f = &prog->files[i];
        prog->nfiles = i + 1;
        if (read_file(m->validator_files[i], &f->data, &f->len) < 0) {
            api_error_set(err, 500, "internal", "problem", "problem %s: read %s: %s", m->id,
                          m->validator_files[i], strerror(errno));
            return -1;
        }
        f->name = strdup(i == 0 ? prog->lang->source_file : m->validator_files[i] + dir_len);
        if (!f->name)
            return oom(err);
    }
    size_t nflags = 0;
    while (m->validator_flags && m->validator_flags[nflags])
        nflags++;
    prog->args = calloc(nflags + 1, sizeof *prog->args);
    if (!prog->args)
        return oom(err);
    for (size_t i = 0; i < nflags; i++)
        if (!(prog->args[i] = strdup(m->validator_flags[i])))
            return oom(err);
    const char *key = interactor ? "interactor_limits" : "checker_limits";
    const limit_policy *policy = interactor ? &c->interactor : &c->checker;
    if (api_program_limits(root, key, policy, c, prog, err) < 0)
        return -1;
    prog->present = true;
    program_hash(prog);
    return 0;
}

int api_problem_job(json_t *root, json_t *problem, const problem_meta *local,
                    const server_config *c, const language_table *langs, job_request *job,
                    sandbox_limits *defaults, api_error *err)
{
    if (!local && !json_is_string(problem)) {
        api_error_set(err, 400, "wrong_type", "problem", "problem must be a string (a problem id)");
        return -1;
    }
    static const char *const conflicts[] = {"tests", "stdin", "stdin_b64", "args", "expected_output",
                                            "expected_output_b64", "checker", "interactor", NULL};
    for (size_t i = 0; conflicts[i]; i++) {
        if (json_object_get(root, conflicts[i])) {
            api_error_set(err, 422, "conflict", conflicts[i],
                          "%s cannot be given with problem: the package has them", conflicts[i]);
            return -1;
        }
    }
    problem_meta stored = {0};
    const problem_meta *mp = local ? local : &stored;
    char why[512] = "";
    int rc = local ? 0 : problem_store_get(c->state_dir, json_string_value(problem), &stored, why,
                                           sizeof why);
    if (rc == -1) {
        api_error_set(err, 422, "unknown_problem", "problem",
                      "no problem \"%.80s\" (GET /v1/problems lists them)", json_string_value(problem));
        return -1;
    }
    if (rc < 0) {
        api_error_set(err, 500, "internal", "problem", "load problem: %s", why);
        return -1;
    }
    rc = -1;
    if (!(job->problem_id = strdup(mp->id)) || !(job->problem_dir = strdup(mp->dir))) {
        oom(err);
        goto out;
    }
    job->tests = calloc(mp->ntests ? mp->ntests : 1, sizeof *job->tests);
    if (!job->tests) {
        oom(err);
        goto out;
    }
    for (size_t i = 0; i < mp->ntests; i++) {
        job_test *t = &job->tests[i];
        job->ntests = i + 1;
        t->id = strdup(mp->tests[i].name);
        t->stdin_path = strdup(mp->tests[i].in_path);
        t->expected_path = strdup(mp->tests[i].ans_path);
        t->args = calloc(1, sizeof *t->args);
        if (!t->id || !t->stdin_path || !t->expected_path || !t->args) {
            oom(err);
            goto out;
        }
        t->has_expected = true;
        t->data_bytes = mp->tests[i].bytes;
        t->has_points = true;
        t->points = mp->tests[i].sample ? 0 : 1;
    }
    if (mp->custom) {
        judge_program *prog = mp->interactive ? &job->interactor : &job->checker_prog;
        if (validator_program(root, mp, c, langs, prog, mp->interactive, err) < 0)
            goto out;
    } else {
        job->checker.type = CHECKER_TOKENS;
        if (default_checker(mp, &job->checker, err) < 0)
            goto out;
    }
    memset(defaults, 0, sizeof *defaults);
    if (mp->time_limit_ms) {
        double ms = (double)mp->time_limit_ms * c->time_multiplier;
        defaults->cpu_ms = ms < 1 ? 1 : (uint64_t)ms;
        /* Wall time only guards against sleeping: generous. */
        defaults->wall_ms = 3 * defaults->cpu_ms + 2000;
    }
    defaults->memory_kb = mp->memory_kb;
    defaults->output_bytes = mp->output_bytes;
    rc = 0;
out:
    problem_meta_free(&stored);
    return rc;
}
