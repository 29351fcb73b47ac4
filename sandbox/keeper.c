/*
 * keeper.c - `judgebox run` without the cgroup v1 migration stall.
 *
 * On cgroup v1 a process can enter a cgroup only by migrating into it,
 * and the first migration after an idle moment waits for an RCU grace
 * period (cgroup_threadgroup_rwsem's rcu_sync_enter -> synchronize_rcu):
 * 5-25 ms here, more than the whole rest of a run.  A server pays it once
 * per slot; a command-line run paid it every time.
 *
 * So the first `judgebox run` on a slot leaves behind a keeper: a small
 * process (a double fork of that CLI, root, no open files) that joined
 * the slot's cgroups and net namespace once and listens on
 * <state>/slots/N.sock (root-only directory).  A later `judgebox run`
 * that locks slot N connects and hands over its argv, environment, cwd,
 * stdin/stdout/stderr and its slot lock; the keeper forks a child, which
 * starts inside the cgroups, and the child executes the very same command
 * (the CLI's own entry function) with those descriptors; the keeper
 * reports the child's exit status back.  The run itself is built exactly
 * as in any other process: fresh namespaces, mounts, limits.  If the
 * client goes away the child exits at once, and the run's init with it
 * (its parent-death signal).
 *
 * A keeper serves only a client of the same binary (device, inode and
 * mtime of /proc/self/exe), else it says so and exits; it exits after
 * KEEPER_IDLE_MS without a client, when `judgebox cleanup` or a process
 * that takes the slot for itself (a server) asks it to; before exiting it
 * moves itself out of the slot's cgroups (to the judgebox parents), so it
 * is never counted in a run's pids or memory.  At most one keeper per slot
 * (a flock on <state>/slots/N.keeper).  cgroup v2 does not need keepers:
 * runs start in their cgroup with CLONE_INTO_CGROUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define KEEPER_IDLE_MS 30000
#define KEEPER_MAGIC 0x4a424b31u /* "JBK1" */
#define KEEPER_MAX_BYTES (1 << 20)

enum { REQUEST_RUN = 1, REQUEST_QUIT = 2 };
enum { REPLY_DONE = 0, REPLY_STALE = 1, REPLY_STARTED = 2 };
enum { PASSED_STDIN, PASSED_STDOUT, PASSED_STDERR, PASSED_CWD, PASSED_LOCK, PASSED_COUNT };

typedef struct keeper_identity {
    uint64_t device, inode, mtime_ns;
} keeper_identity;

typedef struct keeper_request {
    uint32_t magic, kind;
    keeper_identity identity;
    uint32_t argc, envc, bytes;  /* then `bytes` of NUL-terminated argv then env strings */
} keeper_request;

typedef struct keeper_reply {
    uint32_t magic;
    int32_t kind, status;
} keeper_reply;

/* Inside a keeper's child: the slot, and the client's lock on it. */
int keeper_child_slot = -1;
int keeper_child_lock_fd = -1;

static int identity_of_self(keeper_identity *identity)
{
    struct stat info;
    if (stat("/proc/self/exe", &info) < 0)
        return -1;
    identity->device = (uint64_t)info.st_dev;
    identity->inode = (uint64_t)info.st_ino;
    identity->mtime_ns = (uint64_t)info.st_mtim.tv_sec * 1000000000u + (uint64_t)info.st_mtim.tv_nsec;
    return 0;
}

static void socket_path(const char *state_dir, unsigned index, char *path, size_t size, const char *suffix)
{
    snprintf(path, size, "%s/slots/%u.%s", state_dir, index, suffix);
}

static int connect_keeper(const char *state_dir, unsigned index)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    socket_path(state_dir, index, address.sun_path, sizeof address.sun_path, "sock");
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool read_all(int fd, void *data, size_t size)
{
    for (char *p = data; size;) {
        ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

static bool write_all(int fd, const void *data, size_t size)
{
    for (const char *p = data; size;) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

/* The header with `count` descriptors attached. */
static bool send_with_fds(int socket_fd, const void *data, size_t size, const int *fds, int count)
{
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int) * PASSED_COUNT)]; } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (count) {
        message.msg_control = control.space;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)count);
    }
    ssize_t n;
    do
        n = sendmsg(socket_fd, &message, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)size;
}

