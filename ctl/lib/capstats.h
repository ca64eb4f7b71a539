/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The capture's counters and selection as the pins hold them
 * (include/fg_capture.h), for `stats`, `capture` and the metrics
 * exporter:
 *
 *	struct fg_cap_count c[FG_CAP_NKEYS], t;
 *
 *	if (!fg_cap_stats_read(c)) {	// -ENOENT: nothing attached
 *		fg_cap_count_total(c, &t);
 *		... c[r].captured: packets of reason r (0: passed) ...
 *	}
 */
#ifndef FG_CTL_CAPSTATS_H
#define FG_CTL_CAPSTATS_H

#include <stdbool.h>
#include <linux/types.h>
#include "fg_common.h"

/* Sum over CPUs of every key of a fg_cap_stats map (pinned or not). */
int fg_cap_stats_sum(int fd, struct fg_cap_count sum[FG_CAP_NKEYS]);
/* The same from the pin; -ENOENT when there is none (not attached, or
 * state of a flowgate without capture). */
int fg_cap_stats_read(struct fg_cap_count sum[FG_CAP_NKEYS]);
/* The pinned selection; -ENOENT when there is none. */
int fg_cap_cfg_read(struct fg_cap_cfg *cfg);
void fg_cap_count_total(const struct fg_cap_count c[FG_CAP_NKEYS],
			struct fg_cap_count *total);
/* after - before, key by key. */
void fg_cap_count_delta(const struct fg_cap_count after[FG_CAP_NKEYS],
			const struct fg_cap_count before[FG_CAP_NKEYS],
			struct fg_cap_count out[FG_CAP_NKEYS]);
/* The owner of an active selection is alive (a capture runs). */
bool fg_cap_running(const struct fg_cap_cfg *cfg);
/* Totals, then one entry per reason that counted anything ("pass" for
 * passed packets), under key. */
void fg_cap_count_print(const char *key,
			const struct fg_cap_count c[FG_CAP_NKEYS]);

#endif /* FG_CTL_CAPSTATS_H */
