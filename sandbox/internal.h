/*
 * internal.h - the core's private types: the context (machine-wide state
 * made once), the slot (a host uid pair, cgroups, a net namespace and the
 * runner thread that starts its runs), and the report the run's init
 * sends its supervisor.  Nothing outside sandbox/ includes this.
 */
#ifndef JUDGEBOX_INTERNAL_H
#define JUDGEBOX_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/capability.h>

#include "cgroup.h"
#include "sandbox.h"
#include "seccomp_filter.h"

#define SANDBOX_INNER_UID 1000  /* the program's uid and gid inside a run */
#define SANDBOX_DEFAULT_UID_BASE 3000000u

struct sandbox_context {
    char state_dir[PATH_MAX];       /* /run/judgebox */
    char scratch_dir[PATH_MAX];     /* state_dir/scratch: each run mounts its tmpfs here, privately */
    char workspace_dir[PATH_MAX];   /* state_dir/workspaces */
    char seccomp_dir[PATH_MAX];     /* state_dir/seccomp: compiled filters, by policy hash */
    uid_t uid_base;
    unsigned max_slots;
    uint64_t cpu_count;             /* online CPUs: how fast a run can spend its CPU time */
    bool one_run;                   /* config->one_run */
    bool attach;                    /* config->attach: runs write their records (runs.c) */
    cgroup_system cgroups;
    seccomp_program seccomp;
    cap_t empty_caps;               /* prebuilt: the child must not allocate */
    int zygote_fd;                  /* helper.c: forks the slots' helpers; -1 = none */
    pthread_mutex_t mutex;
};

/* RUNNER_AWAY: the slot's helper process has the run (helper.c); the runner thread sleeps. */
typedef enum runner_state { RUNNER_STARTING, RUNNER_IDLE, RUNNER_BUSY, RUNNER_DONE, RUNNER_QUIT, RUNNER_AWAY } runner_state;

struct sandbox_slot {
    sandbox_context *context;
    unsigned index;
    int lock_fd;
    uid_t host_root_uid;            /* uid 0 inside the run (its init) */
    uid_t host_user_uid;            /* SANDBOX_INNER_UID inside the run (the program) */
    cgroup_slot cgroups;
    char netns_path[PATH_MAX];
    int host_netns_fd;              /* the net namespace the runner started in; -1 = none */
    int slot_netns_fd;              /* the slot's own; the runner returns to it after a networked run */
    bool network_broken;            /* the runner could not leave the host's namespace: no more runs */
    pthread_t runner;
    bool runner_started;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    runner_state state;
    const sandbox_spec *job_spec;
    sandbox_result *job_result;
    sandbox_error *job_error;
    int job_rc;
    sandbox_error start_error;
    int helper_fd;                  /* helper.c: socket to this slot's helper process; -1 = none */
    pid_t helper_pid;
};

/* What a run's init (or its program before exec) tells the supervisor. */
typedef enum report_kind {
    REPORT_SETUP_FAILED = 1,  /* building the sandbox failed: internal_error */
    REPORT_EXEC_FAILED,       /* the command could not be executed */
    REPORT_EXITED,            /* value = wait status of the program */
    REPORT_FORBIDDEN,         /* value = syscall number */
} report_kind;

typedef struct run_report {
    int kind;
    int value;
    int errno_value;
    long maxrss_kb;           /* the program's RSS high-water mark, from before its exec too */
    long init_rss_kb;         /* init's RSS when the program started: shared with it until exec */
    char message[256];
} run_report;

/* What the child side needs; lives on the runner's stack, copied by clone. */
typedef struct child_plan {
    const sandbox_context *context;
    const sandbox_spec *spec;
    const sandbox_limits *limits;
    const char *const *env;
    int stdin_fd, stdout_fd, stderr_fd, status_fd, go_fd;
    int rootfs_tree_fd, box_tree_fd; /* detached mounts (open_tree) of the rootfs and box_dir; -1 = none */
    int dev_tree_fd;                 /* detached tmpfs with the run's own device nodes (its /dev) */
    bool own_stdin;                  /* stdin_fd is the run's /dev/null, opened (and closed) by run.c */
} child_plan;

/* init.c: the body of the cloned child; never returns. */
__attribute__((noreturn)) void child_init_main(const child_plan *plan);

