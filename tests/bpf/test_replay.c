// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fg_replay (replay's batches: many frames per BPF_PROG_TEST_RUN, each
 * through fg_xdp_frame()) against fg_xdp run once per frame: the same
 * verdict for every packet, and the same flow table and counters after
 * every capture (the maps are emptied between captures). Both instances run
 * with the capture's clock, replay's wire lengths and replay's flow table
 * (one region, seed 0), so their flows must agree to the byte.
 *
 * Frames: every packet of the Ethernet captures in ../shared/pcaps (or
 * $FLOWGATE_PCAPS) and of tests/pcap/captures/{edge,snaplen}.pcap (runts,
 * snaplen cuts, a frame longer than the cut). TAP: one line per capture.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include "fg_common.h"
#include "fg.h"
#include "fg_replay.h"
#include "flowtab.h"
#include "flowgate_xdp.skel.h"
#include "fgtest.h"

/* Frames are cut here in both paths (within any kernel's linear area). */
#define CUT 3072

struct inst {
	struct flowgate_xdp *skel;
	struct fg_ft ft; /* fg_flowtab, mapped */
	int ncpu;
};

/* Replay's table (ctl/replay/replay.c): one region for the default
 * max-flows, seed 0. */
static int inst_open(struct inst *in)
{
	struct fg_ft_info info = {.version = FG_FT_VERSION,
				  .nreg = 1,
				  .nb = fg_ft_nb(FG_DEFAULT_MAX_FLOWS, 1),
				  .max_flows = FG_DEFAULT_MAX_FLOWS};
	int err;

	in->ft.fd = -1;
	in->skel = flowgate_xdp__open();
	if (!in->skel)
		return -errno;
	in->skel->rodata->fg_record_last = 1;
	in->skel->rodata->fg_capture_clock = 1;
	in->ncpu = libbpf_num_possible_cpus();
	err = FGT_FT_SET(in->skel, &info);
	if (!err)
		err = flowgate_xdp__load(in->skel);
	if (!err)
		err = fgt_ft_map(&in->ft,
				 bpf_map__fd(in->skel->maps.fg_flowtab), &info);
	return err;
}

/* The overflow array's entries of the instance's slot (the only one it
 * counts in) zeroed: an array's entries are emptied, not deleted. */
static void ovfarr_zero(struct inst *in)
{
	int fd = bpf_map__fd(in->skel->maps.fg_ovfarr);
	int ncpu = libbpf_num_possible_cpus();
	void *zero = ncpu > 0 ? calloc(ncpu, sizeof(struct fg_ovf_cnt)) : 0;
	__u32 i;

	for (i = 0; zero && i < 2 * FG_OVF_NCLASS; i++) {
		__u32 k = fg_ovf_index(FG_SLOT_OTHER, 0, 0) + i;

		bpf_map_update_elem(fd, &k, zero, 0);
	}
	free(zero);
}

/* Empty every map an earlier capture filled (cheaper than a new load). */
static void inst_reset(struct inst *in)
{
	struct bpf_map *frags = in->skel->maps.fg_frags;
	void *zero = calloc(1, bpf_map__value_size(frags));
	int fd = bpf_map__fd(in->skel->maps.fg_overflow);
	__u8 key[64];
	__u32 slot;

	/* The table through its mapping: every bucket as new. */
	memset(in->ft.b, 0,
	       (size_t)in->ft.info.nreg * in->ft.info.nb * sizeof(*in->ft.b));
	while (!bpf_map_get_next_key(fd, NULL, key))
		bpf_map_delete_elem(fd, key);
	ovfarr_zero(in);
	/* An array: its slots are emptied, not deleted. */
	for (slot = 0; zero && slot < bpf_map__max_entries(frags); slot++)
		bpf_map_update_elem(bpf_map__fd(frags), &slot, zero, 0);
	free(zero);
	/* An instance without a slot counts in slot 0 only. */
	fg_ifstats_zero(bpf_map__fd(in->skel->maps.fg_ifstats), FG_SLOT_OTHER);
}

