// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the rule file parser (fg_rules_parse_text): any
 * bytes, as `rule load FILE` reads them. Beyond "no crash, no UB":
 *   - an error has a message, and a line number inside the text;
 *   - every rule parsed prints (fg_rule_format) to a line that parses back
 *     to the same rule, and a set that passed the checks passes them again
 *     from its printed form (what `rule save` writes, `rule load` takes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "fuzz.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_ruleset s = {}, s2 = {};
	struct fg_perr e, e2;
	char line[1024], *text;
	size_t i, pos = 0, cap;
	int err;

	err = fg_rules_parse_text((const char *)data, size, &s, &e);
	if (err) {
		fuzz_check_perr(&e, data, size);
		fg_ruleset_free(&s);
		return 0;
	}
	cap = s.n * sizeof(line) + 1;
	text = malloc(cap);
	CHECK(text);
	for (i = 0; i < s.n; i++) {
		int n = fg_rule_format(&s.r[i], false, line, sizeof(line));

		CHECK(n >= 0 && (size_t)n < sizeof(line));
		memcpy(text + pos, line, n);
		pos += n;
		text[pos++] = '\n';
	}
	err = fg_rules_parse_text(text, pos, &s2, &e2);
	CHECK(!err);
	CHECK(s2.n == s.n);
	for (i = 0; i < s.n; i++) {
		s2.r[i].id = s.r[i].id; /* the format without IDs */
		CHECK(fg_rule_same_match(&s.r[i], &s2.r[i]));
		CHECK(s.r[i].action == s2.r[i].action);
		CHECK(s.r[i].prio == s2.r[i].prio);
		CHECK(!strcmp(s.r[i].comment, s2.r[i].comment));
	}
	free(text);
	fg_ruleset_free(&s);
	fg_ruleset_free(&s2);
	return 0;
}
