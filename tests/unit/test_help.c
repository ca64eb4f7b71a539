// SPDX-License-Identifier: GPL-2.0
/*
 * The command table (ctl/cmd/help.c, ctl/lib/cmd.c) against the docs: the
 * README's Usage block is exactly what `flowgate help` prints as its usage
 * lines, the manual's generated parts are up to date, and every verb of
 * every object has its help.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fg.h"
#include "cmds.h"

struct fg_opts fg_opts;

/* The first fenced block after "## Usage" in README.md, NULL if none. */
static char *readme_usage(void)
{
	const char *root = getenv("FG_ROOT");
	char path[4096], *buf = NULL, *start, *end, *out;
	size_t len;

	snprintf(path, sizeof(path), "%s/README.md", root ? root : ".");
	if (fg_read_file(path, &buf, &len))
		return NULL;
	start = strstr(buf, "\n## Usage\n");
	start = start ? strstr(start, "\n```\n") : NULL;
	end = start ? strstr(start + 5, "\n```\n") : NULL;
	if (!end) {
		free(buf);
		return NULL;
	}
	out = strndup(start + 5, end - start - 4); /* with its last '\n' */
	free(buf);
	return out;
}

static char *help_forms(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fg_help_forms(f);
	fclose(f);
	return buf;
}

static void test_readme_usage_is_help(void **state)
{
	char *readme = readme_usage(), *help = help_forms();

	assert_non_null(readme);
	if (strcmp(readme, help))
		print_message("# README.md's Usage block must read:\n%s", help);
	assert_string_equal(readme, help);
	free(readme);
	free(help);
}

/* doc/flowgate.8 holds what `make doc` writes: its synopsis and checks
 * table cannot drift from the command table and FG_REASONS. */
static void test_manual_generated_parts(void **state)
{
	const char *root = getenv("FG_ROOT");
	char path[4096], *page = NULL, *want = NULL;
	size_t len = 0, plen;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/doc/flowgate.8", root ? root : ".");
	assert_int_equal(fg_read_file(path, &page, &plen), 0);
	in = fmemopen(page, plen, "r");
	out = open_memstream(&want, &len);
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(fg_man_regen(in, out), 0);
	fclose(in);
	fclose(out);
	if (strcmp(page, want))
		print_message("# doc/flowgate.8 is stale: run make doc\n");
	assert_string_equal(page, want);
	free(page);
	free(want);
}

static void test_every_verb_has_help(void **state)
{
	const struct fg_verb *v;
	size_t i, j;

	for (i = 0; fg_cmds[i]; i++) {
		assert_ptr_equal(fg_cmd_find(fg_cmds[i]->name), fg_cmds[i]);
		for (j = 0; fg_cmds[j]; j++)
			assert_true(i == j ||
				    strcmp(fg_cmds[i]->name, fg_cmds[j]->name));
		for (v = fg_cmds[i]->verbs; v->fn; v++) {
			assert_non_null(v->help);
			assert_true(strlen(v->help) > 10);
			/* an object without verbs has exactly one entry */
			assert_true(v->name || v == fg_cmds[i]->verbs);
			assert_true(v->name || !v[1].fn);
		}
	}
	assert_null(fg_cmd_find("nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_usage_is_help),
		cmocka_unit_test(test_manual_generated_parts),
		cmocka_unit_test(test_every_verb_has_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
