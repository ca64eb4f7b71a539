// SPDX-License-Identifier: GPL-2.0
/*
 * rule add | del | list | flush | load | save. Every change reads the set
 * in force, makes the new one, and replaces the whole set at once
 * (fg_rule_publish): the data path switches from the old set to the new
 * one between two packets, nothing is reloaded. Writers hold a lock on
 * the pin directory, so two changes never interleave.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fg.h"
#include "cmds.h"
#include "rules.h"
#include "cfgfile.h"

/* "80" or "8000-8080": ports are strings in the output, ranges or not. */
static const char *ports_str(__u16 lo, __u16 hi, char *buf, size_t len)
{
	if (lo == hi)
		snprintf(buf, len, "%u", lo);
	else
		snprintf(buf, len, "%u-%u", lo, hi);
	return buf;
}

static void print_rule(const struct fg_rule_def *d, __u32 order,
		       const struct fg_rule_hit *h)
{
	char p[INET6_ADDRSTRLEN + 8], b[24];

	out_obj_open(NULL);
	out_u64("id", d->id);
	if (order)
		out_u64("order", order);
	out_u64("prio", d->prio);
	if (d->flags & FG_RF_SRC) {
		fg_prefix_str(d->src, d->family, d->src_len, p, sizeof(p));
		out_str("src", p);
	}
	if (d->flags & FG_RF_DST) {
		fg_prefix_str(d->dst, d->family, d->dst_len, p, sizeof(p));
		out_str("dst", p);
	}
	if (d->flags & (FG_RF_PROTO | FG_RF_ARP))
		out_str("proto",
			d->flags & FG_RF_ARP
				? "arp"
				: fg_proto_name(d->proto, b, sizeof(b)));
	if (d->flags & FG_RF_SPORT)
		out_str("sport",
			ports_str(d->sport_lo, d->sport_hi, b, sizeof(b)));
	if (d->flags & FG_RF_DPORT)
		out_str("dport",
			ports_str(d->dport_lo, d->dport_hi, b, sizeof(b)));
	if (d->flags & FG_RF_DEV)
		out_str("dev", d->dev);
	out_str("action", fg_rule_action_name(d->action));
	if (d->comment[0])
		out_str("comment", d->comment);
	if (h) {
		out_u64("packets", h->packets);
		out_u64("octets", h->octets);
		if (h->last_ns)
			out_time_ms("last_hit_ms",
				    fg_mono_to_wall_ms(h->last_ns));
		else
			out_null("last_hit_ms");
	}
	out_obj_close();
}

/* Without state, a change is checked before the state is made: one
 * refused leaves no pins (file: for rule load's messages). */
static int first_change(const struct fg_rule_def *d, const struct fg_ruleset *s,
			const char *file)
{
	struct fg_ruleset one = {};
	int err = fg_check_caps(FG_NEED_BPF);

	if (err || fg_state_exists())
		return err;
	if (d) {
		err = fg_ruleset_add(&one, d, FG_LINE_NEW);
		err = err ? fg_error(err, "out of memory")
			  : fg_rule_tx_precheck(&one, NULL);
		fg_ruleset_free(&one);
		return err;
	}
	return fg_rule_tx_precheck(s, file);
}

static int rule_add(int argc, char **argv)
{
	struct fg_ruleset s = {};
	struct fg_perr e = {};
	const struct fg_rule_def **by_id;
	struct fg_rule_def d, *r;
	struct fg_rule_tx t;
	size_t i;
	int err;

	err = fg_rule_parse(argc, argv, &d, &e);
	if (err)
		return fg_usage("%s", e.msg);
	err = first_change(&d, NULL, NULL);
	if (!err)
		err = fg_rule_tx_begin(&t);
	if (err)
		return err;
	for (i = 0; i < t.cur.n && !err; i++)
		err = fg_ruleset_add(&s, &t.cur.r[i], 0);
	if (!err)
		err = fg_ruleset_add(&s, &d, FG_LINE_NEW);
	err = err ? fg_error(err, "out of memory")
		  : fg_rule_tx_commit(&t, &s, NULL);
	if (!err)
		fg_daemon_warn_owner();
	by_id = err ? NULL : fg_ruleset_by_id(&t.cur);
	if (by_id) {
		/* the new rule is the one whose ID was not in force */
		for (i = 0; i < s.n; i++)
			if (!by_id[s.r[i].id])
				break;
		r = &s.r[i < s.n ? i : 0];
		out_begin();
		out_u64("generation", t.gen);
		out_arr_open("rules");
		print_rule(r, i + 1, NULL);
		out_arr_close();
		out_end();
		free(by_id);
	}
	fg_ruleset_free(&s);
	fg_rule_tx_end(&t);
	return err;
}

