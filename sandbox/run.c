/*
 * run.c - one run, on the slot's runner thread: check the spec, set the
 * cgroup limits, clone the run's init into fresh user, pid, mount, ipc,
 * uts and cgroup namespaces (the net namespace is the slot's, inherited
 * from the runner thread, or a networked run's own: network.c), write its
 * uid/gid maps, let it go, and
 * supervise: capture output up to the cap, poll CPU time only as often as
 * the remaining budget requires, enforce wall time, kill on any limit, and
 * turn what happened into a sandbox_result.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fdpass.h"
#include "internal.h"
#include "mounts.h"
#include "network.h"

const char *const sandbox_default_env[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin", "HOME=/box", "LANG=C.UTF-8",
    "TMPDIR=/tmp", NULL};

typedef enum kill_reason { KILLED_NONE, KILLED_CPU, KILLED_WALL, KILLED_OUTPUT, KILLED_CANCELLED, KILLED_NETWORK } kill_reason;

/* How often a networked run's traffic is checked against its cap. */
#define NETWORK_CHECK_NS 10000000u

/* The order output was read in (sandbox_output_piece), shared by both
 * captures of a run. */
typedef struct output_order {
    sandbox_output_piece *pieces;
    size_t count, capacity;
    bool stopped;           /* out of room (or memory): nothing more is noted */
} output_order;

#define FORWARD_CHUNK 65536

typedef struct capture {
    int fd;                 /* read end, -1 when done */
    output_order *order;
    int forward_fd;         /* copy accepted bytes here too; -1 = keep in data */
    char *pending;          /* forwarded bytes its reader has not taken yet: no more is read meanwhile */
    size_t pending_length, pending_offset;
    bool forward_gone;      /* forward_fd's reader left or stopped reading: the rest is dropped */
    bool forward_whole;     /* forward_fd is a file: a write never waits for a reader, so all at once */
    int stream;             /* 1 stdout, 2 stderr: for the output hook */
    const sandbox_hooks *hooks;
    char *data;
    size_t length, capacity, limit;
    bool truncated;
} capture;

typedef struct supervision {
    pid_t init_pid;
    int status_fd;
    int go_fd;              /* held open while the run lives */
    capture out, err;
    run_report report;
    bool have_report;
    kill_reason killed;
    uint64_t start_ns, end_ns;
    int cancel_fd;          /* -1 when the caller gave none */
    int signal_fd;          /* -1 when the caller gave none */
    uint64_t runner_cpu_start_ns;
    const run_network *network; /* NULL, or a networked run with a byte cap */
} supervision;

static uint64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static int check_spec(const sandbox_spec *spec, struct stat *rootfs_info, sandbox_error *error)
{
    struct stat info;
    if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
        return error_set(error, EINVAL, "no command to run");
    if (!spec->rootfs)
        return error_set(error, EINVAL, "no rootfs given");
    if (spec->rootfs[0] != '/')
        return error_set(error, EINVAL, "rootfs %s must be an absolute path", spec->rootfs);
    if (stat(spec->rootfs, &info) < 0)
        return error_errno(error, "rootfs %s", spec->rootfs);
    if (!S_ISDIR(info.st_mode))
        return error_set(error, ENOTDIR, "rootfs %s is not a directory", spec->rootfs);
    if ((info.st_mode & 0005) != 0005)
        return error_set(error, EACCES, "rootfs %s must be readable and searchable by others (mode %o)",
                         spec->rootfs, (unsigned)(info.st_mode & 07777));
    *rootfs_info = info;
    if (spec->box_mode != SANDBOX_BOX_NONE) {
        if (!spec->box_dir || spec->box_dir[0] != '/')
            return error_set(error, EINVAL, "box directory %s must be an absolute path",
                             spec->box_dir ? spec->box_dir : "(none)");
        if (stat(spec->box_dir, &info) < 0)
            return error_errno(error, "box directory %s", spec->box_dir);
        if (!S_ISDIR(info.st_mode))
            return error_set(error, ENOTDIR, "box directory %s is not a directory", spec->box_dir);
    }
    if (spec->workdir && spec->workdir[0] != '/')
        return error_set(error, EINVAL, "workdir %s must be absolute", spec->workdir);
    if (spec->run_id && !run_id_valid(spec->run_id))
        return error_set(error, EINVAL, "run id '%s' must be 1 to %d of A-Z a-z 0-9 . _ : -", spec->run_id,
                         SANDBOX_RUN_ID_MAX - 1);
    if (spec->network) {
        if (spec->network->allow_count && !spec->network->allow)
            return error_set(error, EINVAL, "network: %zu allowed destinations given as NULL",
                             spec->network->allow_count);
        for (size_t i = 0; i < spec->network->allow_count; i++) {
            const sandbox_net_rule *r = &spec->network->allow[i];
            if (r->prefix > 32 || r->port_min == 0 || r->port_min > r->port_max)
                return error_set(error, EINVAL, "network: allowed destination %zu is not prefix 0..32, ports 1..65535",
                                 i);
        }
    }
    return 0;
}

/* The rootfs and box_dir as detached mounts, made here as real root: the
 * run's init moves them into its own mount namespace by descriptor, so
 * neither path has to be reachable by the run's unprivileged host uid (a
 * rootfs below a 0700 directory such as /root or a mktemp -d folder), and
 * neither host path shows in the run's /proc/mounts.  Private, so no mount
 * event of the host propagates into them; the rootfs read-only too. */
