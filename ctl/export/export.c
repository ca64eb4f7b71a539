// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's metering side: sweeps of the flow table, timeouts and the
 * export shadow.
 *
 * The data path only ever adds to a flow's counters; the exporter never
 * writes them. It remembers, per flow, what it has exported (the shadow),
 * and each sweep exports the difference:
 * - a flow with no packet for idle-timeout ends: its last delta is
 *   exported, then the flow is ended in the table, which acknowledges
 *   exactly the counters read at that moment, and whatever arrived
 *   between the sweep's read and the end (a packet racing the expiry)
 *   goes out as one more record; a packet after the end is a new flow of
 *   the table's, read next time: nothing is lost;
 * - a flow still active exports a delta every active-timeout and keeps its
 *   slot (its counters are never reset);
 * - overflow aggregates export deltas at the active timeout, with
 *   flowEndReason "lack of resources".
 * The shadow is mirrored into the pinned map fg_expstate after the records
 * of a sweep are handed to the outputs and before any flow is ended.
 * ARCHITECTURE.md states what a crash at any point can duplicate or lose.
 *
 * Shadows live in an index of every flow read (exp_index.c) that knows
 * when each flow can first be due: a sweep looks up only those, and reads
 * the whole table only when a flow the index has not seen could be due
 * (next_read()), so that a large table costs a read per idle timeout
 * instead of one per tick, with the same records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "export.h"
#include "exp_index.h"
#include "flow_src.h"

#define NS_MS	1000000ull
#define NS_S	1000000000ull
#define TCP_FIN 0x01
#define TCP_RST 0x04
/* How far the data path's clock (bpf/lib/fg_clock.bpf.h: jiffies times
 * the tick, or bpf_ktime_get_coarse_ns()) may lag CLOCK_MONOTONIC: about
 * one jiffy (10 ms at HZ=100), with room to spare. */
#define COARSE_LAG_NS (50 * NS_MS)

/* ---- the exporter ------------------------------------------------------- */

/* Flows to end after the sweep's records are out and mirrored. */
struct expiry {
	struct fg_flow_key key;
	struct fg_flow_val seen; /* what the sweep read and exported */
	__u8 reason;
	bool taken;	    /* ended already, when it was read (take_first()) */
	struct fx_ent *ent; /* its index entry (NULL: none) */
};

struct fg_exporter {
	struct fg_exp_settings set;
	struct ipfix_layout layout;
	struct fg_exp_maps maps;
	struct fg_flow_src *src; /* maps.flows: where flows are read */
	struct fx_index ix;	 /* flows read, shadows, due times */
	struct fg_out *outs[FG_EXP_MAX_OUTS];
	int nouts;
	__u32 gen;
	__u32 seen;		   /* entries of the index at gen (seen_now) */
	__u64 now_ns, wall_off_ns; /* wall = mono + off */
	bool forced;
	__u32 sampling; /* last seen in fg_config */
	struct expiry *exp;
	size_t nexp, capexp;
	struct fg_exp_row *rows; /* fg_expstate mapped; NULL: none */
	__u32 nrows;
	bool said_rows; /* logged that an entry had no row */
	uint64_t (*guard)[IPFIX_GUARD_NVALS];
	__u8 *guard_changed;
	__u32 nguard, capguard;
	uint64_t (*prev)[IPFIX_GUARD_NVALS]; /* last sweep's rows */
	__u32 nprev;
	struct held *held;
	size_t nheld, capheld;
	__u32 if_index[FG_MAX_IFACES]; /* attached interfaces, by ifindex */
	char if_name[FG_MAX_IFACES][16];
	__u32 nifs;
	__u32 slot_if[FG_NSLOTS]; /* fg_ifstats slot -> ifindex, 0: free */
	__u32 slot_top;		  /* the highest slot attached now */
	__u32 ovf_top;		  /* fg_ovfarr's slots a sweep reads */
	__u32 ovf_reads;	  /* reads of the overflow aggregate */
	struct fg_rtt_maps rtt;	  /* open while `flowgate rtt` is enabled */
	bool rtt_open;
	struct fg_exp_stats st;
	__u64 idle_ns, act_ns, half_tick;
	bool read_all;	 /* FLOWGATE_EXP_READ_ALL: every sweep reads all */
	bool did_read;	 /* this sweep read the whole table */
	__u32 walk_prev; /* the entry of the read's last flow */
	struct read_flow *bat; /* flows of the read not handled yet */
	size_t nbat;
	bool must_read;	    /* the index may miss a flow: read the table */
	__u64 next_read_ns; /* a flow the last read missed may be due */
	__u32 *due;	    /* ids of the flows a sweep looks up */
	size_t capdue;
	struct fg_flow_req *req; /* a fetch(): what to look up ... */
	struct fg_flow_got *got; /* ... and what it found */
	size_t fetch_max;	 /* entries of both */
};

static __u64 wall_ms(const struct fg_exporter *e, __u64 mono_ns)
{
	return (mono_ns + e->wall_off_ns) / NS_MS;
}

/* A record held back to be sorted (settings.sorted). */
struct held {
	struct fg_flow_key key;
	struct fg_flow_val val;
	__u8 reason;
};

static void emit_now(struct fg_exporter *e, const struct fg_flow_key *k,
		     const struct fg_flow_val *delta, __u8 reason);

