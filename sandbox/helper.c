/*
 * helper.c - a server's runs are cloned by small processes, not by the
 * server itself.
 *
 * clone3 copies the caller's address space: a run's init cloned from a
 * server with ~90 threads, ~250-470 mappings and 3-10 MB of private memory
 * paid for dup_mmap/copy_page_range, then for copy-on-write faults and TLB
 * shootdowns in the server, on every run (a quarter of all CPU under HTTP
 * load, docs/performance.md).  So a server's context (config->helpers)
 * forks, while it is still small and single-threaded, a "zygote": a
 * process with no thread and no descriptor of the server's, which only
 * forks one helper per slot on request.  A helper's only thread joins the
 * slot (slot_open_here: its net namespace and, on v1, its cgroups; the
 * server holds the slot's lock) and runs the specs the server sends it
 * with run_in_slot(), exactly as the server's runner thread would: fresh
 * namespaces, mounts, cgroup limits per run.  The server's thread sends
 * the spec (spec_wire.h) with stdin, the forwarded stdout/stderr and the
 * cancel eventfd as descriptors, and reads back the sandbox_result with
 * the captured output and its order.
 *
 * Specs with hooks, a signal fd or a network (live output, files out,
 * signals, network/) run in the server as before, and so does every spec
 * when the helper is gone.  Nothing outlives the server: the zygote and
 * the helpers die with their parent (PR_SET_PDEATHSIG), and a run's init
 * with its helper.  A slot's release waits until its helper is gone (out
 * of the slot's cgroups).  JUDGEBOX_NO_HELPERS=1 turns helpers off.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "fdpass.h"
#include "internal.h"
#include "spec_wire.h"

#define HELPER_MAGIC 0x4a424831u /* "JBH1" */

enum { PASSED_STDIN = 1, PASSED_STDOUT = 2, PASSED_STDERR = 4, PASSED_CANCEL = 8 };
/* `passed` of a request that runs nothing: end the prepared sandbox, answer one byte. */
#define DISCARD_PREPARED 0x80000000u

/* Then the payload (wire.bytes); the descriptors of `passed`, in that order, with the header. */
typedef struct helper_request {
    uint32_t magic, passed;
    spec_wire wire;
} helper_request;

/* Then stdout_len and stderr_len bytes, then output_pieces pieces. */
typedef struct helper_reply {
    uint32_t magic;
    int32_t rc;
    sandbox_result result;   /* pointers NULL */
    sandbox_error error;
} helper_reply;

/* The helper's first words: its slot opened, or why not. */
typedef struct helper_hello {
    uint32_t magic;
    int32_t rc;
    int32_t pid;             /* the helper's (SO_PEERCRED of a socketpair names the server that made it) */
    sandbox_error error;
} helper_hello;

/* Die with the parent; false when it is already gone. */
static bool follow_parent(pid_t parent)
{
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 && getppid() == parent;
}

/* Only `keep` (moved to 3) and /dev/null on 0-2; no signal blocked. */
static bool shed_descriptors(int keep)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
        return false;
    if (keep != 3 && dup3(keep, 3, O_CLOEXEC) < 0)
        return false;
    if (syscall(SYS_close_range, 4, ~0U, 0) < 0)
        return false;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_IGN);
    return chdir("/") == 0; /* pin no directory of the server's */
}

/* ---- the helper's side ---- */

static bool send_result(int fd, int rc, const sandbox_result *result, const sandbox_error *error)
{
    helper_reply *reply = calloc(1, sizeof *reply);
    if (!reply)
        return false;
    reply->magic = HELPER_MAGIC;
    reply->rc = rc;
    reply->result = *result;
    reply->result.stdout_data = reply->result.stderr_data = NULL;
    reply->result.output_order = NULL;
    reply->error = *error;
    bool ok = fdpass_write_all(fd, reply, sizeof *reply) &&
              fdpass_write_all(fd, result->stdout_data ? result->stdout_data : "", result->stdout_len) &&
              fdpass_write_all(fd, result->stderr_data ? result->stderr_data : "", result->stderr_len) &&
              (result->output_pieces == 0 ||
               fdpass_write_all(fd, result->output_order, result->output_pieces * sizeof *result->output_order));
    free(reply);
    return ok;
}

