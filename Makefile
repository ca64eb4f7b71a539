# flowgate: XDP/TC guard, flow accounting and IPFIX export.
# `make` builds build/flowgate and the BPF objects, and never installs
# anything. `make deps` installs the missing Debian packages
# (scripts/deps.sh, a no-op when present); `make test` and `make demo` do
# that first, then build (in a sub-make, so that -jN never compiles before
# the packages are there) and run every test layer or the lab.

BUILD    ?= build
CLANG    ?= clang
CC       ?= cc
BPFTOOL  ?= bpftool
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

CFLAGS   ?= -O2 -g
# The CLI's libraries, one folder each, and the commands' table (ctl/cmd).
CTL_LIBDIRS := ctl/lib ctl/rules ctl/export ctl/replay ctl/daemon ctl/rtt \
	       ctl/metrics ctl/capture
CTL_INC  := $(addprefix -I,$(CTL_LIBDIRS) ctl/cmd)
CFLAGS   += -Wall -Wextra -Wno-unused-parameter -Iinclude $(CTL_INC) -I$(BUILD) -D_GNU_SOURCE
LDLIBS   := -lxdp -lbpf -lpcap -lelf -lz -lmicrohttpd -lpthread
BPF_CFLAGS := -O2 -g -target bpf -D__bpf__ -Wall -Iinclude -Ibpf/lib -I$(ARCH_INC)

# One object and skeleton per hook: XDP (fg_xdp and replay's fg_replay), TC,
# TCP RTT (sock_ops).
BPF_SRCS := bpf/xdp/flowgate_xdp.bpf.c bpf/tc/flowgate_tc.bpf.c \
	    bpf/sockops/flowgate_rtt.bpf.c
