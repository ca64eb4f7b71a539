// SPDX-License-Identifier: GPL-2.0
/*
 * cost: average nanoseconds per packet of XDP programs, measured with
 * BPF_PROG_TEST_RUN on every frame of one capture.
 *
 *   cost [-j] [-r ROUNDS] [-n REPEAT] [-c CPU] [-R A/B]... [-D IFPREFIX]
 *        [-C NFLOWS] [-F PCAP] PCAP SPEC...
 *   SPEC: LABEL=OBJECT[,prog=NAME][,off=CHECK|all][,flows=full|cold]
 *         [,max-flows=N][,table=MAP]
 *
 * Each frame runs REPEAT times in the kernel, which returns the average
 * time of one run; a program's figure for a round is the mean over the
 * frames (each frame weighs the same). Rounds interleave the programs
 * (A B C A B C ...) so that drift (frequency, caches, a noisy neighbour)
 * hits them alike, and the reported figure is the median of the rounds.
 * A ratio A/B is the median of the per-round ratios, A and B being taken
 * within the same round.
 *
 * Maps are created as the object declares them, never pinned, and left
 * empty; off=CHECK writes fg_config (flowgate objects only) with that check
 * turned off, to see what one check costs.
 *
 * Flow accounting (flowgate objects, map fg_flowtab, include/fg_flowtab.h,
 * loaded as attach loads it: a region per possible CPU, buckets for
 * max-flows, seed 0):
 * - by default the table is warm: after the first of a frame's REPEAT runs
 *   every run updates an existing flow record;
 * - flows=full fills every slot with a dummy live flow (ifindex
 *   FULL_IFINDEX, never a capture's), through the table's mapping, before
 *   the first pass: every packet misses both its buckets and goes to the
 *   overflow aggregate, a drop without probing (the region is above its
 *   fill mark);
 * - flows=cold: inserts. A run can insert only once, so these programs are
 *   measured in a section of their own (-C NFLOWS): NFLOWS synthesized UDP
 *   frames, each a flow of its own, each run once (repeat 1) on an emptied
 *   table (pass 1: inserts); then the same pass again (pass 2: updates of
 *   the same flows, same order, same cache footprint); then REPEAT runs of
 *   every CSTEP-th frame (updates, hot). The figure is
 *   REPEAT figure + (pass 1 - pass 2): an insert's extra cost over an
 *   update, taken where both run under the same conditions, added to the
 *   update's cost measured the usual way. A run-once figure alone is not
 *   usable: besides the kernel's per-call clock read it pays cold caches
 *   and branch predictors after each syscall, more so the longer the
 *   program (xdp-filter: ~40 ns more than its REPEAT figure even after the
 *   empty program's run-once overhead is subtracted). The baseline and
 *   every B of a ratio A/B with A cold run the same REPEAT subset in the
 *   same round, and A/B is taken on it.
 * - max-flows=N: fg_flowtab's geometry for N flows (fg_ft_nb()), or the
 *   max_entries of a table=MAP hash, before load.
 * - table=MAP: the flow table the flows= modes fill, empty and count,
 *   instead of fg_flowtab (bench/ft_xdp.bpf.c's candidates): a hash of any
 *   key (dummy keys: FULL_IFINDEX in the first word, a counter at byte
 *   8), or ft_bkt, the bucket array of bench/ft_table.h (fg_flowtab's
 *   layout), read and written through its mmap as fg_flowtab is.
 * - -F PCAP: the cold section's frames are that capture's (a flood of
 *   distinct sources, bench/flood_pcap.py) instead of synthesized ones;
 *   they need not pass, nor fit the table.
 * - -R p:A/B: the ratio of A's and B's run-once pass 1 in the cold
 *   section, each net of the baseline's (a flood of distinct sources:
 *   every packet touches lines no earlier packet warmed, which a repeated
 *   frame never shows); A and B then run in the cold section.
 * - capture=drops|all[/N]: a capture running (include/fg_capture.h), of
 *   the dropped packets or of all, 1 in N (default 1); a thread of its
 *   own reads the ring as `flowgate capture` would, on another CPU. The
 *   capture's counters are printed on stderr at the end (selected,
 *   captured, lost to a full ring).
 * - rules=N fills the rule maps with N synthetic rules (bench/rules_fill.c)
 *   that match no packet of the capture; with rules-hit one of them
 *   matches every IPv4 packet (a pass rule). rules=0 loads the empty set.
 *   rules-deep: among them, for every IPv4 address of the capture, the /32
 *   next to it (last bit flipped) by source and by destination: every
 *   lookup goes to the deepest level of the index. rules-lens: prefix
 *   lengths 1-32 instead of 16-32 (every length in use). rules-v6: the
 *   same in IPv6 (prefixes of 32-128 bits, /128 neighbours); rules-pair
 *   (IPv6): two /128s next to each address, last bit and the one before
 *   it flipped.
 * The fg_ifstats flow counters are read before and after, to show that each
 * variant took the path it claims (overflow, inserts).
 */
#define _GNU_SOURCE
/* pcap/bpf.h clashes with linux/bpf.h; DLT_EN10MB is all we need of it. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <errno.h>
#include <pthread.h>
#include <net/if.h>
#include <pcap.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "rules_fill.h"
#include "fg_flowtab.h"
#include "kfeat.h"
#include "ft_table.h"
#include <sys/mman.h>

#ifndef DLT_EN10MB
#define DLT_EN10MB 1
#endif

#define MAX_PROGS  24
#define MAX_RATIOS 48
#define MAX_ROUNDS 101
/* Dummy flow keys of flows=full: an ifindex no test_run ever has. */
#define FULL_IFINDEX 0xfffffff0u

enum flows_mode { FLOWS_WARM, FLOWS_FULL, FLOWS_COLD };

/* Sums over CPUs and interfaces of fg_ifstats' flow counters. */
struct flowsum {
	__u64 packets, ovf_pkts, insert_fail, ovf_lost;
};

struct frame {
	unsigned char *data;
	__u32 len;
	int skip; /* errno of the first program that refused it, or 0 */
};

struct prog {
	const char *label;
	const char *path;
	const char *name; /* program name, NULL: the first one */
	__u64 off;	  /* bit r: check r turned off in fg_config */
	struct bpf_object *obj;
	int fd;
	__u64 verdict[5]; /* XDP_ABORTED .. XDP_REDIRECT, on the first pass */
	double ns[MAX_ROUNDS];
	double wall[MAX_ROUNDS];
	enum flows_mode flows;
	__u32 max_flows;	  /* 0: as the object declares it */
	const char *table;	  /* table=: the flow map, else fg_flowtab */
	struct fg_ft_bucket *bkt; /* fg_flowtab or table=ft_bkt: mapped */
	size_t nbkt;
	__u32 nb;		  /* buckets a region of bkt */
	int in_cold;		  /* runs in the cold section */
	double cold[MAX_ROUNDS];  /* run-once ns/call, cold section */
	double cold2[MAX_ROUNDS]; /* flows=cold: the same pass again */
	double crep[MAX_ROUNDS];  /* REPEAT runs of every CSTEP-th frame */
	double cadj[MAX_ROUNDS];  /* cold: crep + cold - cold2; else crep */
	struct flowsum fs0, fs1;  /* before the first pass, at the end */
	long entries, cap;	  /* fg_flows at the end; max_entries */
	long cold_entries;	  /* fg_flows after the last cold pass */
	long outliers;		  /* run-once times left out (> 10 us) */
	__u64 cold_fail;	  /* inserts failed during cold passes */
	int has_rules, rules, rules_hit; /* rules=N, rules-* */
	__u32 cap_verdicts, cap_sample;	 /* capture=...: 0 none */
	struct ring_buffer *rb;
	double rules_ms; /* time to publish them */
};

