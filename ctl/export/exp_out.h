/* SPDX-License-Identifier: GPL-2.0 */
/* The exporter's outputs (exp_out.c): one IPFIX session per collector or
 * file, with its own sequence numbers, templates and TCP spool. */
#ifndef FG_EXP_OUT_H
#define FG_EXP_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "exp_settings.h"
#include "ipfix.h"

enum fg_out_kind {
	FG_OUT_UDP = 1,
	FG_OUT_TCP = 2,
	FG_OUT_FILE = 3,
};

/*
 * Counters of one output, published in the pinned fg_expstats map for
 * `flowgate stats` (user space only, but it crosses bpf(): fixed layout).
 */
struct fg_exp_outstats {
	char url[FG_URL_LEN];
	__u64 messages; /* sent (UDP, file) or written to the socket (TCP) */
	__u64 records;	/* data records in them (flows and options) */
	__u64 octets;	/* IPFIX octets */
	__u64 lost_records; /* not sent: send error, spool overflow */
	__u64 lost_packets; /* flow packets in them */
	__u64 lost_octets;
	__u64 first_lost_ms, last_lost_ms; /* wall clock, 0: never */
	__u64 spool_bytes;		   /* TCP: waiting for the collector */
	__u64 spool_msgs;
	__u64 connects; /* TCP: connections made */
	__u32 kind;	/* enum fg_out_kind */
	__u32 up;	/* TCP: connected; UDP/file: 1 */
};

_Static_assert(sizeof(struct fg_exp_outstats) == FG_URL_LEN + 11 * 8 + 8,
	       "fg_exp_outstats layout");

/* ---- outputs (exp_out.c) ---- */
/* UDP datagrams a batch (one sendmmsg()) at most: small MTUs reach it. */
#define FG_OUT_UDP_BATCH_MAX 64

struct fg_out;

/* Open an output for a URL (udp://HOST[:PORT], tcp://HOST[:PORT]) or, with
 * kind FG_OUT_FILE, a file path. TCP connects in the background. */
int fg_out_open(struct fg_out **out, enum fg_out_kind kind, const char *where,
		const struct fg_exp_settings *s, const struct ipfix_layout *l);
void fg_out_close(struct fg_out *o);
/* Start a batch at wall time now_ms: templates and options go first when
 * due (session start, refresh interval, idle gap). */
void fg_out_batch(struct fg_out *o, uint64_t now_ms);
/* Ask for the templates and options at the next batch (settings changed,
 * sampling changed). */
void fg_out_announce(struct fg_out *o);
int fg_out_flow(struct fg_out *o, const struct ipfix_flow *f);
/* Options records: all of them with the templates (session start,
 * refresh) or when forced (sampling changed); otherwise the guard rows that
 * moved and the reliability counters if they moved. */
struct fg_exp_opts {
	__u32 sampling; /* 1 in N, 1: none */
	__u32 nguard;
	const uint64_t (*guard)[IPFIX_GUARD_NVALS];
	const __u8 *guard_changed; /* row i moved since the last sweep */
	__u32 nifs;		   /* interfaces attached: ifindex and name */
	const __u32 *if_index;
	const char (*if_name)[16];
	bool ifs_changed;
};
void fg_out_options(struct fg_out *o, const struct fg_exp_opts *opts,
		    bool force);
/* End the batch: send or queue what is pending. */
void fg_out_flush(struct fg_out *o);
/* TCP: connect, write the spool; call when poll() says so, or on a tick. */
void fg_out_service(struct fg_out *o, uint64_t now_ms);
/* fd to poll and events wanted (-1: nothing to wait for). */
int fg_out_pollfd(const struct fg_out *o, short *events);
bool fg_out_idle(const struct fg_out *o); /* nothing left to send */
/* Give up what a TCP collector never took: counted lost; the records. */
__u64 fg_out_discard(struct fg_out *o);
const struct fg_exp_outstats *fg_out_stats(const struct fg_out *o);

#endif /* FG_EXP_OUT_H */
