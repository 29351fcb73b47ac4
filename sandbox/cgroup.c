/*
 * cgroup.c - picks the cgroup version at start (v2 when /sys/fs/cgroup is
 * a cgroup2 mount, v1 when the memory, cpuacct and pids controllers are
 * mounted as v1), dispatches to the backend, and holds the small file
 * helpers both backends use.  Every failure names the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "error.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int cgroup_write(const char *dir, const char *file, const char *value, sandbox_error *error)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "open %s", path);
    size_t length = strlen(value);
    ssize_t written = write(fd, value, length);
    int saved = errno;
    close(fd);
    if (written != (ssize_t)length) {
        errno = written < 0 ? saved : EIO;
        return error_errno(error, "write %s to %s", value, path);
    }
    return 0;
}

static int read_file(const char *dir, const char *file, char *buffer, size_t size, sandbox_error *error)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "open %s", path);
    ssize_t got = read(fd, buffer, size - 1);
    int saved = errno;
    close(fd);
    if (got < 0) {
        errno = saved;
        return error_errno(error, "read %s", path);
    }
    buffer[got] = '\0';
    return 0;
}

int cgroup_read_u64(const char *dir, const char *file, uint64_t *value, sandbox_error *error)
{
    char buffer[64];
    if (read_file(dir, file, buffer, sizeof buffer, error) < 0)
        return -1;
    if (strncmp(buffer, "max", 3) == 0) {
        *value = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull(buffer, &end, 10);
    if (errno || end == buffer)
        return error_set(error, EINVAL, "parse %s/%s: '%s'", dir, file, buffer);
    *value = parsed;
    return 0;
}

int cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *value, sandbox_error *error)
{
    char buffer[4096];
    if (read_file(dir, file, buffer, sizeof buffer, error) < 0)
        return -1;
    size_t key_length = strlen(key);
    for (char *line = buffer; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, key_length) == 0 && line[key_length] == ' ') {
            *value = strtoull(line + key_length + 1, NULL, 10);
            return 0;
        }
    }
    *value = 0;
    return 1; /* absent: callers treat as 0 */
}

int cgroup_mkdir(const char *path, sandbox_error *error)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return error_errno(error, "mkdir %s", path);
    return 0;
}

int cgroup_rmdir(const char *path, sandbox_error *error)
{
    /* A cgroup stays "populated" for a moment after its last task is
     * reaped (longer for a task just killed on a busy machine); retry
     * EBUSY for up to a second. */
    for (int attempt = 0; attempt < 1000; attempt++) {
        if (rmdir(path) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    return error_errno(error, "rmdir %s", path);
}

int cgroup_host_version(void)
{
    struct statfs fs;
    if (statfs("/sys/fs/cgroup", &fs) < 0)
        return -1;
    return fs.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
}

int cgroup_system_detect(cgroup_system *system, const char *parent_name, int force_version, bool pin_cpus,
                         sandbox_error *error)
{
    memset(system, 0, sizeof *system);
    snprintf(system->parent_name, sizeof system->parent_name, "%s", parent_name);
    int version = cgroup_host_version();
    if (version < 0)
        return error_errno(error, "statfs /sys/fs/cgroup");
    if (force_version && force_version != version)
        return error_set(error, 0, "cgroup v%d requested, but /sys/fs/cgroup is cgroup v%d", force_version, version);
    system->version = version;
    if ((version == 2 ? cgroup_v2_detect(system, error) : cgroup_v1_detect(system, error)) < 0)
        return -1;
    return cgroup_cpuset_detect(system, pin_cpus, error);
}

int cgroup_slot_open(const cgroup_system *system, unsigned index, cgroup_slot *slot, sandbox_error *error)
{
    memset(slot, 0, sizeof *slot);
    slot->system = system;
    slot->v2_run_fd = -1;
    slot->pinned_cpu = -1;
    if ((system->version == 2 ? cgroup_v2_slot_open(slot, index, error) : cgroup_v1_slot_open(slot, index, error)) < 0)
        return -1;
    return cgroup_cpuset_slot_open(slot, index, error);
}

int cgroup_slot_join_thread(cgroup_slot *slot, sandbox_error *error)
{
    if (slot->system->version != 1)
        return 0;
    if (cgroup_v1_join_thread(slot, error) < 0)
        return -1;
    return cgroup_cpuset_join_thread(slot, error);
}

int cgroup_run_create(cgroup_slot *slot, sandbox_error *error)
{
    return slot->system->version == 2 ? cgroup_v2_run_create(slot, error) : cgroup_v1_run_create(slot, error);
}

int cgroup_run_limits(cgroup_slot *slot, const sandbox_limits *limits, sandbox_error *error)
{
    return slot->system->version == 2 ? cgroup_v2_run_limits(slot, limits, error)
                                      : cgroup_v1_run_limits(slot, limits, error);
}

int cgroup_run_clone_fd(const cgroup_slot *slot)
{
    return slot->system->version == 2 ? slot->v2_run_fd : -1;
}

int cgroup_run_cpu_ns(const cgroup_slot *slot, uint64_t *cpu_ns)
{
    return slot->system->version == 2 ? cgroup_v2_cpu_ns(slot, cpu_ns) : cgroup_v1_cpu_ns(slot, cpu_ns);
}

int cgroup_run_end(cgroup_slot *slot, cgroup_usage *usage, sandbox_error *error)
{
    memset(usage, 0, sizeof *usage);
    return slot->system->version == 2 ? cgroup_v2_run_end(slot, usage, error)
                                      : cgroup_v1_run_end(slot, usage, error);
}

unsigned cgroup_run_dirs(const cgroup_slot *slot, char (*dirs)[PATH_MAX], unsigned max)
{
    const char *members[4] = {slot->v2_run};
    unsigned count = 1;
    if (slot->system->version == 1) {
        /* The run's memory cgroup is its own; cpuacct, pids (and cpuset when pinned) are the slot's. */
        members[0] = slot->v1_run;
        members[1] = slot->v1_dirs[CGROUP_V1_CPUACCT];
        members[2] = slot->v1_dirs[CGROUP_V1_PIDS];
        count = 3;
        if (slot->v1_cpuset_dir[0])
            members[count++] = slot->v1_cpuset_dir;
    }
    unsigned n = 0;
    for (unsigned i = 0; i < count && n < max; i++)
        snprintf(dirs[n++], PATH_MAX, "%s", members[i]);
    return n;
}

void cgroup_slot_close(cgroup_slot *slot)
{
    if (slot->system && slot->system->version == 1)
        cgroup_v1_slot_close(slot);
}

int cgroup_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error)
{
    int rc = system->version == 2 ? cgroup_v2_slot_remove(system, index, error)
                                  : cgroup_v1_slot_remove(system, index, error);
    if (cgroup_cpuset_slot_remove(system, index, error) < 0)
        rc = -1;
    return rc;
}
