/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every map's name, which is also its pin's file name under the pin
 * directory (FG_PIN_DEFAULT, or <pin dir>/FG_RTT_PIN_SUBDIR for the RTT
 * path). The BPF side declares its maps by these names (the skeletons
 * give user space the same names as fields); user space opens pins and
 * creates its own maps only through these macros. At most 15 characters:
 * the kernel's BPF_OBJ_NAME_LEN.
 */
#ifndef FG_MAPS_H
#define FG_MAPS_H

/* The data path's state (bpf/lib/fg_maps.bpf.h, fg_flow.bpf.h). The
 * guard's settings are the programs' global fg_config (section
 * FG_CONFIG_SEC, read without a lookup), pinned as FG_MAP_CONFIG. */
#define FG_MAP_CONFIG  "fg_config"
#define FG_CONFIG_SEC  ".data.fg_cfg"
#define FG_MAP_IFSTATS "fg_ifstats"
#define FG_MAP_IFACES  "fg_ifaces"
#define FG_MAP_FLOWTAB "fg_flowtab" /* include/fg_flowtab.h */
#define FG_MAP_FTINFO  "fg_ftinfo"  /* its geometry and seed */
/* The flow table of releases before fg_flowtab (a per-CPU hash): only
 * named to refuse, move or remove it (attach, flow, purge). */
#define FG_MAP_FLOWS_OLD "fg_flows"
#define FG_MAP_OVERFLOW	 "fg_overflow"
#define FG_MAP_OVFARR	 "fg_ovfarr"  /* its fast half (fg_ovf_class) */
#define FG_MAP_OVFRATE	 "fg_ovfrate" /* drops the budget sent there */
#define FG_MAP_FRAGS	 "fg_frags"

/* Operator rules (bpf/lib/fg_rules.bpf.h), and the inner maps user space
 * makes for them (ctl/rules/rule_maps.c). */
#define FG_MAP_RULE_CTL	 "fg_rule_ctl" /* global fg_rule_ctl, pinned */
#define FG_RULE_CTL_SEC	 ".data.fg_rctl"
#define FG_MAP_RULE_MB4	 "fg_rule_mb4"
#define FG_MAP_RULE_MB6	 "fg_rule_mb6"
#define FG_MAP_RULE_GLOB "fg_rule_glob"
#define FG_MAP_RULES	 "fg_rules"
#define FG_MAP_RULE_HITS "fg_rule_hits"
#define FG_MAP_RULE_DEFS "fg_rule_defs"
#define FG_MAP_RULE_LSTS "fg_rule_lsts"
#define FG_MAP_RULE_TL6	 "fg_rule_tl6"
#define FG_MAP_RULE_MB	 "fg_rule_mb"	/* inner: one field's IPv4 blocks */
#define FG_MAP_RULE_MB6C "fg_rule_mb6c" /* inner: IPv6 block chunks */
#define FG_MAP_RULE_TAIL "fg_rule_tail" /* inner: IPv6 tails */
#define FG_MAP_RULE_LST	 "fg_rule_lst"	/* inner: one half's L4 lists */
#define FG_MAP_SYNC	 "fg_sync"	/* a map-in-map update as a barrier */
#define FG_MAP_SYNC_IN	 "fg_sync_in"

/* The exporter's own, made and pinned by `flowgate export`. */
#define FG_MAP_EXPSTATE "fg_expstate" /* the export shadow */
#define FG_MAP_EXPSTATS "fg_expstats" /* its counters, for `stats` */
/* The config daemon's own (`flowgate daemon config`): who, which file,
 * and what differs from it, for `status` and the CLI. */
#define FG_MAP_CFGDAEMON "fg_cfgdaemon"

/* TCP RTT (bpf/sockops/), pinned under FG_RTT_PIN_SUBDIR with the link. */
#define FG_MAP_RTT_CONNS  "fg_rtt_conns"
#define FG_MAP_RTT_CLOSED "fg_rtt_closed"
#define FG_MAP_RTT_STATS  "fg_rtt_stats"
#define FG_MAP_RTT_PHIST  "fg_rtt_phist"
#define FG_MAP_RTT_INFO	  "fg_rtt_info"
#define FG_PIN_RTT_LINK	  "link"

/* Packet capture (bpf/lib/fg_capture.bpf.h, include/fg_capture.h). The
 * selection is the programs' global fg_cap_cfg (section FG_CAP_CFG_SEC),
 * pinned under this name so that every instance shares it. */
#define FG_MAP_CAP_CFG	 "fg_cap_cfg"
#define FG_CAP_CFG_SEC	 ".data.fg_cap"
#define FG_MAP_CAP_RING	 "fg_cap_ring"
#define FG_MAP_CAP_STATS "fg_cap_stats"
#define FG_MAP_CAP_CPU	 "fg_cap_cpu"

#endif /* FG_MAPS_H */
