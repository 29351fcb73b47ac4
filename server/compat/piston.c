/*
 * piston.c - the Piston v2 API: POST /api/v2/execute and GET
 * /api/v2/runtimes, on judgebox's languages.  A runtime is a judgebox
 * language under Piston's name and aliases ("python", aliases "py",
 * "python3"), its version the image's as semver ("3.11.2"; "17.0.21.1"
 * becomes "17.0.21"); a request's "version" is a node-semver range
 * ("3.x", "*", "3.11.2").  Validation, messages and shapes are Piston's
 * (api/src/api/v2.js): 400 {"message"} for a missing language, version or
 * files, an unknown runtime ("python-9.9 runtime is unknown") or a limit
 * over the configured one; the result has `run` and, for compiled
 * languages, `compile`, each {stdout, stderr, output, code, signal,
 * message, status, cpu_time, wall_time, memory} with Piston's units (ms,
 * bytes) and statuses (RE, SG, TO, OL, EL, XX).  After a failed compile
 * `run` is `compile`, as Piston answers.  Differences are in
 * docs/compat.md.
 */
#include "compat.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat_util.h"
#include "compat_zip.h"
#include "judge.h"
#include "log.h"
#include "queue.h"
#include "semver.h"
#include "text.h"

/* ---- runtimes ---- */

typedef struct piston_name {
    const char *lang_id;
    const char *language;
    const char *runtime;           /* NULL: none (the key is left out) */
    const char *aliases[8];
} piston_name;

static const piston_name names[] = {
    {"awk", "awk", NULL, {"gawk"}},
    {"bash", "bash", NULL, {"sh"}},
    {"bc", "bc", NULL, {0}},
    {"brainfuck", "brainfuck", NULL, {"bf"}},
    {"c", "c", "gcc", {"gcc"}},
    {"c17", "c", "gcc", {"gcc"}},
    {"clojure", "clojure", NULL, {"clj"}},
    {"cobol", "cobol", NULL, {"cob"}},
    {"coffeescript", "coffeescript", NULL, {"coffee"}},
    {"commonlisp", "lisp", "sbcl", {"cl", "sbcl", "commonlisp"}},
    {"cpp", "c++", "gcc", {"cpp", "g++"}},
    {"cpp17", "c++", "gcc", {"cpp", "g++"}},
    {"crystal", "crystal", NULL, {"cr"}},
    {"csharp", "csharp", "mono", {"mono", "mono-csharp", "mono-c#", "mono-cs", "c#", "cs"}},
    {"d", "d", "gcc", {"gdc"}},
    {"dc", "dc", NULL, {0}},
    {"elixir", "elixir", NULL, {"exs"}},
    {"erlang", "erlang", NULL, {"erl", "escript"}},
    {"forth", "forth", NULL, {"gforth"}},
    {"fortran", "fortran", "gcc", {"f90"}},
    {"go", "go", NULL, {"golang"}},
    {"groovy", "groovy", NULL, {"gvy"}},
    {"guile", "scheme", "guile", {"guile"}},
    {"haskell", "haskell", NULL, {"hs"}},
    {"java", "java", NULL, {0}},
    {"javascript", "javascript", "node", {"node-javascript", "node-js", "js"}},
    {"kotlin", "kotlin", NULL, {"kt"}},
    {"lua", "lua", NULL, {0}},
    {"nasm", "nasm", NULL, {"asm", "nasm64"}},
    {"nim", "nim", NULL, {0}},
    {"ocaml", "ocaml", NULL, {"ml"}},
    {"pascal", "pascal", NULL, {"freepascal", "pp", "pas"}},
    {"perl", "perl", NULL, {"pl"}},
    {"php", "php", NULL, {0}},
    {"prolog", "prolog", NULL, {"plg"}},
    {"python3", "python", NULL, {"py", "py3", "python3"}},
    {"r", "rscript", NULL, {"r"}},
    {"racket", "racket", NULL, {"rkt"}},
    {"raku", "raku", NULL, {"rakudo", "perl6", "p6", "pl6"}},
    {"ruby", "ruby", NULL, {"ruby3", "rb"}},
    {"rust", "rust", NULL, {"rs"}},
    {"scala", "scala", NULL, {"sc"}},
    {"sed", "sed", NULL, {0}},
    {"sqlite", "sqlite3", NULL, {"sqlite", "sql"}},
    {"tcl", "tcl", NULL, {0}},
    {"typescript", "typescript", "node", {"ts"}},
    {"vala", "vala", NULL, {0}},
    {"zsh", "zsh", NULL, {0}},
};

