// SPDX-License-Identifier: GPL-2.0
/*
 * The data path's clock (bpf/lib/fg_clock.bpf.h): flow times are
 * base + jiffies * tick, CLOCK_MONOTONIC ns read without a helper call.
 *
 * The kernel advances jiffies by whole TICK_NSEC of CLOCK_MONOTONIC from
 * a fixed origin (kernel/time/tick-sched.c, tick_do_update_jiffies64():
 * last_jiffies_update moves with jiffies), and makes jiffies J at the
 * start of tick J, C + J * TICK_NSEC, or later (the tick interrupt's
 * latency), never before, for a constant C of the boot. With base = C a
 * flow time is the start of the tick it was counted in: never later than
 * CLOCK_MONOTONIC read after it (an unsigned now - last in a reader
 * cannot wrap), less than a tick and the interrupt's latency earlier.
 *
 * The tick is clock_getres(CLOCK_MONOTONIC_COARSE): the kernel's
 * TICK_NSEC. C is measured: fg_clock_cal (bpf/clock/flowgate_clock.bpf.c)
 * reads jiffies, then CLOCK_MONOTONIC, in runs microseconds apart until
 * it has seen a tick between two close runs. Every run's
 * ns - J * tick is at least C, and the run right after a tick less than
 * a tick above it. Kernels start their ticks at multiples of TICK_NSEC
 * (tick_init_jiffy_update(); 6.18 and Debian's 6.1 do: the phase that
 * tests/vm/loadall.c prints is the tick interrupt's latency), so C is
 * one too: the least ns - J * tick rounded down to a
 * multiple of the tick is C itself. Where ticks start elsewhere the
 * rounding takes up to a tick more, which is safe, or, when the phase is
 * within the interrupt's latency of a tick, a tick less but for that
 * latency: flow times then run ahead of the clock only by as much as a
 * later tick interrupt comes faster than the calibration's.
 *
 * Calibrated once a process (a tick of test runs, more on a busy CPU,
 * where a tick often preempts the thread). Where that fails (no tick,
 * no test run, jiffies not seen moving) the helper is kept:
 * fg_clock_tick 0 in the object's rodata.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "kfeat.h"
#include "flowgate_clock.skel.h"

#define NS_MS 1000000ll
/* Runs a test run: about 50 us on the host, so that ticks are seen
 * closely (fg_cal_gap apart at most: an eighth of a tick). */
#define CAL_REPEAT 1000
/* How long to wait for a tick seen closely (a CPU whose jiffies are
 * not kept up, as nohz_full, sees none; a thread preempted across a tick
 * sees it late). */
#define CAL_WAIT (500 * NS_MS)

static struct fg_clock clk;
static bool clk_done;

static __s64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* v rounded down to a multiple of m (m > 0), negative v too. */
static __s64 floor_to(__s64 v, __s64 m)
{
	__s64 q = v / m;

	if (v % m < 0)
		q--;
	return q * m;
}

/* Runs until jiffies changed between two runs close together,
 * or CAL_WAIT: 0 and the base, -EAGAIN (not seen), or -errno of a test
 * run. */
static int cal_run(struct flowgate_clock *s, struct fg_clock *c)
{
	__u8 pkt[64] = {0}; /* a test run wants an Ethernet header */
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .repeat = CAL_REPEAT);
	int fd = bpf_program__fd(s->progs.fg_clock_cal);
	__s64 t0 = mono_ns(), min;

	while (!s->bss->fg_cal_seen) {
		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
		if (mono_ns() - t0 > CAL_WAIT)
			return -EAGAIN;
	}
	min = s->data->fg_cal_min;
	c->base_ns = (__u64)floor_to(min, c->tick_ns);
	c->phase_ns = (__u64)(min - (__s64)c->base_ns);
	return 0;
}

static int calibrate(struct fg_clock *c)
{
	struct flowgate_clock *s;
	int err;

	c->tick_ns = fg_kernel_tick_ns();
	if (!c->tick_ns)
		return -ERANGE;
	s = flowgate_clock__open();
	if (!s)
		return -errno;
	s->rodata->fg_clock_tick = c->tick_ns;
	s->rodata->fg_cal_gap = c->tick_ns / 8;
	err = flowgate_clock__load(s);
	if (!err)
		err = cal_run(s, c);
	flowgate_clock__destroy(s);
	return err;
}

const struct fg_clock *fg_clock_get(void)
{
	if (!clk_done) {
		clk_done = true;
		clk.err = calibrate(&clk);
		clk.jiffies = !clk.err;
		if (clk.err)
			clk.tick_ns = clk.base_ns = 0;
	}
	return &clk;
}

int fg_clock_rodata(struct bpf_object *obj)
{
	const struct fg_clock *c;
	__u64 v;

	if (!fg_obj_get_rodata(obj, "fg_capture_clock", &v) && v)
		return 0; /* flow times are the capture's */
	if (fg_obj_get_rodata(obj, "fg_clock_tick", &v))
		return 0; /* no clock of ours */
	c = fg_clock_get();
	if (!c->jiffies ||
	    fg_obj_set_rodata(obj, "fg_clock_tick", c->tick_ns) ||
	    fg_obj_set_rodata(obj, "fg_clock_base", c->base_ns)) {
		fg_obj_set_rodata(obj, "fg_clock_tick", 0);
		return 0;
	}
	return 1;
}
