/*
 * context.c - machine-wide state made once per process: the state
 * directory (/run/judgebox: slot locks, net namespace files, the scratch
 * mount point, workspaces), the cgroup backend, the compiled seccomp
 * filter and the empty capability set the child installs.  Also
 * sandbox_cleanup, which removes what idle slots left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"
#include "network.h"

static int make_dir(const char *path, mode_t mode, sandbox_error *error)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return error_errno(error, "mkdir %s", path);
    if (chmod(path, mode) < 0)
        return error_errno(error, "chmod %s", path);
    return 0;
}

static int make_state_dirs(sandbox_context *context, sandbox_error *error)
{
    char path[PATH_MAX + 32];
    if (make_dir(context->state_dir, 0755, error) < 0)
        return -1;
    static const char *const subdirs[] = {"slots", "netns", "seccomp", "runs"};
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", context->state_dir, subdirs[i]);
        if (make_dir(path, 0700, error) < 0)
            return -1;
    }
    /* Runs (as unprivileged host uids) must reach these two. */
    if (make_dir(context->scratch_dir, 0755, error) < 0 || make_dir(context->workspace_dir, 0711, error) < 0)
        return -1;
    return 0;
}

const char *config_state_dir(const sandbox_config *config)
{
    return config && config->state_dir ? config->state_dir : "/run/judgebox";
}

unsigned config_max_slots(const sandbox_config *config)
{
    return config && config->max_slots ? config->max_slots : 64;
}

uid_t config_uid_base(const sandbox_config *config)
{
    return config && config->uid_base ? config->uid_base : SANDBOX_DEFAULT_UID_BASE;
}

static void apply_config(sandbox_context *context, const sandbox_config *config)
{
    snprintf(context->state_dir, sizeof context->state_dir, "%.*s", PATH_MAX - 32, config_state_dir(config));
    snprintf(context->scratch_dir, sizeof context->scratch_dir, "%s/scratch", context->state_dir);
    snprintf(context->workspace_dir, sizeof context->workspace_dir, "%s/workspaces", context->state_dir);
    snprintf(context->seccomp_dir, sizeof context->seccomp_dir, "%s/seccomp", context->state_dir);
    context->uid_base = config_uid_base(config);
    context->max_slots = config_max_slots(config);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    context->cpu_count = cpus > 0 ? (uint64_t)cpus : 1;
    context->one_run = config && config->one_run;
    context->attach = config && config->attach;
}

/* Our process must never be the OOM killer's choice inside a slot's
 * memory cgroup (v1 runner threads are members).  Every program raises
 * its own score to +1000, which already makes it the first choice; -1000
 * here is the second line, and needs CAP_SYS_RESOURCE, which a root
 * without it (some containers, this project's CI machines) may lack:
 * EACCES/EPERM is accepted for that reason, anything else is an error. */
static int protect_from_oom_killer(sandbox_error *error)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "open /proc/self/oom_score_adj");
    ssize_t written = write(fd, "-1000", 5);
    int saved = errno;
    close(fd);
    if (written < 0 && (saved == EACCES || saved == EPERM))
        return 0;
    if (written != 5) {
        errno = written < 0 ? saved : EIO;
        return error_errno(error, "write -1000 to /proc/self/oom_score_adj");
    }
    return 0;
}

int sandbox_context_open(const sandbox_config *config, sandbox_context **out, sandbox_error *error)
{
    *out = NULL;
    if (geteuid() != 0)
        return error_set(error, EPERM, "judgebox must run as root (it creates namespaces and cgroups)");
    const char *parent = config && config->cgroup_parent ? config->cgroup_parent : "judgebox";
    if (strchr(parent, '/') || !parent[0] || strcmp(parent, ".") == 0 || strcmp(parent, "..") == 0)
        return error_set(error, EINVAL, "cgroup parent '%s' must be a plain name", parent);
    sandbox_context *context = calloc(1, sizeof *context);
    if (!context)
        return error_set(error, ENOMEM, "allocate the sandbox context");
    apply_config(context, config);
    context->zygote_fd = -1;
    pthread_mutex_init(&context->mutex, NULL);
    if (make_state_dirs(context, error) < 0 ||
        cgroup_system_detect(&context->cgroups, parent, config ? config->force_cgroup_version : 0,
                             config && config->pin_cpus, error) < 0 ||
        seccomp_program_load(&context->seccomp, context->seccomp_dir, error) < 0) {
        sandbox_context_close(context);
        return -1;
    }
    workspace_reclaim_dead(context->workspace_dir);
    context->empty_caps = cap_init();
    if (!context->empty_caps) {
        error_errno(error, "cap_init");
        sandbox_context_close(context);
        return -1;
    }
    if (protect_from_oom_killer(error) < 0 || (config && config->helpers && helper_zygote_start(context, error) < 0)) {
        sandbox_context_close(context);
        return -1;
    }
    *out = context;
    return 0;
}

