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
#include <sys/types.h>

#include "cgroup.h"
#include "sandbox.h"
#include "seccomp_filter.h"

#define SANDBOX_INNER_UID 1000  /* the program's uid and gid inside a run */
#define SANDBOX_DEFAULT_UID_BASE 3000000u

/* image_view.c: the erofs image packed from a rootfs, "<rootfs>.erofs"
 * beside it, as one stat of it: a view of it is used while it is the
 * same file, unchanged.  present false: there is none. */
typedef struct packed_image {
    bool present;
    dev_t dev;
    ino_t ino;
    int64_t mtime_ns, size;
} packed_image;
void packed_image_stat(const char *rootfs, packed_image *image);
bool packed_image_same(const packed_image *a, const packed_image *b);

/* A run's sandbox built before its spec is known (run.c): init cloned
 * into fresh namespaces and the run's cgroup, its root mounted (all but
 * /box), waiting on go_fd for the spec.  init_pid 0: none. */
typedef struct prepared_run {
    pid_t init_pid;
    int go_fd, status_fd, out_fd, err_fd;   /* the supervisor's ends */
    char rootfs[PATH_MAX];
    dev_t rootfs_dev;
    ino_t rootfs_ino;
    uint64_t disk_kb, inodes;
    uint64_t view_made_ns;                  /* its root is an overlay view made then (image_view.c); 0: none */
    packed_image image;                     /* the rootfs's packed image when it was prepared */
    int mount_ns_fd;                        /* init's mount namespace, held (see finished_mount_ns_fd) */
} prepared_run;

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
    struct sandbox_workspace *idle_workspaces; /* workspace.c: emptied, kept for reuse (under mutex) */
    unsigned idle_workspace_count;
    struct image_view *image_views; /* image_view.c: read-only rootfs views, kept for reuse (under mutex) */
    unsigned image_view_count;
    bool image_views_unsupported;   /* the kernel takes no overlay layer by descriptor */
    bool packed_views_unsupported;  /* the kernel mounts no erofs from a file */
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
    prepared_run prepared;          /* run.c: the next run's sandbox, built ahead */
    int finished_mount_ns_fd;       /* run.c: the last run's mount namespace, no process left in it,
                                     * until its result is delivered (run_release_finished); -1 = none */
    char last_rootfs[PATH_MAX];     /* the last run's rootfs and tmpfs size: what to prepare next */
    uint64_t last_disk_kb, last_inodes;
    uint64_t last_start_ns;         /* run.c: when the last run started (CLOCK_MONOTONIC) */
    bool runs_close;                /* it started less than a second after the one before */
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

/* What the child side needs when it is cloned, before the run's spec is
 * known (a prepared run, run.c); lives on the runner's stack, copied by clone. */
typedef struct child_plan {
    const sandbox_context *context;
    int null_fd;                     /* the run's own /dev/null: stdin unless the spec gives one */
    int stdout_fd, stderr_fd, status_fd, go_fd;
    int rootfs_tree_fd;              /* detached mount (open_tree) of the rootfs, or a clone of its view */
    bool rootfs_is_view;             /* rootfs_tree_fd is a view (image_view.c): the root as it is */
    int dev_tree_fd;                 /* detached tmpfs with the run's own device nodes (its /dev) */
    uint64_t disk_kb, inodes;        /* the scratch tmpfs's size as prepared */
} child_plan;

/* The run's spec, from the supervisor to its prepared init over the go
 * socket: this header with, as descriptors, stdin (has_stdin) and the
 * box's detached mount (has_box), in that order; then strings_bytes of
 * NUL-terminated strings: argc arguments, envc environment entries, the
 * workdir (has_workdir) and the hostname (has_hostname). */
#define GO_MAGIC 0x4a42474fu /* "JBGO" */
#define GO_STRINGS_MAX (8u << 20)
typedef struct go_message {
    uint32_t magic;
    uint32_t box_mode;
    uint8_t has_stdin, has_box, hold, stderr_to_stdout, has_workdir, has_hostname;
    uint8_t box_is_own_root;         /* the box is a workspace's own tmpfs (workspace_is_own_root) */
    sandbox_limits limits;           /* filled */
    uint32_t argc, envc;
    uint64_t strings_bytes;
} go_message;

