// SPDX-License-Identifier: GPL-2.0
/*
 * The command table: every object, in the order `flowgate help` shows
 * them, and `flowgate help [OBJECT]` itself. The README's Usage block is
 * fg_help_forms()'s output (tests/unit/test_help.c compares them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "cmds.h"

const struct fg_cmd *const fg_cmds[] = {
	&fg_cmd_attach,
	&fg_cmd_detach,
	&fg_cmd_purge,
	&fg_cmd_status,
	&fg_cmd_stats,
	&fg_cmd_config,
	&fg_cmd_flow,
	&fg_cmd_replay,
	&fg_cmd_export,
	&fg_cmd_rtt,
	&fg_cmd_rule,
	&fg_cmd_daemon,
	&fg_cmd_capture,
	&fg_cmd_metrics,
	&fg_cmd_version,
	&fg_cmd_help,
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

	fprintf(f, "flowgate [-j] [-p] [--bpffs DIR] [--log-format text|json] "
		   "OBJECT [VERB] [ARGS]\n");
	for (i = 0; fg_cmds[i]; i++)
		fg_cmd_forms(f, fg_cmds[i]);
}

void fg_help_roff(FILE *f)
{
	char *buf = NULL, *c;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	fg_help_forms(m);
	fclose(m);
	fputs(".nf\n", f);
	for (c = buf; c && *c; c++) {
		if (*c == '-' || *c == '\\')
			fputc('\\', f);
		fputc(*c == '\\' ? 'e' : *c, f);
	}
	fputs(".fi\n", f);
	free(buf);
}

int fg_man_regen(FILE *in, FILE *out)
{
	char line[4096];
	int skip = 0;

	while (fgets(line, sizeof(line), in)) {
		if (strstr(line, ".\\\" END "))
			skip = 0;
		if (!skip)
			fputs(line, out);
		if (strstr(line, ".\\\" BEGIN USAGE"))
			fg_help_roff(out);
		else if (strstr(line, ".\\\" BEGIN CHECKS"))
			fg_reasons_roff(out);
		else
			continue;
		skip = 1;
	}
	return skip ? -EINVAL : 0; /* a BEGIN without its END */
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
		"         --log-format text|json  the daemons' log lines\n"
		"         --version  flowgate version\n"
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
