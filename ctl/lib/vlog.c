// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier's word on a rejected program (see kfeat.h). libbpf retries
 * a failed load with a log of its own, growing it as needed, and hands it
 * to the print callback as one message:
 *
 *   libbpf: prog 'NAME': -- BEGIN PROG LOAD LOG --\nLOG-- END PROG LOAD LOG --
 *
 * which is kept here, the last one of a load, so that the command can say
 * which program the verifier refused and how, with the kernel's version,
 * instead of an errno. libxdp loads through libbpf too (fg_xdp, and its
 * dispatcher), so its loads are covered the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fg.h"
#include "kfeat.h"

#define VLOG_BEGIN "': -- BEGIN PROG LOAD LOG --\n"
#define VLOG_END   "-- END PROG LOAD LOG --"
#define VLOG_TAIL  10

static struct {
	bool on;
	char prog[64];
	char *log;
	char *msg; /* libbpf's whole message, for FLOWGATE_DEBUG */
	bool reported;
} vl;

static void vlog_clear(void)
{
	free(vl.log);
	free(vl.msg);
	vl.log = vl.msg = NULL;
	vl.prog[0] = '\0';
	vl.reported = false;
}

void fg_vlog_begin(void)
{
	vlog_clear();
	vl.on = true;
}

/* A log kept but never reported (the load went on another way, as libxdp
 * does when its dispatcher is refused) is still shown to FLOWGATE_DEBUG. */
void fg_vlog_end(void)
{
	if (vl.msg && !vl.reported && getenv("FLOWGATE_DEBUG"))
		fputs(vl.msg, stderr);
	vlog_clear();
	vl.on = false;
}

void fg_vlog_feed(const char *msg)
{
	const char *p = strstr(msg, VLOG_BEGIN), *name, *end;
	size_t n;

	if (!vl.on || !p)
		return;
	name = strstr(msg, "prog '");
	if (!name || name > p)
		return;
	name += 6;
	vlog_clear();
	n = (size_t)(p - name);
	snprintf(vl.prog, sizeof(vl.prog), "%.*s", (int)n, name);
	p += strlen(VLOG_BEGIN);
	end = strstr(p, VLOG_END);
	n = end ? (size_t)(end - p) : strlen(p);
	vl.log = strndup(p, n);
	vl.msg = strdup(msg);
}

/* True when msg is a load log that fg_vlog_report() will print. */
bool fg_vlog_owns(const char *msg)
{
	return vl.on && strstr(msg, VLOG_BEGIN);
}

const char *fg_vlog_tail(const char *log, int n, size_t *len)
{
	size_t l = strlen(log);
	const char *p;

	while (l && (log[l - 1] == '\n' || log[l - 1] == ' '))
		l--;
	*len = l;
	for (p = log + l; p > log; p--) {
		if (p[-1] == '\n' && --n == 0)
			break;
	}
	*len = l - (size_t)(p - log);
	return p;
}

static void print_indented(const char *s, size_t len)
{
	const char *end = s + len, *nl;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		fprintf(stderr, "  %.*s\n", (int)(nl - s), s);
		s = nl + 1;
	}
}

/* The global function the verifier was checking when it stopped: it
 * checks each one on its own, first, between "Validating NAME() func#N"
 * and "Func#N ... is safe for any args that match its prototype", then the
 * program's own code. Empty when it stopped in the program's own code. */
void fg_vlog_func(const char *log, char *buf, size_t len)
{
	const char *p, *last = NULL, *end;

	for (p = log; (p = strstr(p, "Validating ")); p++)
		if (p == log || p[-1] == '\n')
			last = p + 11;
	end = last ? strstr(last, "() func#") : NULL;
	if (!end || memchr(last, '\n', (size_t)(end - last)) ||
	    strstr(end, " is safe for any args"))
		end = last = NULL;
	snprintf(buf, len, "%.*s", last ? (int)(end - last) : 0,
		 last ? last : "");
}

int fg_vlog_report(const char *what)
{
	bool all = getenv("FLOWGATE_DEBUG") != NULL;
	char func[80], in[128] = "";
	const char *t;
	size_t len;

	if (!vl.log)
		return 0;
	vl.reported = true;
	fg_vlog_func(vl.log, func, sizeof(func));
	if (func[0])
		snprintf(in, sizeof(in), " (checking its global function %s())",
			 func);
	fg_error(-EINVAL,
		 "%s: the verifier of Linux %s rejected program %s%s; %s:",
		 what, fg_kfeat_release(), vl.prog, in,
		 all ? "its log"
		     : "its last lines (FLOWGATE_DEBUG=1 shows the whole log)");
	t = all ? vl.log : fg_vlog_tail(vl.log, VLOG_TAIL, &len);
	if (all)
		len = strlen(vl.log);
	print_indented(t, len);
	return 1;
}

int fg_vlog_fail(int err, const char *what)
{
	if (!fg_vlog_report(what))
		fg_error(err, "%s: %s", what, fg_strerr(err));
	return err;
}

/* libxdp explains its dispatcher fallback at info level and libbpf prints
 * verifier logs as warnings; the user gets one "Error:" line from us
 * instead. FLOWGATE_DEBUG=1 shows everything. */
static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	if (!getenv("FLOWGATE_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Warnings carry the verifier's log of a rejected program: kept for
 * fg_vlog_report(), which prints it with the kernel's version. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char *msg = NULL;
	int n;

	if (level != LIBBPF_WARN) {
		if (!getenv("FLOWGATE_DEBUG"))
			return 0;
		return vfprintf(stderr, fmt, ap);
	}
	n = vasprintf(&msg, fmt, ap);
	if (n < 0)
		return 0;
	fg_vlog_feed(msg);
	if (getenv("FLOWGATE_DEBUG") && !fg_vlog_owns(msg))
		fputs(msg, stderr);
	free(msg);
	return n;
}

void fg_libs_init(void)
{
	libxdp_set_print(libxdp_print);
	libbpf_set_print(libbpf_print);
	/* libxdp keeps its dispatcher pins and lock under /sys/fs/bpf/xdp. */
	setenv("LIBXDP_BPFFS_AUTOMOUNT", "1", 0);
	fg_libxdp_follow_pins();
}
