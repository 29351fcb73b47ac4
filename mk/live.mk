# mk/live.mk - owns what the live-runs suite needs (issue 15: streaming,
# WebSocket sessions, files out, the playground): the hooks driver built
# against the library, the npm clients (ws, eventsource, puppeteer-core)
# from tests/live's committed lock file, and the browser.
LIVE_HOOKS := $(BUILD)/live/hooks
$(LIVE_HOOKS): tests/live/hooks.c $(BUILD)/libjudgebox.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libjudgebox.a $(LDLIBS)
all: $(LIVE_HOOKS)

# The npm clients, exactly as locked; the default image (python3, bash, c).
LIVE_NODE_MODULES := tests/live/node_modules/.package-lock.json
$(LIVE_NODE_MODULES): tests/live/package.json tests/live/package-lock.json
	@# Debian's nodejs has npm apart; NodeSource's carries its own.
	command -v npm >/dev/null || $(MAKE) --no-print-directory deps DEB_PACKAGES=npm
	npm ci --prefix tests/live --no-audit --no-fund
live-test-prereqs: $(LIVE_NODE_MODULES) default-image
test-prereqs: live-test-prereqs
TEST_DEB_PACKAGES += nodejs chromium curl
.PHONY: live-test-prereqs

# WebSocket handshake: SHA-1 and base64 from nettle.
PKGS         += nettle
LDLIBS       += -lnettle
DEB_PACKAGES += nettle-dev
