#!/bin/sh
# tests/suites/11-leaks.sh - nothing of a run survives it: after 200 runs
# (ok, killed, crashed, flooding, forking) no process, mount, tmpfs or
# cgroup of ours is left beyond the reused per-slot resources, and
# `judgebox cleanup` removes those too.  Also runs the ASan/UBSan build of
# judgebox through the same kinds of runs.
. tests/lib.sh

# Per-run mounts have sources judgebox-root, -scratch, -box, -dev, -shm (-shm: older builds) (a
# server's judgebox-workspace mounts are per request, not per run).
run_mounts() { grep -c -E ' judgebox-(root|scratch|box|dev|shm) ' /proc/self/mountinfo; }
slot_cgroups() { find /sys/fs/cgroup -path '*/judgebox/slot63*' -type d 2>/dev/null | wc -l; }
# The slot's own cgroups, without the one reused child that holds runs (v1 memory: slot63/run).
slot_own_cgroups() { find /sys/fs/cgroup -path '*/judgebox/slot63*' -type d ! -name run 2>/dev/null | wc -l; }
run_cgroups() { find /sys/fs/cgroup -path '*/judgebox/slot63/*' -type d 2>/dev/null | wc -l; }
scratch_mounted() { grep -c " /run/judgebox/scratch " /proc/self/mountinfo; }

# Slot 63: servers take the low slots, so a server running alongside does not disturb this.
SB_SLOT=63; SANDBOX_SLOT=63
sb -- /bin/true   # make slot 63's reusable resources before counting
sb --pin-cpus -- /bin/true   # and its cpuset (--pin-cpus), which cleanup must remove too
cgroups_before=$(slot_own_cgroups); procs_before=$(sandbox_processes)
i=0
while [ $i -lt 200 ]; do
    case $((i % 5)) in
        0) if [ $((i % 10)) = 0 ]; then sb --pin-cpus -- /bin/true; else sb -- /bin/true; fi ;;
        1) sb --cpu-ms 20 -- /t/probe spin ;;
        2) sb --output-bytes 1000 -- /t/probe flood ;;
        3) sb --pids 8 -- /t/probe forkbomb 50 ;;
        4) sb -- /t/probe daemon /tmp/d ;;
    esac
    i=$((i + 1))
done
check "200 runs leave no process" [ "$(sandbox_processes)" -le "$procs_before" ]
check "200 runs leave no run mount on the host" [ "$(run_mounts)" -eq 0 ]
check "200 runs leave no cgroup ($cgroups_before before, $(slot_own_cgroups) after)" [ "$(slot_own_cgroups)" -eq "$cgroups_before" ]
check "200 runs leave at most the one reused run cgroup ($(run_cgroups))" [ "$(run_cgroups)" -le 1 ]
check "the scratch tmpfs is never mounted on the host" [ "$(scratch_mounted)" -eq 0 ]

"$JUDGEBOX" cleanup 2>"$ERR"
check "cleanup succeeds" [ $? -eq 0 ]
check "cleanup removes the idle slot's net namespace" [ "$(grep -c ' /run/judgebox/netns/slot63 ' /proc/self/mountinfo)" -eq 0 ]
check "cleanup removes the idle slot's cgroups" [ "$(slot_cgroups)" -eq 0 ]
check "cleanup removes the idle slot's cpuset (--pin-cpus)" [ ! -d /sys/fs/cgroup/cpuset/judgebox/slot63 ]

# The sanitizer build through the same paths: any report fails.
JUDGEBOX=${BUILD:-build}/judgebox-san   # the build tests/lib.sh took judgebox from
for args in "-- /bin/true" "--memory-kb 32768 -- /t/probe memory 100" "--output-bytes 5000 -- /t/probe flood" \
            "--cpu-ms 50 -- /t/probe spin" "-- /t/probe kexec" "--wall-ms 100 -- /t/probe sleep 1000" "--bogus"; do
    sb $args
    check "ASan/UBSan clean: judgebox run $args" sh -c "! grep -q -e 'AddressSanitizer' -e 'runtime error:' -e 'LeakSanitizer' '$ERR'"
done
sb -- /bin/true
check "the sanitizer build works" is status ok