static int open_tree_of(const char *what, const char *path, bool read_only, int *out, sandbox_error *error)
{
    int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (read_only ? 0 : AT_RECURSIVE));
    if (fd < 0)
        return error_errno(error, "open_tree %s %s", what, path);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0),
                              .propagation = MS_PRIVATE};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | (read_only ? 0 : AT_RECURSIVE), &attr, sizeof attr) < 0) {
        error_errno(error, "make the mount of %s %s private", what, path);
        close(fd);
        return -1;
    }
    *out = fd;
    return 0;
}

/* The run's /dev: a small tmpfs made here, as real root (so its device
 * nodes can be opened from the run's user namespace), detached, with
 * null, zero, full, random and urandom of its own.  flock and fcntl locks
 * live on the inode: bound host nodes would share them with the host and
 * with every concurrent run (a covert channel, and a way to block other
 * software); these inodes are this run's alone.  Read-only once filled;
 * shm is the mount point of the scratch tmpfs's shm directory. */
static int make_dev_tree(int *out, sandbox_error *error)
{
    static const struct { const char *name; unsigned minor; } nodes[] = {
        {"null", 3}, {"zero", 5}, {"full", 7}, {"random", 8}, {"urandom", 9}};
    static const char *const links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                                           {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return error_errno(error, "fsopen tmpfs for /dev");
    if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "judgebox-dev", 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "size", "16k", 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "16", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        error_errno(error, "configure the tmpfs for /dev");
        close(fs);
        return -1;
    }
    int dev = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
    close(fs);
    if (dev < 0)
        return error_errno(error, "fsmount the tmpfs for /dev");
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
        if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(1, nodes[i].minor)) < 0 ||
            fchmodat(dev, nodes[i].name, 0666, 0) < 0) { /* whatever the umask */
            error_errno(error, "mknod /dev/%s", nodes[i].name);
            goto fail;
        }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlinkat(links[i][0], dev, links[i][1]) < 0) {
            error_errno(error, "symlink /dev/%s", links[i][1]);
            goto fail;
        }
    if (mkdirat(dev, "shm", 0755) < 0) {
        error_errno(error, "mkdir /dev/shm");
        goto fail;
    }
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY, .propagation = MS_PRIVATE};
    if (mount_setattr(dev, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
        error_errno(error, "make /dev read-only");
        goto fail;
    }
    *out = dev;
    return 0;
fail:
    close(dev);
    return -1;
}

static int write_proc_file(pid_t pid, const char *file, const char *value, sandbox_error *error)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "open %s", path);
    ssize_t length = (ssize_t)strlen(value);
    ssize_t written = write(fd, value, (size_t)length);
    int saved = errno;
    close(fd);
    if (written != length) {
        errno = saved;
        return error_errno(error, "write %s", path);
    }
    return 0;
}

static int write_id_maps(const sandbox_slot *slot, pid_t pid, sandbox_error *error)
{
    char map[96];
    snprintf(map, sizeof map, "0 %u 1\n%u %u 1\n", (unsigned)slot->host_root_uid, SANDBOX_INNER_UID,
             (unsigned)slot->host_user_uid);
    if (write_proc_file(pid, "setgroups", "deny", error) < 0 || write_proc_file(pid, "uid_map", map, error) < 0 ||
        write_proc_file(pid, "gid_map", map, error) < 0)
        return -1;
    return 0;
}

/* Note `length` bytes kept from c's stream: extend the last piece when it
 * is the same stream, else start one (while there is room). */
static void note_order(capture *c, size_t length)
{
    output_order *o = c->order;
    if (o->count > 0 && o->pieces[o->count - 1].stream == (uint8_t)c->stream) {
        o->pieces[o->count - 1].length += length;
        return;
    }
    if (o->stopped || o->count == SANDBOX_OUTPUT_PIECES_MAX) {
        o->stopped = true;
        return;
    }
    if (o->count == o->capacity) {
        size_t capacity = o->capacity ? o->capacity * 2 : 16;
        sandbox_output_piece *p = realloc(o->pieces, capacity * sizeof *p);
        if (!p) {
            o->stopped = true;  /* the data is still kept, only its order is not */
            return;
        }
        o->pieces = p;
        o->capacity = capacity;
    }
    o->pieces[o->count++] = (sandbox_output_piece){.stream = (uint8_t)c->stream, .length = length};
}

/* How long the forwarded output of a run that has ended may wait for its
 * reader (the other side of an interactive pair, a CLI's stdout) before
 * it is dropped. */
#define FORWARD_GRACE_NS 1000000000u

/* Hand pending bytes to forward_fd's reader, without ever blocking the
 * supervisor: a reader that stops reading must not stop the run's wall
 * clock, nor its peer's (an interactor and a solution that both write
 * and never read).  At most PIPE_BUF bytes per write once poll says there
 * is room (a pipe then takes them whole); a regular file or block device
 * has no reader to wait for and takes them all in one write.  Until
 * `deadline_ns` (0: not at all) it waits for room.  True when nothing is
 * left pending. */
