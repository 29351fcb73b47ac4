/*
 * queue.c - the worker pool behind every run: N threads each holding one
 * per-worker resource (a sandbox slot), a list of tickets with pending
 * tasks ordered by admission, and the back-pressure rule.  A ticket counts
 * as queued from admission until its first task starts; admission is
 * refused when queued tickets would exceed queue_max plus the idle
 * workers.  Waiting for a batch uses an eventfd so the waiter can also
 * watch its client's socket and drop the batch's unstarted tasks when the
 * client hangs up.  One mutex guards everything; tasks run unlocked.
 *
 * Fairness: tickets with unstarted tasks take turns.  A worker takes one
 * task from the ticket at the head of the list and puts that ticket at the
 * tail when it has more, and a new batch joins at the tail; so a request
 * with 101 tests gets one slot in turn with every other waiting request
 * instead of all of them until it is done.  Tickets of one client (a group:
 * its token's name or its address) share their turns: the next task goes to
 * the group served least so far (a group that comes back after being idle
 * starts level with the others, not with credit), and within a group to
 * its tickets in turn.
 *
 * Which worker: the one idle longest.  Idle workers queue up in the order
 * they fell idle, each waiting on its own condition variable, and new tasks
 * wake them from the front.  A slot's sandbox core builds its next run's
 * sandbox once a result is delivered (sandbox/run.c): the slot idle
 * longest has it ready, while the one that just finished is still at it.
 * So the syntax check and the run of one request, or its compile and its
 * tests, take turns between slots instead of queueing behind that work.
 */
#include "queue.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* A client's share of turns; refs: its outstanding tickets. */
typedef struct pool_group {
    char key[64];
    uint64_t served;              /* tasks started, on the pool's virtual clock */
    unsigned refs, listed;        /* outstanding tickets; of them, in the list */
    struct pool_group *next;
} pool_group;

struct pool_ticket {
    pool *pool;
    pool_group *group;            /* shared, or own_group */
    pool_group own_group;
    uint64_t seq;
    bool started;                 /* a task of this ticket has started */
    struct timespec admitted_at, started_at;
    /* The current batch. */
    pool_task_fn fn;
    void *arg;
    size_t ntasks, next, running;
    bool cancelled;
    bool listed;                  /* in pool->head..tail */
    /* Called on a half-close of the abort fd: 1 gone, 0 still there. */
    int (*probe)(void *cls);
    void *probe_cls;
    pool_ticket *all_prev, *all_next; /* every outstanding ticket */
    int done_fd;                  /* eventfd, written when the batch is over */
    int cancel_fd;                /* eventfd, written when the client went away: running runs stop */
    pool_ticket *prev, *next_ticket;
};

typedef struct worker {
    pool *pool;
    unsigned index;
    pthread_cond_t wake;          /* tasks for it, or stopping */
    bool idle_listed;             /* in pool->idle_head..idle_tail */
    bool woken;                   /* signalled, not yet awake: another idle one takes the next task */
    struct worker *idle_next;
    pthread_t thread;
    bool thread_started;
    void *resource;
    int init_state;               /* 0 pending, 1 ready, -1 failed */
    char error[256];
} worker;

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t ready;         /* a worker finished init */
    worker *idle_head, *idle_tail; /* idle workers, the longest idle first */
    pool_ticket *head, *tail;     /* tickets with unstarted tasks, in turn order */
    pool_ticket *all;             /* every outstanding ticket */
    pool_group *groups;           /* named groups with outstanding tickets */
    uint64_t vtime;               /* `served` of the group served last */
    bool cancel_all;              /* pool_cancel_all: every batch ends at once */
    unsigned nworkers, busy, queued, queue_max, outstanding, max_outstanding;
    uint64_t seq, admitted, rejected, tasks_run;
    bool stopping;
    pool_worker_init_fn init;
    pool_worker_fini_fn fini;
    void *ctx;
    worker *workers;
};

