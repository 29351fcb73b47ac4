/*
 * mounts.c - builds the run's root, see mounts.h.  Order matters: the
 * tmpfs first (it caps everything written), then the root (a view or an
 * overlay), /dev, /proc while the new pid namespace is ours, then
 * pivot_root, after which nothing of the host's tree is reachable
 * (mounts_prepare, before the run's spec is known).  The scratch tmpfs
 * stays reachable on /box until the spec's box covers it: its size, the
 * box and the hostname are all mounts_enter does, with the spec.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "mounts.h"

#define PROC_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* Relative to the scratch tmpfs, init's working directory until
 * pivot_root: the overlays' options name no host path at all. */
typedef struct paths {
    const char *upper, *work, *root, *lower;
    const char *box_upper, *box_work, *box_lower;
    const char *shm;
} paths;

static const paths scratch_paths = {
    .upper = "u", .work = "w", .root = "r", .lower = "l",
    .box_upper = "bu", .box_work = "bw", .box_lower = "bl",
    .shm = "shm",
};

static int do_mount(const char *source, const char *target, const char *type, unsigned long flags,
                    const char *data, sandbox_error *error)
{
    if (mount(source, target, type, flags, data) < 0)
        return error_errno(error, "mount %s on %s", type ? type : (source ? source : "(remount)"), target);
    return 0;
}

static int make_dir(const char *path, mode_t mode, sandbox_error *error)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return error_errno(error, "mkdir %s", path);
    return 0;
}

/* Attach a detached mount (open_tree, made by the supervisor as real
 * root) at `target` in the run's own mount namespace. */
static int attach_tree(int fd, const char *what, const char *target, sandbox_error *error)
{
    if (move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return error_errno(error, "move the %s's mount to %s", what, target);
    return 0;
}

/* The rootfs's owner (host root) is unmapped in the run's user namespace,
 * so overlayfs cannot copy its directories up (EOVERFLOW).  Directories
 * everyone may write to exist in the upper layer from the start instead,
 * owned by the run's root, and are merged with the rootfs's. */
static int make_sticky_dirs(const paths *p, sandbox_error *error)
{
    static const char *const dirs[] = {"tmp", "var", "var/tmp"};
    static const mode_t modes[] = {01777, 0755, 01777};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/%s", p->upper, dirs[i]);
        if (make_dir(path, modes[i], error) < 0)
            return -1;
        if (chmod(path, modes[i]) < 0) /* whatever the umask */
            return error_errno(error, "chmod %s", path);
    }
    return 0;
}

static int mount_scratch(const mount_plan *plan, const paths *p, sandbox_error *error)
{
    char options[128];
    snprintf(options, sizeof options, "size=%luk,nr_inodes=%lu,mode=0755",
             (unsigned long)plan->disk_kb, (unsigned long)plan->inodes);
    if (do_mount("judgebox-scratch", plan->scratch, "tmpfs", MS_NOSUID | MS_NODEV, options, error) < 0)
        return -1;
    if (chdir(plan->scratch) < 0)
        return error_errno(error, "chdir %s", plan->scratch);
    if (make_dir(p->upper, 0755, error) < 0 || make_dir(p->work, 0700, error) < 0 ||
        make_dir(p->root, 0755, error) < 0 || make_dir(p->lower, 0755, error) < 0 ||
        make_dir(p->shm, 01777, error) < 0)
        return -1;
    if (chmod(p->shm, 01777) < 0)
        return error_errno(error, "chmod %s", p->shm);
    return make_sticky_dirs(p, error);
}

/* Before the overlay is mounted: /box comes from the upper layer, the
 * program's (a box mounted at the start covers it). */
static int make_box_dir(const mount_plan *plan, const paths *p, sandbox_error *error)
{
    char box_in_upper[PATH_MAX + 8];
    snprintf(box_in_upper, sizeof box_in_upper, "%s/box", p->upper);
    if (make_dir(box_in_upper, 0755, error) < 0)
        return -1;
    if (chown(box_in_upper, plan->box_uid, plan->box_gid) < 0)
        return error_errno(error, "chown %s", box_in_upper);
    return 0;
}

/* After pivot_root /box is the scratch tmpfs's root (mounts_prepare), and
 * the box mounts over it: the directory the root had there (box_dir_fd,
 * the overlay's or the view's bound one), the host directory itself, or
 * an overlay on it whose upper and work directories are the scratch's. */
