// SPDX-License-Identifier: GPL-2.0
/*
 * The rule stage's IPv6 index (multibit arrays with tails,
 * include/fg_rules.h FG_MB6_*) through BPF_PROG_TEST_RUN, against a
 * reference: the first rule in evaluation order (prio high first, then
 * source prefix long first, then destination prefix, then ID) whose
 * prefixes cover the packet's addresses. A small set whose shape is
 * known (tails, a tail falling back to a shorter prefix, a tail falling
 * back to nothing, /128 neighbours 28 blocks deep), with exact verdicts,
 * hit counters and drop counters; nested prefixes of 32 distinct lengths
 * (/0, /1, /48, /64, /127, /128 among them) probed at every number of
 * shared bits; one prefix of each of the 129 lengths; /128 pairs parting
 * at every bit; 2,000 random nested and overlapping rules with random
 * probes; switches between sets (the old half's maps gone each time).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "fgtest.h"
#include "fgrules.h"
#include "fg.h"
#include "rules.h"

static struct fgt_mb mb;

static const struct fgt_addr doc = {0x20010db800000000ull, 0}; /* 2001:db8:: */

/* The probes of test_shapes: source, destination, the rule that decides
 * (0: none) and why. */
static const struct {
	const char *src, *dst;
	__u32 rule;
	const char *why;
} shape_probes[] = {
	{"2001:db8:2::1", "2001:db8:abcd::1", 13, "src tail"},
	{"2001:db8:2::2", "2001:db8:abcd::1", 11,
	 "src tail missed: its fallback, the /32"},
	{"2001:db8:2:8000::1", "2001:db8:abcd::1", 11,
	 "src under the tail's entry, far from it: the /32"},
	{"2001:db8:1::7", "2001:db8:abcd::1", 12, "src /48 (expanded leaf)"},
	{"2001:db8:ffff::a", "2001:db8:abcd::1", 14, "src /128 28 blocks deep"},
	{"2001:db8:ffff::b", "2001:db8:abcd::1", 15,
	 "its neighbour, differing in the last bit"},
	{"2001:db8:ffff::8", "2001:db8:abcd::1", 11,
	 "src 28 blocks deep, no /128: the /32 shows through"},
	{"2001:db8:ffff::11", "2001:db8:abcd::1", 17,
	 "src /128 inside a /127 at the last level"},
	{"2001:db8:ffff::10", "2001:db8:abcd::1", 16, "src the /127"},
	{"2001:db9::1", "2001:db8:abcd::5", 18,
	 "dst tail (the only dst prefix)"},
	{"2001:db9::1", "2001:db8:abcd::4", 0,
	 "dst tail missed, no fallback: no rule"},
	{"2001:db8:2::1", "2001:db8:abcd::5", 18,
	 "src tail and dst tail: the dst rule's prio wins"},
	{"3001::1", "2001:db8:abcd::1", 0, "no prefix under the root entry"},
};

/* The set of test_shapes. Source: a /32 with a /48 and a /128 below
 * (blocks down to bit 48, the /48 expanded, the /128 a tail whose
 * fallback is the /32), two /128 neighbours and a /127 holding a /128
 * (blocks down to the last level); destination: one /128 (a tail under
 * its root entry, falling back to nothing). */
static const char shape_text[] =
	"id 11 src 2001:db8::/32 action pass\n"
	"id 12 src 2001:db8:1::/48 action drop\n"
	"id 13 src 2001:db8:2::1 action drop\n"
	"id 14 src 2001:db8:ffff::a action drop\n"
	"id 15 src 2001:db8:ffff::b action pass\n"
	"id 16 src 2001:db8:ffff::10/127 action pass\n"
	"id 17 src 2001:db8:ffff::11 action drop\n"
	"id 18 dst 2001:db8:abcd::5 prio 200 action drop\n";
#define SHAPE_MIN 11
#define SHAPE_MAX 18

static int shape_drops(__u32 id)
{
	return id == 12 || id == 13 || id == 14 || id == 17 || id == 18;
}

/* The compiled shape: tails, blocks and fallbacks where the set puts
 * them. */
