/*
 * image_view.c - the read-only part of a run's root, built once per rootfs
 * and process instead of once per run.
 *
 * A fresh overlay per run starts with no dentries: every path the run
 * opens is looked up again, in the overlay and in its layers, and the
 * first gcc of a run paid 3-5 ms for that alone (docs/performance.md).
 * A view is one read-only overlay of the rootfs, mounted detached by the
 * supervisor as real root and held here; each run gets a clone of it
 * (open_tree), which shares the overlay's warm dentries and nothing else.
 * Nothing a run does can change a view: it has no upper layer and is
 * mounted read-only.  The places a run may write (tmp, var/tmp and box)
 * are bound over it from the run's own scratch tmpfs (mounts.c), the
 * same directories and the same single disk cap as with an overlay root;
 * writing anywhere else fails with EROFS where it failed with EACCES.
 *
 * The layers are passed by descriptor ("lowerdir+", Linux 6.13), so the
 * view's options in a run's /proc/mounts name no host path; below them
 * an empty tmpfs, as an overlay without an upper layer needs two.  A
 * kernel without that, or a rootfs without empty tmp, var/tmp and box
 * directories and proc and dev, gets no view: its runs mount their own
 * overlay as before.
 *
 * A view caches lookups, and overlayfs does not see a layer change under
 * it: a file replaced in the rootfs in place would still be the old one,
 * a new one missing.  So a run never gets a view older than
 * IMAGE_VIEW_MAX_AGE_NS (2 s; a change in place shows within that), nor
 * one of another directory than its rootfs path names now (the image
 * store swaps a new tree in by rename: that shows at once).  A sandbox
 * prepared ahead with a view ages with it (run.c), so a slot prepares
 * with a view only while its runs come less than a second apart; an
 * idle slot's next run gets its own overlay, prepared, as before.
 *
 * A rootfs may come packed as well: an erofs image of the same tree in
 * "<rootfs>.erofs" beside it (rootfs-recipes/build.sh makes one for each
 * image).  Where the kernel mounts erofs from a file (Linux 6.12), its
 * view is that image, mounted read-only, instead of an overlay: no
 * overlay permission checks on every path a compiler opens (gcc ran 3-5%
 * faster, docs/performance.md), and its source in /proc/mounts is
 * /proc/self/fd/N, no host path.  Such a view does not age: an image file
 * is never changed, only replaced, so a run uses it while the stat of
 * "<rootfs>.erofs" is the view's (same file, mtime and size), and while
 * the directory is the same; the directory itself is then not read.  A
 * packed view unused for IMAGE_VIEW_PACKED_IDLE_NS goes, so that a
 * removed image's file is not held for long.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"

#define IMAGE_VIEWS_MAX 32 /* rootfs paths with a view (or known to have none) per process */
#define IMAGE_VIEW_PACKED_IDLE_NS (600ull * 1000000000ull)

struct image_view {
    image_view *next;       /* in context->image_views, most recently used first */
    char rootfs[PATH_MAX];
    dev_t dev;
    ino_t ino;
    packed_image image;     /* the packed image's stat when the entry was made */
    bool packed;            /* mount_fd is the packed image's (else an overlay of the directory) */
    uint64_t made_ns;       /* CLOCK_MONOTONIC */
    uint64_t used_ns;       /* last cloned */
    int mount_fd;           /* the detached read-only view; -1: this rootfs gets no view */
};

static uint64_t now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

bool image_view_fresh(uint64_t made_ns)
{
    return made_ns == 0 || now_ns() - made_ns <= IMAGE_VIEW_MAX_AGE_NS;
}

/* "<rootfs>.erofs", without the rootfs path's trailing slashes; false if too long. */
static bool packed_image_path(const char *rootfs, char *path, size_t size)
{
    size_t length = strlen(rootfs);
    while (length > 1 && rootfs[length - 1] == '/')
        length--;
    return snprintf(path, size, "%.*s.erofs", (int)length, rootfs) < (int)size;
}

