/*
 * test_image_view.c - the rootfs views of sandbox/image_view.c: a rootfs
 * with empty tmp, var/tmp and box (and proc, dev) gets a view, the same
 * one again while it is fresh (same overlay: same st_dev), a new one once
 * its path names another directory; a rootfs that does not fit, and a
 * one-run context, get none; at most 32 paths are kept (the least recently
 * used goes first).  On a kernel before 6.13 no rootfs gets a view and the
 * context remembers why.  Needs root (the mounts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

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

/* Clone name's view: 1 (with the view's device in *dev), 0 or -1.  The
 * clone is held open (until exit) so that no later overlay gets its device
 * number again. */
static int clone_view(sandbox_context *context, const char *name, dev_t *dev)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", base, name);
    struct stat info;
    if (stat(path, &info) < 0)
        return -1;
    int tree_fd;
    uint64_t made_ns;
    sandbox_error error = {0};
    int rc = image_view_clone(context, path, &info, &tree_fd, &made_ns, &error);
    if (rc > 0) {
        struct stat root;
        rc = fstat(tree_fd, &root) == 0 && made_ns > 0 ? 1 : -1;
        *dev = root.st_dev;
    }
    return rc;
}

static int kernel_takes_layer_fds(void)
{
    struct utsname name;
    int major = 0, minor = 0;
    return uname(&name) == 0 && sscanf(name.release, "%d.%d", &major, &minor) == 2 &&
           (major > 6 || (major == 6 && minor >= 13));
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
    if (!kernel_takes_layer_fds()) {
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
