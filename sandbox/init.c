/*
 * init.c - the child side of a run.  The cloned child becomes pid 1 of the
 * run's pid namespace ("init"): it waits until its uid/gid maps are
 * written, builds what it can of the root (mounts.c) before the run's spec
 * is known, waits for the spec on the go socket (a prepared run, run.c),
 * mounts /box, enters the root, forks the program, and then only reaps:
 * orphans, the program's exit (reported with its wait status) and seccomp
 * notifications (reported with the syscall number).  When init
 * exits the kernel kills every process left in the namespace, so nothing
 * of the run outlives it.  The program, between fork and exec, drops every
 * privilege (privileges.c), installs the seccomp filter and hands its
 * listener to init.  This code runs after clone in a possibly
 * multithreaded parent: no malloc, no stdio, no locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fdpass.h"
#include "internal.h"
#include "mounts.h"

/* FD_ROOTFS, FD_DEV: the detached mounts init moves into its namespace
 * (closed before the program starts); FD_BOX stays free (the box's mount
 * comes with the spec, at whatever number it is received). */
enum { FD_STDIN, FD_STDOUT, FD_STDERR, FD_STATUS, FD_GO, FD_ROOTFS, FD_BOX, FD_DEV, FD_COUNT };

/* init's RSS high-water mark when the program started (init's own,
 * child-side state): the program's mark includes it (CLONE_VM until exec). */
static long init_rss_kb;

static long rss_high_water_kb(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0;
}

static void send_report(int kind, int value, int errno_value, const char *message)
{
    run_report report = {.kind = kind, .value = value, .errno_value = errno_value};
    if (kind == REPORT_EXITED) {
        struct rusage usage;
        if (getrusage(RUSAGE_CHILDREN, &usage) == 0)
            report.maxrss_kb = usage.ru_maxrss;
        report.init_rss_kb = init_rss_kb;
    }
    if (message)
        snprintf(report.message, sizeof report.message, "%s", message);
    ssize_t ignored = write(FD_STATUS, &report, sizeof report);
    (void)ignored;
}

__attribute__((noreturn)) static void fail(int kind, const sandbox_error *error, int exit_code)
{
    send_report(kind, 0, error->errno_value, error->message);
    _exit(exit_code);
}

/* Put the fds the run needs at 0..4 and close every other one. */
static int arrange_fds(const child_plan *plan, sandbox_error *error)
{
    int sources[FD_COUNT] = {plan->null_fd,       plan->stdout_fd, plan->stderr_fd, plan->status_fd, plan->go_fd,
                             plan->rootfs_tree_fd, -1,              plan->dev_tree_fd};
    int moved[FD_COUNT];
    /* The supervisor gives a stdin always (the run's own /dev/null, until
     * the spec gives another): never the host's /dev/null, whose locks leak. */
    if (sources[FD_STDIN] < 0 || sources[FD_DEV] < 0)
        return error_set(error, EBADF, "no stdin or no /dev tree for the run");
    for (int i = 0; i < FD_COUNT; i++) {
        moved[i] = sources[i] < 0 ? -1 : fcntl(sources[i], F_DUPFD_CLOEXEC, FD_COUNT + 16);
        if (moved[i] < 0 && sources[i] >= 0)
            return error_errno(error, "duplicate fd %d", sources[i]);
    }
    for (int i = 0; i < FD_COUNT; i++) {
        if (moved[i] < 0)
            close(i); /* absent: nothing may be left there */
        else if (dup2(moved[i], i) < 0)
            return error_errno(error, "dup2 to fd %d", i);
    }
    if (syscall(SYS_close_range, FD_COUNT, ~0U, 0) < 0)
        return error_errno(error, "close_range");
    for (int i = FD_STATUS; i < FD_COUNT; i++)
        if (moved[i] >= 0 && fcntl(i, F_SETFD, FD_CLOEXEC) < 0)
            return error_errno(error, "set close-on-exec");
    return 0;
}

static void reset_signals(void)
{
    struct sigaction default_action = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &default_action, NULL); /* fails harmlessly for reserved signals */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static const char *find_path(const char *const *env)
{
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], "PATH=", 5) == 0)
            return env[i] + 5;
    return "/usr/local/bin:/usr/bin:/bin";
}

