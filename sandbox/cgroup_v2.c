/*
 * cgroup_v2.c - the cgroup v2 backend (most users' machines).  Layout:
 * BASE/slotN/run, where BASE is P/judgebox and P is our own cgroup when we
 * were given it alone (systemd Delegate=yes; we then move ourselves to
 * P/judgebox/supervisor to honour the no-internal-processes rule), or the
 * root of the hierarchy otherwise.  Each run gets a fresh leaf "run" (the
 * only way to reset memory.peak before kernel 6.12) and is cloned straight
 * into it with clone3(CLONE_INTO_CGROUP): no migration.  The run's
 * processes die by cgroup.kill as well as by their pid namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "error.h"

#define CGROUP2_ROOT "/sys/fs/cgroup"
static const char *const needed_controllers[] = {"memory", "pids", "cpu"};

static int own_cgroup(char *path, size_t size, sandbox_error *error)
{
    FILE *file = fopen("/proc/self/cgroup", "re");
    if (!file)
        return error_errno(error, "open /proc/self/cgroup");
    char line[PATH_MAX + 16];
    int rc = error_set(error, 0, "cgroup v2: no \"0::\" line in /proc/self/cgroup");
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(path, size, "%s", line + 3);
            rc = 0;
            break;
        }
    }
    fclose(file);
    return rc;
}

static bool alone_in(const char *dir)
{
    char path[PATH_MAX + 32], line[64];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *file = fopen(path, "re");
    if (!file)
        return false;
    bool alone = true;
    while (fgets(line, sizeof line, file))
        if (atol(line) != (long)getpid())
            alone = false;
    fclose(file);
    return alone;
}

static int enable_controllers(const char *dir, sandbox_error *error)
{
    char available[512] = "";
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
    FILE *file = fopen(path, "re");
    if (!file)
        return error_errno(error, "open %s", path);
    if (!fgets(available, sizeof available, file))
        available[0] = '\0';
    fclose(file);
    for (size_t i = 0; i < sizeof needed_controllers / sizeof needed_controllers[0]; i++) {
        char word[32];
        snprintf(word, sizeof word, " %s ", needed_controllers[i]);
        char padded[520];
        snprintf(padded, sizeof padded, " %s ", available);
        padded[strcspn(padded, "\n")] = ' ';
        if (!strstr(padded, word))
            return error_set(error, 0, "cgroup v2: controller %s is not available in %s (cgroup.controllers: %s)",
                             needed_controllers[i], dir, available[0] ? available : "empty");
        char value[40];
        snprintf(value, sizeof value, "+%s", needed_controllers[i]);
        if (cgroup_write(dir, "cgroup.subtree_control", value, error) < 0)
            return -1;
    }
    return 0;
}

/* Choose P and make P/judgebox ready to hold slots. */
static int choose_base(cgroup_system *system, sandbox_error *error)
{
    char own[PATH_MAX], parent[PATH_MAX + 32];
    if (own_cgroup(own, sizeof own, error) < 0)
        return -1;
    char suffix[96];
    snprintf(suffix, sizeof suffix, "/%s/supervisor", system->parent_name);
    size_t own_length = strlen(own), suffix_length = strlen(suffix);
    if (own_length > suffix_length && strcmp(own + own_length - suffix_length, suffix) == 0) {
        own[own_length - suffix_length] = '\0';           /* already moved: P is above us */
        snprintf(parent, sizeof parent, CGROUP2_ROOT "%s", own);
    } else if (own_length > 9 && strcmp(own + own_length - 9, "/.control") == 0) {
        own[own_length - 9] = '\0';  /* systemd's ExecStop*= processes: P is the unit's cgroup */
        snprintf(parent, sizeof parent, CGROUP2_ROOT "%s", own);
    } else if (strcmp(own, "/") != 0 && (snprintf(parent, sizeof parent, CGROUP2_ROOT "%s", own), alone_in(parent))) {
        char supervisor[PATH_MAX + 128];
        snprintf(system->v2_base, sizeof system->v2_base, "%s/%s", parent, system->parent_name);
        snprintf(supervisor, sizeof supervisor, "%s/supervisor", system->v2_base);
        char pid[24];
        snprintf(pid, sizeof pid, "%d", (int)getpid());
        if (cgroup_mkdir(system->v2_base, error) < 0 || cgroup_mkdir(supervisor, error) < 0 ||
            cgroup_write(supervisor, "cgroup.procs", pid, error) < 0)
            return error_wrap(error, "cgroup v2: move into our delegated subtree");
    } else {
        snprintf(parent, sizeof parent, "%s", CGROUP2_ROOT);
    }
    snprintf(system->v2_base, sizeof system->v2_base, "%s/%s", parent, system->parent_name);
    if (enable_controllers(parent, error) < 0 || cgroup_mkdir(system->v2_base, error) < 0 ||
        enable_controllers(system->v2_base, error) < 0)
        return error_wrap(error, "cgroup v2: prepare %s", system->v2_base);
    return 0;
}

