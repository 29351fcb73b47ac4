#!/bin/sh
# tests/suites/31-server-faults.sh - owns the regression checks of the HTTP
# faults of issue 11 (docs/reliability.md, "## HTTP server"): SIGTERM under
# keep-alive load, slow clients, queue fairness, pipelining and protocol
# errors (with pins of what libmicrohttpd 0.9.75 answers by itself),
# half-closed clients, the log, memory amplification and RSS.  The checks
# live in tests/server/faults.py; servers are stopped by PID.
#   BUILD=dir              where judgebox was built (default build)
#   JUDGEBOX_IMAGES=dir    images (default /var/lib/judgebox/images)
#   JUDGEBOX_SERVE_BIN=f   binary to test (e.g. build/judgebox-san)
#   FAULTS_ONLY=word       only the group whose name holds word
cd "$(dirname "$0")/../.." || exit 2
command -v python3 >/dev/null || { echo "FAIL server faults suite: python3 is not installed (make deps)"; exit 1; }
exec python3 tests/server/faults.py
