// SPDX-License-Identifier: GPL-2.0
/*
 * fg_flow_iter: the exporter's read of the whole flow table, a map-element
 * iterator over fg_flows (ctl/export/flow_src_maps.c reads its seq file).
 *
 * A batch lookup of a per-CPU hash takes the bucket's lock and makes two
 * copies to user space for every bucket it returns; the iterator walks the
 * buckets under RCU and fills the seq file's buffer, one copy to user space
 * per 32 KiB or so: most of what a sweep of a large table cost in the
 * kernel. Each element goes out as its key (padded to 56 octets) then its
 * values, one per possible CPU, as a batch lookup returns them (the
 * exporter sums them as before), so both reads feed the same code.
 *
 * Linux 5.9 (map-element iterators, bpf_seq_write), with kernel BTF; the
 * exporter falls back to batch lookups where it does not load.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_common.h"

/* The iterator's context, as the kernel's BTF has it (CO-RE). */
struct seq_file;
struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	void *key;
	void *value;
} __attribute__((preserve_access_index));

/* Possible CPUs, set before load: a constant to the verifier, which
 * checks the write against the per-CPU buffer the kernel fills. */
const volatile __u32 fg_iter_ncpu = 1;

/* The key padded to 8 octets, so that the values after it are aligned. */
struct fg_iter_head {
	struct fg_flow_key key;
	__u32 pad;
};

_Static_assert(sizeof(struct fg_iter_head) == 56,
	       "ITER_HEAD in flow_src_maps.c");

SEC("iter/bpf_map_elem")
int fg_flow_iter(struct bpf_iter__bpf_map_elem *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	void *key = ctx->key, *val = ctx->value;
	struct fg_iter_head h = {};

	if (!key || !val)
		return 0; /* the end of the walk */
	h.key = *(const struct fg_flow_key *)key;
	bpf_seq_write(seq, &h, sizeof(h));
	bpf_seq_write(seq, val, fg_iter_ncpu * FG_FLOW_VAL_STRIDE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
