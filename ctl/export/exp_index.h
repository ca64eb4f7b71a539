/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's index of flows (exp_index.c): every flow it has read
 * from the table, with its export shadow once it has exported it, and a
 * timing wheel by the earliest time the flow can be due (idle or active
 * timeout). A sweep then looks up the few flows that can be due instead of
 * reading the whole table (export.c says when that is exact).
 *
 * Entries have stable ids (1..): they live in chunks that never move, so
 * the wheel's and the dirty list's links survive the hash table's growth.
 * The hash table itself holds only (32-bit hash, id) pairs: open
 * addressing, linear probing, deletion by backward shift (no tombstones).
 */
#ifndef FG_EXP_INDEX_H
#define FG_EXP_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "fg_common.h"
#include "export.h"

/* The export shadow (struct fg_exp_shadow) is in export.h: `flow flush`
 * reads its pinned mirror too. */

enum {
	FX_SHADOW = 1,	/* v holds what was exported of this flow */
	FX_DIRTY = 2,	/* v changed since the last mirror: on the dirty list */
	FX_LINKED = 4,	/* on the wheel */
	FX_IDLE = 8,	/* due_ns is its idle timeout (it ends then, if idle) */
	FX_ROW = 16,	/* row id of the pinned mirror holds this key */
	FX_MISSED = 32, /* the last read of the whole table did not see it */
};

struct fx_ent {
	struct fg_flow_key key;
	__u32 gen;	  /* the sweep that last saw its flow in the table */
	__u64 due_ns;	  /* the flow cannot be due before this */
	__u32 next, prev; /* wheel links (ids; 0: none); next: free list */
	__u32 id;
	__u16 bucket; /* its wheel bucket, while FX_LINKED */
	__u8 flags;
	__u8 used;
	struct fg_exp_shadow v;
	__u32 walk_next; /* the entry after it in the last whole read */
};

struct fx_slot {
	__u32 hash; /* low 32 bits of the key's hash: home slot and tag */
	__u32 id;   /* 0: empty */
};

struct fx_index {
	struct fx_slot *slot;
	__u32 mask;	       /* slots - 1, a power of two minus one */
	__u32 used;	       /* live entries */
	struct fx_ent **chunk; /* FX_CHUNK entries each; id 0 is never used */
	__u32 nchunk, top;     /* ids handed out so far: 1..top-1 */
	__u32 free;	       /* free list of ids, through next */
	__u32 *wheel;	       /* FX_WHEEL list heads, by due tick */
	__u64 *wmin; /* per bucket, at most the earliest due_ns in it */
	__u64 tick_ns, cursor; /* the wheel's tick and the last one walked */
	__u32 *dirty;	       /* ids with FX_DIRTY */
	__u32 ndirty, capdirty;
	bool dirty_all; /* the list could not grow: look at every entry */
};

#define FX_CHUNK_SHIFT 12
#define FX_CHUNK       (1u << FX_CHUNK_SHIFT)
#define FX_WHEEL       4096 /* ticks: a flow due later is revisited once a lap */

int fx_init(struct fx_index *ix, __u32 want, __u64 tick_ns);
void fx_free(struct fx_index *ix);

static inline struct fx_ent *fx_ent(const struct fx_index *ix, __u32 id)
{
	return &ix->chunk[id >> FX_CHUNK_SHIFT][id & (FX_CHUNK - 1)];
}

__u64 fx_hash(const struct fg_flow_key *k);
struct fx_ent *fx_find(const struct fx_index *ix, const struct fg_flow_key *k);
/* A new entry (zeroed but for the key), or NULL: out of memory. The key
 * must not be in the index. */
struct fx_ent *fx_add(struct fx_index *ix, const struct fg_flow_key *k);
/* A new entry with the given id, for an index rebuilt from a saved one
 * (ids in ascending order, before any other add): NULL when the id is
 * taken or lower than one handed out, k is in already, or out of memory. */
struct fx_ent *fx_add_at(struct fx_index *ix, const struct fg_flow_key *k,
			 __u32 id);
/* k's entry, found or added (one probe for both); NULL: out of memory. */
struct fx_ent *fx_get(struct fx_index *ix, const struct fg_flow_key *k);
/* The same, k's hash (the low 32 bits of fx_hash) given; fx_prefetch
 * asks for its home slot ahead of it (a cache miss in a large index). */
struct fx_ent *fx_get_h(struct fx_index *ix, const struct fg_flow_key *k,
			__u32 h);
void fx_prefetch(const struct fx_index *ix, __u32 h);
void fx_del(struct fx_index *ix, struct fx_ent *e);
/* fn on every entry (it may delete the one it is given). */
void fx_each(struct fx_index *ix, void (*fn)(struct fx_ent *e, void *ctx),
	     void *ctx);

/* Put e on the wheel at due_ns (a due time already walked past: at the
 * next walk). */
void fx_schedule(struct fx_index *ix, struct fx_ent *e, __u64 due_ns);
void fx_unlink(struct fx_index *ix, struct fx_ent *e);
/*
 * Take off the wheel every entry due at or before now_ns, appending their
 * ids to *ids (grown as needed, *cap its size). Returns how many, or
 * -ENOMEM (the entries not taken stay on the wheel).
 */
long fx_take_due(struct fx_index *ix, __u64 now_ns, __u32 **ids, size_t *cap);

/* Mark e's shadow changed: on the dirty list until fx_each_dirty. */
void fx_mark_dirty(struct fx_index *ix, struct fx_ent *e);
/* fn (if not NULL) on every live entry marked dirty, then the marks are
 * cleared. */
void fx_each_dirty(struct fx_index *ix, void (*fn)(struct fx_ent *e, void *ctx),
		   void *ctx);

#endif /* FG_EXP_INDEX_H */
