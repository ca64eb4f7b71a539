/* SPDX-License-Identifier: GPL-2.0 */
/* Rule sets for the BPF tests of the rule stage (fgrules.c). */
#ifndef FGRULES_H
#define FGRULES_H

#include <stddef.h>
#include <linux/types.h>
#include "fgtest.h"
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

/* Is something in slot of the outer map (a map of maps)? */
int fgt_slot_used(int outer, __u32 slot);

/*
 * The multibit index tests of both families (test_rules_mb.c for IPv4,
 * test_rules_mb6.c for IPv6): sets of rules as a reference sees them, and
 * probes that run one frame through fg_xdp and compare its verdict and
 * deciding rule with the reference's: the first rule in evaluation order
 * (prio high first, then source prefix long first, then destination
 * prefix, then ID; ctl/rules/rule_set.c) whose prefixes cover the
 * packet's addresses.
 */

/* An address in host order, its first bits first: an IPv6 address whole
 * (hi: bits 0-63), an IPv4 address in the top 32 bits of hi. One prefix
 * arithmetic then serves both families. */
struct fgt_addr {
	__u64 hi, lo;
};

struct fgt_addr fgt_a4(__u32 host);
/* a with only its first len bits kept. */
struct fgt_addr fgt_mask(struct fgt_addr a, int len);
int fgt_addr_eq(struct fgt_addr a, struct fgt_addr b);

/* A rule as the reference sees it. */
struct fgt_rule {
	__u32 id, prio;
	int has_src, has_dst;
	struct fgt_addr src, dst;
	int slen, dlen;
	int drop;
};

/* Does r[0..n) hold a rule with x's match and prio (a set would refuse
 * it)? */
int fgt_rule_dup(const struct fgt_rule *r, int n, const struct fgt_rule *x);

/* fg_xdp with every check but the rule stage off (probes use any
 * address), its rule maps and the set in force; bits: the family of the
 * addresses the reference compares, 32 or 128. */
struct fgt_mb {
	struct fgt t;
	struct fg_rule_fds fds;
	struct fg_ruleset cur;
	__u32 gen;
	int bits;
};

/* 0, or a TAP bail-out line and non-zero. */
int fgt_mb_open(struct fgt_mb *m, int bits);
/* Frees it all; returns fgt_done(). */
int fgt_mb_close(struct fgt_mb *m);
/* Load a rule file's text, or the rules r[0..n). 0 or the error. */
int fgt_mb_load(struct fgt_mb *m, const char *text);
int fgt_mb_load_rules(struct fgt_mb *m, const struct fgt_rule *r, int n);
/* a with bit b flipped (a itself when b is the family's width): an
 * address sharing exactly its first b bits with a. */
struct fgt_addr fgt_mb_share(const struct fgt_mb *m, struct fgt_addr a, int b);
/* One UDP frame src -> dst (either family, as text) with 8 bytes of
 * payload: its result and the deciding rule (0: none). */
int fgt_mb_run_str(struct fgt_mb *m, const char *src, const char *dst,
		   struct fgt_result *r, __u32 *rule);
int fgt_mb_run(struct fgt_mb *m, struct fgt_addr src, struct fgt_addr dst,
	       struct fgt_result *r, __u32 *rule);
/* One probe against the reference set[0..n); 0 when the program agrees,
 * else 1 and a TAP diagnostic. */
int fgt_mb_probe(struct fgt_mb *m, const struct fgt_rule *set, int n,
		 struct fgt_addr src, struct fgt_addr dst);
/*
 * Nested prefixes of one address per field, 16 lengths each (the most one
 * address may have): rules id_base + length on the source (prio 100, a
 * drop at even lengths) and 2 * id_base + length on the destination (prio
 * 200, so that the source /0 does not hide it; a drop at odd lengths).
 * Three ok lines: probes sharing 0 to all bits with the source address,
 * with the destination address (other the other address: only /0 covers
 * it), and both at once.
 */
void fgt_mb_chains(struct fgt_mb *m, __u32 id_base, struct fgt_addr a_src,
		   const int *src_lens, struct fgt_addr a_dst,
		   const int *dst_lens, struct fgt_addr other);

#endif
