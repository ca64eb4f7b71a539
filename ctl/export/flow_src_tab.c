// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's flow source over the flow table (fg_flowtab), read
 * through its mapping (ctl/lib/flowtab.h): no syscall to read, look up or
 * end a flow. The pinned table of the running data path and replay's
 * private one are read alike; only replay's is exclusive.
 */
#include <errno.h>
#include <stdlib.h>
#include "fg.h"
#include "flowtab.h"
#include "flow_src.h"

/* Lookups a fetch takes: any number costs the same per flow. */
#define TAB_FETCH_MAX 256

struct tab_src {
	struct fg_flow_src src;
	struct fg_ft *t;
};

struct walk_ctx {
	fg_flow_fn fn;
	void *ctx;
};

static int walk_one(const struct fg_flow_key *k, const struct fg_flow_val *v,
		    void *c)
{
	struct walk_ctx *w = c;

	w->fn(k, v, w->ctx);
	return 0;
}

static int tab_walk(struct fg_flow_src *s, fg_flow_fn fn, void *ctx)
{
	struct tab_src *m = (struct tab_src *)s;
	struct walk_ctx w = {fn, ctx};

	return fg_ft_walk(m->t, walk_one, &w);
}

/*
 * A flow ends by an acknowledgement of exactly what is read now: a packet
 * that comes after it keeps the slot, and the next read shows it as a
 * new flow (what a delete and the packet's insert gave). FG_FETCH_IDLE
 * ends the flow only if it is idle, and leaves it as it was otherwise.
 */
static void tab_fetch(struct fg_flow_src *s, const struct fg_flow_req *q,
		      struct fg_flow_got *g, size_t n, __u64 now_ns,
		      __u64 idle_ns)
{
	struct tab_src *m = (struct tab_src *)s;
	bool ended;
	size_t i;

	for (i = 0; i < n; i++) {
		ended = false;
		if (q[i].op == FG_FETCH_LOOKUP)
			g[i].err = fg_ft_get(m->t, q[i].key, &g[i].cur);
		else
			g[i].err = fg_ft_end(m->t, q[i].key, now_ns,
					     q[i].op == FG_FETCH_IDLE ? idle_ns
								      : 0,
					     &g[i].cur, &ended);
		g[i].ended = !g[i].err && ended;
	}
}

static void tab_free(struct fg_flow_src *s)
{
	free(s);
}

static const struct fg_flow_src_ops tab_ops = {
	.walk = tab_walk,
	.fetch = tab_fetch,
	.free = tab_free,
};

int fg_flow_src_tab_new(struct fg_flow_src **out, struct fg_ft *t,
			bool exclusive)
{
	struct tab_src *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->t = t;
	m->src = (struct fg_flow_src){&tab_ops, TAB_FETCH_MAX, exclusive};
	*out = &m->src;
	return 0;
}