struct ratio {
	int a, b;
	int pass1; /* p:A/B */
	double v[MAX_ROUNDS];
};

static struct frame *frames;
static int nframes, nused, skip_big, skip_small, skip_other;
static struct prog progs[MAX_PROGS];
static int nprogs;
static struct ratio ratios[MAX_RATIOS];
static int nratios;
static int rounds = 7, repeat = 5000, cpu = -1, json;
static const char *hold_prefix;
static struct frame *cframes; /* cold section: one flow per frame */
static int ncold;
static int cstep;
static const char *cold_pcap; /* -F: cold frames from this capture */
static size_t evict_len;      /* -E KB: caches evicted before each run */
static volatile unsigned char *evict_buf;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "cost: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* libbpf's own messages: warnings only, the debug chatter is noise here. */
static int print_fn(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	return lvl == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int reason_code(const char *name)
{
#define FG_X_NAME(code, e, n, def, strict, cls, desc) \
	if (!strcmp(name, n))                         \
		return code;
	FG_REASONS(FG_X_NAME)
#undef FG_X_NAME
	return atoi(name) > 0 && atoi(name) < FG_R_MAX ? atoi(name) : -1;
}

static void parse_spec(char *spec)
{
	struct prog *p = &progs[nprogs];
	char *eq = strchr(spec, '='), *tok, *save;

	if (nprogs == MAX_PROGS)
		die("too many programs");
	if (!eq)
		die("bad program spec '%s' (LABEL=OBJECT[,prog=NAME])", spec);
	*eq = '\0';
	p->label = spec;
	p->path = strtok_r(eq + 1, ",", &save);
	if (!p->path)
		die("no object for '%s'", spec);
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "prog=", 5)) {
			p->name = tok + 5;
		} else if (!strcmp(tok, "off=all")) {
			p->off = ((1ull << FG_R_MAX) - 1) & ~1ull;
		} else if (!strcmp(tok, "flows=full")) {
			p->flows = FLOWS_FULL;
		} else if (!strcmp(tok, "flows=cold")) {
			p->flows = FLOWS_COLD;
			p->in_cold = 1;
		} else if (!strcmp(tok, "flows=warm")) {
			p->flows = FLOWS_WARM;
		} else if (!strncmp(tok, "rules=", 6)) {
			p->has_rules = 1;
			p->rules = atoi(tok + 6);
		} else if (!strcmp(tok, "rules-hit")) {
			p->rules_hit |= BENCH_RULES_HIT;
		} else if (!strcmp(tok, "rules-deep")) {
			p->rules_hit |= BENCH_RULES_DEEP;
		} else if (!strcmp(tok, "rules-pair")) {
			p->rules_hit |= BENCH_RULES_DEEP | BENCH_RULES_PAIR;
		} else if (!strcmp(tok, "rules-lens")) {
			p->rules_hit |= BENCH_RULES_LENS;
		} else if (!strcmp(tok, "rules-v6")) {
			p->rules_hit |= BENCH_RULES_V6;
		} else if (!strncmp(tok, "capture=", 8)) {
			char *slash = strchr(tok + 8, '/');

			p->cap_sample = slash ? strtoul(slash + 1, NULL, 0) : 1;
			if (slash)
				*slash = '\0';
			p->cap_verdicts = !strcmp(tok + 8, "all") ? FG_CAP_ALL
					  : !strcmp(tok + 8, "drops")
						  ? FG_CAP_DROP
						  : 0;
			if (!p->cap_verdicts || !p->cap_sample)
				die("bad capture= in '%s' (drops|all[/N])",
				    spec);
		} else if (!strncmp(tok, "table=", 6)) {
			p->table = tok + 6;
		} else if (!strncmp(tok, "max-flows=", 10)) {
			p->max_flows = strtoul(tok + 10, NULL, 0);
			if (!p->max_flows)
				die("bad max-flows in '%s'", spec);
		} else if (!strncmp(tok, "off=", 4)) {
			int r = reason_code(tok + 4);

			if (r < 0)
				die("unknown check '%s'", tok + 4);
			p->off |= 1ull << r;
		} else {
			die("unknown option '%s' in spec '%s'", tok, spec);
		}
	}
	nprogs++;
}

static int prog_index(const char *label)
{
	for (int i = 0; i < nprogs; i++)
		if (!strcmp(progs[i].label, label))
			return i;
	die("no program labelled '%s'", label);
	return -1;
}

static void parse_ratio(char *s)
{
	char *slash = strchr(s, '/');

	if (!slash || nratios == MAX_RATIOS)
		die("bad ratio '%s' (A/B)", s);
	*slash = '\0';
	if (!strncmp(s, "p:", 2)) {
		ratios[nratios].pass1 = 1;
		s += 2;
	}
	ratios[nratios].a = prog_index(s);
	ratios[nratios].b = prog_index(slash + 1);
	if (ratios[nratios].pass1) {
		progs[ratios[nratios].a].in_cold = 1;
		progs[ratios[nratios].b].in_cold = 1;
		nratios++;
		return;
	}
	/* A ratio to a cold figure needs B measured the same way. */
	if (progs[ratios[nratios].a].flows == FLOWS_COLD)
		progs[ratios[nratios].b].in_cold = 1;
	if (progs[ratios[nratios].b].flows == FLOWS_COLD)
		die("a cold program cannot be the B of a ratio");
	nratios++;
}

static void load_frames(const char *path, struct frame **out, int *nout)
{
	struct frame *frames = NULL;
	int nframes = 0;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = pcap_open_offline(path, err);
	int cap = 0, rc;

	if (!pc)
		die("%s: %s", path, err);
	if (pcap_datalink(pc) != DLT_EN10MB)
		die("%s: not an Ethernet capture", path);
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		if (nframes == cap) {
			cap = cap ? cap * 2 : 1024;
			frames = realloc(frames, cap * sizeof(*frames));
			if (!frames)
				die("out of memory");
		}
		frames[nframes].data = malloc(h->caplen ? h->caplen : 1);
		if (!frames[nframes].data)
			die("out of memory");
		memcpy(frames[nframes].data, d, h->caplen);
		frames[nframes].len = h->caplen;
		frames[nframes].skip = 0;
		nframes++;
	}
	if (rc == -1)
		die("%s: %s", path, pcap_geterr(pc));
	pcap_close(pc);
	if (!nframes)
		die("%s: no packets", path);
	*out = frames;
	*nout = nframes;
}

