// SPDX-License-Identifier: GPL-2.0
/*
 * flow dump [dev DEV] [proto P] [addr A] [port N]: the flows in the table,
 * read through its mapping (ctl/lib/flowtab.h: the data path never waits
 * on us), CPUs' regions summed, monotonic times turned into wall-clock
 * times. The overflow aggregates follow the flows, so that the totals add
 * up. flow flush ends flows by acknowledging them, as the exporter does.
 * An old layout's table (fg_flows, a per-CPU hash) is still read and
 * flushed, so that its flows can be emptied before attach replaces it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "cmds.h"
#include "export.h"
#include "flowtab.h"
#include "rules.h"

struct flow_filter {
	__u32 ifindex; /* 0: any */
	int proto;     /* -1: any */
	bool has_addr;
	__u8 addr[16];
	int port; /* -1: any */
};

static int parse_filter(int argc, char **argv, struct flow_filter *f)
{
	__u32 n;
	int i;

	memset(f, 0, sizeof(*f));
	f->proto = f->port = -1;
	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : 0;

		if (!val)
			return fg_usage("%s needs a value", kw);
		if (!strcmp(kw, "dev")) {
			f->ifindex = if_nametoindex(val);
			if (!f->ifindex)
				return fg_error(-ENODEV, "no such device '%s'",
						val);
		} else if (!strcmp(kw, "proto")) {
			f->proto = fg_proto_by_name(val);
			if (f->proto < 0)
				return fg_usage("unknown protocol '%s'", val);
		} else if (!strcmp(kw, "addr")) {
			if (fg_addr_parse(val, f->addr))
				return fg_usage("bad address '%s'", val);
			f->has_addr = true;
		} else if (!strcmp(kw, "port")) {
			if (fg_parse_u32(val, 0, 65535, &n))
				return fg_usage("bad port '%s'", val);
			f->port = n;
		} else {
			return fg_usage(
				"unknown filter '%s' (dev, proto, addr, "
				"port)",
				kw);
		}
	}
	return 0;
}

static bool flow_match(const struct flow_filter *f, const struct fg_flow_key *k)
{
	bool icmp = k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;

	if (f->ifindex && k->ifindex != f->ifindex)
		return false;
	if (f->proto >= 0 && (!k->ip_ver || k->proto != f->proto))
		return false;
	if (f->has_addr && memcmp(k->src, f->addr, 16) &&
	    memcmp(k->dst, f->addr, 16))
		return false;
	if (f->port >= 0 && (icmp || (ntohs(k->sport) != f->port &&
				      ntohs(k->dport) != f->port)))
		return false;
	return true;
}

/* The table flows are read from: fg_flowtab, or an old layout's fg_flows
 * (for one release: attach refuses to replace it while it holds flows). */
struct flow_tab {
	struct fg_ft ft;
	bool ft_open;
	int old_fd; /* FG_MAP_FLOWS_OLD, or -1 */
};

static int tab_open(struct flow_tab *t)
{
	int err = fg_ft_open_pinned(&t->ft);

	t->old_fd = -1;
	t->ft_open = !err;
	if (!err)
		return 0;
	if (err != -ENOENT)
		return fg_error(err, "cannot map the flow table under %s: %s",
				fg_pin_dir(), fg_strerr(err));
	t->old_fd = fg_map_open(FG_MAP_FLOWS_OLD);
	if (t->old_fd >= 0)
		return 0;
	if (t->old_fd == -ENOENT)
		return fg_error(-ENOENT,
				"flowgate is not attached (no state under %s)",
				fg_pin_dir());
	return fg_error(t->old_fd, "cannot open state under %s: %s",
			fg_pin_dir(), fg_strerr(t->old_fd));
}

static void tab_close(struct flow_tab *t)
{
	if (t->ft_open)
		fg_ft_close(&t->ft);
	if (t->old_fd >= 0)
		close(t->old_fd);
	t->ft_open = false;
	t->old_fd = -1;
}

struct old_walk {
	fg_ft_fn fn;
	void *ctx;
	int ret;
};