static void emit(struct fg_exporter *e, const struct fg_flow_key *k,
		 const struct fg_flow_val *delta, __u8 reason)
{
	if (!e->set.sorted) {
		emit_now(e, k, delta, reason);
		return;
	}
	if (fg_grow(&e->held, &e->capheld, e->nheld, sizeof(*e->held), 256)) {
		emit_now(e, k, delta, reason); /* unsorted beats lost */
		return;
	}
	e->held[e->nheld++] = (struct held){*k, *delta, reason};
}

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c)
		return c;
	return x->val.first_ns < y->val.first_ns
		       ? -1
		       : x->val.first_ns > y->val.first_ns;
}

static void emit_held(struct fg_exporter *e)
{
	size_t i;

	qsort(e->held, e->nheld, sizeof(*e->held), held_cmp);
	for (i = 0; i < e->nheld; i++)
		emit_now(e, &e->held[i].key, &e->held[i].val,
			 e->held[i].reason);
	e->nheld = 0;
}

/* RTT of the TCP connection behind a flow, if sock_ops measured it. */
static bool rtt_of(struct fg_exporter *e, const struct fg_flow_key *k,
		   struct ipfix_rtt *r)
{
	struct fg_rtt_val v;

	if (!e->rtt_open || k->proto != 6 || k->pad == FG_EXP_OVF_MARK ||
	    fg_rtt_lookup(&e->rtt, k, &v))
		return false;
	*r = (struct ipfix_rtt){v.min_us, v.max_us, fg_rtt_mean_us(&v),
				v.samples};
	return true;
}

/* `flowgate rtt enable/disable` may come and go while we run: open the
 * maps afresh each sweep (two bpf_obj_get calls). */
static void rtt_reopen(struct fg_exporter *e)
{
	if (e->rtt_open)
		fg_rtt_maps_close(&e->rtt);
	e->rtt_open = e->set.rtt && !fg_rtt_maps_open(&e->rtt);
}

static void emit_now(struct fg_exporter *e, const struct fg_flow_key *k,
		     const struct fg_flow_val *delta, __u8 reason)
{
	struct ipfix_rtt rtt;
	struct ipfix_flow f = {
		.key = k,
		.val = delta,
		.start_ms = wall_ms(e, delta->first_ns),
		.end_ms = wall_ms(e, delta->last_ns),
		.end_reason = reason,
	};
	int i;

	if (rtt_of(e, k, &rtt))
		f.rtt = &rtt;
	for (i = 0; i < e->nouts; i++)
		fg_out_flow(e->outs[i], &f);
	if (e->set.on_record)
		e->set.on_record(&f, e->set.record_ctx);
	e->st.packets += delta->packets;
	e->st.octets += delta->octets;
	switch (reason) {
	case IPFIX_END_ACTIVE:
		e->st.rec_active++;
		break;
	case IPFIX_END_IDLE:
		e->st.rec_idle++;
		break;
	case IPFIX_END_DETECTED:
		e->st.rec_end++;
		break;
	case IPFIX_END_FORCED:
		e->st.rec_forced++;
		break;
	default:
		e->st.rec_overflow++;
	}
}

/* The shadow of an index entry, if it has one. */
static const struct fg_exp_shadow *shadow_of(const struct fx_ent *s)
{
	return s && (s->flags & FX_SHADOW) ? &s->v : NULL;
}

/* The part of cur not exported yet, as a record value. */
static void delta_of(const struct fg_flow_val *cur,
		     const struct fg_exp_shadow *sh, struct fg_flow_val *d)
{
	*d = *cur;
	if (!sh)
		return;
	d->packets -= sh->packets;
	d->octets -= sh->octets;
	/* This delta's first packet came after the last export. */
	d->first_ns =
		sh->export_ns > cur->first_ns ? sh->export_ns : cur->first_ns;
}

/* Entry s was seen in the table by this sweep. */
static void seen_now(struct fg_exporter *e, struct fx_ent *s)
{
	if (s->gen != e->gen)
		e->seen++;
	s->gen = e->gen;
}

/* Remember that cur has been exported, and mirror it. */
static struct fx_ent *record_export(struct fg_exporter *e, struct fx_ent *s,
				    const struct fg_flow_key *k,
				    const struct fg_flow_val *cur)
{
	if (!s)
		s = fx_add(&e->ix, k);
	if (!s)
		return NULL;
	s->v.packets = cur->packets;
	s->v.octets = cur->octets;
	s->v.first_ns = cur->first_ns;
	s->v.export_ns = e->now_ns;
	seen_now(e, s);
	s->flags |= FX_SHADOW;
	fx_mark_dirty(&e->ix, s);
	return s;
}

static void expire_later(struct fg_exporter *e, const struct fg_flow_key *k,
			 const struct fg_flow_val *cur, __u8 reason,
			 struct fx_ent *s)
{
	if (fg_grow(&e->exp, &e->capexp, e->nexp, sizeof(*e->exp), 256))
		return; /* retried at the next sweep */
	e->exp[e->nexp++] = (struct expiry){*k, *cur, reason, false, s};
}

/*
 * The earliest time this flow can be due, given what the table holds
 * now: idle at last_ns + idle-timeout, and packets only move last_ns
 * later; active at the delta's first packet + active-timeout (less half a
 * tick, see flow_sweep()), and that moves only with an export. Until
 * then a sweep need not look at the flow.
 */
