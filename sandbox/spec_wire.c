/*
 * spec_wire.c - a sandbox_spec to bytes and back, see spec_wire.h.  The
 * decoder trusts nothing: every string must end inside the payload and
 * the payload must be used up exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "spec_wire.h"

enum { HAS_WORKDIR = 1, HAS_BOX_DIR = 2, HAS_HOSTNAME = 4, HAS_RUN_ID = 8 };
enum { FLAG_STDERR_TO_STDOUT = 1 };
#define NO_ENV UINT32_MAX

static bool add_string(char **buffer, size_t *size, size_t *used, const char *string)
{
    size_t length = strlen(string) + 1;
    if (*used + length > SPEC_WIRE_MAX_BYTES)
        return false;
    if (*used + length > *size) {
        size_t grown = (*size ? *size * 2 : 4096) + length;
        char *bigger = realloc(*buffer, grown);
        if (!bigger)
            return false;
        *buffer = bigger;
        *size = grown;
    }
    memcpy(*buffer + *used, string, length);
    *used += length;
    return true;
}

bool spec_wire_encode(const sandbox_spec *spec, spec_wire *wire, char **payload)
{
    memset(wire, 0, sizeof *wire);
    wire->box_mode = (uint32_t)spec->box_mode;
    wire->limits = spec->limits;
    wire->envc = NO_ENV;
    wire->flags = spec->stderr_to_stdout ? FLAG_STDERR_TO_STDOUT : 0;
    *payload = NULL;
    size_t size = 0, used = 0;
    bool ok = spec->rootfs && spec->argv && add_string(payload, &size, &used, spec->rootfs);
    if (ok && spec->workdir && (ok = add_string(payload, &size, &used, spec->workdir)))
        wire->has |= HAS_WORKDIR;
    if (ok && spec->box_dir && (ok = add_string(payload, &size, &used, spec->box_dir)))
        wire->has |= HAS_BOX_DIR;
    if (ok && spec->hostname && (ok = add_string(payload, &size, &used, spec->hostname)))
        wire->has |= HAS_HOSTNAME;
    if (ok && spec->run_id && (ok = add_string(payload, &size, &used, spec->run_id)))
        wire->has |= HAS_RUN_ID;
    for (const char *const *a = spec->argv; ok && *a; a++, wire->argc++)
        ok = add_string(payload, &size, &used, *a);
    if (ok && spec->env) {
        wire->envc = 0;
        for (const char *const *e = spec->env; ok && *e; e++, wire->envc++)
            ok = add_string(payload, &size, &used, *e);
    }
    if (!ok) {
        free(*payload);
        *payload = NULL;
        return false;
    }
    wire->bytes = (uint32_t)used;
    return true;
}

/* The next NUL-terminated string of the payload, or NULL past its end. */
static const char *next_string(const char **cursor, const char *end)
{
    const char *string = *cursor;
    if (string >= end)
        return NULL;
    const char *nul = memchr(string, '\0', (size_t)(end - string));
    if (!nul)
        return NULL;
    *cursor = nul + 1;
    return string;
}

/* `count` strings into a malloc'd NULL-terminated array. */
static bool next_strings(const char **cursor, const char *end, uint32_t count, const char ***out)
{
    *out = calloc((size_t)count + 1, sizeof **out);
    if (!*out)
        return false;
    for (uint32_t i = 0; i < count; i++)
        if (!((*out)[i] = next_string(cursor, end)))
            return false;
    return true;
}

bool spec_wire_decode(const spec_wire *wire, const char *payload, sandbox_spec *spec, const char ***argv,
                      const char ***env)
{
    const char *cursor = payload, *end = payload + wire->bytes;
    memset(spec, 0, sizeof *spec);
    *argv = *env = NULL;
    if (wire->bytes > SPEC_WIRE_MAX_BYTES || wire->argc == 0 || wire->argc > SPEC_WIRE_MAX_BYTES / 2 ||
        (wire->envc != NO_ENV && wire->envc > SPEC_WIRE_MAX_BYTES / 2) || wire->box_mode > SANDBOX_BOX_WRITABLE)
        return false;
    spec->rootfs = next_string(&cursor, end);
    if (wire->has & HAS_WORKDIR)
        spec->workdir = next_string(&cursor, end);
    if (wire->has & HAS_BOX_DIR)
        spec->box_dir = next_string(&cursor, end);
    if (wire->has & HAS_HOSTNAME)
        spec->hostname = next_string(&cursor, end);
    if (wire->has & HAS_RUN_ID)
        spec->run_id = next_string(&cursor, end);
    if (!spec->rootfs || ((wire->has & HAS_WORKDIR) && !spec->workdir) ||
        ((wire->has & HAS_BOX_DIR) && !spec->box_dir) || ((wire->has & HAS_HOSTNAME) && !spec->hostname) ||
        ((wire->has & HAS_RUN_ID) && !spec->run_id))
        return false;
    if (!next_strings(&cursor, end, wire->argc, argv))
        return false;
    if (wire->envc != NO_ENV && !next_strings(&cursor, end, wire->envc, env))
        return false;
    if (cursor != end)
        return false;
    spec->argv = *argv;
    spec->env = *env;
    spec->box_mode = (sandbox_box_mode)wire->box_mode;
    spec->limits = wire->limits;
    spec->stderr_to_stdout = wire->flags & FLAG_STDERR_TO_STDOUT;
    spec->stdin_fd = spec->stdout_fd = spec->stderr_fd = -1;
    return true;
}
