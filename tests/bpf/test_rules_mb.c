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
#include "pkt.h"
#include "fg.h"
#include "rules.h"
#include "flowgate_xdp.skel.h"

static struct fgt t;
static struct fg_rule_fds fds;
static struct fg_ruleset cur;
static __u32 gen;

/* A rule as the reference sees it: IPv4 prefixes, host order. */
struct tr {
	__u32 id, prio;
	int has_src, has_dst;
	__u32 src, dst;
	int slen, dlen;
	int drop;
};

static __u32 mask(int len)
{
	return len ? ~0u << (32 - len) : 0;
}

static int tr_covers(int has, __u32 pfx, int len, __u32 a)
{
	return !has || ((a ^ pfx) & mask(len)) == 0;
}

/* Evaluation order (ctl/rules/rule_set.c order_cmp); none sorts after /0. */
static int tr_before(const struct tr *x, const struct tr *y)
{
	int lx = x->has_src ? x->slen : -1, ly = y->has_src ? y->slen : -1;

	if (x->prio != y->prio)
		return x->prio > y->prio;
	if (lx != ly)
		return lx > ly;
	lx = x->has_dst ? x->dlen : -1;
	ly = y->has_dst ? y->dlen : -1;
	if (lx != ly)
		return lx > ly;
	return x->id < y->id;
}

/* The rule that decides (src, dst), or NULL. */
static const struct tr *tr_decide(const struct tr *r, int n, __u32 src,
				  __u32 dst)
{
	const struct tr *best = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (tr_covers(r[i].has_src, r[i].src, r[i].slen, src) &&
		    tr_covers(r[i].has_dst, r[i].dst, r[i].dlen, dst) &&
		    (!best || tr_before(&r[i], best)))
			best = &r[i];
	return best;
}

static void ip4_str(__u32 a, char *buf)
{
	__u32 be = htonl(a);

	inet_ntop(AF_INET, &be, buf, INET_ADDRSTRLEN);
}

static int load(const char *text)
{
	return fgt_rules_load(&fds, &cur, &gen, text);
}

static int load_tr(const struct tr *r, int n)
{
	size_t cap = 160 * (size_t)n + 1, len = 0;
	char *text = malloc(cap), src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	int i, err;

	if (!text)
		return -ENOMEM;
	text[0] = 0;
	for (i = 0; i < n; i++) {
		src[0] = dst[0] = 0;
		if (r[i].has_src)
			ip4_str(r[i].src, src);
		if (r[i].has_dst)
			ip4_str(r[i].dst, dst);
		len += fgt_rule_line(text + len, cap - len, r[i].id, r[i].prio,
				     src, r[i].slen, dst, r[i].dlen, r[i].drop);
	}
	err = load(text);
	free(text);
	return err;
}

static int run4(__u32 src, __u32 dst, struct fgt_result *r, __u32 *rule)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	struct pkt p;
	int err;

	ip4_str(src, s);
	ip4_str(dst, d);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip4(&p, s, d);
	pkt_udp(&p, 1000, 9);
	pkt_data(&p, NULL, 8);
	pkt_finish(&p);
	err = fgt_run(&t, p.b, p.len, r);
	*rule = t.skel->bss->fg_last_rule;
	return err;
}

/* One probe against the reference; 0 if the program agrees. */
static int probe(const struct tr *set, int n, __u32 src, __u32 dst)
{
	const struct tr *w = tr_decide(set, n, src, dst);
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	struct fgt_result r;
	__u32 rule;

	if (run4(src, dst, &r, &rule))
		return 1;
	if (rule == (w ? w->id : 0) &&
	    r.retval == (w && w->drop ? XDP_DROP : XDP_PASS))
		return 0;
	ip4_str(src, s);
	ip4_str(dst, d);
	fgt_diag("%s -> %s: rule %u verdict %u, want rule %u", s, d, rule,
		 r.retval, w ? w->id : 0);
	return 1;
}

/* Nested prefixes of one address per field, 16 lengths each (the most
 * one address may have), 32 distinct lengths in all: /0 and /32, both
 * sides of every stride boundary (16, 20, 24, 28). The destination chain
 * has the higher prio, so that the source /0 does not hide it. */
