// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Differential test: the XDP program (through BPF_PROG_TEST_RUN) and the
 * host build of the same parser must agree on every frame: XDP action,
 * drop reason and the bitmask of checks that fired. Two compilers, two
 * execution models (verifier-shaped code, global sub-programs and map
 * lookups on one side, plain C on the other): a difference means one of
 * them is not running the parser we think it is.
 *
 * Frames: every packet of every capture in ../shared/pcaps (or
 * $FLOWGATE_PCAPS), then a deterministic set of mutated packets under
 * several configurations. TAP: one line per capture and per batch.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "fg_parse.h"
#include "diff_util.h"
#include "cases.h"

/* Mismatches shown in full per test line; the rest are only counted. */
#define MAX_REPORTS 5
#define SEED	    0x666c6f7767617465ULL /* "flowgate" */

struct tally {
	size_t compared;
	size_t oversize;
	size_t undersize;
	size_t wide; /* wire length beyond what BPF can represent */
	size_t bad;
};

static int test_no, failed;

__attribute__((format(printf, 2, 3))) static void tap(int ok, const char *fmt,
						      ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failed |= !ok;
}

/* Compares one frame; returns 1 if it was compared, 0 if the test run
 * cannot take it (see dfu_bpf_run), -1 on a difference or an error. */
static int compare(struct dfu_bpf *b, const struct fg_config *cfg,
		   const __u8 *data, __u32 len, __u32 wire_len,
		   const char *what, size_t idx, struct tally *t)
{
	struct dfu_result br, hr;
	int err;

	err = dfu_bpf_run(b, data, len, wire_len, &br);
	if (err == -E2BIG) {
		t->oversize++;
		return 0;
	}
	if (err == -EINVAL && len < ETH_HLEN) {
		t->undersize++;
		return 0;
	}
	dfu_host_run(data, len, wire_len, cfg, &hr);
	t->compared++;
	if (!err && dfu_same(&br, &hr))
		return 1;
	if (t->bad++ < MAX_REPORTS) {
		if (err)
			printf("# %s: packet %zu: test run failed: %s\n", what,
			       idx, strerror(-err));
		else
			dfu_report(what, idx, &br, &hr, data, len);
	}
	return -1;
}

static void more_differences(const struct tally *t)
{
	if (t->bad > MAX_REPORTS)
		printf("# ... and %zu more packets differ\n",
		       t->bad - MAX_REPORTS);
}

static int set_config(struct dfu_bpf *b, const struct fg_config *cfg)
{
	int err = dfu_bpf_set_config(b, cfg);

	if (err)
		printf("# writing fg_config failed: %s\n", strerror(-err));
	return err;
}

static int is_capture(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return (n > 5 && !strcmp(d->d_name + n - 5, ".pcap")) ||
	       (n > 7 && !strcmp(d->d_name + n - 7, ".pcapng"));
}

/* All frames of all captures, the seeds of the mutation batches. */
struct pool {
	const struct dfu_frame **f;
	size_t n, cap;
};

static void pool_add(struct pool *p, const struct dfu_frame *f, __u32 max)
{
	if (f->len > max || f->len < ETH_HLEN)
		return;
	if (fg_grow(&p->f, &p->cap, p->n, sizeof(*p->f), 4096)) {
		perror("realloc");
		exit(1);
	}
	p->f[p->n++] = f;
}

/* Every frame as captured, under the default and the monitor profile (the
 * latter shows every check that fires, not just the first drop). */
static void run_capture(struct dfu_bpf *b, const char *name,
			const struct dfu_capture *c, struct tally *skipped)
{
	struct fg_config cfg[2];
	struct tally t = {0};
	size_t i;
	int k;

	dfu_config_profile(FG_PROFILE_DEFAULT, &cfg[0]);
	dfu_config_profile(FG_PROFILE_MONITOR, &cfg[1]);
	for (k = 0; k < 2; k++) {
		if (set_config(b, &cfg[k])) {
			t.bad++;
			break;
		}
		for (i = 0; i < c->n; i++)
			compare(b, &cfg[k], c->frames[i].data, c->frames[i].len,
				c->frames[i].len, name, i, &t);
	}
	skipped->oversize += t.oversize / 2;
	skipped->undersize += t.undersize / 2;
	more_differences(&t);
	tap(!t.bad, "%s: %zu packets agree (default and monitor profile)", name,
	    t.compared / 2);
}

/*
 * The crafted cases (tests/lib/cases.c), malformed and twins, under the
 * default and the monitor profile, and as seeds of the mutation batches:
 * they carry the IPv4 options, IPv6 option TLVs, jumbo options and odd
 * fragments that few captured frames do. Then a jumbogram of 70000 bytes
 * that only its first 200 were captured of, judged by its wire length
 * (replay's path: no test run takes the whole).
 */
