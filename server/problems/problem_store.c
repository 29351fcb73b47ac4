/*
 * problem_store.c - the problem store on disk (see problem_store.h):
 * <state>/problems/<id>/{pkg/, problem.json}.  An upload is unpacked and
 * read in <state>/problems/.tmp-<pid>-<n>/ and renamed to its id only
 * when whole; every failure removes the temporary directory, so a
 * refused package leaves nothing.  problem.json keeps paths relative to
 * the problem's directory, so the state directory may move.
 */
#include "problem_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "package.h"
#include "program.h"

bool problem_id_valid(const char *id)
{
    if (!id || strlen(id) != 64)
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

void problem_meta_free(problem_meta *m)
{
    free(m->name);
    free(m->dir);
    for (size_t i = 0; i < m->ntests; i++) {
        free(m->tests[i].name);
        free(m->tests[i].in_path);
        free(m->tests[i].ans_path);
    }
    free(m->tests);
    for (char **f = m->validator_flags; f && *f; f++)
        free(*f);
    free(m->validator_flags);
    free(m->validator_language);
    for (char **f = m->validator_files; f && *f; f++)
        free(*f);
    free(m->validator_files);
    json_decref(m->summary);
    memset(m, 0, sizeof *m);
}

static int make_dirs(const char *state_dir, char *problems, size_t size, char *error, size_t esize)
{
    snprintf(problems, size, "%s/problems", state_dir);
    if ((mkdir(state_dir, 0755) < 0 && errno != EEXIST) || (mkdir(problems, 0755) < 0 && errno != EEXIST)) {
        snprintf(error, esize, "mkdir %s: %s", problems, strerror(errno));
        return -1;
    }
    return 0;
}

static const char *rel_to(const char *path, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(path, base, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

static json_t *string_list(char **items, const char *base)
{
    json_t *a = json_array();
    for (char **p = items; p && *p; p++)
        json_array_append_new(a, json_string(base ? rel_to(*p, base) : *p));
    return a;
}

/* problem.json from a scanned package in `dir`. */
static json_t *meta_json(const problem_meta *m, const char *dir)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(m->id));
    json_object_set_new(o, "name", json_string(m->name));
    json_t *tests = json_array();
    for (size_t i = 0; i < m->ntests; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "name", json_string(m->tests[i].name));
        json_object_set_new(t, "in", json_string(rel_to(m->tests[i].in_path, dir)));
        json_object_set_new(t, "ans", json_string(rel_to(m->tests[i].ans_path, dir)));
        json_object_set_new(t, "bytes", json_integer((json_int_t)m->tests[i].bytes));
        json_object_set_new(t, "sample", json_boolean(m->tests[i].sample));
        json_array_append_new(tests, t);
    }
    json_object_set_new(o, "tests", tests);
    json_object_set_new(o, "time_limit_ms", json_integer((json_int_t)m->time_limit_ms));
    json_object_set_new(o, "memory_kb", json_integer((json_int_t)m->memory_kb));
    json_object_set_new(o, "output_bytes", json_integer((json_int_t)m->output_bytes));
    json_object_set_new(o, "custom", json_boolean(m->custom));
    json_object_set_new(o, "interactive", json_boolean(m->interactive));
    json_object_set_new(o, "scoring", json_boolean(m->scoring));
    json_object_set_new(o, "validator_flags", string_list(m->validator_flags, NULL));
    if (m->custom) {
        json_t *v = json_object();
        json_object_set_new(v, "language", json_string(m->validator_language));
        json_object_set_new(v, "files", string_list(m->validator_files, dir));
        json_object_set_new(o, "validator", v);
    }
    return o;
}

/* The API's view: {"id", "name", "tests", "checker", "limits", ...}. */
static json_t *summary_json(const problem_meta *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(m->id));
    json_object_set_new(o, "name", json_string(m->name));
    json_object_set_new(o, "tests", json_integer((json_int_t)m->ntests));
    size_t samples = 0;
    for (size_t i = 0; i < m->ntests; i++)
        samples += m->tests[i].sample;
    json_object_set_new(o, "samples", json_integer((json_int_t)samples));
    json_object_set_new(o, "interactive", json_boolean(m->interactive));
    json_t *c = json_object();
    if (m->custom) {
        json_object_set_new(c, "type", json_string("program"));
        json_object_set_new(c, "protocol", json_string("kattis"));
        json_object_set_new(c, "language", json_string(m->validator_language));
    } else {
        json_object_set_new(c, "type", json_string("default"));
    }
    json_object_set_new(c, "validator_flags", string_list(m->validator_flags, NULL));
    json_object_set_new(o, "checker", c);
    json_t *l = json_object();
    if (m->time_limit_ms)
        json_object_set_new(l, "time_limit_ms", json_integer((json_int_t)m->time_limit_ms));
    if (m->memory_kb)
        json_object_set_new(l, "memory_kb", json_integer((json_int_t)m->memory_kb));
    if (m->output_bytes)
        json_object_set_new(l, "output_bytes", json_integer((json_int_t)m->output_bytes));
    json_object_set_new(o, "limits", l);
    return o;
}

