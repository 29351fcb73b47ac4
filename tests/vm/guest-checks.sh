#!/bin/sh
# tests/vm/guest-checks.sh LAYOUT - cgroup v2 checks of `judgebox run`, run
# in the test VM (tests/vm/guest-run.sh) from the repo root, one PASS/FAIL
# line per check.  LAYOUT names where this script was started:
#   root     in the root cgroup: the core must use /sys/fs/cgroup/judgebox/
#   session  in a session scope shared with other processes (not delegated):
#            the core must fall back to /sys/fs/cgroup/judgebox/
# Checks: the run's cgroup and the limits written there (memory.max,
# memory.swap.max, pids.max), memory limit and peak (fresh per run: on 6.1
# memory.peak cannot be reset), pids limit, CPU-time kill and accounting
# summed over processes, wall-time kill, nothing surviving a run, and
# `judgebox cleanup` leaving no cgroup behind.  Timing under TCG is 10-25x
# slower than native, so limits and tolerances are loose where timing matters.
# Also `judgebox attach` into a live run (its v2 cgroup and namespaces).
# Needs build/judgebox and build/testroot with /t/payload (mk/vm.mk).
set -u
LAYOUT=${1:-root}
TAG="v2 $LAYOUT"
. tests/vm/lib.sh   # and through it tests/lib.sh: sb runs in $TESTROOT
EXPECT_PREFIX=/judgebox/        # both layouts: see the header
[ -x "$JUDGEBOX" ] || { fail "cannot test" "$JUDGEBOX is missing"; exit 1; }
[ -x "$TESTROOT/t/payload" ] || { fail "cannot test" "$TESTROOT/t/payload is missing (make test-cgroup2 builds it)"; exit 1; }

