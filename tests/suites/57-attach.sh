#!/bin/sh
# tests/suites/57-attach.sh - `judgebox attach` (docs/attach.md): a command
# inside a live run.  A run waits on a FIFO in its /tmp; attaches look at it
# (its processes exactly, its files, uid, capabilities, seccomp,
# namespaces, cgroups), are refused when the config has attaching off, for
# a non-root caller and for an unknown id, lose a process to a forbidden
# syscall without harming the run, leave nothing of theirs behind, and are
# logged; then an attach writes to the FIFO and the run ends with its
# normal verdict and output.  A second run ends while attached: the
# attached command dies with it and nothing is left (process, cgroup
# member, record).  A run started with attaching off writes no record (a run
# costs no file then) and cannot be attached to; --list says why it is
# empty.  Slot 57 is this suite's own.
. tests/lib.sh
SLOT=57; SANDBOX_SLOT=57
RUNDIR=/run/judgebox
ID=attach-test-$$
LOG=$TMPD/attach.log
printf '{"attach": {"enabled": true, "log": "%s"}}\n' "$LOG" >"$TMPD/on.json"
printf '{"attach": {"enabled": false, "log": "%s"}}\n' "$LOG" >"$TMPD/off.json"
# Runs are recorded (findable) only when the config they start with enables
# attaching: every `judgebox run` here reads this one unless told otherwise.
export JUDGEBOX_CONFIG="$TMPD/on.json"
mkdir -p "$TMPD/box" && echo "hello from the box" >"$TMPD/box/file"
A_OUT=$TMPD/a.out A_ERR=$TMPD/a.err

# The attach command itself from the sanitizer build when there is one (make test builds it).
ATTACH=$JUDGEBOX
[ -x "${BUILD:-build}/judgebox-san" ] && ATTACH=${BUILD:-build}/judgebox-san
# at ARGS...: judgebox attach with the enabling config; output in $A_OUT, $A_ERR, status in $A_RC.
at() {
    "$ATTACH" attach --config "$TMPD/on.json" "$@" >"$A_OUT" 2>"$A_ERR" </dev/null
    A_RC=$?
}
a_has() { grep -q -- "$1" "$A_OUT"; }
err_has() { grep -q -- "$1" "$A_ERR"; }
listed() { "$JUDGEBOX" attach --list 2>/dev/null | awk -v id="$1" '$1 == id {found = 1} END {exit !found}'; }
# wait_listed ID: until the run is listed (its record exists and its init lives); 60 s budget.
wait_listed() {
    i=0
    while ! listed "$1"; do
        i=$((i + 1)); [ $i -le 600 ] || return 1
        sleep 0.1
    done
}
field_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }

# --- a live run, waiting on a FIFO ----------------------------------------------
# On cgroup v1 a first run leaves the slot a keeper, which runs the next: the
# run id travels to it, and its runs are findable like any other.
"$JUDGEBOX" run --slot $SLOT --rootfs "$TESTROOT" -- true >/dev/null 2>&1 </dev/null
KEEPER=""
if [ -d /sys/fs/cgroup/memory ] && [ -z "${JUDGEBOX_NO_KEEPER:-}" ]; then
    i=0; while [ ! -S "$RUNDIR/slots/$SLOT.sock" ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
    [ -S "$RUNDIR/slots/$SLOT.sock" ] && KEEPER=yes
fi
PROGRAM='echo started; echo written > /box/written; mkfifo /tmp/go; read line < /tmp/go; echo "finished $line"'
"$JUDGEBOX" run --slot $SLOT --run-id "$ID" --rootfs "$TESTROOT" --box "$TMPD/box" --wall-ms 120000 --cpu-ms 10000 \
    --result "$TMPD/run.json" -- /bin/sh -c "$PROGRAM" >"$TMPD/run.out" 2>"$TMPD/run.err" </dev/null &
RUN=$!
if ! wait_listed "$ID"; then
    fail "attach: the run appears in --list" "not listed after 60 s (too slow?): $("$JUDGEBOX" attach --list 2>&1 | tr '\n' ' ')"
    kill "$RUN" 2>/dev/null; wait "$RUN"; exit 0
fi
pass "attach: the run appears in --list under its id"
line=$("$JUDGEBOX" attach --list | awk -v id="$ID" '$1 == id')
check "attach: --list gives its slot" [ "$(echo "$line" | awk '{print $2}')" = $SLOT ]
INIT=$(echo "$line" | awk '{print $3}')
if [ -n "$KEEPER" ]; then
    check "attach: the run went through the slot's keeper (its supervisor is not the CLI)" \
        [ "$(echo "$line" | awk '{print $6}')" != "$RUN" ]
fi
check "attach: the record names the run's cgroups" grep -q '^cgroup /' "$RUNDIR/runs/slot$SLOT"
CGROUPS=$(awk '$1 == "cgroup" {print $2}' "$RUNDIR/runs/slot$SLOT")
# the run is ready once its FIFO exists (seen through its init's root)
i=0; while [ ! -p "/proc/$INIT/root/tmp/go" ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done

# --- refusals -------------------------------------------------------------------
"$JUDGEBOX" attach --config "$TMPD/off.json" "$ID" -- id >"$A_OUT" 2>"$A_ERR"; A_RC=$?
check "attach: refused when the config has it off (125)" [ $A_RC -eq 125 ]
check "attach: the refusal says why" err_has "attaching is off"
check "attach: the refusal is logged" grep -q '"refused":"attaching is off' "$LOG"
printf '{}\n' >"$TMPD/none.json"
"$JUDGEBOX" attach --config "$TMPD/none.json" --run-dir "$TMPD" "$ID" -- id >"$A_OUT" 2>"$A_ERR"; A_RC=$?
check "attach: refused when the config does not mention it" sh -c "[ $A_RC -eq 125 ] && grep -q 'attaching is off' '$A_ERR'"
printf '{"attach": {"enabled": "yes"}}\n' >"$TMPD/bad1.json"
printf '{"attach": {"enabld": true}}\n' >"$TMPD/bad2.json"
printf '{"attach": {"enabled": true, "log": "relative.log"}}\n' >"$TMPD/bad3.json"
for bad in "bad1:attach.enabled must be true or false" "bad2:unknown field 'enabld'" "bad3:attach.log must be an absolute path"; do
    "$JUDGEBOX" attach --config "$TMPD/${bad%%:*}.json" "$ID" -- id >"$A_OUT" 2>"$A_ERR"; A_RC=$?
    check "attach: a bad config is refused (${bad#*:})" sh -c "[ $A_RC -eq 125 ] && grep -qF \"${bad#*:}\" '$A_ERR'"
done
at "no-such-run-$$" -- id
check "attach: refused for an unknown id" sh -c "[ $A_RC -eq 125 ] && grep -q 'no live run' '$A_ERR'"
at "bad/id" -- id
check "attach: refused for a malformed id" sh -c "[ $A_RC -eq 125 ] && grep -q 'not a run id' '$A_ERR'"
at --slot 56 -- id
check "attach: refused for a slot with no run" sh -c "[ $A_RC -eq 125 ] && grep -q 'no run is alive in slot 56' '$A_ERR'"
setpriv --reuid=65534 --regid=65534 --clear-groups "$JUDGEBOX" attach --config "$TMPD/on.json" "$ID" -- id \
    >"$A_OUT" 2>"$A_ERR" </dev/null; A_RC=$?
check "attach: refused for a non-root caller" sh -c "[ $A_RC -eq 125 ] && grep -q 'only root' '$A_ERR'"

# --- what an attach sees --------------------------------------------------------
at "$ID" -- ps -o pid,user,args
check "attach: ps works (exit 0)" [ $A_RC -eq 0 ]
check "attach: ps sees the run's program as pid 2" grep -q "^ *2 .*mkfifo /tmp/go" "$A_OUT"
check "attach: ps sees exactly the run's program and itself" [ "$(grep -c . "$A_OUT")" -eq 3 ]
check "attach: ps sees itself" grep -q "ps -o pid,user,args" "$A_OUT"
at "$ID" -- ls /proc
check "attach: /proc has exactly two processes (the program, ls)" [ "$(grep -c '^[0-9][0-9]*$' "$A_OUT")" -eq 2 ]
at "$ID" -- cat /box/file /box/written
check "attach: sees the run's /box and what the program wrote" sh -c "grep -qx 'hello from the box' '$A_OUT' && grep -qx written '$A_OUT'"
at "$ID" -- ls /proc/self/fd
check "attach: the command holds only stdin, stdout, stderr (and ls its directory)" \
    [ "$(tr '\n' ' ' <"$A_OUT")" = "0 1 2 3 " ]
"$ATTACH" attach --config "$TMPD/on.json" "$ID" -- true </ >"$A_OUT" 2>"$A_ERR"; A_RC=$?
check "attach: refused when stdin is a directory (a way out of the run's root)" \
    sh -c "[ $A_RC -eq 125 ] && grep -q 'fd 0 is a directory' '$A_ERR'"
at "$ID" -- ls -l /tmp/go
check "attach: sees the run's own /tmp (its FIFO)" grep -q '^p' "$A_OUT"
at "$ID" -- /bin/sh -c 'id -u; id -g; pwd; hostname; cat /proc/self/status'
check "attach: uid 1000 and gid 1000" sh -c "sed -n 1,2p '$A_OUT' | tr '\n' ' ' | grep -qx '1000 1000 '"
check "attach: in the run's working directory" sh -c "sed -n 3p '$A_OUT' | grep -qx /box"
check "attach: the run's hostname" sh -c "sed -n 4p '$A_OUT' | grep -qx judgebox"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    check "attach: $cap is empty" a_has "^$cap:	0000000000000000"
done
check "attach: NoNewPrivs is set" a_has "^NoNewPrivs:	1"
check "attach: seccomp filter mode" a_has "^Seccomp:	2"
at --slot $SLOT -- /t/probe ns
for ns in user pid mnt net ipc uts cgroup; do
    inside=$(awk -v n=$ns '$1 == n {print $2}' "$A_OUT")
    run=$(readlink "/proc/$INIT/ns/$ns")
    check "attach --slot: the run's $ns namespace" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh "$inside" "$run"
done
at "$ID" -- cat /proc/self/cgroup
if [ -d /sys/fs/cgroup/memory ]; then
    check "attach: in the run's memory and pids cgroups (v1)" sh -c \
        "grep -Eq '^[0-9]+:memory:/\$' '$A_OUT' && grep -Eq '^[0-9]+:pids:/\$' '$A_OUT'"
else
    check "attach: in the run's cgroup (v2)" grep -qx '0::/' "$A_OUT"
fi
h_uid=$(awk '$1 == "uid" {print $2}' "$RUNDIR/runs/slot$SLOT")
at "$ID" -- cat /proc/self/uid_map
check "attach: uid 1000 is the run's host uid ($h_uid)" sh -c "awk '\$1 == 1000 {print \$2}' '$A_OUT' | grep -qx '$h_uid'"

# --- forbidden syscalls, exit codes, leftovers ----------------------------------
at "$ID" -- /t/probe unshare-user
check "attach: a forbidden syscall kills the command (137)" [ $A_RC -eq 137 ]
check "attach: the forbidden syscall is named" err_has "forbidden syscall unshare"
check "attach: the forbidden syscall is logged" grep -q '"forbidden_syscall":"unshare"' "$LOG"
check "attach: the run lives on after a forbidden syscall" listed "$ID"
# Ctrl-C at the terminal (SIGINT to the attach's process group): judgebox attach and its
# helper ignore it; a command that ignores it too carries on.
setsid "$ATTACH" attach --config "$TMPD/on.json" "$ID" -- /bin/sh -c 'trap "" INT; /t/probe sleep 5000; echo survived' \
    >"$A_OUT" 2>"$A_ERR" </dev/null &
AP=$!
i=0; while ! pgrep -f "^/t/probe sleep 5000" >/dev/null && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
/bin/kill -INT -- -"$AP" 2>/dev/null # (dash's kill takes no process group)
wait $AP; A_RC=$?
check "attach: Ctrl-C (SIGINT to its process group) does not end the attach" sh -c "[ $A_RC -eq 0 ] && grep -qx survived '$A_OUT'"
at "$ID" -- /bin/sh -c 'exit 7'
check "attach: the command's exit code is attach's" [ $A_RC -eq 7 ]
at "$ID" -- /no/such/program
check "attach: a missing command exits 127" sh -c "[ $A_RC -eq 127 ] && grep -q 'cannot execute /no/such/program' '$A_ERR'"
at "$ID" -- /bin/sh -c '/t/probe sleep 600000 & echo left $!'
check "attach: returns while its command left a process running" [ $A_RC -eq 0 ]
at "$ID" -- ps -o pid,args
check "attach: what an attach left behind is gone" sh -c "! grep -q 'probe sleep' '$A_OUT' && [ \$(grep -c . '$A_OUT') -eq 3 ]"
check "attach: the run is still alive after the attaches" listed "$ID"
check "attach: logged: who, run, slot, command" grep -q "\"event\":\"attach\",\"uid\":0,.*\"run_id\":\"$ID\".*\"command\":\[\"ps\",\"-o\",\"pid,user,args\"\].*\"slot\":$SLOT" "$LOG"
check "attach: logged: the end, with exit code" grep -q "\"event\":\"attach_end\".*\"run_id\":\"$ID\".*\"exit_code\":7" "$LOG"

# --- the run finishes normally ----------------------------------------------------
at "$ID" -- /bin/sh -c 'echo bye > /tmp/go'
# 0, or 137 when the run, unblocked, ended before the attached shell did (it dies with the run)
check "attach: writes to the run's FIFO" sh -c "[ $A_RC -eq 0 ] || [ $A_RC -eq 137 ]"
wait "$RUN"; RUN_RC=$?
check "attach: the run then exits 0" [ $RUN_RC -eq 0 ]
check "attach: the run's verdict is ok" [ "$(field_of "$TMPD/run.json" status)" = ok ]
check "attach: the run's output is its own, whole" sh -c "printf 'started\nfinished bye\n' | cmp -s - '$TMPD/run.out'"
check "attach: the run's CPU time stays small" in_range "$(field_of "$TMPD/run.json" cpu_ms)" 0 3000
check "attach: the record is gone with the run" [ ! -e "$RUNDIR/runs/slot$SLOT" ]
check "attach: no longer listed" sh -c "! \"$JUDGEBOX\" attach --list | grep -q '$ID'"
at "$ID" -- id
check "attach: refused once the run ended" sh -c "[ $A_RC -eq 125 ] && grep -q 'no live run' '$A_ERR'"

# --- a run that ends while attached ---------------------------------------------
ID2=$ID-b
JUDGEBOX_NO_KEEPER=1 "$JUDGEBOX" run --slot $SLOT --run-id "$ID2" --rootfs "$TESTROOT" --wall-ms 120000 \
    --result "$TMPD/run2.json" -- /bin/sh -c 'mkfifo /tmp/go; read line < /tmp/go; echo "ended $line"' \
    >"$TMPD/run2.out" 2>"$TMPD/run2.err" </dev/null &
RUN2=$!
if wait_listed "$ID2"; then
    INIT2=$("$JUDGEBOX" attach --list | awk -v id="$ID2" '$1 == id {print $3}')
    CGROUPS=$(awk '$1 == "cgroup" {print $2}' "$RUNDIR/runs/slot$SLOT")
    i=0; while [ ! -p "/proc/$INIT2/root/tmp/go" ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
    at "$ID2" -- /bin/sh -c 'echo now > /tmp/go; exec /t/probe sleep 600000'
    check "attach: killed with the run that ended (137)" [ $A_RC -eq 137 ]
    check "attach: says the run ended" err_has "ended; the attached command ended with it"
    check "attach: logged as run_ended" grep -q "\"event\":\"attach_end\".*\"run_id\":\"$ID2\".*\"run_ended\":true" "$LOG"
    wait "$RUN2"
    check "attach: that run's verdict is ok" [ "$(field_of "$TMPD/run2.json" status)" = ok ]
    check "attach: that run's output is whole" grep -qx "ended now" "$TMPD/run2.out"
    check "attach: no process of the slot is left" [ "$(sandbox_processes)" -eq 0 ]
    check "attach: no record is left" [ ! -e "$RUNDIR/runs/slot$SLOT" ]
    # (the slot's keeper, root, may sit in the slot-wide ones: only the run's uids count)
    left=""
    for d in $CGROUPS; do
        [ -e "$d/cgroup.procs" ] || continue
        for p in $(cat "$d/cgroup.procs"); do
            u=$(awk '/^Uid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
            [ -n "$u" ] && [ "$u" -ge $((3000000 + 2 * SLOT)) ] && [ "$u" -le $((3000001 + 2 * SLOT)) ] && left="$left $d:$p"
        done
    done
    check "attach: no process of the run is left in its cgroups" [ -z "$left" ]
    check "attach: no mount of the run is left on the host" sh -c "! grep -q \"$TMPD\" /proc/mounts"
else
    fail "attach: the second run appears in --list" "not listed after 60 s (too slow?)"
    kill "$RUN2" 2>/dev/null; wait "$RUN2"
fi

# --- attaching off: no record ---------------------------------------------------
# The config the run starts with has attaching off (no keeper: a keeper keeps the
# setting of the run that started it, and this suite's slot keeper has it on).
ID3=$ID-off
JUDGEBOX_CONFIG=$TMPD/off.json JUDGEBOX_NO_KEEPER=1 "$JUDGEBOX" run --slot $SLOT --run-id "$ID3" --rootfs "$TESTROOT" \
    --wall-ms 120000 --result "$TMPD/run3.json" -- /bin/sh -c 'mkfifo /tmp/go3; read line < /tmp/go3; echo "ended $line"' \
    >"$TMPD/run3.out" 2>"$TMPD/run3.err" </dev/null &
RUN3=$!
# the run is live once its program (the slot's unprivileged uid) has made its FIFO
PROGRAM_UID=$((3000001 + 2 * SLOT))
P3=""; i=0
while [ -z "$P3" ] && [ $i -lt 600 ]; do
    for p in $(ps -eo pid=,uid= | awk -v u=$PROGRAM_UID '$2 == u {print $1}'); do
        [ -p "/proc/$p/root/tmp/go3" ] && P3=$p
    done
    [ -n "$P3" ] || { i=$((i + 1)); sleep 0.1; }
done
if [ -n "$P3" ]; then
    pass "attach off: the run is live (its FIFO made)"
    check "attach off: no record of the live run under runs/" sh -c "! ls -A '$RUNDIR/runs' | grep -q 'slot$SLOT'"
    JUDGEBOX_CONFIG=$TMPD/off.json "$JUDGEBOX" attach --list >"$A_OUT" 2>"$A_ERR"; A_RC=$?
    check "attach off: --list exits 0 and does not list the run" sh -c "[ $A_RC -eq 0 ] && ! grep -q '$ID3' '$A_OUT'"
    check "attach off: --list says attaching is off in that config, so runs are not recorded" \
        sh -c "grep -qF 'attaching is off in $TMPD/off.json' '$A_ERR' && grep -q 'not recorded' '$A_ERR'"
    at --slot $SLOT -- id
    check "attach off: the run cannot be attached to, even with attaching on in attach's config" \
        sh -c "[ $A_RC -eq 125 ] && grep -q 'no run is alive in slot $SLOT' '$A_ERR'"
    echo off >"/proc/$P3/root/tmp/go3"
    wait "$RUN3"
    status3=$(field_of "$TMPD/run3.json" status)
    check "attach off: the run ends ok with its output" sh -c "[ '$status3' = ok ] && grep -qx 'ended off' '$TMPD/run3.out'"
else
    fail "attach off: the run is live" "no FIFO of uid $PROGRAM_UID after 60 s (too slow?): $(head -c 300 "$TMPD/run3.err")"
    kill "$RUN3" 2>/dev/null; wait "$RUN3"
fi
"$JUDGEBOX" attach --list >"$A_OUT" 2>"$A_ERR"
check "attach on: --list says nothing about attaching being off" sh -c "! grep -q 'attaching is off' '$A_ERR'"

# --- the record of a supervisor that died mid-run (SIGKILL) ----------------------
STALE=$RUNDIR/runs/slot55
printf 'run_id stale-%s\nslot 55\ninit_pid 999999999\ninit_start 1\nsupervisor_pid 999999999\nuid 3000111\nstarted_ms 1\nlimits 1 1 1 1 1 1 1 1 1 1\n' $$ >"$STALE"
check "attach: a dead run's record is not listed" sh -c "! \"$JUDGEBOX\" attach --list | grep -q 'stale-$$'"
at "stale-$$" -- id
check "attach: a dead run's record is not attached to" sh -c "[ $A_RC -eq 125 ] && grep -q 'no live run' '$A_ERR'"
"$JUDGEBOX" cleanup >/dev/null 2>&1
check "attach: judgebox cleanup removes the record of a slot nobody holds" [ ! -e "$STALE" ]
rm -f "$STALE"

# --- a run of the server, found by the run id its stream announces -------------
command -v python3 >/dev/null && command -v curl >/dev/null || { fail "attach server" "python3 and curl are needed (make deps)"; exit 0; }
SAN=${BUILD:-build}/judgebox-san
[ -z "${JUDGEBOX_SERVE_BIN:-}" ] && [ -x "$SAN" ] && export JUDGEBOX_SERVE_BIN=$SAN
python3 tests/attach/server.py