static int mount_box(const mount_plan *plan, const paths *p, sandbox_error *error)
{
    if (plan->box_mode == SANDBOX_BOX_COPY_ON_WRITE) {
        if (chdir("/box") < 0)
            return error_errno(error, "chdir /box (the scratch tmpfs)");
        char options[PATH_MAX];
        if (make_dir(p->box_upper, 0755, error) < 0 || make_dir(p->box_work, 0700, error) < 0 ||
            make_dir(p->box_lower, 0755, error) < 0 || attach_tree(plan->box_fd, "box", p->box_lower, error) < 0)
            return -1;
        if (chown(p->box_upper, plan->box_uid, plan->box_gid) < 0)
            return error_errno(error, "chown %s", p->box_upper);
        int lower_fd = open(p->box_lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (lower_fd < 0)
            return error_errno(error, "open %s", p->box_lower);
        snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s,workdir=%s", p->box_lower, p->box_upper,
                 p->box_work);
        int mounted = do_mount("judgebox-box", "/box", "overlay", MS_NOSUID | MS_NODEV, options, error);
        /* The overlay holds its own copy of the lower layer: detach the box's
         * mount, which would name the host directory in /proc/self/mountinfo
         * (its unmount waits for an RCU grace period: not for a workspace,
         * whose mount's root is its own tmpfs's). */
        char lower[64];
        snprintf(lower, sizeof lower, "/proc/self/fd/%d", lower_fd);
        if (mounted == 0 && !plan->box_is_own_root && umount2(lower, MNT_DETACH) < 0)
            mounted = error_errno(error, "detach the box's lower layer");
        close(lower_fd);
        if (mounted < 0)
            return -1;
        if (chdir("/") < 0)
            return error_errno(error, "chdir /");
        return 0;
    }
    if (plan->box_mode == SANDBOX_BOX_WRITABLE)
        return attach_tree(plan->box_fd, "box", "/box", error);
    char source[64];
    snprintf(source, sizeof source, "/proc/self/fd/%d", plan->box_dir_fd);
    return do_mount(source, "/box", NULL, MS_BIND, NULL, error);
}

/* The rootfs's view is / as it is, read-only; the places a run may write
 * are the scratch tmpfs's, as with an overlay (image_view.c). */
static int mount_root_view(const mount_plan *plan, const paths *p, sandbox_error *error)
{
    if (attach_tree(plan->rootfs_fd, "rootfs view", p->root, error) < 0)
        return -1;
    static const char *const writable[] = {"tmp", "var/tmp", "box"};
    for (size_t i = 0; i < sizeof writable / sizeof writable[0]; i++) {
        char source[PATH_MAX], target[PATH_MAX];
        snprintf(source, sizeof source, "%s/%s", p->upper, writable[i]);
        snprintf(target, sizeof target, "%s/%s", p->root, writable[i]);
        if (do_mount(source, target, NULL, MS_BIND, NULL, error) < 0)
            return -1;
    }
    return 0;
}

static int mount_root(const mount_plan *plan, const paths *p, sandbox_error *error)
{
    if (plan->rootfs_is_view)
        return mount_root_view(plan, p, error);
    char options[PATH_MAX * 3];
    if (attach_tree(plan->rootfs_fd, "rootfs", p->lower, error) < 0)
        return -1;
    snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s,workdir=%s", p->lower, p->upper, p->work);
    return do_mount("judgebox-root", p->root, "overlay", MS_NOSUID | MS_NODEV, options, error);
}

/* Bind `source` over `target` if target exists; ENOENT is not an error.
 * (The mount itself says ENOENT: no access() first, one lookup less.) */
static int mask_path(const char *root, const char *relative, const char *source, sandbox_error *error)
{
    char target[PATH_MAX + 64];
    snprintf(target, sizeof target, "%s/%s", root, relative);
    if (mount(source, target, NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
        return error_errno(error, "mount %s on %s", source, target);
    return 0;
}

static int bind_read_only(const char *root, const char *relative, sandbox_error *error)
{
    char target[PATH_MAX + 64];
    snprintf(target, sizeof target, "%s/%s", root, relative);
    if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT)
            return 0;
        return error_errno(error, "mount %s on %s", target, target);
    }
    return do_mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | PROC_FLAGS, NULL, error);
}

