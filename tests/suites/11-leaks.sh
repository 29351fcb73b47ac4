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
# The slot's keeper builds the next run's sandbox ahead (run.c, a prepared
# run): at most one init of the slot's root uid, a child of the keeper (a
# root judgebox process), with no program (no child) yet.
prepared_inits() {
    ps -eo pid=,ppid=,uid= | awk -v uid=$((3000000 + 2 * 63)) '$3 == uid { print $1, $2 }' | while read -r pid ppid; do
        [ "$(ps -o uid=,comm= -p "$ppid" | tr -s ' ' | sed 's/^ //')" = "0 judgebox" ] &&
            [ -z "$(ps --ppid "$pid" -o pid=)" ] && echo "$pid"
    done | wc -l
}
procs_after=$(sandbox_processes); prepared_after=$(prepared_inits)
check "200 runs leave no process but the next run's prepared init ($procs_after of the slot's uids, $prepared_after prepared)" \
    [ "$procs_after" -le $((procs_before + 1)) -a "$procs_after" -le "$((procs_before + prepared_after))" ]
check "200 runs leave no run mount on the host" [ "$(run_mounts)" -eq 0 ]
check "200 runs leave no cgroup ($cgroups_before before, $(slot_own_cgroups) after)" [ "$(slot_own_cgroups)" -eq "$cgroups_before" ]
check "200 runs leave at most the one reused run cgroup ($(run_cgroups))" [ "$(run_cgroups)" -le 1 ]
check "the scratch tmpfs is never mounted on the host" [ "$(scratch_mounted)" -eq 0 ]

"$JUDGEBOX" cleanup 2>"$ERR"
check "cleanup succeeds" [ $? -eq 0 ]
check "cleanup removes the idle slot's net namespace" [ "$(grep -c ' /run/judgebox/netns/slot63 ' /proc/self/mountinfo)" -eq 0 ]
check "cleanup removes the idle slot's cgroups" [ "$(slot_cgroups)" -eq 0 ]
check "cleanup removes the idle slot's cpuset (--pin-cpus)" [ ! -d /sys/fs/cgroup/cpuset/judgebox/slot63 ]
# The cpuset parent too, unless another judgebox (a server beside this suite) still has a slot in it.
if [ -z "$(ls -d /sys/fs/cgroup/cpuset/judgebox/slot* 2>/dev/null)" ]; then
    check "cleanup removes the judgebox cpuset parent once no slot is left in it" [ ! -d /sys/fs/cgroup/cpuset/judgebox ]
fi
check "cleanup leaves no process of the slot's uids (the keeper's prepared init ends with it)" [ "$(sandbox_processes)" -eq 0 ]

# The sanitizer build through the same paths: any report fails.
JUDGEBOX=${BUILD:-build}/judgebox-san   # the build tests/lib.sh took judgebox from
for args in "-- /bin/true" "--memory-kb 32768 -- /t/probe memory 100" "--output-bytes 5000 -- /t/probe flood" \
            "--cpu-ms 50 -- /t/probe spin" "-- /t/probe kexec" "--wall-ms 100 -- /t/probe sleep 1000" "--bogus"; do
    sb $args
    check "ASan/UBSan clean: judgebox run $args" sh -c "! grep -q -e 'AddressSanitizer' -e 'runtime error:' -e 'LeakSanitizer' '$ERR'"
done
sb -- /bin/true
check "the sanitizer build works" is status ok

# Workspaces (per-request tmpfs mounts, <run dir>/workspaces/<pid>-<start>-<n>)
# of a server killed with SIGKILL are reclaimed by the next context that opens
# the run dir (a restarted server, cleanup); a live process's are left alone,
# and a pid that was reused by another process does not keep a dead one's.
rd=$TMPD/run; mkdir -p "$rd/workspaces"; chmod 0755 "$TMPD"
start_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }   # field 22
sleep 0 & gone=$!; gone_start=$(start_of $gone 2>/dev/null || echo 1); wait $gone
sleep 120 & live=$!; live_start=$(start_of $live)
for name in "$gone-$gone_start-1" "$gone-7" "$live-$live_start-1" "$$-1-1"; do   # $$ alive, but it did not start at tick 1
    mkdir "$rd/workspaces/$name" && mount -t tmpfs -o size=64k judgebox-test-ws "$rd/workspaces/$name"