/* init.c: the body of the cloned child; never returns.  It builds what
 * it can of the run's root, then waits on the go socket for the spec. */
__attribute__((noreturn)) void child_init_main(const child_plan *plan);

/* image_view.c: a clone of rootfs's read-only view (info: its stat) in
 * *tree_fd: 1; 0 when it gets none (a one-run context, an older kernel,
 * a rootfs without the directories it needs, or only an overlay view
 * and overlay_ok false): the run mounts its own overlay; -1 on error.
 * The view is of the packed image when there is one (image: its stat),
 * else an overlay of the directory, whose creation time goes to *made_ns
 * (0 for a packed image's view: it does not age).
 * image_view_fresh: may a run still use a view made at made_ns (0: no
 * overlay view, yes)?  image_views_release closes them all. */
#define IMAGE_VIEW_MAX_AGE_NS 2000000000ull
typedef struct image_view image_view;
int image_view_clone(sandbox_context *context, const char *rootfs, const struct stat *info,
                     const packed_image *image, bool overlay_ok, int *tree_fd, uint64_t *made_ns,
                     sandbox_error *error);
bool image_view_fresh(uint64_t made_ns);
void image_views_release(sandbox_context *context);

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

/* slot.c: end the sandbox prepared in the slot, by the thread that made it
 * (the runner thread, between runs; or the caller's, when it has none). */
void slot_discard_prepared(sandbox_slot *slot);

/* keeper.c: ask slot `index`'s keeper to leave its cgroups and exit. */
void keeper_stop(const char *state_dir, unsigned index);
/* Does slot `index` have a keeper?  Lock the slot, waiting a moment for
 * a keeper that holds it while joining (returns -1, errno EWOULDBLOCK). */
bool keeper_exists(const char *state_dir, unsigned index);
int keeper_lock_slot(const char *state_dir, unsigned index, int fd);

/* run.c: one run on the slot's runner thread (or its helper). */
int run_in_slot(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error);
/* run.c: once a run's result is delivered, unmount what it left
 * (run_release_finished) and build the next run's sandbox now, for the
 * last run's rootfs (best effort), by the thread that will run it; and
 * end a prepared one, releasing the finished one too (before the slot is
 * left, or before another process runs in the slot). */
void run_prepare_ahead(sandbox_slot *slot);
void run_discard_prepared(sandbox_slot *slot);
/* run.c: unmount what the last run left mounted in its own mount
 * namespace (its tmpfs, overlays, /proc, /dev), once its result is
 * delivered: by whoever delivers it, and at the latest before the slot's
 * next run, prepared run or departure. */
void run_release_finished(sandbox_slot *slot);

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
/* The helper ends the sandbox it prepared for the next run (before this process runs one in the slot). */
void helper_discard_prepared(sandbox_slot *slot);
/* 0 or -1 as sandbox_run, *ran true; or 0 with *ran false: nothing ran, run it here. */
int helper_run(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error,
               bool *ran);

/* workspace.c: unmount and remove the workspaces of processes that died
 * without destroying them (a server killed with SIGKILL). */
void workspace_reclaim_dead(const char *workspace_dir);
/* workspace.c: empty the workspace folder `path` (root's, mode 0777 again),
 * not following symlinks nor entering other mounts nor going deeper than 64
 * levels; false when anything is left (it is then unmounted instead). */
bool workspace_empty(const char *path);
/* workspace.c: unmount and remove the workspaces kept for reuse (context close). */
void workspace_release_idle(sandbox_context *context);
/* workspace.c: is `path` a workspace itself, the root of its own tmpfs?  A
 * detached mount of it then names no host path in a run's mountinfo. */
bool workspace_is_own_root(const sandbox_context *context, const char *path);

#endif
