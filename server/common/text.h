/*
 * text.h - byte-string helpers the API needs at its edges: UTF-8
 * validation and repair (program output must become a JSON string) and
 * base64 both ways (binary files, stdin and output that is not UTF-8).
 * Pure functions, no I/O; every returned buffer is malloc'd and owned by
 * the caller.
 */
#ifndef JUDGEBOX_TEXT_H
#define JUDGEBOX_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when data[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF).  NUL bytes are valid. */
bool utf8_valid(const char *data, size_t len);

/* A copy with every ill-formed sequence replaced by U+FFFD; NUL-terminated,
 * length in *out_len.  NULL when out of memory. */
char *utf8_repair(const char *data, size_t len, size_t *out_len);

/* Standard base64 with padding, no line breaks; NUL-terminated. */
char *base64_encode(const void *data, size_t len, size_t *out_len);

/* Decode standard base64.  Whitespace (Ruby's 60-column lines) is skipped;
 * padding is optional at the end only.  Returns 0, or -1 for bad input
 * (out untouched) or out of memory (errno ENOMEM).  *out is NUL-terminated
 * for convenience. */
int base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

#endif
