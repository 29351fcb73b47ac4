/*
 * config.c - server settings: built-in defaults, the JSON config file and
 * the consistency check of the limit policy.  The table `limit_fields`
 * names the limits the API exposes (cpu_ms, wall_ms, memory_kb, pids,
 * output_bytes, disk_kb, file_size_kb, stack_kb); everything that reads or writes limits by name
 * (config, language files, requests, /v1/limits) walks that table.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const limit_field limit_fields[] = {
    {"cpu_ms", offsetof(sandbox_limits, cpu_ms)},
    {"wall_ms", offsetof(sandbox_limits, wall_ms)},
    {"memory_kb", offsetof(sandbox_limits, memory_kb)},
    {"pids", offsetof(sandbox_limits, pids)},
    {"output_bytes", offsetof(sandbox_limits, output_bytes)},
    {"disk_kb", offsetof(sandbox_limits, disk_kb)},
    {"file_size_kb", offsetof(sandbox_limits, file_size_kb)},
    {"stack_kb", offsetof(sandbox_limits, stack_kb)},
};
const size_t limit_field_count = sizeof limit_fields / sizeof limit_fields[0];

const limit_field *limit_field_find(const char *name)
{
    for (size_t i = 0; i < limit_field_count; i++)
        if (strcmp(name, limit_fields[i].name) == 0)
            return &limit_fields[i];
    return NULL;
}

const char *json_unknown_key(json_t *obj, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (known[i] && strcmp(key, known[i]) != 0)
            i++;
        if (!known[i])
            return key;
    }
    return NULL;
}

static void set_limits(sandbox_limits *l, uint64_t cpu, uint64_t wall, uint64_t mem,
                       uint64_t pids, uint64_t out, uint64_t disk, uint64_t fsize, uint64_t stack)
{
    memset(l, 0, sizeof *l);
    l->cpu_ms = cpu;
    l->wall_ms = wall;
    l->memory_kb = mem;
    l->pids = pids;
    l->output_bytes = out;
    l->disk_kb = disk;
    l->file_size_kb = fsize;
    l->stack_kb = stack;
}

void config_defaults(server_config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = strdup("127.0.0.1:8080");
    /* One slot per CPU, within what the flag and the file accept (the
     * core has 64 slots by default). */
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->slots = n < 1 ? 1 : n > CONFIG_MAX_SLOTS ? CONFIG_MAX_SLOTS : (unsigned)n;
    c->queue = 64;
    c->max_body_bytes = 4u << 20;
    c->max_json_depth = 16;
    c->max_tests = 100;
    c->max_files = 32;
    c->max_args = 64;
    c->max_arg_bytes = 4096;
    c->max_request_output_bytes = 128u << 20;
    c->connection_limit = 256;
    c->connection_timeout_s = 30;
    c->body_timeout_s = 30;
    c->header_timeout_s = 10;
    c->per_ip_connection_limit = 64;
    c->drain_timeout_s = 30;
    c->retry_after_s = 1;
    /* A run's defaults are the core's, so a request and `judgebox run`
     * that omit a limit get the same value. */
    sandbox_limits_default(&c->run.defaults);
    /* Except the stack: the core's "unlimited" is no number the API can
     * show, and an unlimited RLIMIT_STACK also moves mmap to the legacy
     * layout.  1 GiB is above every memory limit, so in practice the stack
     * may use all of memory_kb, as on Codeforces. */
    c->run.defaults.stack_kb = 1048576;
    /*     cpu_ms  wall_ms  memory_kb  pids  output_bytes  disk_kb  file_size_kb  stack_kb */
    set_limits(&c->run.min, 1, 1, 1024, 1, 1, 64, 1, 64);
    set_limits(&c->run.max, 30000, 60000, 2097152, 1024, 16 << 20, 1048576, 1048576, 4194304);
    set_limits(&c->compile.defaults, 10000, 20000, 524288, 64, 1 << 20, 262144, 65536, 1048576);
    set_limits(&c->compile.min, 1, 1, 1024, 1, 1, 64, 1, 64);
    set_limits(&c->compile.max, 60000, 120000, 2097152, 1024, 16 << 20, 1048576, 1048576, 4194304);
    /* Judge programs (issue 9): their own limits, defaults generous
     * enough for a testlib checker reading 100 MB of output. */
    c->state_dir = strdup("/var/lib/judgebox");
    c->time_multiplier = 1;
    c->max_problem_bytes = 512ull << 20;
    c->max_problem_files = 10000;
    c->max_problem_unpacked_bytes = 2ull << 30;
    c->interactive_slots = 1;
    set_limits(&c->checker.defaults, 10000, 20000, 524288, 16, 1 << 20, 65536, 1048576, 1048576);
    set_limits(&c->checker.min, 1, 1, 1024, 1, 1, 64, 1, 64);
    set_limits(&c->checker.max, 60000, 120000, 2097152, 1024, 16 << 20, 1048576, 1048576, 4194304);
    c->interactor = c->checker;
    c->playground = true;
}

