// SPDX-License-Identifier: GPL-2.0
/*
 * metrics listen ADDR:PORT: a foreground daemon
 * serving the counters to Prometheus (GET /metrics) and a health check
 * (GET /healthz: 200, or 503 with the reason). It reads the pinned maps
 * at each request and keeps no state, so it may start before or after
 * attach and the exporter. SIGTERM or SIGINT stop it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include "fg.h"
#include "cmds.h"
#include "mx.h"
#include "fg_version.h"

static int metrics_listen(const char *addr)
{
	struct fg_mx_http *h = NULL;
	struct fg_mx_build b;
	struct utsname u;
	sigset_t set;
	int err, sig;

	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	uname(&u);
	b.version = FG_VERSION;
	b.kernel = u.release;
	/* The server's thread inherits the mask: only this thread takes
	 * the signals, in sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = fg_mx_http_start(&h, addr, &b);
	if (err) {
		fg_log(FG_LOG_ERR, "listen_failed", "addr=%s\terror=%s", addr,
		       strerror(-err));
		return fg_error(err, "cannot listen on %s: %s", addr,
				strerror(-err));
	}
	fg_log(FG_LOG_INFO, "listen", "addr=%s\tpin_dir=%s\tversion=%s", addr,
	       fg_pin_dir(), FG_VERSION);
	do {
		if (sigwait(&set, &sig))
			sig = SIGTERM;
	} while (sig == SIGHUP); /* nothing to reload */
	fg_log(FG_LOG_INFO, "stop", "signal=%s", sigabbrev_np(sig));
	fg_mx_http_stop(h);
	return 0;
}

static int do_listen(int argc, char **argv)
{
	struct sockaddr_storage sa;
	__u32 len;

	if (argc != 1)
		return fg_cmd_usage(&fg_cmd_metrics, "listen");
	if (fg_mx_http_parse_addr(argv[0], &sa, &len))
		return fg_usage("metrics listen: '%s' is not ADDR:PORT (an IP "
				"address, [IPv6] in brackets, port 1-65535)",
				argv[0]);
	return metrics_listen(argv[0]);
}

static const struct fg_verb metrics_verbs[] = {
	FG_VERB("listen", do_listen, "ADDR:PORT",
		"serve the counters to Prometheus (/metrics) and /healthz"),
	{},
};

const struct fg_cmd fg_cmd_metrics = {"metrics", metrics_verbs};
