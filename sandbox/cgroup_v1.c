/*
 * cgroup_v1.c - the cgroup v1 backend (this project's CI machine): the
 * memory, cpuacct and pids hierarchies each get <mount>/judgebox/slotN,
 * made once and reused.  A slot's runner thread joins them once, so every
 * run it clones starts inside them.  cpuacct and pids are the slot's: per
 * run the CPU counter is reset and pids.max set.
 *
 * Memory is the run's own: pages an earlier run left charged (a compiled
 * program in a tmpfs workspace, page cache it read) must neither eat into
 * a later run's limit (nor make writing it fail with EBUSY) nor be taken
 * off its peak.  So runs use a child memory cgroup, slotN/run: the runner
 * thread moves itself in just before the clone and back out after the run,
 * each by writing "0" to `tasks` (the calling thread: no
 * cgroup_threadgroup_rwsem, so no RCU grace-period stall, ~40 us).  The
 * child is kept for the next run only while what is left charged to it is
 * at most CGROUP_V1_REUSE_MAX; then its limit is the run's plus that
 * leftover, and the peak is taken from that leftover.  Otherwise it is
 * removed (its charges go with it) and made afresh (~250 us).  OOM kills
 * are counted from memory.oom_control's oom_kill before and after.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "error.h"

static const char *const controller_names[CGROUP_V1_COUNT] = {"memory", "cpuacct", "pids"};

static bool has_option(const char *options, const char *name)
{
    size_t length = strlen(name);
    for (const char *p = options; p && *p;) {
        if (strncmp(p, name, length) == 0 && (p[length] == ',' || p[length] == '\0' || p[length] == '\n'))
            return true;
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return false;
}

static int find_mounts(cgroup_system *system, sandbox_error *error)
{
    FILE *mountinfo = fopen("/proc/self/mountinfo", "re");
    if (!mountinfo)
        return error_errno(error, "open /proc/self/mountinfo");
    char line[4096];
    while (fgets(line, sizeof line, mountinfo)) {
        char mount_point[PATH_MAX], fstype[64], source[256], super_options[1024];
        const char *separator = strstr(line, " - ");
        if (!separator || sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1)
            continue;
        if (sscanf(separator + 3, "%63s %255s %1023s", fstype, source, super_options) != 3)
            continue;
        if (strcmp(fstype, "cgroup") != 0)
            continue;
        for (int i = 0; i < CGROUP_V1_COUNT; i++)
            if (!system->v1_mounts[i][0] && has_option(super_options, controller_names[i]))
                snprintf(system->v1_mounts[i], sizeof system->v1_mounts[i], "%s", mount_point);
    }
    fclose(mountinfo);
    for (int i = 0; i < CGROUP_V1_COUNT; i++)
        if (!system->v1_mounts[i][0])
            return error_set(error, 0, "cgroup v1: the %s controller is not mounted (see /proc/self/mountinfo)",
                             controller_names[i]);
    return 0;
}

int cgroup_v1_detect(cgroup_system *system, sandbox_error *error)
{
    if (find_mounts(system, error) < 0)
        return -1;
    for (int i = 0; i < CGROUP_V1_COUNT; i++) {
        char parent[PATH_MAX + 64];
        snprintf(parent, sizeof parent, "%s/%s", system->v1_mounts[i], system->parent_name);
        if (cgroup_mkdir(parent, error) < 0)
            return -1;
    }
    return 0;
}

int cgroup_v1_slot_open(cgroup_slot *slot, unsigned index, sandbox_error *error)
{
    for (int i = 0; i < CGROUP_V1_COUNT; i++) {
        int n = snprintf(slot->v1_dirs[i], sizeof slot->v1_dirs[i], "%s/%s/slot%u",
                         slot->system->v1_mounts[i], slot->system->parent_name, index);
        if (n < 0 || (size_t)n >= sizeof slot->v1_dirs[i])
            return error_set(error, ENAMETOOLONG, "cgroup v1: slot path too long");
        if (cgroup_mkdir(slot->v1_dirs[i], error) < 0)
            return -1;
    }
    int n = snprintf(slot->v1_run, sizeof slot->v1_run, "%s/run", slot->v1_dirs[CGROUP_V1_MEMORY]);
    if (n < 0 || (size_t)n >= sizeof slot->v1_run)
        return error_set(error, ENAMETOOLONG, "cgroup v1: slot path too long");
    char memsw[PATH_MAX + 64];
    snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", slot->v1_dirs[CGROUP_V1_MEMORY]);
    slot->v1_has_memsw = access(memsw, F_OK) == 0;
    return 0;
}

/* Is the calling thread in `dir` of hierarchy `i` already?  Reading
 * /proc/thread-self/cgroup is cheap; a migration, even to where the thread
 * already is, takes cgroup_threadgroup_rwsem (an RCU grace period). */