static const piston_name *name_of(const language *l)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].lang_id, l->id) == 0)
            return &names[i];
    return NULL;
}

static const char *language_name(const language *l)
{
    const piston_name *n = name_of(l);
    return n ? n->language : l->id;
}

static semver version_of(const language *l)
{
    semver v = {0, 0, 0};
    if (l->version)
        semver_parse_loose(l->version, &v);
    return v;
}

static bool answers_to(const language *l, const char *name)
{
    if (strcmp(language_name(l), name) == 0)
        return true;
    const piston_name *n = name_of(l);
    for (size_t i = 0; n && i < 8 && n->aliases[i]; i++)
        if (strcmp(n->aliases[i], name) == 0)
            return true;
    /* The language file's own names (its id, its aliases) work too. */
    if (strcmp(l->id, name) == 0)
        return true;
    for (char *const *a = l->aliases; a && *a; a++)
        if (strcmp(*a, name) == 0)
            return true;
    return false;
}

/* get_latest_runtime_matching_language_version */
static const language *find_runtime(const language_table *langs, const char *name, const char *range)
{
    const language *best = NULL;
    semver bv = {0, 0, 0};
    for (size_t i = 0; i < langs->count; i++) {
        const language *l = &langs->items[i];
        semver v = version_of(l);
        if (!answers_to(l, name) || !semver_satisfies(&v, range))
            continue;
        if (!best || semver_compare(&v, &bv) > 0) {
            best = l;
            bv = v;
        }
    }
    return best;
}

void piston_runtimes(http_request *req)
{
    const language_table *langs = http_app(req)->langs;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < langs->count; i++) {
        const language *l = &langs->items[i];
        const piston_name *n = name_of(l);
        semver v = version_of(l);
        char ver[64];
        semver_format(&v, ver, sizeof ver);
        json_t *o = json_object(), *aliases = json_array();
        json_object_set_new(o, "language", json_string(language_name(l)));
        json_object_set_new(o, "version", json_string(ver));
        for (size_t k = 0; n && k < 8 && n->aliases[k]; k++)
            json_array_append_new(aliases, json_string(n->aliases[k]));
        /* Then the language file's id and aliases, when they are new. */
        const char *own[64];
        size_t nown = 0;
        own[nown++] = l->id;
        for (char *const *a = l->aliases; a && *a && nown < 64; a++)
            own[nown++] = *a;
        for (size_t k = 0; k < nown; k++) {
            bool seen = strcmp(own[k], language_name(l)) == 0;
            for (size_t j = 0; !seen && j < json_array_size(aliases); j++)
                seen = strcmp(json_string_value(json_array_get(aliases, j)), own[k]) == 0;
            if (!seen)
                json_array_append_new(aliases, json_string(own[k]));
        }
        json_object_set_new(o, "aliases", aliases);
        if (n && n->runtime)
            json_object_set_new(o, "runtime", json_string(n->runtime));
        json_array_append_new(arr, o);
    }
    if (arr)
        http_reply_json(req, 200, arr);
    else
        http_reply_errorf(req, 500, "internal", NULL, "out of memory");
}

