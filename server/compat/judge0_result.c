/*
 * judge0_result.c - what Judge0 shows for a judged submission: the verdict
 * map from judgebox's native result to Judge0's status ids and fields
 * (the table is in docs/compat.md), and the submission serialized as
 * Judge0 1.13.1 does: its field names and order, decimals as strings of
 * seconds ("0.004"), memory in KB, `fields` (default 8, or "*"), and
 * `base64_encoded` (strict base64 out).
 *
 * The map follows what isolate and Judge0 report, so clients written for
 * Judge0 behave the same: a run that used more CPU than cpu_time_limit is
 * 5 even if it finished inside the extra time; a signal is 7 (SIGSEGV),
 * 8 (SIGXFSZ), 9 (SIGFPE), 10 (SIGABRT) or 12; a non-zero exit is 11.
 * judgebox's own verdicts that Judge0 has no id for keep what Judge0 users
 * already see for them: memory limit is 11 with exit code 137 (the
 * OOM-killed process, as real Judge0 reports it), output limit is 8 (Judge0
 * caps stdout with the file size limit, so SIGXFSZ), a forbidden syscall is
 * 12 with SIGSYS and the syscall named in `message`, an internal error 13.
 */
#include "judge0.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "text.h"

void judge0_outcome_free(judge0_outcome *o)
{
    free(o->stdout_data);
    free(o->stderr_data);
    free(o->compile_output);
    free(o->message);
    memset(o, 0, sizeof *o);
}

/* The bytes of a native output field: the exact "<key>_b64" when the
 * output was not UTF-8, else the string.  NULL (and 0) when empty. */
static unsigned char *native_bytes(json_t *o, const char *key, size_t *len)
{
    char b64key[32];
    snprintf(b64key, sizeof b64key, "%s_b64", key);
    json_t *b = json_object_get(o, b64key), *s = json_object_get(o, key);
    unsigned char *out = NULL;
    *len = 0;
    if (json_is_string(b)) {
        if (base64_decode(json_string_value(b), json_string_length(b), &out, len) < 0)
            return NULL;
    } else if (json_is_string(s) && json_string_length(s) > 0) {
        *len = json_string_length(s);
        out = malloc(*len + 1);
        if (out) {
            memcpy(out, json_string_value(s), *len);
            out[*len] = '\0';
        }
    }
    if (out && *len == 0) {
        free(out);
        out = NULL;
    }
    return out;
}

static int signal_number(json_t *v)
{
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    if (!json_is_string(v))
        return 0;
    const char *name = json_string_value(v);
    if (strncmp(name, "SIG", 3) == 0)
        name += 3;
    for (int sig = 1; sig < 65; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && strcmp(abbrev, name) == 0)
            return sig;
    }
    return 0;
}

/* Judge0's comparison (isolate_job.rb): every line right-stripped, then
 * the whole stripped.  Returns a malloc'd copy, length in *len. */
static char *judge0_strip(const unsigned char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '\n')
            continue;
        size_t end = i;
        while (end > start && strchr(" \t\r\n\v\f", s[end - 1]) && s[end - 1] != '\0')
            end--;
        while (end > start && s[end - 1] == '\0')
            end--;
        if (n > 0 || start > 0)
            out[n++] = '\n';
        memcpy(out + n, s + start, end - start);
        n += end - start;
        start = i + 1;
    }
    size_t a = 0;
    while (a < n && strchr(" \t\r\n\v\f", out[a]) && out[a] != '\0')
        a++;
    size_t b = n;
    while (b > a && (out[b - 1] == '\0' || strchr(" \t\r\n\v\f", out[b - 1])))
        b--;
    memmove(out, out + a, b - a);
    *out_len = b - a;
    out[*out_len] = '\0';
    return out;
}

static bool outputs_match(const judge0_submission *s, const unsigned char *out, size_t len)
{
    size_t la, lb;
    char *a = judge0_strip(s->expected_output, s->expected_len, &la);
    char *b = judge0_strip(out ? out : (const unsigned char *)"", out ? len : 0, &lb);
    bool same = a && b && la == lb && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    return same;
}

