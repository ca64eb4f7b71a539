// SPDX-License-Identifier: GPL-2.0
/*
 * A verifier rejection as the commands report it (ctl/lib/vlog.c): a
 * test-only program (tests/bpf/progs/fg_reject.bpf.c) that this kernel's
 * verifier refuses, loaded through libbpf with the CLI's print callback.
 * The report is one Error: line naming the program and the kernel
 * (uname -r), then the verifier's last 10 lines, ending with its own
 * reason, no errno; FLOWGATE_DEBUG=1 gives the whole log; a rejection
 * inside a global function names it; a program that loads leaves nothing
 * to report.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "kfeat.h"
#include "fgtest.h"

struct fg_opts fg_opts;

static char obj_path[PATH_MAX + 32];

/* The object lies next to this test's binary. */
static int find_obj(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	snprintf(obj_path, sizeof(obj_path), "%s/fg_reject.bpf.o", self);
	return access(obj_path, R_OK) ? -errno : 0;
}

/* Load one program of the object; the report of a rejection (what
 * fg_vlog_report() printed on stderr) into out. */
static int load(const char *prog, char *out, size_t len, int *reported)
{
	struct bpf_object *obj;
	FILE *tmp = tmpfile();
	int saved = dup(2), err = -ENOENT;
	size_t n;

	if (!tmp)
		return -ENOMEM;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fg_vlog_begin();
	obj = bpf_object__open_file(obj_path, NULL);
	if (obj) {
		bpf_program__set_autoload(
			bpf_object__find_program_by_name(obj, prog), true);
		err = bpf_object__load(obj);
	}
	*reported = fg_vlog_report("cannot load the test program");
	fg_vlog_end();
	bpf_object__close(obj);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return err;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; (s = strchr(s, '\n')); s++)
		n++;
	return n;
}

static bool all_indented(const char *s)
{
	s = strchr(s, '\n'); /* after the Error: line */
	for (; s && s[1]; s = strchr(s + 1, '\n'))
		if (strncmp(s + 1, "  ", 2))
			return false;
	return true;
}

int main(void)
{
	static char out[1 << 20];
	char first[512];
	struct utsname u;
	int err, rep, n, full;

	fg_libs_init();
	uname(&u);
	if (find_obj()) {
		fgt_skip("no test object", "fg_reject.bpf.o next to the test");
		return fgt_done();
	}

	unsetenv("FLOWGATE_DEBUG");
	err = load("fg_reject", out, sizeof(out), &rep);
	fgt_ok(err < 0, "fg_reject is rejected by this kernel (%d)", err);
	fgt_ok(rep == 1, "the rejection is reported as a verifier's");
	snprintf(first, sizeof(first),
		 "Error: cannot load the test program: the verifier of Linux "
		 "%s rejected program fg_reject; its last lines "
		 "(FLOWGATE_DEBUG=1 shows the whole log):\n",
		 u.release);
	fgt_ok(!strncmp(out, first, strlen(first)),
	       "first line: the program and uname -r");
	n = count_lines(out);
	fgt_ok(n == 1 + 10, "then the verifier's last 10 lines (%d)", n - 1);
	fgt_ok(all_indented(out), "each indented by two spaces");
	fgt_ok(strstr(out, "invalid access to packet") != NULL,
	       "they hold the verifier's reason");
	fgt_ok(strstr(out, "\n  processed ") != NULL,
	       "and its closing summary line");
	fgt_ok(!strstr(out, "Permission denied") &&
		       !strstr(out, "Invalid argument"),
	       "no errno text");
	if (!fgt_ok(!strstr(out, "libbpf:"), "nothing of libbpf's own"))
		fgt_diag("%s", out);

	setenv("FLOWGATE_DEBUG", "1", 1);
	err = load("fg_reject", out, sizeof(out), &rep);
	unsetenv("FLOWGATE_DEBUG");
	full = count_lines(strstr(out, "its log:\n") ?: out) - 1;
	fgt_ok(err < 0 && rep == 1 && strstr(out, "its log:\n"),
	       "FLOWGATE_DEBUG=1: the whole log is announced");
	fgt_ok(full > 10 && strstr(out, "\n  0: ") &&
		       strstr(out, "invalid access to packet"),
	       "FLOWGATE_DEBUG=1: every line, from instruction 0 (%d lines)",
	       full);

	err = load("fg_reject_fn", out, sizeof(out), &rep);
	fgt_ok(err < 0 && rep == 1 &&
		       strstr(out, "rejected program fg_reject_fn (checking "
				   "its global function fg_bad_global()); "),
	       "a rejection inside a global function names it");
	if (!strstr(out, "fg_bad_global()"))
		fgt_diag("%s", out);
	err = load("fg_reject", out, sizeof(out), &rep);
	fgt_ok(rep == 1 && !strstr(out, "global function"),
	       "one in the program's own code names none");

	err = load("fg_accept", out, sizeof(out), &rep);
	fgt_ok(!err && !rep && !out[0],
	       "a program that loads: nothing reported (%d, %d)", err, rep);
	return fgt_done();
}