void piston_packages(http_request *req)
{
    json_t *b = json_object();
    json_object_set_new(b, "message",
                        json_string("judgebox has no package manager: its languages come with its "
                                    "images (GET /api/v2/runtimes lists them)"));
    http_reply_json(req, 501, b);
}

/* ---- execute ---- */

static void reply_message(http_request *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_message(http_request *req, unsigned status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *b = json_object();
    json_object_set_new(b, "message", json_string(msg));
    http_log_set(req, "error", json_string(msg));
    http_reply_json(req, status, b);
}

/* Piston's limit check for one of compile_/run_ memory_limit, timeout,
 * cpu_time.  `configured` is the server's maximum in the field's unit.
 * 0 with *value set (or left at `def` when not given), -1 after the 400. */
static int piston_limit(http_request *req, json_t *body, const char *name, int64_t configured,
                        int64_t def, bool minus_one_is_default, int64_t *value)
{
    json_t *v = json_object_get(body, name);
    *value = def;
    /* `if (!constraint_value) continue;` */
    if (!v || json_is_null(v) || json_is_false(v) || (json_is_number(v) && json_number_value(v) == 0) ||
        (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (!json_is_number(v)) {
        reply_message(req, 400, "If specified, %s must be a number", name);
        return -1;
    }
    double d = json_number_value(v);
    if (minus_one_is_default && d == -1)
        return 0;             /* piston-client sends -1: "no limit of its own" */
    if (d > (double)configured) {
        reply_message(req, 400, "%s cannot exceed the configured limit of %lld", name,
                      (long long)configured);
        return -1;
    }
    if (d < 0) {
        reply_message(req, 400, "%s must be non-negative", name);
        return -1;
    }
    *value = (int64_t)d;
    return 0;
}

typedef struct exec_work {
    pool_ticket *ticket;
    job_request job;
    const char *language;        /* Piston's name of the runtime */
    char version[64];
} exec_work;

static void exec_work_free(exec_work *w)
{
    job_request_free(&w->job);
    free(w);
}

static json_t *bytes_string(const char *data, size_t len)
{
    if (utf8_valid(data, len))
        return json_stringn_nocheck(data, len);
    size_t n;
    char *fixed = utf8_repair(data, len, &n);
    json_t *v = fixed ? json_stringn_nocheck(fixed, n) : NULL;
    free(fixed);
    return v;
}

/* stdout and stderr in the order they were written. */
static json_t *interleaved(const sandbox_result *r)
{
    size_t total = r->stdout_len + r->stderr_len;
    char *buf = malloc(total + 1);
    if (!buf)
        return NULL;
    size_t n = 0, used_out = 0, used_err = 0;
    for (size_t i = 0; i < r->output_pieces; i++) {
        const sandbox_output_piece *p = &r->output_order[i];
        const char *src = p->stream == 1 ? r->stdout_data + used_out : r->stderr_data + used_err;
        size_t *used = p->stream == 1 ? &used_out : &used_err;
        size_t avail = (p->stream == 1 ? r->stdout_len : r->stderr_len) - *used;
        size_t len = p->length < avail ? p->length : avail;
        memcpy(buf + n, src, len);
        n += len;
        *used += len;
    }
    /* Past the recorded pieces: the rest of stdout, then of stderr. */
    memcpy(buf + n, r->stdout_data + used_out, r->stdout_len - used_out);
    n += r->stdout_len - used_out;
    memcpy(buf + n, r->stderr_data + used_err, r->stderr_len - used_err);
    n += r->stderr_len - used_err;
    json_t *v = bytes_string(buf, n);
    free(buf);
    return v;
}

static json_t *stage(const sandbox_result *r)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_t *code = json_null(), *sig = json_null(), *status = json_null(), *message = json_null();
    char msg[400];
    int signo = 0;
    switch (r->status) {
    case SANDBOX_OK:
        code = json_integer(0);
        break;
    case SANDBOX_RUNTIME_ERROR:
        if (r->signal > 0) {
            signo = r->signal;
            status = json_string("SG");
            snprintf(msg, sizeof msg, "Caught fatal signal %d", r->signal);
        } else {
            code = json_integer(r->exit_code);
            status = json_string("RE");
            snprintf(msg, sizeof msg, "Exited with error status %d", r->exit_code);
        }
        message = json_string(msg);
        break;
    case SANDBOX_TIME_LIMIT:
    case SANDBOX_WALL_TIME_LIMIT:
        signo = SIGKILL;
        status = json_string("TO");
        message = json_string(r->status == SANDBOX_TIME_LIMIT ? "Time limit exceeded"
                                                              : "Time limit exceeded (wall clock)");
        break;
    case SANDBOX_MEMORY_LIMIT:
        /* isolate reports the cgroup OOM kill as a fatal SIGKILL. */
        signo = SIGKILL;
        status = json_string("SG");
        snprintf(msg, sizeof msg, "Caught fatal signal %d", SIGKILL);
        message = json_string(msg);
        break;
    case SANDBOX_OUTPUT_LIMIT:
        signo = SIGKILL;
        status = json_string(r->stdout_truncated || !r->stderr_truncated ? "OL" : "EL");
        message = json_string(r->stdout_truncated || !r->stderr_truncated ? "stdout length exceeded"
                                                                           : "stderr length exceeded");
        break;
    case SANDBOX_FORBIDDEN_SYSCALL:
        signo = SIGSYS;
        status = json_string("SG");
        snprintf(msg, sizeof msg, "Caught fatal signal %d (forbidden system call %s)", SIGSYS,
                 r->syscall[0] ? r->syscall : "unknown");
        message = json_string(msg);
        break;
    case SANDBOX_NETWORK_LIMIT:
        /* Piston has no network cap: killed, as for its other limits. */
        signo = SIGKILL;
        status = json_string("SG");
        message = json_string("Network traffic limit exceeded");
        break;
    case SANDBOX_INTERNAL_ERROR:
        status = json_string("XX");
        message = json_string(r->message[0] ? r->message : "internal error");
        break;
    }
    if (signo > 0) {
        char name[32];
        const char *abbrev = sigabbrev_np(signo);
        snprintf(name, sizeof name, "SIG%s", abbrev ? abbrev : "UNKNOWN");
        sig = json_string(name);
    }
    json_object_set_new(o, "stdout", bytes_string(r->stdout_data, r->stdout_len));
    json_object_set_new(o, "stderr", bytes_string(r->stderr_data, r->stderr_len));
    json_object_set_new(o, "code", code);
    json_object_set_new(o, "signal", sig);
    json_object_set_new(o, "output", interleaved(r));
    json_object_set_new(o, "memory", json_integer((json_int_t)(r->memory_kb * 1024)));
    json_object_set_new(o, "message", message);
    json_object_set_new(o, "status", status);
    json_object_set_new(o, "cpu_time", json_integer((json_int_t)r->cpu_ms));
    json_object_set_new(o, "wall_time", json_integer((json_int_t)r->wall_ms));
    return o;
}

static void execute_now(http_request *req, void *cls)
{
    exec_work *w = cls;
    app *a = http_app(req);
    job_result res;
    char why[512] = "";
    int rc = judge_run(a->context, w->ticket, &w->job, http_client_fd(req), &res, why, sizeof why);
    pool_leave(w->ticket);
    if (rc == 0)
        http_judged(req, &res);    /* the client's CPU quota (server/ops) */
    if (rc < 0) {
        http_log_set(req, "cause", json_string(why));
        reply_message(req, 500, "the server could not run this job: %s", why);
        exec_work_free(w);
        return;
    }
    if (res.cancelled) {
        job_result_free(&res);
        http_log_set(req, "client", json_string("gone"));
        http_hang_up(req);
        exec_work_free(w);
        return;
    }
    json_t *b = json_object();
    json_object_set_new(b, "language", json_string(w->language));
    json_object_set_new(b, "version", json_string(w->version));
    json_t *compile = NULL;
    bool compile_failed = false;
    if (res.has_compile && res.compile.ran) {
        compile = stage(&res.compile.result);
        compile_failed = res.compile.result.status != SANDBOX_OK || res.compile.result.exit_code != 0;
    }
    json_t *run = NULL;
    if (!compile_failed && res.nruns > 0 && res.runs[0].ran)
        run = stage(&res.runs[0].result);
    if (compile && !w->job.lang->compile_argv) {
        /* An interpreted language's syntax check: Piston has no such
         * stage and shows the error as the run's. */
        if (!run)
            run = json_incref(compile);
        json_decref(compile);
        compile = NULL;
    }
    if (compile)
        json_object_set(b, "compile", compile);
    /* Piston: "Backward compatibility when the run stage is not started". */
    json_object_set_new(b, "run", run ? run : compile ? json_incref(compile) : json_null());
    json_decref(compile);
    http_log_set(req, "language", json_string(w->job.lang->id));
    job_result_free(&res);
    http_reply_json(req, 200, b);
    exec_work_free(w);
}

/* files[] -> job files: the first utf8 file is the program, saved under the
 * language's source file name; the others keep their names. */
static int piston_files(http_request *req, json_t *files, const language *lang, job_request *job)
{
    size_t n = json_array_size(files);
    job->files = calloc(n ? n : 1, sizeof *job->files);
    if (!job->files)
        return -1;
    ssize_t main_index = -1;
    for (size_t i = 0; i < n; i++) {
        json_t *enc = json_object_get(json_array_get(files, i), "encoding");
        if (!enc || (json_is_string(enc) && strcmp(json_string_value(enc), "utf8") == 0)) {
            main_index = (ssize_t)i;
            break;
        }
    }
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            bool is_main = (ssize_t)i == main_index;
            if ((pass == 0) != is_main)
                continue;
            json_t *f = json_array_get(files, i);
            json_t *content = json_object_get(f, "content"), *name = json_object_get(f, "name"),
                   *enc = json_object_get(f, "encoding");
            const char *encoding = json_is_string(enc) ? json_string_value(enc) : "utf8";
            char fname[300];
            if (is_main)
                snprintf(fname, sizeof fname, "%s", lang->source_file);
            else if (json_is_string(name))
                snprintf(fname, sizeof fname, "%s", json_string_value(name));
            else
                snprintf(fname, sizeof fname, "file%zu.code", i);
            if (!is_main && !compat_path_ok(fname)) {
                reply_message(req, 400, "File path \"%.200s\" tries to escape parent directory", fname);
                return 1;
            }
            bool taken = false;
            for (size_t j = 0; j < job->nfiles; j++) {
                const char *a = job->files[j].name;
                size_t la = strlen(a), lb = strlen(fname);
                if (strcmp(a, fname) == 0 || (la < lb && strncmp(a, fname, la) == 0 && fname[la] == '/') ||
                    (lb < la && strncmp(a, fname, lb) == 0 && a[lb] == '/'))
                    taken = true;
            }
            if (taken)
                continue;          /* the program keeps its name; a clash loses */
            job_file *jf = &job->files[job->nfiles++];
            if (!(jf->name = strdup(fname)))
                return -1;
            const char *text = json_string_value(content);
            size_t len = json_string_length(content);
            if (strcmp(encoding, "base64") == 0) {
                if (base64_decode(text, len, &jf->data, &jf->len) < 0) {
                    if (errno == ENOMEM)
                        return -1;
                    reply_message(req, 400, "files[%zu].content is not valid base64", i);
                    return 1;
                }
            } else if (strcmp(encoding, "hex") == 0) {
                if (len % 2) {
                    reply_message(req, 400, "files[%zu].content is not valid hex", i);
                    return 1;
                }
                if (!(jf->data = malloc(len / 2 + 1)))
                    return -1;
                for (size_t k = 0; k < len / 2; k++) {
                    unsigned byte;
                    if (sscanf(text + 2 * k, "%2x", &byte) != 1) {
                        reply_message(req, 400, "files[%zu].content is not valid hex", i);
                        return 1;
                    }
                    jf->data[k] = (unsigned char)byte;
                }
                jf->len = len / 2;
            } else {
                if (!(jf->data = malloc(len + 1)))
                    return -1;
                memcpy(jf->data, text, len);
                jf->len = len;
            }
        }
    }
    return 0;
}

