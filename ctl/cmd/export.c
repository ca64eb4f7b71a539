// SPDX-License-Identifier: GPL-2.0
/*
 * flowgate export collector URL... [file PATH] [OPTIONS]: the IPFIX export
 * daemon, in the foreground. It sweeps the pinned flow tables every tick
 * (1 s), sends to every collector, and publishes its counters in the pinned
 * map fg_expstats for `flowgate stats`. SIGTERM/SIGINT export every pending
 * delta (flowEndReason forced end) and exit; SIGHUP re-opens the file
 * output, re-sends templates and options, and reconnects TCP collectors now.
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
#include "cfgfile.h"

#define DRAIN_MS 5000 /* shutdown: time given to TCP collectors */

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
	if (!v[6] || strlen(v) >= FG_EXP_URL_LEN)
		return fg_usage("collector '%s': bad address", v);
	if (s->nurls >= FG_EXP_MAX_OUTS - 1)
		return fg_usage("at most %d collectors", FG_EXP_MAX_OUTS - 1);
	snprintf(s->urls[s->nurls++], FG_EXP_URL_LEN, "%s", v);
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
	for (i = 0; i < x->ncollectors && s->nurls < FG_EXP_MAX_OUTS - 1; i++)
		snprintf(s->urls[s->nurls++], FG_EXP_URL_LEN, "%s",
			 x->collector[i]);
	s->active_s = x->active_timeout;
	s->idle_s = x->idle_timeout;
	s->refresh_s = x->template_refresh;
	s->domain = x->domain;
	s->mtu = x->mtu;
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

/* ---- the daemon ---------------------------------------------------------- */

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

struct daemon {
	struct fg_exp_settings set;
	struct fg_exp_maps maps;
	struct fg_exporter *e;
	int stats_fd;
	__u32 flows_id; /* the table we sweep, to notice a new one */
	__u64 started_ms;
	int argc; /* the command line, read again on SIGHUP */
	char **argv;
};

/* Open a pinned map of ours, or create and pin it. */
static int own_map(const char *name, enum bpf_map_type type, __u32 ksz,
		   __u32 vsz, __u32 max)
{
	char path[4096];
	int fd = fg_map_open(name), err;

	/* The counters of an exporter of another version (another layout):
	 * replaced, they are only counters. */
	if (fd >= 0 && type == BPF_MAP_TYPE_ARRAY &&
	    fg_map_value_size(fd) != vsz &&
	    !fg_pin_path(path, sizeof(path), name)) {
		close(fd);
		unlink(path);
		fd = -ENOENT;
	}
	if (fd >= 0 || fd != -ENOENT)
		return fd;
	fd = bpf_map_create(type, name, ksz, vsz, max, NULL);
	if (fd < 0)
		return -errno;
	err = fg_pin_path(path, sizeof(path), name);
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (!err)
		chmod(path, 0600);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static void close_maps(struct fg_exp_maps *m, int *stats_fd)
{
	int *fds[] = {&m->flows, &m->overflow, &m->ifstats, &m->config,
		      &m->state, &m->ifaces,   stats_fd};
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* -ENOENT while flowgate is not attached. */
static int open_maps(struct daemon *d)
{
	struct fg_exp_maps *m = &d->maps;

	m->flows = fg_map_open("fg_flows");
	if (m->flows < 0)
		return m->flows;
	m->overflow = fg_map_open("fg_overflow");
	m->ifstats = fg_map_open("fg_ifstats");
	m->config = fg_map_open("fg_config");
	m->ifaces = fg_map_open("fg_ifaces");
	m->max_flows = fg_pinned_max_flows();
	m->state = own_map("fg_expstate", BPF_MAP_TYPE_HASH,
			   sizeof(struct fg_flow_key),
			   sizeof(struct fg_exp_shadow), m->max_flows + 4096);
	d->stats_fd = own_map("fg_expstats", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			      sizeof(struct fg_exp_stats), 1);
	d->flows_id = fg_map_id(m->flows);
	if (m->state < 0)
		return fg_error(m->state, "cannot keep the export state: %s",
				fg_strerr(m->state));
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

static void publish(struct daemon *d, bool running)
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
#define elog(level, event, fields, fmt, ...)                                  \
	do {                                                                  \
		char t_[512];                                                 \
		snprintf(t_, sizeof(t_), fmt, __VA_ARGS__);                   \
		fg_logt(level, event, t_, fields, __VA_ARGS__);               \
	} while (0)

static int sweep(struct daemon *d, bool forced)
{
	int err = fg_exporter_sweep(d->e, clock_ns(CLOCK_MONOTONIC),
				    clock_ns(CLOCK_REALTIME) / 1000000, forced);

	if (err)
		elog(FG_LOG_ERR, "sweep_failed", "error=%s",
		     "Error: export: reading the flow table: %s", fg_strerr(err));
	publish(d, !forced);
	return err;
}

/* Wait for the pinned state (flowgate attached), then start exporting. */
static int start(struct daemon *d)
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
		err = fg_exporter_new(&d->e, &d->set, &d->maps);
	if (!err && said)
		elog(FG_LOG_INFO, "state_found", "pin_dir=%s",
		     "export: flowgate state found, exporting%.0s",
		     fg_pin_dir());
	return err;
}

static void stop(struct daemon *d)
{
	fg_exporter_free(d->e);
	d->e = NULL;
	close_maps(&d->maps, &d->stats_fd);
}

/* detach (or a re-attach) replaced the pinned table: finish the old one. */
static bool state_replaced(struct daemon *d)
{
	int fd = fg_map_open("fg_flows");
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

static void service_all(struct daemon *d, int timeout_ms)
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

static void drain(struct daemon *d)
{
	__u64 until = clock_ns(CLOCK_MONOTONIC) / 1000000 + DRAIN_MS;
	int i, busy = 1;

	while (busy && clock_ns(CLOCK_MONOTONIC) / 1000000 < until) {
		service_all(d, 50);
		busy = 0;
		for (i = 0; i < fg_exporter_nouts(d->e); i++)
			busy |= !fg_out_idle(fg_exporter_out(d->e, i));
	}
}

/*
 * SIGHUP: settings re-read (config file, command line). Unchanged: the
 * templates and options go again. Changed: the exporter is rebuilt with
 * them; the export shadow is already mirrored in fg_expstate after every
 * sweep, so the new one continues where the old one stopped.
 */
static void hup(struct daemon *d)
{
	struct fg_exp_settings s;
	char t[256];
	int i;

	sig_hup = 0;
	if (settings_load(d->argc, d->argv, &s)) {
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

static int run(struct daemon *d)
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

int do_export(int argc, char **argv)
{
	struct daemon d = {.stats_fd = -1};
	int err;

	d.maps = (struct fg_exp_maps){.flows = -1,
				      .overflow = -1,
				      .ifstats = -1,
				      .config = -1,
				      .state = -1,
				      .ifaces = -1,
				      .take_prog = -1};
	d.argc = argc;
	d.argv = argv;
	err = settings_load(argc, argv, &d.set);
	if (err)
		return err;
	err = fg_check_caps(FG_NEED_BPF);
	if (!err)
		err = fg_ensure_bpffs();
	if (err)
		return err;
	fg_libs_init();
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
