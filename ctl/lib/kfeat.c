// SPDX-License-Identifier: GPL-2.0
/*
 * Feature probes of the running kernel (see kfeat.h). The table holds each
 * feature flowgate uses that some kernel users run lacks, the first
 * upstream release that has it and how to probe it. Versions are only
 * for messages and the manual: distribution kernels backport features
 * (RHEL's 5.14 has many of 6.x), so what decides is the probe, never the
 * version number, except for the RTT callback's arguments, which no probe
 * can see without a TCP connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "kfeat.h"

/* tcx (6.6) is newer than the UAPI headers of Debian 12. */
#define FG_BPF_TCX_INGRESS 46

static int probe_prog(enum bpf_prog_type t)
{
	return libbpf_probe_bpf_prog_type(t, NULL) == 1;
}

/* libbpf's helper probe reads "unknown func"/"invalid func" in the log,
 * which is what the kernels that lack a helper say. */
static int probe_helper(enum bpf_prog_type t, enum bpf_func_id f)
{
	return probe_prog(t) && libbpf_probe_bpf_helper(t, f, NULL) == 1;
}

/* Global functions that take the program's context (the parser's later
 * stages, fg_account()) are checked against the kernel's own BTF: without
 * CONFIG_DEBUG_INFO_BTF the verifier refuses them ("btf_vmlinux is
 * malformed"), and libxdp's dispatcher as well. */
static int probe_btf(void)
{
	return !access("/sys/kernel/btf/vmlinux", R_OK);
}

static int probe_xdp(void)
{
	return probe_prog(BPF_PROG_TYPE_XDP);
}

static int probe_tc(void)
{
	return probe_prog(BPF_PROG_TYPE_SCHED_CLS);
}

/* A query of tcx on lo: kernels without tcx refuse the attach type. */
static int probe_tcx(void)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);

	return !bpf_prog_query_opts(1, FG_BPF_TCX_INGRESS, &q);
}

static int probe_coarse_ns(void)
{
	return probe_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns);
}

/* Replay hands every frame to BPF_PROG_TEST_RUN with an xdp_md naming its
 * interface (lo); kernels before 5.15 take no context for XDP. */
static int probe_xdp_test_ctx(void)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K,
		 .dst_reg = BPF_REG_0,
		 .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct xdp_md ctx = {.data_end = 64, .ingress_ifindex = 1};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	unsigned char frame[64] = {0};
	int fd, err;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "fg_probe", "GPL", insns, 2,
			   NULL);
	if (fd < 0)
		return 0;
	opts.data_in = frame;
	opts.data_size_in = sizeof(frame);
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	err = bpf_prog_test_run_opts(fd, &opts);
	close(fd);
	return !err && opts.retval == XDP_PASS;
}

static int probe_sock_ops(void)
{
	return probe_prog(BPF_PROG_TYPE_SOCK_OPS);
}

/* tcp_rtt_estimator() passes mrtt and srtt to BPF_SOCK_OPS_RTT_CB since
 * 6.10; seeing it takes a TCP connection, so the version decides. fg_rtt
 * tells the two apart per callback anyway (args both 0 before 6.10). */
static int probe_rtt_args(void)
{
	return fg_kfeat_version() >= FG_KVER(6, 10);
}

/* libbpf loads an extension without a target: refused for the target
 * (EINVAL) where extensions exist, otherwise as an unknown type, or EPERM
 * where a security policy forbids them (libxdp then falls back). */
static int probe_freplace(void)
{
	return probe_prog(BPF_PROG_TYPE_EXT);
}

static int probe_ringbuf(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
}

/* The capture's copy from XDP: without it the loaders leave the capture
 * out of fg_xdp and fg_replay (rodata fg_cap_loadable). */
static int probe_xdp_load_bytes(void)
{
	return probe_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes);
}

