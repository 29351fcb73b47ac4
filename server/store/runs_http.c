/*
 * runs_http.c - the native asynchronous API over the job store.  A
 * submission is validated exactly as a synchronous /v1/run (same 400/422
 * errors) on the libmicrohttpd thread, plus its optional callback_url;
 * then an executor writes it to the store (fsync, or Redis) and only then
 * answers 202.  A store that cannot take it answers 503 with Retry-After,
 * and nothing was acknowledged.  Reads and cancellations go through an
 * executor too: they wait on the store's lock or network.
 */
#include "runs_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callback.h"
#include "dispatch.h"
#include "store.h"

typedef struct submit_work {
    char *request;                /* the /v1/run body without callback_url */
    size_t len;
    char *callback_url;
} submit_work;

int runs_async_flag(http_request *req)
{
    const char *v = http_query(req, "async");
    if (!v || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || !*v)
        return 1;
    http_reply_errorf(req, 400, "bad_query", "async", "async must be true or false, not '%.64s'", v);
    return -1;
}

static void store_unavailable(http_request *req, const char *why)
{
    http_log_set(req, "cause", json_string(why));
    http_reply_header(req, "Retry-After", "5");
    http_reply_errorf(req, 503, "store_unavailable", NULL,
                      "the run could not be stored, so it was not accepted: %s", why);
}

static void submit_work_free(submit_work *w)
{
    free(w->request);
    free(w->callback_url);
    free(w);
}

static void submit_run(http_request *req, void *cls)
{
    submit_work *w = cls;
    app *a = http_app(req);
    store_submission sub = {.origin = "v1", .request = w->request, .request_len = w->len,
                            .callback_url = w->callback_url};
    store_id id;
    char error[1024];
    if (store_submit(a->store, &sub, 1, &id, error, sizeof error) < 0) {
        store_unavailable(req, error);
        submit_work_free(w);
        return;
    }
    submit_work_free(w);
    http_log_set(req, "run", json_string(id));
    char location[64];
    snprintf(location, sizeof location, "/v1/runs/%s", id);
    http_reply_header(req, "Location", location);
    json_t *body = json_object();
    json_object_set_new(body, "id", json_string(id));
    json_object_set_new(body, "state", json_string("queued"));
    http_reply_json(req, 202, body);
}

int runs_split_body(const char *body, size_t len, unsigned max_json_depth, char **request,
                    size_t *request_len, char **callback_url, api_error *err)
{
    *request = NULL;
    *request_len = 0;
    *callback_url = NULL;
    json_t *root = NULL;
    if (!api_json_too_deep(body, len, max_json_depth))
        root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(root) && json_object_get(root, "callback_url")) {
        json_t *cb = json_object_get(root, "callback_url");
        if (json_is_string(cb)) {
            char why[128];
            if (callback_url_check(json_string_value(cb), why, sizeof why) < 0) {
                api_error_set(err, 422, "invalid_callback_url", "callback_url", "callback_url %s",
                              why);
                goto fail;
            }
            *callback_url = strdup(json_string_value(cb));
            if (!*callback_url)
                goto oom;
        } else if (!json_is_null(cb)) {
            api_error_set(err, 400, "wrong_type", "callback_url",
                          "callback_url must be a string (an http or https URL) or null");
            goto fail;
        }
        json_object_del(root, "callback_url");
        *request = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!*request)
            goto oom;
        *request_len = strlen(*request);
    } else {
        *request = malloc(len + 1);
        if (!*request)
            goto oom;
        if (len)
            memcpy(*request, body, len);
        (*request)[len] = '\0';
        *request_len = len;
    }
    json_decref(root);
    return 0;
oom:
    api_error_set(err, 500, "internal", NULL, "out of memory");
fail:
    json_decref(root);
    free(*request);
    free(*callback_url);
    *request = *callback_url = NULL;
    return -1;
}

