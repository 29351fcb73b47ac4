/*
 * archive_lazy.c - libarchive, loaded the first time the server reads an
 * archive (problem packages, image layers, Judge0 zips).  Linked normally
 * it brings libxml2, ICU, libstdc++, lzma, zstd, ... into every process,
 * paid at each `judgebox run` start (lazy_lib.h).  The code may call only
 * the functions defined here: another libarchive function fails the link
 * with an undefined symbol; add its forwarder below.
 */
#include "lazy_lib.h"

#include <archive.h>
#include <archive_entry.h>

static struct lazy_lib libarchive = LAZY_LIB("libarchive.so.13", "libarchive.so");
#define RESOLVED(call, name) LAZY_RESOLVED(&libarchive, call, name)

/* archive_NAME(struct archive *) returning int, ARCHIVE_FATAL unloaded */
#define ARCHIVE_INT_FN(fn)                                                                                      \
    int fn(struct archive *a)                                                                                   \
    {                                                                                                           \
        RESOLVED(int (*)(struct archive *), #fn);                                                               \
        return function ? function(a) : ARCHIVE_FATAL;                                                          \
    }
ARCHIVE_INT_FN(archive_read_support_filter_all)
ARCHIVE_INT_FN(archive_read_support_format_gnutar)
ARCHIVE_INT_FN(archive_read_support_format_tar)
ARCHIVE_INT_FN(archive_read_support_format_zip)
ARCHIVE_INT_FN(archive_read_free)
ARCHIVE_INT_FN(archive_format)

/* archive_entry_NAME(struct archive_entry *) returning `type` */
#define ENTRY_FN(type, fn, failed)                                                                              \
    type fn(struct archive_entry *e)                                                                            \
    {                                                                                                           \
        RESOLVED(type (*)(struct archive_entry *), #fn);                                                        \
        return function ? function(e) : failed;                                                                 \
    }
ENTRY_FN(__LA_MODE_T, archive_entry_filetype, 0)
ENTRY_FN(__LA_MODE_T, archive_entry_mode, 0)
ENTRY_FN(__LA_MODE_T, archive_entry_perm, 0)
ENTRY_FN(const char *, archive_entry_hardlink, NULL)
ENTRY_FN(const char *, archive_entry_pathname, NULL)
ENTRY_FN(const char *, archive_entry_symlink, NULL)

struct archive *archive_read_new(void)
{
    RESOLVED(struct archive *(*)(void), "archive_read_new");
    return function ? function() : NULL;
}

const char *archive_error_string(struct archive *a)
{
    RESOLVED(const char *(*)(struct archive *), "archive_error_string");
    return function ? function(a) : "libarchive cannot be loaded";
}

int archive_filter_code(struct archive *a, int n)
{
    RESOLVED(int (*)(struct archive *, int), "archive_filter_code");
    return function ? function(a, n) : ARCHIVE_FATAL;
}

int archive_read_open_memory(struct archive *a, const void *buff, size_t size)
{
    RESOLVED(int (*)(struct archive *, const void *, size_t), "archive_read_open_memory");
    return function ? function(a, buff, size) : ARCHIVE_FATAL;
}

int archive_read_open_fd(struct archive *a, int fd, size_t block_size)
{
    RESOLVED(int (*)(struct archive *, int, size_t), "archive_read_open_fd");
    return function ? function(a, fd, block_size) : ARCHIVE_FATAL;
}

int archive_read_next_header(struct archive *a, struct archive_entry **entry)
{
    RESOLVED(int (*)(struct archive *, struct archive_entry **), "archive_read_next_header");
    return function ? function(a, entry) : ARCHIVE_FATAL;
}

la_ssize_t archive_read_data(struct archive *a, void *buff, size_t size)
{
    RESOLVED(la_ssize_t (*)(struct archive *, void *, size_t), "archive_read_data");
    return function ? function(a, buff, size) : ARCHIVE_FATAL;
}

int archive_read_data_block(struct archive *a, const void **buff, size_t *size, la_int64_t *offset)
{
    RESOLVED(int (*)(struct archive *, const void **, size_t *, la_int64_t *), "archive_read_data_block");
    return function ? function(a, buff, size, offset) : ARCHIVE_FATAL;
}
