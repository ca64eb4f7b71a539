// SPDX-License-Identifier: GPL-2.0
/*
 * The rule grammar, shared by `rule add`, rule files and the [rules]
 * section of the daemon's config file. Pure (no maps, no devices), so it
 * is unit-tested with the obvious and the nasty inputs.
 *
 * Prefixes are strict: the address must be what inet_pton() accepts (no
 * "1.2.3", no zone "%eth0"), the length within the family's bits, and the
 * host bits zero ("10.0.0.1/8" is rejected, naming 10.0.0.0/8): a set
 * host bit is far more often a typo than an intent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "rules.h"

/* ADDR or ADDR/LEN, into 16 bytes (IPv4 as ::ffff:a.b.c.d), the family
 * and the length in the family's own bits. */
static int parse_prefix(const char *s, __u8 *addr, __u8 *family, __u8 *len,
			struct fg_perr *e)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	__u32 n, max, i, bits;
	struct in_addr v4;

	if (strchr(s, '%'))
		return fg_perr(e,
			       "'%s': a zone index (%%...) has no place in a "
			       "prefix",
			       s);
	if (alen == 0 || alen >= sizeof(buf))
		return fg_perr(e, "bad address in '%s'", s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &v4, 4);
		*family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = 6;
		max = 128;
	} else {
		return fg_perr(e, "bad address '%s' (IPv4 a.b.c.d or IPv6)",
			       buf);
	}
	n = max;
	if (slash && fg_parse_u32(slash + 1, 0, max, &n))
		return fg_perr(e, "bad prefix length in '%s' (0-%u for IPv%u)",
			       s, max, *family);
	/* Host bits: everything after the first n bits of the family's
	 * part of the address must be zero. */
	bits = *family == 4 ? 96 + n : n;
	for (i = bits; i < 128; i++) {
		if (!(addr[i / 8] & (0x80 >> (i % 8))))
			continue;
		for (; i < 128; i++)
			addr[i / 8] &= ~(0x80 >> (i % 8));
		fg_prefix_str(addr, *family, n, buf, sizeof(buf));
		return fg_perr(e, "host bits set in '%s' (the prefix is %s)", s,
			       buf);
	}
	*len = n;
	return 0;
}

/* P or P-Q, 0-65535, P <= Q. */
static int parse_ports(const char *kw, const char *s, __u16 *lo, __u16 *hi,
		       struct fg_perr *e)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	__u32 a, b;

	if (strlen(s) >= sizeof(buf))
		return fg_perr(e, "bad %s '%s' (a port 0-65535 or a range P-Q)",
			       kw, s);
	strcpy(buf, s);
	if (dash)
		buf[dash - s] = '\0';
	if (fg_parse_u32(buf, 0, 65535, &a) ||
	    (dash && fg_parse_u32(dash + 1, 0, 65535, &b)))
		return fg_perr(e, "bad %s '%s' (a port 0-65535 or a range P-Q)",
			       kw, s);
	if (!dash)
		b = a;
	if (a > b)
		return fg_perr(e, "%s range '%s' is reversed (write %u-%u)", kw,
			       s, b, a);
	*lo = a;
	*hi = b;
	return 0;
}

static int parse_proto(const char *s, struct fg_rule_def *d, struct fg_perr *e)
{
	int p;

	if (!strcmp(s, "arp")) {
		d->flags |= FG_RF_ARP;
		return 0;
	}
	p = fg_proto_by_name(s);
	if (p >= 0) {
		d->flags |= FG_RF_PROTO;
		d->proto = p;
		return 0;
	}
	return fg_perr(e,
		       "unknown protocol '%s' (tcp, udp, icmp, icmpv6, sctp, "
		       "gre, esp, arp or a number 0-255)",
		       s);
}

static int parse_comment(const char *s, struct fg_rule_def *d,
			 struct fg_perr *e)
{
	const unsigned char *c;

