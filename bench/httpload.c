/*
 * bench/httpload.c - a small HTTP/1.1 load generator for judgebox serve:
 * C concurrent clients, each on its own keep-alive connection (reconnects
 * when the server closes), POSTing the same JSON body until N requests are
 * done or D seconds have passed.  A response counts as good when its
 * status is 200 and its body contains EXPECT.
 *
 *   httpload [-c CLIENTS] [-n REQUESTS | -d SECONDS] [-e EXPECT] [-o LATENCY_FILE]
 *            HOST:PORT PATH BODY_FILE
 *
 * Prints one line: requests, good, errors, seconds, runs/s, p50/p90/p99/max
 * latency in ms, and self_cpu_ms: this process's own CPU time (user +
 * system, all its threads, getrusage), which a machine-wide CPU figure of
 * the server under this load includes and must subtract (bench.sh).  -o writes every latency (ms), one per line, in the order
 * the requests were started (so line k is the k-th run of the server when
 * CLIENTS is 1).  Exit 1 when any response was bad.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct shared {
    struct sockaddr_in address;
    const char *path, *expect;
    char *request;
    size_t request_length;
    long limit;              /* requests; 0 = until deadline */
    double deadline;         /* seconds since start; 0 = none */
    double start;
    pthread_mutex_t mutex;
    long next;               /* next request index */
    double *latency;         /* by index */
    long capacity;
    long good, bad;
    char first_error[256];
} shared;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_to(const shared *s)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&s->address, sizeof s->address) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *data, size_t length)
{
    while (length) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        length -= (size_t)n;
    }
    return true;
}

/* Read one response: status, body (Content-Length framed), keep-alive?
 * Returns the status, -1 on a broken connection. */