static void load_pcap(const char *path)
{
	load_frames(path, &frames, &nframes);
}

/* Addresses of the capture (IPv4 as ::ffff:a.b.c.d), so that synthetic
 * rules can keep clear of them. */
static __u8 (*caddr)[16];
static int ncaddr;

static void add_caddr(const __u8 *a16)
{
	for (int i = 0; i < ncaddr; i++)
		if (!memcmp(caddr[i], a16, 16))
			return;
	caddr = realloc(caddr, (ncaddr + 1) * sizeof(*caddr));
	if (!caddr)
		die("out of memory");
	memcpy(caddr[ncaddr++], a16, 16);
}

static void collect_addrs(void)
{
	__u8 a[16];

	for (int i = 0; i < nframes; i++) {
		const __u8 *d = frames[i].data;
		__u32 len = frames[i].len, off = 14;
		__u16 type = len >= 14 ? d[12] << 8 | d[13] : 0;

		while ((type == 0x8100 || type == 0x88a8) && len >= off + 4) {
			type = d[off + 2] << 8 | d[off + 3];
			off += 4;
		}
		if (type == 0x0800 && len >= off + 20) {
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
			memcpy(a + 12, d + off + 12, 4);
			add_caddr(a);
			memcpy(a + 12, d + off + 16, 4);
			add_caddr(a);
		} else if (type == 0x86dd && len >= off + 40) {
			add_caddr(d + off + 8);
			add_caddr(d + off + 24);
		}
	}
}

static int capture_covers(const __u8 *p, int bits, void *ctx)
{
	for (int i = 0; i < ncaddr; i++) {
		int b;

		for (b = 0; b < bits; b++)
			if ((caddr[i][b / 8] ^ p[b / 8]) & (0x80 >> (b % 8)))
				break;
		if (b == bits)
			return 1;
	}
	return 0;
}

/* bench/rules_fill.c; weak, so that cost builds without it (and then
 * refuses rules=). */
int bench_rules_fill(struct bpf_object *obj, int n, int kind,
		     int (*covers)(const __u8 *a, int bits, void *ctx),
		     void *ctx, double *ms) __attribute__((weak));

static void fill_rules(struct prog *p)
{
	if (!p->has_rules)
		return;
	if (!ncaddr)
		collect_addrs();
	if (!bench_rules_fill)
		die("%s: rules= needs cost built with bench/rules_fill.c",
		    p->label);
	struct bench_addrs caps = {.n = ncaddr, .a = caddr};

	if (bench_rules_fill(p->obj, p->rules, p->rules_hit, capture_covers,
			     &caps, &p->rules_ms))
		die("%s: cannot load %d rules", p->label, p->rules);
}

static struct bpf_map *flows_map(struct prog *p)
{
	const char *name = p->table ? p->table : FG_MAP_FLOWTAB;
	struct bpf_map *m = bpf_object__find_map_by_name(p->obj, name);

	if (!m && (p->flows != FLOWS_WARM || p->max_flows))
		die("%s: flows=/max-flows= need a flowgate object (no %s map)",
		    p->label, name);
	return m;
}

/* Entries of a hash map, by walking its keys. */
static long count_keys(int fd, size_t ksz)
{
	unsigned char prev[64], next[64];
	long n = 0;
	void *cur = NULL;

	while (!bpf_map_get_next_key(fd, cur, next)) {
		memcpy(prev, next, ksz);
		cur = prev;
		n++;
	}
	return n;
}

/* Slots in use of the bucket array (tag set). */
static long bkt_count(const struct prog *p)
{
	long n = 0;

	for (size_t b = 0; b < p->nbkt; b++)
		for (int i = 0; i < FG_FT_SLOTS; i++)
			n += p->bkt[b].tag[i] != 0;
	return n;
}

/* Flows in the table: keys of a hash, used slots of the bucket array. */
static long table_count(struct prog *p)
{
	struct bpf_map *m = flows_map(p);

	if (p->bkt)
		return bkt_count(p);
	return count_keys(bpf_map__fd(m), bpf_map__key_size(m));
}

/* Empty the flow table. A hash: collect the keys first (deleting while
 * walking would restart the walk), then delete them. */
static void clear_flows(struct prog *p)
{
	struct bpf_map *m = flows_map(p);
	int fd = bpf_map__fd(m);
	size_t ksz = bpf_map__key_size(m);
	long cap = bpf_map__max_entries(m), n = 0;
	unsigned char *keys;

	if (p->bkt) {
		memset(p->bkt, 0, p->nbkt * sizeof(*p->bkt));
		return;
	}
	keys = calloc(cap + 1, ksz);
	if (!keys)
		die("out of memory");
	while (n <= cap &&
	       !bpf_map_get_next_key(fd, n ? keys + (n - 1) * ksz : NULL,
				     keys + n * ksz))
		n++;
	for (long i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * ksz))
			die("%s: deleting a flow: %s", p->label,
			    strerror(errno));
	free(keys);
}

/* flows=full of the bucket array: every slot holds a dummy flow no
 * reader has acked, so that no slot is free or reusable. */
static void fill_bkt(struct prog *p)
{
	for (size_t b = 0; b < p->nbkt; b++) {
		struct fg_ft_bucket *k = &p->bkt[b];

		/* the region's fill, as BPF would have counted it */
		if (b % p->nb == 0)
			k->used = p->nb * FG_FT_SLOTS;
		for (int i = 0; i < FG_FT_SLOTS; i++) {
			k->tag[i] = (__u32)(b * FG_FT_SLOTS + i) | 1;
			k->gen8[i] = fg_ft_gen8(2);
			k->ack8[i] = 0;
			k->slot[i].key.ifindex = FULL_IFINDEX;
			memcpy(k->slot[i].key.src, &b, sizeof(__u32));
			k->slot[i].key.src[4] = i;
			k->slot[i].gen = 2;
			k->slot[i].val.packets = 1;
		}
	}
}

/* flows=full: max_entries distinct dummy keys; one more must not fit.
 * Keys of any size: FULL_IFINDEX first, the counter at byte 8 (a source
 * address in fg_flow_key and ft_key4). */
static void fill_flows(struct prog *p)
{
	struct bpf_map *m = flows_map(p);
	int fd = bpf_map__fd(m), ncpu = libbpf_num_possible_cpus();
	__u32 cap = bpf_map__max_entries(m), i, full = FULL_IFINDEX;
	size_t ksz = bpf_map__key_size(m);
	size_t vsz = (bpf_map__value_size(m) + 7) / 8 * 8;
	void *vals = calloc(ncpu, vsz);
	unsigned char k[64] = {0};

	if (p->bkt) {
		fill_bkt(p);
		free(vals);
		return;
	}
	if (!vals || ksz < 12 || ksz > sizeof(k))
		die("%s: cannot fill a table of %zu-byte keys", p->label, ksz);
	memcpy(k, &full, sizeof(full));
	for (i = 0; i <= cap; i++) {
		memcpy(k + 8, &i, sizeof(i));
		if (!bpf_map_update_elem(fd, k, vals, BPF_NOEXIST))
			continue;
		if (i == cap && errno == E2BIG)
			break;
		die("%s: filling %s at %u of %u: %s", p->label,
		    bpf_map__name(m), i, cap, strerror(errno));
	}
	if (i > cap)
		die("%s: %s took more than its %u entries", p->label,
		    bpf_map__name(m), cap);
	free(vals);
}

