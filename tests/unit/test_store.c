/*
 * test_store.c - the SQLite job store (server/store/store_sqlite.c) in a
 * temporary directory: ids, URL errors, submit/get/claim/finish in order,
 * cancel in each state, delete, counts, a dead server's job queued again
 * (and its attempts counted), results kept across reopening, expiry, and
 * the clear start-up errors for a file that is not a database and one that
 * is damaged.  The Redis engine and the HTTP side are tested black-box in
 * tests/suites/41-async.sh.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_engine.h"
#include "unit.h"

static char dir[] = "/tmp/judgebox-test-store-XXXXXX";
static char err[1200];

static store *open_at(const char *file, unsigned ttl)
{
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s/%s", dir, file);
    store_options o = {.url = url, .result_ttl_s = ttl};
    store *s = NULL;
    err[0] = '\0';
    if (store_open(&o, &s, err, sizeof err) < 0)
        return NULL;
    return s;
}

static int submit1(store *s, const char *origin, const char *req, const char *cb, store_id id)
{
    store_submission sub = {.origin = origin, .request = req, .request_len = strlen(req),
                            .callback_url = cb};
    store_id ids[1];
    int rc = store_submit(s, &sub, 1, ids, err, sizeof err);
    memcpy(id, ids[0], sizeof ids[0]);
    return rc;
}

static store_state state_of(store *s, const char *id, int *found)
{
    store_job j;
    *found = store_get(s, id, &j, err, sizeof err);
    store_state st = j.state;
    if (*found == 1)
        store_job_free(&j);
    return st;
}

static void set_owner_dead(const char *file, const char *id)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    sqlite3 *db;
    sqlite3_open(path, &db);
    char *sql = sqlite3_mprintf("UPDATE jobs SET owner = '1:0' WHERE id = %Q", id);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    sqlite3_close(db);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    store_id id;
    CHECK("new id is valid", store_new_id(id) == 0 && store_id_valid(id));
    CHECK("id is a version 4 UUID", id[14] == '4' && strchr("89ab", id[19]));
    CHECK("upper case id is not valid", !store_id_valid("0123ABCD-0123-4123-8123-0123456789ab"));
    CHECK("short id is not valid", !store_id_valid("0123abcd-0123"));
    CHECK("NULL id is not valid", !store_id_valid(NULL));

    store *bad = NULL;
    store_options o = {.url = "mysql://x"};
    CHECK("unknown store scheme refused", store_open(&o, &bad, err, sizeof err) < 0 &&
                                              strstr(err, "want sqlite:PATH or redis://"));
    o.url = "redis://host:99999";
    CHECK("redis URL with a bad port refused", store_open(&o, &bad, err, sizeof err) < 0 &&
                                                   strstr(err, "HOST:PORT"));
    o.url = "sqlite:";
    CHECK("sqlite URL without a path refused", store_open(&o, &bad, err, sizeof err) < 0);

    store *s = open_at("jobs.db", 0);
    CHECK("open a new store", s != NULL);
    if (!s) {
        printf("FAIL store open: %s\n", err);
        return 1;
    }
    CHECK("result ttl defaults to 24 h", store_result_ttl(s) == 86400);

    store_id a, b, c;
    CHECK("submit a", submit1(s, "v1", "{\"a\":1}", NULL, a) == 0);
    CHECK("submit b with callback", submit1(s, "v1", "{\"b\":2}", "http://127.0.0.1:9/x", b) == 0);
    CHECK("submit c of another origin", submit1(s, "judge0", "{\"c\":3}", "", c) == 0);
    CHECK("ids differ", strcmp(a, b) != 0 && strcmp(b, c) != 0);

    store_job j;
    CHECK("get a", store_get(s, a, &j, err, sizeof err) == 1);
    CHECK("a is queued with its request and origin",
          j.state == STORE_QUEUED && j.request_len == 7 && strcmp(j.request, "{\"a\":1}") == 0 &&
              strcmp(j.origin, "v1") == 0 && !j.callback_url && !j.result && j.created_ms > 0);
    store_job_free(&j);
    CHECK("get b", store_get(s, b, &j, err, sizeof err) == 1);
    CHECK("b keeps its callback", j.callback_url && strcmp(j.callback_url, "http://127.0.0.1:9/x") == 0);
    store_job_free(&j);
    store_id unknown;
    store_new_id(unknown);
    CHECK("unknown id: not found", store_get(s, unknown, &j, err, sizeof err) == 0);
    CHECK("malformed id: not found", store_get(s, "../../etc", &j, err, sizeof err) == 0);

    const char *v1[] = {"v1"}, *none[] = {"piston"};
    store_claim cl;
    CHECK("claim of an origin with no jobs: none", store_claim_job(s, none, 1, 0, &cl, err, sizeof err) == 0);
    CHECK("claim takes the oldest (a)", store_claim_job(s, v1, 1, 0, &cl, err, sizeof err) == 1 &&
                                            strcmp(cl.job.id, a) == 0 && cl.attempts == 1);
    int found;
    CHECK("a is running", state_of(s, a, &found) == STORE_RUNNING && found == 1);
    CHECK("finish a", store_finish_job(s, &cl, STORE_DONE, "{\"verdict\":\"ok\"}", 16, err, sizeof err) == 1);
    CHECK("finish a again writes nothing",
          store_finish_job(s, &cl, STORE_DONE, "{}", 2, err, sizeof err) == 0);
    store_job_free(&cl.job);
    CHECK("get a done", store_get(s, a, &j, err, sizeof err) == 1);
    CHECK("a is done with its result", j.state == STORE_DONE && j.result &&
                                           strcmp(j.result, "{\"verdict\":\"ok\"}") == 0 &&
                                           j.finished_ms >= j.started_ms && j.started_ms > 0);
    store_job_free(&j);

    store_state was;
    CHECK("cancel a done job: unchanged", store_cancel(s, a, &was, err, sizeof err) == 2 && was == STORE_DONE);
    CHECK("cancel queued c", store_cancel(s, c, &was, err, sizeof err) == 1 && was == STORE_QUEUED);
    CHECK("c is cancelled", state_of(s, c, &found) == STORE_CANCELLED);
    CHECK("cancel c again: unchanged", store_cancel(s, c, &was, err, sizeof err) == 2 && was == STORE_CANCELLED);
    CHECK("cancel unknown: not found", store_cancel(s, unknown, &was, err, sizeof err) == 0);

    CHECK("claim b", store_claim_job(s, v1, 1, 0, &cl, err, sizeof err) == 1 && strcmp(cl.job.id, b) == 0);
    store_claim *pc = &cl;
    bool cancelled = true;
    CHECK("keep b: not cancelled", store_keep_jobs(s, &pc, 1, &cancelled, err, sizeof err) == 0 && !cancelled);
    CHECK("cancel running b", store_cancel(s, b, &was, err, sizeof err) == 1 && was == STORE_RUNNING);
    CHECK("keep b: cancelled", store_keep_jobs(s, &pc, 1, &cancelled, err, sizeof err) == 0 && cancelled);
    CHECK("finish of cancelled b writes nothing",
          store_finish_job(s, &cl, STORE_DONE, "{}", 2, err, sizeof err) == 0);
    CHECK("b stays cancelled", state_of(s, b, &found) == STORE_CANCELLED);
    store_job_free(&cl.job);

    store_counts n;
    CHECK("counts", store_count(s, &n, err, sizeof err) == 0 && n.done == 1 && n.cancelled == 2 &&
                        n.queued == 0 && n.running == 0);
    CHECK("delete c", store_delete(s, c, err, sizeof err) == 1);
    CHECK("c is gone", state_of(s, c, &found) == 0 && found == 0);
    CHECK("delete c again: not found", store_delete(s, c, err, sizeof err) == 0);

    /* A batch is all or nothing, in order. */
    store_submission subs[3];
    store_id ids[3];
    for (int i = 0; i < 3; i++)
        subs[i] = (store_submission){.origin = "v1", .request = "{}", .request_len = 2};
    CHECK("submit a batch of 3", store_submit(s, subs, 3, ids, err, sizeof err) == 0);
    store_job many[3];
    bool got[3];
    CHECK("get_many", store_get_many(s, (const char *const[]){ids[0], unknown, ids[2]}, 3, many,
                                     got, err, sizeof err) == 0);
    CHECK("get_many marks the missing one", got[0] && !got[1] && got[2] &&
                                                strcmp(many[2].id, ids[2]) == 0);
    for (int i = 0; i < 3; i++)
        if (got[i])
            store_job_free(&many[i]);

    /* A job whose server died is queued again and counts an attempt. */
    CHECK("claim a batch job", store_claim_job(s, v1, 1, 0, &cl, err, sizeof err) == 1 &&
                                   strcmp(cl.job.id, ids[0]) == 0);
    store_job_free(&cl.job);
    set_owner_dead("jobs.db", ids[0]);
    CHECK("sweep", store_sweep(s, err, sizeof err) == 0);
    CHECK("dead server's job is queued again", state_of(s, ids[0], &found) == STORE_QUEUED);
    CHECK("claimed again, second attempt", store_claim_job(s, v1, 1, 0, &cl, err, sizeof err) == 1 &&
                                               strcmp(cl.job.id, ids[0]) == 0 && cl.attempts == 2);
    store_job_free(&cl.job);
    CHECK("a live server's job stays running", store_sweep(s, err, sizeof err) == 0 &&
                                                   state_of(s, ids[0], &found) == STORE_RUNNING);
    store_close(s);

    /* Reopen: finished results are still served; this process's running
     * job is its own (alive), so it stays running. */
    s = open_at("jobs.db", 0);
    CHECK("reopen", s != NULL);
    CHECK("a still done after reopen", s && state_of(s, a, &found) == STORE_DONE);
    store_close(s);

    /* Expiry: a 1 s time-to-live. */
    s = open_at("ttl.db", 1);
    CHECK("open with ttl 1 s", s != NULL && store_result_ttl(s) == 1);
    if (s) {
        store_id t;
        submit1(s, "v1", "{}", NULL, t);
        store_claim_job(s, v1, 1, 0, &cl, err, sizeof err);
        store_finish_job(s, &cl, STORE_DONE, "{}", 2, err, sizeof err);
        store_job_free(&cl.job);
        CHECK("fresh result is served", state_of(s, t, &found) == STORE_DONE);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
            state_of(s, t, &found);
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while (found == 1 && now.tv_sec - start.tv_sec < 20);
        CHECK("expired result is not found", found == 0);
        CHECK("sweep forgets expired rows", store_sweep(s, err, sizeof err) == 0);
        store_close(s);
    }

    /* Start-up errors. */
    char path[600];
    snprintf(path, sizeof path, "%s/garbage.db", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < 1000; i++)
        fputs("this is not a database ", f);
    if (f)
        fclose(f);
    s = open_at("garbage.db", 0);
    CHECK("a file that is not a database is refused", !s && strstr(err, "not a database") &&
                                                          strstr(err, "garbage.db"));
    store_close(s);
    /* A valid database with a damaged page in the middle. */
    s = open_at("damaged.db", 0);
    if (s) {
        for (int i = 0; i < 200; i++)
            submit1(s, "v1", "{\"padding\":\"................................................................................................................\"}", NULL, id);
        store_close(s);
    }
    char wal[620];
    snprintf(path, sizeof path, "%s/damaged.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    /* Fold the WAL into the file first, then damage the file. */
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    int fd = open(path, O_WRONLY);
    char junk[4096];
    memset(junk, 0x5a, sizeof junk);
    bool damaged = fd >= 0 && pwrite(fd, junk, sizeof junk, 8192) == (ssize_t)sizeof junk;
    if (fd >= 0)
        close(fd);
    s = open_at("damaged.db", 0);
    CHECK("a damaged database is refused", damaged && !s &&
                                               (strstr(err, "corrupt") || strstr(err, "malformed")));
    if (s && damaged)
        printf("# opened a damaged database: %s\n", err);
    store_close(s);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    UNIT_EXIT();
}
