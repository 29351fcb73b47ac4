#!/bin/sh
# tests/suites/60-ops.sh - owns the operating concern (issue 12):
#   tests/ops/ops_test.py      tokens and scopes, quotas (429 + headers), /metrics
#                              through promtool, the OpenAPI document through
#                              swagger-parser, and every response this suite and
#                              30-server captured checked against its schemas (ajv)
#   tests/ops/haproxy_test.py  deploy/haproxy.cfg in front of two nodes; 2,000
#                              requests while one node is killed and restarted
#   apparmor_parser -Q         deploy/apparmor/ compiles (no LSM here: not enforced)
#   promtool check rules       deploy/prometheus/judgebox-alerts.yml
#   tests/ops/k8s_check.py     deploy/kubernetes/ is well-formed (not applied)
#   tests/fuzz/run.sh          every libFuzzer harness for FUZZ_SECONDS (default 10)
# Real servers on loopback ports, stopped by PID.  A missing tool is a FAIL.
#   BUILD=dir  JUDGEBOX_SERVE_BIN=file  FUZZ_SECONDS=N  HAPROXY_TEST_REQUESTS=N
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
export BUILD
status=0
need() { command -v "$1" >/dev/null || { echo "FAIL ops: $1 is not installed (make test-deps)"; status=1; }; }
for tool in python3 node promtool haproxy apparmor_parser; do need "$tool"; done

python3 tests/ops/ops_test.py || status=1
python3 tests/ops/haproxy_test.py || status=1

# AppArmor: the profile compiles; a broken copy is refused (the check can fail).
profile=deploy/apparmor/usr.local.bin.judgebox
if out=$(apparmor_parser -Q -K -T "$profile" 2>&1); then
    echo "PASS apparmor: $profile compiles (apparmor_parser -Q; not loaded: no LSM on this machine)"
else
    echo "FAIL apparmor: $profile: $(echo "$out" | grep -v 'Cache read/write disabled' | head -3 | tr '\n' ' ')"
    status=1
fi
broken=$(mktemp /tmp/judgebox-apparmor.XXXXXX)
sed 's/capability sys_admin,/capability sys_admin/' "$profile" >"$broken"
if apparmor_parser -Q -K -T "$broken" >/dev/null 2>&1; then
    echo "FAIL apparmor: a profile with a syntax error was accepted: the check cannot fail"
    status=1
else
    echo "PASS apparmor: a broken copy of the profile is refused"
fi
rm -f "$broken"

# The example alerts of docs/operations.md.
if out=$(promtool check rules deploy/prometheus/judgebox-alerts.yml 2>&1); then
    echo "PASS prometheus: deploy/prometheus/judgebox-alerts.yml passes promtool check rules"
else
    echo "FAIL prometheus: judgebox-alerts.yml: $(echo "$out" | tail -3 | tr '\n' ' ')"
    status=1
fi

python3 tests/ops/k8s_check.py || status=1
FUZZ_SECONDS=${FUZZ_SECONDS:-10} sh tests/fuzz/run.sh || status=1
exit $status
