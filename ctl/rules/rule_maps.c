// SPDX-License-Identifier: GPL-2.0
/*
 * The pinned rule maps: reading the rules in force and replacing them.
 *
 * Every rule map holds two halves. The data path reads fg_rule_ctl.gen
 * once per packet and only looks at half gen & 1. A new set is written
 * into the other half while the old one serves, then one update of
 * fg_rule_ctl switches: a packet sees the old set or the new one, never a
 * mix. Before the old half is cleared (and later reused), user space
 * waits until no program that may have read the old gen is still running:
 * an update of a map-in-map returns only after an RCU grace period, and
 * XDP and TC programs run inside RCU read-side sections.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "rules.h"

static const char *const map_names[] = {
	FG_MAP_RULE_CTL,  FG_MAP_RULE_MB4,  FG_MAP_RULE_MB6,
	FG_MAP_RULE_GLOB, FG_MAP_RULES,	    FG_MAP_RULE_HITS,
	FG_MAP_RULE_DEFS, FG_MAP_RULE_LSTS, FG_MAP_RULE_TL6,
};
#define NMAPS (sizeof(map_names) / sizeof(map_names[0]))

static int *fd_slot(struct fg_rule_fds *f, size_t i)
{
	int *slots[NMAPS] = {&f->ctl,  &f->idx4, &f->mb6,  &f->glob, &f->rules,
			     &f->hits, &f->defs, &f->lsts, &f->tl6};

	return slots[i];
}

int fg_rule_fds_open(struct fg_rule_fds *f)
{
	size_t i;
	int fd;

	for (i = 0; i < NMAPS; i++)
		*fd_slot(f, i) = -1;
	for (i = 0; i < NMAPS; i++) {
		fd = fg_map_open(map_names[i]);
		if (fd == -ENOENT && fg_state_exists())
			fd = fg_error(fd,
				      "the state under %s has no rule maps "
				      "(made by an older flowgate); "
				      "detach every interface first",
				      fg_pin_dir());
		else if (fd < 0)
			fd = fg_state_map_open(map_names[i]);
		if (fd < 0) {
			fg_rule_fds_close(f);
			return fd;
		}
		*fd_slot(f, i) = fd;
	}
	return 0;
}

int fg_rule_fds_from_obj(struct bpf_object *obj, struct fg_rule_fds *f)
{
	struct bpf_map *m;
	size_t i;

	for (i = 0; i < NMAPS; i++) {
		/* fg_rule_ctl is a global: its section's map */
		m = bpf_object__find_map_by_name(
			obj, strcmp(map_names[i], FG_MAP_RULE_CTL)
				     ? map_names[i]
				     : FG_RULE_CTL_SEC);
		*fd_slot(f, i) = m ? dup(bpf_map__fd(m)) : -1;
		if (*fd_slot(f, i) < 0) {
			fg_rule_fds_close(f);
			return -ENOENT;
		}
	}
	return 0;
}

void fg_rule_fds_close(struct fg_rule_fds *f)
{
	size_t i;

	for (i = 0; i < NMAPS; i++) {
		if (*fd_slot(f, i) >= 0)
			close(*fd_slot(f, i));
		*fd_slot(f, i) = -1;
	}
}

int fg_rule_lock(bool exclusive)
{
	int fd = open(fg_pin_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH)) {
		close(fd);
		return -errno;
	}
	return fd;
}

void fg_rule_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

int fg_bpf_barrier(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer, err = 0;
	__u32 key = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, FG_MAP_SYNC_IN, 4, 4, 1,
			       NULL);
	if (inner < 0)
		return -errno;
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, FG_MAP_SYNC, 4, 4, 1,
			       &opts);
	if (outer < 0) {
		err = -errno;
		close(inner);
		return err;
	}
	/* The kernel returns from this update after synchronize_rcu(). */
	if (bpf_map_update_elem(outer, &key, &inner, BPF_ANY))
		err = -errno;
	close(outer);
	close(inner);
	return err;
}

static int ctl_read(const struct fg_rule_fds *f, struct fg_rule_ctl *c)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(f->ctl, &key, c) ? -errno : 0;
}