static void run_crafted(struct dfu_bpf *b, struct pool *pool)
{
	static struct dfu_frame fr[512];
	const __u32 n = 70000;
	struct fg_config cfg[2];
	struct tally t = {0};
	struct pkt k;
	unsigned int i;
	int c;

	dfu_config_profile(FG_PROFILE_DEFAULT, &cfg[0]);
	dfu_config_profile(FG_PROFILE_MONITOR, &cfg[1]);
	for (i = 0; i < fgc_ncases && i < 512; i++) {
		fgc_build(&fgc_cases[i], &k);
		fr[i].data = malloc(k.len ? k.len : 1);
		if (!fr[i].data)
			exit(1);
		memcpy(fr[i].data, k.b, k.len);
		fr[i].len = fr[i].wire_len = k.len;
		pool_add(pool, &fr[i], b->linear_max);
	}
	for (c = 0; c < 2; c++) {
		if (set_config(b, &cfg[c])) {
			t.bad++;
			break;
		}
		for (i = 0; i < fgc_ncases && i < 512; i++)
			compare(b, &cfg[c], fr[i].data, fr[i].len, fr[i].len,
				fgc_cases[i].name, i, &t);
	}
	pkt_jumbo_udp(&k, FGC_S6, FGC_D6, n, 200);
	for (c = 0; c < 2 && !set_config(b, &cfg[0]); c++)
		compare(b, &cfg[0], k.b, 200, 14 + 40 + n - c, "jumbogram",
			(size_t)c, &t);
	more_differences(&t);
	tap(!t.bad && fgc_ncases <= 512,
	    "crafted cases and a cut jumbogram: %zu frames agree", t.compared);
}

/* What replay does with frames that are cut (snaplen, or too long for the
 * test run): judge the bytes seen by the packet's length on the wire. */
static void run_cut(struct dfu_bpf *b, struct dfu_capture *caps, int ncaps)
{
	struct fg_config cfg;
	struct tally t = {0};
	const struct dfu_frame *f;
	size_t i, idx = 0;
	int k;

	dfu_config_profile(FG_PROFILE_DEFAULT, &cfg);
	if (set_config(b, &cfg))
		t.bad++;
	for (k = 0; k < ncaps && !t.bad; k++) {
		for (i = 0; i < caps[k].n; i++, idx++) {
			f = &caps[k].frames[i];
			if (f->wire_len == f->len && f->len <= b->linear_max)
				continue;
			/* fg_wire_end() bounds the wire end (FG_MAX_WIRE). */
			if (f->wire_len > FG_MAX_WIRE) {
				t.wide++;
				continue;
			}
			compare(b, &cfg, f->data,
				f->len < b->linear_max ? f->len : b->linear_max,
				f->wire_len, "cut", idx, &t);
		}
	}
	if (t.wide)
		printf("# skipped %zu cut frames longer than %u bytes on the "
		       "wire\n",
		       t.wide, FG_MAX_WIRE);
	more_differences(&t);
	tap(!t.bad, "%s: %zu packets agree", "cut frames judged by wire length",
	    t.compared);
}

enum cfg_kind { K_DEFAULT, K_MONITOR, K_STRICT, K_RANDOM };

struct batch {
	const char *name;
	enum cfg_kind kind;
	size_t count;
	int wire; /* judge by a wire length longer than the frame */
};

static const struct batch batches[] = {
	{"mutated, default profile", K_DEFAULT, 150000, 0},
	{"mutated, monitor profile", K_MONITOR, 80000, 0},
	{"mutated, strict profile", K_STRICT, 100000, 0},
	{"mutated, random per-check actions", K_RANDOM, 150000, 0},
	{"mutated, longer on the wire, random actions", K_RANDOM, 40000, 1},
};

static int batch_config(struct dfu_bpf *b, const struct batch *bt, size_t i,
			__u64 *rng, struct fg_config *cfg)
{
	static const __u32 prof[] = {[K_DEFAULT] = FG_PROFILE_DEFAULT,
				     [K_MONITOR] = FG_PROFILE_MONITOR,
				     [K_STRICT] = FG_PROFILE_STRICT};

	if (bt->kind == K_RANDOM) {
		/* A new random config every 256 packets. */
		if (i % 256)
			return 0;
		dfu_config_random(rng, cfg);
	} else {
		if (i)
			return 0;
		dfu_config_profile(prof[bt->kind], cfg);
	}
	return set_config(b, cfg);
}

