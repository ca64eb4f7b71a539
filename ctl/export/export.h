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
#include "exp_settings.h"
#include "exp_out.h"

struct fg_exp_stats {
	__u32 pid;
	__u32 nouts;
	__u64 started_ms; /* wall clock */
	__u64 sweeps;
	__u64 sweep_ns;	  /* duration of the last sweep */
	__u64 flows;	  /* entries in the table at the last whole read */
	__u64 rec_active; /* flow records by flowEndReason */
	__u64 rec_idle;
	__u64 rec_end; /* TCP FIN/RST seen, then idle */
	__u64 rec_forced;
	__u64 rec_overflow; /* overflow aggregates (lack of resources) */
	__u64 packets;	    /* packets and octets in all flow records */
	__u64 octets;
	__u64 expired;	     /* flows deleted from the table */
	__u64 raced;	     /* packets counted after the final read of an
			      * expiring flow, exported as one more record */
	__u64 reads;	     /* sweeps that read the whole flow table */
	__u64 lookups;	     /* flows looked up one by one (the other sweeps) */
	__u64 read_sweep_ns; /* duration of the last sweep that read it */
	struct fg_exp_outstats out[FG_EXP_MAX_OUTS];
};

_Static_assert(sizeof(struct fg_exp_stats) ==
		       8 + 16 * 8 +
			       FG_EXP_MAX_OUTS * sizeof(struct fg_exp_outstats),
	       "fg_exp_stats layout");

/*
 * The export shadow: per flow, what has been exported so far. Kept in
 * memory and mirrored in the pinned map fg_expstate after every sweep, so
 * that a new exporter process continues where the last one stopped (and
 * `flow flush` can say what it deletes that was never exported).
 */
struct fg_exp_shadow {
	__u64 packets; /* exported so far */
	__u64 octets;
	__u64 first_ns;	 /* the flow entry it belongs to (its first packet) */
	__u64 export_ns; /* when its last delta was exported */
};

_Static_assert(sizeof(struct fg_exp_shadow) == 32, "fg_exp_shadow layout");

/* Shadow keys of the overflow aggregates: the flow key with this in pad. */
#define FG_EXP_OVF_MARK 0xffff

/*
 * The pinned mirror fg_expstate (exp_state.c): a BPF_F_MMAPABLE array of
 * rows, row i the shadow of the exporter's index entry i (row 0 unused),
 * which the exporter writes through its mapping after each sweep: plain
 * stores, no syscall per flow. seq is 0 for an empty row, odd while a row
 * is written for another flow entry, even (>= 2) when key and v belong
 * together; a row of the same flow entry is updated in place, each counter
 * then the old or the new value, and the old one only repeats what the
 * running sweep exported.
 */
struct fg_exp_row {
	struct fg_flow_key key;
	__u32 seq;
	struct fg_exp_shadow v;
};

_Static_assert(sizeof(struct fg_exp_row) == 88, "fg_exp_row layout");

/* Rows the mirror needs for a flow table of max_flows (and the overflow
 * aggregates, and entries the index holds a while after their flow). */
#define FG_EXP_ROWS(max_flows) ((max_flows) + 4096u + 1u)

/* The pinned mirror with at least rows rows, made, or migrated from an
 * older layout (the hash of shadows by key, or a smaller array) without
 * losing a shadow: the fd, or -errno (said). */
int fg_exp_state_open(__u32 rows);
/* Its rows mapped (*n of them; unmap with fg_exp_state_unmap): 0 or -errno. */
int fg_exp_state_map(int fd, bool write, struct fg_exp_row **rows, __u32 *n);
void fg_exp_state_unmap(struct fg_exp_row *rows, __u32 n);
/* Every shadow of the pinned fg_expstate (any layout), sorted by key, for
 * a reader that looks flows up (`flow flush`): 0 (*rows NULL, *n 0 when
 * there is none) or -errno. */
int fg_exp_state_read(struct fg_exp_row **rows, size_t *n);
const struct fg_exp_shadow *fg_exp_state_find(const struct fg_exp_row *rows,
					      size_t n,
					      const struct fg_flow_key *k);

/* ---- the metering side (export.c) ---- */
struct fg_exporter;

struct fg_flow_src;

/* What an exporter sweeps: the flows through a source, the rest by the
 * maps' fds (-1: none). */
struct fg_exp_maps {
	struct fg_flow_src *flows; /* stays the caller's */
	int overflow, ifstats, config;
	int state;  /* fg_expstate (fg_exp_state_open); -1: in memory only */
	int ifaces; /* fg_ifaces, for interface names; <= 0: none */
	/* ifindex of the guard rows of fg_ifstats' catch-all slot (programs
	 * loaded without a slot): 0, or the one interface of an instance
	 * that has no slot */
	__u32 other_ifindex;
	int ovfarr; /* fg_ovfarr, read with overflow; <= 0: none */
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
int fg_exp_daemon_run(const struct fg_exp_settings *s, fg_exp_reload_fn reload,
		      void *ctx);

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
