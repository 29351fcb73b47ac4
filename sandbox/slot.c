/*
 * slot.c - per-slot resources, made once and reused by every run of the
 * slot: a file lock (one holder per slot across processes), a host uid
 * pair unique to the slot, the slot's cgroups, an empty net namespace kept
 * alive by a bind mount under the state directory, and the runner thread.
 * The runner thread lives in the slot's net namespace and (cgroup v1) in
 * its cgroups, so the runs it clones start there without migrating; the
 * callers' own threads are never moved anywhere.
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
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

void slot_state_path(const char *state_dir, unsigned index, const char *suffix, char *path, size_t size)
{
    snprintf(path, size, "%s/slots/%u.%s", state_dir, index, suffix);
}

int slot_lock(const char *state_dir, unsigned max_slots, int wanted, int *lock_fd, unsigned *index)
{
    unsigned first = wanted < 0 ? 0 : (unsigned)wanted, last = wanted < 0 ? max_slots - 1 : (unsigned)wanted;
    for (unsigned i = first; i <= last && i < max_slots; i++) {
        char path[PATH_MAX + 64];
        slot_state_path(state_dir, i, "lock", path, sizeof path);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        if ((wanted >= 0 ? keeper_lock_slot(state_dir, i, fd) : flock(fd, LOCK_EX | LOCK_NB)) == 0) {
            *lock_fd = fd;
            *index = i;
            return 0;
        }
        int saved = errno;
        close(fd);
        errno = saved;
        if (errno != EWOULDBLOCK)
            return -1;
    }
    errno = EWOULDBLOCK;
    return -1;
}

static int join_net_namespace(sandbox_slot *slot, sandbox_error *error);

static bool is_namespace_file(int fd)
{
    struct statfs fs;
    return fstatfs(fd, &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

/* In the runner thread: join the slot's net namespace, making it first;
 * keep both it and the one it came from (networked runs go between them). */
static int enter_net_namespace(sandbox_slot *slot, sandbox_error *error)
{
    slot->host_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (slot->host_netns_fd < 0)
        return error_errno(error, "open the host's net namespace");
    if (join_net_namespace(slot, error) < 0)
        return -1;
    slot->slot_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (slot->slot_netns_fd < 0)
        return error_errno(error, "open the net namespace of slot %u", slot->index);
    return 0;
}

static int join_net_namespace(sandbox_slot *slot, sandbox_error *error)
{
    int fd = open(slot->netns_path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && is_namespace_file(fd)) {
        int rc = setns(fd, CLONE_NEWNET);
        close(fd);
        if (rc < 0)
            return error_errno(error, "setns %s", slot->netns_path);
        return 0;
    }
    if (fd >= 0)
        close(fd);
    fd = open(slot->netns_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return error_errno(error, "create %s", slot->netns_path);
    close(fd);
    if (unshare(CLONE_NEWNET) < 0)
        return error_errno(error, "unshare a net namespace for slot %u", slot->index);
    if (mount("/proc/thread-self/ns/net", slot->netns_path, NULL, MS_BIND, NULL) < 0)
        return error_errno(error, "bind the net namespace on %s", slot->netns_path);
    return 0;
}

static int prepare_runner_thread(sandbox_slot *slot, sandbox_error *error)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    /* Per-thread credentials: runs must not inherit root's groups. */
    if (syscall(SYS_setgroups, 0, NULL) < 0)
        return error_errno(error, "setgroups for slot %u", slot->index);
    if (enter_net_namespace(slot, error) < 0 || cgroup_slot_join_thread(&slot->cgroups, error) < 0)
        return -1;
    return 0;
}

static void *runner_main(void *argument)
{
    sandbox_slot *slot = argument;
    int rc = prepare_runner_thread(slot, &slot->start_error);
    pthread_mutex_lock(&slot->mutex);
    slot->state = rc < 0 ? RUNNER_QUIT : RUNNER_IDLE;
    pthread_cond_broadcast(&slot->cond);
    while (rc == 0) {
        while (slot->state != RUNNER_BUSY && slot->state != RUNNER_QUIT)
            pthread_cond_wait(&slot->cond, &slot->mutex);
        if (slot->state == RUNNER_QUIT)
            break;
        pthread_mutex_unlock(&slot->mutex);
        const sandbox_spec *spec = slot->job_spec;
        int job_rc = 0;
        if (spec)
            job_rc = run_in_slot(slot, spec, slot->job_result, slot->job_error);
        else
            run_discard_prepared(slot); /* slot_discard_prepared */
        pthread_mutex_lock(&slot->mutex);
        slot->job_rc = job_rc;
        slot->state = RUNNER_DONE;
        pthread_cond_broadcast(&slot->cond);
        /* Once the caller has the result, build the next run's sandbox
         * while the slot waits (not when the slot's helper runs its specs:
         * the two would share the slot's cgroups). */
        while (slot->state == RUNNER_DONE)
            pthread_cond_wait(&slot->cond, &slot->mutex);
        bool prepare = spec && slot->helper_fd < 0 && slot->state == RUNNER_IDLE;
        pthread_mutex_unlock(&slot->mutex);
        if (prepare)
            run_prepare_ahead(slot); /* (which first unmounts what the last run left) */
        else
            run_release_finished(slot);
        pthread_mutex_lock(&slot->mutex);
    }
    pthread_mutex_unlock(&slot->mutex);
    run_discard_prepared(slot);
    return NULL;
}

