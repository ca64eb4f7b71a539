// SPDX-License-Identifier: GPL-2.0
/* The rules in force and their counters, for readers (rule list and save,
 * the metrics endpoint). */
#include <string.h>
#include "fg.h"
#include "rules.h"

int fg_rule_read_current(struct fg_ruleset *s, __u32 *gen,
			 struct fg_rule_fds *fds)
{
	int lock, err;

	memset(s, 0, sizeof(*s));
	*gen = 0;
	fds->ctl = -1;
	if (!fg_state_exists())
		return 0;
	/* A reader waits for a writer half-way through a switch. */
	lock = fg_rule_lock(false);
	if (lock < 0)
		return lock;
	err = fg_rule_fds_open(fds);
	if (!err) {
		err = fg_rule_read(fds, s, gen);
		if (err) {
			fg_rule_fds_close(fds);
			fds->ctl = -1;
		}
	}
	fg_rule_unlock(lock);
	return err;
}
