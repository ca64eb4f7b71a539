/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's config file (ctl/cfgfile.c, pure): settings at the top,
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

#endif /* FG_CTL_CFGFILE_H */
