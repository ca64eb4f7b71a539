// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's metering side: sweeps of the flow table, timeouts and the
 * export shadow.
 *
 * The data path only ever adds to a flow entry; the exporter never writes
 * to one. It remembers, per flow, what it has exported (the shadow), and
 * each sweep exports the difference:
 * - a flow with no packet for idle-timeout ends: its last delta is
 *   exported, then the entry is deleted with lookup-and-delete, and
 *   whatever arrived between the read and the delete (a packet racing the
 *   expiry) goes out as one more record: nothing is lost;
 * - a flow still active exports a delta every active-timeout and keeps its
 *   slot (its counters are never reset);
 * - overflow aggregates export deltas at the active timeout, with
 *   flowEndReason "lack of resources".
 * The shadow is mirrored into the pinned map fg_expstate after the records
 * of a sweep are handed to the outputs and before any entry is deleted.
 * ARCHITECTURE.md states what a crash at any point can duplicate or lose.
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

#define NS_MS 1000000ull
#define NS_S 1000000000ull
#define TCP_FIN 0x01
#define TCP_RST 0x04

/* ---- the shadow: open addressing, linear probing ------------------------ */

enum { SH_EMPTY, SH_USED, SH_GONE };

struct sh_ent {
	struct fg_flow_key key;
	__u8 state;
	__u8 dirty; /* changed this sweep: mirror it */
	__u32 gen; /* sweep that last saw its flow */
	struct fg_exp_shadow v;
};

struct shadow {
	struct sh_ent *t;
	size_t cap, used, gone; /* cap: power of two */
};

static __u64 key_hash(const struct fg_flow_key *k)
{
	const __u8 *p = (const __u8 *)k;
	__u64 h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static int sh_init(struct shadow *s, size_t want)
{
	size_t cap = 64;

	while (cap < want * 2)
		cap <<= 1;
	s->t = calloc(cap, sizeof(*s->t));
	s->cap = cap;
	s->used = s->gone = 0;
	return s->t ? 0 : -ENOMEM;
}

static struct sh_ent *sh_find(struct shadow *s, const struct fg_flow_key *k)
{
	size_t i = key_hash(k) & (s->cap - 1);

	for (;; i = (i + 1) & (s->cap - 1)) {
		struct sh_ent *e = &s->t[i];

		if (e->state == SH_EMPTY)
			return NULL;
		if (e->state == SH_USED && !memcmp(&e->key, k, sizeof(*k)))
			return e;
	}
}

/*
 * Full (live entries and tombstones past 3/4): rebuilt at twice the live
 * entries, so a table that only churns (flows expiring, others arriving)
 * is cleaned of its tombstones instead of doubling each time.
 */
static int sh_grow(struct shadow *s)
{
	struct shadow n;
	size_t i;

	if (sh_init(&n, s->used + 1))
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		struct sh_ent *e = &s->t[i], *d;
		size_t j;

		if (e->state != SH_USED)
			continue;
		for (j = key_hash(&e->key) & (n.cap - 1); n.t[j].state;
		     j = (j + 1) & (n.cap - 1))
			;
		d = &n.t[j];
		*d = *e;
		n.used++;
	}
	free(s->t);
	*s = n;
	return 0;
}

static struct sh_ent *sh_add(struct shadow *s, const struct fg_flow_key *k)
{
	struct sh_ent *e;
	size_t i;

	if ((s->used + s->gone + 1) * 4 > s->cap * 3 && sh_grow(s))
		return NULL;
	for (i = key_hash(k) & (s->cap - 1); s->t[i].state == SH_USED;
	     i = (i + 1) & (s->cap - 1))
		;
	e = &s->t[i];
	if (e->state == SH_GONE)
		s->gone--;
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->state = SH_USED;
	s->used++;
	return e;
}

static void sh_del(struct shadow *s, struct sh_ent *e)
{
	e->state = SH_GONE;
	s->used--;
	s->gone++;
}

/* ---- the exporter ------------------------------------------------------- */

/* Flows to delete after the sweep's records are out and mirrored. */
struct expiry {
	struct fg_flow_key key;
	struct fg_flow_val seen; /* what the sweep read and exported */
	__u8 reason;
};

struct fg_exporter {
	struct fg_exp_settings set;
	struct ipfix_layout layout;
	struct fg_exp_maps maps;
	struct shadow sh;
	struct fg_out *outs[FG_EXP_MAX_OUTS];
	int nouts;
	__u32 gen;
	__u64 now_ns, wall_off_ns; /* wall = mono + off */
	bool forced;
	__u32 sampling; /* last seen in fg_config */
	struct expiry *exp;
	size_t nexp, capexp;
	struct fg_flow_key *gone; /* mirror deletions */
	size_t ngone, capgone;
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
	struct fg_rtt_maps rtt; /* open while `flowgate rtt` is enabled */
	bool rtt_open;
	struct fg_exp_stats st;
	int ncpu;
};

