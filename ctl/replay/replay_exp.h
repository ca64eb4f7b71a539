/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay's IPFIX export (replay_exp.c): the exporter of `flowgate export`
 * on replay's flow source, swept at every tick of the capture's clock.
 */
#ifndef FG_REPLAY_EXP_H
#define FG_REPLAY_EXP_H

#include <stdbool.h>
#include <linux/types.h>

struct fg_ft;
struct fg_flow_src;
struct fg_exporter;
struct fg_exp_maps;
struct fg_exp_stats;
struct fg_cfg_export;
struct fg_replay_args;

struct fg_rexp {
	struct fg_exporter *e;	 /* NULL: no export asked */
	struct fg_flow_src *src; /* over the flow table, exclusive */
	struct fg_ft *ft;
	int overflow, ovfarr;
	__u64 tick_ns;
	__u64 next_ns; /* the next sweep on the capture's clock; 0: none yet */
	__u64 now_ns;  /* the sweep running */
	__u64 sweeps;
	__u32 active_s, idle_s;
};

/* Outputs and timeouts from the command line, defaults from the config
 * file's [export] (cx, may be NULL); nothing when no output is asked. The
 * flows are read from replay's table ft (the caller's, to outlive x), the
 * rest from m (its flows unset). */
int fg_rexp_open(struct fg_rexp *x, const struct fg_replay_args *a,
		 const struct fg_cfg_export *cx, const struct fg_exp_maps *m,
		 struct fg_ft *ft);
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
/* -EIO, printed, when an output could not send every record. */
int fg_rexp_lost(const struct fg_rexp *x, const struct fg_exp_stats *st);
void fg_rexp_close(struct fg_rexp *x);

#endif /* FG_REPLAY_EXP_H */
