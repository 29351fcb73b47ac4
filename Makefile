# judgebox - build, test and run.  `make run` and `make test` are the two
# commands a new machine needs; both install missing packages first.
# Extra targets (rootfs images, the cgroup v2 VM, benchmarks) live in
# mk/*.mk fragments, one per concern, included at the end.

CC       ?= gcc
BUILD    ?= build
PKGS     := libseccomp libcap libmicrohttpd jansson
CFLAGS   ?= -O2 -g
# snprintf truncation is bounded by design (paths are checked where it matters).
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-truncation -D_GNU_SOURCE -Isandbox -Iserver $(SERVER_INC)
# libmicrohttpd is not linked: server/http/mhd_lazy.c loads it when serve starts.
LDLIBS   += -lseccomp -lcap -ljansson -lpthread -ldl
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# server/ is split by concern into rooms (server/http, server/api, ...);
# every room's headers are on the include path, so files include by name.
SERVER_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard server/*/*.c server/*/*.h))))
SERVER_INC  := $(addprefix -I,$(SERVER_DIRS))
SANDBOX_SRC := $(wildcard sandbox/*.c)
SERVER_SRC  := $(filter-out server/main.c,$(wildcard server/*.c server/*/*.c))
HEADERS     := $(wildcard sandbox/*.h server/*.h server/*/*.h)
LIB_SRC     := $(SANDBOX_SRC) $(SERVER_SRC)
UNIT_SRC    := $(wildcard tests/unit/*.c)

LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB_SAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
UNIT_SAN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit-san/%)

.PHONY: all deps run test test-unit clean
all: deps-check $(BUILD)/judgebox $(UNIT_BIN) $(UNIT_SAN)

# Packages the build, the tests and `make run` need (Debian names).
DEB_PACKAGES := build-essential pkg-config libseccomp-dev libcap-dev libmicrohttpd-dev \
                libjansson-dev busybox-static mmdebstrap curl python3
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
# What only the tests need (servers, browsers, validators): each mk/*.mk
# fragment appends its own Debian packages to TEST_DEB_PACKAGES and its
# other set-up (npm ci, ...) to test-prereqs, so concerns do not share lines.
TEST_DEB_PACKAGES :=
test-deps:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(TEST_DEB_PACKAGES)'
deps-check:
	@pkg-config --exists $(PKGS) || $(MAKE) --no-print-directory deps

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/san/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libjudgebox.a: $(LIB_OBJ)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/libjudgebox-san.a: $(LIB_SAN_OBJ)
	@rm -f $@; ar rcs $@ $^

$(BUILD)/judgebox: $(BUILD)/obj/server/main.o $(BUILD)/libjudgebox.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/judgebox-san: $(BUILD)/san/server/main.o $(BUILD)/libjudgebox-san.a
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libjudgebox.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libjudgebox.a $(LDLIBS)
$(BUILD)/unit-san/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libjudgebox-san.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(BUILD)/libjudgebox-san.a $(LDLIBS)

# The whole suite: unit tests (plain and ASan/UBSan), then every
# tests/suites/*.sh.  The last line is "N passed, N failed".
test: deps test-deps all $(BUILD)/judgebox-san test-prereqs
	@tests/run.sh

# Fragments add prerequisites to test-prereqs (test rootfs, images, ...).
test-prereqs:
.PHONY: test-prereqs deps-check test-deps

run: deps all default-image
	./$(BUILD)/judgebox serve --listen 127.0.0.1:8080

clean:
	rm -rf $(BUILD)

-include mk/*.mk
# Fragments appended their libraries; mk/link.mk says which are linked
# statically and which are loaded on first use instead.
LDLIBS := $(call link_libs,$(LDLIBS))
