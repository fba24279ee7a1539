# tcpstated - one non-recursive Makefile. pkg-config for every library.
#
#   make            build build/tcpstated
#   make run        install missing build packages, build, run in the foreground
#   make test       install the test tools too, build, run every test; ends with
#                   "N passed, N failed"
#   make asan       the same tests under -fsanitize=address,undefined
#   make bench      throughput and memory, side by side with libpcap alone
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS
#   make install    PREFIX=/usr SYSCONFDIR=/etc DESTDIR=...

PREFIX     ?= /usr
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog
DOCDIR     ?= $(PREFIX)/share/doc/tcpstated
DESTDIR    ?=
SHARED     ?= $(abspath $(CURDIR)/../shared)

BUILD ?= build
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC ?= cc
PKGS := libpcap libevent libconfig libsystemd
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wvla -Wno-unused-parameter
ifdef CI
WARN += -Werror
endif
OPT ?= -O2 -g
SAN ?=
ifeq ($(SAN),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SANLD := -fsanitize=address,undefined
endif
CPPFLAGS += -D_DEFAULT_SOURCE -DTCPSTATED_VERSION='"$(VERSION)"'
CFLAGS   ?=
CFLAGS   += -std=c11 $(OPT) $(WARN) -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRC    := $(wildcard lib/*.c)
DAEMON_SRC := $(wildcard daemon/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
TOOL_SRC   := $(wildcard tests/tools/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
LIBA       := $(BUILD)/libtcpstate.a
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all deps deps-test run test asan bench fuzz install uninstall format clean check-lib tests-build
all: $(BUILD)/tcpstated

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/tcpstated: $(DAEMON_OBJ) $(LIBA)
	$(CC) $(SANLD) -o $@ $(DAEMON_OBJ) $(LIBA) $(PKG_LIBS)

# Unit tests link only lib/: the pure core needs nothing else.
$(BUILD)/tests/%: tests/unit/%.c tests/testhelp.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANLD) -Ilib -o $@ $< $(LIBA)

# Test tools (capture generators, drivers of daemon modules, the bench) may
# use lib/, every daemon/ object but main.o, and the libraries.
DAEMON_MODS := $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJ))
$(BUILD)/tools/%: tests/tools/%.c $(wildcard tests/tools/*.h) $(DAEMON_MODS) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(SANLD) -Ilib -o $@ $< $(DAEMON_MODS) $(LIBA) $(PKG_LIBS) -lm

tests-build: $(BUILD)/tcpstated $(UNIT_BIN) $(TOOL_BIN) check-lib

# lib/ is the pure core: its objects may not reference capture, event loop,
# config, syslog or systemd symbols, nor the clock or process exit. Symbols
# lib/ defines itself (event_type_name is ours, not libevent's) do not count.
check-lib: $(LIB_OBJ)
	@own=$$(nm --defined-only $(LIB_OBJ) | awk 'NF == 3 { print $$3 }' | sort -u); \
	bad=$$(nm -u $(LIB_OBJ) | awk 'NF == 2 { print $$2 }' | sort -u | grep -vxF -e "$$own" | grep -E '^(pcap_|event_|evbuffer_|config_|syslog|openlog|sd_|time$$|clock_gettime|gettimeofday|exit$$|abort$$|printf$$|fprintf$$)'); \
	if [ -n "$$bad" ]; then echo "lib/ must stay pure; it references:"; echo "$$bad"; exit 1; fi

# Debian packages, installed only when missing: what building and running
# need (make run, make deps), and what only the tests, the bench and the fuzz
# harnesses need on top (make test, make deps-test). CI runs make test on a
# fresh Debian 12: every tool a test calls must be in one of the two lists.
DEB_BUILD := gcc make pkg-config libpcap-dev libevent-dev libconfig-dev libsystemd-dev
DEB_TEST  := python3 iproute2 tcpdump tcpreplay syslog-ng-core systemd mandoc groff-base \
	procps util-linux libcap2-bin clang libclang-rt-14-dev valgrind logrotate strace man-db \
	debootstrap systemd-container softflowd python3-jsonschema binutils
define apt_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make $@: need root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef
deps:
	$(call apt_missing,$(DEB_BUILD))
deps-test:
	$(call apt_missing,$(DEB_BUILD) $(DEB_TEST))

run: deps
	$(MAKE) all
	./$(BUILD)/tcpstated -f -c conf/tcpstated.conf -o text

test: deps-test
	$(MAKE) tests-build
	@BUILD=$(BUILD) SHARED=$(SHARED) tests/run.sh

asan: deps-test
	$(MAKE) BUILD=build-asan SAN=1 test

bench: deps-test
	$(MAKE) tests-build
	@BUILD=$(BUILD) tests/bench.sh

FUZZ_SECONDS ?= 60
fuzz: deps-test
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) in build-fuzz/: clang with the
# fuzzer, address and undefined sanitizers. lib/ and the daemon modules (not
# main.c) are rebuilt there with coverage instrumentation; their warnings are
# their owners' (no -Werror), the harnesses' are ours.
FUZZ_DIR   := build-fuzz
FUZZ_CC    ?= clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS := -std=c11 -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -MMD -MP
FUZZ_OBJ   := $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o) \
	$(patsubst %.c,$(FUZZ_DIR)/%.o,$(filter-out daemon/main.c,$(DAEMON_SRC)))
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))
.PHONY: fuzz-build
fuzz-build: $(FUZZ_BIN)
$(FUZZ_DIR)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(filter-out -Werror,$(WARN)) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_DIR)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_FLAGS) $(filter-out -Werror,$(WARN)) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_FLAGS) $(WARN) -fsanitize=fuzzer -Ilib -Idaemon -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)
-include $(FUZZ_OBJ:.o=.d) $(FUZZ_BIN:=.d)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(SYSCONFDIR)/tcpstated $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(BUILD)/tcpstated $(DESTDIR)$(SBINDIR)/tcpstated
	install -m 0644 man/tcpstated.8 $(DESTDIR)$(MANDIR)/man8/tcpstated.8
	install -m 0644 man/tcpstated.conf.5 $(DESTDIR)$(MANDIR)/man5/tcpstated.conf.5
	install -m 0644 man/tcpstated-records.7 $(DESTDIR)$(MANDIR)/man7/tcpstated-records.7
	[ -e $(DESTDIR)$(SYSCONFDIR)/tcpstated/tcpstated.conf ] || \
		install -m 0644 conf/tcpstated.conf $(DESTDIR)$(SYSCONFDIR)/tcpstated/tcpstated.conf
	sed 's|/usr/sbin/|$(SBINDIR)/|g; s|/etc/tcpstated/|$(SYSCONFDIR)/tcpstated/|g' \
		systemd/tcpstated.service > $(DESTDIR)$(UNITDIR)/tcpstated.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tcpstated.service
	install -m 0644 systemd/tcpstated.catalog $(DESTDIR)$(CATALOGDIR)/tcpstated.catalog
	install -m 0644 systemd/tcpstated.logrotate $(DESTDIR)$(DOCDIR)/examples/tcpstated.logrotate
	install -m 0644 $(wildcard conf/examples/*.conf) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 conf/tcpstated.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcpstated
	@conf=$(DESTDIR)$(SYSCONFDIR)/tcpstated/tcpstated.conf; \
	if [ -e $(DESTDIR)$(SYSCONFDIR)/logrotate.d/tcpstated ] && \
	    ! grep -Eq '^[[:space:]]*max_size_mb[[:space:]]*=[[:space:]]*0[[:space:]]*;' $$conf; then \
		echo "warning: $(SYSCONFDIR)/logrotate.d/tcpstated rotates the event file while $$conf" \
			"rotates it too (max_size_mb is not 0): keep one of the two, see tcpstated.conf(5)" >&2; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tcpstated $(DESTDIR)$(MANDIR)/man8/tcpstated.8 \
		$(DESTDIR)$(MANDIR)/man5/tcpstated.conf.5 $(DESTDIR)$(MANDIR)/man7/tcpstated-records.7 \
		$(DESTDIR)$(UNITDIR)/tcpstated.service \
		$(DESTDIR)$(CATALOGDIR)/tcpstated.catalog $(DESTDIR)$(DOCDIR)/examples/tcpstated.logrotate \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcpstated \
		$(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(wildcard conf/examples/*.conf)))
	@rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/tcpstated/tcpstated.conf (remove it by hand if unwanted)"

format:
	clang-format -i lib/*.[ch] daemon/*.[ch] tests/unit/*.c tests/tools/*.[ch] tests/*.h

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d)
