/*
 * langs.h - the language table: one entry per langs/<id>.json, with the
 * image it runs in (resolved to <images>/<image>/rootfs), its compile and
 * run command lines, environment, minimum run limits, compile limits, and
 * the version string read from <images>/<image>/versions.json.  Loaded
 * once at startup and read-only afterwards, so threads share it freely.
 */
#ifndef JUDGEBOX_LANGS_H
#define JUDGEBOX_LANGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "sandbox.h"

typedef struct language {
    char *id, *name, *image, *source_file, *version;
    char *rootfs;             /* <images>/<image>/rootfs */
    char **compile_argv;      /* NULL-terminated; NULL for interpreted languages */
    char **run_argv;          /* NULL-terminated */
    char **env;               /* "NAME=value", NULL-terminated; NULL = the core's default */
    sandbox_limits min_limits;     /* a run needs at least these (0 = no minimum) */
    sandbox_limits compile_limits; /* compile defaults (0 = server default) */
} language;

typedef struct language_table {
    language *items;          /* sorted by id */
    size_t count;
} language_table;

/* Load every *.json in langs_dir.  A file that does not parse, or whose
 * limits do not fit the server's policy, is an error: -1 with one line in
 * `error` naming the file and the field.  A language whose image is not
 * built under images_dir is left out and reported through `warn`; it is an
 * error only when no language is left. */
int langs_load(const char *langs_dir, const char *images_dir, const server_config *config,
               void (*warn)(void *warn_ctx, const char *message), void *warn_ctx,
               language_table *out,
               char *error, size_t error_size);
/* Parse one language from JSON text (used by langs_load and unit tests);
 * does not look at images. */
int langs_parse(const char *text, size_t len, const char *origin, language *out,
                char *error, size_t error_size);
const language *langs_find(const language_table *table, const char *id);
void language_free(language *lang);
void langs_free(language_table *table);

#endif
