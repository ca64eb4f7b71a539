// SPDX-License-Identifier: GPL-2.0
/*
 * The IPv6 index as a multibit trie with tails (include/fg_rules.h,
 * FG_MB6_*). Pure: builds the arrays user space then writes into
 * fg_rule_mb6 and fg_rule_tl6.
 *
 * Built top down over the prefixes sorted by (address, length): the
 * prefixes inside any entry's span are then a contiguous run, a covering
 * prefix comes before the prefixes it covers, and those of the run short
 * enough to end at this level come first. For each level (the root, then
 * each block):
 *   1. every entry starts with what covers the whole level (inh);
 *   2. prefixes ending at this level are expanded to the stride, in
 *      sorted order, so a longer one writes over a shorter one;
 *   3. an entry with exactly one longer prefix below it becomes a tail
 *      (the prefix, its leaf, and the entry's value from 2 as fallback);
 *      with two or more, a block (starting from that value) built the same
 *      way one level down, at once: blocks are numbered depth first, so a
 *      chain's blocks are consecutive and a walk mostly stays in one
 *      chunk (FG_MB6_CHUNK).
 *
 * Memory bound. A block hangs under an entry only if two or more
 * prefixes lie below that entry; the entries that do form, for each node
 * of the binary trie where two prefixes meet (a branch, or a prefix with
 * another below it: at most n - 1 such nodes for n prefixes), a chain of at
 * most FG_MB6_LEVELS blocks down to it. So at most FG_MB6_LEVELS * (n - 1)
 * blocks (64 bytes each: 1,792 bytes a prefix; two /128s differing in the
 * last bit are the worst case) and at most n tails (32 bytes), plus the
 * root (256 KB; the map rounds the blocks up to whole 1 MB chunks). Prefixes
 * that do not share long paths cost far less: a lone prefix under a root entry
 * is one tail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "rules.h"

/* Make room for `more` elements of `size` bytes in *arr (cap *cap). */
static int mb6_room(void **arr, size_t *cap, size_t n, size_t more, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *a;

	if (n + more <= *cap)
		return 0;
	while (c < n + more)
		c *= 2;
	a = realloc(*arr, c * size);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = c;
	return 0;
}

/* A new block filled with `fill`; returns its entry (FG_MB_PTR | b). */
static int mb6_block(struct fg_rule_mb6 *m, __u32 fill, __u32 *ent)
{
	size_t i, b = (m->mb.n - FG_MB_ROOT) / FG_MB_SIZE;
	int err;

	if (b >= FG_MB6_TAIL)
		return -E2BIG;
	err = mb6_room((void **)&m->mb.node, &m->mb.cap, m->mb.n, FG_MB_SIZE,
		       sizeof(*m->mb.node));
	if (err)
		return err;
	for (i = 0; i < FG_MB_SIZE; i++)
		m->mb.node[m->mb.n + i] = fill;
	m->mb.n += FG_MB_SIZE;
	*ent = FG_MB_PTR | (__u32)b;
	return 0;
}

/* A new tail for prefix x over an entry that held `fallback`. */
static int mb6_tail(struct fg_rule_mb6 *m, const struct fg_rule_pfx6 *x,
		    __u32 fallback, __u32 *ent)
{
	struct fg_rule_tail6 *t;
	int err;

	if (m->nt >= FG_MB6_TAIL)
		return -E2BIG;
	err = mb6_room((void **)&m->tail, &m->tcap, m->nt, 1, sizeof(*t));
	if (err)
		return err;
	t = &m->tail[m->nt];
	memset(t, 0, sizeof(*t));
	t->hi = x->hi;
	t->lo = x->lo;
	t->len = x->len;
	t->leaf = x->leaf;
	t->fallback = fallback;
	*ent = FG_MB6_TAIL | (__u32)m->nt++;
	return 0;
}

/* The `width` bits of x's address from bit `at` (at + width <= 64 or
 * at >= 64: levels never straddle the halves). */
static __u32 mb6_bits(const struct fg_rule_pfx6 *x, __u32 at, __u32 width)
{
	__u64 w = at < 64 ? x->hi : x->lo;

	return (__u32)(w >> (64 - at % 64 - width)) & ((1u << width) - 1);
}

/*
 * One level: the 2^width entries at node[off], for the addresses under
 * their first `at` bits, and p[i, j), the prefixes below it (all longer
 * than `at` bits). The entries already hold what covers the whole level.
 * Recursion depth: at most FG_MB6_LEVELS.
 */
