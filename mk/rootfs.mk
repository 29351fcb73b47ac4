# mk/rootfs.mk - owns the rootfs image targets (issue 4).
#   make default-image                 the `default` image (C, C++, Python 3, Bash, ...);
#                                      used by `make run`, a no-op when up to date
#   make rootfs [IMAGES="jvm go ..."]  build or refresh images; IMAGES=all for every
#                                      recipe in rootfs-recipes/ (default: default)
#   make rootfs-list                   each recipe's size, last build time and languages
# Images go to $JUDGEBOX_IMAGES (default /var/lib/judgebox/images); see
# rootfs-recipes/build.sh.  `make test` builds TEST_IMAGES (default all), since
# tests/suites/50-languages.sh fails for every language whose image is missing.

IMAGES      ?= default
TEST_IMAGES ?= all
ROOTFS_DEB  := mmdebstrap jq bubblewrap util-linux curl iproute2 erofs-utils

.PHONY: rootfs-deps default-image rootfs rootfs-list rootfs-test-images
# the Makefile's `deps` does the installing, given this list instead of its own
rootfs-deps:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(ROOTFS_DEB)'

default-image: rootfs-deps
	@rootfs-recipes/build.sh default

rootfs: rootfs-deps
	@rootfs-recipes/build.sh $(IMAGES)

# one line per recipe: size on disk of its tree (alone, before sharing),
# the seconds its last build took (NAME/build-seconds), its languages
rootfs-list:
	@I=$${JUDGEBOX_IMAGES:-/var/lib/judgebox/images}; \
	printf '%-12s %8s %8s  %s\n' IMAGE SIZE BUILD LANGUAGES; \
	for r in $$(rootfs-recipes/build.sh --list); do \
		size=$$(du -sh "$$I/$$r/rootfs" 2>/dev/null | cut -f1); \
		secs=$$(cat "$$I/$$r/build-seconds" 2>/dev/null); \
		printf '%-12s %8s %8s  %s\n' "$$r" "$${size:--}" "$${secs:+$${secs}s}" \
			"$$(grep -l "\"image\": *\"$$r\"" langs/*.json | sed 's|langs/||; s|\.json||' | tr '\n' ' ')"; \
	done; \
	printf '%-12s %8s\n' all "$$(du -sh "$$I" 2>/dev/null | cut -f1)"

rootfs-test-images: rootfs-deps
	@rootfs-recipes/build.sh $(TEST_IMAGES)

test-prereqs: rootfs-test-images
