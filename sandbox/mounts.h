/*
 * mounts.h - the filesystem a run sees, built inside the run's own mount
 * namespace by its init: a size-capped tmpfs holding everything the run
 * writes, the root (the rootfs's read-only view with the tmpfs's tmp,
 * var/tmp and box bound over it, or an overlay with its upper and work
 * directories on the tmpfs), a fresh /proc with sensitive entries masked,
 * a minimal /dev, pivot_root with the old root detached, then /box.
 * Everything it mounts dies with the namespace.
 */
#ifndef JUDGEBOX_MOUNTS_H
#define JUDGEBOX_MOUNTS_H

#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

typedef struct mount_plan {
    const char *scratch;        /* an empty host directory to mount the run's tmpfs on */
    int rootfs_fd;              /* detached mount (open_tree) of the rootfs: lower layer of / */
    bool rootfs_is_view;        /* rootfs_fd is a read-only view (image_view.c): / itself */
    int box_fd;                 /* detached mount of the host directory for /box (per box_mode); -1 = none */
    int dev_fd;                 /* detached tmpfs with the run's own device nodes: /dev */
    sandbox_box_mode box_mode;
    bool box_is_own_root;       /* box_fd is the root of its own filesystem: its mount names no host path */
    uint64_t disk_kb, inodes;   /* the tmpfs's size */
    uid_t box_uid;              /* owner of /box inside the run */
    gid_t box_gid;
    const char *workdir;        /* cwd after pivot_root */
    const char *hostname;
    int box_dir_fd;             /* set by mounts_prepare: the root's own /box, for a spec without a box */
} mount_plan;

/* In the run's init (in-namespace root); async-signal-safe apart from
 * snprintf/strerror.  mounts_prepare needs scratch, rootfs_fd,
 * rootfs_is_view, dev_fd, disk_kb, inodes and box_uid/gid: everything but
 * /box, up to and with pivot_root, before the run's spec is known; the
 * scratch tmpfs is then on /box.  mounts_enter, with the spec: the tmpfs
 * resized when disk_kb or inodes differ from the prepared ones, /box
 * (box_mode, box_fd; box_dir_fd without a box), the hostname and the
 * workdir. */
int mounts_prepare(mount_plan *plan, sandbox_error *error);
int mounts_enter(const mount_plan *plan, uint64_t prepared_disk_kb, uint64_t prepared_inodes, sandbox_error *error);


#endif
