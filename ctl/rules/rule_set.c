// SPDX-License-Identifier: GPL-2.0
/*
 * Rule sets and their compilation into the data path's structures
 * (include/fg_rules.h). Pure: unit-tested without maps.
 *
 * Compilation:
 * 1. Sort the rules into evaluation order; a rule's slot is its position.
 * 2. Index each rule once: by its source prefix, or by its destination
 *    prefix when that is the longer one or the only one; rules without an
 *    address go to the global list. The other address (if any) is checked
 *    by the data path from the rule itself.
 * 3. Give every index entry the slots of the rules of every prefix that
 *    covers it (its own included), so that one longest-prefix lookup
 *    finds every rule that can match an address. Prefixes sorted by
 *    address, shorter first, come in the order of a walk of the prefix
 *    tree: a stack of the open prefixes gives each one its parent.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "rules.h"

static int perr(struct fg_perr *e, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct fg_perr *e, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int fg_ruleset_add(struct fg_ruleset *s, const struct fg_rule_def *d,
		   unsigned int line)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct fg_rule_def *r = realloc(s->r, cap * sizeof(*r));
		unsigned int *l;

		if (!r)
			return -ENOMEM;
		s->r = r;
		l = realloc(s->line, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		s->line = l;
		s->cap = cap;
	}
	s->r[s->n] = *d;
	s->line[s->n] = line;
	s->n++;
	return 0;
}

void fg_ruleset_free(struct fg_ruleset *s)
{
	free(s->r);
	free(s->line);
	memset(s, 0, sizeof(*s));
}

struct fg_rule_def *fg_ruleset_find(const struct fg_ruleset *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->r[i].id == id)
			return &s->r[i];
	return NULL;
}

const struct fg_rule_def **fg_ruleset_by_id(const struct fg_ruleset *s)
{
	const struct fg_rule_def **ix = calloc(FG_RULE_MAX + 1, sizeof(*ix));
	size_t i;

	for (i = 0; ix && i < s->n; i++)
		if (s->r[i].id <= FG_RULE_MAX)
			ix[s->r[i].id] = &s->r[i];
	return ix;
}

bool fg_rule_same_match(const struct fg_rule_def *a,
			const struct fg_rule_def *b)
{
	const __u8 m = FG_RF_SRC | FG_RF_DST | FG_RF_PROTO | FG_RF_SPORT |
		       FG_RF_DPORT | FG_RF_DEV | FG_RF_ARP;

	if ((a->flags & m) != (b->flags & m) || a->family != b->family)
		return false;
	if ((a->flags & FG_RF_SRC) &&
	    (a->src_len != b->src_len || memcmp(a->src, b->src, 16)))
		return false;
	if ((a->flags & FG_RF_DST) &&
	    (a->dst_len != b->dst_len || memcmp(a->dst, b->dst, 16)))
		return false;
	if ((a->flags & FG_RF_PROTO) && a->proto != b->proto)
		return false;
	if ((a->flags & FG_RF_SPORT) &&
	    (a->sport_lo != b->sport_lo || a->sport_hi != b->sport_hi))
		return false;
	if ((a->flags & FG_RF_DPORT) &&
	    (a->dport_lo != b->dport_lo || a->dport_hi != b->dport_hi))
		return false;
	return !(a->flags & FG_RF_DEV) || !strcmp(a->dev, b->dev);
}

/* "line N" or "rule ID", for messages about a rule. */
static const char *where(const struct fg_ruleset *s, size_t i, char *buf,
			 size_t len)
{
	if (s->line[i])
		snprintf(buf, len, "line %u", s->line[i]);
	else
		snprintf(buf, len, "rule %u", s->r[i].id);
	return buf;
}

/* A total order in which rules of the same match are neighbours. The
 * parser zeroes what a rule does not set, so comparing the match fields
 * as bytes is enough. */
static int match_cmp(const struct fg_rule_def *x, const struct fg_rule_def *y)
{
	int c;

	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	c = memcmp(&x->proto, &y->proto,
		   offsetof(struct fg_rule_def, ifindex) -
			   offsetof(struct fg_rule_def, proto));
	return c ? c : strcmp(x->dev, y->dev);
}