static __u64 wall_ms(const struct fg_exporter *e, __u64 mono_ns)
{
	return (mono_ns + e->wall_off_ns) / NS_MS;
}

static void *grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void *q;

	if (n < *cap)
		return p;
	q = realloc(p, (*cap ? *cap * 2 : 256) * sz);
	if (q)
		*cap = *cap ? *cap * 2 : 256;
	return q;
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
	struct held *h;

	if (!e->set.sorted) {
		emit_now(e, k, delta, reason);
		return;
	}
	h = grow(e->held, &e->capheld, e->nheld, sizeof(*h));
	if (!h) {
		emit_now(e, k, delta, reason); /* unsorted beats lost */
		return;
	}
	e->held = h;
	e->held[e->nheld++] = (struct held){ *k, *delta, reason };
}

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c)
		return c;
	return x->val.first_ns < y->val.first_ns ? -1 :
	       x->val.first_ns > y->val.first_ns;
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
	*r = (struct ipfix_rtt){ v.min_us, v.max_us, fg_rtt_mean_us(&v),
				 v.samples };
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
		.key = k, .val = delta,
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

static void push_gone(struct fg_exporter *e, const struct fg_flow_key *k)
{
	struct fg_flow_key *g = grow(e->gone, &e->capgone, e->ngone,
				     sizeof(*g));

	if (!g)
		return; /* the mirror keeps a stale entry: harmless */
	e->gone = g;
	e->gone[e->ngone++] = *k;
}

/* The part of cur not exported yet, as a record value. */
static void delta_of(const struct fg_flow_val *cur, const struct sh_ent *s,
		     struct fg_flow_val *d)
{
	*d = *cur;
	if (!s)
		return;
	d->packets -= s->v.packets;
	d->octets -= s->v.octets;
	/* This delta's first packet came after the last export. */
	d->first_ns = s->v.export_ns > cur->first_ns ? s->v.export_ns :
						       cur->first_ns;
}

/* Remember that cur has been exported, and mirror it. */
static struct sh_ent *record_export(struct fg_exporter *e, struct sh_ent *s,
				    const struct fg_flow_key *k,
				    const struct fg_flow_val *cur)
{
	if (!s)
		s = sh_add(&e->sh, k);
	if (!s)
		return NULL;
	s->v.packets = cur->packets;
	s->v.octets = cur->octets;
	s->v.first_ns = cur->first_ns;
	s->v.export_ns = e->now_ns;
	s->gen = e->gen;
	s->dirty = 1;
	return s;
}

static void expire_later(struct fg_exporter *e, const struct fg_flow_key *k,
			 const struct fg_flow_val *cur, __u8 reason)
{
	struct expiry *x = grow(e->exp, &e->capexp, e->nexp, sizeof(*x));

	if (!x)
		return; /* retried at the next sweep */
	e->exp = x;
	e->exp[e->nexp++] = (struct expiry){ *k, *cur, reason };
}

static void sweep_flow(const void *key, const void *vals, int ncpu, void *ctx)
{
	struct fg_exporter *e = ctx;
	const struct fg_flow_key *k = key;
	struct fg_flow_val cur, d;
	struct sh_ent *s;
	__u64 idle_ns = e->set.idle_s * NS_S, act_ns = e->set.active_s * NS_S;
	/* Active timeout: the sweep nearest to it exports. Sweeps start a
	 * tick apart give or take a ms, so "now >= due" sent a flow every
	 * timeout or every timeout + a tick, by chance. */
	__u64 half_tick = e->set.tick_ms * NS_MS / 2;
	__u8 reason;

	fg_flow_sum(vals, ncpu, &cur);
	e->st.flows++;
	if (!cur.packets)
		return;
	s = sh_find(&e->sh, k);
	/* A shadow left by a flow that ended, for a new entry: forget it. */
	if (s && s->v.first_ns != cur.first_ns) {
		sh_del(&e->sh, s);
		s = NULL;
	}
	if (s)
		s->gen = e->gen;
	delta_of(&cur, s, &d);
	if (e->now_ns >= cur.last_ns + idle_ns && !e->forced) {
		reason = cur.tcp_flags & (TCP_FIN | TCP_RST) ?
				 IPFIX_END_DETECTED : IPFIX_END_IDLE;
		if (d.packets)
			emit(e, k, &d, reason);
		record_export(e, s, k, &cur);
		expire_later(e, k, &cur, reason);
		return;
	}
	if (!d.packets)
		return;
	if (e->forced) {
		emit(e, k, &d, IPFIX_END_FORCED);
		record_export(e, s, k, &cur);
	} else if (e->now_ns + half_tick >= d.first_ns + act_ns) {
		emit(e, k, &d, IPFIX_END_ACTIVE);
		record_export(e, s, k, &cur);
	}
}

