/*
 * langs.h - the language table: one entry per langs/<id>.json, with the
 * image it runs in (resolved to <images>/<image>/rootfs), its compile and
 * run command lines, environment, minimum run limits, compile limits, and
 * the version string read from <images>/<image>/versions.json.  Loaded
 * once at startup and read-only afterwards, so threads share it freely.
 */
#ifndef JUDGEBOX_LANGS_H
#define JUDGEBOX_LANGS_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "sandbox.h"

/* How the main class of a JVM submission is found (command_lines.c). */
typedef enum main_class_kind {
    MAIN_CLASS_NONE = 0,
    MAIN_CLASS_JAVA,          /* the class declaring main(); the file is named after the public class */
    MAIN_CLASS_SCALA,         /* the object declaring def main (or extending App) */
} main_class_kind;

/* A source-file rule: when `match` (POSIX ERE, per line) matches the main
 * source, it is saved as `source_file` (e.g. ES modules as main.mjs). */
typedef struct source_rule {
    regex_t match;
    char *pattern, *source_file;
} source_rule;

typedef struct language {
    char *id, *name, *image, *source_file, *version;
    char *rootfs;             /* <images>/<image>/rootfs */
    char **aliases;           /* NULL-terminated, may be empty; other names the API accepts */
    char **compile_argv;      /* NULL-terminated; NULL for interpreted languages.  Placeholders:
                                 {source_file} the main file as saved, {sources} every source of
                                 the language (main last), {options} the request's compile
                                 options, {main_class} the detected main class */
    char **check_argv;        /* interpreted languages: a syntax check run as the compile step
                                 (NULL = none); same placeholders */
    char **source_exts;       /* extensions {sources} takes (".cpp"); NULL = source_file's */
    char **option_patterns;   /* compile_options allowlist (ERE, whole flag), NULL-terminated */
    regex_t *option_regex;    /* compiled option_patterns */
    size_t noptions;
    source_rule *source_rules;
    size_t nsource_rules;
    main_class_kind main_class;
    char **run_argv;          /* NULL-terminated */
    char **version_argv;      /* prints the version (image builds and imports run it); may be NULL */
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
/* The language with id or alias `name`, or NULL. */
const language *langs_find(const language_table *table, const char *name);
/* Whether `flag` is allowed as a compile option of `lang`. */
bool langs_option_allowed(const language *lang, const char *flag);
void language_free(language *lang);
void langs_free(language_table *table);
/* Where the language files are when no --langs is given: <dir of the
 * running binary>/../langs when that is a directory (a build tree), else the
 * installed /usr/share/judgebox/langs.  Malloc'd; NULL when out of memory. */
char *langs_default_dir(void);

#endif
