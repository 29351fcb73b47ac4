/*
 * log.c - structured log lines (JSON, one per line) on stderr.  The line is
 * built in memory and written with one write(2) call: POSIX makes that
 * atomic with respect to other writers for pipes up to PIPE_BUF and in
 * practice for files opened O_APPEND, so concurrent request threads do not
 * interleave.  A log write that fails is dropped; logging never stops the
 * server.
 */
#include "log.h"
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

void log_json(const char *level, json_t *fields)
{
    (void)log_json_fd(STDERR_FILENO, level, fields);
}

int log_json_fd(int fd, const char *level, json_t *fields)
{
    json_t *line = json_object();
    if (!line) {
        json_decref(fields);
        errno = ENOMEM;
        return -1;
    }
    char ts[48];
    timestamp(ts, sizeof ts);
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level));
    if (json_is_object(fields))
        json_object_update(line, fields);
    json_decref(fields);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    size_t len = strlen(text);
    text[len] = '\n';               /* replaces the NUL: write len + 1 bytes */
    const char *p = text;
    size_t left = len + 1;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        left -= (size_t)n;
    }
    int saved = errno;
    free(text);
    errno = left ? (saved ? saved : EIO) : 0;
    return left ? -1 : 0;
}

void log_message(const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *fields = json_object();
    size_t n;
    char *text = utf8_repair(msg, strlen(msg), &n);   /* paths may hold any bytes */
    if (fields && text)
        json_object_set_new(fields, "msg", json_stringn(text, n));
    free(text);
    log_json(level, fields);
}
