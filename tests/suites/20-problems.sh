#!/bin/sh
# tests/suites/20-problems.sh - owns the tests of issue 9: special judges,
# interactive problems, problem packages (upload, hostile archives, restart),
# early stop and scores, `judgebox judge`.  Packages, checkers, interactors
# and submissions are written by the tests (tests/problems/packages.py);
# servers on loopback ports the kernel picks, each with a state directory of
# its own, stopped by PID.  The checks live in tests/problems/suite.py.
#   BUILD=dir              where judgebox was built (default build)
#   JUDGEBOX_IMAGES=dir    images (default /var/lib/judgebox/images)
#   JUDGEBOX_SERVE_BIN=f   binary to test (e.g. build/judgebox-san)
cd "$(dirname "$0")/../.." || exit 2
command -v python3 >/dev/null || { echo "FAIL problems suite: python3 is not installed (make deps)"; exit 1; }
exec python3 tests/problems/suite.py
