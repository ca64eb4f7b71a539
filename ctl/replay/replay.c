// SPDX-License-Identifier: GPL-2.0
/*
 * The replay driver: run every packet of a capture through the XDP
 * object's code with BPF_PROG_TEST_RUN, with flow accounting, and report
 * the verdicts and the flows. The object is the embedded skeleton with
 * private, unpinned maps: replay needs no bpffs and neither reads nor
 * changes the state of `attach`; its empty config map is the default
 * profile.
 *
 * Packets go in batches (include/fg_replay.h): fg_replay calls
 * fg_xdp_frame(), fg_xdp's body as a global function of the same object
 * (tests/bpf/test_replay.c checks that both agree on every verdict and
 * flow), for each frame of a batch, and leaves each verdict in .bss, read
 * through the skeleton's mmap. Flow times follow the capture's clock (rodata
 * fg_capture_clock; the packet's timestamp in fg_pkt_ns), so two replays
 * give the same bytes.
 *
 * The test run's data is one linear area (a page minus the XDP headroom
 * and the skb_shared_info tailroom, about 3.5 KB with 4 KB pages). A frame
 * longer than that is handed over cut to it, with its real length in the
 * slot's wire length, exactly as for a frame cut by the capture's
 * snaplen: the headers are all in those bytes, and a length field is
 * checked against the real length. A frame shorter than the 14 bytes a
 * test run requires is padded, with its real length as wire length (the
 * program then says eth-trunc, as it would on a NIC). A frame whose first
 * 14 bytes the capture did not keep, though the packet had them, cannot be
 * judged at all: it passes, is counted as `not_captured`, and is in no
 * flow.
 *
 * With -j every packet gets one JSON line, then every flow record one
 * line, then the summary. A capture that turns out truncated mid-record
 * fails with an Error line and exit 1 after the lines of the packets
 * before it were printed: they are true verdicts, and the failure is what
 * the exit code and stderr say.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "fg_replay.h"
#include "cfgfile.h"
#include "export.h"
#include "replay.h"
#include "pcap_read.h"
#include "cap.h"
#include "capstats.h"
#include "replay_exp.h"
#include "replay_img.h"
#include "kfeat.h"
#include "flowtab.h"
#include "flowgate_xdp.skel.h"

/* Counters are taken as if every packet arrived on lo, an interface that
 * exists everywhere, so that they are well defined (and cross-checked).
 * The private instance has no slot: its counters are fg_ifstats' catch-all
 * slot (FG_SLOT_OTHER), reported as this ifindex. */
#define REPLAY_IFINDEX 1
/* XDP_PACKET_HEADROOM, and SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
 * on 64-bit kernels: the linear area of a test run, when the kernel cannot
 * be asked (see probe_linear()). */
#define REPLAY_HEADROOM 256
#define REPLAY_TAILROOM 320

struct replay {
	struct fg_replay_args a;
	struct fg_capture cap;
	long file_size;
	struct flowgate_xdp *skel;
	int prog_fd;	  /* fg_replay */
	__u32 linear_max; /* longest frame the program sees whole */
	/* The batch being filled: frames from the end of buf backwards. */
	__u8 *buf;	/* linear_max bytes */
	__u32 used;	/* bytes at the end of buf in use */
	__u32 n;	/* frames in the batch */
	__u64 first;	/* capture index of the batch's first frame */
	__u64 clock_ns; /* the capture's clock: it never goes back */
	__u64 packets, passed, dropped, not_captured;
	__u64 drops[FG_R_MAX];
	/* What went through the program, to check its counters against. */
	__u64 prog_run, prog_passed, runs;
	__u64 prog_drops[FG_R_MAX];
	struct fg_rexp x;	  /* the IPFIX export, if asked */
	struct fg_ft_info ftinfo; /* its flow table's geometry */
	struct fg_ft ft;	  /* fg_flowtab, mapped */
	bool ft_open;
	struct fg_daemon_cfg cfg; /* config FILE */
	bool have_cfg;
	/* capture FILE: the selected packets, read from the private ring
	 * after every batch */
	struct ring_buffer *rb;
	struct fg_cap_sink sink;
	struct fg_rimg img; /* the maps before the first capture */
	char ipfix[4096];   /* ipfix FILE, its {} replaced */
	char capout[4096];  /* capture FILE, its {} replaced */
	struct timespec start, last_progress;
	__u64 progress_at; /* packets at the last look at the clock */
	bool progress_tty; /* stderr is a terminal */
	bool progress_shown;
};

