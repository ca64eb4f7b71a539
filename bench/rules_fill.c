// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic rule sets for bench/cost.c (spec option rules=N[,rules-hit]):
 * N IPv4 prefixes of 16 to 32 bits, alternately source and destination,
 * action drop, drawn from a fixed pseudo-random sequence, none of them
 * covering an address of the capture (so the verdicts stay those of the
 * empty set: every packet does the lookups and finds no rule). With
 * rules-hit, one of the N is `src 0.0.0.0/0 prio 0 action pass`, which
 * every IPv4 packet matches: the candidate check and the hit counters run
 * on every packet. With rules-deep, the first of the N are the /32s next
 * to the capture's IPv4 addresses (last bit flipped, src and dst), so
 * every lookup walks the index to its deepest level; with rules-lens the
 * lengths are 1 to 32. With rules-v6, all of it in IPv6: prefixes of 32 to
 * 128 bits in 2000::/3, ::/0 for the hit, /128 neighbours for deep; with
 * rules-pair two /128s next to each address (last bit flipped, and the
 * one before it): they part only at the last 4-bit level, so the IPv6
 * multibit index keeps blocks all the way down for them (a single /128 is
 * a tail near the root). Written
 * into the object's own maps with the CLI's code (ctl/rules/rule_set.c,
 * ctl/rules/rule_maps.c); the size of the index maps then in force goes to
 * stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "rules.h"
#include "rules_fill.h"

/* The CLI's objects refer to its options; cost has none of its own. */
struct fg_opts fg_opts;

struct seen {
	__u64 *k;
	size_t cap; /* power of two */
};

/* Open addressing on (address, length, field); 0 is never a key. */
static int seen_add(struct seen *s, __u64 key)
{
	size_t i = (key * 0x9e3779b97f4a7c15ull) >> 20 & (s->cap - 1);

	for (; s->k[i]; i = (i + 1) & (s->cap - 1))
		if (s->k[i] == key)
			return 0;
	s->k[i] = key;
	return 1;
}

static __u32 lcg(__u64 *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 32;
}

static void mk_rule(struct fg_rule_def *d, __u32 addr, __u8 len, int dst)
{
	__u8 *a = dst ? d->dst : d->src;

	memset(d, 0, sizeof(*d));
	d->prio = FG_RULE_PRIO_DEFAULT;
	d->action = FG_RULE_DROP;
	d->family = 4;
	d->flags = dst ? FG_RF_DST : FG_RF_SRC;
	a[10] = a[11] = 0xff;
	a[12] = addr >> 24;
	a[13] = addr >> 16;
	a[14] = addr >> 8;
	a[15] = addr;
	if (dst)
		d->dst_len = len;
	else
		d->src_len = len;
}

/* The /32 neighbours of the capture's IPv4 addresses, by src and dst. */
static int add_deep(struct fg_ruleset *s, int n, struct seen *seen,
		    int (*covers)(const __u8 *a, int bits, void *ctx),
		    const struct bench_addrs *c)
{
	struct fg_rule_def d;
	__u32 addr;
	int i, dst, err = 0;

	for (i = 0; i < c->n && !err && (int)s->n < n; i++) {
		if (c->a[i][10] != 0xff || c->a[i][11] != 0xff)
			continue; /* IPv6 */
		addr = (__u32)c->a[i][12] << 24 | c->a[i][13] << 16 |
		       c->a[i][14] << 8 | c->a[i][15];
		addr ^= 1;
		for (dst = 0; dst < 2 && !err && (int)s->n < n; dst++) {
			mk_rule(&d, addr, 32, dst);
			if (covers(dst ? d.dst : d.src, 128, (void *)c))
				continue;
			if (seen_add(seen, (__u64)addr << 8 | 32 << 1 | dst))
				err = fg_ruleset_add(s, &d, 0);
		}
	}
	return err;
}

static void mk_rule6(struct fg_rule_def *d, const __u8 *a16, __u8 len, int dst)
{
	mk_rule(d, 0, 0, dst);
	d->family = 6;
	memcpy(dst ? d->dst : d->src, a16, 16);
	if (dst)
		d->dst_len = len;
	else
		d->src_len = len;
}

/* Open addressing wants one 64-bit key; a collision only skips a rule. */
static __u64 key6(const __u8 *a, __u8 len, int dst)
{
	__u64 h = len << 1 | dst;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 0x100000001b3ull;
	return h | 1;
}