/* The request header and its descriptors (all or none: -1 each). */
static bool receive_request(int socket_fd, keeper_request *request, int fds[PASSED_COUNT])
{
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int) * PASSED_COUNT)]; } control;
    struct iovec iov = {.iov_base = request, .iov_len = sizeof *request};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = sizeof control.space};
    for (int i = 0; i < PASSED_COUNT; i++)
        fds[i] = -1;
    ssize_t n;
    do
        n = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    while (n < 0 && errno == EINTR);
    struct cmsghdr *cmsg = n > 0 ? CMSG_FIRSTHDR(&message) : NULL;
    if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
        size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int received[PASSED_COUNT];
        memcpy(received, CMSG_DATA(cmsg), sizeof(int) * (count < PASSED_COUNT ? count : PASSED_COUNT));
        for (size_t i = 0; i < count && i < PASSED_COUNT; i++)
            fds[i] = received[i];
        if (count != PASSED_COUNT) {
            for (int i = 0; i < PASSED_COUNT; i++)
                if (fds[i] >= 0)
                    close(fds[i]);
            for (int i = 0; i < PASSED_COUNT; i++)
                fds[i] = -1;
        }
    }
    return n == (ssize_t)sizeof *request && request->magic == KEEPER_MAGIC;
}

static bool peer_is_root(int fd)
{
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 && credentials.uid == 0;
}

/* Ask slot `index`'s keeper to leave, and wait until it has left the
 * slot's cgroups.  Nothing to do when there is none. */
void keeper_stop(const char *state_dir, unsigned index)
{
    int fd = connect_keeper(state_dir, index);
    if (fd < 0)
        return;
    keeper_request request = {.magic = KEEPER_MAGIC, .kind = REQUEST_QUIT};
    if (write_all(fd, &request, sizeof request)) {
        char byte;
        while (read(fd, &byte, 1) > 0 || errno == EINTR)
            ; /* the keeper closes once it is out of the cgroups */
    }
    close(fd);
}

bool keeper_exists(const char *state_dir, unsigned index)
{
    char path[PATH_MAX + 64];
    socket_path(state_dir, index, path, sizeof path, "keeper");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

/* flock(LOCK_EX | LOCK_NB) on a slot's lock; when a keeper exists, it may
 * hold the lock for a moment (while it joins the slot): retry up to
 * half a second before saying EWOULDBLOCK. */
int keeper_lock_slot(const char *state_dir, unsigned index, int fd)
{
    for (int attempt = 0;; attempt++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK)
            return -1;
        if (attempt == 100 || !keeper_exists(state_dir, index)) {
            errno = EWOULDBLOCK;
            return -1;
        }
        nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
    }
}

/* ---- the keeper's side ---- */

/* Out of the slot's cgroups (v1), into the judgebox parents. */
static void leave_slot_cgroups(sandbox_context *context)
{
    if (context->cgroups.version != 1)
        return;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    for (int i = 0; i < CGROUP_V1_COUNT; i++) {
        char parent[PATH_MAX + 64];
        snprintf(parent, sizeof parent, "%s/%s", context->cgroups.v1_mounts[i], context->cgroups.parent_name);
        cgroup_write(parent, "cgroup.procs", pid, NULL);
    }
}

static void *watch_client(void *argument)
{
    int fd = (int)(intptr_t)argument;
    char byte;
    while (read(fd, &byte, 1) > 0 || (errno == EINTR))
        ;
    _exit(128 + SIGHUP); /* the client is gone: so is the run (init's parent-death signal) */
}

/* The keeper's child: become the client's `judgebox run`. */
__attribute__((noreturn)) static void serve_client(unsigned index, int client, int fds[PASSED_COUNT], char *strings,
                                                   const keeper_request *request, sandbox_keeper_entry entry)
{
    for (int i = PASSED_STDIN; i <= PASSED_STDERR; i++)
        if (dup2(fds[i], i) < 0)
            _exit(125);
    if (fchdir(fds[PASSED_CWD]) < 0)
        _exit(125);
    close(fds[PASSED_CWD]);
    keeper_child_slot = (int)index;
    keeper_child_lock_fd = fds[PASSED_LOCK];
    char **argv = calloc(request->argc + 1, sizeof *argv);
    if (!argv)
        _exit(125);
    char *p = strings;
    for (uint32_t i = 0; i < request->argc; i++, p += strlen(p) + 1)
        argv[i] = p;
    clearenv();
    for (uint32_t i = 0; i < request->envc; i++, p += strlen(p) + 1)
        putenv(p);
    signal(SIGPIPE, SIG_DFL);
    pthread_t watcher;
    if (pthread_create(&watcher, NULL, watch_client, (void *)(intptr_t)client) != 0)
        _exit(125);
    int status = entry((int)request->argc, argv);
    fflush(NULL);
    _exit(status);
}