/*
 * How long a frame the program sees whole: one run of a page-sized frame
 * through fg_replay with an empty batch (it returns at once, counting
 * nothing), whose linear part the kernel reports in the output context.
 * A kernel that refuses the frame (no frags in test runs) takes the
 * linear area alone.
 */
static int probe_linear(struct replay *r)
{
	long page = sysconf(_SC_PAGESIZE);
	struct xdp_md ctx = {.ingress_ifindex = REPLAY_IFINDEX};
	struct xdp_md out = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u8 *frame;
	int err;

	if (page <= REPLAY_HEADROOM + REPLAY_TAILROOM + ETH_HLEN)
		page = 4096;
	frame = calloc(1, page);
	if (!frame)
		return fg_error(-ENOMEM, "out of memory");
	r->skel->bss->fg_rp_count = 0;
	ctx.data_end = page;
	opts.data_in = frame;
	opts.data_size_in = page;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.ctx_out = &out;
	opts.ctx_size_out = sizeof(out);
	opts.repeat = 1;
	err = bpf_prog_test_run_opts(r->prog_fd, &opts);
	free(frame);
	if (err == -EINVAL) {
		r->linear_max = page - REPLAY_HEADROOM - REPLAY_TAILROOM;
		return 0;
	}
	if (err)
		return fg_error(err, "BPF_PROG_TEST_RUN failed: %s",
				fg_strerr(err));
	r->linear_max = out.data_end - out.data;
	if (r->linear_max < ETH_HLEN || r->linear_max > page)
		return fg_error(-ERANGE,
				"BPF_PROG_TEST_RUN: unexpected linear area of "
				"%u bytes",
				r->linear_max);
	return 0;
}

/*
 * One CPU for the whole replay: the batches run one after the other
 * anyway, and on one CPU the per-CPU values stay in one slot and in its
 * caches.
 */
static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * The rule set of a replay is known before the load and never changes:
 * hit counters for its IDs only. The full per-CPU array (FG_RULE_MAX
 * entries, one per-CPU allocation each) would be most of a short replay's
 * time; the data path skips IDs past the array's end, and there are none.
 */
static __u32 max_rule_id(const struct replay *r)
{
	__u32 max = 0;
	size_t i;

	if (!r->have_cfg)
		return 0;
	for (i = 0; i < r->cfg.rules.n; i++)
		if (r->cfg.rules.r[i].id > max)
			max = r->cfg.rules.r[i].id;
	/* Rules without an ID get the next ones when applied. */
	max += r->cfg.rules.n;
	return max < FG_RULE_MAX ? max : FG_RULE_MAX;
}

/*
 * The flow table of the private instance: one region (the program then
 * always writes region 0: one thread runs fg_replay, one packet at a
 * time), buckets for max-flows flows, seed 0 (two replays give the same
 * bytes).
 */
static int set_flowtab(struct replay *r)
{
	struct fg_ft_info *i = &r->ftinfo;

	i->version = FG_FT_VERSION;
	i->nreg = 1;
	i->max_flows = r->a.max_flows ? r->a.max_flows : FG_DEFAULT_MAX_FLOWS;
	i->nb = fg_ft_nb(i->max_flows, 1);
	i->seed = 0;
	FG_FT_RODATA(r->skel, i);
	return bpf_map__set_max_entries(r->skel->maps.fg_flowtab, i->nb);
}

/* Open and load the object for replay. On failure r->skel is NULL
 * again. */
static int open_load(struct replay *r)
{
	int err;

	r->skel = flowgate_xdp__open();
	if (!r->skel)
		return -errno;
	r->skel->rodata->fg_record_last = 1;
	r->skel->rodata->fg_capture_clock = 1;
	/* The capture path only when one is asked for (checked by
	 * fg_kfeat_check_capture()): less for the verifier otherwise. */
	r->skel->rodata->fg_cap_loadable = r->a.cap != NULL;
	/* No rules: no rule stage to verify (a third of the verifier's
	 * work on fg_replay). */
	r->skel->rodata->fg_rules_off = !r->have_cfg || !r->cfg.rules.n;
	/* Only fg_replay runs here: not verifying fg_xdp as well saves a
	 * third of a short replay's time. */
	bpf_program__set_autoload(r->skel->progs.fg_xdp, false);
	err = set_flowtab(r);
	if (!err)
		err = bpf_map__set_max_entries(r->skel->maps.fg_rule_hits,
					       max_rule_id(r) + 1);
	/* The overflow array of the one slot replay counts in (FG_SLOT_OTHER,
	 * both directions): every sweep reads the array whole, and the
	 * other 256 slots' entries (400 KB at 2 CPUs) would be most of a
	 * sweep's syscall time. An index past it goes to fg_overflow, as
	 * for a protocol of no class. */
	if (!err)
		err = bpf_map__set_max_entries(
			r->skel->maps.fg_ovfarr,
			fg_ovf_index(FG_SLOT_OTHER + 1, FG_DIR_IN, 0));
	/* The ring takes a batch's records at most (read after each), or
	 * nothing without a capture: a page. */
	if (!err)
		err = bpf_map__set_max_entries(r->skel->maps.fg_cap_ring,
					       !r->a.cap ? FG_CAP_RING_MIN
					       : r->a.cap->ring
						       ? r->a.cap->ring
						       : FG_CAP_RING_DEFAULT);
	if (!err)
		err = flowgate_xdp__load(r->skel);
	if (err) {
		flowgate_xdp__destroy(r->skel);
		r->skel = NULL;
	}
	return err;
}