done
ws_mounted() { grep -c " $rd/workspaces/$1 " /proc/self/mountinfo; }
"$JUDGEBOX" cleanup --run-dir "$rd" --cgroup-parent judgebox-leaks-$$ 2>"$ERR"
check "cleanup reclaims a dead process's workspace (mount and folder)" \
    sh -c "[ $(ws_mounted "$gone-$gone_start-1") -eq 0 ] && [ ! -e '$rd/workspaces/$gone-$gone_start-1' ]"
check "cleanup reclaims a dead process's workspace of an older build (<pid>-<n>)" \
    sh -c "[ $(ws_mounted "$gone-7") -eq 0 ] && [ ! -e '$rd/workspaces/$gone-7' ]"
check "cleanup reclaims a workspace whose pid now belongs to another process" \
    sh -c "[ $(ws_mounted "$$-1-1") -eq 0 ] && [ ! -e '$rd/workspaces/$$-1-1' ]"
check "cleanup leaves a live process's workspace alone" [ "$(ws_mounted "$live-$live_start-1")" -eq 1 ]
kill $live; wait $live 2>/dev/null
umount "$rd/workspaces/$live-$live_start-1"
for name in "$gone-$gone_start-1" "$gone-7" "$$-1-1"; do umount "$rd/workspaces/$name" 2>/dev/null; done
check "no test workspace mount is left" [ "$(grep -c " $rd/workspaces/" /proc/self/mountinfo)" -eq 0 ]

# A server's runs are cloned by small helper processes (sandbox/helper.c): a
# zygote forked at start and one helper per slot.  They die with the server,
# even killed with SIGKILL, and hold nothing that cleanup cannot remove.
IMAGES=${JUDGEBOX_IMAGES:-/var/lib/judgebox/images}
descendants() { # pid: every live descendant's pid
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$c"; descendants "$c"; done
}
srv_cgroups() { find /sys/fs/cgroup -path "*/judgebox-leaks-srv-$$*" -type d 2>/dev/null | wc -l; }
start_server() { # log: starts a one-slot server on a run dir of its own; sets SRV, PORT
    "$JUDGEBOX" serve --langs langs --images "$IMAGES" --listen 127.0.0.1:0 --slots 1 --interactive-slots 0 \
        --run-dir "$TMPD/srv-run" --state-dir "$TMPD/srv-state" --cgroup-parent "judgebox-leaks-srv-$$" \
        --uid-base 3700000 >"$1" 2>&1 &
    SRV=$! PORT=
    for _ in $(seq 600); do
        PORT=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$1" | head -1)
        [ -n "$PORT" ] || ! kill -0 $SRV 2>/dev/null && break
        sleep 0.1
    done
}
all_gone() { for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
wait_gone() { for _ in $(seq 300); do all_gone "$@" && return 0; sleep 0.1; done; return 1; }
if [ -x "$IMAGES/default/rootfs/bin/bash" ] && command -v curl >/dev/null; then
    for how in TERM KILL; do
        start_server "$TMPD/srv.log"
        curl -s -m 120 -d '{"language":"bash","source":"echo hi"}' "http://127.0.0.1:$PORT/v1/run" >"$OUT"
        check "server ($how): a run through the slot's helper works" grep -q '"stdout":"hi\\n"' "$OUT"
        tree=$(descendants $SRV)
        check "server ($how): a zygote and a helper run beside it ($(echo $tree | wc -w) processes)" \
            [ "$(echo $tree | wc -w)" -ge 2 ]
        kill -$how $SRV; wait $SRV 2>/dev/null
        check "server ($how): its zygote and helpers die with it" wait_gone $tree
        "$JUDGEBOX" cleanup --run-dir "$TMPD/srv-run" --cgroup-parent "judgebox-leaks-srv-$$" 2>"$ERR"
        check "server ($how): cleanup then removes every cgroup of its slot" [ "$(srv_cgroups)" -eq 0 ]
        check "server ($how): no mount of its run dir is left" [ "$(grep -c " $TMPD/srv-run/" /proc/self/mountinfo)" -eq 0 ]
    done
else
    echo "PASS server helpers: skipped (no default image at $IMAGES or no curl)"
fi