void sandbox_context_close(sandbox_context *context)
{
    if (!context)
        return;
    helper_zygote_stop(context);
    workspace_release_idle(context);
    image_views_release(context);
    seccomp_program_free(&context->seccomp);
    if (context->empty_caps)
        cap_free(context->empty_caps);
    pthread_mutex_destroy(&context->mutex);
    free(context);
}

int sandbox_context_cgroup_version(const sandbox_context *context)
{
    return context->cgroups.version;
}

/* One idle slot: its net namespace mount, lock file and cgroups. */
static int cleanup_slot(const sandbox_context *context, unsigned index, char **tables, sandbox_error *error)
{
    char lock_path[PATH_MAX + 64], netns_path[PATH_MAX + 64];
    slot_state_path(context->state_dir, index, "lock", lock_path, sizeof lock_path);
    snprintf(netns_path, sizeof netns_path, "%s/netns/slot%u", context->state_dir, index);
    int fd = open(lock_path, O_RDWR | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd); /* held by a live process: leave it alone */
        return 0;
    }
    int rc = 0;
    keeper_stop(context->state_dir, index); /* out of the slot's cgroups first */
    static const char *const keeper_files[] = {"sock", "keeper"};
    for (size_t i = 0; i < sizeof keeper_files / sizeof keeper_files[0]; i++) {
        char keeper_path[PATH_MAX + 64];
        slot_state_path(context->state_dir, index, keeper_files[i], keeper_path, sizeof keeper_path);
        if (unlink(keeper_path) < 0 && errno != ENOENT)
            rc = error_errno(error, "remove %s", keeper_path);
    }
    if (access(netns_path, F_OK) == 0) {
        if (umount2(netns_path, MNT_DETACH) < 0 && errno != EINVAL)
            rc = error_errno(error, "unmount %s", netns_path);
        if (unlink(netns_path) < 0 && errno != ENOENT)
            rc = error_errno(error, "remove %s", netns_path);
    }
    if (cgroup_slot_remove(&context->cgroups, index, error) < 0)
        rc = -1;
    run_record_remove(context->state_dir, index); /* of a supervisor that died mid-run */
    if (network_cleanup_slot(context->state_dir, index, tables, error) < 0)
        rc = -1;
    if (fd >= 0) {
        unlink(lock_path);
        close(fd);
    }
    return rc;
}

int sandbox_cleanup(const sandbox_config *config, sandbox_error *error)
{
    sandbox_context *context = NULL;
    if (sandbox_context_open(config, &context, error) < 0)
        return -1;
    int rc = 0;
    char *tables = NULL; /* the host's nftables tables, listed once */
    for (unsigned i = 0; i < context->max_slots; i++)
        if (cleanup_slot(context, i, &tables, error) < 0)
            rc = -1;
    free(tables);
    /* Compiled seccomp filters: the next start rebuilds its own. */
    DIR *cache = opendir(context->seccomp_dir);
    if (cache) {
        struct dirent *entry;
        while ((entry = readdir(cache)))
            if (entry->d_name[0] != '.' || strncmp(entry->d_name, ".tmp.", 5) == 0)
                unlinkat(dirfd(cache), entry->d_name, 0);
        closedir(cache);
    }
    /* The judgebox parents go too when nothing else uses them. */
    if (context->cgroups.version == 1) {
        for (int i = 0; i < CGROUP_V1_COUNT; i++) {
            char parent[PATH_MAX + 64];
            snprintf(parent, sizeof parent, "%s/%s", context->cgroups.v1_mounts[i], context->cgroups.parent_name);
            rmdir(parent);
        }
        if (context->cgroups.v1_cpuset_mount[0]) { /* --pin-cpus made it */
            char parent[PATH_MAX + 64];
            snprintf(parent, sizeof parent, "%s/%s", context->cgroups.v1_cpuset_mount,
                     context->cgroups.parent_name);
            rmdir(parent);
        }
    } else {
        rmdir(context->cgroups.v2_base); /* fails while a supervisor lives in it */
    }
    sandbox_context_close(context);
    return rc;
}