static bool forward_pending(capture *c, uint64_t deadline_ns)
{
    while (c->pending_offset < c->pending_length) {
        size_t left = c->pending_length - c->pending_offset;
        if (c->forward_whole) {
            ssize_t written = write(c->forward_fd, c->pending + c->pending_offset, left);
            if (written < 0 && errno == EINTR)
                continue;
            if (written <= 0) {
                c->forward_gone = true; /* a full disk, a file size limit: forwarding stops */
                break;
            }
            c->pending_offset += (size_t)written;
            continue;
        }
        uint64_t now = deadline_ns ? monotonic_ns() : 0;
        int timeout_ms = deadline_ns > now ? (int)((deadline_ns - now + 999999u) / 1000000u) : 0;
        struct pollfd out = {.fd = c->forward_fd, .events = POLLOUT};
        int ready = poll(&out, 1, timeout_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return false;
        if (ready < 0 || (out.revents & (POLLERR | POLLNVAL))) {
            c->forward_gone = true; /* its reader is gone: forwarding stops */
            break;
        }
        ssize_t written = write(c->forward_fd, c->pending + c->pending_offset, left < PIPE_BUF ? left : PIPE_BUF);
        if (written < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (written <= 0) {
            c->forward_gone = true; /* its reader is gone (EPIPE): forwarding stops */
            break;
        }
        c->pending_offset += (size_t)written;
    }
    c->pending_length = c->pending_offset = 0;
    return true;
}

/* A regular file or block device: a write to it never waits for a reader. */
static bool never_waits_for_reader(int fd)
{
    struct stat info;
    return fd >= 0 && fstat(fd, &info) == 0 && (S_ISREG(info.st_mode) || S_ISBLK(info.st_mode));
}

/* Queue `length` bytes for forward_fd (nothing is pending) and hand over
 * what the reader takes now. */
static void forward(capture *c, const char *data, size_t length)
{
    if (c->forward_gone)
        return;
    if (!c->pending && !(c->pending = malloc(FORWARD_CHUNK))) {
        c->forward_gone = true;
        return;
    }
    memcpy(c->pending, data, length);
    c->pending_length = length;
    c->pending_offset = 0;
    forward_pending(c, 0);
}

/* Read what is available; keep up to the limit; true if over it.  While
 * forwarded bytes are pending, nothing is read (the program's pipe fills
 * and it waits, as it would writing to its reader directly). */
static bool drain_capture(capture *c)
{
    char chunk[FORWARD_CHUNK];
    if (c->pending_length && !forward_pending(c, 0))
        return c->truncated;
    while (c->fd >= 0) {
        ssize_t got = read(c->fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0 || errno != EAGAIN) {
                close(c->fd);
                c->fd = -1;
            }
            return c->truncated;
        }
        size_t room = c->limit - c->length;
        size_t keep = (size_t)got < room ? (size_t)got : room;
        if ((size_t)got > room)
            c->truncated = true;
        if (keep && c->hooks && c->hooks->output)
            c->hooks->output(c->hooks->arg, c->stream, chunk, keep);
        if (keep && c->forward_fd >= 0) {
            forward(c, chunk, keep);
        } else if (keep) {
            if (c->length + keep + 1 > c->capacity) {
                size_t capacity = c->capacity ? c->capacity : 4096;
                while (capacity < c->length + keep + 1)
                    capacity *= 2;
                char *grown = realloc(c->data, capacity);
                if (!grown) {
                    c->truncated = true;
                    return true;
                }
                c->data = grown;
                c->capacity = capacity;
            }
            memcpy(c->data + c->length, chunk, keep);
            note_order(c, keep);
        }
        c->length += keep;
        if (c->truncated)
            return true;
        if (c->pending_length)
            return false; /* its reader is slower: poll says when it took them */
    }
    return c->truncated;
}

/* What supervise polls for a capture: its pipe, or while forwarded bytes
 * are pending, room at its reader. */
static struct pollfd capture_poll(const capture *c)
{
    if (c->pending_length)
        return (struct pollfd){.fd = c->forward_fd, .events = POLLOUT};
    return (struct pollfd){.fd = c->fd, .events = POLLIN};
}

static void kill_run(supervision *s, kill_reason reason)
{
    if (s->killed == KILLED_NONE && !s->have_report)
        s->killed = reason;
    if (s->init_pid > 0)
        kill(s->init_pid, SIGKILL); /* pid 1 dies: the kernel kills the whole namespace */
}

/* The caller asks for signals (ints on signal_fd): send them to init's
 * children -- the program, and orphans init adopted -- never to init. */
static void forward_signals(supervision *s)
{
    int sig;
    ssize_t got = read(s->signal_fd, &sig, sizeof sig);
    if (got <= 0) {
        if (got == 0 || (errno != EAGAIN && errno != EINTR))
            s->signal_fd = -1; /* the caller closed it: nothing more comes */
        return;
    }
    if (got != (ssize_t)sizeof sig || sig <= 0 || sig >= NSIG)
        return;
    char path[64], children[4096];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)s->init_pid, (int)s->init_pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t length = read(fd, children, sizeof children - 1);
    close(fd);
    if (length <= 0)
        return;
    children[length] = '\0';
    for (char *p = children, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 1)
            kill((pid_t)pid, sig); /* unreaped until init waits: the pid is still its child's */
    }
}

static void read_report(supervision *s)
{
    run_report report;
    ssize_t got = read(s->status_fd, &report, sizeof report);
    if (got == (ssize_t)sizeof report && !s->have_report) {
        s->report = report;
        s->have_report = true;
        s->end_ns = monotonic_ns();
    } else if (got <= 0 && !(got < 0 && (errno == EAGAIN || errno == EINTR))) {
        close(s->status_fd); /* init is gone */
        s->status_fd = -1;
        if (!s->end_ns)
            s->end_ns = monotonic_ns();
    }
}

/* The run's share of a cgroup CPU figure: on v1 the runner thread (this
 * one) is a member of the slot's cpuacct group, so its own time is taken off. */
static uint64_t without_runner(const sandbox_slot *slot, const supervision *s, uint64_t cgroup_ns)
{
    if (slot->context->cgroups.version != 1)
        return cgroup_ns;
    uint64_t mine = thread_cpu_ns() - s->runner_cpu_start_ns;
    return cgroup_ns > mine ? cgroup_ns - mine : 0;
}