static __u64 due_of(const struct fg_exporter *e, const struct fg_flow_val *cur,
		    const struct fx_ent *s)
{
	const struct fg_exp_shadow *sh = shadow_of(s);
	__u64 first = sh && sh->export_ns > cur->first_ns ? sh->export_ns
							  : cur->first_ns;
	__u64 idle = cur->last_ns + e->idle_ns;
	__u64 act = first + e->act_ns;

	act = act > e->half_tick ? act - e->half_tick : 0;
	return idle < act ? idle : act;
}

/* One flow of the table (cur: its CPUs summed) and its index entry s
 * (NULL: the index is out of memory): export what is due. */
static void flow_sweep(struct fg_exporter *e, const struct fg_flow_key *k,
		       struct fx_ent *s, const struct fg_flow_val *cur)
{
	const struct fg_exp_shadow *sh;
	struct fg_flow_val d;
	__u8 reason;

	if (s) {
		seen_now(e, s);
		s->flags &= ~FX_MISSED;
		/* A shadow left by a flow that ended, for a new entry:
		 * forget it. */
		if ((s->flags & FX_SHADOW) && s->v.first_ns != cur->first_ns)
			s->flags &= ~FX_SHADOW;
	}
	sh = shadow_of(s);
	delta_of(cur, sh, &d);
	if (e->now_ns >= cur->last_ns + e->idle_ns && !e->forced) {
		reason = cur->tcp_flags & (TCP_FIN | TCP_RST)
				 ? IPFIX_END_DETECTED
				 : IPFIX_END_IDLE;
		if (d.packets)
			emit(e, k, &d, reason);
		record_export(e, s, k, cur);
		expire_later(e, k, cur, reason, s);
	} else if (!d.packets) {
		/* nothing new */
	} else if (e->forced) {
		emit(e, k, &d, IPFIX_END_FORCED);
		record_export(e, s, k, cur);
	} else if (e->now_ns + e->half_tick >= d.first_ns + e->act_ns) {
		/* Active timeout: the sweep nearest to it exports. Sweeps
		 * start a tick apart give or take a ms, so "now >= due"
		 * sent a flow every timeout or every timeout + a tick, by
		 * chance. */
		emit(e, k, &d, IPFIX_END_ACTIVE);
		record_export(e, s, k, cur);
	}
	/* Expiring: due already, so looked at again next sweep should the
	 * end fail; ended, it leaves the wheel with its entry. */
	if (s) {
		__u64 due = due_of(e, cur, s);

		s->flags &= ~FX_IDLE;
		if (due == cur->last_ns + e->idle_ns)
			s->flags |= FX_IDLE;
		fx_schedule(&e->ix, s, due);
	}
}

/*
 * A whole read meets the flows in the table's order, which changes only
 * where flows come and go: the entry after the last one is most often the
 * one that came after it last time, found without the hash's probe into
 * an array as large as the table (a cache miss per flow).
 */
static struct fx_ent *walk_guess(struct fg_exporter *e,
				 const struct fg_flow_key *k)
{
	struct fx_ent *s;
	__u32 id;

	if (!e->walk_prev)
		return NULL;
	id = fx_ent(&e->ix, e->walk_prev)->walk_next;
	if (!id || id >= e->ix.top)
		return NULL;
	s = fx_ent(&e->ix, id);
	return s->used && !memcmp(&s->key, k, sizeof(*k)) ? s : NULL;
}

/*
 * A flow of a whole read whose entry walk_guess() finds is handled at
 * once. From one it misses on (a new flow: every flow of the first
 * read), flows are handled READ_BATCH at a time, in the read's order:
 * first each one's entry is guessed from the one before it or, where
 * that misses, its index slot is asked for; then they are handled, the
 * slots' cache misses waited for together instead of one by one.
 */
#define READ_BATCH 32

struct read_flow {
	struct fg_flow_key k;
	struct fg_flow_val v;
	struct fx_ent *s; /* guessed; NULL: look up by h */
	__u32 h;
};

static void batch_run(struct fg_exporter *e)
{
	__u32 read_prev = e->walk_prev, prev = e->walk_prev;
	struct read_flow *f;
	size_t i;

	for (i = 0; i < e->nbat; i++) { /* walk_guess() reads walk_prev */
		f = &e->bat[i];
		e->walk_prev = prev;
		f->s = walk_guess(e, &f->k);
		prev = f->s ? f->s->id : 0;
		if (!f->s) {
			f->h = (__u32)fx_hash(&f->k);
			fx_prefetch(&e->ix, f->h);
		}
	}
	e->walk_prev = read_prev;
	for (i = 0; i < e->nbat; i++) {
		f = &e->bat[i];
		if (!f->s)
			f->s = fx_get_h(&e->ix, &f->k, f->h);
		if (!f->s) {
			e->must_read =
				true; /* unknown to the index: read again */
		} else {
			if (e->walk_prev)
				fx_ent(&e->ix, e->walk_prev)->walk_next =
					f->s->id;
			e->walk_prev = f->s->id;
		}
		flow_sweep(e, &f->k, f->s, &f->v);
	}
	e->nbat = 0;
}

/* A flow of the whole table's read, its CPUs summed. */
static void sweep_flow(const struct fg_flow_key *k,
		       const struct fg_flow_val *cur, void *ctx)
{
	struct fg_exporter *e = ctx;
	struct read_flow *f;
	struct fx_ent *s;

	e->st.flows++;
	if (!cur->packets)
		return;
	/* Guessed right (a read like the last): at once. */
	if (!e->nbat && (s = walk_guess(e, k))) {
		fx_ent(&e->ix, e->walk_prev)->walk_next = s->id;
		e->walk_prev = s->id;
		flow_sweep(e, k, s, cur);
		return;
	}
	f = &e->bat[e->nbat++];
	f->k = *k;
	f->v = *cur;
	if (e->nbat == READ_BATCH)
		batch_run(e);
}

