/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `flowgate replay` hands fg_replay (bpf/xdp/flowgate_xdp.bpf.c) through
 * the XDP object's .bss, which user space reads and writes through the
 * skeleton's mmap: a batch of packets per BPF_PROG_TEST_RUN.
 *
 * A test run costs about 1.2 us of syscall and setup before the program
 * runs, nine times what fg_xdp itself takes: one run a batch, not a
 * packet, keeps that cost off the packets (BENCHMARKS.md, Replay).
 * The frames of a batch lie back to back in the run's data, in reverse
 * order: the first packet last. fg_replay moves the start of the data
 * back and its end in (bpf_xdp_adjust_head/_tail) to show fg_xdp_frame()
 * one packet after the other; a shrinking end never clears anything, a
 * growing one would (the kernel zeroes what it exposes).
 */
#ifndef FG_REPLAY_H
#define FG_REPLAY_H

#include <linux/types.h>
#include "fg_common.h"

/* Packets per run at most; the data (a linear area of about 3.5 KB) is the
 * other limit. */
#define FG_REPLAY_BATCH 64

/*
 * One slot per frame, in the object's .bss as arrays of plain integers
 * (the skeleton header then needs no type of ours):
 *	fg_rp_ns[i]	capture time, ns since the epoch: the flows' clock
 *	fg_rp_off[i]	the frame: data + off ...
 *	fg_rp_len[i]	... for len bytes (>= 14)
 *	fg_rp_wire[i]	fg_wire_len for it
 *	fg_rp_reason[i]	out: its verdict, FG_R_MAX if it did not run
 * fg_rp_count says how many slots the batch fills.
 */

/*
 * Replay's exporter looks flows up by key, and deletes those it expires.
 * One syscall each cost about 1 us before any work, more than the lookup
 * itself; fg_take (a syscall program, loaded by replay only) does a list
 * of them in one BPF_PROG_TEST_RUN. The list is the mmapable array
 * fg_take_buf (one entry unless replay sizes it), its length the
 * program's context. Only for replay's flow table, which is shared, not
 * per CPU: a value is one struct fg_flow_val.
 */
#define FG_TAKE_BATCH 1024

enum fg_take_op {
	FG_TAKE_LOOKUP = 1, /* read the flow's value */
	FG_TAKE_DELETE = 2, /* read it, then delete the flow */
	/* read it, and delete it if it is idle: last_ns + idle_ns <= now_ns,
	 * the exporter's own test, so that no flow is put back */
	FG_TAKE_IDLE = 3,
	FG_TAKE_DELETED = 1u << 30, /* out: it was deleted */
	FG_TAKE_FOUND = 1u << 31,   /* out: the flow was there, val is set */
};

struct fg_take {
	struct fg_flow_key key;
	__u32 op; /* enum fg_take_op; the program ORs in _FOUND, _DELETED */
	struct fg_flow_val val;
};

struct fg_take_args {
	__u32 count; /* entries of fg_take_buf to do, from the first */
	__u32 pad;
	__u64 now_ns, idle_ns; /* for FG_TAKE_IDLE */
};

_Static_assert(sizeof(struct fg_take) == 96, "fg_take layout");

#endif /* FG_REPLAY_H */
