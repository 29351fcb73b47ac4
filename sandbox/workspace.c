/*
 * workspace.c - host directories that outlive one run but not a request:
 * each is its own size-capped tmpfs under <state>/workspaces, so a compile
 * step can leave a program there (bound writable at /box) and every test
 * reads it (as the lower layer of a copy-on-write /box).  Destroying one
 * unmounts it, which frees everything in it at once.  A workspace is
 * named <pid>-<start>-<n> after the process that made it (its pid and its
 * start time, field 22 of /proc/<pid>/stat: a pid alone may be reused, e.g.
 * by a restarted server in a container, which would take a dead one's
 * names for its own); those of a process that died without destroying
 * them (kill -9) are reclaimed by the next context that opens the same
 * state directory (a restarted server, `cleanup`, `judgebox run`).  A
 * workspace of a live process (another server on the machine) is never
 * touched.  <pid>-<n> names (older builds) are judged by the pid alone.
 *
 * A destroyed workspace is emptied and kept for the next request of the
 * same size instead (up to IDLE_WORKSPACES_MAX): unmounting a tmpfs waits for an
 * expedited RCU grace period, which interrupts every CPU, and mounting
 * and making its folder cost more than unlinking what a request left.
 * Only what no run of it can touch again is kept: every run that used it
 * is over (its processes dead with their pid namespace), nothing of it can
 * hold a mount, and the emptied folder has the mode, owner and size of a
 * fresh one.  One that cannot be emptied whole is unmounted as before.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
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
    sandbox_context *context;
    uint64_t size_kb;
    sandbox_workspace *next;    /* in context->idle_workspaces */
};

/* Process-wide, so two contexts of one process never pick the same name. */
static atomic_ulong workspace_counter;

/* Start time of `pid` in clock ticks after boot (0 if it cannot be read:
 * no such process). */
static unsigned long long start_time_of(long pid)
{
    char path[64], buffer[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t got = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (got <= 0)
        return 0;
    buffer[got] = '\0';
    const char *field = strrchr(buffer, ')'); /* the command name may hold spaces */
    if (!field)
        return 0;
    /* After ") " come fields 3..: state is 3, starttime is 22. */
    for (int i = 3; i <= 22 && field; i++)
        field = strchr(field + 1, ' ');
    return field ? strtoull(field + 1, NULL, 10) : 0;
}

static unsigned long long own_start_time(void)
{
    static _Atomic unsigned long long cached;
    unsigned long long value = atomic_load(&cached);
    if (!value) {
        value = start_time_of((long)getpid());
        atomic_store(&cached, value);
    }
    return value;
}

/* An emptied workspace of this size, if one is kept. */
static sandbox_workspace *take_idle(sandbox_context *context, uint64_t size_kb)
{
    pthread_mutex_lock(&context->mutex);
    sandbox_workspace **link = &context->idle_workspaces, *found = NULL;
    for (; *link; link = &(*link)->next)
        if ((*link)->size_kb == size_kb) {
            found = *link;
            *link = found->next;
            found->next = NULL;
            context->idle_workspace_count--;
            break;
        }
    pthread_mutex_unlock(&context->mutex);
    return found;
}

int sandbox_workspace_create(sandbox_context *context, uint64_t size_kb, sandbox_workspace **out,
                             sandbox_error *error)
{
    *out = take_idle(context, size_kb);
    if (*out)
        return 0;
    sandbox_workspace *workspace = calloc(1, sizeof *workspace);
    if (!workspace)
        return error_set(error, ENOMEM, "allocate a workspace");
    workspace->context = context;
    workspace->size_kb = size_kb;
    unsigned long number = atomic_fetch_add(&workspace_counter, 1) + 1;
    snprintf(workspace->path, sizeof workspace->path, "%.*s/%d-%llu-%lu", PATH_MAX - 64, context->workspace_dir,
             (int)getpid(), own_start_time(), number);
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

/* Remove everything below directory `fd` (closed here), not following
 * symlinks or crossing into another mount; false if anything is left. */
static bool remove_below(int fd, dev_t device, int depth)
{
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return false;
    }
    bool whole = depth < 64;
    struct dirent *entry;
    while (whole && (errno = 0, entry = readdir(dir))) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (unlinkat(dirfd(dir), name, 0) == 0)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            whole = false;
            break;
        }
        int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat info;
        if (child < 0 || fstat(child, &info) < 0 || info.st_dev != device) {
            if (child >= 0)
                close(child);
            whole = false;
            break;
        }
        /* A directory of mode 0 or without write permission is still root's to empty. */
        whole = remove_below(child, device, depth + 1) && unlinkat(dirfd(dir), name, AT_REMOVEDIR) == 0;
    }
    if (whole && errno)
        whole = false;
    closedir(dir);
    return whole;
}