static const int src_lens[] = {0,  3,  7,  8,  12, 15, 16, 17,
			       20, 23, 24, 25, 28, 29, 31, 32};
static const int dst_lens[] = {1,  2,  4,  5,  6,  9,  10, 11,
			       13, 14, 18, 21, 22, 26, 27, 30};
#define A_SRC  0x8d654dcbu /* 141.101.77.203 */
#define A_DST  0x8e1a2b3cu /* 142.26.43.60 */
#define NCHAIN 32

static void chain_set(struct tr *r)
{
	int i;

	memset(r, 0, NCHAIN * sizeof(*r));
	for (i = 0; i < 16; i++) {
		r[i] = (struct tr){.id = 100 + src_lens[i],
				   .prio = 100,
				   .has_src = 1,
				   .src = A_SRC & mask(src_lens[i]),
				   .slen = src_lens[i],
				   .drop = src_lens[i] % 2 == 0};
		r[16 + i] = (struct tr){.id = 200 + dst_lens[i],
					.prio = 200,
					.has_dst = 1,
					.dst = A_DST & mask(dst_lens[i]),
					.dlen = dst_lens[i],
					.drop = dst_lens[i] % 2 == 1};
	}
}

/* Address a with only its first m bits kept (bit m flipped; a if 32). */
static __u32 share(__u32 a, int m)
{
	return m == 32 ? a : a ^ (0x80000000u >> m);
}

static void test_chains(void)
{
	struct tr r[NCHAIN];
	int m, bad = 0;
	const __u32 other = 0x0b000001; /* 11.0.0.1: only /0 covers it */

	chain_set(r);
	if (!fgt_ok(!load_tr(r, NCHAIN),
		    "32 nested prefixes of 32 distinct lengths loaded"))
		return;
	for (m = 0; m <= 32; m++)
		bad += probe(r, NCHAIN, share(A_SRC, m), other);
	fgt_ok(!bad, "source sharing 0..32 bits with the /32: the longest "
		     "covering prefix decides (33 probes)");
	bad = 0;
	for (m = 0; m <= 32; m++)
		bad += probe(r, NCHAIN, other, share(A_DST, m));
	fgt_ok(!bad, "destination sharing 0..32 bits: likewise (33 probes)");
	bad = 0;
	for (m = 0; m <= 32; m++)
		bad += probe(r, NCHAIN, share(A_SRC, m), share(A_DST, 32 - m));
	fgt_ok(!bad, "both at once: the destination chain's prio wins where "
		     "it covers (33 probes)");
}

static __u32 lcg(__u64 *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 32;
}

/* No two rules with the same match and prio (the set would be refused). */
static int tr_dup(const struct tr *r, int n, const struct tr *x)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].prio == x->prio && r[i].has_src == x->has_src &&
		    r[i].has_dst == x->has_dst && r[i].src == x->src &&
		    r[i].dst == x->dst && r[i].slen == x->slen &&
		    r[i].dlen == x->dlen)
			return 1;
	return 0;
}

/* 4,000 prefixes of 14 to 32 bits in 60.0.0.0/8 (dense enough that
 * prefixes overlap across lengths and blocks are shared), by source,
 * destination or both, three prios; probes near the prefixes and at random. */
