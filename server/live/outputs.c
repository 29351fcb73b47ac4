/*
 * outputs.c - files out (see outputs.h): validating the patterns, walking
 * a finished run's /box one path component at a time with openat2 so no
 * symlink is ever followed and nothing beneath another mount or outside
 * /box is reached, reading regular files only (a FIFO or a device the
 * program left cannot block or surprise the server), within the request's
 * byte budget, and the JSON of what was found.
 */
#include "outputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "text.h"

#define MAX_COMPONENTS 8

/* ---- the request ---- */

/* Plain components, and the glob characters fnmatch reads. */
static bool valid_pattern(const char *p, size_t len)
{
    return relative_path_ok(p, len, MAX_COMPONENTS, "*?[]!");
}

int outputs_parse(json_t *root, output_request *out, char *field, size_t field_size, char *message,
                  size_t message_size)
{
    memset(out, 0, sizeof *out);
    out->max_bytes = OUTPUTS_DEFAULT_BYTES;
    json_t *max = json_object_get(root, "max_output_files_bytes");
    if (max) {
        if (!json_is_integer(max) || json_integer_value(max) < 0 ||
            (uint64_t)json_integer_value(max) > OUTPUTS_MAX_BYTES) {
            snprintf(field, field_size, "max_output_files_bytes");
            snprintf(message, message_size, "max_output_files_bytes must be an integer from 0 to %u",
                     OUTPUTS_MAX_BYTES);
            return -1;
        }
        out->max_bytes = (uint64_t)json_integer_value(max);
    }
    json_t *patterns = json_object_get(root, "outputs");
    if (!patterns)
        return 0;
    if (!json_is_array(patterns) || json_array_size(patterns) > OUTPUTS_MAX_PATTERNS) {
        snprintf(field, field_size, "outputs");
        snprintf(message, message_size, "outputs must be an array of at most %d paths or globs under /box",
                 OUTPUTS_MAX_PATTERNS);
        return -1;
    }
    out->patterns = calloc(json_array_size(patterns) + 1, sizeof *out->patterns);
    if (!out->patterns) {
        snprintf(field, field_size, "outputs");
        snprintf(message, message_size, "out of memory");
        return -1;
    }
    size_t i;
    json_t *p;
    json_array_foreach(patterns, i, p) {
        if (!json_is_string(p) || !valid_pattern(json_string_value(p), json_string_length(p))) {
            snprintf(field, field_size, "outputs[%zu]", i);
            snprintf(message, message_size,
                     "outputs[%zu] must be a relative path under /box (letters, digits, . _ - +, glob "
                     "characters * ? [ ], no '..', at most %d components)",
                     i, MAX_COMPONENTS);
            output_request_free(out);
            return -1;
        }
        out->patterns[i] = strdup(json_string_value(p));
        if (!out->patterns[i]) {
            snprintf(field, field_size, "outputs");
            snprintf(message, message_size, "out of memory");
            output_request_free(out);
            return -1;
        }
        out->npatterns++;
    }
    return 0;
}

void output_request_free(output_request *request)
{
    for (size_t i = 0; i < request->npatterns; i++)
        free(request->patterns[i]);
    free(request->patterns);
    memset(request, 0, sizeof *request);
}

/* ---- walking /box ---- */

static int open_beneath(int dir, const char *name, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    return (int)syscall(SYS_openat2, dir, name, &how, sizeof how);
}