bool workspace_empty(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat info;
    if (fd < 0)
        return false;
    if (fstat(fd, &info) < 0 || info.st_uid != 0 || info.st_gid != 0) {
        close(fd);
        return false;
    }
    if (fchmod(fd, 0777) < 0) {
        close(fd);
        return false;
    }
    return remove_below(fd, info.st_dev, 0);
}

/* Two per slot of a server with four slots; more only cost mounts on the host. */
#define IDLE_WORKSPACES_MAX 8

static void unmount_and_free(sandbox_workspace *workspace)
{
    if (umount2(workspace->path, MNT_DETACH) == 0 || errno == EINVAL)
        rmdir(workspace->path);
    free(workspace);
}

void sandbox_workspace_destroy(sandbox_workspace *workspace)
{
    if (!workspace)
        return;
    sandbox_context *context = workspace->context;
    pthread_mutex_lock(&context->mutex);
    bool room = context->idle_workspace_count < IDLE_WORKSPACES_MAX; /* else no point emptying it */
    pthread_mutex_unlock(&context->mutex);
    if (room && workspace_empty(workspace->path)) {
        pthread_mutex_lock(&context->mutex);
        bool kept = context->idle_workspace_count < IDLE_WORKSPACES_MAX;
        if (kept) {
            workspace->next = context->idle_workspaces;
            context->idle_workspaces = workspace;
            context->idle_workspace_count++;
        }
        pthread_mutex_unlock(&context->mutex);
        if (kept)
            return;
    }
    unmount_and_free(workspace);
}

void workspace_release_idle(sandbox_context *context)
{
    sandbox_workspace *workspace = context->idle_workspaces;
    context->idle_workspaces = NULL;
    context->idle_workspace_count = 0;
    while (workspace) {
        sandbox_workspace *next = workspace->next;
        unmount_and_free(workspace);
        workspace = next;
    }
}

/* Is the owner of workspace `name` gone?  False when unsure. */
static bool owner_is_dead(const char *name)
{
    char *end;
    errno = 0;
    long pid = strtol(name, &end, 10);
    if (errno || end == name || *end != '-' || pid <= 0)
        return false;               /* not a workspace name */
    errno = 0;
    char *after;
    unsigned long long start = strtoull(end + 1, &after, 10);
    bool has_start = !errno && after != end + 1 && *after == '-';
    if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
        return true;
    /* The pid lives: the same process only if it started when the name says. */
    return has_start && start_time_of(pid) != start;
}

void workspace_reclaim_dead(const char *workspace_dir)
{
    DIR *dir = opendir(workspace_dir);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (!owner_is_dead(entry->d_name))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%.*s/%s", PATH_MAX - 300, workspace_dir, entry->d_name);
        if (umount2(path, MNT_DETACH) == 0 || errno == EINVAL)
            rmdir(path);
    }
    closedir(dir);
}

bool workspace_is_own_root(const sandbox_context *context, const char *path)
{
    size_t length = strlen(context->workspace_dir);
    if (strncmp(path, context->workspace_dir, length) != 0 || path[length] != '/' || !path[length + 1] ||
        strchr(path + length + 1, '/'))
        return false;
    struct statx info;
    return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &info) == 0 && S_ISDIR(info.stx_mode) &&
           (info.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (info.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}
