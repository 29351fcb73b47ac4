/*
 * judge0_info.c - Judge0's read-only endpoints: languages, statuses,
 * about, version, config_info, workers, system_info and statistics.  They
 * answer on libmicrohttpd's thread (nothing here blocks: /proc reads and
 * in-memory counters).  /statistics counts what this server took in since
 * it started (Judge0 counts its database; judgebox has none for
 * synchronous runs).
 */
#include "compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "compat_util.h"
#include "judge0.h"
#include "queue.h"

/* ---- counters for /statistics (process-wide, since start) ---- */

#define MAX_COUNTED_ID 1100
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t by_language[MAX_COUNTED_ID], by_status[15], total_submissions;
static uint64_t day_counts[30];
static int64_t day_of[30];         /* the day (Unix days) day_counts[i] is for */

void judge0_count_submission(int language_id)
{
    int64_t day = compat_now_ms() / 86400000;
    pthread_mutex_lock(&count_lock);
    total_submissions++;
    if (language_id > 0 && language_id < MAX_COUNTED_ID)
        by_language[language_id]++;
    size_t slot = (size_t)(day % 30);
    if (day_of[slot] != day) {
        day_of[slot] = day;
        day_counts[slot] = 0;
    }
    day_counts[slot]++;
    pthread_mutex_unlock(&count_lock);
}

void judge0_count_status(int status_id)
{
    pthread_mutex_lock(&count_lock);
    if (status_id >= 1 && status_id <= 14)
        by_status[status_id]++;
    pthread_mutex_unlock(&count_lock);
}

/* ---- languages and statuses ---- */

static void reply_body(http_request *req, json_t *body)
{
    if (body)
        http_reply_json(req, 200, body);
    else
        http_reply_errorf(req, 500, "internal", NULL, "out of memory building the response");
}

void judge0_languages(http_request *req)
{
    reply_body(req, judge0_languages_body(http_app(req)->langs));
}

void judge0_languages_all(http_request *req)
{
    reply_body(req, judge0_languages_all_body(http_app(req)->langs));
}

void judge0_language_show(http_request *req)
{
    const char *id = http_param(req, "id");
    char *end;
    long n = strtol(id, &end, 10);
    judge0_language l;
    if (*end || end == id || n <= 0 || n > 100000 ||
        !judge0_language_find(http_app(req)->langs, (int)n, &l)) {
        json_t *b = json_object();
        json_object_set_new(b, "status", json_integer(404));
        json_object_set_new(b, "error", json_string("Not Found"));
        http_reply_json(req, 404, b);
        return;
    }
    reply_body(req, judge0_language_body(&l));
}

void judge0_statuses(http_request *req)
{
    reply_body(req, judge0_statuses_body());
}

/* ---- about, version, config ---- */

#define JUDGE0_API_VERSION "1.13.1"

void judge0_about(http_request *req)
{
    json_t *b = json_object();
    json_object_set_new(b, "version", json_string(JUDGE0_API_VERSION));
    json_object_set_new(b, "homepage", json_string("https://github.com/judgebox/judgebox"));
    json_object_set_new(b, "source_code", json_string("https://github.com/judgebox/judgebox"));
    json_object_set_new(b, "maintainer", json_string("judgebox (Judge0 CE 1.13.1 compatible API)"));
    reply_body(req, b);
}

void judge0_version(http_request *req)
{
    /* Plain text, as Judge0 sends it. */
    static const char version[] = JUDGE0_API_VERSION;
    http_reply_raw(req, 200, "text/plain", version, sizeof version - 1, NULL);
}

void judge0_config_info(http_request *req)
{
    reply_body(req, judge0_config_info_body());
}

/* ---- workers, system info, statistics ---- */

void judge0_workers(http_request *req)
{
    pool_stats st;
    pool_get_stats(http_app(req)->pool, &st);
    json_t *w = json_object();
    json_object_set_new(w, "queue", json_string(JUDGE0_API_VERSION));
    json_object_set_new(w, "size", json_integer(st.queued));
    json_object_set_new(w, "available", json_integer(st.workers));
    json_object_set_new(w, "idle", json_integer(st.workers - st.busy));
    json_object_set_new(w, "working", json_integer(st.busy));
    json_object_set_new(w, "paused", json_integer(0));
    json_object_set_new(w, "failed", json_integer(0));
    json_t *arr = json_array();
    json_array_append_new(arr, w);
    reply_body(req, arr);
}