static void old_one(const void *key, const void *vals, int ncpu, void *c)
{
	struct old_walk *w = c;
	struct fg_flow_val sum;

	if (w->ret)
		return;
	fg_flow_sum(vals, ncpu, &sum);
	if (sum.packets)
		w->ret = w->fn(key, &sum, w->ctx);
}

/* Every flow once, its CPUs summed; fn's non-zero return stops it. */
static int tab_walk(struct flow_tab *t, fg_ft_fn fn, void *ctx)
{
	struct old_walk w = {.fn = fn, .ctx = ctx};
	int err;

	if (t->ft_open)
		return fg_ft_walk(&t->ft, fn, ctx);
	err = fg_map_walk_percpu(t->old_fd, sizeof(struct fg_flow_key),
				 sizeof(struct fg_flow_val), old_one, &w);
	return err ?: w.ret;
}

struct dump_flow {
	struct fg_flow_key k;
	struct fg_flow_val v;
};

struct dump_ovf {
	struct fg_ovf_key k;
	struct fg_ovf_val v;
};

/* Flows and overflow aggregates are gathered, sorted and then printed, so
 * that text and JSON list them in the same order, whatever the hash
 * table's order is. */
struct dump_ctx {
	const struct flow_filter *f;
	__u64 flows, packets, octets;
	struct dump_flow *e;
	size_t n, cap;
	struct dump_ovf *o;
	size_t no, capo;
	int err;
};

static int dump_one(const struct fg_flow_key *key, const struct fg_flow_val *v,
		    void *c)
{
	struct dump_ctx *d = c;

	if (!flow_match(d->f, key))
		return 0;
	d->err = fg_grow(&d->e, &d->cap, d->n, sizeof(*d->e), 64);
	if (d->err)
		return d->err;
	d->flows++;
	d->packets += v->packets;
	d->octets += v->octets;
	d->e[d->n].k = *key;
	d->e[d->n++].v = *v;
	return 0;
}

static void dump_ovf(const void *key, const void *vals, int ncpu, void *c)
{
	const struct fg_ovf_key *k = key;
	struct dump_ctx *d = c;
	struct fg_ovf_val v;

	if (d->err || (d->f->ifindex && k->ifindex != d->f->ifindex))
		return;
	if (d->f->proto >= 0 && (!k->ip_ver || k->proto != d->f->proto))
		return;
	fg_percpu_sum(vals, ncpu, sizeof(v) / sizeof(__u64), (__u64 *)&v);
	d->err = fg_grow(&d->o, &d->capo, d->no, sizeof(*d->o), 64);
	if (d->err)
		return;
	d->o[d->no].k = *k;
	d->o[d->no++].v = v;
	d->packets += v.packets;
	d->octets += v.octets;
}

static void ovf_line(const struct fg_ovf_key *k, const struct fg_ovf_val *v)
{
	char ifn[IF_NAMESIZE], pr[8];

	if (!if_indextoname(k->ifindex, ifn))
		snprintf(ifn, sizeof(ifn), "if%u", k->ifindex);
	printf("%-3s %s %s overflow packets %llu octets %llu\n",
	       k->dir == FG_DIR_OUT ? "out" : "in", ifn,
	       k->ip_ver ? fg_flow_proto(k->ip_ver, k->proto, pr, sizeof(pr))
			 : "non-ip",
	       (unsigned long long)v->packets, (unsigned long long)v->octets);
}

/* Filters, privileges, the flow table: what every verb starts with.
 * 0 or -errno (the error already printed). */
static int open_flows(int argc, char **argv, struct flow_filter *f,
		      struct flow_tab *t)
{
	int err = parse_filter(argc, argv, f);

	t->ft_open = false;
	t->old_fd = -1;
	if (!err)
		err = fg_check_caps(FG_NEED_BPF);
	return err ? err : tab_open(t);
}

static int dump_cmp(const void *a, const void *b)
{
	return fg_flow_key_cmp(&((const struct dump_flow *)a)->k,
			       &((const struct dump_flow *)b)->k);
}

