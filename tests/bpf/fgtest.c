// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* BPF test helpers; see fgtest.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "flowgate_xdp.skel.h"
#include "fg_parse.h"
#include "fgtest.h"

/* Every BPF test links the CLI's objects (ctl/, less main.o), which refer
 * to its options. Weak: a test that defines them wins. */
__attribute__((weak)) struct fg_opts fg_opts;

/* XDP metadata must be a multiple of 4 bytes and at most 32. */
#define FGT_META_MAX 32
#define FGT_BUF_MAX  4096

void (*fgt_pre_load)(struct flowgate_xdp *skel);

int fgt_open(struct fgt *t)
{
	return fgt_open_slot(t, FG_SLOT_OTHER);
}

int fgt_open_slot(struct fgt *t, __u32 slot)
{
	return fgt_open_flows(t, slot, 0, 0);
}

int fgt_ft_info(struct fg_ft_info *info, __u32 max_flows)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	if (!max_flows)
		max_flows = FG_DEFAULT_MAX_FLOWS;
	memset(info, 0, sizeof(*info));
	info->version = FG_FT_VERSION;
	info->nreg = ncpu;
	info->nb = fg_ft_nb(max_flows, ncpu);
	info->max_flows = max_flows;
	return 0;
}

int fgt_ft_map(struct fg_ft *ft, int map_fd, const struct fg_ft_info *info)
{
	int err = fg_ft_open_fd(ft, map_fd, info);

	if (err)
		fgt_diag("cannot map fg_flowtab: %s", strerror(-err));
	return err;
}

struct fg_flow_val fgt_flow(const struct fgt *t, const struct fg_flow_key *k)
{
	struct fg_flow_val v;

	if (fg_ft_get(&t->ft, k, &v))
		memset(&v, 0, sizeof(v));
	return v;
}

int fgt_open_flows(struct fgt *t, __u32 slot, __u32 max_flows,
		   int capture_clock)
{
	struct fg_ft_info info;
	int err = fgt_ft_info(&info, max_flows);

	if (err)
		return err;
	return fgt_open_ft(t, slot, info.nreg, info.nb, capture_clock);
}

int fgt_open_ft(struct fgt *t, __u32 slot, __u32 nreg, __u32 nb,
		int capture_clock)
{
	return fgt_open_budget(t, slot, nreg, nb, capture_clock, 0);
}

int fgt_open_budget(struct fgt *t, __u32 slot, __u32 nreg, __u32 nb,
		    int capture_clock, __u32 dwin)
{
	struct fg_ft_info info = {.version = FG_FT_VERSION,
				  .nreg = nreg,
				  .nb = nb,
				  .max_flows = nreg * nb * FG_FT_SLOTS};
	struct bpf_map *m;
	int err;

	memset(t, 0, sizeof(*t));
	t->ft.fd = -1;
	t->ncpu = libbpf_num_possible_cpus();
	if (t->ncpu <= 0)
		return t->ncpu ? t->ncpu : -EINVAL;
	t->skel = flowgate_xdp__open();
	if (!t->skel) {
		err = -errno;
		fgt_diag("skeleton open: %s", strerror(-err));
		return err;
	}
	/* Private maps: a test must neither see nor disturb a running
	 * instance's pinned state. */
	bpf_object__for_each_map(m, t->skel->obj)
		bpf_map__set_pin_path(m, NULL);
	t->skel->rodata->fg_record_last = 1;
	t->skel->rodata->fg_slot = slot;
	t->skel->rodata->fg_capture_clock = capture_clock;
	t->skel->rodata->fg_ft_dwin = dwin; /* windows of one jiffy */
	/* fg_xdp only: replay's driver costs the verifier as much again
	 * (tests/bpf/test_replay.c loads it). */
	bpf_program__set_autoload(t->skel->progs.fg_replay, false);
	err = FGT_FT_SET(t->skel, &info);
	if (!err && fgt_pre_load)
		fgt_pre_load(t->skel);
	if (!err)
		err = flowgate_xdp__load(t->skel);
	if (!err)
		err = fgt_ft_map(&t->ft, bpf_map__fd(t->skel->maps.fg_flowtab),
				 &info);
	if (err) {
		fgt_diag("skeleton load: %s", strerror(-err));
		flowgate_xdp__destroy(t->skel);
		t->skel = NULL;
		return err;
	}
	t->prog_fd = bpf_program__fd(t->skel->progs.fg_xdp);
	t->cfg_fd = bpf_map__fd(t->skel->maps.data_fg_cfg);
	t->stats_fd = bpf_map__fd(t->skel->maps.fg_ifstats);
	return 0;
}

