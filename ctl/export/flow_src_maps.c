// SPDX-License-Identifier: GPL-2.0
/* The exporter's flow source over a flow table's fd: batch reads of the
 * whole table, one syscall a lookup or delete. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "flow_src.h"

struct maps_src {
	struct fg_flow_src src;
	int fd;
	bool percpu;
	int ncpu;   /* values a flow has: possible CPUs, or 1 */
	void *vals; /* one flow's value(s), as the last fetch read them */
};

struct walk_ctx {
	fg_flow_fn fn;
	void *ctx;
};

static void walk_one(const void *key, const void *vals, int ncpu, void *c)
{
	struct walk_ctx *w = c;
	struct fg_flow_val sum;

	fg_flow_sum(vals, ncpu, &sum);
	w->fn(key, &sum, w->ctx);
}

static int maps_walk(struct fg_flow_src *s, fg_flow_fn fn, void *ctx)
{
	struct maps_src *m = (struct maps_src *)s;
	struct walk_ctx w = {fn, ctx};

	return fg_map_walk(m->fd, sizeof(struct fg_flow_key),
			   sizeof(struct fg_flow_val), m->percpu, walk_one, &w);
}

/* One request at a time (fetch_max is 1): a delete of a flow asked only
 * if idle deletes it anyway, and the exporter puts it back if it was not. */
static void maps_fetch(struct fg_flow_src *s, const struct fg_flow_req *q,
		       struct fg_flow_got *g, size_t n, __u64 now_ns,
		       __u64 idle_ns)
{
	struct maps_src *m = (struct maps_src *)s;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = q[i].op != FG_FETCH_LOOKUP
			      ? bpf_map_lookup_and_delete_elem(m->fd, q[i].key,
							       m->vals)
			      : bpf_map_lookup_elem(m->fd, q[i].key, m->vals);
		g[i].err = err ? -errno : 0;
		g[i].deleted = !err && q[i].op != FG_FETCH_LOOKUP;
		g[i].raw = m->vals;
		if (!err)
			fg_flow_sum(m->vals, m->ncpu, &g[i].cur);
	}
}

static int maps_put_back(struct fg_flow_src *s, const struct fg_flow_key *k,
			 const struct fg_flow_got *g)
{
	struct maps_src *m = (struct maps_src *)s;

	return bpf_map_update_elem(m->fd, k, g->raw, BPF_NOEXIST) ? -errno : 0;
}

static void maps_free(struct fg_flow_src *s)
{
	struct maps_src *m = (struct maps_src *)s;

	free(m->vals);
	free(m);
}

static const struct fg_flow_src_ops maps_ops = {
	.walk = maps_walk,
	.fetch = maps_fetch,
	.put_back = maps_put_back,
	.free = maps_free,
};

int fg_flow_src_maps_new(struct fg_flow_src **out, int fd)
{
	struct maps_src *m = calloc(1, sizeof(*m));
	int err = fg_map_percpu(fd);

	if (!m)
		return -ENOMEM;
	m->percpu = err > 0;
	m->ncpu = m->percpu ? libbpf_num_possible_cpus() : 1;
	if (err >= 0 && m->ncpu < 0)
		err = m->ncpu;
	if (err >= 0)
		m->vals = calloc(m->ncpu,
				 (sizeof(struct fg_flow_val) + 7) / 8 * 8);
	if (err >= 0 && !m->vals)
		err = -ENOMEM;
	if (err < 0) {
		free(m);
		return err;
	}
	m->fd = fd;
	m->src = (struct fg_flow_src){&maps_ops, 1, false};
	*out = &m->src;
	return 0;
}
