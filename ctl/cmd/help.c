// SPDX-License-Identifier: GPL-2.0
/*
 * The command table: every object, in the order `flowgate help` shows
 * them, and `flowgate help [OBJECT]` itself. The README's Usage block is
 * fg_help_forms()'s output (tests/unit/test_help.c compares them).
 */
#include <stdio.h>
#include <string.h>
#include "fg.h"
#include "cmds.h"

const struct fg_cmd *const fg_cmds[] = {
	&fg_cmd_attach, &fg_cmd_detach, &fg_cmd_status, &fg_cmd_stats,
	&fg_cmd_config, &fg_cmd_flow,	&fg_cmd_replay, &fg_cmd_export,
	&fg_cmd_rtt,	&fg_cmd_rule,	&fg_cmd_daemon, &fg_cmd_help,
	NULL,
};

const struct fg_cmd *fg_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; name && fg_cmds[i]; i++)
		if (!strcmp(fg_cmds[i]->name, name))
			return fg_cmds[i];
	return NULL;
}

void fg_help_forms(FILE *f)
{
	size_t i;

	fprintf(f, "flowgate [-j] [-p] [--bpffs DIR] OBJECT [VERB] [ARGS]\n");
	for (i = 0; fg_cmds[i]; i++)
		fg_cmd_forms(f, fg_cmds[i]);
}

void fg_help_all(FILE *f)
{
	fprintf(f, "Usage:\n");
	fg_help_forms(f);
	fprintf(f,
		"Options: -j, --json  JSON output; -p, --pretty  indented JSON "
		"(-jp: both)\n"
		"         --bpffs DIR  pin directory (default %s, or "
		"$FLOWGATE_BPFFS)\n"
		"         -h, --help  this help; after OBJECT [VERB], theirs\n",
		FG_PIN_DEFAULT);
}

static int do_help(int argc, char **argv)
{
	const struct fg_cmd *c;

	if (!argc) {
		fg_help_all(stdout);
		return 0;
	}
	c = fg_cmd_find(argv[0]);
	if (!c || argc > 2)
		return fg_usage("unknown object '%s' (try 'flowgate help')",
				argv[0]);
	return fg_cmd_print_help(stdout, c, argc > 1 ? argv[1] : NULL);
}

static const struct fg_verb help_verbs[] = {
	FG_VERB(NULL, do_help, "[OBJECT [VERB]]",
		"every object's usage, or one object's (or verb's) with help"),
	{},
};

const struct fg_cmd fg_cmd_help = {"help", help_verbs};
