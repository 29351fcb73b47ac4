/*
 * files.h - reading a small file whole: the checkers' feedback files, a
 * package's problem.yaml and .timelimit, a validator's sources.  One
 * implementation, so every reader refuses symlinks, retries EINTR and
 * reports read errors instead of returning a silently short file.
 */
#ifndef JUDGEBOX_FILES_H
#define JUDGEBOX_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* The file at `path` (never through a symlink), malloc'd and NUL-terminated,
 * its length in *len (when len is not NULL).  Longer than `max`: with
 * `truncate` its first `max` bytes, otherwise NULL with errno EFBIG.
 * NULL with errno on any failure. */
char *file_read(const char *path, size_t max, bool truncate, size_t *len);

#endif