/* fg_ifstats' flow counters, summed over interfaces and CPUs. */
static struct flowsum read_flowsum(struct prog *p)
{
	struct bpf_map *m =
		bpf_object__find_map_by_name(p->obj, FG_MAP_IFSTATS);
	struct flowsum fs = {0};
	struct fg_ifstats v;
	__u32 key, *cur = NULL;
	int fd;

	if (!m || bpf_map__value_size(m) != sizeof(v))
		return fs;
	fd = bpf_map__fd(m);
	while (!bpf_map_get_next_key(fd, cur, &key)) {
		cur = &key;
		if (fg_ifstats_read(fd, key, &v))
			continue;
		fs.packets += v.flows.packets;
		fs.ovf_pkts += v.flows.ovf_pkts;
		fs.insert_fail += v.flows.insert_fail;
		fs.ovf_lost += v.flows.ovf_lost;
	}
	return fs;
}

static void flows_end(struct prog *p)
{
	struct bpf_map *m = bpf_object__find_map_by_name(
		p->obj, p->table ? p->table : FG_MAP_FLOWTAB);

	p->entries = p->cap = -1;
	if (!m || p->flows == FLOWS_COLD)
		return;
	p->fs1 = read_flowsum(p);
	p->entries = table_count(p);
	p->cap = p->bkt ? (long)p->nbkt * FG_FT_SLOTS : bpf_map__max_entries(m);
}

static __u16 csum16(const void *d, int len)
{
	const __u8 *b = d;
	__u32 sum = 0;

	for (int i = 0; i + 1 < len; i += 2)
		sum += b[i] << 8 | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * The cold section's frames: Ethernet, IPv4 (valid header checksum), UDP
 * with 18 bytes of payload, 60 bytes in all; frame i is its own flow:
 * source 198.51.100.(1 + i / 50000), source port 10000 + i % 50000, to
 * 203.0.113.1:53. fg_xdp passes all of them.
 */
static void make_cold_frames(int n)
{
	static const __u8
		head[] =
			{
				2,    0,  0,   0,  0,	 2,    2,   0,
				0,    0,  0,   1,  0x08, 0x00, /* Ethernet */
				0x45, 0,  0,   46, 0,	 1,    0,   0,
				64,   17, 0,   0, /* IPv4 */
				198,  51, 100, 1,  203,	 0,    113, 1,
				0,    0,  0,   53, 0,	 26,   0,   0, /* UDP */
			};

	if (n > 50000 * 250)
		die("-C: at most %d flows", 50000 * 250);
	cframes = calloc(n, sizeof(*cframes));
	if (!cframes)
		die("out of memory");
	for (int i = 0; i < n; i++) {
		__u8 *f = calloc(1, 60);
		__u16 sport = 10000 + i % 50000, c;

		if (!f)
			die("out of memory");
		memcpy(f, head, sizeof(head));
		f[29] = 1 + i / 50000;
		f[34] = sport >> 8;
		f[35] = sport & 0xff;
		c = csum16(f + 14, 20);
		f[24] = c >> 8;
		f[25] = c & 0xff;
		cframes[i].data = f;
		cframes[i].len = 60;
	}
	ncold = n;
}

/* Turn checks off the way `flowgate` would: an explicit act[r] = off. */
static void write_config(struct prog *p)
{
	struct fg_config cfg = {.version = FG_CONFIG_VERSION};
	struct bpf_map *m;
	__u32 key = 0;

	if (!p->off)
		return;
	/* A global of its own section; an older object's map by name. */
	m = bpf_object__find_map_by_name(p->obj, FG_CONFIG_SEC);
	if (!m)
		m = bpf_object__find_map_by_name(p->obj, FG_MAP_CONFIG);
	if (!m)
		die("%s: off= needs a flowgate object (no fg_config map)",
		    p->label);
	cfg.override = p->off;
	for (int r = 1; r < FG_R_MAX; r++)
		if (p->off & (1ull << r))
			cfg.act[r] = FG_ACT_OFF;
	if (bpf_map_update_elem(bpf_map__fd(m), &key, &cfg, BPF_ANY))
		die("%s: writing fg_config: %s", p->label, strerror(errno));
}

static int cap_discard(void *ctx, void *data, size_t size)
{
	return 0;
}

static volatile int cap_stop;

/* The reader of every capture's ring, as `flowgate capture` on another
 * CPU: records are taken and dropped. */
static void *cap_reader(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int c = 0; c < CPU_SETSIZE && c < sysconf(_SC_NPROCESSORS_ONLN);
	     c++)
		if (c != cpu)
			CPU_SET(c, &set);
	if (CPU_COUNT(&set))
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!cap_stop)
		for (int j = 0; j < nprogs; j++)
			/* as flowgate capture reads: a wait, then what is
			 * below the programs' wake-up mark */
			if (progs[j].rb && !ring_buffer__poll(progs[j].rb, 1))
				ring_buffer__consume(progs[j].rb);
	return arg;
}

/* fg_xdp runs its capture only with rodata fg_cap_loadable set (the
 * loader's probe of bpf_xdp_load_bytes(), bpf/xdp/flowgate_xdp.bpf.c):
 * set it before load, as attach does. Objects without it are left. */
static void allow_capture(struct prog *p)
{
	struct btf *btf = bpf_object__btf(p->obj);
	int id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)
		     : -1;
	const struct btf_type *sec = id < 0 ? NULL : btf__type_by_id(btf, id);
	const struct btf_var_secinfo *vs = sec ? btf_var_secinfos(sec) : NULL;
	struct bpf_map *m;
	size_t size;
	char *data;

	for (int i = 0; sec && i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, v->name_off),
			   "fg_cap_loadable"))
			continue;
		bpf_object__for_each_map(m, p->obj)
		{
			const char *n = bpf_map__name(m);
			size_t len = strlen(n);

			if (!bpf_map__is_internal(m) || len < 7 ||
			    strcmp(n + len - 7, ".rodata"))
				continue;
			data = (char *)bpf_map__initial_value(m, &size);
			if (data && vs->offset < size)
				data[vs->offset] = 1;
		}
	}
}

/* Switch the capture on: the object's own selection (its data section,
 * not pinned here), and a reader of its ring. */
