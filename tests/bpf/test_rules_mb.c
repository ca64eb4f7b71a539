// SPDX-License-Identifier: GPL-2.0
/*
 * The rule stage's IPv4 index (multibit arrays, include/fg_rules.h FG_MB_*)
 * through BPF_PROG_TEST_RUN, against a reference: the first rule in
 * evaluation order (prio high first, then source prefix long first, then
 * destination prefix, then ID) whose prefixes cover the packet's
 * addresses. Nested prefixes of 32 distinct lengths (/0 and /32 among
 * them) across every stride boundary, probed at every number of shared
 * bits; a random set of 4,000 prefixes with random probes; IPv4 and
 * IPv6 arrays (/128, ::/0) in one set; switches between sets of one
 * family, the other and both (the old half's maps gone each time); and
 * FG_RULE_MAX scattered /32s, the arrays' worst case, with their size.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fgtest.h"
#include "fgrules.h"
#include "fg.h"
#include "rules.h"

static struct fgt_mb mb;

static __u32 mask(int len)
{
	return len ? ~0u << (32 - len) : 0;
}

static __u32 v4(struct fgt_addr a)
{
	return a.hi >> 32;
}

/* Nested prefixes of one address per field, 16 lengths each, 32 distinct
 * lengths in all: /0 and /32, both sides of every stride boundary (16, 20,
 * 24, 28); probed at every number of shared bits. */
static void test_chains(void)
{
	static const int src_lens[] = {0,  3,  7,  8,  12, 15, 16, 17,
				       20, 23, 24, 25, 28, 29, 31, 32};
	static const int dst_lens[] = {1,  2,  4,  5,  6,  9,  10, 11,
				       13, 14, 18, 21, 22, 26, 27, 30};

	/* 141.101.77.203, 142.26.43.60; 11.0.0.1: only /0 covers it */
	fgt_mb_chains(&mb, 100, fgt_a4(0x8d654dcbu), src_lens,
		      fgt_a4(0x8e1a2b3cu), dst_lens, fgt_a4(0x0b000001));
}

static __u32 lcg(__u64 *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 32;
}

/* 4,000 prefixes of 14 to 32 bits in 60.0.0.0/8 (dense enough that
 * prefixes overlap across lengths and blocks are shared), by source,
 * destination or both, three prios; probes near the prefixes and at random. */
static void test_random(void)
{
	const int n = 4000, nprobe = 3000;
	struct fgt_rule *r = calloc(n, sizeof(*r));
	__u64 x = 7;
	int i, k, bad = 0;
	__u32 s, d;

	if (!r)
		return;
	for (i = 0; i < n;) {
		struct fgt_rule c = {.id = i + 1,
				     .prio = 100 + lcg(&x) % 3 * 50};
		int how = lcg(&x) % 3;

		c.has_src = how != 1;
		c.has_dst = how != 0;
		c.slen = c.has_src ? 14 + lcg(&x) % 19 : 0;
		c.dlen = c.has_dst ? 14 + lcg(&x) % 19 : 0;
		s = c.has_src ? (0x3c000000 | lcg(&x) >> 8) & mask(c.slen) : 0;
		d = c.has_dst ? (0x3c000000 | lcg(&x) >> 8) & mask(c.dlen) : 0;
		c.src = fgt_a4(s);
		c.dst = fgt_a4(d);
		c.drop = lcg(&x) & 1;
		if (!fgt_rule_dup(r, i, &c))
			r[i++] = c;
	}
	if (!fgt_ok(!fgt_mb_load_rules(&mb, r, n), "4,000 random overlapping "
						   "prefixes loaded")) {
		free(r);
		return;
	}
	for (k = 0; k < nprobe; k++) {
		i = lcg(&x) % n;
		/* inside rule i's prefixes, or random in the same /8 */
		s = v4(r[i].src) | (lcg(&x) & ~mask(r[i].slen));
		d = v4(r[i].dst) | (lcg(&x) & ~mask(r[i].dlen));
		if (!r[i].has_src || k % 3 == 0)
			s = 0x3c000000 | lcg(&x) >> 8;
		if (!r[i].has_dst || k % 3 == 1)
			d = 0x3c000000 | lcg(&x) >> 8;
		bad += fgt_mb_probe(&mb, r, n, fgt_a4(s), fgt_a4(d));
	}
	fgt_ok(!bad, "3,000 probes: every decision is the reference's");
	free(r);
}

/* The index maps in force are exactly those the set needs (want: bit 0
 * IPv4 src, 1 IPv4 dst, 2 IPv6 src, 3 IPv6 dst) and the old half has
 * none. */
static void check_maps(const char *when, int want)
{
	const struct fg_rule_fds *f = &mb.fds;
	__u32 half = mb.gen & 1, field, got = 0, old = 0, now, was;

	for (field = 0; field < 2; field++) {
		now = fg_rule_slot(half, field);
		was = fg_rule_slot(!half, field);
		got |= fgt_slot_used(f->idx4, now) << field;
		got |= fgt_slot_used(f->mb6, now) << (2 + field);
		/* IPv6 blocks and tails come and go together */
		got |= (fgt_slot_used(f->mb6, now) !=
			fgt_slot_used(f->tl6, now))
		       << 5;
		old += fgt_slot_used(f->idx4, was);
		old += fgt_slot_used(f->mb6, was);
		old += fgt_slot_used(f->tl6, was);
	}
	old += fgt_slot_used(f->lsts, !half);
	/* the lists serve both families' arrays */
	got |= (!!fgt_slot_used(f->lsts, half) != !!(want & 0xf)) << 4;
	fgt_ok(got == (__u32)want && !old,
	       "%s: index maps in force %#x (want %#x), %u of the old half",
	       when, got, want, old);
}