int cgroup_v2_detect(cgroup_system *system, sandbox_error *error)
{
    if (choose_base(system, error) < 0)
        return -1;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, CGROUP2_ROOT "/cgroup.subtree_control");
    /* Feature files appear in children; judge from the base's own files. */
    snprintf(path, sizeof path, "%s/memory.peak", system->v2_base);
    system->v2_has_peak = access(path, F_OK) == 0;
    snprintf(path, sizeof path, "%s/memory.swap.max", system->v2_base);
    system->v2_has_swap = access(path, F_OK) == 0;
    snprintf(path, sizeof path, "%s/cgroup.kill", system->v2_base);
    system->v2_has_kill = access(path, F_OK) == 0;
    return 0;
}

int cgroup_v2_slot_open(cgroup_slot *slot, unsigned index, sandbox_error *error)
{
    int n = snprintf(slot->v2_slot, sizeof slot->v2_slot, "%s/slot%u", slot->system->v2_base, index);
    if (n < 0 || (size_t)n >= sizeof slot->v2_slot)
        return error_set(error, ENAMETOOLONG, "cgroup v2: slot path too long");
    snprintf(slot->v2_run, sizeof slot->v2_run, "%.*s/run", PATH_MAX - 8, slot->v2_slot);
    if (cgroup_mkdir(slot->v2_slot, error) < 0 || enable_controllers(slot->v2_slot, error) < 0)
        return -1;
    /* A leaf left by a supervisor that died: empty it and remove it. */
    if (access(slot->v2_run, F_OK) == 0) {
        if (slot->system->v2_has_kill)
            cgroup_write(slot->v2_run, "cgroup.kill", "1", NULL);
        if (cgroup_rmdir(slot->v2_run, error) < 0)
            return -1;
    }
    return 0;
}

int cgroup_v2_run_create(cgroup_slot *slot, sandbox_error *error)
{
    if (cgroup_mkdir(slot->v2_run, error) < 0)
        return -1;
    slot->v2_run_fd = open(slot->v2_run, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (slot->v2_run_fd < 0) {
        error_errno(error, "open %s", slot->v2_run);
        rmdir(slot->v2_run);
        return -1;
    }
    return 0;
}

/* The run's init is already a member: its limits apply from here on. */
int cgroup_v2_run_limits(cgroup_slot *slot, const sandbox_limits *limits, sandbox_error *error)
{
    char value[32];
    snprintf(value, sizeof value, "%" PRIu64, limits->memory_kb * 1024);
    if (cgroup_write(slot->v2_run, "memory.max", value, error) < 0)
        return -1;
    if (slot->system->v2_has_swap && cgroup_write(slot->v2_run, "memory.swap.max", "0", error) < 0)
        return -1;
    /* + 1: the run's init is the sandbox's, not counted against the program. */
    snprintf(value, sizeof value, "%" PRIu64, limits->pids + 1);
    return cgroup_write(slot->v2_run, "pids.max", value, error);
}

int cgroup_v2_cpu_ns(const cgroup_slot *slot, uint64_t *cpu_ns)
{
    uint64_t usec = 0;
    if (cgroup_read_key(slot->v2_run, "cpu.stat", "usage_usec", &usec, NULL) < 0)
        return -1;
    *cpu_ns = usec * 1000;
    return 0;
}

int cgroup_v2_run_end(cgroup_slot *slot, cgroup_usage *usage, sandbox_error *error)
{
    int rc = 0;
    uint64_t oom_kills = 0;
    if (slot->system->v2_has_kill)
        cgroup_write(slot->v2_run, "cgroup.kill", "1", NULL);
    if (cgroup_v2_cpu_ns(slot, &usage->cpu_ns) < 0 ||
        cgroup_read_key(slot->v2_run, "memory.events", "oom_kill", &oom_kills, error) < 0)
        rc = error_wrap(error, "cgroup v2: read usage of %s", slot->v2_run);
    if (rc == 0 && slot->system->v2_has_peak &&
        cgroup_read_u64(slot->v2_run, "memory.peak", &usage->memory_peak_bytes, error) < 0)
        rc = -1;
    usage->oom_killed = oom_kills > 0;
    if (slot->v2_run_fd >= 0)
        close(slot->v2_run_fd);
    slot->v2_run_fd = -1;
    if (cgroup_rmdir(slot->v2_run, rc == 0 ? error : NULL) < 0)
        rc = -1;
    return rc;
}

int cgroup_v2_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error)
{
    char slot_dir[PATH_MAX + 32], run_dir[PATH_MAX + 64];
    snprintf(slot_dir, sizeof slot_dir, "%s/slot%u", system->v2_base, index);
    snprintf(run_dir, sizeof run_dir, "%s/run", slot_dir);
    if (access(run_dir, F_OK) == 0 && cgroup_rmdir(run_dir, error) < 0)
        return -1;
    return cgroup_rmdir(slot_dir, error);
}
