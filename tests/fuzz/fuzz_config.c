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
#include "fuzz.h"
#include "cfgfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_daemon_cfg c;
	struct fg_perr e;
	char norm[FG_URL_LEN], msg[256];
	size_t i;
	int err;

	memset(&c, 0, sizeof(c));
	err = fg_cfgfile_parse((const char *)data, size, &c, &e);
	if (err) {
		fuzz_check_perr(&e, data, size);
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
