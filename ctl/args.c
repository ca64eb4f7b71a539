// SPDX-License-Identifier: GPL-2.0
/* Names and numbers on the command line: checks, actions, profiles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "fg_parse.h"

static const char *const reason_names[FG_R_MAX] = {
	[FG_R_NONE] = "none",
#define FG_X_NAME(code, e, name, def, strict, cls, desc) [FG_R_##e] = name,
	FG_REASONS(FG_X_NAME)
#undef FG_X_NAME
};

static const char *const reason_descs[FG_R_MAX] = {
	[FG_R_NONE] = "no check fired",
#define FG_X_DESC(code, e, name, def, strict, cls, desc) [FG_R_##e] = desc,
	FG_REASONS(FG_X_DESC)
#undef FG_X_DESC
};

static const __u8 reason_classes[FG_R_MAX] = {
#define FG_X_CLASS(code, e, name, def, strict, cls, desc)                     \
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

int fg_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would take "-1", "+1" and " 1": only digits are numbers */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

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

void fg_config_apply_profile(struct fg_config *cfg, __u32 profile)
{
	__u32 r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FG_CONFIG_VERSION;
	cfg->profile = profile;
	for (r = 1; r < FG_R_MAX; r++)
		cfg->act[r] = fg_profile_action(profile, r);
}

__u8 fg_config_action(const struct fg_config *cfg, __u32 r)
{
	return fg_action(cfg, r);
}

/* attach DEV [mode native|skb] [hook xdp|tc] [max-flows N] */
int fg_args_attach(int argc, char **argv, struct fg_attach_args *a)
{
	const char *kw, *val;
	int i;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return fg_usage("attach needs a device: attach DEV [mode "
				"native|skb] [hook xdp|tc] [max-flows N]");
	a->dev = argv[0];
	a->mode = FG_MODE_NATIVE;
	a->hook = FG_HOOK_XDP;
	for (i = 1; i < argc; i += 2) {
		kw = argv[i];
		val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(kw, "mode") && strcmp(kw, "hook") &&
		    strcmp(kw, "max-flows"))
			return fg_usage("unknown argument '%s' to attach", kw);
		if (!val)
			return fg_usage("%s needs a value", kw);
		if (!strcmp(kw, "mode") && !strcmp(val, "native"))
			a->mode = FG_MODE_NATIVE;
		else if (!strcmp(kw, "mode") && !strcmp(val, "skb"))
			a->mode = FG_MODE_SKB;
		else if (!strcmp(kw, "mode"))
			return fg_usage("unknown mode '%s' (native or skb)",
					val);
		else if (!strcmp(kw, "hook") && !strcmp(val, "xdp"))
			a->hook = FG_HOOK_XDP;
		else if (!strcmp(kw, "hook") && !strcmp(val, "tc"))
			a->hook = FG_HOOK_TC;
		else if (!strcmp(kw, "hook"))
			return fg_usage("unknown hook '%s' (xdp or tc)", val);
		else if (fg_parse_u32(val, FG_MIN_FLOWS, FG_MAX_FLOWS,
				      &a->max_flows))
			return fg_usage("max-flows must be a number from %u "
					"to %u",
					FG_MIN_FLOWS, FG_MAX_FLOWS);
	}
	return 0;
}

int fg_args_config_set(int argc, char **argv, const struct fg_config *cur,
		       struct fg_config *cfg)
{
	int r, a, p;