static bool strings_valid(const char *strings, uint32_t bytes, uint32_t count)
{
    uint32_t found = 0;
    for (uint32_t i = 0; i < bytes; i++)
        if (strings[i] == '\0')
            found++;
    return bytes && strings[bytes - 1] == '\0' && found == count;
}

/* One client: false when the keeper should exit. */
static bool handle_client(unsigned index, int client, const keeper_identity *self, sandbox_keeper_entry entry)
{
    keeper_request request;
    int fds[PASSED_COUNT];
    bool keep_going = true;
    char *strings = NULL;
    if (!peer_is_root(client) || !receive_request(client, &request, fds))
        goto done;
    if (request.kind == REQUEST_QUIT) {
        keep_going = false;
        goto done;
    }
    keeper_reply reply = {.magic = KEEPER_MAGIC, .kind = REPLY_STALE, .status = 125};
    if (request.kind != REQUEST_RUN || fds[0] < 0 || memcmp(&request.identity, self, sizeof *self) != 0 ||
        request.bytes > KEEPER_MAX_BYTES || request.argc == 0) {
        write_all(client, &reply, sizeof reply);
        keep_going = false; /* another binary, or a bad client: let a fresh keeper take over */
        goto done;
    }
    strings = malloc((size_t)request.bytes + 1);
    if (!strings || !read_all(client, strings, request.bytes) ||
        !strings_valid(strings, request.bytes, request.argc + request.envc))
        goto done;
    /* From here on the command runs: the client must not run it again. */
    keeper_reply started = {.magic = KEEPER_MAGIC, .kind = REPLY_STARTED};
    if (!write_all(client, &started, sizeof started))
        goto done;
    pid_t child = fork();
    if (child == 0)
        serve_client(index, client, fds, strings, &request, entry);
    int status = 125;
    if (child > 0) {
        int wait_status;
        while (waitpid(child, &wait_status, 0) < 0 && errno == EINTR)
            ;
        status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    }
    reply.kind = REPLY_DONE;
    reply.status = status;
    write_all(client, &reply, sizeof reply);
done:
    for (int i = 0; i < PASSED_COUNT; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(strings);
    return keep_going;
}

__attribute__((noreturn)) static void keeper_main(const sandbox_config *config, unsigned index,
                                                  sandbox_keeper_entry entry)
{
    int null = open("/dev/null", O_RDWR);
    if (null < 0)
        _exit(1);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    syscall(SYS_close_range, 3, ~0U, 0); /* the client's slot lock above all */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sandbox_context *context = NULL;
    sandbox_error error;
    keeper_identity self;
    if (identity_of_self(&self) < 0 || sandbox_context_open(config, &context, &error) < 0 ||
        context->cgroups.version != 1)
        _exit(1);
    char path[PATH_MAX + 64];
    socket_path(context->state_dir, index, path, sizeof path, "keeper");
    int keeper_lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (keeper_lock < 0 || flock(keeper_lock, LOCK_EX | LOCK_NB) < 0)
        _exit(0); /* another keeper has this slot */
    /* Join the slot's cgroups and net namespace: this is the slow part,
     * paid here once instead of in every run.  Under the slot's lock: the
     * client that started us runs there meanwhile, and no run may have
     * a keeper arrive in its cgroups, nor race it making the slot. */
    socket_path(context->state_dir, index, path, sizeof path, "lock");
    int slot_lock = open(path, O_RDWR | O_CLOEXEC);
    if (slot_lock < 0 || flock(slot_lock, LOCK_EX) < 0)
        _exit(1);
    if (slot_join(context, index, &error) < 0) {
        leave_slot_cgroups(context);
        _exit(1);
    }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    socket_path(context->state_dir, index, address.sun_path, sizeof address.sun_path, "sock");
    unlink(address.sun_path);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old_mask = umask(0077);
    int bound = listener >= 0 ? bind(listener, (struct sockaddr *)&address, sizeof address) : -1;
    umask(old_mask);
    if (bound < 0 || listen(listener, 4) < 0) {
        leave_slot_cgroups(context);
        _exit(1);
    }
    close(slot_lock); /* clients take it from now on */
    for (;;) {
        struct pollfd waiting = {.fd = listener, .events = POLLIN};
        int ready = poll(&waiting, 1, KEEPER_IDLE_MS);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0)
            continue;
        bool keep_going = handle_client(index, client, &self, entry);
        if (!keep_going) {
            /* Unreachable before leaving, so no new client comes. */
            unlink(address.sun_path);
            close(listener);
            leave_slot_cgroups(context);
            close(client);
            _exit(0);
        }
        close(client);
    }
    unlink(address.sun_path);
    close(listener);
    leave_slot_cgroups(context);
    _exit(0);
}

