/*
 * problems_http.c - /v1/problems.  Every handler defers to an executor:
 * unpacking, hashing and removing packages is disk work.  POST answers 201
 * with the stored problem's summary, or 200 with the same summary when
 * that content was stored already; a package that is refused is a 422
 * naming the entry (nothing stays on disk); an empty body is a 400.
 */
#include "problems_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problem_store.h"

uint64_t problems_max_body(const server_config *config)
{
    return config->max_problem_bytes;
}

static void post_work(http_request *req, void *cls)
{
    (void)cls;
    const server_config *c = http_app(req)->config;
    uint64_t len = 0;
    int fd = http_body_fd(req, &len);
    if (fd < 0 || len == 0) {
        http_reply_errorf(req, 400, "missing_body", NULL,
                          "send the package (tar, tar.gz or zip) as the request body");
        return;
    }
    package_limits limits = {c->max_problem_files, c->max_problem_unpacked_bytes};
    problem_meta m;
    char why[600] = "";
    int rc = problem_store_put(c->state_dir, fd, &limits, &m, why, sizeof why);
    if (rc == -1) {
        http_log_set(req, "cause", json_string(why));
        http_reply_errorf(req, 422, "bad_package", NULL, "package refused: %s", why);
        return;
    }
    if (rc < 0) {
        http_log_set(req, "cause", json_string(why));
        http_reply_errorf(req, 500, "internal", NULL, "store the package: %s", why);
        return;
    }
    http_log_set(req, "problem", json_string(m.id));
    json_t *body = json_deep_copy(m.summary);
    problem_meta_free(&m);
    if (!body) {
        http_reply_errorf(req, 500, "internal", NULL, "out of memory");
        return;
    }
    json_object_set_new(body, "created", json_boolean(rc == 0));
    http_reply_json(req, rc == 0 ? 201 : 200, body);
}

static void defer_or_503(http_request *req, http_work work)
{
    if (http_defer(req, work, NULL) < 0)
        http_reply_errorf(req, 503, "stopping", NULL, "the server is stopping");
}

void problems_post(http_request *req)
{
    defer_or_503(req, post_work);
}

static void list_work(http_request *req, void *cls)
{
    (void)cls;
    char why[512] = "";
    json_t *list = problem_store_list(http_app(req)->config->state_dir, why, sizeof why);
    if (!list) {
        http_reply_errorf(req, 500, "internal", NULL, "list problems: %s", why);
        return;
    }
    json_t *body = json_object();
    json_object_set_new(body, "problems", list);
    http_reply_json(req, 200, body);
}

void problems_list(http_request *req)
{
    defer_or_503(req, list_work);
}

static void get_work(http_request *req, void *cls)
{
    (void)cls;
    const char *id = http_param(req, "id");
    problem_meta m;
    char why[512] = "";
    int rc = problem_store_get(http_app(req)->config->state_dir, id, &m, why, sizeof why);
    if (rc == -1) {
        http_reply_errorf(req, 404, "not_found", NULL, "no problem %.80s", id);
        return;
    }
    if (rc < 0) {
        http_reply_errorf(req, 500, "internal", NULL, "load problem: %s", why);
        return;
    }
    json_t *body = json_deep_copy(m.summary);
    json_t *tests = json_array();
    for (size_t i = 0; i < m.ntests; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "id", json_string(m.tests[i].name));
        json_object_set_new(t, "sample", json_boolean(m.tests[i].sample));
        json_object_set_new(t, "bytes", json_integer((json_int_t)m.tests[i].bytes));
        json_array_append_new(tests, t);
    }
    json_object_set_new(body, "test_list", tests);
    problem_meta_free(&m);
    http_reply_json(req, 200, body);
}

void problems_get(http_request *req)
{
    defer_or_503(req, get_work);
}

static void delete_work(http_request *req, void *cls)
{
    (void)cls;
    const char *id = http_param(req, "id");
    char why[512] = "";
    int rc = problem_store_delete(http_app(req)->config->state_dir, id, why, sizeof why);
    if (rc == -1) {
        http_reply_errorf(req, 404, "not_found", NULL, "no problem %.80s", id);
        return;
    }
    if (rc < 0) {
        http_reply_errorf(req, 500, "internal", NULL, "delete problem: %s", why);
        return;
    }
    json_t *body = json_object();
    json_object_set_new(body, "id", json_string(id));
    json_object_set_new(body, "deleted", json_true());
    http_reply_json(req, 200, body);
}

void problems_delete(http_request *req)
{
    defer_or_503(req, delete_work);
}