/* Content types Piston's JSON parser would not read: forms. */
static bool form_content(const char *type)
{
    return type && (strncasecmp(type, "multipart/form-data", 19) == 0 ||
                    strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0);
}

void piston_execute(http_request *req)
{
    app *a = http_app(req);
    if (form_content(http_header(req, "Content-Type"))) {
        reply_message(req, 415, "requests must be of type application/json");
        return;
    }
    size_t len;
    const char *text = http_body(req, &len);
    json_error_t jerr;
    json_t *body = json_loadb(text, len, 0, &jerr);
    if (!body) {
        reply_message(req, 400, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                      jerr.text);
        return;
    }
    exec_work *w = NULL;
    json_t *lang_v = json_object_get(body, "language"), *version = json_object_get(body, "version"),
           *files = json_object_get(body, "files");
    if (!json_is_object(body) || !json_is_string(lang_v) || !json_string_length(lang_v)) {
        reply_message(req, 400, "language is required as a string");
        goto out;
    }
    if (!json_is_string(version) || !json_string_length(version)) {
        reply_message(req, 400, "version is required as a string");
        goto out;
    }
    if (!json_is_array(files)) {
        reply_message(req, 400, "files is required as an array");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(files); i++) {
        if (!json_is_string(json_object_get(json_array_get(files, i), "content"))) {
            reply_message(req, 400, "files[%zu].content is required as a string", i);
            goto out;
        }
    }
    const language *lang = find_runtime(a->langs, json_string_value(lang_v), json_string_value(version));
    if (!lang) {
        reply_message(req, 400, "%s-%s runtime is unknown", json_string_value(lang_v),
                      json_string_value(version));
        goto out;
    }
    bool has_utf8 = false;
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *enc = json_object_get(json_array_get(files, i), "encoding");
        if (!enc || (json_is_string(enc) && strcmp(json_string_value(enc), "utf8") == 0))
            has_utf8 = true;
    }
    if (!has_utf8) {
        reply_message(req, 400, "files must include at least one utf8 encoded file");
        goto out;
    }
    json_t *stdin_v = json_object_get(body, "stdin"), *args = json_object_get(body, "args");
    if (stdin_v && !json_is_null(stdin_v) && !json_is_string(stdin_v)) {
        reply_message(req, 400, "stdin must be a string");
        goto out;
    }
    if (args && !json_is_null(args) && !json_is_array(args)) {
        reply_message(req, 400, "args must be an array of strings");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(args); i++) {
        json_t *arg = json_array_get(args, i);
        if (!json_is_string(arg) || strlen(json_string_value(arg)) != json_string_length(arg)) {
            reply_message(req, 400, "args[%zu] must be a string without NUL bytes", i);
            goto out;
        }
    }
    /* Limits: Piston's defaults (run 3 s, compile 10 s), capped by the
     * server's maxima ("the configured limit"), raised to the language's
     * minimum. */
    const server_config *c = a->config;
    int64_t run_mem, compile_mem, run_wall, compile_wall, run_cpu, compile_cpu;
    if (piston_limit(req, body, "compile_memory_limit", (int64_t)c->compile.max.memory_kb * 1024, 0,
                     true, &compile_mem) < 0 ||
        piston_limit(req, body, "run_memory_limit", (int64_t)c->run.max.memory_kb * 1024, 0, true,
                     &run_mem) < 0 ||
        piston_limit(req, body, "compile_timeout", (int64_t)c->compile.max.wall_ms, 10000, false,
                     &compile_wall) < 0 ||
        piston_limit(req, body, "run_timeout", (int64_t)c->run.max.wall_ms, 3000, false, &run_wall) < 0 ||
        piston_limit(req, body, "compile_cpu_time", (int64_t)c->compile.max.cpu_ms, 10000, false,
                     &compile_cpu) < 0 ||
        piston_limit(req, body, "run_cpu_time", (int64_t)c->run.max.cpu_ms, 3000, false, &run_cpu) < 0)
        goto out;
    w = calloc(1, sizeof *w);
    if (!w)
        goto oom;
    job_request *job = &w->job;
    job->lang = lang;
    w->language = language_name(lang);
    semver v = version_of(lang);
    semver_format(&v, w->version, sizeof w->version);
    int frc = piston_files(req, files, lang, job);
    if (frc < 0)
        goto oom;
    if (frc > 0)
        goto out;
    job->tests = calloc(1, sizeof *job->tests);
    if (!job->tests)
        goto oom;
    job->ntests = 1;
    job_test *t = &job->tests[0];
    size_t slen = json_is_string(stdin_v) ? json_string_length(stdin_v) : 0;
    t->id = strdup("1");
    t->stdin_data = malloc(slen + 1);
    t->args = calloc(json_array_size(args) + 1, sizeof *t->args);
    if (!t->id || !t->stdin_data || !t->args)
        goto oom;
    if (slen)
        memcpy(t->stdin_data, json_string_value(stdin_v), slen);
    t->stdin_len = slen;
    for (size_t i = 0; i < json_array_size(args); i++)
        if (!(t->args[i] = strdup(json_string_value(json_array_get(args, i)))))
            goto oom;
    job->checker.type = CHECKER_EXACT;
    sandbox_limits *l = &job->limits, *cl = &job->compile_limits;
    *l = c->run.defaults;
    l->cpu_ms = (uint64_t)run_cpu;
    l->wall_ms = (uint64_t)run_wall;
    if (run_mem > 0)
        l->memory_kb = (uint64_t)(run_mem + 1023) / 1024;
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        uint64_t lo = limit_get(&c->run.min, f), min = limit_get(&lang->min_limits, f);
        if (min > lo)
            lo = min;
        if (limit_get(l, f) < lo)
            *limit_ref(l, f) = lo;
    }
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        uint64_t d = limit_get(&lang->compile_limits, f);
        *limit_ref(cl, f) = d ? d : limit_get(&c->compile.defaults, f);
    }
    cl->cpu_ms = (uint64_t)compile_cpu;
    cl->wall_ms = (uint64_t)compile_wall;
    if (compile_mem > 0)
        cl->memory_kb = (uint64_t)(compile_mem + 1023) / 1024;
    for (size_t i = 0; i < limit_field_count; i++) {
        const limit_field *f = &limit_fields[i];
        if (limit_get(cl, f) < limit_get(&c->compile.min, f))
            *limit_ref(cl, f) = limit_get(&c->compile.min, f);
    }
    w->ticket = pool_admit(a->pool);
    if (!w->ticket) {
        int e = errno;
        if (e == EAGAIN) {
            char retry[16];
            snprintf(retry, sizeof retry, "%u", c->retry_after_s);
            http_reply_header(req, "Retry-After", retry);
            reply_message(req, 503, "every slot is busy and the queue is full; retry later");
        } else {
            reply_message(req, 500, "could not admit the job");
        }
        goto out;
    }
    if (http_defer(req, execute_now, w) < 0) {
        pool_leave(w->ticket);
        reply_message(req, 503, "the server is shutting down");
        goto out;
    }
    json_decref(body);
    return;
oom:
    reply_message(req, 500, "out of memory");
out:
    if (w)
        exec_work_free(w);
    json_decref(body);
}