# --- the run's cgroup, seen from outside while it runs -------------------------
# It sleeps up to 100 s so that a slow (emulated, busy) guest reads its cgroup
# while it lives; SIGUSR1 ends the sleep once the checks are done.
sb --memory-kb 65536 --pids 24 --wall-ms 120000 -- /t/payload hog 4 100 &
bg=$!
if pid=$(wait_pid_of_cmdline "/t/payload hog 4 100" 100); then
    cg=$(cgroup_of "$pid"); d=$CG$cg
    info "a run's cgroup: $cg"
    case "$cg" in
        $EXPECT_PREFIX*) pass "run's cgroup is under $EXPECT_PREFIX ($cg)";;
        *) fail "run's cgroup is under $EXPECT_PREFIX" "it is '$cg'";;
    esac
    # the limits may sit on the run's cgroup or an ancestor (the slot's)
    v=$(effective_limit memory.max "$d")
    ok "memory.max written ($v)" "effective memory.max is '$v', expected $((65536 * 1024))" [ "$v" = $((65536 * 1024)) ]
    v=$(effective_limit memory.swap.max "$d")
    ok "memory.swap.max is 0 (swap off)" "effective memory.swap.max is '$v'" [ "$v" = 0 ]
    v=$(effective_limit pids.max "$d")
    # --pids 24 is the program's count; the run's init (the sandbox's) is the 25th
    ok "pids.max written ($v)" "effective pids.max is '$v', expected 25" [ "$v" = 25 ]
    info "limits: $(for f in memory.max memory.swap.max pids.max; do for x in "$d" "$(dirname "$d")"; do [ -r "$x/$f" ] && printf '%s=%s ' "${x#$CG}/$f" "$(cat "$x/$f")"; done; done)"
    # no-internal-processes: a cgroup with controllers enabled for its
    # children must hold no process itself
    ok "the run's parent cgroup holds no process" "$(dirname "$d")/cgroup.procs: $(tr '\n' ' ' <"$(dirname "$d")/cgroup.procs" 2>&1)" \
        [ -z "$(cat "$(dirname "$d")/cgroup.procs" 2>/dev/null)" ]
    kill -USR1 "$pid"
else
    fail "run's cgroup" "the payload never appeared in /proc"
fi
wait $bg
check "a run of 4 MiB with a 64 MiB limit is ok" is status ok

# Bounds here are in_range of a field, not between: between widens times by
# JUDGEBOX_TEST_TIME_SLACK_MS, and these bounds already allow for TCG.
# --- memory -------------------------------------------------------------------
sb --memory-kb 32768 --cpu-ms "$HEAVY_CPU_MS" --wall-ms "$HEAVY_WALL_MS" -- /t/payload hog 96
check "96 MiB under a 32 MiB limit gives memory_limit" is status memory_limit
check "memory_kb after an OOM kill is about the limit" in_range "$(field memory_kb)" 28000 36864

if [ "$LAYOUT" = root ]; then
sb --memory-kb 131072 --cpu-ms "$HEAVY_CPU_MS" --wall-ms "$HEAVY_WALL_MS" -- /t/payload hog 24
check "24 MiB under a 128 MiB limit is ok" is status ok
check "memory_kb is the peak (24 MiB touched)" in_range "$(field memory_kb)" 24576 49152

sb --memory-kb 131072 --cpu-ms "$HEAVY_CPU_MS" --wall-ms "$HEAVY_WALL_MS" -- /t/payload hog 1
check "a 1 MiB run is ok" is status ok
check "memory_kb is per run, not the slot's old peak" in_range "$(field memory_kb)" 1 16384

# --- pids ---------------------------------------------------------------------
sb --pids 16 --cpu-ms 20000 --wall-ms 60000 -- /t/payload forks 100   # CPU: TCG forks slowly; this is about pids
n=$(sed -n 's/^forked //p' "$OUT")
check "pids limit 16 stops forks" in_range "$n" 1 15
sb --pids 200 --cpu-ms 20000 --wall-ms 60000 -- /t/payload forks 100
n=$(sed -n 's/^forked //p' "$OUT")
check "pids limit 200 lets 100 forks happen" [ "$n" = 100 ]

# --- CPU time -----------------------------------------------------------------
sb --cpu-ms 1500 --wall-ms 120000 -- /t/payload spin
check "a spin gives time_limit" is status time_limit
check "cpu_ms of a killed spin is close to the limit" in_range "$(field cpu_ms)" 1500 3500

sb --cpu-ms 30000 --wall-ms 120000 -- /t/payload burn 2 800
check "2 processes burning 800 ms each stay under the limit" is status ok
check "cpu_ms sums every process" in_range "$(field cpu_ms)" 1500 6000

sb --cpu-ms 2000 --wall-ms 120000 -- /t/payload spin 3
check "3 spinning processes give time_limit" is status time_limit

# --- wall time ----------------------------------------------------------------
sb --cpu-ms 10000 --wall-ms 2000 -- /t/payload sleep 60
check "a sleep gives wall_time_limit" is status wall_time_limit
check "wall_ms of a killed sleep is close to the limit" in_range "$(field wall_ms)" 2000 8000
fi

# --- nothing survives a run ---------------------------------------------------
sb --wall-ms 60000 -- /t/payload daemon 300
check "a run that leaves a daemon behind is ok" is status ok
left=$(pid_of_cmdline "/t/payload daemon 300")
ok "the daemon died with its run" "pid $left survived" [ -z "$left" ]

# --- --pin-cpus: slot N's runs confined to one CPU by slotN/cpuset.cpus -------
want=$(python3 -c 'import os; c=sorted(os.sched_getaffinity(0)); print(c[5 % len(c)])')
"$JUDGEBOX" run --slot 5 --pin-cpus --rootfs "$TESTROOT" --result "$RESULT" -- /bin/sh -c \
    'grep Cpus_allowed_list /proc/self/status; taskset -p 3 $$ >/dev/null 2>&1; grep Cpus_allowed_list /proc/self/status' \
    >"$OUT" 2>"$ERR" </dev/null
check "--pin-cpus: the run is ok" is status ok
ok "--pin-cpus: slot 5 runs on CPU $want alone" "$(tr '\n' ' ' <"$OUT")" \
    sh -c "[ \"\$(awk 'NR == 1 {print \$2}' '$OUT')\" = '$want' ] && [ \"\$(awk 'NR == 2 {print \$2}' '$OUT')\" = '$want' ]"
ok "--pin-cpus: slot5/cpuset.cpus is $want" "$(cat "$CG/judgebox/slot5/cpuset.cpus" 2>&1)" \
    [ "$(cat "$CG/judgebox/slot5/cpuset.cpus" 2>/dev/null)" = "$want" ]

# --- judgebox attach: into a live run's v2 cgroup and namespaces (docs/attach.md) --
printf '{"attach": {"enabled": true, "log": "%s/attach.log"}}\n' "$TMPD" >"$TMPD/attach.json"
AID=vm-attach-$LAYOUT
sb --wall-ms 300000 --config "$TMPD/attach.json" --run-id "$AID" -- /bin/sh -c 'mkfifo /tmp/go; read l < /tmp/go; echo "done $l"' &
bg=$!
init=""; i=0
while [ $i -lt 600 ]; do
    init=$("$JUDGEBOX" attach --list 2>/dev/null | awk -v id="$AID" '$1 == id {print $3}')
    [ -n "$init" ] && [ -p "/proc/$init/root/tmp/go" ] && break
    i=$((i + 1)); sleep 0.2
done
if [ -n "$init" ]; then
    "$JUDGEBOX" attach --config "$TMPD/attach.json" "$AID" -- /bin/sh -c 'grep "^0::" /proc/self/cgroup; set -- /proc/[0-9]*; echo $#; id -u; readlink /proc/self/ns/cgroup' \
        >"$TMPD/attach.out" 2>"$TMPD/attach.err" </dev/null; rc=$?
    ok "attach: exit 0" "exit $rc: $(head -c 300 "$TMPD/attach.err")" [ $rc = 0 ]
    ok "attach: in the run's cgroup (0::/ in its cgroup namespace)" "$(tr '\n' ' ' <"$TMPD/attach.out")" \
        sh -c "sed -n 1p '$TMPD/attach.out' | grep -qx '0::/'"
    ok "attach: sees the run's program and itself only (2 processes)" "$(tr '\n' ' ' <"$TMPD/attach.out")" \
        sh -c "sed -n 2p '$TMPD/attach.out' | grep -qx 2"
    ok "attach: as uid 1000" "$(tr '\n' ' ' <"$TMPD/attach.out")" sh -c "sed -n 3p '$TMPD/attach.out' | grep -qx 1000"
    ok "attach: in the run's cgroup namespace" "$(sed -n 4p "$TMPD/attach.out") vs $(readlink "/proc/$init/ns/cgroup")" \
        [ "$(sed -n 4p "$TMPD/attach.out")" = "$(readlink "/proc/$init/ns/cgroup")" ]
    "$JUDGEBOX" attach --config "$TMPD/attach.json" "$AID" -- /bin/sh -c 'echo x > /tmp/go' >/dev/null 2>&1 </dev/null
else
    fail "attach: the run is listed" "$("$JUDGEBOX" attach --list 2>&1 | tr '\n' ' ')"
    kill $bg 2>/dev/null
fi
wait $bg
check "attach: the run ends ok after the attaches" is status ok
ok "attach: the run's output is its own" "$(head -c 200 "$OUT")" grep -qx "done x" "$OUT"
ok "attach: the run's record is gone" "$(ls /run/judgebox/runs)" [ -z "$(ls /run/judgebox/runs)" ]

# --- cleanup ------------------------------------------------------------------
left=$(procs_in_cgroups /judgebox/)
ok "no process left in judgebox's cgroups" "$(echo $left)" [ -z "$left" ]
[ -n "$left" ] && describe $left
pop=$(populated_cgroups "$CG/judgebox")
ok "every judgebox cgroup is unpopulated" "populated: $(echo $pop)" [ -z "$pop" ]
"$JUDGEBOX" cleanup >"$TMPD/cleanup.out" 2>&1; rc=$?
ok "judgebox cleanup succeeds" "exit $rc: $(head -c 300 "$TMPD/cleanup.out")" [ $rc = 0 ]
rest=$(find "$CG/judgebox" -mindepth 1 -type d 2>/dev/null)
ok "judgebox cleanup leaves no cgroup under /judgebox" "left: $(echo $rest)" [ -z "$rest" ]
ok "the judgebox cgroup tree can be removed (rmdir)" "see above" rmdir_tree "$CG/judgebox"
exit 0
