// SPDX-License-Identifier: GPL-2.0
/*
 * A change of the rule set in force: lock the pin directory, read the set,
 * make the new one, publish it whole (fg_rule_publish). `rule` and the
 * config daemon change rules only through here.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "rules.h"

/* Interface names to indexes, for the rules that name one. */
static int resolve_devs(struct fg_ruleset *s, struct fg_perr *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!(s->r[i].flags & FG_RF_DEV) || s->r[i].ifindex)
			continue;
		s->r[i].ifindex = if_nametoindex(s->r[i].dev);
		if (!s->r[i].ifindex) {
			e->line = s->line[i];
			snprintf(e->msg, sizeof(e->msg), "no such device '%s'",
				 s->r[i].dev);
			return -ENODEV;
		}
	}
	return 0;
}

/* Open the state for a change: made if missing, locked, current set read. */
int fg_rule_tx_begin(struct fg_rule_tx *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->lock = -1;
	err = fg_state_ensure();
	if (err)
		return err;
	t->lock = fg_rule_lock(true);
	if (t->lock < 0)
		return fg_error(t->lock, "cannot lock %s: %s", fg_pin_dir(),
				fg_strerr(t->lock));
	err = fg_rule_fds_open(&t->fds);
	if (err) {
		fg_rule_unlock(t->lock);
		return err;
	}
	err = fg_rule_read(&t->fds, &t->cur, &t->gen);
	if (err) {
		fg_rule_fds_close(&t->fds);
		fg_rule_unlock(t->lock);
		return fg_error(err, "cannot read the rules: %s",
				fg_strerr(err));
	}
	return 0;
}

void fg_rule_tx_end(struct fg_rule_tx *t)
{
	fg_ruleset_free(&t->cur);
	fg_rule_fds_close(&t->fds);
	fg_rule_unlock(t->lock);
}

/* Replace the set in force by s: IDs, devices, checks, then the switch.
 * Errors are printed, with file:line when file is given. */
int fg_rule_tx_commit(struct fg_rule_tx *t, struct fg_ruleset *s,
		      const char *file)
{
	struct fg_perr e = {};
	int err;

	err = fg_ruleset_assign_ids(s, &t->cur);
	if (err)
		return fg_error(err, "no free rule ID (at most %u rules)",
				FG_RULE_MAX);
	err = resolve_devs(s, &e);
	if (!err)
		err = fg_ruleset_check(s, &e);
	if (!err)
		err = fg_rule_publish(&t->fds, s, &t->cur, &t->gen, &e);
	return err ? fg_perr_report(err, file, &e) : 0;
}

int fg_rule_tx_precheck(const struct fg_ruleset *s, const char *file)
{
	struct fg_ruleset copy = {}, none = {};
	struct fg_rule_image img;
	struct fg_perr e = {};
	size_t i;
	int err = 0;

	for (i = 0; i < s->n && !err; i++)
		err = fg_ruleset_add(&copy, &s->r[i], s->line[i]);
	if (err) {
		fg_ruleset_free(&copy);
		return fg_error(err, "out of memory");
	}
	err = fg_ruleset_assign_ids(&copy, &none);
	if (err)
		snprintf(e.msg, sizeof(e.msg),
			 "no free rule ID (at most %u rules)", FG_RULE_MAX);
	if (!err)
		err = resolve_devs(&copy, &e);
	if (!err)
		err = fg_ruleset_check(&copy, &e);
	if (!err)
		err = fg_rule_compile(&copy, &img, &e);
	if (!err)
		fg_rule_image_free(&img);
	fg_ruleset_free(&copy);
	return err ? fg_perr_report(err, file, &e) : 0;
}

int fg_rules_apply(struct fg_ruleset *s, const char *file, __u32 *gen)
{
	struct fg_rule_tx t;
	int err = fg_rule_tx_begin(&t);

	if (err)
		return err;
	err = fg_rule_tx_commit(&t, s, file);
	*gen = t.gen;
	fg_rule_tx_end(&t);
	return err;
}

static int parse_rules(const char *buf, size_t len, void *s, struct fg_perr *e)
{
	int err = fg_rules_parse_text(buf, len, s, e);

	if (err)
		fg_ruleset_free(s);
	return err;
}

/* Parse a rule file; errors printed as FILE:LINE: why. */
int fg_rules_read_file(const char *path, struct fg_ruleset *s)
{
	return fg_parse_file(path, parse_rules, s);
}
