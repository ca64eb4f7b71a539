// SPDX-License-Identifier: GPL-2.0
/*
 * config show | config set check NAME off|count|drop | config set profile P.
 * The change is one update of the fg_config map: the running programs see
 * it on their next packet, nothing is reloaded. Setting a profile resets
 * every check to that profile's action (explicit per-check settings are
 * dropped); `config set check` then overrides single checks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fg.h"

static void print_config(const struct fg_config *cfg)
{
	__u32 r;

	out_begin();
	out_str("profile", fg_profile_name(cfg->profile));
	out_u64("sampling", cfg->sampling > 1 ? cfg->sampling : 1);
	out_bool("drop_flows", !(cfg->flags & FG_CFG_NO_DROP_FLOWS));
	out_arr_open("checks");
	for (r = 1; r < FG_R_MAX; r++) {
		out_obj_open(NULL);
		out_str("check", fg_reason_name(r));
		out_u64("code", r);
		out_str("action", fg_action_name(fg_config_action(cfg, r)));
		out_bool("override", cfg->override & (1ULL << r));
		out_str("class", fg_reason_class(r));
		out_str("description", fg_reason_desc(r));
		out_obj_close();
	}
	out_arr_close();
	out_end();
}

int do_config(int argc, char **argv)
{
	struct fg_config cur, cfg;
	int err;

	if (argc < 1 || (strcmp(argv[0], "show") && strcmp(argv[0], "set")))
		return fg_usage("usage: config show | config set ...");
	if (!strcmp(argv[0], "show") && argc != 1)
		return fg_usage("config show takes no arguments");
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	err = fg_config_read(&cur);
	if (err)
		return fg_error(err, "cannot read the config: %s",
				fg_strerr(err));
	if (!strcmp(argv[0], "show")) {
		print_config(&cur);
		return 0;
	}
	err = fg_args_config_set(argc - 1, argv + 1, &cur, &cfg);
	if (err)
		return err;
	/* config set before any attach creates the state, so that the
	 * first packet is already judged by it. */
	err = fg_state_ensure();
	if (err)
		return err;
	err = fg_config_write(&cfg);
	if (err)
		return fg_error(err, "cannot write the config: %s",
				fg_strerr(err));
	print_config(&cfg);
	return 0;
}
