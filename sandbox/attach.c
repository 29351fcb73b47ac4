/*
 * attach.c - a command inside a live run (`judgebox attach`), the way
 * `nsenter` would enter it, with the run's own restrictions.
 *
 * The caller (root, single-threaded) reads the run's record (runs.c),
 * takes a pidfd of the run's init and checks its start time (no reused
 * pid), opens the init's root and working directory and the cgroup.procs
 * files of the run's cgroups, and sets its children's pid namespace to the
 * run's.  Its child, "the attach", is then a process of the run's pid
 * namespace: it joins the run's cgroups (so the run's memory and pids
 * limits bound it, and its CPU time counts in the run's), drops root's
 * groups, joins the run's user, mount, ipc, uts, net and cgroup namespaces
 * (one setns on the pidfd), chroots to the run's root and enters its
 * working directory, becomes a subreaper, and drops privileges exactly as
 * the run's program does (privileges.c: the run's rlimits, an empty
 * bounding set, locked securebits, uid/gid 1000, no capabilities,
 * no_new_privs), then installs the run's seccomp filter and hands its
 * listener to the caller.  It forks the command (stdin, stdout, stderr:
 * the caller's) and reaps; when the command ends it kills whatever the
 * command left behind, so nothing of the attach stays in the run.
 *
 * The caller watches the listener: a forbidden syscall kills the process
 * that made it (the run's init does the same for the run, where it ends
 * the whole run).  It reaps the attach at once: a run's init cannot finish
 * exiting while a process of its namespace is an unreaped zombie.  If the
 * run ends first, its pid namespace dies and the attach with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fdpass.h"
#include "internal.h"

#define ATTACH_NAMESPACES (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP)

/* What the attach tells the caller, in order: READY with the seccomp
 * listener (or FAILED with why), then EXITED with the command's status. */
typedef enum attach_kind { ATTACH_FAILED = 1, ATTACH_READY, ATTACH_EXITED } attach_kind;

typedef struct attach_message {
    int kind;
    int status;
    sandbox_error error;
} attach_message;

/* What the caller prepared for the attach, before it forks. */
typedef struct attach_plan {
    const sandbox_context *context;
    const run_record *record;
    const char *const *argv;
    const char *const *env;
    int pidfd, root_fd, cwd_fd, socket_fd;
    int cgroup_fds[RUN_CGROUPS_MAX];
} attach_plan;

static void send_message(int socket_fd, int kind, int status, const sandbox_error *error)
{
    attach_message message = {.kind = kind, .status = status};
    if (error)
        message.error = *error;
    ssize_t ignored = send(socket_fd, &message, sizeof message, MSG_NOSIGNAL);
    (void)ignored;
}

__attribute__((noreturn)) static void attach_fail(const attach_plan *plan, const sandbox_error *error)
{
    send_message(plan->socket_fd, ATTACH_FAILED, 0, error);
    _exit(126);
}

/* The caller ignores the terminal's signals while it waits, and so does
 * the helper (Ctrl-C must not kill it: the command would go with it).
 * The command gets Ctrl-C and Ctrl-\ (`command` true); Ctrl-Z stays
 * ignored for both, since nothing would resume a stopped command. */
