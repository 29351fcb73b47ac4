# mk/store.mk - the asynchronous job store (issue 10, parts 3 and 4):
# SQLite by default, Redis across nodes, callbacks with libcurl
# (server/store/).  The tests start a real redis-server on a loopback port.
PKGS              += sqlite3 hiredis libcurl
LDLIBS            += -lsqlite3 -lhiredis -lcurl
DEB_PACKAGES      += libsqlite3-dev libhiredis-dev libcurl4-openssl-dev
TEST_DEB_PACKAGES += redis-server
