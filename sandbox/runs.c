/*
 * runs.c - the records that make live runs findable.  While a run lives,
 * its supervisor keeps <state_dir>/runs/slot<N> (root's, 0600, in a 0700
 * directory): the run's id, slot, its init's host pid and that pid's start
 * time (a pid reused by another process has another start time), the
 * program's host uid, the cgroup directories the run's processes are
 * members of, and its limits.  Written whole to a temporary file and
 * renamed (a reader never sees half of one), removed when the run ends;
 * `judgebox cleanup` removes the record of a slot nobody holds (a server
 * killed with SIGKILL).  A slot runs one run at a time, so one record per
 * slot.  Only a context opened with attach on (sandbox_config.attach, the
 * config's attach.enabled) writes records: with attach off a run costs no
 * file (an inode created, written, renamed and unlinked on /run per run).  attach.c reads them; sandbox_runs_list and sandbox_run_find are
 * the door's view (only records whose init is still the same process).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"

#define RECORD_LIMITS_FORMAT "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 \
                             " %" SCNu64 " %" SCNu64 " %" SCNu64

bool run_id_valid(const char *id)
{
    size_t length = strlen(id);
    if (length == 0 || length >= SANDBOX_RUN_ID_MAX)
        return false;
    return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == length;
}

static void record_path(const char *state_dir, unsigned index, bool temporary, char *path, size_t size)
{
    snprintf(path, size, "%s/runs/%sslot%u%s", state_dir, temporary ? "." : "", index, temporary ? ".tmp" : "");
}

unsigned long long process_start_time(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t got = read(fd, text, sizeof text - 1);
    close(fd);
    if (got <= 0)
        return 0;
    text[got] = '\0';
    /* After the command name's closing parenthesis: field 3 (state) on;
     * starttime is field 22. */
    const char *p = strrchr(text, ')');
    if (!p)
        return 0;
    unsigned long long start = 0;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
               &start) != 1)
        return 0;
    return start;
}