static int mb6_level(struct fg_rule_mb6 *m, size_t off, __u32 at, __u32 width,
		     const struct fg_rule_pfx6 *p, size_t i, size_t j)
{
	__u32 end = at + width, e, ent, c;
	size_t k, q, r;
	int err;

	for (k = i; k < j; k++) {
		if (p[k].len > end)
			continue;
		e = mb6_bits(&p[k], at, width);
		for (c = 0; c < 1u << (end - p[k].len); c++)
			m->mb.node[off + e + c] = p[k].leaf;
	}
	for (k = i; k < j; k = q) {
		e = mb6_bits(&p[k], at, width);
		for (q = k; q < j && mb6_bits(&p[q], at, width) == e; q++)
			;
		/* Those ending here sort first: their address is the
		 * entry's first. */
		for (r = k; r < q && p[r].len <= end; r++)
			;
		if (r == q)
			continue;
		if (q - r == 1) {
			err = mb6_tail(m, &p[r], m->mb.node[off + e], &ent);
		} else {
			err = mb6_block(m, m->mb.node[off + e], &ent);
			if (!err)
				err = mb6_level(
					m,
					FG_MB_ROOT +
						(size_t)(ent & ~FG_MB_PTR) *
							FG_MB_SIZE,
					end, FG_MB_STRIDE, p, r, q);
		}
		if (err)
			return err;
		m->mb.node[off + e] = ent;
	}
	return 0;
}

static int pfx6_cmp(const void *a, const void *b)
{
	const struct fg_rule_pfx6 *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->len > y->len) - (x->len < y->len);
}

int fg_rule_mb6_build(struct fg_rule_pfx6 *p, size_t n, struct fg_rule_mb6 *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	if (!n)
		return 0; /* no prefix: no array (not even a root) */
	qsort(p, n, sizeof(*p), pfx6_cmp);
	m->mb.cap = FG_MB_ROOT + 64 * FG_MB_SIZE;
	m->mb.node = calloc(m->mb.cap, sizeof(*m->mb.node));
	if (!m->mb.node)
		return -ENOMEM;
	m->mb.n = FG_MB_ROOT;
	err = mb6_level(m, 0, 0, FG_MB_ROOT_BITS, p, 0, n);
	if (err)
		fg_rule_mb6_free(m);
	return err;
}

void fg_rule_mb6_free(struct fg_rule_mb6 *m)
{
	free(m->mb.node);
	free(m->tail);
	memset(m, 0, sizeof(*m));
}

void fg_rule_pfx6_set(struct fg_rule_pfx6 *x, const __u8 *addr, __u32 len,
		      __u32 leaf)
{
	int i;

	x->hi = x->lo = 0;
	for (i = 0; i < 8; i++) {
		x->hi = x->hi << 8 | addr[i];
		x->lo = x->lo << 8 | addr[8 + i];
	}
	x->len = len;
	x->leaf = leaf;
}

/* One field's IPv6 entries of img as prefixes whose leaves name l4[]. */
static int mb6_field(struct fg_rule_image *img, __u32 field)
{
	struct fg_rule_pfx6 *p =
		malloc((img->nidx ? img->nidx : 1) * sizeof(*p));
	const struct fg_rule_ixkey *k;
	size_t i, n = 0;
	int err;

	if (!p)
		return -ENOMEM;
	for (i = 0; i < img->nidx; i++) {
		k = &img->keys[i];
		if (k->family == 6 && k->field == field)
			fg_rule_pfx6_set(&p[n++], k->addr, k->bits,
					 img->lidx[i] + 1);
	}
	err = fg_rule_mb6_build(p, n, &img->mb6[field]);
	free(p);
	return err;
}

int fg_rule_mb6_image(struct fg_rule_image *img)
{
	__u32 field;
	size_t i;
	int err = 0;

	/* The IPv6 lists follow the IPv4 ones in l4[] (sized nidx). */
	for (i = 0; i < img->nidx; i++) {
		if (img->keys[i].family != 6)
			continue;
		img->lidx[i] = img->nl4 + img->nl6;
		img->l4[img->nl4 + img->nl6++] = img->lists[i];
	}
	for (field = 0; field < 2 && !err; field++)
		err = mb6_field(img, field);
	return err;
}

__u32 fg_rule_mb6_walk(const struct fg_rule_mb6 *m, __u64 hi, __u64 lo)
{
	const struct fg_rule_tail6 *t;
	__u64 h = hi << FG_MB_ROOT_BITS | lo >> (64 - FG_MB_ROOT_BITS);
	__u64 l = lo << FG_MB_ROOT_BITS, dh, dl;
	__u32 v, lvl;

	if (!m->mb.n)
		return 0;
	v = m->mb.node[hi >> (64 - FG_MB_ROOT_BITS)];
	for (lvl = 0; lvl < FG_MB6_LEVELS && (v & FG_MB_PTR); lvl++) {
		v = m->mb.node[FG_MB_ROOT + (v & ~FG_MB_PTR) * FG_MB_SIZE +
			       (h >> (64 - FG_MB_STRIDE))];
		h = h << FG_MB_STRIDE | l >> (64 - FG_MB_STRIDE);
		l <<= FG_MB_STRIDE;
	}
	if (v & FG_MB_PTR)
		return 0;
	if (!(v & FG_MB6_TAIL))
		return v;
	t = &m->tail[v & ~FG_MB6_TAIL];
	dh = hi ^ t->hi;
	dl = lo ^ t->lo;
	if (t->len <= 64)
		return dh >> (64 - t->len) ? t->fallback : t->leaf;
	return dh || dl >> (128 - t->len) ? t->fallback : t->leaf;
}
