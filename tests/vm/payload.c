/*
 * payload.c - the program the cgroup v2 VM checks run inside the sandbox
 * (built statically into build/testroot/t/payload by mk/vm.mk).
 *
 *   payload hog MB [SLEEP_S]   touch MB MiB, read it back, optionally sleep
 *                              (SIGUSR1 ends the sleep early: a check that
 *                              looks at a live run wakes it when done)
 *   payload forks N            fork up to N children that wait; print
 *                              "forked K" (K < N when pids.max stops it)
 *   payload spin [P]           burn CPU forever in P processes (default 1)
 *   payload burn P MS          P processes each burn MS ms of CPU, then exit 0
 *   payload sleep S            sleep S seconds
 *   payload daemon S           a setsid'd grandchild sleeps S s; exit at once
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static long arg(int argc, char **argv, int i, long def)
{
    return argc > i ? strtol(argv[i], NULL, 10) : def;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

static void burn(double seconds)
{
    double start = cpu_seconds();
    for (;;) {
        for (int i = 0; i < 100000; i++)
            sink += i;
        if (seconds >= 0 && cpu_seconds() - start >= seconds)
            return;
    }
}

static void wake(int sig)
{
    (void)sig;
}

static int hog(long mb, long sleep_s)
{
    signal(SIGUSR1, wake);
    size_t n = (size_t)mb << 20;
    volatile char *p = malloc(n);
    if (!p) {
        perror("malloc");
        return 2;
    }
    for (size_t i = 0; i < n; i += 4096)
        p[i] = (char)(i >> 12);
    /* read it back so the compiler cannot drop the writes */
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i += 4096)
        sum += (unsigned char)p[i];
    printf("hog: touched %ld MiB (sum %lu)\n", mb, sum);
    fflush(stdout);
    if (sleep_s > 0)
        sleep((unsigned)sleep_s);
    return 0;
}

static int forks(long n)
{
    pid_t *kids = calloc((size_t)n + 1, sizeof *kids);
    long k = 0;
    for (; k < n; k++) {
        pid_t pid = fork();
        if (pid < 0)
            break;
        if (pid == 0) {
            pause();
            _exit(0);
        }
        kids[k] = pid;
    }
    printf("forked %ld\n", k);
    fflush(stdout);
    for (long i = 0; i < k; i++)
        kill(kids[i], SIGKILL);
    while (wait(NULL) > 0)
        ;
    return 0;
}

static int procs(long p, double seconds)
{
    for (long i = 1; i < p; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            burn(seconds);
            _exit(0);
        }
    }
    burn(seconds);
    int status, rc = 0;
    while (wait(&status) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = 3;
    printf("burned %ld x %.0f ms\n", p, seconds * 1000);
    return rc;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "hog"))
        return hog(arg(argc, argv, 2, 16), arg(argc, argv, 3, 0));
    if (!strcmp(mode, "forks"))
        return forks(arg(argc, argv, 2, 64));
    if (!strcmp(mode, "spin"))
        return procs(arg(argc, argv, 2, 1), -1);
    if (!strcmp(mode, "burn"))
        return procs(arg(argc, argv, 2, 1), arg(argc, argv, 3, 500) / 1000.0);
    if (!strcmp(mode, "sleep")) {
        sleep((unsigned)arg(argc, argv, 2, 1));
        return 0;
    }
    if (!strcmp(mode, "daemon")) {
        pid_t pid = fork();
        if (pid == 0) {
            if (fork() == 0) {
                setsid();
                sleep((unsigned)arg(argc, argv, 2, 300));
                _exit(0);
            }
            _exit(0);
        }
        waitpid(pid, NULL, 0);
        puts("daemon started");
        return 0;
    }
    fprintf(stderr, "usage: payload hog MB [S] | forks N | spin [P] | burn P MS | sleep S | daemon S\n");
    return 2;
}
