/*
 * queue.h - the worker pool and its bounded queue.  One worker thread per
 * sandbox slot holds a per-worker resource (its slot) for its whole life.
 * A request is admitted with a ticket (or refused when the queue is full),
 * then runs batches of tasks through the pool: a batch's tasks are handed
 * to whichever workers are free, so one request's tests spread over slots.
 * Tickets with waiting tasks take turns (round-robin, one task per turn,
 * by client group when tickets have one), so one request with many tests,
 * or one client with many requests, cannot hold every slot while others
 * wait.
 * The pool knows nothing about sandboxes: the resource and the task are
 * opaque pointers, which keeps it testable alone.
 */
#ifndef JUDGEBOX_QUEUE_H
#define JUDGEBOX_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct pool pool;
typedef struct pool_ticket pool_ticket;

/* Runs in the worker thread when it starts / ends.  init returns 0 or -1
 * with a message. */
typedef int (*pool_worker_init_fn)(void *ctx, unsigned index, void **resource,
                                   char *error, size_t error_size);
typedef void (*pool_worker_fini_fn)(void *ctx, void *resource);
/* One task: index within its batch, run by a worker with its resource. */
typedef void (*pool_task_fn)(void *arg, size_t index, void *resource);

/* Start `workers` threads and wait until every one has its resource; on any
 * failure stop them all and return -1 with the first error.  At most
 * max_outstanding tickets exist at once (0: no cap besides the queue). */
int pool_create(unsigned workers, unsigned queue_max, unsigned max_outstanding,
                pool_worker_init_fn init,
                pool_worker_fini_fn fini, void *ctx, pool **out, char *error, size_t error_size);
/* Stop the workers (after their current task) and free the pool.  No
 * ticket may be outstanding. */
void pool_destroy(pool *p);

/* Admit one request; NULL with errno EAGAIN when the queue is full (or
 * max_outstanding tickets exist), or ENOMEM. */
pool_ticket *pool_admit(pool *p);
/* Run tasks 0..ntasks-1 of a batch and wait for them.  When abort_fd >= 0
 * and reports hang-up (POLLHUP/POLLERR: a client went away; POLLRDHUP too,
 * unless the ticket's probe says the client only half-closed), the tasks
 * not yet started are dropped; the call still waits for the ones running.
 * Returns 0 when every task ran, 1 when aborted (or pool_cancel_all); it
 * cannot fail (when poll itself fails, the batch is aborted as for a
 * hang-up). */
int pool_run(pool_ticket *t, size_t ntasks, pool_task_fn fn, void *arg, int abort_fd);
/* Milliseconds from admission to the first task of this ticket starting
 * (so far, if none has started). */
uint64_t pool_ticket_queue_ms(const pool_ticket *t);
/* Readable once the ticket's client went away: give it to sandbox runs
 * (spec.cancel_fd) so the running ones stop too. */
int pool_ticket_cancel_fd(const pool_ticket *t);
/* Told by POLLRDHUP on the abort fd that the peer shut its sending side,
 * pool_run calls probe(cls): 1 means gone (abort), 0 means the client only
 * half-closed and still reads (keep going; only HUP/ERR abort from then). */
void pool_ticket_set_probe(pool_ticket *t, int (*probe)(void *cls), void *cls);
/* Put the ticket in its client's group (`key`: a token's name, an
 * address) before its first batch: a group's tickets share one turn, so
 * a client sending many requests gets no more of the slots than one
 * sending a few.  NULL or "": the ticket is a group of its own (the
 * default).  0, or -1 (ENOMEM; EBUSY once a batch was submitted). */
int pool_ticket_set_group(pool_ticket *t, const char *key);
/* Shutdown past its drain time: every outstanding ticket's batch ends now
 * (unstarted tasks dropped, running ones told through their cancel fd) and
 * every later pool_run returns 1 at once. */
void pool_cancel_all(pool *p);
/* The request is done with the pool. */
void pool_leave(pool_ticket *t);

typedef struct pool_stats {
    unsigned workers, busy, queued, queue_max;
    uint64_t waiting_tasks;       /* submitted, not yet started */
    uint64_t admitted, rejected, tasks_run;
} pool_stats;
void pool_get_stats(pool *p, pool_stats *out);

#endif