static char *join(const char *dir, const char *rel)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, rel) < 0)
        return NULL;
    return p;
}

/* problem.json of the problem in `dir` into m. */
static int meta_load(const char *dir, problem_meta *m, char *error, size_t size)
{
    memset(m, 0, sizeof *m);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/problem.json", dir);
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (!o) {
        if (access(path, F_OK) < 0 && errno == ENOENT)
            return -1;
        snprintf(error, size, "%s: %s", path, jerr.text);
        return -2;
    }
    int rc = -2;
    json_t *tests = json_object_get(o, "tests");
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *name = json_string_value(json_object_get(o, "name"));
    if (!id || !name || !json_is_array(tests) || strlen(id) != 64) {
        snprintf(error, size, "%s: damaged", path);
        goto out;
    }
    snprintf(m->id, sizeof m->id, "%s", id);
    m->name = strdup(name);
    m->dir = strdup(dir);
    m->ntests = json_array_size(tests);
    m->tests = calloc(m->ntests ? m->ntests : 1, sizeof *m->tests);
    if (!m->name || !m->dir || !m->tests)
        goto nomem;
    for (size_t i = 0; i < m->ntests; i++) {
        json_t *t = json_array_get(tests, i);
        const char *tn = json_string_value(json_object_get(t, "name"));
        const char *in = json_string_value(json_object_get(t, "in"));
        const char *ans = json_string_value(json_object_get(t, "ans"));
        if (!tn || !in || !ans) {
            m->ntests = i;
            snprintf(error, size, "%s: test %zu damaged", path, i);
            goto out;
        }
        m->tests[i].name = strdup(tn);
        m->tests[i].in_path = join(dir, in);
        m->tests[i].ans_path = join(dir, ans);
        m->tests[i].bytes = (uint64_t)json_integer_value(json_object_get(t, "bytes"));
        m->tests[i].sample = json_is_true(json_object_get(t, "sample"));
        if (!m->tests[i].name || !m->tests[i].in_path || !m->tests[i].ans_path)
            goto nomem;
    }
    m->time_limit_ms = (uint64_t)json_integer_value(json_object_get(o, "time_limit_ms"));
    m->memory_kb = (uint64_t)json_integer_value(json_object_get(o, "memory_kb"));
    m->output_bytes = (uint64_t)json_integer_value(json_object_get(o, "output_bytes"));
    m->custom = json_is_true(json_object_get(o, "custom"));
    m->interactive = json_is_true(json_object_get(o, "interactive"));
    m->scoring = json_is_true(json_object_get(o, "scoring"));
    json_t *flags = json_object_get(o, "validator_flags");
    m->validator_flags = calloc(json_array_size(flags) + 1, sizeof *m->validator_flags);
    if (!m->validator_flags)
        goto nomem;
    for (size_t i = 0; i < json_array_size(flags); i++)
        if (!(m->validator_flags[i] = strdup(json_string_value(json_array_get(flags, i)) ?: "")))
            goto nomem;
    if (m->custom) {
        json_t *v = json_object_get(o, "validator");
        json_t *files = json_object_get(v, "files");
        const char *lang = json_string_value(json_object_get(v, "language"));
        if (!lang || json_array_size(files) == 0) {
            snprintf(error, size, "%s: validator damaged", path);
            goto out;
        }
        m->validator_language = strdup(lang);
        m->validator_files = calloc(json_array_size(files) + 1, sizeof *m->validator_files);
        if (!m->validator_language || !m->validator_files)
            goto nomem;
        for (size_t i = 0; i < json_array_size(files); i++)
            if (!(m->validator_files[i] = join(dir, json_string_value(json_array_get(files, i)) ?: "")))
                goto nomem;
    }
    m->summary = summary_json(m);
    rc = 0;
    goto out;
nomem:
    snprintf(error, size, "out of memory loading %s", path);
out:
    json_decref(o);
    if (rc < 0)
        problem_meta_free(m);
    return rc;
}

