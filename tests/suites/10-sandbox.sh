#!/bin/sh
# tests/suites/10-sandbox.sh - the sandbox core through `judgebox run`:
# identity, privileges, namespaces, escapes, each limit, exit reporting,
# stdin, and the CLI's errors.  Runs in build/testroot with /t/probe.
. tests/lib.sh
# One slot of our own, so runs of a server alongside do not blur the process counts.
SB_SLOT=62; SANDBOX_SLOT=62

# 1. Identity and privileges
sb -- /bin/sh -c 'id -u; id -g; cat /proc/self/status; cat /proc/self/uid_map /proc/self/gid_map'
check "uid is 1000 inside" grep -qx 1000 "$OUT"
check "Uid line is 1000 (real, effective, saved, fs)" grep -q "^Uid:	1000	1000	1000	1000" "$OUT"
check "Gid line is 1000" grep -q "^Gid:	1000	1000	1000	1000" "$OUT"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    check "$cap is empty" grep -q "^$cap:	0000000000000000" "$OUT"
done
check "NoNewPrivs is set" grep -q "^NoNewPrivs:	1" "$OUT"
check "seccomp filter mode" grep -q "^Seccomp:	2" "$OUT"
sb -- /bin/cat /proc/self/uid_map /proc/self/gid_map
host_uid=$(awk '$1 == 1000 {print $2}' "$OUT" | head -1)
check "inner uid maps to an unprivileged host uid ($host_uid)" in_range "$host_uid" 3000000 4294967294
check "host root is not mapped" sh -c "! awk '\$2 == 0' '$OUT' | grep -q ."
check "only two ids are mapped (root of the run, and 1000)" [ "$(wc -l < "$OUT")" -eq 4 ]

# 2. Namespaces differ from the host's
sb -- /t/probe ns
for ns in user pid mnt net ipc uts cgroup; do
    inside=$(awk -v n=$ns '$1 == n {print $2}' "$OUT")
    host=$(readlink /proc/self/ns/$ns)
    check "$ns namespace differs from the host's" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' sh "$inside" "$host"
done
sb -- /bin/sh -c 'hostname; cat /proc/net/dev; ls /sys | wc -l; ls /dev; ls /proc | grep -c "^[0-9]"'
check "hostname is judgebox" out_has "^judgebox$"
check "network: loopback only" sh -c "! grep -v -e lo: -e Inter -e face '$OUT' | grep -q ':'"
check "/dev has only the minimal set" sh -c "ls '$TESTROOT/../' >/dev/null; tr '\n' ' ' < '$OUT' | grep -q 'fd full null random shm stderr stdin stdout urandom zero'"

# 3. Escapes fail and are named
for probe in unshare-user:unshare clone-user:clone mount:mount ptrace:ptrace kexec:kexec_load; do
    sb -- /t/probe "${probe%%:*}"
    check "${probe%%:*} is stopped as forbidden_syscall" is status forbidden_syscall
    check "${probe%%:*} names the syscall ${probe##*:}" is syscall "${probe##*:}"
done
sb -- /bin/cat /proc/sys/user/max_user_namespaces
check "nested user namespaces disabled by sysctl too" out_has "^0$"
sb -- /t/probe i386
check "i386 ABI is killed" is status forbidden_syscall
sb -- /t/probe x32
check "x32 ABI is killed" is status forbidden_syscall
sb -- /t/probe clone3
check "clone3 is answered ENOSYS so runtimes fall back" grep -q 'Function not implemented' "$OUT"
sb -- /bin/sh -c 'cat /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/ns_last_pid && echo writable'
check "/proc/kcore is masked" out_has "^0$"
check "/proc/sys is read-only" sh -c "! grep -q writable '$OUT'"

