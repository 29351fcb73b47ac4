/*
 * api.c - the v1 JSON contract (jansson).  Parsing a /v1/run body is
 * strict: a value of the wrong JSON type is a 400, anything well-typed but
 * unacceptable (unknown field, unknown language, missing source, NUL in a
 * source or argument, too many tests, a limit outside [min, max]) is a 422,
 * and every error names its field ("tests[2].stdin", "limits.cpu_ms").
 * Limits are resolved here: request value, else the language's or the
 * server's default, checked against the server's bounds and the language's
 * minimum.  Serializing a result turns output bytes into JSON strings,
 * adding stdout_b64/stderr_b64 when the bytes are not valid UTF-8.
 */
#include "api.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "text.h"

void api_error_vset(api_error *err, int status, const char *code, const char *field,
                    const char *fmt, va_list ap)
{
    err->status = status;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    vsnprintf(err->message, sizeof err->message, fmt, ap);
}

void api_error_set(api_error *err, int status, const char *code, const char *field,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    api_error_vset(err, status, code, field, fmt, ap);
    va_end(ap);
}

/* A JSON string from bytes whose UTF-8 validity is `valid` (utf8_valid):
 * invalid UTF-8 is repaired.  The bytes are checked already, so jansson
 * need not scan them again. */
static json_t *string_from_bytes(const char *s, size_t len, bool valid)
{
    if (valid)
        return json_stringn_nocheck(s, len);
    size_t n;
    char *fixed = utf8_repair(s, len, &n);
    if (!fixed)
        return NULL;
    json_t *v = json_stringn_nocheck(fixed, n);
    free(fixed);
    return v;
}

static json_t *safe_string(const char *s, size_t len)
{
    return string_from_bytes(s, len, utf8_valid(s, len));
}

json_t *api_error_body(const api_error *err)
{
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(err->code ? err->code : "error"));
    json_object_set_new(e, "message", safe_string(err->message, strlen(err->message)));
    if (err->field[0])
        json_object_set_new(e, "field", safe_string(err->field, strlen(err->field)));
    json_t *body = json_object();
    json_object_set_new(body, "error", e);
    return body;
}

bool api_json_too_deep(const char *text, size_t len, unsigned max_depth)
{
    unsigned depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return false;
}

/* ---- parsing helpers ---- */

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static int wrong_type(api_error *err, const char *field, const char *want, const json_t *got)
{
    api_error_set(err, 400, "wrong_type", field, "%s must be %s, not %s", field, want,
                  json_type_name(got));
    return -1;
}

static int check_keys(json_t *obj, const char *const *known, const char *prefix, api_error *err)
{
    const char *key = json_unknown_key(obj, known);
    if (!key)
        return 0;
    char field[128];
    snprintf(field, sizeof field, "%s%s", prefix, key);
    api_error_set(err, 422, "unknown_field", field, "unknown field %s", field);
    return -1;
}

static void *dup_bytes(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static int out_of_memory(api_error *err)
{
    api_error_set(err, 500, "internal", NULL, "out of memory while reading the request");
    return -1;
}

/* Bytes given either as "<key>" (a string) or "<key>_b64" (base64), not
 * both.  *present tells whether either was there. */
static int get_bytes(json_t *obj, const char *key, const char *prefix, unsigned char **out,
                     size_t *len, bool *present, api_error *err)
{
    char b64key[64], field[128], b64field[128];
    snprintf(b64key, sizeof b64key, "%s_b64", key);
    snprintf(field, sizeof field, "%s%s", prefix, key);
    snprintf(b64field, sizeof b64field, "%s%s", prefix, b64key);
    json_t *plain = json_object_get(obj, key), *b64 = json_object_get(obj, b64key);
    *out = NULL;
    *len = 0;
    *present = plain || b64;
    if (plain && b64) {
        api_error_set(err, 422, "conflict", b64field, "give %s or %s, not both", field, b64field);
        return -1;
    }
    if (plain) {
        if (!json_is_string(plain))
            return wrong_type(err, field, "a string", plain);
        *len = json_string_length(plain);
        *out = dup_bytes(json_string_value(plain), *len);
        return *out ? 0 : out_of_memory(err);
    }
    if (b64) {
        if (!json_is_string(b64))
            return wrong_type(err, b64field, "a base64 string", b64);
        if (base64_decode(json_string_value(b64), json_string_length(b64), out, len) < 0) {
            if (errno == ENOMEM)
                return out_of_memory(err);
            api_error_set(err, 422, "invalid_value", b64field, "%s is not valid base64", b64field);
            return -1;
        }
        return 0;
    }
    *out = dup_bytes("", 0);
    return *out ? 0 : out_of_memory(err);
}

/* The size of `v`, the array of objects `field`, which must hold 1 to `max`
 * entries (`empty` says why not none); 0 with `err` otherwise. */
static size_t array_size(json_t *v, const char *field, unsigned max, const char *empty,
                         api_error *err)
{
    if (!json_is_array(v)) {
        wrong_type(err, field, "an array of objects", v);
        return 0;
    }
    size_t n = json_array_size(v);
    if (n == 0)
        api_error_set(err, 422, "missing_field", field, "%s", empty);
    else if (n > max)
        api_error_set(err, 422, "too_many", field, "%zu %s, at most %u allowed", n, field, max);
    return n <= max ? n : 0;
}

static int get_args(json_t *v, const char *field, const server_config *c, char ***out,
                    api_error *err)
{
    *out = NULL;
    size_t n = 0;
    if (v) {
        if (!json_is_array(v))
            return wrong_type(err, field, "an array of strings", v);
        n = json_array_size(v);
        if (n > c->max_args) {
            api_error_set(err, 422, "too_many", field, "%s has %zu arguments, at most %u allowed",
                          field, n, c->max_args);
            return -1;
        }
    }
    char **args = calloc(n + 1, sizeof *args);
    if (!args)
        return out_of_memory(err);
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(v, i);
        char f[160];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        int rc = 0;
        if (!json_is_string(a)) {
            rc = wrong_type(err, f, "a string", a);
        } else if (strlen(json_string_value(a)) != json_string_length(a)) {
            api_error_set(err, 422, "invalid_value", f, "%s contains a NUL byte", f);
            rc = -1;
        } else if (json_string_length(a) > c->max_arg_bytes) {
            api_error_set(err, 422, "too_large", f, "%s is longer than %zu bytes", f,
                          c->max_arg_bytes);
            rc = -1;
        } else if (!(args[i] = strdup(json_string_value(a)))) {
            rc = out_of_memory(err);
        }
        if (rc) {
            for (size_t j = 0; j < i; j++)
                free(args[j]);
            free(args);
            return -1;
        }
    }
    *out = args;
    return 0;
}