/* One frame: its verdict and deciding rule as "verdict/rule". */
static const char *verdict(const char *src, const char *dst)
{
	static char buf[32];
	struct fgt_result r;
	__u32 rule;

	if (fgt_mb_run_str(&mb, src, dst, &r, &rule))
		return "error";
	snprintf(buf, sizeof(buf), "%s/%u",
		 r.retval == XDP_DROP ? "drop" : "pass", rule);
	return buf;
}

static void expect(const char *name, const char *src, const char *dst,
		   const char *want)
{
	const char *got = verdict(src, dst);

	fgt_ok(!strcmp(got, want), "%s (%s, want %s)", name, got, want);
}

/* Sets of IPv4 only, IPv6 only, both, none, one after the other. */
static void test_switches(void)
{
	fgt_ok(!fgt_mb_load(&mb, "id 1 src 192.0.2.0/24 action drop\n"
				 "id 2 dst 198.51.100.7 action drop\n"),
	       "IPv4 only");
	check_maps("IPv4 only", 0x3);
	expect("IPv4 only: rule 1 drops", "192.0.2.5", "203.0.113.1", "drop/1");
	fgt_ok(!fgt_mb_load(&mb, "id 3 src 2001:db8::1/128 action drop\n"
				 "id 4 src ::/0 prio 10 action pass\n"),
	       "IPv6 only");
	check_maps("IPv6 only", 0x4);
	expect("IPv6 only: the IPv4 packet meets no rule", "192.0.2.5",
	       "203.0.113.1", "pass/0");
	expect("IPv6 only: /128 drops", "2001:db8::1", "2001:db8::99",
	       "drop/3");
	expect("IPv6 only: ::/0 passes", "2001:db8::2", "2001:db8::99",
	       "pass/4");
	fgt_ok(!fgt_mb_load(&mb, "id 1 src 192.0.2.0/24 action drop\n"
				 "id 3 src 2001:db8::1/128 action drop\n"
				 "id 5 dst 0.0.0.0/0 prio 10 action pass\n"
				 "id 6 dst 2001:db8::99/128 prio 5 action "
				 "drop\n"),
	       "both families");
	check_maps("both families", 0xf);
	expect("both: rule 1 drops", "192.0.2.5", "203.0.113.1", "drop/1");
	expect("both: dst /0 passes", "203.0.113.1", "192.0.2.5", "pass/5");
	expect("both: IPv6 dst /128 drops", "2001:db8::2", "2001:db8::99",
	       "drop/6");
	fgt_ok(!fgt_mb_load(&mb, ""), "empty set");
	check_maps("empty set", 0);
}

/* The i-th of test_worst's /32s: 65,536 of them alone in their /16, the
 * rest alone in their /24. */
static __u32 worst_addr(size_t i)
{
	return i < 65536 ? (__u32)i << 16 | 0x0101
			 : (__u32)(i - 65536) << 16 | 0x8181;
}

/* FG_RULE_MAX /32s (worst_addr): the most blocks a set can need. */
static void test_worst(void)
{
	const size_t n = FG_RULE_MAX;
	size_t cap = 48 * n, len = 0, i;
	char *text = malloc(cap), a[INET_ADDRSTRLEN];
	struct bpf_map_info info = {};
	__u32 infolen = sizeof(info), slot, id, rule, bad = 0, be;
	struct fgt_addr dst = fgt_a4(0xc6336401), addr;
	struct fgt_result r;
	int fd;

	if (!text)
		return;
	for (i = 0; i < n; i++) {
		be = htonl(worst_addr(i));
		inet_ntop(AF_INET, &be, a, sizeof(a));
		len += snprintf(text + len, cap - len, "src %s action %s\n", a,
				i % 2 ? "drop" : "pass");
	}
	if (!fgt_ok(!fgt_mb_load(&mb, text), "%zu scattered /32s loaded", n)) {
		free(text);
		return;
	}
	free(text);
	slot = fg_rule_slot(mb.gen & 1, FG_RULE_F_SRC);
	if (!bpf_map_lookup_elem(mb.fds.idx4, &slot, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		bpf_obj_get_info_by_fd(fd, &info, &infolen);
		close(fd);
	}
	fgt_ok(info.max_entries ==
		       FG_MB_ROOT / FG_MB_SIZE + 4 * 65536 + 3 * 65536,
	       "worst case: %u blocks of %u bytes (%.1f MB)", info.max_entries,
	       info.value_size, info.max_entries * info.value_size / 1e6);
	for (i = 1; i < n; i += 7919) {
		addr = fgt_a4(worst_addr(i));
		if (fgt_mb_run(&mb, addr, dst, &r, &rule) ||
		    r.retval != (i % 2 ? XDP_DROP : XDP_PASS) || !rule)
			bad++;
		/* the neighbour: no rule */
		if (fgt_mb_run(&mb, fgt_a4(worst_addr(i) ^ 1), dst, &r,
			       &rule) ||
		    rule)
			bad++;
	}
	fgt_ok(!bad, "worst case: each sampled /32 decides, its neighbour "
		     "meets no rule");
	fgt_ok(!fgt_mb_load(&mb, ""), "back to the empty set");
}

int main(void)
{
	if (fgt_mb_open(&mb, 32))
		return 1;
	test_chains();
	test_random();
	test_switches();
	test_worst();
	return fgt_mb_close(&mb);
}