# 4. Limits
before=$(sandbox_processes)
sb --pids 32 --wall-ms 5000 -- /t/probe forkbomb
forked=$(sed -n 's/^forked //p' "$OUT")
check "fork bomb is contained by pids ($forked forks)" in_range "$forked" 0 31
check "no sandbox process left after the fork bomb" [ "$(sandbox_processes)" -le "$before" ]
# The run's own init is the sandbox's: "pids": N is N processes of the program.
sb --pids 1 --wall-ms 5000 -- /t/probe forkbomb 1
check "pids 1: the program runs (init is not counted)" is status ok
check "pids 1: the program cannot fork" out_has "^forked 0$"
sb --pids 3 --wall-ms 5000 -- /t/probe forkbomb 1
check "pids 3: the program forks exactly twice" out_has "^forked 2$"
sb --memory-kb 65536 -- /t/probe memory 256
check "memory bomb gives memory_limit" is status memory_limit
check "peak memory is reported near the limit" between memory_kb 58000 66000
sb --memory-kb 131072 -- /t/probe memory 40
check "40 MiB under a 128 MiB limit is ok" is status ok
check "peak memory of 40 MiB reported" between memory_kb 40000 60000
sb --cpu-ms 300 -- /t/probe spin
check "spin gives time_limit" is status time_limit
check "cpu_ms within 10 ms past the limit" between cpu_ms 300 310
sb --cpu-ms 300 --wall-ms 10000 -- /t/probe spin-threads 2
check "two spinning threads: time_limit" is status time_limit
# Each spinning thread may run until the supervisor's check lands (at most ~10 ms of a
# scheduler slice on a busy machine), so two threads may overshoot twice as far as one.
check "threads' CPU is summed (within 10 ms per thread past)" between cpu_ms 300 320
sb --wall-ms 300 -- /t/probe sleep 5000
check "sleep gives wall_time_limit" is status wall_time_limit
check "wall_ms near the limit" between wall_ms 300 400
# A reader of the run's stdout that never reads (here: sleep) must not stop
# the run's clock: the supervisor forwards without blocking.
: >"$RESULT"
"$JUDGEBOX" run --slot "$SB_SLOT" --rootfs "$TESTROOT" --result "$RESULT" --wall-ms 500 -- /t/probe flood 2>"$ERR" </dev/null | sleep 4
check "stdout's reader never reads: the run still ends at its wall limit" is status wall_time_limit
check "  ... and wall_ms is near the limit, not the reader's 4 s" between wall_ms 500 1500
# A file as stdout takes each forwarded chunk in one write (no reader to
# wait for): all of it arrives, in order, and through a pipe as well.  (1.3
# MB: 20 chunks; the CPU limit leaves room for the cgroup v2 VM's emulation.)
sb --output-bytes 20000000 --cpu-ms 30000 --wall-ms 60000 -- /bin/seq 1 200000
check "1.3 MB of stdout to a file arrive whole and in order" sh -c "seq 1 200000 | cmp -s - '$OUT'"
"$JUDGEBOX" run --slot "$SB_SLOT" --rootfs "$TESTROOT" --output-bytes 20000000 --cpu-ms 30000 --wall-ms 60000 \
    -- /bin/seq 1 200000 2>"$ERR" </dev/null | cksum >"$TMPD/piped.cksum"
check "  ... and through a pipe" sh -c "seq 1 200000 | cksum | cmp -s - '$TMPD/piped.cksum'"
sb --output-bytes 10000 -- /t/probe flood
check "output flood gives output_limit" is status output_limit
check "stdout_truncated is set" is stdout_truncated True
check "exactly the cap is kept" [ "$(wc -c < "$OUT")" -eq 10000 ]
sb --disk-kb 1024 -- /t/probe write-big /tmp/big
check "disk limit stops writes (ENOSPC)" out_has "No space left"
# One cap for every writable place: /tmp, /dev/shm, /var/tmp and /box share it.
sb --disk-kb 4096 -- /bin/sh -c 'for f in /tmp/a /dev/shm/b /var/tmp/c /box/d; do /t/probe write-big $f; done'
written=$(awk '/^wrote/ {sum += $2} END {print sum + 0}' "$OUT")
check "disk_kb caps /tmp, /dev/shm, /var/tmp and /box together ($written KiB written under 4096)" in_range "$written" 1 4096
sb --file-size-kb 100 -- /t/probe write-big /box/big
check "file size limit gives output_limit" is status output_limit

# 5. Exit reporting
sb -- /t/probe exit 3
check "exit 3 is runtime_error" is status runtime_error
check "exit code 3 reported" is exit_code 3
sb -- /t/probe abort
check "abort is SIGABRT" is signal SIGABRT
sb -- /t/probe segv
check "segfault is SIGSEGV" is signal SIGSEGV
sb -- /no/such/program
check "a missing program is runtime_error" is status runtime_error
check "a missing program exits 127" is exit_code 127
sb -- /bin/true
check "true is ok" is status ok
check "true has exit code 0 and no signal" [ "$(field exit_code)$(field signal)" = 0None ]