static int set_message(judge0_outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_message(judge0_outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(o->message);
    o->message = NULL;
    int rc = vasprintf(&o->message, fmt, ap);
    va_end(ap);
    if (rc < 0)
        o->message = NULL;
    return rc < 0 ? -1 : 0;
}

/* One run's status and fields (stdout etc. are set by the caller). */
static void map_run(const judge0_submission *s, json_t *run, judge0_outcome *o)
{
    const char *status = json_string_value(json_object_get(run, "status"));
    if (!status)
        status = "internal_error";
    int sig = signal_number(json_object_get(run, "signal"));
    json_t *ec = json_object_get(run, "exit_code");
    int exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : 0;
    uint64_t cpu = (uint64_t)json_integer_value(json_object_get(run, "cpu_ms"));
    bool over_cpu = s->cpu_time_limit > 0 && (double)cpu > s->cpu_time_limit * 1000.0;
    o->has_exit_code = true;
    o->exit_code = 0;
    o->has_exit_signal = false;
    if (strcmp(status, "time_limit") == 0 ||
        ((strcmp(status, "ok") == 0 || strcmp(status, "runtime_error") == 0) && over_cpu)) {
        o->status_id = 5;
        set_message(o, "Time limit exceeded");
    } else if (strcmp(status, "wall_time_limit") == 0) {
        o->status_id = 5;
        set_message(o, "Time limit exceeded (wall clock)");
    } else if (strcmp(status, "memory_limit") == 0) {
        o->status_id = 11;
        o->exit_code = 137;
        set_message(o, "Exited with error status 137");
    } else if (strcmp(status, "output_limit") == 0) {
        o->status_id = 8;
        o->has_exit_signal = true;
        o->exit_signal = SIGXFSZ;
        set_message(o, "Caught fatal signal %d", SIGXFSZ);
    } else if (strcmp(status, "network_limit") == 0) {
        o->status_id = 12; /* Runtime Error (Other): killed */
        o->has_exit_signal = true;
        o->exit_signal = SIGKILL;
        set_message(o, "Network traffic limit exceeded");
    } else if (strcmp(status, "forbidden_syscall") == 0) {
        const char *name = json_string_value(json_object_get(run, "syscall"));
        o->status_id = 12;
        o->has_exit_signal = true;
        o->exit_signal = SIGSYS;
        set_message(o, "Caught fatal signal %d (forbidden system call %s)", SIGSYS,
                    name ? name : "unknown");
    } else if (strcmp(status, "runtime_error") == 0 && sig > 0) {
        o->status_id = sig == SIGSEGV ? 7 : sig == SIGXFSZ ? 8 : sig == SIGFPE ? 9
                     : sig == SIGABRT ? 10 : 12;
        o->has_exit_signal = true;
        o->exit_signal = sig;
        set_message(o, "Caught fatal signal %d", sig);
    } else if (strcmp(status, "runtime_error") == 0) {
        o->status_id = 11;
        o->exit_code = exit_code;
        set_message(o, "Exited with error status %d", exit_code);
    } else if (strcmp(status, "ok") == 0) {
        o->status_id = !s->has_expected || outputs_match(s, o->stdout_data, o->stdout_len) ? 3 : 4;
        free(o->message);
        o->message = NULL;
    } else {
        const char *m = json_string_value(json_object_get(run, "message"));
        o->status_id = 13;
        o->has_exit_code = false;
        set_message(o, "%s", m && m[0] ? m : "internal error");
    }
}

int judge0_outcome_from_native(const judge0_submission *s, json_t *native, int64_t finished_ms,
                               judge0_outcome *o)
{
    memset(o, 0, sizeof *o);
    o->finished_ms = finished_ms;
    json_t *error = json_object_get(native, "error");
    if (!json_is_object(native) || error) {
        const char *m = json_string_value(json_object_get(error, "message"));
        o->status_id = 13;
        return set_message(o, "%s", m ? m : "the server could not judge this submission");
    }
    json_t *compile = json_object_get(native, "compile");
    if (json_is_object(compile) && s->interpreted) {
        /* A syntax check, not a compile: Judge0 has none and would show
         * a failure as the run's (a Python SyntaxError is 11). */
        const char *cs = json_string_value(json_object_get(compile, "status"));
        if (cs && strcmp(cs, "ok") != 0) {
            o->stdout_data = native_bytes(compile, "stdout", &o->stdout_len);
            o->stderr_data = native_bytes(compile, "stderr", &o->stderr_len);
            /* The step's status is the judge's ("compile_error" for an exit
             * or a signal), the run map wants the sandbox's. */
            json_t *as_run = json_copy(compile);
            if (!as_run)
                return -1;
            if (strcmp(cs, "compile_error") == 0)
                json_object_set_new(as_run, "status", json_string("runtime_error"));
            map_run(s, as_run, o);
            json_decref(as_run);
            if (o->status_id == 3 || o->status_id == 4) {
                /* exited 0 yet refused: still not accepted */
                o->status_id = 11;
            }
            o->has_time = true;
            o->time_ms = (uint64_t)json_integer_value(json_object_get(compile, "cpu_ms"));
            o->wall_ms = (uint64_t)json_integer_value(json_object_get(compile, "wall_ms"));
            o->memory_kb = (uint64_t)json_integer_value(json_object_get(compile, "memory_kb"));
            return 0;
        }
        compile = NULL;
    }
    if (json_is_object(compile)) {
        size_t lo, le;
        unsigned char *out = native_bytes(compile, "stdout", &lo);
        unsigned char *err = native_bytes(compile, "stderr", &le);
        if (lo + le > 0) {
            o->compile_output = malloc(lo + le + 1);
            if (!o->compile_output) {
                free(out);
                free(err);
                return -1;
            }
            if (lo)
                memcpy(o->compile_output, out, lo);
            if (le)
                memcpy(o->compile_output + lo, err, le);
            o->compile_len = lo + le;
            o->compile_output[o->compile_len] = '\0';
        }
        free(out);
        free(err);
        const char *cs = json_string_value(json_object_get(compile, "status"));
        if (cs && strcmp(cs, "ok") != 0) {
            if (strcmp(cs, "internal_error") == 0) {
                const char *m = json_string_value(json_object_get(compile, "message"));
                o->status_id = 13;
                return set_message(o, "%s", m && m[0] ? m : "internal error");
            }
            o->status_id = 6;
            if (strcmp(cs, "time_limit") == 0 || strcmp(cs, "wall_time_limit") == 0) {
                free(o->compile_output);
                o->compile_output = (unsigned char *)strdup("Compilation time limit exceeded.");
                if (!o->compile_output)
                    return -1;
                o->compile_len = strlen((char *)o->compile_output);
            }
            return 0;
        }
    }
    json_t *runs = json_object_get(native, "runs");
    size_t n = json_array_size(runs);
    if (n == 0) {
        o->status_id = 13;
        return set_message(o, "no run was made");
    }
    uint64_t time_sum = 0, wall_sum = 0, mem_sum = 0, counted = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *run = json_array_get(runs, i);
        free(o->stdout_data);
        free(o->stderr_data);
        o->stdout_data = native_bytes(run, "stdout", &o->stdout_len);
        o->stderr_data = native_bytes(run, "stderr", &o->stderr_len);
        map_run(s, run, o);
        time_sum += (uint64_t)json_integer_value(json_object_get(run, "cpu_ms"));
        wall_sum += (uint64_t)json_integer_value(json_object_get(run, "wall_ms"));
        mem_sum += (uint64_t)json_integer_value(json_object_get(run, "memory_kb"));
        counted++;
        /* Judge0 stops at the first run that is not accepted. */
        if (o->status_id != 3)
            break;
    }
    o->has_time = true;
    o->time_ms = (time_sum + counted / 2) / counted;
    o->wall_ms = (wall_sum + counted / 2) / counted;
    o->memory_kb = mem_sum / counted;
    return 0;
}

