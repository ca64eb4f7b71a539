// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the IPv6 multibit index with tails (ctl/rules/rule_mb6.c): the
 * exact blocks, tails and leaves of small sets (nested prefixes, /128
 * neighbours differing in the last bit, ::/0, a tail whose fallback is a
 * shorter prefix expanded in the same block, one prefix as a tail and two
 * as blocks), the memory bound, 100,000 random and clustered prefixes
 * walked the way the data path walks them against a longest-prefix
 * reference (itself checked against a linear scan), on random and
 * adversarial addresses, and the leaves of a compiled rule set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "fg.h"
#include "rules.h"

struct fg_opts fg_opts;

static __u64 mhi(__u32 len)
{
	return len >= 64 ? ~0ull : len ? ~0ull << (64 - len) : 0;
}

static __u64 mlo(__u32 len)
{
	return len <= 64 ? 0 : len == 128 ? ~0ull : ~0ull << (128 - len);
}

/* A prefix from text, masked, with leaf. */
static struct fg_rule_pfx6 pfx(const char *s, __u32 len, __u32 leaf)
{
	struct fg_rule_pfx6 x;
	__u8 a[16];

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	fg_rule_pfx6_set(&x, a, len, leaf);
	x.hi &= mhi(len);
	x.lo &= mlo(len);
	return x;
}

static __u32 walk(const struct fg_rule_mb6 *m, const char *s)
{
	struct fg_rule_pfx6 x = pfx(s, 128, 1);

	return fg_rule_mb6_walk(m, x.hi, x.lo);
}

static size_t blocks(const struct fg_rule_mb6 *m)
{
	return m->mb.n ? (m->mb.n - FG_MB_ROOT) / FG_MB_SIZE : 0;
}

static void build(struct fg_rule_pfx6 *p, size_t n, struct fg_rule_mb6 *m)
{
	assert_int_equal(fg_rule_mb6_build(p, n, m), 0);
}

/* /32, /48, /64 and /128 on one path: blocks down to the /64 (12 levels
 * of 4 bits from bit 16), the /128 the one tail below it. */
static void test_nested(void **state)
{
	struct fg_rule_pfx6 p[] = {
		pfx("2001:db8::1", 128, 4),
		pfx("2001:db8::", 48, 2),
		pfx("2001:db8::", 32, 1),
		pfx("2001:db8::", 64, 3),
	};
	struct fg_rule_mb6 m;

	(void)state;
	build(p, 4, &m);
	assert_int_equal(blocks(&m), 12);
	assert_int_equal(m.nt, 1);
	assert_int_equal(m.tail[0].len, 128);
	assert_int_equal(m.tail[0].leaf, 4);
	assert_int_equal(m.tail[0].fallback, 3);
	assert_int_equal(walk(&m, "2001:db8::1"), 4);
	assert_int_equal(walk(&m, "2001:db8::"), 3);
	assert_int_equal(walk(&m, "2001:db8::3"), 3);
	assert_int_equal(walk(&m, "2001:db8:0:0:8000::1"), 3);
	assert_int_equal(walk(&m, "2001:db8:0:1::1"), 2);
	assert_int_equal(walk(&m, "2001:db8:0:ffff::"), 2);
	assert_int_equal(walk(&m, "2001:db8:1::1"), 1);
	assert_int_equal(walk(&m, "2001:db8:ffff:ffff::"), 1);
	assert_int_equal(walk(&m, "2001:db9::1"), 0);
	assert_int_equal(walk(&m, "2001::1"), 0);
	assert_int_equal(walk(&m, "2002:db8::1"), 0);
	fg_rule_mb6_free(&m);
}

/* Two /128s differing in the last bit: the deepest case, 28 blocks (the
 * worst a pair can cost), no tail; the last block holds both leaves. */
