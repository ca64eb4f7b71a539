/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX exporter: the metering side (export.c: sweeps of a flow source,
 * flow_src.h; timeouts; the export shadow that makes restarts safe) and
 * the exporting side (exp_out.c: one IPFIX session per collector or file,
 * with its own sequence numbers, templates and TCP spool).
 */
#ifndef FG_EXPORT_H
#define FG_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "fg_common.h"
#include "ipfix.h"

#include "fg.h"

#define FG_EXP_MAX_OUTS (FG_MAX_COLLECTORS + 1) /* and a file */

enum fg_out_kind {
	FG_OUT_UDP = 1,
	FG_OUT_TCP = 2,
	FG_OUT_FILE = 3,
};

/* How the sampling rate is announced (options records). */
enum fg_samp_style {
	FG_SAMP_LEGACY = 1, /* samplingInterval (34): every collector */
	FG_SAMP_PSAMP = 2, /* samplingPacketInterval/Space (305/306) */
	FG_SAMP_BOTH = 3,
	FG_SAMP_OFF = 4,
};

/* Everything `flowgate export` is told (command line or config file). */
struct fg_exp_settings {
	char urls[FG_EXP_MAX_OUTS][FG_URL_LEN]; /* udp:// tcp:// */
	int nurls;
	char file[256]; /* "" for none */
	__u32 active_s; /* long-lived flows: a delta every active_s */
	__u32 idle_s; /* no packet for idle_s: the flow ends */
	__u32 refresh_s; /* templates and options, UDP */
	__u32 domain; /* observation domain ID */
	__u32 mtu; /* UDP: message + IP + UDP headers fit in it */
	__u64 spool_bytes; /* TCP: messages kept while disconnected */
	__u32 tick_ms; /* sweep period */
	/* records of a sweep in key order, so that two runs over the same
	 * flows write the same bytes (a hash table's order differs) */
	bool sorted;
	__u8 tcp_flags_len; /* 1 or 2 octets */
	__u8 samp_style; /* enum fg_samp_style */
	__u32 pen; /* enterprise number of flowgate's IEs; 0: none */
	bool rtt; /* RTT IEs (sock_ops, `flowgate rtt enable`) in records */
	char config[256]; /* settings file re-read on SIGHUP; "" none */
	/* after this many UDP datagrams in a row, a 1 ms pause, so that a
	 * collector on the same host keeps up with sweeps far faster than
	 * real time (0: never pause) */
	__u32 udp_burst;
	/* told of every record handed to the outputs (NULL: none) */
	void (*on_record)(const struct ipfix_flow *f, void *ctx);
	void *record_ctx;
};

void fg_exp_settings_default(struct fg_exp_settings *s);
struct fg_cfg_export;
void fg_exp_settings_from_cfg(struct fg_exp_settings *s,
			      const struct fg_cfg_export *x);
/* Pure grammar of `flowgate export ARGS`, unit-tested. Adds to s. */
int fg_args_export(int argc, char **argv, struct fg_exp_settings *s);

/*
 * Counters of one output, published in the pinned fg_expstats map for
 * `flowgate stats` (user space only, but it crosses bpf(): fixed layout).
 */
struct fg_exp_outstats {
	char url[FG_URL_LEN];
	__u64 messages; /* sent (UDP, file) or written to the socket (TCP) */
	__u64 records; /* data records in them (flows and options) */
	__u64 octets; /* IPFIX octets */
	__u64 lost_records; /* not sent: send error, spool overflow */
	__u64 lost_packets; /* flow packets in them */
	__u64 lost_octets;
	__u64 first_lost_ms, last_lost_ms; /* wall clock, 0: never */
	__u64 spool_bytes; /* TCP: waiting for the collector */
	__u64 spool_msgs;
	__u64 connects; /* TCP: connections made */
	__u32 kind; /* enum fg_out_kind */
	__u32 up; /* TCP: connected; UDP/file: 1 */
};

struct fg_exp_stats {
	__u32 pid;
	__u32 nouts;
	__u64 started_ms; /* wall clock */
	__u64 sweeps;
	__u64 sweep_ns; /* duration of the last sweep */
	__u64 flows; /* entries in the table at the last whole read */
	__u64 rec_active; /* flow records by flowEndReason */
	__u64 rec_idle;
	__u64 rec_end; /* TCP FIN/RST seen, then idle */
	__u64 rec_forced;
	__u64 rec_overflow; /* overflow aggregates (lack of resources) */
	__u64 packets; /* packets and octets in all flow records */
	__u64 octets;
	__u64 expired; /* flows deleted from the table */
	__u64 raced; /* packets counted after the final read of an
		      * expiring flow, exported as one more record */
	__u64 reads; /* sweeps that read the whole flow table */
	__u64 lookups; /* flows looked up one by one (the other sweeps) */
	__u64 read_sweep_ns; /* duration of the last sweep that read it */
	struct fg_exp_outstats out[FG_EXP_MAX_OUTS];
};

