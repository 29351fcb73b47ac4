/*
 * layer.c - applying one image layer onto a rootfs directory (see
 * layer.h for the rules).  libarchive reads the tar (any compression);
 * the writing is ours, entry by entry, with *at() calls on a parent
 * directory opened by openat2(RESOLVE_IN_ROOT) from the rootfs, so that a
 * symlink an earlier entry made resolves inside the image, never on the
 * host.  A layer is read twice: first its whiteouts, which delete what
 * LOWER layers made (an opaque directory keeps what the same layer puts in
 * it), then its entries.
 */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

static int open_in_root(int root_fd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    return (int)syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof how);
}

/* ---- paths ---- */

/* Entry path -> clean relative path ("a/b", "" for the root); NULL with a
 * reason for absolute paths and ".." components. */
static const char *clean_path(const char *in, char *out, size_t size)
{
    if (!in || !*in)
        return "an empty path";
    if (in[0] == '/')
        return "an absolute path";
    size_t o = 0;
    out[0] = '\0';
    const char *p = in;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return "a '..' component";
        if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (o + n + 2 > size)
                return "a path too long";
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
            out[o] = '\0';
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return NULL;
}

/* Does a relative symlink target, read from directory `dir` (clean,
 * relative), climb above the image root? */
static bool climbs_out(const char *dir, const char *target)
{
    if (target[0] == '/')
        return false;      /* resolved inside the image at run time */
    int depth = 0;
    for (const char *p = dir; *p;) {
        depth++;
        const char *s = strchr(p, '/');
        if (!s)
            break;
        p = s + 1;
    }
    for (const char *p = target; *p;) {
        const char *s = strchr(p, '/');
        size_t n = s ? (size_t)(s - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return true;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return false;
}

/* ---- removing ---- */

static int remove_children(int dfd)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (layer_remove_at(dirfd(d), e->d_name) < 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

int layer_remove_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || remove_children(fd) < 0)
            return -1;
        return unlinkat(dirfd, name, AT_REMOVEDIR);
    }
    return unlinkat(dirfd, name, 0);
}

/* ---- writing ---- */

typedef struct ctx {
    int root_fd;
    const char *label;
    char *error;
    size_t size;
} ctx;

static int refuse(ctx *c, const char *entry, const char *why)
{
    snprintf(c->error, c->size, "%s: entry \"%s\": %s", c->label, entry, why);
    return -1;
}

static int io_fail(ctx *c, const char *entry, const char *what)
{
    snprintf(c->error, c->size, "%s: entry \"%s\": %s: %s", c->label, entry, what, strerror(errno));
    return -1;
}

/* mkdir -p of clean relative `dir` inside the root, one component at a
 * time, each parent resolved in the root. */
static int mkdir_p_in_root(ctx *c, char *dir)
{
    for (char *p = dir;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char save = *p;
        *p = '\0';
        int fd = open_in_root(c->root_fd, dir, O_PATH | O_DIRECTORY);
        if (fd >= 0) {
            close(fd);
        } else if (errno == ENOENT) {
            char *cut = strrchr(dir, '/');
            int pfd;
            if (cut) {
                *cut = '\0';
                pfd = open_in_root(c->root_fd, dir, O_PATH | O_DIRECTORY);
                *cut = '/';
            } else {
                pfd = fcntl(c->root_fd, F_DUPFD_CLOEXEC, 0);
            }
            int r = pfd < 0 ? -1 : mkdirat(pfd, cut ? cut + 1 : dir, 0755);
            if (pfd >= 0)
                close(pfd);
            if (r < 0 && errno != EEXIST) {
                *p = save;
                return -1;
            }
        } else {
            *p = save;
            return -1;
        }
        *p = save;
        if (save == '\0')
            return 0;
    }
}

/* The parent directory of clean path `path` (created when missing), opened
 * inside the root; *base points at the last component. */
static int open_parent(ctx *c, char *path, const char **base)
{
    char *slash = strrchr(path, '/');
    if (!slash) {
        *base = path;
        return fcntl(c->root_fd, F_DUPFD_CLOEXEC, 0);
    }
    *slash = '\0';
    *base = slash + 1;
    int fd = open_in_root(c->root_fd, path, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT && mkdir_p_in_root(c, path) == 0)
        fd = open_in_root(c->root_fd, path, O_PATH | O_DIRECTORY);
    *slash = '/';
    return fd;
}

static int write_data(ctx *c, struct archive *a, int fd, const char *entry)
{
    const void *buf;
    size_t len;
    la_int64_t off;
    int r;
    off_t pos = 0;
    while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
        if (off != pos && lseek(fd, off, SEEK_SET) < 0)
            return io_fail(c, entry, "seek");
        pos = off;
        const char *p = buf;
        while (len > 0) {
            ssize_t n = write(fd, p, len);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return io_fail(c, entry, "write");
            }
            p += n;
            len -= (size_t)n;
            pos += n;
        }
    }
    if (r != ARCHIVE_EOF) {
        snprintf(c->error, c->size, "%s: entry \"%s\": read: %s", c->label, entry,
                 archive_error_string(a));
        return -1;
    }
    /* sparse files end in a hole */
    return ftruncate(fd, pos) < 0 && errno != EINVAL ? io_fail(c, entry, "truncate") : 0;
}

