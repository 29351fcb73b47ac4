/*
 * test_store_redis.c - the Redis job store (server/store/store_redis.c)
 * against a real redis-server this test starts on a free loopback port
 * (no persistence, a temporary directory) and stops by its PID: submit,
 * get, claim in order, finish, cancel when queued and when running (seen
 * by keep), delete, counts, a batch, a job taken over from a silent node
 * after the claim timeout, and expiry of results.  A missing redis-server
 * is a failure (make test-deps installs it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "store_engine.h"
#include "unit.h"

static char dir[] = "/tmp/judgebox-test-redis-XXXXXX";
static char err[1200];
static pid_t redis_pid = -1;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void stop_redis(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
        redis_pid = -1;
    }
}

/* Start redis-server; the store URL in url.  0, or -1. */
static int start_redis(char *url, size_t size)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = free_port();
        char portstr[16];
        snprintf(portstr, sizeof portstr, "%d", port);
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) {
                dup2(null, 1);
                dup2(null, 2);
            }
            execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", dir, (char *)NULL);
            _exit(127);
        }
        redis_pid = pid;
        snprintf(url, size, "redis://127.0.0.1:%d/3", port);
        for (int i = 0; i < 400; i++) {
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                redis_pid = -1;
                if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                    return -1;     /* not installed */
                break;             /* port taken? try another */
            }
            store_options o = {.url = url};
            store *s = NULL;
            if (store_open(&o, &s, err, sizeof err) == 0) {
                store_close(s);
                return 0;
            }
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        stop_redis();
    }
    return -1;
}

