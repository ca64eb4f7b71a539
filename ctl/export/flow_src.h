/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the exporter reads flows: a flow table it can read whole, look up
 * by key and end flows in. The exporter knows nothing else of it. The
 * flow table (fg_flowtab, pinned or replay's) is one source
 * (flow_src_tab.c, here); another program may bring its own.
 */
#ifndef FG_FLOW_SRC_H
#define FG_FLOW_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "fg_common.h"

enum fg_fetch_op {
	FG_FETCH_LOOKUP = 1, /* read the flow's value */
	FG_FETCH_DELETE =
		2, /* read it and end the flow: exactly what it read */
	/* read it, and end it if it is idle: last_ns + idle_ns <= now_ns */
	FG_FETCH_IDLE = 3,
};

/* One lookup of a fetch, and what it found. */
struct fg_flow_req {
	const struct fg_flow_key *key;
	__u32 op; /* enum fg_fetch_op */
};

struct fg_flow_got {
	int err;    /* 0, -ENOENT (not in the table), or another -errno */
	bool ended; /* the fetch ended it, acknowledging cur */
	struct fg_flow_val cur; /* its value, summed over the CPUs */
};

typedef void (*fg_flow_fn)(const struct fg_flow_key *k,
			   const struct fg_flow_val *sum, void *ctx);

struct fg_flow_src;

struct fg_flow_src_ops {
	/* Read the whole table: fn for every flow, its CPUs summed. */
	int (*walk)(struct fg_flow_src *s, fg_flow_fn fn, void *ctx);
	/* Do q[0..n) into g[0..n), n <= s->fetch_max; now_ns and idle_ns
	 * are FG_FETCH_IDLE's test. */
	void (*fetch)(struct fg_flow_src *s, const struct fg_flow_req *q,
		      struct fg_flow_got *g, size_t n, __u64 now_ns,
		      __u64 idle_ns);
	void (*free)(struct fg_flow_src *s);
};

struct fg_flow_src {
	const struct fg_flow_src_ops *ops;
	size_t fetch_max; /* lookups one fetch does, at least 1 */
	/* Nothing else writes the table while a sweep runs: a flow likely
	 * idle is fetched with FG_FETCH_IDLE, read and ended in one step,
	 * instead of a lookup now and an end after the sweep. */
	bool exclusive;
};

struct fg_ft;

/* The flow table t (ctl/lib/flowtab.h), mapped: t stays the caller's and
 * must outlive the source. exclusive: see struct fg_flow_src. */
int fg_flow_src_tab_new(struct fg_flow_src **s, struct fg_ft *t,
			bool exclusive);

static inline void fg_flow_src_free(struct fg_flow_src *s)
{
	if (s)
		s->ops->free(s);
}

#endif /* FG_FLOW_SRC_H */
