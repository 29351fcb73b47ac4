/*
 * sandbox.h - the only door into judgebox's sandbox core.
 *
 * The rest of the program (the CLI, the HTTP server, benchmarks) knows the
 * sandbox through these types and calls alone: open a context once
 * (sandbox_context_open), acquire a slot (sandbox_slot_acquire), fill a
 * sandbox_spec, call sandbox_run, read the sandbox_result, release the slot.
 * Everything kernel-shaped (namespaces, mounts, cgroups, seccomp, rlimits)
 * stays behind this header.  Errors come back as a sandbox_error carrying
 * errno and a message that names what failed and where; nothing in the core
 * exits the process.
 */
#ifndef JUDGEBOX_SANDBOX_H
#define JUDGEBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_ERROR_MESSAGE_MAX 512

/* An error with its context: "mount overlay on /x: Invalid argument". */
typedef struct sandbox_error {
    int errno_value;                          /* 0 when not from a syscall */
    char message[SANDBOX_ERROR_MESSAGE_MAX];
} sandbox_error;

/* Outcome of a run; names as in the JSON result. */
typedef enum sandbox_status {
    SANDBOX_OK = 0,
    SANDBOX_RUNTIME_ERROR,     /* non-zero exit or killed by a signal */
    SANDBOX_TIME_LIMIT,        /* CPU time over the limit */
    SANDBOX_WALL_TIME_LIMIT,
    SANDBOX_MEMORY_LIMIT,
    SANDBOX_OUTPUT_LIMIT,      /* a stream over output_bytes, or file size */
    SANDBOX_FORBIDDEN_SYSCALL,
    SANDBOX_INTERNAL_ERROR,
    SANDBOX_NETWORK_LIMIT,     /* network traffic over sandbox_network.max_bytes */
} sandbox_status;

const char *sandbox_status_name(sandbox_status status);

/* Limits of one run.  0 means "the default" (see sandbox_limits_default). */
typedef struct sandbox_limits {
    uint64_t cpu_ms;        /* CPU time of every process and thread, summed */
    uint64_t wall_ms;
    uint64_t memory_kb;     /* cgroup memory, swap off */
    uint64_t pids;          /* the program's processes and threads at once (the
                               run's own init is not counted: 1 = no fork) */
    uint64_t output_bytes;  /* per captured stream */
    uint64_t disk_kb;       /* size of the scratch tmpfs (writes anywhere) */
    uint64_t inodes;        /* inodes of the scratch tmpfs; 0 = from disk_kb */
    uint64_t file_size_kb;  /* RLIMIT_FSIZE */
    uint64_t open_files;    /* RLIMIT_NOFILE */
    uint64_t stack_kb;      /* RLIMIT_STACK; UINT64_MAX = unlimited */
} sandbox_limits;

/* Fill with the defaults every omitted field gets. */
void sandbox_limits_default(sandbox_limits *limits);
/* Replace zero fields of `limits` with defaults. */
void sandbox_limits_fill(sandbox_limits *limits);

/* How the host directory `box_dir` appears at /box inside the run. */
typedef enum sandbox_box_mode {
    SANDBOX_BOX_NONE = 0,      /* /box is an empty writable directory */
    SANDBOX_BOX_COPY_ON_WRITE, /* overlay on box_dir: writes are discarded */
    SANDBOX_BOX_WRITABLE,      /* box_dir bound read-write: writes persist */
} sandbox_box_mode;

/* One allowed destination of a networked run: IPv4 addresses
 * address/prefix (prefix 32: one host), TCP and UDP ports port_min..port_max. */
typedef struct sandbox_net_rule {
    uint32_t address;            /* network byte order */
    uint8_t prefix;              /* 0..32 */
    uint16_t port_min, port_max; /* 1..65535 */
} sandbox_net_rule;

/* A run's network (sandbox_spec.network; NULL = none, the default: the
 * run's net namespace then holds only a loopback).  A networked run gets
 * a fresh net namespace of its own, a veth pair to the host (host end
 * "jb<hash>-<slot>"), the slot's /30 out of `subnet`, a default route and
 * nftables rules, made before the program starts, in a table the program
 * cannot change, that let out only connections to `allow` (DNS too only
 * when allowed); everything else is dropped.  All of it goes with the run. */
typedef struct sandbox_network {
    const sandbox_net_rule *allow;
    size_t allow_count;
    uint64_t max_bytes;          /* traffic both ways, link headers included; past it the run ends with
                                    SANDBOX_NETWORK_LIMIT (and nftables drops the rest); 0 = no cap */
    uint32_t subnet;             /* network byte order: slot N gets subnet + 4N as a /30 (host .1, run .2);
                                    0 = 10.213.0.0 */
    bool no_masquerade;          /* false: the host masquerades the run's address (a table of its own) */
} sandbox_network;

typedef struct sandbox_env_var { const char *name, *value; } sandbox_env_var;

