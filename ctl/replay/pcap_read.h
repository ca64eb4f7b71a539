/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a capture (pcap_read.c): pcap and pcapng, every link type as an
 * Ethernet frame. */
#ifndef FG_CTL_PCAP_READ_H
#define FG_CTL_PCAP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/if_ether.h>

struct pcap;

struct fg_capture {
	const char *path;
	struct pcap *pcap;
	int dlt;
	__u64 index; /* packets read so far: the current one, 1-based */
	/* A classic pcap file mapped (pcap_read.c): records read in place
	 * while they are well-formed; NULL: libpcap reads. */
	const __u8 *map;
	size_t size, off;
	bool swapped, nsec;
};

/*
 * One packet as fg_xdp is to see it: an Ethernet frame made of hdr
 * (hdr_len bytes: 0 for Ethernet captures, else a synthetic Ethernet
 * header in place of the capture's link header) and data (len bytes, as
 * captured). wire is the frame's length on the wire, with the same header:
 * more than hdr_len + len when the capture's snaplen cut the packet.
 */
struct fg_frame {
	__u64 ns; /* capture timestamp, ns since the epoch */
	__u8 hdr[ETH_HLEN];
	__u32 hdr_len;
	const __u8 *data;
	__u32 len;
	__u32 wire;
};

/* Open a pcap or pcapng file of a supported link type; errors printed. */
int fg_capture_open(struct fg_capture *c, const char *path);
/* 1: *f is the next packet; 0: end of the capture; -errno: unreadable
 * (printed, naming the packet). */
int fg_capture_next(struct fg_capture *c, struct fg_frame *f);
void fg_capture_close(struct fg_capture *c);
/* How far into the file (size bytes) reading got, in percent; -1 unknown. */
int fg_capture_percent(struct fg_capture *c, long size);

#endif /* FG_CTL_PCAP_READ_H */
