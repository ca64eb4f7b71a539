// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "fg.h"
#include "fgtest.h"
#include "fgrules.h"
#include "pkt.h"
#include "flowgate_xdp.skel.h"

int fgt_rules_load(const struct fg_rule_fds *f, struct fg_ruleset *cur,
		   __u32 *gen, const char *text)
{
	struct fg_ruleset s = {};
	struct fg_perr e = {};
	size_t i;
	int err;

	err = fg_rules_parse_text(text, strlen(text), &s, &e);
	if (!err)
		err = fg_ruleset_assign_ids(&s, cur);
	for (i = 0; !err && i < s.n; i++)
		if (s.r[i].flags & FG_RF_DEV)
			s.r[i].ifindex = strcmp(s.r[i].dev, "lo") ? 999 : 1;
	if (!err)
		err = fg_rule_publish(f, &s, cur, gen, &e);
	if (err) {
		fgt_diag("load: line %u: %s (%d)", e.line, e.msg, err);
		fg_ruleset_free(&s);
		return err;
	}
	fg_ruleset_free(cur);
	*cur = s;
	return 0;
}

int fgt_rule_line(char *buf, size_t cap, __u32 id, __u32 prio, const char *src,
		  int slen, const char *dst, int dlen, int drop)
{
	char s[64] = "", d[64] = "";

	if (*src)
		snprintf(s, sizeof(s), " src %s/%d", src, slen);
	if (*dst)
		snprintf(d, sizeof(d), " dst %s/%d", dst, dlen);
	return snprintf(buf, cap, "id %u prio %u%s%s action %s\n", id, prio, s,
			d, drop ? "drop" : "pass");
}

int fgt_slot_used(int outer, __u32 slot)
{
	__u32 id;

	return !bpf_map_lookup_elem(outer, &slot, &id);
}

struct fgt_addr fgt_a4(__u32 host)
{
	return (struct fgt_addr){(__u64)host << 32, 0};
}

struct fgt_addr fgt_mask(struct fgt_addr a, int len)
{
	if (len < 64) {
		a.hi = len ? a.hi & ~0ull << (64 - len) : 0;
		a.lo = 0;
	} else if (len < 128) {
		a.lo = len > 64 ? a.lo & ~0ull << (128 - len) : 0;
	}
	return a;
}

int fgt_addr_eq(struct fgt_addr a, struct fgt_addr b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

int fgt_rule_dup(const struct fgt_rule *r, int n, const struct fgt_rule *x)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].prio == x->prio && r[i].has_src == x->has_src &&
		    r[i].has_dst == x->has_dst &&
		    fgt_addr_eq(r[i].src, x->src) &&
		    fgt_addr_eq(r[i].dst, x->dst) && r[i].slen == x->slen &&
		    r[i].dlen == x->dlen)
			return 1;
	return 0;
}

static int covers(int has, struct fgt_addr pfx, int len, struct fgt_addr a)
{
	return !has || fgt_addr_eq(fgt_mask(a, len), pfx);
}

/* Evaluation order (ctl/rules/rule_set.c order_cmp); none sorts after /0. */
static int before(const struct fgt_rule *x, const struct fgt_rule *y)
{
	int lx = x->has_src ? x->slen : -1, ly = y->has_src ? y->slen : -1;

	if (x->prio != y->prio)
		return x->prio > y->prio;
	if (lx != ly)
		return lx > ly;
	lx = x->has_dst ? x->dlen : -1;
	ly = y->has_dst ? y->dlen : -1;
	if (lx != ly)
		return lx > ly;
	return x->id < y->id;
}

/* The rule that decides (src, dst), or NULL. */
static const struct fgt_rule *decide(const struct fgt_rule *r, int n,
				     struct fgt_addr src, struct fgt_addr dst)
{
	const struct fgt_rule *best = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (covers(r[i].has_src, r[i].src, r[i].slen, src) &&
		    covers(r[i].has_dst, r[i].dst, r[i].dlen, dst) &&
		    (!best || before(&r[i], best)))
			best = &r[i];
	return best;
}

static void addr_str(const struct fgt_mb *m, struct fgt_addr a,
		     char buf[INET6_ADDRSTRLEN])
{
	__u8 b[16];
	int i;

	for (i = 0; i < 8; i++) {
		b[i] = a.hi >> (56 - 8 * i);
		b[8 + i] = a.lo >> (56 - 8 * i);
	}
	inet_ntop(m->bits == 32 ? AF_INET : AF_INET6, b, buf, INET6_ADDRSTRLEN);
}

int fgt_mb_open(struct fgt_mb *m, int bits)
{
	__u32 reason;

	memset(m, 0, sizeof(*m));
	m->bits = bits;
	if (fgt_open(&m->t) || fg_rule_fds_from_obj(m->t.skel->obj, &m->fds)) {
		printf("Bail out! cannot load the skeleton\n");
		return 1;
	}
	for (reason = 1; reason < FG_R_MAX; reason++)
		if (reason != FG_R_RULE)
			fgt_set_act(&m->t, reason, FG_ACT_OFF);
	return 0;
}

