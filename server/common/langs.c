/*
 * langs.c - loading langs/<id>.json into the language table and checking
 * it against the images directory.  A language file looks like
 *   {"id": "cpp", "name": "C++ (GCC)", "image": "default",
 *    "source_file": "main.cpp",
 *    "compile": ["g++", "-O2", "-o", "main", "main.cpp"] or null,
 *    "run": ["./main"], "version": ["g++", "--version"],
 *    "env": {"PATH": "/usr/bin:/bin"},
 *    "limits": {"memory_kb": 65536}, "compile_limits": {"cpu_ms": 20000},
 *    "aliases": ["c++"], "compile_options": ["-O[0-3]", ...],
 *    "sources": [".cpp", ".cc"], "check": ["python3", "-m", "py_compile", "main.py"],
 *    "source_rules": [{"match": "^import ", "source_file": "main.mjs"}],
 *    "main_class": "java"}
 * (docs/languages.md says what each field does; the command placeholders
 * are expanded per request by server/judge/command_lines.c.)
 * "version" is the command the image build runs to fill versions.json;
 * the server only reads the result, <images>/<image>/versions.json
 * ({"cpp": "12.2.0", ...}), and says "unknown" when it is absent.
 */
#include "langs.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

void language_free(language *l)
{
    free(l->id);
    free(l->name);
    free(l->image);
    free(l->source_file);
    free(l->version);
    free(l->rootfs);
    free_argv(l->compile_argv);
    free_argv(l->check_argv);
    free_argv(l->run_argv);
    free_argv(l->version_argv);
    free_argv(l->env);
    free_argv(l->aliases);
    free_argv(l->source_exts);
    if (l->option_regex)
        for (size_t i = 0; i < l->noptions; i++)
            regfree(&l->option_regex[i]);
    free(l->option_regex);
    free_argv(l->option_patterns);
    for (size_t i = 0; i < l->nsource_rules; i++) {
        regfree(&l->source_rules[i].match);
        free(l->source_rules[i].pattern);
        free(l->source_rules[i].source_file);
    }
    free(l->source_rules);
    memset(l, 0, sizeof *l);
}

void langs_free(language_table *t)
{
    for (size_t i = 0; i < t->count; i++)
        language_free(&t->items[i]);
    free(t->items);
    t->items = NULL;
    t->count = 0;
}

static int fail(char *error, size_t size, const char *origin, const char *what)
{
    snprintf(error, size, "language file %s: %s", origin, what);
    return -1;
}

static char **dup_argv(json_t *v, const char *key, const char *origin, char *error, size_t size)
{
    char what[128];
    if (!json_is_array(v) || json_array_size(v) == 0) {
        snprintf(what, sizeof what, "\"%s\" must be a non-empty array of strings", key);
        fail(error, size, origin, what);
        return NULL;
    }
    size_t n = json_array_size(v);
    char **argv = calloc(n + 1, sizeof *argv);
    if (!argv) {
        fail(error, size, origin, strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
            snprintf(what, sizeof what, "\"%s\"[%zu] must be a string without NUL", key, i);
            fail(error, size, origin, what);
            free_argv(argv);
            return NULL;
        }
        argv[i] = strdup(json_string_value(s));
        if (!argv[i]) {
            fail(error, size, origin, strerror(errno));
            free_argv(argv);
            return NULL;
        }
    }
    return argv;
}

static int parse_limits(json_t *v, const char *key, sandbox_limits *out, const char *origin,
                        char *error, size_t size)
{
    char what[160];
    memset(out, 0, sizeof *out);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        snprintf(what, sizeof what, "\"%s\" must be an object", key);
        return fail(error, size, origin, what);
    }
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        const limit_field *f = limit_field_find(k);
        if (!f) {
            snprintf(what, sizeof what, "unknown limit \"%s.%s\"", key, k);
            return fail(error, size, origin, what);
        }
        if (!json_is_integer(x) || json_integer_value(x) < 1) {
            snprintf(what, sizeof what, "\"%s.%s\" must be a positive integer", key, k);
            return fail(error, size, origin, what);
        }
        *limit_ref(out, f) = (uint64_t)json_integer_value(x);
    }
    return 0;
}

/* Ids and file names end up in paths and argv: keep them plain. */
static bool plain_name(const char *s);
static bool plain_name_ok(const char *s)
{
    return plain_name(s);
}
static bool plain_name(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-' || *s == '+'))
            return false;
    return true;
}

