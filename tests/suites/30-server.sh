#!/bin/sh
# tests/suites/30-server.sh - owns the black-box tests of `judgebox serve`
# (issue 3): real servers on loopback ports the kernel picks, real programs
# in the default image (c, cpp, python3, bash).  Every endpoint, each run
# status from a small program, each checker, each error class (400, 404,
# 405, 413, 422, 503), 50 concurrent requests of mixed languages, a full
# queue, slow and vanishing clients, a client that disconnects mid-run,
# the log line per request, startup failures.  The checks live in
# tests/server/suite.py; servers are stopped by PID.  A missing binary,
# image or language is a FAIL, not a skip.
#   BUILD=dir              where judgebox was built (default build)
#   JUDGEBOX_IMAGES=dir    images (default /var/lib/judgebox/images)
#   JUDGEBOX_SERVE_BIN=f   binary to test (e.g. build/judgebox-san)
cd "$(dirname "$0")/../.." || exit 2
command -v python3 >/dev/null || { echo "FAIL server suite: python3 is not installed (make deps)"; exit 1; }
exec python3 tests/server/suite.py
