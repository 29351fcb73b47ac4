# mk/compat.mk - the Judge0 and Piston compatibility APIs (issue 10, parts 1
# and 2; server/compat/): libarchive unpacks Judge0's additional_files, and
# the Piston test drives the server with the real `piston-client` npm package
# (tests/compat/package.json and package-lock.json, installed with npm ci).
PKGS              += libarchive
LDLIBS            += -larchive
DEB_PACKAGES      += libarchive-dev
# node and npm: mk/node.mk.
test-prereqs: compat-npm
compat-npm:
	npm ci --prefix tests/compat --no-audit --no-fund --loglevel=error
.PHONY: compat-npm
