// SPDX-License-Identifier: GPL-2.0
/*
 * The capture's selection grammar, shared by `flowgate capture` and
 * `replay PCAP capture FILE`:
 *	[dev DEV] [drops|passes|all] [reason NAME]... [rule ID] [sample N]
 *	[limit PPS [burst N]] [snaplen N] [count N] [duration S]
 *	[capture-ring SIZE] (replay) [write FILE|-] (capture)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "cap.h"

void fg_cap_args_init(struct fg_cap_args *a)
{
	memset(a, 0, sizeof(*a));
	a->verdicts = FG_CAP_DROP;
	a->snaplen = FG_CAP_SNAP_DEFAULT;
}

int fg_cap_parse_size(const char *s, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'g':
	case 'G':
		v <<= 10; /* fall through */
	case 'm':
	case 'M':
		v <<= 10; /* fall through */
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (*end || v > 0xffffffffull)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

int fg_cap_parse_ring(const char *kw, const char *s, __u32 *out)
{
	__u32 v;

	if (fg_cap_parse_size(s, &v) || v < FG_CAP_RING_MIN ||
	    v > FG_CAP_RING_MAX || (v & (v - 1)))
		return fg_usage("%s must be a power of two from %uk to %um "
				"(bytes, or with k or m)",
				kw, FG_CAP_RING_MIN >> 10,
				FG_CAP_RING_MAX >> 20);
	*out = v;
	return 0;
}

static int arg_u32(const char *kw, const char *v, __u32 min, __u32 max,
		   __u32 *out)
{
	if (!v)
		return fg_usage("%s needs a value", kw);
	if (fg_parse_u32(v, min, max, out))
		return fg_usage("%s must be a number from %u to %u", kw, min,
				max);
	return 0;
}

/* Keywords that take a value, and where they are allowed. */
static const struct {
	const char *kw;
	unsigned int where;
} valued[] = {
	{"dev", FG_CAP_LIVE},
	{"reason", FG_CAP_LIVE | FG_CAP_REPLAY},
	{"rule", FG_CAP_LIVE | FG_CAP_REPLAY},
	{"sample", FG_CAP_LIVE | FG_CAP_REPLAY},
	{"limit", FG_CAP_LIVE | FG_CAP_REPLAY},
	{"burst", FG_CAP_LIVE | FG_CAP_REPLAY},
	{"snaplen", FG_CAP_LIVE | FG_CAP_REPLAY},
	{"count", FG_CAP_LIVE | FG_CAP_REPLAY},
	{"duration", FG_CAP_LIVE},
	{"capture-ring", FG_CAP_REPLAY},
	{"write", FG_CAP_LIVE},
};

static int valued_arg(struct fg_cap_args *a, const char *kw, const char *v)
{
	__u32 n;
	int r;

	if (!v)
		return fg_usage("%s needs a value", kw);
	if (!strcmp(kw, "dev") || !strcmp(kw, "write")) {
		if (!v[0] || strlen(v) >= 4096)
			return fg_usage("%s: bad name '%s'", kw, v);
		*(kw[0] == 'd' ? &a->dev : &a->out) = v;
		return 0;
	}
	if (!strcmp(kw, "reason")) {
		r = fg_reason_by_name(v);
		if (r <= 0)
			return fg_usage("unknown reason '%s' (see 'flowgate "
					"config show')",
					v);
		a->checks |= 1u << r;
		return 0;
	}
	if (!strcmp(kw, "rule"))
		return arg_u32(kw, v, 1, 0xffffffffu, &a->rule_id);
	if (!strcmp(kw, "sample"))
		return arg_u32(kw, v, 1, 1000000000u, &a->sample);
	if (!strcmp(kw, "limit"))
		return arg_u32(kw, v, 1, 1000000000u, &a->pps);
	if (!strcmp(kw, "burst"))
		return arg_u32(kw, v, 1, 1000000u, &a->burst);
	if (!strcmp(kw, "snaplen"))
		return arg_u32(kw, v, 1, FG_CAP_SNAP_MAX, &a->snaplen);
	if (!strcmp(kw, "duration"))
		return arg_u32(kw, v, 1, 86400 * 365, &a->duration_s);
	if (!strcmp(kw, "capture-ring"))
		return fg_cap_parse_ring(kw, v, &a->ring);
	/* count */
	if (arg_u32(kw, v, 1, 0xffffffffu, &n))
		return -FG_EUSAGE;
	a->count = n;
	return 0;
}

int fg_cap_arg(int argc, char **argv, int i, struct fg_cap_args *a,
	       unsigned int where)
{
	const char *kw = argv[i];
	size_t k;
	int err;

	if (!strcmp(kw, "drops") || !strcmp(kw, "passes") ||
	    !strcmp(kw, "all")) {
		a->verdicts = kw[0] == 'd'   ? FG_CAP_DROP
			      : kw[0] == 'p' ? FG_CAP_PASS
					     : FG_CAP_ALL;
		return 1;
	}
	for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
		if (strcmp(kw, valued[k].kw) || !(valued[k].where & where))
			continue;
		err = valued_arg(a, kw, i + 1 < argc ? argv[i + 1] : NULL);
		return err ? err : 2;
	}
	return 0;
}

void fg_cap_cfg_make(const struct fg_cap_args *a, struct fg_cap_cfg *cfg)
{
	__u32 burst = a->burst ? a->burst : a->pps;

	memset(cfg, 0, sizeof(*cfg));
	cfg->verdicts = a->verdicts;
	cfg->checks = a->checks;
	cfg->rule_id = a->rule_id;
	cfg->sample = a->sample;
	cfg->snaplen = a->snaplen;
	if (a->pps) {
		cfg->interval_ns = 1000000000ull / a->pps;
		cfg->burst_ns = (__u64)(burst - 1) * cfg->interval_ns;
	}
}
