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

static struct {
	int fd; /* fg_ifstats, for the egress entries */
	bool queues;
} extra = {-1, false};

/* One interface: its ingress counters s, and its slot's egress entry. */
static void print_iface(const char *name, __u32 ifindex, __u32 slot,
			const struct fg_ifstats *s)
{
	__u64 drops = 0, drop_bytes = 0;
	struct fg_ifstats out;
	__u32 r;

	for (r = 1; r < FG_R_MAX; r++) {
		drops += s->drop_packets[r];
		drop_bytes += s->drop_bytes[r];
	}
	out_obj_open(NULL);
	out_str("dev", name);
	out_u64("ifindex", ifindex);
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
	if (fg_ifstats_read(extra.fd, fg_slot_key(slot, FG_DIR_OUT), &out))
		memset(&out, 0, sizeof(out));
	out_obj_open("flows");
	fg_flowstats_print("in", &s->flows);
	fg_flowstats_print("out", &out.flows);
	out_obj_close();
	if (extra.queues)
		print_queues(s);
	out_obj_close();
}

/* Entries in the flow table, counted with batch reads. */
static void count_one(const void *key, const void *vals, int ncpu, void *c)
{
	(*(__u64 *)c)++;
}

static void print_table(void)
{
	int fd = fg_map_open(FG_MAP_FLOWS);
	__u64 n = 0, max = fg_pinned_max_flows();

	if (fd < 0)
		return;
	fg_map_walk_percpu(fd, sizeof(struct fg_flow_key),
			   sizeof(struct fg_flow_val), count_one, &n);
	close(fd);
	out_obj_open("flow_table");
	out_u64("entries", n);
	out_u64("max_entries", max);
	/* New flows then go to the overflow aggregates only: an exporter
	 * drains the table, `flow flush` empties it. */
	out_bool("full", max && n >= max);
	out_obj_close();
}

/* Counters of a slot's ingress entry; zeros when unreadable. */
static void slot_read(__u32 slot, struct fg_ifstats *s)
{
	if (fg_ifstats_read(extra.fd, fg_slot_key(slot, FG_DIR_IN), s))
		memset(s, 0, sizeof(*s));
}

/* Name of an interface recorded by attach, else the kernel's name. */
static void iface_name(int ifaces_fd, __u32 ifindex, char *buf)
{
	struct fg_iface ifc;

	if (ifaces_fd >= 0 && !bpf_map_lookup_elem(ifaces_fd, &ifindex, &ifc)) {
		snprintf(buf, IF_NAMESIZE, "%s", ifc.ifname);
		return;
	}
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
}

/*
 * The catch-all slot: programs loaded without a slot (another loader,
 * such as xdp-loader with the plain object). Shown as "(other)", ifindex
 * 0, when it counted anything.
 */
static void print_other(void)
{
	struct fg_ifstats in, out;

	slot_read(FG_SLOT_OTHER, &in);
	if (fg_ifstats_read(extra.fd, fg_slot_key(FG_SLOT_OTHER, FG_DIR_OUT),
			    &out))
		memset(&out, 0, sizeof(out));
	if (in.rx_packets || in.flows.packets || out.flows.packets)
		print_iface("(other)", FG_IFINDEX_OTHER, FG_SLOT_OTHER, &in);
}

/* Attached interfaces (zeros until their first packet), then the
 * catch-all. */
static void print_all(int ifaces_fd)
{
	struct fg_ifstats s;
	char name[IF_NAMESIZE];
	__u32 key, next, slot;
	int err;

	for (err = ifaces_fd < 0 ? -1
				 : bpf_map_get_next_key(ifaces_fd, NULL, &key);
	     !err;
	     err = bpf_map_get_next_key(ifaces_fd, &key, &next), key = next) {
		if (fg_iface_slot(ifaces_fd, key, &slot))
			continue;
		slot_read(slot, &s);
		iface_name(ifaces_fd, key, name);
		print_iface(name, key, slot, &s);
	}
	print_other();
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
		extra.queues = true;
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
	struct fg_ifstats s;
	char name[IF_NAMESIZE];
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
	extra.fd = fd;
	out_begin();
	print_table();
	out_arr_open("interfaces");
	if (only) {
		slot_read(slot, &s);
		iface_name(ifaces_fd, only, name);
		print_iface(name, only, slot, &s);
	} else {
		print_all(ifaces_fd);
	}
	out_arr_close();
	if (!only) {
		fg_exp_stats_print();
		print_capture();
	}
	out_end();
	if (ifaces_fd >= 0)
		close(ifaces_fd);
	close(fd);
	return err ? fg_error(err, "cannot read counters: %s", fg_strerr(err))
		   : 0;
}

static const struct fg_verb stats_verbs[] = {
	FG_VERB(NULL, do_stats, "[dev DEV [queues]]",
		"every check's drops and the flow counters, per interface"),
	{},
};

const struct fg_cmd fg_cmd_stats = {"stats", stats_verbs};
