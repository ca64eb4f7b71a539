/* SPDX-License-Identifier: GPL-2.0 */
/* Replay's flow table as its exporter reads it (replay_src.c). */
#ifndef FG_REPLAY_SRC_H
#define FG_REPLAY_SRC_H

struct fg_flow_src;
struct fg_take;

/* Replay's private flow table, for its exporter (replay_src.c). */
struct fg_replay_flows {
	int fd;		      /* fg_flows */
	struct fg_take *take; /* fg_take_buf, mmapped; NULL: no fg_take */
	int take_prog;	      /* fg_take */
};

/* The exporter's flow source over it (ctl/export/flow_src.h). */
int fg_replay_src_new(struct fg_flow_src **s, const struct fg_replay_flows *f);

#endif /* FG_REPLAY_SRC_H */