/* One request: false when the server is gone (or the stream is broken). */
static bool serve_one(sandbox_slot *slot, int fd)
{
    helper_request request;
    int fds[FDPASS_MAX], count = 0;
    bool ok = fdpass_receive(fd, &request, sizeof request, fds, FDPASS_MAX, &count) &&
              request.magic == HELPER_MAGIC;
    if (ok && count == 0 && request.passed == DISCARD_PREPARED) {
        run_discard_prepared(slot);
        return fdpass_write_all(fd, "d", 1);
    }
    ok = ok && request.wire.bytes <= SPEC_WIRE_MAX_BYTES &&
              __builtin_popcount(request.passed) == count;
    char *payload = ok ? malloc((size_t)request.wire.bytes + 1) : NULL;
    const char **argv = NULL, **env = NULL;
    sandbox_spec spec;
    ok = payload && fdpass_read_all(fd, payload, request.wire.bytes) &&
         spec_wire_decode(&request.wire, payload, &spec, &argv, &env);
    if (ok) {
        int next = 0;
        spec.stdin_fd = request.passed & PASSED_STDIN ? fds[next++] : -1;
        spec.stdout_fd = request.passed & PASSED_STDOUT ? fds[next++] : -1;
        spec.stderr_fd = request.passed & PASSED_STDERR ? fds[next++] : -1;
        spec.cancel_fd = request.passed & PASSED_CANCEL ? fds[next++] : 0;
        sandbox_result result;
        sandbox_error error = {0};
        int rc = run_in_slot(slot, &spec, &result, &error);
        ok = send_result(fd, rc, &result, &error);
        sandbox_result_free(&result);
        /* The server has the result: unmount what the run left, and
         * build the next run's sandbox while it waits.  (A server that is
         * gone: helper_main's discard unmounts it.) */
        if (ok)
            run_prepare_ahead(slot);
    }
    for (int i = 0; i < count; i++)
        close(fds[i]);
    free(argv);
    free(env);
    free(payload);
    return ok;
}

__attribute__((noreturn)) static void helper_main(sandbox_context *context, unsigned index, int fd, pid_t zygote)
{
    if (!follow_parent(zygote) || !shed_descriptors(fd))
        _exit(1);
    fd = 3;
    /* The zygote ignores SIGCHLD so that the kernel reaps the helpers; a
     * helper waits for its runs' inits itself (their CPU then counts in its
     * children's times, as a runner thread's runs do in the server's). */
    signal(SIGCHLD, SIG_DFL);
    helper_hello hello = {.magic = HELPER_MAGIC, .pid = (int32_t)getpid()};
    sandbox_slot *slot = NULL;
    hello.rc = slot_open_here(context, index, &slot, &hello.error);
    if (!fdpass_write_all(fd, &hello, sizeof hello) || hello.rc < 0)
        _exit(1);
    while (serve_one(slot, fd))
        ;
    run_discard_prepared(slot); /* nothing of ours is left in the slot's cgroups */
    _exit(0); /* the server sees the socket close once nothing of us is in the slot's cgroups */
}

/* ---- the zygote ---- */

typedef struct zygote_request {
    uint32_t magic, index;
} zygote_request;

__attribute__((noreturn)) static void zygote_main(sandbox_context *context, int fd, pid_t server)
{
    if (!follow_parent(server) || !shed_descriptors(fd))
        _exit(1);
    fd = 3;
    signal(SIGCHLD, SIG_IGN); /* helpers are reaped by the kernel */
    pid_t self = getpid();
    for (;;) {
        zygote_request request;
        int socket_fd = -1, count = 0;
        bool ok = fdpass_receive(fd, &request, sizeof request, &socket_fd, 1, &count);
        if (!ok && count == 0)
            _exit(0); /* the server closed its end */
        if (ok && count == 1 && request.magic == HELPER_MAGIC && request.index < context->max_slots) {
            pid_t pid = fork();
            if (pid == 0) {
                close(fd);
                helper_main(context, request.index, socket_fd, self);
            }
        }
        if (count == 1)
            close(socket_fd); /* a failed fork: the server reads EOF */
    }
}

int helper_zygote_start(sandbox_context *context, sandbox_error *error)
{
    context->zygote_fd = -1;
    const char *off = getenv("JUDGEBOX_NO_HELPERS");
    if (off && off[0] && strcmp(off, "0") != 0)
        return 0;
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) < 0)
        return error_errno(error, "socketpair for the slot helpers");
    pid_t server = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        error_errno(error, "fork the slot helpers' zygote");
        close(sockets[0]);
        close(sockets[1]);
        return -1;
    }
    if (pid == 0) {
        close(sockets[0]);
        zygote_main(context, sockets[1], server);
    }
    close(sockets[1]);
    context->zygote_fd = sockets[0];
    return 0;
}

void helper_zygote_stop(sandbox_context *context)
{
    if (context->zygote_fd >= 0)
        close(context->zygote_fd); /* it exits on EOF */
    context->zygote_fd = -1;
}

/* ---- the server's side ---- */

void helper_attach(sandbox_slot *slot)
{
    sandbox_context *context = slot->context;
    slot->helper_fd = -1;
    if (context->zygote_fd < 0)
        return;
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) < 0)
        return;
    zygote_request request = {.magic = HELPER_MAGIC, .index = slot->index};
    pthread_mutex_lock(&context->mutex);
    bool sent = fdpass_send(context->zygote_fd, &request, sizeof request, &sockets[1], 1);
    pthread_mutex_unlock(&context->mutex);
    close(sockets[1]);
    helper_hello hello;
    if (!sent || !fdpass_read_all(sockets[0], &hello, sizeof hello) || hello.magic != HELPER_MAGIC ||
        hello.rc < 0 || hello.pid <= 1) {
        close(sockets[0]); /* the server's own runner thread runs this slot's specs */
        return;
    }
    slot->helper_fd = sockets[0];
    slot->helper_pid = (pid_t)hello.pid;
}