/* CPU used by the run so far (0 if the cgroup cannot be read). */
static uint64_t run_cpu_ns(const sandbox_slot *slot, const supervision *s)
{
    uint64_t used = 0;
    if (cgroup_run_cpu_ns(&slot->cgroups, &used) < 0)
        return 0;
    return without_runner(slot, s, used);
}

static void supervise(sandbox_slot *slot, const sandbox_limits *limits, supervision *s)
{
    uint64_t cpus = slot->context->cpu_count;
    uint64_t cpu_limit_ns = limits->cpu_ms * 1000000u;
    uint64_t wall_deadline = s->start_ns + limits->wall_ms * 1000000u;
    uint64_t next_cpu_check = s->start_ns + cpu_limit_ns / cpus;
    uint64_t next_network_check = s->network ? s->start_ns + NETWORK_CHECK_NS : UINT64_MAX;
    while (s->status_fd >= 0 && !s->have_report) {
        uint64_t now = monotonic_ns();
        if (now >= wall_deadline) {
            kill_run(s, KILLED_WALL);
            break;
        }
        if (now >= next_network_check) {
            if (network_bytes(s->network) > s->network->max_bytes) {
                kill_run(s, KILLED_NETWORK);
                break;
            }
            next_network_check = now + NETWORK_CHECK_NS;
        }
        if (now >= next_cpu_check) {
            uint64_t used = run_cpu_ns(slot, s);
            if (used >= cpu_limit_ns) {
                kill_run(s, KILLED_CPU);
                break;
            }
            uint64_t wait = (cpu_limit_ns - used) / cpus;
            next_cpu_check = now + (wait < 1000000u ? 1000000u : wait);
        }
        uint64_t until = next_cpu_check < wall_deadline ? next_cpu_check : wall_deadline;
        if (next_network_check < until)
            until = next_network_check;
        int timeout_ms = (int)((until - now + 999999u) / 1000000u);
        struct pollfd fds[5] = {{.fd = s->status_fd, .events = POLLIN},
                                capture_poll(&s->out),
                                capture_poll(&s->err),
                                {.fd = s->cancel_fd, .events = POLLIN},
                                {.fd = s->signal_fd, .events = POLLIN}};
        if (poll(fds, 5, timeout_ms) < 0 && errno != EINTR)
            break;
        if (fds[4].revents)
            forward_signals(s);
        if (fds[3].revents) {
            kill_run(s, KILLED_CANCELLED);
            break;
        }
        if (fds[1].revents && drain_capture(&s->out))
            kill_run(s, KILLED_OUTPUT);
        if (fds[2].revents && drain_capture(&s->err))
            kill_run(s, KILLED_OUTPUT);
        if (s->killed)
            break;
        if (fds[0].revents)
            read_report(s);
    }
    if (!s->end_ns)
        s->end_ns = monotonic_ns();
}

/* The `finished` hook: init holds the run's mounts for it (init.c). */
static void call_finished(const sandbox_hooks *hooks, const supervision *s)
{
    if (!hooks || !hooks->finished || !s->have_report || s->report.kind != REPORT_EXITED || s->killed)
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/root/box", (int)s->init_pid);
    int box = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (box < 0)
        return;
    hooks->finished(hooks->arg, box);
    close(box);
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL); /* pid 1 dies: the kernel kills the whole namespace */
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
        ;
}

static void finish_processes(supervision *s)
{
    if (s->go_fd >= 0)
        close(s->go_fd);
    s->go_fd = -1;
    reap(s->init_pid);
    /* Every writer is dead now: read what is left of the output.  What
     * is forwarded gets FORWARD_GRACE_NS for its reader to take it. */
    for (capture *c = &s->out; c <= &s->err; c++) {
        /* Blocking now, to wait for the last bytes; if that cannot be set
         * the loop ends all the same: with every writer gone, an emptied
         * pipe reads as EOF, never EAGAIN. */
        if (c->fd >= 0) {
            int flags = fcntl(c->fd, F_GETFL);
            if (flags >= 0)
                (void)fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
        }
        uint64_t grace_end = monotonic_ns() + FORWARD_GRACE_NS;
        while (c->fd >= 0 || c->pending_length) {
            if (c->pending_length && !forward_pending(c, grace_end)) {
                c->forward_gone = true; /* not taken in time: the rest is dropped */
                c->pending_length = c->pending_offset = 0;
                continue;
            }
            if (drain_capture(c) && !s->killed && !s->have_report)
                s->killed = KILLED_OUTPUT;
        }
        free(c->pending);
        c->pending = NULL;
    }
    if (s->status_fd >= 0) {
        if (!s->have_report)
            read_report(s);
        if (s->status_fd >= 0)
            close(s->status_fd);
    }
}

static void describe_exit(sandbox_result *result, int status)
{
    if (WIFEXITED(status)) {
        result->exit_code = WEXITSTATUS(status);
        result->status = result->exit_code ? SANDBOX_RUNTIME_ERROR : SANDBOX_OK;
    } else if (WIFSIGNALED(status)) {
        result->exit_code = -1;
        result->signal = WTERMSIG(status);
        result->status = SANDBOX_RUNTIME_ERROR;
    }
}

