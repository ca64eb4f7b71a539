// SPDX-License-Identifier: GPL-2.0
/*
 * The overflow aggregate as every reader sees it: BPF counts the common
 * protocols in the per-CPU array fg_ovfarr (indexed by slot, direction
 * and class, each entry owned by the interface it names) and the rest in
 * the per-CPU hash fg_overflow; readers get one total per (ifindex,
 * direction, IP version, protocol), as when the hash held everything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"

struct ovf_acc {
	struct fg_ovf_ent *e;
	size_t n, cap;
	int err;
	__u32 used; /* 1 + the highest slot of fg_ovfarr with packets */
};

static void acc_add(struct ovf_acc *a, const struct fg_ovf_key *k,
		    __u64 packets, __u64 octets)
{
	if (a->err)
		return;
	a->err = fg_grow(&a->e, &a->cap, a->n, sizeof(*a->e), 64);
	if (a->err)
		return;
	a->e[a->n].k = *k;
	a->e[a->n].packets = packets;
	a->e[a->n++].octets = octets;
}

static void from_hash(const void *key, const void *vals, int ncpu, void *ctx)
{
	struct fg_ovf_val sum;

	fg_percpu_sum(vals, ncpu, sizeof(sum) / sizeof(__u64), (__u64 *)&sum);
	acc_add(ctx, key, sum.packets, sum.octets);
}

/* Every CPU's entry with packets is its own interface's. */
static void from_arr(const void *key, const void *vals, int ncpu, void *ctx)
{
	struct ovf_acc *a = ctx;
	const struct fg_ovf_cnt *v = vals;
	__u32 i = *(const __u32 *)key;
	struct fg_ovf_key k = {.dir = i / FG_OVF_NCLASS % 2};
	int c;

	fg_ovf_class_key(i % FG_OVF_NCLASS, &k.ip_ver, &k.proto);
	for (c = 0; c < ncpu; c++) {
		if (!v[c].packets)
			continue;
		if (i / FG_OVF_NCLASS / 2 >= a->used)
			a->used = i / FG_OVF_NCLASS / 2 + 1;
		k.ifindex = v[c].ifindex;
		acc_add(a, &k, v[c].packets, v[c].octets);
	}
}

static int ent_cmp(const void *a, const void *b)
{
	return fg_ovf_key_cmp(&((const struct fg_ovf_ent *)a)->k,
			      &((const struct fg_ovf_ent *)b)->k);
}

static int ovf_read(int arr_fd, int hash_fd, __u32 nslots, __u32 *used,
		    struct fg_ovf_ent **out, size_t *n)
{
	struct ovf_acc a = {0};
	size_t i, j;
	int err = 0;

	if (hash_fd >= 0)
		err = fg_map_walk_percpu(hash_fd, sizeof(struct fg_ovf_key),
					 sizeof(struct fg_ovf_val), from_hash,
					 &a);
	if (!err && arr_fd >= 0)
		err = fg_map_walk_first(
			arr_fd, sizeof(__u32), sizeof(struct fg_ovf_cnt), true,
			nslots * 2 * FG_OVF_NCLASS, from_arr, &a);
	err = err ?: a.err;
	if (err) {
		free(a.e);
		return err;
	}
	if (a.n)
		qsort(a.e, a.n, sizeof(*a.e), ent_cmp);
	/* One total per key: a key may be in both maps and on many CPUs. */
	for (i = 0, j = 0; i < a.n; i++) {
		if (j && !ent_cmp(&a.e[j - 1], &a.e[i])) {
			a.e[j - 1].packets += a.e[i].packets;
			a.e[j - 1].octets += a.e[i].octets;
		} else {
			a.e[j++] = a.e[i];
		}
	}
	*out = a.e;
	*n = j;
	if (used)
		*used = a.used;
	return 0;
}

int fg_ovf_read(int arr_fd, int hash_fd, struct fg_ovf_ent **out, size_t *n)
{
	return ovf_read(arr_fd, hash_fd, FG_NSLOTS, NULL, out, n);
}

int fg_ovf_walk_slots(int arr_fd, int hash_fd, __u32 nslots, __u32 *used,
		      void (*fn)(const void *key, const void *vals, int ncpu,
				 void *ctx),
		      void *ctx)
{
	struct fg_ovf_ent *e = NULL;
	struct fg_ovf_val v;
	size_t i, n = 0;
	int err = ovf_read(arr_fd, hash_fd, nslots, used, &e, &n);

	for (i = 0; !err && i < n; i++) {
		v.packets = e[i].packets;
		v.octets = e[i].octets;
		fn(&e[i].k, &v, 1, ctx);
	}
	free(e);
	return err;
}

int fg_ovf_walk(int arr_fd, int hash_fd,
		void (*fn)(const void *key, const void *vals, int ncpu,
			   void *ctx),
		void *ctx)
{
	return fg_ovf_walk_slots(arr_fd, hash_fd, FG_NSLOTS, NULL, fn, ctx);
}
