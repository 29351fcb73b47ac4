# mk/playground.mk - owns the playground page (issue 15, part 6): the web
# sources in web/playground/ built into the binary by server/playground/
# (.incbin), the CodeMirror bundle, and the browser suite's prerequisites.
#   make playground-bundle   rebuild web/playground/dist/editor.js (and .gz) from
#                            web/playground/src/editor.js with esbuild and
#                            CodeMirror 6 as locked in web/playground/
#                            package-lock.json (needs npm; the result is
#                            committed, so `make` itself never needs npm)
PLAYGROUND_FILES := $(wildcard web/playground/src/*.html web/playground/src/*.css \
                    web/playground/src/app.js web/playground/src/*.svg) web/playground/dist/editor.js \
                    web/playground/dist/editor.js.gz
PLAYGROUND_OBJ   := server/playground/playground.o
$(BUILD)/obj/$(PLAYGROUND_OBJ) $(BUILD)/san/$(PLAYGROUND_OBJ) $(BUILD)/fuzz/obj/$(PLAYGROUND_OBJ): $(PLAYGROUND_FILES)

playground-bundle:
	command -v npm >/dev/null || $(MAKE) --no-print-directory deps DEB_PACKAGES=npm
	npm ci --prefix web/playground --no-audit --no-fund
	npm run --prefix web/playground build

# The browser suite (tests/suites/71-playground.sh) drives Chromium with
# puppeteer-core from tests/live's lock file (mk/live.mk installs both).
test-prereqs: live-test-prereqs
.PHONY: playground-bundle
