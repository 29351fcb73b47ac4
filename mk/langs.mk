# mk/langs.mk - owns the build and test needs of languages and images
# (issue 14): `judgebox image import` reads OCI layouts and docker tarballs
# with libarchive and checks blob digests with nettle; the image suite builds
# a tiny OCI image offline with umoci.
PKGS              += libarchive nettle
LDLIBS            += -larchive -lnettle
DEB_PACKAGES      += libarchive-dev nettle-dev
TEST_DEB_PACKAGES += umoci