/* ---- fields ---- */

enum {
    F_SOURCE_CODE, F_LANGUAGE_ID, F_STDIN, F_EXPECTED_OUTPUT, F_STDOUT, F_STATUS_ID, F_CREATED_AT,
    F_FINISHED_AT, F_TIME, F_MEMORY, F_STDERR, F_TOKEN, F_NUMBER_OF_RUNS, F_CPU_TIME_LIMIT,
    F_CPU_EXTRA_TIME, F_WALL_TIME_LIMIT, F_MEMORY_LIMIT, F_STACK_LIMIT, F_MAX_PROCESSES,
    F_PER_PROCESS_TIME, F_PER_PROCESS_MEMORY, F_MAX_FILE_SIZE, F_COMPILE_OUTPUT, F_EXIT_CODE,
    F_EXIT_SIGNAL, F_MESSAGE, F_WALL_TIME, F_COMPILER_OPTIONS, F_COMMAND_LINE_ARGUMENTS,
    F_REDIRECT, F_CALLBACK_URL, F_ADDITIONAL_FILES, F_ENABLE_NETWORK, F_STATUS, F_LANGUAGE,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "source_code", "language_id", "stdin", "expected_output", "stdout", "status_id", "created_at",
    "finished_at", "time", "memory", "stderr", "token", "number_of_runs", "cpu_time_limit",
    "cpu_extra_time", "wall_time_limit", "memory_limit", "stack_limit",
    "max_processes_and_or_threads", "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code",
    "exit_signal", "message", "wall_time", "compiler_options", "command_line_arguments",
    "redirect_stderr_to_stdout", "callback_url", "additional_files", "enable_network", "status",
    "language",
};