	if (strlen(s) >= sizeof(d->comment))
		return fg_perr(e, "comment longer than %zu bytes",
			       sizeof(d->comment) - 1);
	for (c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return fg_perr(e, "comment has a control character");
	strcpy(d->comment, s);
	return 0;
}

static int parse_dev(const char *s, struct fg_rule_def *d, struct fg_perr *e)
{
	const char *c;

	if (!*s || strlen(s) >= sizeof(d->dev))
		return fg_perr(e, "bad device name '%s' (1-15 characters)", s);
	for (c = s; *c; c++)
		if (*c <= ' ' || *c == '/' || *c == ':' || *c == 0x7f)
			return fg_perr(e, "bad device name '%s'", s);
	strcpy(d->dev, s);
	d->flags |= FG_RF_DEV;
	return 0;
}

static int parse_action(const char *s, struct fg_rule_def *d, struct fg_perr *e)
{
	__u8 a;

	for (a = FG_RULE_DROP; a <= FG_RULE_COUNT; a++) {
		if (!strcmp(s, fg_rule_action_name(a))) {
			d->action = a;
			return 0;
		}
	}
	return fg_perr(e, "unknown action '%s' (drop, pass or count)", s);
}

static const char *const keywords[] = {"id",	 "src",	   "dst", "proto",
				       "sport",	 "dport",  "dev", "prio",
				       "action", "comment"};
#define NKW (sizeof(keywords) / sizeof(keywords[0]))

/* src or dst: both addresses of a rule are of one family. */
static int parse_addr_kw(const char *val, __u8 *addr, __u8 *len,
			 struct fg_rule_def *d, struct fg_perr *e)
{
	__u8 fam;
	int err = parse_prefix(val, addr, &fam, len, e);

	if (err)
		return err;
	if (d->family && d->family != fam)
		return fg_perr(e, "src and dst are of different address "
				  "families");
	d->family = fam;
	return 0;
}

static int parse_kw(int k, const char *val, struct fg_rule_def *d,
		    struct fg_perr *e)
{
	switch (k) {
	case 0:
		if (fg_parse_u32(val, 1, FG_RULE_MAX, &d->id))
			return fg_perr(e, "bad id '%s' (1-%u)", val,
				       FG_RULE_MAX);
		return 0;
	case 1:
		d->flags |= FG_RF_SRC;
		return parse_addr_kw(val, d->src, &d->src_len, d, e);
	case 2:
		d->flags |= FG_RF_DST;
		return parse_addr_kw(val, d->dst, &d->dst_len, d, e);
	case 3:
		return parse_proto(val, d, e);
	case 4:
		d->flags |= FG_RF_SPORT;
		return parse_ports("sport", val, &d->sport_lo, &d->sport_hi, e);
	case 5:
		d->flags |= FG_RF_DPORT;
		return parse_ports("dport", val, &d->dport_lo, &d->dport_hi, e);
	case 6:
		return parse_dev(val, d, e);
	case 7:
		if (fg_parse_u32(val, 0, FG_RULE_PRIO_MAX, &d->prio))
			return fg_perr(e, "bad prio '%s' (0-%u)", val,
				       FG_RULE_PRIO_MAX);
		return 0;
	case 8:
		return parse_action(val, d, e);
	default:
		return parse_comment(val, d, e);
	}
}

/* What no single keyword can see: combinations. */
static int check_combination(const struct fg_rule_def *d, struct fg_perr *e)
{
	bool ports = d->flags & (FG_RF_SPORT | FG_RF_DPORT);

	if (!d->action)
		return fg_perr(e, "a rule needs an action (action drop|pass|"
				  "count)");
	if ((d->flags & FG_RF_ARP) &&
	    (d->flags & (FG_RF_SRC | FG_RF_DST) || ports))
		return fg_perr(e, "proto arp takes no addresses or ports");
	if (ports && (d->flags & FG_RF_PROTO) && d->proto != IPPROTO_TCP &&
	    d->proto != IPPROTO_UDP && d->proto != IPPROTO_SCTP)
		return fg_perr(e, "ports need proto tcp, udp or sctp (or no "
				  "proto: then any of them)");
	return 0;
}

int fg_rule_parse(int argc, char **argv, struct fg_rule_def *d,
		  struct fg_perr *e)
{
	unsigned int seen = 0;
	size_t k;
	int i, err;

