// SPDX-License-Identifier: GPL-2.0
/* The RTT path's global counters, as the metrics endpoint reads them. */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fg.h"

static int count_keys(int fd, __u64 *n)
{
	struct fg_rtt_key k, next;
	int err;

	*n = 0;
	for (err = bpf_map_get_next_key(fd, NULL, &k); !err;
	     err = bpf_map_get_next_key(fd, &k, &next), k = next)
		(*n)++;
	return errno == ENOENT ? 0 : -errno;
}

int fg_rtt_stats_read(struct fg_rtt_stats *st, __u64 *live)
{
	int sfd = fg_rtt_map_open(FG_MAP_RTT_STATS), cfd, err;
	__u32 zero = 0;

	*live = 0;
	if (sfd < 0)
		return sfd;
	err = fg_map_lookup_sum(sfd, &zero, st, sizeof(*st));
	close(sfd);
	if (err)
		return err;
	cfd = fg_rtt_map_open(FG_MAP_RTT_CONNS);
	if (cfd < 0)
		return cfd;
	err = count_keys(cfd, live);
	close(cfd);
	return err;
}
