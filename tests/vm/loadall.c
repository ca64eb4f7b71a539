// SPDX-License-Identifier: GPL-2.0
/*
 * Loads every program of the BPF objects given, one program at a time, into
 * the running kernel, and says in TAP which ones its verifier accepts. A
 * rejection prints the verifier's last lines (FG_LOG_LINES, 12; 0 = all),
 * so that the kernel matrix names the instruction an older kernel refuses.
 * Read-only data stays at its defaults (every stage enabled, rules on)
 * but for the flow table's geometry and the clock (first of all, its
 * calibration: a test of its own), set as attach sets them, and a program whose
 * object has a load-time switch for code only some kernels run (SWITCHES: the
 * capture's copy from XDP) loads a second time with the switch on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "fg.h"

struct fg_opts fg_opts; /* main.c's, which this program does not link */

/* Rodata switches a loader turns on where the kernel has what they need. */
static const char *const SWITCHES[] = {"fg_cap_loadable"};
#define NSWITCH (sizeof(SWITCHES) / sizeof(SWITCHES[0]))

static char logbuf[1 << 20];
static size_t loglen;

/* libbpf prints the verifier log of a failed load through this. */
static int keep_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (loglen >= sizeof(logbuf) - 1)
		loglen = 0; /* keep the tail: the verifier's last lines */
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	if (n > 0)
		loglen += n;
	if (loglen > sizeof(logbuf) - 1)
		loglen = sizeof(logbuf) - 1; /* vsnprintf cut it there */
	return 0;
}

static void print_tail(int lines)
{
	char *end = strstr(logbuf, "-- END PROG LOAD LOG --");
	char *p = end ? end : logbuf + loglen;
	int seen = 0;

	*p = '\0';

	while (p > logbuf && (lines <= 0 || seen <= lines))
		if (*--p == '\n')
			seen++;
	if (*p == '\n')
		p++;
	for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
		printf("#   %s\n", line);
}

static int set_switch(struct bpf_object *obj, const char *name)
{
	return fg_obj_set_rodata(obj, name, 1);
}

/* The flow table as attach makes it (include/fg_flowtab.h): a region per
 * possible CPU and a drop budget, so that the verifier walks the per-CPU
 * path and the budget's that the defaults (one region and no budget:
 * replay's) leave out as dead code. Objects without the table are left
 * alone. */
#define FT_NB	  1024
#define FT_DWIN	  1280
#define FT_DSHIFT 4
static int set_flowtab(struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, FG_MAP_FLOWTAB);
	int ncpu = libbpf_num_possible_cpus();

	if (!m)
		return 0;
	if (ncpu < 1 || fg_obj_set_rodata(obj, "fg_ft_nreg", ncpu) ||
	    fg_obj_set_rodata(obj, "fg_ft_nb", FT_NB) ||
	    fg_obj_set_rodata(obj, "fg_ft_dwin", FT_DWIN) ||
	    fg_obj_set_rodata(obj, "fg_ft_dshift", FT_DSHIFT))
		return -1;
	/* The clock as attach sets it: the jiffies branch verified. */
	fg_clock_rodata(obj);
	return bpf_map__set_max_entries(m, ncpu * FT_NB);
}

/* Does path's object have the switch? */
static int has_switch(const char *path, const char *name)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int ret;

	if (!obj)
		return 0;
	ret = !set_switch(obj, name);
	bpf_object__close(obj);
	return ret;
}

/* Opens path with only the program at index want to load, with the rodata
 * switch sw on (NULL: defaults). */
static int load_one(const char *path, int want, const char *sw,
		    const char **name)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	int i = 0, err;

	if (!obj)
		return -1;
	if ((sw && set_switch(obj, sw)) || set_flowtab(obj)) {
		bpf_object__close(obj);
		return -1;
	}
	for (p = bpf_object__next_program(obj, NULL); p;
	     p = bpf_object__next_program(obj, p)) {
		bpf_program__set_autoload(p, i == want);
		if (i++ == want)
			*name = strdup(bpf_program__name(p));
	}
	loglen = 0;
	err = bpf_object__load(obj);
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	const char *env = getenv("FG_LOG_LINES");
	int lines = env ? atoi(env) : 12, n = 0, bad = 0;
	const struct fg_clock *c;
	struct utsname u;

	uname(&u);
	libbpf_set_print(keep_log);
	printf("# kernel %s\n", u.release);
	c = fg_clock_get();
	if (c->jiffies) {
		printf("ok %d - the jiffies clock calibrates: tick %llu ns, "
		       "phase %llu ns\n",
		       ++n, (unsigned long long)c->tick_ns,
		       (unsigned long long)c->phase_ns);
	} else {
		printf("not ok %d - the jiffies clock calibrates: %s\n", ++n,
		       strerror(-c->err));
		bad++;
	}
	for (int a = 1; a < argc; a++) {
		struct bpf_object *obj = bpf_object__open_file(argv[a], NULL);
		struct bpf_program *p;
		int progs = 0;

		if (!obj) {
			printf("not ok %d - %s: cannot open\n", ++n, argv[a]);
			bad++;
			continue;
		}
		for (p = bpf_object__next_program(obj, NULL); p;
		     p = bpf_object__next_program(obj, p))
			progs++;
		bpf_object__close(obj);
		for (int i = 0; i < progs; i++) {
			const char *base = strrchr(argv[a], '/');

			base = base ? base + 1 : argv[a];
			for (int k = -1; k < (int)NSWITCH; k++) {
				const char *sw = k < 0 ? NULL : SWITCHES[k];
				const char *name = "?";
				char with[64] = "";

				if (sw && !has_switch(argv[a], sw))
					continue;
				if (sw)
					snprintf(with, sizeof(with),
						 " with %s on", sw);
				if (!load_one(argv[a], i, sw, &name)) {
					printf("ok %d - %s %s loads%s\n", ++n,
					       base, name, with);
					continue;
				}
				printf("not ok %d - %s %s%s rejected by %s\n",
				       ++n, base, name, with, u.release);
				print_tail(lines);
				bad++;
			}
		}
	}
	printf("1..%d\n", n);
	return bad ? 1 : 0;
}
