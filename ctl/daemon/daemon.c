// SPDX-License-Identifier: GPL-2.0
/*
 * The config daemon: keep flowgate's settings and rules equal to a file
 * that configuration management (or a Kubernetes ConfigMap) owns.
 *
 * The daemon watches the file's directory with inotify, not the file:
 * editors and config tools replace a file by renaming a new one over it,
 * and a ConfigMap volume swaps a symlink (..data) in that directory, so
 * the file's own inode never changes. Any event there makes it read the
 * file again; when the content is new it is parsed and checked as a
 * whole, and only then applied: one update of fg_config (profile,
 * checks, sampling, drop-flows) and one switch of the rule set. A file
 * that does not parse changes nothing; its error is logged once, and
 * again only when the file changes. SIGHUP forces a re-read and a
 * re-apply. The state under the pin directory may be removed (purge) and
 * made again: the daemon notices within FG_DAEMON_POLL_MS and applies the
 * file again.
 *
 * A change by hand (`config set`, `config reset`, `rule add`, ...) is not
 * undone: it may be an operator's answer to an attack, and the file is
 * not the only one who knows better. It is drift: on the same periodic
 * check the daemon compares the settings and rules in force with what it
 * applied, logs one line naming what differs (again only when that
 * changes, and once when they are equal again), and keeps it in its
 * record (pinned fg_cfgdaemon) for `status`. The next version of the
 * file, or SIGHUP, applies the file again and ends the drift.
 *
 * Log lines go to stderr, one per event.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <bpf/bpf.h>
#include "fg.h"
#include "cfgfile.h"
#include "export.h"

#define FG_DAEMON_POLL_MS 2000
/* Events come in bursts (write, close, rename): wait for the last. */
#define FG_DAEMON_SETTLE_MS 100

struct cfg_daemon {
	const char *path;
	__u64 applied;	/* hash of the content in force, 0: none */
	__u64 rejected; /* hash of the last content refused */
	int read_err;	/* last errno reading the file, logged once */
	__u32 ctl_id;	/* map ID of fg_rule_ctl we applied to */
	struct fg_cfg_export export; /* [export] in force */
	bool export_known;
	/* What apply() left in force, to notice changes by hand. */
	struct fg_config cfg;
	__u64 rules_fp;
	struct fg_daemon_rec rec; /* published in FG_MAP_CFGDAEMON */
	int rec_fd;
};

/* "flowgate daemon: TEXT" in the text log, event and fields in JSON. */
#define dlog(event, fields, fmt, ...)                                 \
	do {                                                          \
		char t_[512];                                         \
		snprintf(t_, sizeof(t_), "flowgate daemon: " fmt,     \
			 __VA_ARGS__);                                \
		fg_logt(FG_LOG_INFO, event, t_, fields, __VA_ARGS__); \
	} while (0)

static __u64 fnv1a(const char *b, size_t n)
{
	__u64 h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ (unsigned char)*b++) * 0x100000001b3ull;
	return h | 1; /* never 0, which means "none" */
}

static __u64 now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000ull + t.tv_nsec / 1000000;
}

/* A fingerprint of the rules in force (their text, IDs aside): rules
 * deleted and added again as they were are no drift. */
static int rules_fingerprint(__u64 *fp)
{
	struct fg_ruleset s;
	struct fg_rule_fds fds;
	char buf[1024];
	__u64 h = 0xcbf29ce484222325ull;
	__u32 gen;
	size_t i, n;
	int err;

	err = fg_rule_read_current(&s, &gen, &fds);
	if (err)
		return err;
	if (fds.ctl >= 0)
		fg_rule_fds_close(&fds);
	for (i = 0; i < s.n; i++) {
		fg_rule_format(&s.r[i], false, buf, sizeof(buf));
		n = strlen(buf);
		buf[n++] = '\n';
		h ^= fnv1a(buf, n);
		h *= 0x100000001b3ull;
	}
	fg_ruleset_free(&s);
	*fp = h;
	return 0;
}