/* A relative path of plain components: letters, digits, ". _ - +". */
static bool valid_path(const char *p, size_t len)
{
    return relative_path_ok(p, len, 8, NULL);
}

static int parse_files(json_t *root, const language *lang, const server_config *c,
                       job_request *job, api_error *err)
{
    json_t *source = json_object_get(root, "source"), *files = json_object_get(root, "files");
    if (source && files) {
        api_error_set(err, 422, "conflict", "files", "give source or files, not both");
        return -1;
    }
    if (!source && !files) {
        api_error_set(err, 422, "missing_field", "source",
                      "source is required (or files, the first being the main file)");
        return -1;
    }
    if (source) {
        if (!json_is_string(source))
            return wrong_type(err, "source", "a string", source);
        size_t len = json_string_length(source);
        if (strlen(json_string_value(source)) != len) {
            api_error_set(err, 422, "invalid_value", "source",
                          "source contains a NUL byte; send binary content in files[] with "
                          "\"encoding\": \"base64\"");
            return -1;
        }
        job->files = calloc(1, sizeof *job->files);
        if (!job->files)
            return out_of_memory(err);
        job->nfiles = 1;
        job->files[0].name = strdup(lang->source_file);
        job->files[0].data = dup_bytes(json_string_value(source), len);
        job->files[0].len = len;
        if (!job->files[0].name || !job->files[0].data)
            return out_of_memory(err);
        return 0;
    }
    size_t n = array_size(files, "files", c->max_files, "files must hold at least the main file",
                          err);
    if (n == 0)
        return -1;
    job->files = calloc(n, sizeof *job->files);
    if (!job->files)
        return out_of_memory(err);
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(files, i);
        char prefix[64], field[96];
        snprintf(prefix, sizeof prefix, "files[%zu].", i);
        snprintf(field, sizeof field, "files[%zu]", i);
        if (!json_is_object(f))
            return wrong_type(err, field, "an object", f);
        static const char *const known[] = {"name", "content", "encoding", NULL};
        if (check_keys(f, known, prefix, err) < 0)
            return -1;
        job_file *jf = &job->files[i];
        job->nfiles = i + 1;
        json_t *name = json_object_get(f, "name");
        snprintf(field, sizeof field, "files[%zu].name", i);
        if (name && !json_is_string(name))
            return wrong_type(err, field, "a string", name);
        if (i == 0) {
            /* The main file is saved as the language's source file. */
            jf->name = strdup(lang->source_file);
        } else {
            if (!name) {
                api_error_set(err, 422, "missing_field", field, "%s is required", field);
                return -1;
            }
            if (!valid_path(json_string_value(name), json_string_length(name))) {
                api_error_set(err, 422, "invalid_value", field,
                              "%s must be a relative path of letters, digits and . _ - +", field);
                return -1;
            }
            jf->name = strdup(json_string_value(name));
        }
        if (!jf->name)
            return out_of_memory(err);
        for (size_t j = 0; j < i; j++) {
            /* A file may not also be a directory of another ("a" and "a/b"). */
            size_t la = strlen(job->files[j].name), lb = strlen(jf->name);
            const char *a = job->files[j].name, *b = jf->name;
            bool clash = strcmp(a, b) == 0 ||
                         (la < lb && strncmp(a, b, la) == 0 && b[la] == '/') ||
                         (lb < la && strncmp(a, b, lb) == 0 && a[lb] == '/');
            if (clash) {
                api_error_set(err, 422, "conflict", field, "%s \"%s\" clashes with files[%zu] (\"%s\")",
                              field, b, j, a);
                return -1;
            }
        }
        json_t *enc = json_object_get(f, "encoding");
        snprintf(field, sizeof field, "files[%zu].encoding", i);
        bool base64 = false;
        if (enc) {
            if (!json_is_string(enc))
                return wrong_type(err, field, "a string", enc);
            if (strcmp(json_string_value(enc), "base64") == 0) {
                base64 = true;
            } else if (strcmp(json_string_value(enc), "utf8") != 0) {
                api_error_set(err, 422, "invalid_value", field, "%s must be \"utf8\" or \"base64\"",
                              field);
                return -1;
            }
        }
        json_t *content = json_object_get(f, "content");
        snprintf(field, sizeof field, "files[%zu].content", i);
        if (!content) {
            api_error_set(err, 422, "missing_field", field, "%s is required", field);
            return -1;
        }
        if (!json_is_string(content))
            return wrong_type(err, field, "a string", content);
        const char *text = json_string_value(content);
        size_t len = json_string_length(content);
        if (base64) {
            if (base64_decode(text, len, &jf->data, &jf->len) < 0) {
                if (errno == ENOMEM)
                    return out_of_memory(err);
                api_error_set(err, 422, "invalid_value", field, "%s is not valid base64", field);
                return -1;
            }
        } else {
            if (strlen(text) != len) {
                api_error_set(err, 422, "invalid_value", field,
                              "%s contains a NUL byte; use \"encoding\": \"base64\"", field);
                return -1;
            }
            jf->data = dup_bytes(text, len);
            jf->len = len;
            if (!jf->data)
                return out_of_memory(err);
        }
    }
    return 0;
}

/* One test from `obj` (a test object, or the request itself when there
 * are no tests).  prefix: "tests[3]." or "". */
