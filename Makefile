# flowgate: XDP/TC guard, flow accounting and IPFIX export.
# `make` builds build/flowgate and build/flowgate_xdp.bpf.o; `make test`
# runs every test layer; `make demo` runs the lab. All three install
# missing Debian packages first (scripts/deps.sh, a no-op when present).

BUILD    ?= build
CLANG    ?= clang
CC       ?= cc
BPFTOOL  ?= bpftool
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Wno-unused-parameter -Iinclude -I$(BUILD) -D_GNU_SOURCE
LDLIBS   := -lxdp -lbpf -lpcap -lelf -lz
BPF_CFLAGS := -O2 -g -target bpf -D__bpf__ -Wall -Iinclude -I$(ARCH_INC)

BPF_SRCS := xdp/flowgate_xdp.bpf.c tc/flowgate_tc.bpf.c
# TCP RTT (sock_ops): its own object and skeleton.
BPF_SRCS += tc/flowgate_rtt.bpf.c
BPF_OBJS := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(notdir $(BPF_SRCS)))
SKELS    := $(patsubst %.bpf.o,%.skel.h,$(BPF_OBJS))
HDRS     := $(wildcard include/*.h)

CTL_SRCS := $(wildcard ctl/*.c)
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

# Skeleton headers are intermediate files to make: keep them.
.SECONDARY: $(SKELS)

.PHONY: all deps test demo fuzz bench clean format tests-build
all: deps $(BUILD)/flowgate $(BPF_OBJS)

deps:
	@bash scripts/deps.sh

$(BUILD)/%.bpf.o: xdp/%.bpf.c $(HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: tc/%.bpf.c $(HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@

$(BUILD)/ctl/%.o: ctl/%.c $(HDRS) $(wildcard ctl/*.h) $(SKELS) | $(BUILD)/ctl
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/flowgate: $(CTL_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(T_LIB_SRCS) $(T_LIB_HDRS) $(CTL_LIB) $(HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Ictl -Itests/lib $< $(T_LIB_SRCS) $(CTL_LIB) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/test_%: tests/bpf/test_%.c $(TEST_LIB_SRCS) $(T_LIB_HDRS) $(CTL_LIB) $(SKELS) $(HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Ictl -Itests/bpf -Itests/lib $< $(TEST_LIB_SRCS) $(CTL_LIB) -o $@ $(LDLIBS)

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

tests-build: all $(UNIT_BINS) $(BPFT_BINS) $(BUILD)/tests/oracle_run

test: tests-build
	@bash tests/run.sh

demo: all
	@bash scripts/demo.sh

# libFuzzer target for the host parser and validator (not part of `make test`).
FUZZ_SECS ?= 60
$(BUILD)/fuzz_parse: tests/fuzz/fuzz_parse.c $(HDRS) | $(BUILD)
	$(CLANG) -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Iinclude $< -o $@
fuzz: deps $(BUILD)/fuzz_parse
	mkdir -p $(BUILD)/fuzz-corpus
	$(BUILD)/fuzz_parse -max_total_time=$(FUZZ_SECS) -max_len=2048 \
		$(BUILD)/fuzz-corpus tests/fuzz/seeds

bench: all
	@bash bench/cost.sh

# Rewrite tests/pcap/golden/ from the current binary; review the diff.
.PHONY: regen-golden
regen-golden: all
	@bash tests/pcap/test_replay.sh --regen

format:
	clang-format -i include/*.h xdp/*.c ctl/*.c ctl/*.h tests/unit/*.c tests/bpf/*.c tests/lib/*.c tests/lib/*.h

$(BUILD) $(BUILD)/ctl $(BUILD)/tests:
	mkdir -p $@

clean:
	rm -rf $(BUILD)
