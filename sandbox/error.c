/*
 * error.c - building sandbox_error values: a message naming what failed
 * and where, followed by strerror of the errno, as bubblewrap and crun do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static void format_message(sandbox_error *error, int errnum, const char *format, va_list args)
{
    char context[SANDBOX_ERROR_MESSAGE_MAX];
    vsnprintf(context, sizeof context, format, args);
    error->errno_value = errnum;
    if (errnum)
        snprintf(error->message, sizeof error->message, "%s: %s", context, strerror(errnum));
    else
        snprintf(error->message, sizeof error->message, "%s", context);
}

int error_errno(sandbox_error *error, const char *format, ...)
{
    int saved = errno;
    if (error) {
        va_list args;
        va_start(args, format);
        format_message(error, saved, format, args);
        va_end(args);
    }
    errno = saved;
    return -1;
}

int error_set(sandbox_error *error, int errnum, const char *format, ...)
{
    if (error) {
        va_list args;
        va_start(args, format);
        format_message(error, errnum, format, args);
        va_end(args);
    }
    return -1;
}

int error_wrap(sandbox_error *error, const char *format, ...)
{
    if (!error)
        return -1;
    char prefix[SANDBOX_ERROR_MESSAGE_MAX], old[SANDBOX_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(prefix, sizeof prefix, format, args);
    va_end(args);
    memcpy(old, error->message, sizeof old);
    snprintf(error->message, sizeof error->message, "%s: %s", prefix, old);
    return -1;
}