static void reset_signals(bool command)
{
    static const int signals[] = {SIGINT, SIGQUIT, SIGPIPE, SIGCHLD};
    for (size_t i = command ? 0 : 2; i < sizeof signals / sizeof signals[0]; i++)
        signal(signals[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Kill every child of ours (the command's leftovers, which the subreaper
 * inherited) and reap until none is left. */
static void kill_leftovers(void)
{
    for (;;) {
        char path[64], children[4096];
        snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t length = fd >= 0 ? read(fd, children, sizeof children - 1) : -1;
        if (fd >= 0)
            close(fd);
        children[length > 0 ? length : 0] = '\0';
        for (char *p = children, *end; *p; p = end) {
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            kill((pid_t)pid, SIGKILL);
        }
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            return;
    }
}

__attribute__((noreturn)) static void attach_main(attach_plan *plan)
{
    sandbox_error error = {0};
    reset_signals(false);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
        error_errno(&error, "prctl PR_SET_PDEATHSIG");
        attach_fail(plan, &error);
    }
    for (unsigned i = 0; i < plan->record->cgroup_count; i++) {
        if (write(plan->cgroup_fds[i], "0", 1) != 1) {
            error_errno(&error, "join the run's cgroup %s", plan->record->cgroups[i]);
            attach_fail(plan, &error);
        }
        close(plan->cgroup_fds[i]);
    }
    /* Root's supplementary groups go now: the run's user namespace denies setgroups. */
    if (syscall(SYS_setgroups, 0, NULL) < 0) {
        error_errno(&error, "setgroups");
        attach_fail(plan, &error);
    }
    if (setns(plan->pidfd, ATTACH_NAMESPACES) < 0) {
        error_errno(&error, "enter the run's namespaces");
        attach_fail(plan, &error);
    }
    if (fchdir(plan->root_fd) < 0 || chroot(".") < 0 || fchdir(plan->cwd_fd) < 0) {
        error_errno(&error, "enter the run's root and working directory");
        attach_fail(plan, &error);
    }
    /* Nothing of the host goes in but stdin, stdout and stderr: every
     * other descriptor the caller had (inherited ones without
     * close-on-exec too) is closed; the report socket becomes fd 3. */
    if (dup2(plan->socket_fd, 3) < 0 || syscall(SYS_close_range, 4, ~0U, 0) < 0) {
        error_errno(&error, "close the caller's descriptors");
        attach_fail(plan, &error);
    }
    plan->socket_fd = 3;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || prctl(PR_SET_NAME, "judgebox-attach", 0, 0, 0) < 0) {
        error_errno(&error, "prctl");
        attach_fail(plan, &error);
    }
    if (privileges_drop(plan->context, &plan->record->limits, &error) < 0)
        attach_fail(plan, &error);
    int listener = seccomp_program_install(&plan->context->seccomp);
    if (listener < 0) {
        error_errno(&error, "install the run's seccomp filter");
        attach_fail(plan, &error);
    }
    attach_message ready = {.kind = ATTACH_READY};
    if (!fdpass_send(plan->socket_fd, &ready, sizeof ready, &listener, 1))
        _exit(126);
    close(listener);
    pid_t command = fork();
    if (command < 0) {
        error_errno(&error, "fork the command (the run's pids limit?)");
        send_message(plan->socket_fd, ATTACH_FAILED, 0, &error);
        _exit(126);
    }
    if (command == 0) {
        close(plan->socket_fd);
        reset_signals(true);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        int exec_errno = exec_in_path(plan->argv, plan->env);
        dprintf(STDERR_FILENO, "judgebox attach: cannot execute %s: %s\n", plan->argv[0], strerror(exec_errno));
        _exit(127);
    }
    /* Keep no terminal descriptor of our own: the command's ending shows as EOF to its readers. */
    int status = 0;
    for (;;) {
        pid_t pid = waitpid(-1, &status, 0);
        if (pid == command)
            break;
        if (pid < 0 && errno != EINTR)
            _exit(126);
    }
    kill_leftovers();
    send_message(plan->socket_fd, ATTACH_EXITED, status, NULL);
    _exit(0);
}

/* A process of the attach made a forbidden syscall: it dies, as it would
 * in the run (where the whole run ends), and the caller is told. */
static void handle_forbidden(int listener, sandbox_attach_result *result)
{
    struct seccomp_notif_sizes sizes = {0};
    union { struct seccomp_notif notif; char space[1024]; } buffer;
    memset(&buffer, 0, sizeof buffer);
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0 || sizes.seccomp_notif > sizeof buffer ||
        ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &buffer) < 0)
        return; /* e.g. ENOENT: the caller died meanwhile */
    char name[64];
    if (buffer.notif.data.arch == AUDIT_ARCH_X86_64)
        seccomp_syscall_name(buffer.notif.data.nr, name, sizeof name);
    else
        snprintf(name, sizeof name, "non-x86_64 ABI");
    /* The caller waits in the syscall until it dies: its pid is still its own. */
    kill((pid_t)buffer.notif.pid, SIGKILL);
    snprintf(result->forbidden_syscall, sizeof result->forbidden_syscall, "%s", name);
    dprintf(STDERR_FILENO, "judgebox attach: forbidden syscall %s (the run's seccomp policy): process killed\n", name);
}

