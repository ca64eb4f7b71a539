// SPDX-License-Identifier: GPL-2.0
/*
 * flow dump [dev DEV] [proto P] [addr A] [port N]: the flows in the table,
 * read with batch lookups (the data path never waits on us), per-CPU
 * values summed, monotonic times turned into wall-clock times. The overflow
 * aggregates follow the flows, so that the totals add up.
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

static void dump_one(const void *key, const void *vals, int ncpu, void *c)
{
	struct dump_ctx *d = c;
	struct fg_flow_val sum;

	if (d->err || !flow_match(d->f, key))
		return;
	fg_flow_sum(vals, ncpu, &sum);
	if (!sum.packets)
		return;
	d->err = fg_grow(&d->e, &d->cap, d->n, sizeof(*d->e), 64);
	if (d->err)
		return;
	d->flows++;
	d->packets += sum.packets;
	d->octets += sum.octets;
	d->e[d->n].k = *(const struct fg_flow_key *)key;
	d->e[d->n++].v = sum;
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

/* Filters, privileges, the flow table: what dump and top start with.
 * Returns the table's fd or -errno (the error already printed). */
static int open_flows(int argc, char **argv, struct flow_filter *f)
{
	int err = parse_filter(argc, argv, f);

	if (!err)
		err = fg_check_caps(FG_NEED_BPF);
	return err ? err : fg_state_map_open(FG_MAP_FLOWS);
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

static int dump_gather(int fd, int ofd, struct dump_ctx *d)
{
	int err;

	err = fg_map_walk_percpu(fd, sizeof(struct fg_flow_key),
				 sizeof(struct fg_flow_val), dump_one, d);
	err = err ?: d->err;
	if (!err && ofd >= 0)
		err = fg_map_walk_percpu(ofd, sizeof(struct fg_ovf_key),
					 sizeof(struct fg_ovf_val), dump_ovf,
					 d);
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
	int fd, ofd, err;

	fd = open_flows(argc, argv, &f);
	if (fd < 0)
		return fd;
	ofd = fg_map_open(FG_MAP_OVERFLOW);
	err = dump_gather(fd, ofd, &d);
	if (!err && fg_opts.json)
		dump_json(&d);
	else if (!err)
		dump_text(&d);
	free(d.e);
	free(d.o);
	if (ofd >= 0)
		close(ofd);
	close(fd);
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

static void snap_one(const void *key, const void *vals, int ncpu, void *c)
{
	struct snap *s = c;
	struct snap_ent *e;

	if (s->err || !flow_match(s->f, key))
		return;
	s->err = fg_grow(&s->e, &s->cap, s->n, sizeof(*e), 1024);
	if (s->err)
		return;
	e = &s->e[s->n];
	e->k = *(const struct fg_flow_key *)key;
	fg_flow_sum(vals, ncpu, &e->v);
	if (e->v.packets)
		s->n++;
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
	int fargc = 0, i, fd, err = 0;
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
	fd = open_flows(fargc, fargv, &f);
	if (fd < 0)
		return fd;
	/* A first snapshot to measure from: every rate shown is what moved
	 * in one interval, never a total since the flow began. */
	err = fg_map_walk_percpu(fd, sizeof(struct fg_flow_key),
				 sizeof(struct fg_flow_val), snap_one, &prev);
	err = err ?: prev.err;
	if (!err) {
		if (prev.n)
			qsort(prev.e, prev.n, sizeof(*prev.e), key_cmp);
		sleep(interval);
	}
	for (n = 0; !err && (!count || n < count); n++) {
		cur.n = 0;
		err = fg_map_walk_percpu(fd, sizeof(struct fg_flow_key),
					 sizeof(struct fg_flow_val), snap_one,
					 &cur);
		err = err ?: cur.err;
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
	close(fd);
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

/* What flush deleted, and of that what no exporter had exported yet. */
struct flush_sum {
	__u64 flows, packets, octets;
	__u64 lost_flows, lost_packets, lost_octets;
};

static void flush_one(const void *key, const void *vals, int ncpu, void *c)
{
	struct flush_ctx *x = c;
	struct fg_flow_val sum;

	if (x->err || !flow_match(x->f, key))
		return;
	x->err = fg_grow(&x->e, &x->cap, x->n, sizeof(*x->e), 1024);
	if (x->err)
		return;
	fg_flow_sum(vals, ncpu, &sum);
	x->e[x->n++] =
		(struct flush_flow){.k = *(const struct fg_flow_key *)key,
				    .packets = sum.packets,
				    .octets = sum.octets,
				    .first_ns = sum.first_ns};
}

/*
 * A deleted flow's part that no exporter has exported: all of it, less
 * what the export shadow (fg_expstate, mirrored after each sweep) says went
 * out of this very entry (same first packet). The shadows are read after
 * the deletes, so that an export racing them is not counted as lost.
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

/* flow flush [filters]: the operator's way out of a full table without an
 * exporter. It says what it deleted and, of that, what no exporter had
 * sent yet: those records are lost. */
static int flow_flush(int argc, char **argv)
{
	struct flow_filter f;
	struct flush_ctx x = {.f = &f};
	struct flush_sum t = {};
	struct fg_exp_row *rows = NULL;
	size_t i, nrows = 0;
	int fd, err;

	fd = open_flows(argc, argv, &f);
	if (fd < 0)
		return fd;
	err = fg_map_walk_percpu(fd, sizeof(struct fg_flow_key),
				 sizeof(struct fg_flow_val), flush_one, &x);
	err = err ?: x.err;
	for (i = 0; !err && i < x.n; i++)
		x.e[i].deleted = !bpf_map_delete_elem(fd, &x.e[i].k);
	/* No readable export state: all of it counts as not exported. */
	if (!err && fg_exp_state_read(&rows, &nrows))
		nrows = 0;
	for (i = 0; !err && i < x.n; i++)
		if (x.e[i].deleted)
			flush_count(rows, nrows, &x.e[i], &t);
	free(rows);
	close(fd);
	free(x.e);
	if (err)
		return fg_error(err, "cannot read flows: %s", fg_strerr(err));
	out_begin();
	out_u64("deleted_flows", t.flows);
	out_u64("deleted_packets", t.packets);
	out_u64("deleted_octets", t.octets);
	out_u64("not_exported_flows", t.lost_flows);
	out_u64("not_exported_packets", t.lost_packets);
	out_u64("not_exported_octets", t.lost_octets);
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
		"delete flows from the table: the way out of a full table "
		"without an exporter; what no exporter sent of them is lost, "
		"and said"),
	{},
};
const struct fg_cmd fg_cmd_flow = {"flow", flow_verbs};
