// SPDX-License-Identifier: GPL-2.0
/*
 * The IPFIX export daemon over the pinned state: it waits for flowgate to
 * be attached, sweeps the pinned flow tables every tick, sends to every
 * output, and publishes its counters in its own pinned map fg_expstats for
 * `flowgate stats`. SIGTERM/SIGINT export every pending delta (flowEndReason
 * forced end) and stop; SIGHUP reloads the settings, re-opens the file
 * output, re-sends templates and options, and reconnects TCP collectors.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "export.h"
#include "flow_src.h"
#include "flowtab.h"
#include "exp_index.h"
#include "rules.h"

#define DRAIN_MS 5000 /* shutdown: time given to TCP collectors */

static volatile sig_atomic_t sig_term, sig_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_term = 1;
}

static void signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static __u64 clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (__u64)t.tv_sec * 1000000000ull + t.tv_nsec;
}

struct exp_daemon {
	struct fg_exp_settings set;
	struct fg_exp_maps maps;
	struct fg_ft ft; /* fg_flowtab mapped, read through maps.flows */
	bool ft_open;
	struct fg_exporter *e;
	int stats_fd;
	__u32 flows_id; /* the table we sweep, to notice a new one */
	__u64 started_ms;
	fg_exp_reload_fn reload; /* the settings again, on SIGHUP */
	void *reload_ctx;
};

