# mk/ops.mk - owns the operating concern (issue 12): authentication,
# quotas, metrics and the OpenAPI document (server/ops/), fuzzing,
# HAProxy / Kubernetes / AppArmor files (deploy/), and their suite
# tests/suites/60-ops.sh with the checks in tests/ops/.
#   make fuzz [FUZZ_SECONDS=N]   build the libFuzzer harnesses (clang) and run
#                                each for N seconds (default 60) on the seed
#                                corpus tests/fuzz/corpus/<harness>/
#   make fuzz-build              only build them (build/fuzz/)

# SHA-256 and constant-time comparison of tokens (nettle); buckets use libm.
PKGS         += nettle
LDLIBS       += -lnettle -lm
DEB_PACKAGES += nettle-dev
# What the suite runs for real: HAProxy in front of two servers, promtool
# (prometheus) on /metrics, apparmor_parser on the profile, clang's
# libFuzzer; node + npm (mk/node.mk) for the OpenAPI validators (tests/ops/package.json).
TEST_DEB_PACKAGES += haproxy prometheus apparmor clang python3-yaml

# The document is built into the binary with .incbin (server/ops/openapi.c).
$(BUILD)/obj/server/ops/openapi.o $(BUILD)/san/server/ops/openapi.o: server/ops/openapi.json

# npm validators, pinned by tests/ops/package-lock.json.
tests/ops/node_modules/.stamp: tests/ops/package.json tests/ops/package-lock.json
	cd tests/ops && npm ci --no-audit --no-fund --loglevel=error
	touch $@
ops-node: tests/ops/node_modules/.stamp
test-prereqs: ops-node fuzz-build
.PHONY: ops-node fuzz fuzz-build

# ---- fuzzing (libFuzzer, clang) ----
# The library is rebuilt with clang and -fsanitize=fuzzer-no-link plus
# ASan/UBSan; each tests/fuzz/fuzz_*.c links it with -fsanitize=fuzzer.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
# gcc is the -Werror gate; clang warns differently (format-nonliteral), so no -Werror here.
FUZZ_CFLAGS   = $(filter-out -O2 -g -Werror,$(CFLAGS)) $(FUZZ_FLAGS) -Wno-unknown-warning-option -w
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ     := $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)

$(BUILD)/fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
$(BUILD)/fuzz/obj/server/ops/openapi.o: server/ops/openapi.json
$(BUILD)/fuzz/libjudgebox-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BUILD)/fuzz/libjudgebox-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libjudgebox-fuzz.a $(LDLIBS)

fuzz-build: deps-check $(FUZZ_BIN)
fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) sh tests/fuzz/run.sh
