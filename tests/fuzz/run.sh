#!/bin/sh
# tests/fuzz/run.sh - run every libFuzzer harness in $BUILD/fuzz for
# FUZZ_SECONDS each, starting from the committed seed corpus
# tests/fuzz/corpus/<harness>/ plus what earlier runs found
# ($BUILD/fuzz/corpus/<harness>/, which new inputs are written to).
# Prints "PASS fuzz <harness>: N runs, cov C, ft F, corpus K" or
# "FAIL fuzz <harness>: ..." (the crashing input is kept under
# $BUILD/fuzz/artifacts/).  FUZZ_ONLY=pattern picks harnesses.
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
cd "$(dirname "$0")/../.." || exit 2
status=0
found=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    case "$name" in *"${FUZZ_ONLY:-}"*) ;; *) continue;; esac
    found=1
    work="$BUILD/fuzz/corpus/$name"
    mkdir -p "$work" "$BUILD/fuzz/artifacts"
    dict=""
    [ -f "tests/fuzz/${name#fuzz_}.dict" ] && dict="-dict=tests/fuzz/${name#fuzz_}.dict"
    log="$BUILD/fuzz/$name.log"
    # -rss_limit_mb: the machine is shared; -timeout: one input over 10 s is a hang.
    "$bin" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -rss_limit_mb=1024 -timeout=10 \
        -artifact_prefix="$BUILD/fuzz/artifacts/$name-" $dict "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(ls "$work" | wc -l)
    if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
        echo "PASS fuzz $name: $runs runs in ${FUZZ_SECONDS}s, cov ${cov:-?}, ft ${ft:-?}, corpus $corpus"
    else
        why=$(grep -m1 -E 'ERROR|fuzz property failed|Sanitizer|runtime error' "$log" | cut -c1-200)
        echo "FAIL fuzz $name: exit $rc: ${why:-no statistics (see $log)}; input in $BUILD/fuzz/artifacts/"
        status=1
    fi
done
[ "$found" -eq 1 ] || { echo "FAIL fuzz: no harness in $BUILD/fuzz (make fuzz-build)"; exit 1; }
exit $status