static packed_image packed_image_of(const struct stat *info)
{
    return (packed_image){.present = S_ISREG(info->st_mode), .dev = info->st_dev, .ino = info->st_ino,
                          .mtime_ns = (int64_t)info->st_mtim.tv_sec * 1000000000 + info->st_mtim.tv_nsec,
                          .size = (int64_t)info->st_size};
}

void packed_image_stat(const char *rootfs, packed_image *image)
{
    *image = (packed_image){0};
    char path[PATH_MAX];
    struct stat info;
    if (packed_image_path(rootfs, path, sizeof path) && stat(path, &info) == 0)
        *image = packed_image_of(&info);
}

bool packed_image_same(const packed_image *a, const packed_image *b)
{
    return a->present == b->present && (!a->present || (a->dev == b->dev && a->ino == b->ino &&
                                                         a->mtime_ns == b->mtime_ns && a->size == b->size));
}

static int fsopen_(const char *type) { return (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC); }

static int fsconfig_(int fs_fd, unsigned command, const char *key, const char *value, int aux)
{
    return (int)syscall(SYS_fsconfig, fs_fd, command, key, value, aux);
}

static int fsmount_(int fs_fd, unsigned attributes)
{
    return (int)syscall(SYS_fsmount, fs_fd, FSMOUNT_CLOEXEC, attributes);
}

/* `path` in the rootfs, no component of it a symlink: init mounts on these
 * paths before pivot_root, where a symlink would lead out of the rootfs. */
static int open_beneath(int tree_fd, const char *path, uint64_t flags)
{
    struct open_how how = {.flags = flags | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, tree_fd, path, &how, sizeof how);
}

/* A directory with nothing in it: what a bound scratch directory may
 * cover without hiding anything the overlay would merge. */
static bool is_empty_dir(int tree_fd, const char *path)
{
    int fd = open_beneath(tree_fd, path, O_RDONLY);
    if (fd < 0)
        return false;
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return false;
    }
    bool empty = true;
    struct dirent *entry;
    while (empty && (entry = readdir(dir)))
        empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0;
    closedir(dir);
    return empty;
}

