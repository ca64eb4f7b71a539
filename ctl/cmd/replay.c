// SPDX-License-Identifier: GPL-2.0
/*
 * flowgate replay: the grammar; the driver is ctl/replay/replay.c, the
 * capture's selection ctl/capture/cap_args.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fg.h"
#include "replay.h"
#include "cap.h"
#include "cmds.h"

/* A timeout in seconds, as `flowgate export` takes it. */
static int replay_timeout(const char *kw, const char *v, __u32 *out)
{
	if (fg_parse_u32(v, 1, 86400, out))
		return fg_usage("%s must be a number of seconds from 1 to "
				"86400",
				kw);
	return 0;
}

static bool replay_known(const char *kw)
{
	static const char *const kws[] = {
		"max-flows",	  "ipfix",	  "config", "collector",
		"active-timeout", "idle-timeout", "capture"};
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (!strcmp(kw, kws[i]))
			return true;
	return false;
}

/* One KEYWORD VALUE pair of replay. */
static int replay_kw(struct fg_replay_args *a, const char *kw, const char *v)
{
	char msg[160];

	if (!strcmp(kw, "max-flows")) {
		if (fg_parse_u32(v, FG_MIN_FLOWS, FG_MAX_FLOWS, &a->max_flows))
			return fg_usage("max-flows must be a number from %u "
					"to %u",
					FG_MIN_FLOWS, FG_MAX_FLOWS);
		return 0;
	}
	if (!strcmp(kw, "ipfix") || !strcmp(kw, "config")) {
		if (!v[0] || strlen(v) >= 256)
			return fg_usage("%s: bad file name", kw);
		*(kw[0] == 'i' ? &a->ipfix : &a->config) = v;
		return 0;
	}
	if (!strcmp(kw, "collector")) {
		if (a->ncollectors == FG_MAX_COLLECTORS)
			return fg_usage("at most %d collectors",
					FG_MAX_COLLECTORS);
		if (fg_cfg_collector_parse(v, a->collector[a->ncollectors],
					   sizeof(a->collector[0]), msg,
					   sizeof(msg)))
			return fg_usage("%s", msg);
		a->ncollectors++;
		return 0;
	}
	if (!strcmp(kw, "active-timeout"))
		return replay_timeout(kw, v, &a->active_s);
	if (!strcmp(kw, "idle-timeout"))
		return replay_timeout(kw, v, &a->idle_s);
	return fg_usage("unexpected argument '%s' (see 'flowgate replay help')",
			kw);
}

/* capture FILE, then the selection words that follow it: how many
 * words it took, or -FG_EUSAGE. */
static int replay_capture(int argc, char **argv, int i,
			  struct fg_replay_args *a)
{
	static struct fg_cap_args cap;
	int n, j = i + 2;

	fg_cap_args_init(&cap);
	cap.out = argv[i + 1];
	if (!cap.out[0] || strlen(cap.out) >= 4096)
		return fg_usage("capture: bad file name");
	while (j < argc) {
		n = fg_cap_arg(argc, argv, j, &cap, FG_CAP_REPLAY);
		if (n < 0)
			return n;
		if (!n)
			break;
		j += n;
	}
	if (cap.burst && !cap.pps)
		return fg_usage("burst needs a limit: limit PPS burst N");
	a->cap = &cap;
	return j - i;
}

/* The grammar of the table below, unit-tested. */
int fg_args_replay(int argc, char **argv, struct fg_replay_args *a)
{
	int i, n, err;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return fg_cmd_usage(&fg_cmd_replay, NULL);
	if (argv[0][0] == '-' && argv[0][1])
		return fg_usage("unknown option '%s' (see 'flowgate replay "
				"help')",
				argv[0]);
	/* Captures, up to the first keyword. */
	for (i = 1; i < argc && !replay_known(argv[i]); i++)
		;
	a->path = argv[0];
	a->paths = argv;
	a->npaths = i;
	for (; i < argc; i += n) {
		n = 2;
		if (i + 1 == argc && replay_known(argv[i]))
			return fg_usage("%s needs a value", argv[i]);
		if (!strcmp(argv[i], "capture")) {
			n = replay_capture(argc, argv, i, a);
			if (n < 0)
				return n;
			continue;
		}
		err = replay_kw(a, argv[i], i + 1 < argc ? argv[i + 1] : "");
		if (err)
			return err;
	}
	if (a->npaths > 1 && a->ipfix && !strstr(a->ipfix, "{}"))
		return fg_usage("ipfix FILE: with several captures, FILE needs "
				"{} (each capture's name)");
	if (a->npaths > 1 && a->cap && !strstr(a->cap->out, "{}"))
		return fg_usage("capture FILE: with several captures, FILE "
				"needs {} (each capture's name)");
	if (a->active_s && a->idle_s > a->active_s)
		return fg_usage("idle-timeout (%u) above active-timeout (%u)",
				a->idle_s, a->active_s);
	return 0;
}

static int do_replay(int argc, char **argv)
{
	struct fg_replay_args a;
	int err = fg_args_replay(argc, argv, &a);

	if (err)
		return err;
	fg_libs_init();
	return fg_replay_run(&a);
}

static const struct fg_verb replay_verbs[] = {
	FG_VERB(NULL, do_replay,
		"PCAP... [max-flows N] [ipfix FILE] [collector URL]... "
		"[active-timeout S] [idle-timeout S] [config FILE]\n"
		"PCAP... capture FILE [drops|passes|all] [reason NAME]... "
		"[rule ID] [sample N] [limit PPS [burst N]] [snaplen N] "
		"[count N] [capture-ring SIZE]",
		"run captures through fg_xdp, one after the other on one load: "
		"verdicts, flows, IPFIX export, the selected packets to "
		"pcapng ({} in FILE: the capture's name)"),
	{},
};

const struct fg_cmd fg_cmd_replay = {"replay", replay_verbs};
