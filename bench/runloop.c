/*
 * bench/runloop.c - per-run cost of commands, each against the first one
 * (the baseline), measured in the same rounds.
 *
 *   runloop [-n N] [-r ROUNDS] [-w WARMUP] [-i IDLE_MS] LABEL CMD ARGS... [::: LABEL CMD ARGS...]...
 *
 * Every iteration runs each command once, in turn (fork, execvp, waitpid;
 * stdin and stdout from /dev/null, stderr to /dev/null), so slow drift of a
 * shared machine hits all of them alike.  Per command it prints the median
 * of the round medians, the p90 over all runs, and the ratio to the first
 * command as the median of the per-round ratios.  A non-zero exit of any
 * run is an error (exit 1): a benchmark of failing runs means nothing.
 * -i sleeps between iterations (idle machine costs, e.g. cgroup stalls).
 *
 *   runloop -P WORKERS -d SECONDS LABEL CMD ARGS... [::: LABEL CMD ARGS...]...
 *
 * Throughput instead: WORKERS processes each run CMD in a loop for
 * SECONDS (with several commands, one iteration runs them all in turn and
 * counts as one run: what one request of a server runs); prints runs/s,
 * the median latency and the CPU time (user + system) per run of the
 * commands as their reaped children's rusage.  That per-process figure
 * misses kernel work done outside the processes (bench.sh measures the
 * machine-wide one from /proc/stat around this).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMMANDS 8
#define MAX_ROUNDS 16

typedef struct command {
    const char *label;
    char **argv;
    double *samples;           /* all runs, ms */
    double round_median[MAX_ROUNDS];
} command;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, compare);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i];
}

static double run_once(const command *c, int devnull)
{
    double start = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        if (!getenv("RUNLOOP_STDERR"))
            dup2(devnull, 2);
        execvp(c->argv[0], c->argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("waitpid");
            exit(1);
        }
    double elapsed = now_ms() - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "runloop: '%s' (%s) failed with status 0x%x\n", c->label, c->argv[0], status);
        exit(1);
    }
    return elapsed;
}

/* -P: WORKERS loops of the commands (in turn) for SECONDS; runs/s and median latency. */
static int throughput(const command *commands, int count_commands, int workers, double seconds)
{
    const command *c = &commands[0];
    int devnull = open("/dev/null", O_RDWR);
    int fds[2];
    if (pipe(fds) < 0)
        return 1;
    double start = now_ms();
    for (int w = 0; w < workers; w++) {
        if (fork() == 0) {
            close(fds[0]);
            while (now_ms() - start < seconds * 1e3) {
                double t = 0;
                for (int k = 0; k < count_commands; k++)
                    t += run_once(&commands[k], devnull);
                if (write(fds[1], &t, sizeof t) != sizeof t)
                    _exit(1);
            }
            _exit(0);
        }
    }
    close(fds[1]);
    size_t count = 0, capacity = 1024;
    double *samples = malloc(capacity * sizeof *samples), t;
    while (read(fds[0], &t, sizeof t) == sizeof t) {
        if (count == capacity)
            samples = realloc(samples, (capacity *= 2) * sizeof *samples);
        samples[count++] = t;
    }
    int status, failed = 0;
    while (wait(&status) > 0)
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    double elapsed = (now_ms() - start) / 1e3;
    if (failed || !count) {
        fprintf(stderr, "runloop: a worker failed\n");
        return 1;
    }
    double rate = (double)count / elapsed;
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) < 0) {
        perror("runloop: getrusage");
        return 1;
    }
    double cpu_ms = ((double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3) / (double)count;
    printf("%-28s runs %zu seconds %.2f rate %.1f p50 %.3f p99 %.3f cpu_ms %.3f\n", c->label, count, elapsed, rate,
           quantile(samples, count, 0.5), quantile(samples, count, 0.99), cpu_ms);
    return 0;
}

int main(int argc, char **argv)
{
    int n = 100, rounds = 3, warmup = 3, idle_ms = 0, workers = 0, opt;
    double seconds = 0;
    while ((opt = getopt(argc, argv, "+n:r:w:i:P:d:")) != -1) {
        switch (opt) {
        case 'n': n = atoi(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 'i': idle_ms = atoi(optarg); break;
        case 'P': workers = atoi(optarg); break;
        case 'd': seconds = atof(optarg); break;
        default: goto usage;
        }
    }
    if (n < 1 || rounds < 1 || rounds > MAX_ROUNDS || optind + 2 > argc)
        goto usage;
    command commands[MAX_COMMANDS];
    int count = 0;
    for (int i = optind; i < argc;) {
        if (count == MAX_COMMANDS || i + 1 >= argc)
            goto usage;
        command *c = &commands[count++];
        c->label = argv[i++];
        c->argv = &argv[i];
        while (i < argc && strcmp(argv[i], ":::") != 0)
            i++;
        if (i < argc)
            argv[i++] = NULL;
        c->samples = calloc((size_t)n * (size_t)rounds, sizeof(double));
    }
    if (workers > 0)
        return seconds > 0 ? throughput(commands, count, workers, seconds) : 2;
    int devnull = open("/dev/null", O_RDWR);
    for (int r = 0; r < rounds; r++) {
        for (int w = 0; w < warmup; w++)
            for (int k = 0; k < count; k++)
                run_once(&commands[k], devnull);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < count; k++) {
                if (idle_ms)
                    nanosleep(&(struct timespec){.tv_sec = idle_ms / 1000, .tv_nsec = (idle_ms % 1000) * 1000000L},
                              NULL);
                commands[k].samples[r * n + i] = run_once(&commands[k], devnull);
            }
        }
        for (int k = 0; k < count; k++) {
            double *copy = malloc((size_t)n * sizeof(double));
            memcpy(copy, commands[k].samples + r * n, (size_t)n * sizeof(double));
            commands[k].round_median[r] = quantile(copy, (size_t)n, 0.5);
            free(copy);
        }
    }
    printf("%-28s %10s %10s %8s   rounds (median ms)\n", "command", "median_ms", "p90_ms", "ratio");
    for (int k = 0; k < count; k++) {
        command *c = &commands[k];
        double medians[MAX_ROUNDS], ratios[MAX_ROUNDS];
        for (int r = 0; r < rounds; r++) {
            medians[r] = c->round_median[r];
            ratios[r] = c->round_median[r] / commands[0].round_median[r];
        }
        char per_round[256] = "";
        for (int r = 0; r < rounds; r++)
            snprintf(per_round + strlen(per_round), sizeof per_round - strlen(per_round), "%s%.3f", r ? " " : "",
                     c->round_median[r]);
        double median = quantile(medians, (size_t)rounds, 0.5);
        double ratio = quantile(ratios, (size_t)rounds, 0.5);
        double p90 = quantile(c->samples, (size_t)n * (size_t)rounds, 0.9);
        printf("%-28s %10.3f %10.3f %7.2fx   %s\n", c->label, median, p90, ratio, per_round);
    }
    return 0;
usage:
    fprintf(stderr, "usage: runloop [-n N] [-r ROUNDS] [-w WARMUP] [-i IDLE_MS] LABEL CMD ARGS... [::: LABEL CMD...]\n"
                    "       runloop -P WORKERS -d SECONDS LABEL CMD ARGS... [::: LABEL CMD...]\n");
    return 2;
}
