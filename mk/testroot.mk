# mk/testroot.mk - the small rootfs the sandbox tests run in until the
# language images exist: busybox-static (applets as symlinks) plus the
# static test programs of tests/sandbox/*.c under /t.  Owned by root,
# readable by everyone, with empty tmp, var/tmp and box like a real image
# (so its runs get a read-only view of it: sandbox/image_view.c).
TESTROOT     := $(BUILD)/testroot
PROBE_SRC    := $(wildcard tests/sandbox/*.c)
PROBE_BIN    := $(PROBE_SRC:tests/sandbox/%.c=$(TESTROOT)/t/%)

# busybox-static, from `make deps` when it is missing
/bin/busybox:
	@$(MAKE) --no-print-directory deps
$(TESTROOT)/.stamp: /bin/busybox mk/testroot.mk
	rm -rf $(TESTROOT) && mkdir -p $(TESTROOT)/bin $(TESTROOT)/t $(TESTROOT)/tmp $(TESTROOT)/etc \
		$(TESTROOT)/proc $(TESTROOT)/dev $(TESTROOT)/box $(TESTROOT)/usr/bin $(TESTROOT)/var/tmp
	cp /bin/busybox $(TESTROOT)/bin/busybox
	for applet in $$(/bin/busybox --list); do [ "$$applet" = busybox ] || ln -sf busybox $(TESTROOT)/bin/$$applet; done
	chmod 1777 $(TESTROOT)/tmp $(TESTROOT)/var/tmp
	echo 'root:x:0:0::/:/bin/sh' > $(TESTROOT)/etc/passwd
	echo 'judge:x:1000:1000::/box:/bin/sh' >> $(TESTROOT)/etc/passwd
	chmod -R a+rX $(TESTROOT) && touch $@

$(TESTROOT)/t/%: tests/sandbox/%.c $(TESTROOT)/.stamp
	$(CC) -O1 -g0 -static -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -o $@ $<

testroot: $(TESTROOT)/.stamp $(PROBE_BIN)
test-prereqs: testroot
.PHONY: testroot
