// SPDX-License-Identifier: GPL-2.0
/*
 * replay ... ipfix FILE | collector URL: the IPFIX export of a replay. It
 * is the exporter core of `flowgate export` (export.c, exp_out.c) on the
 * replay's private maps, swept on the capture's clock instead of the
 * host's: a sweep at every whole tick (1 s) of the capture's time, run
 * before the first packet stamped at or after it, once every packet before
 * it is in the maps. Flow times are the packets' timestamps (the data path
 * writes them, fg_capture_clock), and export times, template timing and
 * timeouts all follow the same clock, so the records are those the daemon
 * would have sent had it watched the traffic live, and two replays write
 * the same bytes.
 *
 * A stretch of the capture with no packet costs no sweep once the table
 * is empty: the sweeps in between could export nothing. While flows
 * remain, every tick is swept, so each flow expires, and each active
 * timeout falls, at the tick where the daemon's would.
 *
 * The capture ends as the daemon would stop right after its last packet:
 * a forced sweep at the next tick exports what is left with flowEndReason
 * forced end (4).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fg.h"
#include "export.h"
#include "flow_src.h"
#include "flowtab.h"
#include "replay_exp.h"
#include "replay_args.h"

#define NS_MS 1000000ull
/* Datagrams in a row before a 1 ms pause: 64 x 1.5 KB fit any socket
 * buffer, and 64 000 datagrams a second is still 1.5 million records. */
#define REPLAY_UDP_BURST 64

static const char *end_reason(__u8 r)
{
	switch (r) {
	case IPFIX_END_IDLE:
		return "idle";
	case IPFIX_END_ACTIVE:
		return "active";
	case IPFIX_END_DETECTED:
		return "end";
	case IPFIX_END_FORCED:
		return "forced";
	default:
		return "lack_of_resources";
	}
}

static __u64 capture_ms(__u64 ns)
{
	return ns / NS_MS;
}

/* -j: every record as it goes out, with the sweep that sent it. */
static void print_record(const struct ipfix_flow *f, void *ctx)
{
	const struct fg_rexp *x = ctx;

	if (!fg_opts.json)
		return;
	out_line_begin();
	out_obj_open("record");
	out_time_ms("export_ms", x->now_ns / NS_MS);
	out_str("end_reason", end_reason(f->end_reason));
	fg_flow_print("flow", f->key, f->val, capture_ms);
	out_obj_close();
	out_line_end();
}

static int settings(struct fg_exp_settings *s, const struct fg_replay_args *a,
		    const struct fg_cfg_export *cx)
{
	int i;

	fg_exp_settings_default(s);
	fg_exp_settings_from_cfg(s, cx);
	s->log_losses = false; /* said once, at the end (fg_rexp_lost) */
	if (a->active_s)
		s->active_s = a->active_s;
	if (a->idle_s)
		s->idle_s = a->idle_s;
	if (s->idle_s > s->active_s)
		return fg_usage("idle-timeout (%u) above active-timeout (%u)",
				s->idle_s, s->active_s);
	for (i = 0; i < a->ncollectors; i++)
		snprintf(s->urls[i], sizeof(s->urls[i]), "%s", a->collector[i]);
	s->nurls = a->ncollectors;
	if (a->ipfix)
		snprintf(s->file, sizeof(s->file), "%s", a->ipfix);
	s->sorted = true; /* a hash table's order differs between runs */
	s->rtt = false;	  /* the host's sock_ops maps are not the capture's */
	s->udp_burst = REPLAY_UDP_BURST;
	return 0;
}

int fg_rexp_open(struct fg_rexp *x, const struct fg_replay_args *a,
		 const struct fg_cfg_export *cx, const struct fg_exp_maps *m,
		 struct fg_ft *ft)
{
	struct fg_exp_maps mm = *m;
	struct fg_exp_settings s;
	int fd, err;

