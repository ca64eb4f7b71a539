/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table (fg_flowtab, include/fg_flowtab.h) as every reader in
 * user space sees it: mapped, never read by syscall. Flows by key, summed
 * over the CPUs' regions; a flow ends by an acknowledgement, never a
 * delete. The pinned table (flow dump/top/flush, stats, metrics, the
 * exporter) and replay's private one are read the same way.
 *
 * The pinned table is opened through the pinned state (fg_ft_open_pinned,
 * state.c), which is what knows the pin directory.
 *
 * Writers of acknowledgements (fg_ft_end) must be serialized: the
 * exporter and flow flush hold the pin directory's lock; replay owns its
 * table.
 */
#ifndef FG_FLOWTAB_LIB_H
#define FG_FLOWTAB_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "fg_common.h"
#include "fg_flowtab.h"

struct fg_ft {
	struct fg_ft_bucket *b; /* the mapping: nreg * nb buckets */
	size_t len;		/* its length in bytes */
	struct fg_ft_info info; /* nreg, nb, seed */
	int fd;			/* the map; -1 when not ours to keep */
	bool mapped;		/* b is our mapping (fg_ft_close unmaps) */
};

/* Map the table behind fd, whose geometry and seed are info's. fd stays
 * the caller's. 0 or -errno (-EINVAL: the map is not such a table). */
int fg_ft_open_fd(struct fg_ft *t, int fd, const struct fg_ft_info *info);
/* A table in memory the caller owns (len bytes at mem, at least the
 * table's): host tests, and anything that builds a table itself. */
int fg_ft_open_mem(struct fg_ft *t, void *mem, size_t len,
		   const struct fg_ft_info *info);
void fg_ft_close(struct fg_ft *t);

/* A consistent copy of slot s (the seqlock of include/fg_flowtab.h: gen
 * even and the same before and after): 0, or -EAGAIN when BPF kept
 * rewriting it (bounded retries). */
int fg_ft_read(const struct fg_ft_slot *s, struct fg_ft_slot *out);

typedef int (*fg_ft_fn)(const struct fg_flow_key *k,
			const struct fg_flow_val *v, void *ctx);

/* Every live flow once, its regions summed (fg_flow_key order is not
 * promised: callers sort). fn returning non-zero stops the walk with
 * that value. */
int fg_ft_walk(const struct fg_ft *t, fg_ft_fn fn, void *ctx);

/* The live flow of key k, its regions summed: 0, or -ENOENT. */
int fg_ft_get(const struct fg_ft *t, const struct fg_flow_key *k,
	      struct fg_flow_val *v);

/* End the flow of key k: acknowledge, in every region that holds it,
 * exactly the counters read now (summed into *v), at now_ns. With
 * idle_ns, only when it is idle (last_ns + idle_ns <= now_ns): else
 * *ended is false and *v is still its value. 0, or -ENOENT. */
int fg_ft_end(struct fg_ft *t, const struct fg_flow_key *k, __u64 now_ns,
	      __u64 idle_ns, struct fg_flow_val *v, bool *ended);

/* End every flow fn selects (flow flush): fn sees each flow as
 * fg_ft_walk does, and returns 1 to end it; done(k, v, ctx) then gets
 * what was acknowledged. Returns the flows ended or -errno. */
int fg_ft_end_each(struct fg_ft *t, __u64 now_ns, fg_ft_fn select,
		   fg_ft_fn done, void *ctx);

struct fg_ft_fill {
	__u64 live;	 /* slots holding a flow, all regions */
	__u64 slots;	 /* nreg * nb * FG_FT_SLOTS */
	__u64 reg_max;	 /* live slots of the fullest region */
	__u64 reg_slots; /* slots a region */
	__u32 nreg;
};

/* The table's fill, from the header lines (a slot line only where an end
 * hint is set): about a millisecond per million slots. */
int fg_ft_fill(const struct fg_ft *t, struct fg_ft_fill *f);

/* The geometry attach gives a new table of max_flows flows on this
 * machine (regions: the possible CPUs), and a random seed. */
int fg_ft_info_new(struct fg_ft_info *info, __u32 max_flows);

/* The spill counters and homes (include/fg_flowtab.h) the table's keys
 * imply, written over what it holds: what BPF keeps, so that
 * tests/bpf/test_ft_host.c can compare. Only while no program writes the
 * table. */
void fg_ft_spill_rebuild(struct fg_ft *t);

#endif /* FG_FLOWTAB_LIB_H */
