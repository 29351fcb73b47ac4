/*
 * compat_util.h - small pieces the Judge0 and Piston layers share: shell-
 * like splitting of an option string into words (Judge0 passes
 * compiler_options and command_line_arguments through bash), building
 * argv arrays, Judge0's number and time formats, and random UUIDs.
 * Pure functions; every returned buffer is malloc'd and the caller's.
 */
#ifndef JUDGEBOX_COMPAT_UTIL_H
#define JUDGEBOX_COMPAT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Split `text` into words as bash would split a plain command line: blanks
 * separate words; '...' keeps everything literally; "..." keeps blanks and
 * takes \" \\ \$ \` as escapes; \x outside quotes is x.  Judge0 first
 * deletes the characters $ & ; < > | ` (so no expansion, redirection or
 * second command can happen), and so does this.  0 with a NULL-terminated
 * array in *out, -1 when a quote is not closed (errno EINVAL) or out of
 * memory (ENOMEM). */
int compat_shell_split(const char *text, char ***out);

/* A copy of argv with `extra` (may be NULL or empty) inserted before the
 * first element equal to `before`; when `before` is NULL or absent, right
 * after argv[0].  NULL when out of memory. */
char **compat_argv_insert(char *const *argv, const char *before, char *const *extra);
/* The words joined by single spaces. */
char *compat_argv_join(char *const *argv);
void compat_argv_free(char **argv);
size_t compat_argv_count(char *const *argv);

/* Milliseconds as Judge0 prints a decimal number of seconds: "0.004",
 * "0.01", "2.0" (at least one decimal, no trailing zeros after it). */
void compat_seconds(char *buf, size_t size, uint64_t ms);
/* A Unix time in ms as "2026-11-29T02:51:59.123Z". */
void compat_iso8601(char *buf, size_t size, int64_t unix_ms);
int64_t compat_now_ms(void);
/* A random (version 4) UUID, lower case: 36 characters and a NUL. */
void compat_uuid(char out[37]);

#endif