static int run(int fd, const __u8 *data, __u32 len)
{
	struct xdp_md ctx = {.ingress_ifindex = FGT_IFINDEX, .data_end = len};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	return bpf_prog_test_run_opts(fd, &o);
}

/* The batch for fg_replay, built as replay builds it: frames from the end
 * of buf backwards. */
struct batch {
	__u8 buf[CUT];
	__u32 used, n;
	__u8 frame[FG_REPLAY_BATCH][CUT];
	__u32 len[FG_REPLAY_BATCH], wire[FG_REPLAY_BATCH];
	__u64 ns[FG_REPLAY_BATCH];
	__u32 reason[FG_REPLAY_BATCH]; /* fg_xdp's, to compare */
};

struct cmp {
	struct inst *a, *b; /* fg_xdp per frame, fg_replay per batch */
	struct batch bt;
	size_t packets, differ;
};

static int flush(struct cmp *c)
{
	struct flowgate_xdp__bss *s = c->b->skel->bss;
	struct batch *b = &c->bt;
	__u32 i, off = CUT;
	int err;

	for (i = 0; i < b->n; i++) {
		off -= b->len[i];
		memcpy(b->buf + off, b->frame[i], b->len[i]);
		s->fg_rp_off[i] = off - (CUT - b->used);
		s->fg_rp_len[i] = b->len[i];
		s->fg_rp_wire[i] = b->wire[i];
		s->fg_rp_ns[i] = b->ns[i];
		s->fg_rp_reason[i] = FG_R_MAX;
	}
	s->fg_rp_count = b->n;
	err = b->n ? run(bpf_program__fd(c->b->skel->progs.fg_replay),
			 b->buf + CUT - b->used, b->used)
		   : 0;
	for (i = 0; !err && i < b->n; i++)
		if (s->fg_rp_reason[i] != b->reason[i] && c->differ++ < 5)
			fgt_diag("packet %zu: fg_xdp %u, fg_replay %u",
				 c->packets - b->n + i + 1, b->reason[i],
				 s->fg_rp_reason[i]);
	b->n = b->used = 0;
	return err;
}

/* One frame through fg_xdp now, and into the batch for fg_replay. */
static int frame(struct cmp *c, const __u8 *data, __u32 cap, __u32 wire,
		 __u64 ns)
{
	struct flowgate_xdp__bss *s = c->a->skel->bss;
	struct batch *b = &c->bt;
	__u32 len = cap < CUT ? cap : CUT, room = len < 14 ? 14 : len;
	int err;

	if (cap < 14 && wire >= 14)
		return 0; /* not_captured: replay runs neither */
	if (b->n == FG_REPLAY_BATCH || b->used + room > CUT) {
		err = flush(c);
		if (err)
			return err;
	}
	memset(b->frame[b->n], 0, room);
	memcpy(b->frame[b->n], data, len);
	b->len[b->n] = room;
	b->wire[b->n] = FG_WIRE_SET | (wire > cap ? wire : cap);
	b->ns[b->n] = ns;
	s->fg_wire_len = b->wire[b->n];
	s->fg_pkt_ns = ns;
	s->fg_last_reason = FG_R_MAX;
	err = run(bpf_program__fd(c->a->skel->progs.fg_xdp), b->frame[b->n],
		  room);
	b->reason[b->n] = s->fg_last_reason;
	b->n++;
	b->used += room;
	c->packets++;
	return err;
}

struct ent {
	struct fg_flow_key k;
	struct fg_flow_val v;
};

static int ent_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct fg_flow_key));
}

struct ents {
	struct ent *e;
	size_t n;
};

