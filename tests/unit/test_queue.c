/*
 * test_queue.c - the worker pool (server/judge/queue.c) with dummy resources:
 * worker start-up and failure, batches spreading over workers,
 * back-pressure (queue full), tickets taking turns (one request with many
 * tasks cannot hold every worker), dropping a batch when its abort fd hangs
 * up (and not when its probe says the peer only half-closed), and
 * pool_cancel_all at shutdown.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "unit.h"

static atomic_int inits, finis;

static int init_ok(void *ctx, unsigned index, void **resource, char *error, size_t size)
{
    (void)ctx; (void)error; (void)size;
    int *r = malloc(sizeof *r);
    if (!r)
        return -1;
    *r = (int)index;
    *resource = r;
    inits++;
    return 0;
}

static int init_fail_second(void *ctx, unsigned index, void **resource, char *error, size_t size)
{
    if (index == 1) {
        snprintf(error, size, "worker %u: no slot", index);
        return -1;
    }
    return init_ok(ctx, index, resource, error, size);
}

static void fini(void *ctx, void *resource)
{
    (void)ctx;
    free(resource);
    finis++;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Start order of every task, across batches: tag * 100 + index. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int start_log[256];
static int start_count;

typedef struct batch {
    int tag;
    long delay_ms;
    atomic_int gate;              /* tasks wait while 0 */
    atomic_int running, done;
    atomic_int workers_seen[4];
    /* the thread running pool_run */
    pthread_t thread;
    pool_ticket *ticket;
    size_t n;
    int abort_fd;
    int rc;
} batch;

static void task(void *arg, size_t index, void *resource)
{
    batch *b = arg;
    pthread_mutex_lock(&log_lock);
    if (start_count < 256)
        start_log[start_count++] = b->tag * 100 + (int)index;
    pthread_mutex_unlock(&log_lock);
    b->running++;
    b->workers_seen[*(int *)resource] = 1;
    while (!b->gate)
        sleep_ms(1);
    if (b->delay_ms)
        sleep_ms(b->delay_ms);
    b->running--;
    b->done++;
}

/* Which worker ran each of a series of one-task batches. */
typedef struct worker_trail {
    int worker[16];
    size_t count;
} worker_trail;

static void note_worker(void *arg, size_t index, void *resource)
{
    (void)index;
    worker_trail *trail = arg;
    trail->worker[trail->count++] = *(int *)resource;
}

static void *batch_main(void *arg)
{
    batch *b = arg;
    b->rc = pool_run(b->ticket, b->n, task, b, b->abort_fd);
    return NULL;
}

static void start(batch *b, int tag, pool_ticket *t, size_t n, int gate, long delay, int abort_fd)
{
    memset(b, 0, sizeof *b);
    b->tag = tag;
    b->ticket = t;
    b->n = n;
    b->gate = gate;
    b->delay_ms = delay;
    b->abort_fd = abort_fd;
    b->rc = -2;
    pthread_create(&b->thread, NULL, batch_main, b);
}

static int probe_still_there(void *cls)
{
    atomic_int *n = cls;
    (*n)++;
    return 0;
}