# 6. Nothing persists: files, processes
sb -- /bin/sh -c 'echo secret > /tmp/f; echo secret > /box/f; echo secret > /var/tmp/f'
sb -- /bin/sh -c 'ls /tmp/f /box/f /var/tmp/f 2>&1'
check "files of one run are gone in the next" sh -c "! grep -q -e '^/tmp/f$' -e '^/box/f$' -e '^/var/tmp/f$' '$OUT'"
sb -- /t/probe daemon /tmp/marker
sleep 1
check "a daemonised grandchild dies with the run" [ "$(sandbox_processes)" -le "$before" ]
# Two concurrent runs: neither sees the other's processes or files.
"$JUDGEBOX" run --rootfs "$TESTROOT" --wall-ms 4000 -- /bin/sh -c 'echo x > /tmp/other; sleep 2' >/dev/null 2>&1 &
other=$!
sleep 0.5
sb -- /bin/sh -c 'ls /proc | grep -c "^[0-9]"; ls /tmp; kill -0 2 && echo signalled'
wait $other
check "a concurrent run sees only its own processes" sh -c "[ \$(head -1 '$OUT') -le 3 ]"
check "a concurrent run's files are invisible" sh -c "! grep -q other '$OUT'"

# 7. stdin passes through, byte for byte
head -c 100000 /dev/urandom > "$TMPD/stdin"
"$JUDGEBOX" run --rootfs "$TESTROOT" -- /bin/cat < "$TMPD/stdin" > "$TMPD/stdout" 2>/dev/null
check "stdin passes through unchanged" cmp -s "$TMPD/stdin" "$TMPD/stdout"

# 8. The supervisor's death ends the run
"$JUDGEBOX" run --slot 62 --rootfs "$TESTROOT" --wall-ms 30000 -- /t/probe sleep 30000 >/dev/null 2>&1 &
victim=$!
sleep 0.5
kill -9 $victim; wait $victim 2>/dev/null
sleep 0.3
check "killing judgebox kills its run" [ "$(sandbox_processes)" -le "$before" ]

# 9. Bad input: one clear line, non-zero, nothing built
for flags in "--cpu-ms 0" "--cpu-ms -5" "--memory-kb abc" "--pids 99999999" "--bogus 1"; do
    sb $flags -- /bin/true
    check "rejects '$flags' with exit 125" [ "$SB_RC" -eq 125 ]
    check "'$flags' error is one line naming the flag" sh -c "[ \$(wc -l < '$ERR') -eq 1 ] && grep -q -- '--' '$ERR'"
done
"$JUDGEBOX" run --rootfs /nonexistent/rootfs -- /bin/true 2>"$ERR"; rc=$?
check "a missing rootfs is exit 125" [ "$rc" -eq 125 ]
check "a missing rootfs names the path" grep -q "/nonexistent/rootfs" "$ERR"
"$JUDGEBOX" run --rootfs "$TESTROOT" 2>"$ERR"; rc=$?
check "no command is an error" sh -c "[ $rc -eq 125 ] && grep -q 'no command' '$ERR'"

# 10. The host uid range is configurable
sb --uid-base 4000000 -- /bin/cat /proc/self/uid_map
moved=$(awk '$1 == 1000 {print $2}' "$OUT")
check "--uid-base moves the slot's host uids ($moved)" in_range "$moved" 4000001 4000199
sb --uid-base 0 -- /bin/true
check "--uid-base 0 is refused" [ "$SB_RC" -eq 125 ]

# 11. What runtimes need
sb -- /bin/sh -c 'echo to-stdout > /dev/stdout; echo to-stderr > /dev/stderr'
check "/dev/stdout can be opened by the program" grep -q to-stdout "$OUT"
check "/dev/stderr can be opened by the program" grep -q to-stderr "$ERR"
sb -- /t/probe posix-timer
check "POSIX timers are allowed (GHC, Ruby)" is status ok

# 12. A rootfs (and a /box) below a folder only root may enter (a clone in
# /root, a mktemp -d folder): the supervisor opens them, not the run's uid,
# and no host path of theirs shows inside.
private=$(mktemp -d /tmp/judgebox-private.XXXXXX)   # mode 0700
cp -a "$TESTROOT" "$private/rootfs" && mkdir "$private/box" && echo boxed > "$private/box/f"
"$JUDGEBOX" run --slot "$SB_SLOT" --rootfs "$private/rootfs" --box "$private/box" --result "$RESULT" \
    -- /bin/sh -c 'cat /box/f; cat /proc/mounts' >"$OUT" 2>"$ERR" </dev/null