static void test_random(void)
{
	const int n = 4000, nprobe = 3000;
	struct tr *r = calloc(n, sizeof(*r));
	__u64 x = 7;
	int i, k, bad = 0;
	__u32 s, d;

	if (!r)
		return;
	for (i = 0; i < n;) {
		struct tr c = {.id = i + 1, .prio = 100 + lcg(&x) % 3 * 50};
		int how = lcg(&x) % 3;

		c.has_src = how != 1;
		c.has_dst = how != 0;
		c.slen = c.has_src ? 14 + lcg(&x) % 19 : 0;
		c.dlen = c.has_dst ? 14 + lcg(&x) % 19 : 0;
		c.src = c.has_src ? (0x3c000000 | lcg(&x) >> 8) & mask(c.slen)
				  : 0;
		c.dst = c.has_dst ? (0x3c000000 | lcg(&x) >> 8) & mask(c.dlen)
				  : 0;
		c.drop = lcg(&x) & 1;
		if (!tr_dup(r, i, &c))
			r[i++] = c;
	}
	if (!fgt_ok(!load_tr(r, n), "4,000 random overlapping prefixes "
				    "loaded")) {
		free(r);
		return;
	}
	for (k = 0; k < nprobe; k++) {
		i = lcg(&x) % n;
		/* inside rule i's prefixes, or random in the same /8 */
		s = r[i].src | (lcg(&x) & ~mask(r[i].slen));
		d = r[i].dst | (lcg(&x) & ~mask(r[i].dlen));
		if (!r[i].has_src || k % 3 == 0)
			s = 0x3c000000 | lcg(&x) >> 8;
		if (!r[i].has_dst || k % 3 == 1)
			d = 0x3c000000 | lcg(&x) >> 8;
		bad += probe(r, n, s, d);
	}
	fgt_ok(!bad, "3,000 probes: every decision is the reference's");
	free(r);
}

/* Is something in slot of outer? */
static int slot_used(int outer, __u32 slot)
{
	__u32 id;

	return !bpf_map_lookup_elem(outer, &slot, &id);
}

/* The index maps in force are exactly those the set needs (want: bit 0
 * IPv4 src, 1 IPv4 dst, 2 IPv6 src, 3 IPv6 dst) and the old half has
 * none. */
static void check_maps(const char *when, int want)
{
	__u32 half = gen & 1, field, got = 0, old = 0;

	for (field = 0; field < 2; field++) {
		got |= slot_used(fds.idx4, fg_rule_slot(half, field)) << field;
		got |= slot_used(fds.mb6, fg_rule_slot(half, field))
		       << (2 + field);
		/* IPv6 blocks and tails come and go together */
		got |= (slot_used(fds.mb6, fg_rule_slot(half, field)) !=
			slot_used(fds.tl6, fg_rule_slot(half, field)))
		       << 5;
		old += slot_used(fds.idx4, fg_rule_slot(!half, field));
		old += slot_used(fds.mb6, fg_rule_slot(!half, field));
		old += slot_used(fds.tl6, fg_rule_slot(!half, field));
	}
	old += slot_used(fds.lsts, !half);
	/* the lists serve both families' arrays */
	got |= (!!slot_used(fds.lsts, half) != !!(want & 0xf)) << 4;
	fgt_ok(got == (__u32)want && !old,
	       "%s: index maps in force %#x (want %#x), %u of the old half",
	       when, got, want, old);
}

static int run6(const char *src, const char *dst, __u32 *rule)
{
	struct fgt_result r;
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip6(&p, src, dst);
	pkt_udp(&p, 1000, 9);
	pkt_finish(&p);
	if (fgt_run(&t, p.b, p.len, &r))
		return -1;
	*rule = t.skel->bss->fg_last_rule;
	return r.retval;
}