/* Append ", item" (or "item") to list; a full list ends in "...". */
static void list_add(char *list, size_t len, const char *fmt, ...)
{
	size_t n = strlen(list);
	va_list ap;

	if (n + 4 >= len)
		return;
	if (n)
		n += snprintf(list + n, len - n, ", ");
	va_start(ap, fmt);
	if ((size_t)vsnprintf(list + n, len - n, fmt, ap) >= len - n)
		snprintf(list + len - 4, 4, "...");
	va_end(ap);
}

/* What differs between what was applied (a) and what is in force (b). */
static void config_drift(const struct fg_config *a, const struct fg_config *b,
			 char *list, size_t len)
{
	__u32 sa = a->sampling > 1 ? a->sampling : 1;
	__u32 sb = b->sampling > 1 ? b->sampling : 1;
	__u8 x, y;
	__u32 r;

	if (a->profile != b->profile)
		list_add(list, len, "profile %s (file: %s)",
			 fg_profile_name(b->profile),
			 fg_profile_name(a->profile));
	if (sa != sb)
		list_add(list, len, "sampling %u (file: %u)", sb, sa);
	if ((a->flags ^ b->flags) & FG_CFG_NO_DROP_FLOWS)
		list_add(list, len, "drop-flows %s (file: %s)",
			 b->flags & FG_CFG_NO_DROP_FLOWS ? "off" : "on",
			 a->flags & FG_CFG_NO_DROP_FLOWS ? "off" : "on");
	for (r = 1; r < FG_R_MAX; r++) {
		x = fg_config_action(a, r);
		y = fg_config_action(b, r);
		if (x != y)
			list_add(list, len, "check %s %s (file: %s)",
				 fg_reason_name(r), fg_action_name(y),
				 fg_action_name(x));
	}
}

/* The record `status` and the CLI read: made (again) with the state. */
static void rec_publish(struct cfg_daemon *d)
{
	__u32 key = 0;

	if (d->rec_fd < 0)
		d->rec_fd = fg_map_own(FG_MAP_CFGDAEMON, BPF_MAP_TYPE_ARRAY,
				       sizeof(key), sizeof(d->rec), 1);
	if (d->rec_fd >= 0)
		bpf_map_update_elem(d->rec_fd, &key, &d->rec, BPF_ANY);
}

/* What is in force now, as the daemon left it: no drift. */
static void in_force(struct cfg_daemon *d)
{
	if (fg_config_read(&d->cfg) || rules_fingerprint(&d->rules_fp))
		d->rules_fp = 0; /* unknown: no drift is reported */
	d->rec.drift[0] = '\0';
	d->rec.drift_ms = 0;
	if (d->rec_fd >= 0)
		close(d->rec_fd); /* the state may be a new one */
	d->rec_fd = -1;
	rec_publish(d);
}

/* The periodic check: changes by hand since the last apply. */
static void check_drift(struct cfg_daemon *d)
{
	char list[sizeof(d->rec.drift)] = "";
	struct fg_config cur;
	__u64 fp;

	if (!d->applied || !d->rules_fp || fg_config_read(&cur) ||
	    rules_fingerprint(&fp))
		return;
	config_drift(&d->cfg, &cur, list, sizeof(list));
	if (fp != d->rules_fp)
		list_add(list, sizeof(list), "rules");
	if (!strcmp(list, d->rec.drift))
		return;
	if (list[0]) {
		char t[1024];

		snprintf(t, sizeof(t),
			 "flowgate daemon: changed by hand, differs from %s: "
			 "%s; kept until the file changes or SIGHUP",
			 d->path, list);
		fg_logt(FG_LOG_WARN | FG_LOG_NOLIMIT, "drift", t,
			"file=%s\tdiffers=%s", d->path, list);
	} else {
		dlog("drift_end", "file=%s",
		     "settings and rules equal %s again", d->path);
	}
	if (!d->rec.drift[0] || !list[0])
		d->rec.drift_ms = list[0] ? now_ms() : 0;
	snprintf(d->rec.drift, sizeof(d->rec.drift), "%s", list);
	rec_publish(d);
}

