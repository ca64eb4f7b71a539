// SPDX-License-Identifier: GPL-2.0
/*
 * The IPv4 index as a multibit trie (include/fg_rules.h, FG_MB_*). Pure:
 * builds the arrays user space then writes into fg_rule_mb4.
 *
 * Prefixes are inserted shortest first, each expanded to the stride of
 * the block its last bit falls in (a /18 fills 4 entries of a 4-bit
 * block, a /8 256 root entries). A block is made the first time a longer
 * prefix passes through an entry, filled with what the entry held (the
 * leaf of the prefix covering the whole block, or 0), so a shorter prefix
 * shows through wherever no longer one overrides it. Shortest first, a
 * leaf is never written over a pointer: an entry becomes a pointer only
 * for a prefix longer than the entry's span, and those come later.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "rules.h"

/* A new block filled with `fill`; *blk gets its number. */
static int mb_grow(struct fg_rule_mb *mb, __u32 fill, __u32 *blk)
{
	size_t i, cap;
	__u32 *n;

	if ((mb->n - FG_MB_ROOT) / FG_MB_SIZE >= FG_MB_PTR - 1)
		return -E2BIG;
	if (mb->n + FG_MB_SIZE > mb->cap) {
		cap = mb->cap * 2;
		n = realloc(mb->node, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		mb->node = n;
		mb->cap = cap;
	}
	*blk = (mb->n - FG_MB_ROOT) / FG_MB_SIZE;
	for (i = 0; i < FG_MB_SIZE; i++)
		mb->node[mb->n + i] = fill;
	mb->n += FG_MB_SIZE;
	return 0;
}

/* addr: host order, masked to len bits. */
static int mb_insert(struct fg_rule_mb *mb, __u32 addr, __u32 len, __u32 leaf)
{
	__u32 base = 0, width = FG_MB_ROOT_BITS, end = FG_MB_ROOT_BITS;
	__u32 idx, i, v, blk;
	int err;

	for (;;) {
		idx = (__u32)((__u64)addr >> (32 - end)) & ((1u << width) - 1);
		if (len <= end) {
			for (i = 0; i < 1u << (end - len); i++)
				mb->node[base + idx + i] = leaf;
			return 0;
		}
		v = mb->node[base + idx];
		if (!(v & FG_MB_PTR)) {
			err = mb_grow(mb, v, &blk);
			if (err)
				return err;
			v = FG_MB_PTR | blk;
			mb->node[base + idx] = v;
		}
		base = FG_MB_ROOT + (v & ~FG_MB_PTR) * FG_MB_SIZE;
		width = FG_MB_STRIDE;
		end += FG_MB_STRIDE;
	}
}

int fg_rule_mb_build(const struct fg_rule_image *img, __u32 field,
		     const __u32 *lidx, struct fg_rule_mb *mb)
{
	const struct fg_rule_ixkey *k;
	__u32 len, addr;
	size_t i;
	int err = 0;

	memset(mb, 0, sizeof(*mb));
	for (i = 0; i < img->nidx; i++)
		if (img->keys[i].field == field && lidx[i] != FG_RULE_NONE)
			break;
	if (i == img->nidx)
		return 0; /* no entry: no array (not even a root) */
	mb->cap = FG_MB_ROOT + 64 * FG_MB_SIZE;
	mb->node = calloc(mb->cap, sizeof(*mb->node));
	if (!mb->node)
		return -ENOMEM;
	mb->n = FG_MB_ROOT;
	/* Shortest first: 33 passes, cheaper than a sort. */
	for (len = 0; len <= 32 && !err; len++) {
		for (i = 0; i < img->nidx && !err; i++) {
			k = &img->keys[i];
			if (k->field != field || k->family != 4 ||
			    k->bits != 96 + len || lidx[i] == FG_RULE_NONE)
				continue;
			addr = (__u32)k->addr[12] << 24 | k->addr[13] << 16 |
			       k->addr[14] << 8 | k->addr[15];
			err = mb_insert(mb, addr, len, lidx[i] + 1);
		}
	}
	if (err)
		fg_rule_mb_free(mb);
	return err;
}

void fg_rule_mb_free(struct fg_rule_mb *mb)
{
	free(mb->node);
	memset(mb, 0, sizeof(*mb));
}

size_t fg_rule_mb_blocks(const struct fg_rule_image *img)
{
	return (img->mb[0].n + img->mb[1].n) / FG_MB_SIZE;
}

int fg_rule_mb_image(struct fg_rule_image *img)
{
	size_t i, sz = img->nidx ? img->nidx : 1;
	__u32 field;
	int err = 0;

	img->lidx = malloc(sz * sizeof(*img->lidx));
	img->l4 = malloc(sz * sizeof(*img->l4));
	if (!img->lidx || !img->l4)
		return -ENOMEM; /* fg_rule_image_free() frees what is */
	for (i = 0; i < img->nidx; i++) {
		img->lidx[i] = FG_RULE_NONE;
		if (img->keys[i].family != 4)
			continue;
		img->l4[img->nl4] = img->lists[i];
		img->lidx[i] = img->nl4++;
	}
	for (field = 0; field < 2 && !err; field++)
		err = fg_rule_mb_build(img, field, img->lidx, &img->mb[field]);
	return err;
}
