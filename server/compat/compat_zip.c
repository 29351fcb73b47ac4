/*
 * compat_zip.c - unpacking Judge0's additional_files (a zip) in memory with
 * libarchive.  Only regular files and directories are accepted; a
 * directory entry creates nothing by itself (the workspace makes parent
 * directories of the files).  The total unpacked size is checked as the
 * bytes come, so a zip bomb costs at most max_bytes.
 */
#include "compat_zip.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void compat_files_free(job_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].name);
        free(files[i].data);
    }
    free(files);
}

bool compat_path_ok(const char *name)
{
    if (!name || !name[0] || name[0] == '/' || strlen(name) > 512)
        return false;
    unsigned depth = 0;
    const char *p = name;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') || n > 255)
            return false;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
                return false;
        if (++depth > 16)
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

/* "a" and "a/b" cannot both be files. */
static bool clashes(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return (la < lb && strncmp(a, b, la) == 0 && b[la] == '/') ||
           (lb < la && strncmp(a, b, lb) == 0 && a[lb] == '/');
}

int compat_zip_extract(const unsigned char *zip, size_t len, uint64_t max_bytes, job_file **out,
                       size_t *nout, char *error, size_t size)
{
    *out = NULL;
    *nout = 0;
    struct archive *a = archive_read_new();
    if (!a) {
        errno = ENOMEM;
        snprintf(error, size, "out of memory");
        return -1;
    }
    job_file *files = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    int rc = -1;
    errno = 0;
    archive_read_support_format_zip(a);
    if (archive_read_open_memory(a, zip, len) != ARCHIVE_OK) {
        snprintf(error, size, "is not a zip archive (%s)", archive_error_string(a));
        goto out;
    }
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            snprintf(error, size, "is not a readable zip archive (%s)", archive_error_string(a));
            goto out;
        }
        const char *path = archive_entry_pathname(e);
        char name[520];
        snprintf(name, sizeof name, "%s", path ? path : "");
        while (strncmp(name, "./", 2) == 0)
            memmove(name, name + 2, strlen(name + 2) + 1);
        size_t nl = strlen(name);
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFDIR) {
            while (nl > 0 && name[nl - 1] == '/')
                name[--nl] = '\0';
            if (nl > 0 && !compat_path_ok(name)) {
                snprintf(error, size, "contains a directory judgebox cannot create: \"%.200s\"", name);
                goto out;
            }
            continue;
        }
        if (type != AE_IFREG) {
            snprintf(error, size, "contains \"%.200s\", which is not a regular file or directory", name);
            goto out;
        }
        if (!compat_path_ok(name)) {
            snprintf(error, size, "contains a file judgebox cannot create: \"%.200s\"", name);
            goto out;
        }
        bool duplicate = false;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(files[i].name, name) == 0)
                duplicate = true;
            else if (clashes(files[i].name, name)) {
                snprintf(error, size, "has \"%.200s\" both as a file and as a directory", name);
                goto out;
            }
        }
        if (duplicate)
            continue;                /* unzip -n keeps the first */
        if (n == COMPAT_ZIP_MAX_ENTRIES) {
            snprintf(error, size, "has more than %d files", COMPAT_ZIP_MAX_ENTRIES);
            goto out;
        }
        if (n == cap) {
            size_t c = cap ? cap * 2 : 8;
            job_file *grown = realloc(files, c * sizeof *grown);
            if (!grown)
                goto oom;
            files = grown;
            cap = c;
        }
        job_file *f = &files[n];
        memset(f, 0, sizeof *f);
        if (!(f->name = strdup(name)))
            goto oom;
        n++;
        size_t fcap = 0;
        for (;;) {
            char buf[16384];
            la_ssize_t got = archive_read_data(a, buf, sizeof buf);
            if (got == 0)
                break;
            if (got < 0) {
                snprintf(error, size, "has a damaged entry \"%.200s\" (%s)", name, archive_error_string(a));
                goto out;
            }
            total += (uint64_t)got;
            if (total > max_bytes) {
                snprintf(error, size, "unpacks to more than %llu KB", (unsigned long long)(max_bytes / 1024));
                goto out;
            }
            if (f->len + (size_t)got + 1 > fcap) {
                size_t c = fcap ? fcap : 4096;
                while (c < f->len + (size_t)got + 1)
                    c *= 2;
                unsigned char *grown = realloc(f->data, c);
                if (!grown)
                    goto oom;
                f->data = grown;
                fcap = c;
            }
            memcpy(f->data + f->len, buf, (size_t)got);
            f->len += (size_t)got;
        }
        if (!f->data && !(f->data = calloc(1, 1)))
            goto oom;
    }
    *out = files;
    *nout = n;
    files = NULL;
    n = 0;
    rc = 0;
    goto out;
oom:
    snprintf(error, size, "out of memory");
    archive_read_free(a);
    compat_files_free(files, n);
    errno = ENOMEM;
    return -1;
out:
    archive_read_free(a);
    compat_files_free(files, n);
    if (rc < 0)
        errno = EINVAL;
    return rc;
}