/* Overflow aggregates: by interface, direction, IP version, protocol. */
static int ovf_cmp(const void *a, const void *b)
{
	return fg_ovf_key_cmp(&((const struct dump_ovf *)a)->k,
			      &((const struct dump_ovf *)b)->k);
}

static int dump_gather(struct flow_tab *t, int afd, int ofd, struct dump_ctx *d)
{
	int err;

	err = tab_walk(t, dump_one, d);
	if (!err)
		err = fg_ovf_walk(afd, ofd, dump_ovf, d);
	err = err ?: d->err;
	if (err)
		return err;
	if (d->n)
		qsort(d->e, d->n, sizeof(*d->e), dump_cmp);
	if (d->no)
		qsort(d->o, d->no, sizeof(*d->o), ovf_cmp);
	return 0;
}

/* Text: one line per flow, sorted, like conntrack -L; then the overflow
 * aggregates, one line each, and the totals. */
static void dump_text(const struct dump_ctx *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fg_flow_line(stdout, &d->e[i].k, &d->e[i].v,
			     fg_mono_to_wall_ms);
	for (i = 0; i < d->no; i++)
		ovf_line(&d->o[i].k, &d->o[i].v);
	printf("%llu flows, %llu packets, %llu octets\n",
	       (unsigned long long)d->flows, (unsigned long long)d->packets,
	       (unsigned long long)d->octets);
}

static void dump_json(const struct dump_ctx *d)
{
	size_t i;

	out_begin();
	out_arr_open("flows");
	for (i = 0; i < d->n; i++)
		fg_flow_print(NULL, &d->e[i].k, &d->e[i].v, fg_mono_to_wall_ms);
	out_arr_close();
	out_arr_open("overflow");
	for (i = 0; i < d->no; i++)
		fg_ovf_print(NULL, &d->o[i].k, d->o[i].v.packets,
			     d->o[i].v.octets);
	out_arr_close();
	out_u64("total_flows", d->flows);
	out_u64("total_packets", d->packets);
	out_u64("total_octets", d->octets);
	out_end();
}

static int flow_dump(int argc, char **argv)
{
	struct flow_filter f;
	struct dump_ctx d = {.f = &f};
	struct flow_tab t;
	int afd, ofd, err;

	err = open_flows(argc, argv, &f, &t);
	if (err)
		return err;
	afd = fg_map_open(FG_MAP_OVFARR);
	ofd = fg_map_open(FG_MAP_OVERFLOW);
	err = dump_gather(&t, afd, ofd, &d);
	if (!err && fg_opts.json)
		dump_json(&d);
	else if (!err)
		dump_text(&d);
	free(d.e);
	free(d.o);
	if (afd >= 0)
		close(afd);
	if (ofd >= 0)
		close(ofd);
	tab_close(&t);
	fflush(stdout);
	return err ? fg_error(err, "cannot read flows: %s", fg_strerr(err)) : 0;
}

/* ---- flow top ------------------------------------------------------ */

struct snap_ent {
	struct fg_flow_key k;
	struct fg_flow_val v; /* summed over CPUs */
	double rate;	      /* per second since the previous refresh */
};

struct snap {
	struct snap_ent *e;
	size_t n, cap;
	const struct flow_filter *f;
	int err;
};

static int snap_one(const struct fg_flow_key *key, const struct fg_flow_val *v,
		    void *c)
{
	struct snap *s = c;
	struct snap_ent *e;

	if (!flow_match(s->f, key))
		return 0;
	s->err = fg_grow(&s->e, &s->cap, s->n, sizeof(*e), 1024);
	if (s->err)
		return s->err;
	e = &s->e[s->n++];
	e->k = *key;
	e->v = *v;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct snap_ent *)a)->k,
		      &((const struct snap_ent *)b)->k,
		      sizeof(struct fg_flow_key));
}