/* The table as the program's rodata made it: mapped, for the exporter
 * and the report. */
static int map_flowtab(struct replay *r)
{
	int err = fg_ft_open_fd(&r->ft, bpf_map__fd(r->skel->maps.fg_flowtab),
				&r->ftinfo);

	if (err)
		return fg_error(err, "cannot map %s: %s", FG_MAP_FLOWTAB,
				fg_strerr(err));
	r->ft_open = true;
	return 0;
}

static int load_program(struct replay *r)
{
	int err;

	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (!err)
		err = fg_kfeat_check_replay();
	if (!err && r->a.cap)
		err = fg_kfeat_check_capture();
	if (err)
		return err;
	fg_vlog_begin();
	err = open_load(r);
	if (err)
		fg_vlog_fail(err, "cannot load the XDP program");
	fg_vlog_end();
	if (err)
		return err;
	r->prog_fd = bpf_program__fd(r->skel->progs.fg_replay);
	err = map_flowtab(r);
	if (err)
		return err;
	pin_cpu();
	err = probe_linear(r);
	if (err)
		return err;
	r->buf = malloc(r->linear_max);
	if (!r->buf)
		return fg_error(-ENOMEM, "out of memory");
	return 0;
}

static void print_packet(__u64 index, __u32 reason)
{
	if (!fg_opts.json)
		return;
	out_line_begin();
	out_u64("index", index);
	out_str("verdict", reason ? "drop" : "pass");
	if (reason)
		out_str("reason", fg_reason_name(reason));
	out_line_end();
}

static void count_verdict(struct replay *r, __u64 index, __u32 reason)
{
	if (reason == FG_R_NONE) {
		r->passed++;
	} else {
		r->dropped++;
		r->drops[reason]++;
	}
	print_packet(index, reason);
}

/* Run the batch: one BPF_PROG_TEST_RUN, then every verdict from .bss. */
static int flush(struct replay *r)
{
	struct flowgate_xdp__bss *b = r->skel->bss;
	struct xdp_md ctx = {.ingress_ifindex = REPLAY_IFINDEX};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 i, reason;
	int err;

	if (!r->n)
		return 0;
	/* Slots hold their frame's distance from the end until now. */
	for (i = 0; i < r->n; i++)
		b->fg_rp_off[i] = r->used - b->fg_rp_off[i];
	b->fg_rp_count = r->n;
	ctx.data_end = r->used;
	opts.data_in = r->buf + r->linear_max - r->used;
	opts.data_size_in = r->used;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	err = bpf_prog_test_run_opts(r->prog_fd, &opts);
	if (err)
		return fg_error(err,
				"%s: packets %llu-%llu: BPF_PROG_TEST_RUN "
				"failed: %s",
				r->a.path, (unsigned long long)r->first,
				(unsigned long long)(r->first + r->n - 1),
				fg_strerr(err));
	r->runs++;
	if (r->rb)
		ring_buffer__consume(r->rb);
	for (i = 0; i < r->n; i++) {
		reason = b->fg_rp_reason[i];
		if (reason >= FG_R_MAX)
			return fg_error(-EPROTO,
					"%s: packet %llu: the program gave no "
					"verdict (%u)",
					r->a.path,
					(unsigned long long)(r->first + i),
					reason);
		r->prog_run++;
		if (reason)
			r->prog_drops[reason]++;
		else
			r->prog_passed++;
		count_verdict(r, r->first + i, reason);
	}
	r->n = 0;
	r->used = 0;
	return 0;
}