static int ctl_write(const struct fg_rule_fds *f, const struct fg_rule_ctl *c)
{
	__u32 key = 0;

	return bpf_map_update_elem(f->ctl, &key, c, BPF_ANY) ? -errno : 0;
}

/* Definitions are read and deleted in batches: one syscall per chunk. */
#define DEFS_CHUNK 4096

/* Call fn for every (key, definition) of fg_rule_defs. */
static int walk_defs(const struct fg_rule_fds *f,
		     int (*fn)(__u32 key, const struct fg_rule_def *d,
			       void *ctx),
		     void *ctx)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct fg_rule_def *vals = calloc(DEFS_CHUNK, sizeof(*vals));
	__u32 *keys = calloc(DEFS_CHUNK, sizeof(*keys));
	__u32 count, i, out = 0;
	void *in = NULL;
	int err = 0, last;

	if (!vals || !keys) {
		err = -ENOMEM;
		goto out;
	}
	do {
		count = DEFS_CHUNK;
		last = bpf_map_lookup_batch(f->defs, in, &out, keys, vals,
					    &count, &opts);
		if (last && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (i = 0; i < count && !err; i++)
			err = fn(keys[i], &vals[i], ctx);
		in = &out;
	} while (!last && !err);
out:
	free(vals);
	free(keys);
	return err;
}

struct keyvec {
	__u32 *k;
	size_t n, cap;
	__u32 half;
};

static int collect_half(__u32 key, const struct fg_rule_def *d, void *ctx)
{
	struct keyvec *v = ctx;

	if (key >> 31 != v->half)
		return 0;
	if (fg_grow(&v->k, &v->cap, v->n, sizeof(*v->k), 1024))
		return -ENOMEM;
	v->k[v->n++] = key;
	return 0;
}

/* Remove a half's definitions (user space's only: nothing waits). */
static int clear_defs(const struct fg_rule_fds *f, __u32 half)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct keyvec v = {.half = half};
	__u32 n;
	int err = walk_defs(f, collect_half, &v);

	n = v.n;
	if (!err && n && bpf_map_delete_batch(f->defs, v.k, &n, &opts))
		err = -errno;
	free(v.k);
	return err;
}

struct read_ctx {
	struct fg_ruleset *s;
	__u32 half;
};

static int read_one(__u32 key, const struct fg_rule_def *d, void *ctx)
{
	struct read_ctx *r = ctx;

	return key >> 31 == r->half ? fg_ruleset_add(r->s, d, 0) : 0;
}

int fg_rule_read(const struct fg_rule_fds *f, struct fg_ruleset *s, __u32 *gen)
{
	struct read_ctx r = {.s = s};
	struct fg_rule_ctl c;
	int err;

	memset(s, 0, sizeof(*s));
	err = ctl_read(f, &c);
	r.half = c.gen & 1;
	if (!err)
		err = walk_defs(f, read_one, &r);
	if (err) {
		fg_ruleset_free(s);
		return err;
	}
	fg_ruleset_sort(s);
	*gen = c.gen;
	return 0;
}

/* n values into fd in one batch, the i-th at key(arg, half, i). */
static int put_batch(int fd, const void *vals, __u32 n,
		     __u32 (*key)(const void *arg, __u32 half, __u32 i),
		     const void *arg, __u32 half)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 i, *keys;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = key(arg, half, i);
	if (bpf_map_update_batch(fd, keys, vals, &n, &opts))
		err = -errno;
	free(keys);
	return err;
}

static __u32 rule_key(const void *arg, __u32 half, __u32 i)
{
	return half * FG_RULE_MAX + i;
}

static int write_rules(const struct fg_rule_fds *f,
		       const struct fg_rule_image *img, __u32 half)
{
	return put_batch(f->rules, img->rules, img->counts.nrules, rule_key,
			 NULL, half);
}

/* Put map fd in slot of outer (and let the outer map hold it), or empty
 * the slot when fd is -1. */
static int put_inner(int outer, __u32 slot, int fd)
{
	int err = 0;

	if (fd < 0)
		return bpf_map_delete_elem(outer, &slot) && errno != ENOENT
			       ? -errno
			       : 0;
	if (bpf_map_update_elem(outer, &slot, &fd, BPF_ANY))
		err = -errno;
	close(fd);
	return err;
}