static int apply_entry(ctx *c, struct archive *a, struct archive_entry *e)
{
    const char *raw = archive_entry_pathname(e);
    char path[4096];
    const char *why = clean_path(raw, path, sizeof path);
    if (why)
        return refuse(c, raw ? raw : "", why);
    if (!path[0])
        return 0;                      /* the root itself: ours */
    const char *slash = strrchr(path, '/');
    const char *base_name = slash ? slash + 1 : path;
    if (strncmp(base_name, WH_PREFIX, strlen(WH_PREFIX)) == 0)
        return 0;                      /* whiteouts: the first pass */
    const char *hard = archive_entry_hardlink(e);
    mode_t mode = archive_entry_mode(e);
    mode_t type = archive_entry_filetype(e);
    if (!hard) {
        switch (type) {
        case AE_IFCHR: case AE_IFBLK: return refuse(c, raw, "a device node");
        case AE_IFIFO: return refuse(c, raw, "a FIFO");
        case AE_IFSOCK: return refuse(c, raw, "a socket");
        case AE_IFREG: case AE_IFDIR: case AE_IFLNK: break;
        default: return refuse(c, raw, "an unknown file type");
        }
        if (type == AE_IFREG && (mode & 06000))
            return refuse(c, raw, (mode & 04000) ? "a setuid file" : "a setgid file");
    }
    char parent_dir[4096];
    snprintf(parent_dir, sizeof parent_dir, "%.*s", slash ? (int)(slash - path) : 0, path);
    if (type == AE_IFLNK && !hard && climbs_out(parent_dir, archive_entry_symlink(e) ? archive_entry_symlink(e) : ""))
        return refuse(c, raw, "a symlink pointing outside the image");
    const char *base;
    int pfd = open_parent(c, path, &base);
    if (pfd < 0)
        return io_fail(c, raw, "open its directory in the image");
    int rc = 0;
    struct stat st;
    bool exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (hard) {
        char target[4096];
        why = clean_path(hard, target, sizeof target);
        if (why) {
            rc = refuse(c, raw, "a hard link to outside the image");
            goto out;
        }
        int tfd = open_in_root(c->root_fd, target, O_PATH | O_NOFOLLOW);
        struct stat ts;
        if (tfd < 0 || fstat(tfd, &ts) < 0 || S_ISDIR(ts.st_mode)) {
            if (tfd >= 0)
                close(tfd);
            rc = refuse(c, raw, "a hard link to a missing file or a directory");
            goto out;
        }
        if (exists)
            layer_remove_at(pfd, base);
        if (linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0)
            rc = io_fail(c, raw, "link");
        close(tfd);
        goto out;
    }
    if (type == AE_IFDIR) {
        if (exists && !S_ISDIR(st.st_mode) && layer_remove_at(pfd, base) < 0) {
            rc = io_fail(c, raw, "replace");
            goto out;
        }
        if ((!exists || !S_ISDIR(st.st_mode)) && mkdirat(pfd, base, 0755) < 0) {
            rc = io_fail(c, raw, "mkdir");
            goto out;
        }
        /* setgid on a directory only sets the group of new files: dropped */
        if (fchmodat(pfd, base, (mode & 01777) | 0700, 0) < 0)
            rc = io_fail(c, raw, "chmod");
        goto out;
    }
    if (exists && layer_remove_at(pfd, base) < 0) {
        rc = io_fail(c, raw, "replace");
        goto out;
    }
    if (type == AE_IFLNK) {
        if (symlinkat(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", pfd, base) < 0)
            rc = io_fail(c, raw, "symlink");
        goto out;
    }
    int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = io_fail(c, raw, "create");
        goto out;
    }
    rc = write_data(c, a, fd, raw);
    if (rc == 0 && fchmod(fd, mode & 0777) < 0)
        rc = io_fail(c, raw, "chmod");
    close(fd);
out:
    close(pfd);
    return rc;
}

static int apply_whiteout(ctx *c, struct archive_entry *e)
{
    const char *raw = archive_entry_pathname(e);
    char path[4096];
    const char *why = clean_path(raw, path, sizeof path);
    if (why)
        return refuse(c, raw ? raw : "", why);
    char *slash = strrchr(path, '/');
    const char *base_name = slash ? slash + 1 : path;
    if (strncmp(base_name, WH_PREFIX, strlen(WH_PREFIX)) != 0)
        return 0;
    if (slash)
        *slash = '\0';
    else
        path[0] = '\0';
    const char *dir = path;
    bool opaque = strcmp(base_name, WH_OPAQUE) == 0;
    const char *victim = base_name + strlen(WH_PREFIX);
    if (!opaque && (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0))
        return refuse(c, raw, "a whiteout escaping its directory");
    int dfd = open_in_root(c->root_fd, dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return errno == ENOENT ? 0 : io_fail(c, raw, "open the whited-out directory");
    int rc = 0;
    if (opaque) {
        if (remove_children(dfd) < 0)
            rc = io_fail(c, raw, "empty the opaque directory");
        return rc;
    }
    if (layer_remove_at(dfd, victim) < 0)
        rc = io_fail(c, raw, "remove the whited-out file");
    close(dfd);
    return rc;
}

static int one_pass(ctx *c, int layer_fd, bool whiteouts)
{
    if (lseek(layer_fd, 0, SEEK_SET) < 0) {
        snprintf(c->error, c->size, "%s: rewind: %s", c->label, strerror(errno));
        return -1;
    }
    struct archive *a = archive_read_new();
    if (!a) {
        snprintf(c->error, c->size, "%s: libarchive: out of memory", c->label);
        return -1;
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    int rc = 0;
    if (archive_read_open_fd(a, layer_fd, 1 << 16) != ARCHIVE_OK) {
        snprintf(c->error, c->size, "%s: not a tar archive: %s", c->label, archive_error_string(a));
        rc = -1;
    }
    struct archive_entry *e;
    int r;
    while (rc == 0 && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
        if (r < ARCHIVE_WARN) {
            snprintf(c->error, c->size, "%s: read: %s", c->label, archive_error_string(a));
            rc = -1;
            break;
        }
        rc = whiteouts ? apply_whiteout(c, e) : apply_entry(c, a, e);
    }
    archive_read_free(a);
    return rc;
}

int layer_apply(int root_fd, int layer_fd, const char *label, char *error, size_t size)
{
    ctx c = {root_fd, label, error, size};
    if (one_pass(&c, layer_fd, true) < 0)
        return -1;
    return one_pass(&c, layer_fd, false);
}

/* ---- the finished tree ---- */

static char finish_error[512];

static int finish_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_SL || S_ISLNK(st->st_mode))
        return 0;
    mode_t m = st->st_mode & 07777;
    mode_t want = (m & ~06000u) | S_IROTH | S_IRGRP;
    if (S_ISDIR(st->st_mode) || (m & S_IXUSR))
        want |= S_IXOTH | S_IXGRP;
    if (want != m && chmod(path, want) < 0) {
        snprintf(finish_error, sizeof finish_error, "chmod %s: %s", path, strerror(errno));
        return 1;
    }
    if ((st->st_uid != 0 || st->st_gid != 0) && lchown(path, 0, 0) < 0) {
        snprintf(finish_error, sizeof finish_error, "chown %s: %s", path, strerror(errno));
        return 1;
    }
    return 0;
}

/* `name` under parent_fd as a world-writable sticky directory, made if
 * missing, and reached without following a symlink: an absolute symlink
 * in an image resolves inside it at run time, but names a host path to
 * the importer.  -1 with errno (ELOOP or ENOTDIR: it is not a directory). */
static int sticky_dir_at(int parent_fd, const char *name)
{
    if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
        return -1;
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fchmod(fd, 01777);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* tmp, which the sandbox needs as a directory, and var/tmp, as in a
 * Debian tree: with it (and empty) runs can share a read-only view of the
 * image (sandbox/image_view.c).  A var or var/tmp that is not a plain
 * directory is left alone: such an image runs on its own overlay. */
static int make_tmp_dirs(int root_fd, const char *root, char *error, size_t size)
{
    if (sticky_dir_at(root_fd, "tmp") < 0) {
        snprintf(error, size, "%s/tmp: %s%s", root, strerror(errno),
                 errno == ELOOP || errno == ENOTDIR ? " (the sandbox needs a directory there, not a symlink)" : "");
        return -1;
    }
    int var_fd = openat(root_fd, "var", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (var_fd < 0)
        return 0;
    int rc = sticky_dir_at(var_fd, "tmp") < 0 && errno != ELOOP && errno != ENOTDIR ? -1 : 0;
    if (rc < 0)
        snprintf(error, size, "make %s/var/tmp: %s", root, strerror(errno));
    close(var_fd);
    return rc;
}

int layer_finish_tree(const char *root, char *error, size_t size)
{
    const char *dirs[] = {"box", "proc", "dev", "sys", "etc", "var"};
    int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0) {
        snprintf(error, size, "open %s: %s", root, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct stat st;
        if (fstatat(rfd, dirs[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        if (mkdirat(rfd, dirs[i], 0755) < 0) {
            snprintf(error, size, "mkdir %s/%s: %s", root, dirs[i], strerror(errno));
            close(rfd);
            return -1;
        }
    }
    int rc = make_tmp_dirs(rfd, root, error, size);
    close(rfd);
    if (rc < 0)
        return -1;
    /* nftw is not reentrant-friendly with a context; imports are one at a
     * time per process (the CLI), so a static error buffer is enough */
    finish_error[0] = '\0';
    if (nftw(root, finish_one, 64, FTW_PHYS) != 0) {
        snprintf(error, size, "%s", finish_error[0] ? finish_error : strerror(errno));
        return -1;
    }
    return 0;
}
