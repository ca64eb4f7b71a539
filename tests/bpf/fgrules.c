// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "fg.h"
#include "fgtest.h"
#include "fgrules.h"

int fgt_rules_load(const struct fg_rule_fds *f, struct fg_ruleset *cur,
		   __u32 *gen, const char *text)
{
	struct fg_ruleset s = {};
	struct fg_perr e = {};
	size_t i;
	int err;

	err = fg_rules_parse_text(text, strlen(text), &s, &e);
	if (!err)
		err = fg_ruleset_assign_ids(&s, cur);
	for (i = 0; !err && i < s.n; i++)
		if (s.r[i].flags & FG_RF_DEV)
			s.r[i].ifindex = strcmp(s.r[i].dev, "lo") ? 999 : 1;
	if (!err)
		err = fg_rule_publish(f, &s, cur, gen, &e);
	if (err) {
		fgt_diag("load: line %u: %s (%d)", e.line, e.msg, err);
		fg_ruleset_free(&s);
		return err;
	}
	fg_ruleset_free(cur);
	*cur = s;
	return 0;
}

int fgt_rule_line(char *buf, size_t cap, __u32 id, __u32 prio, const char *src,
		  int slen, const char *dst, int dlen, int drop)
{
	char s[64] = "", d[64] = "";

	if (*src)
		snprintf(s, sizeof(s), " src %s/%d", src, slen);
	if (*dst)
		snprintf(d, sizeof(d), " dst %s/%d", dst, dlen);
	return snprintf(buf, cap, "id %u prio %u%s%s action %s\n", id, prio, s,
			d, drop ? "drop" : "pass");
}
