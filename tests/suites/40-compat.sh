#!/bin/sh
# tests/suites/40-compat.sh - owns the black-box tests of the drop-in Judge0
# CE 1.13.1 and Piston v2 APIs (issue 10, parts 1 and 2; server/compat):
# real servers on loopback ports the kernel picks, real programs in the
# default image, every Judge0 endpoint and field, the verdict map, base64,
# multi-file zips, asynchronous submissions through the job store,
# callbacks to a loopback HTTP server, and the Piston API by hand and
# through the real `piston-client` npm package (tests/compat/package.json,
# installed by `make test`'s set-up with npm ci).  The checks live in
# tests/compat/suite.py; servers are stopped by PID.
#   BUILD=dir              where judgebox was built (default build)
#   JUDGEBOX_IMAGES=dir    images (default /var/lib/judgebox/images)
#   JUDGEBOX_SERVE_BIN=f   binary to test (default: the ASan/UBSan build,
#                          build/judgebox-san, whose reports fail the suite)
cd "$(dirname "$0")/../.." || exit 2
: "${JUDGEBOX_SERVE_BIN:=${BUILD:-build}/judgebox-san}"
export JUDGEBOX_SERVE_BIN
command -v python3 >/dev/null || { echo "FAIL compat suite: python3 is not installed (make deps)"; exit 1; }
command -v node >/dev/null || { echo "FAIL compat suite: node is not installed (make test-deps)"; exit 1; }
exec python3 tests/compat/suite.py
