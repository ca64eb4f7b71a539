// SPDX-License-Identifier: GPL-2.0
/*
 * rtt [show] [addr A] [port N] | rtt enable [cgroup PATH] | rtt disable:
 * the connections the sock_ops program measures, its counters and
 * histograms. The link itself is managed in ctl/rtt/rtt_link.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "kfeat.h"
#include "cmds.h"

/* ---- argument grammar (pure, unit-tested) -------------------------------- */

static int rtt_filter(int argc, char **argv, struct fg_rtt_args *a)
{
	__u32 n;
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : 0;

		if (strcmp(kw, "addr") && strcmp(kw, "port"))
			return fg_usage("unknown argument '%s' to rtt (addr A, "
					"port N)",
					kw);
		if (!val)
			return fg_usage("%s needs a value", kw);
		if (!strcmp(kw, "addr")) {
			if (fg_addr_parse(val, a->addr))
				return fg_usage("bad address '%s'", val);
			a->has_addr = true;
		} else {
			if (fg_parse_u32(val, 0, 65535, &n))
				return fg_usage("bad port '%s'", val);
			a->port = n;
		}
	}
	return 0;
}

/* The arguments after the verb. */
static int args_verb(int verb, int argc, char **argv, struct fg_rtt_args *a)
{
	memset(a, 0, sizeof(*a));
	a->verb = verb;
	a->port = -1;
	switch (verb) {
	case FG_RTT_ENABLE:
		if (!argc)
			return 0;
		if (strcmp(argv[0], "cgroup"))
			return fg_usage("unknown argument '%s' to rtt enable "
					"(cgroup PATH)",
					argv[0]);
		if (argc != 2 || !*argv[1])
			return fg_cmd_usage(&fg_cmd_rtt, "enable");
		a->cgroup = argv[1];
		return 0;
	case FG_RTT_DISABLE:
		return argc ? fg_cmd_usage(&fg_cmd_rtt, "disable") : 0;
	default:
		return rtt_filter(argc, argv, a);
	}
}

int fg_args_rtt(int argc, char **argv, struct fg_rtt_args *a)
{
	static const char *const verbs[] = {[FG_RTT_SHOW] = "show",
					    [FG_RTT_ENABLE] = "enable",
					    [FG_RTT_DISABLE] = "disable"};
	int v;

	for (v = 0; argc && v < 3; v++)
		if (!strcmp(argv[0], verbs[v]))
			return args_verb(v, argc - 1, argv + 1, a);
	return args_verb(FG_RTT_SHOW, argc, argv, a);
}

/* ---- show ---------------------------------------------------------------- */

static bool conn_match(const struct fg_rtt_args *a, const struct fg_rtt_key *k)
{
	if (a->has_addr && memcmp(k->laddr, a->addr, 16) &&
	    memcmp(k->raddr, a->addr, 16))
		return false;
	return a->port < 0 || ntohs(k->lport) == a->port ||
	       ntohs(k->rport) == a->port;
}

static const char *side_name(__u32 flags)
{
	if (flags & FG_RTT_F_ACTIVE)
		return "active";
	return flags & FG_RTT_F_PASSIVE ? "passive" : "unknown";
}

static void print_conn(const struct fg_rtt_key *k, const struct fg_rtt_val *v)
{
	char a[INET6_ADDRSTRLEN];

	out_obj_open(NULL);
	fg_addr_str(k->laddr, k->ip_ver, a, sizeof(a));
	out_str("local", a);
	out_u64("lport", ntohs(k->lport));
	fg_addr_str(k->raddr, k->ip_ver, a, sizeof(a));
	out_str("remote", a);
	out_u64("rport", ntohs(k->rport));
	out_u64("ip_version", k->ip_ver);
	out_str("side", side_name(v->flags));
	out_u64("samples", v->samples);
	out_u64("min_us", v->min_us);
	out_u64("max_us", v->max_us);
	out_u64("mean_us", fg_rtt_mean_us(v));
	out_u64("srtt_us", v->srtt_us);
	out_u64("last_us", v->last_us);
	out_bool("coarse", v->flags & FG_RTT_F_COARSE);
	if (v->samples) {
		out_time_ms("first_ms", fg_mono_to_wall_ms(v->first_ns));
		out_time_ms("last_ms", fg_mono_to_wall_ms(v->last_ns));
	}
	if (v->flags & FG_RTT_F_CLOSED)
		out_time_ms("closed_ms", fg_mono_to_wall_ms(v->close_ns));
	out_obj_close();
}

