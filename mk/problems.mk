# mk/problems.mk - owns the build deps of server/problems/ (issue 9):
# problem packages (libarchive: tar, tar.gz, zip), problem.yaml (libyaml),
# content hashes of packages and judge programs (nettle's SHA-256), and the
# problem suite's prerequisites (the default image: C, C++ for checkers).
PKGS += libarchive yaml-0.1 nettle
LDLIBS += -larchive -lyaml -lnettle
DEB_PACKAGES += libarchive-dev libyaml-dev nettle-dev
test-prereqs: default-image