static int parse_test(json_t *obj, const char *prefix, size_t index, const server_config *c,
                      job_test *t, api_error *err)
{
    char field[128];
    json_t *id = json_object_get(obj, "id");
    if (prefix[0] && id) {
        snprintf(field, sizeof field, "%sid", prefix);
        if (json_is_integer(id)) {
            if (asprintf(&t->id, "%lld", (long long)json_integer_value(id)) < 0) {
                t->id = NULL;
                return out_of_memory(err);
            }
        } else if (json_is_string(id)) {
            size_t len = json_string_length(id);
            if (len == 0 || len > 64 || strlen(json_string_value(id)) != len) {
                api_error_set(err, 422, "invalid_value", field,
                              "%s must be 1 to 64 bytes without NUL", field);
                return -1;
            }
            t->id = strdup(json_string_value(id));
        } else {
            return wrong_type(err, field, "a string", id);
        }
    } else if (asprintf(&t->id, "%zu", index + 1) < 0) {
        t->id = NULL;
    }
    if (!t->id)
        return out_of_memory(err);
    bool present;
    if (get_bytes(obj, "stdin", prefix, &t->stdin_data, &t->stdin_len, &present, err) < 0)
        return -1;
    snprintf(field, sizeof field, "%sargs", prefix);
    if (get_args(json_object_get(obj, "args"), field, c, &t->args, err) < 0)
        return -1;
    unsigned char *expected;
    if (get_bytes(obj, "expected_output", prefix, &expected, &t->expected_len, &t->has_expected,
                  err) < 0)
        return -1;
    t->expected = (char *)expected;
    json_t *points = prefix[0] ? json_object_get(obj, "points") : NULL;
    if (points) {
        snprintf(field, sizeof field, "%spoints", prefix);
        if (!json_is_number(points))
            return wrong_type(err, field, "a number", points);
        double v = json_number_value(points);
        if (!isfinite(v) || v < 0 || v > 1e9) {
            api_error_set(err, 422, "out_of_range", field, "%s must be from 0 to 1e9", field);
            return -1;
        }
        t->has_points = true;
        t->points = v;
    }
    return 0;
}

static int parse_tests(json_t *root, const server_config *c, job_request *job, api_error *err)
{
    json_t *tests = json_object_get(root, "tests");
    if (!tests) {
        job->tests = calloc(1, sizeof *job->tests);
        if (!job->tests)
            return out_of_memory(err);
        job->ntests = 1;
        return parse_test(root, "", 0, c, &job->tests[0], err);
    }
    static const char *const single[] = {"stdin", "stdin_b64", "args", "expected_output",
                                         "expected_output_b64", NULL};
    for (size_t i = 0; single[i]; i++) {
        if (json_object_get(root, single[i])) {
            api_error_set(err, 422, "conflict", single[i],
                          "%s is used only without tests; give it in each test instead", single[i]);
            return -1;
        }
    }
    size_t n = array_size(tests, "tests", c->max_tests, "tests must not be empty", err);
    if (n == 0)
        return -1;
    job->tests = calloc(n, sizeof *job->tests);
    if (!job->tests)
        return out_of_memory(err);
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(tests, i);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "tests[%zu].", i);
        job->ntests = i + 1;
        if (!json_is_object(t)) {
            char field[64];
            snprintf(field, sizeof field, "tests[%zu]", i);
            return wrong_type(err, field, "an object", t);
        }
        static const char *const known[] = {"id", "stdin", "stdin_b64", "args", "expected_output",
                                            "expected_output_b64", "points", NULL};
        if (check_keys(t, known, prefix, err) < 0 ||
            parse_test(t, prefix, i, c, &job->tests[i], err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(job->tests[j].id, job->tests[i].id) == 0) {
                char field[64];
                snprintf(field, sizeof field, "tests[%zu].id", i);
                api_error_set(err, 422, "conflict", field, "test id \"%s\" is used twice",
                              job->tests[i].id);
                return -1;
            }
        }
    }
    return 0;
}

static int parse_limits(json_t *root, const char *key, const limit_policy *policy,
                        const sandbox_limits *lang_min, const sandbox_limits *lang_default,
                        const char *lang_id, sandbox_limits *out, api_error *err);

/* Prefix an error's field (and its message's mention of it) with `prefix`. */
static int prefixed(api_error *err, const char *prefix)
{
    char field[128];
    snprintf(field, sizeof field, "%s%s", prefix, err->field);
    snprintf(err->field, sizeof err->field, "%s", field);
    return -1;
}

/* A judge program: {"protocol", "language", "source" | "files", "args"}
 * (a checker also has "type": "program").  `key` is "checker" or
 * "interactor"; its limits come from <key>_limits of the request. */
int api_parse_program(json_t *root, json_t *obj, const char *key, const server_config *c,
                      const language_table *langs, judge_program *prog, api_error *err)
{
    char prefix[32], field[64];
    snprintf(prefix, sizeof prefix, "%s.", key);
    static const char *const known[] = {"type", "protocol", "language", "source", "files", "args",
                                        NULL};
    if (check_keys(obj, known, prefix, err) < 0)
        return -1;
    json_t *proto = json_object_get(obj, "protocol");
    snprintf(field, sizeof field, "%s.protocol", key);
    if (!proto) {
        api_error_set(err, 422, "missing_field", field, "%s is required (testlib or kattis)", field);
        return -1;
    }
    if (!json_is_string(proto))
        return wrong_type(err, field, "a string", proto);
    if (program_protocol_from_name(json_string_value(proto), &prog->protocol) < 0) {
        api_error_set(err, 422, "invalid_value", field, "%s must be \"testlib\" or \"kattis\"",
                      field);
        return -1;
    }
    json_t *lang = json_object_get(obj, "language");
    snprintf(field, sizeof field, "%s.language", key);
    if (!lang) {
        api_error_set(err, 422, "missing_field", field, "%s is required", field);
        return -1;
    }
    if (!json_is_string(lang))
        return wrong_type(err, field, "a string", lang);
    prog->lang = langs_find(langs, json_string_value(lang));
    if (!prog->lang) {
        api_error_set(err, 422, "unknown_language", field,
                      "unknown language \"%.64s\" (GET /v1/languages lists them)",
                      json_string_value(lang));
        return -1;
    }
    job_request files = {0};
    if (parse_files(obj, prog->lang, c, &files, err) < 0) {
        job_request_free(&files);
        return prefixed(err, prefix);
    }
    prog->files = calloc(files.nfiles, sizeof *prog->files);
    if (!prog->files) {
        job_request_free(&files);
        return out_of_memory(err);
    }
    for (size_t i = 0; i < files.nfiles; i++) {
        prog->files[i].name = files.files[i].name;
        prog->files[i].data = files.files[i].data;
        prog->files[i].len = files.files[i].len;
        files.files[i].name = NULL;
        files.files[i].data = NULL;
    }
    prog->nfiles = files.nfiles;
    job_request_free(&files);
    snprintf(field, sizeof field, "%s.args", key);
    if (get_args(json_object_get(obj, "args"), field, c, &prog->args, err) < 0)
        return -1;
    char limits_key[40];
    snprintf(limits_key, sizeof limits_key, "%s_limits", key);
    const limit_policy *policy = strcmp(key, "checker") == 0 ? &c->checker : &c->interactor;
    if (parse_limits(root, limits_key, policy, &prog->lang->min_limits, NULL, prog->lang->id,
                     &prog->limits, err) < 0 ||
        parse_limits(obj, "compile_limits", &c->compile, NULL, &prog->lang->compile_limits,
                     prog->lang->id, &prog->compile_limits, err) < 0)
        return -1;
    prog->present = true;
    program_hash(prog);
    return 0;
}

