// SPDX-License-Identifier: GPL-2.0
/* The exporter's counters as `flowgate stats` and export reports print them. */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fg.h"
#include "export.h"

static const char *kind_name(__u32 k)
{
	return k == FG_OUT_UDP ? "udp" : k == FG_OUT_TCP ? "tcp" : "file";
}

static __u64 wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (__u64)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void print_out(const struct fg_exp_outstats *o)
{
	out_obj_open(NULL);
	out_str("output", o->url);
	out_str("transport", kind_name(o->kind));
	out_bool("up", o->up);
	/* not delivering now, or lost records in the last 10 s */
	out_bool("degraded", (!o->up && o->kind != FG_OUT_TCP) ||
				     (o->last_lost_ms &&
				      wall_ms() - o->last_lost_ms < 10000));
	out_u64("messages", o->messages);
	out_u64("records", o->records);
	out_u64("octets", o->octets);
	out_u64("not_sent_records", o->lost_records);
	out_u64("not_sent_packets", o->lost_packets);
	out_u64("not_sent_octets", o->lost_octets);
	out_u64("spool_octets", o->spool_bytes);
	out_u64("spool_messages", o->spool_msgs);
	out_u64("connects", o->connects);
	out_obj_close();
}

void fg_exp_records_print(const struct fg_exp_stats *e)
{
	out_u64("records_active_timeout", e->rec_active);
	out_u64("records_idle_timeout", e->rec_idle);
	out_u64("records_end_detected", e->rec_end);
	out_u64("records_forced_end", e->rec_forced);
	out_u64("records_overflow", e->rec_overflow);
	out_u64("packets", e->packets);
	out_u64("octets", e->octets);
	out_u64("flows_expired", e->expired);
}

int fg_exp_stats_read(struct fg_exp_stats *st)
{
	int fd = fg_map_open(FG_MAP_EXPSTATS), err = 0;
	__u32 key = 0;

	if (fd < 0)
		return fd;
	/* Left by an exporter of another version: not our layout. */
	if (fg_map_value_size(fd) != sizeof(*st))
		err = -ENOENT;
	else if (bpf_map_lookup_elem(fd, &key, st))
		err = -errno;
	else if (!st->started_ms)
		err = -ENOENT;
	close(fd);
	if (!err && st->nouts > FG_EXP_MAX_OUTS)
		st->nouts = FG_EXP_MAX_OUTS;
	return err;
}

bool fg_exp_running(const struct fg_exp_stats *st)
{
	return st->pid && !kill(st->pid, 0);
}

const char *fg_exp_out_kind(__u32 kind)
{
	return kind_name(kind);
}

void fg_exp_stats_print(void)
{
	struct fg_exp_stats st;
	__u32 i;

	if (fg_exp_stats_read(&st))
		return;
	out_obj_open("exporter");
	out_bool("running", fg_exp_running(&st));
	out_u64("pid", st.pid);
	out_time_ms("started_ms", st.started_ms);
	out_u64("sweeps", st.sweeps);
	out_u64("last_sweep_us", st.sweep_ns / 1000);
	out_u64("table_reads", st.reads);
	out_u64("last_read_sweep_us", st.read_sweep_ns / 1000);
	out_u64("flows_looked_up", st.lookups);
	fg_exp_records_print(&st);
	out_u64("raced_packets", st.raced);
	out_arr_open("outputs");
	for (i = 0; i < st.nouts; i++)
		print_out(&st.out[i]);
	out_arr_close();
	out_obj_close();
}