	if (argc == 2 && !strcmp(argv[0], "profile")) {
		p = fg_profile_by_name(argv[1]);
		if (p < 0)
			return fg_usage("unknown profile '%s' (default, "
					"monitor or strict)",
					argv[1]);
		fg_config_apply_profile(cfg, p);
		cfg->sampling = cur->sampling;
		cfg->flags = cur->flags;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[0], "check")) {
		r = fg_reason_by_name(argv[1]);
		if (r < 0)
			return fg_usage("unknown check '%s' (see 'flowgate "
					"config show')",
					argv[1]);
		a = fg_action_by_name(argv[2]);
		if (a < 0)
			return fg_usage("unknown action '%s' (off, count or "
					"drop)",
					argv[2]);
		*cfg = *cur;
		/* A config never written by us is the default profile. */
		if (cfg->version != FG_CONFIG_VERSION) {
			fg_config_apply_profile(cfg, FG_PROFILE_DEFAULT);
			cfg->sampling = cur->sampling;
			cfg->flags = cur->flags;
		}
		cfg->act[r] = a;
		cfg->override |= 1ULL << r;
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "sampling")) {
		__u32 n;

		if (fg_parse_u32(argv[1], 1, 1u << 30, &n))
			return fg_usage("sampling takes N in 1 in N, from 1 "
					"(every packet) to 2^30");
		*cfg = *cur;
		cfg->sampling = n == 1 ? 0 : n;
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "drop-flows")) {
		*cfg = *cur;
		if (!strcmp(argv[1], "on"))
			cfg->flags &= ~FG_CFG_NO_DROP_FLOWS;
		else if (!strcmp(argv[1], "off"))
			cfg->flags |= FG_CFG_NO_DROP_FLOWS;
		else
			return fg_usage("drop-flows takes on or off");
		return 0;
	}
	return fg_usage("usage: config set check NAME off|count|drop | "
			"config set profile default|monitor|strict | "
			"config set sampling N | config set drop-flows on|off");
}

#define REPLAY_USE                                                           \
	"replay PCAP [max-flows N] [ipfix FILE] [collector URL]... "         \
	"[active-timeout S] [idle-timeout S] [config FILE]"

/* A timeout in seconds, as `flowgate export` takes it. */
static int replay_timeout(const char *kw, const char *v, __u32 *out)
{
	if (fg_parse_u32(v, 1, 86400, out))
		return fg_usage("%s must be a number of seconds from 1 to "
				"86400",
				kw);
	return 0;
}

static bool replay_known(const char *kw)
{
	static const char *const kws[] = { "max-flows", "ipfix", "config",
					   "collector", "active-timeout",
					   "idle-timeout" };
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (!strcmp(kw, kws[i]))
			return true;
	return false;
}

/* One KEYWORD VALUE pair of replay. */
static int replay_kw(struct fg_replay_args *a, const char *kw, const char *v)
{
	char msg[160];

	if (!strcmp(kw, "max-flows")) {
		if (fg_parse_u32(v, FG_MIN_FLOWS, FG_MAX_FLOWS, &a->max_flows))
			return fg_usage("max-flows must be a number from %u "
					"to %u",
					FG_MIN_FLOWS, FG_MAX_FLOWS);
		return 0;
	}
	if (!strcmp(kw, "ipfix") || !strcmp(kw, "config")) {
		if (!v[0] || strlen(v) >= 256)
			return fg_usage("%s: bad file name", kw);
		*(kw[0] == 'i' ? &a->ipfix : &a->config) = v;
		return 0;
	}
	if (!strcmp(kw, "collector")) {
		if (a->ncollectors == FG_REPLAY_MAX_COLLECTORS)
			return fg_usage("at most %d collectors",
					FG_REPLAY_MAX_COLLECTORS);
		if (fg_cfg_collector_parse(v, a->collector[a->ncollectors],
					   sizeof(a->collector[0]), msg,
					   sizeof(msg)))
			return fg_usage("%s", msg);
		a->ncollectors++;
		return 0;
	}
	if (!strcmp(kw, "active-timeout"))
		return replay_timeout(kw, v, &a->active_s);
	if (!strcmp(kw, "idle-timeout"))
		return replay_timeout(kw, v, &a->idle_s);
	return fg_usage("unexpected argument '%s' (usage: %s)", kw,
			REPLAY_USE);
}

/* replay PCAP [max-flows N] [ipfix FILE] [collector URL]...
 * [active-timeout S] [idle-timeout S] [config FILE] */
int fg_args_replay(int argc, char **argv, struct fg_replay_args *a)
{
	int i, err;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return fg_usage("replay needs a capture file: %s", REPLAY_USE);
	if (argv[0][0] == '-' && argv[0][1])
		return fg_usage("unknown option '%s' (usage: %s)", argv[0],
				REPLAY_USE);
	a->path = argv[0];
	for (i = 1; i < argc; i += 2) {
		if (i + 1 == argc && replay_known(argv[i]))
			return fg_usage("%s needs a value", argv[i]);
		err = replay_kw(a, argv[i], i + 1 < argc ? argv[i + 1] : "");
		if (err)
			return err;
	}
	if (a->active_s && a->idle_s > a->active_s)
		return fg_usage("idle-timeout (%u) above active-timeout (%u)",
				a->idle_s, a->active_s);
	return 0;
}
