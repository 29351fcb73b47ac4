/*
 * test_image_view.c - the rootfs views of sandbox/image_view.c: a rootfs
 * with empty tmp, var/tmp and box (and proc, dev) gets a view, the same
 * one again while it is fresh (same overlay: same st_dev), a new one once
 * its path names another directory; a rootfs that does not fit, and a
 * one-run context, get none; at most 32 paths are kept (the least recently
 * used goes first).  On a kernel before 6.13 no rootfs gets an overlay
 * view and the context remembers why.  A rootfs packed as
 * "<rootfs>.erofs" (mkfs.erofs, as rootfs-recipes/build.sh makes it) gets
 * a view of that image on Linux >= 6.12, without an age and even where
 * an overlay view is not wanted; a new image file gets a new view; an
 * image that is gone, broken or does not fit leaves the directory's own
 * view.  Needs root (the mounts) and mkfs.erofs (erofs-utils).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

#define OVERLAYFS_MAGIC 0x794c7630
#define EROFS_MAGIC 0xe0f5e1e2

static char base[] = "/tmp/judgebox-unit-view.XXXXXX";

static void make_rootfs(const char *name, const char *missing)
{
    static const char *const dirs[] = {"tmp", "var", "var/tmp", "box", "proc", "dev"};
    char path[512];
    snprintf(path, sizeof path, "%s/%s", base, name);
    mkdir(path, 0755);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (missing && strcmp(dirs[i], missing) == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s/%s", base, name, dirs[i]);
        mkdir(path, 0755);
    }
}

/* Clone name's view: 1 (with the view's device in *dev, the age it
 * reports in *made_ns and its filesystem type in *type), 0 or -1.  The
 * clone is held open (until exit) so that no later overlay gets its device
 * number again. */
static int clone_view_as(sandbox_context *context, const char *name, bool overlay_ok, dev_t *dev,
                         uint64_t *made_ns, long *type)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", base, name);
    struct stat info;
    if (stat(path, &info) < 0)
        return -1;
    packed_image image;
    packed_image_stat(path, &image);
    int tree_fd;
    sandbox_error error = {0};
    int rc = image_view_clone(context, path, &info, &image, overlay_ok, &tree_fd, made_ns, &error);
    if (rc > 0) {
        struct stat root;
        struct statfs fs;
        rc = fstat(tree_fd, &root) == 0 && fstatfs(tree_fd, &fs) == 0 ? 1 : -1;
        *dev = root.st_dev;
        *type = (long)fs.f_type;
    }
    return rc;
}

/* An overlay view of name's directory: 1 when it is one (made_ns set). */
static int clone_view(sandbox_context *context, const char *name, dev_t *dev)
{
    uint64_t made_ns = 0;
    long type = 0;
    int rc = clone_view_as(context, name, true, dev, &made_ns, &type);
    return rc > 0 ? (made_ns > 0 && type == OVERLAYFS_MAGIC ? 1 : -1) : rc;
}

static int kernel_at_least(int want_major, int want_minor)
{
    struct utsname name;
    int major = 0, minor = 0;
    return uname(&name) == 0 && sscanf(name.release, "%d.%d", &major, &minor) == 2 &&
           (major > want_major || (major == want_major && minor >= want_minor));
}

/* mkfs.erofs FROM into TO.erofs (all under base), written beside and renamed over. */
static int pack(const char *from, const char *to)
{
    char command[1600];
    snprintf(command, sizeof command,
             "mkfs.erofs --quiet -zlz4 '%s/%s.erofs.new' '%s/%s' >/dev/null && mv '%s/%s.erofs.new' '%s/%s.erofs'",
             base, to, base, from, base, to, base, to);
    return system(command) == 0;
}

