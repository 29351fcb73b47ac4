#!/bin/sh
# tests/vm/guest-http.sh - end-to-end runs through `judgebox serve` in the
# cgroup v2 test VM, with the server in a delegated subtree as systemd runs a
# unit with Delegate=yes:
#   /sys/fs/cgroup/system.slice/judgebox.service   (+cpu +memory +pids +io
#   enabled in / and system.slice, nothing enabled inside the unit's cgroup),
# the server started alone in it.  The core is expected to move itself to
# judgebox.service/judgebox/supervisor (no process may stay in a cgroup that
# enables controllers for its children) and put slots in
# judgebox.service/judgebox/slotN.  Requests go over the guest's loopback
# with curl; responses are read with python3 (both from the host's /).
# After the server stops, everything under the unit's cgroup must be empty
# and removable, as systemd removes it when the unit stops.
set -u
TAG="v2 delegated server"
. tests/vm/lib.sh
UNIT=$CG/system.slice/judgebox.service
PORT=${VM_HTTP_PORT:-18080}
URL=http://127.0.0.1:$PORT
spid=""
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

# py FILE EXPR: evaluate EXPR with d = the JSON in FILE ("" when unreadable)
py() {
    python3 -c 'import json,sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2])
except Exception as e:
    v = ""
print(json.dumps(v) if isinstance(v, (dict, list)) or v is None else v)' "$1" "$2"
}
# post NAME JSON: POST /v1/run; body in $TMPD/NAME.json, HTTP code in $TMPD/NAME.code
post() {
    printf '%s' "$2" >"$TMPD/$1.req"
    curl -sS -m 120 -o "$TMPD/$1.json" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary @"$TMPD/$1.req" "$URL/v1/run" >"$TMPD/$1.code" 2>"$TMPD/$1.err"
}
code() { cat "$TMPD/$1.code" 2>/dev/null; }
run0() { py "$TMPD/$1.json" "d['runs'][0]['$2']"; }
details() { show "$TMPD/$1.req" "$TMPD/$1.json" "$TMPD/$1.err"; }
# expect_run NAME STATUS CHECK: HTTP 200 and runs[0].status
expect_run() {
    _c=$(code "$1"); _s=$(run0 "$1" status)
    if [ "$_c" = 200 ] && [ "$_s" = "$2" ]; then pass "$3"; return 0; fi
    fail "$3" "HTTP $_c, status '$_s', expected 200 and $2"; details "$1"; return 1
}

[ -x "$JUDGEBOX" ] || { fail "cannot test" "$JUDGEBOX is missing"; exit 1; }

# --- the unit's cgroup, as systemd makes it -----------------------------------
mkdir -p "$CG/system.slice"
echo "+cpu +memory +pids +io" >"$CG/system.slice/cgroup.subtree_control" 2>/dev/null ||
    echo "+cpu +memory +pids" >"$CG/system.slice/cgroup.subtree_control"
mkdir -p "$UNIT"
info "unit cgroup $UNIT, controllers: $(cat "$UNIT/cgroup.controllers")"

# The guest's / is the host's, read-only: the job store goes in $TMPD.
sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" serve --listen "127.0.0.1:$3" --state-dir "$4"' \
    sh "$UNIT" "$JUDGEBOX" "$PORT" "$TMPD" >"$TMPD/server.log" 2>&1 &
spid=$!
up=""
i=0
while [ $i -lt 300 ]; do   # 60 s: startup under TCG checks images and cgroups
    kill -0 "$spid" 2>/dev/null || break
    if curl -s -m 5 -o "$TMPD/health.json" "$URL/v1/health" 2>/dev/null; then up=1; break; fi
    sleep 0.2; i=$((i + 1))
done
if [ -z "$up" ]; then
    fail "server starts in the delegated cgroup and answers /v1/health" "see its log below"
    show "$TMPD/server.log"
    wait "$spid" 2>/dev/null; info "server exit status $?"; spid=""
    exit 1
fi
pass "server starts in the delegated cgroup and answers /v1/health"
v=$(py "$TMPD/health.json" "[v for k, v in d.items() if 'cgroup' in k][0]")
ok "/v1/health reports cgroup v2" "health: $(head -c 300 "$TMPD/health.json")" \
    sh -c 'case "$1" in 2|v2|cgroup2|"{\"version\": 2"*) exit 0;; *) exit 1;; esac' sh "$v"

scg=$(cgroup_of "$spid")
ok "server moved itself to judgebox.service/judgebox/supervisor" "it is in '$scg'" \
    [ "$scg" = /system.slice/judgebox.service/judgebox/supervisor ]
ok "the unit's own cgroup holds no process" "judgebox.service/cgroup.procs: $(tr '\n' ' ' <"$UNIT/cgroup.procs")" \
    [ -z "$(cat "$UNIT/cgroup.procs")" ]
ok "controllers are enabled inside the delegated subtree" "judgebox.service/cgroup.subtree_control: '$(cat "$UNIT/cgroup.subtree_control")'" \
    sh -c 'for c in cpu memory pids; do grep -qw $c "$1/cgroup.subtree_control" || exit 1; done' sh "$UNIT"

# --- runs ---------------------------------------------------------------------
post hello '{"language":"bash","source":"echo hello; read x; echo \"got $x\"","stdin":"42\n"}'
expect_run hello ok "bash hello world"
ok "bash hello world output" "stdout: $(run0 hello stdout)" \
    [ "$(py "$TMPD/hello.json" "d['runs'][0]['stdout'] == 'hello\ngot 42\n'")" = True ]

