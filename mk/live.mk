# mk/live.mk - owns what the live-runs suite needs (issue 15: streaming,
# WebSocket sessions, files out, the playground): the hooks driver built
# against the library, the npm clients (ws, eventsource, puppeteer-core)
# from tests/live's committed lock file, and the browser.
LIVE_HOOKS := $(BUILD)/live/hooks
$(LIVE_HOOKS): tests/live/hooks.c $(BUILD)/libjudgebox.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libjudgebox.a $(LDLIBS)
all: $(LIVE_HOOKS)