static void test_neighbours(void **state)
{
	struct fg_rule_pfx6 p[] = {
		pfx("2001:db8::3", 128, 2),
		pfx("2001:db8::2", 128, 1),
	};
	struct fg_rule_mb6 m;

	(void)state;
	build(p, 2, &m);
	assert_int_equal(blocks(&m), FG_MB6_LEVELS);
	assert_int_equal(m.nt, 0);
	assert_int_equal(walk(&m, "2001:db8::2"), 1);
	assert_int_equal(walk(&m, "2001:db8::3"), 2);
	assert_int_equal(walk(&m, "2001:db8::1"), 0);
	assert_int_equal(walk(&m, "2001:db8::6"), 0);
	assert_int_equal(walk(&m, "2001:db8::1:3"), 0);
	assert_int_equal(walk(&m, "3001:db8::3"), 0);
	fg_rule_mb6_free(&m);
}

/* ::/0 fills the root; with a /128 too, the /128's root entry is a tail
 * falling back to ::/0. No prefix: no array at all. */
static void test_zero(void **state)
{
	struct fg_rule_pfx6 p[] = {
		pfx("::", 0, 7),
		pfx("2001:db8::7", 128, 9),
	};
	struct fg_rule_mb6 m;
	__u32 i, set = 0;

	(void)state;
	build(p, 0, &m);
	assert_int_equal(m.mb.n, 0);
	assert_int_equal(walk(&m, "::"), 0);
	build(p, 1, &m);
	assert_int_equal(blocks(&m), 0);
	assert_int_equal(m.nt, 0);
	for (i = 0; i < FG_MB_ROOT; i++)
		set += m.mb.node[i] == 7;
	assert_int_equal(set, FG_MB_ROOT);
	assert_int_equal(walk(&m, "::"), 7);
	assert_int_equal(walk(&m, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			 7);
	fg_rule_mb6_free(&m);
	build(p, 2, &m);
	assert_int_equal(blocks(&m), 0);
	assert_int_equal(m.nt, 1);
	assert_int_equal(m.mb.node[0x2001], FG_MB6_TAIL | 0);
	assert_int_equal(m.tail[0].fallback, 7);
	assert_int_equal(walk(&m, "2001:db8::7"), 9);
	assert_int_equal(walk(&m, "2001:db8::6"), 7);
	assert_int_equal(walk(&m, "2001:db9::7"), 7);
	assert_int_equal(walk(&m, "::1"), 7);
	fg_rule_mb6_free(&m);
}

/* A /22 expanded over 4 entries of the block for bits 20-23; a /128
 * alone under one of them is a tail whose fallback is the /22. */
static void test_fallback(void **state)
{
	struct fg_rule_pfx6 p[] = {
		pfx("2001:d00::1", 128, 2),
		pfx("2001:c00::", 22, 1),
	};
	struct fg_rule_mb6 m;
	size_t b2;

	(void)state;
	build(p, 2, &m);
	assert_int_equal(blocks(&m), 2);
	assert_int_equal(m.nt, 1);
	/* root -> block 0 (bits 16-19: 0) -> block 1 (bits 20-23) */
	assert_int_equal(m.mb.node[0x2001], FG_MB_PTR | 0);
	assert_int_equal(m.mb.node[FG_MB_ROOT + 0], FG_MB_PTR | 1);
	b2 = FG_MB_ROOT + FG_MB_SIZE;
	assert_int_equal(m.mb.node[b2 + 0xb], 0);
	assert_int_equal(m.mb.node[b2 + 0xc], 1);
	assert_int_equal(m.mb.node[b2 + 0xd], FG_MB6_TAIL | 0);
	assert_int_equal(m.mb.node[b2 + 0xe], 1);
	assert_int_equal(m.mb.node[b2 + 0xf], 1);
	assert_int_equal(m.tail[0].fallback, 1);
	assert_int_equal(walk(&m, "2001:d00::1"), 2);
	assert_int_equal(walk(&m, "2001:d00::2"), 1);
	assert_int_equal(walk(&m, "2001:dff:ffff::1"), 1);
	assert_int_equal(walk(&m, "2001:c00::"), 1);
	assert_int_equal(walk(&m, "2001:fff::"), 1);
	assert_int_equal(walk(&m, "2001:bff::1"), 0);
	assert_int_equal(walk(&m, "2001:1000::"), 0);
	fg_rule_mb6_free(&m);
}

/* One prefix under a root entry is a tail; a second one below the same
 * entry turns it into blocks down to where the two part, then a tail (or
 * expanded leaves when both end in the same block). */
static void test_split(void **state)
{
	struct fg_rule_pfx6 p[3];
	struct fg_rule_mb6 m;

	(void)state;
	p[0] = pfx("2001:db8:1::", 48, 1);
	build(p, 1, &m);
	assert_int_equal(blocks(&m), 0);
	assert_int_equal(m.nt, 1);
	assert_int_equal(m.tail[0].fallback, 0);
	assert_int_equal(walk(&m, "2001:db8:1::5"), 1);
	assert_int_equal(walk(&m, "2001:db8:2::5"), 0);
	fg_rule_mb6_free(&m);
	/* both /48s end in the block of bits 44-47: 8 blocks, no tail */
	p[0] = pfx("2001:db8:1::", 48, 1);
	p[1] = pfx("2001:db8:2::", 48, 2);
	build(p, 2, &m);
	assert_int_equal(blocks(&m), 8);
	assert_int_equal(m.nt, 0);
	assert_int_equal(walk(&m, "2001:db8:1::5"), 1);
	assert_int_equal(walk(&m, "2001:db8:2:ffff::"), 2);
	assert_int_equal(walk(&m, "2001:db8:3::"), 0);
	fg_rule_mb6_free(&m);
	/* a /128 instead of the second: the same 8 blocks and a tail */
	p[0] = pfx("2001:db8:1::", 48, 1);
	p[1] = pfx("2001:db8:2::1", 128, 2);
	build(p, 2, &m);
	assert_int_equal(blocks(&m), 8);
	assert_int_equal(m.nt, 1);
	assert_int_equal(m.tail[0].fallback, 0);
	assert_int_equal(walk(&m, "2001:db8:2::1"), 2);
	assert_int_equal(walk(&m, "2001:db8:2::"), 0);
	assert_int_equal(walk(&m, "2001:db8:1:2::1"), 1);
	fg_rule_mb6_free(&m);
	/* and a third, a /40 covering both: the chain's entries above the
	 * /40 stay blocks, the /40 shows through the rest */
	p[0] = pfx("2001:db8:1::", 48, 1);
	p[1] = pfx("2001:db8:2::1", 128, 2);
	p[2] = pfx("2001:db8::", 40, 3);
	build(p, 3, &m);
	assert_int_equal(blocks(&m), 8);
	assert_int_equal(m.nt, 1);
	assert_int_equal(m.tail[0].fallback, 3);
	assert_int_equal(walk(&m, "2001:db8:2::"), 3);
	assert_int_equal(walk(&m, "2001:db8:ff::"), 3);
	assert_int_equal(walk(&m, "2001:db8:100::"), 0);
	fg_rule_mb6_free(&m);
}

static __u64 lcg(__u64 *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x;
}

static __u64 rnd64(__u64 *x)
{
	return lcg(x) >> 32 << 32 | lcg(x) >> 32;
}

/* Bit b (0: the top) of the address set to v. */
static void setbit(struct fg_rule_pfx6 *p, __u32 b, int v)
{
	__u64 *w = b < 64 ? &p->hi : &p->lo, m = 1ull << (63 - b % 64);

	*w = v ? *w | m : *w & ~m;
}

static int getbit(const struct fg_rule_pfx6 *p, __u32 b)
{
	return (int)((b < 64 ? p->hi : p->lo) >> (63 - b % 64) & 1);
}

static int cmp_key(const void *a, const void *b)
{
	const struct fg_rule_pfx6 *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The reference: the prefixes sorted by (length, address); a lookup
 * tries every length from 128 down, by binary search. */
struct ref {
	struct fg_rule_pfx6 *p;
	size_t n, first[130];
};

static void ref_init(struct ref *r, const struct fg_rule_pfx6 *p, size_t n)
{
	__u32 len;
	size_t i;

	r->p = malloc(n * sizeof(*p));
	assert_non_null(r->p);
	memcpy(r->p, p, n * sizeof(*p));
	r->n = n;
	qsort(r->p, n, sizeof(*p), cmp_key);
	for (len = 0, i = 0; len <= 129; len++) {
		while (i < n && r->p[i].len < len)
			i++;
		r->first[len] = i;
	}
}

static __u32 ref_find(const struct ref *r, __u64 hi, __u64 lo)
{
	struct fg_rule_pfx6 k, *f;
	int len;

	for (len = 128; len >= 0; len--) {
		k.len = len;
		k.hi = hi & mhi(len);
		k.lo = lo & mlo(len);
		f = bsearch(&k, r->p + r->first[len],
			    r->first[len + 1] - r->first[len], sizeof(k),
			    cmp_key);
		if (f)
			return f->leaf;
	}
	return 0;
}

/* Linear scan: checks the reference itself. */
static __u32 scan_find(const struct fg_rule_pfx6 *p, size_t n, __u64 hi,
		       __u64 lo)
{
	__u32 best = 0;
	int bl = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)p[i].len > bl &&
		    ((hi ^ p[i].hi) & mhi(p[i].len)) == 0 &&
		    ((lo ^ p[i].lo) & mlo(p[i].len)) == 0) {
			bl = p[i].len;
			best = p[i].leaf;
		}
	return best;
}

