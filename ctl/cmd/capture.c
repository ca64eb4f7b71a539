// SPDX-License-Identifier: GPL-2.0
/*
 * capture [dev DEV] [drops|passes|all] [reason NAME]... [rule ID]
 * [sample N] [limit PPS [burst N]] [snaplen N] [count N] [duration S]
 * write FILE|-
 *
 * The packets the attached programs select (include/fg_capture.h), from
 * their ring buffer into pcapng, until count packets are written, the
 * duration is over, or SIGINT/SIGTERM; then a summary of what the kernel
 * counted while it ran (selected, captured, suppressed by the limit, lost
 * to a full ring, by reason). One capture at a time: the selection is one
 * map that every program instance shares, claimed under the pin
 * directory's lock by the capture's pid.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "fg_maps.h"
#include "cmds.h"
#include "rules.h"
#include "capstats.h"
#include "cap.h"
#include "kfeat.h"

static int fg_args_capture(int argc, char **argv, struct fg_cap_args *a)
{
	int i, n;

	fg_cap_args_init(a);
	for (i = 0; i < argc; i += n) {
		n = fg_cap_arg(argc, argv, i, a, FG_CAP_LIVE);
		if (n < 0)
			return n;
		if (!n)
			return fg_usage("unexpected argument '%s' (see "
					"'flowgate capture help')",
					argv[i]);
	}
	if (!a->out)
		return fg_usage("capture needs an output: write FILE|- (see "
				"'flowgate capture help')");
	if (a->burst && !a->pps)
		return fg_usage("burst needs a limit: limit PPS burst N");
	return 0;
}

struct capture {
	struct fg_cap_args a;
	int cfg_fd, ring_fd, stats_fd, ifaces_fd;
	__u32 ifindex;	       /* dev DEV, else 0 */
	struct fg_cap_cfg cfg; /* ours, once claimed */
	bool claimed;
	struct ring_buffer *rb;
	struct fg_cap_sink sink;
	struct fg_cap_count before[FG_CAP_NKEYS], delta[FG_CAP_NKEYS];
	const char *stopped_by;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int open_maps(struct capture *c)
{
	c->cfg_fd = fg_map_open(FG_MAP_CAP_CFG);
	if (c->cfg_fd == -ENOENT && fg_state_exists())
		return fg_error(-ENOENT,
				"the state under %s has no capture maps (made "
				"by an older flowgate); detach every interface "
				"and attach again",
				fg_pin_dir());
	if (c->cfg_fd < 0)
		return fg_state_map_open(FG_MAP_CAP_CFG);
	c->ring_fd = fg_state_map_open(FG_MAP_CAP_RING);
	if (c->ring_fd < 0)
		return c->ring_fd;
	c->stats_fd = fg_state_map_open(FG_MAP_CAP_STATS);
	if (c->stats_fd < 0)
		return c->stats_fd;
	c->ifaces_fd = fg_state_map_open(FG_MAP_IFACES);
	return c->ifaces_fd < 0 ? c->ifaces_fd : 0;
}

static int check_dev(struct capture *c)
{
	struct fg_iface ifc;

	if (!c->a.dev)
		return 0;
	c->ifindex = if_nametoindex(c->a.dev);
	if (!c->ifindex)
		return fg_error(-ENODEV, "no such device '%s'", c->a.dev);
	if (bpf_map_lookup_elem(c->ifaces_fd, &c->ifindex, &ifc))
		return fg_error(-ENOENT, "flowgate is not attached to %s",
				c->a.dev);
	return 0;
}

static int cfg_write(struct capture *c, const struct fg_cap_cfg *cfg)
{
	__u32 key = 0;

	return bpf_map_update_elem(c->cfg_fd, &key, cfg, BPF_ANY) ? -errno : 0;
}

/* Make the selection ours, switched off: under the lock, unless a live
 * capture holds it. */