#define BIT(f) ((uint64_t)1 << (f))
const judge0_fields judge0_default_fields = {
    BIT(F_TOKEN) | BIT(F_TIME) | BIT(F_MEMORY) | BIT(F_STDOUT) | BIT(F_STDERR) |
    BIT(F_COMPILE_OUTPUT) | BIT(F_MESSAGE) | BIT(F_STATUS)};

int judge0_fields_parse(const char *spec, judge0_fields *out, char *error, size_t size)
{
    *out = judge0_default_fields;
    if (!spec || !spec[0])
        return 0;
    uint64_t mask = 0;
    char invalid[256] = "";
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        bool known = false;
        if (n == 1 && p[0] == '*') {
            mask = BIT(F_COUNT) - 1;
            known = true;
        }
        for (int f = 0; f < F_COUNT && !known; f++)
            if (strlen(field_names[f]) == n && strncmp(field_names[f], p, n) == 0) {
                mask |= BIT(f);
                known = true;
            }
        if (!known) {
            size_t used = strlen(invalid);
            snprintf(invalid + used, sizeof invalid - used, "%s%.*s", used ? ", " : "",
                     (int)(n > 64 ? 64 : n), p);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (invalid[0]) {
        snprintf(error, size, "invalid fields: [%s]", invalid);
        return -1;
    }
    out->mask = mask;
    return 0;
}

/* ---- rendering ---- */

/* A decimal column as Rails renders BigDecimal: "5.0", "0.5", "0.004". */
static json_t *decimal(double v)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.6f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf);
        while (end > dot + 2 && end[-1] == '0')
            *--end = '\0';
    }
    return json_string(buf);
}

static json_t *seconds(uint64_t ms)
{
    char buf[32];
    compat_seconds(buf, sizeof buf, ms);
    return json_string(buf);
}

static json_t *timestamp(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char buf[48];
    compat_iso8601(buf, sizeof buf, ms);
    return json_string(buf);
}

/* A text field: base64 when asked, else the bytes, which must be UTF-8. */
static json_t *text(const unsigned char *data, size_t len, bool present, bool base64, bool *bad)
{
    if (!present)
        return json_null();
    if (base64) {
        size_t n;
        char *b = base64_encode(data, len, &n);
        json_t *v = b ? json_stringn(b, n) : NULL;
        free(b);
        return v;
    }
    if (!utf8_valid((const char *)data, len)) {
        *bad = true;
        return json_null();
    }
    return json_stringn_nocheck((const char *)data, len);
}

static json_t *opt_string(const char *s, bool base64, bool *bad)
{
    return text((const unsigned char *)s, s ? strlen(s) : 0, s != NULL, base64, bad);
}

