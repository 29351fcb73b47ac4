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
 * process (a double fork of that CLI, root, no open files) that opens the
 * slot once -- its runner thread joins the slot's cgroups and net
 * namespace -- and listens on <state>/slots/N.sock (root-only directory).
 * A later `judgebox run` that locks slot N sends it the run's spec with
 * its stdin, stdout, stderr and its slot lock; the keeper runs it with
 * sandbox_run() on that slot, exactly as any caller would (fresh
 * namespaces, mounts, limits; output written straight to the client's
 * descriptors), and sends back the sandbox_result.  The client's socket
 * is the run's cancel_fd: if the client dies, the run stops at once.
 *
 * A keeper serves only a client of the same binary (device, inode and
 * mtime of /proc/self/exe; else it says so and exits) and of the same
 * host uid range; it exits after KEEPER_IDLE_MS without a client, when
 * `judgebox cleanup` or a process that takes the slot for itself (a
 * server) asks it to.  Only its runner thread is in the slot's cgroups
 * (as a server's), and it is gone before the keeper says it has left.  At most one keeper per slot (a flock on
 * <state>/slots/N.keeper).  cgroup v2 does not need keepers: runs start
 * in their cgroup with CLONE_INTO_CGROUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fdpass.h"
#include "internal.h"
#include "spec_wire.h"

#define KEEPER_IDLE_MS 30000
#define KEEPER_MAGIC 0x4a424b31u /* "JBK1" */

enum { REQUEST_RUN = 1, REQUEST_QUIT = 2 };
enum { REPLY_DONE = 0, REPLY_STALE = 1, REPLY_STARTED = 2, REPLY_DECLINED = 3 };
enum { PASSED_STDIN = 1, PASSED_STDOUT = 2, PASSED_STDERR = 4 };
#define MAX_PASSED FDPASS_MAX /* stdin, stdout, stderr, the slot lock */

typedef struct keeper_identity {
    uint64_t device, inode, mtime_ns;
} keeper_identity;

/* Then the spec's payload (spec_wire.h, wire.bytes long); the
 * descriptors of `passed` and the lock, in that order, come with the header. */
typedef struct keeper_request {
    uint32_t magic, kind;
    keeper_identity identity;
    uint32_t uid_base, passed;
    spec_wire wire;
} keeper_request;

typedef struct keeper_reply {
    uint32_t magic;
    int32_t kind, rc;
    sandbox_result result;  /* stdout_data/stderr_data NULL: output went to the client's descriptors */
    sandbox_error error;
} keeper_reply;

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