/* ID of the pinned fg_rule_ctl: a new ID means the state was made again. */
static __u32 state_id(void)
{
	struct bpf_map_info info;

	return fg_map_info(FG_MAP_RULE_CTL, &info) ? 0 : info.id;
}

/* Everything that can be checked without changing anything: the grammar,
 * the devices, and the rule set's compilation. */
static int check_file(const char *buf, size_t len, struct fg_daemon_cfg *c,
		      struct fg_perr *e)
{
	struct fg_ruleset copy = {};
	struct fg_rule_image img;
	size_t i;
	int err;

	err = fg_cfgfile_parse(buf, len, c, e);
	if (err)
		return err;
	for (i = 0; i < c->rules.n && !err; i++) {
		struct fg_rule_def *r = &c->rules.r[i];

		if (!(r->flags & FG_RF_DEV))
			continue;
		r->ifindex = if_nametoindex(r->dev);
		if (!r->ifindex) {
			e->line = c->rules.line[i];
			snprintf(e->msg, sizeof(e->msg), "no such device '%s'",
				 r->dev);
			err = -ENODEV;
		}
	}
	for (i = 0; i < c->rules.n && !err; i++)
		err = fg_ruleset_add(&copy, &c->rules.r[i], c->rules.line[i]);
	if (!err)
		err = fg_ruleset_assign_ids(&copy, NULL);
	if (err) {
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		e->line = 0;
	}
	if (!err)
		err = fg_rule_compile(&copy, &img, e);
	if (!err)
		fg_rule_image_free(&img);
	fg_ruleset_free(&copy);
	if (err)
		fg_daemon_cfg_free(c);
	return err;
}

/* Once per bad version (and again on SIGHUP): never rate-limited. */
static void log_reject(struct cfg_daemon *d, const struct fg_perr *e)
{
	char t[1024];

	if (e->line)
		snprintf(t, sizeof(t),
			 "Error: %s:%u: %s; the configuration in force stays",
			 d->path, e->line, e->msg);
	else
		snprintf(t, sizeof(t),
			 "Error: %s: %s; the configuration in force stays",
			 d->path, e->msg);
	fg_logt(FG_LOG_ERR | FG_LOG_NOLIMIT, "refused", t,
		"file=%s\tline=%u\terror=%s", d->path, e->line, e->msg);
}

/*
 * The [export] section changed: the exporter (`flowgate export config
 * FILE`, one per pin directory, its pid in fg_expstats) re-reads the file
 * on SIGHUP. Without a running exporter there is nothing to tell.
 */
static void export_changed(struct cfg_daemon *d, const struct fg_cfg_export *x)
{
	struct fg_exp_stats st;
	__u32 key = 0;
	int fd;

	if (d->export_known && !memcmp(x, &d->export, sizeof(*x)))
		return;
	d->export = *x;
	if (!d->export_known) {
		d->export_known = true;
		return; /* the exporter read the same file when it started */
	}
	fd = fg_map_open(FG_MAP_EXPSTATS);
	if (fd < 0)
		return;
	if (!bpf_map_lookup_elem(fd, &key, &st) && st.pid &&
	    !kill(st.pid, SIGHUP))
		dlog("export_notified", "pid=%u",
		     "export settings changed: exporter (pid %u) told to "
		     "re-read them",
		     st.pid);
	close(fd);
}

