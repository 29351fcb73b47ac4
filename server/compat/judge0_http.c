/*
 * judge0_http.c - Judge0's submission endpoints over HTTP.  POST
 * /submissions?wait=true judges at once through the worker pool (as
 * /v1/run does) and answers 201 with the result; without wait (Judge0's
 * default) the normalized submission goes durably into the job store
 * (server/store, origin "judge0") and the answer is 201 {"token"}; GET
 * /submissions/{token} and the batch endpoints read the store and render
 * the native result through the verdict map (judge0_result.c).  Errors
 * take Judge0's shapes: 422 {"field": ["message"]}, 400 {"error": "..."},
 * 503 {"error": "queue is full"}, 404 {"status": 404, "error": "Not
 * Found"} (Rails' answer for an unknown token).  Store I/O and judging
 * run on executor threads (http_defer), never on libmicrohttpd's.
 */
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "compat_util.h"
#include "dispatch.h"
#include "judge.h"
#include "judge0.h"
#include "log.h"
#include "queue.h"
#include "store.h"

/* ---- replies ---- */

static void reply_error(http_request *req, unsigned status, const char *message)
{
    json_t *b = json_object();
    json_object_set_new(b, "error", json_string(message));
    http_log_set(req, "error", json_string(message));
    http_reply_json(req, status, b);
}

static void reply_not_found(http_request *req)
{
    json_t *b = json_object();
    json_object_set_new(b, "status", json_integer(404));
    json_object_set_new(b, "error", json_string("Not Found"));
    http_log_set(req, "error", json_string("not_found"));
    http_reply_json(req, 404, b);
}

static void reply_queue_full(http_request *req)
{
    reply_error(req, 503, "queue is full");
}

#define NOT_UTF8_ONE "some attributes for this submission cannot be converted to UTF-8, use " \
                     "base64_encoded=true query parameter"
#define NOT_UTF8_MANY "some attributes for one or more submissions cannot be converted to UTF-8, " \
                      "use base64_encoded=true query parameter"

/* ---- what every endpoint reads the same way ---- */

static bool want_base64(http_request *req)
{
    const char *v = http_query(req, "base64_encoded");
    /* Judge0 1.13.1: base64 only when asked; ENABLE_IMPLICIT_BASE64_ENCODING
     * gives later Judge0's default (base64 unless base64_encoded=false). */
    if (judge0_settings_get()->implicit_base64_encoding)
        return !v || strcmp(v, "false") != 0;
    return v && strcmp(v, "true") == 0;
}

/* ?fields=: 0, or -1 after the 400. */
static int read_fields(http_request *req, judge0_fields *out)
{
    char why[320];
    if (judge0_fields_parse(http_query(req, "fields"), out, why, sizeof why) < 0) {
        reply_error(req, 400, why);
        return -1;
    }
    return 0;
}

static bool in_maintenance(http_request *req)
{
    if (!judge0_settings_get()->maintenance_mode)
        return false;
    const char *m = getenv("MAINTENANCE_MESSAGE");
    reply_error(req, 503, m && m[0] ? m : "Judge0 is currently in maintenance.");
    return true;
}

/* The body as JSON: an empty body is {} (Rails sees no parameters);
 * malformed JSON is a 400.  NULL after replying. */
static json_t *read_body(http_request *req)
{
    size_t len;
    const char *body = http_body(req, &len);
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i]))
        i++;
    if (i == len)
        return json_object();
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char msg[300];
        snprintf(msg, sizeof msg, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        reply_error(req, 400, msg);
    }
    return root;
}

/* ---- wait=true: judge now ---- */

typedef struct wait_work {
    pool_ticket *ticket;
    job_request job;
    judge0_submission sub;
    judge0_fields fields;
    bool base64;
} wait_work;

static void wait_work_free(wait_work *w)
{
    job_request_free(&w->job);
    judge0_submission_free(&w->sub);
    free(w);
}

/* Judge0 calls back for wait=true submissions too: the same PUT as for
 * stored ones (default fields, base64), through the dispatcher's
 * callback threads. */
static void call_back(app *a, const judge0_submission *sub, const judge0_outcome *o)
{
    bool not_utf8 = false;
    json_t *b = judge0_render(sub, JUDGE0_DONE, o, &judge0_default_fields, true, &not_utf8);
    char *text = b ? json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(b);
    if (text)
        dispatcher_send_callback(a->dispatcher, sub->token, sub->callback_url, text, strlen(text));
}

