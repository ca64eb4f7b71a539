/* SPDX-License-Identifier: GPL-2.0 */
/* What an exporter is told: its outputs, timeouts and IPFIX choices. */
#ifndef FG_EXP_SETTINGS_H
#define FG_EXP_SETTINGS_H

#include <stdbool.h>
#include <linux/types.h>
#include "fg.h"
#include "ipfix.h"

#define FG_EXP_MAX_OUTS (FG_MAX_COLLECTORS + 1) /* and a file */

/* How the sampling rate is announced (options records). */
enum fg_samp_style {
	FG_SAMP_LEGACY = 1, /* samplingInterval (34): every collector */
	FG_SAMP_PSAMP = 2,  /* samplingPacketInterval/Space (305/306) */
	FG_SAMP_BOTH = 3,
	FG_SAMP_OFF = 4,
};

/* Everything `flowgate export` is told (command line or config file). */
struct fg_exp_settings {
	char urls[FG_EXP_MAX_OUTS][FG_URL_LEN]; /* udp:// tcp:// */
	int nurls;
	char file[256];	   /* "" for none */
	__u32 active_s;	   /* long-lived flows: a delta every active_s */
	__u32 idle_s;	   /* no packet for idle_s: the flow ends */
	__u32 refresh_s;   /* templates and options, UDP */
	__u32 domain;	   /* observation domain ID */
	__u32 mtu;	   /* UDP: message + IP + UDP headers fit in it */
	__u64 spool_bytes; /* TCP: messages kept while disconnected */
	__u32 tick_ms;	   /* sweep period */
	/* records of a sweep in key order, so that two runs over the same
	 * flows write the same bytes (a hash table's order differs) */
	bool sorted;
	__u8 tcp_flags_len; /* 1 or 2 octets */
	__u8 samp_style;    /* enum fg_samp_style */
	__u32 pen;	    /* enterprise number of flowgate's IEs; 0: none */
	bool rtt; /* RTT IEs (sock_ops, `flowgate rtt enable`) in records */
	char config[256]; /* settings file re-read on SIGHUP; "" none */
	/* after this many UDP datagrams in a row, a 1 ms pause, so that a
	 * collector on the same host keeps up with sweeps far faster than
	 * real time (0: never pause) */
	__u32 udp_burst;
	/* told of every record handed to the outputs (NULL: none) */
	void (*on_record)(const struct ipfix_flow *f, void *ctx);
	void *record_ctx;
};

void fg_exp_settings_default(struct fg_exp_settings *s);
struct fg_cfg_export;
void fg_exp_settings_from_cfg(struct fg_exp_settings *s,
			      const struct fg_cfg_export *x);

#endif /* FG_EXP_SETTINGS_H */