/* Overflow aggregates: records without addresses or ports, so that the
 * collector's totals still add up. */
static void sweep_ovf(const void *key, const void *vals, int ncpu, void *ctx)
{
	const struct fg_ovf_key *ok = key;
	struct fg_exporter *e = ctx;
	struct fg_ovf_val sum;
	struct fg_flow_key k = {.ifindex = ok->ifindex,
				.dir = ok->dir,
				.ip_ver = ok->ip_ver,
				.proto = ok->proto,
				.pad = FG_EXP_OVF_MARK};
	struct fg_flow_val cur = {.ttl_min = 0}, d;
	struct fx_ent *s;

	fg_percpu_sum(vals, ncpu, sizeof(sum) / sizeof(__u64), (__u64 *)&sum);
	cur.packets = sum.packets;
	cur.octets = sum.octets;
	/* Overflow entries always have a shadow, and are never on the
	 * wheel: every sweep reads the (small) overflow table. */
	s = fx_find(&e->ix, &k);
	if (s) {
		seen_now(e, s);
		cur.first_ns = s->v.first_ns;
	} else {
		cur.first_ns = e->now_ns; /* unknown: since now */
	}
	cur.last_ns = e->now_ns;
	delta_of(&cur, shadow_of(s), &d);
	if (!d.packets)
		return;
	if (!e->forced && s &&
	    e->now_ns < s->v.export_ns + e->set.active_s * NS_S)
		return;
	k.pad = 0;
	emit(e, &k, &d, IPFIX_END_LACK_OF_RESOURCES);
	k.pad = FG_EXP_OVF_MARK;
	record_export(e, s, &k, &cur);
}

/*
 * An entry leaves the index: its flow is no longer in the table, so its
 * row is emptied at once (its id may go to another flow next). Until then
 * a restart would only load a shadow that the first read drops.
 */
static void drop_ent(struct fg_exporter *e, struct fx_ent *s)
{
	if (s->used && s->gen == e->gen)
		e->seen--;
	if (s->flags & FX_ROW)
		__atomic_store_n(&e->rows[s->id].seq, 0, __ATOMIC_RELEASE);
	fx_del(&e->ix, s);
}

/* A flow no longer in the table. */
static void forget(struct fg_exporter *e, struct fx_ent *s)
{
	drop_ent(e, s);
}

/* Do e->req[0..n), n <= e->fetch_max, into e->got. */
static void fetch(struct fg_exporter *e, size_t n)
{
	if (n)
		e->src->ops->fetch(e->src, e->req, e->got, n, e->now_ns,
				   e->idle_ns);
}

/* One expired flow: taken already, or its end's result g. */
static void expire_one(struct fg_exporter *e, struct expiry *x,
		       const struct fg_flow_got *g)
{
	struct fg_flow_val last, d;

	if (x->taken)
		last = x->seen;
	else if (g->err)
		return; /* gone already, or retried next sweep */
	else
		last = g->cur;
	e->st.expired++;
	if (last.first_ns != x->seen.first_ns) {
		/* Another reader (flow flush) ended the flow read, and what
		 * this end took came after: a flow of its own. */
		e->st.raced += last.packets;
		emit(e, &x->key, &last, x->reason);
	} else if (last.packets > x->seen.packets) {
		d = last;
		d.packets -= x->seen.packets;
		d.octets -= x->seen.octets;
		d.first_ns = x->seen.last_ns;
		e->st.raced += d.packets;
		emit(e, &x->key, &d, x->reason);
	}
	if (x->ent)
		drop_ent(e, x->ent);
}

/* End expired flows, fetch_max at a time; what raced an end is exported
 * too. */
static void expire(struct fg_exporter *e)
{
	size_t i, j, k, m;

	for (i = 0; i < e->nexp; i = j) {
		for (j = i, m = 0; j < e->nexp && m < e->fetch_max; j++)
			if (!e->exp[j].taken)
				e->req[m++] = (struct fg_flow_req){
					&e->exp[j].key, FG_FETCH_DELETE};
		fetch(e, m);
		for (k = i, m = 0; k < j; k++)
			expire_one(e, &e->exp[k],
				   e->exp[k].taken ? NULL : &e->got[m++]);
	}
	e->nexp = 0;
}

/*
 * A read skips a slot that the data path kept rewriting through all of
 * the read's retries (ctl/lib/flowtab.c): an entry is forgotten only when
 * two reads in a row miss its flow, lest a flow still there lose its
 * shadow and be exported whole again.
 */
static void collect_one(struct fx_ent *s, void *ctx)
{
	struct fg_exporter *e = ctx;

	if (s->gen == e->gen)
		return;
	if (s->flags & FX_MISSED)
		forget(e, s);
	else
		s->flags |= FX_MISSED;
}

/* After a read of the whole table: entries whose flow was not in it are
 * gone. (A sweep that looks up flows one by one forgets those it does not
 * find; the others wait for the next whole read.) When the read saw every
 * entry there is none to look for: no pass over the index. */
static void collect(struct fg_exporter *e)
{
	if (e->seen != e->ix.used)
		fx_each(&e->ix, collect_one, e);
}

/* An entry whose id is past the mirror's rows: its shadow is kept in
 * memory only, and a restart exports its flow whole again. Said once. */
