# mk/rootfs.mk - owns the rootfs image targets (issue 4).
#   make default-image                 the `default` image (C, C++, Python 3, Bash, ...);
#                                      used by `make run`, a no-op when up to date
#   make rootfs [IMAGES="jvm go ..."]  build or refresh images; IMAGES=all for every
#                                      recipe in rootfs-recipes/ (default: default)
#   make rootfs-list                   the recipe names and the languages of each
# Images go to $JUDGEBOX_IMAGES (default /var/lib/judgebox/images); see
# rootfs-recipes/build.sh.  `make test` builds TEST_IMAGES (default all), since
# tests/suites/50-languages.sh fails for every language whose image is missing.

IMAGES      ?= default
TEST_IMAGES ?= all
ROOTFS_DEB  := mmdebstrap jq bubblewrap util-linux curl iproute2

.PHONY: rootfs-deps default-image rootfs rootfs-list rootfs-test-images
# the Makefile's `deps` does the installing, given this list instead of its own
rootfs-deps:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(ROOTFS_DEB)'

default-image: rootfs-deps
	@rootfs-recipes/build.sh default

rootfs: rootfs-deps
	@rootfs-recipes/build.sh $(IMAGES)

rootfs-list:
	@for r in $$(rootfs-recipes/build.sh --list); do \
		printf '%-10s %s\n' "$$r" "$$(grep -l "\"image\": *\"$$r\"" langs/*.json | sed 's|langs/||; s|\.json||' | tr '\n' ' ')"; \
	done

rootfs-test-images: rootfs-deps
	@rootfs-recipes/build.sh $(TEST_IMAGES)

test-prereqs: rootfs-test-images
