/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's config file (ctl/daemon/cfgfile.c, pure): settings at the top,
 * then optional [export] and [rules] sections. The file is the whole
 * configuration: what it does not say is the default.
 */
#ifndef FG_CTL_CFGFILE_H
#define FG_CTL_CFGFILE_H

#include "fg.h"
#include "rules.h"

struct fg_daemon_cfg {
	struct fg_config cfg; /* profile, checks, sampling, drop-flows */
	struct fg_cfg_export export;
	struct fg_ruleset rules;
};

/* Parse and check a whole file. On error nothing is kept and e says
 * where and why. */
int fg_cfgfile_parse(const char *buf, size_t len, struct fg_daemon_cfg *c,
		     struct fg_perr *e);
void fg_daemon_cfg_free(struct fg_daemon_cfg *c);

/* Keep the pinned state equal to the file at path until a signal other
 * than SIGHUP (daemon.c); log lines on stderr. */
int fg_daemon_run(const char *path);

/* The running config daemon's record (pinned FG_MAP_CFGDAEMON, one
 * entry): `status` shows it, the CLI warns before changing what it
 * keeps. */
struct fg_daemon_rec {
	__u32 pid;
	__u32 pad;
	__u64 started_ms; /* wall clock */
	__u64 drift_ms;	  /* since when drift[] is in force, 0: none */
	char file[256];	  /* the file it keeps the state equal to */
	char drift[256];  /* what differs from the file, "": nothing */
};

/* The record, and whether its daemon still runs (running may be NULL);
 * -ENOENT when no config daemon has run on this state. */
int fg_daemon_rec_read(struct fg_daemon_rec *r, bool *running);
/* One "Warning:" line on stderr when a config daemon runs on this state:
 * the change just made stays only until its file changes. */
void fg_daemon_warn_owner(void);

struct bpf_object;
/* Read, parse and check a file (daemon.c); errors printed as
 * FILE[:LINE]: why. */
int fg_daemon_cfg_load(const char *path, struct fg_daemon_cfg *c);
/* Apply a checked file to a private, unpinned instance (replay): its rules
 * and its fg_config (config_fd); errors printed. */
int fg_daemon_cfg_apply_obj(struct fg_daemon_cfg *c, struct bpf_object *obj,
			    int config_fd, const char *path);

#endif /* FG_CTL_CFGFILE_H */
