/*
 * workspace.c - host directories that outlive one run but not a request:
 * each is its own size-capped tmpfs under <state>/workspaces, so a compile
 * step can leave a program there (bound writable at /box) and every test
 * reads it (as the lower layer of a copy-on-write /box).  Destroying one
 * unmounts it, which frees everything in it at once.  A workspace is
 * named <pid>-<n> after the process that made it; those of a process that
 * died without destroying them (kill -9) are reclaimed by the next context
 * that opens the same state directory (a restarted server, `cleanup`).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"

struct sandbox_workspace {
    char path[PATH_MAX];
};

int sandbox_workspace_create(sandbox_context *context, uint64_t size_kb, sandbox_workspace **out,
                             sandbox_error *error)
{
    *out = NULL;
    sandbox_workspace *workspace = calloc(1, sizeof *workspace);
    if (!workspace)
        return error_set(error, ENOMEM, "allocate a workspace");
    pthread_mutex_lock(&context->mutex);
    unsigned long number = ++context->workspace_counter;
    pthread_mutex_unlock(&context->mutex);
    snprintf(workspace->path, sizeof workspace->path, "%.*s/%d-%lu", PATH_MAX - 48, context->workspace_dir,
             (int)getpid(), number);
    if (mkdir(workspace->path, 0755) < 0) {
        error_errno(error, "mkdir %s", workspace->path);
        free(workspace);
        return -1;
    }
    char options[96];
    /* World-writable: the compile step writes here as the slot's host uid. */
    snprintf(options, sizeof options, "size=%luk,nr_inodes=%lu,mode=0777", (unsigned long)size_kb,
             (unsigned long)(size_kb / 4 < 1024 ? 1024 : size_kb / 4));
    if (mount("judgebox-workspace", workspace->path, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
        error_errno(error, "mount tmpfs on %s", workspace->path);
        rmdir(workspace->path);
        free(workspace);
        return -1;
    }
    *out = workspace;
    return 0;
}

const char *sandbox_workspace_path(const sandbox_workspace *workspace)
{
    return workspace->path;
}

void sandbox_workspace_destroy(sandbox_workspace *workspace)
{
    if (!workspace)
        return;
    if (umount2(workspace->path, MNT_DETACH) == 0 || errno == EINVAL)
        rmdir(workspace->path);
    free(workspace);
}

void workspace_reclaim_dead(const char *workspace_dir)
{
    DIR *dir = opendir(workspace_dir);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        char *dash;
        errno = 0;
        long pid = strtol(entry->d_name, &dash, 10);
        if (errno || dash == entry->d_name || *dash != '-' || pid <= 0)
            continue;
        /* Alive (or a pid we may not signal): its owner destroys it. */
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%.*s/%s", PATH_MAX - 300, workspace_dir, entry->d_name);
        if (umount2(path, MNT_DETACH) == 0 || errno == EINVAL)
            rmdir(path);
    }
    closedir(dir);
}
