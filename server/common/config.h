/*
 * config.h - the server's settings: where it listens, how many slots and
 * queued requests, where languages and images live, request size bounds,
 * and the limit policy (default, minimum, maximum of every user-settable
 * limit, for runs and for compiles).  Filled with defaults, then from
 * --config FILE (JSON), then from command-line flags (serve.c).
 */
#ifndef JUDGEBOX_CONFIG_H
#define JUDGEBOX_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netpolicy.h"
#include "sandbox.h"

/* One limit the API exposes: its JSON name and where it lives in
 * sandbox_limits. */
typedef struct limit_field {
    const char *name;
    size_t offset;
} limit_field;

extern const limit_field limit_fields[];
extern const size_t limit_field_count;
/* The field named `name`, or NULL when there is none. */
const limit_field *limit_field_find(const char *name);

/* The first key of `obj` that is not in `known` (NULL-terminated), or NULL:
 * the config, language files and requests all refuse unknown fields. */
const char *json_unknown_key(json_t *obj, const char *const *known);

static inline uint64_t *limit_ref(sandbox_limits *limits, const limit_field *f)
{
    return (uint64_t *)((char *)limits + f->offset);
}
static inline uint64_t limit_get(const sandbox_limits *limits, const limit_field *f)
{
    return *(const uint64_t *)((const char *)limits + f->offset);
}

typedef struct limit_policy {
    sandbox_limits defaults, min, max;
} limit_policy;

typedef struct server_config {
    char *listen;                 /* "HOST:PORT" */
    unsigned slots;               /* worker threads, one sandbox slot each */
    unsigned queue;               /* requests waiting for a slot before 503 */
    char *images_dir;
    char *langs_dir;
    size_t max_body_bytes;        /* 413 above this */
    unsigned max_json_depth;      /* nesting of arrays/objects */
    unsigned max_tests;
    unsigned max_files;
    unsigned max_args;            /* per test */
    size_t max_arg_bytes;         /* per argument */
    uint64_t max_request_output_bytes; /* tests x output_bytes, bounds memory */
    unsigned connection_limit;    /* open HTTP connections */
    unsigned connection_timeout_s;/* idle connection */
    unsigned body_timeout_s;      /* whole request body must arrive within */
    unsigned header_timeout_s;    /* request headers must arrive within (from connect or the last answer) */
    unsigned per_ip_connection_limit; /* open connections from one address; 0: no cap */
    unsigned drain_timeout_s;     /* SIGTERM: in-flight requests finish within, then are cancelled */
    unsigned retry_after_s;       /* Retry-After on 503 */
    limit_policy run, compile;
    /* Problems, special judges and interactors (issue 9, server/problems/). */
    char *state_dir;              /* problems/ and programs/ live here; survives restarts */
    char *programs_dir;           /* <state_dir>/programs: compiled judge programs (config_finish) */
    double time_multiplier;       /* a package's time limit x this = cpu_ms */
    uint64_t max_problem_bytes;   /* POST /v1/problems body */
    uint64_t max_problem_files;   /* entries of a package */
    uint64_t max_problem_unpacked_bytes; /* all entries unpacked */
    unsigned interactive_slots;   /* workers with two slots each for interactive tests; 0 = none */
    limit_policy checker, interactor;
    bool playground;              /* GET / serves the playground page (server/playground/) */
    bool attach_enabled;          /* "attach": {"enabled": true}: `judgebox attach` may enter live runs */
    char *attach_log;             /* "attach": {"log": PATH}: where attaches are logged; NULL = <run-dir>/attach.log */
    network_policy network;       /* opt-in network (netpolicy.h); off by default */
} server_config;

/* Bounds of slots and queue, for the config file and --slots/--queue. */
#define CONFIG_MAX_SLOTS 64
#define CONFIG_MAX_QUEUE 100000

void config_defaults(server_config *config);
/* Read a JSON config file over the current values.  -1 with a message
 * naming the file and the field on error. */
int config_load_file(server_config *config, const char *path, char *error, size_t error_size);
/* The config of the commands that read no --config of a server (`judgebox
 * run`, `judgebox attach`; docs/attach.md): `file` when given, else
 * $JUDGEBOX_CONFIG, else CONFIG_DEFAULT_FILE when it exists, else none.
 * Fills `config` with the defaults and that file; *source is its path
 * (NULL: none, the defaults alone: attach off).  -1 with a message. */
#define CONFIG_DEFAULT_FILE "/etc/judgebox/config.json"
int config_load_cli(server_config *config, const char *file, const char **source, char *error, size_t error_size);
/* Check that the limit policy is consistent (min <= default <= max). */
int config_check(const server_config *config, char *error, size_t error_size);
/* Derive the paths under state_dir (programs_dir) once state_dir is
 * final.  -1 when out of memory. */
int config_finish(server_config *config);
/* Replace a malloc'd string field. */
int config_set_string(char **field, const char *value);
void config_free(server_config *config);

#endif