static void run_batch(struct dfu_bpf *b, const struct pool *pool,
		      const struct batch *bt, int n)
{
	static __u8 buf[DFU_BUF_MAX];
	__u64 rng = SEED + n;
	struct fg_config cfg;
	struct tally t = {0};
	const struct dfu_frame *f;
	__u32 len, wire;
	size_t i;

	if (!pool->n) {
		printf("ok %d - %s # SKIP no frames to mutate\n", ++test_no,
		       bt->name);
		return;
	}
	for (i = 0; i < bt->count; i++) {
		if (batch_config(b, bt, i, &rng, &cfg)) {
			t.bad++;
			break;
		}
		f = pool->f[dfu_rand(&rng) % pool->n];
		len = f->len;
		memcpy(buf, f->data, len);
		dfu_mutate(&rng, buf, &len, b->linear_max);
		wire = len;
		if (bt->wire)
			wire += dfu_rand(&rng) % 2000;
		compare(b, &cfg, buf, len, wire, bt->name, i, &t);
	}
	more_differences(&t);
	tap(!t.bad, "%s: %zu packets agree", bt->name, t.compared);
}

/*
 * fg_xdp as on a NIC (fg_record_last off): its parse takes the frame's end
 * as the wire's, a copy of the head that the verifier keeps only there
 * (bpf/lib/fg_ctx.bpf.h), so it is compared on its own, its verdicts read
 * from the counters: every frame of the pool and as many mutated ones,
 * under the default profile and random per-check actions.
 */
static void run_nic(const struct pool *pool)
{
	static __u8 buf[DFU_BUF_MAX];
	__u64 rng = SEED + 100;
	struct fg_config cfg;
	struct tally t = {0};
	const struct dfu_frame *f;
	struct dfu_bpf b;
	size_t i, n = pool->n;
	__u32 len;
	int err;

	err = dfu_bpf_open_nic(&b);
	if (err) {
		tap(0, "fg_xdp loads as on a NIC: %s", strerror(-err));
		return;
	}
	dfu_config_profile(FG_PROFILE_DEFAULT, &cfg);
	for (i = 0; i < 3 * n; i++) {
		/* A new random config every 256 mutated frames. */
		if (i == 0 || (i >= n && (i - n) % 256 == 0)) {
			if (i)
				dfu_config_random(&rng, &cfg);
			if (set_config(&b, &cfg)) {
				t.bad++;
				break;
			}
		}
		f = pool->f[i < n ? i : dfu_rand(&rng) % n];
		len = f->len;
		memcpy(buf, f->data, len);
		if (i >= n)
			dfu_mutate(&rng, buf, &len, b.linear_max);
		compare(&b, &cfg, buf, len, len, "as on a NIC", i, &t);
	}
	more_differences(&t);
	tap(!t.bad && t.compared >= n,
	    "fg_xdp as on a NIC (no recorded verdicts): %zu frames agree",
	    t.compared);
	dfu_bpf_close(&b);
}

int main(void)
{
	const char *dir = getenv("FLOWGATE_PCAPS");
	struct dfu_capture *caps;
	struct tally skipped = {0};
	struct pool pool = {0};
	struct dirent **names;
	struct dfu_bpf b;
	char path[4096], err[512];
	int n, i, ret;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!dir || !*dir)
		dir = "../shared/pcaps";
	/* A clone without ../shared: the copies the goldens use. */
	if (access(dir, F_OK))
		dir = "tests/pcap/captures/shared";
	ret = dfu_bpf_open(&b);
	if (ret) {
		printf("not ok 1 - fg_xdp loads with fg_record_last: %s\n",
		       strerror(-ret));
		printf("1..1\n");
		return 1;
	}
	tap(1, "fg_xdp loads with fg_record_last");

	n = scandir(dir, &names, is_capture, alphasort);
	if (n <= 0) {
		tap(0, "captures in %s: none found", dir);
		n = 0;
	}
	caps = calloc(n ? n : 1, sizeof(*caps));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ret = dfu_capture_load(path, &caps[i], err, sizeof(err));
		if (ret == -ENOTSUP) {
			printf("ok %d - %s # SKIP %s\n", ++test_no,
			       names[i]->d_name, err);
			continue;
		}
		if (ret) {
			tap(0, "%s: %s", names[i]->d_name, err);
			continue;
		}
		run_capture(&b, names[i]->d_name, &caps[i], &skipped);
		for (k = 0; k < caps[i].n; k++)
			pool_add(&pool, &caps[i].frames[k], b.linear_max);
	}
	if (skipped.oversize)
		printf("# skipped %zu oversize frames (beyond %u bytes)\n",
		       skipped.oversize, b.linear_max);
	if (skipped.undersize)
		printf("# skipped %zu frames shorter than an Ethernet header "
		       "(the test run refuses them)\n",
		       skipped.undersize);

	run_crafted(&b, &pool);
	run_cut(&b, caps, n);
	for (k = 0; k < sizeof(batches) / sizeof(batches[0]); k++)
		run_batch(&b, &pool, &batches[k], (int)k);
	run_nic(&pool);

	printf("1..%d\n", test_no);
	for (i = 0; i < n; i++) {
		dfu_capture_free(&caps[i]);
		free(names[i]);
	}
	free(names);
	free(caps);
	free(pool.f);
	dfu_bpf_close(&b);
	return failed;
}
