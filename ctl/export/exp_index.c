// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's index of flows: a hash of (hash, id) slots over entries
 * in stable chunks, a timing wheel of the entries by due time, and the
 * list of entries whose shadow changed (what the mirror writes).
 * ctl/export/exp_index.h has the layout and why.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "exp_index.h"

/*
 * The key's 52 bytes as six 64-bit words and one 32-bit word, each mixed
 * in with a multiply: a handful of cycles, where a byte-wise hash would be
 * 52 dependent multiplies on a path every flow of every sweep takes.
 */
__u64 fx_hash(const struct fg_flow_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	__u64 h = 0x9e3779b97f4a7c15ull, w;
	__u32 t;
	int i;

	_Static_assert(sizeof(*k) == 6 * 8 + 4, "fx_hash reads 52 bytes");
	for (i = 0; i < 6; i++) {
		memcpy(&w, p + i * 8, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	memcpy(&t, p + 48, 4);
	h = (h ^ t) * 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

static int slots_alloc(struct fx_index *ix, __u32 nslots)
{
	struct fx_slot *s = calloc(nslots, sizeof(*s));

	if (!s)
		return -ENOMEM;
	free(ix->slot);
	ix->slot = s;
	ix->mask = nslots - 1;
	return 0;
}

int fx_init(struct fx_index *ix, __u32 want, __u64 tick_ns)
{
	__u32 n = 64;

	memset(ix, 0, sizeof(*ix));
	while (n < want * 2ull && n < (1u << 31))
		n <<= 1;
	ix->tick_ns = tick_ns ? tick_ns : 1;
	ix->top = 1; /* id 0 means "none" */
	ix->wheel = calloc(FX_WHEEL, sizeof(*ix->wheel));
	ix->wmin = malloc(FX_WHEEL * sizeof(*ix->wmin));
	if (!ix->wheel || !ix->wmin || slots_alloc(ix, n)) {
		fx_free(ix);
		return -ENOMEM;
	}
	memset(ix->wmin, 0xff, FX_WHEEL * sizeof(*ix->wmin));
	return 0;
}

void fx_free(struct fx_index *ix)
{
	__u32 i;

	for (i = 0; i < ix->nchunk; i++)
		free(ix->chunk[i]);
	free(ix->chunk);
	free(ix->slot);
	free(ix->wheel);
	free(ix->wmin);
	free(ix->dirty);
	memset(ix, 0, sizeof(*ix));
}

/* The slot holding id, or the empty slot where k would go. */
static __u32 probe(const struct fx_index *ix, const struct fg_flow_key *k,
		   __u32 h)
{
	__u32 i;

	for (i = h & ix->mask; ix->slot[i].id; i = (i + 1) & ix->mask)
		if (ix->slot[i].hash == h &&
		    !memcmp(&fx_ent(ix, ix->slot[i].id)->key, k, sizeof(*k)))
			break;
	return i;
}

struct fx_ent *fx_find(const struct fx_index *ix, const struct fg_flow_key *k)
{
	__u32 i = probe(ix, k, (__u32)fx_hash(k));

	return ix->slot[i].id ? fx_ent(ix, ix->slot[i].id) : NULL;
}

/* Twice the slots, filled again from the stored hashes. */
static int grow_slots(struct fx_index *ix)
{
	struct fx_slot *old = ix->slot;
	__u32 n = ix->mask + 1, i, j;

	ix->slot = NULL;
	if (slots_alloc(ix, n * 2)) {
		ix->slot = old;
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (!old[i].id)
			continue;
		for (j = old[i].hash & ix->mask; ix->slot[j].id;
		     j = (j + 1) & ix->mask)
			;
		ix->slot[j] = old[i];
	}
	free(old);
	return 0;
}

/* The chunk of id top exists: 0 or -ENOMEM. */
static int top_chunk(struct fx_index *ix)
{
	struct fx_ent **c;

	if (ix->top >> FX_CHUNK_SHIFT < ix->nchunk)
		return 0;
	c = realloc(ix->chunk, (ix->nchunk + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	ix->chunk = c;
	c[ix->nchunk] = malloc(FX_CHUNK * sizeof(**c));
	if (!c[ix->nchunk])
		return -ENOMEM;
	ix->nchunk++;
	return 0;
}

static __u32 new_id(struct fx_index *ix)
{
	__u32 id = ix->free;

	if (id) {
		ix->free = fx_ent(ix, id)->next;
		return id;
	}
	if (top_chunk(ix))
		return 0;
	return ix->top++;
}

/* Put k in slot i (empty), with entry id (0: a new one). */
static struct fx_ent *insert(struct fx_index *ix, const struct fg_flow_key *k,
			     __u32 h, __u32 i, __u32 id)
{
	struct fx_ent *e;

	if (!id)
		id = new_id(ix);
	if (!id)
		return NULL;
	ix->slot[i] = (struct fx_slot){h, id};
	ix->used++;
	e = fx_ent(ix, id);
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->id = id;
	e->used = 1;
	return e;
}

/* At most half full: probes stay short. */
static int make_room(struct fx_index *ix)
{
	if ((ix->used + 1) * 2ull > ix->mask + 1ull)
		return grow_slots(ix);
	return 0;
}

struct fx_ent *fx_add(struct fx_index *ix, const struct fg_flow_key *k)
{
	__u32 h = (__u32)fx_hash(k);

	if (make_room(ix))
		return NULL;
	return insert(ix, k, h, probe(ix, k, h), 0);
}

struct fx_ent *fx_get(struct fx_index *ix, const struct fg_flow_key *k)
{
	return fx_get_h(ix, k, (__u32)fx_hash(k));
}

void fx_prefetch(const struct fx_index *ix, __u32 h)
{
	__builtin_prefetch(&ix->slot[h & ix->mask]);
}

struct fx_ent *fx_get_h(struct fx_index *ix, const struct fg_flow_key *k,
			__u32 h)
{
	__u32 i;

	if (make_room(ix))
		return fx_find(ix, k); /* no room for a new one */
	i = probe(ix, k, h);
	if (ix->slot[i].id)
		return fx_ent(ix, ix->slot[i].id);
	return insert(ix, k, h, i, 0);
}

static void put_id(struct fx_index *ix, struct fx_ent *e)
{
	e->flags = 0;
	e->next = ix->free;
	ix->free = e->id;
}

struct fx_ent *fx_add_at(struct fx_index *ix, const struct fg_flow_key *k,
			 __u32 id)
{
	__u32 h = (__u32)fx_hash(k), i;
	struct fx_ent *e;

	if (!id || id < ix->top || make_room(ix))
		return NULL;
	i = probe(ix, k, h);
	if (ix->slot[i].id)
		return NULL; /* k is in already */
	/* The ids skipped are free; id itself is the new top. */
	for (; ix->top <= id; ix->top++) {
		if (top_chunk(ix))
			return NULL;
		if (ix->top == id)
			continue;
		e = fx_ent(ix, ix->top);
		e->id = ix->top;
		e->used = 0;
		put_id(ix, e);
	}
	return insert(ix, k, h, i, id);
}

/* i is cyclically in (lo, hi]. */
static bool between(__u32 lo, __u32 i, __u32 hi)
{
	return lo <= hi ? lo < i && i <= hi : lo < i || i <= hi;
}

/* Empty slot i, moving back the entries of the run after it that may
 * live there (their home is not in (i, j]): no tombstone is left. */
static void shift_back(struct fx_index *ix, __u32 i)
{
	__u32 j = i;

	for (;;) {
		ix->slot[i].id = 0;
		do {
			j = (j + 1) & ix->mask;
			if (!ix->slot[j].id)
				return;
		} while (between(i, ix->slot[j].hash & ix->mask, j));
		ix->slot[i] = ix->slot[j];
		i = j;
	}
}

void fx_del(struct fx_index *ix, struct fx_ent *e)
{
	__u32 i;

	if (!e->used)
		return;
	/* Its slot is in the run from its home: found by id, without
	 * reading the other entries' keys. */
	for (i = (__u32)fx_hash(&e->key) & ix->mask; ix->slot[i].id != e->id;
	     i = (i + 1) & ix->mask)
		;
	fx_unlink(ix, e);
	shift_back(ix, i);
	ix->used--;
	e->used = 0;
	/* An entry on the dirty list stays there (the list's reader skips
	 * it): its id is reused only after the list is read. */
	if (e->flags & FX_DIRTY) {
		e->flags = FX_DIRTY;
		return;
	}
	put_id(ix, e);
}

void fx_each(struct fx_index *ix, void (*fn)(struct fx_ent *e, void *ctx),
	     void *ctx)
{
	__u32 id;

	for (id = 1; id < ix->top; id++)
		if (fx_ent(ix, id)->used)
			fn(fx_ent(ix, id), ctx);
}

void fx_unlink(struct fx_index *ix, struct fx_ent *e)
{
	if (!(e->flags & FX_LINKED))
		return;
	if (e->prev)
		fx_ent(ix, e->prev)->next = e->next;
	else
		ix->wheel[e->bucket] = e->next;
	if (e->next)
		fx_ent(ix, e->next)->prev = e->prev;
	e->next = e->prev = 0;
	e->flags &= ~FX_LINKED;
}

void fx_schedule(struct fx_index *ix, struct fx_ent *e, __u64 due_ns)
{
	__u64 tick = due_ns / ix->tick_ns;
	__u32 *head;

	fx_unlink(ix, e);
	/* Walked past already: the next walk starts at the cursor. */
	if (tick < ix->cursor)
		tick = ix->cursor;
	e->bucket = tick & (FX_WHEEL - 1);
	head = &ix->wheel[e->bucket];
	if (!*head || due_ns < ix->wmin[e->bucket])
		ix->wmin[e->bucket] = due_ns;
	e->due_ns = due_ns;
	e->prev = 0;
	e->next = *head;
	if (*head)
		fx_ent(ix, *head)->prev = e->id;
	*head = e->id;
	e->flags |= FX_LINKED;
}

long fx_take_due(struct fx_index *ix, __u64 now_ns, __u32 **ids, size_t *cap)
{
	__u64 now_tick = now_ns / ix->tick_ns, t, last;
	size_t n = 0;
	__u32 id, next;

	if (now_tick < ix->cursor)
		now_tick = ix->cursor;
	/* Past a whole lap: every bucket once. */
	last = now_tick - ix->cursor >= FX_WHEEL ? ix->cursor + FX_WHEEL - 1
						 : now_tick;
	for (t = ix->cursor; t <= last; t++) {
		__u32 b = t & (FX_WHEEL - 1);
		__u64 min = ~0ull;

		/* Nothing due in it yet (the current tick's bucket, mostly):
		 * not walked. */
		if (ix->wmin[b] > now_ns)
			continue;
		for (id = ix->wheel[b]; id; id = next) {
			struct fx_ent *e = fx_ent(ix, id);

			next = e->next;
			if (e->due_ns > now_ns) {
				if (e->due_ns < min)
					min = e->due_ns;
				continue;
			}
			if (fg_grow(ids, cap, n, sizeof(**ids), 1024))
				return -ENOMEM;
			fx_unlink(ix, e);
			(*ids)[n++] = id;
		}
		ix->wmin[b] = min; /* exact again: what is left in it */
	}
	/* The current tick's bucket may hold entries due later in it: it
	 * is walked again next time. */
	ix->cursor = now_tick;
	return n;
}

void fx_mark_dirty(struct fx_index *ix, struct fx_ent *e)
{
	__u32 *p;

	if (e->flags & FX_DIRTY)
		return;
	e->flags |= FX_DIRTY;
	if (ix->ndirty == ix->capdirty) {
		p = realloc(ix->dirty,
			    (ix->capdirty ? ix->capdirty * 2 : 1024) *
				    sizeof(*p));
		if (!p) {
			ix->dirty_all = true; /* found by its mark instead */
			return;
		}
		ix->dirty = p;
		ix->capdirty = ix->capdirty ? ix->capdirty * 2 : 1024;
	}
	ix->dirty[ix->ndirty++] = e->id;
}

static void dirty_one(struct fx_index *ix, struct fx_ent *e,
		      void (*fn)(struct fx_ent *e, void *ctx), void *ctx)
{
	if (!(e->flags & FX_DIRTY))
		return;
	e->flags &= ~FX_DIRTY;
	if (!e->used)
		put_id(ix, e); /* deleted while on the list */
	else if (fn)
		fn(e, ctx);
}

void fx_each_dirty(struct fx_index *ix, void (*fn)(struct fx_ent *e, void *ctx),
		   void *ctx)
{
	__u32 i;

	if (ix->dirty_all) {
		for (i = 1; i < ix->top; i++)
			dirty_one(ix, fx_ent(ix, i), fn, ctx);
	} else {
		for (i = 0; i < ix->ndirty; i++)
			dirty_one(ix, fx_ent(ix, ix->dirty[i]), fn, ctx);
	}
	ix->ndirty = 0;
	ix->dirty_all = false;
}