static int apply(struct cfg_daemon *d, struct fg_daemon_cfg *c)
{
	__u32 gen = 0;
	int err;

	/* Rules first: their switch either happens or changes nothing,
	 * so a failure leaves the whole configuration as it was. */
	err = fg_state_ensure();
	if (!err)
		err = fg_rules_apply(&c->rules, d->path, &gen);
	if (!err) {
		err = fg_config_write(&c->cfg);
		if (err)
			fg_error(err, "cannot write the config: %s",
				 fg_strerr(err));
	}
	if (err)
		return err;
	d->ctl_id = state_id();
	in_force(d);
	export_changed(d, &c->export);
	dlog("applied",
	     "file=%s\tprofile=%s\trules=%zu\tcollectors=%d\tgeneration=%u",
	     "applied %s: profile %s, %zu rules, %d collectors, generation %u",
	     d->path, fg_profile_name(c->cfg.profile), c->rules.n,
	     c->export.ncollectors, gen);
	return 0;
}

/* Once per new error (and on SIGHUP): never rate-limited. */
static void read_failed(const char *path, int err)
{
	const char *why = err == -EFBIG ? "larger than 64 MiB" : fg_strerr(err);
	char t[1024];

	snprintf(t, sizeof(t),
		 "Error: cannot read %s: %s; the configuration in force stays",
		 path, why);
	fg_logt(FG_LOG_ERR | FG_LOG_NOLIMIT, "read_failed", t,
		"file=%s\terror=%s", path, why);
}

/* Read the file; apply it when its content is new (or when forced). */
static void reload(struct cfg_daemon *d, bool force)
{
	struct fg_daemon_cfg c;
	struct fg_perr e = {};
	size_t len;
	char *buf;
	__u64 h;
	int err;

	err = fg_read_file(d->path, &buf, &len);
	if (err) {
		if (err != d->read_err || force)
			read_failed(d->path, err);
		d->read_err = err;
		return;
	}
	d->read_err = 0;
	h = fnv1a(buf, len);
	if (!force && (h == d->applied || h == d->rejected)) {
		free(buf);
		return;
	}
	err = check_file(buf, len, &c, &e);
	free(buf);
	if (err) {
		if (h != d->rejected || force)
			log_reject(d, &e);
		d->rejected = h;
		return;
	}
	err = apply(d, &c);
	fg_daemon_cfg_free(&c);
	d->applied = err ? 0 : h;
	d->rejected = err ? h : 0;
}

static int watch_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return fg_error(-errno, "inotify: %s", strerror(errno));
	if (inotify_add_watch(fd, dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
				      IN_DELETE | IN_MOVED_FROM | IN_ATTRIB |
				      IN_MODIFY) < 0) {
		fg_error(-errno, "cannot watch %s: %s", dir, strerror(errno));
		close(fd);
		return -errno;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int signals_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* One signal: 1 to stop, 0 otherwise (SIGHUP re-applied the file). */
static int on_signal(struct cfg_daemon *d, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo != SIGHUP) {
		dlog("stop", "signal=%u",
		     "stopping on signal %u; rules and settings stay in force",
		     si.ssi_signo);
		return 1;
	}
	dlog("reload", "file=%s", "SIGHUP: reading %s again", d->path);
	reload(d, true);
	return 0;
}

/* A stop: the record goes with the daemon (kill -9 leaves it, and
 * status then says it is not running). */
static void rec_remove(struct cfg_daemon *d)
{
	struct fg_daemon_rec r;
	char path[4096];

	if (d->rec_fd < 0)
		return;
	if (!fg_daemon_rec_read(&r, NULL) && r.pid == d->rec.pid &&
	    !fg_pin_path(path, sizeof(path), FG_MAP_CFGDAEMON))
		unlink(path);
	close(d->rec_fd);
	d->rec_fd = -1;
}