static bool is_dir(int tree_fd, const char *path)
{
    int fd = open_beneath(tree_fd, path, O_PATH);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

/* Can a run's root be this rootfs read-only, with tmp, var/tmp and box
 * bound over it and proc and dev mounted on it? */
static bool rootfs_fits_view(int tree_fd)
{
    return is_empty_dir(tree_fd, "tmp") && is_empty_dir(tree_fd, "var/tmp") && is_empty_dir(tree_fd, "box") &&
           is_dir(tree_fd, "proc") && is_dir(tree_fd, "dev");
}

/* The empty bottom layer: a detached tmpfs of one page. */
static int make_empty_layer(sandbox_error *error)
{
    int fs_fd = fsopen_("tmpfs");
    if (fs_fd < 0)
        return error_errno(error, "fsopen tmpfs");
    int mount_fd = -1;
    if (fsconfig_(fs_fd, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
        fsconfig_(fs_fd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
        fsconfig_(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        error_errno(error, "create the empty layer's tmpfs");
    else if ((mount_fd = fsmount_(fs_fd, MOUNT_ATTR_RDONLY)) < 0)
        error_errno(error, "mount the empty layer's tmpfs");
    close(fs_fd);
    return mount_fd;
}

/* The view of the rootfs open as tree_fd.  -1 with *unsupported set: the
 * kernel takes no layer by descriptor. */
static int make_view(int tree_fd, bool *unsupported, sandbox_error *error)
{
    int empty_fd = make_empty_layer(error);
    if (empty_fd < 0)
        return -1;
    int fs_fd = fsopen_("overlay"), mount_fd = -1;
    if (fs_fd < 0) {
        error_errno(error, "fsopen overlay");
    } else if (fsconfig_(fs_fd, FSCONFIG_SET_STRING, "source", "judgebox-root", 0) < 0) {
        error_errno(error, "name the rootfs view");
    } else if (fsconfig_(fs_fd, FSCONFIG_SET_FD, "lowerdir+", NULL, tree_fd) < 0) {
        *unsupported = errno == EINVAL;
        error_errno(error, "pass the rootfs to the view's overlay by descriptor");
    } else if (fsconfig_(fs_fd, FSCONFIG_SET_FD, "lowerdir+", NULL, empty_fd) < 0 ||
               fsconfig_(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        error_errno(error, "create the rootfs view's overlay");
    } else if ((mount_fd = fsmount_(fs_fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0) {
        error_errno(error, "mount the rootfs view's overlay");
    }
    if (fs_fd >= 0)
        close(fs_fd);
    close(empty_fd);
    return mount_fd;
}

/* The view of rootfs's packed image (stat'ed as `image`): the image
 * mounted read-only from its file, if it is still that file and its tree
 * fits a view.  -1 with *unsupported set: the kernel mounts no erofs from
 * a file (before Linux 6.12, or built without it). */
static int make_packed_view(const char *rootfs, const packed_image *image, bool *unsupported,
                            sandbox_error *error)
{
    char path[PATH_MAX];
    if (!packed_image_path(rootfs, path, sizeof path))
        return error_set(error, ENAMETOOLONG, "packed image of %s: path too long", rootfs);
    int image_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (image_fd < 0)
        return error_errno(error, "open %s", path);
    struct stat opened;
    packed_image now = {0};
    if (fstat(image_fd, &opened) == 0)
        now = packed_image_of(&opened);
    if (!packed_image_same(&now, image)) {
        close(image_fd);
        return error_set(error, ESTALE, "%s changed while it was opened", path);
    }
    /* The source names the file by descriptor: the only name a run's
     * /proc/mounts shows. */
    char source[32];
    snprintf(source, sizeof source, "/proc/self/fd/%d", image_fd);
    int fs_fd = fsopen_("erofs"), mount_fd = -1;
    if (fs_fd < 0) {
        *unsupported = errno == ENODEV;
        error_errno(error, "fsopen erofs");
    } else if (fsconfig_(fs_fd, FSCONFIG_SET_STRING, "source", source, 0) < 0) {
        error_errno(error, "name %s as the packed view's source", path);
    } else if (fsconfig_(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        *unsupported = errno == ENOTBLK;
        error_errno(error, "mount erofs from %s", path);
    } else if ((mount_fd = fsmount_(fs_fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0) {
        error_errno(error, "mount the packed view of %s", path);
    } else if (!rootfs_fits_view(mount_fd)) {
        error_set(error, ENOTDIR, "%s: no empty tmp, var/tmp and box, or no proc and dev", path);
        close(mount_fd);
        mount_fd = -1;
    }
    if (fs_fd >= 0)
        close(fs_fd);
    close(image_fd);
    return mount_fd;
}

static void view_free(image_view *view)
{
    if (view->mount_fd >= 0)
        close(view->mount_fd);
    free(view);
}

/* A new entry for rootfs: a view of its packed image if it has one, else
 * one of its directory, or none (mount_fd -1) when neither fits or could
 * be made.  NULL: out of memory. */
static image_view *view_new(sandbox_context *context, const char *rootfs, const struct stat *info,
                            const packed_image *image)
{
    image_view *view = calloc(1, sizeof *view);
    if (!view)
        return NULL;
    snprintf(view->rootfs, sizeof view->rootfs, "%s", rootfs);
    view->dev = info->st_dev;
    view->ino = info->st_ino;
    view->image = *image;
    view->made_ns = view->used_ns = now_ns();
    view->mount_fd = -1;
    sandbox_error ignored = {0};
    bool unsupported = false;
    if (image->present && !context->packed_views_unsupported) {
        view->mount_fd = make_packed_view(rootfs, image, &unsupported, &ignored);
        view->packed = view->mount_fd >= 0;
        if (unsupported)
            context->packed_views_unsupported = true;
    }
    if (view->packed || context->image_views_unsupported)
        return view;
    int tree_fd = open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree_fd < 0)
        return view; /* the run's own open_tree will say why */
    struct stat opened;
    unsupported = false;
    /* The directory opened must be the one the caller stat'ed. */
    if (fstat(tree_fd, &opened) == 0 && opened.st_dev == info->st_dev && opened.st_ino == info->st_ino &&
        rootfs_fits_view(tree_fd))
        view->mount_fd = make_view(tree_fd, &unsupported, &ignored);
    if (unsupported)
        context->image_views_unsupported = true;
    close(tree_fd);
    return view;
}

/* Take rootfs's entry out of the list (the caller puts it back first);
 * NULL if there is none. */
static image_view *take_view(sandbox_context *context, const char *rootfs)
{
    for (image_view **link = &context->image_views; *link; link = &(*link)->next)
        if (strcmp((*link)->rootfs, rootfs) == 0) {
            image_view *view = *link;
            *link = view->next;
            context->image_view_count--;
            return view;
        }
    return NULL;
}

/* Close every view (`all`), or those too old to be used again (a packed
 * one: unused for long): each holds its rootfs's tree or image file,
 * which a swapped-out image's removal would otherwise not free. */
static void drop_views(sandbox_context *context, bool all)
{
    uint64_t now = now_ns();
    for (image_view **link = &context->image_views; *link;) {
        image_view *view = *link;
        bool fresh = view->packed ? now - view->used_ns <= IMAGE_VIEW_PACKED_IDLE_NS
                                  : now - view->made_ns <= IMAGE_VIEW_MAX_AGE_NS;
        if (!all && fresh) {
            link = &view->next;
            continue;
        }
        *link = view->next;
        view_free(view);
        context->image_view_count--;
    }
}

/* Room for one more entry: the least recently used (the last) goes. */
static void evict_if_full(sandbox_context *context)
{
    if (context->image_view_count < IMAGE_VIEWS_MAX)
        return;
    image_view **link = &context->image_views;
    while ((*link)->next)
        link = &(*link)->next;
    view_free(*link);
    *link = NULL;
    context->image_view_count--;
}

int image_view_clone(sandbox_context *context, const char *rootfs, const struct stat *info,
                     const packed_image *image, bool overlay_ok, int *tree_fd, uint64_t *made_ns,
                     sandbox_error *error)
{
    *tree_fd = -1;
    *made_ns = 0;
    if (context->one_run || strlen(rootfs) >= PATH_MAX)
        return 0; /* one run: a view is one more mount than an overlay */
    pthread_mutex_lock(&context->mutex);
    bool packed_ok = image->present && !context->packed_views_unsupported;
    if (!packed_ok && (!overlay_ok || context->image_views_unsupported)) {
        pthread_mutex_unlock(&context->mutex);
        return 0;
    }
    int rc = 0;
    drop_views(context, false);
    image_view *view = take_view(context, rootfs);
    if (view &&
        (view->dev != info->st_dev || view->ino != info->st_ino || !packed_image_same(&view->image, image))) {
        view_free(view); /* the path names another tree, or another image, now */
        view = NULL;
    }
    if (!view) {
        evict_if_full(context);
        view = view_new(context, rootfs, info, image);
    }
    if (view) {
        view->next = context->image_views;
        context->image_views = view;
        context->image_view_count++;
        if (view->mount_fd >= 0 && (view->packed || overlay_ok)) {
            *tree_fd = open_tree(view->mount_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
            rc = *tree_fd >= 0 ? 1 : error_errno(error, "clone the view of rootfs %s", rootfs);
            *made_ns = rc > 0 && !view->packed ? view->made_ns : 0;
            view->used_ns = now_ns();
        }
    }
    pthread_mutex_unlock(&context->mutex);
    return rc;
}

void image_views_release(sandbox_context *context)
{
    drop_views(context, true);
}