static void start_capture(struct prog *p)
{
	struct fg_cap_cfg c = {.on = 1,
			       .gen = 1,
			       .verdicts = p->cap_verdicts,
			       .sample = p->cap_sample,
			       .snaplen = FG_CAP_SNAP_MAX};
	struct bpf_map *m =
		bpf_object__find_map_by_name(p->obj, ".data.fg_cap");
	struct bpf_map *r = bpf_object__find_map_by_name(p->obj, "fg_cap_ring");
	__u32 key = 0;

	if (!m || !r)
		die("%s: capture= needs an object with capture", p->label);
	if (bpf_map_update_elem(bpf_map__fd(m), &key, &c, BPF_ANY))
		die("%s: capture: %s", p->label, strerror(errno));
	p->rb = ring_buffer__new(bpf_map__fd(r), cap_discard, NULL, NULL);
	if (!p->rb)
		die("%s: capture ring: %s", p->label, strerror(errno));
}

static void capture_report(struct prog *p)
{
	struct bpf_map *m =
		bpf_object__find_map_by_name(p->obj, "fg_cap_stats");
	int ncpu = libbpf_num_possible_cpus();
	struct fg_cap_count *v = calloc(ncpu, sizeof(*v)), t = {};

	for (__u32 k = 0; m && v && k < FG_CAP_NKEYS; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &k, v))
			continue;
		for (int c = 0; c < ncpu; c++) {
			t.selected += v[c].selected;
			t.captured += v[c].captured;
			t.lost += v[c].lost;
			t.sampled_out += v[c].sampled_out;
		}
	}
	fprintf(stderr,
		"cost: %s: capture selected %llu, captured %llu, lost to a "
		"full ring %llu, sampled out %llu\n",
		p->label, (unsigned long long)t.selected,
		(unsigned long long)t.captured, (unsigned long long)t.lost,
		(unsigned long long)t.sampled_out);
	free(v);
}

static __u32 drop_rate(void)
{
	const char *e = getenv("COST_DROP_RATE");

	return e && *e ? (__u32)strtoul(e, NULL, 10) : FG_DROP_RATE_DEFAULT;
}

/* fg_flowtab's geometry as attach sets it (include/fg_flowtab.h): a region
 * per possible CPU, buckets for max-flows, seed 0, and its drop budget. Every
 * object holding flowgate's accounting has the table, the candidates' too. */
static void ft_geometry(struct prog *p)
{
	struct bpf_map *m =
		bpf_object__find_map_by_name(p->obj, FG_MAP_FLOWTAB);
	int ncpu = libbpf_num_possible_cpus();
	__u32 nb;

	if (!m)
		return;
	if (ncpu < 1)
		die("cannot count the possible CPUs");
	nb = fg_ft_nb(!p->table && p->max_flows ? p->max_flows
						: FG_DEFAULT_MAX_FLOWS,
		      ncpu);
	if (fg_obj_set_rodata(p->obj, "fg_ft_nb", nb) ||
	    fg_obj_set_rodata(p->obj, "fg_ft_nreg", ncpu) ||
	    fg_obj_set_rodata(p->obj, "fg_ft_seed", 0) ||
	    bpf_map__set_max_entries(m, ncpu * nb))
		die("%s: cannot set fg_flowtab's geometry", p->label);
	/* The clock as attach sets it (an older object has none). */
	fg_clock_rodata(p->obj);
	if (!p->table)
		p->nb = nb;
	/* attach's drop budget (COST_DROP_RATE, drops a second per CPU;
	 * default attach's): absent from objects that have none. */
	fg_obj_set_rodata(p->obj, "fg_ft_dwin",
			  fg_ft_drop_budget(drop_rate(), fg_kernel_hz()));
	fg_obj_set_rodata(p->obj, "fg_ft_dshift",
			  fg_ft_drop_shift(fg_kernel_hz()));
}

/* fg_flowtab or table=ft_bkt: the bucket array, mapped (BPF_F_MMAPABLE),
 * as its readers map it. */
static void map_bkt(struct prog *p)
{
	struct bpf_map *m;
	size_t sz;
	void *mem;

	if (p->table && strcmp(p->table, "ft_bkt"))
		return;
	m = bpf_object__find_map_by_name(p->obj,
					 p->table ? p->table : FG_MAP_FLOWTAB);
	if (!m)
		return; /* not a flowgate object */
	if (bpf_map__value_size(m) != sizeof(struct fg_ft_bucket))
		die("%s: %s is not include/fg_flowtab.h's", p->label,
		    bpf_map__name(m));
	if (p->table)
		p->nb = FT_NB;
	p->nbkt = bpf_map__max_entries(m);
	sz = p->nbkt * sizeof(struct fg_ft_bucket);
	mem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m),
		   0);
	if (mem == MAP_FAILED)
		die("%s: mmap of ft_bkt: %s", p->label, strerror(errno));
	p->bkt = mem;
}

static void load_prog(struct prog *p)
{
	struct bpf_program *bp = NULL, *it;
	struct bpf_map *m;

	p->obj = bpf_object__open_file(p->path, NULL);
	if (!p->obj)
		die("%s: cannot open %s: %s", p->label, p->path,
		    strerror(errno));
	/* Never touch bpffs: xdp-filter pins its maps by name. */
	bpf_object__for_each_map(m, p->obj) bpf_map__set_pin_path(m, NULL);
	bpf_object__for_each_program(it, p->obj)
	{
		bool want =
			p->name ? !strcmp(bpf_program__name(it), p->name) : !bp;

		bpf_program__set_autoload(it, want);
		if (want)
			bp = it;
	}
	if (!bp)
		die("%s: no program '%s' in %s", p->label,
		    p->name ? p->name : "(any)", p->path);
	if (bpf_program__type(bp) != BPF_PROG_TYPE_XDP)
		die("%s: %s is not an XDP program", p->label,
		    bpf_program__name(bp));
	p->name = bpf_program__name(bp);
	ft_geometry(p);
	if (p->max_flows && p->table &&
	    bpf_map__set_max_entries(flows_map(p), p->max_flows))
		die("%s: max-flows: %s", p->label, strerror(errno));
	flows_map(p); /* flows= on a non-flowgate object */
	if (p->cap_verdicts)
		allow_capture(p);
	if (bpf_object__load(p->obj))
		die("%s: loading %s failed: %s", p->label, p->path,
		    strerror(errno));
	p->fd = bpf_program__fd(bp);
	map_bkt(p);
	write_config(p);
	if (p->cap_verdicts)
		start_capture(p);
	fill_rules(p);
	if (p->flows == FLOWS_FULL)
		fill_flows(p);
	if (p->flows == FLOWS_COLD && !cold_pcap && !p->bkt &&
	    ncold > (long)bpf_map__max_entries(flows_map(p)))
		die("%s: -C %d flows do not fit %s (%u entries)", p->label,
		    ncold, bpf_map__name(flows_map(p)),
		    bpf_map__max_entries(flows_map(p)));
	p->fs0 = read_flowsum(p);
}