static int rule_del(int argc, char **argv)
{
	struct fg_ruleset s = {};
	struct fg_rule_tx t;
	__u32 id;
	size_t i;
	int err;

	if (argc != 1 || fg_parse_u32(argv[0], 1, FG_RULE_MAX, &id))
		return fg_usage("rule del takes one rule ID (1-%u)",
				FG_RULE_MAX);
	/* Without state there is no rule: a failed del makes no pins. */
	err = fg_check_caps(FG_NEED_BPF);
	if (!err && !fg_state_exists())
		err = fg_error(-ENOENT, "no rule with ID %u", id);
	if (!err)
		err = fg_rule_tx_begin(&t);
	if (err)
		return err;
	for (i = 0; i < t.cur.n && !err; i++)
		if (t.cur.r[i].id != id)
			err = fg_ruleset_add(&s, &t.cur.r[i], 0);
	if (err)
		err = fg_error(err, "out of memory");
	else if (s.n == t.cur.n)
		err = fg_error(-ENOENT, "no rule with ID %u", id);
	else
		err = fg_rule_tx_commit(&t, &s, NULL);
	if (!err) {
		fg_daemon_warn_owner();
		out_begin();
		out_u64("id", id);
		out_bool("deleted", true);
		out_u64("generation", t.gen);
		out_end();
	}
	fg_ruleset_free(&s);
	fg_rule_tx_end(&t);
	return err;
}

static int rule_flush(int argc, char **argv)
{
	struct fg_ruleset s = {};
	struct fg_rule_tx t;
	size_t n;
	int err;

	if (argc)
		return fg_cmd_usage(&fg_cmd_rule, "flush");
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	if (!fg_state_exists()) {
		/* nothing to flush, and no pins made for it */
		out_begin();
		out_u64("deleted", 0);
		out_u64("generation", 0);
		out_end();
		return 0;
	}
	err = fg_rule_tx_begin(&t);
	if (err)
		return err;
	n = t.cur.n;
	err = fg_rule_tx_commit(&t, &s, NULL);
	if (!err) {
		fg_daemon_warn_owner();
		out_begin();
		out_u64("deleted", n);
		out_u64("generation", t.gen);
		out_end();
	}
	fg_rule_tx_end(&t);
	return err;
}

/* Rules of s whose ID was in force (same match: kept, counters go on). */
static size_t count_kept(const struct fg_ruleset *s,
			 const struct fg_rule_def **old_by_id)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		n += s->r[i].id <= FG_RULE_MAX && old_by_id[s->r[i].id];
	return n;
}

/* rule load FILE [--allow-empty]: the file becomes the whole set. A file
 * without a rule would remove every rule; only said on purpose. */