/* Order used to find duplicates: prio, then match. */
static int dup_cmp(const void *a, const void *b, void *ctx)
{
	const struct fg_ruleset *s = ctx;
	const struct fg_rule_def *x = &s->r[*(const size_t *)a],
				 *y = &s->r[*(const size_t *)b];

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return match_cmp(x, y);
}

static int match_ix_cmp(const void *a, const void *b, void *ctx)
{
	const struct fg_ruleset *s = ctx;

	return match_cmp(&s->r[*(const size_t *)a], &s->r[*(const size_t *)b]);
}

static int id_cmp(const void *a, const void *b, void *ctx)
{
	const struct fg_ruleset *s = ctx;
	__u32 x = s->r[*(const size_t *)a].id, y = s->r[*(const size_t *)b].id;

	return x < y ? -1 : x > y;
}

static size_t *index_sorted(const struct fg_ruleset *s,
			    int (*cmp)(const void *, const void *, void *))
{
	size_t *ix = malloc((s->n ? s->n : 1) * sizeof(*ix)), i;

	if (!ix)
		return NULL;
	for (i = 0; i < s->n; i++)
		ix[i] = i;
	qsort_r(ix, s->n, sizeof(*ix), cmp, (void *)s);
	return ix;
}

int fg_ruleset_check(const struct fg_ruleset *s, struct fg_perr *e)
{
	char w1[32], w2[32];
	size_t *ix, i, a, b;
	int err = 0;

	if (s->n > FG_RULE_MAX)
		return perr(e, s->line[FG_RULE_MAX], "more than %u rules",
			    FG_RULE_MAX);
	ix = index_sorted(s, dup_cmp);
	if (!ix)
		return perr(e, 0, "out of memory");
	for (i = 1; i < s->n && !err; i++) {
		a = ix[i - 1] < ix[i] ? ix[i - 1] : ix[i];
		b = ix[i - 1] < ix[i] ? ix[i] : ix[i - 1];
		if (s->r[a].prio == s->r[b].prio &&
		    fg_rule_same_match(&s->r[a], &s->r[b]))
			err = perr(e, s->line[b],
				   "%s has the same match and prio as %s",
				   where(s, b, w1, sizeof(w1)),
				   where(s, a, w2, sizeof(w2)));
	}
	free(ix);
	ix = err ? NULL : index_sorted(s, id_cmp);
	if (!err && !ix)
		return perr(e, 0, "out of memory");
	for (i = 1; i < s->n && !err; i++) {
		a = ix[i - 1] < ix[i] ? ix[i - 1] : ix[i];
		b = ix[i - 1] < ix[i] ? ix[i] : ix[i - 1];
		if (s->r[a].id && s->r[a].id == s->r[b].id)
			err = perr(e, s->line[b], "id %u is used twice (%s)",
				   s->r[b].id, where(s, a, w2, sizeof(w2)));
	}
	free(ix);
	return err;
}

/* The smallest ID free in used[] and not in avoid[]; when there is none
 * left, the smallest free in used[]. next[0], next[1]: where the two
 * searches go on from (IDs below them are taken). */
static __u32 free_id(const __u8 *used, const __u8 *avoid, __u32 *next)
{
	__u32 id;

	for (id = next[0]; id <= FG_RULE_MAX; id++)
		if (!used[id] && !avoid[id])
			return next[0] = id;
	next[0] = id;
	for (id = next[1]; id <= FG_RULE_MAX; id++)
		if (!used[id])
			return next[1] = id;
	next[1] = id;
	return 0;
}

/* A rule of `old` (sorted by match in ix) with d's match whose ID is
 * free; 0 if none. */