/* Put one frame into the batch, running the batch first if it is full. */
static int add_frame(struct replay *r, const struct fg_frame *f)
{
	__u32 len = f->hdr_len + f->len, wire = f->wire, room, hl;
	struct flowgate_xdp__bss *b = r->skel->bss;
	__u8 *dst;
	int err;

	if (len > r->linear_max)
		len = r->linear_max;
	room = len < ETH_HLEN ? ETH_HLEN : len;
	if (r->n == FG_REPLAY_BATCH || r->used + room > r->linear_max) {
		err = flush(r);
		if (err)
			return err;
	}
	if (!r->n)
		r->first = r->cap.index;
	dst = r->buf + r->linear_max - r->used - room;
	hl = f->hdr_len < len ? f->hdr_len : len;
	memcpy(dst, f->hdr, hl);
	memcpy(dst + hl, f->data, len - hl);
	memset(dst + len, 0, room - len); /* a runt's padding */
	b->fg_rp_ns[r->n] = r->clock_ns;
	b->fg_rp_off[r->n] = r->used + room; /* from the end, until flush() */
	b->fg_rp_len[r->n] = room;
	/* The flag makes a runt's own length count, 0 included. */
	b->fg_rp_wire[r->n] =
		FG_WIRE_SET | (wire < FG_MAX_WIRE ? wire : FG_MAX_WIRE);
	b->fg_rp_reason[r->n] = FG_R_MAX; /* sentinel: not run */
	r->n++;
	r->used += room;
	return 0;
}