int run_record_write(const sandbox_slot *slot, const sandbox_spec *spec, const sandbox_limits *limits, pid_t init_pid,
                     sandbox_error *error)
{
    if (!slot->context->attach)
        return 0; /* nothing may attach: nothing to find */
    const char *state_dir = slot->context->state_dir;
    char cgroups[RUN_CGROUPS_MAX][PATH_MAX];
    unsigned cgroup_count = cgroup_run_dirs(&slot->cgroups, cgroups, RUN_CGROUPS_MAX);
    unsigned long long start = process_start_time(init_pid);
    if (!start) {
        /* A program done in well under a millisecond (a syntax check) may
         * take its init with it before this line: that run has nothing left
         * to attach to, and it is no error of the run's.  Seen 2 in 2,000
         * HTTP requests as internal_error. */
        if (errno == ENOENT || errno == ESRCH)
            return 0;
        return error_errno(error, "read the start time of the run's init (pid %d)", (int)init_pid);
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char temporary[PATH_MAX + 64], path[PATH_MAX + 64];
    record_path(state_dir, slot->index, true, temporary, sizeof temporary);
    record_path(state_dir, slot->index, false, path, sizeof path);
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return error_errno(error, "create %s", temporary);
    FILE *out = fdopen(fd, "w");
    if (!out) {
        error_errno(error, "fdopen %s", temporary);
        close(fd);
        unlink(temporary);
        return -1;
    }
    char default_id[64];
    snprintf(default_id, sizeof default_id, "slot%u-%d", slot->index, (int)init_pid);
    fprintf(out, "run_id %s\nslot %u\ninit_pid %d\ninit_start %llu\nsupervisor_pid %d\nuid %u\nstarted_ms %" PRIu64 "\n",
            spec->run_id ? spec->run_id : default_id, slot->index, (int)init_pid, start, (int)getpid(),
            (unsigned)slot->host_user_uid, (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000);
    const sandbox_limits *l = limits;
    fprintf(out, "limits %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                 " %" PRIu64 " %" PRIu64 "\n",
            l->cpu_ms, l->wall_ms, l->memory_kb, l->pids, l->output_bytes, l->disk_kb, l->inodes, l->file_size_kb,
            l->open_files, l->stack_kb);
    for (unsigned i = 0; i < cgroup_count; i++)
        fprintf(out, "cgroup %s\n", cgroups[i]);
    bool written = fflush(out) == 0 && !ferror(out);
    int saved = errno;
    if (fclose(out) != 0 && written) {
        written = false;
        saved = errno;
    }
    if (!written || rename(temporary, path) < 0) {
        if (written)
            saved = errno;
        unlink(temporary);
        errno = saved;
        return error_errno(error, "write %s", path);
    }
    return 0;
}

void run_record_remove(const char *state_dir, unsigned index)
{
    char path[PATH_MAX + 64];
    record_path(state_dir, index, false, path, sizeof path);
    unlink(path); /* ENOENT: none was written (the run failed to start) */
}

int run_record_read(const char *state_dir, unsigned index, run_record *record)
{
    memset(record, 0, sizeof *record);
    char path[PATH_MAX + 64];
    record_path(state_dir, index, false, path, sizeof path);
    FILE *in = fopen(path, "re");
    if (!in)
        return -1;
    char line[PATH_MAX + 64];
    unsigned seen = 0;
    bool bad = false;
    sandbox_run_info *info = &record->info;
    while (!bad && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        char *value = strchr(line, ' ');
        if (!value) {
            bad = true;
            break;
        }
        *value++ = '\0';
        int n = 0;
        unsigned u = 0;
        sandbox_limits *l = &record->limits;
        if (strcmp(line, "run_id") == 0 && run_id_valid(value)) {
            snprintf(info->run_id, sizeof info->run_id, "%s", value);
            seen |= 1;
        } else if (strcmp(line, "slot") == 0 && sscanf(value, "%u%n", &u, &n) == 1 && !value[n]) {
            info->slot = (int)u;
            seen |= 2;
        } else if (strcmp(line, "init_pid") == 0 && sscanf(value, "%d%n", &info->init_pid, &n) == 1 && !value[n]) {
            seen |= 4;
        } else if (strcmp(line, "init_start") == 0 && sscanf(value, "%llu%n", &record->init_start, &n) == 1) {
            seen |= 8;
        } else if (strcmp(line, "supervisor_pid") == 0 && sscanf(value, "%d", &info->supervisor_pid) == 1) {
            seen |= 16;
        } else if (strcmp(line, "uid") == 0 && sscanf(value, "%u", &u) == 1) {
            info->uid = (uid_t)u;
            seen |= 32;
        } else if (strcmp(line, "started_ms") == 0 && sscanf(value, "%" SCNu64, &info->started_ms) == 1) {
            seen |= 64;
        } else if (strcmp(line, "limits") == 0 &&
                   sscanf(value, RECORD_LIMITS_FORMAT, &l->cpu_ms, &l->wall_ms, &l->memory_kb, &l->pids,
                          &l->output_bytes, &l->disk_kb, &l->inodes, &l->file_size_kb, &l->open_files,
                          &l->stack_kb) == 10) {
            seen |= 128;
        } else if (strcmp(line, "cgroup") == 0 && value[0] == '/' && record->cgroup_count < RUN_CGROUPS_MAX) {
            snprintf(record->cgroups[record->cgroup_count++], PATH_MAX, "%s", value);
        } else {
            bad = true;
        }
    }
    fclose(in);
    if (bad || seen != 255 || info->init_pid <= 1 || info->slot != (int)index) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

bool run_record_alive(const run_record *record)
{
    return process_start_time(record->info.init_pid) == record->init_start;
}

int sandbox_runs_list(const sandbox_config *config, sandbox_run_info **runs, size_t *count, sandbox_error *error)
{
    *runs = NULL;
    *count = 0;
    const char *state_dir = config_state_dir(config);
    unsigned max_slots = config_max_slots(config);
    run_record *record = malloc(sizeof *record);
    sandbox_run_info *list = calloc(max_slots, sizeof *list);
    if (!record || !list) {
        free(record);
        free(list);
        return error_set(error, ENOMEM, "allocate the list of runs");
    }
    size_t n = 0;
    for (unsigned i = 0; i < max_slots; i++)
        if (run_record_read(state_dir, i, record) == 0 && run_record_alive(record))
            list[n++] = record->info;
    free(record);
    *runs = list;
    *count = n;
    return 0;
}

int sandbox_run_find(const sandbox_config *config, const char *run_id, int slot, sandbox_run_info *run,
                     sandbox_error *error)
{
    const char *state_dir = config_state_dir(config);
    unsigned max_slots = config_max_slots(config);
    if (run_id && !run_id_valid(run_id))
        return error_set(error, EINVAL, "'%s' is not a run id (1 to %d of A-Z a-z 0-9 . _ : -)", run_id,
                         SANDBOX_RUN_ID_MAX - 1);
    if (!run_id && (slot < 0 || (unsigned)slot >= max_slots))
        return error_set(error, EINVAL, "slot %d is out of range (0..%u)", slot, max_slots - 1);
    run_record *record = malloc(sizeof *record);
    if (!record)
        return error_set(error, ENOMEM, "allocate a run record");
    unsigned first = run_id ? 0 : (unsigned)slot, last = run_id ? max_slots - 1 : (unsigned)slot;
    int rc = -1;
    for (unsigned i = first; i <= last && rc < 0; i++) {
        if (run_record_read(state_dir, i, record) < 0 || !run_record_alive(record))
            continue;
        if (!run_id || strcmp(record->info.run_id, run_id) == 0) {
            *run = record->info;
            rc = 0;
        }
    }
    free(record);
    if (rc < 0) {
        if (run_id)
            return error_set(error, ESRCH, "no live run has the id '%s' (judgebox attach --list shows them)", run_id);
        return error_set(error, ESRCH, "no run is alive in slot %d", slot);
    }
    return 0;
}