static void check_shape(void)
{
	struct fg_ruleset s = {};
	struct fg_rule_image img;
	struct fg_perr e = {};
	const struct fg_rule_mb6 *src, *dst;
	size_t nb;

	if (fg_rules_parse_text(shape_text, sizeof(shape_text) - 1, &s, &e) ||
	    fg_ruleset_assign_ids(&s, NULL) || fg_rule_compile(&s, &img, &e)) {
		fgt_ok(0, "shape set compiled: %s", e.msg);
		fg_ruleset_free(&s);
		return;
	}
	src = &img.mb6[FG_RULE_F_SRC];
	dst = &img.mb6[FG_RULE_F_DST];
	nb = (src->mb.n - FG_MB_ROOT) / FG_MB_SIZE;
	fgt_ok(src->nt == 1 && src->tail[0].len == 128 && src->tail[0].leaf &&
		       src->tail[0].fallback &&
		       img.l4[src->tail[0].fallback - 1].n == 1 &&
		       img.rules[img.l4[src->tail[0].fallback - 1].slot[0]]
				       .id == 11,
	       "src: one tail (the /128 2001:db8:2::1), falling back to the "
	       "/32's list");
	/* 2001:db8 down to bit 32 (the /32 ends there): 4 blocks; bits
	 * 32-35, where :1/:2 and :ffff part: 1; :1 and :2 down to bit 48
	 * (the /48 expanded, the /128 a tail): 3; :ffff down to bit 124: 22,
	 * where ::a/::b and ::10/::11 part: one last block each. */
	fgt_ok(nb == 4 + 1 + 3 + 22 + 2,
	       "src: %zu blocks (want 32: the chains of :1/:2 and of "
	       ":ffff::a/b/10/11)",
	       nb);
	fgt_ok(dst->nt == 1 && !dst->tail[0].fallback &&
		       (dst->mb.n - FG_MB_ROOT) / FG_MB_SIZE == 0 &&
		       dst->mb.node[0x2001] == (FG_MB6_TAIL | 0),
	       "dst: no block, the root entry of 2001::/16 a tail with no "
	       "fallback");
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

static void test_shapes(void)
{
	struct fg_ifstats s0, s1;
	struct fgt_result r;
	struct fg_rule_hit h;
	__u64 want[SHAPE_MAX + 1] = {0}, drops = 0, octets;
	__u32 rule, bad = 0, id;
	size_t i;
	int k;

	check_shape();
	if (!fgt_ok(!fgt_mb_load(&mb, shape_text), "shape set loaded"))
		return;
	fgt_stats(&mb.t, FGT_STATS_IN, &s0);
	for (i = 0; i < sizeof(shape_probes) / sizeof(shape_probes[0]); i++) {
		/* twice: the second run finds the counters one higher */
		for (k = 0; k < 2; k++) {
			if (fgt_mb_run_str(&mb, shape_probes[i].src,
					   shape_probes[i].dst, &r, &rule))
				bad++;
			if (rule != shape_probes[i].rule ||
			    r.retval !=
				    (shape_drops(rule) ? XDP_DROP : XDP_PASS)) {
				fgt_diag("%s -> %s (%s): rule %u verdict %u",
					 shape_probes[i].src,
					 shape_probes[i].dst,
					 shape_probes[i].why, rule, r.retval);
				bad++;
			}
			want[shape_probes[i].rule]++;
			drops += shape_drops(shape_probes[i].rule);
		}
	}
	fgt_ok(!bad,
	       "%zu probes twice: tails, fallbacks, deep blocks decide "
	       "exactly",
	       sizeof(shape_probes) / sizeof(shape_probes[0]));
	bad = 0;
	/* 40 + 8 + 8: the IPv6 header, UDP and the payload of a run */
	octets = 56;
	for (id = SHAPE_MIN; id <= SHAPE_MAX; id++) {
		if (fg_rule_hits_read(&mb.fds, id, &h) ||
		    h.packets != want[id] || h.octets != want[id] * octets ||
		    !h.last_ns != !want[id]) {
			fgt_diag("rule %u: %llu packets %llu octets, want %llu",
				 id, (unsigned long long)h.packets,
				 (unsigned long long)h.octets,
				 (unsigned long long)want[id]);
			bad++;
		}
	}
	fgt_ok(!bad, "hit counters of rules 11-18: packets and octets exact");
	fgt_stats(&mb.t, FGT_STATS_IN, &s1);
	fgt_ok(s1.drop_packets[FG_R_RULE] - s0.drop_packets[FG_R_RULE] ==
			       drops &&
		       s1.matched[FG_R_RULE] - s0.matched[FG_R_RULE] == drops,
	       "drop reason rule: %llu packets dropped and matched",
	       (unsigned long long)drops);
}

/* Nested prefixes of one address per field, 16 lengths each, 32 distinct
 * lengths in all (/0, /1, /48, /64, /127, /128 among them); probed at
 * every number of shared bits. */
static void test_chains(void)
{
	static const int src_lens[] = {0,  1,  2,  7,  8,  31, 32,  33,
				       47, 48, 63, 64, 65, 96, 127, 128};
	static const int dst_lens[] = {3,  5,  16, 17,	24,  40,  56,  62,
				       66, 70, 80, 100, 112, 120, 124, 126};
	const struct fgt_addr a_src = {0x20010db8a5c3e1f7ull,
				       0x9b2d4c6e8f1a3b5dull};
	const struct fgt_addr a_dst = {0xfe80123456789abcull,
				       0xdef0fedcba987654ull};
	const struct fgt_addr other = {0x5000000000000000ull, 1}; /* /0 */

	fgt_mb_chains(&mb, 1000, a_src, src_lens, a_dst, dst_lens, other);
}

static __u64 lcg(__u64 *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 32 << 32 | ((*x * 6364136223846793005ull) >> 32);
}

static struct fgt_addr rand6(__u64 *x)
{
	struct fgt_addr a = {lcg(x), lcg(x)};

	return a;
}

/* A random address inside (pfx, len). */
static struct fgt_addr inside(struct fgt_addr pfx, int len, __u64 *x)
{
	struct fgt_addr a = rand6(x),
			m = fgt_mask((struct fgt_addr){~0ull, ~0ull}, len);

	a.hi = (a.hi & ~m.hi) | pfx.hi;
	a.lo = (a.lo & ~m.lo) | pfx.lo;
	return a;
}

/* One prefix of each length 0..128 at random addresses: every length
 * ends in some level of blocks, or a tail. */
static void test_all_lengths(void)
{
	struct fgt_rule r[129];
	__u64 x = 3;
	int i, k, bad = 0;

	memset(r, 0, sizeof(r));
	for (i = 0; i <= 128; i++)
		r[i] = (struct fgt_rule){.id = i + 1,
					 .prio = 100,
					 .has_src = 1,
					 .src = fgt_mask(rand6(&x), i),
					 .slen = i,
					 .drop = i % 2};
	if (!fgt_ok(!fgt_mb_load_rules(&mb, r, 129),
		    "129 prefixes of 129 lengths loaded"))
		return;
	for (k = 0; k < 129 * 8; k++) {
		i = k % 129;
		bad += fgt_mb_probe(&mb, r, 129,
				    inside(r[i].src, r[i].slen, &x), doc);
	}
	for (k = 0; k < 500; k++)
		bad += fgt_mb_probe(&mb, r, 129, rand6(&x), doc);
	fgt_ok(!bad, "1,532 probes inside each prefix and at random: every "
		     "decision is the reference's");
}

/* Blocks of the source index of the set in force (compiled again). */
static size_t src_blocks(void)
{
	struct fg_rule_image img;
	struct fg_perr e = {};
	size_t n;

	if (fg_rule_compile(&mb.cur, &img, &e))
		return 0;
	n = (img.mb6[FG_RULE_F_SRC].mb.n - FG_MB_ROOT) / FG_MB_SIZE;
	fg_rule_image_free(&img);
	return n;
}

/* /128 pairs parting at bit m, one pair per m in 16..127, each in a root
 * entry of its own (0x3000 + m), 500 more pairs parting at bits 100-127
 * (root entries 0x3200-0x33f3: enough blocks to fill more than the first
 * chunk), and a /128 alone per root entry: every depth of blocks, every
 * tail, chains on both sides of a chunk boundary, through the data path. */
static void test_pairs(void)
{
	const int n = 2 * 112 + 2 * 500 + 32;
	struct fgt_rule *r = calloc(n, sizeof(*r));
	__u64 x = 5;
	int i, m, k, bad = 0;

	if (!r)
		return;
	for (k = 0, i = 0; k < 112 + 500; k++) {
		/* a root entry of its own; the rest random */
		__u64 root = k < 112 ? 0x3000 + 16 + k : 0x3200 + k;
		struct fgt_addr a = {root << 48 | (lcg(&x) >> 16), lcg(&x)};

		m = k < 112 ? 16 + k : 100 + k % 28;
		r[i] = (struct fgt_rule){.id = i + 1,
					 .prio = 100,
					 .has_src = 1,
					 .src = a,
					 .slen = 128,
					 .drop = 1};
		i++;
		r[i] = (struct fgt_rule){.id = i + 1,
					 .prio = 100,
					 .has_src = 1,
					 .src = fgt_mb_share(&mb, a, m),
					 .slen = 128};
		i++;
	}
	for (k = 0; k < 32; k++, i++)
		r[i] = (struct fgt_rule){
			.id = i + 1,
			.prio = 100,
			.has_src = 1,
			.src = {(0x3100ull + k) << 48 | lcg(&x) >> 16, lcg(&x)},
			.slen = 128,
			.drop = k & 1};
	if (!fgt_ok(!fgt_mb_load_rules(&mb, r, n),
		    "612 /128 pairs parting at bits 16-127, "
		    "32 lone /128s, loaded")) {
		free(r);
		return;
	}
	for (i = 0; i < n; i++) {
		bad += fgt_mb_probe(&mb, r, n, r[i].src, doc);
		/* the last bit flipped: the neighbour or nothing */
		bad += fgt_mb_probe(&mb, r, n, fgt_mb_share(&mb, r[i].src, 127),
				    doc);
		bad += fgt_mb_probe(
			&mb, r, n,
			fgt_mb_share(&mb, r[i].src, lcg(&x) % 112 + 16), doc);
	}
	fgt_ok(!bad,
	       "%d probes at, next to and near every /128: every "
	       "decision is the reference's",
	       3 * n);
	fgt_ok(src_blocks() + FG_MB_ROOT / FG_MB_SIZE > FG_MB6_CHUNK,
	       "%zu blocks: the probes' chains cross from one chunk of %u "
	       "blocks to the next",
	       src_blocks(), FG_MB6_CHUNK);
	free(r);
}

/* A pool of distinct prefixes in 2001:db8::/32: half fresh (40 to 128
 * bits), half extending an earlier one by 1 to 24 bits (at most 4
 * deep), so prefixes nest and share lengths. */
static int make_pool(struct fgt_addr *pool, int *plen, int n, __u64 *x)
{
	int *depth = calloc(n, sizeof(*depth)), i = 0, j, p, len;
	struct fgt_addr a;

	if (!depth)
		return -ENOMEM;
	while (i < n) {
		p = i ? (int)(lcg(x) % i) : 0;
		if (i && lcg(x) % 2 && depth[p] < 4 && plen[p] < 128) {
			len = plen[p] + 1 + lcg(x) % 24;
			len = len > 128 ? 128 : len;
			a = fgt_mask(inside(pool[p], plen[p], x), len);
			depth[i] = depth[p] + 1;
		} else {
			len = 40 + lcg(x) % 89;
			a = fgt_mask(inside(doc, 32, x), len);
			depth[i] = 0;
		}
		for (j = 0; j < i; j++)
			if (plen[j] == len && fgt_addr_eq(pool[j], a))
				break;
		if (j < i)
			continue;
		pool[i] = a;
		plen[i++] = len;
	}
	free(depth);
	return 0;
}

/* 2,000 rules by source, destination or both over a pool of 1,500
 * prefixes, plus ::/0 and 2000::/3, three prios; probes inside the rules'
 * prefixes and at random in 2001:db8::/32. */
static void test_random(void)
{
	const int n = 2000, np = 1500, nprobe = 3000;
	struct fgt_rule *r = calloc(n, sizeof(*r));
	struct fgt_addr *pool = calloc(np, sizeof(*pool)), s, d;
	int *plen = calloc(np, sizeof(*plen)), i, k, how, bad = 0;
	__u64 x = 11;

	if (!r || !pool || !plen || make_pool(pool, plen, np, &x))
		goto out;
	for (i = 0; i < n; i++) {
		r[i] = (struct fgt_rule){.id = i + 1,
					 .prio = 100 + lcg(&x) % 3 * 50,
					 .drop = lcg(&x) & 1};
		how = lcg(&x) % 3;
		r[i].has_src = how != 1;
		r[i].has_dst = how != 0;
		if (r[i].has_src) {
			r[i].src = pool[i % np];
			r[i].slen = plen[i % np];
		}
		if (r[i].has_dst) {
			r[i].dst = pool[(i * 7 + 3) % np];
			r[i].dlen = plen[(i * 7 + 3) % np];
		}
		while (fgt_rule_dup(r, i, &r[i]))
			r[i].prio++;
	}
	r[0] = (struct fgt_rule){.id = 1, .prio = 10, .has_src = 1, .slen = 0};
	r[1] = (struct fgt_rule){.id = 2,
				 .prio = 10,
				 .has_dst = 1,
				 .dlen = 3,
				 .dst = {0x2000000000000000ull, 0},
				 .drop = 1};
	if (!fgt_ok(!fgt_mb_load_rules(&mb, r, n),
		    "2,000 random nested and overlapping "
		    "rules loaded"))
		goto out;
	for (k = 0; k < nprobe; k++) {
		i = lcg(&x) % n;
		s = r[i].has_src && k % 3 != 0 ? inside(r[i].src, r[i].slen, &x)
					       : inside(doc, 32, &x);
		d = r[i].has_dst && k % 3 != 1 ? inside(r[i].dst, r[i].dlen, &x)
					       : inside(doc, 32, &x);
		bad += fgt_mb_probe(&mb, r, n, s, d);
	}
	fgt_ok(!bad, "3,000 probes: every decision is the reference's");
out:
	free(r);
	free(pool);
	free(plen);
}

/* Sets one after the other: each decides by its own prefixes (nothing
 * left from the set before), and the old half's maps are gone. */
static void test_switches(void)
{
	static const char *const sets[] = {
		"id 1 src 2001:db8::/64 action drop\n"
		"id 2 src 2001:db8::1/128 action pass\n",
		"id 3 src 2001:db8::/48 action pass\n"
		"id 4 dst 2001:db8::/127 action drop\n",
		"id 5 src ::/1 action drop\n",
		"",
		"id 6 src ::/0 action pass\n"
		"id 7 src 2001:db8::/64 action drop\n",
	};
	/* decisions for 2001:db8::1 -> 2001:db8::1 under each set */
	static const __u32 want_rule[] = {2, 3, 5, 0, 7};
	static const __u32 want_v[] = {XDP_PASS, XDP_PASS, XDP_DROP, XDP_PASS,
				       XDP_DROP};
	struct fgt_result r;
	__u32 rule, half, f, old, bad = 0;
	size_t i;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		if (fgt_mb_load(&mb, sets[i])) {
			bad++;
			continue;
		}
		fgt_mb_run_str(&mb, "2001:db8::1", "2001:db8::1", &r, &rule);
		if (rule != want_rule[i] || r.retval != want_v[i]) {
			fgt_diag("set %zu: rule %u verdict %u", i, rule,
				 r.retval);
			bad++;
		}
		half = mb.gen & 1;
		for (f = 0, old = 0; f < 2; f++) {
			old += fgt_slot_used(mb.fds.mb6,
					     fg_rule_slot(!half, f));
			old += fgt_slot_used(mb.fds.tl6,
					     fg_rule_slot(!half, f));
		}
		bad += old;
	}
	fgt_ok(!bad, "5 sets one after the other: each decides by its own "
		     "prefixes, no block or tail map of the old half left");
	fgt_ok(!fgt_mb_load(&mb, ""), "back to the empty set");
}

int main(void)
{
	if (fgt_mb_open(&mb, 128))
		return 1;
	test_shapes();
	test_chains();
	test_all_lengths();
	test_pairs();
	test_random();
	test_switches();
	return fgt_mb_close(&mb);
}
