// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's config file, parsed without touching any state:
 *
 *	# comment
 *	profile default|monitor|strict
 *	check NAME off|count|drop	(any number, each check once)
 *	sampling N
 *	drop-flows on|off
 *	[export]
 *	collector udp://HOST:PORT	(up to 8)
 *	active-timeout S | idle-timeout S | template-refresh S | domain N
 *	mtu N
 *	[rules]
 *	<one rule per line, the grammar of `flowgate rule add`>
 *
 * Each setting and section at most once. Lines end in LF or CRLF; the last
 * newline is optional.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfgfile.h"

enum section { SEC_TOP, SEC_EXPORT, SEC_RULES };

struct cfg_ctx {
	struct fg_daemon_cfg *c;
	struct fg_perr *e;
	enum section sec;
	unsigned int seen; /* settings and sections given (bits) */
	bool has_profile;
	__u64 checks; /* checks given, by reason bit */
};

/* msg/len variant, for the exported export-section functions. */
static int merr(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int merr(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void fg_cfg_export_default(struct fg_cfg_export *x)
{
	memset(x, 0, sizeof(*x));
	x->active_timeout = 60;
	x->idle_timeout = 15;
	x->template_refresh = 300; /* the exporter's defaults */
	x->domain = 1;
	x->mtu = 1500;
}

static bool host_name_ok(const char *h, size_t n)
{
	size_t i;

	if (!n || n > 253 || h[0] == '-' || h[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		      (h[i] >= 'A' && h[i] <= 'Z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '-' ||
		      h[i] == '.'))
			return false;
	return true;
}

int fg_cfg_collector_parse(const char *url, char *out, size_t outlen, char *msg,
			   size_t len)
{
	char host[256], a6[16];
	const char *h, *end, *colon;
	__u32 port = 4739;
	size_t hl;

	if (!strncmp(url, "udp://", 6) || !strncmp(url, "tcp://", 6))
		h = url + 6;
	else
		return merr(msg, len,
			    "collector '%s': udp://HOST:PORT or "
			    "tcp://HOST:PORT",
			    url);
	if (*h == '[') { /* [IPv6]:port */
		end = strchr(h, ']');
		if (!end)
			return merr(msg, len, "collector '%s': no ']'", url);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return merr(msg, len, "collector '%s': text after ']'",
				    url);
		hl = end - h - 1;
		if (hl >= sizeof(host))
			return merr(msg, len, "collector '%s': bad host", url);
		memcpy(host, h + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, a6) != 1)
			return merr(msg, len,
				    "collector '%s': bad IPv6 "
				    "address '%s'",
				    url, host);
	} else {
		colon = strchr(h, ':');
		hl = colon ? (size_t)(colon - h) : strlen(h);
		if (!host_name_ok(h, hl))
			return merr(msg, len,
				    "collector '%s': bad host (an "
				    "IPv4 address, [IPv6] or a "
				    "name)",
				    url);
		memcpy(host, h, hl);
		host[hl] = '\0';
		/* Digits and dots are an IPv4 address, never a name: four
		 * octets of 0-255 (getaddrinfo would take "10.1" or
		 * "3232235777" and mean something else). */
		if (strspn(host, "0123456789.") == hl &&
		    inet_pton(AF_INET, host, a6) != 1)
			return merr(msg, len,
				    "collector '%s': bad IPv4 address '%s' "
				    "(four numbers from 0 to 255)",
				    url, host);
	}
	if (colon && fg_parse_u32(colon + 1, 1, 65535, &port))
		return merr(msg, len, "collector '%s': bad port (1-65535)",
			    url);
	if (snprintf(out, outlen, "%.3s://%s%s%s:%u", url, *h == '[' ? "[" : "",
		     host, *h == '[' ? "]" : "", port) >= (int)outlen)
		return merr(msg, len, "collector '%s': longer than %zu bytes",
			    url, outlen - 1);
	return 0;
}

static int set_u32(const char *key, const char *val, __u32 min, __u32 max,
		   __u32 *out, char *msg, size_t len)
{
	if (fg_parse_u32(val, min, max, out))
		return merr(msg, len, "%s '%s': a number from %u to %u", key,
			    val, min, max);
	return 0;
}

int fg_cfg_export_set(struct fg_cfg_export *x, const char *key, const char *val,
		      char *msg, size_t len)
{
	if (!strcmp(key, "collector")) {
		if (x->ncollectors == FG_MAX_COLLECTORS)
			return merr(msg, len, "more than %d collectors",
				    FG_MAX_COLLECTORS);
		if (fg_cfg_collector_parse(val, x->collector[x->ncollectors],
					   FG_URL_LEN, msg, len))
			return -EINVAL;
		x->ncollectors++;
		return 0;
	}
	if (!strcmp(key, "active-timeout"))
		return set_u32(key, val, 1, 86400, &x->active_timeout, msg,
			       len);
	if (!strcmp(key, "idle-timeout"))
		return set_u32(key, val, 1, 86400, &x->idle_timeout, msg, len);
	if (!strcmp(key, "template-refresh"))
		return set_u32(key, val, 1, 86400, &x->template_refresh, msg,
			       len);
	if (!strcmp(key, "domain"))
		return set_u32(key, val, 0, UINT32_MAX, &x->domain, msg, len);
	if (!strcmp(key, "mtu"))
		return set_u32(key, val, 576, 65535, &x->mtu, msg, len);
	return merr(msg, len,
		    "unknown export setting '%s' (collector, "
		    "active-timeout, idle-timeout, "
		    "template-refresh, domain, mtu)",
		    key);
}

/* Settings and sections that may appear once: their bit in ctx->seen. */
static const char *const once[] = {"profile",	   "sampling",
				   "drop-flows",   "[export]",
				   "[rules]",	   "active-timeout",
				   "idle-timeout", "template-refresh",
				   "domain",	   "mtu"};

static int once_check(struct cfg_ctx *x, const char *what)
{
	size_t i;

	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		if (strcmp(once[i], what))
			continue;
		if (x->seen & (1u << i))
			return fg_perr(x->e, "%s given twice", what);
		x->seen |= 1u << i;
	}
	return 0;
}

static int top_setting(struct cfg_ctx *x, const char *k, const char *v,
		       const char *v2)
{
	struct fg_config *cfg = &x->c->cfg;
	int r, a;
	__u32 n;

	if (!strcmp(k, "check")) {
		r = fg_reason_by_name(v);
		if (r < 0)
			return fg_perr(x->e, "unknown check '%s'", v);
		a = v2 ? fg_action_by_name(v2) : -ENOENT;
		if (a < 0)
			return v2 ? fg_perr(x->e,
					    "check %s: unknown action '%s' "
					    "(off, count or drop)",
					    v, v2)
				  : fg_perr(x->e,
					    "check %s needs off, count or drop",
					    v);
		if (x->checks & (1ull << r))
			return fg_perr(x->e, "check %s given twice", v);
		x->checks |= 1ull << r;
		cfg->act[r] = a;
		cfg->override |= 1ull << r;
		return 0;
	}
	if (v2)
		return fg_perr(x->e, "%s takes one value", k);
	if (!strcmp(k, "profile")) {
		r = fg_profile_by_name(v);
		if (r < 0)
			return fg_perr(x->e,
				       "unknown profile '%s' (default, "
				       "monitor or strict)",
				       v);
		cfg->profile = r;
		x->has_profile = true;
	} else if (!strcmp(k, "sampling")) {
		if (fg_parse_u32(v, 1, 1u << 30, &n))
			return fg_perr(x->e, "sampling takes N of 1 in N (1 to "
					     "2^30)");
		cfg->sampling = n == 1 ? 0 : n;
	} else if (!strcmp(k, "drop-flows")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return fg_perr(x->e, "drop-flows takes on or off");
		if (!strcmp(v, "off"))
			cfg->flags |= FG_CFG_NO_DROP_FLOWS;
	} else {
		return fg_perr(x->e,
			       "unknown setting '%s' (profile, check, "
			       "sampling, drop-flows, or a section "
			       "[export] / [rules])",
			       k);
	}
	return 0;
}

static int section(struct cfg_ctx *x, const char *name)
{
	if (strcmp(name, "[export]") && strcmp(name, "[rules]"))
		return fg_perr(x->e,
			       "unknown section '%s' ([export] or [rules])",
			       name);
	if (once_check(x, name))
		return -EINVAL;
	if (x->sec == SEC_RULES)
		return fg_perr(x->e, "[rules] must be the last section");
	x->sec = name[1] == 'e' ? SEC_EXPORT : SEC_RULES;
	x->c->export.present |= x->sec == SEC_EXPORT;
	return 0;
}

static int cfg_line(char *line, unsigned int lineno, void *c)
{
	struct cfg_ctx *x = c;
	char *argv[4];
	int argc;
	char first = line[strspn(line, " \t")];

	if (first == '#' || !first)
		return 0;
	if (x->sec == SEC_RULES && first != '[')
		return fg_rule_parse_line(line, lineno, &x->c->rules, x->e);
	argc = fg_rule_tokenize(line, argv, 4, x->e);
	if (argc < 0)
		return argc;
	if (argv[0][0] == '[')
		return argc == 1 ? section(x, argv[0])
				 : fg_perr(x->e, "text after %s", argv[0]);
	if (argc < 2)
		return fg_perr(x->e, "%s needs a value", argv[0]);
	if (argc > 3 || (argc == 3 && strcmp(argv[0], "check")))
		return fg_perr(x->e, "%s takes %s", argv[0],
			       strcmp(argv[0], "check")
				       ? "one value"
				       : "a check and an action");
	if (once_check(x, argv[0]))
		return -EINVAL;
	if (x->sec == SEC_EXPORT)
		return fg_cfg_export_set(&x->c->export, argv[0], argv[1],
					 x->e->msg, sizeof(x->e->msg));
	return top_setting(x, argv[0], argv[1], argc == 3 ? argv[2] : NULL);
}

/* The profile resolves into act[]; explicit checks are kept over it. */
static void finish_config(struct cfg_ctx *x)
{
	struct fg_config *cfg = &x->c->cfg, prof;
	__u32 r;

	fg_config_apply_profile(&prof, cfg->profile);
	for (r = 1; r < FG_R_MAX; r++)
		if (!(cfg->override & (1ull << r)))
			cfg->act[r] = prof.act[r];
	cfg->version = FG_CONFIG_VERSION;
}

int fg_cfgfile_parse(const char *buf, size_t len, struct fg_daemon_cfg *c,
		     struct fg_perr *e)
{
	struct cfg_ctx x = {.c = c, .e = e, .sec = SEC_TOP};
	int err;

	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	fg_cfg_export_default(&c->export);
	err = fg_text_lines(buf, len, cfg_line, &x, e);
	if (!err)
		err = fg_ruleset_check(&c->rules, e);
	if (err) {
		fg_daemon_cfg_free(c);
		return err;
	}
	finish_config(&x);
	return 0;
}

void fg_daemon_cfg_free(struct fg_daemon_cfg *c)
{
	fg_ruleset_free(&c->rules);
}
