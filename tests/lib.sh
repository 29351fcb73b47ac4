# tests/lib.sh - shared by the shell suites and the cgroup v2 VM's guest
# scripts: PASS/FAIL reporting (the protocol tests/run.sh counts), a
# sandboxed run with a JSON result, and reading fields of that result.
# Source it from the repo root; set JUDGEBOX to choose the binary (default
# $BUILD/judgebox), TAG to prefix every check name ("v2 root: ...").
# $TMPD is a scratch directory removed on exit (a script that sets its own
# EXIT trap removes it there).
JUDGEBOX=${JUDGEBOX:-${BUILD:-build}/judgebox}
TESTROOT=${TESTROOT:-$PWD/${BUILD:-build}/testroot}
TMPD=$(mktemp -d /tmp/judgebox-test.XXXXXX)
RESULT=$TMPD/result OUT=$TMPD/out ERR=$TMPD/err
: >"$RESULT"; : >"$OUT"; : >"$ERR"
trap 'rm -rf "$TMPD"' EXIT

pass() { echo "PASS ${TAG:+$TAG: }$1"; }
fail() { echo "FAIL ${TAG:+$TAG: }$1: $2"; }
# check NAME CONDITION-COMMAND... : PASS when the command succeeds.
check() {
    name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "$* (result: $(cat "$RESULT" 2>/dev/null | tr -d '\n' | cut -c1-300); stderr: $(head -c 300 "$ERR"))"; fi
}
# sb [judgebox run flags] -- CMD...: run in the test rootfs (slot $SB_SLOT if set); stdout in $OUT, stderr in $ERR.
sb() {
    : >"$RESULT"
    "$JUDGEBOX" run ${SB_SLOT:+--slot "$SB_SLOT"} --rootfs "$TESTROOT" --result "$RESULT" "$@" >"$OUT" 2>"$ERR" </dev/null
    SB_RC=$?
}
# field NAME: a field of the last result, Python's repr for non-strings ("None", "True").
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v)' "$RESULT" "$1" 2>/dev/null; }
is() { [ "$(field "$1")" = "$2" ]; }
# CPU (and 3x wall) for the runs whose point is memory, not time, but which
# write tens of MB: the cgroup v2 VM emulates every write (TCG), and a busy
# host slows it further; mk/vm.mk scales this by how slow the host is now.
HEAVY_CPU_MS=${JUDGEBOX_TEST_HEAVY_CPU_MS:-20000}
HEAVY_WALL_MS=$((HEAVY_CPU_MS * 3))
# Times get JUDGEBOX_TEST_TIME_SLACK_MS more room above: the cgroup v2 VM
# emulates its CPU (TCG, 10-25x slower), so 10 ms precision is not measurable there.
between() {
    slack=0
    case "$1" in cpu_ms|wall_ms) slack=${JUDGEBOX_TEST_TIME_SLACK_MS:-0};; esac
    in_range "$(field "$1")" "$2" $(($3 + slack))
}
# in_range VALUE LO HI: VALUE is an integer and LO <= VALUE <= HI.  One
# command, so that `check NAME in_range ...` checks all of it (in
# `check NAME [ A ] && [ B ]` the shell, not check, runs [ B ]).
in_range() {
    case "$1" in ''|*[!0-9]*) return 1;; esac
    [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}
out_has() { grep -q -- "$1" "$OUT"; }
# Processes on the host running as any sandbox uid (uid_base 3000000 + 2 per slot).
# Zombies are skipped: a run's init killed with its supervisor waits for host pid 1 to reap it.
# With SANDBOX_SLOT set, only that slot's two uids count (other runs may go on alongside).
sandbox_processes() {
    if [ -n "${SANDBOX_SLOT:-}" ]; then lo=$((3000000 + 2 * SANDBOX_SLOT)); hi=$((lo + 2)); else lo=3000000; hi=3000200; fi
    ps -eo uid=,stat= | awk -v lo=$lo -v hi=$hi '$1 >= lo && $1 < hi && $2 !~ /^Z/' | wc -l
}
