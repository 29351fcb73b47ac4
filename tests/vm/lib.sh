# tests/vm/lib.sh - helpers of the guest scripts (sourced, not run, from the
# repo root), on top of tests/lib.sh: pass, fail, check, sb, field, is,
# in_range and $TMPD come from there.  Needs: TAG (prefix of every check name).
BUILD=${BUILD:-build}
JUDGEBOX=./$BUILD/judgebox
. tests/lib.sh
CG=/sys/fs/cgroup

info() { echo "  # $*"; }
# ok NAME WHY-IF-NOT CMD...: check with its own reason for a FAIL, for
# checks that are about cgroup files or processes rather than the last sb run
ok() {
    _n=$1; _w=$2; shift 2
    if "$@"; then pass "$_n"; else fail "$_n" "$_w"; return 1; fi
}

# pid_of_cmdline "ARGV joined by spaces": the first process with exactly that
# argv.  One grep over every /proc/*/comm first: a fork+exec per process
# costs ~20 ms under TCG, and scanning all of /proc that way takes seconds.
pid_of_cmdline() {
    _comm=$(echo "${1%% *}" | sed 's|.*/||' | cut -c1-15)
    for _f in $(grep -lxF "$_comm" /proc/[0-9]*/comm 2>/dev/null); do
        _p=${_f%/comm}
        _c=$(tr '\0' ' ' <"$_p/cmdline" 2>/dev/null) || continue
        [ "$_c" = "$1 " ] && { echo "${_p#/proc/}"; return 0; }
    done
    return 1
}
# wait_pid_of_cmdline ARGV TRIES: poll every 0.2 s
wait_pid_of_cmdline() {
    _i=0
    while [ "$_i" -lt "$2" ]; do
        pid_of_cmdline "$1" && return 0
        sleep 0.2; _i=$((_i + 1))
    done
    return 1
}
# cgroup_of PID: its cgroup v2 path as seen from the root ("/judgebox/slot0/...")
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null; }

# effective_limit FILE DIR: the smallest FILE (memory.max, pids.max...) on the
# way from cgroup DIR up to the root: the limit that really applies,
# wherever the core chose to write it.  "max" when none is set.
effective_limit() {
    _d=$2; _min=max
    while [ "$_d" != "$CG" ] && [ "$_d" != / ]; do
        if [ -r "$_d/$1" ]; then
            _v=$(cat "$_d/$1")
            [ "$_v" != max ] && { [ "$_min" = max ] || [ "$_v" -lt "$_min" ]; } && _min=$_v
        fi
        _d=$(dirname "$_d")
    done
    echo "$_min"
}

# procs_in_cgroups SUBSTRING: pids of live processes whose cgroup path contains it
procs_in_cgroups() {
    grep -l "^0::.*$1" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
}
# describe PIDS: one line per process, for failure messages
describe() {
    for _p in "$@"; do
        info "pid $_p: $(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null) in $(cgroup_of "$_p")"
    done
}

# populated_cgroups DIR: cgroups at or under DIR whose cgroup.events says populated 1
populated_cgroups() {
    [ -d "$1" ] || return 0
    find "$1" -name cgroup.events 2>/dev/null | while read -r _e; do
        grep -q '^populated 1' "$_e" && dirname "$_e"
    done
}
# rmdir_tree DIR: remove a cgroup tree depth first, as systemd does when a
# unit stops; fails if the kernel refuses any rmdir
rmdir_tree() {
    [ -d "$1" ] || return 0
    find "$1" -depth -type d | while read -r _d; do
        rmdir "$_d" || { echo "  # rmdir $_d failed"; exit 1; }
    done
}

# show FILE...: indented file contents, for failure diagnostics
show() {
    for _f in "$@"; do
        [ -s "$_f" ] || continue
        echo "  # --- ${_f##*/}:"; head -c 1500 "$_f" | sed 's/^/  #   /'; echo
    done
}