static void judge_now(http_request *req, void *cls)
{
    wait_work *w = cls;
    app *a = http_app(req);
    job_result res;
    char why[512] = "";
    int rc = judge_run(a->context, w->ticket, &w->job, http_client_fd(req), &res, why, sizeof why);
    pool_leave(w->ticket);
    if (rc == 0)
        http_judged(req, &res);    /* the client's CPU quota (server/ops) */
    json_t *native;
    if (rc < 0) {
        http_log_set(req, "cause", json_string(why));
        api_error err;
        api_error_set(&err, 500, "internal", NULL, "the server could not judge this submission: %s", why);
        native = api_error_body(&err);
    } else if (res.cancelled) {
        job_result_free(&res);
        http_log_set(req, "client", json_string("gone"));
        http_hang_up(req);
        wait_work_free(w);
        return;
    } else {
        native = api_run_response(http_request_id(req), &w->job, &res);
        job_result_free(&res);
    }
    judge0_outcome o;
    json_t *body = NULL;
    bool not_utf8 = false;
    if (native && judge0_outcome_from_native(&w->sub, native, compat_now_ms(), &o) == 0) {
        judge0_count_status(o.status_id);
        http_log_set(req, "status_id", json_integer(o.status_id));
        body = judge0_render(&w->sub, JUDGE0_DONE, &o, &w->fields, w->base64, &not_utf8);
        if (w->sub.callback_url && w->sub.callback_url[0])
            call_back(a, &w->sub, &o);
        judge0_outcome_free(&o);
    }
    json_decref(native);
    if (body) {
        http_reply_json(req, 201, body);
    } else if (not_utf8) {
        json_t *b = json_object();
        json_object_set_new(b, "error", json_string(NOT_UTF8_ONE));
        json_object_set_new(b, "token", json_string(w->sub.token));
        http_reply_json(req, 201, b);
    } else {
        reply_error(req, 500, "out of memory building the response");
    }
    wait_work_free(w);
}

static void create_and_wait(http_request *req, judge0_submission *sub, const judge0_fields *fields,
                            bool base64)
{
    app *a = http_app(req);
    wait_work *w = calloc(1, sizeof *w);
    if (!w) {
        judge0_submission_free(sub);
        reply_error(req, 500, "out of memory");
        return;
    }
    w->sub = *sub;
    w->fields = *fields;
    w->base64 = base64;
    api_error err = {0};
    if (judge0_build_job(&w->sub, a->config, &w->job, &err) < 0) {
        if (err.status == 422) {
            json_t *e = json_object();
            json_t *list = json_array();
            json_array_append_new(list, json_string(err.message));
            json_object_set_new(e, err.field[0] ? err.field : "base", list);
            http_reply_json(req, 422, e);
        } else {
            reply_error(req, err.status ? (unsigned)err.status : 500, err.message);
        }
        wait_work_free(w);
        return;
    }
    w->ticket = pool_admit(a->pool);
    if (!w->ticket) {
        int e = errno;
        wait_work_free(w);
        if (e == EAGAIN)
            reply_queue_full(req);
        else
            reply_error(req, 500, "could not admit the submission");
        return;
    }
    if (http_defer(req, judge_now, w) < 0) {
        pool_leave(w->ticket);
        wait_work_free(w);
        reply_error(req, 503, "the server is shutting down");
    }
}

/* ---- without wait: into the store ---- */

typedef struct submit_work {
    size_t n;                    /* submissions in the request */
    json_t **errors;             /* n entries: NULL for a valid one */
    judge0_submission *subs;     /* n entries (valid ones filled) */
    bool batch;
} submit_work;

static void submit_work_free(submit_work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        json_decref(w->errors[i]);
        judge0_submission_free(&w->subs[i]);
    }
    free(w->errors);
    free(w->subs);
    free(w);
}

