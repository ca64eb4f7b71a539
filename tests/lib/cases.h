/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one table of crafted packets that both the host parser test
 * (tests/unit/test_parse.c) and the BPF test (tests/bpf/test_guard.c) run.
 *
 * Every malformed case comes with a valid twin built by the same function
 * with bad = 0, so that the twin differs only in the offending field (or,
 * for truncation, in length): a twin that fails shows the check fires on
 * more than it should. Expectations are for the default profile (a zeroed
 * struct fg_config).
 */
#ifndef FG_TEST_CASES_H
#define FG_TEST_CASES_H

#include <linux/types.h>
#include "pkt.h"

struct fgc_case {
	const char *name;
	/* Builds the frame; kind picks the variant, bad the malformed one. */
	void (*build)(struct pkt *p, int kind, int bad);
	int kind;
	int bad;
	__u32 reason; /* expected verdict: FG_R_NONE = pass */
	__u32 hits;   /* expected bitmask of checks that fired */
};

extern const struct fgc_case fgc_cases[];
extern const unsigned int fgc_ncases;

static inline void fgc_build(const struct fgc_case *c, struct pkt *p)
{
	c->build(p, c->kind, c->bad);
}

/* Documentation addresses used by the cases (and handy to tests). */
#define FGC_S4 "192.0.2.1"
#define FGC_D4 "198.51.100.2"
#define FGC_S6 "2001:db8::1"
#define FGC_D6 "2001:db8:1::2"

#endif /* FG_TEST_CASES_H */