/* Take up to `want` bytes of the shared budget; how many were granted. */
static uint64_t take_budget(output_request *request, uint64_t want)
{
    uint64_t used = __atomic_load_n(&request->used, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t left = request->max_bytes > used ? request->max_bytes - used : 0;
        uint64_t grant = want < left ? want : left;
        if (__atomic_compare_exchange_n(&request->used, &used, used + grant, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return grant;
    }
}

static bool already_listed(const output_files *out, const char *name)
{
    for (size_t i = 0; i < out->count; i++)
        if (strcmp(out->items[i].name, name) == 0)
            return true;
    return false;
}

/* Add the regular file `name` (open at fd) to `out`, within the budget. */
static void add_file(output_request *request, int fd, const char *name, output_files *out)
{
    struct stat info;
    if (fstat(fd, &info) < 0 || !S_ISREG(info.st_mode) || already_listed(out, name))
        return;
    if (out->count >= OUTPUTS_MAX_FILES) {
        out->too_many = true;
        return;
    }
    output_file *grown = realloc(out->items, (out->count + 1) * sizeof *grown);
    if (!grown)
        return;
    out->items = grown;
    output_file *f = &out->items[out->count];
    memset(f, 0, sizeof *f);
    f->name = strdup(name);
    if (!f->name)
        return;
    out->count++;
    f->size = (uint64_t)info.st_size;
    uint64_t grant = take_budget(request, f->size);
    if (grant == 0 && f->size > 0) {
        f->omitted = true;
        return;
    }
    f->data = malloc(grant + 1);
    if (!f->data) {
        f->omitted = true;
        return;
    }
    while (f->len < grant) {
        ssize_t n = read(fd, f->data + f->len, grant - f->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        f->len += (size_t)n;
    }
    f->truncated = f->len < f->size;
}

static bool has_glob(const char *component)
{
    return strpbrk(component, "*?[") != NULL;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Match components[i..] under directory `dir` (named `prefix`). */
static void walk(output_request *request, int dir, char **components, size_t i, size_t n, const char *prefix,
                 output_files *out)
{
    bool last = i + 1 == n;
    char path[512];
    if (!has_glob(components[i])) {
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "", components[i]);
        int fd = open_beneath(dir, components[i], last ? O_RDONLY | O_NONBLOCK : O_PATH | O_DIRECTORY);
        if (fd < 0)
            return;
        if (last)
            add_file(request, fd, path, out);
        else
            walk(request, fd, components, i + 1, n, path, out);
        close(fd);
        return;
    }
    int listing = open_beneath(dir, ".", O_RDONLY | O_DIRECTORY);
    if (listing < 0)
        return;
    DIR *d = fdopendir(listing);
    if (!d) {
        close(listing);
        return;
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) && count < 4 * OUTPUTS_MAX_FILES) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
            fnmatch(components[i], entry->d_name, FNM_PERIOD) != 0)
            continue;
        char **grown = realloc(names, (count + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        if (!(names[count] = strdup(entry->d_name)))
            break;
        count++;
    }
    qsort(names, count, sizeof *names, compare_names);
    for (size_t k = 0; k < count; k++) {
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "", names[k]);
        int fd = open_beneath(dirfd(d), names[k], last ? O_RDONLY | O_NONBLOCK : O_PATH | O_DIRECTORY);
        if (fd >= 0) {
            if (last)
                add_file(request, fd, path, out);
            else
                walk(request, fd, components, i + 1, n, path, out);
            close(fd);
        }
        free(names[k]);
    }
    free(names);
    closedir(d);
}

void outputs_collect(output_request *request, int box_fd, output_files *out)
{
    memset(out, 0, sizeof *out);
    out->collected = true;
    for (size_t p = 0; p < request->npatterns; p++) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", request->patterns[p]);
        char *components[MAX_COMPONENTS];
        size_t n = 0;
        for (char *save, *c = strtok_r(copy, "/", &save); c && n < MAX_COMPONENTS; c = strtok_r(NULL, "/", &save))
            components[n++] = c;
        if (n > 0)
            walk(request, box_fd, components, 0, n, "", out);
    }
}

void output_files_free(output_files *files)
{
    for (size_t i = 0; i < files->count; i++) {
        free(files->items[i].name);
        free(files->items[i].data);
    }
    free(files->items);
    memset(files, 0, sizeof *files);
}

void outputs_to_json(const output_files *files, json_t *run)
{
    if (!files->collected) {
        json_object_set_new(run, "files", json_null());
        return;
    }
    json_t *list = json_array();
    bool truncated = files->too_many;
    for (size_t i = 0; i < files->count; i++) {
        const output_file *f = &files->items[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(f->name));
        json_object_set_new(o, "size", json_integer((json_int_t)f->size));
        if (f->omitted) {
            json_object_set_new(o, "omitted", json_true());
        } else {
            size_t n;
            char *b64 = base64_encode(f->data ? (const char *)f->data : "", f->len, &n);
            json_object_set_new(o, "content_b64", b64 ? json_stringn_nocheck(b64, n) : json_null());
            free(b64);
            json_object_set_new(o, "truncated", json_boolean(f->truncated));
        }
        truncated = truncated || f->omitted || f->truncated;
        json_array_append_new(list, o);
    }
    json_object_set_new(run, "files", list);
    json_object_set_new(run, "files_truncated", json_boolean(truncated));
}