static void no_row(struct fg_exporter *e, const struct fx_ent *s)
{
	char t[256];

	if (e->said_rows)
		return;
	e->said_rows = true;
	snprintf(t, sizeof(t),
		 "export: more flows than the export state's %u rows; after "
		 "a restart, flows beyond them are exported whole again",
		 e->nrows - 1);
	fg_logt(FG_LOG_WARN, "state_rows", t, "rows=%u\tid=%u", e->nrows - 1,
		s->id);
}

/*
 * Row s->id := s's shadow. The same flow entry (same first packet) as
 * the row holds: the counters in place, each of them then old or new,
 * never torn within itself. Another one: the row's seq is odd while it is
 * written, so that a crash in between leaves an empty row, not a key with
 * another flow's counters (which would hide packets never exported).
 */
static void mirror_one(struct fx_ent *s, void *ctx)
{
	struct fg_exporter *e = ctx;
	struct fg_exp_row *r;
	__u32 seq;

	if (!(s->flags & FX_SHADOW))
		return;
	if (s->id >= e->nrows) {
		no_row(e, s);
		return;
	}
	r = &e->rows[s->id];
	if ((s->flags & FX_ROW) && r->v.first_ns == s->v.first_ns) {
		r->v.packets = s->v.packets;
		r->v.octets = s->v.octets;
		r->v.export_ns = s->v.export_ns;
		return;
	}
	seq = (r->seq | 1) + 2; /* odd, and not what a reader saw before */
	__atomic_store_n(&r->seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->key = s->key;
	r->v = s->v;
	__atomic_store_n(&r->seq, seq + 1, __ATOMIC_RELEASE);
	s->flags |= FX_ROW;
}

/* Mirror the sweep's changes (the dirty list) into fg_expstate: stores
 * into its mapping. */
static void mirror(struct fg_exporter *e)
{
	if (e->rows)
		fx_each_dirty(&e->ix, mirror_one, e);
	else
		fx_each_dirty(&e->ix, NULL, NULL);
}

static void guard_one(const void *key, const void *vals, int ncpu, void *ctx)
{
	struct fg_exporter *e = ctx;
	__u32 slot = *(const __u32 *)key / 2, ifindex, r;
	struct fg_ifstats v;

	if (*(const __u32 *)key % 2 != FG_DIR_IN || slot >= FG_NSLOTS)
		return;
	/* A slot without a record is free (zeros), or an attach that has
	 * not recorded itself yet: its rows come with the next sweep. */
	ifindex = slot == FG_SLOT_OTHER ? e->maps.other_ifindex
					: e->slot_if[slot];
	if (slot != FG_SLOT_OTHER && !ifindex)
		return;
	fg_percpu_sum(vals, ncpu, sizeof(v) / sizeof(__u64), (__u64 *)&v);
	for (r = 1; r < FG_R_MAX; r++) {
		__u64 p = v.drop_packets[r], b = v.drop_bytes[r];
		uint64_t(*g)[IPFIX_GUARD_NVALS];

		if (!p)
			continue;
		if (e->nguard == e->capguard) {
			__u8 *ch = realloc(e->guard_changed, e->capguard + 64);

			g = realloc(e->guard, (e->capguard + 64) * sizeof(*g));
			if (g)
				e->guard = g;
			if (ch)
				e->guard_changed = ch;
			if (!g || !ch)
				return;
			e->capguard += 64;
		}
		g = e->guard;
		g[e->nguard][0] = ifindex;
		g[e->nguard][1] = r;
		g[e->nguard][2] = ipfix_fwd_status(r);
		g[e->nguard][3] = p;
		g[e->nguard][4] = b;
		e->nguard++;
	}
}

static int guard_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Which guard rows moved since the last sweep (few rows: a scan). */
static void guard_diff(struct fg_exporter *e)
{
	__u32 i, j;

	for (i = 0; i < e->nguard; i++) {
		e->guard_changed[i] = 1;
		for (j = 0; j < e->nprev; j++)
			if (e->prev[j][0] == e->guard[i][0] &&
			    e->prev[j][1] == e->guard[i][1]) {
				e->guard_changed[i] =
					e->prev[j][3] != e->guard[i][3];
				break;
			}
	}
	free(e->prev);
	e->prev = e->nguard ? malloc(e->nguard * sizeof(*e->prev)) : NULL;
	e->nprev = e->prev ? e->nguard : 0;
	if (e->prev)
		memcpy(e->prev, e->guard, e->nguard * sizeof(*e->prev));
}

static void iface_one(const void *key, const void *val, int ncpu, void *ctx)
{
	const struct fg_iface *f = val;
	struct fg_exporter *e = ctx;
	__u32 i = e->nifs;

	if (i >= FG_MAX_IFACES)
		return;
	/* Kept sorted by ifindex: a list to compare from sweep to sweep. */
	while (i && e->if_index[i - 1] > f->ifindex) {
		e->if_index[i] = e->if_index[i - 1];
		memcpy(e->if_name[i], e->if_name[i - 1], 16);
		i--;
	}
	e->if_index[i] = f->ifindex;
	if (f->slot < FG_NSLOTS) {
		e->slot_if[f->slot] = f->ifindex;
		if (f->slot > e->slot_top)
			e->slot_top = f->slot;
	}
	memcpy(e->if_name[i], f->ifname, 16);
	e->if_name[i][15] = '\0';
	e->nifs++;
}

/* Interface names from what attach recorded; true when the list moved. */
static bool read_ifaces(struct fg_exporter *e)
{
	__u32 old_idx[FG_MAX_IFACES], n = e->nifs;
	char old_name[FG_MAX_IFACES][16];

	if (e->maps.ifaces <= 0)
		return false;
	memcpy(old_idx, e->if_index, n * sizeof(*old_idx));
	memcpy(old_name, e->if_name, n * 16);
	memset(e->slot_if, 0, sizeof(e->slot_if));
	e->slot_top = 0;
	e->nifs = 0;
	fg_map_walk(e->maps.ifaces, sizeof(__u32), sizeof(struct fg_iface),
		    false, iface_one, e);
	return n != e->nifs || memcmp(old_idx, e->if_index, n * 4) ||
	       memcmp(old_name, e->if_name, n * 16);
}

/* Options of this sweep: sampling in force, guard drops. */
static bool read_options(struct fg_exporter *e, struct fg_exp_opts *o)
{
	struct fg_config cfg = {};
	__u32 key = 0, samp;
	bool changed, ifs_changed;

	/* First: the guard rows name interfaces by their slot's record. */
	ifs_changed = read_ifaces(e);
	if (e->maps.config >= 0)
		bpf_map_lookup_elem(e->maps.config, &key, &cfg);
	samp = cfg.sampling > 1 ? cfg.sampling : 1;
	changed = samp != e->sampling; /* e->sampling: what was announced */
	e->nguard = 0;
	/* guard_one() takes the slots attached now and the catch-all: the
	 * entries above the highest (two a slot) are not copied. */
	if (e->maps.ifstats >= 0 && e->layout.guard.nfields)
		fg_map_walk_first(e->maps.ifstats, sizeof(__u32),
				  sizeof(struct fg_ifstats), true,
				  2 * (e->slot_top + 1), guard_one, e);
	if (e->set.sorted && e->nguard)
		qsort(e->guard, e->nguard, sizeof(*e->guard), guard_cmp);
	guard_diff(e);
	*o = (struct fg_exp_opts){
		samp,
		e->nguard,
		(const uint64_t(*)[IPFIX_GUARD_NVALS])e->guard,
		e->guard_changed,
		0,
		NULL,
		NULL,
		false};
	o->ifs_changed = ifs_changed;
	o->nifs = e->nifs;
	o->if_index = e->if_index;
	o->if_name = (const char(*)[16])e->if_name;
	return changed;
}

static void outs_flush(struct fg_exporter *e)
{
	int i;

	for (i = 0; i < e->nouts; i++)
		fg_out_flush(e->outs[i]);
}

static void outs_begin(struct fg_exporter *e, uint64_t wall,
		       const struct fg_exp_opts *opts, bool announce)
{
	int i;

	for (i = 0; i < e->nouts; i++) {
		fg_out_batch(e->outs[i], wall);
		fg_out_options(e->outs[i], opts, announce);
	}
}

/*
 * When a flow this read did not see can first be due: it was inserted
 * after the read began, so its first packet is at least now (less the
 * lag of the data path's coarse clock), and no flow is due sooner than
 * min(idle, active - half a tick) after its first packet. 0: at once.
 */
static __u64 next_read(const struct fg_exporter *e)
{
	__u64 act = e->act_ns > e->half_tick ? e->act_ns - e->half_tick : 0;
	__u64 span = e->idle_ns < act ? e->idle_ns : act;

	return span > COARSE_LAG_NS ? e->now_ns + span - COARSE_LAG_NS : 0;
}

/* Read the whole table: every flow, known to the index or not. */
static int read_flows(struct fg_exporter *e)
{
	int err;

	e->st.flows = 0;
	e->must_read = false;
	e->did_read = true;
	e->walk_prev = 0;
	err = e->src->ops->walk(e->src, sweep_flow, e);
	batch_run(e); /* what was read is handled, as when one fails */
	if (err) {
		e->must_read = true;
		return err;
	}
	e->st.reads++;
	e->next_read_ns = next_read(e);
	return 0;
}

/*
 * A flow due by its idle timeout is most often idle: with the table to
 * ourselves (an exclusive source) and no pinned shadow to mirror first,
 * it is read and, if idle (the sweep's own test), ended in one fetch
 * instead of a lookup now and an end in expire().
 */
static bool take_first(const struct fg_exporter *e, const struct fx_ent *s)
{
	return e->src->exclusive && e->maps.state < 0 && !e->forced &&
	       (s->flags & FX_IDLE);
}

/* A flow take_first() ended that did not expire: the same idle test says
 * it cannot be, or there was no memory to remember the expiry. What was
 * not exported goes out now rather than be lost, and the entry goes. */
static void ended_anyway(struct fg_exporter *e, struct fx_ent *s,
			 const struct fg_flow_val *cur)
{
	struct fg_flow_val d;

	delta_of(cur, shadow_of(s), &d);
	if (cur->packets > (shadow_of(s) ? s->v.packets : 0))
		emit(e, &s->key, &d, IPFIX_END_FORCED);
	forget(e, s);
}

/* A flow the index said can be due, and what its lookup found. */
static void due_one(struct fg_exporter *e, struct fx_ent *s,
		    const struct fg_flow_got *g)
{
	bool taken = g->ended;
	size_t nexp;

	e->st.lookups++;
	if (g->err) {
		if (g->err == -ENOENT)
			forget(e, s); /* ended under us (flow flush) */
		else
			fx_schedule(&e->ix, s, e->now_ns); /* again */
		return;
	}
	if (!g->cur.packets) {
		forget(e, s); /* as a read that skips it */
		return;
	}
	nexp = e->nexp;
	flow_sweep(e, &s->key, s, &g->cur);
	if (taken && e->nexp > nexp)
		e->exp[nexp].taken = true;
	else if (taken)
		ended_anyway(e, s, &g->cur);
}

/* Look up the n flows the index says can be due now, fetch_max at a
 * time (nothing in between changes what a lookup finds). */
static void lookup_due(struct fg_exporter *e, size_t n)
{
	size_t i, j, m;

	for (i = 0; i < n; i += m) {
		m = n - i < e->fetch_max ? n - i : e->fetch_max;
		for (j = 0; j < m; j++) {
			struct fx_ent *s = fx_ent(&e->ix, e->due[i + j]);

			e->req[j] = (struct fg_flow_req){
				&s->key, take_first(e, s) ? FG_FETCH_IDLE
							  : FG_FETCH_LOOKUP};
		}
		fetch(e, m);
		for (j = 0; j < m; j++)
			due_one(e, fx_ent(&e->ix, e->due[i + j]), &e->got[j]);
	}
}

/*
 * The overflow aggregate. fg_ovfarr is a per-CPU array of every slot's
 * entries, most of them never used: a sweep copies only the slots below
 * ovf_top, which covers every slot attached while we ran and every slot
 * a whole read found holding packets (an entry keeps its counts until
 * they are read, whatever becomes of its interface). It never shrinks:
 * an entry read once and then no longer would leave the index, and its
 * counts would go out whole again. The whole array is read at the first
 * sweep, at forced ones and every OVF_WHOLE reads, where a slot attached
 * and detached between two sweeps is found.
 */
#define OVF_WHOLE 64
static int ovf_sweep(struct fg_exporter *e)
{
	bool whole = e->forced || !(e->ovf_reads % OVF_WHOLE);
	__u32 used = 0;
	int err;

	if (e->slot_top >= e->ovf_top)
		e->ovf_top = e->slot_top + 1;
	err = fg_ovf_walk_slots(
		e->maps.ovfarr > 0 ? e->maps.ovfarr : -1, e->maps.overflow,
		whole ? FG_NSLOTS : e->ovf_top, &used, sweep_ovf, e);
	if (err)
		return err;
	e->ovf_reads++;
	if (used > e->ovf_top)
		e->ovf_top = used;
	return 0;
}

/*
 * Export what is due in both tables; records out, nothing ended. The
 * flow table is read whole when asked (full) or when the index holds too
 * many flows due: a lookup costs about as much as LOOKUP_COST entries of
 * a whole read (measured by bench/export.sh).
 */
#define LOOKUP_COST 2
static int walk_tables(struct fg_exporter *e, bool full)
{
	/* The table holds at least what the index knows of, and about what
	 * the last read found. */
	size_t table = e->ix.used > e->st.flows ? e->ix.used : e->st.flows;
	long n = 0;
	int err;

	if (!full) {
		n = fx_take_due(&e->ix, e->now_ns, &e->due, &e->capdue);
		full = n < 0 || (size_t)n * LOOKUP_COST > table;
	}
	if (full) {
		err = read_flows(e);
	} else {
		lookup_due(e, n);
		err = 0;
	}
	if (!err && e->maps.overflow >= 0)
		err = ovf_sweep(e);
	emit_held(e);
	outs_flush(e);
	return err;
}

/*
 * The sampling rate changed: what the table holds was counted at the old
 * rate, so it goes out first (flowEndReason forced end), under the old
 * announcement; the new rate is announced after. Packets counted between
 * the change and this sweep are the only ambiguity (one tick at most).
 */
static void sampling_switch(struct fg_exporter *e, uint64_t wall,
			    struct fg_exp_opts *opts)
{
	__u32 now_rate = opts->sampling;
	bool forced = e->forced;

	opts->sampling = e->sampling;
	outs_begin(e, wall, opts, false);
	memset(e->guard_changed, 0, e->nguard); /* sent: not again below */
	opts->ifs_changed = false;
	e->forced = true;
	if (!walk_tables(e, true))
		mirror(e);
	e->forced = forced;
	e->nexp = 0;
	opts->sampling = now_rate;
}

int fg_exporter_sweep(struct fg_exporter *e, uint64_t now_ns, uint64_t wall,
		      bool forced)
{
	struct fg_exp_opts opts;
	struct timespec t0, t1;
	bool samp_changed, full;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	e->gen++;
	e->seen = 0;
	e->now_ns = now_ns;
	e->wall_off_ns = wall * NS_MS - now_ns;
	e->forced = forced;
	e->did_read = false;
	rtt_reopen(e);
	samp_changed = read_options(e, &opts);
	if (samp_changed && e->st.sweeps)
		sampling_switch(e, wall, &opts);
	e->sampling = opts.sampling;
	outs_begin(e, wall, &opts, samp_changed);
	/* Anything but a plain sweep with an index that holds every flow
	 * that can be due reads the whole table (see next_read()). */
	full = e->read_all || e->must_read || forced || samp_changed ||
	       !e->st.reads || now_ns >= e->next_read_ns;
	err = walk_tables(e, full);
	if (err) {
		e->nexp = 0;
		return err; /* a failed read: no end, nothing forgotten */
	}
	mirror(e); /* before any flow ends: see ARCHITECTURE.md */
	expire(e);
	if (e->did_read)
		collect(e);
	emit_held(e);
	outs_flush(e);
	e->st.sweeps++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	e->st.sweep_ns =
		(t1.tv_sec - t0.tv_sec) * NS_S + t1.tv_nsec - t0.tv_nsec;
	if (e->did_read)
		e->st.read_sweep_ns = e->st.sweep_ns;
	return 0;
}

/* ---- setup -------------------------------------------------------------- */

/* Row id of a mirror a stopped exporter left: its shadow, under the same
 * id. A row being written when it stopped is empty; a key twice (never
 * written so) keeps the smaller shadow: a repeat rather than a loss. */
static void load_row(struct fg_exporter *e, __u32 id)
{
	struct fg_exp_row *r = &e->rows[id];
	struct fx_ent *s;

	if (r->seq & 1)
		r->seq = 0;
	if (!r->seq)
		return;
	s = fx_add_at(&e->ix, &r->key, id);
	if (s) {
		s->v = r->v;
		s->flags |= FX_SHADOW | FX_ROW;
		return;
	}
	s = fx_find(&e->ix, &r->key);
	if (s && r->v.packets < s->v.packets) {
		s->v = r->v;
		fx_mark_dirty(&e->ix, s);
	}
	r->seq = 0;
}

static int load_state(struct fg_exporter *e)
{
	__u32 i;
	int err = fg_exp_state_map(e->maps.state, true, &e->rows, &e->nrows);

	if (err)
		return fg_error(err, "cannot map the export state: %s",
				fg_strerr(err));
	for (i = 1; i < e->nrows; i++)
		load_row(e, i);
	return 0;
}

static int open_outs(struct fg_exporter *e)
{
	int i, err;

	for (i = 0; i < e->set.nurls; i++) {
		const char *u = e->set.urls[i];
		enum fg_out_kind k =
			strncmp(u, "tcp://", 6) ? FG_OUT_UDP : FG_OUT_TCP;

		err = fg_out_open(&e->outs[e->nouts], k, u, &e->set,
				  &e->layout);
		if (err)
			return fg_error(err, "collector %s: %s", u,
					err == -EHOSTUNREACH
						? "cannot resolve the host"
						: fg_strerr(err));
		e->nouts++;
	}
	if (e->set.file[0]) {
		err = fg_out_open(&e->outs[e->nouts], FG_OUT_FILE, e->set.file,
				  &e->set, &e->layout);
		if (err)
			return fg_error(err, "cannot open %s: %s", e->set.file,
					fg_strerr(err));
		e->nouts++;
	}
	return 0;
}

int fg_exporter_new(struct fg_exporter **out, const struct fg_exp_settings *s,
		    const struct fg_exp_maps *maps)
{
	struct fg_exporter *e = calloc(1, sizeof(*e));
	struct ipfix_opts io;
	int err;

	if (!e)
		return -ENOMEM;
	e->set = *s;
	e->maps = *maps;
	e->src = maps->flows;
	io = (struct ipfix_opts){s->tcp_flags_len, s->pen, s->rtt};
	ipfix_layout_init(&e->layout, &io);
	e->idle_ns = s->idle_s * NS_S;
	e->act_ns = s->active_s * NS_S;
	e->half_tick = s->tick_ms * NS_MS / 2;
	/* For comparisons (tests, bench): a read of the whole table every
	 * tick, whose records the index must give too. */
	e->read_all = getenv("FLOWGATE_EXP_READ_ALL") &&
		      strcmp(getenv("FLOWGATE_EXP_READ_ALL"), "0");
	e->fetch_max = e->src->fetch_max;
	e->req = calloc(e->fetch_max, sizeof(*e->req));
	e->got = calloc(e->fetch_max, sizeof(*e->got));
	e->bat = calloc(READ_BATCH, sizeof(*e->bat));
	if (!e->req || !e->got || !e->bat) {
		fg_exporter_free(e);
		return -ENOMEM;
	}
	/* Memory follows the flows in the table, not the table's size:
	 * the index starts small and doubles. */
	err = fx_init(&e->ix, 16384, s->tick_ms * NS_MS);
	if (!err && maps->state >= 0)
		err = load_state(e);
	if (!err)
		err = open_outs(e);
	if (err) {
		fg_exporter_free(e);
		return err;
	}
	e->st.pid = getpid();
	e->st.nouts = e->nouts;
	*out = e;
	return 0;
}

void fg_exporter_free(struct fg_exporter *e)
{
	int i;

	if (!e)
		return;
	for (i = 0; i < e->nouts; i++)
		fg_out_close(e->outs[i]);
	if (e->rtt_open)
		fg_rtt_maps_close(&e->rtt);
	fx_free(&e->ix);
	free(e->due);
	free(e->exp);
	free(e->req);
	free(e->got);
	free(e->bat);
	fg_exp_state_unmap(e->rows, e->nrows);
	free(e->guard);
	free(e->guard_changed);
	free(e->held);
	free(e->prev);
	free(e);
}

void fg_exporter_stats(const struct fg_exporter *e, struct fg_exp_stats *st)
{
	int i;

	*st = e->st;
	for (i = 0; i < e->nouts; i++)
		st->out[i] = *fg_out_stats(e->outs[i]);
}

int fg_exporter_nouts(const struct fg_exporter *e)
{
	return e->nouts;
}

struct fg_out *fg_exporter_out(struct fg_exporter *e, int i)
{
	return i < e->nouts ? e->outs[i] : NULL;
}