check "a rootfs below a 0700 folder works" is status ok
check "a /box below a 0700 folder works" out_has "^boxed$"
check "the run's /proc/mounts shows no host path of the rootfs or /box" \
    sh -c "grep -q ' / overlay ' '$OUT' && grep -q ' /box overlay ' '$OUT' && ! grep -q -e '$private' -e '$TESTROOT' '$OUT'"
"$JUDGEBOX" run --slot "$SB_SLOT" --rootfs "$private/rootfs" --box "$private/box" --result "$RESULT" \
    -- /bin/cat /proc/self/mountinfo >"$OUT" 2>"$ERR" </dev/null
check "the run's mountinfo (mount roots too) names no host path of the rootfs or a copy-on-write /box" \
    sh -c "grep -q ' /box ' '$OUT' && ! grep -q -e '$private' -e '$TESTROOT' -e /run/judgebox '$OUT'"
sb -- /bin/cat /proc/mounts
check "the run's /proc/mounts shows no host path of the test rootfs or the state directory" \
    sh -c "grep -q ' / overlay ' '$OUT' && ! grep -q -e '$TESTROOT' -e /run/judgebox '$OUT'"
"$JUDGEBOX" run --slot "$SB_SLOT" --rootfs "$private/rootfs" --box-rw "$private/box" --result "$RESULT" \
    -- /bin/cat /box/f >"$OUT" 2>"$ERR" </dev/null
check "a writable /box below a 0700 folder works" out_has "^boxed$"
rm -rf "$private"

# 13. Locks on device nodes stay in the run: flock and fcntl locks live on
# the inode, and bound host nodes shared it with the host and every other run.
devs="/dev/null /dev/zero /dev/full /dev/random /dev/urandom"
"$JUDGEBOX" run --slot "$SB_SLOT" --rootfs "$TESTROOT" --wall-ms 30000 -- /bin/sh -c \
    "/t/probe lock flock 8000 ${devs#/dev/null } - & /t/probe lock posix 8000 $devs; wait" >"$TMPD/holder" 2>&1 </dev/null &
