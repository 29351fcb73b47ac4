#!/bin/sh
# tests/suites/41-async.sh - owns the black-box tests of the asynchronous
# API and the job store (issue 10, parts 3 and 4): POST /v1/run?async=true,
# GET/DELETE /v1/runs/{id}, callback_url, and the store's durability
# (kill -9 half-way with SQLite; two servers sharing a real redis-server,
# one killed half-way) and its failures (corrupt, damaged, read-only, full
# disk).  The checks live in tests/async/suite.py; servers and redis-server
# are stopped by PID, the tmpfs and bind mounts it makes are removed.
#   BUILD=dir                where judgebox was built (default build)
#   JUDGEBOX_SERVE_BIN=f     binary to test (e.g. build/judgebox-san)
#   ASYNC_DURABILITY_N=n     submissions of each durability test (default 200)
cd "$(dirname "$0")/../.." || exit 2
command -v python3 >/dev/null || { echo "FAIL async suite: python3 is not installed (make deps)"; exit 1; }
exec python3 tests/async/suite.py