	memset(x, 0, sizeof(*x));
	if (!a->ipfix && !a->ncollectors)
		return 0;
	err = settings(&s, a, cx);
	if (err)
		return err;
	/* A replay is one session: the file holds it alone (the daemon
	 * appends, one session after the other). */
	if (a->ipfix) {
		fd = open(a->ipfix, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0)
			return fg_error(-errno, "cannot open %s: %s", a->ipfix,
					fg_strerr(-errno));
		close(fd);
	}
	s.on_record = print_record;
	s.record_ctx = x;
	x->ft = ft;
	x->overflow = m->overflow;
	x->ovfarr = m->ovfarr;
	x->tick_ns = s.tick_ms * NS_MS;
	x->active_s = s.active_s;
	x->idle_s = s.idle_s;
	/* The table is replay's own, and nothing writes it while a sweep
	 * runs (the sweeps run between test runs): exclusive. */
	err = fg_flow_src_tab_new(&x->src, ft, true);
	if (err)
		return fg_error(err, "export: cannot read the flow table: %s",
				fg_strerr(err));
	mm.flows = x->src;
	return fg_exporter_new(&x->e, &s, &mm);
}

static int sweep(struct fg_rexp *x, __u64 now, bool forced)
{
	int err;

	x->now_ns = now;
	err = fg_exporter_sweep(x->e, now, now / NS_MS, forced);
	if (err)
		return fg_error(err, "export: cannot read the flow table: %s",
				fg_strerr(err));
	x->sweeps++;
	return 0;
}

static int any_flow(const struct fg_flow_key *k, const struct fg_flow_val *v,
		    void *ctx)
{
	return 1;
}

/* No flow and no overflow aggregate: a sweep would export nothing. */
static bool maps_empty(const struct fg_rexp *x)
{
	struct fg_ovf_ent *o = NULL;
	size_t n = 1;
	bool none = !fg_ft_walk(x->ft, any_flow, NULL) &&
		    !fg_ovf_read(x->ovfarr, x->overflow, &o, &n) && !n;

	free(o);
	return none;
}

int fg_rexp_tick(struct fg_rexp *x, __u64 now)
{
	__u64 last = now - now % x->tick_ns; /* latest tick at or before now */
	int err;

	/* The first packet: the exporter starts at the tick before it. */
	if (!x->next_ns)
		x->next_ns = last;
	while (x->next_ns <= now) {
		if (x->next_ns < last && maps_empty(x))
			x->next_ns = last;
		err = sweep(x, x->next_ns, false);
		if (err)
			return err;
		x->next_ns += x->tick_ns;
	}
	return 0;
}

/* TCP collectors: up to 5 s to take what is still spooled, as the
 * daemon gives them at shutdown. */
static void drain(struct fg_rexp *x)
{
	int i, t, busy = 1;

	for (t = 0; busy && t < 100; t++) {
		busy = 0;
		for (i = 0; i < fg_exporter_nouts(x->e); i++) {
			struct fg_out *o = fg_exporter_out(x->e, i);

			fg_out_service(o, x->now_ns / NS_MS);
			busy |= !fg_out_idle(o);
		}
		if (busy)
			usleep(50000);
	}
}

int fg_rexp_finish(struct fg_rexp *x)
{
	int i, err;

	if (!x->e || !x->next_ns)
		return 0; /* no export, or no packet: no session */
	err = sweep(x, x->next_ns, true);
	if (!err)
		drain(x);
	/* What a TCP collector did not take in time is lost: counted, so
	 * that the summary shows it and the replay fails. */
	for (i = 0; !err && i < fg_exporter_nouts(x->e); i++)
		fg_out_discard(fg_exporter_out(x->e, i));
	return err;
}

int fg_rexp_lost(const struct fg_rexp *x, const struct fg_exp_stats *st)
{
	__u32 i;

	for (i = 0; x->e && i < st->nouts && i < FG_EXP_MAX_OUTS; i++)
		if (st->out[i].lost_records)
			return fg_error(
				-EIO, "export: %llu records not sent to %s",
				(unsigned long long)st->out[i].lost_records,
				st->out[i].url);
	return 0;
}

void fg_rexp_close(struct fg_rexp *x)
{
	fg_exporter_free(x->e);
	x->e = NULL;
	fg_flow_src_free(x->src);
	x->src = NULL;
}