#define NRAND 100000

/*
 * 100,000 distinct prefixes, a third each: random in 2000::/4 of any
 * length 16-128 (and a few 0-15); a copy of an earlier one with one bit
 * flipped within its length (neighbours, down to /128s differing in the
 * last bit); an earlier one extended by random bits (nested chains).
 */
static size_t gen(struct fg_rule_pfx6 *p, __u64 *x)
{
	size_t n = 0, i, k;
	__u32 len, b;

	while (n < NRAND + NRAND / 10) {
		struct fg_rule_pfx6 c;
		int how = n < 16 ? 0 : (int)(lcg(x) >> 33) % 3;

		if (how == 0) {
			len = lcg(x) >> 33 & 1023;
			len = len < 8 ? len * 2 : 16 + len % 113;
			c.hi = 0x2000000000000000ull | rnd64(x) >> 4;
			c.lo = rnd64(x);
		} else {
			c = p[(lcg(x) >> 33) % n];
			len = c.len;
			if (how == 1 && len) {
				b = (lcg(x) >> 33) % len;
				/* mostly near the end: deep shared paths */
				if (lcg(x) >> 63)
					b = len - 1 - b % (len < 8 ? len : 8);
				setbit(&c, b, !getbit(&c, b));
			} else if (len < 128) {
				len += 1 + (lcg(x) >> 33) % (128 - len);
				c.lo |= rnd64(x) & ~mlo(c.len);
				c.hi |= rnd64(x) & ~mhi(c.len);
			}
		}
		c.len = len;
		c.hi &= mhi(len);
		c.lo &= mlo(len);
		p[n++] = c;
	}
	/* distinct: drop duplicates of (length, address) */
	qsort(p, n, sizeof(*p), cmp_key);
	for (i = 1, k = 1; i < n; i++)
		if (cmp_key(&p[i], &p[k - 1]))
			p[k++] = p[i];
	assert_true(k >= NRAND);
	/* shuffle (the builder sorts), leaves 1..NRAND */
	for (i = NRAND - 1; i > 0; i--) {
		struct fg_rule_pfx6 t = p[i];

		k = (lcg(x) >> 33) % (i + 1);
		p[i] = p[k];
		p[k] = t;
	}
	for (i = 0; i < NRAND; i++)
		p[i].leaf = i + 1;
	return NRAND;
}

