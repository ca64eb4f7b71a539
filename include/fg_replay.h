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

#endif /* FG_REPLAY_H */
