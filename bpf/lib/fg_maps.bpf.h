/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and accounting shared by the BPF programs (XDP and TC). BPF only:
 * user space sees these maps through the skeleton and the pins.
 */
#ifndef FG_MAPS_BPF_H
#define FG_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_common.h"
#include "fg_parse.h"

/*
 * The guard's settings, written by `flowgate config`: a global in a data
 * section of its own (FG_CONFIG_SEC), which libbpf makes a one-entry array
 * that user space pins as fg_config and every instance reuses. The
 * programs read a global straight from its map value; a lookup of an
 * ordinary map costs a store, a load and a bounds check each time, and
 * every packet needs the settings in several stages. All zero is the
 * default profile (a new map, or a loader that writes none).
 */
struct fg_config fg_config SEC(".data.fg_cfg") = {};

/* An array, not a hash keyed by ifindex: the verifier inlines an array
 * lookup (~1 ns), a per-CPU hash lookup costs ~24 ns a packet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * FG_NSLOTS);
	__type(key, __u32);
	__type(value, struct fg_ifstats);
} fg_ifstats SEC(".maps");

/* Set by attach before load: this instance's interface slot (fg_iface.slot).
 * Every interface gets its own instance of the objects, so a constant per
 * instance is enough; FG_SLOT_OTHER for any other loader. */
const volatile __u32 fg_slot = FG_SLOT_OTHER;

/* Written by user space only (what `attach` did); part of the object so
 * that it is created and pinned with the rest of the state. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fg_iface);
} fg_ifaces SEC(".maps");

static __always_inline const struct fg_config *fg_config_get(void)
{
	return &fg_config;
}

/* The instance's slot, or the catch-all for a slot beyond the arrays
 * indexed by it (a loader that set fg_slot wrong), as fg_stats_get()
 * counts it. */
static __always_inline __u32 fg_slot_or_other(void)
{
	__u32 slot = fg_slot; /* volatile: one load, not one a use */

	return slot < FG_NSLOTS ? slot : FG_SLOT_OTHER;
}

/* This instance's counters of one direction (enum fg_dir). A slot beyond
 * the array (a loader that set fg_slot wrong) counts under
 * the catch-all rather than lose the packet: one lookup, its key from
 * fg_slot_or_other(), whose test the verifier decides from the frozen
 * rodata. */
static __always_inline struct fg_ifstats *fg_stats_get(__u32 dir)
{
	__u32 key = fg_slot_key(fg_slot_or_other(), dir);

	return bpf_map_lookup_elem(&fg_ifstats, &key);
}

#endif /* FG_MAPS_BPF_H */
