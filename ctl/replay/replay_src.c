// SPDX-License-Identifier: GPL-2.0
/*
 * Replay's flow table as its exporter reads it (the exporter's flow source,
 * ctl/export/flow_src.h). The table is replay's own and nothing writes it
 * while a sweep runs (the sweeps run between test runs): the source is
 * exclusive. Lookups and deletes go in lists through fg_take, one
 * BPF_PROG_TEST_RUN a list (include/fg_replay.h), when the kernel has it;
 * everything else is the pinned-maps source's work on the same fd.
 */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "fg_replay.h"
#include "flow_src.h"
#include "replay_src.h"

_Static_assert((int)FG_FETCH_LOOKUP == (int)FG_TAKE_LOOKUP &&
		       (int)FG_FETCH_DELETE == (int)FG_TAKE_DELETE &&
		       (int)FG_FETCH_IDLE == (int)FG_TAKE_IDLE,
	       "fg_take takes the exporter's fetch operations");

struct replay_src {
	struct fg_flow_src src;
	struct fg_flow_src *maps; /* the same table, one syscall a lookup */
	struct fg_take *take;	  /* NULL: no fg_take */
	int take_prog;
};

static int rs_walk(struct fg_flow_src *s, fg_flow_fn fn, void *ctx)
{
	struct replay_src *r = (struct replay_src *)s;

	return r->maps->ops->walk(r->maps, fn, ctx);
}

static void rs_fetch(struct fg_flow_src *s, const struct fg_flow_req *q,
		     struct fg_flow_got *g, size_t n, __u64 now_ns,
		     __u64 idle_ns)
{
	struct replay_src *r = (struct replay_src *)s;
	struct fg_take_args a = {n, 0, now_ns, idle_ns};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a,
		    .ctx_size_in = sizeof(a));
	struct fg_take *t = r->take;
	size_t i;
	int err;

	if (!t) {
		r->maps->ops->fetch(r->maps, q, g, n, now_ns, idle_ns);
		return;
	}
	for (i = 0; i < n; i++) {
		t[i].key = *q[i].key;
		t[i].op = q[i].op;
	}
	err = bpf_prog_test_run_opts(r->take_prog, &o);
	for (i = 0; i < n; i++) {
		g[i].err = err ? err : !(t[i].op & FG_TAKE_FOUND) ? -ENOENT : 0;
		g[i].deleted = !err && (t[i].op & FG_TAKE_DELETED);
		g[i].cur = t[i].val;
		g[i].raw = &t[i].val;
	}
}

static int rs_put_back(struct fg_flow_src *s, const struct fg_flow_key *k,
		       const struct fg_flow_got *g)
{
	struct replay_src *r = (struct replay_src *)s;

	return r->maps->ops->put_back(r->maps, k, g);
}

static void rs_free(struct fg_flow_src *s)
{
	struct replay_src *r = (struct replay_src *)s;

	fg_flow_src_free(r->maps);
	free(r);
}

/* walk, fetch, put_back, free */
static const struct fg_flow_src_ops replay_ops = {rs_walk, rs_fetch,
						  rs_put_back, rs_free};

int fg_replay_src_new(struct fg_flow_src **out, const struct fg_replay_flows *f)
{
	struct replay_src *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	err = fg_flow_src_maps_new(&r->maps, f->fd);
	if (err) {
		free(r);
		return err;
	}
	/* fg_take's lists hold the single value of a shared table. */
	r->take = fg_map_percpu(f->fd) ? NULL : f->take;
	r->take_prog = f->take_prog;
	r->src = (struct fg_flow_src){&replay_ops, r->take ? FG_TAKE_BATCH : 1,
				      true};
	*out = &r->src;
	return 0;
}