BPF_OBJS := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(notdir $(BPF_SRCS)))
# Objects the CLI only embeds (their skeleton), never installed: the
# calibration of the data path's clock (ctl/lib/clock.c).
BPF_EMB_SRCS := bpf/clock/flowgate_clock.bpf.c
BPF_EMB_OBJS := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(notdir $(BPF_EMB_SRCS)))
SKELS    := $(patsubst %.bpf.o,%.skel.h,$(BPF_OBJS) $(BPF_EMB_OBJS))
HDRS     := $(wildcard include/*.h)
BPF_HDRS := $(HDRS) $(wildcard bpf/*/*.h)
CTL_HDRS := $(HDRS) $(wildcard $(addsuffix /*.h,$(CTL_LIBDIRS) ctl/cmd))
vpath %.bpf.c $(sort $(dir $(BPF_SRCS) $(BPF_EMB_SRCS)))

CTL_SRCS := $(wildcard ctl/*.c ctl/*/*.c)
CTL_OBJS := $(patsubst ctl/%.c,$(BUILD)/ctl/%.o,$(CTL_SRCS))
# Everything but main(): linked into unit tests of the CLI too.
CTL_LIB  := $(filter-out $(BUILD)/ctl/main.o,$(CTL_OBJS))

# Crafted-packet builder and case table shared by unit and BPF tests.
T_LIB_SRCS := $(wildcard tests/lib/*.c)
T_LIB_HDRS := $(wildcard tests/lib/*.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPFT_SRCS))
TEST_LIB_SRCS := $(filter-out $(BPFT_SRCS),$(wildcard tests/bpf/*.c)) $(T_LIB_SRCS)
# Test-only BPF objects (tests/bpf/progs), next to the tests that load them.
T_BPF_SRCS := $(wildcard tests/bpf/progs/*.bpf.c)
T_BPF_OBJS := $(patsubst tests/bpf/progs/%.bpf.c,$(BUILD)/tests/%.bpf.o,$(T_BPF_SRCS))

# Skeleton headers are intermediate files to make: keep them.
.SECONDARY: $(SKELS) $(BPF_EMB_OBJS)

.PHONY: all deps test demo fuzz bench clean format format-check tests-build
# Everything make install takes; nothing is installed first (the Debian
# build runs this target).
all: $(BUILD)/flowgate $(BPF_OBJS) $(BUILD)/flowgate.bash

deps:
	@bash scripts/deps.sh

$(BUILD)/%.bpf.o: %.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@

# The version: git describe when built from a clone, else the VERSION file
# (release tarballs, Debian source packages). Rewritten only on change.
FG_VERSION := $(shell git describe --tags --dirty 2>/dev/null || \
	{ v=$$(cat VERSION) && h=$$(git rev-parse --short HEAD 2>/dev/null) && \
	  d=$$(git diff --quiet HEAD 2>/dev/null || echo -dirty) && \
	  echo "$$v-g$$h$$d"; } 2>/dev/null || cat VERSION)
LIBXDP_VERSION := $(shell pkg-config --modversion libxdp 2>/dev/null || echo unknown)
$(BUILD)/fg_version.h: FORCE | $(BUILD)
	@printf '#define FG_VERSION "%s"\n#define FG_LIBXDP_VERSION "%s"\n' \
		'$(FG_VERSION)' '$(LIBXDP_VERSION)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
.PHONY: FORCE
FORCE:

$(BUILD)/ctl/cmd/version.o $(BUILD)/ctl/cmd/metrics.o: $(BUILD)/fg_version.h

$(BUILD)/ctl/%.o: ctl/%.c $(CTL_HDRS) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/flowgate: $(CTL_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(T_LIB_SRCS) $(T_LIB_HDRS) $(CTL_LIB) $(CTL_HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/lib $< $(T_LIB_SRCS) $(CTL_LIB) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/test_%: tests/bpf/test_%.c $(TEST_LIB_SRCS) $(T_LIB_HDRS) $(CTL_LIB) $(SKELS) $(CTL_HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/bpf -Itests/lib $< $(TEST_LIB_SRCS) $(CTL_LIB) -o $@ $(LDLIBS)

$(BUILD)/tests/%.bpf.o: tests/bpf/progs/%.bpf.c | $(BUILD)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The oracle layer (tests/oracle): a tracer of the kernel's skb frees and
# the program that injects frames and reports the kernel's and flowgate's
# verdicts side by side.
$(BUILD)/vmlinux.h: | $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BUILD)/oracle_trace.bpf.o: tests/oracle/oracle_trace.bpf.c $(BUILD)/vmlinux.h
	$(CLANG) -O2 -g -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -c $< -o $@

$(BUILD)/tests/oracle_run: tests/oracle/oracle_run.c $(BUILD)/oracle_trace.skel.h $(HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

tests-build: $(BUILD)/tests/oracle_run

tests-build: all $(UNIT_BINS) $(BPFT_BINS) $(T_BPF_OBJS)

# Bash completion from the grammar `flowgate help` prints (the command
# table) and the check names of FG_REASONS.
$(BUILD)/flowgate.bash: $(BUILD)/flowgate scripts/mkcomp.py include/fg_common.h
	$(BUILD)/flowgate help | python3 scripts/mkcomp.py include/fg_common.h > $@.tmp
	mv $@.tmp $@

# ---- install -----------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] (Debian: PREFIX=/usr
# UNITDIR=/lib/systemd/system). The plain BPF objects go to
# PREFIX/lib/flowgate, where the binary finds them (../lib/flowgate from
# its own folder). The units' /usr/local/sbin is rewritten to SBINDIR.
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BPFDIR   ?= $(PREFIX)/lib/flowgate
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/flowgate
COMPDIR  ?= $(PREFIX)/share/bash-completion/completions
UNITDIR  ?= $(PREFIX)/lib/systemd/system
UNITS    := flowgate-export.service flowgate-daemon.service \
	    flowgate-metrics.service
# The manual's source is the page itself (make doc regenerates its parts).
MANPAGE  := doc/flowgate.8

.PHONY: install uninstall
install: $(BUILD)/flowgate $(BPF_OBJS) $(BUILD)/flowgate.bash $(MANPAGE)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BPFDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BUILD)/flowgate $(DESTDIR)$(SBINDIR)/flowgate
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPFDIR)/
	gzip -9n < $(MANPAGE) > $(DESTDIR)$(MANDIR)/man8/flowgate.8.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/flowgate.8.gz
	install -m 0644 $(BUILD)/flowgate.bash $(DESTDIR)$(COMPDIR)/flowgate
	for u in $(UNITS); do \
		sed 's|/usr/local/sbin/|$(SBINDIR)/|g' scripts/$$u \
			> $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 contrib/flowgate.conf $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 contrib/grafana-flowgate.json $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/flowgate \
		$(addprefix $(DESTDIR)$(BPFDIR)/,$(notdir $(BPF_OBJS))) \
		$(DESTDIR)$(MANDIR)/man8/flowgate.8.gz \
		$(DESTDIR)$(COMPDIR)/flowgate \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(DOCDIR)/examples/flowgate.conf \
		$(DESTDIR)$(DOCDIR)/examples/grafana-flowgate.json
	-rmdir $(DESTDIR)$(BPFDIR) $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

test: deps
	@$(MAKE) --no-print-directory tests-build
	@bash tests/run.sh

# The kernel matrix (tests/vm): a loader of every program, run in the VM.
$(BUILD)/tests/vm_%: tests/vm/%.c $(CTL_LIB) $(CTL_HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) $< $(CTL_LIB) -o $@ $(LDLIBS)
tests-build: $(BUILD)/tests/vm_loadall

# Every test layer in a VM on each Debian 6.1 flavour apt offers
# (scripts/vmtest.sh boots them); KERNEL=generic|cloud|rt|linux-image-...
KERNEL ?= generic cloud rt
.PHONY: vmtest
vmtest: tests-build
	@VM_KERNELS="$(KERNEL)" VM_SUITE=full bash tests/vm/test_matrix.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

# The packaging layer alone: make install, completion, the .deb (about a
# minute and a half: the package build compiles everything again).
.PHONY: pkgtest
pkgtest: deps
	@$(MAKE) --no-print-directory all
	@for t in tests/pkg/test_*.sh; do echo "== $$t"; bash $$t || exit 1; done

# libFuzzer targets (not part of `make test`): the packet parser and
# validator, and the host-side parsers of rule files, config files and
# collector URLs. `make fuzz` runs each for FUZZ_SECS seconds from its
# seeds (tests/fuzz/seeds*/), keeping what it finds in build/fuzz-*/.
FUZZ_SECS ?= 60
FUZZ_CC  := $(CLANG) -O1 -g -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all
# The libraries whole (never the commands): a list of files went stale as
# they were split.
FUZZ_HOST := $(wildcard $(addsuffix /*.c,$(CTL_LIBDIRS)))
$(BUILD)/fuzz_parse: tests/fuzz/fuzz_parse.c $(HDRS) | $(BUILD)
	$(FUZZ_CC) -Iinclude $< -o $@
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_HOST) $(CTL_HDRS) $(SKELS) | $(BUILD)
	$(FUZZ_CC) -Iinclude $(CTL_INC) -I$(BUILD) -D_GNU_SOURCE $< \
		$(FUZZ_HOST) -o $@ $(LDLIBS)
FUZZ_TARGETS := parse rules config url
fuzz: deps
	@$(MAKE) --no-print-directory $(addprefix $(BUILD)/fuzz_,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
		seeds=tests/fuzz/seeds; [ $$t = parse ] || seeds=$$seeds-$$t; \
		mkdir -p $(BUILD)/fuzz-$$t; \
		echo "== fuzz_$$t ($(FUZZ_SECS) s)"; \
		$(BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECS) -max_len=2048 \
			-artifact_prefix=$(BUILD)/fuzz-$$t/ \
			$(BUILD)/fuzz-$$t $$seeds; \
	done

bench: all
	@bash bench/cost.sh

# The DPDK bench (bench/dpdk): optional, so `all` never needs DPDK. tests-build
# builds it when pkg-config finds libdpdk (dpdk-dev, which `make deps`
# installs); the test layer skips without it. The flags are read when the
# recipe runs, after deps.
DPDK_CFLAGS = $(shell pkg-config --cflags libdpdk)
DPDK_LIBS = $(shell pkg-config --libs libdpdk) -lrte_net_ring -lpcap
# clang, as the BPF objects: gcc turns fg_parse_head()'s memset of struct
# fg_pkt into a rep stos, slow at that size on AMD, and the comparison with
# BPF would measure the compilers.
# The flow table is read through ctl/lib/flowtab.c, as replay reads it.
FG_DPDK_OBJS := $(BUILD)/ctl/lib/flowtab.o $(BUILD)/ctl/lib/util.o
$(BUILD)/bench/fg_dpdk: bench/dpdk/fg_dpdk.c $(FG_DPDK_OBJS) $(CTL_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(CFLAGS) $(DPDK_CFLAGS) $< $(FG_DPDK_OBJS) -o $@ \
		$(DPDK_LIBS) -lbpf

.PHONY: dpdk-app bench-dpdk
tests-build: dpdk-app
dpdk-app: all
	@if pkg-config --exists libdpdk; then \
		$(MAKE) --no-print-directory $(BUILD)/bench/fg_dpdk; \
	else echo "no libdpdk (dpdk-dev): fg_dpdk not built, its test skips"; fi

bench-dpdk: all
	@pkg-config --exists libdpdk || { echo "Error: no libdpdk:" \
		"make deps installs dpdk-dev" >&2; exit 1; }
	@$(MAKE) --no-print-directory $(BUILD)/bench/fg_dpdk
	@bash bench/dpdk.sh

# Rewrite tests/pcap/golden/ from the current binary; review the diff.
.PHONY: regen-golden
regen-golden: all
	@bash tests/pcap/test_replay.sh --regen

# The manual's generated parts: its synopsis from the command table, its
# checks table from FG_REASONS (tests/unit/test_help.c checks them).
.PHONY: doc
$(BUILD)/mkman: doc/mkman.c $(CTL_LIB) $(CTL_HDRS)
	$(CC) $(CFLAGS) $< $(CTL_LIB) -o $@ $(LDLIBS)
doc: $(BUILD)/mkman
	$(BUILD)/mkman < doc/flowgate.8 > $(BUILD)/flowgate.8
	mv $(BUILD)/flowgate.8 doc/flowgate.8

# Every C source and header of the tree; format-check only tells which
# folders' files format would change (tests/tree/test_format.sh).
format:
	clang-format -i $(shell find include bpf ctl tests bench doc -name '*.[ch]')

format-check:
	bash tests/tree/test_format.sh

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

clean:
	rm -rf $(BUILD)

# For bench/ scripts that build with the same flags: make -s print-CTL_INC
print-%:
	@echo '$($*)'
