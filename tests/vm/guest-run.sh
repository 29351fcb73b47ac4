#!/bin/sh
# tests/vm/guest-run.sh - the test plan of the cgroup v2 VM.  Runs in the
# guest, whose / is the host's (read-only), from the repo root (mk/vm.mk
# writes the run.sh that starts it).  Prints PASS/FAIL lines as it goes, then
# "N passed, N failed"; exits 0 only when something passed and nothing failed.
#
# Phases (VM_PHASES, default "suites cli http"):
#   env     always: cgroup2 at /sys/fs/cgroup, controllers, the binary
#   suites  for each TESTS_ONLY pattern in VM_SUITES: `tests/run.sh`, from
#           the root cgroup; names get a "[v2 root]" prefix
#   cli     tests/vm/guest-checks.sh from the root cgroup, then again from a
#           non-delegated session scope (user.slice/user-0.slice/session-1.scope)
#   http    tests/vm/guest-http.sh: the server in a delegated
#           system.slice/judgebox.service
# On any FAIL the guest's kernel log is saved to $VM_RUN/dmesg.txt.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
PHASES=${VM_PHASES:-suites cli http}
SUITES=${VM_SUITES:-suites/1}
RUNDIR=${VM_RUN:-/tmp}
CG=/sys/fs/cgroup
export BUILD

PHASE_TIMEOUT=${VM_PHASE_TIMEOUT:-300}

# phase NAME FUNCTION: run FUNCTION (below) as `sh guest-run.sh FUNCTION`
# under a timeout, so a hang is a FAIL with a name, not a silent VM timeout.
# Output goes to the console as it comes and to $LOG for counting.
phase() {
    echo "== $1 ($(cut -d' ' -f1 /proc/uptime)s)"
    { timeout -k 10 "$PHASE_TIMEOUT" sh tests/vm/guest-run.sh "$2"; rc=$?
      [ $rc = 124 ] || [ $rc = 137 ] &&
          echo "too slow: v2 phase $1 did not finish within ${PHASE_TIMEOUT}s (the budget mk/vm.mk scaled for this machine); its remaining checks did not run"
    } 2>&1 | tee -a "$LOG"
}
has() { case " $PHASES " in *" $1 "*) return 0;; esac; return 1; }

env_checks() {
    TAG="v2 env"
    . tests/vm/lib.sh
    t=$(stat -f -c %T $CG 2>/dev/null)
    ok "cgroup2 is mounted at $CG" "filesystem type is '$t'" [ "$t" = cgroup2fs ]
    sc=$(cat $CG/cgroup.subtree_control)
    ok "cpu memory pids enabled in the root's subtree_control" "'$sc'" \
        sh -c 'for c in cpu memory pids; do echo " $1 " | grep -q " $c " || exit 1; done' sh "$sc"
    v1=$(awk '$3 == "cgroup" { print $2 }' /proc/mounts | tr '\n' ' ')
    ok "no cgroup v1 hierarchy is mounted" "v1 mounts: $v1" [ -z "$v1" ]
    ok "$JUDGEBOX runs in the guest" "$($JUDGEBOX --help 2>&1 | head -3)" sh -c "$JUDGEBOX --help >/dev/null 2>&1"
    ok "$JUDGEBOX run --help works" "$($JUDGEBOX run --help 2>&1 | head -3)" sh -c "$JUDGEBOX run --help >/dev/null 2>&1"
    ok "the test rootfs has the payload" "missing $BUILD/testroot/t/payload" [ -x "$BUILD/testroot/t/payload" ]
}

suites() {
    for pat in $SUITES; do
        if ! ls tests/suites/*.sh 2>/dev/null | grep -qF "$pat"; then
            echo "FAIL [v2 root] suites: no suite in tests/suites matches '$pat'"
            continue
        fi
        TESTS_ONLY=$pat sh tests/run.sh 2>&1 | sed -u 's/^\(PASS\|FAIL\) /\1 [v2 root] /'
    done
}

# a login session's scope, shared with its shell: judgebox is not alone in it
session_scope() {
    s=$CG/user.slice/user-0.slice/session-1.scope
    mkdir -p "$s"
    echo "+cpu +memory +pids" >$CG/user.slice/cgroup.subtree_control
    echo "+cpu +memory +pids" >$CG/user.slice/user-0.slice/cgroup.subtree_control
    sh -c 'echo $$ > "$1/cgroup.procs" && exec sh tests/vm/guest-checks.sh session' sh "$s"
    # back to the root, and remove the scope as logind would
    rmdir "$s" "$CG/user.slice/user-0.slice" "$CG/user.slice" 2>/dev/null
}

final_checks() {
    TAG="v2 end"
    . tests/vm/lib.sh
    left=$(procs_in_cgroups judgebox)
    ok "no process left in any judgebox cgroup" "$(echo $left)" [ -z "$left" ]
    [ -n "$left" ] && describe $left
    pop=$(populated_cgroups $CG | grep judgebox)
    ok "no judgebox cgroup is populated" "$(echo $pop)" [ -z "$pop" ]
    # the cli and http phases end with cleanup; the sandbox suites keep
    # their slots' cgroups for reuse, by design
    if has cli || has http; then
        ok "no judgebox cgroup left anywhere" "$(find $CG -type d -name 'judgebox*' | tr '\n' ' ')" \
            sh -c '[ -z "$(find /sys/fs/cgroup -type d -name "judgebox*")" ]'
    fi
}

cli_root() { sh tests/vm/guest-checks.sh root; }
server() { sh tests/vm/guest-http.sh; }

case "${1:-}" in   # one phase, run by phase() above
    env_checks|suites|cli_root|session_scope|server|final_checks) "$1"; exit $?;;
    "") ;;
    *) echo "usage: $0 [PHASE]" >&2; exit 2;;
esac

LOG=$(mktemp /tmp/guest-run.XXXXXX)
phase env env_checks
if [ ! -x "./$BUILD/judgebox" ]; then
    echo "FAIL v2 env: ./$BUILD/judgebox is missing; no other phase can run" | tee -a "$LOG"
    PHASES=""
fi
has suites && phase suites suites
has cli && phase "cli, root cgroup" cli_root
has cli && phase "cli, session scope" session_scope
has http && phase "server, delegated subtree" server
phase end final_checks

p=$(grep -c '^PASS ' "$LOG"); f=$(grep -c '^FAIL ' "$LOG")
if [ "$f" -gt 0 ]; then
    dmesg >"$RUNDIR/dmesg.txt" 2>/dev/null
    echo "  # guest kernel log saved to $RUNDIR/dmesg.txt; its last warnings:"
    dmesg -l err,warn 2>/dev/null | tail -n 8 | sed 's/^/  #   /'
    echo "  # failed:"; grep '^FAIL ' "$LOG" | sed 's/^/  #   /'
fi
rm -f "$LOG"
echo "cgroup2 VM: $p passed, $f failed ($(cut -d' ' -f1 /proc/uptime)s after boot)"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