void fgt_close(struct fgt *t)
{
	fg_ft_close(&t->ft);
	flowgate_xdp__destroy(t->skel);
	t->skel = NULL;
}

int fgt_run(struct fgt *t, const void *data, __u32 len, struct fgt_result *r)
{
	static __u8 buf[FGT_BUF_MAX];
	struct xdp_md ctx = {.ingress_ifindex = FGT_IFINDEX};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 meta = 0;
	int err;

	/* The test run refuses less than an Ethernet header of input, but
	 * metadata counts as input and is not part of the frame. */
	if (len < ETH_HLEN)
		meta = (ETH_HLEN - len + 3) & ~3u;
	if (meta > FGT_META_MAX || meta + len > sizeof(buf))
		return -E2BIG;
	memset(buf, 0, meta);
	memcpy(buf + meta, data, len);
	ctx.data = meta;
	ctx.data_end = meta + len;
	opts.data_in = buf;
	opts.data_size_in = meta + len;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	/* Sentinels: a run that does not record is seen as such. */
	t->skel->bss->fg_last_reason = 0xdead;
	t->skel->bss->fg_last_hits = 0xdead;
	err = bpf_prog_test_run_opts(t->prog_fd, &opts);
	if (err)
		return -errno;
	r->retval = opts.retval;
	r->reason = t->skel->bss->fg_last_reason;
	r->hits = t->skel->bss->fg_last_hits;
	return 0;
}

int fgt_stats(struct fgt *t, __u32 key, struct fg_ifstats *sum)
{
	struct fg_ifstats *v = calloc(t->ncpu, sizeof(*v));
	int cpu, i, err = 0;

	if (!v)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(t->stats_fd, &key, v)) {
		err = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	/* every field is a __u64 counter */
	for (cpu = 0; cpu < t->ncpu; cpu++)
		for (i = 0; i < (int)(sizeof(*sum) / sizeof(__u64)); i++)
			((__u64 *)sum)[i] += ((__u64 *)&v[cpu])[i];
out:
	free(v);
	return err;
}

int fgt_set_config(struct fgt *t, const struct fg_config *cfg)
{
	__u32 key = 0;

	return bpf_map_update_elem(t->cfg_fd, &key, cfg, BPF_ANY) ? -errno : 0;
}

int fgt_set_act(struct fgt *t, __u32 reason, __u8 act)
{
	struct fg_config cfg;
	__u32 key = 0;

	if (bpf_map_lookup_elem(t->cfg_fd, &key, &cfg))
		return -errno;
	cfg.version = FG_CONFIG_VERSION;
	cfg.act[reason & 31] = act;
	if (act)
		cfg.override |= 1ull << reason;
	else
		cfg.override &= ~(1ull << reason);
	return fgt_set_config(t, &cfg);
}

int fgt_set_profile(struct fgt *t, __u32 profile)
{
	struct fg_config cfg = {.version = FG_CONFIG_VERSION};
	__u32 r;

	cfg.profile = profile;
	for (r = 1; r < FG_R_MAX; r++)
		cfg.act[r] = fg_profile_action(profile, r);
	return fgt_set_config(t, &cfg);
}

/* ---- TAP ----------------------------------------------------------------- */

static int fgt_n, fgt_failed;

static void fgt_vline(const char *status, const char *fmt, va_list ap,
		      const char *suffix)
{
	printf("%s %d - ", status, ++fgt_n);
	vprintf(fmt, ap);
	printf("%s\n", suffix);
	fflush(stdout);
}

bool fgt_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fgt_vline(ok ? "ok" : "not ok", fmt, ap, "");
	va_end(ap);
	if (!ok)
		fgt_failed++;
	return ok;
}

void fgt_skip(const char *why, const char *fmt, ...)
{
	char suffix[256];
	va_list ap;

	snprintf(suffix, sizeof(suffix), " # SKIP %s", why);
	va_start(ap, fmt);
	fgt_vline("ok", fmt, ap, suffix);
	va_end(ap);
}

void fgt_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int fgt_done(void)
{
	printf("1..%d\n", fgt_n);
	if (fgt_failed)
		fgt_diag("%d of %d failed", fgt_failed, fgt_n);
	return fgt_failed ? 1 : 0;
}
