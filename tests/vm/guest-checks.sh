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
# Needs build/judgebox and build/testroot with /t/payload (mk/vm.mk).
set -u
LAYOUT=${1:-root}
TAG="v2 $LAYOUT"
TMPD=$(mktemp -d /tmp/guest-checks.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
. "$(dirname "$0")/lib.sh"
ROOT=$PWD/$BUILD/testroot   # judgebox wants an absolute path
EXPECT_PREFIX=/judgebox/        # both layouts: see the header
[ -x "$J" ] || { fail "cannot test: $J is missing"; exit 1; }
[ -x "$ROOT/t/payload" ] || { fail "cannot test: $ROOT/t/payload is missing (make test-cgroup2 builds it)"; exit 1; }

# jrun NAME [judgebox run flags] -- CMD...: result in $TMPD/NAME.{json,out,err,rc}
jrun() {
    _name=$1; shift
    "$J" run --rootfs "$ROOT" --result "$TMPD/$_name.json" "$@" \
        </dev/null >"$TMPD/$_name.out" 2>"$TMPD/$_name.err"
    echo $? >"$TMPD/$_name.rc"
}
st() { jget "$TMPD/$1.json" status; }
field() { jget "$TMPD/$1.json" "$2"; }
details() { show "$TMPD/$1.json" "$TMPD/$1.out" "$TMPD/$1.err"; }
# expect NAME STATUS CHECK-NAME
expect() {
    _s=$(st "$1")
    if [ "$_s" = "$2" ]; then pass "$3"; return 0; fi
    fail "$3: status '$_s', expected $2 (judgebox exit $(cat "$TMPD/$1.rc"))"; details "$1"; return 1
}

# --- the run's cgroup, seen from outside while it runs -------------------------
jrun live --memory-kb 65536 --pids 24 --wall-ms 60000 -- /t/payload hog 4 10 &
bg=$!
if pid=$(wait_pid_of_cmdline "/t/payload hog 4 10" 100); then
    cg=$(cgroup_of "$pid"); d=$CG$cg
    info "a run's cgroup: $cg"
    case "$cg" in
        $EXPECT_PREFIX*) pass "run's cgroup is under $EXPECT_PREFIX ($cg)";;
        *) fail "run's cgroup is under $EXPECT_PREFIX: it is '$cg'";;
    esac
    # the limits may sit on the run's cgroup or an ancestor (the slot's)
    v=$(effective_limit memory.max "$d")
    ok "memory.max written ($v)" "effective memory.max is '$v', expected $((65536 * 1024))" [ "$v" = $((65536 * 1024)) ]
    v=$(effective_limit memory.swap.max "$d")
    ok "memory.swap.max is 0 (swap off)" "effective memory.swap.max is '$v'" [ "$v" = 0 ]
    v=$(effective_limit pids.max "$d")
    ok "pids.max written ($v)" "effective pids.max is '$v', expected 24" [ "$v" = 24 ]
    info "limits: $(for f in memory.max memory.swap.max pids.max; do for x in "$d" "$(dirname "$d")"; do [ -r "$x/$f" ] && printf '%s=%s ' "${x#$CG}/$f" "$(cat "$x/$f")"; done; done)"
    # no-internal-processes: a cgroup with controllers enabled for its
    # children must hold no process itself
    ok "the run's parent cgroup holds no process" "$(dirname "$d")/cgroup.procs: $(tr '\n' ' ' <"$(dirname "$d")/cgroup.procs" 2>&1)" \
        [ -z "$(cat "$(dirname "$d")/cgroup.procs" 2>/dev/null)" ]
else
    fail "run's cgroup: the payload never appeared in /proc"
fi
wait $bg
expect live ok "a run of 4 MiB with a 64 MiB limit is ok"

# --- memory -------------------------------------------------------------------
jrun oom --memory-kb 32768 --wall-ms 60000 -- /t/payload hog 96
expect oom memory_limit "96 MiB under a 32 MiB limit gives memory_limit"
m=$(field oom memory_kb)
ok "memory_kb after an OOM kill is about the limit" "memory_kb=$m, expected 28000..36864" between "$m" 28000 36864

if [ "$LAYOUT" = root ]; then
jrun peak --memory-kb 131072 --wall-ms 60000 -- /t/payload hog 24
expect peak ok "24 MiB under a 128 MiB limit is ok"
m=$(field peak memory_kb)
ok "memory_kb is the peak (24 MiB touched)" "memory_kb=$m, expected 24576..49152" between "$m" 24576 49152

jrun small --memory-kb 131072 --wall-ms 60000 -- /t/payload hog 1
expect small ok "a 1 MiB run is ok"
m=$(field small memory_kb)
ok "memory_kb is per run, not the slot's old peak" "memory_kb=$m after a 24 MiB run, expected under 16384" between "$m" 1 16384

# --- pids ---------------------------------------------------------------------
jrun forks --pids 16 --wall-ms 60000 -- /t/payload forks 100
n=$(sed -n 's/^forked //p' "$TMPD/forks.out")
ok "pids limit 16 stops forks" "forked '$n' of 100, expected 1..15" between "$n" 1 15
[ "${n:-0}" -le 15 ] || details forks
jrun forks2 --pids 200 --wall-ms 60000 -- /t/payload forks 100
n=$(sed -n 's/^forked //p' "$TMPD/forks2.out")
ok "pids limit 200 lets 100 forks happen" "forked '$n' of 100" [ "$n" = 100 ]

# --- CPU time -----------------------------------------------------------------
jrun spin --cpu-ms 1500 --wall-ms 120000 -- /t/payload spin
expect spin time_limit "a spin gives time_limit"
c=$(field spin cpu_ms)
ok "cpu_ms of a killed spin is close to the limit" "cpu_ms=$c, expected 1500..3500" between "$c" 1500 3500

jrun burn --cpu-ms 30000 --wall-ms 120000 -- /t/payload burn 2 800
expect burn ok "2 processes burning 800 ms each stay under the limit"
c=$(field burn cpu_ms)
ok "cpu_ms sums every process" "cpu_ms=$c, expected 1500..6000" between "$c" 1500 6000

jrun spin2 --cpu-ms 2000 --wall-ms 120000 -- /t/payload spin 3
expect spin2 time_limit "3 spinning processes give time_limit"

# --- wall time ----------------------------------------------------------------
jrun sleep --cpu-ms 10000 --wall-ms 2000 -- /t/payload sleep 60
expect sleep wall_time_limit "a sleep gives wall_time_limit"
w=$(field sleep wall_ms)
ok "wall_ms of a killed sleep is close to the limit" "wall_ms=$w, expected 2000..8000" between "$w" 2000 8000
fi

# --- nothing survives a run ---------------------------------------------------
jrun daemon --wall-ms 60000 -- /t/payload daemon 300
expect daemon ok "a run that leaves a daemon behind is ok"
left=$(pid_of_cmdline "/t/payload daemon 300")
ok "the daemon died with its run" "pid $left survived" [ -z "$left" ]

# --- cleanup ------------------------------------------------------------------
left=$(procs_in_cgroups /judgebox/)
ok "no process left in judgebox's cgroups" "$(echo $left)" [ -z "$left" ]
[ -n "$left" ] && describe $left
pop=$(populated_cgroups "$CG/judgebox")
ok "every judgebox cgroup is unpopulated" "populated: $(echo $pop)" [ -z "$pop" ]
"$J" cleanup >"$TMPD/cleanup.out" 2>&1; rc=$?
ok "judgebox cleanup succeeds" "exit $rc: $(head -c 300 "$TMPD/cleanup.out")" [ $rc = 0 ]
rest=$(find "$CG/judgebox" -mindepth 1 -type d 2>/dev/null)
ok "judgebox cleanup leaves no cgroup under /judgebox" "left: $(echo $rest)" [ -z "$rest" ]
ok "the judgebox cgroup tree can be removed (rmdir)" "see above" rmdir_tree "$CG/judgebox"
exit 0