int problem_store_get(const char *state_dir, const char *id, problem_meta *m, char *error,
                      size_t size)
{
    memset(m, 0, sizeof *m);
    if (!problem_id_valid(id)) {
        errno = ENOENT;
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/problems/%s", state_dir, id);
    int rc = meta_load(dir, m, error, size);
    if (rc == -1)
        errno = ENOENT;
    return rc;
}

int problem_store_put(const char *state_dir, int fd, const package_limits *limits,
                      problem_meta *meta, char *error, size_t size)
{
    memset(meta, 0, sizeof *meta);
    char problems[PATH_MAX], tmp[PATH_MAX + 64], pkg[PATH_MAX + 80];
    if (make_dirs(state_dir, problems, sizeof problems, error, size) < 0)
        return -2;
    static unsigned long counter;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%d-%lu-%ld", problems, (int)getpid(),
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED), (long)now.tv_nsec);
    snprintf(pkg, sizeof pkg, "%s/pkg", tmp);
    if (mkdir(tmp, 0755) < 0 || mkdir(pkg, 0755) < 0) {
        snprintf(error, size, "mkdir %s: %s", pkg, strerror(errno));
        rmdir(tmp);
        return -2;
    }
    problem_meta m = {0};
    int rc = package_extract(fd, pkg, limits, error, size);
    if (rc == 0)
        rc = package_scan(pkg, &m, error, size);
    if (rc == 0)
        rc = package_hash(pkg, m.id, error, size);
    if (rc == 0) {
        json_t *j = meta_json(&m, tmp);
        char path[PATH_MAX + 96];
        snprintf(path, sizeof path, "%s/problem.json", tmp);
        if (!j || json_dump_file(j, path, JSON_INDENT(1)) < 0) {
            snprintf(error, size, "write %s: %s", path, strerror(errno));
            rc = -2;
        }
        json_decref(j);
    }
    char final[PATH_MAX + 80];
    if (rc == 0) {
        snprintf(final, sizeof final, "%s/%s", problems, m.id);
        if (rename(tmp, final) == 0) {
            rc = 0;
        } else if (errno == EEXIST || errno == ENOTEMPTY) {
            rc = 1;              /* stored already: nothing new */
        } else {
            snprintf(error, size, "rename %s to %s: %s", tmp, final, strerror(errno));
            rc = -2;
        }
    }
    problem_meta_free(&m);
    if (rc != 0)
        program_remove_tree(tmp);
    if (rc < 0)
        return rc;
    int lrc = meta_load(final, meta, error, size);
    return lrc < 0 ? -2 : rc;
}

json_t *problem_store_list(const char *state_dir, char *error, size_t size)
{
    char problems[PATH_MAX];
    snprintf(problems, sizeof problems, "%s/problems", state_dir);
    json_t *list = json_array();
    struct dirent **entries;
    int n = scandir(problems, &entries, NULL, alphasort);
    if (n < 0) {
        if (errno == ENOENT)
            return list;
        snprintf(error, size, "read %s: %s", problems, strerror(errno));
        json_decref(list);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        problem_meta m;
        char why[256];
        if (problem_id_valid(entries[i]->d_name) &&
            problem_store_get(state_dir, entries[i]->d_name, &m, why, sizeof why) == 0) {
            json_array_append(list, m.summary);
            problem_meta_free(&m);
        }
        free(entries[i]);
    }
    free(entries);
    return list;
}

int problem_store_delete(const char *state_dir, const char *id, char *error, size_t size)
{
    if (!problem_id_valid(id)) {
        errno = ENOENT;
        return -1;
    }
    char dir[PATH_MAX], gone[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/problems/%s", state_dir, id);
    /* Out of sight first (one rename), then removed. */
    snprintf(gone, sizeof gone, "%s/problems/.del-%s-%d", state_dir, id, (int)getpid());
    if (rename(dir, gone) < 0) {
        if (errno == ENOENT)
            return -1;
        snprintf(error, size, "rename %s: %s", dir, strerror(errno));
        return -2;
    }
    if (program_remove_tree(gone) < 0) {
        snprintf(error, size, "remove %s: %s", gone, strerror(errno));
        return -2;
    }
    return 0;
}