static int rule_load(int argc, char **argv)
{
	const struct fg_rule_def **by_id = NULL;
	struct fg_ruleset s = {};
	bool allow_empty = false;
	const char *file = NULL;
	struct fg_rule_tx t;
	size_t kept = 0;
	int i, err;

	int files = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--allow-empty")) {
			allow_empty = true;
		} else {
			file = argv[i];
			files++;
		}
	}
	if (files != 1)
		return fg_cmd_usage(&fg_cmd_rule, "load");
	err = fg_rules_read_file(file, &s);
	if (err)
		return err;
	if (!s.n && !allow_empty) {
		fg_ruleset_free(&s);
		return fg_error(-ENODATA,
				"%s has no rule; loading it would remove "
				"every rule (say 'rule load %s --allow-empty' "
				"or 'rule flush' if that is what you mean)",
				file, file);
	}
	err = first_change(NULL, &s, file);
	if (!err)
		err = fg_rule_tx_begin(&t);
	if (err)
		goto out;
	by_id = fg_ruleset_by_id(&t.cur);
	err = by_id ? fg_rule_tx_commit(&t, &s, file)
		    : fg_error(-ENOMEM, "out of memory");
	if (!err) {
		fg_daemon_warn_owner();
		kept = count_kept(&s, by_id);
		out_begin();
		out_str("file", file);
		out_u64("rules", s.n);
		out_u64("added", s.n - kept);
		out_u64("removed", t.cur.n - kept);
		out_u64("kept", kept);
		out_u64("generation", t.gen);
		out_end();
	}
	free(by_id);
	fg_rule_tx_end(&t);
out:
	fg_ruleset_free(&s);
	return err;
}

static int write_rules(FILE *f, const struct fg_ruleset *s, __u32 gen)
{
	char line[512];
	size_t i;

	fprintf(f, "# flowgate rules (generation %u), in evaluation order\n",
		gen);
	for (i = 0; i < s->n; i++) {
		if (fg_rule_format(&s->r[i], true, line, sizeof(line)) < 0)
			return -ENOSPC;
		fprintf(f, "%s\n", line);
	}
	return ferror(f) ? -EIO : 0;
}

/* Where save may write: an absent path or a regular file, reached through
 * symlinks (the link stays, its target is replaced). Anything else (a
 * device, a FIFO, a directory) is refused: renaming over it would destroy
 * it. *st is the existing file's, st_mode 0 when there is none. */
static int save_target(const char *path, char *real, size_t len,
		       struct stat *st)
{
	char *r;

	memset(st, 0, sizeof(*st));
	if (stat(path, st)) {
		if (errno != ENOENT)
			return fg_error(-errno, "cannot write %s: %s", path,
					strerror(errno));
		if (!lstat(path, st))
			return fg_error(-ENOENT,
					"cannot write %s: a symbolic link to "
					"nothing",
					path);
		memset(st, 0, sizeof(*st));
		snprintf(real, len, "%s", path);
		return strlen(path) >= len ? -ENAMETOOLONG : 0;
	}
	if (S_ISDIR(st->st_mode))
		return fg_error(-EISDIR, "cannot write %s: is a directory",
				path);
	if (!S_ISREG(st->st_mode))
		return fg_error(-EINVAL,
				"cannot write %s: not a regular file (use "
				"'rule save -' to write to standard output)",
				path);
	r = realpath(path, NULL);
	if (!r)
		return fg_error(-errno, "cannot write %s: %s", path,
				strerror(errno));
	snprintf(real, len, "%s", r);
	free(r);
	return 0;
}

/* Written next to FILE and renamed over it: a reader (or a crash) sees
 * the old file or the new one. An existing file keeps its mode and
 * owner. */
static int save_file(const char *path, const struct fg_ruleset *s, __u32 gen)
{
	char real[4096], tmp[4096 + 32];
	struct stat st;
	FILE *f;
	int err;

	err = save_target(path, real, sizeof(real), &st);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", real, getpid());
	f = fopen(tmp, "wx");
	if (!f)
		goto fail_open;
	err = write_rules(f, s, gen);
	if (st.st_mode && !err &&
	    (fchown(fileno(f), st.st_uid, st.st_gid) ||
	     fchmod(fileno(f), st.st_mode & 07777)))
		err = -errno;
	if (fflush(f) || fsync(fileno(f)))
		err = err ?: -errno;
	if (fclose(f))
		err = err ?: -errno;
	if (!err && rename(tmp, real))
		err = -errno;
	if (err) {
		unlink(tmp);
		fg_error(err, "cannot write %s: %s", path, strerror(-err));
	}
	return err;
fail_open:
	return fg_error(-errno, "cannot write %s: %s", path, strerror(errno));
}

