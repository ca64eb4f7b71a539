// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Helpers of the host-vs-BPF differential test; see diff_util.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include "fg.h"
#include "fg_parse.h"
#include "flowgate_xdp.skel.h"
#include "diff_util.h"
#include "fgtest.h"

/* ---- captures ---------------------------------------------------------- */

static int dfu_capture_add(struct dfu_capture *c, const __u8 *data, __u32 len,
			   __u32 wire_len)
{
	struct dfu_frame *f;

	if (fg_grow(&c->frames, &c->cap, c->n, sizeof(*f), 256))
		return -ENOMEM;
	f = &c->frames[c->n];
	f->data = malloc(len ? len : 1);
	if (!f->data)
		return -ENOMEM;
	memcpy(f->data, data, len);
	f->len = len;
	f->wire_len = wire_len < len ? len : wire_len;
	c->n++;
	return 0;
}

int dfu_capture_load(const char *path, struct dfu_capture *c, char *err,
		     size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int ret = 0, rc;

	memset(c, 0, sizeof(*c));
	pc = pcap_open_offline(path, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s", ebuf);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		snprintf(err, errlen, "link type %d is not Ethernet",
			 pcap_datalink(pc));
		pcap_close(pc);
		return -ENOTSUP;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		ret = dfu_capture_add(c, data, h->caplen, h->len);
		if (ret)
			break;
	}
	if (!ret && rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s", pcap_geterr(pc));
		ret = -EIO;
	}
	pcap_close(pc);
	if (ret)
		dfu_capture_free(c);
	return ret;
}

void dfu_capture_free(struct dfu_capture *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->frames[i].data);
	free(c->frames);
	memset(c, 0, sizeof(*c));
}

/* ---- the two sides ----------------------------------------------------- */

/* Sum of rx_bytes over every interface and CPU in fg_ifstats. */
static int dfu_rx_bytes(struct dfu_bpf *b, __u64 *sum)
{
	int fd = bpf_map__fd(b->skel->maps.fg_ifstats);
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	struct fg_ifstats *v;
	__u32 key, next, *prev = NULL;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*sum = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v)) {
			err = -errno;
			break;
		}
		for (i = 0; i < ncpu; i++)
			*sum += v[i].rx_bytes;
	}
	free(v);
	return err;
}

/* How much of a long frame the test run puts in the linear area (the rest
 * goes to frags): the program counts data_end - data in rx_bytes. */
static int dfu_probe_linear(struct dfu_bpf *b)
{
	static const __u8 frame[DFU_BUF_MAX]; /* EtherType 0: not IP */
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);
	__u64 before, after;
	int err;

	err = dfu_rx_bytes(b, &before);
	if (!err && bpf_prog_test_run_opts(b->prog_fd, &o))
		err = -errno;
	if (!err)
		err = dfu_rx_bytes(b, &after);
	if (err)
		return err;
	if (after - before < ETH_HLEN || after - before > DFU_BUF_MAX)
		return -ERANGE;
	b->linear_max = (__u32)(after - before);
	return 0;
}

static int bpf_open(struct dfu_bpf *b, int record)
{
	struct fg_ft_info info;
	int err;

	memset(b, 0, sizeof(*b));
	b->skel = flowgate_xdp__open();
	if (!b->skel)
		return -errno;
	b->skel->rodata->fg_record_last = record;
	b->nic = !record;
	/* fg_xdp only: replay's driver costs the verifier as much again. */
	bpf_program__set_autoload(b->skel->progs.fg_replay, false);
	err = fgt_ft_info(&info, 0);
	if (!err)
		err = FGT_FT_SET(b->skel, &info);
	if (!err)
		err = flowgate_xdp__load(b->skel);
	if (err) {
		flowgate_xdp__destroy(b->skel);
		b->skel = NULL;
		return err;
	}
	b->prog_fd = bpf_program__fd(b->skel->progs.fg_xdp);
	b->cfg_fd = bpf_map__fd(b->skel->maps.data_fg_cfg);
	err = dfu_probe_linear(b);
	if (err)
		dfu_bpf_close(b);
	return err;
}

int dfu_bpf_open(struct dfu_bpf *b)
{
	return bpf_open(b, 1);
}

int dfu_bpf_open_nic(struct dfu_bpf *b)
{
	return bpf_open(b, 0);
}

void dfu_bpf_close(struct dfu_bpf *b)
{
	flowgate_xdp__destroy(b->skel);
	b->skel = NULL;
}

int dfu_bpf_set_config(struct dfu_bpf *b, const struct fg_config *cfg)
{
	__u32 key = 0;

	if (bpf_map_update_elem(b->cfg_fd, &key, cfg, BPF_ANY))
		return -errno;
	return 0;
}

/* The guard's counters of the catch-all slot, ingress, summed over CPUs:
 * what a NIC instance (no recorded verdict) says about a frame. */