/*
 * test_run with repeat > 1 puts the program into the kernel's XDP
 * dispatcher and takes it out again, two RCU grace periods per call:
 * milliseconds, for a run of microseconds. A program that is attached
 * somewhere stays in the dispatcher and the calls become cheap, so each
 * program is attached (generic mode) to its own interface, PREFIX<n>, made
 * by cost.sh in a throw-away network namespace.
 */
static void hold_in_dispatcher(int j)
{
	char name[IF_NAMESIZE];
	unsigned int ifindex;

	snprintf(name, sizeof(name), "%s%d", hold_prefix, j);
	ifindex = if_nametoindex(name);
	if (!ifindex)
		die("no interface %s for -D", name);
	if (bpf_xdp_attach(ifindex, progs[j].fd, XDP_FLAGS_SKB_MODE, NULL))
		die("%s: attaching to %s: %s", progs[j].label, name,
		    strerror(errno));
}

static int run(int fd, const struct frame *f, int n, __u32 *dur, __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->data,
		    .data_size_in = f->len, .repeat = n);
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err)
		return -errno;
	*dur = o.duration;
	*ret = o.retval;
	return 0;
}

/*
 * A frame longer than one page's linear area is not refused by test_run:
 * the kernel hands the rest over as fragments, which a program without
 * frags support never sees, so it would judge (and be timed on) a cut
 * frame. This probe returns data_end - data, the part a program sees.
 */
static int linear_len_probe(void)
{
	const struct bpf_insn insns[] = {
		/* r0 = ctx->data_end; r2 = ctx->data; r0 -= r2; exit */
		{.code = BPF_LDX | BPF_MEM | BPF_W,
		 .dst_reg = 0,
		 .src_reg = 1,
		 .off = 4},
		{.code = BPF_LDX | BPF_MEM | BPF_W,
		 .dst_reg = 2,
		 .src_reg = 1,
		 .off = 0},
		{.code = BPF_ALU64 | BPF_SUB | BPF_X,
		 .dst_reg = 0,
		 .src_reg = 2},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "cost_linear", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		die("loading the frame-length probe: %s", strerror(errno));
	return fd;
}

/*
 * One pass with repeat 1: finds the frames that test_run refuses or cuts
 * (for any program, so that every program runs the same set), counts
 * verdicts and warms the caches.
 */
static void first_pass(void)
{
	int probe = linear_len_probe();
	__u32 dur, ret;

	for (int i = 0; i < nframes; i++) {
		int err = run(probe, &frames[i], 1, &dur, &ret);

		if (!err && ret != frames[i].len)
			err = -E2BIG;
		for (int j = 0; j < nprogs && !err; j++)
			if (progs[j].flows != FLOWS_COLD)
				err = run(progs[j].fd, &frames[i], 1, &dur,
					  &ret);
		frames[i].skip = err;
		if (!err)
			continue;
		if (err == -E2BIG)
			skip_big++;
		else if (frames[i].len < 14)
			skip_small++;
		else
			skip_other++;
	}
	close(probe);
	for (int i = 0; i < nframes; i++) {
		if (frames[i].skip)
			continue;
		nused++;
		for (int j = 0; j < nprogs; j++) {
			if (progs[j].flows == FLOWS_COLD)
				continue;
			run(progs[j].fd, &frames[i], 1, &dur, &ret);
			progs[j].verdict[ret < 5 ? ret : 0]++;
		}
	}
	if (!nused)
		die("test_run accepted no frame of the capture");
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * -E: a web server's regime, where the other work between two packets of
 * one CPU (the TCP stack, the server, the client) pushes the program's
 * code and data out of the CPU's caches. Writing a buffer several times
 * the size of L2 (unified on x86, so it takes the JIT image's lines too)
 * before each run brings that back; runs then cost what bench/web.sh's
 * kernel.bpf_stats_enabled figures show, in seconds instead of minutes.
 */
static void evict(void)
{
	for (size_t i = 0; i < evict_len; i += 64)
		evict_buf[i]++;
}

static void measure_evicted(struct prog *p, int round)
{
	double sum = 0, t0 = now_ns();
	int used = 0;
	__u32 dur, ret;

	for (int i = 0; i < nframes; i++) {
		if (frames[i].skip)
			continue;
		evict();
		if (run(p->fd, &frames[i], 1, &dur, &ret))
			die("%s: test_run failed on frame %d: %s", p->label,
			    i + 1, strerror(errno));
		/* Above 10 us is an interrupt, not BPF. */
		if (dur > 10000) {
			p->outliers++;
			continue;
		}
		sum += dur;
		used++;
	}
	p->ns[round] = used ? sum / used : 0;
	p->wall[round] = (now_ns() - t0) / nused;
}

static void measure_one(struct prog *p, int round)
{
	double sum = 0, t0 = now_ns();
	__u32 dur, ret;

	if (evict_len)
		return measure_evicted(p, round);
	for (int i = 0; i < nframes; i++) {
		if (frames[i].skip)
			continue;
		if (run(p->fd, &frames[i], repeat, &dur, &ret))
			die("%s: test_run failed on frame %d: %s", p->label,
			    i + 1, strerror(errno));
		sum += dur;
	}
	p->ns[round] = sum / nused;
	p->wall[round] = (now_ns() - t0) / ((double)nused * repeat);
}

/* One pass over the cold frames: mean ns per run. n 1: every frame once;
 * else every cstep-th frame n times. */
static double cold_pass(struct prog *p, int n)
{
	double sum = 0;
	int used = 0;
	__u32 dur, ret;

	for (int i = 0; i<ncold; i += n> 1 ? cstep : 1) {
		if (run(p->fd, &cframes[i], n, &dur, &ret))
			die("%s: test_run failed on cold frame %d: %s",
			    p->label, i, strerror(errno));
		if (p->flows == FLOWS_COLD && !cold_pcap && ret != XDP_PASS)
			die("%s: cold frame %d not passed (%u)", p->label, i,
			    ret);
		/* A run-once time above 10 us is an interrupt, not BPF. */
		if (n == 1 && dur > 10000) {
			p->outliers++;
			continue;
		}
		sum += dur;
		used++;
	}
	return sum / used;
}

/* A cold program: empty table, pass (inserts), check, pass (updates),
 * then the REPEAT subset (updates, hot). Others: the REPEAT subset. */
static void measure_cold(struct prog *p, int round)
{
	struct flowsum a, b;

	if (!p->in_cold)
		return;
	if (p->flows != FLOWS_COLD) {
		p->cold[round] = cold_pass(p, 1);
		p->cadj[round] = p->crep[round] = cold_pass(p, repeat);
		return;
	}
	clear_flows(p);
	a = read_flowsum(p);
	p->cold[round] = cold_pass(p, 1);
	b = read_flowsum(p);
	p->cold_entries = table_count(p);
	p->cold_fail += b.insert_fail - a.insert_fail;
	if (!cold_pcap &&
	    (p->cold_entries != ncold || b.insert_fail != a.insert_fail))
		fprintf(stderr,
			"cost: %s: cold pass left %ld flows for %d "
			"frames, %llu inserts failed\n",
			p->label, p->cold_entries, ncold,
			(unsigned long long)(b.insert_fail - a.insert_fail));
	p->cold2[round] = cold_pass(p, 1);
	p->crep[round] = cold_pass(p, repeat);
	p->cadj[round] = p->crep[round] + p->cold[round] - p->cold2[round];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	if (lo)
		*lo = s[0];
	if (hi)
		*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void pin_cpu(void)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		cpu = -1; /* not fatal: measure wherever we run */
}

/* What the flow counters say each flowgate variant did. */
static void print_flows_text(void)
{
	int head = 0;

	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];
		__u64 pk = p->fs1.packets - p->fs0.packets;
		__u64 ovf = p->fs1.ovf_pkts - p->fs0.ovf_pkts;

		if (p->entries < 0)
			continue;
		if (!head++)
			printf("\n%-16s %15s %12s %12s %7s %12s\n", "flows",
			       "entries/max", "packets", "overflow", "%",
			       "ins.failed");
		printf("%-16s %7ld/%-7ld %12llu %12llu %7.2f %12llu\n",
		       p->label, p->entries, p->cap, (unsigned long long)pk,
		       (unsigned long long)ovf, pk ? 100.0 * ovf / pk : 0.0,
		       (unsigned long long)(p->fs1.insert_fail -
					    p->fs0.insert_fail));
	}
}

static void print_rules_text(void)
{
	int head = 0;

	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];

		if (!p->has_rules)
			continue;
		if (!head++)
			printf("\n%-16s %8s %9s %12s\n", "rules", "count",
			       "matching", "publish ms");
		printf("%-16s %8d %9s %12.1f\n", p->label, p->rules,
		       bench_rules_kind(p->rules_hit), p->rules_ms);
	}
}

