/*
 * probe.c - the hostile and curious program the sandbox tests run inside
 * a run (statically linked into the test rootfs as /t/probe).  Each
 * subcommand does one thing and prints what happened, so a suite can
 * assert on it: identities, namespaces, escapes that must fail, and
 * programs that must hit each limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

static void print_namespaces(void)
{
    const char *names[] = {"user", "pid", "mnt", "net", "ipc", "uts", "cgroup"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[64], target[64] = "";
        snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
        ssize_t n = readlink(path, target, sizeof target - 1);
        printf("%s %s\n", names[i], n > 0 ? target : strerror(errno));
    }
}

static void spin_forever(void)
{
    volatile unsigned long x = 0;
    for (;;)
        x++;
}

static void *spin_thread(void *arg)
{
    (void)arg;
    spin_forever();
    return NULL;
}

static int memory_hog(long megabytes)
{
    for (long i = 0; i < megabytes; i++) {
        volatile char *block = malloc(1 << 20);
        if (!block) {
            printf("malloc failed at %ld MiB\n", i);
            return 3;
        }
        for (int j = 0; j < (1 << 20); j += 4096)
            block[j] = (char)j; /* touch every page */
        if (block[4096] != (char)4096)
            return 4;
    }
    printf("allocated %ld MiB\n", megabytes);
    return 0;
}

static int fork_bomb(long pause_ms)
{
    int made = 0;
    for (int i = 0; i < 100000; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            pause();
            _exit(0);
        }
        if (pid < 0)
            break;
        made++;
    }
    printf("forked %d\n", made);
    fflush(stdout);
    usleep((useconds_t)(pause_ms > 0 ? pause_ms : 1000) * 1000);
    return 0;
}

/* A grandchild that leaves its session and lives on: must die with the run. */
static int daemonize(const char *marker)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            setsid();
            for (;;) {
                int fd = open(marker, O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (fd >= 0)
                    close(fd);
                sleep(1);
            }
        }
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("daemon started\n");
    return 0;
}

static int x32_getpid(void)
{
    long rc;
    __asm__ volatile("syscall" : "=a"(rc) : "a"(0x40000000L + 39) : "rcx", "r11", "memory");
    printf("x32 getpid returned %ld\n", rc);
    return 0;
}

static int i386_getpid(void)
{
    long rc;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
    printf("i386 getpid returned %ld\n", rc);
    return 0;
}

/* lock KIND MS PATH...: take an exclusive lock on each PATH ("-" = fd 0)
 * without waiting -- KIND flock (flock(2)), posix (fcntl F_SETLK) or ofd
 * (F_OFD_SETLK) --, print "locked PATH" or "busy PATH", then hold them MS. */
static int lock_paths(const char *kind, long hold_ms, char **paths, int count)
{
    for (int i = 0; i < count; i++) {
        int fd = strcmp(paths[i], "-") == 0 ? 0 : open(paths[i], O_RDWR);
        if (fd < 0) {
            printf("cannot open %s: %s\n", paths[i], strerror(errno));
            continue;
        }
        struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        int rc = !strcmp(kind, "flock") ? flock(fd, LOCK_EX | LOCK_NB)
               : fcntl(fd, !strcmp(kind, "ofd") ? F_OFD_SETLK : F_SETLK, &lock);
        printf("%s %s\n", rc == 0 ? "locked" : "busy", paths[i]);
    }
    usleep((useconds_t)hold_ms * 1000);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: probe COMMAND [ARG]\n");
        return 2;
    }
    const char *command = argv[1], *arg = argc > 2 ? argv[2] : "";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(command, "lock") && argc > 4)
        return lock_paths(argv[2], atol(argv[3]), argv + 4, argc - 4);
    if (!strcmp(command, "ns")) {
        print_namespaces();
        return 0;
    }
    if (!strcmp(command, "unshare-user")) {
        int rc = unshare(CLONE_NEWUSER);
        printf("unshare: %d %s\n", rc, rc ? strerror(errno) : "ok");
        return rc ? 1 : 0;
    }
    if (!strcmp(command, "clone-user")) {
        long rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (rc == 0)
            _exit(0);
        printf("clone: %ld %s\n", rc, rc < 0 ? strerror(errno) : "ok");
        return rc < 0 ? 1 : 0;
    }
    if (!strcmp(command, "mount")) {
        int rc = mount("none", "/tmp", "tmpfs", 0, NULL);
        printf("mount: %d %s\n", rc, rc ? strerror(errno) : "ok");
        return rc ? 1 : 0;
    }
    if (!strcmp(command, "ptrace")) {
        long rc = ptrace(PTRACE_ATTACH, 1, 0, 0);
        printf("ptrace: %ld %s\n", rc, rc ? strerror(errno) : "ok");
        return rc ? 1 : 0;
    }
    if (!strcmp(command, "kexec"))
        return (int)syscall(SYS_kexec_load, 0, 0, 0, 0);
    if (!strcmp(command, "x32"))
        return x32_getpid();
    if (!strcmp(command, "i386"))
        return i386_getpid();
    if (!strcmp(command, "clone3")) {
        long rc = syscall(SYS_clone3, NULL, 0);
        printf("clone3: %ld %s\n", rc, strerror(errno));
        return 0;
    }
    if (!strcmp(command, "spin"))
        spin_forever();
    if (!strcmp(command, "spin-threads")) {
        pthread_t thread;
        for (int i = 1; i < atoi(arg); i++)
            pthread_create(&thread, NULL, spin_thread, NULL);
        spin_forever();
    }
    if (!strcmp(command, "sleep")) {
        struct timespec t = {.tv_sec = atol(arg) / 1000, .tv_nsec = (atol(arg) % 1000) * 1000000};
        nanosleep(&t, NULL);
        return 0;
    }
    if (!strcmp(command, "memory"))
        return memory_hog(atol(arg));
    if (!strcmp(command, "forkbomb"))
        return fork_bomb(atol(arg));
    if (!strcmp(command, "flood")) {
        static char line[4096];
        memset(line, 'x', sizeof line);
        for (;;)
            if (write(1, line, sizeof line) < 0)
                return 1;
    }
    if (!strcmp(command, "daemon"))
        return daemonize(arg);
    if (!strcmp(command, "abort"))
        abort();
    if (!strcmp(command, "segv"))
        return *(volatile int *)0;
    if (!strcmp(command, "posix-timer")) {
        timer_t timer;
        struct sigevent event = {.sigev_notify = SIGEV_NONE};
        int rc = timer_create(CLOCK_MONOTONIC, &event, &timer);
        printf("timer_create: %d\n", rc);
        return rc ? 1 : timer_delete(timer);
    }
    if (!strcmp(command, "exit"))
        return atoi(arg);
    if (!strcmp(command, "write-big")) {
        int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        static char block[1 << 16];
        long total = 0;
        while (fd >= 0 && write(fd, block, sizeof block) > 0)
            total += (long)sizeof block;
        printf("wrote %ld KiB: %s\n", total / 1024, strerror(errno));
        return 0;
    }
    fprintf(stderr, "probe: unknown command %s\n", command);
    return 2;
}
