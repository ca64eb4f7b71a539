/* SPDX-License-Identifier: GPL-2.0 */
/* Between bench/cost.c and bench/rules_fill.c: what kind of synthetic
 * rule set (bits of bench_rules_fill's `kind`) and the capture's
 * addresses (its `ctx`). */
#ifndef BENCH_RULES_FILL_H
#define BENCH_RULES_FILL_H

#include <linux/types.h>

#define BENCH_RULES_HIT	 1  /* one rule matches every IPv4 packet */
#define BENCH_RULES_DEEP 2  /* /32 neighbours of the capture's addresses */
#define BENCH_RULES_LENS 4  /* lengths 1-32, not 16-32 */
#define BENCH_RULES_V6	 8  /* IPv6 prefixes (/32-/128), not IPv4 */
#define BENCH_RULES_PAIR 16 /* IPv6 deep: two /128s next to each address */

struct bench_addrs {
	int n;
	__u8 (*a)[16]; /* IPv4 as ::ffff:a.b.c.d */
};

static inline const char *bench_rules_kind(int kind)
{
	if (kind & BENCH_RULES_HIT)
		return kind & BENCH_RULES_V6 ? "all IPv6" : "all IPv4";
	if (kind & BENCH_RULES_PAIR)
		return "none, pair";
	if (kind & BENCH_RULES_DEEP)
		return "none, deep";
	if (kind & BENCH_RULES_LENS)
		return "none, /1-/32";
	return "none";
}

#endif