static void test_random(void **state)
{
	struct fg_rule_pfx6 *p = malloc((NRAND + NRAND / 10) * sizeof(*p)), *b;
	struct fg_rule_mb6 m;
	struct ref r;
	size_t n, k, bad = 0, hits = 0;
	__u64 x = 11, hi, lo;
	__u32 want, got;

	(void)state;
	assert_non_null(p);
	n = gen(p, &x);
	ref_init(&r, p, n);
	b = malloc(n * sizeof(*b));
	assert_non_null(b);
	memcpy(b, p, n * sizeof(*b));
	build(b, n, &m);
	free(b);
	/* the memory bound */
	assert_true(blocks(&m) <= (size_t)FG_MB6_LEVELS * (n - 1));
	assert_true(m.nt <= n);
	print_message("# %zu prefixes: %zu blocks, %zu tails, %.1f bytes a "
		      "prefix beyond the root\n",
		      n, blocks(&m), m.nt,
		      (blocks(&m) * 64.0 + m.nt * 32.0) / n);
	for (k = 0; k < 4 * NRAND; k++) {
		const struct fg_rule_pfx6 *q = &p[(lcg(&x) >> 33) % n];
		__u32 len = q->len, bit;

		hi = rnd64(&x);
		lo = rnd64(&x);
		switch (k % 4) {
		case 0: /* random, in 2000::/4 or anywhere */
			if (k & 4)
				hi = 0x2000000000000000ull | hi >> 4;
			break;
		case 1: /* inside a prefix */
			hi = q->hi | (hi & ~mhi(len));
			lo = q->lo | (lo & ~mlo(len));
			break;
		case 2: /* the prefix's first or last address */
			hi = q->hi | (k & 4 ? ~mhi(len) : 0);
			lo = q->lo | (k & 4 ? ~mlo(len) : 0);
			break;
		default: /* just outside: one bit of the prefix flipped */
			bit = len ? (lcg(&x) >> 33) % len : 0;
			if (len && (k & 4))
				bit = len - 1;
			hi = q->hi | (hi & ~mhi(len));
			lo = q->lo | (lo & ~mlo(len));
			if (len) {
				if (bit < 64)
					hi ^= 1ull << (63 - bit);
				else
					lo ^= 1ull << (127 - bit);
			}
		}
		want = ref_find(&r, hi, lo);
		got = fg_rule_mb6_walk(&m, hi, lo);
		hits += want != 0;
		if (want != got && bad++ < 5)
			print_message("# %016llx%016llx: got %u want %u\n",
				      (unsigned long long)hi,
				      (unsigned long long)lo, got, want);
		if (k < 600)
			assert_int_equal(want, scan_find(p, n, hi, lo));
	}
	assert_int_equal(bad, 0);
	assert_true(hits > NRAND); /* most probes do meet a prefix */
	fg_rule_mb6_free(&m);
	free(r.p);
	free(p);
}