/* execvpe with the run's own PATH; returns the errno of the best failure. */
int exec_in_path(const char *const *argv, const char *const *env)
{
    const char *name = argv[0];
    if (strchr(name, '/')) {
        execve(name, (char *const *)argv, (char *const *)env);
        return errno;
    }
    int best = ENOENT;
    for (const char *dir = find_path(env); *dir;) {
        size_t length = strcspn(dir, ":");
        char candidate[PATH_MAX];
        if (length > 0 && length + strlen(name) + 2 < sizeof candidate) {
            snprintf(candidate, sizeof candidate, "%.*s/%s", (int)length, dir, name);
            execve(candidate, (char *const *)argv, (char *const *)env);
            if (errno == EACCES)
                best = EACCES;
            else if (errno != ENOENT && errno != ENOTDIR)
                return errno;
        }
        dir += length;
        if (*dir == ':')
            dir++;
    }
    return best;
}

/* What the program is, from the spec the supervisor sent (in init's own memory). */
typedef struct run_job {
    const sandbox_context *context;
    const char *const *argv;
    const char *const *env;
    sandbox_limits limits;
    bool hold;                  /* a `finished` hook: keep the mounts until the supervisor ends the run */
} run_job;

__attribute__((noreturn)) static void program_main(const run_job *job, int notify_socket)
{
    sandbox_error error = {0};
    /* init reset every disposition before forking us; only its blocked
     * SIGCHLD is left to undo. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (setsid() < 0) {
        error_errno(&error, "setsid");
        fail(REPORT_SETUP_FAILED, &error, 126);
    }
    if (privileges_drop(job->context, &job->limits, &error) < 0)
        fail(REPORT_SETUP_FAILED, &error, 126);
    int listener = seccomp_program_install(&job->context->seccomp);
    if (listener < 0) {
        error_errno(&error, "install the seccomp filter");
        fail(REPORT_SETUP_FAILED, &error, 126);
    }
    char byte = 'L';
    if (!fdpass_send(notify_socket, &byte, 1, &listener, 1)) {
        error_errno(&error, "hand the seccomp listener to init");
        fail(REPORT_SETUP_FAILED, &error, 126);
    }
    close(listener);
    close(notify_socket);
    int exec_errno = exec_in_path(job->argv, job->env);
    char message[256];
    snprintf(message, sizeof message, "cannot execute %s: %s", job->argv[0], strerror(exec_errno));
    dprintf(FD_STDERR, "judgebox: %s\n", message);
    send_report(REPORT_EXEC_FAILED, 0, exec_errno, message);
    _exit(127);
}

/* Report the first forbidden syscall; init's exit then ends the run. */
__attribute__((noreturn)) static void report_forbidden(int listener)
{
    struct seccomp_notif_sizes sizes = {0};
    union { struct seccomp_notif notif; char space[1024]; } buffer;
    memset(&buffer, 0, sizeof buffer);
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0 || sizes.seccomp_notif > sizeof buffer ||
        ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &buffer) < 0) {
        sandbox_error error;
        error_errno(&error, "receive a seccomp notification");
        fail(REPORT_SETUP_FAILED, &error, 0);
    }
    int number = buffer.notif.data.arch == AUDIT_ARCH_X86_64 ? buffer.notif.data.nr : -1;
    /* Kill everything while the syscall is still blocked: once the
     * listener closes it would return ENOSYS and the program go on. */
    kill(-1, SIGKILL);
    send_report(REPORT_FORBIDDEN, number, 0, NULL);
    _exit(0);
}

/* The supervisor reads the run's /box once the program exited (a
 * `finished` hook): init keeps the mounts alive, with nothing else of the
 * run left, until the supervisor kills it. */
__attribute__((noreturn)) static void hold_for_supervisor(void)
{
    kill(-1, SIGKILL);
    for (;;)
        pause();
}

__attribute__((noreturn)) static void reap_until_program_exits(pid_t program, int listener, int signal_fd, bool hold)
{
    struct pollfd fds[2] = {{.fd = signal_fd, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
    for (;;) {
        if (poll(fds, listener >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) {
            sandbox_error error;
            error_errno(&error, "init: poll");
            fail(REPORT_SETUP_FAILED, &error, 0);
        }
        if (listener >= 0 && (fds[1].revents & POLLIN))
            report_forbidden(listener);
        /* POLLHUP: no task uses the filter any more (the program and all
         * it started have exited), so no notification can come.  Stop
         * polling the listener, or init spins until SIGCHLD arrives. */
        if (listener >= 0 && (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)))
            listener = -1;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(signal_fd, &info, sizeof info) == (ssize_t)sizeof info)
                ;
            int status;
            pid_t pid;
            while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                if (pid == program) {
                    send_report(REPORT_EXITED, status, 0, NULL);
                    if (hold)
                        hold_for_supervisor();
                    _exit(0);
                }
        }
    }
}