	memset(d, 0, sizeof(*d));
	d->prio = FG_RULE_PRIO_DEFAULT;
	for (i = 0; i < argc; i += 2) {
		for (k = 0; k < NKW; k++)
			if (!strcmp(argv[i], keywords[k]))
				break;
		if (k == NKW)
			return fg_perr(e,
				       "unknown keyword '%s' (id, src, dst, "
				       "proto, sport, dport, dev, prio, "
				       "action, comment)",
				       argv[i]);
		if (seen & (1u << k))
			return fg_perr(e, "%s given twice", keywords[k]);
		seen |= 1u << k;
		if (i + 1 >= argc)
			return fg_perr(e, "%s needs a value", keywords[k]);
		err = parse_kw(k, argv[i + 1], d, e);
		if (err)
			return err;
	}
	return check_combination(d, e);
}

int fg_rule_tokenize(char *line, char **argv, int max, struct fg_perr *e)
{
	char *r = line, *w;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			return n;
		if (n == max)
			return fg_perr(e, "more than %d words", max);
		argv[n++] = w = r;
		if (*r != '"') {
			while (*r && *r != ' ' && *r != '\t')
				r++;
			if (*r)
				*r++ = '\0';
			if (strchr(argv[n - 1], '"'))
				return fg_perr(e, "stray quote in '%s'",
					       argv[n - 1]);
			continue;
		}
		/* "...": unescape in place, w trails r */
		for (r++;; r++) {
			if (!*r)
				return fg_perr(e, "unterminated quote");
			if (*r == '"')
				break;
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r;
		}
		r++;
		if (*r && *r != ' ' && *r != '\t')
			return fg_perr(e, "text right after a closing quote");
		*w = '\0';
		if (*r)
			r++;
	}
}

int fg_rule_parse_line(char *line, unsigned int lineno, struct fg_ruleset *s,
		       struct fg_perr *e)
{
	char *argv[FG_RULE_TOKENS];
	struct fg_rule_def d;
	int argc, err;

	e->line = lineno;
	if (line[strspn(line, " \t")] == '#')
		return 0; /* a comment says what it likes */
	argc = fg_rule_tokenize(line, argv, FG_RULE_TOKENS, e);
	if (argc < 0)
		return argc;
	if (argc == 0)
		return 0;
	err = fg_rule_parse(argc, argv, &d, e);
	if (err)
		return err;
	return fg_ruleset_add(s, &d, lineno) ? fg_perr(e, "out of memory") : 0;
}

/*
 * Split buf into lines. CR before LF is dropped (files written on
 * Windows); the last line needs no newline. NUL bytes and overlong lines
 * are errors, not truncations. Calls fn for every line.
 */
int fg_text_lines(const char *buf, size_t len,
		  int (*fn)(char *line, unsigned int lineno, void *ctx),
		  void *ctx, struct fg_perr *e)
{
	char line[FG_LINE_MAX + 1];
	unsigned int lineno = 0;
	size_t pos = 0, end, l;
	int err;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);

		end = nl ? (size_t)(nl - buf) : len;
		l = end - pos;
		e->line = ++lineno;
		if (l && buf[end - 1] == '\r')
			l--;
		if (l > FG_LINE_MAX)
			return fg_perr(e, "line longer than %d bytes",
				       FG_LINE_MAX);
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		if (strlen(line) != l)
			return fg_perr(e, "NUL byte in the line");
		err = fn(line, lineno, ctx);
		if (err)
			return err;
		pos = end + 1;
	}
	return 0;
}

struct text_ctx {
	struct fg_ruleset *s;
	struct fg_perr *e;
};

static int rule_line(char *line, unsigned int lineno, void *c)
{
	struct text_ctx *t = c;

	if (t->s->n >= FG_RULE_MAX && strspn(line, " \t") != strlen(line) &&
	    line[strspn(line, " \t")] != '#')
		return fg_perr(t->e, "more than %u rules", FG_RULE_MAX);
	return fg_rule_parse_line(line, lineno, t->s, t->e);
}

int fg_rules_parse_text(const char *buf, size_t len, struct fg_ruleset *s,
			struct fg_perr *e)
{
	struct text_ctx t = {s, e};
	int err;

	memset(e, 0, sizeof(*e));
	err = fg_text_lines(buf, len, rule_line, &t, e);
	if (!err)
		err = fg_ruleset_check(s, e);
	return err;
}