static uint64_t ms_between(const struct timespec *a, const struct timespec *b)
{
    int64_t ms = (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
    return ms > 0 ? (uint64_t)ms : 0;
}

static void unlist(pool *p, pool_ticket *t)
{
    if (!t->listed)
        return;
    t->group->listed--;
    if (t->prev) t->prev->next_ticket = t->next_ticket; else p->head = t->next_ticket;
    if (t->next_ticket) t->next_ticket->prev = t->prev; else p->tail = t->prev;
    t->prev = t->next_ticket = NULL;
    t->listed = false;
}

/* Join the tail: the ticket's next turn comes after every waiting one. */
static void enlist(pool *p, pool_ticket *t)
{
    /* A group coming back starts level with the others, without credit. */
    if (t->group->listed++ == 0 && t->group->served < p->vtime)
        t->group->served = p->vtime;
    t->prev = p->tail;
    t->next_ticket = NULL;
    if (p->tail) p->tail->next_ticket = t; else p->head = t;
    p->tail = t;
    t->listed = true;
}

static bool batch_over(const pool_ticket *t)
{
    return t->running == 0 && (t->cancelled || t->next >= t->ntasks);
}

static void signal_done(pool_ticket *t)
{
    uint64_t one = 1;
    /* An eventfd write only fails on counter overflow; the waiter re-checks
     * state under the lock anyway. */
    ssize_t n = write(t->done_fd, &one, sizeof one);
    (void)n;
}

/* Under the lock: drop t's unstarted tasks, stop its running ones, wake
 * its waiter. */
static void cancel_locked(pool *p, pool_ticket *t)
{
    if (t->cancelled)
        return;
    t->cancelled = true;
    unlist(p, t);
    uint64_t one = 1;
    if (write(t->cancel_fd, &one, sizeof one) < 0) {
        /* eventfd counters cannot overflow from one write */
    }
    signal_done(t);
}

/* Under p->lock: w waits for tasks, behind those idle longer. */
static void idle_append(pool *p, worker *w)
{
    w->idle_next = NULL;
    if (p->idle_tail)
        p->idle_tail->idle_next = w;
    else
        p->idle_head = w;
    p->idle_tail = w;
    w->idle_listed = true;
}

static void idle_remove(pool *p, worker *w)
{
    if (!w->idle_listed)
        return;
    worker **at = &p->idle_head, *before = NULL;
    while (*at != w) {
        before = *at;
        at = &(*at)->idle_next;
    }
    *at = w->idle_next;
    if (p->idle_tail == w)
        p->idle_tail = before;
    w->idle_listed = false;
}

/* Under p->lock: wake the `n` workers idle longest that are not woken
 * already.  They stay listed (and keep their place) until they take a
 * task: one that finds none left waits again as the next to wake. */
static void wake_idle(pool *p, size_t n)
{
    for (worker *w = p->idle_head; w && n > 0; w = w->idle_next)
        if (!w->woken) {
            w->woken = true;
            pthread_cond_signal(&w->wake);
            n--;
        }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->pool;
    char error[256] = "";
    void *resource = NULL;
    int rc = p->init(p->ctx, w->index, &resource, error, sizeof error);
    pthread_mutex_lock(&p->lock);
    w->resource = resource;
    w->init_state = rc == 0 ? 1 : -1;
    snprintf(w->error, sizeof w->error, "%s", error);
    pthread_cond_broadcast(&p->ready);
    if (rc != 0) {
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    for (;;) {
        while (!p->stopping && !p->head) {
            if (!w->idle_listed)
                idle_append(p, w);
            pthread_cond_wait(&w->wake, &p->lock);
            w->woken = false;
        }
        if (p->stopping)
            break;
        idle_remove(p, w);
        /* The least served group's first ticket in turn order. */
        pool_ticket *t = p->head;
        for (pool_ticket *c = p->head->next_ticket; c; c = c->next_ticket)
            if (c->group->served < t->group->served)
                t = c;
        p->vtime = t->group->served++;
        size_t index = t->next++;
        t->running++;
        unlist(p, t);
        if (t->next < t->ntasks)
            enlist(p, t);          /* its next task waits for its next turn */
        if (!t->started) {
            t->started = true;
            p->queued--;
            clock_gettime(CLOCK_MONOTONIC, &t->started_at);
        }
        p->busy++;
        pool_task_fn fn = t->fn;
        void *task_arg = t->arg;
        pthread_mutex_unlock(&p->lock);

        fn(task_arg, index, resource);

        pthread_mutex_lock(&p->lock);
        p->busy--;
        p->tasks_run++;
        t->running--;
        if (batch_over(t))
            signal_done(t);
    }
    pthread_mutex_unlock(&p->lock);
    if (p->fini)
        p->fini(p->ctx, resource);
    return NULL;
}

static void stop_workers(pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    for (unsigned i = 0; i < p->nworkers; i++)
        pthread_cond_signal(&p->workers[i].wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nworkers; i++)
        if (p->workers[i].thread_started)
            pthread_join(p->workers[i].thread, NULL);
}

static void free_pool(pool *p)
{
    pthread_mutex_destroy(&p->lock);
    for (unsigned i = 0; i < p->nworkers; i++)
        pthread_cond_destroy(&p->workers[i].wake);
    pthread_cond_destroy(&p->ready);
    free(p->workers);
    free(p);
}

int pool_create(unsigned workers, unsigned queue_max, unsigned max_outstanding,
                pool_worker_init_fn init,
                pool_worker_fini_fn fini, void *ctx, pool **out, char *error, size_t size)
{
    if (workers == 0) {
        snprintf(error, size, "worker pool: need at least one worker");
        errno = EINVAL;
        return -1;
    }
    pool *p = calloc(1, sizeof *p);
    if (!p || !(p->workers = calloc(workers, sizeof *p->workers))) {
        snprintf(error, size, "worker pool: %s", strerror(errno));
        free(p);
        return -1;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    for (unsigned i = 0; i < workers; i++)
        pthread_cond_init(&p->workers[i].wake, NULL);
    p->nworkers = workers;
    p->queue_max = queue_max;
    p->max_outstanding = max_outstanding;
    p->init = init;
    p->fini = fini;
    p->ctx = ctx;
    int rc = 0;
    for (unsigned i = 0; i < workers; i++) {
        worker *w = &p->workers[i];
        w->pool = p;
        w->index = i;
        int err = pthread_create(&w->thread, NULL, worker_main, w);
        if (err) {
            snprintf(error, size, "worker pool: start thread %u: %s", i, strerror(err));
            rc = -1;
            break;
        }
        w->thread_started = true;
    }
    /* Wait for every started worker to report. */
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < workers; i++) {
        worker *w = &p->workers[i];
        if (!w->thread_started)
            continue;
        while (w->init_state == 0)
            pthread_cond_wait(&p->ready, &p->lock);
        if (w->init_state < 0 && rc == 0) {
            snprintf(error, size, "%s", w->error);
            rc = -1;
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (rc) {
        stop_workers(p);
        free_pool(p);
        return -1;
    }
    *out = p;
    return 0;
}

void pool_destroy(pool *p)
{
    if (!p)
        return;
    stop_workers(p);
    free_pool(p);
}

pool_ticket *pool_admit(pool *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned idle = p->nworkers - p->busy;
    /* Queued tickets beyond the idle workers are the ones truly waiting. */
    if (p->stopping || p->queued >= p->queue_max + idle ||
        (p->max_outstanding && p->outstanding >= p->max_outstanding)) {
        p->rejected++;
        pthread_mutex_unlock(&p->lock);
        errno = EAGAIN;
        return NULL;
    }
    pool_ticket *t = calloc(1, sizeof *t);
    if (!t) {
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    t->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    t->cancel_fd = t->done_fd < 0 ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->done_fd < 0 || t->cancel_fd < 0) {
        int err = errno;
        pthread_mutex_unlock(&p->lock);
        if (t->done_fd >= 0)
            close(t->done_fd);
        free(t);
        errno = err;
        return NULL;
    }
    t->pool = p;
    t->group = &t->own_group;
    t->own_group.refs = 1;
    t->seq = ++p->seq;
    t->all_next = p->all;
    if (p->all)
        p->all->all_prev = t;
    p->all = t;
    clock_gettime(CLOCK_MONOTONIC, &t->admitted_at);
    p->queued++;
    p->admitted++;
    p->outstanding++;
    pthread_mutex_unlock(&p->lock);
    return t;
}

int pool_run(pool_ticket *t, size_t ntasks, pool_task_fn fn, void *arg, int abort_fd)
{
    pool *p = t->pool;
    if (ntasks == 0)
        return 0;
    uint64_t drain;
    while (read(t->done_fd, &drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock(&p->lock);
    if (p->cancel_all) {
        pthread_mutex_unlock(&p->lock);
        return 1;
    }
    t->fn = fn;
    t->arg = arg;
    t->ntasks = ntasks;
    t->next = 0;
    t->running = 0;
    t->cancelled = false;
    enlist(p, t);
    wake_idle(p, ntasks);
    pthread_mutex_unlock(&p->lock);

    bool aborted = false;
    short watch = POLLRDHUP;      /* dropped once a probe says the client is still there */
    for (;;) {
        pthread_mutex_lock(&p->lock);
        bool over = batch_over(t);
        if (t->cancelled)
            aborted = true;       /* pool_cancel_all */
        pthread_mutex_unlock(&p->lock);
        if (over)
            break;
        struct pollfd fds[2] = {{.fd = t->done_fd, .events = POLLIN},
                                {.fd = aborted ? -1 : abort_fd, .events = watch}};
        int n = poll(fds, 2, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* Cannot wait properly: drop what has not started, then spin
             * gently until the running tasks finish. */
            fds[1].fd = -1;
            aborted = true;
        }
        if (fds[0].revents & POLLIN)
            while (read(t->done_fd, &drain, sizeof drain) > 0)
                ;
        if (!aborted && fds[1].fd >= 0 && (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)))
            aborted = true;
        else if (!aborted && fds[1].fd >= 0 && (fds[1].revents & POLLRDHUP)) {
            /* The client shut its sending side: gone, or only half-closed
             * and still reading?  Only a probe can tell. */
            if (t->probe && t->probe(t->probe_cls) == 0)
                watch = 0;        /* still there: from now on only HUP/ERR */
            else
                aborted = true;
        }
        if (aborted) {
            pthread_mutex_lock(&p->lock);
            cancel_locked(p, t);
            pthread_mutex_unlock(&p->lock);
            if (n < 0) {
                struct timespec pause = {0, 10 * 1000 * 1000};
                nanosleep(&pause, NULL);
            }
        }
    }
    return aborted ? 1 : 0;
}

int pool_ticket_cancel_fd(const pool_ticket *t)
{
    return t->cancel_fd;
}

void pool_ticket_set_probe(pool_ticket *t, int (*probe)(void *cls), void *cls)
{
    t->probe = probe;
    t->probe_cls = cls;
}

int pool_ticket_set_group(pool_ticket *t, const char *key)
{
    pool *p = t->pool;
    if (!key || !*key)
        return 0;
    pthread_mutex_lock(&p->lock);
    if (t->listed || t->group != &t->own_group) {
        pthread_mutex_unlock(&p->lock);
        errno = EBUSY;            /* only before the ticket's first batch */
        return -1;
    }
    pool_group *g = p->groups;
    while (g && strncmp(g->key, key, sizeof g->key - 1) != 0)
        g = g->next;
    if (!g) {
        g = calloc(1, sizeof *g);
        if (!g) {
            pthread_mutex_unlock(&p->lock);
            return -1;
        }
        snprintf(g->key, sizeof g->key, "%s", key);
        g->next = p->groups;
        p->groups = g;
    }
    g->refs++;
    t->group = g;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void pool_cancel_all(pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->cancel_all = true;
    for (pool_ticket *t = p->all; t; t = t->all_next)
        cancel_locked(p, t);
    pthread_mutex_unlock(&p->lock);
}

uint64_t pool_ticket_queue_ms(const pool_ticket *t)
{
    pthread_mutex_lock(&t->pool->lock);
    struct timespec end = t->started_at;
    bool started = t->started;
    pthread_mutex_unlock(&t->pool->lock);
    if (!started)
        clock_gettime(CLOCK_MONOTONIC, &end);
    return ms_between(&t->admitted_at, &end);
}

void pool_leave(pool_ticket *t)
{
    if (!t)
        return;
    pool *p = t->pool;
    pthread_mutex_lock(&p->lock);
    unlist(p, t);
    if (t->all_prev) t->all_prev->all_next = t->all_next; else p->all = t->all_next;
    if (t->all_next) t->all_next->all_prev = t->all_prev;
    if (!t->started)
        p->queued--;
    p->outstanding--;
    pool_group *g = t->group;
    if (g != &t->own_group && --g->refs == 0) {
        pool_group **at = &p->groups;
        while (*at != g)
            at = &(*at)->next;
        *at = g->next;
        free(g);
    }
    pthread_mutex_unlock(&p->lock);
    close(t->done_fd);
    close(t->cancel_fd);
    free(t);
}

void pool_get_stats(pool *p, pool_stats *out)
{
    pthread_mutex_lock(&p->lock);
    out->workers = p->nworkers;
    out->busy = p->busy;
    out->queued = p->queued;
    out->queue_max = p->queue_max;
    out->admitted = p->admitted;
    out->rejected = p->rejected;
    out->tasks_run = p->tasks_run;
    out->waiting_tasks = 0;
    for (pool_ticket *t = p->head; t; t = t->next_ticket)
        out->waiting_tasks += t->ntasks - t->next;
    pthread_mutex_unlock(&p->lock);
}