static int write_string(const char *path, const char *value, sandbox_error *error)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "open %s", path);
    ssize_t length = (ssize_t)strlen(value);
    if (write(fd, value, (size_t)length) != length) {
        error_errno(error, "write %s", path);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int mount_proc(const paths *p, sandbox_error *error)
{
    char proc[PATH_MAX + 8], sysctl[PATH_MAX + 64], null[PATH_MAX + 16];
    snprintf(null, sizeof null, "%s/dev/null", p->root); /* the run's own, not the host's */
    snprintf(proc, sizeof proc, "%s/proc", p->root);
    if (make_dir(proc, 0555, error) < 0 ||
        do_mount("proc", proc, "proc", PROC_FLAGS, "hidepid=2", error) < 0)
        return -1;
    /* No nested user namespaces, whatever seccomp allows. */
    snprintf(sysctl, sizeof sysctl, "%s/sys/user/max_user_namespaces", proc);
    if (write_string(sysctl, "0", error) < 0)
        return -1;
    static const char *const masked[] = {"kcore", "keys", "key-users", "timer_list", "sched_debug",
                                         "latency_stats", "kallsyms", "sysrq-trigger", "kmsg", "config.gz"};
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
        if (mask_path(proc, masked[i], null, error) < 0)
            return -1;
    static const char *const read_only[] = {"sys", "irq", "bus", "fs", "acpi", "scsi"};
    for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++)
        if (bind_read_only(proc, read_only[i], error) < 0)
            return -1;
    return 0;
}

/* /dev is the tmpfs the supervisor made with the run's own device nodes
 * (run.c), read-only; /dev/shm on it is the scratch tmpfs's shm directory,
 * so disk_kb caps /tmp, /var/tmp, /box and /dev/shm together. */
static int mount_dev(const mount_plan *plan, const paths *p, sandbox_error *error)
{
    char dev[PATH_MAX + 8], shm[PATH_MAX + 16];
    snprintf(dev, sizeof dev, "%s/dev", p->root);
    snprintf(shm, sizeof shm, "%s/shm", dev);
    if (make_dir(dev, 0755, error) < 0 || attach_tree(plan->dev_fd, "dev", dev, error) < 0)
        return -1;
    return do_mount(p->shm, shm, NULL, MS_BIND, NULL, error);
}

/* Into the run's root for good, before the spec: the box's directory in
 * the root held open (mount_box binds it back when the spec has no box),
 * the scratch tmpfs bound on /box so that mounts_enter can still resize
 * it and build a box overlay from it, then pivot_root and the old root
 * detached (its unmount waits for an RCU grace period: not on the path
 * from the spec to the program). */
static int enter_root(mount_plan *plan, const paths *p, sandbox_error *error)
{
    char box[PATH_MAX + 8];
    snprintf(box, sizeof box, "%s/box", p->root);
    plan->box_dir_fd = open(box, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (plan->box_dir_fd < 0)
        return error_errno(error, "open %s", box);
    if (do_mount(".", box, NULL, MS_BIND, NULL, error) < 0)
        return -1;
    if (chdir(p->root) < 0)
        return error_errno(error, "chdir %s", p->root);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return error_errno(error, "pivot_root %s", p->root);
    /* The old root is now stacked under the new one: detach it. */
    if (umount2(".", MNT_DETACH) < 0)
        return error_errno(error, "detach the old root");
    if (chdir("/") < 0)
        return error_errno(error, "chdir /");
    return 0;
}

int mounts_prepare(mount_plan *plan, sandbox_error *error)
{
    paths p = scratch_paths;
    plan->box_dir_fd = -1;
    return mount_scratch(plan, &p, error) < 0 || make_box_dir(plan, &p, error) < 0 || mount_root(plan, &p, error) < 0 ||
                   mount_dev(plan, &p, error) < 0 || mount_proc(&p, error) < 0 || enter_root(plan, &p, error) < 0
               ? -1
               : 0;
}

/* The tmpfs was sized for the run the sandbox was prepared for: resize it
 * when this run's disk limit differs (it holds only empty directories yet),
 * through its bind on /box. */
static int resize_scratch(const mount_plan *plan, uint64_t prepared_disk_kb, uint64_t prepared_inodes,
                          sandbox_error *error)
{
    if (plan->disk_kb == prepared_disk_kb && plan->inodes == prepared_inodes)
        return 0;
    char options[128];
    snprintf(options, sizeof options, "size=%luk,nr_inodes=%lu", (unsigned long)plan->disk_kb,
             (unsigned long)plan->inodes);
    return do_mount(NULL, "/box", NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV, options, error);
}

int mounts_enter(const mount_plan *plan, uint64_t prepared_disk_kb, uint64_t prepared_inodes, sandbox_error *error)
{
    paths p = scratch_paths;
    if (resize_scratch(plan, prepared_disk_kb, prepared_inodes, error) < 0 || mount_box(plan, &p, error) < 0)
        return -1;
    close(plan->box_dir_fd);
    const char *hostname = plan->hostname ? plan->hostname : "judgebox";
    if (sethostname(hostname, strlen(hostname)) < 0)
        return error_errno(error, "sethostname %s", hostname);
    const char *workdir = plan->workdir ? plan->workdir : "/box";
    if (chdir(workdir) < 0)
        return error_errno(error, "chdir %s", workdir);
    return 0;
}
