/*
 * outputs.h - files out: the `outputs` patterns of a /v1/run request
 * ("report.xml", or globs per path component: "*.png" in directory "out"), the files they match in a finished run's
 * /box, and their place in the response.  Files are read by the server
 * through the run's /box descriptor (sandbox_hooks.finished) with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV): no symlink is followed, nothing outside /box is
 * reachable, whatever the program left there.  The bytes of every run of
 * one request share one budget (max_output_files_bytes).
 */
#ifndef JUDGEBOX_OUTPUTS_H
#define JUDGEBOX_OUTPUTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTPUTS_MAX_PATTERNS 16
#define OUTPUTS_MAX_FILES 64                       /* per run */
#define OUTPUTS_DEFAULT_BYTES (1u << 20)           /* per request, when the request names none */
#define OUTPUTS_MAX_BYTES (16u << 20)              /* the most a request may ask for */

typedef struct output_file {
    char *name;                  /* relative to /box */
    unsigned char *data;         /* NULL when omitted */
    size_t len;                  /* bytes kept */
    uint64_t size;               /* the file's size */
    bool truncated;              /* kept fewer bytes than its size (budget) */
    bool omitted;                /* nothing kept: the budget was spent */
} output_file;

typedef struct output_files {
    bool collected;              /* false: the run did not end on its own, nothing was read */
    output_file *items;
    size_t count;
    bool too_many;               /* more than OUTPUTS_MAX_FILES matched */
} output_files;

/* The request's patterns and its budget, shared by its runs (atomic). */
typedef struct output_request {
    char **patterns;             /* NULL when the request asks for none */
    size_t npatterns;
    uint64_t max_bytes;
    uint64_t used;               /* bytes handed out so far */
} output_request;

/* Read "outputs" and "max_output_files_bytes" of a request body.  0, or -1
 * with `field` and `message` set (422). */
int outputs_parse(json_t *root, output_request *out, char *field, size_t field_size, char *message,
                  size_t message_size);
void output_request_free(output_request *request);

/* Collect the files of `request`'s patterns under box_fd into *out. */
void outputs_collect(output_request *request, int box_fd, output_files *out);
void output_files_free(output_files *files);

/* {"files": [...], "files_truncated": bool} members for a run's JSON. */
void outputs_to_json(const output_files *files, json_t *run);

#endif