static void classify(const sandbox_limits *limits, const supervision *s, const cgroup_usage *usage,
                     sandbox_result *result)
{
    const run_report *r = &s->report;
    result->exit_code = -1;
    if (s->have_report && r->kind == REPORT_EXITED)
        describe_exit(result, r->value);
    if (s->killed == KILLED_CANCELLED) {
        result->status = SANDBOX_INTERNAL_ERROR;
        snprintf(result->message, sizeof result->message, "cancelled by the caller");
    } else if (s->killed == KILLED_CPU || (result->status != SANDBOX_OK && result->cpu_ms >= limits->cpu_ms))
        result->status = SANDBOX_TIME_LIMIT;
    else if (s->killed == KILLED_WALL)
        result->status = SANDBOX_WALL_TIME_LIMIT;
    else if (s->killed == KILLED_NETWORK)
        result->status = SANDBOX_NETWORK_LIMIT;
    else if (s->killed == KILLED_OUTPUT || (result->signal == SIGXFSZ))
        result->status = SANDBOX_OUTPUT_LIMIT;
    else if (usage->oom_killed)
        result->status = SANDBOX_MEMORY_LIMIT;
    else if (s->have_report && r->kind == REPORT_FORBIDDEN) {
        result->status = SANDBOX_FORBIDDEN_SYSCALL;
        result->signal = SIGSYS;
        if (r->value >= 0)
            seccomp_syscall_name(r->value, result->syscall, sizeof result->syscall);
        else
            snprintf(result->syscall, sizeof result->syscall, "non-x86_64 ABI");
    } else if (result->signal == SIGSYS) {
        /* Killed by the arch check: an i386 or x32 syscall. */
        result->status = SANDBOX_FORBIDDEN_SYSCALL;
        snprintf(result->syscall, sizeof result->syscall, "non-x86_64 ABI");
    } else if (s->have_report && r->kind == REPORT_EXEC_FAILED) {
        result->status = SANDBOX_RUNTIME_ERROR;
        result->exit_code = 127;
        snprintf(result->message, sizeof result->message, "%s", r->message);
    } else if (s->have_report && r->kind == REPORT_SETUP_FAILED) {
        result->status = SANDBOX_INTERNAL_ERROR;
        snprintf(result->message, sizeof result->message, "%s", r->message);
    } else if (!s->have_report) {
        result->status = SANDBOX_INTERNAL_ERROR;
        snprintf(result->message, sizeof result->message, "the run's init died without a report");
    }
}

static void collect(sandbox_slot *slot, const sandbox_limits *limits, supervision *s, sandbox_result *result)
{
    cgroup_usage usage = {0};
    sandbox_error cgroup_error = {0};
    int cgroup_rc = cgroup_run_end(&slot->cgroups, &usage, &cgroup_error);
    result->cpu_ms = without_runner(slot, s, usage.cpu_ns) / 1000000u;
    result->wall_ms = (s->end_ns - s->start_ns) / 1000000u;
    /* The cgroup's peak (every process, page cache and tmpfs included; v1
     * takes off the cache charged before the run, which reclaim may have
     * shrunk), or the program's own RSS high-water mark when that is more.
     * The program shares init's memory until it execs (CLONE_VM) and its
     * high-water mark keeps that: init's RSS at that moment is taken off. */
    long own_kb = s->report.maxrss_kb - s->report.init_rss_kb;
    uint64_t maxrss_kb = (uint64_t)(own_kb > 0 ? own_kb : 0);
    result->memory_kb = usage.memory_peak_bytes / 1024 > maxrss_kb ? usage.memory_peak_bytes / 1024 : maxrss_kb;
    if (result->memory_kb > limits->memory_kb) /* RSS counts shared pages charged elsewhere */
        result->memory_kb = limits->memory_kb;
    /* Forwarded output is not kept: its data is empty. */
    result->stdout_data = s->out.data;
    result->stdout_len = s->out.forward_fd >= 0 ? 0 : s->out.length;
    result->stdout_truncated = s->out.truncated;
    result->stderr_data = s->err.data;
    result->stderr_len = s->err.forward_fd >= 0 ? 0 : s->err.length;
    result->stderr_truncated = s->err.truncated;
    s->out.data = s->err.data = NULL;
    classify(limits, s, &usage, result);
    if (cgroup_rc < 0 && result->status != SANDBOX_INTERNAL_ERROR) {
        result->status = SANDBOX_INTERNAL_ERROR;
        snprintf(result->message, sizeof result->message, "%s", cgroup_error.message);
    }
    if (s->killed == KILLED_CPU)
        snprintf(result->message, sizeof result->message, "CPU time over %" PRIu64 " ms", limits->cpu_ms);
    else if (s->killed == KILLED_WALL)
        snprintf(result->message, sizeof result->message, "wall time over %" PRIu64 " ms", limits->wall_ms);
    else if (s->killed == KILLED_OUTPUT)
        snprintf(result->message, sizeof result->message, "output over %" PRIu64 " bytes", limits->output_bytes);
    else if (s->killed == KILLED_NETWORK)
        snprintf(result->message, sizeof result->message, "network traffic over %" PRIu64 " bytes",
                 s->network->max_bytes);
}

/* Capture pipes: give the ends to the result's strings (NUL-terminated). */
static void terminate_strings(sandbox_result *result)
{
    for (int i = 0; i < 2; i++) {
        char **data = i ? &result->stderr_data : &result->stdout_data;
        size_t length = i ? result->stderr_len : result->stdout_len;
        if (!*data)
            *data = calloc(1, 1);
        else
            (*data)[length] = '\0';
    }
}

enum { PIPE_STATUS, PIPE_OUT, PIPE_ERR, PIPE_COUNT };

static void close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    fds[0] = fds[1] = -1;
}

/* The run's three pipes and its go socket.  The supervisor reads status
 * and output without blocking; output pipes are reopenable by the program
 * as /dev/stdout (a pipe is its creator's, host root's, mode 0600; only
 * this run holds it). */
