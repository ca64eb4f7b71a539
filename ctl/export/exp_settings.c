// SPDX-License-Identifier: GPL-2.0
/* The exporter's settings: the defaults, and what the config file's
 * [export] section sets. */
#include <string.h>
#include "fg.h"
#include "exp_settings.h"

void fg_exp_settings_default(struct fg_exp_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->active_s = 60;
	s->idle_s = 15;
	s->refresh_s = 300; /* below ipfixcol2's 600 s session timeout */
	s->domain = 1;
	s->mtu = 1500;
	s->spool_bytes = 16ull << 20;
	s->tick_ms = 1000;
	s->tcp_flags_len = 1; /* what pmacct 1.7.7 reads; flags fit */
	s->samp_style = FG_SAMP_LEGACY;
	s->pen = IPFIX_PEN_DEFAULT;
	s->rtt = true;
}

/* The [export] section's timeouts, template refresh, domain and MTU, if
 * the file has one (its collectors are the caller's to take or not). */
void fg_exp_settings_from_cfg(struct fg_exp_settings *s,
			      const struct fg_cfg_export *x)
{
	if (!x || !x->present)
		return;
	s->active_s = x->active_timeout;
	s->idle_s = x->idle_timeout;
	s->refresh_s = x->template_refresh;
	s->domain = x->domain;
	s->mtu = x->mtu;
}
