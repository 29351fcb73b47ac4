/*
 * error.h - how the core carries a failure up: errno plus a message with
 * context ("mount overlay on /x: Invalid argument").  Only the callers at
 * the top (main, the server) decide what to do with it.
 */
#ifndef JUDGEBOX_ERROR_H
#define JUDGEBOX_ERROR_H

#include "sandbox.h"

/* Set `error` from errno: "<formatted context>: <strerror(errno)>"; returns -1. */
int error_errno(sandbox_error *error, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Set `error` with errno_value = `errnum` (0 = none); returns -1. */
int error_set(sandbox_error *error, int errnum, const char *format, ...) __attribute__((format(printf, 3, 4)));
/* Prefix the message already in `error` with more context; returns -1. */
int error_wrap(sandbox_error *error, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