static int rate_cmp(const void *a, const void *b)
{
	double x = ((const struct snap_ent *)a)->rate,
	       y = ((const struct snap_ent *)b)->rate;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Rates against the previous snapshot (sorted by key); a flow new since
 * then counts from zero. */
static void snap_rates(struct snap *cur, const struct snap *prev,
		       bool by_packets, double secs)
{
	struct snap_ent *old;
	size_t i;

	for (i = 0; i < cur->n; i++) {
		struct snap_ent *e = &cur->e[i];
		__u64 now = by_packets ? e->v.packets : e->v.octets, was = 0;

		old = prev->n ? bsearch(e, prev->e, prev->n, sizeof(*e),
					key_cmp)
			      : NULL;
		if (old)
			was = by_packets ? old->v.packets : old->v.octets;
		e->rate = now >= was ? (now - was) / secs : 0;
	}
}

/* Flow counters of one slot, both directions, added to t. */
static void top_add_slot(int fd, __u32 slot, struct fg_flowstats *t)
{
	struct fg_ifstats st;
	__u32 dir;

	for (dir = FG_DIR_IN; dir <= FG_DIR_OUT; dir++) {
		if (fg_ifstats_read(fd, fg_slot_key(slot, dir), &st))
			continue;
		t->packets += st.flows.packets;
		t->ovf_pkts += st.flows.ovf_pkts;
		t->sampled_pkts += st.flows.sampled_pkts;
		t->insert_fail += st.flows.insert_fail;
	}
}

static void top_header(const struct snap *s)
{
	struct fg_flowstats t = {};
	int fd = fg_map_open(FG_MAP_IFSTATS);
	int ifaces_fd = fg_map_open(FG_MAP_IFACES);
	__u32 key, next, slot;
	int err;

	/* Sum every attached interface's slot and the catch-all: the
	 * table's health at once. */
	if (fd >= 0)
		top_add_slot(fd, FG_SLOT_OTHER, &t);
	for (err = fd < 0 || ifaces_fd < 0
			   ? -1
			   : bpf_map_get_next_key(ifaces_fd, NULL, &key);
	     !err;
	     err = bpf_map_get_next_key(ifaces_fd, &key, &next), key = next)
		if (!fg_iface_slot(ifaces_fd, key, &slot))
			top_add_slot(fd, slot, &t);
	if (ifaces_fd >= 0)
		close(ifaces_fd);
	if (fd >= 0)
		close(fd);
	out_u64("flows", s->n);
	out_u64("max_flows", fg_pinned_max_flows());
	out_u64("packets", t.packets);
	out_u64("overflow_packets", t.ovf_pkts);
	out_u64("sampled_out_packets", t.sampled_pkts);
	out_u64("inserts_failed", t.insert_fail);
}

static void top_print(struct snap *s, bool by_packets, __u32 rows)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], pr[4];
	size_t i;

	qsort(s->e, s->n, sizeof(*s->e), rate_cmp);
	if (!fg_opts.json && isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	out_begin();
	top_header(s);
	out_str("sort", by_packets ? "packets" : "bytes");
	out_arr_open("top");
	for (i = 0; i < s->n && i < rows; i++) {
		const struct snap_ent *e = &s->e[i];

		fg_addr_str(e->k.src, e->k.ip_ver, a, sizeof(a));
		fg_addr_str(e->k.dst, e->k.ip_ver, b, sizeof(b));
		out_obj_open(NULL);
		out_str("dir", e->k.dir == FG_DIR_OUT ? "out" : "in");
		out_str("proto",
			fg_flow_proto(e->k.ip_ver, e->k.proto, pr, sizeof(pr)));
		out_str("src", e->k.ip_ver ? a : "-");
		out_u64("sport", ntohs(e->k.sport));
		out_str("dst", e->k.ip_ver ? b : "-");
		out_u64("dport", ntohs(e->k.dport));
		out_u64(by_packets ? "packets_per_s" : "bytes_per_s",
			(__u64)(e->rate + 0.5));
		out_u64("packets", e->v.packets);
		out_u64("octets", e->v.octets);
		if (e->k.reason)
			out_str("dropped", fg_reason_name(e->k.reason));
		if (e->k.reason == FG_R_RULE)
			out_u64("rule_id", e->v.rule_id);
		out_obj_close();
	}
	out_arr_close();
	out_end();
}

