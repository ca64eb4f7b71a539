// SPDX-License-Identifier: GPL-2.0
/*
 * Rules as text, for the parser and the set's checks alike: parse errors,
 * prefixes and whole rules written back out (`rule list`, `rule save`).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fg.h"
#include "rules.h"

static const char *const action_names[] = {
	[FG_RULE_DROP] = "drop",
	[FG_RULE_PASS] = "pass",
	[FG_RULE_COUNT] = "count",
};

const char *fg_rule_action_name(__u8 a)
{
	return a >= FG_RULE_DROP && a <= FG_RULE_COUNT ? action_names[a]
						       : "unknown";
}

void fg_prefix_str(const __u8 *a, __u8 family, __u8 len, char *buf, size_t size)
{
	char s[INET6_ADDRSTRLEN];

	if (family == 4)
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
	else
		inet_ntop(AF_INET6, a, s, sizeof(s));
	snprintf(buf, size, "%s/%u", s, len);
}

static int ports_str(char *b, size_t n, const char *kw, __u16 lo, __u16 hi)
{
	return lo == hi ? snprintf(b, n, " %s %u", kw, lo)
			: snprintf(b, n, " %s %u-%u", kw, lo, hi);
}

/* Appends to buf at *pos; keeps track of overflow in *pos > len. */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < len ? buf + *pos : NULL,
		      *pos < len ? len - *pos : 0, fmt, ap);
	va_end(ap);
	*pos += n > 0 ? n : 0;
}

static void put_comment(char *buf, size_t len, size_t *pos, const char *c)
{
	put(buf, len, pos, " comment \"");
	for (; *c; c++)
		put(buf, len, pos, "%s%c", *c == '"' || *c == '\\' ? "\\" : "",
		    *c);
	put(buf, len, pos, "\"");
}

int fg_rule_format(const struct fg_rule_def *d, bool with_id, char *buf,
		   size_t len)
{
	char p[INET6_ADDRSTRLEN + 8], pr[32];
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	if (with_id && d->id)
		put(buf, len, &pos, " id %u", d->id);
	if (d->flags & FG_RF_SRC) {
		fg_prefix_str(d->src, d->family, d->src_len, p, sizeof(p));
		put(buf, len, &pos, " src %s", p);
	}
	if (d->flags & FG_RF_DST) {
		fg_prefix_str(d->dst, d->family, d->dst_len, p, sizeof(p));
		put(buf, len, &pos, " dst %s", p);
	}
	if (d->flags & FG_RF_ARP)
		put(buf, len, &pos, " proto arp");
	if (d->flags & FG_RF_PROTO)
		put(buf, len, &pos, " proto %s",
		    fg_proto_name(d->proto, pr, sizeof(pr)));
	if (d->flags & FG_RF_SPORT) {
		ports_str(pr, sizeof(pr), "sport", d->sport_lo, d->sport_hi);
		put(buf, len, &pos, "%s", pr);
	}
	if (d->flags & FG_RF_DPORT) {
		ports_str(pr, sizeof(pr), "dport", d->dport_lo, d->dport_hi);
		put(buf, len, &pos, "%s", pr);
	}
	if (d->flags & FG_RF_DEV)
		put(buf, len, &pos, " dev %s", d->dev);
	if (d->prio != FG_RULE_PRIO_DEFAULT)
		put(buf, len, &pos, " prio %u", d->prio);
	put(buf, len, &pos, " action %s", fg_rule_action_name(d->action));
	if (d->comment[0])
		put_comment(buf, len, &pos, d->comment);
	if (pos >= len)
		return -ENOSPC;
	/* drop the leading space */
	memmove(buf, buf + 1, pos);
	return pos - 1;
}