/* The set in force, read under a shared lock; an empty set without state. */
static int read_current(struct fg_ruleset *s, __u32 *gen,
			struct fg_rule_fds *fds)
{
	int err = fg_rule_read_current(s, gen, fds);

	if (err)
		fg_error(err, "cannot read the rules in %s: %s", fg_pin_dir(),
			 fg_strerr(err));
	return err;
}

static int rule_save(int argc, char **argv)
{
	struct fg_rule_fds fds;
	struct fg_ruleset s;
	__u32 gen;
	int err;

	if (argc != 1)
		return fg_cmd_usage(&fg_cmd_rule, "save");
	err = read_current(&s, &gen, &fds);
	if (err)
		return err;
	if (fds.ctl >= 0)
		fg_rule_fds_close(&fds);
	if (!strcmp(argv[0], "-")) {
		/* the rules themselves are the output, as `nft list ruleset` */
		err = write_rules(stdout, &s, gen);
		if (!err && fflush(stdout))
			err = -errno;
		if (err)
			fg_error(err,
				 "cannot write the rules to standard "
				 "output: %s",
				 strerror(-err));
		fg_ruleset_free(&s);
		return err;
	}
	err = save_file(argv[0], &s, gen);
	if (!err) {
		out_begin();
		out_str("file", argv[0]);
		out_u64("rules", s.n);
		out_u64("generation", gen);
		out_end();
	}
	fg_ruleset_free(&s);
	return err;
}

static int rule_list(int argc, char **argv)
{
	struct fg_config cfg;
	struct fg_rule_fds fds;
	struct fg_rule_hit h;
	struct fg_ruleset s;
	__u32 gen;
	size_t i;
	int err;

	if (argc)
		return fg_cmd_usage(&fg_cmd_rule, "list");
	err = read_current(&s, &gen, &fds);
	if (err)
		return err;
	fg_config_read(&cfg);
	out_begin();
	out_u64("generation", gen);
	/* What a matching drop rule does now (config set check rule). */
	out_str("drop_action",
		fg_action_name(fg_config_action(&cfg, FG_R_RULE)));
	out_u64("count", s.n);
	out_arr_open("rules");
	for (i = 0; i < s.n; i++) {
		if (fg_rule_hits_read(&fds, s.r[i].id, &h))
			memset(&h, 0, sizeof(h));
		print_rule(&s.r[i], i + 1, &h);
	}
	out_arr_close();
	out_end();
	if (fds.ctl >= 0)
		fg_rule_fds_close(&fds);
	fg_ruleset_free(&s);
	return 0;
}

#define RULE_MATCH                                                         \
	"[src PREFIX] [dst PREFIX] [proto P] [sport P[-Q]] [dport P[-Q]] " \
	"[dev DEV] [prio N] action drop|pass|count [comment TEXT]"

static const struct fg_verb rule_verbs[] = {
	FG_VERB("add", rule_add, RULE_MATCH, "add a rule to the set in force",
		.need = FG_NEED_BPF),
	FG_VERB("del", rule_del, "ID", "delete rule ID", .need = FG_NEED_BPF),
	FG_VERB("list", rule_list, NULL,
		"the rules in evaluation order, with hits",
		.need = FG_NEED_BPF),
	FG_VERB("flush", rule_flush, NULL, "delete every rule",
		.need = FG_NEED_BPF),
	FG_VERB("load", rule_load, "FILE [--allow-empty]",
		"replace every rule by FILE's, at once; says what it adds, "
		"removes and keeps (a file without rules: --allow-empty)",
		.need = FG_NEED_BPF),
	FG_VERB("save", rule_save, "FILE|-",
		"write the rules in force to FILE (a regular file, kept "
		"owner and mode) or to standard output",
		.need = FG_NEED_BPF),
	{},
};

const struct fg_cmd fg_cmd_rule = {"rule", rule_verbs};
