// SPDX-License-Identifier: GPL-2.0
/*
 * flowgate: `flowgate [OPTIONS] OBJECT [VERB] [ARGS]`, in the manner of
 * bpftool and iproute2. Only main() chooses exit codes: 0 ok, 1 failure,
 * 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"

struct fg_opts fg_opts;

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "attach", do_attach,
	  "attach DEV [mode native|skb] [hook xdp|tc] [max-flows N]" },
	{ "detach", do_detach, "detach DEV" },
	{ "status", do_status, "status" },
	{ "stats", do_stats, "stats [dev DEV]" },
	{ "config", do_config,
	  "config show | config set check NAME off|count|drop\n"
	  "       | config set profile default|monitor|strict" },
	{ "replay", do_replay,
	  "replay PCAP [max-flows N] [ipfix FILE] [collector URL]... "
	  "[active-timeout S] [idle-timeout S] [config FILE]" },
	{ "flow", do_flow, "flow dump [dev DEV] [proto P] [addr A] [port N]" },
	{ "export", do_export,
	  "export collector udp://|tcp://HOST[:PORT]... [file PATH]\n"
	  "       [active-timeout S] [idle-timeout S] [template-refresh S]\n"
	  "       [domain ID] [mtu N] [spool SIZE] [tcp-flags-octets 1|2]\n"
	  "       [enterprise PEN] [sampling-announce legacy|psamp|both|off]\n"
	  "       [rtt on|off] [interval MS] [config FILE]" },
	{ "rtt", do_rtt,
	  "rtt [show] [addr A] [port N] | rtt enable [cgroup PATH]\n"
	  "       | rtt disable" },
	{ "rule", do_rule,
	  "rule add [src P] [dst P] [proto P] [sport P[-Q]] [dport P[-Q]]\n"
	  "            [dev D] [prio N] action drop|pass|count [comment T]\n"
	  "       | rule del ID | rule list | rule flush\n"
	  "       | rule load FILE | rule save FILE" },
	{ "daemon", do_daemon, "daemon config FILE | daemon check FILE" },
	{ "metrics", do_metrics, "metrics listen ADDR:PORT" },
	{ "version", do_version, "version" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: flowgate [-j] [-p] [--bpffs DIR] [--log-format "
		   "text|json] OBJECT ...\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "       flowgate %s\n", cmds[i].usage);
	fprintf(f, "Options: -j|--json  JSON output; -p|--pretty  indented JSON;\n"
		   "         --bpffs DIR  pin root (default %s, or "
		   "$FLOWGATE_BPFFS);\n"
		   "         --log-format text|json  the daemons' log lines;\n"
		   "         --version  same as the version object\n",
		FG_PIN_DEFAULT);
}

/* Global options may stand anywhere (`flowgate replay X -j` reads well), so
 * they are taken out of argv first; the rest is OBJECT and its arguments. */
static int take_global_opts(int *argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			fg_opts.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			fg_opts.json = fg_opts.pretty = true;
		} else if (!strcmp(a, "--bpffs")) {
			if (++i >= *argc)
				return fg_usage("--bpffs needs a directory");
			fg_opts.bpffs = argv[i];
		} else if (!strncmp(a, "--bpffs=", 8)) {
			fg_opts.bpffs = a + 8;
		} else if (!strcmp(a, "--log-format")) {
			if (++i >= *argc || fg_log_set_format(argv[i]))
				return fg_usage("--log-format takes text or "
						"json");
		} else if (!strcmp(a, "--version")) {
			argv[++n] = "version";
		} else {
			argv[++n] = argv[i];
		}
	}
	*argc = n + 1;
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;
	int err;

	err = take_global_opts(&argc, argv);
	if (!err && argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!err && (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
		     !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (!err) {
		err = -FG_EUSAGE;
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			if (strcmp(argv[1], cmds[i].name))
				continue;
			err = cmds[i].fn(argc - 2, argv + 2);
			break;
		}
		if (i == sizeof(cmds) / sizeof(cmds[0]))
			fg_usage("unknown object '%s' (try 'flowgate help')",
				 argv[1]);
	}
	fflush(stdout);
	if (err == -FG_EUSAGE)
		return 2;
	return err ? 1 : 0;
}
