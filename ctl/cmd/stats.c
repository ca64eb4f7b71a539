// SPDX-License-Identifier: GPL-2.0
/*
 * stats [dev DEV]: per-interface guard counters, summed over CPUs. Every
 * packet seen is either passed or dropped for exactly one reason; the
 * output says whether that holds ("conserved"). Reasons with all-zero
 * counters are left out.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "cmds.h"
#include "export.h"
#include "capstats.h"

static void print_reasons(const struct fg_ifstats *s)
{
	__u32 r;

	out_arr_open("reasons");
	for (r = 1; r < FG_R_MAX; r++) {
		if (!s->drop_packets[r] && !s->matched[r])
			continue;
		out_obj_open(NULL);
		out_str("reason", fg_reason_name(r));
		out_u64("code", r);
		out_u64("dropped_packets", s->drop_packets[r]);
		out_u64("dropped_bytes", s->drop_bytes[r]);
		out_u64("matched", s->matched[r]);
		out_obj_close();
	}
	out_arr_close();
}

static void print_queues(const struct fg_ifstats *s)
{
	__u32 i;

	out_arr_open("rx_queues");
	for (i = 0; i <= FG_MAX_RXQ; i++) {
		if (!s->rxq_packets[i])
			continue;
		out_obj_open(NULL);
		out_u64("queue", i);
		out_bool("shared_slot", i == FG_MAX_RXQ); /* 63 and above */
		out_u64("packets", s->rxq_packets[i]);
		out_u64("octets", s->rxq_octets[i]);
		out_obj_close();
	}
	out_arr_close();
}

static bool show_queues;

/* One interface: its ingress counters and its slot's egress entry. */
static int print_iface(const struct fg_iface_stats *is, void *ctx)
{
	const struct fg_ifstats *s = &is->in;
	__u64 drops, drop_bytes;

	fg_ifstats_drops(s, &drops, &drop_bytes);
	out_obj_open(NULL);
	out_str("dev", is->name);
	out_u64("ifindex", is->ifindex);
	out_u64("rx_packets", s->rx_packets);
	out_u64("rx_bytes", s->rx_bytes);
	out_u64("passed_packets", s->pass_packets);
	out_u64("passed_bytes", s->pass_bytes);
	out_u64("dropped_packets", drops);
	out_u64("dropped_bytes", drop_bytes);
	out_bool("conserved",
		 s->rx_packets == s->pass_packets + drops &&
			 s->rx_bytes == s->pass_bytes + drop_bytes);
	print_reasons(s);
	out_obj_open("flows");
	fg_flowstats_print("in", &s->flows, &is->rated_in);
	fg_flowstats_print("out", &is->out.flows, &is->rated_out);
	out_obj_close();
	if (show_queues)
		print_queues(s);
	out_obj_close();
	return 0;
}

static void print_table(void)
{
	struct fg_table_fill f;

	if (fg_flow_table_fill(&f))
		return;
	out_obj_open("flow_table");
	/* Slots holding a flow: a flow seen on two CPUs holds two. */
	out_u64("entries", f.entries);
	out_u64("max_flows", f.max_flows);
	out_u64("slots", f.slots);
	out_u64("regions", f.regions);
	out_u64("region_slots", f.region_slots);
	/* A flow whose two buckets are full goes to the overflow
	 * aggregates; above the mark, so does every dropped packet of that
	 * CPU's region. An exporter or `flow flush` makes room. */
	out_u64("fullest_region", f.region_max);
	out_u64("fill_mark", f.mark);
	out_bool("above_mark", f.region_max > f.mark);
	out_obj_close();
}

/* The capture's counters since attach (none in state made before it
 * existed), and whether a capture runs now. */
static void print_capture(void)
{
	struct fg_cap_count c[FG_CAP_NKEYS];
	struct fg_cap_cfg cfg;

	if (fg_cap_stats_read(c) || fg_cap_cfg_read(&cfg))
		return;
	out_obj_open("capture");
	out_bool("active", fg_cap_running(&cfg));
	if (fg_cap_running(&cfg))
		out_u64("pid", cfg.owner);
	out_u64("ring_bytes", fg_pinned_cap_ring());
	fg_cap_count_print("counters", c);
	out_obj_close();
}

static int parse_args(int argc, char **argv, __u32 *only)
{
	*only = 0;
	if (!argc)
		return 0;
	if (argc == 3 && !strcmp(argv[2], "queues"))
		show_queues = true;
	else if (argc != 2)
		return fg_cmd_usage(&fg_cmd_stats, NULL);
	if (strcmp(argv[0], "dev"))
		return fg_cmd_usage(&fg_cmd_stats, NULL);
	*only = if_nametoindex(argv[1]);
	if (!*only)
		return fg_error(-ENODEV, "no such device '%s'", argv[1]);
	return 0;
}

static int do_stats(int argc, char **argv)
{
	__u32 only, slot;
	int fd, ifaces_fd, err = 0;

	err = parse_args(argc, argv, &only);
	if (err)
		return err;
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	fd = fg_state_map_open(FG_MAP_IFSTATS);
	if (fd < 0)
		return fd;
	ifaces_fd = fg_map_open(FG_MAP_IFACES);
	if (only && fg_iface_slot(ifaces_fd, only, &slot)) {
		/* zeros would read as "attached, nothing seen" */
		if (ifaces_fd >= 0)
			close(ifaces_fd);
		close(fd);
		return fg_error(-ENOENT, "flowgate is not attached to %s",
				argv[1]);
	}
	out_begin();
	print_table();
	out_arr_open("interfaces");
	fg_ifaces_read(fd, ifaces_fd, only, print_iface, NULL);
	out_arr_close();
	if (!only) {
		fg_exp_stats_print();
		print_capture();
	}
	out_end();
	if (ifaces_fd >= 0)
		close(ifaces_fd);
	close(fd);
	return 0;
}

static const struct fg_verb stats_verbs[] = {
	FG_VERB(NULL, do_stats, "[dev DEV [queues]]",
		"every check's drops and the flow counters, per interface"),
	{},
};

const struct fg_cmd fg_cmd_stats = {"stats", stats_verbs};