_Static_assert(sizeof(struct fg_exp_outstats) == FG_URL_LEN + 11 * 8 + 8,
	       "fg_exp_outstats layout");
_Static_assert(sizeof(struct fg_exp_stats) ==
		       8 + 16 * 8 + FG_EXP_MAX_OUTS *
						    sizeof(struct fg_exp_outstats),
	       "fg_exp_stats layout");

/*
 * The export shadow: per flow, what has been exported so far. Kept in
 * memory and mirrored in the pinned map fg_expstate after every sweep, so
 * that a new exporter process continues where the last one stopped.
 */
struct fg_exp_shadow {
	__u64 packets; /* exported so far */
	__u64 octets;
	__u64 first_ns; /* the flow entry it belongs to (its first packet) */
	__u64 export_ns; /* when its last delta was exported */
};

_Static_assert(sizeof(struct fg_exp_shadow) == 32, "fg_exp_shadow layout");

/* Shadow keys of the overflow aggregates: the flow key with this in pad. */
#define FG_EXP_OVF_MARK 0xffff

/* ---- outputs (exp_out.c) ---- */
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
	__u32 nifs; /* interfaces attached: ifindex and name */
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
const struct fg_exp_outstats *fg_out_stats(const struct fg_out *o);

/* ---- the metering side (export.c) ---- */
struct fg_exporter;

struct fg_flow_src;

/* What an exporter sweeps: the flows through a source, the rest by the
 * maps' fds (-1: none). */
struct fg_exp_maps {
	struct fg_flow_src *flows; /* stays the caller's */
	int overflow, ifstats, config;
	int state; /* export shadow, pinned; -1: keep it in memory only */
	int ifaces; /* fg_ifaces, for interface names; <= 0: none */
	/* ifindex of the guard rows of fg_ifstats' catch-all slot (programs
	 * loaded without a slot): 0, or the one interface of an instance
	 * that has no slot */
	__u32 other_ifindex;
};

int fg_exporter_new(struct fg_exporter **e, const struct fg_exp_settings *s,
		    const struct fg_exp_maps *maps);
void fg_exporter_free(struct fg_exporter *e);
/*
 * One sweep at monotonic time now_ns (the clock of the flows' times) with
 * wall clock wall_ms: export deltas of flows past the
 * active timeout, expire idle flows, export overflow aggregates. forced:
 * export every pending delta (flowEndReason forced end), for shutdown.
 */
int fg_exporter_sweep(struct fg_exporter *e, uint64_t now_ns, uint64_t wall_ms,
		      bool forced);
void fg_exporter_stats(const struct fg_exporter *e, struct fg_exp_stats *st);
int fg_exporter_nouts(const struct fg_exporter *e);
struct fg_out *fg_exporter_out(struct fg_exporter *e, int i);

/* ---- the export daemon over the pinned state (exp_daemon.c) ---- */
/* The settings afresh (SIGHUP): 0, or -errno and the old ones stay. */
typedef int (*fg_exp_reload_fn)(struct fg_exp_settings *s, void *ctx);
/* Export until SIGTERM or SIGINT; 0 or -errno (printed). */
int fg_exp_daemon_run(const struct fg_exp_settings *s,
		      fg_exp_reload_fn reload, void *ctx);

/* Records by flowEndReason, packets, octets, flows expired (the part of
 * the counters every report of an export prints). */
void fg_exp_records_print(const struct fg_exp_stats *e);
/* The running (or last) exporter's counters from the pinned fg_expstats:
 * 0, -ENOENT when there are none (never started, another layout). */
int fg_exp_stats_read(struct fg_exp_stats *st);
/* Its process is alive. */
bool fg_exp_running(const struct fg_exp_stats *st);
/* "udp", "tcp" or "file" (enum fg_out_kind). */
const char *fg_exp_out_kind(__u32 kind);
/* `flowgate stats` part: the exporter's counters, if one runs. */
void fg_exp_stats_print(void);

#endif /* FG_EXPORT_H */