static int connect_keeper(const char *state_dir, unsigned index)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    slot_state_path(state_dir, index, "sock", address.sun_path, sizeof address.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The request header and its descriptors; *count of them (also on failure). */
static bool receive_request(int socket_fd, keeper_request *request, int fds[MAX_PASSED], int *count)
{
    return fdpass_receive(socket_fd, request, sizeof *request, fds, MAX_PASSED, count) &&
           request->magic == KEEPER_MAGIC;
}

static bool peer_is_root(int fd)
{
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 && credentials.uid == 0;
}

/* Ask slot `index`'s keeper to leave, and wait until its runner thread
 * has left the slot's cgroups.  Nothing to do when there is none. */
void keeper_stop(const char *state_dir, unsigned index)
{
    int fd = connect_keeper(state_dir, index);
    if (fd < 0)
        return;
    keeper_request request = {.magic = KEEPER_MAGIC, .kind = REQUEST_QUIT};
    if (fdpass_write_all(fd, &request, sizeof request)) {
        char byte;
        while (read(fd, &byte, 1) > 0 || errno == EINTR)
            ; /* the keeper closes once it is out of the cgroups */
    }
    close(fd);
}

bool keeper_exists(const char *state_dir, unsigned index)
{
    char path[PATH_MAX + 64];
    slot_state_path(state_dir, index, "keeper", path, sizeof path);
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

static int count_bits(uint32_t value)
{
    int count = 0;
    for (; value; value &= value - 1)
        count++;
    return count;
}

/* The spec of a request, pointing into `payload`, with its descriptors. */
static bool decode_spec(const keeper_request *request, const char *payload, const int *fds, sandbox_spec *spec,
                        const char ***argv, const char ***env)
{
    if (!spec_wire_decode(&request->wire, payload, spec, argv, env))
        return false;
    int next = 0;
    spec->stdin_fd = request->passed & PASSED_STDIN ? fds[next++] : -1;
    spec->stdout_fd = request->passed & PASSED_STDOUT ? fds[next++] : -1;
    spec->stderr_fd = request->passed & PASSED_STDERR ? fds[next++] : -1;
    return true;
}

/* One client: false when the keeper should exit. */
static bool handle_client(sandbox_slot *slot, int client, const keeper_identity *self)
{
    keeper_request request;
    int fds[MAX_PASSED], count = 0;
    bool keep_going = true;
    char *payload = NULL;
    const char **argv = NULL, **env = NULL;
    keeper_reply *reply = calloc(1, sizeof *reply);
    if (!reply || !peer_is_root(client) || !receive_request(client, &request, fds, &count))
        goto done;
    if (request.kind == REQUEST_QUIT) {
        keep_going = false;
        goto done;
    }
    reply->magic = KEEPER_MAGIC;
    /* Whatever is declined, the client runs it in this slot itself: the
     * sandbox prepared here must be gone first (it holds the run's cgroup). */
    if (request.kind != REQUEST_RUN || memcmp(&request.identity, self, sizeof *self) != 0) {
        slot_discard_prepared(slot);
        reply->kind = REPLY_STALE;
        fdpass_write_all(client, reply, sizeof *reply);
        keep_going = false; /* another binary: let a fresh keeper take over */
        goto done;
    }
    sandbox_spec spec;
    if (request.uid_base != (uint32_t)slot->context->uid_base || request.passed > 7 ||
        count != count_bits(request.passed) + 1 || request.wire.bytes > SPEC_WIRE_MAX_BYTES ||
        !(payload = malloc((size_t)request.wire.bytes + 1)) || !fdpass_read_all(client, payload, request.wire.bytes) ||
        !decode_spec(&request, payload, fds, &spec, &argv, &env)) {
        slot_discard_prepared(slot);
        reply->kind = REPLY_DECLINED; /* the client runs it itself */
        fdpass_write_all(client, reply, sizeof *reply);
        goto done;
    }
    /* From here on the command runs: the client must not run it again. */
    reply->kind = REPLY_STARTED;
    if (!fdpass_write_all(client, reply, sizeof *reply))
        goto done;
    spec.cancel_fd = client; /* readable (EOF) when the client is gone */
    sandbox_result result;
    reply->rc = sandbox_run(slot, &spec, &result, &reply->error);
    reply->kind = REPLY_DONE;
    reply->result = result;
    reply->result.stdout_data = reply->result.stderr_data = NULL;
    reply->result.stdout_len = reply->result.stderr_len = 0;
    sandbox_result_free(&result);
    fdpass_write_all(client, reply, sizeof *reply);
done:
    for (int i = 0; i < count; i++)
        close(fds[i]); /* the slot lock last: the client's, held while the run lasted */
    free(argv);
    free(env);
    free(payload);
    free(reply);
    return keep_going;
}

__attribute__((noreturn)) static void keeper_main(const sandbox_config *config, unsigned index)
{
    int null = open("/dev/null", O_RDWR);
    if (null < 0)
        _exit(1);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    syscall(SYS_close_range, 3, ~0U, 0); /* the client's slot lock above all */
    if (chdir("/") < 0) /* pin no directory of the CLI's for 30 s */
        _exit(1);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sandbox_context *context = NULL;
    sandbox_error error;
    keeper_identity self;
    /* The CLI's config, but a keeper serves run after run: it prepares the next. */
    sandbox_config serving = *config;
    serving.one_run = false;
    if (identity_of_self(&self) < 0 || sandbox_context_open(&serving, &context, &error) < 0 ||
        context->cgroups.version != 1)
        _exit(1);
    char path[PATH_MAX + 64];
    slot_state_path(context->state_dir, index, "keeper", path, sizeof path);
    int keeper_lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (keeper_lock < 0 || flock(keeper_lock, LOCK_EX | LOCK_NB) < 0)
        _exit(0); /* another keeper has this slot */
    /* Open the slot: its runner thread joins the slot's cgroups and net
     * namespace, the slow part, paid here once instead of in every run.
     * Under the slot's lock: the client that started us runs there
     * meanwhile, and no run may have a keeper arrive in its cgroups, nor
     * race it making the slot. */
    slot_state_path(context->state_dir, index, "lock", path, sizeof path);
    int slot_lock = open(path, O_RDWR | O_CLOEXEC);
    if (slot_lock < 0 || flock(slot_lock, LOCK_EX) < 0)
        _exit(1);
    sandbox_slot *slot = NULL;
    if (slot_open_unlocked(context, index, &slot, &error) < 0) {
        _exit(1);
    }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    slot_state_path(context->state_dir, index, "sock", address.sun_path, sizeof address.sun_path);
    unlink(address.sun_path);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old_mask = umask(0077);
    int bound = listener >= 0 ? bind(listener, (struct sockaddr *)&address, sizeof address) : -1;
    umask(old_mask);
    if (bound < 0 || listen(listener, 4) < 0) {
        sandbox_slot_release(slot);
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
        bool keep_going = handle_client(slot, client, &self);
        if (!keep_going) {
            /* Unreachable before leaving, so no new client comes. */
            unlink(address.sun_path);
            close(listener);
            sandbox_slot_release(slot); /* its runner thread leaves the cgroups */
            close(client);
            _exit(0);
        }
        close(client);
    }
    unlink(address.sun_path);
    close(listener);
    sandbox_slot_release(slot);
    _exit(0);
}

/* A keeper for slot `index`, detached (double fork, new session). */
static void start_keeper(const sandbox_config *config, unsigned index)
{
    pid_t first = fork();
    if (first == 0) {
        if (setsid() < 0 || fork() != 0)
            _exit(0);
        keeper_main(config, index);
    }
    if (first > 0)
        while (waitpid(first, NULL, 0) < 0 && errno == EINTR)
            ;
}

/* ---- the client's side ---- */

int sandbox_keeper_run(const sandbox_config *config, int slot, const sandbox_spec *spec, sandbox_result *result,
                       sandbox_error *error, int *rc)
{
    const char *state_dir = config_state_dir(config);
    unsigned max_slots = config_max_slots(config);
    uid_t uid_base = config_uid_base(config);
    /* Captured output, cancel and signal descriptors and hooks do not cross the socket. */
    if (geteuid() != 0 || spec->stdout_fd < 0 || spec->stderr_fd < 0 || spec->stderr_to_stdout || spec->cancel_fd > 0 || spec->hooks || spec->network ||
        spec->signal_fd > 0 || !spec->rootfs ||
        !spec->argv || !spec->argv[0] || (config && config->force_cgroup_version == 2) || cgroup_host_version() != 1 ||
        (config && config->pin_cpus))
        return 1; /* cgroup v2 needs no keeper; a pinned run joins the slot's cpuset itself */
    char slots_dir[PATH_MAX];
    snprintf(slots_dir, sizeof slots_dir, "%s/slots", state_dir);
    struct stat info;
    if (stat(slots_dir, &info) < 0 || !S_ISDIR(info.st_mode) || info.st_uid != 0 || (info.st_mode & 077))
        return 1; /* no state yet: the ordinary path makes it */
    int lock_fd;
    unsigned index;
    if (slot_lock(state_dir, max_slots, slot, &lock_fd, &index) < 0)
        return 1; /* the ordinary path reports why */
    int fd = connect_keeper(state_dir, index);
    if (fd < 0) {
        close(lock_fd);
        start_keeper(config, index);
        return 1;
    }
    keeper_request request = {.magic = KEEPER_MAGIC, .kind = REQUEST_RUN, .uid_base = (uint32_t)uid_base};
    char *payload = NULL;
    bool ok = identity_of_self(&request.identity) == 0 && spec_wire_encode(spec, &request.wire, &payload);
    size_t used = ok ? request.wire.bytes : 0;
    int fds[MAX_PASSED], count = 0;
    if (spec->stdin_fd >= 0) {
        request.passed |= PASSED_STDIN;
        fds[count++] = spec->stdin_fd;
    }
    request.passed |= PASSED_STDOUT | PASSED_STDERR;
    fds[count++] = spec->stdout_fd;
    fds[count++] = spec->stderr_fd;
    fds[count++] = lock_fd;
    keeper_reply *reply = calloc(1, sizeof *reply);
    ok = ok && reply && fdpass_send(fd, &request, sizeof request, fds, count) &&
         fdpass_write_all(fd, payload, used);
    free(payload);
    bool started = ok && fdpass_read_all(fd, reply, sizeof *reply) && reply->magic == KEEPER_MAGIC &&
                   reply->kind == REPLY_STARTED;
    if (!started) {
        close(fd);
        close(lock_fd);
        free(reply);
        return 1; /* nothing ran (stale, declined, leaving keeper): run here */
    }
    bool answered = fdpass_read_all(fd, reply, sizeof *reply) && reply->magic == KEEPER_MAGIC && reply->kind == REPLY_DONE;
    close(fd);
    close(lock_fd);
    if (answered) {
        *result = reply->result;
        *error = reply->error;
        *rc = reply->rc;
    } else {
        memset(result, 0, sizeof *result);
        result->status = SANDBOX_INTERNAL_ERROR;
        result->exit_code = -1;
        *rc = error_set(error, EPIPE, "the slot's keeper died during the run");
        snprintf(result->message, sizeof result->message, "%s", error->message);
    }
    result->stdout_data = result->stderr_data = NULL;
    result->stdout_len = result->stderr_len = 0;
    free(reply);
    return 0;
}
