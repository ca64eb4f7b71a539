// SPDX-License-Identifier: GPL-2.0
/*
 * flowgate export collector URL... [file PATH] [OPTIONS]: the IPFIX export
 * daemon (ctl/export/exp_daemon.c), in the foreground, with its settings
 * from the command line and the config file's [export] section, read again
 * on SIGHUP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "cmds.h"
#include "export.h"
#include "cfgfile.h"

static int parse_size(const char *v, __u64 *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || v[0] == '-')
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		n <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		n <<= 30, end++;
	if (*end || n < 65536 || n > (1ull << 34))
		return -EINVAL;
	*out = n;
	return 0;
}

static int add_url(struct fg_exp_settings *s, const char *v)
{
	if (strncmp(v, "udp://", 6) && strncmp(v, "tcp://", 6))
		return fg_usage("collector '%s': want udp://HOST[:PORT] or "
				"tcp://HOST[:PORT]",
				v);
	if (!v[6] || strlen(v) >= FG_URL_LEN)
		return fg_usage("collector '%s': bad address", v);
	if (s->nurls >= FG_MAX_COLLECTORS)
		return fg_usage("at most %d collectors", FG_MAX_COLLECTORS);
	snprintf(s->urls[s->nurls++], FG_URL_LEN, "%s", v);
	return 0;
}

static int samp_style(const char *v)
{
	static const char *const n[] = {"legacy", "psamp", "both", "off"};
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(v, n[i]))
			return i + 1;
	return -1;
}

/* One keyword and its value. */
static int export_kw(struct fg_exp_settings *s, const char *kw, const char *v)
{
	__u32 n;

	if (!strcmp(kw, "collector"))
		return add_url(s, v);
	if (!strcmp(kw, "file")) {
		if (!v[0] || strlen(v) >= sizeof(s->file))
			return fg_usage("file: bad path");
		snprintf(s->file, sizeof(s->file), "%s", v);
		return 0;
	}
#define U32_KW(name, field, lo, hi)                                      \
	if (!strcmp(kw, name)) {                                         \
		if (fg_parse_u32(v, lo, hi, &n))                         \
			return fg_usage(name " '%s': want %u..%u", v,    \
					(unsigned)(lo), (unsigned)(hi)); \
		s->field = n;                                            \
		return 0;                                                \
	}
	U32_KW("active-timeout", active_s, 1, 86400)
	U32_KW("idle-timeout", idle_s, 1, 86400)
	U32_KW("template-refresh", refresh_s, 1, 3600)
	U32_KW("domain", domain, 0, 0xffffffffu)
	U32_KW("mtu", mtu, 576, 65535)
	U32_KW("tcp-flags-octets", tcp_flags_len, 1, 2)
	U32_KW("enterprise", pen, 0, 0xffffffffu)
	U32_KW("interval", tick_ms, 100, 60000)
#undef U32_KW
	if (!strcmp(kw, "spool")) {
		if (parse_size(v, &s->spool_bytes))
			return fg_usage("spool '%s': want 64k..16g", v);
		return 0;
	}
	if (!strcmp(kw, "config")) {
		if (!v[0] || strlen(v) >= sizeof(s->config))
			return fg_usage("config: bad path");
		snprintf(s->config, sizeof(s->config), "%s", v);
		return 0;
	}
	if (!strcmp(kw, "rtt")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return fg_usage("rtt '%s': want on or off", v);
		s->rtt = !strcmp(v, "on");
		return 0;
	}
	if (!strcmp(kw, "sampling-announce")) {
		int st = samp_style(v);

		if (st < 0)
			return fg_usage("sampling-announce '%s': want legacy, "
					"psamp, both or off",
					v);
		s->samp_style = st;
		return 0;
	}
	return fg_usage("unknown export option '%s'", kw);
}

/* Keywords only, no check of the whole: the config file may add to them. */
static int args_apply(int argc, char **argv, struct fg_exp_settings *s)
{
	int i, err;

	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return fg_usage("%s needs a value", argv[i]);
		err = export_kw(s, argv[i], argv[i + 1]);
		if (err)
			return err;
	}
	return 0;
}

static int settings_check(const struct fg_exp_settings *s)
{
	if (!s->nurls && !s->file[0])
		return fg_usage("export needs a collector or a file");
	if (s->idle_s > s->active_s)
		return fg_usage("idle-timeout (%u) above active-timeout (%u)",
				s->idle_s, s->active_s);
	return 0;
}

int fg_args_export(int argc, char **argv, struct fg_exp_settings *s)
{
	int err = args_apply(argc, argv, s);

	return err ? err : settings_check(s);
}

/* The [export] section of the daemon's config file (ctl/daemon/cfgfile.c). */
static void apply_section(struct fg_exp_settings *s,
			  const struct fg_cfg_export *x)
{
	int i;

	if (!x->present)
		return;
	for (i = 0; i < x->ncollectors && s->nurls < FG_MAX_COLLECTORS; i++)
		snprintf(s->urls[s->nurls++], FG_URL_LEN, "%s",
			 x->collector[i]);
	fg_exp_settings_from_cfg(s, x);
}

/*
 * The settings in force: defaults, then the config file's [export] section
 * (if `config FILE`), then the command line, which wins. Run again on
 * SIGHUP; a file that does not parse changes nothing.
 */
static int settings_load(int argc, char **argv, struct fg_exp_settings *s)
{
	struct fg_daemon_cfg c;
	int err;

	fg_exp_settings_default(s);
	err = args_apply(argc, argv, s);
	if (err || !s->config[0])
		return err ? err : settings_check(s);
	/* The daemon's own reading: the same checks, the same messages. */
	err = fg_daemon_cfg_load(s->config, &c);
	if (err)
		return err;
	fg_exp_settings_default(s);
	apply_section(s, &c.export);
	fg_daemon_cfg_free(&c);
	err = args_apply(argc, argv, s); /* the command line wins */
	return err ? err : settings_check(s);
}

struct cmdline {
	int argc;
	char **argv;
};

static int reload(struct fg_exp_settings *s, void *ctx)
{
	const struct cmdline *c = ctx;

	return settings_load(c->argc, c->argv, s);
}

static int do_export(int argc, char **argv)
{
	struct cmdline c = {argc, argv};
	struct fg_exp_settings s;
	int err;

	err = settings_load(argc, argv, &s);
	if (err)
		return err;
	err = fg_check_caps(FG_NEED_BPF);
	if (!err)
		err = fg_ensure_bpffs();
	if (err)
		return err;
	fg_libs_init();
	return fg_exp_daemon_run(&s, reload, &c);
}

static const struct fg_verb export_verbs[] = {
	FG_VERB(NULL, do_export,
		"collector udp://|tcp://HOST[:PORT]... [file PATH] "
		"[active-timeout S] [idle-timeout S] [template-refresh S] "
		"[domain ID] [mtu N] [spool SIZE] [tcp-flags-octets 1|2] "
		"[enterprise PEN] [sampling-announce legacy|psamp|both|off] "
		"[rtt on|off] [interval MS] [config FILE]",
		"the IPFIX exporter, in the foreground, until SIGTERM"),
	{},
};

const struct fg_cmd fg_cmd_export = {"export", export_verbs};
