/*
 * judge0_submission.c - a Judge0 submission from its JSON body to the job
 * judgebox runs.  Validation follows Judge0 1.13.1's model (Rails
 * validations, in their order, with their messages: "can't be blank", "is
 * not a number", "must be less than or equal to 15.0", "language with id 9
 * doesn't exist", ...) and Rails' lenient casting ("71" is 71, "2.5" is
 * 2.5, "true"/"1" are true), so clients see the same 422 bodies.
 * Deliberate differences, all in docs/compat.md: arrays and objects given
 * for a scalar are "is invalid" (Rails would drop them silently); base64
 * that does not decode, a zip that does not unpack and an unclosed quote
 * in compiler_options or command_line_arguments are 422 at once rather
 * than a failed run later; enable_network is refused (runs have no
 * network).  The stored form keeps every field after defaults, bytes in
 * base64, so the dispatcher and GET see what the client sent.
 */
#include "judge0.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "compat_zip.h"
#include "dispatch.h"
#include "text.h"

void judge0_submission_free(judge0_submission *s)
{
    free(s->source_code);
    free(s->stdin_data);
    free(s->expected_output);
    free(s->additional_files);
    free(s->compiler_options);
    free(s->command_line_arguments);
    free(s->callback_url);
    memset(s, 0, sizeof *s);
}

/* ---- Rails-like reading of one field ---- */

static int add_error(json_t *errors, const char *field, const char *message)
{
    json_t *list = json_object_get(errors, field);
    if (!list) {
        list = json_array();
        if (!list || json_object_set_new(errors, field, list) < 0)
            return -1;
    }
    return json_array_append_new(list, json_string(message));
}

/* Ruby's Float#to_s for the numbers in messages: 15.0, 2.5, 0.5. */
static void ruby_float(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.10g", v);
    if (!strpbrk(buf, ".eEn"))
        strncat(buf, ".0", size - strlen(buf) - 1);
}

/* A string field.  Strings as they are; numbers and booleans as their
 * text (Rails casts them); null or absent: *present false.  Arrays and
 * objects: "is invalid".  Returns 0, or -1 when out of memory. */
static int read_text(json_t *body, const char *key, char **out, size_t *len, bool *present,
                     json_t *errors)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    *len = 0;
    *present = false;
    if (!v || json_is_null(v))
        return 0;
    char buf[64];
    const char *text = NULL;
    size_t n = 0;
    if (json_is_string(v)) {
        text = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        text = buf;
        n = strlen(buf);
    } else if (json_is_real(v)) {
        ruby_float(buf, sizeof buf, json_real_value(v));
        text = buf;
        n = strlen(buf);
    } else if (json_is_boolean(v)) {
        text = json_is_true(v) ? "true" : "false";
        n = strlen(text);
    } else {
        return add_error(errors, key, "is invalid") < 0 ? -1 : 0;
    }
    *out = malloc(n + 1);
    if (!*out)
        return -1;
    memcpy(*out, text, n);
    (*out)[n] = '\0';
    *len = n;
    *present = true;
    return 0;
}

/* Rails' blank?: nil, or only whitespace. */
static bool blank(const unsigned char *s, size_t len, bool present)
{
    if (!present)
        return true;
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\n\v\f\r", s[i]) || s[i] == '\0')
            return false;
    return true;
}

/* A byte field, base64-decoded when `base64` (Ruby's decode64 with line
 * breaks is accepted; anything else that is not base64 is an error). */
static int read_bytes(json_t *body, const char *key, bool base64, unsigned char **out, size_t *len,
                      bool *present, json_t *errors)
{
    char *text;
    if (read_text(body, key, &text, len, present, errors) < 0)
        return -1;
    *out = (unsigned char *)text;
    if (!*present || !base64)
        return 0;
    unsigned char *decoded;
    size_t n;
    if (base64_decode(text, *len, &decoded, &n) < 0) {
        free(text);
        *out = NULL;
        *len = 0;
        *present = false;
        if (errno == ENOMEM)
            return -1;
        return add_error(errors, key, "is not valid base64") < 0 ? -1 : 0;
    }
    free(text);
    *out = decoded;
    *len = n;
    return 0;
}

