// SPDX-License-Identifier: GPL-2.0
/*
 * flowgate: `flowgate [OPTIONS] OBJECT [VERB] [ARGS]`, in the manner of
 * bpftool and iproute2: options, then dispatch over the command table
 * (ctl/cmd/help.c). Only main() chooses exit codes: 0 ok, 1 failure,
 * 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "cmds.h"

struct fg_opts fg_opts;
static bool want_help;

/* -j, -p and -h, alone or combined as bpftool takes them (-jp). */
static bool short_opts(const char *a)
{
	const char *c;

	if (a[0] != '-' || !a[1] || strspn(a + 1, "jph") != strlen(a + 1))
		return false;
	for (c = a + 1; *c; c++) {
		if (*c == 'j')
			fg_opts.json = true;
		else if (*c == 'p')
			fg_opts.json = fg_opts.pretty = true;
		else
			want_help = true;
	}
	return true;
}

/* Global options may stand anywhere (`flowgate replay X -j` reads well), so
 * they are taken out of argv first; the rest is OBJECT and its arguments. */
static int take_global_opts(int *argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (short_opts(a)) {
			continue;
		} else if (!strcmp(a, "--json")) {
			fg_opts.json = true;
		} else if (!strcmp(a, "--pretty")) {
			fg_opts.json = fg_opts.pretty = true;
		} else if (!strcmp(a, "--help")) {
			want_help = true;
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

static int run(int argc, char **argv)
{
	const struct fg_cmd *c;

	if (argc < 2) {
		fg_help_all(want_help ? stdout : stderr);
		return want_help ? 0 : -FG_EUSAGE;
	}
	c = fg_cmd_find(argv[1]);
	if (!c)
		return fg_usage("unknown object '%s' (try 'flowgate help')",
				argv[1]);
	if (want_help)
		return fg_cmd_print_help(stdout, c, argc > 2 ? argv[2] : NULL);
	return fg_cmd_run(c, argc - 2, argv + 2);
}

int main(int argc, char **argv)
{
	int err = take_global_opts(&argc, argv);

	if (!err)
		err = run(argc, argv);
	fflush(stdout);
	if (err == -FG_EUSAGE)
		return 2;
	return err ? 1 : 0;
}
