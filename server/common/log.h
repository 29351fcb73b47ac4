/*
 * log.h - the server's log: one JSON object per line on stderr, written
 * with a single write(2) so lines from concurrent threads never mix.
 * Every line has "ts" (UTC, ms) and "level"; request lines add the
 * request's fields (id, method, path, status, language, verdict, timings).
 */
#ifndef JUDGEBOX_LOG_H
#define JUDGEBOX_LOG_H

#include <jansson.h>

/* Emit `fields` (an object; stolen) with ts and level added. */
void log_json(const char *level, json_t *fields);
/* The same line to `fd` (a log file opened O_APPEND); -1 with errno when it was not written whole. */
int log_json_fd(int fd, const char *level, json_t *fields);
/* A plain message: {"ts","level","msg"}. */
void log_message(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