static int make_set6(struct fg_ruleset *s, int n, int kind, struct seen *seen,
		     int (*covers)(const __u8 *a, int bits, void *ctx),
		     const struct bench_addrs *c)
{
	struct fg_rule_def d;
	__u8 a[16] = {};
	__u64 x = 42;
	int i, k, dst, err = 0;

	if ((kind & BENCH_RULES_HIT) && n > 0) {
		mk_rule6(&d, a, 0, 0);
		d.prio = 0;
		d.action = FG_RULE_PASS;
		err = fg_ruleset_add(s, &d, 0);
	}
	for (i = 0; (kind & BENCH_RULES_DEEP) && i < c->n && !err; i++) {
		if (c->a[i][10] == 0xff && c->a[i][11] == 0xff)
			continue; /* IPv4 */
		for (k = 1; k <= (kind & BENCH_RULES_PAIR ? 2 : 1); k++) {
			memcpy(a, c->a[i], 16);
			a[15] ^= k;
			for (dst = 0; dst < 2 && !err && (int)s->n < n; dst++) {
				mk_rule6(&d, a, 128, dst);
				if (!covers(a, 128, (void *)c) &&
				    seen_add(seen, key6(a, 128, dst)))
					err = fg_ruleset_add(s, &d, 0);
			}
		}
	}
	while (!err && (int)s->n < n) {
		__u8 len = 32 + lcg(&x) % 97;

		dst = s->n & 1;
		for (i = 0; i < 16; i += 4) {
			__u32 r = lcg(&x);

			memcpy(a + i, &r, 4);
		}
		a[0] = (a[0] & 0x1f) | 0x20; /* 2000::/3 */
		for (i = len; i < 128; i++)
			a[i / 8] &= ~(0x80 >> (i % 8));
		if (covers(a, len, (void *)c) ||
		    !seen_add(seen, key6(a, len, dst)))
			continue;
		mk_rule6(&d, a, len, dst);
		err = fg_ruleset_add(s, &d, 0);
	}
	return err;
}

static int make_set(struct fg_ruleset *s, int n, int kind,
		    int (*covers)(const __u8 *a, int bits, void *ctx),
		    void *ctx)
{
	struct seen seen = {.cap = 1};
	struct fg_rule_def d;
	__u64 x = 42;
	int err = 0;

	while (seen.cap < 4u * n + 16)
		seen.cap <<= 1;
	seen.k = calloc(seen.cap, sizeof(*seen.k));
	if (!seen.k)
		return -ENOMEM;
	if (kind & BENCH_RULES_V6) {
		err = make_set6(s, n, kind, &seen, covers, ctx);
		free(seen.k);
		return err;
	}
	if ((kind & BENCH_RULES_HIT) && n > 0) {
		mk_rule(&d, 0, 0, 0);
		d.prio = 0;
		d.action = FG_RULE_PASS;
		err = fg_ruleset_add(s, &d, 0);
	}
	if (!err && (kind & BENCH_RULES_DEEP))
		err = add_deep(s, n, &seen, covers, ctx);
	while (!err && (int)s->n < n) {
		__u8 len = kind & BENCH_RULES_LENS ? 1 + lcg(&x) % 32
						   : 16 + lcg(&x) % 17;
		__u8 first;
		__u32 mask = len == 32 ? ~0u : ~(~0u >> len);
		__u32 addr = lcg(&x) & mask;
		int dst = s->n & 1;

		first = addr >> 24;
		if (first == 0 || first >= 224 || first == 127)
			continue;
		mk_rule(&d, addr, len, dst);
		if (covers(dst ? d.dst : d.src, 96 + len, ctx))
			continue;
		if (seen_add(&seen, (__u64)addr << 8 | len << 1 | dst))
			err = fg_ruleset_add(s, &d, 0);
	}
	free(seen.k);
	return err;
}

/* Bytes of the index maps in force (inner maps of the active half; an LPM
 * trie, allocated as it fills, is left out), to stderr. */
static void index_bytes(struct bpf_object *obj, __u32 gen, size_t nrules)
{
	static const char *const outer[] = {FG_MAP_RULE_MB4, FG_MAP_RULE_MB6,
					    FG_MAP_RULE_TL6, FG_MAP_RULE_LSTS};
	struct bpf_map_info info;
	__u32 len, slot, id, f;
	size_t i, part, all = 0;
	struct bpf_map *m;
	int fd;

	for (i = 0; i < sizeof(outer) / sizeof(outer[0]); i++) {
		m = bpf_object__find_map_by_name(obj, outer[i]);
		for (f = 0, part = 0; m && f < 2; f++) {
			slot = i == 3 ? (gen & 1) : fg_rule_slot(gen, f);
			if (bpf_map_lookup_elem(bpf_map__fd(m), &slot, &id))
				continue;
			fd = bpf_map_get_fd_by_id(id);
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			if (fd >= 0 &&
			    !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			    info.type == BPF_MAP_TYPE_ARRAY)
				part += (size_t)info.max_entries *
					info.value_size;
			if (fd >= 0)
				close(fd);
			if (i == 3)
				break; /* one list map per half */
		}
		if (m && part)
			fprintf(stderr, "rules: %zu: %s %zu bytes\n", nrules,
				outer[i], part);
		all += part;
	}
	if (nrules)
		fprintf(stderr,
			"rules: %zu: index arrays %zu bytes, %.0f a rule\n",
			nrules, all, (double)all / nrules);
}

int bench_rules_fill(struct bpf_object *obj, int n, int kind,
		     int (*covers)(const __u8 *a, int bits, void *ctx),
		     void *ctx, double *ms)
{
	struct fg_ruleset s = {};
	struct fg_rule_fds fds;
	struct fg_perr e = {};
	struct timespec t0, t1;
	__u32 gen;
	int err;

	err = fg_rule_fds_from_obj(obj, &fds);
	if (err)
		return err;
	err = make_set(&s, n, kind, covers, ctx);
	if (!err)
		err = fg_ruleset_assign_ids(&s, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!err)
		err = fg_rule_publish(&fds, &s, NULL, &gen, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err)
		fprintf(stderr, "rules: %s\n",
			e.msg[0] ? e.msg : strerror(-err));
	else
		index_bytes(obj, gen, s.n);
	*ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	fg_ruleset_free(&s);
	fg_rule_fds_close(&fds);
	return err;
}
