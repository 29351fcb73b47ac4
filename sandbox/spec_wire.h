/*
 * spec_wire.h - a sandbox_spec as bytes, for the processes that run specs
 * for others: a slot's keeper (keeper.c, for `judgebox run`) and a
 * server's slot helpers (helper.c).  The header carries the fixed fields;
 * the payload the strings (rootfs, the optional workdir, box_dir,
 * hostname and run id, argv, env), NUL-terminated, in that order.  Descriptors,
 * hooks and the cancel/signal fds do not travel here: each side passes
 * and fills them itself.
 */
#ifndef JUDGEBOX_SPEC_WIRE_H
#define JUDGEBOX_SPEC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

#define SPEC_WIRE_MAX_BYTES (1 << 20)

typedef struct spec_wire {
    uint32_t has, box_mode, flags;
    uint32_t argc, envc, bytes;
    sandbox_limits limits;
} spec_wire;

/* Fill `wire` and a malloc'd payload (*payload, wire->bytes long); false
 * when out of memory or over SPEC_WIRE_MAX_BYTES. */
bool spec_wire_encode(const sandbox_spec *spec, spec_wire *wire, char **payload);
/* The spec of `wire` and its payload, pointing into it (argv and env are
 * malloc'd arrays the caller frees); descriptors are -1, the rest zero.
 * False if malformed. */
bool spec_wire_decode(const spec_wire *wire, const char *payload, sandbox_spec *spec, const char ***argv,
                      const char ***env);

#endif