static int start_runner(sandbox_slot *slot, sandbox_error *error)
{
    pthread_mutex_init(&slot->mutex, NULL);
    pthread_cond_init(&slot->cond, NULL);
    slot->state = RUNNER_STARTING;
    int rc = pthread_create(&slot->runner, NULL, runner_main, slot);
    if (rc != 0)
        return error_set(error, rc, "start the runner thread of slot %u", slot->index);
    slot->runner_started = true;
    pthread_mutex_lock(&slot->mutex);
    while (slot->state == RUNNER_STARTING)
        pthread_cond_wait(&slot->cond, &slot->mutex);
    bool failed = slot->state == RUNNER_QUIT;
    pthread_mutex_unlock(&slot->mutex);
    if (failed) {
        *error = slot->start_error;
        return -1;
    }
    return 0;
}

/* What a slot is called and which host uids it maps: the same wherever it runs. */
static void name_slot(sandbox_context *context, unsigned index, sandbox_slot *slot)
{
    slot->context = context;
    slot->index = index;
    slot->host_root_uid = context->uid_base + 2 * index;
    slot->host_user_uid = context->uid_base + 2 * index + 1;
    snprintf(slot->netns_path, sizeof slot->netns_path, "%.*s/netns/slot%u", PATH_MAX - 32, context->state_dir,
             index);
}

static int open_slot(sandbox_context *context, unsigned index, sandbox_slot *slot, sandbox_error *error)
{
    name_slot(context, index, slot);
    if (cgroup_slot_open(&context->cgroups, index, &slot->cgroups, error) < 0)
        return error_wrap(error, "slot %u", index);
    return start_runner(slot, error);
}

/* A slot with every descriptor "none", or NULL (out of memory). */
static sandbox_slot *slot_new(void)
{
    sandbox_slot *slot = calloc(1, sizeof *slot);
    if (!slot)
        return NULL;
    slot->lock_fd = slot->helper_fd = slot->finished_mount_ns_fd = -1;
    slot->host_netns_fd = slot->slot_netns_fd = -1;
    slot->prepared = (prepared_run){.go_fd = -1, .status_fd = -1, .out_fd = -1, .err_fd = -1, .mount_ns_fd = -1};
    return slot;
}

/* A slot run by the calling thread itself, which joins the slot's net
 * namespace and cgroups as a runner thread would: for a process that only
 * runs this slot's specs (a helper), one thread hop less per run. */
int slot_open_here(sandbox_context *context, unsigned index, sandbox_slot **out, sandbox_error *error)
{
    *out = NULL;
    sandbox_slot *slot = slot_new();
    if (!slot)
        return error_set(error, ENOMEM, "allocate a slot");
    name_slot(context, index, slot);
    if (cgroup_slot_open(&context->cgroups, index, &slot->cgroups, error) < 0 ||
        prepare_runner_thread(slot, error) < 0) {
        error_wrap(error, "slot %u", index);
        sandbox_slot_release(slot);
        return -1;
    }
    *out = slot;
    return 0;
}

int slot_open_unlocked(sandbox_context *context, unsigned index, sandbox_slot **out, sandbox_error *error)
{
    *out = NULL;
    sandbox_slot *slot = slot_new();
    if (!slot)
        return error_set(error, ENOMEM, "allocate a slot");
    if (open_slot(context, index, slot, error) < 0) {
        sandbox_slot_release(slot);
        return -1;
    }
    *out = slot;
    return 0;
}

