/*
 * cgroup_cpuset.c - `--pin-cpus`: each slot gets one CPU of its own through
 * the cpuset controller, as DOMjudge and isolate set-ups pin their judges,
 * so that the CPU time of a program does not depend on what the other
 * slots run (shared caches and migrations are what make a TLE mean
 * different things twice).  Slot N gets the (N mod count)-th CPU the
 * process may use (sched_getaffinity at start).
 *
 * v1: <cpuset mount>/judgebox/slotN with cpuset.cpus and cpuset.mems; the
 * slot's runner thread joins it with the other controllers, so every run
 * it clones starts pinned.  v2: "+cpuset" in the judgebox base's (and its
 * parent's) subtree_control and slotN/cpuset.cpus; each run's cgroup is a
 * child of slotN, so the kernel confines it to the slot's CPU.  A program
 * cannot widen its own mask beyond its cpuset (sched_setaffinity is bounded
 * by it).  Off unless asked for: without it no cpuset file is touched.
 * Cleanup removes a v1 slot's cpuset directory whether pinning is on or
 * not (a server started with it may have left one).
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "error.h"

/* v1: where the cpuset hierarchy is mounted ("" when it is not). */
static void find_v1_cpuset_mount(char *mount, size_t size)
{
    mount[0] = '\0';
    FILE *mountinfo = fopen("/proc/self/mountinfo", "re");
    if (!mountinfo)
        return;
    char line[4096];
    while (fgets(line, sizeof line, mountinfo)) {
        char mount_point[PATH_MAX], fstype[64], source[256], options[1024];
        const char *separator = strstr(line, " - ");
        if (!separator || sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1 ||
            sscanf(separator + 3, "%63s %255s %1023s", fstype, source, options) != 3 ||
            strcmp(fstype, "cgroup") != 0)
            continue;
        for (char *option = strtok(options, ","); option; option = strtok(NULL, ","))
            if (strcmp(option, "cpuset") == 0) {
                snprintf(mount, size, "%s", mount_point);
                fclose(mountinfo);
                return;
            }
    }
    fclose(mountinfo);
}

static int read_line(const char *dir, const char *file, char *buffer, size_t size, sandbox_error *error)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (!f)
        return error_errno(error, "open %s", path);
    if (!fgets(buffer, (int)size, f))
        buffer[0] = '\0';
    fclose(f);
    buffer[strcspn(buffer, "\n")] = '\0';
    return 0;
}

/* v1 makes new cpusets with empty cpus and mems: a task cannot join one
 * until both are set.  Copy them from `from` when `dir` has none. */
static int v1_inherit(const char *from, const char *dir, sandbox_error *error)
{
    static const char *const files[] = {"cpuset.mems", "cpuset.cpus"};
    for (size_t i = 0; i < 2; i++) {
        char mine[256], theirs[256];
        if (read_line(dir, files[i], mine, sizeof mine, error) < 0)
            return -1;
        if (mine[0])
            continue;
        if (read_line(from, files[i], theirs, sizeof theirs, error) < 0 ||
            cgroup_write(dir, files[i], theirs, error) < 0)
            return -1;
    }
    return 0;
}