typedef enum { NUM_ABSENT, NUM_OK, NUM_NAN } num_state;

/* A numeric field as Rails' numericality sees it: JSON numbers, and
 * strings that are whole numbers ("2", " 2.5 ", "1e3"). */
static num_state read_number(json_t *body, const char *key, double *out)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return NUM_ABSENT;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return NUM_OK;
    }
    if (!json_is_string(v))
        return NUM_NAN;
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return NUM_NAN;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (!*s)
        return NUM_ABSENT;        /* "" is nil for Rails */
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
    if (end == s || *end || errno || !isfinite(d) || strpbrk(s, "xXnNiI"))
        return NUM_NAN;
    *out = d;
    return NUM_OK;
}

typedef struct bound {
    double lo, hi;
    bool lo_strict;               /* greater_than rather than greater_than_or_equal_to */
    bool lo_float, hi_float;      /* the bound is a Ruby Float (printed 15.0) */
} bound;

static void print_bound(char *buf, size_t size, double v, bool is_float)
{
    if (is_float)
        ruby_float(buf, size, v);
    else
        snprintf(buf, size, "%lld", (long long)v);
}

/* Validate a numeric field and give its value, or `def` when absent. */
static int numeric(json_t *body, const char *key, double def, bound b, double *out, json_t *errors)
{
    double v = def;
    num_state st = read_number(body, key, &v);
    if (st == NUM_ABSENT)
        v = def;
    *out = v;
    if (st == NUM_NAN)
        return add_error(errors, key, "is not a number") < 0 ? -1 : 0;
    char msg[96], num[48];
    if (b.lo_strict ? !(v > b.lo) : !(v >= b.lo)) {
        print_bound(num, sizeof num, b.lo, b.lo_float);
        snprintf(msg, sizeof msg, "must be greater than %s%s", b.lo_strict ? "" : "or equal to ", num);
        if (add_error(errors, key, msg) < 0)
            return -1;
    }
    if (!(v <= b.hi)) {
        print_bound(num, sizeof num, b.hi, b.hi_float);
        snprintf(msg, sizeof msg, "must be less than or equal to %s", num);
        if (add_error(errors, key, msg) < 0)
            return -1;
    }
    return 0;
}

/* ActiveModel's boolean cast; arrays and objects are "is invalid". */
static int boolean(json_t *body, const char *key, bool def, bool *out, json_t *errors)
{
    json_t *v = json_object_get(body, key);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
    } else if (json_is_number(v)) {
        *out = json_number_value(v) != 0;
    } else if (json_is_string(v)) {
        static const char *const falses[] = {"0", "f", "F", "false", "FALSE", "off", "OFF", NULL};
        const char *s = json_string_value(v);
        if (!s[0])
            return 0;
        *out = true;
        for (size_t i = 0; falses[i]; i++)
            if (strcmp(s, falses[i]) == 0)
                *out = false;
    } else {
        return add_error(errors, key, "is invalid") < 0 ? -1 : 0;
    }
    return 0;
}

/* Ruby's String#to_i: leading blanks, a sign, digits; anything else 0. */
/* A language id as Judge0 would look it up: a number beyond an int's range
 * names no language (-1: "doesn't exist"), never another one by wrapping
 * around, and a huge float is not cast (undefined behaviour). */
static int language_id_from(double value)
{
    if (!(value >= 0 && value < (double)INT_MAX))
        return -1;
    return (int)value;
}

