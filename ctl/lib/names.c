// SPDX-License-Identifier: GPL-2.0
/* Names users type and read: checks (from FG_REASONS), actions, profiles,
 * protocols and addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fg.h"
#include "fg_parse.h"

static const struct {
	__u8 num;
	const char *name;
} protos[] = {
	{IPPROTO_TCP, "tcp"},	{IPPROTO_UDP, "udp"},
	{IPPROTO_ICMP, "icmp"}, {IPPROTO_ICMPV6, "icmpv6"},
	{IPPROTO_SCTP, "sctp"}, {IPPROTO_GRE, "gre"},
	{IPPROTO_ESP, "esp"},
};

/* The protocol's name, else its number written into buf. */
const char *fg_proto_name(__u8 proto, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* A name from the table or a number 0-255; -EINVAL otherwise. */
int fg_proto_by_name(const char *s)
{
	__u32 n;
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(s, protos[i].name))
			return protos[i].num;
	if (fg_parse_u32(s, 0, 255, &n))
		return -EINVAL;
	return n;
}

/* Text form of a 16-byte address: IPv4-mapped ones as dotted quads. */
void fg_addr_str(const __u8 *a, __u8 ip_ver, char *buf, size_t len)
{
	if (ip_ver == 4)
		inet_ntop(AF_INET, a + 12, buf, len);
	else
		inet_ntop(AF_INET6, a, buf, len);
}

/* Parse an address into the 16-byte form flows use. */
int fg_addr_parse(const char *s, __u8 *out)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -EINVAL;
}

static const char *const reason_names[FG_R_MAX] = {[FG_R_NONE] = "none",
#define FG_X_NAME(code, e, name, def, strict, cls, desc) [FG_R_##e] = name,
						   FG_REASONS(FG_X_NAME)
#undef FG_X_NAME
};

static const char *const reason_descs[FG_R_MAX] = {[FG_R_NONE] =
							   "no check fired",
#define FG_X_DESC(code, e, name, def, strict, cls, desc) [FG_R_##e] = desc,
						   FG_REASONS(FG_X_DESC)
#undef FG_X_DESC
};

static const __u8 reason_classes[FG_R_MAX] = {
#define FG_X_CLASS(code, e, name, def, strict, cls, desc) \
	[FG_R_##e] = FG_CLASS_##cls,
	FG_REASONS(FG_X_CLASS)
#undef FG_X_CLASS
};

static const char *const action_names[] = {
	[FG_ACT_DEFAULT] = "default",
	[FG_ACT_OFF] = "off",
	[FG_ACT_COUNT] = "count",
	[FG_ACT_DROP] = "drop",
};

static const char *const profile_names[FG_PROFILE_MAX] = {
	[FG_PROFILE_DEFAULT] = "default",
	[FG_PROFILE_MONITOR] = "monitor",
	[FG_PROFILE_STRICT] = "strict",
};

int fg_reason_by_name(const char *name)
{
	int r;

	for (r = 1; r < FG_R_MAX; r++)
		if (reason_names[r] && !strcmp(reason_names[r], name))
			return r;
	return -ENOENT;
}

const char *fg_reason_name(__u32 r)
{
	return r < FG_R_MAX && reason_names[r] ? reason_names[r] : "unknown";
}

const char *fg_reason_desc(__u32 r)
{
	return r < FG_R_MAX && reason_descs[r] ? reason_descs[r] : "";
}

/* "malformed" or "policy": see FG_REASONS. */
const char *fg_reason_class(__u32 r)
{
	if (r >= FG_R_MAX || !reason_classes[r])
		return "";
	return reason_classes[r] == FG_CLASS_MALFORMED ? "malformed" : "policy";
}

int fg_action_by_name(const char *name)
{
	int a;

	for (a = FG_ACT_OFF; a <= FG_ACT_DROP; a++)
		if (!strcmp(action_names[a], name))
			return a;
	return -ENOENT;
}

const char *fg_action_name(__u8 a)
{
	return a <= FG_ACT_DROP ? action_names[a] : "unknown";
}

int fg_profile_by_name(const char *name)
{
	int p;

	for (p = 0; p < FG_PROFILE_MAX; p++)
		if (!strcmp(profile_names[p], name))
			return p;
	return -ENOENT;
}

const char *fg_profile_name(__u32 p)
{
	return p < FG_PROFILE_MAX ? profile_names[p] : "unknown";
}

/* Roff text with a backslash escaped; in names a hyphen is a minus, in
 * text a line may break after a slash ("802.1Q/802.1ad" is wider than a
 * narrow column). */
static void roff_str(FILE *f, const char *s, bool name)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-' && name)
			fputs("\\-", f);
		else if (*s == '/' && !name)
			fputs("/\\:", f);
		else
			fputc(*s, f);
	}
}

/* The checks table of the manual (doc/flowgate.8), a tbl table made from
 * FG_REASONS: code, name, action in the default and strict profiles, and
 * what the check catches. Six columns fit 80 terminal columns with two
 * ens between them and the text ragged (.na): justified, a narrow column
 * leaves lines groff cannot adjust. */
void fg_reasons_roff(FILE *f)
{
	__u32 r;

	fputs(".na\n.TS\ntab(@);\nrb2 lb2 lb2 lb2 lb2 lb\nr2 l2 l2 l2 l2 lx.\n"
	      "code@check@default@strict@class@what it catches\n",
	      f);
	for (r = 1; r < FG_R_MAX; r++) {
		fprintf(f, "%u@", r);
		roff_str(f, fg_reason_name(r), true);
		fprintf(f, "@%s@%s@%s@T{\n",
			fg_action_name(
				fg_profile_action(FG_PROFILE_DEFAULT, r)),
			fg_action_name(fg_profile_action(FG_PROFILE_STRICT, r)),
			fg_reason_class(r));
		roff_str(f, fg_reason_desc(r), false);
		fputs("\nT}\n", f);
	}
	fputs(".TE\n.ad\n", f);
}
