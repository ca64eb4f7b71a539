// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the IPv4 multibit index (ctl/rules/rule_mb.c) as compiled by
 * fg_rule_compile(): the exact entries and blocks of small sets (where a
 * prefix expands, what a new block inherits, how many blocks a prefix
 * costs), and a random set walked the way the data path walks it against
 * a longest-prefix reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fg.h"
#include "rules.h"

struct fg_opts fg_opts;

static void add4(struct fg_ruleset *s, int dst, __u32 a, int len, __u32 prio)
{
	struct fg_rule_def d = {.id = s->n + 1,
				.prio = prio,
				.action = FG_RULE_DROP,
				.family = 4,
				.flags = dst ? FG_RF_DST : FG_RF_SRC};
	__u8 *p = dst ? d.dst : d.src;

	p[10] = p[11] = 0xff;
	p[12] = a >> 24;
	p[13] = a >> 16;
	p[14] = a >> 8;
	p[15] = a;
	if (dst)
		d.dst_len = len;
	else
		d.src_len = len;
	assert_int_equal(fg_ruleset_add(s, &d, 0), 0);
}

/* The data path's walk (bpf/lib/fg_rules.bpf.h), in C: the leaf or 0. */
static __u32 walk(const struct fg_rule_mb *mb, __u32 a)
{
	__u32 v, l;

	if (!mb->n)
		return 0;
	v = mb->node[a >> 16];
	for (l = 0; l < FG_MB_LEVELS && (v & FG_MB_PTR); l++)
		v = mb->node[FG_MB_ROOT + (v & ~FG_MB_PTR) * FG_MB_SIZE +
			     (a >> (16 - FG_MB_STRIDE * (l + 1)) &
			      (FG_MB_SIZE - 1))];
	return v & FG_MB_PTR ? 0 : v;
}

static void compile(struct fg_ruleset *s, struct fg_rule_image *img)
{
	struct fg_perr e = {};

	assert_int_equal(fg_rule_compile(s, img, &e), 0);
}

static void test_shapes(void **state)
{
	struct fg_ruleset s = {};
	struct fg_rule_image img;
	__u32 i, set = 0;

	(void)state;
	add4(&s, 0, 0xc0000200, 24, 100); /* 192.0.2.0/24: 2 blocks */
	add4(&s, 0, 0xc0000280, 25, 100); /* its upper half: 1 more */
	add4(&s, 0, 0x0a000000, 8, 100);  /* 10/8: 256 root entries */
	add4(&s, 1, 0xcb007101, 32, 100); /* dst /32: 4 blocks */
	compile(&s, &img);
	assert_int_equal(img.mb[0].n, FG_MB_ROOT + 3 * FG_MB_SIZE);
	assert_int_equal(img.mb[1].n, FG_MB_ROOT + 4 * FG_MB_SIZE);
	assert_int_equal(fg_rule_mb_blocks(&img),
			 2 * FG_MB_ROOT / FG_MB_SIZE + 7);
	for (i = 0; i < FG_MB_ROOT; i++)
		set += img.mb[0].node[i] != 0;
	assert_int_equal(set, 256 + 1); /* 10/8, and 192.0's pointer */
	/* the /25 wins in its half of the /24, the /24 in the other */
	assert_int_not_equal(walk(&img.mb[0], 0xc00002c1), 0);
	assert_int_not_equal(walk(&img.mb[0], 0xc0000201), 0); /* inherited */
	assert_int_not_equal(walk(&img.mb[0], 0xc00002c1),
			     walk(&img.mb[0], 0xc0000201));
	assert_int_equal(walk(&img.mb[0], 0xc0000301), 0);
	assert_int_equal(walk(&img.mb[0], 0x0aff0001),
			 walk(&img.mb[0], 0x0a000001));
	assert_int_not_equal(walk(&img.mb[1], 0xcb007101), 0);
	assert_int_equal(walk(&img.mb[1], 0xcb007100), 0);
	/* IPv4 lists only; their leaves name them */
	assert_int_equal(img.nl4, 4);
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

static void test_zero_and_none(void **state)
{
	struct fg_ruleset s = {};
	struct fg_rule_image img;

	(void)state;
	add4(&s, 0, 0, 0, 100); /* 0.0.0.0/0: every root entry */
	compile(&s, &img);
	assert_int_equal(img.mb[0].n, FG_MB_ROOT);
	assert_int_equal(img.mb[1].n, 0); /* no dst entry: no array */
	assert_int_equal(walk(&img.mb[0], 0), 1);
	assert_int_equal(walk(&img.mb[0], 0xffffffff), 1);
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

/* Longest prefix of the field covering a (reference): its list or NULL. */
static const struct fg_rule_list *ref(const struct fg_rule_image *img,
				      int field, __u32 a)
{
	const struct fg_rule_list *best = NULL;
	int bits = -1;
	size_t i;

	for (i = 0; i < img->nidx; i++) {
		const struct fg_rule_ixkey *k = &img->keys[i];
		__u32 p = (__u32)k->addr[12] << 24 | k->addr[13] << 16 |
			  k->addr[14] << 8 | k->addr[15];
		int len = k->bits - 96;
		__u32 m = len ? ~0u << (32 - len) : 0;

		if (k->field == field && k->family == 4 && ((a ^ p) & m) == 0 &&
		    len > bits) {
			bits = len;
			best = &img->lists[i];
		}
	}
	return best;
}

static __u32 lcg(__u64 *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 32;
}

static void test_random(void **state)
{
	struct fg_ruleset s = {};
	struct fg_rule_image img;
	const struct fg_rule_list *want;
	__u64 x = 3;
	__u32 a, v, i;
	int k, field, len;

	(void)state;
	for (i = 0; i < 3000; i++) {
		len = 14 + lcg(&x) % 19;
		a = (0x3c000000 | lcg(&x) >> 8) & ~0u << (32 - len);
		add4(&s, i & 1, a, len, 100 + i); /* prio: never a duplicate */
	}
	compile(&s, &img);
	for (k = 0; k < 20000; k++) {
		field = k & 1;
		a = 0x3c000000 | lcg(&x) >> 8;
		want = ref(&img, field, a);
		v = walk(&img.mb[field], a);
		if (!want) {
			assert_int_equal(v, 0);
			continue;
		}
		assert_int_not_equal(v, 0);
		assert_memory_equal(&img.l4[v - 1], want, sizeof(*want));
	}
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_zero_and_none),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