static int parse_checker(json_t *root, job_request *job, api_error *err)
{
    job->checker.type = CHECKER_LINES;
    job->checker.abs_tolerance = CHECKER_DEFAULT_TOLERANCE;
    job->checker.rel_tolerance = CHECKER_DEFAULT_TOLERANCE;
    json_t *ch = json_object_get(root, "checker");
    if (!ch || json_is_null(ch))
        return 0;
    if (json_is_string(ch)) {
        /* Shorthand: "checker": "tokens". */
        if (checker_type_from_name(json_string_value(ch), &job->checker.type) < 0) {
            api_error_set(err, 422, "invalid_value", "checker",
                          "unknown checker \"%s\" (exact, lines, tokens, float)",
                          json_string_value(ch));
            return -1;
        }
        return 0;
    }
    if (!json_is_object(ch))
        return wrong_type(err, "checker", "an object", ch);
    json_t *ctype = json_object_get(ch, "type");
    if (json_is_string(ctype) && strcmp(json_string_value(ctype), "program") == 0)
        return 1;                /* parsed by parse_program, which knows the languages */
    static const char *const known[] = {"type", "abs", "rel", NULL};
    if (check_keys(ch, known, "checker.", err) < 0)
        return -1;
    json_t *type = json_object_get(ch, "type");
    if (type) {
        if (!json_is_string(type))
            return wrong_type(err, "checker.type", "a string", type);
        if (checker_type_from_name(json_string_value(type), &job->checker.type) < 0) {
            api_error_set(err, 422, "invalid_value", "checker.type",
                          "unknown checker \"%s\" (exact, lines, tokens, float, program)",
                          json_string_value(type));
            return -1;
        }
    }
    json_t *abs_v = json_object_get(ch, "abs"), *rel_v = json_object_get(ch, "rel");
    if ((abs_v || rel_v) && job->checker.type != CHECKER_FLOAT) {
        api_error_set(err, 422, "invalid_value", abs_v ? "checker.abs" : "checker.rel",
                      "tolerances apply only to the float checker");
        return -1;
    }
    if (abs_v || rel_v) {
        /* Only the tolerances given count. */
        job->checker.abs_tolerance = 0;
        job->checker.rel_tolerance = 0;
    }
    const char *names[] = {"checker.abs", "checker.rel"};
    json_t *vals[] = {abs_v, rel_v};
    double *dst[] = {&job->checker.abs_tolerance, &job->checker.rel_tolerance};
    for (int i = 0; i < 2; i++) {
        if (!vals[i])
            continue;
        if (!json_is_number(vals[i]))
            return wrong_type(err, names[i], "a number", vals[i]);
        double d = json_number_value(vals[i]);
        if (!isfinite(d) || d < 0 || d > 1e9) {
            api_error_set(err, 422, "out_of_range", names[i], "%s must be from 0 to 1e9", names[i]);
            return -1;
        }
        *dst[i] = d;
    }
    return 0;
}

static int parse_limits(json_t *root, const char *key, const limit_policy *policy,
                        const sandbox_limits *lang_min, const sandbox_limits *lang_default,
                        const char *lang_id, sandbox_limits *out, api_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *given = json_object_get(root, key);
    if (given && !json_is_object(given))
        return wrong_type(err, key, "an object", given);
    if (given) {
        const char *k;
        json_t *v;
        json_object_foreach(given, k, v) {
            if (!limit_field_find(k)) {
                char field[128], names[256] = "";
                snprintf(field, sizeof field, "%s.%s", key, k);
                for (size_t i = 0; i < limit_field_count; i++)
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                             i ? ", " : "", limit_fields[i].name);
                api_error_set(err, 422, "unknown_field", field, "unknown limit %s (%s)", field,
                              names);
                return -1;
            }
        }
    }
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        char field[128];
        snprintf(field, sizeof field, "%s.%s", key, f->name);
        uint64_t lo = limit_get(&policy->min, f), hi = limit_get(&policy->max, f);
        uint64_t lmin = lang_min ? limit_get(lang_min, f) : 0;
        uint64_t def = lang_default && limit_get(lang_default, f) ? limit_get(lang_default, f)
                                                                   : limit_get(&policy->defaults, f);
        if (lmin > lo)
            lo = lmin;
        if (def < lo)
            def = lo;
        if (def > hi)
            def = hi;
        json_t *v = given ? json_object_get(given, f->name) : NULL;
        uint64_t value = def;
        if (v) {
            if (!json_is_integer(v))
                return wrong_type(err, field, "an integer", v);
            json_int_t x = json_integer_value(v);
            if (x < 0 || (uint64_t)x < lo) {
                api_error_set(err, 422, "out_of_range", field,
                              "%s is %lld, below the minimum %llu%s%s", field, (long long)x,
                              (unsigned long long)lo, lmin >= lo && lmin ? " for " : "",
                              lmin >= lo && lmin ? lang_id : "");
                return -1;
            }
            if ((uint64_t)x > hi) {
                api_error_set(err, 422, "out_of_range", field, "%s is %lld, above the maximum %llu",
                              field, (long long)x, (unsigned long long)hi);
                return -1;
            }
            value = (uint64_t)x;
        }
        *limit_ref(out, f) = value;
    }
    return 0;
}

/* "compile_options": ["-O3", "-DLOCAL"]: each flag must match the
 * language's allowlist (langs.c); the flags go into the compiler's argv as
 * they are, never through a shell. */
