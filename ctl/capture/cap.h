/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet capture on the user side: the selection grammar shared by
 * `flowgate capture` and `replay ... capture` (cap_args.c), and the sink
 * that turns ring records (include/fg_capture.h) into pcapng
 * (cap_sink.c, pcapng.c).
 */
#ifndef FG_CTL_CAPTURE_H
#define FG_CTL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "fg_common.h"
#include "pcapng.h"

/* Where a selection keyword is allowed. */
#define FG_CAP_LIVE   (1u << 0) /* flowgate capture */
#define FG_CAP_REPLAY (1u << 1) /* replay PCAP capture FILE */

struct fg_cap_args {
	const char *out;  /* write FILE|- (replay: capture FILE) */
	const char *dev;  /* live: dev DEV; NULL: every interface */
	__u32 verdicts;	  /* FG_CAP_PASS|FG_CAP_DROP; default drops */
	__u32 checks;	  /* reason NAME...: bit r */
	__u32 rule_id;	  /* rule ID; 0: any */
	__u32 sample;	  /* 1 in N; 0: all */
	__u32 pps, burst; /* limit PPS [burst N]; pps 0: none */
	__u32 snaplen;	  /* bytes per packet */
	__u64 count;	  /* stop after N packets written; 0: never */
	__u32 duration_s; /* live: stop after S seconds; 0: never */
	__u32 ring;	  /* replay: capture-ring SIZE; 0: default */
};

void fg_cap_args_init(struct fg_cap_args *a);
/* The selection keyword at argv[i]: the number of words it took (1 or 2),
 * 0 when argv[i] is none of those allowed in `where`, or -FG_EUSAGE
 * (printed). */
int fg_cap_arg(int argc, char **argv, int i, struct fg_cap_args *a,
	       unsigned int where);
/* A size in bytes: N, Nk, Nm, Ng (powers of 1024). */
int fg_cap_parse_size(const char *s, __u32 *out);
/* A ring size: a power of two from FG_CAP_RING_MIN to FG_CAP_RING_MAX;
 * -FG_EUSAGE (printed, naming kw) otherwise. */
int fg_cap_parse_ring(const char *kw, const char *s, __u32 *out);
/* The map value of a selection: everything but on, gen, owner and
 * ifindex, which the caller sets. */
void fg_cap_cfg_make(const struct fg_cap_args *a, struct fg_cap_cfg *cfg);

/* "verdict=drop reason=ip4-csum rule=0 flow=1a2b3c4d[ hits=a,b]" */
void fg_cap_comment(const struct fg_cap_rec *r, char *buf, size_t len);

#define FG_CAP_SINK_IFS 64

struct fg_cap_sink {
	struct fg_pcapng w;
	FILE *f;
	bool to_stdout;
	__u32 snaplen;
	__u64 count;	       /* stop writing after this many; 0: never */
	__u64 written;	       /* packets in the file */
	__u64 past_count;      /* captured after count was reached */
	__u64 malformed;       /* records shorter than they say (a bug) */
	__s64 mono_to_wall;    /* ns to add to a CLOCK_MONOTONIC stamp */
	const char *only_name; /* every record on this one interface
				* (replay), else by ifindex */
	__u32 only_id;
	struct {
		__u32 ifindex, id;
	} ifs[FG_CAP_SINK_IFS];
	__u32 nifs;
};

/* Open a.out ("-": stdout, which then takes the place of fd 1; what the
 * command prints from then on goes to stderr) and write the section
 * header. Errors printed. */
int fg_cap_sink_open(struct fg_cap_sink *s, const struct fg_cap_args *a);
/* The interface description of ifindex (named name) now, so that it
 * comes first; records of other interfaces get theirs when they come. */
int fg_cap_sink_iface(struct fg_cap_sink *s, __u32 ifindex, const char *name);
/* Replay: one interface, named name, described by desc. */
int fg_cap_sink_single(struct fg_cap_sink *s, const char *name,
		       const char *desc);
/* ring_buffer__new()'s callback: one record into the file. Never stops
 * the ring (past count, records are only counted). */
int fg_cap_sink_record(void *ctx, void *data, size_t size);
static inline bool fg_cap_sink_full(const struct fg_cap_sink *s)
{
	return s->count && s->written >= s->count;
}
/* Flush, and close the file; the first write error (printed). */
int fg_cap_sink_close(struct fg_cap_sink *s);

#endif /* FG_CTL_CAPTURE_H */