/* A new inner array of n elements of vsz bytes into slot of outer, the k
 * elements vals at keys written in one batch (the others stay zero). */
static int put_array(int outer, __u32 slot, const char *name, __u32 vsz,
		     __u32 n, __u32 *keys, const void *vals, __u32 k)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP);
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), vsz, n,
			    &copts);
	if (fd < 0)
		return -errno;
	if (k && bpf_map_update_batch(fd, keys, vals, &k, &opts)) {
		err = -errno;
		close(fd);
		return err;
	}
	return put_inner(outer, slot, fd);
}

/* Keys 0 to n - 1 (room for one at least); NULL when out of memory. */
static __u32 *seq_keys(__u32 n)
{
	__u32 *keys = malloc((n ? n : 1) * sizeof(*keys)), i;

	for (i = 0; keys && i < n; i++)
		keys[i] = i;
	return keys;
}

/* One field's IPv4 multibit array into slot of outer: made to its size, its
 * blocks written in one batch (all-zero root blocks skipped: the array starts
 * zeroed). A batch, not stores through a mapping: the arrays are not made
 * BPF_F_MMAPABLE (stores through such a mapping are seen by lookups: checked
 * on 6.18; the exporter's fg_expstate is written so). */
static int write_mb(int outer, const struct fg_rule_mb *mb, __u32 slot)
{
	const struct fg_rule_mbblk *blk = (const void *)mb->node, zero = {};
	__u32 nblk = mb->n / FG_MB_SIZE;
	struct fg_rule_mbblk *vals;
	__u32 i, k = 0, *keys;
	int err = -ENOMEM;

	if (!nblk)
		return put_inner(outer, slot, -1);
	keys = malloc(nblk * sizeof(*keys));
	vals = malloc(nblk * sizeof(*vals));
	if (keys && vals) {
		for (i = 0; i < nblk; i++) {
			if (i < FG_MB_ROOT / FG_MB_SIZE &&
			    !memcmp(&blk[i], &zero, sizeof(zero)))
				continue; /* the array starts zeroed */
			keys[k] = i;
			vals[k++] = blk[i];
		}
		err = put_array(outer, slot, FG_MAP_RULE_MB, sizeof(*vals),
				nblk, keys, vals, k);
	}
	free(keys);
	free(vals);
	return err;
}

/* One field's IPv6 blocks in chunks (include/fg_rules.h FG_MB6_CHUNK),
 * the last one padded with zeroes; all-zero chunks are not written (the
 * array starts zeroed). */
static int write_chunks(int outer, const struct fg_rule_mb *mb, __u32 slot)
{
	const size_t per = FG_MB6_CHUNK * FG_MB_SIZE; /* entries a chunk */
	__u32 n = (mb->n + per - 1) / per, i, k = 0, *keys;
	struct fg_rule_mb6chunk *vals;
	size_t j, len;
	int err = -ENOMEM;

	if (!n)
		return put_inner(outer, slot, -1);
	keys = malloc(n * sizeof(*keys));
	vals = calloc(n, sizeof(*vals));
	if (keys && vals) {
		for (i = 0; i < n; i++) {
			len = mb->n - i * per < per ? mb->n - i * per : per;
			for (j = 0; j < len && !mb->node[i * per + j]; j++)
				;
			if (j == len)
				continue;
			keys[k] = i;
			memcpy(&vals[k++], mb->node + i * per,
			       len * sizeof(__u32));
		}
		err = put_array(outer, slot, FG_MAP_RULE_MB6C, sizeof(*vals), n,
				keys, vals, k);
	}
	free(keys);
	free(vals);
	return err;
}

/* One field's IPv6 tails: an array of them (at least one element, so
 * that a field with blocks always has its tails map), or the slot emptied
 * when the field has no IPv6 entry. */
static int write_tails(const struct fg_rule_fds *f, const struct fg_rule_mb6 *m,
		       __u32 slot)
{
	__u32 n = m->nt, *keys;
	int err;

	if (!m->mb.n)
		return put_inner(f->tl6, slot, -1);
	keys = seq_keys(n);
	if (!keys)
		return -ENOMEM;
	err = put_array(f->tl6, slot, FG_MAP_RULE_TAIL, sizeof(*m->tail),
			n ? n : 1, keys, m->tail, n);
	free(keys);
	return err;
}

