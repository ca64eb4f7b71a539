/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flow table in plain memory (the layout of include/fg_flowtab.h),
 * opened through ctl/lib/flowtab.h, for the tests that fill it with the
 * table's host form (fg_ft_host_account) instead of BPF.
 */
#ifndef FG_TEST_FTMEM_H
#define FG_TEST_FTMEM_H

#include <linux/types.h>
#include "flowtab.h"

/* nreg regions of nb buckets, zeroed. 0 or -errno. */
int ftmem_new(struct fg_ft *t, __u32 nreg, __u32 nb, __u64 seed);
void ftmem_free(struct fg_ft *t);

#endif /* FG_TEST_FTMEM_H */