static int make_channels(int pipes[PIPE_COUNT][2], int go[2], sandbox_error *error)
{
    for (int i = 0; i < PIPE_COUNT; i++)
        pipes[i][0] = pipes[i][1] = -1;
    go[0] = go[1] = -1;
    for (int i = 0; i < PIPE_COUNT; i++) {
        if (pipe2(pipes[i], O_CLOEXEC) < 0) {
            error_errno(error, "pipe2");
            goto fail;
        }
        if (fcntl(pipes[i][0], F_SETFL, O_NONBLOCK) < 0) {
            error_errno(error, "make a run's pipe non-blocking");
            goto fail;
        }
        if (i != PIPE_STATUS && fchmod(pipes[i][1], 0666) < 0) {
            error_errno(error, "fchmod the output pipe");
            goto fail;
        }
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0) {
        error_errno(error, "socketpair for the run's go socket");
        goto fail;
    }
    return 0;
fail:
    for (int i = 0; i < PIPE_COUNT; i++)
        close_pair(pipes[i]);
    close_pair(go);
    return -1;
}

static pid_t clone_init(sandbox_slot *slot, const child_plan *plan, sandbox_error *error)
{
    int cgroup_fd = cgroup_run_clone_fd(&slot->cgroups);
    struct clone_args args = {
        .flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
                 (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
        .exit_signal = SIGCHLD,
        .cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
    };
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0)
        child_init_main(plan);
    if (pid < 0)
        error_errno(error, "clone3 the run's init (user namespaces enabled? user.max_user_namespaces > 0?)");
    return pid;
}

