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

static const char *const map_names[] = {"fg_rule_ctl",	"fg_rule_idx",
					"fg_rule_glob", "fg_rules",
					"fg_rule_hits", "fg_rule_defs"};
#define NMAPS (sizeof(map_names) / sizeof(map_names[0]))

static int *fd_slot(struct fg_rule_fds *f, size_t i)
{
	int *slots[NMAPS] = {&f->ctl,	&f->idx,  &f->glob,
			     &f->rules, &f->hits, &f->defs};

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
		m = bpf_object__find_map_by_name(obj, map_names[i]);
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

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fg_sync_in", 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "fg_sync", 4, 4, 1,
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

/* Every key of a map, for which keep() says yes. */
static int collect_keys(int fd, size_t ksz, bool (*keep)(const void *, __u32),
			__u32 half, void **out, size_t *n)
{
	size_t cap = 1024;
	char *keys = malloc(cap * ksz), *k, prev[64];
	int err;

	*n = 0;
	if (!keys)
		return -ENOMEM;
	for (err = bpf_map_get_next_key(fd, NULL, prev); !err;
	     err = bpf_map_get_next_key(fd, prev, prev)) {
		if (!keep(prev, half))
			continue;
		if (*n == cap) {
			k = realloc(keys, cap * 2 * ksz);
			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
			cap *= 2;
		}
		memcpy(keys + *n * ksz, prev, ksz);
		(*n)++;
	}
	if (errno != ENOENT) {
		free(keys);
		return -errno;
	}
	*out = keys;
	return 0;
}

static bool idx_in_half(const void *k, __u32 half)
{
	return ((const struct fg_rule_key *)k)->half == half;
}

static bool def_in_half(const void *k, __u32 half)
{
	return *(const __u32 *)k >> 31 == half;
}

static int delete_keys(int fd, const char *keys, size_t ksz, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * ksz) && errno != ENOENT)
			return -errno;
	return 0;
}

/* Remove a half's index entries and definitions (nothing reads it). */
static int clear_half(const struct fg_rule_fds *f, __u32 half)
{
	void *keys;
	size_t n;
	int err;

	err = collect_keys(f->idx, sizeof(struct fg_rule_key), idx_in_half,
			   half, &keys, &n);
	if (err)
		return err;
	err = delete_keys(f->idx, keys, sizeof(struct fg_rule_key), n);
	free(keys);
	if (err)
		return err;
	err = collect_keys(f->defs, sizeof(__u32), def_in_half, half, &keys,
			   &n);
	if (err)
		return err;
	err = delete_keys(f->defs, keys, sizeof(__u32), n);
	free(keys);
	return err;
}

int fg_rule_read(const struct fg_rule_fds *f, struct fg_ruleset *s, __u32 *gen)
{
	struct fg_rule_ctl c;
	struct fg_rule_def d;
	size_t i, n;
	void *keys;
	int err;

	memset(s, 0, sizeof(*s));
	err = ctl_read(f, &c);
	if (!err)
		err = collect_keys(f->defs, sizeof(__u32), def_in_half,
				   c.gen & 1, &keys, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		if (bpf_map_lookup_elem(f->defs, (__u32 *)keys + i, &d))
			err = -errno;
		else
			err = fg_ruleset_add(s, &d, 0);
	}
	free(keys);
	if (err) {
		fg_ruleset_free(s);
		return err;
	}
	fg_ruleset_sort(s);
	*gen = c.gen;
	return 0;
}

static int write_rules(const struct fg_rule_fds *f,
		       const struct fg_rule_image *img, __u32 half)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 n = img->counts.nrules, i, *keys;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = half * FG_RULE_MAX + i;
	if (bpf_map_update_batch(f->rules, keys, img->rules, &n, &opts))
		err = -errno;
	free(keys);
	return err;
}

static int write_index(const struct fg_rule_fds *f,
		       const struct fg_rule_image *img, __u32 half)
{
	struct fg_rule_key k;
	size_t i;

	for (i = 0; i < img->nidx; i++) {
		k = img->keys[i];
		k.half = half;
		if (bpf_map_update_elem(f->idx, &k, &img->lists[i], BPF_ANY))
			return -errno;
	}
	return bpf_map_update_elem(f->glob, &half, &img->glob, BPF_ANY) ? -errno
									: 0;
}

static int write_defs(const struct fg_rule_fds *f, const struct fg_ruleset *s,
		      __u32 half)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 n = s->n, i, *keys;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = fg_rule_def_key(half, s->r[i].id);
	if (bpf_map_update_batch(f->defs, keys, s->r, &n, &opts))
		err = -errno;
	free(keys);
	return err;
}

/* Counters of rules that are new (or whose ID now means another match)
 * start from zero. */
static int reset_hits(const struct fg_rule_fds *f, const struct fg_ruleset *s,
		      const struct fg_ruleset *old)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct fg_rule_hit *zero;
	const struct fg_rule_def *o;
	size_t i;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (i = 0; i < s->n && !err; i++) {
		o = old ? fg_ruleset_find(old, s->r[i].id) : NULL;
		if (o && fg_rule_same_match(o, &s->r[i]))
			continue;
		if (bpf_map_update_elem(f->hits, &s->r[i].id, zero, BPF_ANY))
			err = -errno;
	}
	free(zero);
	return err;
}

static int write_half(const struct fg_rule_fds *f, struct fg_ruleset *s,
		      const struct fg_ruleset *old,
		      const struct fg_rule_image *img, __u32 half)
{
	int err = clear_half(f, half);

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

	err = ctl_read(f, &c);
	if (!err) {
		c.gen++;
		err = ctl_write(f, &c); /* the switch */
	}
	if (!err)
		err = fg_bpf_barrier();
	if (!err)
		err = clear_half(f, (c.gen + 1) & 1);
	if (err) {
		snprintf(e->msg, sizeof(e->msg), "cannot switch the rules: %s",
			 fg_strerr(err));
		return err;
	}
	*gen = c.gen;
	return 0;
}

int fg_rule_publish(const struct fg_rule_fds *f, struct fg_ruleset *s,
		    const struct fg_ruleset *old, __u32 *gen,
		    struct fg_perr *e)
{
	int err = fg_rule_stage(f, s, old, e);

	return err ? err : fg_rule_switch(f, gen, e);
}

int fg_rule_hits_read(const struct fg_rule_fds *f, __u32 id,
		      struct fg_rule_hit *sum)
{
	int ncpu = libbpf_num_possible_cpus(), c, err = 0;
	struct fg_rule_hit *v;

	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(f->hits, &id, v)) {
		err = -errno;
	} else {
		for (c = 0; c < ncpu; c++) {
			sum->packets += v[c].packets;
			sum->octets += v[c].octets;
			if (v[c].last_ns > sum->last_ns)
				sum->last_ns = v[c].last_ns;
		}
	}
	free(v);
	return err;
}
