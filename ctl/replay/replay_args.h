/* SPDX-License-Identifier: GPL-2.0 */
/* What `flowgate replay` is told: its grammar (ctl/cmd/replay.c) fills it,
 * the driver and its export read it. */
#ifndef FG_REPLAY_ARGS_H
#define FG_REPLAY_ARGS_H

#include <linux/types.h>
#include "fg.h"

struct fg_cap_args;

struct fg_replay_args {
	const char *path; /* the capture being replayed: paths[i] */
	/* the captures, replayed in turn on one load of the program */
	char *const *paths;
	int npaths;
	__u32 max_flows; /* flow table size; 0: the default */
	/* ipfix FILE: IPFIX export to a file; NULL none. "{}" in it stands
	 * for the capture's name (fg_replay_name). */
	const char *ipfix;
	/* collector URL, normalised (fg_cfg_collector_parse) */
	char collector[FG_MAX_COLLECTORS][FG_URL_LEN];
	int ncollectors;
	__u32 active_s, idle_s; /* 0: from config FILE, else the default */
	const char *config;	/* config FILE (the daemon's); NULL none */
	/* capture FILE [selection]: the packets it selects to pcapng
	 * (ctl/capture/cap.h); NULL: none */
	struct fg_cap_args *cap;
};

#endif /* FG_REPLAY_ARGS_H */