#define PROGRAM_STACK_SIZE (256 * 1024)

typedef struct program_start {
    const run_job *job;
    int socket;
    int close_fds[2];
} program_start;

static int program_entry(void *argument)
{
    const program_start *start = argument;
    close(start->close_fds[0]);
    close(start->close_fds[1]);
    program_main(start->job, start->socket);
}

static int start_program(const run_job *job, sandbox_error *error)
{
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) < 0)
        return error_errno(error, "socketpair");
    sigset_t child_signal;
    sigemptyset(&child_signal);
    sigaddset(&child_signal, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &child_signal, NULL) < 0)
        return error_errno(error, "block SIGCHLD");
    int signal_fd = signalfd(-1, &child_signal, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0)
        return error_errno(error, "signalfd");
    /* The program shares init's memory until it execs, and init waits
     * meanwhile (CLONE_VM | CLONE_VFORK, as posix_spawn does): no copy of
     * init's address space (a copy of the whole supervisor process) is
     * made, written to and torn down per run.  It runs on its own stack,
     * in this frame, which lives as long as init; its descriptor table and
     * signal dispositions are its own (no CLONE_FILES, no CLONE_SIGHAND). */
    char stack[PROGRAM_STACK_SIZE] __attribute__((aligned(64)));
    program_start start = {.job = job, .socket = sockets[1], .close_fds = {sockets[0], signal_fd}};
    init_rss_kb = rss_high_water_kb();
    pid_t program = clone(program_entry, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
    if (program < 0)
        return error_errno(error, "start the program");
    close(sockets[1]);
    char byte;
    int listener = -1, received = 0;
    bool ok = fdpass_receive(sockets[0], &byte, 1, &listener, 1, &received);
    if (!ok && received == 1)
        close(listener);
    if (!ok || received != 1)
        listener = -1; /* the program died before handing it over */
    close(sockets[0]);
    /* Nothing of init is readable or traceable from the program. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        error_errno(error, "prctl PR_SET_DUMPABLE");
        kill(program, SIGKILL);
        return -1;
    }
    reap_until_program_exits(program, listener, signal_fd, job->hold);
}

/* The next NUL-terminated string of [*cursor, end); NULL when none is left. */
static const char *next_string(const char **cursor, const char *end)
{
    const char *string = *cursor;
    const char *nul = string < end ? memchr(string, '\0', (size_t)(end - string)) : NULL;
    if (!nul)
        return NULL;
    *cursor = nul + 1;
    return string;
}

/* The spec, once the run is wanted: into `job` and `mounts`, in memory
 * mapped here (no malloc: the parent may have been multithreaded).  Its
 * stdin goes to FD_STDIN, its box's mount to *box_fd.  False when the
 * supervisor hung up instead (it discarded this prepared run). */
static bool receive_spec(run_job *job, mount_plan *mounts, int *box_fd, sandbox_error *error)
{
    go_message message;
    int fds[2], count = 0;
    bool ok = fdpass_receive(FD_GO, &message, sizeof message, fds, 2, &count);
    if (!ok && count == 0)
        return false;
    int expected = (message.has_stdin ? 1 : 0) + (message.has_box ? 1 : 0);
    if (!ok || message.magic != GO_MAGIC || count != expected || message.strings_bytes > GO_STRINGS_MAX ||
        message.argc == 0 || message.argc > GO_STRINGS_MAX / 2 || message.envc > GO_STRINGS_MAX / 2) {
        error_set(error, EPROTO, "init: a malformed spec from the supervisor");
        fail(REPORT_SETUP_FAILED, error, 1);
    }
    size_t pointers = ((size_t)message.argc + 1 + message.envc + 1) * sizeof(char *);
    size_t size = pointers + (size_t)message.strings_bytes;
    char **space = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (space == MAP_FAILED) {
        error_errno(error, "init: map %zu bytes for the spec", size);
        fail(REPORT_SETUP_FAILED, error, 1);
    }
    const char *strings = (const char *)space + pointers, *end = strings + message.strings_bytes;
    if (!fdpass_read_all(FD_GO, (char *)strings, (size_t)message.strings_bytes)) {
        error_errno(error, "init: read the spec");
        fail(REPORT_SETUP_FAILED, error, 1);
    }
    const char *cursor = strings;
    char **argv = space, **env = space + message.argc + 1;
    for (uint32_t i = 0; i < message.argc; i++)
        argv[i] = (char *)next_string(&cursor, end);
    for (uint32_t i = 0; i < message.envc; i++)
        env[i] = (char *)next_string(&cursor, end);
    argv[message.argc] = env[message.envc] = NULL;
    mounts->workdir = message.has_workdir ? next_string(&cursor, end) : NULL;
    mounts->hostname = message.has_hostname ? next_string(&cursor, end) : NULL;
    bool complete = cursor == end && (!message.has_workdir || mounts->workdir) &&
                    (!message.has_hostname || mounts->hostname);
    for (uint32_t i = 0; i < message.argc + 1 + message.envc; i++)
        if (i != message.argc && !space[i])
            complete = false;
    if (!complete) {
        error_set(error, EPROTO, "init: the spec's strings are cut short");
        fail(REPORT_SETUP_FAILED, error, 1);
    }
    int next = 0;
    if (message.has_stdin) {
        if (dup2(fds[next], FD_STDIN) < 0) {
            error_errno(error, "init: dup2 the run's stdin");
            fail(REPORT_SETUP_FAILED, error, 1);
        }
        close(fds[next++]);
    }
    *box_fd = message.has_box ? fds[next] : -1;
    if (message.stderr_to_stdout && dup2(FD_STDOUT, FD_STDERR) < 0) {
        error_errno(error, "init: stderr to stdout");
        fail(REPORT_SETUP_FAILED, error, 1);
    }
    *job = (run_job){.context = job->context, .argv = (const char *const *)argv, .env = (const char *const *)env,
                     .limits = message.limits, .hold = message.hold};
    mounts->box_mode = (sandbox_box_mode)message.box_mode;
    mounts->box_is_own_root = message.box_is_own_root;
    mounts->box_fd = *box_fd;
    mounts->disk_kb = message.limits.disk_kb;
    mounts->inodes = message.limits.inodes;
    return true;
}

void child_init_main(const child_plan *plan)
{
    sandbox_error error = {0};
    reset_signals();
    if (arrange_fds(plan, &error) < 0)
        _exit(1); /* the status fd may not be in place yet */
    char go;
    if (read(FD_GO, &go, 1) != 1) /* the supervisor died or gave up */
        _exit(1);
    /* Raw syscalls, not glibc's setresgid/setresuid: those apply the
     * change to every thread glibc knows of (__nptl_setxid), and its list
     * is the copy of the parent's, a threaded supervisor: one thread that
     * was being created at clone time left its setxid futex at -2, and
     * init waited on it forever (a run hung until its wall limit). */
    if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0) {
        error_errno(&error, "become root of the run's user namespace");
        fail(REPORT_SETUP_FAILED, &error, 1);
    }
    /* After the id change, which clears it.  The supervisor holds the go
     * socket open for the whole run: a hang-up now means it already died. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
        error_errno(&error, "prctl PR_SET_PDEATHSIG");
        fail(REPORT_SETUP_FAILED, &error, 1);
    }
    struct pollfd supervisor = {.fd = FD_GO, .events = POLLIN};
    if (poll(&supervisor, 1, 0) != 0 && (supervisor.revents & (POLLHUP | POLLERR | POLLNVAL)))
        _exit(1); /* (the spec may be there already: that is POLLIN) */
    if (setsid() < 0) {
        error_errno(&error, "setsid");
        fail(REPORT_SETUP_FAILED, &error, 1);
    }
    mount_plan mounts = {
        .scratch = plan->context->scratch_dir, .rootfs_fd = FD_ROOTFS, .box_fd = -1, .dev_fd = FD_DEV,
        .rootfs_is_view = plan->rootfs_is_view,
        .disk_kb = plan->disk_kb, .inodes = plan->inodes,
        .box_uid = SANDBOX_INNER_UID, .box_gid = SANDBOX_INNER_UID,
    };
    if (mounts_prepare(&mounts, &error) < 0)
        fail(REPORT_SETUP_FAILED, &error, 1);
    close(FD_ROOTFS); /* moved into the namespace; the program gets none of them */
    close(FD_DEV);
    /* Ready: the rest waits for the run's spec. */
    run_job job = {.context = plan->context};
    int box_fd = -1;
    if (!receive_spec(&job, &mounts, &box_fd, &error))
        _exit(0);
    close(FD_GO);
    if (mounts_enter(&mounts, plan->disk_kb, plan->inodes, &error) < 0)
        fail(REPORT_SETUP_FAILED, &error, 1);
    if (box_fd >= 0)
        close(box_fd);
    if (start_program(&job, &error) < 0)
        fail(REPORT_SETUP_FAILED, &error, 1);
    _exit(1);
}