static __u32 id_of_same_match(const struct fg_ruleset *old, const size_t *ix,
			      const struct fg_rule_def *d, const __u8 *used)
{
	size_t lo = 0, hi = old->n, mid;

	while (lo < hi) { /* the first not below d */
		mid = (lo + hi) / 2;
		if (match_cmp(&old->r[ix[mid]], d) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < old->n && fg_rule_same_match(&old->r[ix[lo]], d); lo++)
		if (!used[old->r[ix[lo]].id])
			return old->r[ix[lo]].id;
	return 0;
}

int fg_ruleset_assign_ids(struct fg_ruleset *s, const struct fg_ruleset *old)
{
	__u8 *used = calloc(FG_RULE_MAX + 1, 1);
	__u8 *in_old = calloc(FG_RULE_MAX + 1, 1);
	size_t *ix = old ? index_sorted(old, match_ix_cmp) : NULL;
	__u32 next[2] = {1, 1};
	size_t i, j;
	int err = 0;

	if (!used || !in_old || (old && !ix)) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->n; i++)
		used[s->r[i].id] = 1; /* id 0: none yet, never given */
	for (j = 0; old && j < old->n; j++)
		in_old[old->r[j].id] = 1;
	/* Same match as a rule in force: take its ID, counters go on. */
	for (i = 0; old && i < s->n; i++) {
		if (s->r[i].id)
			continue;
		s->r[i].id = id_of_same_match(old, ix, &s->r[i], used);
		used[s->r[i].id] = 1;
	}
	/* Others get an ID no rule in force has (while there is one), so
	 * that no packet still judged by the old set counts for them. */
	for (i = 0; i < s->n && !err; i++) {
		if (s->r[i].id)
			continue;
		s->r[i].id = free_id(used, in_old, next);
		if (!s->r[i].id)
			err = -E2BIG;
		used[s->r[i].id] = 1;
	}
out:
	free(ix);
	free(used);
	free(in_old);
	return err;
}

/* Prefix length for ordering: none sorts after /0. */
static int len_or_none(const struct fg_rule_def *d, __u8 flag, __u8 len)
{
	return d->flags & flag ? len : -1;
}

