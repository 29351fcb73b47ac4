/*
 * problem_store.h - problem packages stored once, under <state_dir>/problems/:
 * each accepted package lives in <id>/ (id: the SHA-256 of its unpacked
 * content, so the same package twice is stored once) as pkg/ (the
 * unpacked files, read-only) and problem.json (what judging needs, made
 * at upload: name, tests in order, limits, validation).  Uploads are
 * unpacked into a temporary directory under the same parent and renamed
 * into place, so a package is either whole or absent; a refused one
 * leaves nothing.  See package.c for what is refused.
 */
#ifndef JUDGEBOX_PROBLEM_STORE_H
#define JUDGEBOX_PROBLEM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct package_limits {
    uint64_t max_files;          /* entries, directories included */
    uint64_t max_unpacked_bytes; /* sum of the entries' sizes */
} package_limits;

typedef struct problem_test_meta {
    char *name;                  /* "sample/1", "secret/group1/03" */
    char *in_path, *ans_path;    /* absolute */
    uint64_t bytes;              /* both files */
    bool sample;
} problem_test_meta;

typedef struct problem_meta {
    char id[65];
    char *name;
    char *dir;                   /* <state>/problems/<id> */
    problem_test_meta *tests;
    size_t ntests;
    uint64_t time_limit_ms;      /* 0: none given */
    uint64_t memory_kb;          /* 0: none given */
    uint64_t output_bytes;       /* 0: none given */
    bool custom, interactive, scoring;
    char **validator_flags;      /* NULL-terminated */
    char *validator_language;    /* custom: language id of output_validators/<name>/ */
    char **validator_files;      /* custom: absolute paths, the main source first */
    json_t *summary;             /* {"id", "name", "tests", "checker", "limits"} for the API */
} problem_meta;

/* Store the archive read from `fd` (tar, tar.gz or zip).  Returns 0 when
 * stored, 1 when the same package was there already (meta filled either
 * way); -1 when the package is refused (`error` names the entry: a 422);
 * -2 when the server failed (`error`: a 500). */
int problem_store_put(const char *state_dir, int fd, const package_limits *limits,
                      problem_meta *meta, char *error, size_t size);
/* Load problem `id`.  0; -1 when there is none (errno ENOENT; also for an
 * id that is not 64 hex digits); -2 on another failure, with `error`. */
int problem_store_get(const char *state_dir, const char *id, problem_meta *meta, char *error,
                      size_t size);
/* The summaries of every stored problem, sorted by id. */
json_t *problem_store_list(const char *state_dir, char *error, size_t size);
/* 0 removed; -1 none (ENOENT); -2 failure with `error`. */
int problem_store_delete(const char *state_dir, const char *id, char *error, size_t size);
void problem_meta_free(problem_meta *meta);
bool problem_id_valid(const char *id);

#endif