int fgt_mb_close(struct fgt_mb *m)
{
	fg_ruleset_free(&m->cur);
	fg_rule_fds_close(&m->fds);
	fgt_close(&m->t);
	return fgt_done();
}

int fgt_mb_load(struct fgt_mb *m, const char *text)
{
	return fgt_rules_load(&m->fds, &m->cur, &m->gen, text);
}

int fgt_mb_load_rules(struct fgt_mb *m, const struct fgt_rule *r, int n)
{
	size_t cap = 200 * (size_t)n + 1, len = 0;
	char *text = malloc(cap), src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int i, err;

	if (!text)
		return -ENOMEM;
	text[0] = 0;
	for (i = 0; i < n; i++) {
		src[0] = dst[0] = 0;
		if (r[i].has_src)
			addr_str(m, r[i].src, src);
		if (r[i].has_dst)
			addr_str(m, r[i].dst, dst);
		len += fgt_rule_line(text + len, cap - len, r[i].id, r[i].prio,
				     src, r[i].slen, dst, r[i].dlen, r[i].drop);
	}
	err = fgt_mb_load(m, text);
	free(text);
	return err;
}

struct fgt_addr fgt_mb_share(const struct fgt_mb *m, struct fgt_addr a, int b)
{
	if (b >= m->bits)
		return a;
	if (b < 64)
		a.hi ^= 0x8000000000000000ull >> b;
	else
		a.lo ^= 0x8000000000000000ull >> (b - 64);
	return a;
}

int fgt_mb_run_str(struct fgt_mb *m, const char *src, const char *dst,
		   struct fgt_result *r, __u32 *rule)
{
	struct pkt p;
	int err;

	pkt_init(&p);
	pkt_eth(&p);
	if (strchr(src, ':'))
		pkt_ip6(&p, src, dst);
	else
		pkt_ip4(&p, src, dst);
	pkt_udp(&p, 1000, 9);
	pkt_data(&p, NULL, 8);
	pkt_finish(&p);
	err = fgt_run(&m->t, p.b, p.len, r);
	*rule = m->t.skel->bss->fg_last_rule;
	return err;
}

int fgt_mb_run(struct fgt_mb *m, struct fgt_addr src, struct fgt_addr dst,
	       struct fgt_result *r, __u32 *rule)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	addr_str(m, src, s);
	addr_str(m, dst, d);
	return fgt_mb_run_str(m, s, d, r, rule);
}

int fgt_mb_probe(struct fgt_mb *m, const struct fgt_rule *set, int n,
		 struct fgt_addr src, struct fgt_addr dst)
{
	const struct fgt_rule *w = decide(set, n, src, dst);
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	struct fgt_result r;
	__u32 rule;

	if (fgt_mb_run(m, src, dst, &r, &rule))
		return 1;
	if (rule == (w ? w->id : 0) &&
	    r.retval == (w && w->drop ? XDP_DROP : XDP_PASS))
		return 0;
	addr_str(m, src, s);
	addr_str(m, dst, d);
	fgt_diag("%s -> %s: rule %u verdict %u, want rule %u", s, d, rule,
		 r.retval, w ? w->id : 0);
	return 1;
}

void fgt_mb_chains(struct fgt_mb *m, __u32 id_base, struct fgt_addr a_src,
		   const int *src_lens, struct fgt_addr a_dst,
		   const int *dst_lens, struct fgt_addr other)
{
	struct fgt_rule r[32] = {};
	int i, b, w = m->bits, bad = 0;

	for (i = 0; i < 16; i++) {
		r[i] = (struct fgt_rule){.id = id_base + src_lens[i],
					 .prio = 100,
					 .has_src = 1,
					 .src = fgt_mask(a_src, src_lens[i]),
					 .slen = src_lens[i],
					 .drop = src_lens[i] % 2 == 0};
		r[16 + i] =
			(struct fgt_rule){.id = 2 * id_base + dst_lens[i],
					  .prio = 200,
					  .has_dst = 1,
					  .dst = fgt_mask(a_dst, dst_lens[i]),
					  .dlen = dst_lens[i],
					  .drop = dst_lens[i] % 2 == 1};
	}
	if (!fgt_ok(!fgt_mb_load_rules(m, r, 32),
		    "32 nested prefixes of 32 distinct lengths loaded"))
		return;
	for (b = 0; b <= w; b++)
		bad += fgt_mb_probe(m, r, 32, fgt_mb_share(m, a_src, b), other);
	fgt_ok(!bad,
	       "source sharing 0..%d bits with the /%d: the longest "
	       "covering prefix decides (%d probes)",
	       w, w, w + 1);
	bad = 0;
	for (b = 0; b <= w; b++)
		bad += fgt_mb_probe(m, r, 32, other, fgt_mb_share(m, a_dst, b));
	fgt_ok(!bad, "destination sharing 0..%d bits: likewise (%d probes)", w,
	       w + 1);
	bad = 0;
	for (b = 0; b <= w; b++)
		bad += fgt_mb_probe(m, r, 32, fgt_mb_share(m, a_src, b),
				    fgt_mb_share(m, a_dst, w - b));
	fgt_ok(!bad,
	       "both at once: the destination chain's prio wins where "
	       "it covers (%d probes)",
	       w + 1);
}
