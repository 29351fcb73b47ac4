/*
 * test_runs.c - the live runs' records (sandbox/runs.c): run id syntax,
 * reading a record back, a record whose pid was reused (another start
 * time) or is malformed never naming a run, and the door's list and find
 * over a state directory of hand-written records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

static char state[64];

static void write_record(unsigned slot, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/runs/slot%u", state, slot);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void write_run(unsigned slot, const char *id, int pid, unsigned long long start)
{
    char text[1024];
    snprintf(text, sizeof text,
             "run_id %s\nslot %u\ninit_pid %d\ninit_start %llu\nsupervisor_pid %d\nuid 3000001\n"
             "started_ms 1795933134126\nlimits 2000 5000 262144 64 1048576 65536 16384 65536 256 "
             "18446744073709551615\ncgroup /sys/fs/cgroup/pids/judgebox/slot%u\n",
             id, slot, pid, start, pid, slot);
    write_record(slot, text);
}

int main(void)
{
    CHECK("run id: letters, digits, . _ : - are fine", run_id_valid("3f9c2a1b_x.y:z-0"));
    CHECK("run id: empty is not", !run_id_valid(""));
    CHECK("run id: a slash is not", !run_id_valid("a/b"));
    CHECK("run id: a space is not", !run_id_valid("a b"));
    char longest[SANDBOX_RUN_ID_MAX + 1];
    memset(longest, 'a', sizeof longest);
    longest[SANDBOX_RUN_ID_MAX - 1] = '\0';
    CHECK("run id: 127 characters are fine", run_id_valid(longest));
    longest[SANDBOX_RUN_ID_MAX - 1] = 'a';
    longest[SANDBOX_RUN_ID_MAX] = '\0';
    CHECK("run id: 128 are too many", !run_id_valid(longest));

    unsigned long long mine = process_start_time(getpid());
    CHECK("start time of this process is known", mine > 0);
    CHECK("start time of no process is 0", process_start_time(0) == 0 && process_start_time(-1) == 0);

    snprintf(state, sizeof state, "/tmp/judgebox-runs-test.XXXXXX");
    if (!mkdtemp(state)) {
        printf("FAIL mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    char runs[128];
    snprintf(runs, sizeof runs, "%s/runs", state);
    mkdir(runs, 0700);
    sandbox_config config = {.state_dir = state, .max_slots = 8};

    write_run(3, "live-0", (int)getpid(), mine);
    run_record record;
    CHECK("a record reads back", run_record_read(state, 3, &record) == 0);
    CHECK("its fields", strcmp(record.info.run_id, "live-0") == 0 && record.info.slot == 3 &&
                            record.info.init_pid == getpid() && record.info.uid == 3000001 &&
                            record.limits.cpu_ms == 2000 && record.limits.stack_kb == UINT64_MAX &&
                            record.cgroup_count == 1 &&
                            strcmp(record.cgroups[0], "/sys/fs/cgroup/pids/judgebox/slot3") == 0);
    CHECK("its init is alive", run_record_alive(&record));

    write_run(4, "reused-0", (int)getpid(), mine + 1);  /* the pid now belongs to another process */
    write_run(5, "gone-0", 999999999, mine);
    write_record(6, "run_id bad\nslot 6\n");                                   /* fields missing */
    write_run(7, "elsewhere-0", (int)getpid(), mine);
    char path[256], moved[256];
    snprintf(path, sizeof path, "%s/runs/slot7", state);
    snprintf(moved, sizeof moved, "%s/runs/slot2", state);
    rename(path, moved);                                                     /* says slot 7, lies in slot2 */
    write_record(1, "garbage without structure\n");

    errno = 0;
    CHECK("a record with fields missing is malformed", run_record_read(state, 6, &record) < 0 && errno == EINVAL);
    CHECK("a record under another slot's name is malformed", run_record_read(state, 2, &record) < 0);
    CHECK("garbage is malformed", run_record_read(state, 1, &record) < 0);
    CHECK("no record: ENOENT", run_record_read(state, 0, &record) < 0 && errno == ENOENT);
    CHECK("a reused pid is not the run", run_record_read(state, 4, &record) == 0 && !run_record_alive(&record));

    sandbox_run_info *list = NULL;
    size_t count = 99;
    sandbox_error error = {0};
    CHECK("list: succeeds", sandbox_runs_list(&config, &list, &count, &error) == 0);
    CHECK("list: only the live run", count == 1 && list && strcmp(list[0].run_id, "live-0") == 0);
    free(list);

    sandbox_run_info run;
    CHECK("find by id", sandbox_run_find(&config, "live-0", -1, &run, &error) == 0 && run.slot == 3);
    CHECK("find by slot", sandbox_run_find(&config, NULL, 3, &run, &error) == 0 &&
                              strcmp(run.run_id, "live-0") == 0);
    CHECK("find: a reused pid's run is not found (ESRCH)",
          sandbox_run_find(&config, "reused-0", -1, &run, &error) < 0 && error.errno_value == ESRCH);
    CHECK("find: a dead run's slot has none", sandbox_run_find(&config, NULL, 5, &run, &error) < 0);
    CHECK("find: a malformed id is refused (EINVAL)",
          sandbox_run_find(&config, "../x", -1, &run, &error) < 0 && error.errno_value == EINVAL);
    CHECK("find: a slot out of range is refused",
          sandbox_run_find(&config, NULL, 8, &run, &error) < 0 && error.errno_value == EINVAL);

    for (unsigned i = 0; i < 8; i++)
        run_record_remove(state, i);
    CHECK("records removed", sandbox_runs_list(&config, &list, &count, &error) == 0 && count == 0);
    free(list);
    rmdir(runs);
    rmdir(state);
    UNIT_EXIT();
}
