// SPDX-License-Identifier: GPL-2.0
/* The capture's counters and selection from the pins (capstats.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "fg_maps.h"
#include "capstats.h"

#define NFIELDS (sizeof(struct fg_cap_count) / sizeof(__u64))

int fg_cap_stats_sum(int fd, struct fg_cap_count sum[FG_CAP_NKEYS])
{
	int ncpu = libbpf_num_possible_cpus(), cpu, err = 0;
	struct fg_cap_count *v;
	__u32 key;
	size_t i;

	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(sum, 0, FG_CAP_NKEYS * sizeof(*sum));
	for (key = 0; key < FG_CAP_NKEYS && !err; key++) {
		if (bpf_map_lookup_elem(fd, &key, v)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++)
			for (i = 0; i < NFIELDS; i++)
				((__u64 *)&sum[key])[i] +=
					((__u64 *)&v[cpu])[i];
	}
	free(v);
	return err;
}

int fg_cap_stats_read(struct fg_cap_count sum[FG_CAP_NKEYS])
{
	int fd = fg_map_open(FG_MAP_CAP_STATS), err;

	if (fd < 0)
		return fd;
	err = fg_cap_stats_sum(fd, sum);
	close(fd);
	return err;
}

int fg_cap_cfg_read(struct fg_cap_cfg *cfg)
{
	return fg_map_get0(FG_MAP_CAP_CFG, cfg);
}

void fg_cap_count_total(const struct fg_cap_count c[FG_CAP_NKEYS],
			struct fg_cap_count *total)
{
	__u32 k;
	size_t i;

	memset(total, 0, sizeof(*total));
	for (k = 0; k < FG_CAP_NKEYS; k++)
		for (i = 0; i < NFIELDS; i++)
			((__u64 *)total)[i] += ((const __u64 *)&c[k])[i];
}

void fg_cap_count_delta(const struct fg_cap_count after[FG_CAP_NKEYS],
			const struct fg_cap_count before[FG_CAP_NKEYS],
			struct fg_cap_count out[FG_CAP_NKEYS])
{
	__u32 k;
	size_t i;

	for (k = 0; k < FG_CAP_NKEYS; k++)
		for (i = 0; i < NFIELDS; i++)
			((__u64 *)&out[k])[i] = ((const __u64 *)&after[k])[i] -
						((const __u64 *)&before[k])[i];
}

bool fg_cap_running(const struct fg_cap_cfg *cfg)
{
	return cfg->on && cfg->owner &&
	       (kill((pid_t)cfg->owner, 0) == 0 || errno == EPERM);
}

static void count_fields(const struct fg_cap_count *c)
{
	out_u64("selected", c->selected);
	out_u64("captured", c->captured);
	out_u64("suppressed", c->suppressed);
	out_u64("lost", c->lost);
	out_u64("sampled_out", c->sampled_out);
}

void fg_cap_count_print(const char *key,
			const struct fg_cap_count c[FG_CAP_NKEYS])
{
	struct fg_cap_count t;
	__u32 r;

	fg_cap_count_total(c, &t);
	out_obj_open(key);
	count_fields(&t);
	out_arr_open("reasons");
	for (r = 0; r < FG_CAP_NKEYS && r < FG_R_MAX; r++) {
		if (!c[r].selected && !c[r].sampled_out)
			continue;
		out_obj_open(NULL);
		out_str("reason", r ? fg_reason_name(r) : "pass");
		out_u64("code", r);
		count_fields(&c[r]);
		out_obj_close();
	}
	out_arr_close();
	out_obj_close();
}
