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
#include <stdint.h>

/* True when data[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF).  NUL bytes are valid. */
bool utf8_valid(const char *data, size_t len);

/* A relative path of at most `max_components` plain components (no "", "."
 * or ".."), at most 200 bytes, no NUL inside, each character a letter, a
 * digit, one of ". _ - +" or one of `extra` (e.g. glob characters). */
bool relative_path_ok(const char *path, size_t len, size_t max_components, const char *extra);

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

/* Piece by piece, for streamed responses (never the whole text in memory).
 * JSON string text means what jansson's json_dumps writes between the
 * quotes for utf8_repair(data): '"', '\\' and control characters escaped,
 * ill-formed sequences as U+FFFD. */
uint64_t base64_size(size_t len);
/* The longest prefix of data[0..len), in whole units, whose JSON string
 * text (plus its base64, when with_base64) takes at most `budget` bytes;
 * that size goes to *size. */
size_t json_escaped_prefix(const char *data, size_t len, uint64_t budget, bool with_base64,
                           uint64_t *size);
/* Encode from *pos into out[0..cap) in whole units (JSON string text, or
 * base64 groups of 4 from a *pos that is a multiple of 3); advance *pos;
 * return the bytes written (0 when the next unit does not fit). */
size_t json_escape_some(const char *data, size_t len, size_t *pos, char *out, size_t cap);
size_t base64_encode_some(const void *data, size_t len, size_t *pos, char *out, size_t cap);

#endif