static void close_prepared_fds(prepared_run *p)
{
    int *fds[] = {&p->go_fd, &p->status_fd, &p->out_fd, &p->err_fd, &p->mount_ns_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

/* Build a run's sandbox before its spec is known: the run's cgroup, init
 * cloned into fresh user, pid, mount, ipc, uts and cgroup namespaces (and
 * the thread's net namespace), its uid/gid maps, and init's mounts of
 * everything but /box (init.c), after which it waits for the spec.
 * Nothing in it is shared with any other run; it only exists earlier. */
static int prepared_make(sandbox_slot *slot, const char *rootfs, const struct stat *rootfs_info,
                         const packed_image *image, uint64_t disk_kb, uint64_t inodes, bool overlay_view_ok,
                         sandbox_error *error)
{
    prepared_run *p = &slot->prepared;
    *p = (prepared_run){.go_fd = -1, .status_fd = -1, .out_fd = -1, .err_fd = -1, .mount_ns_fd = -1};
    if (snprintf(p->rootfs, sizeof p->rootfs, "%s", rootfs) >= (int)sizeof p->rootfs)
        return error_set(error, ENAMETOOLONG, "rootfs %s: path too long", rootfs);
    if (cgroup_run_create(&slot->cgroups, error) < 0)
        return -1;
    int pipes[PIPE_COUNT][2], go[2];
    child_plan plan = {.context = slot->context, .null_fd = -1, .rootfs_tree_fd = -1, .dev_tree_fd = -1,
                       .disk_kb = disk_kb, .inodes = inodes};
    if (make_channels(pipes, go, error) < 0)
        goto fail_cgroup;
    int view = image_view_clone(slot->context, rootfs, rootfs_info, image, overlay_view_ok, &plan.rootfs_tree_fd,
                                &p->view_made_ns, error);
    plan.rootfs_is_view = view > 0;
    if (view < 0 || (view == 0 && open_tree_of("rootfs", rootfs, true, &plan.rootfs_tree_fd, error) < 0) ||
        make_dev_tree(&plan.dev_tree_fd, error) < 0)
        goto fail_channels;
    /* Until the spec gives one: the run's own /dev/null, not the host's (a
     * lock on fd 0 would reach the host's node). */
    plan.null_fd = openat(plan.dev_tree_fd, "null", O_RDONLY | O_CLOEXEC);
    if (plan.null_fd < 0) {
        error_errno(error, "open the run's /dev/null");
        goto fail_channels;
    }
    plan.stdout_fd = pipes[PIPE_OUT][1];
    plan.stderr_fd = pipes[PIPE_ERR][1];
    plan.status_fd = pipes[PIPE_STATUS][1];
    plan.go_fd = go[1];
    pid_t pid = clone_init(slot, &plan, error);
    /* init has its own copies */
    close(plan.null_fd);
    close(plan.rootfs_tree_fd);
    close(plan.dev_tree_fd);
    plan.null_fd = plan.rootfs_tree_fd = plan.dev_tree_fd = -1;
    for (int i = 0; i < PIPE_COUNT; i++) {
        close(pipes[i][1]);
        pipes[i][1] = -1;
    }
    close(go[1]);
    go[1] = -1;
    if (pid < 0)
        goto fail_channels;
    /* init waits for its maps, then for one byte on the go socket. */
    int started = write_id_maps(slot, pid, error);
    if (started == 0 && write(go[0], "g", 1) != 1)
        started = error_errno(error, "start the run's init");
    if (started < 0) {
        reap(pid);
        goto fail_channels;
    }
    /* Held by the supervisor, the mount namespace is unmounted when the
     * supervisor lets go (run_release_finished), not by init's exit: its
     * unmounts and their RCU grace period leave the path between the
     * program's exit and the run's result. */
    char ns_path[64];
    snprintf(ns_path, sizeof ns_path, "/proc/%d/ns/mnt", (int)pid);
    p->mount_ns_fd = open(ns_path, O_RDONLY | O_CLOEXEC);
    if (p->mount_ns_fd < 0) {
        error_errno(error, "open %s", ns_path);
        reap(pid);
        goto fail_channels;
    }
    p->init_pid = pid;
    p->go_fd = go[0];
    p->status_fd = pipes[PIPE_STATUS][0];
    p->out_fd = pipes[PIPE_OUT][0];
    p->err_fd = pipes[PIPE_ERR][0];
    p->rootfs_dev = rootfs_info->st_dev;
    p->rootfs_ino = rootfs_info->st_ino;
    p->image = *image;
    p->disk_kb = disk_kb;
    p->inodes = inodes;
    return 0;
fail_channels:
    if (plan.null_fd >= 0)
        close(plan.null_fd);
    if (plan.rootfs_tree_fd >= 0)
        close(plan.rootfs_tree_fd);
    if (plan.dev_tree_fd >= 0)
        close(plan.dev_tree_fd);
    for (int i = 0; i < PIPE_COUNT; i++)
        close_pair(pipes[i]);
    close_pair(go);
fail_cgroup:;
    cgroup_usage ignored;
    cgroup_run_end(&slot->cgroups, &ignored, NULL);
    return -1;
}

void run_release_finished(sandbox_slot *slot)
{
    if (slot->finished_mount_ns_fd >= 0)
        close(slot->finished_mount_ns_fd);
    slot->finished_mount_ns_fd = -1;
}

void run_discard_prepared(sandbox_slot *slot)
{
    run_release_finished(slot);
    prepared_run *p = &slot->prepared;
    if (p->init_pid <= 0)
        return;
    reap(p->init_pid);
    close_prepared_fds(p);
    p->init_pid = 0;
    cgroup_usage ignored;
    cgroup_run_end(&slot->cgroups, &ignored, NULL);
}

/* Is the prepared run one this spec can use, and still waiting for it?
 * (A prepared init that failed has reported, or is gone: status is readable.)
 * Its root, if an overlay view, must still be fresh, and the packed image
 * the same (image_view.c). */
static bool prepared_fits(const prepared_run *p, const sandbox_spec *spec, const struct stat *rootfs_info,
                          const packed_image *image)
{
    struct pollfd status = {.fd = p->status_fd, .events = POLLIN};
    return p->init_pid > 0 && !spec->network && strcmp(p->rootfs, spec->rootfs) == 0 &&
           p->rootfs_dev == rootfs_info->st_dev && p->rootfs_ino == rootfs_info->st_ino &&
           packed_image_same(&p->image, image) && image_view_fresh(p->view_made_ns) &&
           poll(&status, 1, 0) == 0;
}

void run_prepare_ahead(sandbox_slot *slot)
{
    run_release_finished(slot);
    if (slot->prepared.init_pid > 0 || !slot->last_rootfs[0] || slot->network_broken || slot->context->one_run)
        return;
    struct stat info;
    packed_image image;
    sandbox_error ignored = {0};
    if (stat(slot->last_rootfs, &info) == 0 && S_ISDIR(info.st_mode)) {
        packed_image_stat(slot->last_rootfs, &image);
        prepared_make(slot, slot->last_rootfs, &info, &image, slot->last_disk_kb, slot->last_inodes,
                      slot->runs_close, &ignored);
    }
}

/* Append `string` (NULL: nothing) with its NUL to the strings being built. */
static bool append_string(char **buffer, size_t *length, size_t *capacity, const char *string)
{
    size_t size = strlen(string) + 1;
    if (*length + size > GO_STRINGS_MAX)
        return false;
    if (*length + size > *capacity) {
        size_t grown = *capacity ? *capacity : 4096;
        while (grown < *length + size)
            grown *= 2;
        char *bigger = realloc(*buffer, grown);
        if (!bigger)
            return false;
        *buffer = bigger;
        *capacity = grown;
    }
    memcpy(*buffer + *length, string, size);
    *length += size;
    return true;
}

/* Send the prepared init the run's spec (init.c's receive_spec). */
static int send_go(int go_fd, const sandbox_spec *spec, const sandbox_limits *limits, const char *const *env,
                   int box_fd, bool box_is_own_root, sandbox_error *error)
{
    go_message message = {
        .magic = GO_MAGIC, .box_mode = (uint32_t)spec->box_mode, .limits = *limits,
        .has_stdin = spec->stdin_fd >= 0, .has_box = box_fd >= 0,
        .box_is_own_root = box_is_own_root,
        .hold = spec->hooks && spec->hooks->finished, .stderr_to_stdout = spec->stderr_to_stdout,
        .has_workdir = spec->workdir != NULL, .has_hostname = spec->hostname != NULL,
    };
    char *strings = NULL;
    size_t length = 0, capacity = 0;
    bool ok = true;
    for (size_t i = 0; ok && spec->argv[i]; i++, message.argc++)
        ok = append_string(&strings, &length, &capacity, spec->argv[i]);
    for (size_t i = 0; ok && env[i]; i++, message.envc++)
        ok = append_string(&strings, &length, &capacity, env[i]);
    if (ok && spec->workdir)
        ok = append_string(&strings, &length, &capacity, spec->workdir);
    if (ok && spec->hostname)
        ok = append_string(&strings, &length, &capacity, spec->hostname);
    if (!ok) {
        free(strings);
        return error_set(error, E2BIG, "the run's command and environment exceed %u bytes", GO_STRINGS_MAX);
    }
    message.strings_bytes = length;
    int fds[2], count = 0;
    if (message.has_stdin)
        fds[count++] = spec->stdin_fd;
    if (message.has_box)
        fds[count++] = box_fd;
    ok = (count ? fdpass_send(go_fd, &message, sizeof message, fds, count)
                : fdpass_write_all(go_fd, &message, sizeof message)) &&
         fdpass_write_all(go_fd, strings, length);
    free(strings);
    if (!ok)
        return error_errno(error, "send the run's spec to its init");
    return 0;
}

int run_in_slot(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error)
{
    run_release_finished(slot); /* (its caller's job, done here at the latest) */
    memset(result, 0, sizeof *result);
    result->exit_code = -1;
    result->status = SANDBOX_INTERNAL_ERROR;
    sandbox_limits limits = spec->limits;
    sandbox_limits_fill(&limits);
    run_network network = {.run_netns_fd = -1, .counter_fds = {-1, -1}};
    struct stat rootfs_info;
    if (slot->network_broken) {
        error_set(error, EIO, "slot %u: the runner is not in an isolated net namespace", slot->index);
        goto fail;
    }
    if (check_spec(spec, &rootfs_info, error) < 0)
        goto fail;
    /* A sandbox prepared with an overlay view must start within the view's
     * age: prepare the next one so only while runs come close together. */
    uint64_t start_ns = monotonic_ns();
    slot->runs_close = slot->last_start_ns && start_ns - slot->last_start_ns < IMAGE_VIEW_MAX_AGE_NS / 2;
    slot->last_start_ns = start_ns;
    /* A networked run is cloned in its own net namespace: never prepared ahead. */
    packed_image image = {0};
    if (!slot->context->one_run)
        packed_image_stat(spec->rootfs, &image);
    if (slot->prepared.init_pid > 0 && !prepared_fits(&slot->prepared, spec, &rootfs_info, &image))
        run_discard_prepared(slot);
    if (spec->network && network_begin(slot, spec->network, &network, error) < 0)
        goto end_network;
    if (slot->prepared.init_pid <= 0 &&
        prepared_make(slot, spec->rootfs, &rootfs_info, &image, limits.disk_kb, limits.inodes, true, error) < 0)
        goto end_network;
    prepared_run prepared = slot->prepared; /* this run's now */
    slot->prepared.init_pid = 0;
    int box_fd = -1;
    output_order order = {0};
    supervision s = {
        .init_pid = prepared.init_pid,
        .status_fd = prepared.status_fd,
        .go_fd = prepared.go_fd,
        .cancel_fd = spec->cancel_fd > 0 ? spec->cancel_fd : -1,
        .signal_fd = spec->signal_fd > 0 ? spec->signal_fd : -1,
        .out = {.fd = prepared.out_fd, .forward_fd = spec->stdout_fd, .limit = limits.output_bytes,
                .forward_whole = never_waits_for_reader(spec->stdout_fd), .stream = 1, .hooks = spec->hooks,
                .order = &order},
        .err = {.fd = prepared.err_fd, .forward_fd = spec->stderr_fd, .limit = limits.output_bytes,
                .forward_whole = never_waits_for_reader(spec->stderr_fd), .stream = 2, .hooks = spec->hooks,
                .order = &order},
        .network = network.active && network.max_bytes ? &network : NULL,
    };
    int started = cgroup_run_limits(&slot->cgroups, &limits, error);
    if (started == 0 && spec->box_mode != SANDBOX_BOX_NONE)
        started = open_tree_of("box directory", spec->box_dir, spec->box_mode == SANDBOX_BOX_COPY_ON_WRITE, &box_fd,
                               error);
    /* A copy-on-write box's lower mount is detached once its overlay is up
     * (mounts.c), unless it names no host path anyway: a workspace's own tmpfs. */
    bool box_is_own_root =
        box_fd >= 0 && spec->box_mode == SANDBOX_BOX_COPY_ON_WRITE && workspace_is_own_root(slot->context, spec->box_dir);
    s.runner_cpu_start_ns = thread_cpu_ns();
    s.start_ns = monotonic_ns();
    /* A prepared init that failed has reported why: supervise reads it. */
    if (started == 0 &&
        send_go(s.go_fd, spec, &limits, spec->env ? spec->env : sandbox_default_env, box_fd, box_is_own_root, error) < 0 &&
        error->errno_value != EPIPE && error->errno_value != ECONNRESET)
        started = -1;
    if (box_fd >= 0)
        close(box_fd);
    /* Findable while it lives (runs.c): judgebox attach. */
    if (started == 0 && run_record_write(slot, spec, &limits, s.init_pid, error) < 0)
        started = -1;
    if (started == 0) {
        supervise(slot, &limits, &s);
        call_finished(spec->hooks, &s);
    }
    finish_processes(&s);
    /* No process of the run is left; its mounts go once the result is out. */
    slot->finished_mount_ns_fd = prepared.mount_ns_fd;
    if (started == 0 && slot->context->attach)
        run_record_remove(slot->context->state_dir, slot->index);
    if (started < 0) {
        free(s.out.data);
        free(s.err.data);
        free(order.pieces);
        goto end_cgroup;
    }
    sandbox_error network_error = {0};
    int network_rc = network_end(slot, &network, &network_error);
    collect(slot, &limits, &s, result);
    result->network_bytes = network.bytes;
    if (network_rc < 0 && result->status != SANDBOX_INTERNAL_ERROR) {
        result->status = SANDBOX_INTERNAL_ERROR;
        snprintf(result->message, sizeof result->message, "%s", network_error.message);
    }
    result->output_order = order.pieces;
    result->output_pieces = order.count;
    terminate_strings(result);
    if (!spec->network) {
        snprintf(slot->last_rootfs, sizeof slot->last_rootfs, "%s", spec->rootfs);
        slot->last_disk_kb = limits.disk_kb;
        slot->last_inodes = limits.inodes;
    }
    return 0;
end_cgroup:;
    cgroup_usage ignored;
    cgroup_run_end(&slot->cgroups, &ignored, NULL); /* the error that matters is in `error` */
end_network:;
    sandbox_error ignored_error;
    network_end(slot, &network, &ignored_error);
fail:
    snprintf(result->message, sizeof result->message, "%s", error->message);
    terminate_strings(result);
    return -1;
}