/* Through fg_rule_compile: IPv4 lists first, then IPv6 ones, which the
 * IPv6 leaves name; each field its own index. */
static void test_compiled(void **state)
{
	const char *text = "id 1 src 192.0.2.0/24 action drop\n"
			   "id 2 src 2001:db8::/32 action drop\n"
			   "id 3 src 2001:db8::1 action pass\n"
			   "id 4 dst 2001:db8::/48 action drop\n"
			   "id 5 dst 198.51.100.0/24 action pass\n"
			   "id 6 src ::/0 prio 1 action count\n";
	struct fg_ruleset s = {};
	struct fg_rule_image img;
	struct fg_perr e = {};
	__u32 v;

	(void)state;
	assert_int_equal(fg_rules_parse_text(text, strlen(text), &s, &e), 0);
	assert_int_equal(fg_ruleset_assign_ids(&s, NULL), 0);
	assert_int_equal(fg_rule_compile(&s, &img, &e), 0);
	assert_int_equal(img.nl4, 2);
	assert_int_equal(img.nl6, 4);
	/* src: ::/0, /32, /128 on one path */
	v = walk(&img.mb6[FG_RULE_F_SRC], "2001:db8::1");
	assert_true(v > img.nl4 && v <= img.nl4 + img.nl6);
	assert_int_equal(img.l4[v - 1].n, 3); /* /128, /32 and ::/0's rules */
	v = walk(&img.mb6[FG_RULE_F_SRC], "2001:db8::2");
	assert_int_equal(img.l4[v - 1].n, 2);
	v = walk(&img.mb6[FG_RULE_F_SRC], "2001:db9::1");
	assert_int_equal(img.l4[v - 1].n, 1);
	/* dst: one /48, a tail under its root entry */
	assert_int_equal(img.mb6[FG_RULE_F_DST].nt, 1);
	v = walk(&img.mb6[FG_RULE_F_DST], "2001:db8::2");
	assert_true(v > img.nl4);
	assert_int_equal(img.l4[v - 1].n, 1);
	assert_int_equal(walk(&img.mb6[FG_RULE_F_DST], "2001:db8:1::"), 0);
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_neighbours),
		cmocka_unit_test(test_zero),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_compiled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
