/*
 * semver.h - the part of node-semver Piston uses to pick a runtime: a
 * version ("3.11.2") satisfies a range ("3.x", "^3.10", "~3.11.0",
 * ">=3 <4", "1.2 - 2", "*", "3.11.2", "a || b").  Pre-release tags are not
 * supported (no judgebox version has one).  Pure functions.
 */
#ifndef JUDGEBOX_SEMVER_H
#define JUDGEBOX_SEMVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct semver {
    long major, minor, patch;
} semver;

/* The first three numbers of `text` ("17.0.21.1" -> 17.0.21, "1.07.1" ->
 * 1.7.1, "9" -> 9.0.0); false when it does not start with a number. */
bool semver_parse_loose(const char *text, semver *out);
/* "17.0.21" */
void semver_format(const semver *v, char *buf, size_t size);
int semver_compare(const semver *a, const semver *b);
/* True when `v` is in `range`; an invalid range matches nothing. */
bool semver_satisfies(const semver *v, const char *range);

#endif
