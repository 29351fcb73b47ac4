#!/bin/sh
# tests/suites/70-live.sh - owns the live-run tests (issue 15): the sandbox
# door's hooks (live output, a caller's stdin pipe, signals, reading /box
# after the run) through tests/live/hooks.c, then the server's streamed
# output, WebSocket sessions, files out and the playground through real
# clients (curl -N, the ws, eventsource and puppeteer-core npm packages
# from tests/live/package-lock.json, headless Chromium): tests/live/*.mjs
# and tests/live/suite.py.
. tests/lib.sh
HOOKS=${BUILD:-build}/live/hooks
LIVE_SLOT=60

# 1. The door's hooks.
if [ ! -x "$HOOKS" ]; then
    fail "live hooks driver" "$HOOKS is missing (make all)"
else
    "$HOOKS" "$TESTROOT" $LIVE_SLOT >"$OUT" 2>"$ERR"
    val() { sed -n "s/^$1 //p" "$OUT" | head -1; }
    check "hooks: the run succeeds" [ "$(val rc)" = 0 ] 
    check "hooks: status ok" [ "$(val status)" = ok ]
    check "hooks: the prompt came as a chunk of its own, before stdin was written" [ "$(val first)" = "name?" ]
    check "hooks: stdin from the caller's pipe reached the program" grep -qx "hello world" "$OUT"
    check "hooks: the finished hook read a file the program wrote in /box" [ "$(val box_file)" = inside ]
    check "hooks: a symlink out of /box is not followed" [ "$(val link_errno)" = ELOOP ]
    check "hooks: SIGTERM through signal_fd ends the program" [ "$(val signal_signal)" = 15 ]
    check "hooks: the signalled run is a runtime_error" [ "$(val signal_status)" = runtime_error ]
    check "hooks: the signalled run ended long before its 30 s sleep" in_range "$(val signal_wall_ms)" 0 15000
    SANDBOX_SLOT=$LIVE_SLOT
    check "hooks: nothing of the runs is left" [ "$(sandbox_processes)" -eq 0 ]
fi

# 2. The server: files out, streaming, WebSocket sessions, the playground.
command -v python3 >/dev/null || { fail "live server suite" "python3 is not installed (make deps)"; exit 1; }
# The sanitizer build when there is one (make test builds it): leaks and
# races in the threads of streams and sessions show there first.
SAN=${BUILD:-build}/judgebox-san
[ -z "${JUDGEBOX_SERVE_BIN:-}" ] && [ -x "$SAN" ] && export JUDGEBOX_SERVE_BIN=$SAN
python3 tests/live/suite.py