int fg_daemon_run(const char *path)
{
	struct cfg_daemon d = {.path = path, .rec_fd = -1};
	char real[PATH_MAX];
	struct pollfd p[2];
	int ifd, sfd, n;
	__u32 id;

	d.rec.pid = getpid();
	d.rec.started_ms = now_ms();
	/* As status shows it to someone in another directory. */
	snprintf(d.rec.file, sizeof(d.rec.file), "%.255s",
		 path[0] != '/' && realpath(path, real) ? real : path);

	ifd = watch_dir(path);
	if (ifd < 0)
		return ifd;
	sfd = signals_fd();
	if (sfd < 0) {
		close(ifd);
		return fg_error(sfd, "signalfd: %s", strerror(-sfd));
	}
	dlog("start", "file=%s\tpin_dir=%s", "watching %s (pin directory %s)",
	     path, fg_pin_dir());
	reload(&d, true);
	p[0] = (struct pollfd){.fd = ifd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	for (;;) {
		n = poll(p, 2, FG_DAEMON_POLL_MS);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (p[1].revents & POLLIN) && on_signal(&d, sfd))
			break;
		if (n > 0 && (p[0].revents & POLLIN)) {
			usleep(FG_DAEMON_SETTLE_MS * 1000);
			drain(ifd);
			reload(&d, false);
		}
		/* Another state, or none and its directory gone (a detach
		 * still removing pins must not see them made again). */
		id = state_id();
		if (d.applied && id != d.ctl_id &&
		    (id || access(fg_pin_dir(), F_OK))) {
			dlog("state_replaced", "pin_dir=%s\tfile=%s",
			     "the state under %s was removed or made again; "
			     "applying %s again",
			     fg_pin_dir(), path);
			reload(&d, true);
		} else if (id) {
			check_drift(&d);
		}
	}
	rec_remove(&d);
	close(ifd);
	close(sfd);
	return 0;
}

int fg_daemon_rec_read(struct fg_daemon_rec *r, bool *running)
{
	int err = fg_map_get0(FG_MAP_CFGDAEMON, r);

	if (err)
		return err;
	r->file[sizeof(r->file) - 1] = '\0';
	r->drift[sizeof(r->drift) - 1] = '\0';
	if (running)
		*running = r->pid && (!kill(r->pid, 0) || errno == EPERM);
	return 0;
}

void fg_daemon_warn_owner(void)
{
	struct fg_daemon_rec r;
	bool running;

	if (fg_daemon_rec_read(&r, &running) || !running ||
	    r.pid == (__u32)getpid())
		return;
	fprintf(stderr,
		"Warning: flowgate daemon (pid %u) keeps the settings and "
		"rules equal to %s; this change stays until that file "
		"changes or the daemon gets SIGHUP, and the daemon logs it "
		"as drift\n",
		r.pid, r.file);
}

static int check_text(const char *buf, size_t len, void *c, struct fg_perr *e)
{
	return check_file(buf, len, c, e);
}

int fg_daemon_cfg_load(const char *path, struct fg_daemon_cfg *c)
{
	return fg_parse_file(path, check_text, c);
}

/*
 * A private instance (replay) gets what apply() writes to the pinned
 * state: the same rule publication (into an empty set, so no lock: no
 * one else knows these maps) and the same config map value.
 */
int fg_daemon_cfg_apply_obj(struct fg_daemon_cfg *c, struct bpf_object *obj,
			    int config_fd, const char *path)
{
	struct fg_ruleset none = {};
	struct fg_rule_fds fds;
	struct fg_perr e = {};
	__u32 gen = 0, key = 0;
	int err;

	err = fg_rule_fds_from_obj(obj, &fds);
	if (err)
		return fg_error(err, "cannot find the rule maps: %s",
				fg_strerr(err));
	err = fg_ruleset_assign_ids(&c->rules, NULL);
	if (!err)
		err = fg_ruleset_check(&c->rules, &e);
	if (!err)
		err = fg_rule_publish(&fds, &c->rules, &none, &gen, &e);
	fg_rule_fds_close(&fds);
	if (err)
		return e.msg[0]
			       ? fg_error(err, "%s: %s", path, e.msg)
			       : fg_error(err, "%s: cannot apply the rules: %s",
					  path, fg_strerr(err));
	if (bpf_map_update_elem(config_fd, &key, &c->cfg, BPF_ANY))
		return fg_error(-errno, "cannot write the config: %s",
				fg_strerr(-errno));
	return 0;
}
