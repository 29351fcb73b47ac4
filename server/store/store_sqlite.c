/*
 * store_sqlite.c - the default job store: one SQLite file in WAL mode
 * with synchronous=FULL, so a submission's commit is on disk (the WAL
 * fsynced) before store_submit returns.  One connection per store, behind
 * one mutex; a dispatcher thread waiting for work sleeps on a condition
 * variable that submissions of this process signal, and polls for those
 * of other processes sharing the file.
 *
 * Several servers of one machine may share the file: a running job
 * records its owner ("pid:start time" of the server process), and a job
 * whose owner is no longer alive (killed, crashed) is queued again, at
 * start-up and at every sweep.  Each claim counts an attempt (the
 * dispatcher refuses a job claimed too often: see dispatch.c).
 */
#include "store_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>


typedef struct sqlite_engine {
    sqlite3 *db;
    pthread_mutex_t lock;
    pthread_cond_t submitted;
    char owner[64];               /* "pid:starttime" of this process */
} sqlite_engine;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS jobs("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " state INTEGER NOT NULL,"
    " origin TEXT NOT NULL,"
    " request BLOB NOT NULL,"
    " callback_url TEXT,"
    " result BLOB,"
    " owner TEXT,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL,"
    " started_ms INTEGER,"
    " finished_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, seq);"
    "CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs(finished_ms) WHERE state >= 2;"
    "CREATE TABLE IF NOT EXISTS opened(owner TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);";

static sqlite_engine *engine(store *s)
{
    return s->engine;
}

static int db_error(sqlite_engine *e, const char *what, char *error, size_t size)
{
    snprintf(error, size, "%s: %s", what, sqlite3_errmsg(e->db));
    return -1;
}

/* The ends of a write transaction, lock held.  tx_begin takes the write
 * lock before the first read (BEGIN IMMEDIATE); tx_commit finalizes the
 * last statement, then commits (on failure the caller still rolls back);
 * tx_rollback finalizes `st` (NULL is fine) and undoes the transaction. */
static int tx_begin(sqlite_engine *e, char *error, size_t size)
{
    if (sqlite3_exec(e->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(e, "begin", error, size);
    return 0;
}

static int tx_commit(sqlite_engine *e, sqlite3_stmt **st, const char *what, char *error, size_t size)
{
    sqlite3_finalize(*st);
    *st = NULL;
    if (sqlite3_exec(e->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(e, what, error, size);
    return 0;
}

static void tx_rollback(sqlite_engine *e, sqlite3_stmt *st)
{
    sqlite3_finalize(st);
    sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Field 22 of /proc/PID/stat: the process's start time in clock ticks,
 * which tells a live process from a later one with the same pid. */
static int process_start_time(pid_t pid, unsigned long long *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');      /* the command name may hold spaces */
    if (!p)
        return -1;
    p++;
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -1;
    }
    return sscanf(p, " %llu", out) == 1 ? 0 : -1;
}

static bool owner_alive(const char *owner)
{
    int pid;
    unsigned long long start, now;
    if (sscanf(owner, "%d:%llu", &pid, &start) != 2)
        return false;
    return process_start_time(pid, &now) == 0 && now == start;
}

static int exec_sql(sqlite_engine *e, const char *sql, const char *what, char *error, size_t size)
{
    char *msg = NULL;
    if (sqlite3_exec(e->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(error, size, "%s: %s", what, msg ? msg : sqlite3_errmsg(e->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Queue again the jobs left running by servers that are gone.  Lock held. */
static int requeue_orphans(sqlite_engine *e, char *error, size_t size)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(e->db, "SELECT DISTINCT owner FROM jobs WHERE state = 1", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(e, "find running jobs", error, size);
    char dead[16][64];
    int ndead = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && ndead < 16) {
        const char *owner = (const char *)sqlite3_column_text(st, 0);
        if (!owner || strcmp(owner, e->owner) == 0 || owner_alive(owner))
            continue;
        snprintf(dead[ndead++], sizeof dead[0], "%s", owner);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(e, "find running jobs", error, size);
    for (int i = 0; i < ndead; i++) {
        if (sqlite3_prepare_v2(e->db,
                               "UPDATE jobs SET state = 0, owner = NULL, started_ms = NULL "
                               "WHERE state = 1 AND owner = ?1", -1, &st, NULL) != SQLITE_OK)
            return db_error(e, "queue again the jobs of a dead server", error, size);
        sqlite3_bind_text(st, 1, dead[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return db_error(e, "queue again the jobs of a dead server", error, size);
        pthread_cond_broadcast(&e->submitted);
    }
    return 0;
}

static void engine_free(sqlite_engine *e)
{
    if (!e)
        return;
    if (e->db)
        sqlite3_close(e->db);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->submitted);
    free(e);
}

int store_sqlite_open(store *s, const char *path, char *error, size_t size)
{
    sqlite_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(error, size, "%s", strerror(errno));
        return -1;
    }
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->submitted, &ca);
    pthread_condattr_destroy(&ca);
    unsigned long long start = 0;
    if (process_start_time(getpid(), &start) < 0) {
        snprintf(error, size, "read /proc/self/stat: %s", strerror(errno));
        engine_free(e);
        return -1;
    }
    snprintf(e->owner, sizeof e->owner, "%d:%llu", (int)getpid(), start);

    int rc = sqlite3_open_v2(path, &e->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(error, size, "open: %s", e->db ? sqlite3_errmsg(e->db) : sqlite3_errstr(rc));
        engine_free(e);
        return -1;
    }
    sqlite3_extended_result_codes(e->db, 1);
    sqlite3_busy_timeout(e->db, 10000);
    if (sqlite3_db_readonly(e->db, "main") == 1) {
        snprintf(error, size, "the database file is read-only (submissions could not be stored)");
        engine_free(e);
        return -1;
    }
    /* journal_mode answers with the mode it is in: anything but "wal"
     * means it could not switch (a read-only directory, say). */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(e->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK) {
        db_error(e, "set WAL mode", error, size);
        engine_free(e);
        return -1;
    }
    rc = sqlite3_step(st);
    const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    bool wal = mode && strcmp(mode, "wal") == 0;
    sqlite3_finalize(st);
    if (!wal) {
        if (rc == SQLITE_ROW)
            snprintf(error, size, "set WAL mode: the database stays in %s mode", mode ? mode : "?");
        else
            db_error(e, "set WAL mode", error, size);
        engine_free(e);
        return -1;
    }
    if (exec_sql(e, "PRAGMA synchronous=FULL", "set synchronous=FULL", error, size) < 0) {
        engine_free(e);
        return -1;
    }
    /* A damaged file is refused now rather than losing jobs later. */
    if (sqlite3_prepare_v2(e->db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
        db_error(e, "check the database", error, size);
        engine_free(e);
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        if (rc == SQLITE_ROW) {
            /* quick_check's report spans lines: one line for the log. */
            char what[400];
            snprintf(what, sizeof what, "%s", (const char *)sqlite3_column_text(st, 0));
            for (char *p = what; *p; p++)
                if (*p == '\n' || *p == '\r')
                    *p = ' ';
            snprintf(error, size, "the database is corrupt (%s); move it away to start with an "
                                  "empty store, or repair it with sqlite3 .recover", what);
        } else {
            db_error(e, "check the database", error, size);
        }
        sqlite3_finalize(st);
        engine_free(e);
        return -1;
    }
    sqlite3_finalize(st);
    /* Create the schema and write one row: proves the file, its directory
     * and the disk take writes before anything is acknowledged. */
    char *probe = sqlite3_mprintf("BEGIN IMMEDIATE; %s"
                                  "DELETE FROM opened WHERE at_ms < %lld;"
                                  "INSERT OR REPLACE INTO opened VALUES (%Q, %lld); COMMIT;",
                                  schema, (long long)(store_now_ms() - 86400000LL), e->owner,
                                  (long long)store_now_ms());
    if (!probe || exec_sql(e, probe, "write to the database", error, size) < 0) {
        if (!probe)
            snprintf(error, size, "out of memory");
        sqlite3_free(probe);
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
        engine_free(e);
        return -1;
    }
    sqlite3_free(probe);
    if (requeue_orphans(e, error, size) < 0) {
        engine_free(e);
        return -1;
    }
    s->engine = e;
    return 0;
}

static void sqlite_close(store *s)
{
    engine_free(engine(s));
    s->engine = NULL;
}

static int sqlite_submit(store *s, const store_submission *subs, size_t n, store_id *ids,
                         int64_t now, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    pthread_mutex_lock(&e->lock);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (tx_begin(e, error, size) < 0)
        goto out;
    if (sqlite3_prepare_v2(e->db,
                           "INSERT INTO jobs(id, state, origin, request, callback_url, created_ms) "
                           "VALUES (?1, 0, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK) {
        db_error(e, "store the submission", error, size);
        goto rollback;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, subs[i].origin, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 3, subs[i].request, subs[i].request_len, SQLITE_STATIC);
        if (subs[i].callback_url && *subs[i].callback_url)
            sqlite3_bind_text(st, 4, subs[i].callback_url, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_int64(st, 5, now);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_error(e, "store the submission", error, size);
            goto rollback;
        }
    }
    if (tx_commit(e, &st, "commit the submission", error, size) < 0)
        goto rollback;
    pthread_cond_broadcast(&e->submitted);
    rc = 0;
    goto out;
rollback:
    tx_rollback(e, st);
out:
    pthread_mutex_unlock(&e->lock);
    return rc;
}

static char *column_dup(sqlite3_stmt *st, int col, size_t *len)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    if (n)
        memcpy(out, p, n);
    out[n] = '\0';
    if (len)
        *len = n;
    return out;
}

#define JOB_COLUMNS "id, state, origin, request, callback_url, result, created_ms, " \
                    "started_ms, finished_ms, attempts"

static int read_job(sqlite3_stmt *st, store_job *out, unsigned *attempts)
{
    snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(st, 0));
    out->state = (store_state)sqlite3_column_int(st, 1);
    out->origin = column_dup(st, 2, NULL);
    out->request = column_dup(st, 3, &out->request_len);
    out->callback_url = column_dup(st, 4, NULL);
    out->result = column_dup(st, 5, &out->result_len);
    out->created_ms = sqlite3_column_int64(st, 6);
    out->started_ms = sqlite3_column_int64(st, 7);
    out->finished_ms = sqlite3_column_int64(st, 8);
    if (attempts)
        *attempts = (unsigned)sqlite3_column_int(st, 9);
    if (!out->origin || !out->request ||
        (sqlite3_column_type(st, 4) != SQLITE_NULL && !out->callback_url) ||
        (sqlite3_column_type(st, 5) != SQLITE_NULL && !out->result)) {
        store_job_free(out);
        return -1;
    }
    return 0;
}

/* The end of a query for job ?1 while it is visible: unfinished, or
 * finished less than the result TTL ago. */
#define VISIBLE_JOB " FROM jobs WHERE id = ?1 AND (state < 2 OR finished_ms >= ?2)"

/* Prepares `sql` (a SELECT ending in VISIBLE_JOB) for job `id` and steps
 * once: SQLITE_ROW, SQLITE_DONE (no such job), or -1 with "read the job:
 * why" in error.  *st is to be finalized in every case (NULL is fine).
 * Lock held. */
static int select_visible_job(store *s, const char *sql, const char *id, sqlite3_stmt **st,
                              char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    if (sqlite3_prepare_v2(e->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(e, "read the job", error, size);
    sqlite3_bind_text(*st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(*st, 2, store_now_ms() - (int64_t)s->ttl_s * 1000);
    int step = sqlite3_step(*st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_error(e, "read the job", error, size);
    return step;
}

static int sqlite_get(store *s, const char *id, store_job *out, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    pthread_mutex_lock(&e->lock);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    int step = select_visible_job(s, "SELECT " JOB_COLUMNS VISIBLE_JOB, id, &st, error, size);
    if (step == SQLITE_ROW) {
        rc = read_job(st, out, NULL) < 0 ? -1 : 1;
        if (rc < 0)
            snprintf(error, size, "read the job: out of memory");
    } else if (step == SQLITE_DONE) {
        rc = 0;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

static int sqlite_cancel(store *s, const char *id, store_state *was, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    pthread_mutex_lock(&e->lock);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (tx_begin(e, error, size) < 0)
        goto out;
    int step = select_visible_job(s, "SELECT state" VISIBLE_JOB, id, &st, error, size);
    if (step < 0)
        goto rollback;
    if (step == SQLITE_DONE) {
        rc = 0;
        goto rollback;
    }
    *was = (store_state)sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (*was >= STORE_DONE) {
        rc = 2;
        goto rollback;
    }
    if (sqlite3_prepare_v2(e->db, "UPDATE jobs SET state = 3, finished_ms = ?2, owner = NULL "
                                  "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
        db_error(e, "cancel the job", error, size);
        goto rollback;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_error(e, "cancel the job", error, size);
        goto rollback;
    }
    if (tx_commit(e, &st, "commit the cancellation", error, size) < 0)
        goto rollback;
    rc = 1;
    goto out;
rollback:
    tx_rollback(e, st);
out:
    pthread_mutex_unlock(&e->lock);
    return rc;
}

static int sqlite_del(store *s, const char *id, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    pthread_mutex_lock(&e->lock);
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(e->db, "DELETE FROM jobs WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
        db_error(e, "delete the job", error, size);
    } else {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = sqlite3_changes(e->db) > 0 ? 1 : 0;
        else
            db_error(e, "delete the job", error, size);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

/* Two indexed queries: unfinished jobs by state, finished ones by their
 * finish time (so a day of results is not scanned for the queue length). */
static int sqlite_count(store *s, store_counts *out, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    static const char *const queries[] = {
        "SELECT state, COUNT(*) FROM jobs WHERE state < 2 GROUP BY state",
        "SELECT state, COUNT(*) FROM jobs WHERE state >= 2 AND finished_ms >= ?1 GROUP BY state",
    };
    pthread_mutex_lock(&e->lock);
    int rc = 0;
    for (size_t q = 0; q < 2 && rc == 0; q++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(e->db, queries[q], -1, &st, NULL) != SQLITE_OK) {
            rc = db_error(e, "count jobs", error, size);
            break;
        }
        if (q == 1)
            sqlite3_bind_int64(st, 1, store_now_ms() - (int64_t)s->ttl_s * 1000);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
            switch (sqlite3_column_int(st, 0)) {
            case STORE_QUEUED: out->queued = n; break;
            case STORE_RUNNING: out->running = n; break;
            case STORE_DONE: out->done = n; break;
            case STORE_CANCELLED: out->cancelled = n; break;
            }
        }
        if (step != SQLITE_DONE)
            rc = db_error(e, "count jobs", error, size);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

/* One claim attempt.  Lock held.  1 claimed, 0 none queued, -1 error. */
static int claim_once(store *s, const char *origin_list, store_claim *out, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    char *sql = sqlite3_mprintf(
        "UPDATE jobs SET state = 1, owner = %Q, started_ms = ?1, attempts = attempts + 1 "
        "WHERE seq = (SELECT seq FROM jobs WHERE state = 0 AND origin IN (%s) ORDER BY seq LIMIT 1) "
        "RETURNING " JOB_COLUMNS, e->owner, origin_list);
    if (!sql) {
        snprintf(error, size, "claim a job: out of memory");
        return -1;
    }
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(e->db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return db_error(e, "claim a job", error, size);
    sqlite3_bind_int64(st, 1, store_now_ms());
    int step = sqlite3_step(st);
    rc = -1;
    if (step == SQLITE_ROW) {
        rc = read_job(st, &out->job, &out->attempts) < 0 ? -1 : 1;
        if (rc < 0)
            snprintf(error, size, "claim a job: out of memory");
        step = sqlite3_step(st);
    } else if (step == SQLITE_DONE) {
        rc = 0;
    }
    if (step != SQLITE_DONE) {
        if (rc == 1)
            store_job_free(&out->job);
        rc = db_error(e, "claim a job", error, size);
    }
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_claim(store *s, const char *const *origins, size_t norigins, unsigned wait_ms,
                        store_claim *out, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    char list[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < norigins; i++) {
        char *q = sqlite3_mprintf("%s%Q", i ? ", " : "", origins[i]);
        if (!q || used + strlen(q) >= sizeof list) {
            sqlite3_free(q);
            snprintf(error, size, "claim a job: too many origins");
            return -1;
        }
        memcpy(list + used, q, strlen(q) + 1);
        used += strlen(q);
        sqlite3_free(q);
    }
    if (!norigins)
        return 0;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->lock);
    /* A claim need not wait for the disk: lost in a power cut, the job is
     * still queued and runs, which is what a lost "running" means anyway
     * (a killed process loses nothing: the write is in the page cache). */
    sqlite3_exec(e->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int rc;
    for (;;) {
        rc = claim_once(s, list, out, error, size);
        if (rc != 0)
            break;
        if (pthread_cond_timedwait(&e->submitted, &e->lock, &deadline) == ETIMEDOUT) {
            rc = claim_once(s, list, out, error, size);
            break;
        }
    }
    sqlite3_exec(e->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

static int sqlite_finish(store *s, store_claim *claim, store_state state, const char *result,
                         size_t len, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    pthread_mutex_lock(&e->lock);
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(e->db, "UPDATE jobs SET state = ?2, result = ?3, finished_ms = ?4, "
                                  "owner = NULL WHERE id = ?1 AND state = 1", -1, &st, NULL) != SQLITE_OK) {
        db_error(e, "store the result", error, size);
        goto out;
    }
    sqlite3_bind_text(st, 1, claim->job.id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)state);
    if (result)
        sqlite3_bind_blob64(st, 3, result, len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, store_now_ms());
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = sqlite3_changes(e->db) > 0 ? 1 : 0;
    else
        db_error(e, "store the result", error, size);
    sqlite3_finalize(st);
out:
    pthread_mutex_unlock(&e->lock);
    return rc;
}

static int sqlite_keep(store *s, store_claim *const *claims, size_t n, bool *cancelled, char *error,
                       size_t size)
{
    sqlite_engine *e = engine(s);
    pthread_mutex_lock(&e->lock);
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(e->db, "SELECT state FROM jobs WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(e, "check running jobs", error, size);
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, claims[i]->job.id, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            cancelled[i] = sqlite3_column_int(st, 0) != STORE_RUNNING;
        else if (step == SQLITE_DONE)
            cancelled[i] = true;             /* deleted */
        else
            rc = db_error(e, "check running jobs", error, size);
    }
    sqlite3_finalize(st);
out:
    pthread_mutex_unlock(&e->lock);
    return rc;
}

static int sqlite_sweep(store *s, char *error, size_t size)
{
    sqlite_engine *e = engine(s);
    pthread_mutex_lock(&e->lock);
    int rc = requeue_orphans(e, error, size);
    if (rc == 0) {
        char *sql = sqlite3_mprintf("DELETE FROM jobs WHERE state >= 2 AND finished_ms < %lld",
                                    (long long)(store_now_ms() - (int64_t)s->ttl_s * 1000));
        rc = sql ? exec_sql(e, sql, "forget expired results", error, size) : -1;
        sqlite3_free(sql);
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

const store_ops store_sqlite_ops = {
    .name = "sqlite",
    .submit = sqlite_submit,
    .get = sqlite_get,
    .cancel = sqlite_cancel,
    .del = sqlite_del,
    .count = sqlite_count,
    .claim = sqlite_claim,
    .finish = sqlite_finish,
    .keep = sqlite_keep,
    .sweep = sqlite_sweep,
    .close = sqlite_close,
};
