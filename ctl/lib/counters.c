// SPDX-License-Identifier: GPL-2.0
/*
 * The guard's counters as every reader sees them (`stats`, the metrics
 * endpoint): per interface, both directions summed over CPUs, and the
 * flow table's fill. One reader, so that the two can never disagree.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fg.h"
#include "flowtab.h"

/* Counters of key, zeros when unreadable (beyond the array: a device
 * that is not attached has none yet). */
static void read_or_zero(int fd, __u32 key, struct fg_ifstats *s)
{
	if (fd < 0 || fg_ifstats_read(fd, key, s))
		memset(s, 0, sizeof(*s));
}

static void rate_or_zero(int fd, __u32 key, struct fg_ovf_rate *r)
{
	if (fd < 0 || fg_map_lookup_sum(fd, &key, r, sizeof(*r)))
		memset(r, 0, sizeof(*r));
}

/* rate_fd: fg_ovfrate, -1 when an older attach made the pins. */
static void read_slot(int fd, int rate_fd, __u32 slot,
		      struct fg_iface_stats *is)
{
	is->slot = slot;
	read_or_zero(fd, fg_slot_key(slot, FG_DIR_IN), &is->in);
	read_or_zero(fd, fg_slot_key(slot, FG_DIR_OUT), &is->out);
	rate_or_zero(rate_fd, fg_slot_key(slot, FG_DIR_IN), &is->rated_in);
	rate_or_zero(rate_fd, fg_slot_key(slot, FG_DIR_OUT), &is->rated_out);
}

/* Name of an interface recorded by attach, else the kernel's name. */
static void iface_name(int ifaces_fd, __u32 ifindex, char *buf)
{
	struct fg_iface ifc;

	if (ifaces_fd >= 0 && !bpf_map_lookup_elem(ifaces_fd, &ifindex, &ifc)) {
		snprintf(buf, IF_NAMESIZE, "%.*s", IF_NAMESIZE - 1, ifc.ifname);
		return;
	}
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
}

static int ifaces_read(int stats_fd, int rate_fd, int ifaces_fd, __u32 only,
		       int (*fn)(const struct fg_iface_stats *s, void *ctx),
		       void *ctx)
{
	struct fg_iface_stats is;
	__u32 key, next, slot;
	int err;

	if (only) {
		/* Not attached: no slot, zeros (beyond the array), as before
		 * its first packet. */
		if (fg_iface_slot(ifaces_fd, only, &slot))
			slot = FG_NSLOTS;
		read_slot(stats_fd, rate_fd, slot, &is);
		is.ifindex = only;
		iface_name(ifaces_fd, only, is.name);
		return fn(&is, ctx);
	}
	for (err = ifaces_fd < 0 ? -1
				 : bpf_map_get_next_key(ifaces_fd, NULL, &key);
	     !err;
	     err = bpf_map_get_next_key(ifaces_fd, &key, &next), key = next) {
		if (fg_iface_slot(ifaces_fd, key, &slot))
			continue;
		read_slot(stats_fd, rate_fd, slot, &is);
		is.ifindex = key;
		iface_name(ifaces_fd, key, is.name);
		err = fn(&is, ctx);
		if (err)
			return err;
	}
	/* The catch-all slot: programs loaded without a slot (another
	 * loader, such as xdp-loader with the plain object), when it
	 * counted anything. */
	read_slot(stats_fd, rate_fd, FG_SLOT_OTHER, &is);
	if (!is.in.rx_packets && !is.in.flows.packets && !is.out.flows.packets)
		return 0;
	is.ifindex = FG_IFINDEX_OTHER;
	snprintf(is.name, sizeof(is.name), "%s", FG_IFNAME_OTHER);
	return fn(&is, ctx);
}

int fg_ifaces_read(int stats_fd, int ifaces_fd, __u32 only,
		   int (*fn)(const struct fg_iface_stats *s, void *ctx),
		   void *ctx)
{
	int rate_fd = fg_map_open(FG_MAP_OVFRATE), err;

	err = ifaces_read(stats_fd, rate_fd, ifaces_fd, only, fn, ctx);
	if (rate_fd >= 0)
		close(rate_fd);
	return err;
}

void fg_ifstats_drops(const struct fg_ifstats *s, __u64 *packets, __u64 *bytes)
{
	__u32 r;

	*packets = *bytes = 0;
	for (r = 1; r < FG_R_MAX; r++) {
		*packets += s->drop_packets[r];
		*bytes += s->drop_bytes[r];
	}
}

int fg_flow_table_fill(struct fg_table_fill *f)
{
	struct fg_ft_fill ff;
	struct fg_ft t;
	int err;

	memset(f, 0, sizeof(*f));
	err = fg_ft_open_pinned(&t);
	if (err)
		return err;
	/* Header lines only: about a millisecond per million slots. */
	err = fg_ft_fill(&t, &ff);
	if (!err) {
		f->entries = ff.live;
		f->max_flows = t.info.max_flows;
		f->slots = ff.slots;
		f->regions = ff.nreg;
		f->region_slots = ff.reg_slots;
		f->region_max = ff.reg_max;
		f->mark = FG_FT_MARK(t.info.nb);
	}
	fg_ft_close(&t);
	return err;
}
