// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline for bench/cost.sh: an XDP program that does nothing. Its
 * BPF_PROG_TEST_RUN time is the fixed cost of the test harness and program
 * dispatch, which every measured program pays as well.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