#define BATCH 256

/* Print the records of a connection table that match the filters, read
 * with batch lookups (a key-by-key walk restarts from the start when the
 * key it stands on is deleted meanwhile, as closes do). Returns the
 * number of records, matching or not, or -errno. */
static long walk_conns(int fd, const struct fg_rtt_args *a)
{
	struct fg_rtt_key keys[BATCH];
	struct fg_rtt_val vals[BATCH];
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count, i, out = 0;
	void *in = NULL;
	long n = 0;
	int err;

	do {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, in, &out, keys, vals, &count,
					   &opts);
		if (err && errno != ENOENT)
			return -errno;
		for (i = 0; i < count; i++, n++)
			if (conn_match(a, &keys[i]))
				print_conn(&keys[i], &vals[i]);
		in = &out;
	} while (!err); /* ENOENT: that was the last batch */
	return n;
}

static __u64 hist_total(const struct fg_rtt_hist *h)
{
	__u64 t = 0;
	int i;

	for (i = 0; i < FG_RTT_SLOTS; i++)
		t += h->slots[i];
	return t;
}

/* Per-port histograms: with a port filter, drawn; without, one line each.
 * Returns the sum of their samples (for the conservation check). */
static __u64 print_ports(int fd, const struct fg_rtt_args *a)
{
	struct fg_rtt_pkey k, next;
	struct fg_rtt_hist h;
	__u64 total = 0, n;
	int err;

	out_arr_open("ports");
	for (err = bpf_map_get_next_key(fd, NULL, &k); !err;
	     err = bpf_map_get_next_key(fd, &k, &next), k = next) {
		if (fg_map_lookup_sum(fd, &k, h.slots, sizeof(h.slots)))
			continue;
		n = hist_total(&h);
		total += n;
		if (a->port >= 0 && k.port != a->port)
			continue;
		out_obj_open(NULL);
		out_u64("port", k.port);
		out_str("side",
			k.side == FG_RTT_SIDE_REMOTE ? "remote" : "local");
		out_u64("samples", n);
		if (a->port >= 0)
			out_hist("histogram", "usecs", h.slots, FG_RTT_SLOTS);
		out_obj_close();
	}
	out_arr_close();
	return total;
}

static void print_counters(const struct fg_rtt_stats *st, __u64 live,
			   __u64 port_total)
{
	out_obj_open("counters");
	out_u64("samples", st->samples);
	out_u64("connections", st->conns);
	out_u64("live_connections", live);
	out_u64("closed", st->closed);
	out_u64("conn_table_full", st->conn_full);
	out_u64("port_table_full", st->port_full);
	out_u64("coarse_samples", st->coarse);
	out_u64("untracked_closes", st->untracked);
	out_u64("closed_lost", st->closed_lost);
	out_u64("sum_us", st->sum_us);
	/* every sample is in the global histogram, and in one per-port
	 * histogram unless that table was full */
	out_bool("conserved",
		 hist_total(&st->hist) == st->samples &&
			 port_total + st->port_full == st->samples);
	out_obj_close();
}

/* Exact (the callback's mrtt, 6.10+) or coarse (the smoothed RTT): as
 * the samples came, and before the first as this kernel gives them. */
static const char *sample_mode(const struct fg_rtt_stats *st)
{
	if (!st->samples)
		return fg_kfeat_rtt_mode();
	if (st->coarse == st->samples)
		return "coarse";
	return st->coarse ? "mixed" : "exact";
}