/* The value of "key : value" lines in a /proc file. */
static void proc_value(const char *path, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[512];
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) != 0)
            continue;
        char *colon = strchr(line + kl, ':');
        if (!colon)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, size, "%s", v);
        break;
    }
    fclose(f);
}

void judge0_system_info(http_request *req)
{
    /* Judge0 shows `lscpu` and `free -h`; the same keys from /proc. */
    json_t *b = json_object();
    struct utsname u;
    if (uname(&u) == 0)
        json_object_set_new(b, "Architecture", json_string(u.machine));
    char v[256];
    snprintf(v, sizeof v, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    json_object_set_new(b, "CPU(s)", json_string(v));
    proc_value("/proc/cpuinfo", "model name", v, sizeof v);
    if (v[0])
        json_object_set_new(b, "Model name", json_string(v));
    proc_value("/proc/cpuinfo", "vendor_id", v, sizeof v);
    if (v[0])
        json_object_set_new(b, "Vendor ID", json_string(v));
    proc_value("/proc/meminfo", "MemTotal", v, sizeof v);
    if (v[0])
        json_object_set_new(b, "Mem", json_string(v));
    proc_value("/proc/meminfo", "SwapTotal", v, sizeof v);
    if (v[0])
        json_object_set_new(b, "Swap", json_string(v));
    reply_body(req, b);
}

void judge0_statistics(http_request *req)
{
    const language_table *langs = http_app(req)->langs;
    int64_t now = compat_now_ms(), today = now / 86400000;
    char ts[48];
    compat_iso8601(ts, sizeof ts, now);
    json_t *b = json_object();
    json_object_set_new(b, "now", json_string(ts));
    pthread_mutex_lock(&count_lock);
    json_t *subs = json_object();
    json_object_set_new(subs, "total", json_integer((json_int_t)total_submissions));
    size_t slot = (size_t)(today % 30);
    json_object_set_new(subs, "today",
                        json_integer(day_of[slot] == today ? (json_int_t)day_counts[slot] : 0));
    json_t *days = json_object();
    for (int64_t d = today - 29; d <= today; d++) {
        size_t s = (size_t)(d % 30);
        char date[16];
        compat_iso8601(ts, sizeof ts, d * 86400000);
        snprintf(date, sizeof date, "%.10s", ts);
        json_object_set_new(days, date, json_integer(day_of[s] == d ? (json_int_t)day_counts[s] : 0));
    }
    json_object_set_new(subs, "last_30_days", days);
    json_object_set_new(b, "submissions", subs);
    json_t *ls = json_array();
    for (int id = 1; id < MAX_COUNTED_ID; id++) {
        judge0_language l;
        if (!by_language[id] || !judge0_language_find(langs, id, &l))
            continue;
        json_t *e = json_object(), *lang = json_object();
        json_object_set_new(lang, "id", json_integer(id));
        json_object_set_new(lang, "name", json_string(l.name));
        json_object_set_new(e, "language", lang);
        json_object_set_new(e, "count", json_integer((json_int_t)by_language[id]));
        json_array_append_new(ls, e);
    }
    json_object_set_new(b, "languages", ls);
    json_t *ss = json_array();
    for (int id = 1; id <= 14; id++) {
        if (!by_status[id])
            continue;
        json_t *e = json_object(), *st = json_object();
        json_object_set_new(st, "id", json_integer(id));
        json_object_set_new(st, "name", json_string(judge0_status_description(id)));
        json_object_set_new(e, "status", st);
        json_object_set_new(e, "count", json_integer((json_int_t)by_status[id]));
        json_array_append_new(ss, e);
    }
    pthread_mutex_unlock(&count_lock);
    json_object_set_new(b, "statuses", ss);
    json_t *db = json_object();
    json_object_set_new(db, "size_pretty", json_string("0 bytes"));
    json_object_set_new(db, "size_in_bytes", json_integer(0));
    json_object_set_new(b, "database", db);
    reply_body(req, b);
}
