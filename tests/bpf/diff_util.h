/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers of the host-vs-BPF differential test (test_diff.c): run one frame
 * through fg_xdp with BPF_PROG_TEST_RUN and through the host fg_parse(),
 * load captures, mutate frames deterministically. Every non-test_ file in
 * tests/bpf is linked into all BPF tests, hence the dfu_ prefix.
 */
#ifndef FG_DIFF_UTIL_H
#define FG_DIFF_UTIL_H

#include <stddef.h>
#include <linux/types.h>
#include "fg_common.h"

struct flowgate_xdp;

/* One frame of a capture: len bytes were captured of wire_len. */
struct dfu_frame {
	__u8 *data;
	__u32 len;
	__u32 wire_len;
};

struct dfu_capture {
	struct dfu_frame *frames;
	size_t n;
	size_t cap;
};

/* What one side said about a frame. retval is the XDP action: for the
 * host, the one fg_xdp must return for that reason. */
struct dfu_result {
	__u32 retval;
	__u32 reason;
	__u32 hits;
};

struct dfu_bpf {
	struct flowgate_xdp *skel;
	int prog_fd;
	int cfg_fd;
	__u32 linear_max; /* longest frame the program sees in one piece */
	int nic;	  /* fg_record_last off: verdicts from the counters */
};

/* Room for any frame the test run takes in one piece (a page less
 * XDP_PACKET_HEADROOM and the skb_shared_info tailroom). */
#define DFU_BUF_MAX 4096

int dfu_capture_load(const char *path, struct dfu_capture *c, char *err,
		     size_t errlen);
void dfu_capture_free(struct dfu_capture *c);

int dfu_bpf_open(struct dfu_bpf *b);
/* fg_xdp as attach loads it for a NIC (fg_record_last off, so the parse
 * takes the frame's end as the wire's); dfu_bpf_run then reads the verdict
 * from the counters, and refuses (-ERANGE) a wire longer than the frame. */
int dfu_bpf_open_nic(struct dfu_bpf *b);
void dfu_bpf_close(struct dfu_bpf *b);
int dfu_bpf_set_config(struct dfu_bpf *b, const struct fg_config *cfg);
/* Returns -EINVAL for frames the test run refuses (shorter than an
 * Ethernet header), -E2BIG for those longer than linear_max: the rest
 * would go to XDP frags, which a program without xdp.frags never sees. */
int dfu_bpf_run(struct dfu_bpf *b, const void *data, __u32 len, __u32 wire_len,
		struct dfu_result *r);
void dfu_host_run(const void *data, __u32 len, __u32 wire_len,
		  const struct fg_config *cfg, struct dfu_result *r);
int dfu_same(const struct dfu_result *a, const struct dfu_result *b);
void dfu_report(const char *what, size_t idx, const struct dfu_result *bpf,
		const struct dfu_result *host, const void *data, __u32 len);

__u64 dfu_rand(__u64 *state);
void dfu_config_profile(__u32 profile, struct fg_config *cfg);
void dfu_config_random(__u64 *rng, struct fg_config *cfg);
void dfu_mutate(__u64 *rng, __u8 *buf, __u32 *len, __u32 max);

#endif /* FG_DIFF_UTIL_H */