/* flow top [dev D] [proto P] [addr A] [port N] [sort bytes|packets]
 *          [interval S] [count N] [rows N] */
static int flow_top(int argc, char **argv)
{
	struct flow_filter f;
	struct snap cur = {.f = &f}, prev = {.f = &f};
	char *fargv[16];
	struct flow_tab t;
	int fargc = 0, i, err = 0;
	__u32 interval = 1, count = 0, rows = 20, n;
	bool by_packets = false;

	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : 0;

		if (!val)
			return fg_usage("%s needs a value", kw);
		if (!strcmp(kw, "sort") &&
		    (!strcmp(val, "bytes") || !strcmp(val, "packets")))
			by_packets = !strcmp(val, "packets");
		else if (!strcmp(kw, "sort"))
			return fg_usage("sort takes bytes or packets");
		else if (!strcmp(kw, "interval") || !strcmp(kw, "count") ||
			 !strcmp(kw, "rows")) {
			if (fg_parse_u32(val, kw[0] == 'c' ? 0 : 1, 86400, &n))
				return fg_usage("bad %s '%s'", kw, val);
			*(kw[0] == 'i'	 ? &interval
			  : kw[0] == 'c' ? &count
					 : &rows) = n;
		} else if (fargc < 14) {
			fargv[fargc++] = argv[i];
			fargv[fargc++] = argv[i + 1];
		}
	}
	err = open_flows(fargc, fargv, &f, &t);
	if (err)
		return err;
	/* A first snapshot to measure from: every rate shown is what moved
	 * in one interval, never a total since the flow began. */
	err = tab_walk(&t, snap_one, &prev);
	if (!err) {
		if (prev.n)
			qsort(prev.e, prev.n, sizeof(*prev.e), key_cmp);
		sleep(interval);
	}
	for (n = 0; !err && (!count || n < count); n++) {
		cur.n = 0;
		err = tab_walk(&t, snap_one, &cur);
		if (err)
			break;
		snap_rates(&cur, &prev, by_packets, interval);
		top_print(&cur, by_packets, rows);
		qsort(cur.e, cur.n, sizeof(*cur.e), key_cmp);
		{ /* cur becomes prev; reuse prev's buffer */
			struct snap t = prev;

			prev = cur;
			cur = t;
		}
		if (count && n + 1 == count)
			break;
		sleep(interval);
	}
	free(cur.e);
	free(prev.e);
	tab_close(&t);
	return err ? fg_error(err, "cannot read flows: %s", fg_strerr(err)) : 0;
}

/* ---- flow flush ---------------------------------------------------- */

struct flush_flow {
	struct fg_flow_key k;
	__u64 packets, octets, first_ns;
	bool deleted;
};

struct flush_ctx {
	const struct flow_filter *f;
	struct flush_flow *e;
	size_t n, cap;
	int err;
};

/* What flush ended, and of that what no exporter had exported yet. */
struct flush_sum {
	__u64 flows, packets, octets;
	__u64 lost_flows, lost_packets, lost_octets;
};

static int flush_add(struct flush_ctx *x, const struct fg_flow_key *key,
		     const struct fg_flow_val *v, bool deleted)
{
	x->err = fg_grow(&x->e, &x->cap, x->n, sizeof(*x->e), 1024);
	if (x->err)
		return x->err;
	x->e[x->n++] = (struct flush_flow){.k = *key,
					   .packets = v->packets,
					   .octets = v->octets,
					   .first_ns = v->first_ns,
					   .deleted = deleted};
	return 0;
}

static int flush_select(const struct fg_flow_key *key,
			const struct fg_flow_val *v, void *c)
{
	return flow_match(((struct flush_ctx *)c)->f, key);
}

/* What the table acknowledged: exactly the counters it held. */
static int flush_done(const struct fg_flow_key *key,
		      const struct fg_flow_val *v, void *c)
{
	return flush_add(c, key, v, true);
}

static int flush_old_one(const struct fg_flow_key *key,
			 const struct fg_flow_val *v, void *c)
{
	return flush_select(key, v, c) ? flush_add(c, key, v, false) : 0;
}