/* Overflow aggregates: records without addresses or ports, so that the
 * collector's totals still add up. */
static void sweep_ovf(const void *key, const void *vals, int ncpu, void *ctx)
{
	const struct fg_ovf_key *ok = key;
	const struct fg_ovf_val *v = vals;
	struct fg_exporter *e = ctx;
	struct fg_flow_key k = { .ifindex = ok->ifindex, .dir = ok->dir,
				 .ip_ver = ok->ip_ver, .proto = ok->proto,
				 .pad = FG_EXP_OVF_MARK };
	struct fg_flow_val cur = { .ttl_min = 0 }, d;
	struct sh_ent *s;
	int c;

	for (c = 0; c < ncpu; c++) {
		cur.packets += v[c].packets;
		cur.octets += v[c].octets;
	}
	s = sh_find(&e->sh, &k);
	if (s) {
		s->gen = e->gen;
		cur.first_ns = s->v.first_ns;
	} else {
		cur.first_ns = e->now_ns; /* unknown: since now */
	}
	cur.last_ns = e->now_ns;
	delta_of(&cur, s, &d);
	if (!d.packets)
		return;
	if (!e->forced && s && e->now_ns < s->v.export_ns +
						   e->set.active_s * NS_S)
		return;
	k.pad = 0;
	emit(e, &k, &d, IPFIX_END_LACK_OF_RESOURCES);
	k.pad = FG_EXP_OVF_MARK;
	record_export(e, s, &k, &cur);
}

/* Sum a per-CPU flow value read by lookup-and-delete. */
static void sum_vals(struct fg_exporter *e, const void *vals,
		     struct fg_flow_val *v)
{
	fg_flow_sum(vals, e->ncpu, v);
}

/* Delete expired flows; what raced the delete is exported too. */
static void expire(struct fg_exporter *e)
{
	size_t vsz = (sizeof(struct fg_flow_val) + 7) / 8 * 8;
	void *vals = calloc(e->ncpu, vsz);
	struct fg_flow_val last, d;
	size_t i;

	for (i = 0; vals && i < e->nexp; i++) {
		struct expiry *x = &e->exp[i];
		struct sh_ent *s = sh_find(&e->sh, &x->key);

		if (bpf_map_lookup_and_delete_elem(e->maps.flows, &x->key,
						   vals))
			continue; /* gone already, or retried next sweep */
		e->st.expired++;
		sum_vals(e, vals, &last);
		if (last.packets > x->seen.packets) {
			d = last;
			d.packets -= x->seen.packets;
			d.octets -= x->seen.octets;
			d.first_ns = x->seen.last_ns;
			e->st.raced += d.packets;
			emit(e, &x->key, &d, x->reason);
		}
		if (s)
			sh_del(&e->sh, s);
		push_gone(e, &x->key);
	}
	free(vals);
	e->nexp = 0;
}

/* Shadow entries whose flow was not in this sweep's read are gone. */
static void collect(struct fg_exporter *e)
{
	size_t i;

	for (i = 0; i < e->sh.cap; i++) {
		struct sh_ent *s = &e->sh.t[i];

		if (s->state != SH_USED || s->gen == e->gen)
			continue;
		push_gone(e, &s->key);
		sh_del(&e->sh, s);
	}
}

/* Mirror the sweep's changes into fg_expstate, in batches. */
static void mirror(struct fg_exporter *e)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct fg_flow_key keys[256];
	struct fg_exp_shadow vals[256];
	__u32 n = 0, cnt;
	size_t i;

	for (i = 0; i < e->sh.cap; i++) {
		struct sh_ent *s = &e->sh.t[i];

		if (s->state != SH_USED || !s->dirty)
			continue;
		s->dirty = 0;
		keys[n] = s->key;
		vals[n++] = s->v;
		if (n == 256 || i + 1 == e->sh.cap) {
			cnt = n;
			if (e->maps.state >= 0)
				bpf_map_update_batch(e->maps.state, keys, vals,
						     &cnt, &o);
			n = 0;
		}
	}
	if (n && e->maps.state >= 0) {
		cnt = n;
		bpf_map_update_batch(e->maps.state, keys, vals, &cnt, &o);
	}
}

static void mirror_gone(struct fg_exporter *e)
{
	size_t i;

	/* One by one: a batch delete stops at the first missing key. */
	for (i = 0; e->maps.state >= 0 && i < e->ngone; i++)
		bpf_map_delete_elem(e->maps.state, &e->gone[i]);
	e->ngone = 0;
}