/* One run: what to execute, where, with what limits. */
typedef struct sandbox_spec {
    const char *rootfs;          /* host directory, lower layer of / (read-only); a file
                                    "<rootfs>.erofs" beside it, an erofs image of the same
                                    tree, is the root instead where the kernel mounts erofs
                                    from a file (image_view.c) */
    const char *const *argv;     /* argv[0] is looked up in PATH inside the run */
    const char *const *env;      /* "NAME=value" strings, NULL-terminated; NULL = a minimal default */
    const char *workdir;         /* inside the run; NULL = "/box" */
    const char *box_dir;         /* host directory for /box, per box_mode */
    sandbox_box_mode box_mode;
    int stdin_fd;                /* fd given to the program as stdin; -1 = /dev/null */
    int stdout_fd;               /* -1 = capture into result->stdout_data (capped) */
    int stderr_fd;               /* -1 = capture into result->stderr_data (capped) */
    sandbox_limits limits;
    const char *hostname;        /* NULL = "judgebox" */
    int cancel_fd;               /* > 0: the run is stopped (internal_error, "cancelled") as soon as
                                    this fd is readable, e.g. an eventfd the caller writes when its
                                    client went away; 0 = none */
    /* Live runs (streamed output, interactive sessions, files out); all optional, zero = off.
     * The hooks run on the slot's runner thread while the run lives: they must return quickly
     * and must not wait for the caller of sandbox_run.  The keeper path refuses them. */
    const struct sandbox_hooks *hooks;
    int signal_fd;               /* > 0: each int read from it (a pipe) is a signal number sent to
                                    the program and every other process of the run but its init */
    bool stderr_to_stdout;       /* the program's fd 2 is its stdout: one stream, in order (stderr
                                    then comes back empty) */
    const char *run_id;          /* names the run while it lives (`judgebox attach RUN_ID`): 1 to
                                    SANDBOX_RUN_ID_MAX - 1 of [A-Za-z0-9._:-]; NULL = "slot<N>-<pid>" */
    const sandbox_network *network; /* NULL = no network (see sandbox_network) */
} sandbox_spec;

/* Called as things happen in a run (see sandbox_spec.hooks). */
typedef struct sandbox_hooks {
    void *arg;
    /* A chunk of the program's output as it arrives (stream 1 = stdout, 2 = stderr), only the
     * bytes within limits.output_bytes: the cap holds as without the hook, and the result
     * keeps the bytes too. */
    void (*output)(void *arg, int stream, const char *data, size_t len);
    /* After the program exited on its own (not killed for a limit), with every other process
     * of the run killed: `box_fd` is the run's /box (its copy-on-write view), open O_PATH, for
     * reading what the program wrote with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS).
     * Closed after the call.  Not called when the run's /box cannot be opened. */
    void (*finished)(void *arg, int box_fd);
} sandbox_hooks;

/* A stretch of captured output read from one stream.  In the order they
 * were read, the pieces interleave stdout and stderr as the program wrote
 * them (as far as two pipes can tell); their lengths add up to the bytes
 * kept in stdout_data and stderr_data.  At most SANDBOX_OUTPUT_PIECES_MAX
 * are recorded: past that, the rest of each stream is not in the list. */
typedef struct sandbox_output_piece {
    uint8_t stream;              /* 1 stdout, 2 stderr */
    size_t length;
} sandbox_output_piece;
#define SANDBOX_OUTPUT_PIECES_MAX 4096

typedef struct sandbox_result {
    sandbox_status status;
    int exit_code;               /* -1 when killed by a signal */
    int signal;                  /* 0 when it exited */
    char syscall[64];            /* with SANDBOX_FORBIDDEN_SYSCALL */
    uint64_t cpu_ms, wall_ms, memory_kb;
    uint64_t network_bytes;      /* networked runs: bytes on the run's link, both ways */
    char *stdout_data, *stderr_data;   /* captured bytes, malloc'd; NUL-terminated for convenience */
    size_t stdout_len, stderr_len;
    bool stdout_truncated, stderr_truncated;
    sandbox_output_piece *output_order;  /* malloc'd; NULL when nothing was captured */
    size_t output_pieces;
    char message[SANDBOX_ERROR_MESSAGE_MAX]; /* why, for internal_error and limits */
} sandbox_result;

void sandbox_result_free(sandbox_result *result);

/* Where judgebox keeps its per-machine state, and how it picks host ids. */
typedef struct sandbox_config {
    const char *state_dir;       /* NULL = "/run/judgebox": slot locks, netns files */
    const char *cgroup_parent;   /* NULL = "judgebox" */
    uid_t uid_base;              /* 0 = 3000000; slot N uses uid_base + 2N and + 2N + 1 */
    unsigned max_slots;          /* 0 = 64 */
    int force_cgroup_version;    /* 0 = detect, 1 or 2 to insist */
    bool pin_cpus;               /* slot N on one CPU of its own (cpuset): stable CPU times */
    bool one_run;                /* true: one run, then exit (judgebox run); false: a server, which
                                    holds its slots and sends their keepers away (keeper.c) */
    bool helpers;                /* a long-lived, threaded caller (the server): each slot's runs are
                                    cloned by a small process of its own, forked at context open
                                    (helper.c); open the context early, before threads start */
    bool attach;                 /* `judgebox attach` is on (the config's attach.enabled): every live
                                    run keeps a record under <state_dir>/runs (runs.c); false, the
                                    default: no record is written and no run can be attached to */
} sandbox_config;