void runs_submit(http_request *req)
{
    app *a = http_app(req);
    size_t len;
    const char *body = http_body(req, &len);
    http_log_set(req, "async", json_true());
    submit_work *w = calloc(1, sizeof *w);
    if (!w) {
        http_reply_errorf(req, 500, "internal", NULL, "out of memory");
        return;
    }
    /* callback_url is the only field /v1/run does not know: take it out,
     * then validate the rest exactly as a synchronous run. */
    api_error err = {0};
    if (runs_split_body(body, len, a->config->max_json_depth, &w->request, &w->len,
                        &w->callback_url, &err) < 0) {
        http_reply_error(req, &err);
        submit_work_free(w);
        return;
    }
    job_request job = {0};
    if (api_parse_run(w->request, w->len, a->config, a->langs, &job, &err) < 0) {
        http_reply_error(req, &err);
        submit_work_free(w);
        return;
    }
    http_log_set(req, "language", json_string(job.lang->id));
    http_log_set(req, "tests", json_integer((json_int_t)job.ntests));
    job_request_free(&job);
    if (http_defer(req, submit_run, w) < 0) {
        http_reply_header(req, "Retry-After", "5");
        http_reply_errorf(req, 503, "shutting_down", NULL, "the server is shutting down");
        submit_work_free(w);
    }
}

/* GET and DELETE: the id is checked here, the store is asked on an
 * executor. */
static bool id_from_path(http_request *req, char out[STORE_ID_LEN])
{
    const char *id = http_param(req, "id");
    if (!id || !store_id_valid(id)) {
        http_reply_errorf(req, 404, "not_found", "id", "no run with id '%.64s'", id ? id : "");
        return false;
    }
    snprintf(out, STORE_ID_LEN, "%s", id);
    return true;
}

static void get_run(http_request *req, void *cls)
{
    char *id = cls;
    app *a = http_app(req);
    store_job job;
    char error[1024];
    int rc = store_get(a->store, id, &job, error, sizeof error);
    if (rc < 0) {
        http_log_set(req, "cause", json_string(error));
        http_reply_header(req, "Retry-After", "5");
        http_reply_errorf(req, 503, "store_unavailable", NULL, "the store cannot be read: %s", error);
    } else if (rc == 0) {
        http_reply_errorf(req, 404, "not_found", "id",
                          "no run with id %s (never submitted, or its result expired)", id);
    } else {
        http_log_set(req, "state", json_string(store_state_name(job.state)));
        json_t *body = store_job_native_body(&job);
        store_job_free(&job);
        if (body)
            http_reply_json(req, 200, body);
        else
            http_reply_errorf(req, 500, "internal", NULL, "out of memory");
    }
    free(id);
}

static void cancel_run(http_request *req, void *cls)
{
    char *id = cls;
    app *a = http_app(req);
    store_state was = STORE_QUEUED;
    char error[1024];
    int rc = store_cancel(a->store, id, &was, error, sizeof error);
    if (rc < 0) {
        http_log_set(req, "cause", json_string(error));
        http_reply_header(req, "Retry-After", "5");
        http_reply_errorf(req, 503, "store_unavailable", NULL, "the run could not be cancelled: %s",
                          error);
    } else if (rc == 0) {
        http_reply_errorf(req, 404, "not_found", "id",
                          "no run with id %s (never submitted, or its result expired)", id);
    } else if (rc == 2) {
        http_reply_errorf(req, 409, "not_cancellable", "id", "run %s is already %s", id,
                          store_state_name(was));
    } else {
        json_t *body = json_object();
        json_object_set_new(body, "id", json_string(id));
        json_object_set_new(body, "state", json_string("cancelled"));
        json_object_set_new(body, "was", json_string(store_state_name(was)));
        http_reply_json(req, 200, body);
    }
    free(id);
}

static void defer_by_id(http_request *req, http_work work)
{
    char id[STORE_ID_LEN];
    if (!id_from_path(req, id))
        return;
    char *copy = strdup(id);
    if (!copy) {
        http_reply_errorf(req, 500, "internal", NULL, "out of memory");
        return;
    }
    if (http_defer(req, work, copy) < 0) {
        free(copy);
        http_reply_header(req, "Retry-After", "5");
        http_reply_errorf(req, 503, "shutting_down", NULL, "the server is shutting down");
    }
}

void runs_get(http_request *req)
{
    defer_by_id(req, get_run);
}

void runs_cancel(http_request *req)
{
    defer_by_id(req, cancel_run);
}