static int parse_compile_options(json_t *root, job_request *job, api_error *err)
{
    json_t *v = json_object_get(root, "compile_options");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return wrong_type(err, "compile_options", "an array of strings", v);
    size_t n = json_array_size(v);
    if (n == 0)
        return 0;
    if (n > 32) {
        api_error_set(err, 422, "out_of_range", "compile_options",
                      "compile_options has %zu flags, at most 32", n);
        return -1;
    }
    job->compile_options = calloc(n + 1, sizeof *job->compile_options);
    if (!job->compile_options)
        return out_of_memory(err);
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(v, i);
        char field[48];
        snprintf(field, sizeof field, "compile_options[%zu]", i);
        if (!json_is_string(f))
            return wrong_type(err, field, "a string", f);
        const char *flag = json_string_value(f);
        size_t len = json_string_length(f);
        char shown[80];
        snprintf(shown, sizeof shown, "%s", flag);
        if (!job->lang->compile_argv || job->lang->noptions == 0) {
            api_error_set(err, 422, "invalid_value", field,
                          "language %s takes no compile options (\"%s\" given)", job->lang->id,
                          shown);
            return -1;
        }
        if (strlen(flag) != len || len > 200 || !utf8_valid(flag, len) ||
            !langs_option_allowed(job->lang, flag)) {
            api_error_set(err, 422, "invalid_value", field,
                          "compile option \"%s\" is not allowed for %s (GET /v1/languages lists "
                          "the allowed patterns)", shown, job->lang->id);
            return -1;
        }
        if (!(job->compile_options[i] = strdup(flag)))
            return out_of_memory(err);
    }
    return 0;
}

int api_program_limits(json_t *root, const char *key, const limit_policy *policy,
                       const server_config *c, judge_program *prog, api_error *err)
{
    json_t *none = json_object();
    if (!none)
        return out_of_memory(err);
    int rc = parse_limits(root, key, policy, &prog->lang->min_limits, NULL, prog->lang->id,
                          &prog->limits, err) < 0 ||
             parse_limits(none, "compile_limits", &c->compile, NULL, &prog->lang->compile_limits,
                          prog->lang->id, &prog->compile_limits, err) < 0 ? -1 : 0;
    json_decref(none);
    return rc;
}

/* Files out (server/live/outputs.c): "outputs", "max_output_files_bytes". */
static int parse_outputs(json_t *root, job_request *job, api_error *err)
{
    output_request request;
    char field[64], message[256];
    if (outputs_parse(root, &request, field, sizeof field, message, sizeof message) < 0) {
        api_error_set(err, 422, "invalid_value", field, "%s", message);
        return -1;
    }
    if (!request.npatterns)
        return 0;
    job->outputs = malloc(sizeof *job->outputs);
    if (!job->outputs) {
        output_request_free(&request);
        return out_of_memory(err);
    }
    *job->outputs = request;
    return 0;
}

int api_parse_run(const char *body, size_t len, const server_config *c,
                  const language_table *langs, job_request *job, api_error *err)
{
    return api_parse_run_local(body, len, c, langs, NULL, job, err);
}

int api_parse_run_local(const char *body, size_t len, const server_config *c,
                        const language_table *langs, const problem_meta *local, job_request *job,
                        api_error *err)
{
    memset(job, 0, sizeof *job);
    if (api_json_too_deep(body, len, c->max_json_depth)) {
        api_error_set(err, 400, "bad_json", NULL, "JSON nested deeper than %u levels",
                      c->max_json_depth);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        api_error_set(err, 400, "bad_json", NULL, "malformed JSON at line %d column %d: %s",
                      jerr.line, jerr.column, jerr.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root)) {
        wrong_type(err, "body", "an object", root);
        goto out;
    }
    static const char *const known[] = {"language", "source", "files", "stdin", "stdin_b64",
                                        "args", "expected_output", "expected_output_b64", "tests",
                                        "checker", "limits", "compile_limits", "compile_options",
                                        "checker_limits", "interactor", "interactor_limits",
                                        "stop_on_first_failure", "problem", "outputs",
                                        "max_output_files_bytes", "network", NULL};
    if (check_keys(root, known, "", err) < 0)
        goto out;
    json_t *lang = json_object_get(root, "language");
    if (!lang) {
        api_error_set(err, 422, "missing_field", "language", "language is required");
        goto out;
    }
    if (!json_is_string(lang)) {
        wrong_type(err, "language", "a string", lang);
        goto out;
    }
    job->lang = langs_find(langs, json_string_value(lang));
    if (!job->lang || strlen(json_string_value(lang)) != json_string_length(lang)) {
        job->lang = NULL;
        char shown[80];
        snprintf(shown, sizeof shown, "%s", json_string_value(lang));
        api_error_set(err, 422, "unknown_language", "language",
                      "unknown language \"%s\" (GET /v1/languages lists them)", shown);
        goto out;
    }
    json_t *problem = json_object_get(root, "problem");
    if (local && problem) {
        api_error_set(err, 422, "conflict", "problem", "the problem is given already");
        goto out;
    }
    sandbox_limits problem_defaults = {0};
    if (parse_files(root, job->lang, c, job, err) < 0)
        goto out;
    if (problem || local) {
        if (api_problem_job(root, problem, local, c, langs, job, &problem_defaults, err) < 0)
            goto out;
    } else {
        int prc = parse_tests(root, c, job, err) < 0 ? -1 : parse_checker(root, job, err);
        if (prc < 0)
            goto out;
        if (prc == 1 && api_parse_program(root, json_object_get(root, "checker"), "checker", c, langs,
                                      &job->checker_prog, err) < 0)
            goto out;
        json_t *inter = json_object_get(root, "interactor");
        if (inter && !json_is_null(inter)) {
            if (!json_is_object(inter)) {
                wrong_type(err, "interactor", "an object", inter);
                goto out;
            }
            if (job->checker_prog.present) {
                api_error_set(err, 422, "conflict", "interactor",
                              "give checker or interactor, not both: the interactor decides");
                goto out;
            }
            if (api_parse_program(root, inter, "interactor", c, langs, &job->interactor, err) < 0)
                goto out;
        }
        static const char *const needs[][2] = {{"checker_limits", "a checker program"},
                                               {"interactor_limits", "an interactor"}};
        const bool has[] = {job->checker_prog.present, job->interactor.present};
        for (size_t i = 0; i < 2; i++) {
            if (json_object_get(root, needs[i][0]) && !has[i]) {
                api_error_set(err, 422, "conflict", needs[i][0], "%s applies only with %s",
                              needs[i][0], needs[i][1]);
                goto out;
            }
        }
    }
    json_t *stop = json_object_get(root, "stop_on_first_failure");
    job->stop_on_first_failure = problem != NULL || local != NULL;
    if (stop) {
        if (!json_is_boolean(stop)) {
            wrong_type(err, "stop_on_first_failure", "a boolean", stop);
            goto out;
        }
        job->stop_on_first_failure = json_is_true(stop);
    }
    job->programs_dir = c->programs_dir;
    if (parse_limits(root, "limits", &c->run, &job->lang->min_limits,
                     problem || local ? &problem_defaults : NULL, job->lang->id, &job->limits,
                     err) < 0 ||
        parse_limits(root, "compile_limits", &c->compile, NULL, &job->lang->compile_limits,
                     job->lang->id, &job->compile_limits, err) < 0 ||
        parse_compile_options(root, job, err) < 0)
        goto out;
    if (parse_outputs(root, job, err) < 0)
        goto out;
    int net_status;
    char net_message[400];
    if (network_request_parse(&c->network, json_object_get(root, "network"), &job->network, &net_status,
                              net_message, sizeof net_message) < 0) {
        api_error_set(err, net_status, net_status == 403 ? "forbidden" : "invalid_value", "network", "%s",
                      net_message);
        goto out;
    }
    /* Every run's output is held until the response: bound the total. */
    uint64_t total = (uint64_t)job->ntests * job->limits.output_bytes;
    if (total > c->max_request_output_bytes) {
        api_error_set(err, 422, "out_of_range", "limits.output_bytes",
                      "%zu tests x limits.output_bytes %llu exceeds the per-request output budget "
                      "of %llu bytes; lower limits.output_bytes",
                      job->ntests, (unsigned long long)job->limits.output_bytes,
                      (unsigned long long)c->max_request_output_bytes);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc)
        job_request_free(job);
    return rc;
}