typedef struct sandbox_context sandbox_context;
typedef struct sandbox_slot sandbox_slot;

/* Check the machine (cgroups, user namespaces, overlayfs) and prepare. */
int sandbox_context_open(const sandbox_config *config, sandbox_context **out, sandbox_error *error);
void sandbox_context_close(sandbox_context *context);
int sandbox_context_cgroup_version(const sandbox_context *context);

/* Take slot `index`, or the first free one when index < 0.  A slot is held
 * by one process at a time (file lock), so the CLI and a server can share
 * a machine.  Per-slot resources (cgroups, an empty net namespace) are made
 * on first use and reused by later runs. */
int sandbox_slot_acquire(sandbox_context *context, int index, sandbox_slot **out, sandbox_error *error);
void sandbox_slot_release(sandbox_slot *slot);
int sandbox_slot_index(const sandbox_slot *slot);

/* Run one spec in the slot.  Returns 0 when the run happened (whatever its
 * status), -1 with `error` set when the sandbox could not be built; then
 * result->status is SANDBOX_INTERNAL_ERROR too.  Thread-safe across slots. */
int sandbox_run(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error);

/* `judgebox run`'s way around the cgroup v1 migration stall (keeper.c):
 * run `spec` in slot `slot` (< 0: the first free one) through that
 * slot's keeper, a process that already sits in the slot's cgroups.
 * The spec's stdout and stderr must be descriptors (no capture).
 * Returns 0 when it ran there: *rc, *result and *error as sandbox_run
 * sets them (result data empty); 1 when it did not run -- no keeper yet
 * (one is started for the next call), another binary's, cgroup v2 --:
 * run it the ordinary way then. */
int sandbox_keeper_run(const sandbox_config *config, int slot, const sandbox_spec *spec, sandbox_result *result,
                       sandbox_error *error, int *rc);

/* Remove every per-slot resource (cgroups, net namespaces, state files)
 * that is not held by a live process. */
int sandbox_cleanup(const sandbox_config *config, sandbox_error *error);

/* A host directory on its own size-capped tmpfs, for files that outlive
 * one run (a compiled program judged against many tests).  World-readable
 * and writable by the sandbox; removed (unmounted) by workspace_destroy. */
typedef struct sandbox_workspace sandbox_workspace;
int sandbox_workspace_create(sandbox_context *context, uint64_t size_kb, sandbox_workspace **out, sandbox_error *error);
const char *sandbox_workspace_path(const sandbox_workspace *workspace);
void sandbox_workspace_destroy(sandbox_workspace *workspace);

/* Live runs (runs.c, attach.c; docs/attach.md).  While a run lives the
 * core keeps a record of it under <state_dir>/runs (its id, slot, init
 * pid and that pid's start time, uid, cgroups, limits), removed when the
 * run ends and by sandbox_cleanup after a crash. */
#define SANDBOX_RUN_ID_MAX 128
typedef struct sandbox_run_info {
    char run_id[SANDBOX_RUN_ID_MAX];
    int slot;
    pid_t init_pid;              /* host pid of the run's init */
    pid_t supervisor_pid;        /* the process running it (a server, a CLI, a keeper) */
    uid_t uid;                   /* host uid of the program (uid 1000 inside) */
    uint64_t started_ms;         /* Unix time */
} sandbox_run_info;

/* The runs alive now, by slot; *runs is malloc'd (free it), *count may be 0. */
int sandbox_runs_list(const sandbox_config *config, sandbox_run_info **runs, size_t *count, sandbox_error *error);
/* The live run named `run_id`, or (run_id NULL) the one in slot `slot`.
 * ESRCH in error->errno_value when there is none. */
int sandbox_run_find(const sandbox_config *config, const char *run_id, int slot, sandbox_run_info *run,
                     sandbox_error *error);

typedef struct sandbox_attach_result {
    int wait_status;             /* the command's, as waitpid gives it (valid unless run_ended) */
    bool run_ended;              /* the run ended while attached: the command died with it */
    char forbidden_syscall[64];  /* the last forbidden syscall that killed a process of the attach */
} sandbox_attach_result;

/* Run `argv` (NULL: /bin/sh of the run's image) inside the live run `run`
 * as `nsenter` would: in its cgroups and namespaces, chrooted to its root
 * and in its working directory, as its program's uid 1000 with no
 * capabilities, its rlimits, no_new_privs and the same seccomp filter
 * (a forbidden syscall kills the process that made it).  stdin, stdout
 * and stderr are the caller's.  Waits until the command (and whatever it
 * left running) is gone.  Root only; the calling process must be single-
 * threaded.  0 with *result set; -1 with `error` when it could not attach. */
int sandbox_attach(sandbox_context *context, const sandbox_run_info *run, const char *const *argv,
                   sandbox_attach_result *result, sandbox_error *error);

#endif