/* The packed views, on a kernel that mounts erofs from a file. */
static void check_packed_views(sandbox_context *context)
{
    dev_t first = 0, again = 0, next = 0, unused = 0;
    uint64_t made_ns = 1;
    long type = 0;
    make_rootfs("packed", NULL);
    CHECK("setup: mkfs.erofs packs a rootfs (make test installs erofs-utils)", pack("packed", "packed"));
    int rc = clone_view_as(context, "packed", false, &first, &made_ns, &type);
    if (!kernel_at_least(6, 12)) {
        CHECK("Linux < 6.12: no packed view, and the context knows the kernel mounts no erofs from a file",
              rc == 0 && context->packed_views_unsupported);
        return;
    }
    CHECK("a packed rootfs: a view of its erofs image, even where no overlay view is wanted",
          rc == 1 && type == EROFS_MAGIC);
    CHECK("a packed view does not age (made_ns 0)", made_ns == 0);
    CHECK("the same packed rootfs again: the same view",
          clone_view_as(context, "packed", false, &again, &made_ns, &type) == 1 && again == first);
    CHECK("setup: a new image renamed over the old one", pack("packed", "packed"));
    CHECK("a new image file: a new view",
          clone_view_as(context, "packed", false, &next, &made_ns, &type) == 1 && type == EROFS_MAGIC &&
              next != first);
    char path[600];
    snprintf(path, sizeof path, "%s/packed.erofs", base);
    unlink(path);
    CHECK("the image removed: the directory's own overlay view", clone_view(context, "packed", &unused) == 1);
    CHECK("the image removed, no overlay view wanted: none",
          clone_view_as(context, "packed", false, &unused, &made_ns, &type) == 0);
    FILE *broken = fopen(path, "w");
    CHECK("setup: a broken image", broken && fputs("not an erofs image\n", broken) >= 0 && fclose(broken) == 0);
    CHECK("a broken image: the directory's own overlay view", clone_view(context, "packed", &unused) == 1);
    CHECK("a broken image does not mark the kernel as unable", !context->packed_views_unsupported);
    CHECK("setup: an image of a rootfs without var/tmp", pack("no-var-tmp", "packed"));
    CHECK("an image that does not fit a view: the directory's own overlay view",
          clone_view(context, "packed", &unused) == 1);
}

int main(void)
{
    if (!mkdtemp(base)) {
        CHECK("setup: a temporary folder", 0);
        UNIT_EXIT();
    }
    sandbox_context *context = calloc(1, sizeof *context);
    pthread_mutex_init(&context->mutex, NULL);
    make_rootfs("image", NULL);
    make_rootfs("no-var-tmp", "var/tmp");
    dev_t first = 0, again = 0, swapped = 0, unused = 0;
    int rc = clone_view(context, "image", &first);
    check_packed_views(context);
    if (!kernel_at_least(6, 13)) {
        CHECK("Linux < 6.13: no view, and the context knows the kernel takes no layer fds",
              rc == 0 && context->image_views_unsupported);
        goto out;
    }
    CHECK("a rootfs with empty tmp, var/tmp, box and proc, dev gets a view", rc == 1);
    CHECK("the same rootfs again: the same view (same overlay)", clone_view(context, "image", &again) == 1 &&
                                                                     again == first);
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/image", base);
    snprintf(to, sizeof to, "%s/image.old", base);
    make_rootfs("image.new", NULL);
    rename(from, to);
    snprintf(to, sizeof to, "%s/image.new", base);
    rename(to, from);
    CHECK("its path swapped to another directory: a new view",
          clone_view(context, "image", &swapped) == 1 && swapped != first);
    CHECK("a rootfs without var/tmp: no view", clone_view(context, "no-var-tmp", &unused) == 0);
    make_rootfs("var-symlink", "var/tmp");
    char target[512], link[512];
    snprintf(target, sizeof target, "%s/var-symlink/var", base);
    snprintf(link, sizeof link, "%s/var-symlink/real-var", base);
    rename(target, link);
    snprintf(target, sizeof target, "%s/var-symlink/real-var/tmp", base);
    mkdir(target, 0755);
    snprintf(target, sizeof target, "%s/var-symlink/var", base);
    CHECK("setup: var a symlink to a directory holding tmp", symlink("real-var", target) == 0);
    CHECK("a rootfs whose var is a symlink: no view", clone_view(context, "var-symlink", &unused) == 0);
    CHECK("image_view_fresh: no view (0) is always fresh", image_view_fresh(0));
    CHECK("image_view_fresh: a view made 2 s ago or more is not", !image_view_fresh(1));
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "many%d", i);
        make_rootfs(name, NULL);
        clone_view(context, name, &unused);
    }
    CHECK("at most 32 rootfs paths are kept", context->image_view_count <= 32 && context->image_view_count > 0);
    dev_t many0 = 0, many0_again = 0, many39 = 0, many39_again = 0;
    clone_view(context, "many39", &many39);
    clone_view(context, "many39", &many39_again);
    CHECK("the most recent path is still kept", many39 == many39_again);
    clone_view(context, "many0", &many0);
    clone_view(context, "many0", &many0_again);
    CHECK("an evicted path gets a view again (and keeps it)", many0 != 0 && many0 == many0_again);
    context->one_run = true;
    CHECK("a one-run context: no view", clone_view(context, "many39", &unused) == 0);
out:
    image_views_release(context);
    CHECK("image_views_release leaves none", context->image_views == NULL && context->image_view_count == 0);
    pthread_mutex_destroy(&context->mutex);
    free(context);
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", base);
    CHECK("cleanup", system(command) == 0);
    UNIT_EXIT();
}