/* ---- serializing ---- */

/* A streamed response: the JSON text with a placeholder string where each
 * output goes, and the outputs, encoded only as the client reads them. */
typedef struct stream_piece {
    const char *data;
    size_t len;
    bool base64;                  /* else JSON string text */
    uint64_t size;                /* encoded */
} stream_piece;

struct api_stream {
    char token[40];               /* "@jb<random>-": placeholders are token<n>@ */
    stream_piece *pieces;
    size_t npieces, cap;
    char *text;                   /* the dumped body, placeholders in it */
    struct { size_t off, len; } *texts; /* text before piece i; [npieces]: the tail */
    uint64_t size, pos;
    size_t part, in;              /* cursor: part 2i is texts[i], 2i+1 is pieces[i] */
    char carry[8];                /* a unit that did not fit the last buffer */
    size_t carry_len, carry_off;
    job_result result;            /* owned: the pieces point into its outputs */
};

/* Where outputs go while a response is built: the bytes left in the
 * request's output budget, and the stream taking placeholders (NULL: the
 * outputs become JSON strings in the tree). */
typedef struct out_ctx {
    uint64_t left;
    api_stream *stream;
} out_ctx;

/* A placeholder string for `data` in the stream; NULL when out of memory. */
static json_t *placeholder(api_stream *st, const char *data, size_t len, bool base64, uint64_t size)
{
    if (st->npieces == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        stream_piece *p = realloc(st->pieces, cap * sizeof *p);
        if (!p)
            return NULL;
        st->pieces = p;
        st->cap = cap;
    }
    char text[64];
    snprintf(text, sizeof text, "%s%zu@", st->token, st->npieces);
    st->pieces[st->npieces++] = (stream_piece){data, len, base64, size};
    return json_string(text);
}

/* key, key_b64 (when not UTF-8) and key_truncated.  The encoded output
 * (escaping and base64 included) takes from ctx->left; what does not fit
 * is cut at a character boundary and flagged as truncated. */
static void set_output(json_t *obj, const char *key, const char *data, size_t len, bool truncated,
                       out_ctx *ctx)
{
    char b64key[32], tkey[32];
    snprintf(b64key, sizeof b64key, "%s_b64", key);
    snprintf(tkey, sizeof tkey, "%s_truncated", key);
    if (!data)
        data = "", len = 0;
    /* Output can be megabytes: scan it once to validate, once to size. */
    bool valid = utf8_valid(data, len);
    uint64_t size;
    size_t take = json_escaped_prefix(data, len, ctx->left, !valid, &size);
    ctx->left -= size;
    if (take < len)
        truncated = true;
    if (ctx->stream) {
        uint64_t b64 = valid ? 0 : base64_size(take);
        json_object_set_new(obj, key, placeholder(ctx->stream, data, take, false, size - b64));
        if (!valid)
            json_object_set_new(obj, b64key, placeholder(ctx->stream, data, take, true, b64));
    } else {
        json_object_set_new(obj, key, string_from_bytes(data, take, valid));
        if (!valid) {
            size_t n;
            char *b64 = base64_encode(data, take, &n);
            if (b64)
                json_object_set_new(obj, b64key, json_stringn_nocheck(b64, n));
            free(b64);
        }
    }
    json_object_set_new(obj, tkey, json_boolean(truncated));
}

json_t *api_signal_json(int sig)
{
    if (sig <= 0)
        return json_null();
    const char *abbrev = sigabbrev_np(sig);
    if (!abbrev)
        return json_integer(sig);
    char name[32];
    snprintf(name, sizeof name, "SIG%s", abbrev);
    return json_string(name);
}

static void set_common(json_t *o, const sandbox_result *r, bool with_syscall, out_ctx *ctx)
{
    json_object_set_new(o, "exit_code", r->signal > 0 || r->exit_code < 0
                                            ? json_null() : json_integer(r->exit_code));
    json_object_set_new(o, "signal", api_signal_json(r->signal));
    if (with_syscall)
        json_object_set_new(o, "syscall", r->syscall[0] ? json_string(r->syscall) : json_null());
    set_output(o, "stdout", r->stdout_data, r->stdout_len, r->stdout_truncated, ctx);
    set_output(o, "stderr", r->stderr_data, r->stderr_len, r->stderr_truncated, ctx);
    json_object_set_new(o, "cpu_ms", json_integer((json_int_t)r->cpu_ms));
    json_object_set_new(o, "wall_ms", json_integer((json_int_t)r->wall_ms));
    json_object_set_new(o, "memory_kb", json_integer((json_int_t)r->memory_kb));
    if (r->network_bytes)
        json_object_set_new(o, "network_bytes", json_integer((json_int_t)r->network_bytes));
    if (r->message[0])
        json_object_set_new(o, "message", safe_string(r->message, strnlen(r->message, sizeof r->message)));
}