static void guard_one(const void *key, const void *vals, int ncpu, void *ctx)
{
	const struct fg_ifstats *v = vals;
	struct fg_exporter *e = ctx;
	__u32 slot = *(const __u32 *)key / 2, ifindex, r;
	int c;

	if (*(const __u32 *)key % 2 != FG_DIR_IN || slot >= FG_NSLOTS)
		return;
	/* A slot without a record is free (zeros), or an attach that has
	 * not recorded itself yet: its rows come with the next sweep. */
	ifindex = slot == FG_SLOT_OTHER ? e->maps.other_ifindex :
					  e->slot_if[slot];
	if (slot != FG_SLOT_OTHER && !ifindex)
		return;
	for (r = 1; r < FG_R_MAX; r++) {
		__u64 p = 0, b = 0;
		uint64_t(*g)[IPFIX_GUARD_NVALS];

		for (c = 0; c < ncpu; c++) {
			p += v[c].drop_packets[r];
			b += v[c].drop_bytes[r];
		}
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
				e->guard_changed[i] = e->prev[j][3] !=
						      e->guard[i][3];
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
	if (f->slot < FG_NSLOTS)
		e->slot_if[f->slot] = f->ifindex;
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
	if (e->maps.ifstats >= 0 && e->layout.guard.nfields)
		fg_map_walk_percpu(e->maps.ifstats, sizeof(__u32),
				   sizeof(struct fg_ifstats), guard_one, e);
	if (e->set.sorted && e->nguard)
		qsort(e->guard, e->nguard, sizeof(*e->guard), guard_cmp);
	guard_diff(e);
	*o = (struct fg_exp_opts){ samp, e->nguard,
				   (const uint64_t(*)[IPFIX_GUARD_NVALS])
					   e->guard,
				   e->guard_changed, 0, NULL, NULL, false };
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

/* Read both tables and export what is due; records out, nothing deleted. */
static int walk_tables(struct fg_exporter *e)
{
	int err;

	e->st.flows = 0;
	err = fg_map_walk_percpu(e->maps.flows, sizeof(struct fg_flow_key),
				 sizeof(struct fg_flow_val), sweep_flow, e);
	if (!err && e->maps.overflow >= 0)
		err = fg_map_walk_percpu(e->maps.overflow,
					 sizeof(struct fg_ovf_key),
					 sizeof(struct fg_ovf_val), sweep_ovf,
					 e);
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
	if (!walk_tables(e))
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
	bool samp_changed;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	e->gen++;
	e->now_ns = now_ns;
	e->wall_off_ns = wall * NS_MS - now_ns;
	e->forced = forced;
	rtt_reopen(e);
	samp_changed = read_options(e, &opts);
	if (samp_changed && e->st.sweeps)
		sampling_switch(e, wall, &opts);
	e->sampling = opts.sampling;
	outs_begin(e, wall, &opts, samp_changed);
	err = walk_tables(e);
	if (err) {
		e->nexp = 0;
		return err; /* a failed read: no deletion, nothing forgotten */
	}
	mirror(e); /* before any deletion: see ARCHITECTURE.md */
	expire(e);
	collect(e);
	mirror_gone(e);
	emit_held(e);
	outs_flush(e);
	e->st.sweeps++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	e->st.sweep_ns = (t1.tv_sec - t0.tv_sec) * NS_S + t1.tv_nsec -
			 t0.tv_nsec;
	return 0;
}

/* ---- setup -------------------------------------------------------------- */

static void load_one(const void *key, const void *val, int ncpu, void *ctx)
{
	struct fg_exporter *e = ctx;
	struct sh_ent *s = sh_add(&e->sh, key);

	if (s)
		s->v = *(const struct fg_exp_shadow *)val;
}

static int open_outs(struct fg_exporter *e)
{
	int i, err;

	for (i = 0; i < e->set.nurls; i++) {
		const char *u = e->set.urls[i];
		enum fg_out_kind k = strncmp(u, "tcp://", 6) ? FG_OUT_UDP :
							      FG_OUT_TCP;

		err = fg_out_open(&e->outs[e->nouts], k, u, &e->set,
				  &e->layout);
		if (err)
			return fg_error(err, "collector %s: %s", u,
					err == -EHOSTUNREACH ?
						"cannot resolve the host" :
						fg_strerr(err));
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
	e->ncpu = libbpf_num_possible_cpus();
	io = (struct ipfix_opts){ s->tcp_flags_len, s->pen, s->rtt };
	ipfix_layout_init(&e->layout, &io);
	/* Memory follows the flows exported, not the table's size. */
	err = sh_init(&e->sh, maps->max_flows + 4096 < 32768 ?
				      maps->max_flows + 4096 : 32768);
	if (!err && maps->state >= 0)
		err = fg_map_walk(maps->state, sizeof(struct fg_flow_key),
				  sizeof(struct fg_exp_shadow), false,
				  load_one, e);
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
	free(e->sh.t);
	free(e->exp);
	free(e->gone);
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
