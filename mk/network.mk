# mk/network.mk - owns opt-in network (issue 15 part 4).  Building needs
# only the headers of libmnl and libnftables: sandbox/network.c dlopens
# the libraries on the first networked run, so nothing is linked and a
# `judgebox run` without network pays nothing for them (the -dev packages
# pull in libmnl0 and libnftables1).  The tests make their own net
# namespace with ip (iproute2), read tables with nft, and run python3
# servers there and a python3 client in the default image.
PKGS              += libmnl libnftables
DEB_PACKAGES      += libmnl-dev libnftables-dev
TEST_DEB_PACKAGES += iproute2 nftables python3
test-prereqs: default-image
