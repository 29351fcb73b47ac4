/*
 * files.h - reading a small file whole: the checkers' feedback files, a
 * package's problem.yaml and .timelimit, a validator's sources.  One
 * implementation, so every reader refuses symlinks, retries EINTR and
 * reports read errors instead of returning a silently short file.  And
 * copying an open file into another (the judge programs' cache and data).
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

/* Everything from `in`'s offset to its end written to `out` (sendfile,
 * EINTR retried).  0, or -1 with errno. */
int file_copy_fd(int out, int in);

#endif
