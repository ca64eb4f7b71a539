// SPDX-License-Identifier: GPL-2.0
/*
 * version (also --version): flowgate's version (git describe at build
 * time, else the VERSION file), the libbpf and libxdp it was built with
 * and runs with, the kernel, what the kernel offers that flowgate uses,
 * and where the plain BPF objects are.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "cmds.h"
#include "fg_version.h"
#include "kfeat.h"

/* Every feature of the kernel-feature table (ctl/lib/kfeat.c), probed
 * as the commands probe them. */
static void features(void)
{
	const struct fg_kfeat *f;
	int i;

	out_obj_open("kernel_features");
	for (i = 0; i < FG_KF_MAX; i++) {
		f = fg_kfeat_get(i);
		out_bool(f->name, fg_kfeat_has(i));
	}
	out_obj_close();
}

static int do_version(int argc, char **argv)
{
	const char *libbpf = libbpf_version_string();
	char obj[4096], libbpf_build[32];
	struct utsname u;
	int err;

	if (argc)
		return fg_cmd_usage(&fg_cmd_version, NULL);
	fg_libs_init();
	uname(&u);
	snprintf(libbpf_build, sizeof(libbpf_build), "%d.%d",
		 LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION);
	if (*libbpf == 'v')
		libbpf++;
	err = fg_bpf_obj_path(obj, sizeof(obj), "flowgate_xdp.bpf.o");
	if (!fg_opts.json) {
		printf("flowgate %s\n", FG_VERSION);
		printf("libbpf %s (built with %s), libxdp %s\n", libbpf,
		       libbpf_build, FG_LIBXDP_VERSION);
		printf("kernel %s %s\n", u.release, u.machine);
	}
	out_begin();
	if (fg_opts.json) {
		out_str("version", FG_VERSION);
		out_str("libbpf", libbpf);
		out_str("libbpf_build", libbpf_build);
		out_str("libxdp_build", FG_LIBXDP_VERSION);
		out_str("kernel", u.release);
		out_str("machine", u.machine);
	}
	features();
	out_str("bpf_objects", err ? "not found" : obj);
	out_end();
	return 0;
}

static const struct fg_verb version_verbs[] = {
	FG_VERB(NULL, do_version, NULL,
		"version, libraries, kernel features, BPF objects"),
	{},
};

const struct fg_cmd fg_cmd_version = {"version", version_verbs};
