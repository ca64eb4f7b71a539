// SPDX-License-Identifier: GPL-2.0
/* The exporter's flow source over a flow table's fd: reads of the whole
 * table through the map iterator fg_flow_iter (bpf/iter/), or batch
 * lookups where it does not load; one syscall a lookup or delete. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "flow_src.h"
#include "kfeat.h"
#include "flowgate_iter.skel.h"

/* What the iterator writes per flow before its values: the key, padded. */
#define ITER_HEAD 56
#define ITER_BUF  (256 * 1024)

struct maps_src {
	struct fg_flow_src src;
	int fd;
	bool percpu;
	int ncpu;   /* values a flow has: possible CPUs, or 1 */
	void *vals; /* one flow's value(s), as the last fetch read them */
	struct flowgate_iter *iter; /* NULL: batch lookups */
	struct bpf_link *link;	    /* fg_flow_iter on this table */
	void *buf;		    /* ITER_BUF octets of its output */
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

/* The iterator's output: flows of ITER_HEAD + ncpu values, a read
 * ending anywhere (a flow cut in two is completed by the next). */
static int iter_walk(struct maps_src *m, struct walk_ctx *w)
{
	size_t rec = ITER_HEAD + (size_t)m->ncpu * FG_FLOW_VAL_STRIDE;
	size_t have = 0, off;
	int fd = bpf_iter_create(bpf_link__fd(m->link)), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, (char *)m->buf + have, ITER_BUF - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		have += n;
		for (off = 0; off + rec <= have; off += rec)
			walk_one((char *)m->buf + off,
				 (char *)m->buf + off + ITER_HEAD, m->ncpu, w);
		memmove(m->buf, (char *)m->buf + off, have - off);
		have -= off;
	}
	close(fd);
	return err ?: have ? -EIO : 0;
}

static int maps_walk(struct fg_flow_src *s, fg_flow_fn fn, void *ctx)
{
	struct maps_src *m = (struct maps_src *)s;
	struct walk_ctx w = {fn, ctx};

	if (m->link)
		return iter_walk(m, &w);
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

static void iter_close(struct maps_src *m)
{
	bpf_link__destroy(m->link);
	flowgate_iter__destroy(m->iter);
	free(m->buf);
	m->link = NULL;
	m->iter = NULL;
	m->buf = NULL;
}

/*
 * fg_flow_iter on this table: 0, or -errno and batch lookups it is
 * (Linux before 5.9, no kernel BTF, or FLOWGATE_EXP_BATCH=1 for
 * comparisons). The iterator holds a reference to the table, so the
 * daemon's notice of a new table (its map ID) is unchanged.
 */
static int iter_open(struct maps_src *m)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, o);
	union bpf_iter_link_info li = {.map.map_fd = m->fd};
	const char *env = getenv("FLOWGATE_EXP_BATCH");
	int err;

	if (env && strcmp(env, "0"))
		return -ECANCELED;
	m->buf = malloc(ITER_BUF);
	m->iter = flowgate_iter__open();
	if (!m->buf || !m->iter) {
		iter_close(m);
		return -ENOMEM;
	}
	m->iter->rodata->fg_iter_ncpu = m->ncpu;
	err = flowgate_iter__load(m->iter);
	if (!err) {
		o.link_info = &li;
		o.link_info_len = sizeof(li);
		m->link = bpf_program__attach_iter(m->iter->progs.fg_flow_iter,
						   &o);
		err = m->link ? 0 : -errno;
	}
	if (err)
		iter_close(m);
	return err;
}

static void maps_free(struct fg_flow_src *s)
{
	struct maps_src *m = (struct maps_src *)s;

	iter_close(m);
	free(m->vals);
	free(m);
}

static const struct fg_flow_src_ops maps_ops = {
	.walk = maps_walk,
	.fetch = maps_fetch,
	.put_back = maps_put_back,
	.free = maps_free,
};

bool fg_flow_src_maps_iter(const struct fg_flow_src *s)
{
	return ((const struct maps_src *)s)->link != NULL;
}

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
		m->vals = calloc(m->ncpu, FG_FLOW_VAL_STRIDE);
	if (err >= 0 && !m->vals)
		err = -ENOMEM;
	if (err < 0) {
		free(m);
		return err;
	}
	m->fd = fd;
	m->src = (struct fg_flow_src){&maps_ops, 1, false};
	/* Else batch lookups: the same flows, more of the kernel's time.
	 * Quietly: replay comes here too, and its output is the same;
	 * status shows which (export_reads). */
	if (fg_kfeat_has(FG_KF_MAP_ITER))
		iter_open(m);
	*out = &m->src;
	return 0;
}