static const struct fg_kfeat feats[FG_KF_MAX] = {
	[FG_KF_BTF] = {"btf", "kernel BTF (/sys/kernel/btf/vmlinux)",
		       FG_KVER(5, 4), "CONFIG_DEBUG_INFO_BTF", probe_btf},
	[FG_KF_XDP] = {"xdp", "XDP programs", FG_KVER(4, 8),
		       "CONFIG_BPF_SYSCALL", probe_xdp},
	[FG_KF_TC] = {"tc", "BPF classifiers on clsact (cls_bpf)",
		      FG_KVER(4, 5), "CONFIG_NET_CLS_BPF", probe_tc},
	[FG_KF_TCX] = {"tcx", "tcx links", FG_KVER(6, 6), NULL, probe_tcx},
	[FG_KF_COARSE_NS] = {"coarse_clock", "bpf_ktime_get_coarse_ns()",
			     FG_KVER(5, 11), NULL, probe_coarse_ns},
	[FG_KF_XDP_TEST_CTX] = {"xdp_test_ctx",
				"XDP test runs with a context "
				"(BPF_PROG_TEST_RUN ctx_in)",
				FG_KVER(5, 15), NULL, probe_xdp_test_ctx},
	[FG_KF_SOCK_OPS] = {"sock_ops", "sock_ops programs", FG_KVER(4, 13),
			    "CONFIG_CGROUP_BPF", probe_sock_ops},
	[FG_KF_RTT_ARGS] = {"rtt_cb_args",
			    "arguments to the TCP RTT callback (exact RTT "
			    "samples)",
			    FG_KVER(6, 10), NULL, probe_rtt_args},
	[FG_KF_FREPLACE] = {"freplace",
			    "program extensions (freplace) for libxdp's "
			    "dispatcher",
			    FG_KVER(5, 10), "CONFIG_DEBUG_INFO_BTF",
			    probe_freplace},
	[FG_KF_RINGBUF] = {"ringbuf", "the BPF ring buffer", FG_KVER(5, 8),
			   NULL, probe_ringbuf},
	[FG_KF_XDP_LOAD_BYTES] = {"xdp_load_bytes",
				  "bpf_xdp_load_bytes() (the capture's copy "
				  "from XDP)",
				  FG_KVER(5, 18), NULL, probe_xdp_load_bytes},
};

const struct fg_kfeat *fg_kfeat_get(enum fg_kfeat_id id)
{
	return (unsigned int)id < FG_KF_MAX ? &feats[id] : NULL;
}

int fg_kfeat_by_name(const char *name)
{
	int i;

	for (i = 0; i < FG_KF_MAX; i++)
		if (!strcmp(feats[i].name, name))
			return i;
	return -1;
}

bool fg_kfeat_faked(enum fg_kfeat_id id)
{
	const char *p = getenv("FLOWGATE_FAKE_KFEAT");
	size_t n = strlen(feats[id].name), len;

	while (p && *p) {
		len = strcspn(p, ",");
		if ((len == n && !strncmp(p, feats[id].name, n)) ||
		    (len == 3 && !strncmp(p, "all", 3)))
			return true;
		p += len;
		p += strspn(p, ",");
	}
	return false;
}

bool fg_kfeat_has(enum fg_kfeat_id id)
{
	static signed char cache[FG_KF_MAX];

	if ((unsigned int)id >= FG_KF_MAX || fg_kfeat_faked(id))
		return false;
	if (!cache[id])
		cache[id] = feats[id].probe() ? 1 : -1;
	return cache[id] > 0;
}

int fg_kver_parse(const char *release, unsigned int *ver)
{
	unsigned int a, b, c = 0;
	char *end;

	a = strtoul(release, &end, 10);
	if (end == release || *end != '.')
		return -EINVAL;
	release = end + 1;
	b = strtoul(release, &end, 10);
	if (end == release || b > 255)
		return -EINVAL;
	if (*end == '.')
		c = strtoul(end + 1, NULL, 10);
	*ver = FG_KVER(a, b) + (c > 255 ? 255 : c);
	return 0;
}

const char *fg_kfeat_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		snprintf(u.release, sizeof(u.release), "(unknown)");
	return u.release;
}

unsigned int fg_kfeat_version(void)
{
	unsigned int v = 0;

	fg_kver_parse(fg_kfeat_release(), &v);
	return v;
}

void fg_kfeat_msg(char *buf, size_t len, const char *release,
		  const struct fg_kfeat *f, const char *still)
{
	snprintf(buf, len, "Linux %s lacks %s (Linux %u.%u and later%s%s); %s",
		 release, f->what, f->since >> 16, (f->since >> 8) & 0xff,
		 f->config ? ", " : "", f->config ? f->config : "", still);
}

int fg_kfeat_need(enum fg_kfeat_id id, const char *still)
{
	char msg[512];

	if (fg_kfeat_has(id))
		return 0;
	fg_kfeat_msg(msg, sizeof(msg), fg_kfeat_release(), &feats[id], still);
	return fg_error(-EOPNOTSUPP, "%s", msg);
}

/* Every program of flowgate's XDP and TC objects reads the coarse clock
 * and calls global functions that take the context (kernel BTF). */
