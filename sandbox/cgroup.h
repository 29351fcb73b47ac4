/*
 * cgroup.h - one small interface over cgroup v1 and v2: find the
 * hierarchy, make a slot's cgroups once, and per run set limits, give the
 * clone a place to start, read CPU/peak/OOM and clean up.  cgroup.c
 * detects the version and dispatches; cgroup_v1.c and cgroup_v2.c own the
 * files of each.  Everything of ours lives under a directory named
 * "judgebox" (configurable); nothing else is touched.
 */
#ifndef JUDGEBOX_CGROUP_H
#define JUDGEBOX_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "sandbox.h"

#define CGROUP_PIN_CPUS_MAX 1024

enum { CGROUP_V1_MEMORY, CGROUP_V1_CPUACCT, CGROUP_V1_PIDS, CGROUP_V1_COUNT };

typedef struct cgroup_system {
    int version;                          /* 1 or 2 */
    char parent_name[64];                 /* "judgebox" */
    /* v1: mount point of each controller; v2: the judgebox directory */
    char v1_mounts[CGROUP_V1_COUNT][PATH_MAX];
    char v2_base[PATH_MAX];               /* .../judgebox */
    bool v2_has_peak, v2_has_swap, v2_has_kill;
    /* --pin-cpus (cgroup_cpuset.c): slot N runs on pin_cpu_list[N % pin_cpu_count] */
    bool pin_cpus;
    unsigned pin_cpu_count;
    uint16_t pin_cpu_list[CGROUP_PIN_CPUS_MAX];
    char v1_cpuset_mount[PATH_MAX];       /* "" when cpuset is not mounted as v1 */
} cgroup_system;

typedef struct cgroup_slot {
    const cgroup_system *system;
    char v1_dirs[CGROUP_V1_COUNT][PATH_MAX]; /* v1: <mount>/judgebox/slotN */
    char v1_run[PATH_MAX];                   /* v1: <memory mount>/judgebox/slotN/run, the runs' memory cgroup */
    char v2_slot[PATH_MAX];                  /* v2: <base>/slotN */
    char v2_run[PATH_MAX];                   /* v2: <base>/slotN/run, per run */
    int v2_run_fd;                           /* for CLONE_INTO_CGROUP; -1 */
    uint64_t v1_oom_kills_before;
    uint64_t v1_usage_before;                /* charged to v1_run before the run (at most CGROUP_V1_REUSE_MAX) */
    bool v1_has_memsw;                       /* memory.memsw.* exist (swap accounting on) */
    uint64_t v1_pids_max;                    /* last value written; 0 = none yet */
    char v1_cpuset_dir[PATH_MAX];            /* v1 with --pin-cpus: <cpuset>/judgebox/slotN; "" */
    int pinned_cpu;                          /* -1 when not pinned */
} cgroup_slot;

/* v1: a run's memory cgroup is reused by the next run of the slot only
 * while what is left charged to it is at most this much; else a fresh one. */
#define CGROUP_V1_REUSE_MAX (256u * 1024)

typedef struct cgroup_usage {
    uint64_t cpu_ns;
    uint64_t memory_peak_bytes;  /* 0 if unknown */
    bool oom_killed;             /* memory_limit comes from this alone: reaching the limit
                                    (v1 failcnt, v2 "max" events) also counts reclaims */
} cgroup_usage;

/* 2 when /sys/fs/cgroup is a cgroup2 mount, 1 otherwise, -1 (errno) if it cannot be told. */
int cgroup_host_version(void);
int cgroup_system_detect(cgroup_system *system, const char *parent_name, int force_version, bool pin_cpus,
                         sandbox_error *error);
int cgroup_slot_open(const cgroup_system *system, unsigned index, cgroup_slot *slot, sandbox_error *error);
/* v1: move the calling thread into the slot's cgroups (runs it clones start there). */
int cgroup_slot_join_thread(cgroup_slot *slot, sandbox_error *error);
/* A run's cgroups in two steps, so that a run can be prepared before its
 * spec is known (run.c): cgroup_run_create before the run's init is
 * cloned (v2: the run's cgroup made; v1: the run's memory cgroup chosen
 * and the calling thread moved into it, so that its clone starts there),
 * cgroup_run_limits once the limits are known, before the program starts
 * (the CPU count starts there on v1). */
int cgroup_run_create(cgroup_slot *slot, sandbox_error *error);
int cgroup_run_limits(cgroup_slot *slot, const sandbox_limits *limits, sandbox_error *error);
/* fd for clone3(CLONE_INTO_CGROUP), or -1 when runs inherit the thread's cgroups. */
int cgroup_run_clone_fd(const cgroup_slot *slot);
int cgroup_run_cpu_ns(const cgroup_slot *slot, uint64_t *cpu_ns);
int cgroup_run_end(cgroup_slot *slot, cgroup_usage *usage, sandbox_error *error);
/* The directories a run's processes are members of while it runs (at most `max`); their count. */
unsigned cgroup_run_dirs(const cgroup_slot *slot, char (*dirs)[PATH_MAX], unsigned max);
/* The slot is no longer ours: drop what only its runs used (v1: the run cgroup). */
void cgroup_slot_close(cgroup_slot *slot);
/* Remove the slot's directories (they must be empty). */
int cgroup_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error);

/* Helpers shared by the backends (cgroup.c). */
int cgroup_write(const char *dir, const char *file, const char *value, sandbox_error *error);
int cgroup_read_u64(const char *dir, const char *file, uint64_t *value, sandbox_error *error);
int cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *value, sandbox_error *error);
int cgroup_mkdir(const char *path, sandbox_error *error);
int cgroup_rmdir(const char *path, sandbox_error *error);

/* --pin-cpus (cgroup_cpuset.c); each is a no-op when pinning is off. */
int cgroup_cpuset_detect(cgroup_system *system, bool pin_cpus, sandbox_error *error);
int cgroup_cpuset_slot_open(cgroup_slot *slot, unsigned index, sandbox_error *error);
int cgroup_cpuset_join_thread(cgroup_slot *slot, sandbox_error *error);
int cgroup_cpuset_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error);

int cgroup_v1_detect(cgroup_system *system, sandbox_error *error);
int cgroup_v1_slot_open(cgroup_slot *slot, unsigned index, sandbox_error *error);
int cgroup_v1_join_thread(cgroup_slot *slot, sandbox_error *error);
int cgroup_v1_run_create(cgroup_slot *slot, sandbox_error *error);
int cgroup_v1_run_limits(cgroup_slot *slot, const sandbox_limits *limits, sandbox_error *error);
int cgroup_v1_cpu_ns(const cgroup_slot *slot, uint64_t *cpu_ns);
int cgroup_v1_run_end(cgroup_slot *slot, cgroup_usage *usage, sandbox_error *error);
void cgroup_v1_slot_close(cgroup_slot *slot);
int cgroup_v1_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error);

int cgroup_v2_detect(cgroup_system *system, sandbox_error *error);
int cgroup_v2_slot_open(cgroup_slot *slot, unsigned index, sandbox_error *error);
int cgroup_v2_run_create(cgroup_slot *slot, sandbox_error *error);
int cgroup_v2_run_limits(cgroup_slot *slot, const sandbox_limits *limits, sandbox_error *error);
int cgroup_v2_cpu_ns(const cgroup_slot *slot, uint64_t *cpu_ns);
int cgroup_v2_run_end(cgroup_slot *slot, cgroup_usage *usage, sandbox_error *error);
int cgroup_v2_slot_remove(const cgroup_system *system, unsigned index, sandbox_error *error);

#endif
