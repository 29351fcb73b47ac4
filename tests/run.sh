#!/bin/sh
# tests/run.sh - runs every test judgebox has and prints one closing line,
# "N passed, N failed".  Protocol for every test program and suite: print
# "PASS name" or "FAIL name: why" per check, one per line; a suite that
# exits non-zero without printing any FAIL counts as one failure.
# Order: unit tests (plain, then ASan/UBSan build), then tests/suites/*.sh
# sorted by name.  TESTS_ONLY=pattern limits the suites run.
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.." || exit 2
log=$(mktemp /tmp/judgebox-tests.XXXXXX)
trap 'rm -f "$log"' EXIT
passed=0; failed=0

run_one() { # name, command...
    name=$1; shift
    echo "== $name"
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc and reported no failure"
        f=1
    fi
    passed=$((passed + p)); failed=$((failed + f))
}

for t in "$BUILD"/unit/* "$BUILD"/unit-san/*; do
    [ -x "$t" ] || continue
    case "${TESTS_ONLY:-}" in ""|unit) ;; *) continue;; esac
    run_one "$t" env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$t"
done
for s in tests/suites/*.sh; do
    [ -f "$s" ] || continue
    case "$s" in *"${TESTS_ONLY:-}"*) ;; *) continue;; esac
    run_one "$s" sh "$s"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