static void store_now(http_request *req, void *cls)
{
    submit_work *w = cls;
    app *a = http_app(req);
    const judge0_settings *cfg = judge0_settings_get();
    size_t valid = 0;
    for (size_t i = 0; i < w->n; i++)
        valid += w->errors[i] == NULL;
    char why[512];
    store_counts counts;
    if (valid > 0 && store_count(a->store, &counts, why, sizeof why) == 0 &&
        counts.queued + valid > cfg->max_queue_size) {
        reply_queue_full(req);
        submit_work_free(w);
        return;
    }
    store_submission *subs = calloc(valid ? valid : 1, sizeof *subs);
    store_id *ids = calloc(valid ? valid : 1, sizeof *ids);
    char **texts = calloc(valid ? valid : 1, sizeof *texts);
    int rc = subs && ids && texts ? 0 : -1;
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < w->n; i++) {
        if (w->errors[i])
            continue;
        /* The store names the job: that id is the token. */
        size_t len;
        texts[k] = judge0_submission_store(&w->subs[i], &len);
        if (!texts[k]) {
            rc = -1;
            break;
        }
        subs[k] = (store_submission){.origin = "judge0", .request = texts[k], .request_len = len,
                                     .callback_url = w->subs[i].callback_url};
        k++;
    }
    snprintf(why, sizeof why, "out of memory");
    if (rc == 0 && valid > 0)
        rc = store_submit(a->store, subs, valid, ids, why, sizeof why);
    if (rc < 0) {
        http_log_set(req, "cause", json_string(why));
        log_message("error", "request %s: store the Judge0 submission: %s", http_request_id(req), why);
        reply_error(req, 503, "the submission could not be stored; retry later");
    } else {
        json_t *out = w->batch ? json_array() : NULL;
        k = 0;
        for (size_t i = 0; i < w->n; i++) {
            json_t *item;
            if (w->errors[i]) {
                item = json_incref(w->errors[i]);
            } else {
                item = json_object();
                json_object_set_new(item, "token", json_string(ids[k++]));
                judge0_count_submission(w->subs[i].language_id);
            }
            if (!w->batch) {
                out = item;
                break;
            }
            json_array_append_new(out, item);
        }
        http_reply_json(req, valid > 0 ? 201 : 422, out);
    }
    for (size_t i = 0; texts && i < k; i++)
        free(texts[i]);
    free(texts);
    free(subs);
    free(ids);
    submit_work_free(w);
}

static submit_work *submit_work_new(size_t n, bool batch)
{
    submit_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->n = n;
    w->batch = batch;
    w->errors = calloc(n ? n : 1, sizeof *w->errors);
    w->subs = calloc(n ? n : 1, sizeof *w->subs);
    if (!w->errors || !w->subs) {
        free(w->errors);
        free(w->subs);
        free(w);
        return NULL;
    }
    return w;
}

static void defer_store(http_request *req, submit_work *w)
{
    if (!http_app(req)->store) {
        submit_work_free(w);
        reply_error(req, 503, "asynchronous submissions need the job store; use wait=true");
        return;
    }
    if (http_defer(req, store_now, w) < 0) {
        submit_work_free(w);
        reply_error(req, 503, "the server is shutting down");
    }
}

void judge0_create(http_request *req)
{
    app *a = http_app(req);
    if (in_maintenance(req))
        return;
    const char *wait_q = http_query(req, "wait");
    bool wait = wait_q && strcmp(wait_q, "true") == 0;
    if (wait && !judge0_settings_get()->enable_wait_result) {
        reply_error(req, 400, "wait not allowed");
        return;
    }
    judge0_fields fields;
    if (read_fields(req, &fields) < 0)
        return;
    bool base64 = want_base64(req);
    json_t *body = read_body(req);
    if (!body)
        return;
    judge0_submission sub;
    json_t *errors = NULL;
    int rc = judge0_submission_parse(body, base64, a->langs, &sub, &errors);
    json_decref(body);
    if (rc < 0) {
        reply_error(req, 500, "out of memory");
        return;
    }
    if (rc > 0) {
        http_log_set(req, "error", json_string("unprocessable"));
        http_reply_json(req, 422, errors);
        return;
    }
    http_log_set(req, "language_id", json_integer(sub.language_id));
    if (wait) {
        judge0_count_submission(sub.language_id);
        create_and_wait(req, &sub, &fields, base64);
        return;
    }
    submit_work *w = submit_work_new(1, false);
    if (!w) {
        judge0_submission_free(&sub);
        reply_error(req, 500, "out of memory");
        return;
    }
    w->subs[0] = sub;
    defer_store(req, w);
}

