// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the daemon's config file parser (fg_cfgfile_parse),
 * as `daemon check`, `daemon config`, `export config` and `replay ...
 * config` read it. Beyond "no crash, no UB, no leak": an error has a
 * message and a line inside the text; a file that parses has at most the
 * collectors allowed, each a URL the validator takes back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "cfgfile.h"

struct fg_opts fg_opts; /* main.c has it in the CLI */

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_daemon_cfg c;
	struct fg_perr e;
	char norm[FG_URL_LEN], msg[256];
	unsigned int lines = 1;
	size_t i;
	int err;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	memset(&c, 0, sizeof(c));
	err = fg_cfgfile_parse((const char *)data, size, &c, &e);
	if (err) {
		CHECK(e.msg[0] && memchr(e.msg, '\0', sizeof(e.msg)));
		CHECK(e.line <= lines);
	} else {
		CHECK(c.export.ncollectors <= FG_MAX_COLLECTORS);
		for (i = 0; i < (size_t)c.export.ncollectors; i++) {
			CHECK(!fg_cfg_collector_parse(c.export.collector[i],
						      norm, sizeof(norm), msg,
						      sizeof(msg)));
			CHECK(!strcmp(norm, c.export.collector[i]));
		}
	}
	fg_daemon_cfg_free(&c);
	return 0;
}
