/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command objects, one or more per file of ctl/cmd/, each with its
 * verbs, grammar and help (struct fg_cmd, ctl/lib/fg.h). help.c lists
 * them in the order `flowgate help` shows them.
 */
#ifndef FG_CMDS_H
#define FG_CMDS_H

#include "fg.h"

extern const struct fg_cmd fg_cmd_attach, fg_cmd_detach, fg_cmd_status;
extern const struct fg_cmd fg_cmd_purge;
extern const struct fg_cmd fg_cmd_stats, fg_cmd_config, fg_cmd_flow;
extern const struct fg_cmd fg_cmd_replay, fg_cmd_export, fg_cmd_rtt;
extern const struct fg_cmd fg_cmd_rule, fg_cmd_daemon, fg_cmd_help;
extern const struct fg_cmd fg_cmd_metrics, fg_cmd_version;
extern const struct fg_cmd fg_cmd_capture;

/* The argument grammars, pure functions that the unit tests call. */
struct fg_attach_args {
	const char *dev;
	__u32 mode;	    /* enum fg_attach_mode */
	__u32 hook;	    /* enum fg_hook */
	__u32 max_flows;    /* 0: keep the pinned size, or the default */
	__u32 cap_ring;	    /* capture ring bytes; 0: likewise */
	__u32 drop_rate;    /* drop-flow-rate: drops a second per CPU; 0 none */
	bool drop_rate_set; /* given (else FG_DROP_RATE_DEFAULT) */
};
int fg_args_attach(int argc, char **argv, struct fg_attach_args *a);
int fg_args_config_set(int argc, char **argv, const struct fg_config *cur,
		       struct fg_config *cfg);
struct fg_replay_args;
int fg_args_replay(int argc, char **argv, struct fg_replay_args *a);
enum fg_rtt_verb {
	FG_RTT_SHOW = 0,
	FG_RTT_ENABLE,
	FG_RTT_DISABLE,
};
struct fg_rtt_args {
	int verb;	    /* enum fg_rtt_verb */
	const char *cgroup; /* enable: NULL for the default */
	bool has_addr;	    /* show: filters */
	__u8 addr[16];
	int port; /* -1: any */
};
int fg_args_rtt(int argc, char **argv, struct fg_rtt_args *a);
/* `flowgate export ARGS`; adds to s. */
struct fg_exp_settings;
int fg_args_export(int argc, char **argv, struct fg_exp_settings *s);

/* Every object, NULL-terminated (help.c). */
extern const struct fg_cmd *const fg_cmds[];
/* The object called name, NULL if none. */
const struct fg_cmd *fg_cmd_find(const char *name);
/* The usage lines of every object, as the README's Usage shows them. */
void fg_help_forms(FILE *f);
/* The same lines for the manual's SYNOPSIS (roff, no-fill). */
void fg_help_roff(FILE *f);
/* Copy the manual's source from in to out with its generated parts (from
 * the BEGIN USAGE and BEGIN CHECKS markers to the next END marker) made
 * afresh; -EINVAL for a BEGIN without its END. */
int fg_man_regen(FILE *in, FILE *out);
/* `flowgate help`: options and every object's usage lines. */
void fg_help_all(FILE *f);

#endif /* FG_CMDS_H */