void judge0_batch_create(http_request *req)
{
    app *a = http_app(req);
    const judge0_settings *cfg = judge0_settings_get();
    if (!cfg->enable_batched_submissions) {
        reply_error(req, 400, "batched submissions are not allowed");
        return;
    }
    bool base64 = want_base64(req);
    json_t *body = read_body(req);
    if (!body)
        return;
    json_t *list = json_object_get(body, "submissions");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    char msg[160];
    if (n > (size_t)cfg->max_submission_batch_size) {
        snprintf(msg, sizeof msg,
                 "number of submissions in a batch should be less than or equal to %ld",
                 cfg->max_submission_batch_size);
        reply_error(req, 400, msg);
        json_decref(body);
        return;
    }
    if (n == 0) {
        reply_error(req, 400, "there should be at least one submission in a batch");
        json_decref(body);
        return;
    }
    submit_work *w = submit_work_new(n, true);
    if (!w) {
        json_decref(body);
        reply_error(req, 500, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (judge0_submission_parse(json_array_get(list, i), base64, a->langs, &w->subs[i],
                                    &w->errors[i]) < 0) {
            json_decref(body);
            submit_work_free(w);
            reply_error(req, 500, "out of memory");
            return;
        }
    }
    json_decref(body);
    http_log_set(req, "submissions", json_integer((json_int_t)n));
    defer_store(req, w);
}

/* ---- reading submissions ---- */

/* A stored job rendered as Judge0 shows it: the store's id is the token. */
static json_t *render_job(const store_job *job, const language_table *langs,
                          const judge0_fields *fields, bool base64, bool *not_utf8)
{
    judge0_submission sub;
    if (!job->origin || strcmp(job->origin, "judge0") != 0 ||
        judge0_submission_load(job->request, job->request_len, langs, &sub) < 0)
        return NULL;
    snprintf(sub.token, sizeof sub.token, "%s", job->id);
    if (job->created_ms > 0)
        sub.created_ms = job->created_ms;
    json_t *out = NULL;
    if (job->state == STORE_DONE) {
        json_t *native = json_loadb(job->result ? job->result : "", job->result_len, 0, NULL);
        judge0_outcome o;
        if (judge0_outcome_from_native(&sub, native, job->finished_ms, &o) == 0) {
            out = judge0_render(&sub, JUDGE0_DONE, &o, fields, base64, not_utf8);
            judge0_outcome_free(&o);
        }
        json_decref(native);
    } else if (job->state == STORE_CANCELLED) {
        /* Judge0 has no "cancelled": it was deleted; shown as an internal error. */
        judge0_outcome o = {.status_id = 13, .message = strdup("Cancelled"),
                            .finished_ms = job->finished_ms};
        out = judge0_render(&sub, JUDGE0_DONE, &o, fields, base64, not_utf8);
        judge0_outcome_free(&o);
    } else {
        out = judge0_render(&sub, job->state == STORE_RUNNING ? JUDGE0_PROCESSING : JUDGE0_QUEUED,
                            NULL, fields, base64, not_utf8);
    }
    judge0_submission_free(&sub);
    return out;
}

typedef struct read_work {
    judge0_fields fields;
    bool base64;
    size_t n;
    char **tokens;
} read_work;

static void read_work_free(read_work *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->tokens[i]);
    free(w->tokens);
    free(w);
}

/* The Judge0 submission named by the request's token into *job: true, or
 * false with the error already answered (503 when the store failed, 404
 * for an unknown token or another API's job). */
static bool find_judge0_job(http_request *req, app *a, const char *token, store_job *job)
{
    char why[512];
    int found = store_id_valid(token) ? store_get(a->store, token, job, why, sizeof why) : 0;
    if (found < 0) {
        http_log_set(req, "cause", json_string(why));
        reply_error(req, 503, "the store could not be read; retry later");
        return false;
    }
    if (found == 0 || !job->origin || strcmp(job->origin, "judge0") != 0) {
        if (found > 0)
            store_job_free(job);
        reply_not_found(req);
        return false;
    }
    return true;
}

