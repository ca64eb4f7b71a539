/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For loaders that run the programs with BPF_PROG_TEST_RUN on recorded
 * packets (tests, and a capture's packets): each packet's verdict left in
 * .bss, and a packet's wire length when the frame handed over is only its
 * first bytes. Both are rodata-gated: on a NIC the verifier removes them.
 */
#ifndef FG_TESTRUN_BPF_H
#define FG_TESTRUN_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_common.h"

/* Set before load: record each packet's verdict in .bss so that user space
 * can read it per BPF_PROG_TEST_RUN. Being rodata, the verifier removes
 * the stores when it is off. */
const volatile __u8 fg_record_last = 0;
__u32 fg_last_reason = 0;
__u32 fg_last_hits = 0;
/* The packet's length on the wire when the frame handed to
 * BPF_PROG_TEST_RUN is shorter (a capture's snaplen, or cut to what a test
 * run accepts). 0: the frame is the whole packet. With FG_WIRE_SET, the
 * rest is the length even if shorter than the frame (padded runts). */
__u32 fg_wire_len = 0;

/* Where the packet ends on the wire: data_end, except for a recorded
 * packet of which the frame holds only the first bytes. Bounded
 * (FG_MAX_WIRE) so that data + len stays a packet pointer the verifier can
 * follow. rec: fg_record_last, or a constant where the caller has tested
 * it. */
static __always_inline void *fg_wire_end(void *data, void *data_end, int rec)
{
	__u32 len;

	/* fg_wire_len read only when recording: the verifier removes the
	 * branch on the rodata, not a load before it. */
	if (!rec)
		return data_end;
	len = fg_wire_len;
	if (!len)
		return data_end;
	if (!(len & FG_WIRE_SET) && len <= (__u32)(data_end - data))
		return data_end;
	len &= ~FG_WIRE_SET;
	if (len > FG_MAX_WIRE)
		len = FG_MAX_WIRE;
	return data + len;
}

#endif /* FG_TESTRUN_BPF_H */