/* Sets of IPv4 only, IPv6 only, both, none, one after the other. */
static void test_switches(void)
{
	struct fgt_result r;
	__u32 rule, rule6;
	int v;

	fgt_ok(!load("id 1 src 192.0.2.0/24 action drop\n"
		     "id 2 dst 198.51.100.7 action drop\n"),
	       "IPv4 only");
	check_maps("IPv4 only", 0x3);
	run4(0xc0000205, 0xcb007101, &r, &rule);
	fgt_ok(r.retval == XDP_DROP && rule == 1, "IPv4 only: rule 1 drops");
	fgt_ok(!load("id 3 src 2001:db8::1/128 action drop\n"
		     "id 4 src ::/0 prio 10 action pass\n"),
	       "IPv6 only");
	check_maps("IPv6 only", 0x4);
	run4(0xc0000205, 0xcb007101, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && rule == 0,
	       "IPv6 only: the IPv4 packet meets no rule");
	v = run6("2001:db8::1", "2001:db8::99", &rule6);
	fgt_ok(v == XDP_DROP && rule6 == 3, "IPv6 only: /128 drops (%u)",
	       rule6);
	v = run6("2001:db8::2", "2001:db8::99", &rule6);
	fgt_ok(v == XDP_PASS && rule6 == 4, "IPv6 only: ::/0 passes (%u)",
	       rule6);
	fgt_ok(!load("id 1 src 192.0.2.0/24 action drop\n"
		     "id 3 src 2001:db8::1/128 action drop\n"
		     "id 5 dst 0.0.0.0/0 prio 10 action pass\n"
		     "id 6 dst 2001:db8::99/128 prio 5 action drop\n"),
	       "both families");
	check_maps("both families", 0xf);
	run4(0xc0000205, 0xcb007101, &r, &rule);
	fgt_ok(r.retval == XDP_DROP && rule == 1, "both: rule 1 drops");
	run4(0xcb007101, 0xc0000205, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && rule == 5, "both: dst /0 passes");
	v = run6("2001:db8::2", "2001:db8::99", &rule6);
	fgt_ok(v == XDP_DROP && rule6 == 6, "both: IPv6 dst /128 drops (%u)",
	       rule6);
	fgt_ok(!load(""), "empty set");
	check_maps("empty set", 0);
}

/* FG_RULE_MAX /32s, 65,536 of them alone in their /16 and the rest alone
 * in their /24: the most blocks a set can need. */
static void test_worst(void)
{
	const size_t n = FG_RULE_MAX;
	size_t cap = 48 * n, len = 0, i;
	char *text = malloc(cap), a[INET_ADDRSTRLEN];
	struct bpf_map_info info = {};
	__u32 infolen = sizeof(info), slot, id, rule, bad = 0, addr;
	struct fgt_result r;
	int fd;

	if (!text)
		return;
	for (i = 0; i < n; i++) {
		addr = i < 65536 ? (__u32)i << 16 | 0x0101
				 : (__u32)(i - 65536) << 16 | 0x8181;
		ip4_str(addr, a);
		len += snprintf(text + len, cap - len, "src %s action %s\n", a,
				i % 2 ? "drop" : "pass");
	}
	if (!fgt_ok(!load(text), "%zu scattered /32s loaded", n)) {
		free(text);
		return;
	}
	free(text);
	slot = fg_rule_slot(gen & 1, FG_RULE_F_SRC);
	if (!bpf_map_lookup_elem(fds.idx4, &slot, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		bpf_obj_get_info_by_fd(fd, &info, &infolen);
		close(fd);
	}
	fgt_ok(info.max_entries ==
		       FG_MB_ROOT / FG_MB_SIZE + 4 * 65536 + 3 * 65536,
	       "worst case: %u blocks of %u bytes (%.1f MB)", info.max_entries,
	       info.value_size, info.max_entries * info.value_size / 1e6);
	for (i = 1; i < n; i += 7919) {
		addr = i < 65536 ? (__u32)i << 16 | 0x0101
				 : (__u32)(i - 65536) << 16 | 0x8181;
		if (run4(addr, 0xc6336401, &r, &rule) ||
		    r.retval != (i % 2 ? XDP_DROP : XDP_PASS) || !rule)
			bad++;
		if (run4(addr ^ 1, 0xc6336401, &r, &rule) || rule)
			bad++; /* the neighbour: no rule */
	}
	fgt_ok(!bad, "worst case: each sampled /32 decides, its neighbour "
		     "meets no rule");
	fgt_ok(!load(""), "back to the empty set");
}

int main(void)
{
	__u32 reason;

	if (fgt_open(&t) || fg_rule_fds_from_obj(t.skel->obj, &fds)) {
		printf("Bail out! cannot load the skeleton\n");
		return 1;
	}
	/* Probes use any address: only the rule stage may judge them. */
	for (reason = 1; reason < FG_R_MAX; reason++)
		if (reason != FG_R_RULE)
			fgt_set_act(&t, reason, FG_ACT_OFF);
	test_chains();
	test_random();
	test_switches();
	test_worst();
	fg_ruleset_free(&cur);
	fg_rule_fds_close(&fds);
	fgt_close(&t);
	return fgt_done();
}
