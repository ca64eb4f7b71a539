// SPDX-License-Identifier: GPL-2.0
/* Walking the pinned maps: batch lookups, one callback per entry with all
 * of its per-CPU values. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"

#define BATCH 256

/*
 * Walk a hash with batch lookups, calling fn for each entry with its
 * value(s): one per possible CPU for a per-CPU map, else one. Returns 0 or
 * -errno.
 */
int fg_map_walk(int fd, size_t key_sz, size_t val_sz, bool percpu,
		void (*fn)(const void *key, const void *vals, int ncpu,
			   void *ctx),
		void *ctx)
{
	return fg_map_walk_first(fd, key_sz, val_sz, percpu, UINT32_MAX, fn,
				 ctx);
}

/* The same, stopped after the first n entries: an array's keys 0..n-1,
 * for a reader that knows the entries above them hold nothing it wants
 * (a per-CPU array's whole copy grows with the CPUs). */
int fg_map_walk_first(int fd, size_t key_sz, size_t val_sz, bool percpu,
		      __u32 n,
		      void (*fn)(const void *key, const void *vals, int ncpu,
				 void *ctx),
		      void *ctx)
{
	int ncpu = percpu ? libbpf_num_possible_cpus() : 1, err = 0;
	size_t vsz = percpu ? (val_sz + 7) / 8 * 8 : val_sz;
	__u32 count, i, batch_out = 0;
	void *keys, *vals, *in = NULL;
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (ncpu < 0)
		return ncpu;
	keys = calloc(BATCH, key_sz);
	vals = calloc(BATCH, vsz * ncpu);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (n) {
		count = n < BATCH ? n : BATCH;
		err = bpf_map_lookup_batch(fd, in, &batch_out, keys, vals,
					   &count, &opts);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (i = 0; i < count; i++)
			fn((char *)keys + i * key_sz,
			   (char *)vals + (size_t)i * vsz * ncpu, ncpu, ctx);
		if (err) { /* ENOENT: that was the last batch */
			err = 0;
			break;
		}
		n -= count;
		in = &batch_out;
	}
out:
	free(keys);
	free(vals);
	return err;
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* The map's ID, 0 when fd is not a map. */
__u32 fg_map_id(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.id;
}

/* The size of the map's values, 0 when fd is not a map. */
__u32 fg_map_value_size(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.value_size;
}

/* 1: the map has a value per CPU, 0: one value, or -errno. */
int fg_map_percpu(int fd)
{
	struct bpf_map_info info;
	int err = map_info(fd, &info);

	if (err)
		return err;
	return info.type == BPF_MAP_TYPE_PERCPU_HASH ||
	       info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int fg_map_walk_percpu(int fd, size_t key_sz, size_t val_sz,
		       void (*fn)(const void *key, const void *vals, int ncpu,
				  void *ctx),
		       void *ctx)
{
	return fg_map_walk(fd, key_sz, val_sz, true, fn, ctx);
}

/* Add up n __u64 counters over ncpu per-CPU values (vals as a per-CPU
 * lookup or walk returns them). */
void fg_percpu_sum(const void *vals, int ncpu, size_t n, __u64 *sum)
{
	const __u64 *v = vals;
	size_t i;
	int c;

	memset(sum, 0, n * sizeof(*sum));
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < n; i++)
			sum[i] += v[(size_t)c * n + i];
}

/* Every CPU's value of key in a per-CPU map: *vals (the caller frees it)
 * holds *ncpu values of val_sz bytes, a multiple of 8. 0 or -errno. */
int fg_map_lookup_percpu(int fd, const void *key, size_t val_sz, void **vals,
			 int *ncpu)
{
	int n = libbpf_num_possible_cpus();
	void *v;

	if (n < 0)
		return n;
	v = calloc(n, val_sz);
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, v)) {
		free(v);
		return -errno;
	}
	*vals = v;
	*ncpu = n;
	return 0;
}

/* Key's value in a per-CPU map of __u64 counters (size bytes), summed over
 * the CPUs. 0 or -errno (sum zeroed). */
int fg_map_lookup_sum(int fd, const void *key, void *sum, size_t size)
{
	void *vals;
	int ncpu, err;

	memset(sum, 0, size);
	err = fg_map_lookup_percpu(fd, key, size, &vals, &ncpu);
	if (err)
		return err;
	fg_percpu_sum(vals, ncpu, size / sizeof(__u64), sum);
	free(vals);
	return 0;
}
