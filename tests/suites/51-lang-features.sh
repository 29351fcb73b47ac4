#!/bin/sh
# tests/suites/51-lang-features.sh - owns judging like contest judges do
# (issue 14): standards, aliases, compile_options, multi-file compiles, JVM
# main classes, ES modules, OCaml libraries, syntax checks, file_size_kb and
# stack_kb, PyPy.  The checks live in tests/langs/features.py (a real server
# through tests/server/lib.py).
cd "$(dirname "$0")/../.." || exit 2
exec python3 tests/langs/features.py
