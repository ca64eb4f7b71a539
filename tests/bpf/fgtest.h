/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers for tests that run fg_xdp through BPF_PROG_TEST_RUN: a private
 * instance of the skeleton (maps neither pinned nor reused) loaded with
 * fg_record_last = 1, one-packet runs, the per-CPU counters summed, the
 * config map, and TAP output. Every non-test_ file in tests/bpf is linked
 * into every BPF test, hence the fgt_ prefix.
 */
#ifndef FG_TEST_FGTEST_H
#define FG_TEST_FGTEST_H

#include <stdbool.h>
#include <linux/types.h>
#include "fg_common.h"
#include "fg.h"
#include "flowtab.h"

struct flowgate_xdp;

/* Frames are run as received on loopback (the flow keys' ifindex). */
#define FGT_IFINDEX 1
/* fg_ifstats key of an instance loaded without a slot (fgt_open): the
 * catch-all slot's ingress entry. */
#define FGT_STATS_IN fg_slot_key(FG_SLOT_OTHER, FG_DIR_IN)

struct fgt {
	struct flowgate_xdp *skel;
	int prog_fd;
	int cfg_fd;
	int stats_fd;
	int ncpu;	 /* possible CPUs: values per key of a per-CPU map */
	struct fg_ft ft; /* fg_flowtab, mapped (ctl/lib/flowtab.h) */
};

struct fgt_result {
	__u32 retval; /* XDP action */
	__u32 reason; /* fg_last_reason */
	__u32 hits;   /* fg_last_hits */
};

/* Returns 0 or -errno (with a TAP diagnostic on stderr). */
int fgt_open(struct fgt *t);
/* The same, with fg_slot set as attach sets it. */
int fgt_open_slot(struct fgt *t, __u32 slot);
/* The same, with a flow table for max_flows flows (0: attach's default)
 * in one region per CPU, and with capture_clock, flow times from
 * bss->fg_pkt_ns (set per run). */
int fgt_open_flows(struct fgt *t, __u32 slot, __u32 max_flows,
		   int capture_clock);
/* The same with the table's geometry given: nreg regions (1: region 0
 * whatever the CPU) of nb buckets, seed 0. */
int fgt_open_ft(struct fgt *t, __u32 slot, __u32 nreg, __u32 nb,
		int capture_clock);
/* The same with a drop budget of dwin drops a window (fg_ft_dwin; 0, as
 * every other instance, no limit) of one jiffy, or with capture_clock of
 * 2^FG_FT_TICK_SHIFT ns. */
int fgt_open_budget(struct fgt *t, __u32 slot, __u32 nreg, __u32 nb,
		    int capture_clock, __u32 dwin);

/* The table's geometry as tests load it: one region per possible CPU, nb
 * buckets a region for max_flows (0: attach's default), seed 0 (the
 * buckets a key takes do not change from run to run). */
int fgt_ft_info(struct fg_ft_info *info, __u32 max_flows);
/* Set an opened skeleton's (fg_xdp's or fg_tc's) table to info, as every
 * loader must: rodata and the map's size. 0 or -errno. */
#define FGT_FT_SET(skel, info)                                      \
	({                                                          \
		FG_FT_RODATA(skel, info);                           \
		bpf_map__set_max_entries((skel)->maps.fg_flowtab,   \
					 (info)->nreg *(info)->nb); \
	})
/* Called by fgt_open_ft() when set, after the table's and the clock's
 * settings, before load: a test's own rodata. */
extern void (*fgt_pre_load)(struct flowgate_xdp *skel);
/* Map a loaded skeleton's table (its fd stays the skeleton's). */
int fgt_ft_map(struct fg_ft *ft, int map_fd, const struct fg_ft_info *info);
/* The live flow of k, summed over regions (fg_ft_get); all zero, packets
 * 0, when there is none. */
struct fg_flow_val fgt_flow(const struct fgt *t, const struct fg_flow_key *k);
void fgt_close(struct fgt *t);

/* Run one frame of len bytes (0 allowed: frames shorter than an Ethernet
 * header go in behind XDP metadata, which is not part of the frame). */
int fgt_run(struct fgt *t, const void *data, __u32 len, struct fgt_result *r);

/* Sum over CPUs of fg_ifstats[key]; all zero when there is none. */
int fgt_stats(struct fgt *t, __u32 key, struct fg_ifstats *sum);

int fgt_set_config(struct fgt *t, const struct fg_config *cfg);
/* Set one check's action, leaving the others as they are. */
int fgt_set_act(struct fgt *t, __u32 reason, __u8 act);
/* Every check's action from a profile (FG_PROFILE_*). */
int fgt_set_profile(struct fgt *t, __u32 profile);

/* TAP: numbered results, the plan printed last by fgt_done(). */
bool fgt_ok(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void fgt_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A "# " line on stdout, for context around a failure. */
void fgt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan; the exit status: 0 when nothing failed. */
int fgt_done(void);

#endif /* FG_TEST_FGTEST_H */
