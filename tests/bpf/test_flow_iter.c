// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's read of a whole per-CPU flow table (ctl/export/
 * flow_src_maps.c): through the map iterator fg_flow_iter (bpf/iter/), and
 * through batch lookups (FLOWGATE_EXP_BATCH=1, and kernels where the
 * iterator does not load). Both must give every flow exactly once, with
 * its CPUs' values summed as fg_flow_sum() sums them, over a table whose
 * iterator output spans several read(2) calls (flows cut between them).
 * Where the kernel has tracing programs (Linux 5.9 with BTF), the iterator
 * must be the read in use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "flow_src.h"
#include "fgtest.h"

struct fg_opts fg_opts;

#define NFLOWS 5000 /* 5000 x (56 + CPUs x 40) octets: several reads */

static int ncpu;

static struct fg_flow_key key_of(__u32 i)
{
	struct fg_flow_key k = {.ifindex = 7, .ip_ver = 4, .proto = 17};

	k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
	k.src[12] = 192, k.src[14] = 2, k.src[15] = i & 0xff;
	k.dst[12] = 198, k.dst[13] = 51, k.dst[14] = 100;
	k.sport = (__u16)i;
	k.dport = (__u16)(i >> 16);
	return k;
}

/* Flow i's value on every CPU: each CPU a different part. */
static void vals_of(__u32 i, struct fg_flow_val *v)
{
	int c;

	for (c = 0; c < ncpu; c++)
		v[c] = (struct fg_flow_val){.packets = i + c + 1,
					    .octets = 100 * (i + 1) + c,
					    .first_ns = 1000 + i + c,
					    .last_ns = 5000 + i * 3 + c,
					    .tcp_flags = (__u8)(1 << (c % 8)),
					    .ttl_min = (__u8)(64 - c),
					    .ttl_max = (__u8)(64 + c),
					    .rule_id = i};
}

struct seen {
	__u8 *count; /* per flow */
	__u32 bad, other;
};

static void on_flow(const struct fg_flow_key *k, const struct fg_flow_val *sum,
		    void *ctx)
{
	struct fg_flow_val *v = calloc(ncpu, sizeof(*v)), want;
	struct seen *s = ctx;
	__u32 i = k->sport | (__u32)k->dport << 16;
	struct fg_flow_key kk;

	if (!v)
		return;
	kk = key_of(i);
	if (i >= NFLOWS || memcmp(&kk, k, sizeof(kk))) {
		s->other++;
		free(v);
		return;
	}
	s->count[i]++;
	vals_of(i, v);
	fg_flow_sum(v, ncpu, &want);
	s->bad += memcmp(&want, sum, sizeof(want)) != 0;
	free(v);
}

static void read_with(int fd, const char *how, bool batch)
{
	struct seen s = {.count = calloc(NFLOWS, 1)};
	struct fg_flow_src *src;
	__u32 once = 0, i;
	int err;

	if (batch)
		setenv("FLOWGATE_EXP_BATCH", "1", 1);
	else
		unsetenv("FLOWGATE_EXP_BATCH");
	err = fg_flow_src_maps_new(&src, fd);
	if (!fgt_ok(!err && s.count, "%s: a flow source", how))
		return;
	if (batch)
		fgt_ok(!fg_flow_src_maps_iter(src),
		       "%s: FLOWGATE_EXP_BATCH=1 reads with batch lookups",
		       how);
	else if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, NULL) == 1)
		fgt_ok(fg_flow_src_maps_iter(src),
		       "%s: the map iterator is the read in use", how);
	else
		fgt_skip("no tracing programs on this kernel",
			 "%s: the map iterator is the read in use", how);
	err = src->ops->walk(src, on_flow, &s);
	for (i = 0; i < NFLOWS; i++)
		once += s.count[i] == 1;
	fgt_ok(!err, "%s: the walk ends without error (%d)", how, err);
	fgt_ok(once == NFLOWS && !s.other,
	       "%s: every flow exactly once (%u of %u, %u others)", how, once,
	       NFLOWS, s.other);
	fgt_ok(!s.bad, "%s: every flow's CPUs summed (%u wrong)", how, s.bad);
	fg_flow_src_free(src);
	free(s.count);
}

int main(void)
{
	struct fg_flow_val *v;
	struct fg_flow_key k;
	int fd;
	__u32 i;

	fg_libs_init(); /* libbpf quiet: a refused iterator is a case here */
	ncpu = libbpf_num_possible_cpus();
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "fg_flows",
			    sizeof(struct fg_flow_key),
			    sizeof(struct fg_flow_val), 8192, NULL);
	v = calloc(ncpu, FG_FLOW_VAL_STRIDE);
	if (!fgt_ok(fd >= 0 && v && ncpu > 0, "a per-CPU flow table"))
		return fgt_done();
	for (i = 0; i < NFLOWS; i++) {
		k = key_of(i);
		vals_of(i, v);
		if (bpf_map_update_elem(fd, &k, v, BPF_NOEXIST))
			break;
	}
	fgt_ok(i == NFLOWS, "%u flows in it", i);
	read_with(fd, "iterator", false);
	read_with(fd, "batch", true);
	free(v);
	return fgt_done();
}