holder=$!   # flock: /dev/null through stdin (the run's default stdin), the others by path; fcntl: all five
i=0; while [ "$(grep -c '^locked' "$TMPD/holder")" -lt 10 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(grep -c '^locked' "$TMPD/holder")" -lt 10 ]; then
    fail "device locks" "too slow: the run holding the locks did not start within 30 s ($(tr '\n' ' ' < "$TMPD/holder"))"
else
    "$JUDGEBOX" run --slot 61 --rootfs "$TESTROOT" -- /bin/sh -c "/t/probe lock flock 0 $devs; /t/probe lock posix 0 $devs" \
        >"$OUT" 2>"$ERR" </dev/null
    check "a concurrent run locks the same device nodes (flock, fcntl): its own inodes" \
        sh -c "[ \$(grep -c '^locked' '$OUT') -eq 10 ] && ! grep -q busy '$OUT'"
    check "the host locks its /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom meanwhile" python3 -c '
import fcntl, sys
for path in sys.argv[1:]:
    with open(path, "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
' $devs
fi
wait $holder

# 14. Memory figures of a reused slot stay the run's own (v1 keeps earlier
# runs' page cache charged to the slot's cgroup)
i=0; while [ $i -lt 5 ]; do sb --memory-kb 65536 -- /bin/sh -c 'cat /t/probe /bin/busybox > /dev/null'; i=$((i + 1)); done
sb --memory-kb 65536 -- /bin/true
check "a trivial run after others reports its own memory, not the slot's cache ($(field memory_kb) KiB)" between memory_kb 1 16384
sb --memory-kb 65536 -- /t/probe memory 256
check "memory_kb never exceeds the limit" between memory_kb 1 65536

# 15. A run's memory limit and peak are its own, whatever ran on the slot
# before.  Pages an earlier run left charged (a compiled program in a tmpfs
# workspace: unreclaimable without swap; page cache it wrote: reclaimable)
# once made a later, smaller limit fail with EBUSY (internal_error), ate
# into a larger one, and were taken off the peak (an OOM at 64 MiB reported
# ~100 KiB).
ws=$TMPD/ws; mkdir "$ws"
trap 'umount "$ws" 2>/dev/null; rm -rf "$TMPD"' EXIT
mount -t tmpfs -o size=80m,mode=0777 judgebox-test-ws "$ws"
sb --memory-kb 131072 --cpu-ms "$HEAVY_CPU_MS" --wall-ms "$HEAVY_WALL_MS" --box-rw "$ws" -- /bin/sh -c 'head -c 50000000 /dev/zero > /box/program'   # CPU: the v2 VM emulates it
check "a run leaves 50 MB in a tmpfs workspace" is status ok
sb --memory-kb 32768 -- /bin/true
check "a later run's smaller memory limit is its own (not EBUSY)" is status ok
sb --memory-kb 65536 --cpu-ms "$HEAVY_CPU_MS" --wall-ms "$HEAVY_WALL_MS" -- /t/probe memory 40
check "a later run gets its whole limit (40 MiB under 64 MiB after 50 MB left charged)" is status ok
check "its peak is its own ($(field memory_kb) KiB for 40 MiB)" between memory_kb 40000 50000
umount "$ws"
mkdir "$TMPD/cache" && chmod 0777 "$TMPD/cache"
sb --memory-kb 262144 --cpu-ms "$HEAVY_CPU_MS" --wall-ms "$HEAVY_WALL_MS" --box-rw "$TMPD/cache" -- /bin/sh -c 'head -c 100000000 /dev/zero > /box/cached'
sb --memory-kb 65536 --cpu-ms "$HEAVY_CPU_MS" --wall-ms "$HEAVY_WALL_MS" -- /bin/sh -c 'head -c 30000000 /dev/zero > /tmp/x'
check "after 100 MB of page cache left on the slot, 30 MB written to /tmp fit a 64 MiB limit" is status ok
check "after 100 MB of page cache left on the slot, the peak counts the 30 MB ($(field memory_kb) KiB)" between memory_kb 29000 65536
rm -f "$TMPD/cache/cached"

# 15. --pin-cpus: a slot's runs on one CPU of their own (cpuset, v1 and v2),
# the (slot mod count)-th CPU this process may use; the program cannot widen it.
cpu_for_slot() { python3 -c 'import os,sys; c=sorted(os.sched_getaffinity(0)); print(c[int(sys.argv[1]) % len(c)])' "$1"; }
all_cpus=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
sb --pin-cpus -- /bin/sh -c 'grep Cpus_allowed_list /proc/self/status; taskset -p 3 $$ >/dev/null 2>&1; grep Cpus_allowed_list /proc/self/status; nproc'
pinned=$(awk 'NR == 1 {print $2}' "$OUT")
check "--pin-cpus: the run is ok" is status ok
check "--pin-cpus: slot $SB_SLOT runs on CPU $(cpu_for_slot $SB_SLOT) alone (Cpus_allowed_list: $pinned)" \
    [ "$pinned" = "$(cpu_for_slot $SB_SLOT)" ]
check "--pin-cpus: sched_setaffinity cannot widen it" sh -c "[ \"\$(awk 'NR == 2 {print \$2}' '$OUT')\" = '$pinned' ]"
check "--pin-cpus: the program counts one CPU" sh -c "[ \"\$(sed -n 3p '$OUT')\" = 1 ]"
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && [ -d /sys/fs/cgroup/cpuset ]; then
    check "--pin-cpus (v1): the slot's cpuset holds that CPU" \
        sh -c "[ \"\$(cat /sys/fs/cgroup/cpuset/judgebox/slot$SB_SLOT/cpuset.cpus)\" = '$pinned' ]"
fi
SB_SLOT=61; sb --pin-cpus -- /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
other=$(awk 'NR == 1 {print $2}' "$OUT")
SB_SLOT=62
check "--pin-cpus: slot 61 gets CPU $(cpu_for_slot 61) ($other)" [ "$other" = "$(cpu_for_slot 61)" ]
sb -- /bin/sh -c 'nproc'
check "without --pin-cpus a run sees all $all_cpus CPUs" sh -c "[ \"\$(cat '$OUT')\" = '$all_cpus' ]"

# 16. The run's root: a read-only view of the rootfs shared by runs that
# come close together (sandbox/image_view.c; the keeper of a cgroup v1 host
# or a server, on Linux >= 6.13, which takes overlay layers by descriptor),
# else the run's own overlay.  Either way only tmp, var/tmp, box and
# /dev/shm take writes, and /proc/mounts names no host path.
kernel_takes_layer_fds() { uname -r | awk -F. '{ exit !($1 > 6 || ($1 == 6 && $2 >= 13)) }'; }
views=no
[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && kernel_takes_layer_fds && views=yes
# sbr ROOTFS ARGS...: sb in another rootfs
sbr() { r=$1; shift; : >"$RESULT"
    "$JUDGEBOX" run --slot "$SB_SLOT" --rootfs "$r" --result "$RESULT" "$@" >"$OUT" 2>"$ERR" </dev/null; }
root_line() { awk '$2 == "/" {print}' "$OUT"; }
# root_kind ROOTFS: "view" or "overlay", as the last of up to 10 runs in a row
# shows it: the first runs of a row may use a sandbox prepared while idle.
# The shortest time between two of those runs' starts goes to $TMPD/closest_ms:
# a slot prepares with a view only while its runs start less than 1 s apart.
root_kind() {
    kind=none; i=0; last=0; closest=999999
    while [ $i -lt 10 ]; do
        now=$(($(date +%s%N) / 1000000))
        [ $last -gt 0 ] && [ $((now - last)) -lt $closest ] && closest=$((now - last))
        last=$now
        sbr "$1" -- /bin/sh -c 'cat /proc/mounts; touch /etc/x; for d in /tmp /var/tmp /box /dev/shm; do echo w > $d/w && echo "wrote $d"; done; ls /box'
        case "$(root_line)" in
            *lowerdir+=*) kind=view; break;;
            *upperdir=*) kind=overlay;;
        esac
        i=$((i + 1))
    done
    echo $closest >"$TMPD/closest_ms"
    echo "$kind"
}
viewroot=$(mktemp -d /tmp/judgebox-view.XXXXXX)
cp -a "$TESTROOT" "$viewroot/rootfs"
kind=$(root_kind "$viewroot/rootfs")
if [ "$views" = yes ]; then
    if [ "$kind" != view ] && [ "$(cat "$TMPD/closest_ms")" -ge 1000 ]; then
        fail "a rootfs with empty tmp, var/tmp and box: runs in a row get its read-only view" \
            "too slow: no two of 10 runs in a row started within 1 s (closest $(cat "$TMPD/closest_ms") ms)"
    else
        check "a rootfs with empty tmp, var/tmp and box: runs in a row get its read-only view ($(root_line))" [ "$kind" = view ]
    fi
    check "the view: writing elsewhere fails with EROFS" grep -q "Read-only file system" "$ERR"
else
    check "no views here (cgroup v2 CLI runs once, or Linux < 6.13): the run's own overlay ($(root_line))" [ "$kind" = overlay ]
fi
check "the root ($kind): /tmp, /var/tmp, /box and /dev/shm take writes" \
    sh -c "[ \$(grep -c '^wrote ' '$OUT') -eq 4 ]"
check "the root ($kind): /etc does not" grep -q "touch: /etc/x" "$ERR"
check "the root ($kind): the run is ok" is status ok
check "the root ($kind): /proc/mounts names no host path" \
    sh -c "! grep -q -e '$viewroot' -e '$TESTROOT' -e /run/judgebox '$OUT'"
sbr "$viewroot/rootfs" -- /bin/sh -c 'ls -A /tmp /var/tmp /box'
check "nothing written by the run before shows in the next ($kind)" sh -c "! grep -q w '$OUT'"

# A rootfs the view does not fit runs on its own overlay, as it is.
cp -a "$TESTROOT" "$viewroot/no-var-tmp" && rm -r "$viewroot/no-var-tmp/var/tmp"
check "a rootfs without var/tmp: its own overlay" [ "$(root_kind "$viewroot/no-var-tmp")" = overlay ]
check "a rootfs without var/tmp: /var/tmp still takes writes" out_has "^wrote /var/tmp$"
cp -a "$TESTROOT" "$viewroot/box-files" && echo image >"$viewroot/box-files/box/from-image"
check "a rootfs with files in /box: its own overlay" [ "$(root_kind "$viewroot/box-files")" = overlay ]
check "a rootfs with files in /box: the run sees them" out_has "^from-image$"

# A view never outlives what its rootfs path names: a tree swapped in by
# rename shows in the next run, a file changed in place within the view's age.
echo one >"$viewroot/rootfs/marker"
kind=$(root_kind "$viewroot/rootfs")
sbr "$viewroot/rootfs" -- /bin/cat /marker
check "marker 'one' read ($kind)" out_has "^one$"
cp -a "$viewroot/rootfs" "$viewroot/next" && echo two >"$viewroot/next/marker"
mv "$viewroot/rootfs" "$viewroot/old" && mv "$viewroot/next" "$viewroot/rootfs"
sbr "$viewroot/rootfs" -- /bin/cat /marker
check "a rootfs swapped by rename: the next run sees the new tree" out_has "^two$"
echo three >"$viewroot/rootfs/marker.new" && mv "$viewroot/rootfs/marker.new" "$viewroot/rootfs/marker"
i=0
while [ $i -lt 300 ]; do
    sbr "$viewroot/rootfs" -- /bin/cat /marker
    grep -q "^three$" "$OUT" && break
    i=$((i + 1)); sleep 0.1
done
check "a file replaced in place: runs see it within the view's age of 2 s (here: $i polls)" out_has "^three$"

# A rootfs packed as "<rootfs>.erofs" (rootfs-recipes/build.sh packs every
# image): where views are made and the kernel mounts erofs from a file
# (Linux >= 6.12), every run, close together or not, is rooted on that
# image, mounted read-only from its file; else on the directory, as above.
# The image is built from another copy here so that the runs tell which
# tree they see.
kernel_mounts_erofs_files() { uname -r | awk -F. '{ exit !($1 > 6 || ($1 == 6 && $2 >= 12)) }'; }
packed=no
[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && kernel_mounts_erofs_files && packed=yes
cp -a "$TESTROOT" "$viewroot/packed" && echo directory >"$viewroot/packed/marker"
cp -a "$TESTROOT" "$viewroot/src" && echo image >"$viewroot/src/marker"
check "setup: mkfs.erofs packs a rootfs (make test installs erofs-utils)" \
    mkfs.erofs --quiet -zlz4 "$viewroot/packed.erofs" "$viewroot/src"
sbr "$viewroot/packed" -- /bin/sh -c 'cat /marker /proc/mounts; touch /etc/x; for d in /tmp /var/tmp /box /dev/shm; do echo w > $d/w && echo "wrote $d"; done'
if [ "$packed" = yes ]; then
    check "a packed rootfs: its first run sees the image's tree" out_has "^image$"
    check "a packed rootfs: / is the image, read-only ($(root_line))" \
        sh -c "awk '\$2 == \"/\" && \$3 == \"erofs\" && \$4 ~ /^ro,/' '$OUT' | grep -q ."
    check "the packed root's source is a descriptor, no host path" \
        sh -c "awk '\$2 == \"/\" { print \$1 }' '$OUT' | grep -q '^/proc/self/fd/[0-9]*$'"
    check "the packed root: writing elsewhere fails with EROFS" grep -q "Read-only file system" "$ERR"
else
    check "no packed views here (cgroup v2 CLI runs once, or Linux < 6.12): the directory ($(root_line))" \
        out_has "^directory$"
fi
check "the packed rootfs: /tmp, /var/tmp, /box and /dev/shm take writes" \
    sh -c "[ \$(grep -c '^wrote ' '$OUT') -eq 4 ]"
check "the packed rootfs: /proc/mounts names no host path" \
    sh -c "! grep -q -e '$viewroot' -e '$TESTROOT' -e /run/judgebox '$OUT'"
sbr "$viewroot/packed" -- /bin/sh -c 'ls -A /tmp /var/tmp /box'
check "the packed rootfs: nothing written by the run before shows in the next" sh -c "! grep -q w '$OUT'"
echo image2 >"$viewroot/src/marker"
mkfs.erofs --quiet -zlz4 "$viewroot/packed.erofs.new" "$viewroot/src" && mv "$viewroot/packed.erofs.new" "$viewroot/packed.erofs"
sbr "$viewroot/packed" -- /bin/cat /marker
if [ "$packed" = yes ]; then
    check "a new image renamed over the old one: the next run sees it" out_has "^image2$"
fi
rm "$viewroot/packed.erofs"
sbr "$viewroot/packed" -- /bin/cat /marker
check "the image removed: the next run sees the directory" out_has "^directory$"
rm -rf "$viewroot"