static int claim(struct capture *c)
{
	struct fg_cap_cfg cur;
	__u32 key = 0;
	int lock, err;

	lock = fg_rule_lock(true);
	if (lock < 0)
		return fg_error(lock, "cannot lock %s: %s", fg_pin_dir(),
				fg_strerr(lock));
	err = bpf_map_lookup_elem(c->cfg_fd, &key, &cur) ? -errno : 0;
	if (!err && fg_cap_running(&cur)) {
		fg_rule_unlock(lock);
		return fg_error(-EBUSY,
				"a capture is already running (pid %u); one "
				"at a time",
				cur.owner);
	}
	if (!err) {
		fg_cap_cfg_make(&c->a, &c->cfg);
		c->cfg.ifindex = c->ifindex;
		c->cfg.gen = cur.gen + 1;
		c->cfg.owner = (__u32)getpid();
		err = cfg_write(c, &c->cfg);
	}
	fg_rule_unlock(lock);
	if (err)
		return fg_error(err, "cannot set the capture up: %s",
				fg_strerr(err));
	c->claimed = true;
	return 0;
}

/* Off, and no longer ours. */
static void release(struct capture *c)
{
	struct fg_cap_cfg off = c->cfg;

	if (!c->claimed)
		return;
	off.on = 0;
	off.owner = 0;
	cfg_write(c, &off);
	c->claimed = false;
}

static int discard(void *ctx, void *data, size_t size)
{
	return 0;
}

/* Records a capture killed before the end left in the ring. */
static void drain_stale(struct capture *c)
{
	struct ring_buffer *rb =
		ring_buffer__new(c->ring_fd, discard, NULL, NULL);

	if (rb) {
		ring_buffer__consume(rb);
		ring_buffer__free(rb);
	}
}

/* An interface description for every interface there is to capture on,
 * first thing in the file. */