static double med(const double *v)
{
	return median(v, rounds, NULL, NULL);
}

static void print_cold_text(void)
{
	printf("\ncold      %d %s: "
	       "run once each (pass 1, pass 2),\n          and every %d-th "
	       "frame repeat %d; same rounds, medians\n\n",
	       ncold,
	       cold_pcap ? "frames of -F's capture"
			 : "synthesized UDP/IPv4 frames, one flow each",
	       cstep, repeat);
	printf("%-16s %10s %10s %10s %10s %10s\n", "program", "repeat", "pass1",
	       "pass2", "p1-p2", "ns/pkt");
	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];

		if (!p->in_cold)
			continue;
		if (p->flows != FLOWS_COLD) {
			printf("%-16s %10.2f %10.2f %10s %10s %10.2f\n",
			       p->label, med(p->crep), med(p->cold), "-", "-",
			       med(p->cadj));
			continue;
		}
		printf("%-16s %10.2f %10.2f %10.2f %10.2f %10.2f\n", p->label,
		       med(p->crep), med(p->cold), med(p->cold2),
		       med(p->cold) - med(p->cold2), med(p->cadj));
		printf("  %s: %ld flows inserted by each pass 1, %llu "
		       "inserts failed; ns/pkt = repeat + pass1 - pass2\n",
		       p->label, p->cold_entries,
		       (unsigned long long)p->cold_fail);
		printf("  run-once times over 10 us left out: %ld of %ld\n",
		       p->outliers, 2L * ncold * rounds);
	}
}

static void print_text(const char *pcap)
{
	double base = median(progs[0].ns, rounds, NULL, NULL);

	printf("capture   %s\n", pcap);
	printf("frames    %d measured, %d skipped (%d beyond the linear area, "
	       "%d too "
	       "short, %d other)\n",
	       nused, nframes - nused, skip_big, skip_small, skip_other);
	if (evict_len)
		printf("method    BPF_PROG_TEST_RUN once per frame after "
		       "writing %zu KiB (caches evicted), %d rounds "
		       "interleaved, median; CPU %d\n\n",
		       evict_len / 1024, rounds, cpu);
	else
		printf("method    BPF_PROG_TEST_RUN, repeat %d per frame, %d "
		       "rounds interleaved, median; CPU %d\n\n",
		       repeat, rounds, cpu);
	printf("%-16s %9s %9s %9s %10s %9s  %s\n", "program", "ns/pkt", "min",
	       "max", "-baseline", "wall", "verdicts (pass/drop/other)");
	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];
		double lo, hi, m = median(p->ns, rounds, &lo, &hi);
		__u64 other = p->verdict[0] + p->verdict[3] + p->verdict[4];

		if (p->flows == FLOWS_COLD)
			continue;
		printf("%-16s %9.2f %9.2f %9.2f %10.2f %9.2f  %llu/%llu/%llu\n",
		       p->label, m, lo, hi, m - base,
		       median(p->wall, rounds, NULL, NULL),
		       (unsigned long long)p->verdict[XDP_PASS],
		       (unsigned long long)p->verdict[XDP_DROP],
		       (unsigned long long)other);
	}
	print_flows_text();
	print_rules_text();
	if (ncold)
		print_cold_text();
	if (nratios)
		printf("\n");
	for (int k = 0; k < nratios; k++) {
		struct ratio *r = &ratios[k];
		double lo, hi, m = median(r->v, rounds, &lo, &hi);

		printf("ratio %s / %s = %.3f  (rounds %.3f .. %.3f)%s\n",
		       progs[r->a].label, progs[r->b].label, m, lo, hi,
		       r->pass1 ? "  [cold frames, pass 1 - baseline]"
		       : progs[r->a].flows == FLOWS_COLD ? "  [cold frames]"
							 : "");
	}
}

static void json_rounds(const double *v)
{
	printf("[");
	for (int i = 0; i < rounds; i++)
		printf("%s%.3f", i ? ", " : "", v[i]);
	printf("]");
}

static void print_cold_json(void)
{
	int first = 1;

	printf("  \"cold\": {\"frames\": %d, \"repeat_every\": %d, "
	       "\"programs\": [\n",
	       ncold, cstep);
	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];

		if (!p->in_cold)
			continue;
		printf("%s    {\"label\": \"%s\", \"repeat_ns_per_pkt\": %.3f, "
		       "\"pass1_ns_per_run\": %.3f, \"ns_per_pkt\": %.3f",
		       first ? "" : ",\n", p->label, med(p->crep), med(p->cold),
		       med(p->cadj));
		first = 0;
		if (p->flows == FLOWS_COLD)
			printf(", \"pass2_ns_per_run\": %.3f, "
			       "\"inserts_per_pass\": %ld, "
			       "\"insert_fail\": %llu",
			       med(p->cold2), p->cold_entries,
			       (unsigned long long)p->cold_fail);
		printf("}");
	}
	printf("\n  ]},\n");
}