/* An optional array of strings ("aliases", "sources", "compile_options"),
 * each checked by `ok` (NULL = any); *out stays NULL when the key is absent. */
static int optional_strings(json_t *root, const char *key, bool (*ok)(const char *), const char *rule,
                            char ***out, const char *origin, char *error, size_t size)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_array(v) && json_array_size(v) == 0) {
        *out = calloc(1, sizeof **out);
        return *out ? 0 : fail(error, size, origin, strerror(errno));
    }
    *out = dup_argv(v, key, origin, error, size);
    if (!*out)
        return -1;
    for (size_t i = 0; (*out)[i]; i++)
        if (ok && !ok((*out)[i])) {
            char what[200];
            snprintf(what, sizeof what, "\"%s\"[%zu] (\"%.40s\") %s", key, i, (*out)[i], rule);
            return fail(error, size, origin, what);
        }
    return 0;
}

static bool plain_name_ok(const char *s);
static bool extension_ok(const char *s)
{
    return s[0] == '.' && s[1] && plain_name_ok(s + 1) && !strchr(s + 1, '.');
}

/* A regex from a pattern, anchored to the whole string. */
static int compile_regex(regex_t *re, const char *pattern, bool anchored, int extra_flags,
                         const char *what_key, const char *origin, char *error, size_t size)
{
    char *full = NULL;
    if (asprintf(&full, anchored ? "^(%s)$" : "%s", pattern) < 0)
        return fail(error, size, origin, strerror(errno));
    int rc = regcomp(re, full, REG_EXTENDED | REG_NOSUB | extra_flags);
    free(full);
    if (rc != 0) {
        char msg[128], what[256];
        regerror(rc, re, msg, sizeof msg);
        snprintf(what, sizeof what, "%s \"%.60s\" is not a valid POSIX extended regex: %s", what_key,
                 pattern, msg);
        return fail(error, size, origin, what);
    }
    return 0;
}

static int parse_extras(json_t *root, language *out, const char *origin, char *error, size_t size)
{
    if (optional_strings(root, "aliases", plain_name_ok, "may hold only letters, digits and . _ - +",
                         &out->aliases, origin, error, size) < 0 ||
        optional_strings(root, "sources", extension_ok, "must be an extension such as \".cpp\"",
                         &out->source_exts, origin, error, size) < 0 ||
        optional_strings(root, "compile_options", NULL, NULL, &out->option_patterns, origin, error,
                         size) < 0)
        return -1;
    if (!out->aliases && !(out->aliases = calloc(1, sizeof *out->aliases)))
        return fail(error, size, origin, strerror(errno));
    if (out->option_patterns) {
        while (out->option_patterns[out->noptions])
            out->noptions++;
        out->option_regex = calloc(out->noptions + 1, sizeof *out->option_regex);
        if (!out->option_regex)
            return fail(error, size, origin, strerror(errno));
        for (size_t i = 0; i < out->noptions; i++)
            if (compile_regex(&out->option_regex[i], out->option_patterns[i], true, 0,
                              "compile_options pattern", origin, error, size) < 0) {
                for (size_t j = 0; j < i; j++)
                    regfree(&out->option_regex[j]);
                free(out->option_regex);
                out->option_regex = NULL;
                return -1;
            }
        if (!out->compile_argv && out->noptions)
            return fail(error, size, origin, "\"compile_options\" needs a \"compile\" command");
    }
    json_t *check = json_object_get(root, "check");
    if (check && !json_is_null(check)) {
        if (out->compile_argv)
            return fail(error, size, origin, "give \"compile\" or \"check\", not both");
        out->check_argv = dup_argv(check, "check", origin, error, size);
        if (!out->check_argv)
            return -1;
    }
    json_t *mc = json_object_get(root, "main_class");
    if (mc && !json_is_null(mc)) {
        const char *v = json_string_value(mc);
        if (v && strcmp(v, "java") == 0)
            out->main_class = MAIN_CLASS_JAVA;
        else if (v && strcmp(v, "scala") == 0)
            out->main_class = MAIN_CLASS_SCALA;
        else
            return fail(error, size, origin, "\"main_class\" must be \"java\" or \"scala\"");
    }
    json_t *rules = json_object_get(root, "source_rules");
    if (rules && !json_is_null(rules)) {
        if (!json_is_array(rules))
            return fail(error, size, origin, "\"source_rules\" must be an array of objects");
        out->source_rules = calloc(json_array_size(rules) + 1, sizeof *out->source_rules);
        if (!out->source_rules)
            return fail(error, size, origin, strerror(errno));
        size_t i;
        json_t *r;
        json_array_foreach(rules, i, r) {
            const char *m = json_string_value(json_object_get(r, "match"));
            const char *f = json_string_value(json_object_get(r, "source_file"));
            char what[160];
            if (!json_is_object(r) || !m || !f || !plain_name_ok(f) || json_object_size(r) != 2) {
                snprintf(what, sizeof what,
                         "\"source_rules\"[%zu] must be {\"match\": regex, \"source_file\": name}", i);
                return fail(error, size, origin, what);
            }
            source_rule *sr = &out->source_rules[i];
            if (compile_regex(&sr->match, m, false, REG_NEWLINE, "source_rules match", origin, error,
                              size) < 0)
                return -1;
            out->nsource_rules = i + 1;
            if (!(sr->pattern = strdup(m)) || !(sr->source_file = strdup(f)))
                return fail(error, size, origin, strerror(errno));
        }
    }
    return 0;
}