/* The half's index entries as an array of lists (IPv4 ones, then IPv6
 * ones: the leaves of the multibit arrays name them), then the IPv4
 * multibit array of each field. */
static int write_mb4(const struct fg_rule_fds *f,
		     const struct fg_rule_image *img, __u32 half)
{
	__u32 n = img->nl4 + img->nl6, i, *keys;
	int err;

	if (n) {
		keys = seq_keys(n);
		if (!keys)
			return -ENOMEM;
		err = put_array(f->lsts, half, FG_MAP_RULE_LST,
				sizeof(*img->l4), n, keys, img->l4, n);
		free(keys);
	} else {
		err = put_inner(f->lsts, half, -1);
	}
	for (i = 0; i < 2 && !err; i++)
		err = write_mb(f->idx4, &img->mb[i], fg_rule_slot(half, i));
	return err;
}

/* Each field's IPv6 tails, then its blocks: a program that finds the
 * blocks finds the tails they name. */
static int write_mb6(const struct fg_rule_fds *f,
		     const struct fg_rule_image *img, __u32 half)
{
	__u32 field, slot;
	int err = 0;

	for (field = 0; field < 2 && !err; field++) {
		slot = fg_rule_slot(half, field);
		err = write_tails(f, &img->mb6[field], slot);
		if (!err)
			err = write_chunks(f->mb6, &img->mb6[field].mb, slot);
	}
	return err;
}

static int write_index(const struct fg_rule_fds *f,
		       const struct fg_rule_image *img, __u32 half)
{
	int err;

	if (bpf_map_update_elem(f->glob, &half, &img->glob, BPF_ANY))
		return -errno;
	err = write_mb4(f, img, half);
	if (!err)
		err = write_mb6(f, img, half);
	return err;
}

/* A half's index maps go (IPv4 arrays, IPv6 blocks and tails, lists); the
 * kernel frees them once no program can hold them. */
static int drop_index(const struct fg_rule_fds *f, __u32 half)
{
	int outer[] = {f->idx4, f->mb6, f->tl6};
	__u32 field, slot;
	size_t i;

	for (i = 0; i < sizeof(outer) / sizeof(outer[0]); i++) {
		for (field = 0; field < 2; field++) {
			slot = fg_rule_slot(half, field);
			if (bpf_map_delete_elem(outer[i], &slot) &&
			    errno != ENOENT)
				return -errno;
		}
	}
	return put_inner(f->lsts, half, -1);
}

static __u32 def_key(const void *arg, __u32 half, __u32 i)
{
	const struct fg_ruleset *s = arg;

	return fg_rule_def_key(half, s->r[i].id);
}

static int write_defs(const struct fg_rule_fds *f, const struct fg_ruleset *s,
		      __u32 half)
{
	return put_batch(f->defs, s->r, s->n, def_key, s, half);
}

/* IDs of rules that are new (or whose ID now means another match): their
 * counters start from zero. */
static int new_ids(const struct fg_ruleset *s, const struct fg_ruleset *old,
		   __u32 **ids, __u32 *n)
{
	const struct fg_rule_def **by_id = old ? fg_ruleset_by_id(old) : NULL;
	const struct fg_rule_def *o;
	size_t i;

	*n = 0;
	*ids = malloc((s->n ? s->n : 1) * sizeof(**ids));
	if (!*ids || (old && !by_id)) {
		free(*ids);
		free(by_id);
		return -ENOMEM;
	}
	for (i = 0; i < s->n; i++) {
		o = by_id ? by_id[s->r[i].id] : NULL;
		if (!o || !fg_rule_same_match(o, &s->r[i]))
			(*ids)[(*n)++] = s->r[i].id;
	}
	free(by_id);
	return 0;
}

#define HITS_CHUNK 1024