static void show_now(http_request *req, void *cls)
{
    read_work *w = cls;
    app *a = http_app(req);
    store_job job;
    if (!find_judge0_job(req, a, w->tokens[0], &job)) {
        /* answered */
    } else {
        bool not_utf8 = false;
        json_t *b = render_job(&job, a->langs, &w->fields, w->base64, &not_utf8);
        store_job_free(&job);
        if (b)
            http_reply_json(req, 200, b);
        else if (not_utf8)
            reply_error(req, 400, NOT_UTF8_ONE);
        else
            reply_error(req, 500, "the stored submission could not be read");
    }
    read_work_free(w);
}

static read_work *read_work_new(http_request *req)
{
    read_work *w = calloc(1, sizeof *w);
    if (!w) {
        reply_error(req, 500, "out of memory");
        return NULL;
    }
    if (read_fields(req, &w->fields) < 0) {
        free(w);
        return NULL;
    }
    w->base64 = want_base64(req);
    return w;
}

static void defer_read(http_request *req, http_work work, read_work *w)
{
    if (!http_app(req)->store) {
        read_work_free(w);
        reply_not_found(req);
        return;
    }
    if (http_defer(req, work, w) < 0) {
        read_work_free(w);
        reply_error(req, 503, "the server is shutting down");
    }
}

void judge0_show(http_request *req)
{
    read_work *w = read_work_new(req);
    if (!w)
        return;
    w->tokens = calloc(1, sizeof *w->tokens);
    if (!w->tokens || !(w->tokens[0] = strdup(http_param(req, "token")))) {
        read_work_free(w);
        reply_error(req, 500, "out of memory");
        return;
    }
    w->n = 1;
    defer_read(req, show_now, w);
}

static void batch_show_now(http_request *req, void *cls)
{
    read_work *w = cls;
    app *a = http_app(req);
    store_job *jobs = calloc(w->n, sizeof *jobs);
    bool *found = calloc(w->n, sizeof *found);
    const char **ids = calloc(w->n, sizeof *ids);
    size_t nvalid = 0;
    size_t *where = calloc(w->n, sizeof *where);
    char why[512] = "out of memory";
    int rc = jobs && found && ids && where ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < w->n; i++)
        if (store_id_valid(w->tokens[i])) {
            where[nvalid] = i;
            ids[nvalid++] = w->tokens[i];
        }
    bool *got = rc == 0 ? calloc(nvalid ? nvalid : 1, sizeof *got) : NULL;
    store_job *fetched = rc == 0 ? calloc(nvalid ? nvalid : 1, sizeof *fetched) : NULL;
    if (!got || !fetched)
        rc = -1;
    if (rc == 0 && nvalid > 0)
        rc = store_get_many(a->store, ids, nvalid, fetched, got, why, sizeof why);
    if (rc < 0) {
        http_log_set(req, "cause", json_string(why));
        reply_error(req, 503, "the store could not be read; retry later");
    } else {
        json_t *list = json_array();
        bool not_utf8 = false;
        for (size_t i = 0; i < w->n; i++)
            json_array_append_new(list, json_null());
        for (size_t k = 0; k < nvalid; k++) {
            if (!got[k])
                continue;
            json_t *b = render_job(&fetched[k], a->langs, &w->fields, w->base64, &not_utf8);
            if (b)
                json_array_set_new(list, where[k], b);
            store_job_free(&fetched[k]);
        }
        if (not_utf8) {
            json_decref(list);
            reply_error(req, 400, NOT_UTF8_MANY);
        } else {
            json_t *out = json_object();
            json_object_set_new(out, "submissions", list);
            http_reply_json(req, 200, out);
        }
    }
    free(got);
    free(fetched);
    free(jobs);
    free(found);
    free(ids);
    free(where);
    read_work_free(w);
}