static int order_cmp(const void *a, const void *b)
{
	const struct fg_rule_def *x = a, *y = b;
	int lx, ly;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	lx = len_or_none(x, FG_RF_SRC, x->src_len);
	ly = len_or_none(y, FG_RF_SRC, y->src_len);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	lx = len_or_none(x, FG_RF_DST, x->dst_len);
	ly = len_or_none(y, FG_RF_DST, y->dst_len);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int order_ix_cmp(const void *a, const void *b, void *ctx)
{
	const struct fg_ruleset *s = ctx;

	return order_cmp(&s->r[*(const size_t *)a], &s->r[*(const size_t *)b]);
}

void fg_ruleset_sort(struct fg_ruleset *s)
{
	size_t *ix = index_sorted(s, order_ix_cmp), i;
	struct fg_rule_def *r = malloc((s->n ? s->n : 1) * sizeof(*r));
	unsigned int *l = malloc((s->n ? s->n : 1) * sizeof(*l));

	if (!ix || !r || !l) {
		/* No memory for the copy: sort the rules alone, and forget
		 * the lines rather than mismatch them. */
		qsort(s->r, s->n, sizeof(*s->r), order_cmp);
		memset(s->line, 0, s->n * sizeof(*s->line));
	} else {
		for (i = 0; i < s->n; i++) {
			r[i] = s->r[ix[i]];
			l[i] = s->line[ix[i]];
		}
		memcpy(s->r, r, s->n * sizeof(*r));
		memcpy(s->line, l, s->n * sizeof(*l));
	}
	free(ix);
	free(r);
	free(l);
}

/* ---- compilation -------------------------------------------------------- */

/* One rule's entry in an index: its field, family, prefix and slot. */
struct ixent {
	__u8 field, family, bits; /* bits: in the 128-bit mapped address */
	__u8 addr[16];
	__u32 slot;
};

static int ixent_cmp(const void *a, const void *b)
{
	const struct ixent *x = a, *y = b;
	int c;

	if (x->field != y->field)
		return x->field - y->field;
	if (x->family != y->family)
		return x->family - y->family;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	if (x->bits != y->bits)
		return x->bits - y->bits;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* Does prefix (a, abits) cover prefix (b, bbits)? */
static bool covers(const __u8 *a, __u8 abits, const __u8 *b, __u8 bbits)
{
	__u32 i;

	if (abits > bbits)
		return false;
	for (i = 0; i < abits; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static void mask_of(__u8 bits, __u32 *mask)
{
	__u8 m[16] = {};
	__u32 i;

	for (i = 0; i < bits; i++)
		m[i / 8] |= 0x80 >> (i % 8);
	memcpy(mask, m, 16);
}

static __u8 mapped_bits(__u8 family, __u8 len)
{
	return family == 4 ? 96 + len : len;
}

/* The data path's form of a rule; *ix gets its index entry (field 0xff:
 * the global list). */
static void compile_rule(const struct fg_rule_def *d, __u32 slot,
			 struct fg_rule *r, struct ixent *ix)
{
	bool src = d->flags & FG_RF_SRC, dst = d->flags & FG_RF_DST;
	bool by_dst = dst && (!src || d->dst_len > d->src_len);
	const __u8 *other = by_dst ? d->src : d->dst;

	memset(r, 0, sizeof(*r));
	r->id = d->id;
	r->ifindex = d->flags & FG_RF_DEV ? d->ifindex : 0;
	r->action = d->action;
	r->flags = d->flags &
		   (FG_RF_PROTO | FG_RF_SPORT | FG_RF_DPORT | FG_RF_ARP);
	r->proto = d->proto;
	r->family = d->family;
	r->sport_lo = d->sport_lo;
	r->sport_hi = d->sport_hi;
	r->dport_lo = d->dport_lo;
	r->dport_hi = d->dport_hi;
	if (src && dst) {
		__u8 len = by_dst ? d->src_len : d->dst_len;
		__u32 i;

		r->flags |= by_dst ? FG_RF_SRC : FG_RF_DST;
		mask_of(mapped_bits(d->family, len), r->mask);
		memcpy(r->addr, other, 16);
		for (i = 0; i < 4; i++)
			r->addr[i] &= r->mask[i];
	}
	memset(ix, 0, sizeof(*ix));
	ix->slot = slot;
	ix->field = 0xff;
	if (!src && !dst)
		return;
	ix->field = by_dst ? FG_RULE_F_DST : FG_RULE_F_SRC;
	ix->family = d->family;
	ix->bits = mapped_bits(d->family, by_dst ? d->dst_len : d->src_len);
	memcpy(ix->addr, by_dst ? d->dst : d->src, 16);
}

/* Merge two ascending slot lists into out; false if it would not fit. */
static bool merge(const struct fg_rule_list *a, const __u32 *b, __u32 nb,
		  struct fg_rule_list *out)
{
	__u32 i = 0, j = 0, n = 0;

	while (i < a->n || j < nb) {
		if (n == FG_RULE_CAND)
			return false;
		if (j == nb || (i < a->n && a->slot[i] < b[j]))
			out->slot[n++] = a->slot[i++];
		else
			out->slot[n++] = b[j++];
	}
	out->n = n;
	return true;
}

struct compile_ctx {
	struct fg_ruleset *s;
	struct fg_rule_image *img;
	struct fg_perr *e;
	struct ixent *ents;
	size_t nents;
};

static int too_many(struct compile_ctx *c, const struct ixent *x)
{
	char p[INET6_ADDRSTRLEN + 8];

	fg_prefix_str(x->addr, x->family,
		      x->family == 4 ? x->bits - 96 : x->bits, p, sizeof(p));
	perr(c->e, c->s->line[x->slot],
	     "%s %s: more than %d rules would apply to one address through "
	     "this prefix and those covering it",
	     x->field == FG_RULE_F_SRC ? "src" : "dst", p, FG_RULE_CAND);
	return -E2BIG;
}

static int too_many_glob(struct compile_ctx *c, const struct ixent *x)
{
	perr(c->e, c->s->line[x->slot],
	     "more than %d rules without src or dst (rule %u is one too many)",
	     FG_RULE_CAND, c->s->r[x->slot].id);
	return -E2BIG;
}

/* Build the index entries of one field and family: ents[a, b). */
static int build_index(struct compile_ctx *c, size_t a, size_t b)
{
	size_t *stack = malloc((b - a) * sizeof(*stack)), top = 0, i, j, k;
	struct fg_rule_image *img = c->img;
	struct fg_rule_list empty = {};
	__u32 own[FG_RULE_CAND];
	int err = 0;

	if (!stack)
		return -ENOMEM;
	for (i = a; i < b && !err; i = j) {
		const struct ixent *x = &c->ents[i];
		struct fg_rule_ixkey *key = &img->keys[img->nidx];
		struct fg_rule_list *l = &img->lists[img->nidx];

		/* rules of the same prefix: own[] */
		for (j = i, k = 0; j < b && c->ents[j].bits == x->bits &&
				   !memcmp(c->ents[j].addr, x->addr, 16);
		     j++) {
			if (k == FG_RULE_CAND) {
				err = too_many(c, &c->ents[j]);
				break;
			}
			own[k++] = c->ents[j].slot;
		}
		if (err)
			break;
		while (top && !covers(img->keys[stack[top - 1]].addr,
				      img->keys[stack[top - 1]].bits, x->addr,
				      x->bits))
			top--;
		if (!merge(top ? &img->lists[stack[top - 1]] : &empty, own, k,
			   l)) {
			err = too_many(c, x);
			break;
		}
		memset(key, 0, sizeof(*key));
		key->bits = x->bits;
		key->field = x->field;
		key->family = x->family;
		memcpy(key->addr, x->addr, 16);
		stack[top++] = img->nidx++;
	}
	free(stack);
	return err;
}

static int build_indexes(struct compile_ctx *c)
{
	size_t i, j;
	int err = 0;

	qsort(c->ents, c->nents, sizeof(*c->ents), ixent_cmp);
	for (i = 0; i < c->nents && !err; i = j) {
		for (j = i;
		     j < c->nents && c->ents[j].field == c->ents[i].field &&
		     c->ents[j].family == c->ents[i].family;
		     j++)
			;
		if (c->ents[i].field == 0xff) {
			if (j - i > FG_RULE_CAND)
				return too_many_glob(
					c, &c->ents[i + FG_RULE_CAND]);
			for (; i < j; i++) /* in slot order: ixent_cmp */
				c->img->glob.slot[c->img->glob.n++] =
					c->ents[i].slot;
			continue;
		}
		err = build_index(c, i, j);
	}
	return err;
}

int fg_rule_compile(struct fg_ruleset *s, struct fg_rule_image *img,
		    struct fg_perr *e)
{
	struct compile_ctx c = {.s = s, .img = img, .e = e};
	size_t i, n = s->n ? s->n : 1;
	int err;

	memset(img, 0, sizeof(*img));
	fg_ruleset_sort(s);
	img->rules = calloc(n, sizeof(*img->rules));
	img->ids = calloc(n, sizeof(*img->ids));
	img->keys = calloc(n, sizeof(*img->keys));
	img->lists = calloc(n, sizeof(*img->lists));
	c.ents = calloc(n, sizeof(*c.ents));
	if (!img->rules || !img->ids || !img->keys || !img->lists || !c.ents) {
		free(c.ents);
		fg_rule_image_free(img);
		return perr(e, 0, "out of memory");
	}
	for (i = 0; i < s->n; i++) {
		compile_rule(&s->r[i], i, &img->rules[i], &c.ents[i]);
		img->ids[i] = s->r[i].id;
		if (s->r[i].action == FG_RULE_COUNT)
			img->counts.ncount++;
	}
	c.nents = s->n;
	err = build_indexes(&c);
	free(c.ents);
	if (err) {
		fg_rule_image_free(img);
		return err;
	}
	img->counts.nrules = s->n;
	for (i = 0; i < img->nidx; i++) {
		if (img->keys[i].field == FG_RULE_F_SRC)
			img->counts.nsrc++;
		else
			img->counts.ndst++;
	}
	img->counts.nglob = img->glob.n;
	err = fg_rule_mb_image(img);
	if (!err)
		err = fg_rule_mb6_image(img);
	if (err) {
		fg_rule_image_free(img);
		return perr(e, 0, "out of memory");
	}
	return 0;
}

void fg_rule_image_free(struct fg_rule_image *img)
{
	free(img->rules);
	free(img->ids);
	free(img->keys);
	free(img->lists);
	free(img->l4);
	free(img->lidx);
	fg_rule_mb_free(&img->mb[0]);
	fg_rule_mb_free(&img->mb[1]);
	fg_rule_mb6_free(&img->mb6[0]);
	fg_rule_mb6_free(&img->mb6[1]);
	memset(img, 0, sizeof(*img));
}