int langs_parse(const char *text, size_t len, const char *origin, language *out,
                char *error, size_t size)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(error, size, "language file %s:%d:%d: %s", origin, jerr.line, jerr.column,
                 jerr.text);
        return -1;
    }
    int rc = 0;
    if (!json_is_object(root)) {
        rc = fail(error, size, origin, "must be a JSON object");
        goto out;
    }
    static const char *const known[] = {"id", "name", "image", "source_file", "compile", "run",
                                        "version", "env", "limits", "compile_limits",
                                        "aliases", "check", "sources", "compile_options",
                                        "source_rules", "main_class", NULL};
    const char *unknown = json_unknown_key(root, known);
    if (unknown) {
        char what[160];
        snprintf(what, sizeof what, "unknown field \"%s\"", unknown);
        rc = fail(error, size, origin, what);
        goto out;
    }
    /* Required strings; those that end up in paths and argv must be plain
     * names (`plain` says how, NULL for free text). */
    static const char only_plain[] = "may hold only letters, digits and . _ - +";
    const struct { const char *key; char **dst; const char *plain; } strings[] = {
        {"id", &out->id, only_plain},
        {"name", &out->name, NULL},
        {"image", &out->image, only_plain},
        {"source_file", &out->source_file, "must be a plain file name"},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        json_t *s = json_object_get(root, strings[i].key);
        const char *value = json_string_value(s);   /* NULL unless a string */
        char what[160] = "";
        if (!value || !*value || strlen(value) != json_string_length(s))
            snprintf(what, sizeof what, "\"%s\" must be a non-empty string", strings[i].key);
        else if (strings[i].plain && !plain_name(value))
            snprintf(what, sizeof what, "\"%s\" %s", strings[i].key, strings[i].plain);
        else if (!(*strings[i].dst = strdup(value)))
            snprintf(what, sizeof what, "%s", strerror(errno));
        if (what[0]) {
            rc = fail(error, size, origin, what);
            goto out;
        }
    }
    json_t *compile = json_object_get(root, "compile");
    if (compile && !json_is_null(compile)) {
        out->compile_argv = dup_argv(compile, "compile", origin, error, size);
        if (!out->compile_argv) {
            rc = -1;
            goto out;
        }
    }
    out->run_argv = dup_argv(json_object_get(root, "run"), "run", origin, error, size);
    if (!out->run_argv) {
        rc = -1;
        goto out;
    }
    json_t *version = json_object_get(root, "version");
    if (version && !json_is_null(version) &&
        !(out->version_argv = dup_argv(version, "version", origin, error, size))) {
        rc = -1;
        goto out;
    }
    json_t *env = json_object_get(root, "env");
    if (env && !json_is_null(env)) {
        if (!json_is_object(env)) {
            rc = fail(error, size, origin, "\"env\" must be an object of strings");
            goto out;
        }
        out->env = calloc(json_object_size(env) + 1, sizeof *out->env);
        if (!out->env) {
            rc = fail(error, size, origin, strerror(errno));
            goto out;
        }
        size_t i = 0;
        const char *key;
        json_t *v;
        json_object_foreach(env, key, v) {
            if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
                !*key || strchr(key, '=')) {
                char what[160];
                snprintf(what, sizeof what, "\"env.%s\" must be a string (and a valid name)", key);
                rc = fail(error, size, origin, what);
                goto out;
            }
            if (asprintf(&out->env[i], "%s=%s", key, json_string_value(v)) < 0) {
                out->env[i] = NULL;
                rc = fail(error, size, origin, strerror(errno));
                goto out;
            }
            i++;
        }
    }
    if (parse_limits(json_object_get(root, "limits"), "limits", &out->min_limits, origin, error,
                     size) < 0 ||
        parse_limits(json_object_get(root, "compile_limits"), "compile_limits",
                     &out->compile_limits, origin, error, size) < 0 ||
        parse_extras(root, out, origin, error, size) < 0) {
        rc = -1;
        goto out;
    }