static int read_response(int fd, char **buffer, size_t *capacity, char **body, bool *keep_alive)
{
    size_t length = 0, header_end = 0, content_length = 0;
    bool have_header = false;
    for (;;) {
        if (have_header && length >= header_end + content_length)
            break;
        if (length + 4096 > *capacity) {
            *capacity = (*capacity ? *capacity * 2 : 65536) + 4096;
            *buffer = realloc(*buffer, *capacity);
        }
        ssize_t n = recv(fd, *buffer + length, *capacity - length - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        length += (size_t)n;
        (*buffer)[length] = '\0';
        if (!have_header) {
            char *end = strstr(*buffer, "\r\n\r\n");
            if (!end)
                continue;
            have_header = true;
            header_end = (size_t)(end - *buffer) + 4;
            *end = '\0';
            const char *cl = strcasestr(*buffer, "\r\ncontent-length:");
            content_length = cl ? strtoul(cl + 17, NULL, 10) : 0;
            *keep_alive = !strcasestr(*buffer, "\r\nconnection: close");
            *end = '\r';
        }
    }
    int status = 0;
    if (sscanf(*buffer, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    (*buffer)[header_end + content_length] = '\0';
    *body = *buffer + header_end;
    return status;
}

static void *client(void *argument)
{
    shared *s = argument;
    int fd = -1;
    char *buffer = NULL;
    size_t capacity = 0;
    for (;;) {
        pthread_mutex_lock(&s->mutex);
        long index = s->next;
        bool done = (s->limit && index >= s->limit) || (s->deadline && now_s() - s->start >= s->deadline) ||
                    index >= s->capacity;
        if (!done)
            s->next++;
        pthread_mutex_unlock(&s->mutex);
        if (done)
            break;
        double started = now_s();
        int status = -1;
        char *body = NULL;
        bool keep_alive = false;
        for (int attempt = 0; attempt < 2 && status < 0; attempt++) {
            if (fd < 0)
                fd = connect_to(s);
            if (fd < 0) {
                fprintf(stderr, "httpload: connect to %s:%d: %s\n", inet_ntoa(s->address.sin_addr),
                        ntohs(s->address.sin_port), strerror(errno));
                exit(1);
            }
            if (send_all(fd, s->request, s->request_length))
                status = read_response(fd, &buffer, &capacity, &body, &keep_alive);
            if (status < 0) {
                close(fd); /* the server closed a kept-alive connection: once more */
                fd = -1;
            }
        }
        double elapsed = now_s() - started;
        bool good = status == 200 && body && (!s->expect || strstr(body, s->expect));
        pthread_mutex_lock(&s->mutex);
        s->latency[index] = elapsed * 1e3;
        if (good)
            s->good++;
        else {
            s->bad++;
            if (!s->first_error[0])
                snprintf(s->first_error, sizeof s->first_error, "status %d: %.200s", status, body ? body : "");
        }
        pthread_mutex_unlock(&s->mutex);
        if (fd >= 0 && !keep_alive) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    free(buffer);
    return NULL;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = malloc(1 << 20);
    *length = fread(data, 1, (1 << 20) - 1, f);
    fclose(f);
    data[*length] = '\0';
    return data;
}

int main(int argc, char **argv)
{
    int clients = 1, opt;
    long requests = 0;
    double seconds = 0;
    const char *expect = NULL, *latency_file = NULL;
    while ((opt = getopt(argc, argv, "c:n:d:e:o:")) != -1) {
        switch (opt) {
        case 'c': clients = atoi(optarg); break;
        case 'n': requests = atol(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'e': expect = optarg; break;
        case 'o': latency_file = optarg; break;
        default: goto usage;
        }
    }
    if (optind + 3 != argc || clients < 1 || (!requests && seconds <= 0))
        goto usage;
    shared s = {.path = argv[optind + 1], .expect = expect, .limit = requests, .deadline = seconds};
    char host[64];
    int port;
    if (sscanf(argv[optind], "%63[^:]:%d", host, &port) != 2 || inet_pton(AF_INET, host, &s.address.sin_addr) != 1) {
        fprintf(stderr, "httpload: HOST:PORT must be an IPv4 address and a port\n");
        return 2;
    }
    s.address.sin_family = AF_INET;
    s.address.sin_port = htons((uint16_t)port);
    size_t body_length;
    char *body = read_file(argv[optind + 2], &body_length);
    if (!body) {
        perror(argv[optind + 2]);
        return 2;
    }
    s.request = malloc(body_length + 512);
    s.request_length = (size_t)sprintf(s.request,
                                       "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                                       "Content-Length: %zu\r\n\r\n%s",
                                       s.path, argv[optind], body_length, body);
    s.capacity = requests ? requests : 10000000;
    s.latency = calloc((size_t)s.capacity, sizeof(double));
    pthread_mutex_init(&s.mutex, NULL);
    s.start = now_s();
    pthread_t *threads = calloc((size_t)clients, sizeof *threads);
    for (int i = 0; i < clients; i++)
        pthread_create(&threads[i], NULL, client, &s);
    for (int i = 0; i < clients; i++)
        pthread_join(threads[i], NULL);
    double elapsed = now_s() - s.start;
    long done = s.good + s.bad;
    if (latency_file) {
        FILE *f = fopen(latency_file, "w");
        for (long i = 0; f && i < done; i++)
            fprintf(f, "%.3f\n", s.latency[i]);
        if (f)
            fclose(f);
    }
    qsort(s.latency, (size_t)done, sizeof(double), compare);
#define Q(q) (done ? s.latency[(long)((q) * (double)(done - 1) + 0.5)] : 0.0)
    struct rusage self;
    double self_cpu_ms = -1;
    if (getrusage(RUSAGE_SELF, &self) == 0)
        self_cpu_ms = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1e3 +
                      (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e3;
    printf("requests %ld good %ld errors %ld seconds %.2f rate %.1f p50 %.2f p90 %.2f p99 %.2f max %.2f "
           "self_cpu_ms %.1f\n",
           done, s.good, s.bad, elapsed, (double)done / elapsed, Q(0.5), Q(0.9), Q(0.99), Q(1.0), self_cpu_ms);
    if (s.bad)
        fprintf(stderr, "httpload: first bad response: %s\n", s.first_error);
    return s.bad ? 1 : 0;
usage:
    fprintf(stderr, "usage: httpload [-c CLIENTS] [-n REQUESTS | -d SECONDS] [-e EXPECT] [-o FILE] HOST:PORT PATH "
                    "BODY_FILE\n");
    return 2;
}