static bool thread_is_in(const cgroup_slot *slot, int i, const char *cgroups)
{
    const char *relative = slot->v1_dirs[i] + strlen(slot->system->v1_mounts[i]);
    size_t length = strlen(relative);
    for (const char *line = cgroups; line && *line;) {
        const char *controllers = strchr(line, ':'), *path = controllers ? strchr(controllers + 1, ':') : NULL;
        const char *end = strchr(line, '\n');
        if (path) {
            char names[256];
            size_t n = (size_t)(path - controllers - 1);
            snprintf(names, sizeof names, "%.*s", (int)(n < sizeof names ? n : sizeof names - 1), controllers + 1);
            if (has_option(names, controller_names[i]) && strncmp(path + 1, relative, length) == 0 &&
                (path[1 + length] == '\n' || path[1 + length] == '\0'))
                return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

int cgroup_v1_join_thread(cgroup_slot *slot, sandbox_error *error)
{
    char cgroups[4096] = "";
    int fd = open("/proc/thread-self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, cgroups, sizeof cgroups - 1);
        cgroups[got > 0 ? got : 0] = '\0';
        close(fd);
    }
    /* "0": the calling thread, moved without cgroup_threadgroup_rwsem. */
    for (int i = 0; i < CGROUP_V1_COUNT; i++)
        if (!thread_is_in(slot, i, cgroups) && cgroup_write(slot->v1_dirs[i], "tasks", "0", error) < 0)
            return -1;
    return 0;
}

/* The run cgroup's limit (and memsw's, swap off), unless already in
 * place.  memsw must stay >= the memory limit: raise it first, lower it
 * last.  Read, not remembered: a keeper and a one-off CLI run may take
 * turns on a slot. */
static int write_memory_limit(cgroup_slot *slot, uint64_t bytes, sandbox_error *error)
{
    uint64_t current = 0;
    if (cgroup_read_u64(slot->v1_run, "memory.limit_in_bytes", &current, error) < 0)
        return -1;
    if (current == bytes)
        return 0;
    char value[32];
    snprintf(value, sizeof value, "%" PRIu64, bytes);
    bool raise = bytes > current;
    if (slot->v1_has_memsw && raise && cgroup_write(slot->v1_run, "memory.memsw.limit_in_bytes", value, error) < 0)
        return -1;
    if (cgroup_write(slot->v1_run, "memory.limit_in_bytes", value, error) < 0)
        return -1;
    if (slot->v1_has_memsw && !raise && cgroup_write(slot->v1_run, "memory.memsw.limit_in_bytes", value, error) < 0)
        return -1;
    return 0;
}

/* Remove the run cgroup if there is one (what is charged to it goes to
 * the slot, or dies with it) and make a fresh one. */
static int fresh_run_cgroup(cgroup_slot *slot, sandbox_error *error)
{
    if (cgroup_rmdir(slot->v1_run, error) < 0 || cgroup_mkdir(slot->v1_run, error) < 0)
        return error_wrap(error, "cgroup v1: a fresh memory cgroup for the run");
    return 0;
}

/* Give the run slotN/run with nothing of earlier runs' charged to it
 * beyond CGROUP_V1_REUSE_MAX; sets v1_usage_before.  Its limit is written
 * later (cgroup_v1_run_limits): until then it keeps the last run's. */
static int prepare_run_memory(cgroup_slot *slot, sandbox_error *error)
{
    /* The slot itself has no limit (builds before the run cgroup set one
     * there, and it would cap the run's too). */
    const char *memory = slot->v1_dirs[CGROUP_V1_MEMORY];
    uint64_t slot_limit = 0;
    if (cgroup_read_u64(memory, "memory.limit_in_bytes", &slot_limit, error) < 0)
        return -1;
    if (slot_limit < (UINT64_C(1) << 62) &&
        ((slot->v1_has_memsw && cgroup_write(memory, "memory.memsw.limit_in_bytes", "-1", error) < 0) ||
         cgroup_write(memory, "memory.limit_in_bytes", "-1", error) < 0))
        return -1;
    uint64_t left = UINT64_MAX;
    if (cgroup_read_u64(slot->v1_run, "memory.usage_in_bytes", &left, NULL) < 0)
        left = UINT64_MAX;  /* no run cgroup yet */
    bool reuse = left <= CGROUP_V1_REUSE_MAX;
    if (!reuse) {
        left = 0;
        if (fresh_run_cgroup(slot, error) < 0)
            return -1;
    }
    slot->v1_usage_before = left;
    slot->v1_oom_kills_before = 0;
    if (reuse && (cgroup_write(slot->v1_run, "memory.max_usage_in_bytes", "0", error) < 0 ||
                  cgroup_read_key(slot->v1_run, "memory.oom_control", "oom_kill", &slot->v1_oom_kills_before,
                                  error) < 0))
        return -1;
    return 0;
}

static int write_pids_max(cgroup_slot *slot, uint64_t pids, sandbox_error *error)
{
    if (slot->v1_pids_max == pids)
        return 0;
    char value[32];
    snprintf(value, sizeof value, "%" PRIu64, pids);
    slot->v1_pids_max = 0;
    if (cgroup_write(slot->v1_dirs[CGROUP_V1_PIDS], "pids.max", value, error) < 0)
        return -1;
    slot->v1_pids_max = pids;
    return 0;
}

int cgroup_v1_run_create(cgroup_slot *slot, sandbox_error *error)
{
    if (prepare_run_memory(slot, error) < 0)
        return -1;
    /* The runner thread goes into the run's memory cgroup (its clone
     * starts there), and cgroup_v1_run_end brings it back. */
    return cgroup_write(slot->v1_run, "tasks", "0", error);
}

/* The run's init is already a member (of the run's memory cgroup and the
 * slot's pids and cpuacct). */
int cgroup_v1_run_limits(cgroup_slot *slot, const sandbox_limits *limits, sandbox_error *error)
{
    /* What earlier runs left charged (v1_usage_before) on top of the run's own. */
    if (write_memory_limit(slot, limits->memory_kb * 1024 + slot->v1_usage_before, error) < 0)
        return -1;
    /* The slot's runner thread is a member too (and a keeper with its
     * child), and the run's init, which is the sandbox's, not the
     * program's (so that "pids": 1 lets a single-threaded program start):
     * the run's own count on top of those. */
    uint64_t members = 2;
    if (cgroup_read_u64(slot->v1_dirs[CGROUP_V1_PIDS], "pids.current", &members, NULL) < 0)
        members = 2;
    if (write_pids_max(slot, limits->pids + members, error) < 0)
        return -1;
    /* The CPU count starts now: building the sandbox is not the program's time. */
    return cgroup_write(slot->v1_dirs[CGROUP_V1_CPUACCT], "cpuacct.usage", "0", error);
}

int cgroup_v1_cpu_ns(const cgroup_slot *slot, uint64_t *cpu_ns)
{
    return cgroup_read_u64(slot->v1_dirs[CGROUP_V1_CPUACCT], "cpuacct.usage", cpu_ns, NULL);
}

int cgroup_v1_run_end(cgroup_slot *slot, cgroup_usage *usage, sandbox_error *error)
{
    uint64_t oom_kills = 0;
    int rc = 0;
    if (cgroup_read_u64(slot->v1_dirs[CGROUP_V1_CPUACCT], "cpuacct.usage", &usage->cpu_ns, error) < 0 ||
        cgroup_read_u64(slot->v1_run, "memory.max_usage_in_bytes", &usage->memory_peak_bytes, error) < 0 ||
        cgroup_read_key(slot->v1_run, "memory.oom_control", "oom_kill", &oom_kills, error) < 0)
        rc = -1;
    /* The runner thread back to the slot's memory cgroup, whatever happened. */
    if (cgroup_write(slot->v1_dirs[CGROUP_V1_MEMORY], "tasks", "0", rc == 0 ? error : NULL) < 0)
        rc = -1;
    if (rc < 0)
        return -1;
    usage->oom_killed = oom_kills > slot->v1_oom_kills_before;
    usage->memory_peak_bytes = usage->memory_peak_bytes > slot->v1_usage_before
                                   ? usage->memory_peak_bytes - slot->v1_usage_before : 0;
    return 0;
}

void cgroup_v1_slot_close(cgroup_slot *slot)
{
    rmdir(slot->v1_run); /* fails harmlessly if another run of the slot's is on */
}

/* SIGKILL what is still in `dir` (cleanup only: the slot's lock is free, so
 * its server is gone and these are its slot helper or a run's processes,
 * which die with it a moment later anyway; v1 has no cgroup.kill). */
static void kill_members(const char *dir)
{
    char path[PATH_MAX + 160];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *procs = fopen(path, "re");
    if (!procs)
        return;
    int pid;
    while (fscanf(procs, "%d", &pid) == 1)
        if (pid > 1)
            kill(pid, SIGKILL);
    fclose(procs);
}

int cgroup_v1_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error)
{
    int rc = 0;
    for (int i = 0; i < CGROUP_V1_COUNT; i++) {
        char dir[PATH_MAX + 96], run[PATH_MAX + 128];
        snprintf(dir, sizeof dir, "%s/%s/slot%u", system->v1_mounts[i], system->parent_name, index);
        snprintf(run, sizeof run, "%s/run", dir);
        if (i == CGROUP_V1_MEMORY)
            kill_members(run);
        kill_members(dir);
        if ((i == CGROUP_V1_MEMORY && cgroup_rmdir(run, error) < 0) || cgroup_rmdir(dir, error) < 0)
            rc = -1;
    }
    return rc;
}
