/* SPDX-License-Identifier: GPL-2.0 */
/* Inside `flowgate replay`: reading a capture (capture.c) for replay.c. */
#ifndef FG_CTL_REPLAY_H
#define FG_CTL_REPLAY_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/if_ether.h>

struct pcap;

struct fg_capture {
	const char *path;
	struct pcap *pcap;
	int dlt;
	__u64 index; /* packets read so far: the current one, 1-based */
	/* A classic pcap file mapped (capture.c): records read in place
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

/*
 * replay's IPFIX export (replay_exp.c): the exporter core of `flowgate
 * export`, swept at every tick of the capture's clock.
 */
struct fg_exporter;
struct fg_exp_maps;
struct fg_cfg_export;
struct fg_replay_args;
struct fg_flow_src;
struct fg_take;

/* Replay's private flow table, for its exporter (replay_src.c). */
struct fg_replay_flows {
	int fd; /* fg_flows */
	struct fg_take *take; /* fg_take_buf, mmapped; NULL: no fg_take */
	int take_prog; /* fg_take */
};

/* The exporter's flow source over it (ctl/export/flow_src.h). */
int fg_replay_src_new(struct fg_flow_src **s, const struct fg_replay_flows *f);

struct fg_rexp {
	struct fg_exporter *e; /* NULL: no export asked */
	struct fg_flow_src *src;
	int flows, overflow;
	__u64 tick_ns;
	__u64 next_ns; /* the next sweep on the capture's clock; 0: none yet */
	__u64 now_ns;  /* the sweep running */
	__u64 sweeps;
	__u32 active_s, idle_s;
};

/* Outputs and timeouts from the command line, defaults from the config
 * file's [export] (cx, may be NULL); nothing when no output is asked. The
 * flows are read from f, the rest from m (its flows unset). */
int fg_rexp_open(struct fg_rexp *x, const struct fg_replay_args *a,
		 const struct fg_cfg_export *cx, const struct fg_exp_maps *m,
		 const struct fg_replay_flows *f);
/* A sweep is due before a packet at capture time now. */
static inline bool fg_rexp_due(const struct fg_rexp *x, __u64 now)
{
	return x->e && now >= x->next_ns;
}
/* The sweeps of the ticks up to now; every earlier packet is in the
 * maps. */
int fg_rexp_tick(struct fg_rexp *x, __u64 now);
/* End of the capture: the forced sweep at the next tick. */
int fg_rexp_finish(struct fg_rexp *x);
struct fg_exp_stats;
/* -EIO, printed, when an output could not send every record. */
int fg_rexp_lost(const struct fg_rexp *x, const struct fg_exp_stats *st);
void fg_rexp_close(struct fg_rexp *x);

/* Replay a capture as the arguments say and print the report (replay.c). */
int fg_replay_run(const struct fg_replay_args *a);

#endif /* FG_CTL_REPLAY_H */