static int describe_ifaces(struct capture *c)
{
	struct fg_iface ifc;
	__u32 key, next;
	int err;

	if (c->ifindex)
		return fg_cap_sink_iface(&c->sink, c->ifindex, c->a.dev);
	for (err = bpf_map_get_next_key(c->ifaces_fd, NULL, &key); !err;
	     err = bpf_map_get_next_key(c->ifaces_fd, &key, &next),
	    key = next) {
		if (bpf_map_lookup_elem(c->ifaces_fd, &key, &ifc))
			continue;
		ifc.ifname[sizeof(ifc.ifname) - 1] = '\0';
		if (fg_cap_sink_iface(&c->sink, key, ifc.ifname))
			return c->sink.w.err ? c->sink.w.err : -ENOSPC;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void signals(void)
{
	/* SA_RESTART: a write blocked on a slow reader carries on (the loop
	 * sees the signal after it); epoll_wait returns early regardless. */
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error */
}

/* Poll the ring into the file until count, duration or a signal. */
static int run(struct capture *c)
{
	double end = c->a.duration_s ? now_s() + c->a.duration_s : 0;
	int n;

	for (;;) {
		if (stop_signal) {
			c->stopped_by = "signal";
			return 0;
		}
		if (fg_cap_sink_full(&c->sink)) {
			c->stopped_by = "count";
			return 0;
		}
		if (end && now_s() >= end) {
			c->stopped_by = "duration";
			return 0;
		}
		/* The programs wake us only once a quarter of the ring is
		 * waiting (fg_cap_wake()): what is below that is taken
		 * when the wait times out. */
		n = ring_buffer__poll(c->rb, 100);
		if (!n)
			n = ring_buffer__consume(c->rb);
		if (n < 0 && n != -EINTR)
			return fg_error(n, "cannot read the capture ring: %s",
					fg_strerr(n));
		/* A pipe's reader sees each batch as it comes. */
		if (n > 0 && fg_pcapng_flush(&c->sink.w))
			break;
	}
	c->stopped_by = "error";
	return fg_error(c->sink.w.err, "cannot write %s: %s", c->a.out,
			strerror(-c->sink.w.err));
}

/* Switch the programs off, wait until none runs the capture any more,
 * and take what is left in the ring; then the counters are final. */
static int finish(struct capture *c)
{
	struct fg_cap_count after[FG_CAP_NKEYS];
	struct fg_cap_cfg off = c->cfg;
	int err;

	off.on = 0;
	cfg_write(c, &off);
	fg_bpf_barrier();
	ring_buffer__consume(c->rb);
	err = fg_cap_stats_sum(c->stats_fd, after);
	if (err)
		return fg_error(err, "cannot read the capture counters: %s",
				fg_strerr(err));
	fg_cap_count_delta(after, c->before, c->delta);
	return 0;
}

static void print_summary(const struct capture *c)
{
	out_begin();
	out_str("file", c->a.out);
	out_str("stopped_by", c->stopped_by);
	out_u64("written", c->sink.written);
	out_u64("not_written", c->sink.past_count);
	if (c->sink.malformed)
		out_u64("malformed", c->sink.malformed);
	fg_cap_count_print("kernel", c->delta);
	out_end();
}

static int capture_start(struct capture *c)
{
	int err;

	err = fg_cap_sink_open(&c->sink, &c->a);
	if (!err)
		err = describe_ifaces(c);
	if (!err && fg_pcapng_flush(&c->sink.w))
		err = fg_error(c->sink.w.err, "cannot write %s: %s", c->a.out,
			       strerror(-c->sink.w.err));
	if (err)
		return err;
	c->rb = ring_buffer__new(c->ring_fd, fg_cap_sink_record, &c->sink,
				 NULL);
	if (!c->rb)
		return fg_error(-errno, "cannot map the capture ring: %s",
				fg_strerr(-errno));
	drain_stale(c);
	err = fg_cap_stats_sum(c->stats_fd, c->before);
	if (err)
		return fg_error(err, "cannot read the capture counters: %s",
				fg_strerr(err));
	signals();
	c->cfg.on = 1;
	err = cfg_write(c, &c->cfg);
	if (err)
		return fg_error(err, "cannot start the capture: %s",
				fg_strerr(err));
	return 0;
}

static int do_capture(int argc, char **argv)
{
	struct capture c = {
		.cfg_fd = -1, .ring_fd = -1, .stats_fd = -1, .ifaces_fd = -1};
	int err, fin;

	err = fg_args_capture(argc, argv, &c.a);
	if (err)
		return err;
	err = fg_check_caps(FG_NEED_BPF);
	if (!err)
		err = fg_kfeat_check_capture();
	if (err)
		return err;
	fg_libs_init();
	err = open_maps(&c);
	if (!err)
		err = check_dev(&c);
	if (!err)
		err = claim(&c);
	if (!err)
		err = capture_start(&c);
	if (!err)
		err = run(&c);
	if (c.claimed && c.rb) {
		fin = finish(&c);
		err = err ? err : fin;
	}
	release(&c);
	fin = fg_cap_sink_close(&c.sink);
	err = err ? err : fin;
	if (c.rb && c.stopped_by)
		print_summary(&c);
	ring_buffer__free(c.rb);
	if (c.cfg_fd >= 0)
		close(c.cfg_fd);
	if (c.ring_fd >= 0)
		close(c.ring_fd);
	if (c.stats_fd >= 0)
		close(c.stats_fd);
	if (c.ifaces_fd >= 0)
		close(c.ifaces_fd);
	return err;
}

static const struct fg_verb capture_verbs[] = {
	FG_VERB(NULL, do_capture,
		"[dev DEV] [drops|passes|all] [reason NAME]... [rule ID] "
		"[sample N] [limit PPS [burst N]] [snaplen N] [count N] "
		"[duration S] write FILE|-",
		"write the packets the programs drop (or pass) to pcapng, "
		"each with its verdict and reason"),
	{},
};

const struct fg_cmd fg_cmd_capture = {"capture", capture_verbs};
