/* SPDX-License-Identifier: GPL-2.0 */
/* Rule sets for the BPF tests of the rule stage (fgrules.c). */
#ifndef FGRULES_H
#define FGRULES_H

#include <stddef.h>
#include <linux/types.h>
#include "rules.h"

/*
 * Parse text as a rule file, give IDs against *cur, resolve `dev` (lo is
 * ifindex 1, any other name 999) and publish it on f; the set in force
 * becomes *cur. Returns 0 or the error, with a TAP diagnostic.
 */
int fgt_rules_load(const struct fg_rule_fds *f, struct fg_ruleset *cur,
		   __u32 *gen, const char *text);

/*
 * Append one rule line "id I prio P [src S/L] [dst D/L] action A" to the
 * text at buf (cap bytes left); an empty src or dst is left out. Returns
 * the characters written, as snprintf.
 */
int fgt_rule_line(char *buf, size_t cap, __u32 id, __u32 prio, const char *src,
		  int slen, const char *dst, int dlen, int drop);

#endif