uint64_t api_output_budget(const job_request *job)
{
    /* What the request could capture raw: two streams per test, and two
     * for the compile. */
    return 2 * ((uint64_t)job->ntests * job->limits.output_bytes + job->compile_limits.output_bytes);
}

static json_t *run_response(const char *id, const job_request *job, const job_result *res,
                            out_ctx *ctx)
{
    json_t *body = json_object();
    json_object_set_new(body, "id", json_string(id));
    json_t *lang = json_object();
    json_object_set_new(lang, "id", json_string(job->lang->id));
    json_object_set_new(lang, "name", json_string(job->lang->name));
    json_object_set_new(lang, "version", json_string(job->lang->version));
    json_object_set_new(body, "language", lang);
    if (res->has_compile && res->compile.ran) {
        json_t *c = json_object();
        json_object_set_new(c, "status", json_string(res->compile_status ? res->compile_status : "ok"));
        set_common(c, &res->compile.result, false, ctx);
        json_object_set_new(body, "compile", c);
    } else {
        json_object_set_new(body, "compile", json_null());
    }
    json_object_set_new(body, "verdict", json_string(res->verdict ? res->verdict : "internal_error"));
    if (res->judge_error[0])
        json_object_set_new(body, "judge_error",
                            safe_string(res->judge_error, strlen(res->judge_error)));
    if (job->problem_id)
        json_object_set_new(body, "problem", json_string(job->problem_id));
    if (res->scored) {
        json_object_set_new(body, "score", json_real(res->score));
        json_object_set_new(body, "max_score", json_real(res->max_score));
    }
    json_t *runs = json_array();
    for (size_t i = 0; i < res->nruns; i++) {
        const step_result *s = &res->runs[i];
        if (s->skipped) {
            json_t *r = json_object();
            json_object_set_new(r, "id", json_string(job->tests[i].id));
            json_object_set_new(r, "status", json_string("skipped"));
            json_object_set_new(r, "verdict", json_string("skipped"));
            json_array_append_new(runs, r);
            continue;
        }
        if (!s->ran)
            continue;
        json_t *r = json_object();
        json_object_set_new(r, "id", json_string(job->tests[i].id));
        json_object_set_new(r, "status", json_string(sandbox_status_name(s->result.status)));
        if (s->verdict)
            json_object_set_new(r, "verdict", json_string(s->verdict));
        if (s->checker_message[0])
            json_object_set_new(r, "checker_message",
                                safe_string(s->checker_message, strlen(s->checker_message)));
        if (s->has_score)
            json_object_set_new(r, "score", json_real(s->score));
        set_common(r, &s->result, true, ctx);
        if (s->has_checker_run) {
            /* The judge program's own run, without its output (its
             * message is checker_message). */
            const sandbox_result *c = &s->checker;
            json_t *o = json_object();
            json_object_set_new(o, "status", json_string(sandbox_status_name(c->status)));
            json_object_set_new(o, "exit_code", c->signal > 0 || c->exit_code < 0
                                                    ? json_null() : json_integer(c->exit_code));
            json_object_set_new(o, "signal", api_signal_json(c->signal));
            json_object_set_new(o, "cpu_ms", json_integer((json_int_t)c->cpu_ms));
            json_object_set_new(o, "wall_ms", json_integer((json_int_t)c->wall_ms));
            json_object_set_new(o, "memory_kb", json_integer((json_int_t)c->memory_kb));
            json_object_set_new(r, job->interactor.present ? "interactor" : "checker", o);
        }
        if (job->outputs)
            outputs_to_json(&s->files, r);
        char run_id[SANDBOX_RUN_ID_MAX];
        judge_run_id(job, i, run_id, sizeof run_id);
        if (run_id[0])
            json_object_set_new(r, "run_id", json_string(run_id));
        json_array_append_new(runs, r);
    }
    json_object_set_new(body, "runs", runs);
    return body;
}

json_t *api_run_response(const char *id, const job_request *job, const job_result *res)
{
    out_ctx ctx = {api_output_budget(job), NULL};
    return run_response(id, job, res, &ctx);
}

void api_stream_free(void *cls)
{
    api_stream *st = cls;
    if (!st)
        return;
    free(st->pieces);
    free(st->texts);
    free(st->text);
    job_result_free(&st->result);
    free(st);
}

api_stream *api_run_stream(const char *id, const job_request *job, job_result *res, uint64_t *size)
{
    api_stream *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->result = *res;            /* moved: the caller's copy is emptied */
    memset(res, 0, sizeof *res);
    unsigned char raw[8];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        api_stream_free(st);
        return NULL;
    }
    int n = snprintf(st->token, sizeof st->token, "@jb");
    for (int i = 0; i < 8; i++)
        n += snprintf(st->token + n, sizeof st->token - (size_t)n, "%02x", raw[i]);
    snprintf(st->token + n, sizeof st->token - (size_t)n, "-");
    out_ctx ctx = {api_output_budget(job), st};
    json_t *body = run_response(id, job, &st->result, &ctx);
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    st->texts = calloc(st->npieces + 1, sizeof *st->texts);
    if (!text || !st->texts) {
        free(text);
        api_stream_free(st);
        return NULL;
    }
    /* Split the text at the placeholders (in order: the tree keeps it). */
    size_t tlen = strlen(text), at = 0, tok = strlen(st->token);
    st->size = 0;
    for (size_t i = 0; i < st->npieces; i++) {
        char ph[64];
        int plen = snprintf(ph, sizeof ph, "%s%zu@", st->token, i);
        char *hit = memmem(text + at, tlen - at, ph, (size_t)plen);
        if (!hit || (size_t)plen <= tok) {
            free(text);
            api_stream_free(st);
            errno = EPROTO;
            return NULL;
        }
        st->texts[i].off = at;
        st->texts[i].len = (size_t)(hit - text) - at;
        st->size += st->texts[i].len + st->pieces[i].size;
        at = (size_t)(hit - text) + (size_t)plen;
    }
    /* The tail, with the newline every JSON response ends with. */
    text[tlen] = '\n';
    st->texts[st->npieces].off = at;
    st->texts[st->npieces].len = tlen + 1 - at;
    st->size += tlen + 1 - at;
    st->text = text;
    *size = st->size;
    return st;
}