/* A keeper for slot `index`, detached (double fork, new session). */
static void start_keeper(const sandbox_config *config, unsigned index, sandbox_keeper_entry entry)
{
    pid_t first = fork();
    if (first == 0) {
        if (setsid() < 0 || fork() != 0)
            _exit(0);
        keeper_main(config, index, entry);
    }
    if (first > 0)
        while (waitpid(first, NULL, 0) < 0 && errno == EINTR)
            ;
}

/* ---- the client's side ---- */

static int first_free_slot(const char *state_dir, unsigned max_slots, int wanted, int *lock_fd, unsigned *index)
{
    unsigned first = wanted < 0 ? 0 : (unsigned)wanted, last = wanted < 0 ? max_slots - 1 : (unsigned)wanted;
    for (unsigned i = first; i <= last && i < max_slots; i++) {
        char path[PATH_MAX + 64];
        socket_path(state_dir, i, path, sizeof path, "lock");
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        if ((wanted >= 0 ? keeper_lock_slot(state_dir, i, fd) : flock(fd, LOCK_EX | LOCK_NB)) == 0) {
            *lock_fd = fd;
            *index = i;
            return 0;
        }
        close(fd);
        if (errno != EWOULDBLOCK)
            return -1;
    }
    return -1;
}

int sandbox_keeper_run(const sandbox_config *config, int slot, int argc, char **argv, sandbox_keeper_entry entry,
                       int *status)
{
    extern char **environ;
    const char *state_dir = config && config->state_dir ? config->state_dir : "/run/judgebox";
    unsigned max_slots = config && config->max_slots ? config->max_slots : 64;
    struct statfs fs;
    if (geteuid() != 0 || keeper_child_slot >= 0 || argc < 1 ||
        (config && config->force_cgroup_version == 2) || statfs("/sys/fs/cgroup", &fs) < 0 ||
        fs.f_type == CGROUP2_SUPER_MAGIC)
        return 1; /* cgroup v2 needs no keeper */
    char slots_dir[PATH_MAX];
    snprintf(slots_dir, sizeof slots_dir, "%s/slots", state_dir);
    struct stat info;
    if (stat(slots_dir, &info) < 0 || !S_ISDIR(info.st_mode) || info.st_uid != 0 || (info.st_mode & 077))
        return 1; /* no state yet: the ordinary path makes it */
    int lock_fd;
    unsigned index;
    if (first_free_slot(state_dir, max_slots, slot, &lock_fd, &index) < 0)
        return 1; /* the ordinary path reports why */
    int fd = connect_keeper(state_dir, index);
    if (fd < 0) {
        close(lock_fd);
        start_keeper(config, index, entry);
        return 1;
    }
    keeper_request request = {.magic = KEEPER_MAGIC, .kind = REQUEST_RUN, .argc = (uint32_t)argc};
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    for (char **e = environ; e && *e; e++, request.envc++)
        bytes += strlen(*e) + 1;
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (bytes > KEEPER_MAX_BYTES || identity_of_self(&request.identity) < 0 || cwd < 0) {
        if (cwd >= 0)
            close(cwd);
        close(fd);
        close(lock_fd);
        return 1;
    }
    request.bytes = (uint32_t)bytes;
    char *strings = malloc(bytes), *p = strings;
    for (int i = 0; strings && i < argc; i++)
        p = stpcpy(p, argv[i]) + 1;
    for (char **e = environ; strings && e && *e; e++)
        p = stpcpy(p, *e) + 1;
    int fds[PASSED_COUNT] = {0, 1, 2, cwd, lock_fd};
    keeper_reply reply = {0};
    bool sent = strings && send_with_fds(fd, &request, sizeof request, fds, PASSED_COUNT) &&
                write_all(fd, strings, bytes);
    free(strings);
    close(cwd);
    close(lock_fd); /* the keeper's child holds it (same open file) while it runs */
    bool started = sent && read_all(fd, &reply, sizeof reply) && reply.magic == KEEPER_MAGIC &&
                   reply.kind == REPLY_STARTED;
    if (!started) {
        close(fd);
        return 1; /* nothing ran (stale or leaving keeper): run here; a fresh keeper comes next time */
    }
    bool answered = read_all(fd, &reply, sizeof reply) && reply.magic == KEEPER_MAGIC && reply.kind == REPLY_DONE;
    close(fd);
    if (!answered) {
        fprintf(stderr, "judgebox run: the slot's keeper died during the run\n");
        *status = 125;
        return 0;
    }
    *status = reply.status;
    return 0;
}