json_t *judge0_render(const judge0_submission *s, judge0_state state, const judge0_outcome *o,
                      const judge0_fields *fields, bool base64, bool *not_utf8)
{
    json_t *b = json_object();
    if (!b)
        return NULL;
    bool bad = false;
    bool done = state == JUDGE0_DONE && o;
    int status_id = done ? o->status_id : state == JUDGE0_PROCESSING ? 2 : 1;
    for (int f = 0; f < F_COUNT; f++) {
        if (!(fields->mask & BIT(f)))
            continue;
        json_t *v = NULL;
        switch (f) {
        case F_SOURCE_CODE:
            v = text(s->source_code, s->source_len, s->has_source, base64, &bad);
            break;
        case F_LANGUAGE_ID:
            v = json_integer(s->language_id);
            break;
        case F_STDIN:
            v = text(s->stdin_data, s->stdin_len, s->has_stdin, base64, &bad);
            break;
        case F_EXPECTED_OUTPUT:
            v = text(s->expected_output, s->expected_len, s->has_expected, base64, &bad);
            break;
        case F_STDOUT:
            v = done ? text(o->stdout_data, o->stdout_len, o->stdout_data != NULL, base64, &bad)
                     : json_null();
            break;
        case F_STATUS_ID:
            v = json_integer(status_id);
            break;
        case F_CREATED_AT:
            v = timestamp(s->created_ms);
            break;
        case F_FINISHED_AT:
            v = done ? timestamp(o->finished_ms) : json_null();
            break;
        case F_TIME:
            v = done && o->has_time ? seconds(o->time_ms) : json_null();
            break;
        case F_MEMORY:
            v = done && o->has_time ? json_integer((json_int_t)o->memory_kb) : json_null();
            break;
        case F_STDERR:
            v = done ? text(o->stderr_data, o->stderr_len, o->stderr_data != NULL, base64, &bad)
                     : json_null();
            break;
        case F_TOKEN:
            v = json_string(s->token);
            break;
        case F_NUMBER_OF_RUNS:
            v = json_integer(s->number_of_runs);
            break;
        case F_CPU_TIME_LIMIT:
            v = decimal(s->cpu_time_limit);
            break;
        case F_CPU_EXTRA_TIME:
            v = decimal(s->cpu_extra_time);
            break;
        case F_WALL_TIME_LIMIT:
            v = decimal(s->wall_time_limit);
            break;
        case F_MEMORY_LIMIT:
            v = json_integer(s->memory_limit);
            break;
        case F_STACK_LIMIT:
            v = json_integer(s->stack_limit);
            break;
        case F_MAX_PROCESSES:
            v = json_integer(s->max_processes_and_or_threads);
            break;
        case F_PER_PROCESS_TIME:
            v = json_boolean(s->per_process_time_limit);
            break;
        case F_PER_PROCESS_MEMORY:
            v = json_boolean(s->per_process_memory_limit);
            break;
        case F_MAX_FILE_SIZE:
            v = json_integer(s->max_file_size);
            break;
        case F_COMPILE_OUTPUT:
            v = done ? text(o->compile_output, o->compile_len, o->compile_output != NULL, base64, &bad)
                     : json_null();
            break;
        case F_EXIT_CODE:
            v = done && o->has_exit_code ? json_integer(o->exit_code) : json_null();
            break;
        case F_EXIT_SIGNAL:
            v = done && o->has_exit_signal ? json_integer(o->exit_signal) : json_null();
            break;
        case F_MESSAGE:
            v = done ? opt_string(o->message, base64, &bad) : json_null();
            break;
        case F_WALL_TIME:
            v = done && o->has_time ? seconds(o->wall_ms) : json_null();
            break;
        case F_COMPILER_OPTIONS:
            v = s->compiler_options ? json_string(s->compiler_options) : json_null();
            break;
        case F_COMMAND_LINE_ARGUMENTS:
            v = s->command_line_arguments ? json_string(s->command_line_arguments) : json_null();
            break;
        case F_REDIRECT:
            v = json_boolean(s->redirect_stderr_to_stdout);
            break;
        case F_CALLBACK_URL:
            v = s->callback_url ? json_string(s->callback_url) : json_null();
            break;
        case F_ADDITIONAL_FILES:
            v = text(s->additional_files, s->additional_len, s->has_additional, true, &bad);
            break;
        case F_ENABLE_NETWORK:
            v = json_boolean(s->enable_network);
            break;
        case F_STATUS: {
            v = json_object();
            json_object_set_new(v, "id", json_integer(status_id));
            json_object_set_new(v, "description", json_string(judge0_status_description(status_id)));
            break;
        }
        case F_LANGUAGE: {
            v = json_object();
            json_object_set_new(v, "id", json_integer(s->language_id));
            json_object_set_new(v, "name", s->lang.lang ? json_string(s->lang.name) : json_null());
            break;
        }
        }
        if (!v || json_object_set_new(b, field_names[f], v) < 0) {
            json_decref(b);
            return NULL;
        }
    }
    if (bad) {
        json_decref(b);
        *not_utf8 = true;
        return NULL;
    }
    return b;
}