ssize_t api_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    api_stream *st = cls;
    if (pos != st->pos)
        return -1;                /* libmicrohttpd reads in order */
    size_t o = 0;
    while (o < max) {
        if (st->carry_off < st->carry_len) {
            size_t k = st->carry_len - st->carry_off;
            if (k > max - o)
                k = max - o;
            memcpy(buf + o, st->carry + st->carry_off, k);
            st->carry_off += k;
            o += k;
            continue;
        }
        if (st->part > 2 * st->npieces)
            break;                /* the end */
        if (st->part % 2 == 0) {
            const char *t = st->text + st->texts[st->part / 2].off;
            size_t left = st->texts[st->part / 2].len - st->in;
            size_t k = left < max - o ? left : max - o;
            memcpy(buf + o, t + st->in, k);
            o += k;
            st->in += k;
            if (st->in == st->texts[st->part / 2].len) {
                st->part++;
                st->in = 0;
            }
            continue;
        }
        const stream_piece *p = &st->pieces[st->part / 2];
        if (st->in >= p->len) {
            st->part++;
            st->in = 0;
            continue;
        }
        size_t k = p->base64 ? base64_encode_some(p->data, p->len, &st->in, buf + o, max - o)
                             : json_escape_some(p->data, p->len, &st->in, buf + o, max - o);
        if (k == 0) {
            /* The next unit is larger than the room left: encode it aside. */
            st->carry_off = 0;
            st->carry_len = p->base64
                                ? base64_encode_some(p->data, p->len, &st->in, st->carry, sizeof st->carry)
                                : json_escape_some(p->data, p->len, &st->in, st->carry, sizeof st->carry);
            if (st->carry_len == 0)
                return -1;        /* cannot happen: a unit is at most 6 bytes */
        }
        o += k;
    }
    st->pos += o;
    return (ssize_t)o;
}

json_t *api_languages_body(const language_table *langs)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < langs->count; i++) {
        const language *l = &langs->items[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(l->id));
        json_object_set_new(o, "name", json_string(l->name));
        json_object_set_new(o, "version", json_string(l->version));
        json_object_set_new(o, "compiled", json_boolean(l->compile_argv != NULL));
        json_object_set_new(o, "source_file", json_string(l->source_file));
        /* Other names the API accepts, the image it runs in, whether a
         * syntax check stands in for a compile, the compile_options
         * allowlist (whole-flag POSIX extended regexes). */
        json_t *aliases = json_array(), *options = json_array();
        for (char **a = l->aliases; a && *a; a++)
            json_array_append_new(aliases, json_string(*a));
        for (size_t k = 0; k < l->noptions; k++)
            json_array_append_new(options, json_string(l->option_patterns[k]));
        json_object_set_new(o, "aliases", aliases);
        json_object_set_new(o, "image", json_string(l->image));
        json_object_set_new(o, "syntax_check", json_boolean(l->check_argv != NULL));
        json_object_set_new(o, "compile_options", options);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *policy_json(const limit_policy *p)
{
    json_t *o = json_object();
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        json_t *e = json_object();
        json_object_set_new(e, "default", json_integer((json_int_t)limit_get(&p->defaults, f)));
        json_object_set_new(e, "min", json_integer((json_int_t)limit_get(&p->min, f)));
        json_object_set_new(e, "max", json_integer((json_int_t)limit_get(&p->max, f)));
        json_object_set_new(o, f->name, e);
    }
    return o;
}

static json_t *nonzero_limits(const sandbox_limits *l)
{
    json_t *o = json_object();
    for (size_t i = 0; i < limit_field_count; i++)
        if (limit_get(l, &limit_fields[i]))
            json_object_set_new(o, limit_fields[i].name,
                                json_integer((json_int_t)limit_get(l, &limit_fields[i])));
    return o;
}

json_t *api_limits_body(const server_config *c, const language_table *langs)
{
    json_t *body = json_object();
    json_object_set_new(body, "limits", policy_json(&c->run));
    json_object_set_new(body, "compile_limits", policy_json(&c->compile));
    json_object_set_new(body, "checker_limits", policy_json(&c->checker));
    json_object_set_new(body, "interactor_limits", policy_json(&c->interactor));
    json_t *pr = json_object();
    json_object_set_new(pr, "max_problem_bytes", json_integer((json_int_t)c->max_problem_bytes));
    json_object_set_new(pr, "max_problem_files", json_integer((json_int_t)c->max_problem_files));
    json_object_set_new(pr, "max_problem_unpacked_bytes",
                        json_integer((json_int_t)c->max_problem_unpacked_bytes));
    json_object_set_new(pr, "time_multiplier", json_real(c->time_multiplier));
    json_object_set_new(pr, "interactive_slots", json_integer(c->interactive_slots));
    json_object_set_new(body, "problems", pr);
    json_t *req = json_object();
    json_object_set_new(req, "max_body_bytes", json_integer((json_int_t)c->max_body_bytes));
    json_object_set_new(req, "max_json_depth", json_integer(c->max_json_depth));
    json_object_set_new(req, "max_tests", json_integer(c->max_tests));
    json_object_set_new(req, "max_files", json_integer(c->max_files));
    json_object_set_new(req, "max_args", json_integer(c->max_args));
    json_object_set_new(req, "max_arg_bytes", json_integer((json_int_t)c->max_arg_bytes));
    json_object_set_new(req, "max_request_output_bytes",
                        json_integer((json_int_t)c->max_request_output_bytes));
    json_object_set_new(body, "request", req);
    /* Languages that raise a run minimum or set their own compile limits. */
    json_t *per = json_object();
    for (size_t i = 0; langs && i < langs->count; i++) {
        const language *l = &langs->items[i];
        json_t *min = nonzero_limits(&l->min_limits), *comp = nonzero_limits(&l->compile_limits);
        if (json_object_size(min) == 0 && json_object_size(comp) == 0) {
            json_decref(min);
            json_decref(comp);
            continue;
        }
        json_t *e = json_object();
        json_object_set_new(e, "min", min);
        json_object_set_new(e, "compile_defaults", comp);
        json_object_set_new(per, l->id, e);
    }
    json_object_set_new(body, "languages", per);
    return body;
}
