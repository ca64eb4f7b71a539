// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table as user space reads it (flowtab.h): a mapping of the
 * BPF array, read under the seqlock of include/fg_flowtab.h, a key found
 * by hashing it as BPF does, and flows ended by acknowledgement.
 *
 * A key lives in at most its two buckets of each region, so everything
 * about one key is in 2 x nreg header lines and the slots their tags
 * point at. The walk of a few regions reports a key at its first
 * position (region, bucket, slot) holding it and sums every position:
 * each key once, without memory of what it already reported. A key most
 * often lives on one CPU: a bitmap of each region's tags (ft_seen) tells
 * the walk, for most slots, that no other region holds the key, which
 * then needs no probe. With many regions probing costs more than sorting
 * the taken slots by hash (walk_sorted).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "flowtab.h"

/* A slot BPF keeps odd this many reads in a row is skipped: BPF holds it
 * odd for a few stores, so only a reader descheduled between its reads
 * comes near this. */
#define FT_TRIES 1000

/* One position of the table and what was read there. */
struct ft_pos {
	__u32 r, b, s;
	struct fg_ft_slot c; /* a consistent copy */
};

static struct fg_ft_bucket *bucket(const struct fg_ft *t, __u32 r, __u32 b)
{
	return &t->b[(size_t)r * t->info.nb + b];
}

int fg_ft_read(const struct fg_ft_slot *s, struct fg_ft_slot *out)
{
	__u32 g1, g2;
	int i;

	for (i = 0; i < FT_TRIES; i++) {
		g1 = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
		if (g1 & 1)
			continue;
		memcpy(out, (const void *)s, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&s->gen, __ATOMIC_RELAXED);
		if (g1 == g2) {
			out->gen = g1;
			return 0;
		}
	}
	return -EAGAIN;
}

static bool info_ok(const struct fg_ft_info *i)
{
	return i->version == FG_FT_VERSION && i->nreg && i->nb &&
	       !(i->nb & (i->nb - 1)) &&
	       (__u64)i->nreg * i->nb <= 0xffffffffull;
}

static size_t table_len(const struct fg_ft_info *i)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	size_t n = (size_t)i->nreg * i->nb * sizeof(struct fg_ft_bucket);

	return (n + pg - 1) / pg * pg;
}

int fg_ft_open_mem(struct fg_ft *t, void *mem, size_t len,
		   const struct fg_ft_info *info)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!info_ok(info) ||
	    len < (size_t)info->nreg * info->nb * sizeof(struct fg_ft_bucket))
		return -EINVAL;
	t->b = mem;
	t->len = len;
	t->info = *info;
	return 0;
}

int fg_ft_open_fd(struct fg_ft *t, int fd, const struct fg_ft_info *info)
{
	struct bpf_map_info mi = {};
	__u32 n = sizeof(mi);
	size_t len;
	void *p;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!info_ok(info))
		return -EINVAL;
	if (bpf_obj_get_info_by_fd(fd, &mi, &n))
		return -errno;
	if (mi.type != BPF_MAP_TYPE_ARRAY ||
	    mi.value_size != sizeof(struct fg_ft_bucket) ||
	    !(mi.map_flags & BPF_F_MMAPABLE) ||
	    mi.max_entries != info->nreg * info->nb)
		return -EINVAL;
	len = table_len(info);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->b = p;
	t->len = len;
	t->info = *info;
	t->mapped = true;
	return 0;
}