static void close_maps(struct exp_daemon *d)
{
	struct fg_exp_maps *m = &d->maps;
	int *fds[] = {&m->overflow, &m->ifstats, &m->config,  &m->state,
		      &m->ifaces,   &m->ovfarr,	 &d->stats_fd};
	size_t i;

	fg_flow_src_free(m->flows);
	m->flows = NULL;
	if (d->ft_open)
		fg_ft_close(&d->ft);
	d->ft_open = false;
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* -ENOENT while flowgate is not attached. */
static int open_maps(struct exp_daemon *d)
{
	struct fg_exp_maps *m = &d->maps;
	int err;

	int fd;

	err = fg_ft_open_pinned(&d->ft);
	if (err == -ENOENT)
		return err;
	if (err)
		return fg_error(err, "cannot map %s: %s", FG_MAP_FLOWTAB,
				fg_strerr(err));
	d->ft_open = true;
	err = fg_flow_src_tab_new(&m->flows, &d->ft, false);
	if (err)
		return fg_error(err, "cannot read %s: %s", FG_MAP_FLOWTAB,
				fg_strerr(err));
	m->overflow = fg_map_open(FG_MAP_OVERFLOW);
	m->ovfarr = fg_map_open(FG_MAP_OVFARR);
	m->ifstats = fg_map_open(FG_MAP_IFSTATS);
	m->config = fg_map_open(FG_MAP_CONFIG);
	m->ifaces = fg_map_open(FG_MAP_IFACES);
	d->stats_fd = fg_map_own(FG_MAP_EXPSTATS, BPF_MAP_TYPE_ARRAY,
				 sizeof(__u32), sizeof(struct fg_exp_stats), 1);
	fd = fg_map_open(FG_MAP_FLOWTAB);
	d->flows_id = fd >= 0 ? fg_map_id(fd) : 0;
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The export state, once we know no other exporter uses it (a migration
 * of its layout under a running one would lose that one's updates). */
static int open_state(struct exp_daemon *d)
{
	int fd = fg_exp_state_open(FG_EXP_ROWS(fg_pinned_max_flows()));

	if (fd < 0)
		return fd;
	d->maps.state = fd;
	return 0;
}

/* Another exporter on the same state would export everything twice. */
static int check_alone(int stats_fd)
{
	struct fg_exp_stats st;
	__u32 key = 0;

	if (stats_fd < 0 || bpf_map_lookup_elem(stats_fd, &key, &st))
		return 0;
	if (st.pid && st.pid != (__u32)getpid() && !kill(st.pid, 0))
		return fg_error(-EBUSY,
				"an exporter (pid %u) already runs on "
				"%s",
				st.pid, fg_pin_dir());
	return 0;
}

static void publish(struct exp_daemon *d, bool running)
{
	struct fg_exp_stats st;
	__u32 key = 0;

	if (d->stats_fd < 0 || !d->e)
		return;
	fg_exporter_stats(d->e, &st);
	st.started_ms = d->started_ms;
	if (!running)
		st.pid = 0;
	bpf_map_update_elem(d->stats_fd, &key, &st, BPF_ANY);
}

/* The exporter's established line in the text log; event and fields in
 * JSON (--log-format json). fields and fmt take the same arguments. */
#define elog(level, event, fields, fmt, ...)                    \
	do {                                                    \
		char t_[512];                                   \
		snprintf(t_, sizeof(t_), fmt, __VA_ARGS__);     \
		fg_logt(level, event, t_, fields, __VA_ARGS__); \
	} while (0)

/* A sweep ends flows by acknowledging what it read: under the pin
 * directory's lock, as `flow flush` does, so that the two never write
 * the same slot's acknowledgement at once (ctl/lib/flowtab.h). */
static int sweep(struct exp_daemon *d, bool forced)
{
	int lock = fg_rule_lock(true);
	__u64 now = clock_ns(CLOCK_MONOTONIC);
	int err = fg_exporter_sweep(
		d->e, now, (now + fg_wall_offset_ns()) / 1000000, forced);

	fg_rule_unlock(lock);

	if (err)
		elog(FG_LOG_ERR, "sweep_failed", "error=%s",
		     "Error: export: reading the flow table: %s",
		     fg_strerr(err));
	publish(d, !forced);
	return err;
}

/* Wait for the pinned state (flowgate attached), then start exporting. */
static int start(struct exp_daemon *d)
{
	bool said = false;
	int err;

	for (;;) {
		err = open_maps(d);
		if (err != -ENOENT)
			break;
		if (!said)
			elog(FG_LOG_INFO, "waiting", "pin_dir=%s",
			     "export: waiting for flowgate state under %s",
			     fg_pin_dir());
		said = true;
		if (sig_term)
			return 1;
		sleep(1);
	}
	if (!err)
		err = check_alone(d->stats_fd);
	if (!err)
		err = open_state(d);
	if (!err)
		err = fg_exporter_new(&d->e, &d->set, &d->maps);
	if (!err && said)
		elog(FG_LOG_INFO, "state_found", "pin_dir=%s",
		     "export: flowgate state found, exporting%.0s",
		     fg_pin_dir());
	return err;
}

static void stop(struct exp_daemon *d)
{
	fg_exporter_free(d->e);
	d->e = NULL;
	close_maps(d);
}

/* detach (or a re-attach) replaced the pinned table: finish the old one. */
static bool state_replaced(struct exp_daemon *d)
{
	int fd = fg_map_open(FG_MAP_FLOWTAB);
	bool same = fd >= 0 && fg_map_id(fd) == d->flows_id;

	if (fd >= 0)
		close(fd);
	if (same)
		return false;
	elog(FG_LOG_INFO, "state_replaced", "pin_dir=%s\tstate=%s",
	     "export: flowgate state under %s %s; flushing", fg_pin_dir(),
	     fd >= 0 ? "replaced" : "removed");
	sweep(d, true);
	return true;
}

static void service_all(struct exp_daemon *d, int timeout_ms)
{
	struct pollfd p[FG_EXP_MAX_OUTS];
	int i, n = 0, nouts = fg_exporter_nouts(d->e);

	for (i = 0; i < nouts; i++) {
		short ev = 0;
		int fd = fg_out_pollfd(fg_exporter_out(d->e, i), &ev);

		if (fd >= 0)
			p[n++] = (struct pollfd){.fd = fd, .events = ev};
	}
	if (timeout_ms > 0)
		poll(p, n, timeout_ms);
	for (i = 0; i < nouts; i++)
		fg_out_service(fg_exporter_out(d->e, i),
			       clock_ns(CLOCK_REALTIME) / 1000000);
}

static void drain(struct exp_daemon *d)
{
	__u64 until = clock_ns(CLOCK_MONOTONIC) / 1000000 + DRAIN_MS;
	int i, busy = 1;

	while (busy && clock_ns(CLOCK_MONOTONIC) / 1000000 < until) {
		service_all(d, 50);
		busy = 0;
		for (i = 0; i < fg_exporter_nouts(d->e); i++)
			busy |= !fg_out_idle(fg_exporter_out(d->e, i));
	}
	/* What is still spooled now is lost: said, and counted. */
	for (i = 0; i < fg_exporter_nouts(d->e); i++) {
		struct fg_out *o = fg_exporter_out(d->e, i);
		const char *url = fg_out_stats(o)->url;
		__u64 n = fg_out_discard(o);
		char t[320];

		if (!n)
			continue;
		snprintf(t, sizeof(t),
			 "export: %s: %llu records still spooled after %d ms "
			 "discarded at shutdown",
			 url, (unsigned long long)n, DRAIN_MS);
		fg_logt(FG_LOG_WARN | FG_LOG_NOLIMIT, "spool_discarded", t,
			"output=%s\trecords=%llu\tdrain_ms=%d", url,
			(unsigned long long)n, DRAIN_MS);
	}
}

/*
 * SIGHUP: settings re-read (config file, command line). Unchanged: the
 * templates and options go again. Changed: the exporter is rebuilt with
 * them; the export shadow is already mirrored in fg_expstate after every
 * sweep, so the new one continues where the old one stopped.
 */
static void hup(struct exp_daemon *d)
{
	struct fg_exp_settings s;
	char t[256];
	int i;

	sig_hup = 0;
	if (d->reload(&s, d->reload_ctx)) {
		elog(FG_LOG_WARN | FG_LOG_NOLIMIT, "reload", "result=%s",
		     "export: SIGHUP: settings not changed%.0s", "refused");
		return;
	}
	if (!memcmp(&s, &d->set, sizeof(s))) {
		elog(FG_LOG_INFO, "reload", "result=%s",
		     "export: SIGHUP: re-sending templates%.0s", "templates");
		for (i = 0; i < fg_exporter_nouts(d->e); i++)
			fg_out_announce(fg_exporter_out(d->e, i));
		return;
	}
	snprintf(t, sizeof(t), "export: SIGHUP: new settings, %d collectors%s",
		 s.nurls, s.file[0] ? " and a file" : "");
	fg_logt(FG_LOG_INFO, "reload", t, "result=new\tcollectors=%d\tfile=%s",
		s.nurls, s.file);
	drain(d);
	fg_exporter_free(d->e);
	d->e = NULL;
	d->set = s;
	if (fg_exporter_new(&d->e, &d->set, &d->maps))
		sig_term = 1; /* said why; nothing more to do than stop */
}

static int run(struct exp_daemon *d)
{
	__u64 next = 0, now;
	int err;

	while (!sig_term) {
		now = clock_ns(CLOCK_MONOTONIC) / 1000000;
		if (now >= next) {
			if (state_replaced(d)) {
				stop(d);
				err = start(d);
				if (err)
					return err == 1 ? 0 : err;
			}
			sweep(d, false);
			next = now + d->set.tick_ms;
		}
		if (sig_hup)
			hup(d);
		/* The sweep took time: wait for what is left of the tick. */
		now = clock_ns(CLOCK_MONOTONIC) / 1000000;
		service_all(d, next > now ? next - now : 1);
	}
	sweep(d, true);
	drain(d);
	publish(d, false);
	return 0;
}

int fg_exp_daemon_run(const struct fg_exp_settings *set,
		      fg_exp_reload_fn reload, void *ctx)
{
	struct exp_daemon d = {.set = *set,
			       .stats_fd = -1,
			       .reload = reload,
			       .reload_ctx = ctx};
	int err;

	d.maps = (struct fg_exp_maps){.overflow = -1,
				      .ifstats = -1,
				      .config = -1,
				      .state = -1,
				      .ifaces = -1,
				      .ovfarr = -1};
	signals();
	d.started_ms = clock_ns(CLOCK_REALTIME) / 1000000;
	err = start(&d);
	if (err == 1)
		return 0; /* SIGTERM while waiting */
	if (!err)
		err = run(&d);
	stop(&d);
	return err;
}
