// SPDX-License-Identifier: GPL-2.0
/*
 * The capture's kernel floor (bpf/xdp/flowgate_xdp.bpf.c, rodata
 * fg_cap_loadable): the XDP object loaded with the switch off holds no
 * call to bpf_xdp_load_bytes() (5.18) in any of its programs, as the
 * verifier left them (the translated instructions of the loaded fg_xdp and
 * fg_replay), so that a kernel without the helper never sees it; with the
 * switch on, both call it. Helper calls in translated instructions carry
 * the helper's address relative to __bpf_call_base; /proc/kallsyms names
 * both (root, kptr_restrict below 2). On a kernel without the helper only
 * the load with the switch off can be tested, and is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "kfeat.h"
#include "fgtest.h"
#include "flowgate_xdp.skel.h"

/* Addresses of __bpf_call_base and bpf_xdp_load_bytes, 0 when unknown. */
static unsigned long long call_base, load_bytes;

static void read_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long a;
	char line[512], type, name[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
			continue;
		if (!strcmp(name, "__bpf_call_base"))
			call_base = a;
		else if (!strcmp(name, "bpf_xdp_load_bytes"))
			load_bytes = a;
	}
	fclose(f);
}

struct calls {
	int helpers; /* helper calls */
	int nonzero; /* ... whose address the kernel showed */
	int lb;	     /* ... to bpf_xdp_load_bytes */
};

/* Count the helper calls in prog's translated instructions. */
static int count_calls(int fd, struct calls *c)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n, i;
	struct bpf_insn *insns;
	int err;

	memset(c, 0, sizeof(*c));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return -errno;
	n = info.xlated_prog_len / sizeof(*insns);
	insns = calloc(n ? n : 1, sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = n * sizeof(*insns);
	info.xlated_prog_insns = (__u64)(unsigned long)insns;
	len = sizeof(info);
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	for (i = 0; !err && i < n; i++) {
		if (insns[i].code != (BPF_JMP | BPF_CALL) || insns[i].src_reg)
			continue;
		c->helpers++;
		if (insns[i].imm)
			c->nonzero++;
		if (call_base && load_bytes &&
		    call_base + (long long)insns[i].imm == load_bytes)
			c->lb++;
	}
	free(insns);
	return err;
}

/* Load a private instance with the switch as given, and check the calls
 * of fg_xdp and fg_replay. */
static void check(int on, int has_helper)
{
	struct flowgate_xdp *skel = flowgate_xdp__open();
	const char *what = on ? "on" : "off";
	struct fg_ft_info info;
	struct bpf_program *progs[2];
	struct bpf_map *m;
	struct calls c;
	int err, i;

	if (!skel) {
		fgt_ok(false, "switch %s: the XDP object opens", what);
		return;
	}
	bpf_object__for_each_map(m, skel->obj) bpf_map__set_pin_path(m, NULL);
	skel->rodata->fg_cap_loadable = on;
	err = fgt_ft_info(&info, 0);
	if (!err)
		err = FGT_FT_SET(skel, &info);
	if (!err)
		err = flowgate_xdp__load(skel);
	if (!on || has_helper)
		fgt_ok(!err, "switch %s: fg_xdp and fg_replay load on %s (%d)",
		       what, fg_kfeat_release(), err);
	else
		fgt_ok(err,
		       "switch on, kernel without the helper: refused "
		       "(%d)",
		       err);
	if (err || !has_helper) {
		flowgate_xdp__destroy(skel);
		return;
	}
	progs[0] = skel->progs.fg_xdp;
	progs[1] = skel->progs.fg_replay;
	for (i = 0; i < 2; i++) {
		const char *name = bpf_program__name(progs[i]);

		err = count_calls(bpf_program__fd(progs[i]), &c);
		if (!fgt_ok(!err && c.helpers > 0,
			    "switch %s: %s's translated instructions read "
			    "(%d helper calls)",
			    what, name, c.helpers))
			continue;
		if (!call_base || !load_bytes || c.nonzero == 0) {
			fgt_skip("kallsyms or the helpers' addresses hidden "
				 "(kptr_restrict)",
				 "switch %s: %s's calls", what, name);
			continue;
		}
		if (on)
			fgt_ok(c.lb > 0,
			       "switch on: %s calls bpf_xdp_load_bytes (%d)",
			       name, c.lb);
		else
			fgt_ok(c.lb == 0,
			       "switch off: no call to bpf_xdp_load_bytes left "
			       "in %s (%d)",
			       name, c.lb);
	}
	flowgate_xdp__destroy(skel);
}

int main(void)
{
	int has = fg_kfeat_has(FG_KF_XDP_LOAD_BYTES);

	libbpf_set_print(NULL);
	read_kallsyms();
	fgt_ok(has == (load_bytes != 0) || !load_bytes,
	       "the probe (%d) agrees with kallsyms (%s)", has,
	       load_bytes ? "bpf_xdp_load_bytes" : "not listed");
	check(0, has);
	check(1, has);
	return fgt_done();
}