void judge0_batch_show(http_request *req)
{
    const judge0_settings *cfg = judge0_settings_get();
    if (!cfg->enable_batched_submissions) {
        reply_error(req, 400, "batched submissions are not allowed");
        return;
    }
    read_work *w = read_work_new(req);
    if (!w)
        return;
    const char *tokens = http_header(req, "tokens");
    if (!tokens)
        tokens = http_query(req, "tokens");
    /* Ruby's to_s.strip.split(","): empty pieces between commas stay,
     * trailing ones go. */
    char *copy = strdup(tokens ? tokens : "");
    if (!copy) {
        read_work_free(w);
        reply_error(req, 500, "out of memory");
        return;
    }
    char *start = copy;
    while (*start == ' ')
        start++;
    size_t len = strlen(start);
    while (len > 0 && start[len - 1] == ' ')
        start[--len] = '\0';
    while (len > 0 && start[len - 1] == ',')
        start[--len] = '\0';
    size_t n = len ? 1 : 0;
    for (char *p = start; *p; p++)
        n += *p == ',';
    char msg[160];
    if (n > (size_t)cfg->max_submission_batch_size) {
        snprintf(msg, sizeof msg, "number of submissions in a batch should be less than or equal to %ld",
                 cfg->max_submission_batch_size);
        free(copy);
        read_work_free(w);
        reply_error(req, 400, msg);
        return;
    }
    if (n == 0) {
        free(copy);
        read_work_free(w);
        reply_error(req, 400, "there should be at least one submission in a batch");
        return;
    }
    w->tokens = calloc(n, sizeof *w->tokens);
    char *save = NULL, *p = start;
    for (size_t i = 0; w->tokens && i < n; i++) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        w->tokens[i] = strdup(p);
        w->n = i + 1;
        if (!w->tokens[i])
            break;
        p = comma ? comma + 1 : p + strlen(p);
    }
    (void)save;
    free(copy);
    if (!w->tokens || w->n < n || !w->tokens[n - 1]) {
        read_work_free(w);
        reply_error(req, 500, "out of memory");
        return;
    }
    defer_read(req, batch_show_now, w);
}

/* ---- DELETE ---- */

static void delete_now(http_request *req, void *cls)
{
    read_work *w = cls;
    app *a = http_app(req);
    store_job job;
    char why[512];
    if (!find_judge0_job(req, a, w->tokens[0], &job)) {
        /* answered */
    } else if (job.state == STORE_QUEUED || job.state == STORE_RUNNING) {
        /* Judge0 refuses to delete what is queued or running. */
        char msg[160];
        int id = job.state == STORE_QUEUED ? 1 : 2;
        snprintf(msg, sizeof msg, "submission cannot be deleted because its status is %d (%s)", id,
                 judge0_status_description(id));
        store_job_free(&job);
        reply_error(req, 400, msg);
    } else {
        /* Deleted, then answered with what it was, in base64 (Judge0 forces
         * it so the data always comes back). */
        bool not_utf8 = false;
        json_t *b = render_job(&job, a->langs, &w->fields, true, &not_utf8);
        int rc = store_delete(a->store, job.id, why, sizeof why);
        store_job_free(&job);
        if (rc < 0) {
            json_decref(b);
            http_log_set(req, "cause", json_string(why));
            reply_error(req, 503, "the submission could not be deleted; retry later");
        } else if (b) {
            http_reply_json(req, 200, b);
        } else {
            reply_error(req, 500, "the stored submission could not be read");
        }
    }
    read_work_free(w);
}

void judge0_delete(http_request *req)
{
    if (in_maintenance(req))
        return;
    if (!judge0_settings_get()->enable_submission_delete) {
        reply_error(req, 400, "delete not allowed");
        return;
    }
    read_work *w = read_work_new(req);
    if (!w)
        return;
    w->tokens = calloc(1, sizeof *w->tokens);
    if (!w->tokens || !(w->tokens[0] = strdup(http_param(req, "token")))) {
        read_work_free(w);
        reply_error(req, 500, "out of memory");
        return;
    }
    w->n = 1;
    defer_read(req, delete_now, w);
}

void judge0_index(http_request *req)
{
    /* Listing every submission needs Judge0's authorization token, which
     * judgebox does not have: Judge0 answers 403 with no body then. */
    http_log_set(req, "error", json_string("forbidden"));
    http_reply_raw(req, 403, "text/plain", "", 0, NULL);
}

/* ---- the store's hooks ---- */

/* The PUT to callback_url: Judge0's default fields, base64. */
static json_t *callback_body(const store_job *job)
{
    bool not_utf8 = false;
    return render_job(job, NULL, &judge0_default_fields, true, &not_utf8);
}

const store_origin judge0_store_origin = {
    .name = "judge0",
    .parse = judge0_store_parse,
    .callback_body = callback_body,
};
