/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pcapng writer (draft-ietf-opsawg-pcapng): one section, interface
 * description blocks with a name and nanosecond timestamps, enhanced
 * packet blocks with the original length, the direction flags and a
 * comment. Little more than what `flowgate capture` writes; Wireshark,
 * tshark and libpcap read it, also from a pipe (nothing is ever
 * rewritten in place).
 */
#ifndef FG_CTL_PCAPNG_H
#define FG_CTL_PCAPNG_H

#include <stdio.h>
#include <linux/types.h>

#define FG_PCAPNG_LINKTYPE_ETHERNET 1

/* epb_flags: inbound / outbound (bits 0-1). */
#define FG_PCAPNG_IN  1
#define FG_PCAPNG_OUT 2

struct fg_pcapng {
	FILE *f;
	__u32 nifs; /* interface IDs given out */
	int err;    /* first write error (-errno), sticky */
};

/* Start a section on f (the section header block). */
int fg_pcapng_open(struct fg_pcapng *w, FILE *f, const char *app);
/* One interface description block; *id is its interface ID. desc may be
 * NULL. */
int fg_pcapng_idb(struct fg_pcapng *w, const char *name, const char *desc,
		  __u32 snaplen, __u32 *id);
/* One packet: ts_ns since the epoch, caplen bytes of data out of wire;
 * dir FG_PCAPNG_IN/OUT or 0; queue: the epb_queue option unless
 * (__u32)-1; comment may be NULL. */
int fg_pcapng_epb(struct fg_pcapng *w, __u32 ifid, __u64 ts_ns,
		  const void *data, __u32 caplen, __u32 wire, __u32 dir,
		  __u32 queue, const char *comment);
/* Flush; the first error of any write so far. */
int fg_pcapng_flush(struct fg_pcapng *w);

#endif /* FG_CTL_PCAPNG_H */