/* The caller's side: watch the listener, wait for the attach's report. */
static int supervise_attach(pid_t attach, int socket_fd, int pidfd, sandbox_attach_result *result,
                            sandbox_error *error)
{
    int listener = -1, received = 0;
    attach_message message = {0};
    bool ok = fdpass_receive(socket_fd, &message, sizeof message, &listener, 1, &received);
    if (ok && message.kind == ATTACH_READY && received == 1) {
        struct pollfd fds[2] = {{.fd = socket_fd, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
        message.kind = 0;
        for (;;) {
            if (poll(fds, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            if (fds[1].revents & POLLIN)
                handle_forbidden(listener, result);
            else if (fds[1].revents)
                fds[1].fd = -1; /* nothing uses the filter any more */
            if (fds[0].revents) {
                if (recv(socket_fd, &message, sizeof message, 0) != (ssize_t)sizeof message)
                    message.kind = 0; /* the attach died: killed with the run */
                break;
            }
        }
    } else if (received == 1) {
        close(listener);
        listener = -1;
    }
    if (listener >= 0)
        close(listener);
    int status = 0;
    while (waitpid(attach, &status, __WALL) < 0 && errno == EINTR)
        ;
    if (message.kind == ATTACH_EXITED) {
        result->wait_status = message.status;
        return 0;
    }
    if (message.kind == ATTACH_FAILED) {
        *error = message.error;
        return -1;
    }
    /* The attach was killed: with the run's pid namespace (the run ended:
     * its init exits -- its pidfd reads as ready -- once we reaped the
     * attach, a moment from now), or by someone else. */
    struct pollfd init = {.fd = pidfd, .events = POLLIN};
    result->run_ended = poll(&init, 1, 2000) == 1;
    result->wait_status = status;
    return 0;
}

static int open_proc_dir(pid_t pid, const char *name, int *fd, sandbox_error *error)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    *fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return error_errno(error, "open %s of the run's init", path);
    return 0;
}

static void close_plan(attach_plan *plan)
{
    int *fds[] = {&plan->pidfd, &plan->root_fd, &plan->cwd_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    for (unsigned i = 0; i < RUN_CGROUPS_MAX; i++)
        if (plan->cgroup_fds[i] >= 0)
            close(plan->cgroup_fds[i]);
}

/* Everything the attach needs from the host side, while the run is checked to be the same. */
static int prepare(attach_plan *plan, const run_record *record, sandbox_error *error)
{
    pid_t init = record->info.init_pid;
    plan->pidfd = (int)syscall(SYS_pidfd_open, init, 0);
    if (plan->pidfd < 0) {
        if (errno == ESRCH)
            return error_set(error, ESRCH, "run %s has ended", record->info.run_id);
        return error_errno(error, "pidfd_open the run's init (pid %d)", (int)init);
    }
    if (open_proc_dir(init, "root", &plan->root_fd, error) < 0 || open_proc_dir(init, "cwd", &plan->cwd_fd, error) < 0)
        return -1;
    for (unsigned i = 0; i < record->cgroup_count; i++) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/cgroup.procs", record->cgroups[i]);
        plan->cgroup_fds[i] = open(path, O_WRONLY | O_CLOEXEC);
        if (plan->cgroup_fds[i] < 0)
            return error_errno(error, "open %s", path);
    }
    /* The pidfd and the /proc directories name the recorded process only
     * if it is still alive now, with the recorded start time. */
    if (!run_record_alive(record) || syscall(SYS_pidfd_send_signal, plan->pidfd, 0, NULL, 0) < 0)
        return error_set(error, ESRCH, "run %s has ended", record->info.run_id);
    return 0;
}

int sandbox_attach(sandbox_context *context, const sandbox_run_info *run, const char *const *argv,
                   sandbox_attach_result *result, sandbox_error *error)
{
    static const char *const default_argv[] = {"/bin/sh", NULL};
    memset(result, 0, sizeof *result);
    if (geteuid() != 0)
        return error_set(error, EPERM, "only root may attach to a run");
    /* A directory there would be a way out of the run's root. */
    for (int fd = 0; fd < 3; fd++) {
        struct stat info;
        if (fstat(fd, &info) < 0)
            return error_errno(error, "fd %d (stdin, stdout, stderr must be open)", fd);
        if (S_ISDIR(info.st_mode))
            return error_set(error, EINVAL, "fd %d is a directory: not passed into a run", fd);
    }
    run_record record;
    if (run_record_read(context->state_dir, (unsigned)run->slot, &record) < 0 || !run_record_alive(&record) ||
        record.info.init_pid != run->init_pid || strcmp(record.info.run_id, run->run_id) != 0)
        return error_set(error, ESRCH, "run %s has ended", run->run_id);
    attach_plan plan = {.context = context, .record = &record, .argv = argv && argv[0] ? argv : default_argv,
                        .env = sandbox_default_env, .pidfd = -1, .root_fd = -1, .cwd_fd = -1, .socket_fd = -1};
    for (unsigned i = 0; i < RUN_CGROUPS_MAX; i++)
        plan.cgroup_fds[i] = -1;
    int sockets[2] = {-1, -1}, own_pid_namespace = -1;
    int rc = -1;
    if (prepare(&plan, &record, error) < 0)
        goto out;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) < 0) {
        error_errno(error, "socketpair");
        goto out;
    }
    /* Our child starts in the run's pid namespace; we stay in ours, and
     * later children of ours start in our own again. */
    own_pid_namespace = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
    if (own_pid_namespace < 0) {
        error_errno(error, "open /proc/self/ns/pid_for_children");
        goto out;
    }
    if (setns(plan.pidfd, CLONE_NEWPID) < 0) {
        error_errno(error, "enter the run's pid namespace");
        goto out;
    }
    /* Ctrl-C, Ctrl-\ and Ctrl-Z at the terminal are the command's: we
     * must stay able to reap the attach (the run's end waits for that). */
    static const int ignored[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
    struct sigaction ignore = {.sa_handler = SIG_IGN}, saved[sizeof ignored / sizeof ignored[0]];
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &ignore, &saved[i]);
    pid_t attach = fork();
    if (attach == 0) {
        close(sockets[0]);
        close(own_pid_namespace);
        plan.socket_fd = sockets[1];
        attach_main(&plan);
    }
    int fork_errno = errno;
    /* Should this fail, only later children of ours would start in the run's namespace. */
    (void)setns(own_pid_namespace, CLONE_NEWPID);
    if (attach < 0) {
        errno = fork_errno;
        error_errno(error, "fork into the run's pid namespace");
    } else {
        close(sockets[1]);
        sockets[1] = -1;
        int pidfd = plan.pidfd; /* kept: it tells whether the run ended */
        plan.pidfd = -1;
        close_plan(&plan);
        plan.pidfd = pidfd;
        plan.root_fd = plan.cwd_fd = -1;
        for (unsigned i = 0; i < RUN_CGROUPS_MAX; i++)
            plan.cgroup_fds[i] = -1;
        rc = supervise_attach(attach, sockets[0], pidfd, result, error);
    }
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &saved[i], NULL);
out:
    if (own_pid_namespace >= 0)
        close(own_pid_namespace);
    for (int i = 0; i < 2; i++)
        if (sockets[i] >= 0)
            close(sockets[i]);
    close_plan(&plan);
    return rc;
}