/*
 * An ended flow's part that no exporter has exported: all of it, less
 * what the export shadow (fg_expstate, mirrored after each sweep) says went
 * out of this very flow (same first packet). Read under the lock the
 * exporter sweeps under, after the acknowledgements: an export cannot
 * race them.
 */
static void flush_count(const struct fg_exp_row *rows, size_t nrows,
			const struct flush_flow *fl, struct flush_sum *t)
{
	const struct fg_exp_shadow *sh = fg_exp_state_find(rows, nrows, &fl->k);
	__u64 p = fl->packets, o = fl->octets;

	t->flows++;
	t->packets += p;
	t->octets += o;
	if (sh && sh->first_ns == fl->first_ns) {
		p = p > sh->packets ? p - sh->packets : 0;
		o = o > sh->octets ? o - sh->octets : 0;
	}
	t->lost_flows += p != 0;
	t->lost_packets += p;
	t->lost_octets += o;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* End the selected flows: acknowledged (the table's), deleted (an old
 * layout's). */
static int flush_end(struct flow_tab *t, struct flush_ctx *x)
{
	size_t i;
	int n, err;

	if (t->ft_open) {
		n = fg_ft_end_each(&t->ft, mono_ns(), flush_select, flush_done,
				   x);
		return n < 0 ? n : 0;
	}
	err = tab_walk(t, flush_old_one, x);
	for (i = 0; !err && i < x->n; i++)
		x->e[i].deleted = !bpf_map_delete_elem(t->old_fd, &x->e[i].k);
	return err;
}

/* flow flush [filters]: the operator's way out of a full table without an
 * exporter. It says what it ended and, of that, what no exporter had
 * sent yet: those records are lost. The exporter acknowledges flows too:
 * both do it under the pin directory's lock. */
static int flow_flush(int argc, char **argv)
{
	struct flow_filter f;
	struct flush_ctx x = {.f = &f};
	struct flush_sum s = {};
	struct fg_exp_row *rows = NULL;
	struct flow_tab t;
	size_t i, nrows = 0;
	int lock, err;

	err = open_flows(argc, argv, &f, &t);
	if (err)
		return err;
	lock = fg_rule_lock(true);
	if (lock < 0) {
		tab_close(&t);
		return fg_error(lock, "cannot lock %s: %s", fg_pin_dir(),
				fg_strerr(lock));
	}
	err = flush_end(&t, &x);
	/* No readable export state: all of it counts as not exported. */
	if (!err && fg_exp_state_read(&rows, &nrows))
		nrows = 0;
	fg_rule_unlock(lock);
	for (i = 0; !err && i < x.n; i++)
		if (x.e[i].deleted)
			flush_count(rows, nrows, &x.e[i], &s);
	free(rows);
	tab_close(&t);
	free(x.e);
	if (err)
		return fg_error(err, "cannot read flows: %s", fg_strerr(err));
	out_begin();
	out_u64("deleted_flows", s.flows);
	out_u64("deleted_packets", s.packets);
	out_u64("deleted_octets", s.octets);
	out_u64("not_exported_flows", s.lost_flows);
	out_u64("not_exported_packets", s.lost_packets);
	out_u64("not_exported_octets", s.lost_octets);
	out_end();
	return 0;
}

static const struct fg_verb flow_verbs[] = {
	FG_VERB("dump", flow_dump, "[dev DEV] [proto P] [addr A] [port N]",
		"every flow in the table, one sorted line each (text), then "
		"the overflow aggregates"),
	FG_VERB("top", flow_top,
		"[sort bytes|packets] [interval S] [count N] [rows N] "
		"[filters]",
		"the busiest flows by their rate over the last interval"),
	FG_VERB("flush", flow_flush, "[dev DEV] [proto P] [addr A] [port N]",
		"end flows in the table (their slots are taken again): the "
		"way out of a full table without an exporter; what no "
		"exporter sent of them is lost, and said"),
	{},
};
const struct fg_cmd fg_cmd_flow = {"flow", flow_verbs};
