/* SPDX-License-Identifier: GPL-2.0 */
/* Rule sets for the BPF tests of the rule stage (fgrules.c). */
#ifndef FGRULES_H
#define FGRULES_H

#include <linux/types.h>
#include "rules.h"

/*
 * Parse text as a rule file, give IDs against *cur, resolve `dev` (lo is
 * ifindex 1, any other name 999) and publish it on f; the set in force
 * becomes *cur. Returns 0 or the error, with a TAP diagnostic.
 */
int fgt_rules_load(const struct fg_rule_fds *f, struct fg_ruleset *cur,
		   __u32 *gen, const char *text);

#endif
