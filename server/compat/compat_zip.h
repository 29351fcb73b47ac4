/*
 * compat_zip.h - Judge0's additional_files: a zip archive (libarchive)
 * unpacked in memory into job files, refusing what judgebox cannot place
 * safely in a workspace: absolute paths, "..", names that are both a file
 * and a directory, links and devices, more than max_bytes unpacked.
 */
#ifndef JUDGEBOX_COMPAT_ZIP_H
#define JUDGEBOX_COMPAT_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "judge.h"

#define COMPAT_ZIP_MAX_ENTRIES 1024

/* Unpack `zip` into *files (*nfiles entries, in archive order; a name seen
 * twice keeps its first copy, as `unzip -n` does).  0, or -1 with a
 * message for the client in `error` (errno ENOMEM when out of memory). */
int compat_zip_extract(const unsigned char *zip, size_t len, uint64_t max_bytes, job_file **files,
                       size_t *nfiles, char *error, size_t error_size);
void compat_files_free(job_file *files, size_t n);
/* A relative path judgebox can write: no leading '/', no empty, "." or
 * ".." component, no control characters, at most 16 levels. */
bool compat_path_ok(const char *name);

#endif