static void parent_of(const char *path, char *parent, size_t size)
{
    snprintf(parent, size, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
}

int cgroup_cpuset_detect(cgroup_system *system, bool pin_cpus, sandbox_error *error)
{
    system->pin_cpus = false;
    system->pin_cpu_count = 0;
    if (system->version == 1)
        find_v1_cpuset_mount(system->v1_cpuset_mount, sizeof system->v1_cpuset_mount);
    if (!pin_cpus)
        return 0;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
        return error_errno(error, "pin cpus: sched_getaffinity");
    for (int cpu = 0; cpu < CPU_SETSIZE && system->pin_cpu_count < CGROUP_PIN_CPUS_MAX; cpu++)
        if (CPU_ISSET(cpu, &allowed))
            system->pin_cpu_list[system->pin_cpu_count++] = (uint16_t)cpu;
    if (system->pin_cpu_count == 0)
        return error_set(error, EINVAL, "pin cpus: no CPU in this process's affinity mask");
    if (system->version == 1) {
        if (!system->v1_cpuset_mount[0])
            return error_set(error, ENOENT, "pin cpus: the cgroup v1 cpuset controller is not mounted "
                                            "(see /proc/self/mountinfo)");
        char base[PATH_MAX + 128];
        snprintf(base, sizeof base, "%s/%s", system->v1_cpuset_mount, system->parent_name);
        if (cgroup_mkdir(base, error) < 0 || v1_inherit(system->v1_cpuset_mount, base, error) < 0)
            return error_wrap(error, "pin cpus");
    } else {
        /* The base's parent lets the base have cpuset files; the base lets the slots. */
        char parent[PATH_MAX];
        parent_of(system->v2_base, parent, sizeof parent);
        if (cgroup_write(parent, "cgroup.subtree_control", "+cpuset", error) < 0 ||
            cgroup_write(system->v2_base, "cgroup.subtree_control", "+cpuset", error) < 0)
            return error_wrap(error, "pin cpus: enable the cpuset controller");
    }
    system->pin_cpus = true;
    return 0;
}

int cgroup_cpuset_slot_open(cgroup_slot *slot, unsigned index, sandbox_error *error)
{
    const cgroup_system *system = slot->system;
    slot->pinned_cpu = -1;
    slot->v1_cpuset_dir[0] = '\0';
    if (!system->pin_cpus) {
        /* v2: slotN outlives the server that pinned it, and its cpuset.cpus
         * with it; an unpinned server must not inherit that pin.  An empty
         * list ("\n", stripped) means "the parent's CPUs". */
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/cpuset.cpus", slot->v2_slot);
        if (system->version == 2 && access(path, F_OK) == 0 &&
            cgroup_write(slot->v2_slot, "cpuset.cpus", "\n", error) < 0)
            return error_wrap(error, "unpin slot %u", index);
        return 0;
    }
    int cpu = system->pin_cpu_list[index % system->pin_cpu_count];
    char value[16];
    snprintf(value, sizeof value, "%d", cpu);
    if (system->version == 1) {
        char base[PATH_MAX + 128];
        snprintf(base, sizeof base, "%s/%s", system->v1_cpuset_mount, system->parent_name);
        snprintf(slot->v1_cpuset_dir, sizeof slot->v1_cpuset_dir, "%.*s/slot%u", PATH_MAX - 16, base, index);
        if (cgroup_mkdir(slot->v1_cpuset_dir, error) < 0 || v1_inherit(base, slot->v1_cpuset_dir, error) < 0 ||
            cgroup_write(slot->v1_cpuset_dir, "cpuset.cpus", value, error) < 0)
            return error_wrap(error, "pin slot %u to CPU %d", index, cpu);
    } else if (cgroup_write(slot->v2_slot, "cpuset.cpus", value, error) < 0) {
        return error_wrap(error, "pin slot %u to CPU %d", index, cpu);
    }
    slot->pinned_cpu = cpu;
    return 0;
}

int cgroup_cpuset_join_thread(cgroup_slot *slot, sandbox_error *error)
{
    if (slot->system->version != 1 || !slot->v1_cpuset_dir[0])
        return 0;
    char tid[32];
    snprintf(tid, sizeof tid, "%ld", (long)syscall(SYS_gettid));
    return cgroup_write(slot->v1_cpuset_dir, "tasks", tid, error);
}

int cgroup_cpuset_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error)
{
    if (system->version != 1 || !system->v1_cpuset_mount[0])
        return 0; /* v2: the cpuset files go with the slot's directory */
    char dir[PATH_MAX + 160];
    snprintf(dir, sizeof dir, "%s/%s/slot%u", system->v1_cpuset_mount, system->parent_name, index);
    return cgroup_rmdir(dir, error);
}
