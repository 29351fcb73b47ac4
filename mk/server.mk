# mk/server.mk - owns the server suite's prerequisites (issue 3):
# tests/suites/30-server.sh judges real C, C++, Python 3 and Bash programs in
# the default image, so `make test` builds it even when TEST_IMAGES leaves it
# out (a no-op when it is up to date).  The suite fails, loudly, without it.
test-prereqs: default-image