static store *open_url(const char *url, unsigned ttl, unsigned claim_timeout)
{
    store_options o = {.url = url, .result_ttl_s = ttl, .claim_timeout_s = claim_timeout};
    store *s = NULL;
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

static int state_of(store *s, const char *id)
{
    store_job j;
    int found = store_get(s, id, &j, err, sizeof err);
    if (found != 1)
        return -1;
    int st = (int)j.state;
    store_job_free(&j);
    return st;
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char url[128];
    if (start_redis(url, sizeof url) < 0) {
        printf("FAIL redis-server starts on a free loopback port (is it installed? make "
               "test-deps): %s\n", err);
        rmdir(dir);
        return 1;
    }
    /* Two handles: two nodes (each has its own consumer name). */
    store *s = open_url(url, 0, 1), *other = open_url(url, 0, 1);
    CHECK("open two nodes on one redis", s && other);
    if (!s || !other) {
        printf("# %s\n", err);
        stop_redis();
        return 1;
    }
    const char *v1[] = {"v1"}, *none[] = {"piston"};
    store_id a, b, c, unknown;
    store_new_id(unknown);
    CHECK("submit a", submit1(s, "v1", "{\"a\":1}", NULL, a) == 0);
    CHECK("submit b with callback", submit1(s, "v1", "{\"b\":\"\\u0000x\"}", "http://127.0.0.1:9/x", b) == 0);
    CHECK("submit c of another origin", submit1(s, "judge0", "{\"c\":3}", NULL, c) == 0);

    store_job j;
    CHECK("the other node reads a", store_get(other, a, &j, err, sizeof err) == 1);
    CHECK("a is queued with request and origin", j.state == STORE_QUEUED &&
              strcmp(j.request, "{\"a\":1}") == 0 && strcmp(j.origin, "v1") == 0 &&
              !j.callback_url && j.created_ms > 0);
    store_job_free(&j);
    CHECK("get b", store_get(s, b, &j, err, sizeof err) == 1);
    CHECK("b keeps its callback", j.callback_url && strcmp(j.callback_url, "http://127.0.0.1:9/x") == 0);
    store_job_free(&j);
    CHECK("unknown id: not found", store_get(s, unknown, &j, err, sizeof err) == 0);

    store_counts n;
    CHECK("count: 3 queued", store_count(s, &n, err, sizeof err) == 0 && n.queued == 3 &&
                                 n.running == 0 && n.done == 0);

    store_claim cl;
    CHECK("claim of an origin with no jobs: none",
          store_claim_job(s, none, 1, 100, &cl, err, sizeof err) == 0);
    CHECK("claim takes the oldest (a)", store_claim_job(s, v1, 1, 1000, &cl, err, sizeof err) == 1 &&
                                            strcmp(cl.job.id, a) == 0 && cl.attempts == 1);
    CHECK("a is running", state_of(other, a) == STORE_RUNNING);
    CHECK("count: 1 running, 2 queued", store_count(s, &n, err, sizeof err) == 0 &&
                                            n.running == 1 && n.queued == 2);
    CHECK("finish a", store_finish_job(s, &cl, STORE_DONE, "{\"verdict\":\"ok\"}", 16, err, sizeof err) == 1);
    store_job_free(&cl.job);
    CHECK("get a done", store_get(other, a, &j, err, sizeof err) == 1);
    CHECK("a is done with its result", j.state == STORE_DONE && j.result &&
                                           strcmp(j.result, "{\"verdict\":\"ok\"}") == 0 &&
                                           j.finished_ms >= j.started_ms && j.started_ms > 0);
    store_job_free(&j);

    store_state was;
    CHECK("cancel a done job: unchanged", store_cancel(s, a, &was, err, sizeof err) == 2 && was == STORE_DONE);
    CHECK("cancel queued c", store_cancel(other, c, &was, err, sizeof err) == 1 && was == STORE_QUEUED);
    CHECK("cancel c again: unchanged", store_cancel(s, c, &was, err, sizeof err) == 2 && was == STORE_CANCELLED);
    CHECK("cancel unknown: not found", store_cancel(s, unknown, &was, err, sizeof err) == 0);
    const char *j0[] = {"judge0"};
    CHECK("a cancelled queued job is never claimed",
          store_claim_job(s, j0, 1, 200, &cl, err, sizeof err) == 0);

    CHECK("claim b", store_claim_job(s, v1, 1, 1000, &cl, err, sizeof err) == 1 && strcmp(cl.job.id, b) == 0);
    CHECK("b's request is binary-safe", cl.job.request_len == strlen("{\"b\":\"\\u0000x\"}"));
    store_claim *pc = &cl;
    bool cancelled = true;
    CHECK("keep b: not cancelled", store_keep_jobs(s, &pc, 1, &cancelled, err, sizeof err) == 0 && !cancelled);
    CHECK("cancel running b from the other node", store_cancel(other, b, &was, err, sizeof err) == 1 &&
                                                      was == STORE_RUNNING);
    CHECK("keep b: cancelled", store_keep_jobs(s, &pc, 1, &cancelled, err, sizeof err) == 0 && cancelled);
    CHECK("finish of cancelled b writes nothing",
          store_finish_job(s, &cl, STORE_DONE, "{}", 2, err, sizeof err) == 0);
    CHECK("b stays cancelled", state_of(s, b) == STORE_CANCELLED);
    store_job_free(&cl.job);
    CHECK("count: 1 done, 2 cancelled, nothing queued or running",
          store_count(s, &n, err, sizeof err) == 0 && n.done == 1 && n.cancelled == 2 &&
              n.queued == 0 && n.running == 0);
    CHECK("delete c", store_delete(s, c, err, sizeof err) == 1 && state_of(s, c) == -1);
    CHECK("delete c again: not found", store_delete(s, c, err, sizeof err) == 0);
    CHECK("count after delete: 1 cancelled", store_count(s, &n, err, sizeof err) == 0 && n.cancelled == 1);

    /* A batch, then a node that claims and goes silent: the other node
     * takes its job over after the claim timeout (1 s). */
    store_submission subs[3];
    store_id ids[3];
    for (int i = 0; i < 3; i++)
        subs[i] = (store_submission){.origin = "v1", .request = "{}", .request_len = 2};
    CHECK("submit a batch of 3", store_submit(s, subs, 3, ids, err, sizeof err) == 0);
    CHECK("claim batch job 1 on node A", store_claim_job(s, v1, 1, 1000, &cl, err, sizeof err) == 1 &&
                                             strcmp(cl.job.id, ids[0]) == 0);
    store_claim silent = cl;
    store_claim taken = {0};
    int rc = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* Node B gets jobs 2 and 3 at once, and job 1 once A has been silent
     * for the claim timeout. */
    do {
        store_claim x;
        rc = store_claim_job(other, v1, 1, 200, &x, err, sizeof err);
        if (rc == 1 && strcmp(x.job.id, ids[0]) == 0) {
            taken = x;
            break;
        }
        if (rc == 1) {
            store_finish_job(other, &x, STORE_DONE, "{}", 2, err, sizeof err);
            store_job_free(&x.job);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 30);
    CHECK("a silent node's job is taken over, second attempt",
          taken.job.id[0] && taken.attempts == 2);
    CHECK("the silent node learns it lost the job (keep)", ({
              store_claim *p1 = &silent;
              bool lost = false;
              store_keep_jobs(s, &p1, 1, &lost, err, sizeof err) == 0 && lost;
          }));
    CHECK("the silent node's late finish writes nothing",
          store_finish_job(s, &silent, STORE_DONE, "{\"late\":1}", 10, err, sizeof err) == 0);
    CHECK("the new owner's finish is stored",
          taken.job.id[0] && store_finish_job(other, &taken, STORE_DONE, "{\"x\":1}", 7, err, sizeof err) == 1);
    CHECK("result is the new owner's", store_get(s, ids[0], &j, err, sizeof err) == 1 &&
                                           j.result && strcmp(j.result, "{\"x\":1}") == 0);
    store_job_free(&j);
    store_job_free(&silent.job);
    store_job_free(&taken.job);
    /* Redis loses everything (restarted without persistence): the
     * consumer groups are made again and new jobs flow. */
    {
        int port = atoi(strrchr(url, ':') + 1);
        redisContext *rc2 = redisConnect("127.0.0.1", port);
        redisReply *r1 = rc2 && !rc2->err ? redisCommand(rc2, "SELECT 3") : NULL;
        redisReply *r2 = r1 ? redisCommand(rc2, "FLUSHDB") : NULL;
        CHECK("flush the redis database", r2 && r2->type == REDIS_REPLY_STATUS);
        freeReplyObject(r1);
        freeReplyObject(r2);
        if (rc2)
            redisFree(rc2);
        store_id f;
        int got = 0;
        for (int i = 0; i < 5 && got != 1; i++) {
            if (i == 0)
                submit1(s, "v1", "{}", NULL, f);
            store_claim x;
            got = store_claim_job(other, v1, 1, 200, &x, err, sizeof err);
            if (got == 1) {
                CHECK("after a flush, the new job is claimed", strcmp(x.job.id, f) == 0);
                store_finish_job(other, &x, STORE_DONE, "{}", 2, err, sizeof err);
                store_job_free(&x.job);
            }
        }
        CHECK("after a flush, jobs flow again", got == 1);
    }
    store_close(other);
    store_close(s);

    /* Expiry: results with a 1 s time-to-live disappear. */
    s = open_url(url, 1, 1);
    if (s) {
        store_id t;
        submit1(s, "v1", "{}", NULL, t);
        store_claim_job(s, v1, 1, 1000, &cl, err, sizeof err);
        store_finish_job(s, &cl, STORE_DONE, "{}", 2, err, sizeof err);
        store_job_free(&cl.job);
        CHECK("fresh result is served", state_of(s, t) == STORE_DONE);
        clock_gettime(CLOCK_MONOTONIC, &start);
        int st;
        do {
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
            st = state_of(s, t);
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while (st != -1 && now.tv_sec - start.tv_sec < 20);
        CHECK("expired result is not found", st == -1);
        CHECK("sweep trims the finished sets", store_sweep(s, err, sizeof err) == 0 &&
                                                   store_count(s, &n, err, sizeof err) == 0 &&
                                                   n.done == 0);
        store_close(s);
    }
    stop_redis();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    UNIT_EXIT();
}
