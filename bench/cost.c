// SPDX-License-Identifier: GPL-2.0
/*
 * cost: average nanoseconds per packet of XDP programs, measured with
 * BPF_PROG_TEST_RUN on every frame of one capture.
 *
 *   cost [-j] [-r ROUNDS] [-n REPEAT] [-c CPU] [-R A/B]... [-D IFPREFIX]
 *        PCAP SPEC...
 *   SPEC: LABEL=OBJECT[,prog=NAME][,off=CHECK|all]...
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
 */
#define _GNU_SOURCE
/* pcap/bpf.h clashes with linux/bpf.h; DLT_EN10MB is all we need of it. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <errno.h>
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
#include <bpf/libbpf.h>
#include "fg_common.h"

#ifndef DLT_EN10MB
#define DLT_EN10MB 1
#endif

#define MAX_PROGS  16
#define MAX_RATIOS 16
#define MAX_ROUNDS 101

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
};

struct ratio {
	int a, b;
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
#define FG_X_NAME(code, e, n, def, strict, desc) \
	if (!strcmp(name, n))                    \
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
	ratios[nratios].a = prog_index(s);
	ratios[nratios].b = prog_index(slash + 1);
	nratios++;
}

static void load_pcap(const char *path)
{
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
}

/* Turn checks off the way `flowgate` would: an explicit act[r] = off. */
static void write_config(struct prog *p)
{
	struct fg_config cfg = {.version = FG_CONFIG_VERSION};
	struct bpf_map *m;
	__u32 key = 0;

	if (!p->off)
		return;
	m = bpf_object__find_map_by_name(p->obj, "fg_config");
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
	if (bpf_object__load(p->obj))
		die("%s: loading %s failed: %s", p->label, p->path,
		    strerror(errno));
	p->fd = bpf_program__fd(bp);
	write_config(p);
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
			err = run(progs[j].fd, &frames[i], 1, &dur, &ret);
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

static void measure_one(struct prog *p, int round)
{
	double sum = 0, t0 = now_ns();
	__u32 dur, ret;

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

static void print_text(const char *pcap)
{
	double base = median(progs[0].ns, rounds, NULL, NULL);

	printf("capture   %s\n", pcap);
	printf("frames    %d measured, %d skipped (%d beyond the linear area, "
	       "%d too "
	       "short, %d other)\n",
	       nused, nframes - nused, skip_big, skip_small, skip_other);
	printf("method    BPF_PROG_TEST_RUN, repeat %d per frame, %d rounds "
	       "interleaved, median; CPU %d\n\n",
	       repeat, rounds, cpu);
	printf("%-16s %9s %9s %9s %10s %9s  %s\n", "program", "ns/pkt", "min",
	       "max", "-baseline", "wall", "verdicts (pass/drop/other)");
	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];
		double lo, hi, m = median(p->ns, rounds, &lo, &hi);
		__u64 other = p->verdict[0] + p->verdict[3] + p->verdict[4];

		printf("%-16s %9.2f %9.2f %9.2f %10.2f %9.2f  %llu/%llu/%llu\n",
		       p->label, m, lo, hi, m - base,
		       median(p->wall, rounds, NULL, NULL),
		       (unsigned long long)p->verdict[XDP_PASS],
		       (unsigned long long)p->verdict[XDP_DROP],
		       (unsigned long long)other);
	}
	if (nratios)
		printf("\n");
	for (int k = 0; k < nratios; k++) {
		struct ratio *r = &ratios[k];
		double lo, hi, m = median(r->v, rounds, &lo, &hi);

		printf("ratio %s / %s = %.3f  (rounds %.3f .. %.3f)\n",
		       progs[r->a].label, progs[r->b].label, m, lo, hi);
	}
}

static void json_rounds(const double *v)
{
	printf("[");
	for (int i = 0; i < rounds; i++)
		printf("%s%.3f", i ? ", " : "", v[i]);
	printf("]");
}

static void print_json(const char *pcap)
{
	printf("{\n  \"capture\": \"%s\",\n  \"frames\": %d,\n"
	       "  \"measured\": %d,\n  \"skipped\": {\"too_large\": %d, "
	       "\"too_short\": %d, \"other\": %d},\n  \"repeat\": %d,\n"
	       "  \"rounds\": %d,\n  \"cpu\": %d,\n  \"programs\": [\n",
	       pcap, nframes, nused, skip_big, skip_small, skip_other, repeat,
	       rounds, cpu);
	for (int j = 0; j < nprogs; j++) {
		struct prog *p = &progs[j];
		double lo, hi, m = median(p->ns, rounds, &lo, &hi);

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
		printf("}%s\n", j + 1 < nprogs ? "," : "");
	}
	printf("  ],\n  \"ratios\": [\n");
	for (int k = 0; k < nratios; k++) {
		struct ratio *r = &ratios[k];
		double lo, hi, m = median(r->v, rounds, &lo, &hi);

		printf("    {\"name\": \"%s/%s\", \"value\": %.4f, "
		       "\"min\": %.4f, \"max\": %.4f}%s\n",
		       progs[r->a].label, progs[r->b].label, m, lo, hi,
		       k + 1 < nratios ? "," : "");
	}
	printf("  ]\n}\n");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cost [-j] [-r ROUNDS] [-n REPEAT] [-c CPU] [-R A/B]... "
		"[-D IFPREFIX] "
		"PCAP LABEL=OBJECT[,prog=NAME][,off=CHECK|all]...\n"
		"The first program is the baseline of the -baseline column.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char *ratio_args[MAX_RATIOS];
	int nratio_args = 0, c;
	const char *pcap;

	while ((c = getopt(argc, argv, "jr:n:c:R:D:h")) != -1) {
		switch (c) {
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

	libbpf_set_print(print_fn);
	pin_cpu();
	load_pcap(pcap);
	for (int j = 0; j < nprogs; j++) {
		load_prog(&progs[j]);
		if (hold_prefix)
			hold_in_dispatcher(j);
	}
	first_pass();
	for (int i = 0; i < rounds; i++)
		for (int j = 0; j < nprogs; j++)
			measure_one(&progs[j], i);
	for (int k = 0; k < nratios; k++)
		for (int i = 0; i < rounds; i++)
			ratios[k].v[i] = progs[ratios[k].a].ns[i] /
					 progs[ratios[k].b].ns[i];
	if (json)
		print_json(pcap);
	else
		print_text(pcap);
	for (int j = 0; j < nprogs; j++)
		bpf_object__close(progs[j].obj);
	return 0;
}