static int dfu_counts(struct dfu_bpf *b, struct fg_ifstats *sum)
{
	int fd = bpf_map__fd(b->skel->maps.fg_ifstats);
	int ncpu = libbpf_num_possible_cpus(), i, r;
	__u32 key = fg_slot_key(FG_SLOT_OTHER, FG_DIR_IN);
	struct fg_ifstats *v;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, v)) {
		free(v);
		return -errno;
	}
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < ncpu; i++) {
		sum->pass_packets += v[i].pass_packets;
		for (r = 0; r < 32; r++) {
			sum->drop_packets[r] += v[i].drop_packets[r];
			sum->matched[r] += v[i].matched[r];
		}
	}
	free(v);
	return 0;
}

/* A NIC instance's verdict from its counters: the reason whose drop
 * count moved, and the checks whose count did. */
static int dfu_bpf_run_nic(struct dfu_bpf *b, const void *data, __u32 len,
			   struct dfu_result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len,
		    .repeat = 1);
	struct fg_ifstats before, after;
	int err, i;

	err = dfu_counts(b, &before);
	if (!err && bpf_prog_test_run_opts(b->prog_fd, &o))
		err = -errno;
	if (!err)
		err = dfu_counts(b, &after);
	if (err)
		return err;
	r->retval = o.retval;
	r->reason = after.pass_packets - before.pass_packets == 1 ? 0 : 0xdead;
	r->hits = 0;
	for (i = 0; i < 32; i++) {
		if (after.drop_packets[i] - before.drop_packets[i] == 1 &&
		    r->reason == 0xdead)
			r->reason = i;
		if (after.matched[i] != before.matched[i])
			r->hits |= 1u << i;
	}
	return 0;
}

int dfu_bpf_run(struct dfu_bpf *b, const void *data, __u32 len, __u32 wire_len,
		struct dfu_result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len,
		    .repeat = 1);

	if (len > b->linear_max)
		return -E2BIG;
	if (b->nic)
		return wire_len > len ? -ERANGE
				      : dfu_bpf_run_nic(b, data, len, r);
	/* A stale verdict must not pass for this frame's. */
	b->skel->bss->fg_last_reason = 0xdead;
	b->skel->bss->fg_last_hits = 0xdead;
	b->skel->bss->fg_wire_len = wire_len > len ? wire_len : 0;
	if (bpf_prog_test_run_opts(b->prog_fd, &o))
		return -errno;
	r->retval = o.retval;
	r->reason = b->skel->bss->fg_last_reason;
	r->hits = b->skel->bss->fg_last_hits;
	return 0;
}

void dfu_host_run(const void *data, __u32 len, __u32 wire_len,
		  const struct fg_config *cfg, struct dfu_result *r)
{
	struct fg_pkt p;

	fg_parse_wire(data, (const __u8 *)data + len, wire_len, cfg, &p);
	r->reason = p.reason;
	r->hits = p.hits;
	r->retval = p.reason ? XDP_DROP : XDP_PASS;
}

int dfu_same(const struct dfu_result *a, const struct dfu_result *b)
{
	return a->retval == b->retval && a->reason == b->reason &&
	       a->hits == b->hits;
}

void dfu_report(const char *what, size_t idx, const struct dfu_result *bpf,
		const struct dfu_result *host, const void *data, __u32 len)
{
	const __u8 *d = data;
	__u32 i;

	printf("# %s: packet %zu (%u bytes) differs\n", what, idx, len);
	printf("#   bpf:  retval %u reason %u hits 0x%08x\n", bpf->retval,
	       bpf->reason, bpf->hits);
	printf("#   host: retval %u reason %u hits 0x%08x\n", host->retval,
	       host->reason, host->hits);
	for (i = 0; i < len && i < 64; i++)
		printf("%s%02x%s", i % 16 ? "" : "#   ", d[i],
		       i % 16 == 15 || i + 1 == len || i == 63 ? "\n" : " ");
}

/* ---- configs ----------------------------------------------------------- */