static long ruby_to_i(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    char *end;
    long v = strtol(s, &end, 10);
    return end == s ? 0 : v;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Whether the language file says where compile options go ({options}):
 * then they go there, each checked against the language's allowlist, as
 * the native API's compile_options; otherwise they are put before the
 * source file, as Judge0's compile_cmd "gcc %s main.c" does. */
static bool options_templated(const language *l)
{
    for (char *const *a = l->compile_argv; a && *a; a++)
        if (strcmp(*a, "{options}") == 0)
            return true;
    return false;
}

/* The first word of `words` the language does not allow, or NULL. */
static const char *option_refused(const language *l, char *const *words)
{
    if (!options_templated(l))
        return NULL;
    for (char *const *w = words; w && *w; w++)
        if (!langs_option_allowed(l, *w))
            return *w;
    return NULL;
}

/* ---- the submission ---- */

int judge0_submission_parse(json_t *body, bool base64_encoded, const language_table *langs,
                            judge0_submission *s, json_t **errors_out)
{
    const judge0_settings *cfg = judge0_settings_get();
    memset(s, 0, sizeof *s);
    *errors_out = NULL;
    json_t *e = json_object();
    if (!e)
        return -1;
    compat_uuid(s->token);
    s->created_ms = compat_now_ms();
    if (!json_is_object(body)) {
        /* Rails would see no parameters at all (a fresh token, nothing to free). */
        add_error(e, "source_code", "can't be blank");
        add_error(e, "language_id", "can't be blank");
        *errors_out = e;
        return 1;
    }
    size_t len;
    bool present;
    char *text = NULL;

    /* language_id first: what is required depends on the language. */
    bool has_language = false;
    json_t *lv = json_object_get(body, "language_id");
    if (lv && !json_is_null(lv)) {
        if (json_is_integer(lv)) {
            s->language_id = language_id_from((double)json_integer_value(lv));
            has_language = true;
        } else if (json_is_real(lv)) {
            s->language_id = language_id_from(json_real_value(lv));
            has_language = true;
        } else if (json_is_boolean(lv)) {
            s->language_id = json_is_true(lv) ? 1 : 0;
            has_language = true;
        } else if (json_is_string(lv) && json_string_value(lv)[0]) {
            s->language_id = language_id_from((double)ruby_to_i(json_string_value(lv)));
            has_language = true;
        } else if (!json_is_string(lv)) {
            if (add_error(e, "language_id", "is invalid") < 0)
                goto oom;
        }
    }
    bool found = has_language && judge0_language_find(langs, s->language_id, &s->lang);
    bool project = found && s->lang.project;
    s->interpreted = found && !project && !s->lang.lang->compile_argv;

    if (read_bytes(body, "source_code", base64_encoded, &s->source_code, &s->source_len,
                   &s->has_source, e) < 0 ||
        read_bytes(body, "stdin", base64_encoded, &s->stdin_data, &s->stdin_len, &s->has_stdin, e) < 0 ||
        read_bytes(body, "expected_output", base64_encoded, &s->expected_output, &s->expected_len,
                   &s->has_expected, e) < 0 ||
        read_bytes(body, "additional_files", true, &s->additional_files, &s->additional_len,
                   &s->has_additional, e) < 0)
        goto oom;
    if (read_text(body, "compiler_options", &s->compiler_options, &len, &present, e) < 0 ||
        read_text(body, "command_line_arguments", &s->command_line_arguments, &len, &present, e) < 0 ||
        read_text(body, "callback_url", &s->callback_url, &len, &present, e) < 0)
        goto oom;

    /* The model's validations, in its order. */
    bool source_blank = blank(s->source_code, s->source_len, s->has_source);
    if (!project && source_blank && !json_object_get(e, "source_code") &&
        add_error(e, "source_code", "can't be blank") < 0)
        goto oom;
    if (project && !source_blank && add_error(e, "source_code", "must be blank") < 0)
        goto oom;
    if (project && blank(s->additional_files, s->additional_len, s->has_additional) &&
        !json_object_get(e, "additional_files") &&
        add_error(e, "additional_files", "can't be blank") < 0)
        goto oom;
    if (!has_language && !json_object_get(e, "language_id") &&
        add_error(e, "language_id", "can't be blank") < 0)
        goto oom;

    double d;
    if (numeric(body, "number_of_runs", (double)cfg->number_of_runs,
                (bound){0, (double)cfg->max_number_of_runs, true, false, false}, &d, e) < 0)
        goto oom;
    s->number_of_runs = (long)d;
    if (numeric(body, "cpu_time_limit", cfg->cpu_time_limit,
                (bound){0, cfg->max_cpu_time_limit, false, false, true}, &s->cpu_time_limit, e) < 0 ||
        numeric(body, "cpu_extra_time", cfg->cpu_extra_time,
                (bound){0, cfg->max_cpu_extra_time, false, false, true}, &s->cpu_extra_time, e) < 0 ||
        numeric(body, "wall_time_limit", cfg->wall_time_limit,
                (bound){1, cfg->max_wall_time_limit, false, false, true}, &s->wall_time_limit, e) < 0)
        goto oom;
    if (numeric(body, "memory_limit", (double)cfg->memory_limit,
                (bound){2048, (double)cfg->max_memory_limit, false, false, false}, &d, e) < 0)
        goto oom;
    s->memory_limit = (long)d;
    if (numeric(body, "stack_limit", (double)cfg->stack_limit,
                (bound){0, (double)cfg->max_stack_limit, false, false, false}, &d, e) < 0)
        goto oom;
    s->stack_limit = (long)d;
    if (numeric(body, "max_processes_and_or_threads", (double)cfg->max_processes_and_or_threads,
                (bound){0, (double)cfg->max_max_processes_and_or_threads, true, false, false}, &d, e) < 0)
        goto oom;
    s->max_processes_and_or_threads = (long)d;
    if (boolean(body, "enable_per_process_and_thread_time_limit",
                cfg->enable_per_process_and_thread_time_limit, &s->per_process_time_limit, e) < 0 ||
        boolean(body, "enable_per_process_and_thread_memory_limit",
                cfg->enable_per_process_and_thread_memory_limit, &s->per_process_memory_limit, e) < 0)
        goto oom;
    if (s->per_process_time_limit && !cfg->allow_enable_per_process_and_thread_time_limit &&
        add_error(e, "enable_per_process_and_thread_time_limit", "this option cannot be enabled") < 0)
        goto oom;
    if (s->per_process_memory_limit && !cfg->allow_enable_per_process_and_thread_memory_limit &&
        add_error(e, "enable_per_process_and_thread_memory_limit", "this option cannot be enabled") < 0)
        goto oom;
    if (numeric(body, "max_file_size", (double)cfg->max_file_size,
                (bound){0, (double)cfg->max_max_file_size, false, false, false}, &d, e) < 0)
        goto oom;
    s->max_file_size = (long)d;
    if (s->compiler_options && utf8_chars(s->compiler_options) > 512 &&
        add_error(e, "compiler_options", "is too long (maximum is 512 characters)") < 0)
        goto oom;
    if (s->command_line_arguments && utf8_chars(s->command_line_arguments) > 512 &&
        add_error(e, "command_line_arguments", "is too long (maximum is 512 characters)") < 0)
        goto oom;
    if (boolean(body, "redirect_stderr_to_stdout", cfg->redirect_stderr_to_stdout,
                &s->redirect_stderr_to_stdout, e) < 0 ||
        boolean(body, "enable_network", cfg->enable_network, &s->enable_network, e) < 0)
        goto oom;

    /* The custom validations. */
    char msg[160];
    if (has_language && !found) {
        snprintf(msg, sizeof msg, "language with id %d doesn't exist", s->language_id);
        if (add_error(e, "language_id", msg) < 0)
            goto oom;
    }
    if (!blank((unsigned char *)s->compiler_options, s->compiler_options ? strlen(s->compiler_options) : 0,
               s->compiler_options != NULL)) {
        if (!cfg->enable_compiler_options) {
            if (add_error(e, "compiler_options", "setting compiler options is not allowed") < 0)
                goto oom;
        } else if (found && !s->lang.lang->compile_argv) {
            if (add_error(e, "compiler_options",
                          "setting compiler options is only allowed for compiled languages") < 0)
                goto oom;
        } else {
            char **words = NULL;
            if (compat_shell_split(s->compiler_options, &words) < 0) {
                if (errno == ENOMEM)
                    goto oom;
                if (add_error(e, "compiler_options", "has a quote that is not closed") < 0)
                    goto oom;
            } else if (found) {
                const char *bad = option_refused(s->lang.lang, words);
                if (bad) {
                    snprintf(msg, sizeof msg, "option %.80s is not allowed for this language", bad);
                    if (add_error(e, "compiler_options", msg) < 0) {
                        compat_argv_free(words);
                        goto oom;
                    }
                }
            }
            compat_argv_free(words);
        }
    }
    if (!blank((unsigned char *)s->command_line_arguments,
               s->command_line_arguments ? strlen(s->command_line_arguments) : 0,
               s->command_line_arguments != NULL)) {
        char **words = NULL;
        if (!cfg->enable_command_line_arguments) {
            if (add_error(e, "command_line_arguments", "setting command line arguments is not allowed") < 0)
                goto oom;
        } else if (compat_shell_split(s->command_line_arguments, &words) < 0) {
            if (errno == ENOMEM)
                goto oom;
            if (add_error(e, "command_line_arguments", "has a quote that is not closed") < 0)
                goto oom;
        }
        compat_argv_free(words);
    }
    if (s->callback_url && s->callback_url[0] && !cfg->enable_callbacks &&
        add_error(e, "callback_url", "setting callback is not allowed") < 0)
        goto oom;
    if (s->has_additional && s->additional_len > 0) {
        if (!cfg->enable_additional_files) {
            if (add_error(e, "additional_files", "setting additional files is not allowed") < 0)
                goto oom;
        } else {
            job_file *files = NULL;
            size_t n = 0;
            char why[320];
            if (compat_zip_extract(s->additional_files, s->additional_len,
                                   (uint64_t)cfg->max_extract_size * 1024, &files, &n, why,
                                   sizeof why) < 0) {
                if (errno == ENOMEM)
                    goto oom;
                if (add_error(e, "additional_files", why) < 0)
                    goto oom;
            }
            compat_files_free(files, n);
        }
    }
    if (s->enable_network && !cfg->allow_enable_network &&
        add_error(e, "enable_network", "enabling network is not allowed") < 0)
        goto oom;
    free(text);
    if (json_object_size(e) > 0) {
        judge0_submission_free(s);
        *errors_out = e;
        return 1;
    }
    json_decref(e);
    return 0;
oom:
    free(text);
    json_decref(e);
    judge0_submission_free(s);
    return -1;
}

/* ---- the stored form ---- */

static json_t *b64_or_null(const unsigned char *data, size_t len, bool present)
{
    if (!present)
        return json_null();
    size_t n;
    char *b = base64_encode(data, len, &n);
    if (!b)
        return NULL;
    json_t *v = json_stringn(b, n);
    free(b);
    return v;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *judge0_submission_store(const judge0_submission *s, size_t *len)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "token", json_string(s->token));
    json_object_set_new(o, "created_ms", json_integer(s->created_ms));
    json_object_set_new(o, "language_id", json_integer(s->language_id));
    json_object_set_new(o, "source_code", b64_or_null(s->source_code, s->source_len, s->has_source));
    json_object_set_new(o, "stdin", b64_or_null(s->stdin_data, s->stdin_len, s->has_stdin));
    json_object_set_new(o, "expected_output",
                        b64_or_null(s->expected_output, s->expected_len, s->has_expected));
    json_object_set_new(o, "additional_files",
                        b64_or_null(s->additional_files, s->additional_len, s->has_additional));
    json_object_set_new(o, "compiler_options", str_or_null(s->compiler_options));
    json_object_set_new(o, "command_line_arguments", str_or_null(s->command_line_arguments));
    json_object_set_new(o, "callback_url", str_or_null(s->callback_url));
    json_object_set_new(o, "cpu_time_limit", json_real(s->cpu_time_limit));
    json_object_set_new(o, "cpu_extra_time", json_real(s->cpu_extra_time));
    json_object_set_new(o, "wall_time_limit", json_real(s->wall_time_limit));
    json_object_set_new(o, "memory_limit", json_integer(s->memory_limit));
    json_object_set_new(o, "stack_limit", json_integer(s->stack_limit));
    json_object_set_new(o, "max_processes_and_or_threads", json_integer(s->max_processes_and_or_threads));
    json_object_set_new(o, "max_file_size", json_integer(s->max_file_size));
    json_object_set_new(o, "number_of_runs", json_integer(s->number_of_runs));
    json_object_set_new(o, "enable_per_process_and_thread_time_limit",
                        json_boolean(s->per_process_time_limit));
    json_object_set_new(o, "enable_per_process_and_thread_memory_limit",
                        json_boolean(s->per_process_memory_limit));
    json_object_set_new(o, "redirect_stderr_to_stdout", json_boolean(s->redirect_stderr_to_stdout));
    json_object_set_new(o, "enable_network", json_boolean(s->enable_network));
    json_object_set_new(o, "interpreted", json_boolean(s->interpreted));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text)
        *len = strlen(text);
    return text;
}