static void print_info(int fd)
{
	struct fg_rtt_info info = {};
	__u32 key = 0;
	char since[32] = "-";
	time_t t;

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &key, &info)) {
		t = (time_t)info.enable_time;
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime(&t));
	}
	info.cgroup[sizeof(info.cgroup) - 1] = '\0';
	out_bool("enabled", true);
	out_str("cgroup", info.cgroup);
	out_u64("cgroup_id", info.cgroup_id);
	/* false when the cgroup was removed: the link is left defunct */
	out_bool("attached", fg_rtt_attached(&info));
	out_str("enabled_since", since);
	out_u64("prog_id", fg_rtt_prog_id());
}

static int rtt_show(const struct fg_rtt_args *a)
{
	struct fg_rtt_stats st;
	struct fg_rtt_maps m;
	int sfd, pfd, ifd, err;
	__u32 zero = 0;
	long live, fin = 0;
	__u64 ports;

	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	err = fg_rtt_maps_open(&m);
	if (err == -ENOENT)
		return fg_error(err,
				"rtt is not enabled (no state under "
				"%s/%s): flowgate rtt enable",
				fg_pin_dir(), FG_RTT_PIN_SUBDIR);
	if (err)
		return fg_error(err, "cannot open the RTT state: %s",
				fg_strerr(err));
	sfd = fg_rtt_map_open(FG_MAP_RTT_STATS);
	pfd = fg_rtt_map_open(FG_MAP_RTT_PHIST);
	ifd = fg_rtt_map_open(FG_MAP_RTT_INFO);
	err = sfd < 0 ? sfd : pfd < 0 ? pfd : 0;
	if (!err)
		err = fg_map_lookup_sum(sfd, &zero, &st, sizeof(st));
	if (err) {
		fg_error(err, "cannot read the RTT counters: %s",
			 fg_strerr(err));
		goto out;
	}
	out_begin();
	print_info(ifd);
	out_str("sample_mode", sample_mode(&st));
	out_arr_open("connections");
	live = walk_conns(m.conns_fd, a);
	out_arr_close();
	out_arr_open("closed");
	if (live >= 0)
		fin = walk_conns(m.closed_fd, a);
	out_arr_close();
	ports = print_ports(pfd, a);
	print_counters(&st, live < 0 ? 0 : live, ports);
	out_hist("histogram", "usecs", st.hist.slots, FG_RTT_SLOTS);
	out_end();
	err = live < 0 ? live : fin < 0 ? fin : 0;
	if (err)
		fg_error(err, "cannot read connections: %s", fg_strerr(err));
out:
	if (sfd >= 0)
		close(sfd);
	if (pfd >= 0)
		close(pfd);
	if (ifd >= 0)
		close(ifd);
	fg_rtt_maps_close(&m);
	return err;
}

static int rtt_show_cmd(int argc, char **argv)
{
	struct fg_rtt_args a;
	int err = args_verb(FG_RTT_SHOW, argc, argv, &a);

	return err ? err : rtt_show(&a);
}

static int rtt_enable_cmd(int argc, char **argv)
{
	struct fg_rtt_args a;
	int err = args_verb(FG_RTT_ENABLE, argc, argv, &a);

	return err ? err : fg_rtt_enable(a.cgroup);
}

static int rtt_disable_cmd(int argc, char **argv)
{
	struct fg_rtt_args a;
	int err = args_verb(FG_RTT_DISABLE, argc, argv, &a);

	return err ? err : fg_rtt_disable();
}

static const struct fg_verb rtt_verbs[] = {
	FG_VERB("show", rtt_show_cmd, "[addr A] [port N]",
		"measured connections, counters and RTT histograms",
		.flags = FG_VERB_DEFAULT),
	FG_VERB("enable", rtt_enable_cmd, "[cgroup PATH]",
		"measure the TCP connections of the cgroup (default: all)"),
	FG_VERB("disable", rtt_disable_cmd, NULL,
		"stop measuring; remove its pins"),
	{},
};

const struct fg_cmd fg_cmd_rtt = {"rtt", rtt_verbs};