out:
    json_decref(root);
    if (rc)
        language_free(out);
    return rc;
}

static int compare_lang(const void *a, const void *b)
{
    return strcmp(((const language *)a)->id, ((const language *)b)->id);
}

/* Read a whole small file; NULL with errno on failure. */
static char *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, max + 1, f);
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err || n > max) {
        free(buf);
        errno = err ? err : EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* versions.json of an image: {"<language id>": "<version>"}. */
static int read_version(const char *images_dir, language *l, char *error, size_t size)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s/versions.json", images_dir, l->image) < 0)
        return fail(error, size, l->id, strerror(errno));
    int rc = -1;
    json_t *root = NULL;
    size_t len;
    char *text = slurp(path, 1 << 20, &len);
    if (!text && errno != ENOENT) {
        snprintf(error, size, "read %s: %s", path, strerror(errno));
        goto out;
    }
    if (text) {
        json_error_t jerr;
        root = json_loadb(text, len, 0, &jerr);
        if (!root) {
            snprintf(error, size, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
            goto out;
        }
        if (!json_is_object(root)) {
            snprintf(error, size, "%s: must be a JSON object", path);
            goto out;
        }
    }
    json_t *v = json_object_get(root, l->id);   /* NULL without the file */
    l->version = strdup(json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v)
                                                                        : "unknown");
    if (!l->version) {
        fail(error, size, l->id, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    free(text);
    free(path);
    return rc;
}

static int check_policy(const language *l, const char *origin, const server_config *c,
                        char *error, size_t size)
{
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        uint64_t m = limit_get(&l->min_limits, f);
        if (m && m > limit_get(&c->run.max, f)) {
            snprintf(error, size, "language file %s: limits.%s %llu is above the server maximum %llu",
                     origin, f->name, (unsigned long long)m,
                     (unsigned long long)limit_get(&c->run.max, f));
            return -1;
        }
        uint64_t cl = limit_get(&l->compile_limits, f);
        if (cl && (cl > limit_get(&c->compile.max, f) || cl < limit_get(&c->compile.min, f))) {
            snprintf(error, size,
                     "language file %s: compile_limits.%s %llu is outside the server's %llu..%llu",
                     origin, f->name, (unsigned long long)cl,
                     (unsigned long long)limit_get(&c->compile.min, f),
                     (unsigned long long)limit_get(&c->compile.max, f));
            return -1;
        }
    }
    return 0;
}

int langs_load(const char *langs_dir, const char *images_dir, const server_config *config,
               void (*warn)(void *warn_ctx, const char *message), void *warn_ctx,
               language_table *out, char *error, size_t size)
{
    memset(out, 0, sizeof *out);
    char missing[1024] = "";
    size_t skipped = 0;
    DIR *d = opendir(langs_dir);
    if (!d) {
        snprintf(error, size, "languages directory %s: %s", langs_dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s/%s", langs_dir, e->d_name) < 0) {
            snprintf(error, size, "languages directory %s: %s", langs_dir, strerror(errno));
            rc = -1;
            break;
        }
        size_t len;
        char *text = slurp(path, 1 << 20, &len);
        if (!text) {
            snprintf(error, size, "read %s: %s", path, strerror(errno));
            free(path);
            rc = -1;
            break;
        }
        if (out->count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            language *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                snprintf(error, size, "load %s: %s", path, strerror(errno));
                free(text);
                free(path);
                rc = -1;
                break;
            }
            out->items = items;
            cap = ncap;
        }
        language *l = &out->items[out->count];
        rc = langs_parse(text, len, path, l, error, size);
        free(text);
        if (rc == 0) {
            out->count++;
            char expect[512];
            snprintf(expect, sizeof expect, "%s.json", l->id);
            if (strcmp(expect, e->d_name) != 0) {
                snprintf(error, size, "language file %s: id \"%s\" does not match the file name",
                         path, l->id);
                rc = -1;
            }
        }
        if (rc == 0)
            rc = check_policy(l, path, config, error, size);
        bool usable = true;
        if (rc == 0) {
            struct stat st;
            if (asprintf(&l->rootfs, "%s/%s/rootfs", images_dir, l->image) < 0) {
                l->rootfs = NULL;
                snprintf(error, size, "load %s: %s", path, strerror(errno));
                rc = -1;
            } else if (stat(l->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
                /* Images are built one by one (big toolchains are optional):
                 * a language without its image is left out, and the server
                 * refuses to start only when no language is left. */
                snprintf(missing, sizeof missing,
                         "language %s needs image \"%s\", but %s is not a directory (build it, "
                         "e.g. `make default-image`, or pass --images DIR)",
                         l->id, l->image, l->rootfs);
                if (warn)
                    warn(warn_ctx, missing);
                usable = false;
            }
        }
        if (rc == 0 && usable)
            rc = read_version(images_dir, l, error, size);
        if (rc == 0 && !usable) {
            language_free(l);
            out->count--;
            skipped++;
        }
        free(path);
        if (rc)
            break;
        errno = 0;
    }
    if (rc == 0 && errno != 0) {
        snprintf(error, size, "read languages directory %s: %s", langs_dir, strerror(errno));
        rc = -1;
    }
    closedir(d);
    if (rc == 0 && out->count == 0 && skipped > 0) {
        snprintf(error, size, "no language has its image: %s%s", missing,
                 skipped > 1 ? " (and others)" : "");
        rc = -1;
    } else if (rc == 0 && out->count == 0) {
        snprintf(error, size, "no languages: %s has no *.json files", langs_dir);
        rc = -1;
    }
    if (rc == 0) {
        qsort(out->items, out->count, sizeof *out->items, compare_lang);
        for (size_t i = 1; i < out->count; i++)
            if (strcmp(out->items[i - 1].id, out->items[i].id) == 0) {
                snprintf(error, size, "language id %s defined twice", out->items[i].id);
                rc = -1;
            }
        /* An alias names one language and is nobody's id. */
        for (size_t i = 0; rc == 0 && i < out->count; i++)
            for (char **a = out->items[i].aliases; rc == 0 && a && *a; a++)
                for (size_t j = 0; j < out->count; j++) {
                    bool clash = strcmp(out->items[j].id, *a) == 0;
                    for (char **b = out->items[j].aliases; !clash && b && *b; b++)
                        clash = b != a && strcmp(*b, *a) == 0;
                    if (clash) {
                        snprintf(error, size, "alias %s of language %s is also a name of %s", *a,
                                 out->items[i].id, out->items[j].id);
                        rc = -1;
                        break;
                    }
                }
    }
    if (rc)
        langs_free(out);
    return rc;
}

bool langs_option_allowed(const language *l, const char *flag)
{
    for (size_t i = 0; i < l->noptions; i++)
        if (regexec(&l->option_regex[i], flag, 0, NULL, 0) == 0)
            return true;
    return false;
}

const language *langs_find(const language_table *t, const char *id)
{
    size_t lo = 0, hi = t->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(id, t->items[mid].id);
        if (c == 0)
            return &t->items[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t i = 0; i < t->count; i++)
        for (char **a = t->items[i].aliases; a && *a; a++)
            if (strcmp(*a, id) == 0)
                return &t->items[i];
    return NULL;
}

char *langs_default_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char candidate[PATH_MAX + 16];
            snprintf(candidate, sizeof candidate, "%s/../langs", exe);
            char *real = realpath(candidate, NULL);
            struct stat st;
            if (real && stat(real, &st) == 0 && S_ISDIR(st.st_mode))
                return real;
            free(real);
        }
    }
    return strdup("/usr/share/judgebox/langs");
}