void helper_detach(sandbox_slot *slot)
{
    if (slot->helper_fd < 0)
        return;
    /* EOF tells the helper to exit; its socket closes as it exits, and its
     * pid is gone (the zygote reaps it at once) when it is out of the
     * slot's cgroups: then the slot may be cleaned up. */
    shutdown(slot->helper_fd, SHUT_WR);
    char byte;
    while (read(slot->helper_fd, &byte, 1) > 0 || errno == EINTR)
        ;
    close(slot->helper_fd);
    slot->helper_fd = -1;
    for (int waited = 0; waited < 5000 && kill(slot->helper_pid, 0) == 0; waited++)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
}

bool helper_takes(const sandbox_slot *slot, const sandbox_spec *spec)
{
    return slot->helper_fd >= 0 && !spec->hooks && spec->signal_fd <= 0 && !spec->network;
}

void helper_discard_prepared(sandbox_slot *slot)
{
    helper_request request = {.magic = HELPER_MAGIC, .passed = DISCARD_PREPARED};
    char answer;
    if (slot->helper_fd >= 0 && (!fdpass_write_all(slot->helper_fd, &request, sizeof request) ||
                                 !fdpass_read_all(slot->helper_fd, &answer, 1))) {
        close(slot->helper_fd); /* this slot runs its specs in the server from now on */
        slot->helper_fd = -1;
    }
}

/* Read `length` bytes into a malloc'd, NUL-terminated buffer. */
static bool read_data(int fd, size_t length, char **out)
{
    *out = malloc(length + 1);
    if (!*out || !fdpass_read_all(fd, *out, length))
        return false;
    (*out)[length] = '\0';
    return true;
}

static bool read_result(int fd, sandbox_result *result, sandbox_error *error, int *rc)
{
    helper_reply *reply = malloc(sizeof *reply);
    bool ok = reply && fdpass_read_all(fd, reply, sizeof *reply) && reply->magic == HELPER_MAGIC &&
              reply->result.output_pieces <= SANDBOX_OUTPUT_PIECES_MAX;
    if (ok) {
        *result = reply->result;
        *error = reply->error;
        *rc = reply->rc;
        result->output_order = NULL;
        ok = read_data(fd, result->stdout_len, &result->stdout_data) &&
             read_data(fd, result->stderr_len, &result->stderr_data);
        if (ok && result->output_pieces) {
            size_t bytes = result->output_pieces * sizeof *result->output_order;
            result->output_order = malloc(bytes);
            ok = result->output_order && fdpass_read_all(fd, result->output_order, bytes);
        }
    }
    free(reply);
    return ok;
}

int helper_run(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error,
               bool *ran)
{
    *ran = false;
    memset(result, 0, sizeof *result);
    helper_request request = {.magic = HELPER_MAGIC};
    char *payload = NULL;
    if (!spec_wire_encode(spec, &request.wire, &payload))
        return 0; /* too big to send: the server runs it itself */
    int fds[FDPASS_MAX], count = 0;
    if (spec->stdin_fd >= 0) {
        request.passed |= PASSED_STDIN;
        fds[count++] = spec->stdin_fd;
    }
    if (spec->stdout_fd >= 0) {
        request.passed |= PASSED_STDOUT;
        fds[count++] = spec->stdout_fd;
    }
    if (spec->stderr_fd >= 0) {
        request.passed |= PASSED_STDERR;
        fds[count++] = spec->stderr_fd;
    }
    if (spec->cancel_fd > 0) {
        request.passed |= PASSED_CANCEL;
        fds[count++] = spec->cancel_fd;
    }
    bool sent = (count ? fdpass_send(slot->helper_fd, &request, sizeof request, fds, count)
                       : fdpass_write_all(slot->helper_fd, &request, sizeof request)) &&
                fdpass_write_all(slot->helper_fd, payload, request.wire.bytes);
    free(payload);
    if (!sent) {
        /* Nothing ran (a helper reads a request whole before running it):
         * this slot runs its specs in the server from now on. */
        close(slot->helper_fd);
        slot->helper_fd = -1;
        return 0;
    }
    *ran = true;
    int rc = 0;
    if (read_result(slot->helper_fd, result, error, &rc))
        return rc;
    sandbox_result_free(result);
    memset(result, 0, sizeof *result);
    close(slot->helper_fd);
    slot->helper_fd = -1;
    result->status = SANDBOX_INTERNAL_ERROR;
    result->exit_code = -1;
    rc = error_set(error, EPIPE, "slot %u: its helper process died during the run", slot->index);
    snprintf(result->message, sizeof result->message, "%s", error->message);
    result->stdout_data = calloc(1, 1);
    result->stderr_data = calloc(1, 1);
    return rc;
}
