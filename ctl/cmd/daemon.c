// SPDX-License-Identifier: GPL-2.0
/*
 * daemon config FILE: keep flowgate's settings and rules equal to a file
 * (the loop is ctl/daemon/daemon.c). daemon check FILE: parse and check a
 * file, change nothing.
 */
#include <stdio.h>
#include <string.h>
#include "fg.h"
#include "cmds.h"
#include "cfgfile.h"

/* daemon check FILE: what daemon config would say about it, no change. */
static int check_only(const char *path)
{
	struct fg_daemon_cfg c;
	int err;

	err = fg_daemon_cfg_load(path, &c);
	if (err)
		return err;
	out_begin();
	out_str("file", path);
	out_bool("valid", true);
	out_str("profile", fg_profile_name(c.cfg.profile));
	out_u64("sampling", c.cfg.sampling > 1 ? c.cfg.sampling : 1);
	out_bool("drop_flows", !(c.cfg.flags & FG_CFG_NO_DROP_FLOWS));
	out_u64("rules", c.rules.n);
	out_bool("export", c.export.present);
	out_u64("collectors", c.export.ncollectors);
	out_end();
	fg_daemon_cfg_free(&c);
	return 0;
}

static int daemon_check(int argc, char **argv)
{
	if (argc != 1)
		return fg_cmd_usage(&fg_cmd_daemon, "check");
	return check_only(argv[0]);
}

static int daemon_config(int argc, char **argv)
{
	int err;

	if (argc != 1)
		return fg_cmd_usage(&fg_cmd_daemon, "config");
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	/* stderr is the log: one line per event, never held in a buffer. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	return fg_daemon_run(argv[0]);
}

static const struct fg_verb daemon_verbs[] = {
	FG_VERB("config", daemon_config, "FILE",
		"keep the settings and rules equal to FILE, in the "
		"foreground"),
	FG_VERB("check", daemon_check, "FILE",
		"parse and check FILE as daemon config would; change nothing"),
	{},
};

const struct fg_cmd fg_cmd_daemon = {"daemon", daemon_verbs};