static int load_b64(json_t *o, const char *key, unsigned char **out, size_t *len, bool *present)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    *len = 0;
    *present = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) ||
        base64_decode(json_string_value(v), json_string_length(v), out, len) < 0)
        return -1;
    *present = true;
    return 0;
}

static char *load_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

int judge0_submission_load(const char *text, size_t len, const language_table *langs,
                           judge0_submission *s)
{
    memset(s, 0, sizeof *s);
    json_t *o = json_loadb(text, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    int rc = -1;
    json_t *token = json_object_get(o, "token");
    if (!json_is_string(token) || json_string_length(token) != 36)
        goto out;
    memcpy(s->token, json_string_value(token), 37);
    s->created_ms = json_integer_value(json_object_get(o, "created_ms"));
    s->language_id = (int)json_integer_value(json_object_get(o, "language_id"));
    if (langs && !judge0_language_find(langs, s->language_id, &s->lang))
        memset(&s->lang, 0, sizeof s->lang);
    if (load_b64(o, "source_code", &s->source_code, &s->source_len, &s->has_source) < 0 ||
        load_b64(o, "stdin", &s->stdin_data, &s->stdin_len, &s->has_stdin) < 0 ||
        load_b64(o, "expected_output", &s->expected_output, &s->expected_len, &s->has_expected) < 0 ||
        load_b64(o, "additional_files", &s->additional_files, &s->additional_len, &s->has_additional) < 0)
        goto out;
    s->compiler_options = load_str(o, "compiler_options");
    s->command_line_arguments = load_str(o, "command_line_arguments");
    s->callback_url = load_str(o, "callback_url");
    s->cpu_time_limit = json_number_value(json_object_get(o, "cpu_time_limit"));
    s->cpu_extra_time = json_number_value(json_object_get(o, "cpu_extra_time"));
    s->wall_time_limit = json_number_value(json_object_get(o, "wall_time_limit"));
    s->memory_limit = (long)json_integer_value(json_object_get(o, "memory_limit"));
    s->stack_limit = (long)json_integer_value(json_object_get(o, "stack_limit"));
    s->max_processes_and_or_threads =
        (long)json_integer_value(json_object_get(o, "max_processes_and_or_threads"));
    s->max_file_size = (long)json_integer_value(json_object_get(o, "max_file_size"));
    s->number_of_runs = (long)json_integer_value(json_object_get(o, "number_of_runs"));
    s->per_process_time_limit = json_is_true(json_object_get(o, "enable_per_process_and_thread_time_limit"));
    s->per_process_memory_limit =
        json_is_true(json_object_get(o, "enable_per_process_and_thread_memory_limit"));
    s->redirect_stderr_to_stdout = json_is_true(json_object_get(o, "redirect_stderr_to_stdout"));
    s->enable_network = json_is_true(json_object_get(o, "enable_network"));
    s->interpreted = json_is_true(json_object_get(o, "interpreted"));
    rc = 0;
out:
    json_decref(o);
    if (rc < 0)
        judge0_submission_free(s);
    return rc;
}

/* ---- the job ---- */

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int job_oom(api_error *err)
{
    api_error_set(err, 500, "internal", NULL, "out of memory building the job");
    return -1;
}

int judge0_build_job(const judge0_submission *s, const server_config *c, job_request *job,
                     api_error *err)
{
    memset(job, 0, sizeof *job);
    const judge0_settings *cfg = judge0_settings_get();
    const language *lang = s->lang.lang;
    if (!lang) {
        api_error_set(err, 422, "unknown_language", "language_id",
                      "language with id %d doesn't exist", s->language_id);
        return -1;
    }
    job->lang = lang;

    /* Files: the source under the language's name, then the zip's files
     * that do not clash with it (unzip -n never overwrites). */
    job_file *zipped = NULL;
    size_t nzipped = 0;
    if (s->has_additional && s->additional_len > 0) {
        char why[320];
        if (compat_zip_extract(s->additional_files, s->additional_len,
                               (uint64_t)cfg->max_extract_size * 1024, &zipped, &nzipped, why,
                               sizeof why) < 0) {
            if (errno == ENOMEM)
                return job_oom(err);
            api_error_set(err, 422, "invalid_value", "additional_files", "additional_files %s", why);
            return -1;
        }
    }
    bool project = s->lang.project;
    size_t nfiles = nzipped + (project ? 0 : 1);
    job->files = calloc(nfiles ? nfiles : 1, sizeof *job->files);
    if (!job->files) {
        compat_files_free(zipped, nzipped);
        return job_oom(err);
    }
    if (!project) {
        job_file *f = &job->files[job->nfiles++];
        f->name = strdup(lang->source_file);
        f->data = malloc(s->source_len + 1);
        if (!f->name || !f->data) {
            compat_files_free(zipped, nzipped);
            return job_oom(err);
        }
        memcpy(f->data, s->source_code, s->source_len);
        f->len = s->source_len;
    }
    for (size_t i = 0; i < nzipped; i++) {
        bool clash = false;
        for (size_t j = 0; j < job->nfiles; j++) {
            const char *a = job->files[j].name, *b = zipped[i].name;
            size_t la = strlen(a), lb = strlen(b);
            if (strcmp(a, b) == 0 || (la < lb && strncmp(a, b, la) == 0 && b[la] == '/') ||
                (lb < la && strncmp(a, b, lb) == 0 && a[lb] == '/'))
                clash = true;
        }
        if (clash) {
            free(zipped[i].name);
            free(zipped[i].data);
            continue;
        }
        job->files[job->nfiles++] = zipped[i];
    }
    free(zipped);

    /* Commands: compiler options before the source file; a project's own
     * compile and run scripts, through bash as Judge0 runs them. */
    if (project) {
        const char *compile = NULL, *run = "run";
        for (size_t i = 0; i < job->nfiles; i++) {
            const char *n = job->files[i].name;
            if (!compile && (strcmp(n, "compile") == 0 || strcmp(n, "compile.sh") == 0))
                compile = n;
            if (strcmp(n, "run.sh") == 0)
                run = n;
        }
        for (size_t i = 0; i < job->nfiles; i++)
            if (strcmp(job->files[i].name, "run") == 0)
                run = "run";
        char *bash_compile[] = {"/bin/bash", (char *)compile, NULL};
        char *bash_run[] = {"/bin/bash", (char *)run, NULL};
        if ((compile && !(job->compile_argv = compat_argv_insert(bash_compile, NULL, NULL))) ||
            !(job->run_argv = compat_argv_insert(bash_run, NULL, NULL)))
            return job_oom(err);
    } else if (s->compiler_options && lang->compile_argv) {
        char **words;
        if (compat_shell_split(s->compiler_options, &words) < 0) {
            if (errno == ENOMEM)
                return job_oom(err);
            api_error_set(err, 422, "invalid_value", "compiler_options",
                          "compiler_options has a quote that is not closed");
            return -1;
        }
        const char *bad = option_refused(lang, words);
        if (bad) {
            api_error_set(err, 422, "invalid_value", "compiler_options",
                          "option %.80s is not allowed for this language", bad);
            compat_argv_free(words);
            return -1;
        }
        if (options_templated(lang)) {
            job->compile_options = words;   /* the language file's {options} */
        } else {
            job->compile_argv = compat_argv_insert(lang->compile_argv, lang->source_file, words);
            compat_argv_free(words);
            if (!job->compile_argv)
                return job_oom(err);
        }
    }

    /* One test per run, all with the same stdin and arguments. */
    char **args = NULL;
    if (s->command_line_arguments) {
        if (compat_shell_split(s->command_line_arguments, &args) < 0) {
            if (errno == ENOMEM)
                return job_oom(err);
            api_error_set(err, 422, "invalid_value", "command_line_arguments",
                          "command_line_arguments has a quote that is not closed");
            return -1;
        }
    }
    size_t runs = s->number_of_runs > 0 ? (size_t)s->number_of_runs : 1;
    job->tests = calloc(runs, sizeof *job->tests);
    if (!job->tests) {
        compat_argv_free(args);
        return job_oom(err);
    }
    job->ntests = runs;
    for (size_t i = 0; i < runs; i++) {
        job_test *t = &job->tests[i];
        char id[24];
        snprintf(id, sizeof id, "%zu", i + 1);
        t->id = strdup(id);
        t->stdin_data = malloc(s->stdin_len + 1);
        t->args = compat_argv_insert(args, NULL, NULL);
        if (!t->args) {
            /* compat_argv_insert of an empty list: one NULL. */
            t->args = calloc(1, sizeof *t->args);
        }
        if (!t->id || !t->stdin_data || !t->args) {
            compat_argv_free(args);
            return job_oom(err);
        }
        if (s->has_stdin)
            memcpy(t->stdin_data, s->stdin_data, s->stdin_len);
        t->stdin_len = s->has_stdin ? s->stdin_len : 0;
    }
    compat_argv_free(args);
    job->checker.type = CHECKER_EXACT;     /* unused: no test expects output here */
    job->stderr_to_stdout = s->redirect_stderr_to_stdout;

    /* Limits in Judge0's units.  The program is stopped at
     * cpu_time_limit + cpu_extra_time, and the verdict map says TLE past
     * cpu_time_limit, as isolate does; 0 means no limit there, the
     * server's maximum here. */
    sandbox_limits *l = &job->limits;
    const limit_policy *run = &c->run;
    double cpu_s = s->cpu_time_limit > 0 ? s->cpu_time_limit + s->cpu_extra_time : 0;
    l->cpu_ms = cpu_s > 0 ? (uint64_t)llround(cpu_s * 1000) : run->max.cpu_ms;
    l->wall_ms = (uint64_t)llround(s->wall_time_limit * 1000);
    l->memory_kb = (uint64_t)s->memory_limit;
    if (lang->min_limits.memory_kb > l->memory_kb)
        l->memory_kb = lang->min_limits.memory_kb;
    l->pids = (uint64_t)s->max_processes_and_or_threads;
    if (lang->min_limits.pids > l->pids)
        l->pids = lang->min_limits.pids;
    l->output_bytes = s->max_file_size > 0 ? (uint64_t)s->max_file_size * 1024 : run->max.output_bytes;
    l->disk_kb = run->defaults.disk_kb;
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        *limit_ref(l, f) = clamp(limit_get(l, f), limit_get(&run->min, f), limit_get(&run->max, f));
    }
    l->file_size_kb = s->max_file_size > 0 ? (uint64_t)s->max_file_size : 0;
    l->stack_kb = s->stack_limit > 0 ? (uint64_t)s->stack_limit : UINT64_MAX;
    if (job->ntests * l->output_bytes > c->max_request_output_bytes)
        l->output_bytes = c->max_request_output_bytes / job->ntests;
    /* The compile gets the language's compile limits, as the native API
     * gives them (Judge0 compiles with its maximum limits). */
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        uint64_t v = limit_get(&lang->compile_limits, f) ? limit_get(&lang->compile_limits, f)
                                                         : limit_get(&c->compile.defaults, f);
        *limit_ref(&job->compile_limits, f) =
            clamp(v, limit_get(&c->compile.min, f), limit_get(&c->compile.max, f));
    }
    return 0;
}

int judge0_store_parse(const char *request, size_t len, const server_config *config,
                       const language_table *langs, job_request *out, api_error *err)
{
    judge0_submission s;
    memset(out, 0, sizeof *out);
    if (judge0_submission_load(request, len, langs, &s) < 0) {
        api_error_set(err, 500, "internal", NULL, "a stored Judge0 submission could not be read");
        return -1;
    }
    int rc = judge0_build_job(&s, config, out, err);
    judge0_submission_free(&s);
    if (rc < 0)
        job_request_free(out);
    return rc;
}
