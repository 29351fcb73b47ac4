/*
 * tests/live/hooks.c - drives the sandbox door's live-run hooks directly
 * (tests/suites/70-live.sh runs it in build/testroot): output chunks arrive
 * while the program still runs, a caller's pipe is the program's stdin,
 * a signal sent through signal_fd ends it, and the `finished` hook reads
 * /box without following a symlink out of it.  Prints one "key value"
 * line per observation; the suite asserts on them.
 *
 * usage: hooks ROOTFS SLOT
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

typedef struct seen {
    int stdin_write_fd;       /* the program's stdin: written after the first chunk */
    int signal_write_fd;      /* SIGTERM is written here after the first chunk */
    int chunks;
    char first[64];
    char box_file[64];
    int link_errno;
} seen;

static void on_output(void *arg, int stream, const char *data, size_t len)
{
    seen *s = arg;
    if (stream != 1)
        return;
    if (s->chunks++ == 0) {
        snprintf(s->first, sizeof s->first, "%.*s", (int)(len < 40 ? len : 40), data);
        /* Answer the prompt only once it was seen: proves the chunk came live. */
        if (s->stdin_write_fd >= 0) {
            if (write(s->stdin_write_fd, "world\n", 6) != 6)
                perror("write stdin");
            close(s->stdin_write_fd);
            s->stdin_write_fd = -1;
        }
        int term = SIGTERM;
        if (s->signal_write_fd >= 0 && write(s->signal_write_fd, &term, sizeof term) != (ssize_t)sizeof term)
            perror("write signal");
    }
}

static int open_beneath(int dir, const char *path)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
}

static void on_finished(void *arg, int box_fd)
{
    seen *s = arg;
    int fd = open_beneath(box_fd, "out/a.txt");
    if (fd >= 0) {
        ssize_t n = read(fd, s->box_file, sizeof s->box_file - 1);
        s->box_file[n > 0 ? n : 0] = '\0';
        s->box_file[strcspn(s->box_file, "\n")] = '\0';
        close(fd);
    }
    fd = open_beneath(box_fd, "out/link");
    s->link_errno = fd < 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hooks ROOTFS SLOT\n");
        return 2;
    }
    sandbox_config config = {.state_dir = NULL};
    sandbox_context *context;
    sandbox_slot *slot;
    sandbox_error error = {0};
    if (sandbox_context_open(&config, &context, &error) < 0 ||
        sandbox_slot_acquire(context, atoi(argv[2]), &slot, &error) < 0) {
        fprintf(stderr, "hooks: %s\n", error.message);
        return 1;
    }
    /* 1. Live output and interactive stdin; then the finished hook. */
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return 1;
    seen s = {.stdin_write_fd = in[1], .signal_write_fd = -1};
    sandbox_hooks hooks = {.arg = &s, .output = on_output, .finished = on_finished};
    const char *script = "echo name?; read x; echo hello $x; mkdir -p out; echo inside > out/a.txt;"
                         " ln -s /etc/passwd out/link";
    const char *const argv1[] = {"/bin/sh", "-c", script, NULL};
    sandbox_spec spec = {.rootfs = argv[1], .argv = argv1, .stdin_fd = in[0], .stdout_fd = -1,
                         .stderr_fd = -1, .hooks = &hooks, .limits = {.wall_ms = 20000}};
    sandbox_result result;
    int rc = sandbox_run(slot, &spec, &result, &error);
    close(in[0]);
    if (s.stdin_write_fd >= 0)
        close(s.stdin_write_fd);
    printf("rc %d\nstatus %s\nchunks %d\nfirst %s\n", rc, sandbox_status_name(result.status), s.chunks,
           s.first);
    printf("stdout %s", result.stdout_data);
    printf("box_file %s\nlink_errno %s\n", s.box_file, s.link_errno ? strerrorname_np(s.link_errno) : "none");
    sandbox_result_free(&result);

    /* 2. A signal through signal_fd ends a program that would sleep on:
     * sent once its first output shows it runs. */
    int sig[2];
    if (pipe2(sig, O_CLOEXEC | O_NONBLOCK) < 0)
        return 1;
    seen s2 = {.stdin_write_fd = -1, .signal_write_fd = sig[1]};
    sandbox_hooks hooks2 = {.arg = &s2, .output = on_output};
    const char *const argv2[] = {"/bin/sh", "-c", "echo ready; exec sleep 30", NULL};
    sandbox_spec spec2 = {.rootfs = argv[1], .argv = argv2, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
                          .signal_fd = sig[0], .hooks = &hooks2, .limits = {.wall_ms = 20000}};
    rc = sandbox_run(slot, &spec2, &result, &error);
    printf("signal_rc %d\nsignal_status %s\nsignal_signal %d\nsignal_wall_ms %llu\n", rc,
           sandbox_status_name(result.status), result.signal, (unsigned long long)result.wall_ms);
    sandbox_result_free(&result);
    close(sig[0]);
    close(sig[1]);
    sandbox_slot_release(slot);
    sandbox_context_close(context);
    return 0;
}