int sandbox_slot_acquire(sandbox_context *context, int index, sandbox_slot **out, sandbox_error *error)
{
    *out = NULL;
    if (index >= (int)context->max_slots)
        return error_set(error, EINVAL, "slot %d is out of range (0..%u)", index, context->max_slots - 1);
    int lock_fd;
    unsigned chosen;
    if (slot_lock(context->state_dir, context->max_slots, index, &lock_fd, &chosen) < 0) {
        if (index < 0 && errno == EWOULDBLOCK)
            return error_set(error, EBUSY, "all %u slots are busy", context->max_slots);
        char path[PATH_MAX + 64];
        slot_state_path(context->state_dir, index < 0 ? 0 : (unsigned)index, "lock", path, sizeof path);
        return error_errno(error, "lock %s", index < 0 ? context->state_dir : path);
    }
    /* A keeper idling in the slot's cgroups would count in our runs' pids
     * and memory, and the sandbox it prepared holds the slot's run cgroup:
     * it leaves (no-op when there is none). */
    keeper_stop(context->state_dir, chosen);
    if (slot_open_unlocked(context, chosen, out, error) < 0) {
        close(lock_fd);
        return -1;
    }
    (*out)->lock_fd = lock_fd;
    helper_attach(*out);
    return 0;
}

void sandbox_slot_release(sandbox_slot *slot)
{
    if (!slot)
        return;
    helper_detach(slot);
    if (slot->runner_started) {
        pthread_mutex_lock(&slot->mutex);
        slot->state = RUNNER_QUIT;
        pthread_cond_broadcast(&slot->cond);
        pthread_mutex_unlock(&slot->mutex);
        pthread_join(slot->runner, NULL);
        pthread_mutex_destroy(&slot->mutex);
        pthread_cond_destroy(&slot->cond);
    }
    cgroup_slot_close(&slot->cgroups);
    if (slot->host_netns_fd >= 0)
        close(slot->host_netns_fd);
    if (slot->slot_netns_fd >= 0)
        close(slot->slot_netns_fd);
    if (slot->lock_fd >= 0)
        close(slot->lock_fd);
    free(slot);
}

/* Under slot->mutex, the runner idle: have it run `spec` (NULL: discard
 * the prepared run) and wait until it is done; its rc. */
static int hand_to_runner(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result,
                          sandbox_error *error)
{
    slot->job_spec = spec;
    slot->job_result = result;
    slot->job_error = error;
    slot->state = RUNNER_BUSY;
    pthread_cond_broadcast(&slot->cond);
    while (slot->state != RUNNER_DONE)
        pthread_cond_wait(&slot->cond, &slot->mutex);
    slot->state = RUNNER_IDLE;
    pthread_cond_broadcast(&slot->cond); /* the runner may prepare the next run now */
    return slot->job_rc;
}

void slot_discard_prepared(sandbox_slot *slot)
{
    if (!slot->runner_started) {
        run_discard_prepared(slot);
        return;
    }
    pthread_mutex_lock(&slot->mutex);
    while (slot->state == RUNNER_BUSY || slot->state == RUNNER_DONE || slot->state == RUNNER_AWAY)
        pthread_cond_wait(&slot->cond, &slot->mutex);
    if (slot->state == RUNNER_IDLE)
        hand_to_runner(slot, NULL, NULL, NULL);
    pthread_mutex_unlock(&slot->mutex);
}

int sandbox_slot_index(const sandbox_slot *slot)
{
    return (int)slot->index;
}

int sandbox_run(sandbox_slot *slot, const sandbox_spec *spec, sandbox_result *result, sandbox_error *error)
{
    pthread_mutex_lock(&slot->mutex);
    if (slot->state != RUNNER_IDLE) {
        pthread_mutex_unlock(&slot->mutex);
        memset(result, 0, sizeof *result);
        result->status = SANDBOX_INTERNAL_ERROR;
        return error_set(error, EBUSY, "slot %u is not idle", slot->index);
    }
    /* A spec the helper does not take runs on this process's runner
     * thread: the helper first ends the sandbox it prepared in the slot. */
    if (slot->helper_fd >= 0 && !helper_takes(slot, spec))
        helper_discard_prepared(slot);
    if (helper_takes(slot, spec)) {
        slot->state = RUNNER_AWAY;
        pthread_mutex_unlock(&slot->mutex);
        bool ran;
        int rc = helper_run(slot, spec, result, error, &ran);
        pthread_mutex_lock(&slot->mutex);
        slot->state = RUNNER_IDLE;
        pthread_cond_broadcast(&slot->cond);
        if (ran) {
            pthread_mutex_unlock(&slot->mutex);
            return rc;
        }
    }
    int rc = hand_to_runner(slot, spec, result, error);
    pthread_mutex_unlock(&slot->mutex);
    return rc;
}