static bool fd_readable(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static bool wait_stats(pool *p, unsigned busy, unsigned queued)
{
    for (int i = 0; i < 3000; i++) {
        pool_stats st;
        pool_get_stats(p, &st);
        if (st.busy == busy && st.queued == queued)
            return true;
        sleep_ms(1);
    }
    return false;
}

static bool wait_waiting(pool *p, uint64_t tasks)
{
    for (int i = 0; i < 3000; i++) {
        pool_stats st;
        pool_get_stats(p, &st);
        if (st.waiting_tasks == tasks)
            return true;
        sleep_ms(1);
    }
    return false;
}

int main(void)
{
    char error[256] = "";
    pool *p = NULL;

    CHECK("pool: a worker that cannot start fails the pool",
          pool_create(3, 4, 0, init_fail_second, fini, NULL, &p, error, sizeof error) < 0 &&
          strstr(error, "worker 1: no slot"));
    CHECK("pool: the others released what they took", inits == finis && inits == 2);

    inits = finis = 0;
    CHECK("pool: create 2 workers, queue 2",
          pool_create(2, 2, 0, init_ok, fini, NULL, &p, error, sizeof error) == 0 && inits == 2);

    /* A batch spreads over both workers and runs every task once. */
    batch b1;
    pool_ticket *t = pool_admit(p);
    CHECK("pool: admit", t != NULL);
    start(&b1, 1, t, 10, 1, 10, -1);
    pthread_join(b1.thread, NULL);
    CHECK("pool: batch ran every task", b1.rc == 0 && b1.done == 10);
    CHECK("pool: batch used both workers", b1.workers_seen[0] && b1.workers_seen[1]);
    CHECK("pool: queue wait measured", pool_ticket_queue_ms(t) < 1000);

    /* One task at a time (a syntax check, then the run): each goes to the
     * worker idle longest, never to the one that just finished (its slot
     * is still building the next sandbox). */
    worker_trail trail = {0};
    bool series_ok = true;
    for (int i = 0; i < 8; i++)
        series_ok = series_ok && pool_run(t, 1, note_worker, &trail, -1) == 0;
    bool alternates = series_ok && trail.count == 8;
    for (size_t i = 1; alternates && i < trail.count; i++)
        alternates = trail.worker[i] != trail.worker[i - 1];
    CHECK("pool: one task at a time goes to the worker idle longest (they alternate)", alternates);
    pool_leave(t);

    /* Back-pressure and turns.  A blocker holds both workers; two
     * requests queue; a third is refused.  The big one submits 6 tasks
     * first, the small one 2 tasks after: the small one's tasks must not
     * wait behind all 6 (before round-robin, they started 7th and 8th). */
    start_count = 0;
    batch blk, older_b, newer_b;
    pool_ticket *blocker = pool_admit(p);
    start(&blk, 2, blocker, 2, 0, 0, -1);
    CHECK("pool: both workers busy", wait_stats(p, 2, 0));
    pool_ticket *older = pool_admit(p), *newer = pool_admit(p);
    CHECK("pool: two requests may queue", older && newer && wait_stats(p, 2, 2));
    errno = 0;
    pool_ticket *refused = pool_admit(p);
    CHECK("pool: queue full refuses with EAGAIN", refused == NULL && errno == EAGAIN);
    pool_stats st;
    pool_get_stats(p, &st);
    CHECK("pool: stats", st.rejected == 1 && st.workers == 2 && st.queue_max == 2 && st.queued == 2);
    start(&older_b, 3, older, 6, 1, 20, -1);
    CHECK("pool: big batch waiting", wait_waiting(p, 6));
    start(&newer_b, 4, newer, 2, 1, 20, -1);
    CHECK("pool: small batch waiting too", wait_waiting(p, 8));
    blk.gate = 1;
    pthread_join(blk.thread, NULL);
    pthread_join(older_b.thread, NULL);
    pthread_join(newer_b.thread, NULL);
    CHECK("pool: every queued batch ran", blk.rc == 0 && older_b.rc == 0 && newer_b.rc == 0 &&
          older_b.done == 6 && newer_b.done == 2);
    /* Starts 0-1 are the blocker's; then the two tickets alternate, so the
     * small one's 2 tasks are among starts 2-5. */
    int small_early = 0;
    for (int i = 2; i < 6 && i < start_count; i++)
        small_early += start_log[i] / 100 == 4;
    bool order_ok = start_count == 10 && start_log[0] / 100 == 2 && start_log[1] / 100 == 2 &&
                    start_log[2] / 100 == 3 && small_early == 2;
    CHECK("pool: tickets take turns (the small request is not starved by the big one)", order_ok);
    if (!order_ok)
        for (int i = 0; i < start_count; i++)
            printf("# start %d: %d\n", i, start_log[i]);
    pool_leave(blocker);
    pool_leave(older);
    pool_leave(newer);
    CHECK("pool: idle again", wait_stats(p, 0, 0));

    /* A ticket that leaves before running frees its queue place. */
    pool_ticket *q = pool_admit(p);
    pool_leave(q);
    CHECK("pool: leaving unstarted frees the place", wait_stats(p, 0, 0));

    /* Abort: a hang-up on the abort fd drops the tasks not started. */
    int sv[2];
    CHECK("pool: socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    batch slow;
    pool_ticket *x = pool_admit(p);
    start(&slow, 5, x, 20, 1, 100, sv[0]);
    sleep_ms(150);
    close(sv[1]);
    pthread_join(slow.thread, NULL);
    CHECK("pool: hang-up aborts the batch", slow.rc == 1);
    CHECK("pool: unstarted tasks dropped", slow.done < 20);
    CHECK("pool: no task still running once the abort returns", slow.running == 0);
    pool_leave(x);
    close(sv[0]);
    CHECK("pool: idle after the abort", wait_stats(p, 0, 0));

    /* Half-close: with a probe that says "still there", a shutdown of the
     * peer's sending side does not abort; a full close still does. */
    CHECK("pool: socketpair for half-close", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    batch half;
    pool_ticket *h = pool_admit(p);
    atomic_int probes = 0;
    pool_ticket_set_probe(h, probe_still_there, &probes);
    start(&half, 6, h, 6, 1, 30, sv[0]);
    sleep_ms(40);
    shutdown(sv[1], SHUT_WR);
    pthread_join(half.thread, NULL);
    CHECK("pool: half-close with a probe saying 'there' runs every task", half.rc == 0 && half.done == 6);
    CHECK("pool: the probe was asked once", probes == 1);
    pool_leave(h);
    close(sv[1]);
    close(sv[0]);

    /* pool_cancel_all: running batches end, later ones return at once. */
    batch c1;
    pool_ticket *c = pool_admit(p);
    start(&c1, 7, c, 50, 1, 50, -1);
    CHECK("pool: batch running before cancel_all", wait_stats(p, 2, 0));
    pool_cancel_all(p);
    pthread_join(c1.thread, NULL);
    CHECK("pool: cancel_all aborts the running batch", c1.rc == 1 && c1.done < 50 && c1.running == 0);
    CHECK("pool: cancel_all wrote the ticket's cancel fd", fd_readable(pool_ticket_cancel_fd(c)));
    pool_ticket *late = pool_admit(p);
    CHECK("pool: after cancel_all a batch returns at once",
          late && pool_run(late, 3, task, &c1, -1) == 1);
    pool_leave(late);
    pool_leave(c);

    pool_destroy(p);
    CHECK("pool: destroy releases every resource", finis == 2);

    /* Client groups: two requests of client "a" (6 tasks each) and one of
     * client "b" (2 tasks) wait behind a blocker.  By request, b would get
     * one turn in three (its tasks start 3rd and 6th); by client it gets
     * one in two: both its tasks start among the first four. */
    CHECK("pool: create 2 workers, queue 8",
          pool_create(2, 8, 0, init_ok, fini, NULL, &p, error, sizeof error) == 0);
    {
        start_count = 0;
        batch gblk, a1b, a2b, bb;
        pool_ticket *gb = pool_admit(p);
        start(&gblk, 2, gb, 2, 0, 0, -1);
        CHECK("groups: both workers busy", wait_stats(p, 2, 0));
        pool_ticket *a1 = pool_admit(p), *a2 = pool_admit(p), *b = pool_admit(p);
        CHECK("groups: set", a1 && a2 && b && pool_ticket_set_group(a1, "a") == 0 &&
              pool_ticket_set_group(a2, "a") == 0 && pool_ticket_set_group(b, "b") == 0);
        start(&a1b, 5, a1, 6, 1, 20, -1);
        CHECK("groups: a1 waiting", wait_waiting(p, 6));
        start(&a2b, 6, a2, 6, 1, 20, -1);
        CHECK("groups: a2 waiting", wait_waiting(p, 12));
        start(&bb, 7, b, 2, 1, 20, -1);
        CHECK("groups: b waiting", wait_waiting(p, 14));
        CHECK("groups: a ticket with a batch cannot change group", pool_ticket_set_group(a1, "z") < 0);
        gblk.gate = 1;
        pthread_join(gblk.thread, NULL);
        pthread_join(a1b.thread, NULL);
        pthread_join(a2b.thread, NULL);
        pthread_join(bb.thread, NULL);
        int b_early = 0;
        for (int i = 2; i < 6 && i < start_count; i++)
            b_early += start_log[i] / 100 == 7;
        bool ok = start_count == 16 && b_early == 2;
        CHECK("groups: a client's requests share one turn (b's tasks among the first four)", ok);
        if (!ok)
            for (int i = 0; i < start_count; i++)
                printf("# start %d: %d\n", i, start_log[i]);
        pool_leave(gb);
        pool_leave(a1);
        pool_leave(a2);
        pool_leave(b);
        CHECK("groups: idle again", wait_stats(p, 0, 0));
    }
    pool_destroy(p);

    /* A cap on outstanding tickets, whatever the queue says. */
    CHECK("pool: create with max_outstanding 2",
          pool_create(1, 10, 2, init_ok, fini, NULL, &p, error, sizeof error) == 0);
    pool_ticket *m1 = pool_admit(p), *m2 = pool_admit(p);
    errno = 0;
    pool_ticket *m3 = pool_admit(p);
    CHECK("pool: max_outstanding refuses the third", m1 && m2 && !m3 && errno == EAGAIN);
    pool_leave(m1);
    m3 = pool_admit(p);
    CHECK("pool: a place frees when a ticket leaves", m3 != NULL);
    pool_leave(m2);
    pool_leave(m3);
    pool_destroy(p);
    UNIT_EXIT();
}
