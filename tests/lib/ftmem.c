// SPDX-License-Identifier: GPL-2.0
/*
 * A flow table in plain memory for tests; see ftmem.h.
 */
#include <errno.h>
#include <stdlib.h>
#include "fg.h"
#include "ftmem.h"

int ftmem_new(struct fg_ft *t, __u32 nreg, __u32 nb, __u64 seed)
{
	/* max_flows: what this geometry is made for (fg_ft_nb's room). */
	struct fg_ft_info in = {.version = FG_FT_VERSION,
				.nreg = nreg,
				.nb = nb,
				.max_flows = nreg * nb * FG_FT_SLOTS *
					     FG_FT_ROOM_DEN / FG_FT_ROOM_NUM,
				.seed = seed};
	size_t len = (size_t)nreg * nb * sizeof(struct fg_ft_bucket);
	void *mem = calloc(1, len);
	int err;

	if (!mem)
		return -ENOMEM;
	err = fg_ft_open_mem(t, mem, len, &in);
	if (err)
		free(mem);
	return err;
}

void ftmem_free(struct fg_ft *t)
{
	void *mem = t->b;

	fg_ft_close(t);
	free(mem);
}
