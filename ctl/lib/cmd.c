// SPDX-License-Identifier: GPL-2.0
/*
 * The command table's machinery: every command object (ctl/cmd/) declares
 * its verbs, their grammar and one line of help in a struct fg_cmd; the
 * dispatch, the usage lines, `OBJECT help` and the usage errors are all
 * made from it here, so that they cannot disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"

#define WIDTH  79		/* usage lines wrap before this column */
#define NOWRAP ((size_t)-1 / 2) /* usage errors: one line */

static bool has_verbs(const struct fg_cmd *c)
{
	return c->verbs[0].name != NULL;
}

/* One usage line, wrapped at width between bracket groups, continuation
 * lines indented under the first argument; no newline at its end. */
static void put_form(FILE *f, const char *head, const char *args, size_t alen,
		     size_t width)
{
	size_t col = fprintf(f, "%s", head), indent = col + 1, i, w;
	int depth;

	while (alen) {
		while (alen && *args == ' ')
			args++, alen--;
		for (i = 0, depth = 0; i < alen; i++) {
			if (args[i] == ' ' && !depth)
				break;
			depth += args[i] == '[' ? 1 : args[i] == ']' ? -1 : 0;
		}
		w = i;
		if (!w)
			break;
		if (col + 1 + w > width && col > indent) {
			fprintf(f, "\n%*s", (int)indent - 1, "");
			col = indent - 1;
		}
		col += fprintf(f, " %.*s", (int)w, args);
		args += w;
		alen -= w;
	}
}

/* Every line of one verb (its args may hold alternatives, one a line),
 * each followed by sep. */
static void verb_forms(FILE *f, const struct fg_cmd *c, const struct fg_verb *v,
		       size_t width, const char *sep)
{
	const char *a = v->args ? v->args : "", *nl;
	char head[64];

	if (!v->name)
		snprintf(head, sizeof(head), "flowgate %s", c->name);
	else if (v->flags & FG_VERB_DEFAULT)
		snprintf(head, sizeof(head), "flowgate %s [%s]", c->name,
			 v->name);
	else
		snprintf(head, sizeof(head), "flowgate %s %s", c->name,
			 v->name);
	do {
		nl = strchr(a, '\n');
		put_form(f, head, a, nl ? (size_t)(nl - a) : strlen(a), width);
		fputs(sep, f);
		a = nl ? nl + 1 : NULL;
	} while (a);
}

static const struct fg_verb *verb_find(const struct fg_cmd *c, const char *name)
{
	const struct fg_verb *v;

	for (v = c->verbs; name && v->fn; v++)
		if (v->name && !strcmp(v->name, name))
			return v;
	return NULL;
}

void fg_cmd_forms(FILE *f, const struct fg_cmd *c)
{
	const struct fg_verb *v;

	for (v = c->verbs; v->fn; v++)
		verb_forms(f, c, v, WIDTH, "\n");
}

int fg_cmd_print_help(FILE *f, const struct fg_cmd *c, const char *verb)
{
	const struct fg_verb *v, *only = verb_find(c, verb);

	for (v = c->verbs; v->fn; v++) {
		if (only && v != only)
			continue;
		verb_forms(f, c, v, WIDTH, "\n");
		fprintf(f, "    %s\n", v->help);
	}
	return 0;
}

int fg_cmd_usage(const struct fg_cmd *c, const char *verb)
{
	const struct fg_verb *v = verb_find(c, verb), *w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return fg_usage("see 'flowgate %s help'", c->name);
	/* One line: the forms with " | " between them. */
	for (w = c->verbs; w->fn; w++)
		if (!v || w == v)
			verb_forms(f, c, w, NOWRAP, " | ");
	fclose(f);
	if (len >= 3)
		buf[len - 3] = '\0';
	fg_usage("usage: %s", buf);
	free(buf);
	return -FG_EUSAGE;
}

int fg_cmd_run(const struct fg_cmd *c, int argc, char **argv)
{
	const struct fg_verb *v, *dflt = NULL;
	int err;

	if (argc == 1 && !strcmp(argv[0], "help"))
		return fg_cmd_print_help(stdout, c, NULL);
	if (!has_verbs(c))
		return c->verbs[0].fn(argc, argv);
	v = argc ? verb_find(c, argv[0]) : NULL;
	if (v) {
		argc--, argv++;
	} else {
		for (dflt = c->verbs; dflt->fn; dflt++)
			if (dflt->flags & FG_VERB_DEFAULT)
				break;
		v = dflt->fn ? dflt : NULL;
	}
	if (!v && !argc)
		return fg_usage("%s needs a verb (try 'flowgate %s help')",
				c->name, c->name);
	if (!v)
		return fg_usage("unknown verb '%s' for %s (try 'flowgate %s "
				"help')",
				argv[0], c->name, c->name);
	err = v->need ? fg_check_caps(v->need) : 0;
	return err ? err : v->fn(argc, argv);
}