static void print_json(const char *pcap)
{
	int last = 0;

	printf("{\n  \"capture\": \"%s\",\n  \"frames\": %d,\n"
	       "  \"measured\": %d,\n  \"skipped\": {\"too_large\": %d, "
	       "\"too_short\": %d, \"other\": %d},\n  \"repeat\": %d,\n"
	       "  \"rounds\": %d,\n  \"cpu\": %d,\n  \"programs\": [\n",
	       pcap, nframes, nused, skip_big, skip_small, skip_other, repeat,
	       rounds, cpu);
	for (int j = 0; j < nprogs; j++)
		if (progs[j].flows != FLOWS_COLD)
			last = j;
	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];
		double lo, hi, m = median(p->ns, rounds, &lo, &hi);

		if (p->flows == FLOWS_COLD)
			continue;
		printf("    {\"label\": \"%s\", \"object\": \"%s\", "
		       "\"prog\": \"%s\", \"off_mask\": %llu,\n"
		       "     \"ns_per_pkt\": %.3f, \"min\": %.3f, "
		       "\"max\": %.3f, \"wall_ns_per_pkt\": %.3f,\n"
		       "     \"pass\": %llu, \"drop\": %llu, \"rounds\": ",
		       p->label, p->path, p->name, (unsigned long long)p->off,
		       m, lo, hi, median(p->wall, rounds, NULL, NULL),
		       (unsigned long long)p->verdict[XDP_PASS],
		       (unsigned long long)p->verdict[XDP_DROP]);
		json_rounds(p->ns);
		if (p->has_rules)
			printf(",\n     \"rules\": {\"count\": %d, \"hit\": "
			       "%s, "
			       "\"set\": \"%s\", \"publish_ms\": %.1f}",
			       p->rules,
			       p->rules_hit & BENCH_RULES_HIT ? "true"
							      : "false",
			       bench_rules_kind(p->rules_hit), p->rules_ms);
		if (p->entries >= 0)
			printf(",\n     \"flows\": {\"mode\": \"%s\", "
			       "\"entries\": %ld, \"max_entries\": %ld, "
			       "\"packets\": %llu, \"overflow_pkts\": %llu, "
			       "\"insert_fail\": %llu}",
			       p->flows == FLOWS_FULL ? "full" : "warm",
			       p->entries, p->cap,
			       (unsigned long long)(p->fs1.packets -
						    p->fs0.packets),
			       (unsigned long long)(p->fs1.ovf_pkts -
						    p->fs0.ovf_pkts),
			       (unsigned long long)(p->fs1.insert_fail -
						    p->fs0.insert_fail));
		printf("}%s\n", j < last ? "," : "");
	}
	printf("  ],\n");
	if (ncold)
		print_cold_json();
	printf("  \"ratios\": [\n");
	for (int k = 0; k < nratios; k++) {
		struct ratio *r = &ratios[k];
		double lo, hi, m = median(r->v, rounds, &lo, &hi);

		printf("    {\"name\": \"%s/%s\", \"value\": %.4f, "
		       "\"min\": %.4f, \"max\": %.4f, \"cold\": %s}%s\n",
		       progs[r->a].label, progs[r->b].label, m, lo, hi,
		       progs[r->a].flows == FLOWS_COLD ? "true" : "false",
		       k + 1 < nratios ? "," : "");
	}
	printf("  ]\n}\n");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cost [-j] [-r ROUNDS] [-n REPEAT] [-c CPU] [-R A/B]... "
		"[-D IFPREFIX] [-C NFLOWS] [-F PCAP] [-E KB] "
		"PCAP LABEL=OBJECT[,prog=NAME][,off=CHECK|all]"
		"[,flows=full|cold][,max-flows=N][,table=MAP]"
		"[,rules=N[,rules-hit]]...\n"
		"The first program is the baseline of the -baseline column.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char *ratio_args[MAX_RATIOS];
	int nratio_args = 0, c;
	const char *pcap;

	while ((c = getopt(argc, argv, "jr:n:c:R:D:C:F:E:h")) != -1) {
		switch (c) {
		case 'E':
			evict_len = (size_t)atol(optarg) * 1024;
			break;
		case 'F':
			cold_pcap = optarg;
			break;
		case 'C':
			ncold = atoi(optarg);
			break;
		case 'D':
			hold_prefix = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			repeat = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'R':
			if (nratio_args == MAX_RATIOS)
				die("too many ratios");
			ratio_args[nratio_args++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || repeat < 1 ||
	    argc - optind < 2)
		usage();
	pcap = argv[optind++];
	while (optind < argc)
		parse_spec(argv[optind++]);
	for (int k = 0; k < nratio_args; k++)
		parse_ratio(ratio_args[k]);
	for (int j = 0; j < nprogs; j++)
		if (progs[j].flows == FLOWS_COLD && !ncold && !cold_pcap)
			die("%s: flows=cold needs -C NFLOWS", progs[j].label);
	if (cold_pcap)
		load_frames(cold_pcap, &cframes, &ncold);
	if (ncold) {
		progs[0].in_cold = 1; /* the baseline gives the overhead */
		if (!cold_pcap)
			make_cold_frames(ncold);
		/* About 500 frames for the REPEAT subset. */
		cstep = ncold > 500 ? ncold / 500 : 1;
	}

	if (evict_len) {
		evict_buf =
			mmap(NULL, evict_len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (evict_buf == MAP_FAILED)
			die("cannot map %zu bytes to evict with", evict_len);
	}
	libbpf_set_print(print_fn);
	pin_cpu();
	load_pcap(pcap);
	for (int j = 0; j < nprogs; j++) {
		load_prog(&progs[j]);
		if (hold_prefix)
			hold_in_dispatcher(j);
	}
	pthread_t reader;
	int capturing = 0;

	for (int j = 0; j < nprogs; j++)
		capturing |= progs[j].rb != NULL;
	if (capturing && pthread_create(&reader, NULL, cap_reader, NULL))
		die("cannot start the capture reader");
	first_pass();
	for (int i = 0; i < rounds; i++) {
		for (int j = 0; j < nprogs; j++)
			if (progs[j].flows != FLOWS_COLD)
				measure_one(&progs[j], i);
		if (!ncold)
			continue;
		for (int j = 0; j < nprogs; j++)
			measure_cold(&progs[j], i);
	}
	if (capturing) {
		cap_stop = 1;
		pthread_join(reader, NULL);
	}
	for (int j = 0; j < nprogs; j++) {
		flows_end(&progs[j]);
		if (progs[j].rb) {
			capture_report(&progs[j]);
			ring_buffer__free(progs[j].rb);
		}
	}
	for (int k = 0; k < nratios; k++) {
		struct prog *a = &progs[ratios[k].a], *b = &progs[ratios[k].b];

		for (int i = 0; i < rounds; i++)
			ratios[k].v[i] =
				ratios[k].pass1
					? (a->cold[i] - progs[0].cold[i]) /
						  (b->cold[i] -
						   progs[0].cold[i])
				: a->flows == FLOWS_COLD
					? a->cadj[i] / b->cadj[i]
					: a->ns[i] / b->ns[i];
	}
	if (json)
		print_json(pcap);
	else
		print_text(pcap);
	for (int j = 0; j < nprogs; j++)
		bpf_object__close(progs[j].obj);
	return 0;
}
