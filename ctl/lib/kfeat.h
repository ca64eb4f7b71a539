/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers (feature probes), and what its verifier
 * said when it refused a program. Commands check the features they need
 * before they load anything: a kernel that lacks one gets one "Error:"
 * line naming the feature, the first Linux release that has it and what
 * still works; where a fallback exists it is taken and shown in `status`.
 *
 * Probes use libbpf's (libbpf_probe_bpf_prog_type/_helper/_map_type) or a
 * small check of their own; each runs at most once per process.
 *
 * FLOWGATE_FAKE_KFEAT=NAME[,NAME...] (test only) makes the named features
 * missing, as on an older kernel, so that tests on a new kernel reach the
 * errors and fallbacks; "all" names every feature.
 */
#ifndef FG_KFEAT_H
#define FG_KFEAT_H

#include <stdbool.h>
#include <stddef.h>

enum fg_kfeat_id {
	FG_KF_BTF,	 /* kernel BTF: global functions taking the context */
	FG_KF_XDP,	 /* XDP programs */
	FG_KF_TC,	 /* cls_bpf classifiers (clsact) */
	FG_KF_TCX,	 /* tcx links (not used; shown) */
	FG_KF_COARSE_NS, /* bpf_ktime_get_coarse_ns() */
	FG_KF_XDP_TEST_CTX, /* XDP test runs with an xdp_md context (replay) */
	FG_KF_SOCK_OPS,	    /* sock_ops programs */
	FG_KF_RTT_ARGS,	    /* RTT_CB with mrtt/srtt arguments: exact RTT */
	FG_KF_FREPLACE,	    /* program extensions: libxdp's dispatcher */
	FG_KF_RINGBUF,	    /* BPF ring buffer (capture) */
	FG_KF_XDP_LOAD_BYTES, /* bpf_xdp_load_bytes(): capture from XDP */
	FG_KF_MAX,
};

struct fg_kfeat {
	const char *name;   /* short name: JSON key, FLOWGATE_FAKE_KFEAT */
	const char *what;   /* what the kernel lacks, for the error line */
	unsigned int since; /* first Linux release: FG_KVER(major, minor) */
	const char *config; /* kernel config option it needs, or NULL */
	int (*probe)(void); /* 1 offered, 0 not */
};

#define FG_KVER(a, b) ((unsigned int)(a) << 16 | (unsigned int)(b) << 8)

const struct fg_kfeat *fg_kfeat_get(enum fg_kfeat_id id);
/* -1 when no feature has that name. */
int fg_kfeat_by_name(const char *name);
/* Does the running kernel offer the feature? Probed once, then cached. */
bool fg_kfeat_has(enum fg_kfeat_id id);
/* FLOWGATE_FAKE_KFEAT names the feature (test only). */
bool fg_kfeat_faked(enum fg_kfeat_id id);

/* uname -r, and its version as FG_KVER(major, minor) + patch level. */
const char *fg_kfeat_release(void);
unsigned int fg_kfeat_version(void);
/* "6.1.0-57-amd64" -> FG_KVER(6, 1) + 0; -EINVAL when it is no version. */
int fg_kver_parse(const char *release, unsigned int *ver);

/* The running kernel's TICK_NSEC (the coarse clocks' resolution), 0 when
 * unknown or outside HZ 10..10000; and its HZ from it, read once. */
__u64 fg_kernel_tick_ns(void);
unsigned int fg_kernel_hz(void);
/* HZ of a tick of tick_ns (TICK_NSEC rounds 1e9 / HZ): 0 for none or
 * outside 10..10000. */
unsigned int fg_hz_of_tick(__u64 tick_ns);

/*
 * The one error line for a missing feature:
 *   Linux R lacks WHAT (Linux X.Y and later[, CONFIG_...]); STILL
 * written into buf (pure, unit-tested), and printed by fg_kfeat_need().
 */
void fg_kfeat_msg(char *buf, size_t len, const char *release,
		  const struct fg_kfeat *f, const char *still);
/* 0 when the feature is there, else the error line and -EOPNOTSUPP. */
int fg_kfeat_need(enum fg_kfeat_id id, const char *still);

/* What each command needs, checked before it loads anything. */
enum fg_hook_kind { FG_KF_HOOK_XDP, FG_KF_HOOK_TC };
int fg_kfeat_check_attach(enum fg_hook_kind hook);
int fg_kfeat_check_rtt(void);
/* config, rules and the daemon make the pinned state by loading the XDP
 * object (fg_skel_load_pinned). */
int fg_kfeat_check_state(void);
int fg_kfeat_check_replay(void);
int fg_kfeat_check_capture(void);

/* How RTT samples are taken: "exact" (callback arguments, 6.10+) or
 * "coarse" (the smoothed RTT before the update). */
const char *fg_kfeat_rtt_mode(void);

/* "kernel" object of `status`: release, every feature, the fallbacks. */
void fg_kfeat_print(const char *key);

/* ---- verifier logs (vlog.c) ---- */
/*
 * Between fg_vlog_begin() and fg_vlog_end(), libbpf's messages are kept:
 * the last program load failure's program name and verifier log. After a
 * failed load, fg_vlog_report() prints
 *
 *   WHAT: the verifier of Linux R rejected program P[ (checking its
 *   global function F())]; its last lines (...):
 *     ...
 *
 * (the whole log with FLOWGATE_DEBUG=1) and returns 1; 0 when the failure
 * was not a verifier rejection (nothing printed: the caller says why).
 */
void fg_vlog_begin(void);
void fg_vlog_end(void);
int fg_vlog_report(const char *what);
/* After a failed load: fg_vlog_report(), or where it prints nothing one
 * "Error: WHAT: cause" line. Returns err. */
int fg_vlog_fail(int err, const char *what);
/* Fed by the libbpf print callback (util.c); owns: the message is a load
 * log that fg_vlog_report() prints (not printed again for debugging). */
void fg_vlog_feed(const char *msg);
bool fg_vlog_owns(const char *msg);
/* The global function the verifier was checking when it stopped, "" when
 * it was the program's own code (pure). */
void fg_vlog_func(const char *log, char *buf, size_t len);
/* The last n lines of log (pure): pointer into log; *len its length
 * without the final newline. */
const char *fg_vlog_tail(const char *log, int n, size_t *len);

#endif /* FG_KFEAT_H */