void fg_ft_close(struct fg_ft *t)
{
	if (t->mapped && t->b)
		munmap(t->b, t->len);
	if (t->fd >= 0)
		close(t->fd);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

static void key_of(const struct fg_flow_key *k, union fg_ft_key *u)
{
	u->w[6] = 0;
	u->k = *k;
}

/* Call fn for every position holding key u, in order (region, bucket,
 * slot), with a consistent copy; a slot rewritten under us to another key
 * is no position of u. Stops at fn's first non-zero return. */
typedef int (*pos_fn)(const struct ft_pos *p, void *ctx);

/* Ask for the header lines of hash h's buckets in every region at once:
 * in a table larger than the cache each is a miss, and misses asked for
 * together are waited for together. */
static void key_prefetch(const struct fg_ft *t, __u64 h)
{
	__u32 b1 = fg_ft_b1(h, t->info.nb), b2 = fg_ft_b2(h, t->info.nb), r;

	for (r = 0; r < t->info.nreg; r++) {
		__builtin_prefetch(bucket(t, r, b1));
		__builtin_prefetch(bucket(t, r, b2));
	}
}

static int key_each(const struct fg_ft *t, const union fg_ft_key *u, __u64 h,
		    pos_fn fn, void *ctx)
{
	__u32 tag = fg_ft_tag(h), bk[2], nbk = 1, i;
	struct ft_pos p;
	int err;

	bk[0] = fg_ft_b1(h, t->info.nb);
	bk[1] = fg_ft_b2(h, t->info.nb);
	if (bk[1] != bk[0]) {
		nbk = 2;
		if (bk[1] < bk[0]) {
			bk[1] = bk[0];
			bk[0] = fg_ft_b2(h, t->info.nb);
		}
	}
	for (p.r = 0; p.r < t->info.nreg; p.r++) {
		for (i = 0; i < nbk; i++) {
			const struct fg_ft_bucket *b = bucket(t, p.r, bk[i]);

			p.b = bk[i];
			for (p.s = 0; p.s < FG_FT_SLOTS; p.s++) {
				if (__atomic_load_n(&b->tag[p.s],
						    __ATOMIC_ACQUIRE) != tag)
					continue;
				if (fg_ft_read(&b->slot[p.s], &p.c) ||
				    !fg_ft_key_eq(&p.c.key, u))
					continue;
				err = fn(&p, ctx);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

/* Add one slot's live view to a flow summed over regions (as
 * fg_flow_sum adds CPUs). */
static void val_add(struct fg_flow_val *sum, const struct fg_flow_val *v,
		    bool first)
{
	if (first) {
		*sum = *v;
		return;
	}
	sum->packets += v->packets;
	sum->octets += v->octets;
	if (v->first_ns && (!sum->first_ns || v->first_ns < sum->first_ns))
		sum->first_ns = v->first_ns;
	if (v->last_ns >= sum->last_ns) {
		sum->last_ns = v->last_ns;
		sum->rule_id = v->rule_id; /* the latest */
	}
	sum->tcp_flags |= v->tcp_flags;
	if (v->ttl_min < sum->ttl_min)
		sum->ttl_min = v->ttl_min;
	if (v->ttl_max > sum->ttl_max)
		sum->ttl_max = v->ttl_max;
}

/* The positions of one key that hold a live flow, and their sum. A key
 * is on a few CPUs' regions: the first positions are in the struct, more
 * grow on the heap. */
#define FT_INLPOS 4
struct ft_key {
	struct ft_pos *pos; /* live ones, their copies: inl or the heap */
	size_t n, cap;
	bool any;		/* some position holds the key */
	__u32 r0, b0, s0;	/* the first one */
	struct fg_flow_val sum; /* of the live ones, when n */
	int err;
	struct ft_pos inl[FT_INLPOS];
};

static int collect_one(const struct ft_pos *p, void *ctx)
{
	struct ft_key *k = ctx;
	struct fg_flow_val v;

	if (!k->any) {
		k->any = true;
		k->r0 = p->r, k->b0 = p->b, k->s0 = p->s;
	}
	if (!fg_ft_view(&p->c, &v))
		return 0;
	if (k->n == k->cap) {
		struct ft_pos *heap = k->pos == k->inl ? NULL : k->pos;
		size_t cap = k->pos == k->inl ? 0 : k->cap;

		if (fg_grow(&heap, &cap, k->n, sizeof(*heap), 4 * FT_INLPOS))
			return -ENOMEM;
		if (k->pos == k->inl)
			memcpy(heap, k->inl, sizeof(k->inl));
		k->pos = heap;
		k->cap = cap;
	}
	val_add(&k->sum, &v, !k->n);
	k->pos[k->n++] = *p;
	return 0;
}

static void key_init(struct ft_key *k)
{
	k->pos = k->inl;
	k->cap = FT_INLPOS;
}

static void key_free(struct ft_key *k)
{
	if (k->pos != k->inl)
		free(k->pos);
	key_init(k);
}

/* Every position of key u, of hash h: 0, or -ENOMEM (a key on more
 * regions than there is memory for: nothing of it is read). */
static int collect(const struct fg_ft *t, const union fg_ft_key *u, __u64 h,
		   struct ft_key *k)
{
	k->n = 0;
	k->any = false;
	k->err = key_each(t, u, h, collect_one, k);
	if (k->err)
		k->n = 0;
	return k->err;
}

/* Every live position of key, summed into k->sum: 0, -ENOENT (none), or
 * -ENOMEM. k is the caller's to free. */
static int key_find(const struct fg_ft *t, const struct fg_flow_key *key,
		    struct ft_key *k)
{
	union fg_ft_key u;
	__u64 h;
	int err;

	key_init(k);
	key_of(key, &u);
	h = fg_ft_hash(&u, t->info.seed);
	key_prefetch(t, h);
	err = collect(t, &u, h, k);
	if (!err && !k->n)
		err = -ENOENT;
	return err;
}

int fg_ft_get(const struct fg_ft *t, const struct fg_flow_key *key,
	      struct fg_flow_val *v)
{
	struct ft_key k;
	int err;

	err = key_find(t, key, &k);
	if (!err)
		*v = k.sum;
	key_free(&k);
	return err;
}

/* Acknowledge one position as ended with exactly the counters read there
 * (include/fg_flowtab.h: ack counters, then ack_gen, then the hint). */
static void ack(struct fg_ft *t, const struct ft_pos *p, __u64 now_ns)
{
	struct fg_ft_bucket *b = bucket(t, p->r, p->b);
	struct fg_ft_slot *s = &b->slot[p->s];
	__u8 hint = fg_ft_gen8(p->c.gen) | FG_FT_ENDED;
	bool again = p->c.ack_gen == p->c.gen &&
		     __atomic_load_n(&b->ack8[p->s], __ATOMIC_RELAXED) == hint;

	__atomic_store_n(&s->ack_pkts, p->c.val.packets, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ack_octets, p->c.val.octets, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ack_ns, now_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ack_gen, p->c.gen, __ATOMIC_RELEASE);
	__atomic_store_n(&b->ack8[p->s], hint, __ATOMIC_RELEASE);
	/* once per generation: packets that raced an end make the slot a
	 * flow again, but it was counted out of the region's fill already */
	if (!again) {
		struct fg_ft_bucket *first = bucket(t, p->r, 0);

		__atomic_store_n(
			&first->ended,
			__atomic_load_n(&first->ended, __ATOMIC_RELAXED) + 1,
			__ATOMIC_RELEASE);
	}
}

static void ack_all(struct fg_ft *t, const struct ft_key *k, __u64 now_ns)
{
	__u32 i;

	for (i = 0; i < k->n; i++)
		ack(t, &k->pos[i], now_ns);
}

int fg_ft_end(struct fg_ft *t, const struct fg_flow_key *key, __u64 now_ns,
	      __u64 idle_ns, struct fg_flow_val *v, bool *ended)
{
	struct ft_key k;
	int err;

	*ended = false;
	err = key_find(t, key, &k);
	if (!err) {
		*v = k.sum;
		if (!idle_ns || k.sum.last_ns + idle_ns <= now_ns) {
			ack_all(t, &k, now_ns);
			*ended = true;
		}
	}
	key_free(&k);
	return err;
}

/* The walk: every position in order; a key is taken at its first
 * position, the others skipped. */
typedef int (*key_fn)(struct fg_ft *t, struct ft_key *k, void *ctx);

/* A key alone in the table (no other region holds it: ft_seen; or one
 * region, replay's): it has one slot in a region at most (BPF probes
 * both buckets before it takes a slot), so the slot read is the key's
 * only position and needs no lookup of the others. */
static void one_pos(struct ft_key *k, __u32 r, __u32 b, __u32 s,
		    const struct fg_ft_slot *c)
{
	k->any = true;
	k->r0 = r, k->b0 = b, k->s0 = s;
	k->n = 0;
	if (!fg_ft_view(c, &k->sum))
		return;
	k->pos[0] = (struct ft_pos){r, b, s, *c};
	k->n = 1;
}

/*
 * The tags each region holds, one bitmap a region (a bit a tag, tags
 * sharing a bit alike): set from the header lines before a walk, and for
 * every slot the walk reads, from the tag of the key it read there. A
 * slot whose key's tag no other region's bitmap has is the key's only
 * position: any other was taken after the bitmaps were filled (its
 * region not walked yet: its counts are read next time; walked already:
 * the walk did not see it, as a walk that probed) or after the walk
 * passed its slot (its region's bit is set from the slot read: the
 * later position probes, finds it, and the key is reported once).
 */
#define FT_SEEN_PER_SLOT 8	    /* bits a slot: about 2 % false hits */
#define FT_SEEN_MAX	 (1u << 25) /* bits a region: 4 MB */
#define FT_AHEAD	 4	    /* header lines asked for ahead */

/* A tag sets two bits of one word (bits 1-12 of the tag pick them, the
 * bits above the word): a third of one bit's false hits, one cache line
 * a lookup. */
struct ft_seen {
	__u64 *bits; /* nreg bitmaps of words words; NULL: probe all */
	__u32 words; /* a region's, a power of two, at most 2^19 */
};

static size_t seen_word(const struct ft_seen *f, __u32 r, __u32 tag)
{
	return (size_t)r * f->words + (tag >> 13 & (f->words - 1));
}

static __u64 seen_mask(__u32 tag)
{
	return 1ull << (tag >> 1 & 63) | 1ull << (tag >> 7 & 63);
}

/* The bitmaps are larger than a cache: the words of a bucket's keys are
 * asked for together. */
static void seen_prefetch(const struct ft_seen *f, __u32 nreg, __u32 tag)
{
	__u32 q;

	for (q = 0; q < nreg; q++)
		__builtin_prefetch(&f->bits[seen_word(f, q, tag)]);
}

static void seen_set(struct ft_seen *f, __u32 r, __u32 tag)
{
	f->bits[seen_word(f, r, tag)] |= seen_mask(tag);
}

/* No region but r has tag's bit. */
static bool seen_alone(const struct ft_seen *f, __u32 nreg, __u32 r, __u32 tag)
{
	__u64 m = seen_mask(tag);
	__u32 q;

	for (q = 0; q < nreg; q++)
		if (q != r && (f->bits[seen_word(f, q, tag)] & m) == m)
			return false;
	return true;
}

/* The bitmaps of the regions' tags now; without memory, f->bits is NULL
 * and every slot probes. Region 0's is left to the walk: only later
 * regions look at it, after the walk has read every slot it holds. */
static void seen_fill(const struct fg_ft *t, struct ft_seen *f)
{
	__u64 want = (__u64)t->info.nb * FG_FT_SLOTS * FT_SEEN_PER_SLOT;
	__u32 bits = 64, r, b, s, tag;

	while (bits < want && bits < FT_SEEN_MAX)
		bits <<= 1;
	f->words = bits / 64;
	f->bits = calloc((size_t)t->info.nreg * f->words, sizeof(*f->bits));
	if (!f->bits)
		return;
	for (r = 1; r < t->info.nreg; r++)
		for (b = 0; b < t->info.nb; b++) {
			const struct fg_ft_bucket *bk = bucket(t, r, b);

			if (b + FT_AHEAD < t->info.nb)
				__builtin_prefetch(bucket(t, r, b + FT_AHEAD));
			for (s = 0; s < FG_FT_SLOTS; s++) {
				tag = __atomic_load_n(&bk->tag[s],
						      __ATOMIC_RELAXED);
				if (tag)
					seen_set(f, r, tag);
			}
		}
}

/* A bucket's slots as the walk reads them: their keys, hashed, whether
 * the key is alone in its region (no probe), and the header lines of the
 * others' buckets asked for before any is needed. */
struct walk_bucket {
	struct fg_ft_slot c[FG_FT_SLOTS];
	union fg_ft_key u[FG_FT_SLOTS];
	__u64 h[FG_FT_SLOTS];
	bool taken[FG_FT_SLOTS];
	bool alone[FG_FT_SLOTS];
};

static void walk_read(const struct fg_ft *t, __u32 r,
		      const struct fg_ft_bucket *bk, struct ft_seen *f,
		      struct walk_bucket *w)
{
	__u32 s, tag;

	for (s = 0; s < FG_FT_SLOTS; s++) {
		w->taken[s] = __atomic_load_n(&bk->tag[s], __ATOMIC_ACQUIRE) &&
			      !fg_ft_read(&bk->slot[s], &w->c[s]);
		w->alone[s] = t->info.nreg == 1;
		if (!w->taken[s] || w->alone[s])
			continue;
		/* the tag of the key read, not the header's: the slot may
		 * have been rewritten for another key in between */
		key_of(&w->c[s].key, &w->u[s]);
		w->h[s] = fg_ft_hash(&w->u[s], t->info.seed);
		if (f->bits)
			seen_prefetch(f, t->info.nreg, fg_ft_tag(w->h[s]));
	}
	if (t->info.nreg == 1)
		return;
	for (s = 0; s < FG_FT_SLOTS; s++) {
		if (!w->taken[s] || w->alone[s])
			continue;
		if (f->bits) {
			tag = fg_ft_tag(w->h[s]);
			seen_set(f, r, tag);
			w->alone[s] = seen_alone(f, t->info.nreg, r, tag);
		}
		if (!w->alone[s])
			key_prefetch(t, w->h[s]);
	}
}

/*
 * With many regions, probing every region for every slot costs 2 x nreg
 * header lines a flow (64 CPUs: 128, microseconds a flow). Then the walk
 * reads the table once in order instead, notes each taken slot's hash
 * and position (24 bytes), sorts them by hash, and merges the positions
 * of one hash by key: a slot read twice, whatever the number of regions.
 */
#define FT_SORT_NREG 4

struct ft_ref {
	__u64 h;
	__u32 r, b, s;
	__u32 done;
};

static int ref_cmp(const void *x, const void *y)
{
	const struct ft_ref *a = x, *b = y;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	if (a->r != b->r)
		return a->r < b->r ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return a->s < b->s ? -1 : a->s > b->s;
}

static int refs_gather(const struct fg_ft *t, struct ft_ref **out, size_t *n)
{
	struct ft_ref *refs = NULL;
	struct fg_ft_slot c;
	union fg_ft_key u;
	size_t cap = 0;
	__u32 r, b, s;

	*n = 0;
	for (r = 0; r < t->info.nreg; r++)
		for (b = 0; b < t->info.nb; b++) {
			const struct fg_ft_bucket *bk = bucket(t, r, b);

			for (s = 0; s < FG_FT_SLOTS; s++) {
				if (!__atomic_load_n(&bk->tag[s],
						     __ATOMIC_ACQUIRE) ||
				    fg_ft_read(&bk->slot[s], &c))
					continue;
				if (fg_grow(&refs, &cap, *n, sizeof(*refs),
					    4096)) {
					free(refs);
					return -ENOMEM;
				}
				key_of(&c.key, &u);
				refs[(*n)++] = (struct ft_ref){
					.h = fg_ft_hash(&u, t->info.seed),
					.r = r,
					.b = b,
					.s = s};
			}
		}
	*out = refs;
	return 0;
}

/* Position ref, read now: 0, or -EAGAIN when it no longer holds a key of
 * its hash. */
static int ref_read(const struct fg_ft *t, const struct ft_ref *ref,
		    struct ft_pos *p, union fg_ft_key *u)
{
	p->r = ref->r, p->b = ref->b, p->s = ref->s;
	if (fg_ft_read(&bucket(t, ref->r, ref->b)->slot[ref->s], &p->c))
		return -EAGAIN;
	key_of(&p->c.key, u);
	return fg_ft_hash(u, t->info.seed) == ref->h ? 0 : -EAGAIN;
}

static int walk_sorted(struct fg_ft *t, key_fn fn, void *ctx)
{
	struct ft_ref *refs;
	union fg_ft_key u, v;
	struct ft_pos p;
	struct ft_key *k;
	size_t n, i, j, q;
	int err = refs_gather(t, &refs, &n);

	if (err)
		return err;
	k = malloc(sizeof(*k));
	if (!k) {
		free(refs);
		return -ENOMEM;
	}
	key_init(k);
	if (n)
		qsort(refs, n, sizeof(*refs), ref_cmp);
	for (i = 0; i < n && !err; i = j) {
		for (j = i + 1; j < n && refs[j].h == refs[i].h; j++)
			;
		/* one hash: its keys (nearly always one), each merged over
		 * the positions that hold it */
		for (q = i; q < j && !err; q++) {
			size_t m;

			if (refs[q].done || ref_read(t, &refs[q], &p, &u))
				continue;
			k->n = 0;
			k->any = false;
			for (m = q; m < j && !err; m++) {
				if (refs[m].done)
					continue;
				if (m != q && (ref_read(t, &refs[m], &p, &v) ||
					       !fg_ft_key_eq(&p.c.key, &u)))
					continue;
				refs[m].done = 1;
				err = collect_one(&p, k);
			}
			if (!err && k->n)
				err = fn(t, k, ctx);
		}
	}
	key_free(k);
	free(k);
	free(refs);
	return err;
}

/*
 * Buckets are 17 lines apart, too far for the hardware's prefetcher: the
 * walk asks for the header line FT_AHEAD buckets ahead and, the next
 * bucket's header being there by then, for the two lines of each of its
 * taken slots, so that a bucket's misses are waited for while the one
 * before it is handled.
 */
static void walk_ahead(const struct fg_ft *t, __u32 r, __u32 b)
{
	const struct fg_ft_bucket *n;
	__u32 s;

	if (b + FT_AHEAD < t->info.nb)
		__builtin_prefetch(bucket(t, r, b + FT_AHEAD));
	if (b + 1 >= t->info.nb)
		return;
	n = bucket(t, r, b + 1);
	for (s = 0; s < FG_FT_SLOTS; s++)
		if (__atomic_load_n(&n->tag[s], __ATOMIC_RELAXED)) {
			__builtin_prefetch(&n->slot[s]);
			__builtin_prefetch(&n->slot[s].val);
		}
}

static int walk(struct fg_ft *t, key_fn fn, void *ctx)
{
	const struct fg_ft_info *in = &t->info;
	struct ft_seen seen = {NULL, 0};
	struct walk_bucket *w;
	struct ft_key *k;
	__u32 r, b, s;
	int err = 0;

	if (in->nreg > FT_SORT_NREG)
		return walk_sorted(t, fn, ctx);
	k = malloc(sizeof(*k));
	w = malloc(sizeof(*w));
	if (!k || !w) {
		free(k);
		free(w);
		return -ENOMEM;
	}
	key_init(k);
	if (in->nreg > 1)
		seen_fill(t, &seen);
	for (r = 0; r < in->nreg && !err; r++) {
		for (b = 0; b < in->nb && !err; b++) {
			walk_ahead(t, r, b);
			walk_read(t, r, bucket(t, r, b), &seen, w);
			for (s = 0; s < FG_FT_SLOTS && !err; s++) {
				if (!w->taken[s])
					continue;
				if (w->alone[s])
					one_pos(k, r, b, s, &w->c[s]);
				else
					err = collect(t, &w->u[s], w->h[s], k);
				if (err || !k->any || k->r0 != r ||
				    k->b0 != b || k->s0 != s || !k->n)
					continue;
				err = fn(t, k, ctx);
			}
		}
	}
	free(seen.bits);
	key_free(k);
	free(k);
	free(w);
	return err;
}

struct walk_ctx {
	fg_ft_fn fn, done;
	void *ctx;
	__u64 now_ns;
	int ended;
};

static int walk_one(struct fg_ft *t, struct ft_key *k, void *ctx)
{
	struct walk_ctx *w = ctx;

	return w->fn(&k->pos[0].c.key, &k->sum, w->ctx);
}

int fg_ft_walk(const struct fg_ft *t, fg_ft_fn fn, void *ctx)
{
	struct walk_ctx w = {.fn = fn, .ctx = ctx};

	/* walk() writes nothing through t: walk_one only reads */
	return walk((struct fg_ft *)t, walk_one, &w);
}

static int end_one(struct fg_ft *t, struct ft_key *k, void *ctx)
{
	struct walk_ctx *w = ctx;
	const struct fg_flow_key *key = &k->pos[0].c.key;
	int ret = w->fn(key, &k->sum, w->ctx);

	if (ret != 1)
		return ret;
	ack_all(t, k, w->now_ns);
	w->ended++;
	return w->done ? w->done(key, &k->sum, w->ctx) : 0;
}

int fg_ft_end_each(struct fg_ft *t, __u64 now_ns, fg_ft_fn select,
		   fg_ft_fn done, void *ctx)
{
	struct walk_ctx w = {
		.fn = select, .done = done, .ctx = ctx, .now_ns = now_ns};
	int err = walk(t, end_one, &w);

	return err < 0 ? err : w.ended;
}

/* Slot s of bucket b holds a flow: taken, and not acked as ended with
 * nothing counted since (the slot's line read only where the hint says
 * it may be so). */
static bool slot_live(const struct fg_ft_bucket *b, __u32 s)
{
	struct fg_ft_slot c;
	__u8 hint;

	if (!__atomic_load_n(&b->tag[s], __ATOMIC_RELAXED))
		return false;
	hint = __atomic_load_n(&b->ack8[s], __ATOMIC_RELAXED);
	if (hint !=
	    ((__atomic_load_n(&b->gen8[s], __ATOMIC_RELAXED) & FG_FT_GEN8) |
	     FG_FT_ENDED))
		return true;
	if (fg_ft_read(&b->slot[s], &c))
		return true; /* being rewritten: taken again */
	return !fg_ft_dead(&c);
}

int fg_ft_fill(const struct fg_ft *t, struct fg_ft_fill *f)
{
	const struct fg_ft_info *in = &t->info;
	__u32 r, b, s;
	__u64 n;

	memset(f, 0, sizeof(*f));
	f->nreg = in->nreg;
	f->reg_slots = (__u64)in->nb * FG_FT_SLOTS;
	f->slots = f->reg_slots * in->nreg;
	for (r = 0; r < in->nreg; r++) {
		n = 0;
		for (b = 0; b < in->nb; b++) {
			const struct fg_ft_bucket *bk = bucket(t, r, b);

			for (s = 0; s < FG_FT_SLOTS; s++)
				n += slot_live(bk, s);
		}
		f->live += n;
		if (n > f->reg_max)
			f->reg_max = n;
	}
	return 0;
}

void fg_ft_spill_rebuild(struct fg_ft *t)
{
	__u32 nb = t->info.nb, r, b, s, i1;
	struct fg_ft_bucket *k;
	union fg_ft_key u;

	for (r = 0; r < t->info.nreg; r++) {
		for (b = 1; b < nb; b++)
			memset(bucket(t, r, b)->spill, 0,
			       sizeof(bucket(t, r, b)->spill));
		for (b = 0; b < nb; b++) {
			k = bucket(t, r, b);
			for (s = 0; s < FG_FT_SLOTS; s++) {
				k->slot[s].home = 0;
				if (!k->tag[s])
					continue;
				key_of(&k->slot[s].key, &u);
				i1 = fg_ft_b1(fg_ft_hash(&u, t->info.seed), nb);
				/* in bucket b, not its first: its second */
				if (i1 == b || !i1)
					continue;
				k->slot[s].home = i1;
				fg_ft_spill_add(bucket(t, r, i1), k->tag[s], 1);
			}
		}
	}
}

int fg_ft_info_new(struct fg_ft_info *info, __u32 max_flows)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 seed;

	if (ncpu < 0)
		return ncpu;
	if (!max_flows)
		return -EINVAL;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return -errno;
	memset(info, 0, sizeof(*info));
	info->version = FG_FT_VERSION;
	info->nreg = ncpu;
	info->nb = fg_ft_nb(max_flows, ncpu);
	info->max_flows = max_flows;
	info->seed = seed;
	return 0;
}
