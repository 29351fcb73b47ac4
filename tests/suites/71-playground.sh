#!/bin/sh
# tests/suites/71-playground.sh - owns the playground page's tests (issue 15,
# part 6): tests/playground/playground.py starts real servers and drives the page
# in headless Chromium with puppeteer-core (tests/playground/browser.mjs,
# npm clients from tests/live/package-lock.json; mk/live.mk installs them
# and chromium).  Screenshots: build/test-artifacts/playground/.
. tests/lib.sh
command -v python3 >/dev/null || { fail "playground suite" "python3 is not installed (make deps)"; exit 1; }
command -v node >/dev/null || { fail "playground suite" "node is not installed (make test-deps)"; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { fail "playground suite" "${CHROMIUM:-/usr/bin/chromium} is missing (make test-deps)"; exit 1; }
[ -d tests/live/node_modules/puppeteer-core ] || { fail "playground suite" "puppeteer-core is not installed (make live-test-prereqs)"; exit 1; }
# The sanitizer build when there is one (make test builds it).
SAN=${BUILD:-build}/judgebox-san
[ -z "${JUDGEBOX_SERVE_BIN:-}" ] && [ -x "$SAN" ] && export JUDGEBOX_SERVE_BIN=$SAN
python3 tests/playground/playground.py