static int reset_hits(const struct fg_rule_fds *f, const struct fg_ruleset *s,
		      const struct fg_ruleset *old)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int ncpu = libbpf_num_possible_cpus(), err;
	struct fg_rule_hit *zero;
	__u32 *ids, n, i, k;

	if (ncpu < 0)
		return ncpu;
	err = new_ids(s, old, &ids, &n);
	if (err)
		return err;
	zero = calloc((size_t)HITS_CHUNK * ncpu, sizeof(*zero));
	if (!zero)
		err = -ENOMEM;
	for (i = 0; !err && i < n; i += k) {
		k = n - i < HITS_CHUNK ? n - i : HITS_CHUNK;
		if (bpf_map_update_batch(f->hits, ids + i, zero, &k, &opts))
			err = -errno;
	}
	free(zero);
	free(ids);
	return err;
}

static int write_half(const struct fg_rule_fds *f, struct fg_ruleset *s,
		      const struct fg_ruleset *old,
		      const struct fg_rule_image *img, __u32 half)
{
	int err = clear_defs(f, half);

	if (!err)
		err = write_rules(f, img, half);
	if (!err)
		err = write_index(f, img, half);
	if (!err)
		err = write_defs(f, s, half);
	if (!err)
		err = reset_hits(f, s, old);
	return err;
}

int fg_rule_stage(const struct fg_rule_fds *f, struct fg_ruleset *s,
		  const struct fg_ruleset *old, struct fg_perr *e)
{
	struct fg_rule_image img;
	struct fg_rule_ctl c;
	__u32 next;
	int err;

	err = fg_rule_compile(s, &img, e);
	if (err)
		return err;
	err = ctl_read(f, &c);
	/* Programs may still run in the inactive half if an earlier
	 * publish died between its switch and its wait. */
	if (!err)
		err = fg_bpf_barrier();
	if (!err) {
		next = (c.gen + 1) & 1;
		c.half[next] = img.counts;
		err = write_half(f, s, old, &img, next);
	}
	/* The inactive half's counts; the data path reads the other. */
	if (!err)
		err = ctl_write(f, &c);
	fg_rule_image_free(&img);
	if (err)
		snprintf(e->msg, sizeof(e->msg), "cannot write the rules: %s",
			 fg_strerr(err));
	return err;
}

int fg_rule_switch(const struct fg_rule_fds *f, __u32 *gen, struct fg_perr *e)
{
	struct fg_rule_ctl c;
	int err;

	__u32 old;

	err = ctl_read(f, &c);
	if (!err) {
		c.gen++;
		err = ctl_write(f, &c); /* the switch */
	}
	/* A program that read the old gen may not have looked up the old
	 * half's index maps yet (the array, IPv6's tails, then the lists;
	 * then the other field's): wait until every such program has finished
	 * before the maps leave their slots, so that it finds all of them. Its
	 * rules and list stay until the next stage, which waits again before it
	 * writes there. */
	old = (c.gen + 1) & 1;
	if (!err)
		err = fg_bpf_barrier();
	if (!err)
		err = drop_index(f, old);
	if (!err)
		err = clear_defs(f, old);
	if (err) {
		snprintf(e->msg, sizeof(e->msg), "cannot switch the rules: %s",
			 fg_strerr(err));
		return err;
	}
	*gen = c.gen;
	return 0;
}

int fg_rule_publish(const struct fg_rule_fds *f, struct fg_ruleset *s,
		    const struct fg_ruleset *old, __u32 *gen, struct fg_perr *e)
{
	int err = fg_rule_stage(f, s, old, e);

	return err ? err : fg_rule_switch(f, gen, e);
}

int fg_rule_hits_read(const struct fg_rule_fds *f, __u32 id,
		      struct fg_rule_hit *sum)
{
	struct fg_rule_hit *v;
	int ncpu, c, err;

	memset(sum, 0, sizeof(*sum));
	err = fg_map_lookup_percpu(f->hits, &id, sizeof(*v), (void **)&v,
				   &ncpu);
	if (err)
		return err;
	for (c = 0; c < ncpu; c++) {
		sum->packets += v[c].packets;
		sum->octets += v[c].octets;
		if (v[c].last_ns > sum->last_ns)
			sum->last_ns = v[c].last_ns;
	}
	free(v);
	return 0;
}
