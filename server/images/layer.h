/*
 * layer.h - applying one image layer (a tar, compressed or not) onto a
 * rootfs directory, the way container runtimes do, with judgebox's rules:
 * whiteouts (.wh.NAME, .wh..wh..opq) delete what lower layers made, owners
 * become root, and an entry that is an absolute path, has a ".." component,
 * is a device node, FIFO or socket, a setuid/setgid file, a symlink whose
 * relative target climbs out of the image, or a hard link to outside, is
 * refused with a message naming it.  Every path is resolved inside the
 * rootfs (openat2 RESOLVE_IN_ROOT), so symlinks of earlier entries never
 * lead a write outside it.
 */
#ifndef JUDGEBOX_LAYER_H
#define JUDGEBOX_LAYER_H

#include <stddef.h>

/* Apply the tar read from layer_fd (rewound as needed; read twice: first
 * the whiteouts, then the entries) onto the directory root_fd.  `label`
 * names the layer in messages ("layer 2 (sha256:ab12...)").  -1 with
 * `error` on a refused entry or an I/O error. */
int layer_apply(int root_fd, int layer_fd, const char *label, char *error, size_t error_size);

/* Remove `name` (any type, directories recursively) under dirfd; a missing
 * name is fine. */
int layer_remove_at(int dirfd, const char *name);

/* Finish a tree as the sandbox needs it: /box /tmp /proc /dev /sys exist
 * (tmp a directory, never followed as a symlink; and /var/tmp, unless var
 * is not a plain directory),
 * everything is readable by others (directories and executables also
 * searchable/executable), no setuid/setgid bit is left. */
int layer_finish_tree(const char *root, char *error, size_t error_size);

#endif
