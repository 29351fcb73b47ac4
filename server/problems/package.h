/*
 * package.h - Kattis / ICPC problem packages: safe unpacking of an
 * archive (libarchive: tar, tar.gz and other compressed tars, zip) into an
 * empty directory, reading problem.yaml (libyaml), and scanning an
 * unpacked package directory into what judging needs (problem_meta of
 * problem_store.h).  The pure checks (an entry's path, problem.yaml's text) are
 * separate functions so unit tests and the fuzzer reach them alone.
 */
#ifndef JUDGEBOX_PACKAGE_H
#define JUDGEBOX_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "problem_store.h"

/* Is `path` (an archive entry's name) acceptable: relative, no "..", no
 * empty or "." components after an optional leading "./", printable,
 * at most 255 bytes and 32 components?  The cleaned path (leading "./"
 * and a trailing "/" dropped) goes to `clean`; "" for the root itself.
 * false with `why`. */
bool package_entry_path_ok(const char *path, char *clean, size_t clean_size, char *why,
                           size_t why_size);

typedef struct problem_yaml {
    char *name;
    char *validation;            /* "default", "custom", "custom interactive", ... */
    char *type;                  /* newer format: "pass-fail", "scoring", "interactive" */
    char *validator_flags;       /* one string, split on spaces */
    double time_limit_s;         /* newer format's limits.time_limit; 0 = none */
    double time_multiplier;      /* limits.time_multiplier; 0 = none */
    uint64_t memory_mb, output_mb;
} problem_yaml;

/* Parse problem.yaml's text.  Unknown keys are ignored (the format has
 * many that a judge does not need); a wrong type for a key we read is an
 * error.  0, or -1 with `error`. */
int problem_yaml_parse(const char *text, size_t len, problem_yaml *out, char *error, size_t size);
void problem_yaml_free(problem_yaml *y);

/* Unpack the archive read from `fd` into the existing empty directory
 * `dest`.  -1 when the archive is refused (`error` names the entry and
 * why); -2 when the server failed.  On failure `dest` may hold a part:
 * the caller removes it. */
int package_extract(int fd, const char *dest, const package_limits *limits, char *error,
                    size_t size);

/* Read the package in `dir` (an unpacked archive or a package directory
 * given to `judgebox judge`): problem.yaml, .timelimit or
 * domjudge-problem.ini, data/sample and data/secret (groups nested, in
 * sorted order), the output validator.  Fills `meta` except id and
 * summary; paths are absolute.  A package may sit in one top-level
 * folder.  -1 when the package is not acceptable (`error` says why), -2
 * on a server failure. */
int package_scan(const char *dir, problem_meta *meta, char *error, size_t size);

/* SHA-256 over every file's relative path and content and every
 * directory's path, walked in sorted order: the same package, however
 * archived, gets the same id. */
int package_hash(const char *dir, char hex[65], char *error, size_t size);

#endif