/* context.c: the defaults of a sandbox_config, in one place. */
const char *config_state_dir(const sandbox_config *config);
unsigned config_max_slots(const sandbox_config *config);
uid_t config_uid_base(const sandbox_config *config);

/* privileges.c: in the program, just before seccomp and exec. */
int privileges_drop(const sandbox_context *context, const sandbox_limits *limits, sandbox_error *error);

/* slot.c: slot `index` without taking its lock (a keeper: its clients
 * hold the lock while it runs for them). */
int slot_open_unlocked(sandbox_context *context, unsigned index, sandbox_slot **out, sandbox_error *error);
/* The same without a runner thread: the caller's thread joins the slot and
 * calls run_in_slot itself (a helper process, helper.c). */
int slot_open_here(sandbox_context *context, unsigned index, sandbox_slot **out, sandbox_error *error);
/* <state_dir>/slots/<index>.<suffix>: the slot's lock, keeper lock and socket. */
void slot_state_path(const char *state_dir, unsigned index, const char *suffix, char *path, size_t size);
/* Lock slot `wanted`, or the first free one when wanted < 0 (waiting a
 * moment for a keeper that holds an explicitly wanted slot).  0 with the
 * lock's fd and the slot's index; -1 with errno (EWOULDBLOCK: busy). */
int slot_lock(const char *state_dir, unsigned max_slots, int wanted, int *lock_fd, unsigned *index);

/* keeper.c: ask slot `index`'s keeper to leave its cgroups and exit. */
void keeper_stop(const char *state_dir, unsigned index);
/* Does slot `index` have a keeper?  Lock the slot, waiting a moment for
 * a keeper that holds it while joining (returns -1, errno EWOULDBLOCK). */
bool keeper_exists(const char *state_dir, unsigned index);
int keeper_lock_slot(const char *state_dir, unsigned index, int fd);

/* run.c: one run on the slot's runner thread. */
int run_in_slot(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error);

/* run.c: the environment of a run whose spec has none (attach.c's too). */
extern const char *const sandbox_default_env[];
/* init.c: execve argv[0] looked up in env's PATH; returns the errno of the best failure. */
int exec_in_path(const char *const *argv, const char *const *env);

/* runs.c: the record of the run alive in a slot, <state_dir>/runs/slot<N>
 * (written by the run's supervisor, read by attach.c). */
#define RUN_CGROUPS_MAX 4
typedef struct run_record {
    sandbox_run_info info;
    unsigned long long init_start;  /* starttime of /proc/<init>/stat: a reused pid differs */
    sandbox_limits limits;          /* filled */
    unsigned cgroup_count;
    char cgroups[RUN_CGROUPS_MAX][PATH_MAX]; /* the directories the run's processes are members of */
} run_record;
bool run_id_valid(const char *id);
int run_record_write(const sandbox_slot *slot, const sandbox_spec *spec, const sandbox_limits *limits, pid_t init_pid,
                     sandbox_error *error);
void run_record_remove(const char *state_dir, unsigned index);
/* 0 with the record of slot `index`; -1 with errno (ENOENT: none, EINVAL: malformed). */
int run_record_read(const char *state_dir, unsigned index, run_record *record);
/* Is the record's init still the process it names (same pid, same start time)? */
bool run_record_alive(const run_record *record);
/* starttime (clock ticks since boot) of `pid`, 0 when it cannot be read. */
unsigned long long process_start_time(pid_t pid);

/* helper.c: a server's slots run their specs in small processes of their own. */
int helper_zygote_start(sandbox_context *context, sandbox_error *error);
void helper_zygote_stop(sandbox_context *context);
void helper_attach(sandbox_slot *slot);      /* best effort: helper_fd stays -1 on failure */
void helper_detach(sandbox_slot *slot);      /* returns once the helper left the slot */
bool helper_takes(const sandbox_slot *slot, const sandbox_spec *spec);
/* 0 or -1 as sandbox_run, *ran true; or 0 with *ran false: nothing ran, run it here. */
int helper_run(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error,
               bool *ran);

/* workspace.c: unmount and remove the workspaces of processes that died
 * without destroying them (a server killed with SIGKILL). */
void workspace_reclaim_dead(const char *workspace_dir);

#endif