# a run's cgroup and limits, seen while it sleeps
post live '{"language":"bash","source":"sleep 10; echo done","limits":{"memory_kb":100000,"wall_ms":60000}}' &
cpid=$!
if pid=$(wait_pid_of_cmdline "sleep 10" 150); then
    cg=$(cgroup_of "$pid"); d=$CG$cg
    info "a run's cgroup: $cg"
    case "$cg" in
        /system.slice/judgebox.service/judgebox/slot*) pass "run's cgroup is in the delegated subtree ($cg)";;
        *) fail "run's cgroup is in the delegated subtree" "it is '$cg'";;
    esac
    v=$(effective_limit memory.max "$d")
    ok "memory.max written for a server run ($v)" "effective memory.max is '$v', expected $((100000 * 1024))" \
        [ "$v" = $((100000 * 1024)) ]
else
    fail "run's cgroup" "the sleeping run never appeared in /proc"
fi
wait $cpid
expect_run live ok "a sleeping run is ok"

post oom '{"language":"python3","source":"s = b\"x\" * (256 << 20)\nprint(len(s))","limits":{"memory_kb":65536,"cpu_ms":30000,"wall_ms":60000}}'
expect_run oom memory_limit "python allocating 256 MiB under 64 MiB gives memory_limit"

post spin '{"language":"bash","source":"while :; do :; done","limits":{"cpu_ms":1000,"wall_ms":60000}}'
expect_run spin time_limit "a bash spin gives time_limit"

post sleep '{"language":"bash","source":"sleep 60","limits":{"wall_ms":2000}}'
expect_run sleep wall_time_limit "a sleep gives wall_time_limit"

post c '{"language":"c","source":"#include <stdio.h>\nint main(void){int a,b;scanf(\"%d %d\",&a,&b);printf(\"%d\\n\",a+b);return 0;}","tests":[{"id":"1","stdin":"1 2\n","expected_output":"3\n"},{"id":"2","stdin":"20 22\n","expected_output":"42\n"}],"compile_limits":{"cpu_ms":60000,"wall_ms":120000}}'
v=$(py "$TMPD/c.json" "d['verdict']")
ok "C compiled once, judged on 2 tests: accepted" "HTTP $(code c), verdict '$v'" \
    [ "$(code c)/$v" = 200/accepted ] || details c

# concurrent requests each get their own answer
pids=""
for i in 1 2 3 4; do
    post "par$i" "{\"language\":\"bash\",\"source\":\"echo run $i\"}" &
    pids="$pids $!"
done
wait $pids   # not a bare wait: the server is our child too
bad=""
for i in 1 2 3 4; do
    [ "$(code "par$i")" = 200 ] && [ "$(run0 "par$i" stdout)" = "run $i" ] || bad="$bad $i"
done
ok "4 concurrent requests each get their own output" "wrong:$bad" [ -z "$bad" ]
for i in $bad; do details "par$i"; done
[ -n "$bad" ] && { info "server log:"; tail -n 20 "$TMPD/server.log" | sed 's/^/  #   /'; }

# --- stop, then the unit's cgroup must be empty and removable -------------------
kill -TERM "$spid"
i=0
while kill -0 "$spid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
if kill -0 "$spid" 2>/dev/null; then
    fail "server exits on SIGTERM within 30 s" "still running; killed"; kill -KILL "$spid"
else
    pass "server exits on SIGTERM within 30 s"
fi
wait "$spid" 2>/dev/null; spid=""
sleep 0.5
left=$(procs_in_cgroups /system.slice/judgebox.service)
ok "no process left in the unit's cgroup after the server stopped" "$(echo $left)" [ -z "$left" ]
[ -n "$left" ] && describe $left
# `judgebox cleanup` run the way ExecStopPost= runs under Delegate=yes:
# systemd puts control processes in the unit's ".control" subgroup (the unit's
# own cgroup may hold no process once judgebox enabled controllers in it)
mkdir -p "$UNIT/.control"
sh -c 'echo $$ > "$1/.control/cgroup.procs" && exec "$2" cleanup' sh "$UNIT" "$JUDGEBOX" >"$TMPD/cleanup.out" 2>&1; rc=$?
ok "judgebox cleanup as ExecStopPost (in judgebox.service/.control) succeeds" "exit $rc: $(head -c 300 "$TMPD/cleanup.out")" [ $rc = 0 ]
m=$(grep -c ' /run/judgebox' /proc/self/mountinfo)
ok "no judgebox mount (net namespace, scratch) left after cleanup" "$m left: $(grep ' /run/judgebox' /proc/self/mountinfo | cut -d' ' -f5 | tr '\n' ' ')" [ "$m" = 0 ]
rest=$(find "$UNIT" -mindepth 1 -type d | sed "s|^$UNIT/||" | tr '\n' ' ')
info "left in the unit's cgroup for systemd to remove: $rest"
ok "the unit's cgroup tree can be removed, as systemd does on stop" "see above" rmdir_tree "$UNIT"
[ -s "$TMPD/server.log" ] && { info "server log (last lines):"; tail -n 5 "$TMPD/server.log" | sed 's/^/  #   /'; }
exit 0