static int replay_one(struct replay *r, const struct fg_frame *f)
{
	int err;

	/* A packet stamped before the one in front of it (merged
	 * captures) is taken at the latest time seen, as a live run would
	 * have seen it arrive: flow times never go back. */
	if (f->ns > r->clock_ns)
		r->clock_ns = f->ns;
	/* A tick of the capture's clock passed: the sweeps see every
	 * packet before it, none after. */
	if (fg_rexp_due(&r->x, r->clock_ns)) {
		err = flush(r);
		if (!err)
			err = fg_rexp_tick(&r->x, r->clock_ns);
		if (err)
			return err;
	}
	r->packets++;
	if (f->hdr_len + f->len >= ETH_HLEN || f->wire < ETH_HLEN)
		return add_frame(r, f);
	/* The packet had an Ethernet header, the capture did not keep it. */
	err = flush(r);
	if (err)
		return err;
	r->not_captured++;
	count_verdict(r, r->cap.index, FG_R_NONE);
	return 0;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* A long replay says how far it got: on a terminal only, and never on
 * stdout, so that what stdout carries stays deterministic and a log file
 * gets no carriage returns. The clock is read every 4096 packets. */
static void progress(struct replay *r, bool done)
{
	struct timespec now;
	double secs;
	int pct;

	if (done) {
		if (r->progress_shown)
			fputs("\r\033[K", stderr);
		return;
	}
	if (!r->progress_tty || r->packets - r->progress_at < 4096)
		return;
	r->progress_at = r->packets;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = elapsed(&r->start, &now);
	if (secs < 2 ||
	    (r->progress_shown && elapsed(&r->last_progress, &now) < 1))
		return;
	pct = fg_capture_percent(&r->cap, r->file_size);
	fprintf(stderr, "\rreplayed %llu packets",
		(unsigned long long)r->packets);
	if (pct >= 0)
		fprintf(stderr, " (%d%%)", pct);
	fprintf(stderr, ", %.0f packets/s\033[K", r->packets / secs);
	r->last_progress = now;
	r->progress_shown = true;
}

static int replay_all(struct replay *r)
{
	struct fg_frame f;
	struct stat st;
	int ret, err = 0;

	if (!stat(r->a.path, &st))
		r->file_size = st.st_size;
	r->progress_tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	while (!err) {
		ret = fg_capture_next(&r->cap, &f);
		if (ret <= 0) {
			err = ret ? ret : flush(r);
			if (!err)
				err = fg_rexp_finish(&r->x);
			break;
		}
		err = replay_one(r, &f);
		progress(r, false);
	}
	/* The batch read before a broken record is still true: run it. */
	if (err && r->n)
		flush(r);
	progress(r, true);
	return err;
}

/* ---- flows ---------------------------------------------------------- */

struct rflow {
	struct fg_flow_key k;
	struct fg_flow_val v; /* summed over CPUs */
};

struct rflows {
	struct rflow *e;
	size_t n, cap;
	__u64 packets, octets; /* over all records */
	int err;
};

/* -j: one more flow to print. */
static int keep(struct rflows *f, const void *key, const struct fg_flow_val *v)
{
	struct rflow *e;

	if (fg_grow(&f->e, &f->cap, f->n, sizeof(*e), 1024))
		return -ENOMEM;
	e = &f->e[f->n];
	memcpy(&e->k, key, sizeof(e->k));
	e->v = *v;
	return 0;
}

/* Every flow counted; kept (and sorted after) only for -j, which prints
 * them: a table of 412k flows took 0.1 s more to keep and sort. */
static int collect(const struct fg_flow_key *key, const struct fg_flow_val *v,
		   void *c)
{
	struct rflows *f = c;
	int err;

	if (!v->packets)
		return 0;
	if (fg_opts.json) {
		err = keep(f, key, v);
		if (err)
			return err;
	}
	f->n++;
	f->packets += v->packets;
	f->octets += v->octets;
	return 0;
}

/* Records in the order they began, then by key: a golden file's diff
 * reads as a story, and a hash table's order never shows. */
static int rflow_cmp(const void *a, const void *b)
{
	const struct rflow *x = a, *y = b;

	if (x->v.first_ns != y->v.first_ns)
		return x->v.first_ns < y->v.first_ns ? -1 : 1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

static __u64 capture_ms(__u64 ns)
{
	return ns / 1000000;
}

static void print_flows(const struct rflows *f)
{
	size_t i;

	if (!fg_opts.json)
		return;
	for (i = 0; i < f->n; i++) {
		out_line_begin();
		fg_flow_print("flow", &f->e[i].k, &f->e[i].v, capture_ms);
		out_line_end();
	}
}

/* The overflow aggregates (the table was full), sorted by key; their
 * packets and octets are added to f's totals. */
static int print_overflow(struct replay *r, struct rflows *f)
{
	struct fg_ovf_ent *e = NULL;
	size_t i, n = 0;
	int err = fg_ovf_read(bpf_map__fd(r->skel->maps.fg_ovfarr),
			      bpf_map__fd(r->skel->maps.fg_overflow), &e, &n);

	for (i = 0; !err && i < n; i++) {
		f->packets += e[i].packets;
		f->octets += e[i].octets;
		if (!fg_opts.json)
			continue;
		out_line_begin();
		fg_ovf_print("overflow", &e[i].k, e[i].packets, e[i].octets);
		out_line_end();
	}
	free(e);
	return err;
}

/* Every flow record left in the table, then the overflow aggregates. */
static int report_flows(struct replay *r, struct rflows *f)
{
	int err;

	err = fg_ft_walk(&r->ft, collect, f);
	if (err)
		return fg_error(err, "cannot read the flows: %s",
				fg_strerr(err));
	if (f->e)
		qsort(f->e, f->n, sizeof(*f->e), rflow_cmp);
	print_flows(f);
	err = print_overflow(r, f);
	if (err)
		return fg_error(err, "cannot read the overflow aggregates: %s",
				fg_strerr(err));
	return 0;
}

/*
 * The program's own counters must tell the same story as the verdicts
 * read back packet by packet, and the flow records (with the overflow
 * aggregates) must hold every packet the program accounted; anything else
 * is a bug in one of them.
 */
static int cross_check(struct replay *r, const struct rflows *f,
		       const struct fg_exp_stats *es, struct fg_ifstats *s)
{
	/* With an export, what the records carried: expired flows have
	 * left the table. */
	__u64 held = es ? es->packets : f->packets;
	__u64 held_oct = es ? es->octets : f->octets;
	int fd = bpf_map__fd(r->skel->maps.fg_ifstats);
	const struct fg_flowstats *fs = &s->flows;
	bool same;
	__u32 i;
	int err;

	err = fg_ifstats_read(fd, fg_slot_key(FG_SLOT_OTHER, FG_DIR_IN), s);
	if (err == -ENOENT) {
		memset(s, 0, sizeof(*s));
		err = 0;
	}
	if (err)
		return fg_error(err, "cannot read the program's counters: %s",
				fg_strerr(err));
	same = s->rx_packets == r->prog_run &&
	       s->pass_packets == r->prog_passed;
	for (i = 0; i < FG_R_MAX; i++)
		same = same && s->drop_packets[i] == r->prog_drops[i];
	if (!same)
		return fg_error(-EPROTO,
				"internal error: the program counted %llu "
				"packets, %llu passed, where replay ran %llu "
				"and saw %llu pass",
				(unsigned long long)s->rx_packets,
				(unsigned long long)s->pass_packets,
				(unsigned long long)r->prog_run,
				(unsigned long long)r->prog_passed);
	if (fs->packets == r->prog_run &&
	    held + fs->sampled_pkts + fs->unflowed_pkts == fs->packets &&
	    held_oct + fs->sampled_octets + fs->unflowed_octets == fs->octets)
		return 0;
	return fg_error(-EPROTO,
			"internal error: flow accounting saw %llu packets, "
			"the flow records and overflow %s %llu, of %llu run",
			(unsigned long long)fs->packets,
			es ? "exported" : "hold", (unsigned long long)held,
			(unsigned long long)r->prog_run);
}

/* A count, and in text its share of all packets for the table. */
static void out_count(const char *key, __u64 n, __u64 total)
{
	char buf[64];

	if (fg_opts.json) {
		out_u64(key, n);
		return;
	}
	snprintf(buf, sizeof(buf), "%8llu %6.1f%%", (unsigned long long)n,
		 total ? 100.0 * n / total : 0.0);
	out_str(key, buf);
}

/*
 * JSON: {"summary":{"packets":..,"passed":..,"dropped":..,
 * "not_captured":..,"reasons":{NAME:count,...},"flow_records":..,
 * "max_flows":..,"accounting":{...}}}. Text: the file, the totals, a table
 * of verdicts (pass, each drop reason) with count and share, then the
 * flow counts.
 */
/* What the export sent: records by flowEndReason, and each output. */
static void print_export(const struct replay *r, const struct fg_exp_stats *e)
{
	__u32 i;

	out_obj_open("export");
	out_u64("active_timeout", r->x.active_s);
	out_u64("idle_timeout", r->x.idle_s);
	out_u64("sweeps", r->x.sweeps);
	fg_exp_records_print(e);
	out_arr_open("outputs");
	for (i = 0; i < e->nouts && i < FG_EXP_MAX_OUTS; i++) {
		const struct fg_exp_outstats *o = &e->out[i];

		out_obj_open(NULL);
		out_str("output", o->url);
		out_u64("messages", o->messages);
		out_u64("records", o->records);
		out_u64("octets", o->octets);
		out_u64("not_sent_records", o->lost_records);
		out_obj_close();
	}
	out_arr_close();
	out_obj_close();
}

static void print_capture(const struct replay *r)
{
	struct fg_cap_count c[FG_CAP_NKEYS];

	if (!r->rb)
		return;
	if (fg_cap_stats_sum(bpf_map__fd(r->skel->maps.fg_cap_stats), c))
		memset(c, 0, sizeof(c));
	out_obj_open("capture");
	out_str("file", r->a.cap->out);
	out_u64("written", r->sink.written);
	out_u64("not_written", r->sink.past_count);
	fg_cap_count_print("kernel", c);
	out_obj_close();
}

static void print_summary(const struct replay *r, const struct rflows *f,
			  const struct fg_exp_stats *es,
			  const struct fg_ifstats *s)
{
	__u32 i;

	out_begin();
	/* In text, an unnamed block: the table nests under "verdicts". */
	out_obj_open(fg_opts.json ? "summary" : NULL);
	if (!fg_opts.json)
		out_str("file", r->a.path);
	out_u64("packets", r->packets);
	out_u64("passed", r->passed);
	out_u64("dropped", r->dropped);
	out_u64("not_captured", r->not_captured);
	out_obj_open(fg_opts.json ? "reasons" : "verdicts");
	if (!fg_opts.json)
		out_count("pass", r->passed, r->packets);
	for (i = 1; i < FG_R_MAX; i++)
		if (r->drops[i])
			out_count(fg_reason_name(i), r->drops[i], r->packets);
	out_obj_close();
	/* With an export, the records are what it sent (the table keeps
	 * only the flows not expired). */
	if (!es)
		out_u64("flow_records", f->n);
	out_u64("max_flows", r->ftinfo.max_flows);
	fg_flowstats_print("accounting", &s->flows, NULL);
	if (es)
		print_export(r, es);
	print_capture(r);
	out_obj_close();
	out_end();
}

/* capture FILE: the selection in the private instance, on; the file with
 * one interface, named after the capture replayed. */
static int capture_open(struct replay *r)
{
	struct fg_cap_cfg *c = &r->skel->data_fg_cap->fg_cap_cfg;
	int err;

	if (!r->a.cap)
		return 0;
	err = fg_cap_sink_open(&r->sink, r->a.cap);
	if (!err && fg_cap_sink_single(&r->sink, "replay", r->a.path))
		err = fg_error(r->sink.w.err, "cannot write %s: %s",
			       r->a.cap->out, strerror(-r->sink.w.err));
	if (err)
		return err;
	r->rb = ring_buffer__new(bpf_map__fd(r->skel->maps.fg_cap_ring),
				 fg_cap_sink_record, &r->sink, NULL);
	if (!r->rb)
		return fg_error(-errno, "cannot map the capture ring: %s",
				fg_strerr(-errno));
	fg_cap_cfg_make(r->a.cap, c);
	c->gen = 1;
	c->on = 1;
	return 0;
}

/* The maps of the export (its flows: replay's table). */
static struct fg_exp_maps exp_maps(const struct replay *r)
{
	struct flowgate_xdp *k = r->skel;

	return (struct fg_exp_maps){
		.overflow = bpf_map__fd(k->maps.fg_overflow),
		.ovfarr = bpf_map__fd(k->maps.fg_ovfarr),
		.ifstats = bpf_map__fd(k->maps.fg_ifstats),
		.config = bpf_map__fd(k->maps.data_fg_cfg),
		.state = -1, /* the shadow in memory only */
		.ifaces = -1,
		.other_ifindex = REPLAY_IFINDEX,
	};
}

/* config FILE: its settings and rules in the private instance (once:
 * the image of the maps then holds them); its [export] is the export's
 * defaults (export_open). */
static int configure(struct replay *r)
{
	if (!r->have_cfg)
		return 0;
	return fg_daemon_cfg_apply_obj(&r->cfg, r->skel->obj,
				       bpf_map__fd(r->skel->maps.data_fg_cfg),
				       r->a.config);
}

/* The export of one capture, if one is asked. */
static int export_open(struct replay *r)
{
	struct fg_exp_maps m = exp_maps(r);

	return fg_rexp_open(&r->x, &r->a, r->have_cfg ? &r->cfg.export : NULL,
			    &m, &r->ft);
}

/* "{}" in a file name template: the capture's name, without its
 * directory and its last extension ("{}.ipfix" for a/b.pcap: b.ipfix). */
static int expand(const char *tmpl, const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/'), *dot, *p;
	size_t n = 0, blen;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	blen = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	for (p = tmpl; *p; p++) {
		if (p[0] == '{' && p[1] == '}') {
			if (n + blen >= len)
				return -ENAMETOOLONG;
			memcpy(out + n, base, blen);
			n += blen;
			p++;
			continue;
		}
		if (n + 1 >= len)
			return -ENAMETOOLONG;
		out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

/* Maps the image leaves out: the flow table (all zero before the first
 * packet: cleared through its mapping, far cheaper than a copy), and
 * the rule definitions, which only user space writes (up to 2 x
 * FG_RULE_MAX entries). */
static const char *const img_skip[] = {FG_MAP_FLOWTAB, FG_MAP_RULES,
				       FG_MAP_RULE_DEFS, NULL};

/* What one capture owns, closed after its report. */
static void capture_close(struct replay *r, struct rflows *f)
{
	fg_rexp_close(&r->x);
	fg_capture_close(&r->cap);
	ring_buffer__free(r->rb);
	r->rb = NULL;
	free(f->e);
	memset(f, 0, sizeof(*f));
}

/* The replay of one capture, a->paths[i], on the loaded instance (or,
 * for the first, loading it): its outputs' names, the maps as the load
 * left them, then the run and its report. */
static int replay_capture(struct replay *r, const struct fg_replay_args *a,
			  int i)
{
	static struct fg_cap_args cap;
	struct rflows f = {0};
	struct fg_exp_stats es;
	struct fg_ifstats s;
	int err = 0;

	r->a.path = a->paths[i];
	if (a->ipfix) {
		r->a.ipfix = r->ipfix;
		err = expand(a->ipfix, r->a.path, r->ipfix, sizeof(r->ipfix));
	}
	if (!err && a->cap) {
		cap = *a->cap;
		cap.out = r->capout;
		r->a.cap = &cap;
		err = expand(a->cap->out, r->a.path, r->capout,
			     sizeof(r->capout));
	}
	if (err)
		return fg_error(err, "%s: the file names it gives are too long",
				r->a.path);
	err = fg_capture_open(&r->cap, r->a.path);
	if (!err && !r->skel) {
		err = load_program(r);
		if (!err)
			err = configure(r);
		/* The maps as this capture starts: every later one starts
		 * from them too. The flow table is all zero. */
		if (!err && a->npaths > 1) {
			err = fg_rimg_take(&r->img, r->skel->obj, img_skip);
			if (err)
				err = fg_error(err, "cannot read the maps: %s",
					       fg_strerr(err));
		}
	} else if (!err) {
		memset(r->ft.b, 0,
		       (size_t)r->ftinfo.nb * sizeof(struct fg_ft_bucket));
		err = fg_rimg_put(&r->img);
		if (err)
			err = fg_error(err, "cannot reset the maps: %s",
				       fg_strerr(err));
	}
	if (!err)
		err = export_open(r);
	if (!err)
		err = capture_open(r);
	if (!err)
		err = replay_all(r);
	if (r->rb) {
		/* whatever the failure, the file holds what was taken */
		ring_buffer__consume(r->rb);
		if (fg_cap_sink_close(&r->sink) && !err)
			err = -EIO;
	}
	if (!err && r->x.e)
		fg_exporter_stats(r->x.e, &es);
	else if (!err)
		err = report_flows(r, &f);
	if (!err)
		err = cross_check(r, &f, r->x.e ? &es : NULL, &s);
	if (!err)
		print_summary(r, &f, r->x.e ? &es : NULL, &s);
	if (!err && r->x.e)
		err = fg_rexp_lost(&r->x, &es);
	capture_close(r, &f);
	return err;
}

/* The next capture's counters and state from zero; the load, its table
 * and the maps' image stay. */
static void next_capture(struct replay *r)
{
	struct replay k = *r;

	memset(r, 0, sizeof(*r));
	r->a = k.a;
	r->skel = k.skel;
	r->prog_fd = k.prog_fd;
	r->linear_max = k.linear_max;
	r->buf = k.buf;
	r->ftinfo = k.ftinfo;
	r->ft = k.ft;
	r->ft_open = k.ft_open;
	r->cfg = k.cfg;
	r->have_cfg = k.have_cfg;
	r->img = k.img;
}

/* A word after the first capture that names no file is more likely a
 * mistyped keyword than a capture: said so, before anything runs. */
static int words_are_files(const struct fg_replay_args *a)
{
	int i;

	for (i = 1; i < a->npaths; i++)
		if (access(a->paths[i], F_OK) && errno == ENOENT)
			return fg_usage("unexpected argument '%s': no such "
					"keyword or capture file (see "
					"'flowgate replay help')",
					a->paths[i]);
	return 0;
}

/* Two captures whose names give one output file (a/x.pcap and b/x.pcap
 * with {}.ipfix) would write it twice: refused before anything runs. */
static int names_distinct(const struct fg_replay_args *a, const char *tmpl,
			  const char *kw)
{
	char x[4096], y[4096];
	int i, j;

	for (i = 0; tmpl && i < a->npaths; i++)
		for (j = i + 1; j < a->npaths; j++)
			if (!expand(tmpl, a->paths[i], x, sizeof(x)) &&
			    !expand(tmpl, a->paths[j], y, sizeof(y)) &&
			    !strcmp(x, y) && strcmp(x, "-"))
				return fg_usage("%s FILE: %s and %s both give "
						"%s",
						kw, a->paths[i], a->paths[j],
						x);
	return 0;
}

/*
 * Several captures: one load of the program for all, each capture then
 * from the maps as they were before the first (replay_img.c), so that
 * its output is what a replay of it alone prints. The first capture that
 * fails ends the run: what was printed before it is complete.
 */
int fg_replay_run(const struct fg_replay_args *a)
{
	struct replay *r = calloc(1, sizeof(*r));
	int i, err = 0;

	if (!r)
		return fg_error(-ENOMEM, "out of memory");
	err = words_are_files(a);
	if (!err)
		err = names_distinct(a, a->ipfix, "ipfix");
	if (!err)
		err = names_distinct(a, a->cap ? a->cap->out : NULL, "capture");
	r->a = *a;
	if (!err && a->config) {
		err = fg_daemon_cfg_load(a->config, &r->cfg);
		r->have_cfg = !err;
	}
	for (i = 0; !err && i < a->npaths; i++) {
		if (i)
			next_capture(r);
		err = replay_capture(r, a, i);
	}
	if (r->have_cfg)
		fg_daemon_cfg_free(&r->cfg);
	if (r->ft_open)
		fg_ft_close(&r->ft);
	fg_rimg_free(&r->img);
	flowgate_xdp__destroy(r->skel);
	free(r->buf);
	free(r);
	return err;
}
