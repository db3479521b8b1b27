# minimta Makefile. Run ./configure first.
-include config.mk

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wcast-qual -Wformat=2
CFLAGS ?= -O2 -g
# src/ by layer; calls go downward only:
# cmd (entry points) > queue (runner, pickup) > delivery > msg > store > base
SRCDIRS = cmd queue delivery msg store base
INCLUDES = $(SRCDIRS:%=-Isrc/%) -I.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(INCLUDES) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS_ALL = $(PKG_LIBS) $(LDLIBS)
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

BUILD = build
SRCS = $(filter-out src/cmd/main.c,$(foreach d,$(SRCDIRS),$(wildcard src/$(d)/*.c)))
OBJS = $(SRCS:src/%.c=$(BUILD)/%.o)
LIB = $(BUILD)/libminimta.a
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY = $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/replay/%)
FUZZ_BINS = $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

# The binary: ./minimta for the default build dir, else $(BUILD)/minimta,
# so that a sanitizer build does not replace the normal one.
BIN = $(if $(filter build,$(BUILD)),minimta,$(BUILD)/minimta)

all: $(BIN)

config.mk config.h:
	@echo "run ./configure first" >&2; exit 1

# The binary does not link OpenSSL: tls.c loads it when TLS is first
# needed (src/base/tls_sym.h). Tests link everything.
$(BIN): $(BUILD)/cmd/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/cmd/main.o $(LIB) $(BIN_LIBS) $(LDLIBS)

$(BUILD)/%.o: src/%.c config.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(OBJS)
	rm -f $@
	ar rcs $@ $(OBJS)

$(BUILD) $(BUILD)/tests $(BUILD)/replay $(BUILD)/fuzz:
	mkdir -p $@

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

# Fuzz targets built with gcc and a replay main(), so the seed corpora run
# in every `make check` without clang.
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz_fail.h $(LIB) | $(BUILD)/replay
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB) $(LDLIBS_ALL)

# libFuzzer builds (need clang and libclang-rt-14-dev): the sources are
# compiled once with coverage and ASan/UBSan into build/fuzz/obj/, each
# target links them. `make fuzz` builds every target and runs each for
# FUZZ_SECONDS (FUZZ_JOBS at a time); tests/fuzz/run.sh prints per target
# the executions and crashes, and fails on a crash.
FUZZ_SECONDS ?= 30
FUZZ_JOBS ?= 2
FUZZ_CC = clang
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE $(INCLUDES) -g -O1 \
	-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined $(PKG_CFLAGS)
FUZZ_OBJS = $(SRCS:src/%.c=$(BUILD)/fuzz/obj/%.o)
# kept between targets (make would delete them as intermediates)
.SECONDARY: $(FUZZ_OBJS)

$(BUILD)/fuzz/obj/%.o: src/%.c config.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_fail.h $(FUZZ_OBJS) | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) \
		$(PKG_LIBS) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
		tests/fuzz/run.sh $(FUZZ_BINS)

unit: $(UNIT_BINS) $(FUZZ_REPLAY)

# The I/O fault shim for tests/cli/faultio.bats (LD_PRELOAD): no sanitizer,
# so that it loads into any build of the binary.
FAULTIO = $(BUILD)/faultio.so
FAULTIO_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -fPIC \
	$(if $(filter 1,$(WERROR)),-Werror)
$(FAULTIO): tests/lib/faultio.c | $(BUILD)
	$(CC) $(FAULTIO_CFLAGS) -shared -o $@ $< -ldl

check: $(BIN) unit $(FAULTIO)
	MINIMTA=$(CURDIR)/$(BIN) BUILD=$(BUILD) tests/run-all.sh

bench: $(BIN)
	bench/run-all.sh

demo: $(BIN)
	tests/demo.sh

# ---- install ----
DESTDIR ?=
BINDIR = $(PREFIX)/sbin
MANDIR = $(PREFIX)/share/man
SPOOLDIR = $(LOCALSTATEDIR)/spool/minimta
# Debian 12's systemd (and dh_installsystemd) read units from /lib
SYSTEMDUNITDIR = /lib/systemd/system
UNITS = minimta.service minimta-smtp.socket minimta-smtp@.service
# etc/systemd/ holds the units for the default paths; install rewrites them
UNIT_SED = -e 's|/usr/sbin/sendmail|$(BINDIR)/sendmail|g' \
	-e 's|/var/spool/minimta|$(SPOOLDIR)|g' \
	-e 's|/etc/minimta.conf|$(SYSCONFDIR)/minimta.conf|g' \
	-e 's|^User=mail$$|User=$(SPOOL_OWNER)|' \
	-e 's|^Group=mail$$|Group=$(SPOOL_GROUP)|'
SPOOL_GROUP = $(shell id -gn $(SPOOL_OWNER) 2>/dev/null || echo $(SPOOL_OWNER))

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/minimta
	ln -sf minimta $(DESTDIR)$(BINDIR)/sendmail
	ln -sf ../sbin/minimta $(DESTDIR)$(PREFIX)/bin/mailq
	ln -sf ../sbin/minimta $(DESTDIR)$(PREFIX)/bin/newaliases
	install -m 0644 man/sendmail.8 man/newaliases.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/mailq.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/minimta.conf.5 $(DESTDIR)$(MANDIR)/man5/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/minimta.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/minimta.conf"; \
	else sed 's/^#spool_owner .*/spool_owner  $(SPOOL_OWNER)/' etc/minimta.conf \
		>$(BUILD)/minimta.conf && \
		install -m 0644 $(BUILD)/minimta.conf $(DESTDIR)$(SYSCONFDIR)/minimta.conf; fi
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/cron.d
	for u in $(UNITS); do \
		sed $(UNIT_SED) etc/systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/cron.d/minimta ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/cron.d/minimta"; \
	else sed -e 's|/usr/sbin/|$(BINDIR)/|g' -e 's|\tmail\t|\t$(SPOOL_OWNER)\t|' \
		etc/cron.d/minimta.cron >$(DESTDIR)$(SYSCONFDIR)/cron.d/minimta && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/cron.d/minimta; fi
	tests/lib/mkspool.sh "$(DESTDIR)$(SPOOLDIR)" "$(SPOOL_OWNER)"

clean:
	rm -rf $(BUILD) minimta

distclean: clean
	rm -f config.mk config.h

.PHONY: all check unit fuzz fuzz-build bench demo install clean distclean

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/fuzz/obj/*/*.d)