static int keep(const struct fg_flow_key *k, const struct fg_flow_val *v,
		void *ctx)
{
	struct ents *x = ctx;
	struct ent *t = realloc(x->e, (x->n + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	x->e = t;
	memset(&t[x->n], 0, sizeof(t[x->n]));
	t[x->n].k = *k;
	t[x->n].v = *v;
	x->n++;
	return 0;
}

/* The flow table, read through its mapping, sorted by key. */
static struct ent *flows(struct inst *in, size_t *n)
{
	struct ents x = {NULL, 0};

	fg_ft_walk(&in->ft, keep, &x);
	qsort(x.e, x.n, sizeof(*x.e), ent_cmp);
	*n = x.n;
	return x.e;
}

static int stats(struct inst *in, struct fg_ifstats *sum)
{
	int fd = bpf_map__fd(in->skel->maps.fg_ifstats);
	struct fg_ifstats *v = calloc(in->ncpu, sizeof(*v));
	__u32 key = FGT_STATS_IN, i;
	int c;

	memset(sum, 0, sizeof(*sum));
	if (!v || bpf_map_lookup_elem(fd, &key, v)) {
		free(v);
		return -ENOENT;
	}
	for (c = 0; c < in->ncpu; c++) {
		__u64 *d = (__u64 *)sum, *s = (__u64 *)&v[c];

		for (i = 0; i < sizeof(*sum) / 8; i++)
			d[i] += s[i];
	}
	free(v);
	return 0;
}

static struct inst a, b;

static void compare(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	static struct cmp c;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct fg_ifstats sa, sb;
	struct ent *fa = NULL, *fb = NULL;
	size_t na = 0, nb = 0;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	pcap_t *p;
	int err = 0;

	p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p || pcap_datalink(p) != DLT_EN10MB) {
		if (p)
			pcap_close(p);
		return; /* other link types: replay's frames, same path */
	}
	memset(&c, 0, sizeof(c));
	c.a = &a;
	c.b = &b;
	inst_reset(&a);
	inst_reset(&b);
	while (!err && pcap_next_ex(p, &h, &data) == 1)
		err = frame(&c, data, h->caplen, h->len,
			    (__u64)h->ts.tv_sec * 1000000000ULL +
				    h->ts.tv_usec);
	if (!err)
		err = flush(&c);
	fa = flows(&a, &na);
	fb = flows(&b, &nb);
	stats(&a, &sa);
	stats(&b, &sb);
	fgt_ok(!err && !c.differ && na == nb &&
		       (!na || !memcmp(fa, fb, na * sizeof(*fa))) &&
		       !memcmp(&sa, &sb, sizeof(sa)),
	       "fg_replay = fg_xdp per frame: %s (%zu packets, %zu flows, "
	       "%zu verdicts differ, %zu/%zu flows)",
	       name, c.packets, na, c.differ, na, nb);
	free(fa);
	free(fb);
	pcap_close(p);
}

static int by_name(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

int main(void)
{
	const char *dir = getenv("FLOWGATE_PCAPS");
	static const char *const crafted[] = {
		"tests/pcap/captures/edge.pcap",
		"tests/pcap/captures/snaplen.pcap",
		"tests/pcap/captures/nsec.pcap",
	};
	struct dirent **ents;
	char path[4096];
	int i, n;

	libbpf_set_print(NULL);
	if (!fgt_ok(!inst_open(&a) && !inst_open(&b),
		    "load fg_xdp and fg_replay, twice"))
		return fgt_done();
	for (i = 0; i < 3; i++)
		compare(crafted[i]);
	if (!dir)
		dir = "../shared/pcaps";
	/* A clone without ../shared: the copies the goldens use. */
	if (access(dir, F_OK))
		dir = "tests/pcap/captures/shared";
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0)
		fgt_skip("no captures", "shared captures in %s", dir);
	for (i = 0; i < n; i++) {
		const char *d = ents[i]->d_name;
		size_t l = strlen(d);

		if ((l > 5 && !strcmp(d + l - 5, ".pcap")) ||
		    (l > 7 && !strcmp(d + l - 7, ".pcapng"))) {
			snprintf(path, sizeof(path), "%s/%s", dir, d);
			compare(path);
		}
		free(ents[i]);
	}
	free(n > 0 ? ents : NULL);
	fg_ft_close(&a.ft);
	fg_ft_close(&b.ft);
	flowgate_xdp__destroy(a.skel);
	flowgate_xdp__destroy(b.skel);
	return fgt_done();
}