int config_finish(server_config *c)
{
    free(c->programs_dir);
    c->programs_dir = NULL;
    if (!c->state_dir)
        return 0;
    return asprintf(&c->programs_dir, "%s/programs", c->state_dir) < 0 ? (c->programs_dir = NULL, -1) : 0;
}

int config_set_string(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

void config_free(server_config *c)
{
    network_policy_free(&c->network);
    free(c->listen);
    free(c->images_dir);
    free(c->langs_dir);
    free(c->state_dir);
    free(c->programs_dir);
    free(c->attach_log);
    c->listen = c->images_dir = c->langs_dir = c->state_dir = c->programs_dir = c->attach_log = NULL;
}

/* An integer field in [lo, hi]; absent is fine. */
static int read_uint(json_t *obj, const char *key, uint64_t lo, uint64_t hi, uint64_t *out,
                     const char *path, const char *prefix, char *error, size_t size)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) < lo || (uint64_t)json_integer_value(v) > hi) {
        snprintf(error, size, "%s: %s%s must be an integer from %llu to %llu", path, prefix, key,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int read_limits(json_t *obj, sandbox_limits *l, const char *path, const char *prefix,
                       char *error, size_t size)
{
    if (!json_is_object(obj)) {
        snprintf(error, size, "%s: %s must be an object", path, prefix);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const limit_field *f = limit_field_find(key);
        if (!f) {
            snprintf(error, size, "%s: unknown limit %s%s", path, prefix, key);
            return -1;
        }
        if (read_uint(obj, key, 1, UINT64_MAX / 2, limit_ref(l, f), path, prefix, error, size) < 0)
            return -1;
    }
    return 0;
}

/* "attach": {"enabled": BOOL, "log": PATH} (docs/attach.md); absent: off. */
static int read_attach(json_t *root, server_config *c, const char *path, char *error, size_t size)
{
    json_t *attach = json_object_get(root, "attach");
    if (!attach)
        return 0;
    static const char *const known[] = {"enabled", "log", NULL};
    const char *unknown = json_is_object(attach) ? json_unknown_key(attach, known) : NULL;
    if (!json_is_object(attach) || unknown) {
        snprintf(error, size, "config %s: attach must be an object with enabled and log%s%s%s", path,
                 unknown ? " (unknown field '" : "", unknown ? unknown : "", unknown ? "')" : "");
        return -1;
    }
    json_t *enabled = json_object_get(attach, "enabled"), *log = json_object_get(attach, "log");
    if (enabled && !json_is_boolean(enabled)) {
        snprintf(error, size, "config %s: attach.enabled must be true or false", path);
        return -1;
    }
    if (log && (!json_is_string(log) || json_string_value(log)[0] != '/')) {
        snprintf(error, size, "config %s: attach.log must be an absolute path", path);
        return -1;
    }
    c->attach_enabled = enabled && json_is_true(enabled);
    if (log && config_set_string(&c->attach_log, json_string_value(log)) < 0) {
        snprintf(error, size, "config %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int config_load_cli(server_config *c, const char *file, const char **source, char *error, size_t size)
{
    config_defaults(c);
    const char *from_env = getenv("JUDGEBOX_CONFIG");
    const char *path = file                  ? file
                       : from_env && *from_env ? from_env
                       : access(CONFIG_DEFAULT_FILE, F_OK) == 0 ? CONFIG_DEFAULT_FILE : NULL;
    *source = path;
    return path ? config_load_file(c, path, error, size) : 0;
}

int config_load_file(server_config *c, const char *path, char *error, size_t size)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(error, size, "config %s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(error, size, "config %s: must be a JSON object", path);
        goto out;
    }
    static const char *const known[] = {
        "listen", "slots", "queue", "images", "langs", "max_body_bytes", "max_json_depth",
        "max_tests", "max_files", "max_args", "max_arg_bytes", "max_request_output_bytes",
        "connection_limit", "connection_timeout_s", "body_timeout_s", "retry_after_s",
        "header_timeout_s", "per_ip_connection_limit", "drain_timeout_s",
        "limits", "compile_limits", "state_dir", "time_multiplier", "max_problem_bytes",
        "max_problem_files", "max_problem_unpacked_bytes", "interactive_slots", "checker_limits",
        "interactor_limits", "playground", "attach", "network", NULL};
    const char *unknown = json_unknown_key(root, known);
    if (unknown) {
        snprintf(error, size, "config %s: unknown field '%s'", path, unknown);
        goto out;
    }
    const char *skeys[] = {"listen", "images", "langs", "state_dir"};
    char **sfields[] = {&c->listen, &c->images_dir, &c->langs_dir, &c->state_dir};
    for (size_t i = 0; i < 4; i++) {
        json_t *s = json_object_get(root, skeys[i]);
        if (!s)
            continue;
        if (!json_is_string(s) || json_string_length(s) == 0) {
            snprintf(error, size, "config %s: %s must be a non-empty string", path, skeys[i]);
            goto out;
        }
        if (config_set_string(sfields[i], json_string_value(s)) < 0) {
            snprintf(error, size, "config %s: %s", path, strerror(errno));
            goto out;
        }
    }
    uint64_t u;
#define UINT_FIELD(name, lo, hi, dst) do {                                           \
        u = (uint64_t)(dst);                                                          \
        if (read_uint(root, name, lo, hi, &u, path, "", error, size) < 0) goto out;  \
        (dst) = u;                                                                    \
    } while (0)
    UINT_FIELD("slots", 1, CONFIG_MAX_SLOTS, c->slots);
    UINT_FIELD("queue", 0, CONFIG_MAX_QUEUE, c->queue);
    UINT_FIELD("max_body_bytes", 1024, 1u << 30, c->max_body_bytes);
    UINT_FIELD("max_json_depth", 2, 1000, c->max_json_depth);
    UINT_FIELD("max_tests", 1, 100000, c->max_tests);
    UINT_FIELD("max_files", 1, 10000, c->max_files);
    UINT_FIELD("max_args", 0, 10000, c->max_args);
    UINT_FIELD("max_arg_bytes", 1, 1u << 20, c->max_arg_bytes);
    UINT_FIELD("max_request_output_bytes", 1, UINT64_MAX / 2, c->max_request_output_bytes);
    UINT_FIELD("connection_limit", 1, 100000, c->connection_limit);
    UINT_FIELD("connection_timeout_s", 1, 3600, c->connection_timeout_s);
    UINT_FIELD("body_timeout_s", 1, 3600, c->body_timeout_s);
    UINT_FIELD("header_timeout_s", 1, 3600, c->header_timeout_s);
    UINT_FIELD("per_ip_connection_limit", 0, 100000, c->per_ip_connection_limit);
    UINT_FIELD("drain_timeout_s", 0, 3600, c->drain_timeout_s);
    UINT_FIELD("retry_after_s", 1, 3600, c->retry_after_s);
    UINT_FIELD("max_problem_bytes", 1024, 1ull << 40, c->max_problem_bytes);
    UINT_FIELD("max_problem_files", 1, 10000000, c->max_problem_files);
    UINT_FIELD("max_problem_unpacked_bytes", 1024, 1ull << 42, c->max_problem_unpacked_bytes);
    UINT_FIELD("interactive_slots", 0, CONFIG_MAX_SLOTS, c->interactive_slots);
#undef UINT_FIELD
    json_t *pg = json_object_get(root, "playground");
    if (pg) {
        if (!json_is_boolean(pg)) {
            snprintf(error, size, "config %s: playground must be true or false", path);
            goto out;
        }
        c->playground = json_is_true(pg);
    }
    json_t *network = json_object_get(root, "network");
    if (network && network_policy_load(&c->network, network, error, size) < 0) {
        char why[400];
        snprintf(why, sizeof why, "%s", error);
        snprintf(error, size, "config %s: %s", path, why);
        goto out;
    }
    json_t *tm = json_object_get(root, "time_multiplier");
    if (tm) {
        if (!json_is_number(tm) || json_number_value(tm) <= 0 || json_number_value(tm) > 100) {
            snprintf(error, size, "config %s: time_multiplier must be a number above 0, at most 100",
                     path);
            goto out;
        }
        c->time_multiplier = json_number_value(tm);
    }
    if (read_attach(root, c, path, error, size) < 0)
        goto out;
    /* "limits": {"default": {...}, "min": {...}, "max": {...}}, same for
     * "compile_limits". */
    const char *pkeys[] = {"limits", "compile_limits", "checker_limits", "interactor_limits"};
    limit_policy *policies[] = {&c->run, &c->compile, &c->checker, &c->interactor};
    for (size_t i = 0; i < 4; i++) {
        json_t *p = json_object_get(root, pkeys[i]);
        if (!p)
            continue;
        if (!json_is_object(p)) {
            snprintf(error, size, "config %s: %s must be an object", path, pkeys[i]);
            goto out;
        }
        const char *k;
        json_t *sub;
        json_object_foreach(p, k, sub) {
            sandbox_limits *dst = strcmp(k, "default") == 0 ? &policies[i]->defaults
                                : strcmp(k, "min") == 0     ? &policies[i]->min
                                : strcmp(k, "max") == 0     ? &policies[i]->max : NULL;
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s.%s.", pkeys[i], k);
            if (!dst) {
                snprintf(error, size, "config %s: unknown field %s.%s (want default, min, max)",
                         path, pkeys[i], k);
                goto out;
            }
            if (read_limits(sub, dst, path, prefix, error, size) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int config_check(const server_config *c, char *error, size_t size)
{
    const limit_policy *p[] = {&c->run, &c->compile, &c->checker, &c->interactor};
    const char *names[] = {"limits", "compile_limits", "checker_limits", "interactor_limits"};
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < limit_field_count; j++) {
            const limit_field *f = &limit_fields[j];
            uint64_t lo = limit_get(&p[i]->min, f), d = limit_get(&p[i]->defaults, f),
                     hi = limit_get(&p[i]->max, f);
            if (!(lo <= d && d <= hi)) {
                snprintf(error, size,
                         "config: %s.%s needs min <= default <= max, have %llu, %llu, %llu",
                         names[i], f->name, (unsigned long long)lo, (unsigned long long)d,
                         (unsigned long long)hi);
                return -1;
            }
        }
    }
    if (c->slots == 0) {
        snprintf(error, size, "config: slots must be at least 1");
        return -1;
    }
    return 0;
}