static int need_common(const char *still)
{
	int err = fg_kfeat_need(FG_KF_COARSE_NS, still);

	return err ? err : fg_kfeat_need(FG_KF_BTF, still);
}

int fg_kfeat_check_attach(enum fg_hook_kind hook)
{
	const char *still = "still works: rtt enable (TCP RTT); attach needs "
			    "it for every hook";
	int err = need_common(still);

	if (!err)
		err = fg_kfeat_need(FG_KF_TC,
				    "still works: rtt enable, replay; attach "
				    "counts egress on clsact for every hook");
	if (!err && hook == FG_KF_HOOK_XDP)
		err = fg_kfeat_need(FG_KF_XDP,
				    "still works: attach DEV hook tc (the "
				    "guard and flows on clsact ingress)");
	/* Without extensions libxdp attaches fg_xdp alone (no other XDP
	 * program can share the interface); status shows which. */
	if (!err && !fg_kfeat_has(FG_KF_FREPLACE))
		setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	return err;
}

int fg_kfeat_check_state(void)
{
	return need_common("still works: rtt enable (config, rules and the "
			   "daemon keep their state in the XDP object's maps)");
}

int fg_kfeat_check_rtt(void)
{
	const char *still = "still works: attach, replay (only TCP RTT is "
			    "missing)";
	int err = fg_kfeat_need(FG_KF_SOCK_OPS, still);

	return err ? err : fg_kfeat_need(FG_KF_COARSE_NS, still);
}

int fg_kfeat_check_replay(void)
{
	int err = need_common("still works: rtt enable; replay and attach "
			      "need it");

	if (!err)
		err = fg_kfeat_need(FG_KF_XDP, "still works: rtt enable, "
					       "attach DEV hook tc");
	if (!err)
		err = fg_kfeat_need(FG_KF_XDP_TEST_CTX,
				    "still works: attach, rtt enable (replay "
				    "only is missing)");
	return err;
}

int fg_kfeat_check_capture(void)
{
	int err = need_common("still works: rtt enable; capture needs it");

	if (!err)
		err = fg_kfeat_need(FG_KF_RINGBUF,
				    "still works: attach, replay, rtt enable "
				    "(only capture is missing)");
	if (!err)
		err = fg_kfeat_need(FG_KF_XDP_LOAD_BYTES,
				    "still works: attach, replay, rtt enable "
				    "(only capture is missing)");
	return err;
}

const char *fg_kfeat_rtt_mode(void)
{
	return fg_kfeat_has(FG_KF_RTT_ARGS) ? "exact" : "coarse";
}

unsigned int fg_hz_of_tick(__u64 tick_ns)
{
	__u64 hz;

	if (!tick_ns)
		return 0;
	hz = (1000000000ull + tick_ns / 2) / tick_ns;
	return hz >= 10 && hz <= 10000 ? (unsigned int)hz : 0;
}

/* clock_getres(CLOCK_MONOTONIC_COARSE) is the kernel's TICK_NSEC, a
 * config file need not exist (as in a VM's initramfs). */
__u64 fg_kernel_tick_ns(void)
{
	struct timespec ts;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &ts) || ts.tv_sec ||
	    !fg_hz_of_tick(ts.tv_nsec))
		return 0;
	return ts.tv_nsec;
}

unsigned int fg_kernel_hz(void)
{
	static unsigned int hz;
	static bool read;

	if (read)
		return hz;
	read = true;
	hz = fg_hz_of_tick(fg_kernel_tick_ns());
	return hz;
}

void fg_kfeat_print(const char *key)
{
	int i;

	out_obj_open(key);
	out_str("release", fg_kfeat_release());
	out_obj_open("features");
	for (i = 0; i < FG_KF_MAX; i++)
		out_bool(feats[i].name, fg_kfeat_has(i));
	out_obj_close();
	/* The fallbacks in use. libxdp skips its dispatcher without program
	 * extensions, or when told to (LIBXDP_SKIP_DISPATCHER). */
	out_str("xdp_attach", fg_kfeat_has(FG_KF_FREPLACE) &&
					      !getenv("LIBXDP_SKIP_DISPATCHER")
				      ? "libxdp dispatcher"
				      : "single program");
	out_str("tc_attach", "clsact");
	out_str("rtt_samples", fg_kfeat_rtt_mode());
	out_u64("hz", fg_kernel_hz()); /* 0: unknown, no drop budget */
	out_obj_close();
}
