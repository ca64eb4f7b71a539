// SPDX-License-Identifier: GPL-2.0
/*
 * config show | config set check NAME off|count|drop | config set profile P.
 * The change is one update of the fg_config map: the running programs see
 * it on their next packet, nothing is reloaded. Setting a profile resets
 * every check to that profile's action (explicit per-check settings are
 * dropped); `config set check` then overrides single checks. `config reset`
 * returns every setting `config set` can change to its default; rules and
 * attachments are not settings and stay.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fg.h"
#include "cmds.h"
#include "cfgfile.h"

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

/* 1 when a setting differs (and then printed, if print), 0 otherwise. */
static int change(bool print, const char *setting, const char *from,
		  const char *to)
{
	if (!strcmp(from, to))
		return 0;
	if (!print)
		return 1;
	out_obj_open(NULL);
	out_str("setting", setting);
	out_str("from", from);
	out_str("to", to);
	out_obj_close();
	return 1;
}

static int changes(const struct fg_config *was, const struct fg_config *now,
		   bool print)
{
	char a[16], b[16], name[64];
	int n = 0;
	__u32 r;

	n += change(print, "profile", fg_profile_name(was->profile),
		    fg_profile_name(now->profile));
	snprintf(a, sizeof(a), "%u", was->sampling > 1 ? was->sampling : 1);
	snprintf(b, sizeof(b), "%u", now->sampling > 1 ? now->sampling : 1);
	n += change(print, "sampling", a, b);
	n += change(print, "drop-flows",
		    was->flags & FG_CFG_NO_DROP_FLOWS ? "off" : "on",
		    now->flags & FG_CFG_NO_DROP_FLOWS ? "off" : "on");
	for (r = 1; r < FG_R_MAX; r++) {
		snprintf(name, sizeof(name), "check %s", fg_reason_name(r));
		n += change(print, name,
			    fg_action_name(fg_config_action(was, r)),
			    fg_action_name(fg_config_action(now, r)));
	}
	return n;
}

/* What a `config set` changed, and only that (`config show` has the
 * rest). Nothing changed: "changed nothing" in text, where an empty
 * list would print a bare "changed:"; JSON keeps the list, empty, so its
 * type never depends on the values. */
static void print_changes(const struct fg_config *was,
			  const struct fg_config *now)
{
	out_begin();
	if (!fg_opts.json && !changes(was, now, false)) {
		out_str("changed", "nothing");
	} else {
		out_arr_open("changed");
		changes(was, now, true);
		out_arr_close();
	}
	out_end();
}

/* The start of every verb: no operand where the verb takes none (verb
 * named), the capabilities, then the config in force. */
static int config_begin(int argc, const char *verb, struct fg_config *cur)
{
	int err;

	if (argc && verb)
		return fg_cmd_usage(&fg_cmd_config, verb);
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	err = fg_config_read(cur);
	return err ? fg_error(err, "cannot read the config: %s", fg_strerr(err))
		   : 0;
}

/* Write cfg over cur; a change by hand is said while a daemon owns it. */
static int config_commit(const struct fg_config *cur,
			 const struct fg_config *cfg)
{
	int err = fg_config_write(cfg);

	if (err)
		return fg_error(err, "cannot write the config: %s",
				fg_strerr(err));
	if (changes(cur, cfg, false))
		fg_daemon_warn_owner();
	return 0;
}

static int config_show(int argc, char **argv)
{
	struct fg_config cur;
	int err;

	err = config_begin(argc, "show", &cur);
	if (!err)
		print_config(&cur);
	return err;
}

static int config_set(int argc, char **argv)
{
	struct fg_config cur, cfg;
	int err;

	err = config_begin(argc, NULL, &cur);
	if (!err)
		err = fg_args_config_set(argc, argv, &cur, &cfg);
	if (err)
		return err;
	/* config set before any attach creates the state, so that the
	 * first packet is already judged by it. */
	err = fg_state_ensure();
	if (err)
		return err;
	err = config_commit(&cur, &cfg);
	if (!err)
		print_changes(&cur, &cfg);
	return err;
}

/* The defaults: the default profile, no override, every packet sampled,
 * drop flows on (what an all-zero map means to the data path too). */
static void config_defaults(struct fg_config *cfg)
{
	fg_config_apply_profile(cfg, FG_PROFILE_DEFAULT);
}

static int config_reset(int argc, char **argv)
{
	struct fg_config cur, cfg;
	int err;

	err = config_begin(argc, "reset", &cur);
	if (err)
		return err;
	config_defaults(&cfg);
	/* No state: already the defaults, and nothing is created. */
	if (fg_state_exists() && memcmp(&cur, &cfg, sizeof(cfg))) {
		err = config_commit(&cur, &cfg);
		if (err)
			return err;
	}
	if (!fg_state_exists())
		cur = cfg;
	print_changes(&cur, &cfg);
	return 0;
}

int fg_args_config_set(int argc, char **argv, const struct fg_config *cur,
		       struct fg_config *cfg)
{
	int r, a, p;

	if (argc == 2 && !strcmp(argv[0], "profile")) {
		p = fg_profile_by_name(argv[1]);
		if (p < 0)
			return fg_usage("unknown profile '%s' (default, "
					"monitor or strict)",
					argv[1]);
		fg_config_apply_profile(cfg, p);
		cfg->sampling = cur->sampling;
		cfg->flags = cur->flags;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[0], "check")) {
		r = fg_reason_by_name(argv[1]);
		if (r < 0)
			return fg_usage("unknown check '%s' (see 'flowgate "
					"config show')",
					argv[1]);
		a = fg_action_by_name(argv[2]);
		if (a < 0)
			return fg_usage("unknown action '%s' (off, count or "
					"drop)",
					argv[2]);
		*cfg = *cur;
		/* A config never written by us is the default profile. */
		if (cfg->version != FG_CONFIG_VERSION) {
			fg_config_apply_profile(cfg, FG_PROFILE_DEFAULT);
			cfg->sampling = cur->sampling;
			cfg->flags = cur->flags;
		}
		cfg->act[r] = a;
		cfg->override |= 1ULL << r;
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "sampling")) {
		__u32 n;

		if (fg_parse_u32(argv[1], 1, 1u << 30, &n))
			return fg_usage("sampling takes N in 1 in N, from 1 "
					"(every packet) to 2^30");
		*cfg = *cur;
		cfg->sampling = n == 1 ? 0 : n;
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "drop-flows")) {
		*cfg = *cur;
		if (!strcmp(argv[1], "on"))
			cfg->flags &= ~FG_CFG_NO_DROP_FLOWS;
		else if (!strcmp(argv[1], "off"))
			cfg->flags |= FG_CFG_NO_DROP_FLOWS;
		else
			return fg_usage("drop-flows takes on or off");
		return 0;
	}
	return fg_cmd_usage(&fg_cmd_config, "set");
}

static const struct fg_verb config_verbs[] = {
	FG_VERB("show", config_show, NULL,
		"profile, sampling, drop flows and every check's action"),
	FG_VERB("set", config_set,
		"check NAME off|count|drop\nprofile default|monitor|strict\n"
		"sampling N\ndrop-flows on|off",
		"change one setting; the data path sees it at the next "
		"packet"),
	FG_VERB("reset", config_reset, NULL,
		"every setting above back to its default (profile default, "
		"no check override, sampling 1, drop-flows on); rules and "
		"attachments stay"),
	{},
};

const struct fg_cmd fg_cmd_config = {"config", config_verbs};