/* splitmix64: tiny, and the same sequence on every machine. */
__u64 dfu_rand(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The config user space writes for a profile: default is all zero. */
void dfu_config_profile(__u32 profile, struct fg_config *cfg)
{
	__u32 r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FG_CONFIG_VERSION;
	cfg->profile = profile;
	if (profile == FG_PROFILE_DEFAULT)
		return;
	for (r = 1; r < FG_R_MAX; r++)
		cfg->act[r] = fg_profile_action(profile, r);
}

/* Every check gets default (0), off, count or drop at random. */
void dfu_config_random(__u64 *rng, struct fg_config *cfg)
{
	__u32 r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FG_CONFIG_VERSION;
	for (r = 1; r < FG_R_MAX; r++) {
		cfg->act[r] = dfu_rand(rng) & 3;
		if (cfg->act[r])
			cfg->override |= 1ULL << r;
	}
}

/* ---- mutation ---------------------------------------------------------- */

/* Values that sit on the edges of the parser's checks. */
static const __u8 dfu_bytes[] = {
	0,    1,    2,	  4,	5,    6,    17,	  41,	43,   44,   50,
	51,   58,   59,	  60,	132,  135,  0x3f, 0x40, 0x44, 0x45, 0x46,
	0x4f, 0x50, 0x5f, 0x60, 0x65, 0x7f, 0x80, 0x29, 0x11, 0xff,
};
static const __u16 dfu_words[] = {
	0,	1,	7,	8,	9,	20,	40,	0x45,
	0x2000, 0x2001, 0x3fff, 0x1fff, 0x4000, 0x0800, 0x86dd, 0x8100,
	0x88a8, 0x7fff, 0x8000, 0xfff8, 0xffff, 0x0001, 0x0008,
};

/* Most fields live in the first bytes: aim three quarters there. */
static __u32 dfu_pick_off(__u64 *rng, __u32 len)
{
	__u64 v = dfu_rand(rng);

	if ((v & 3) && len > 96)
		len = 96;
	return (__u32)((v >> 2) % len);
}

/* Where L3 starts and its EtherType, after up to two VLAN tags. */
static int dfu_l3(const __u8 *b, __u32 len, __u32 *off)
{
	__u32 o = 12, i;
	__u16 t;

	for (i = 0; i < 3; i++) {
		if (o + 2 > len)
			return -1;
		t = b[o] << 8 | b[o + 1];
		if (t != 0x8100 && t != 0x88a8)
			break;
		o += 4;
	}
	*off = o + 2;
	return t;
}

/* Make lengths and the IPv4 checksum consistent again after the damage,
 * so that the checks behind them get exercised too. */
static void dfu_fixup(__u64 *rng, __u8 *b, __u32 len)
{
	__u32 off, sum = 0, hl, i, v = (__u32)dfu_rand(rng);
	int t = dfu_l3(b, len, &off);

	if (t == 0x86dd && (v & 1) && off + 40 <= len) {
		b[off + 4] = (len - off - 40) >> 8;
		b[off + 5] = (len - off - 40) & 0xff;
	}
	if (t != 0x0800 || off + 20 > len)
		return;
	hl = (b[off] & 0x0f) * 4;
	if (hl < 20 || off + hl > len)
		return;
	if (v & 1) {
		b[off + 2] = (len - off) >> 8;
		b[off + 3] = (len - off) & 0xff;
	}
	b[off + 10] = b[off + 11] = 0;
	for (i = 0; i < hl; i += 2)
		sum += b[off + i] << 8 | b[off + i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[off + 10] = ~sum >> 8;
	b[off + 11] = ~sum & 0xff;
}

static void dfu_insert(__u64 *rng, __u8 *b, __u32 *len, __u32 max)
{
	__u32 n = dfu_rand(rng) & 1 ? 4 : 8, at, i;

	if (*len + n > max || !*len)
		return;
	at = dfu_pick_off(rng, *len);
	memmove(b + at + n, b + at, *len - at);
	for (i = 0; i < n; i++)
		b[at + i] = dfu_rand(rng);
	if (n == 4 && dfu_rand(rng) & 1) {
		b[at] = 0x81; /* a VLAN tag */
		b[at + 1] = 0;
	}
	*len += n;
}

static void dfu_op(__u64 *rng, __u8 *b, __u32 *len, __u32 max)
{
	__u64 v = dfu_rand(rng);
	__u32 off = *len ? dfu_pick_off(rng, *len) : 0;

	switch (v % 8) {
	case 0:
		if (*len)
			b[off] ^= 1u << ((v >> 8) & 7);
		break;
	case 1:
		if (*len)
			b[off] = v >> 8;
		break;
	case 2:
		if (*len)
			b[off] = dfu_bytes[(v >> 8) % sizeof(dfu_bytes)];
		break;
	case 3:
		if (off + 2 <= *len) {
			__u16 w = dfu_words[(v >> 8) % (sizeof(dfu_words) /
							sizeof(dfu_words[0]))];

			b[off] = w >> 8;
			b[off + 1] = w & 0xff;
		}
		break;
	case 4: /* truncate, mostly inside the headers; never below an
		 * Ethernet header, the shortest frame the test run takes */
		if (*len > ETH_HLEN) {
			__u32 to = *len > 100 && (v >> 4) & 1 ? 100 : *len;

			*len = ETH_HLEN + (v >> 8) % (to - ETH_HLEN + 1);
		}
		break;
	case 5: /* trailing bytes beyond what the IP header announces */
		if (*len + 16 <= max) {
			memset(b + *len, (int)(v >> 8), 16);
			*len += 16;
		}
		break;
	default:
		dfu_insert(rng, b, len, max);
		break;
	}
}

/* One to four random edits of buf (len bytes, room for max), then, on
 * half of the frames, lengths and checksum made consistent again. */
void dfu_mutate(__u64 *rng, __u8 *buf, __u32 *len, __u32 max)
{
	__u32 n = 1 + (dfu_rand(rng) & 3), i;

	for (i = 0; i < n; i++)
		dfu_op(rng, buf, len, max);
	if (dfu_rand(rng) & 1)
		dfu_fixup(rng, buf, *len);
}
