/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations shared by the flowgate CLI (ctl/): commands and libraries. */
#ifndef FG_CTL_H
#define FG_CTL_H

#include <stdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "fg_common.h"
#include "fg_rtt.h"
#include "fg_maps.h"

/* Internal functions return 0 or -errno. Usage errors return -FG_EUSAGE,
 * which main() alone turns into exit code 2. */
#define FG_EUSAGE 4096

struct fg_opts {
	bool json;
	bool pretty;
	const char *bpffs; /* --bpffs DIR, else $FLOWGATE_BPFFS, else default */
};
extern struct fg_opts fg_opts;

/* Collectors one exporter sends to, wherever they are given (command line,
 * config file, replay); its outputs are these and one file. A URL is
 * udp://HOST:PORT or tcp://HOST:PORT, normalised. */
#define FG_MAX_COLLECTORS 7
#define FG_URL_LEN	  96

/* ---- errors (util.c) ---- */
/* Print "Error: ..." once on stderr and return err (a -errno). */
int fg_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, and return -FG_EUSAGE. */
int fg_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map an errno from bpf()/netlink to a sentence naming the cause. */
const char *fg_strerr(int err);
/* Read a whole file (at most 64 MiB), NUL-terminated. */
int fg_read_file(const char *path, char **buf, size_t *len);
/* The same, printing the one-line error when it fails. */
int fg_read_file_say(const char *path, char **buf, size_t *len);
/* Room for element n of a growing array: arr is the address of its
 * pointer, *cap elements of size bytes allocated. Doubled when full, first
 * elements the first time. 0, or -ENOMEM with the array as it was. */
int fg_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first);

/* Where a grammar error is and what it is. line 0: not from a file. */
struct fg_perr {
	unsigned int line;
	char msg[240];
};

/* Set e->msg (printf style) and return -EINVAL: parse errors. */
int fg_perr(struct fg_perr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print a parse error as "FILE:LINE: why" (or "FILE: why", or "why"
 * without a file) and return err. */
int fg_perr_report(int err, const char *file, const struct fg_perr *e);
/* A grammar over a whole file's text, filling ctx. */
typedef int fg_parse_fn(const char *buf, size_t len, void *ctx,
			struct fg_perr *e);
/* Read path and parse it; a read or parse error is printed (with
 * FILE:LINE) and returned. What parse fills on failure is its own to free. */
int fg_parse_file(const char *path, fg_parse_fn *parse, void *ctx);

/* ---- daemons' log (log.c): one line per event on stderr ---- */
enum fg_log_level { FG_LOG_ERR, FG_LOG_WARN, FG_LOG_INFO, FG_LOG_DEBUG };
/* Or-ed to a level: never rate-limited (the caller logs it once already). */
#define FG_LOG_NOLIMIT 0x100
/* "text" (logfmt, the default) or "json"; -EINVAL otherwise. */
int fg_log_set_format(const char *name);
/* Log event with fields, a printf format of "key=value" pairs separated by
 * tabs ("addr=%s\tport=%u"; NULL: none); the first field names the
 * event's subject. Warnings and errors are rate-limited per event name and
 * subject (one line each 10 s), so one output's lines never hide
 * another's. */
void fg_log(unsigned int level, const char *event, const char *fields, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for a daemon whose text lines are established: text is printed
 * as it is in the text format, and is the "msg" field in JSON. */
void fg_logt(unsigned int level, const char *event, const char *text,
	     const char *fields, ...) __attribute__((format(printf, 4, 5)));

/* ---- numbers (args.c) ---- */
int fg_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out);

/* ---- checks, actions, profiles (names.c; profiles resolved in state.c) */
int fg_reason_by_name(const char *name); /* -ENOENT when unknown */
const char *fg_reason_name(__u32 r);
const char *fg_reason_desc(__u32 r);
const char *fg_reason_class(__u32 r);
/* The manual's table of checks, from FG_REASONS (names.c). */
void fg_reasons_roff(FILE *f);
int fg_action_by_name(const char *name);
const char *fg_action_name(__u8 a);
int fg_profile_by_name(const char *name);
const char *fg_profile_name(__u32 p);
/* Resolve a profile into act[] (every check explicit, none 0). */
void fg_config_apply_profile(struct fg_config *cfg, __u32 profile);
/* Effective action of check r under cfg (handles act[r] == 0). */
__u8 fg_config_action(const struct fg_config *cfg, __u32 r);
/* ---- output (out.c): one print path for text and JSON ---- */
void out_begin(void);
void out_end(void);
void out_obj_open(const char *key);
void out_obj_close(void);
void out_arr_open(const char *key);
void out_arr_close(void);
void out_str(const char *key, const char *val);
void out_u64(const char *key, uint64_t val);
void out_bool(const char *key, bool val);
void out_null(const char *key);
void out_time_ms(const char *key, uint64_t ms);
/* One compact JSON object per line, no flush (JSON mode only). */
void out_line_begin(void);
void out_line_end(void);

/* ---- privileges and bpffs (util.c) ---- */
enum fg_need {
	FG_NEED_BPF = 1 << 0,
	FG_NEED_NET_ADMIN = 1 << 1,
};
int fg_check_caps(unsigned int need);
/* Quiet libbpf/libxdp (FLOWGATE_DEBUG=1 shows their logs). */
void fg_libs_init(void); /* vlog.c: print hooks, libxdp pins */
void fg_libxdp_follow_pins(void);
const char *fg_pin_dir(void);
/* Make sure the pin directory's filesystem is bpffs (mount if missing). */
int fg_ensure_bpffs(void);
int fg_pin_path(char *buf, size_t len, const char *name);
/* Path of a plain BPF object (name: "flowgate_xdp.bpf.o", ...): from
 * $FLOWGATE_BPF_OBJ, the installation, or the build tree; -ENOENT. */
int fg_bpf_obj_path(char *buf, size_t len, const char *name);
struct bpf_object;
/* Set the rodata variable `name` (at most 8 bytes) of an object opened
 * without a skeleton, as a skeleton would before load: 0, or -ENOENT
 * when it has none (the bench's and the VM's loaders). */
int fg_obj_set_rodata(struct bpf_object *obj, const char *name, __u64 val);
/* Its value as set so far (before load): 0, or -ENOENT. */
int fg_obj_get_rodata(struct bpf_object *obj, const char *name, __u64 *val);

/* ---- the data path's clock (clock.c) ---- */
/* fg_now() of bpf/lib/fg_clock.bpf.h: jiffies times the kernel's tick
 * plus a base found at the first call in a process, or, where that
 * fails, bpf_ktime_get_coarse_ns() (jiffies false, err why). */
struct fg_clock {
	bool jiffies;
	__u64 tick_ns;	/* the kernel's TICK_NSEC */
	__u64 base_ns;	/* CLOCK_MONOTONIC ns at jiffies 0, modulo 2^64 */
	__u64 phase_ns; /* the calibration's first read after a tick, ns
			 * after its start: the tick interrupt's latency */
	int err;	/* -errno: why the helper is kept */
};
const struct fg_clock *fg_clock_get(void);
/* Set an opened object's clock (fg_clock_tick, fg_clock_base) before
 * load, as every loader of a program that counts flows does (through
 * FG_FT_RODATA for skeletons). Objects on a capture's clock
 * (fg_capture_clock set) and objects without the clock are left alone.
 * 1: the jiffies clock, 0: the helper. */
int fg_clock_rodata(struct bpf_object *obj);

/* ---- pinned state (state.c) ---- */
struct flowgate_xdp;
/* Open the pinned map `name`; -ENOENT when there is no state yet. */
int fg_map_open(const char *name);
/* The same, printing the one-line error when it fails. */
int fg_state_map_open(const char *name);
/* Open a pinned map a daemon keeps of its own (not the BPF object's), or
 * create and pin it (mode 0600). An array of another value size (another
 * version's counters) is replaced. */
int fg_map_own(const char *name, int type, __u32 ksz, __u32 vsz, __u32 max);
/* Read or write key 0 of the pinned array `name` (a one-entry map):
 * -ENOENT when there is no state, else -errno of the syscall. */
int fg_map_get0(const char *name, void *val);
int fg_map_set0(const char *name, const void *val);
/* The pinned map's info (id, max_entries, ...), or -errno. */
struct bpf_map_info;
int fg_map_info(const char *name, struct bpf_map_info *info);
bool fg_state_exists(void);
/* Make the pinned state if there is none yet (no program attached). */
int fg_state_ensure(void);
/* Open and load the skeleton with its maps pinned under the pin dir,
 * reusing pins that exist and creating the rest. */
int fg_skel_load_pinned(struct flowgate_xdp **skel);
/* Pin the maps of any of our objects under the pin dir (before load);
 * ft sizes fg_flowtab (NULL: as compiled, for objects without it). */
struct bpf_object;
struct fg_ft_info;
int fg_obj_pin_maps(struct bpf_object *obj, const struct fg_ft_info *ft);
void fg_obj_chmod_pins(struct bpf_object *obj);
/* The flow table's load-time settings in an object's rodata (every
 * loader of a program that counts flows): its geometry and seed, and
 * the clock of its flow times (fg_clock_rodata(), after the object's
 * fg_capture_clock is set). */
#define FG_FT_RODATA(skel, ft)                           \
	do {                                             \
		(skel)->rodata->fg_ft_nb = (ft)->nb;     \
		(skel)->rodata->fg_ft_nreg = (ft)->nreg; \
		(skel)->rodata->fg_ft_seed = (ft)->seed; \
		fg_clock_rodata((skel)->obj);            \
	} while (0)
/* The drop budget in an object's rodata (fg_ft_dwin, fg_ft_dshift): rate
 * drops a second per CPU (attach drop-flow-rate; 0 no limit) over the
 * running kernel's HZ (kfeat.h; unknown: no limit). */
#define FG_FT_DROP_RODATA(skel, rate)                            \
	do {                                                     \
		(skel)->rodata->fg_ft_dwin =                     \
			fg_ft_drop_budget(rate, fg_kernel_hz()); \
		(skel)->rodata->fg_ft_dshift =                   \
			fg_ft_drop_shift(fg_kernel_hz());        \
	} while (0)
/* The pinned flow table's geometry and seed (fg_ftinfo): 0, -ENOENT
 * without one. */
int fg_ft_info_read(struct fg_ft_info *info);
struct fg_ft;
/* The pinned table of the pin directory (fg_flowtab and fg_ftinfo),
 * mapped (flowtab.h): -ENOENT without one. */
int fg_ft_open_pinned(struct fg_ft *t);
/* The same, or a new one for max_flows (0: the default) made and pinned
 * now, beside which loaders then create fg_flowtab. Errors printed. */
int fg_ft_info_ensure(__u32 max_flows, struct fg_ft_info *info);
/* Remove the table's pins (fg_flowtab, fg_ftinfo): a resize. */
int fg_ft_unpin(void);
/* Live slots of the pinned table: 0, -ENOENT without one. */
int fg_ft_live(__u64 *live);
/* Some interface is attached (fg_ifaces holds an entry). */
bool fg_any_iface(void);
/* An old layout's table (fg_flows, a per-CPU hash) pinned: removed when
 * empty and unused, else refused with the way out. Errors printed. */
int fg_ft_old_check(void);
/* The flows the pinned table was made for (max-flows), 0 without one. */
__u32 fg_pinned_max_flows(void);
/* Size of the pinned capture ring, 0 without state. */
__u32 fg_pinned_cap_ring(void);
/* Remove every pin and the pin directory. */
int fg_state_remove(void);
int fg_config_read(struct fg_config *cfg);
int fg_config_write(const struct fg_config *cfg);
/* Sum the per-CPU counters of fg_ifstats[key], key = fg_slot_key(slot,
 * dir); -ENOENT beyond the array. */
int fg_ifstats_read(int map_fd, __u32 key, struct fg_ifstats *sum);
/* Zero both directions of a slot. */
int fg_ifstats_zero(int map_fd, __u32 slot);
/* The same for fg_ovfrate (drops the drop budget sent to the overflow
 * aggregate), indexed alike. */
int fg_ovfrate_zero(int map_fd, __u32 slot);
/* The slot attach gave ifindex (fg_ifaces); -ENOENT when not attached. */
int fg_iface_slot(int ifaces_fd, __u32 ifindex, __u32 *slot);

/* ---- counters as `stats` and the metrics endpoint read them (counters.c) */
/* Name shown for the catch-all slot (ifindex FG_IFINDEX_OTHER). */
#define FG_IFNAME_OTHER "(other)"
struct fg_iface_stats {
	char name[16]; /* IF_NAMESIZE */
	__u32 ifindex;
	__u32 slot;
	struct fg_ifstats in;  /* the guard's counters and ingress flows */
	struct fg_ifstats out; /* egress flow accounting (TC) */
	/* drops the drop budget sent to the overflow aggregate (fg_ovfrate;
	 * zeros without it, as pins of an older attach) */
	struct fg_ovf_rate rated_in, rated_out;
};
/* Call fn for each attached interface (only: that ifindex alone, zeros
 * when not attached), then for the catch-all slot if it counted anything.
 * stats_fd is fg_ifstats, ifaces_fd fg_ifaces (may be -1). Stops at fn's
 * first non-zero return and returns it. */
int fg_ifaces_read(int stats_fd, int ifaces_fd, __u32 only,
		   int (*fn)(const struct fg_iface_stats *s, void *ctx),
		   void *ctx);
/* Dropped packets and bytes over every reason. */
void fg_ifstats_drops(const struct fg_ifstats *s, __u64 *packets, __u64 *bytes);
/* The flow table's fill (fg_flowtab's header lines): -ENOENT when there
 * is no state. */
struct fg_table_fill {
	__u64 entries;	    /* live slots: a flow seen on two CPUs is two */
	__u64 max_flows;    /* what the table was made for (max-flows) */
	__u64 slots;	    /* all regions' */
	__u32 regions;	    /* one per CPU */
	__u64 region_slots; /* slots a region */
	__u64 region_max;   /* live slots of the fullest region */
	__u64 mark;	    /* above this a region's drops skip the table */
};
int fg_flow_table_fill(struct fg_table_fill *f);

/* ---- the command table (cmd.c) ---- */
/* One verb of a command object: `flowgate OBJECT VERB ARGS`. */
struct fg_verb {
	const char *name; /* NULL: the object takes no verb (one verb only) */
	int (*fn)(int argc, char **argv); /* the arguments after the verb */
	/* the grammar after the verb, for help; alternatives one a line
	 * ("\n" between them); NULL: none */
	const char *args;
	const char *help;  /* what it does, one line */
	unsigned int need; /* enum fg_need, checked before fn runs; 0: fn's */
	unsigned int flags;
};
/* The verb taken when the first argument is no verb (shown as [VERB]). */
#define FG_VERB_DEFAULT 1u
/* A table entry: name, function, grammar, help[, .need = ..., .flags]. */
#define FG_VERB(n, f, a, h, ...)                                              \
	{                                                                     \
		.name = (n), .fn = (f), .args = (a), .help = (h), __VA_ARGS__ \
	}

/* A command object (bpftool's OBJECT), defined by its file in ctl/cmd/. */
struct fg_cmd {
	const char *name;
	const struct fg_verb *verbs; /* up to one with fn NULL */
};

/* Run the verb argv[0] names (or the object's only one, or its default);
 * `OBJECT help` prints the object's help. */
int fg_cmd_run(const struct fg_cmd *c, int argc, char **argv);
/* The usage lines of every verb, as help and the README show them. */
void fg_cmd_forms(FILE *f, const struct fg_cmd *c);
/* Usage lines and help of every verb, or of the one named verb. */
int fg_cmd_print_help(FILE *f, const struct fg_cmd *c, const char *verb);
/* Print "usage: ..." for the verb (NULL: the object) as a usage error and
 * return -FG_EUSAGE. */
int fg_cmd_usage(const struct fg_cmd *c, const char *verb);

/* ---- names (names.c) ---- */
int fg_proto_by_name(const char *s);
const char *fg_proto_name(__u8 proto, char *buf, size_t len);
void fg_addr_str(const __u8 *a, __u8 ip_ver, char *buf, size_t len);
int fg_addr_parse(const char *s, __u8 *out);

/* ---- map walking (maps.c) ---- */
int fg_map_walk(int fd, size_t key_sz, size_t val_sz, bool percpu,
		void (*fn)(const void *key, const void *vals, int ncpu,
			   void *ctx),
		void *ctx);
int fg_map_walk_first(int fd, size_t key_sz, size_t val_sz, bool percpu,
		      __u32 n,
		      void (*fn)(const void *key, const void *vals, int ncpu,
				 void *ctx),
		      void *ctx);
int fg_map_percpu(int fd);
__u32 fg_map_id(int fd);
__u32 fg_map_value_size(int fd);
void fg_percpu_sum(const void *vals, int ncpu, size_t n, __u64 *sum);
int fg_map_lookup_percpu(int fd, const void *key, size_t val_sz, void **vals,
			 int *ncpu);
int fg_map_lookup_sum(int fd, const void *key, void *sum, size_t size);
int fg_map_walk_percpu(int fd, size_t key_sz, size_t val_sz,
		       void (*fn)(const void *key, const void *vals, int ncpu,
				  void *ctx),
		       void *ctx);

/* ---- flow records (flows.c) ---- */
void fg_flow_sum(const struct fg_flow_val *v, int ncpu,
		 struct fg_flow_val *sum);
__s64 fg_wall_offset_ns(void);
__u64 fg_mono_to_wall_ms(__u64 mono_ns);
void fg_flow_line(FILE *f, const struct fg_flow_key *k,
		  const struct fg_flow_val *v, __u64 (*to_ms)(__u64 ns));
int fg_flow_key_cmp(const struct fg_flow_key *a, const struct fg_flow_key *b);
int fg_ovf_key_cmp(const struct fg_ovf_key *a, const struct fg_ovf_key *b);
const char *fg_flow_proto(__u8 ip_ver, __u8 proto, char *buf, size_t len);
void fg_flow_print(const char *key, const struct fg_flow_key *k,
		   const struct fg_flow_val *v, __u64 (*to_ms)(__u64 ns));
void fg_ovf_print(const char *key, const struct fg_ovf_key *k, __u64 packets,
		  __u64 octets);

/* Flow accounting counters of one interface and direction. */
/* rated: the drops of those counters that the drop budget sent to the
 * overflow aggregate (part of its packets), or NULL where there is no
 * budget (replay). */
void fg_flowstats_print(const char *key, const struct fg_flowstats *f,
			const struct fg_ovf_rate *rated);

/* ---- the overflow aggregate (ovf.c): fg_ovfarr and fg_overflow ---- */
struct fg_ovf_ent {
	struct fg_ovf_key k;
	__u64 packets, octets;
};
/* One total per key over both maps and every CPU, sorted by
 * fg_ovf_key_cmp(); *out is the caller's to free. A map's fd < 0: not
 * read (an older layout without fg_ovfarr). 0 or -errno. */
int fg_ovf_read(int arr_fd, int hash_fd, struct fg_ovf_ent **out, size_t *n);
/* The same totals, as fg_map_walk_percpu() hands a per-CPU hash's entries
 * (key a struct fg_ovf_key, vals one struct fg_ovf_val, ncpu 1). */
int fg_ovf_walk(int arr_fd, int hash_fd,
		void (*fn)(const void *key, const void *vals, int ncpu,
			   void *ctx),
		void *ctx);
/* The same with fg_ovfarr's first nslots slots only (of fg_ifstats'
 * numbering, FG_NSLOTS: all); *used (if not NULL) is then one more than
 * the highest slot read that holds packets, 0 when none does. */
int fg_ovf_walk_slots(int arr_fd, int hash_fd, __u32 nslots, __u32 *used,
		      void (*fn)(const void *key, const void *vals, int ncpu,
				 void *ctx),
		      void *ctx);

/* ---- TCP RTT (ctl/rtt/: rtt_join.c, rtt_link.c) ---- */
/*
 * For the exporter's join of RTT onto flow records:
 *
 *	struct fg_rtt_maps m;
 *	struct fg_rtt_val v;
 *
 *	if (!fg_rtt_maps_open(&m)) {	// -ENOENT: rtt not enabled
 *		if (!fg_rtt_lookup(&m, &flow_key, &v))
 *			min = v.min_us, max = v.max_us,
 *			mean = fg_rtt_mean_us(&v), n = v.samples;
 *		fg_rtt_maps_close(&m);
 *	}
 */
struct fg_rtt_maps {
	int conns_fd;  /* fg_rtt_conns: live connections */
	int closed_fd; /* fg_rtt_closed: final records of closed ones (LRU) */
};
/* Open the pinned maps (quietly); -ENOENT when rtt is not enabled. */
int fg_rtt_maps_open(struct fg_rtt_maps *m);
void fg_rtt_maps_close(struct fg_rtt_maps *m);
/* Connection key of a flow of either direction; -EINVAL unless the flow is
 * TCP over IPv4 or IPv6. */
int fg_rtt_key_from_flow(const struct fg_flow_key *fk, struct fg_rtt_key *rk);
/* RTT of the flow's connection: the live record, else the final record of
 * a recently closed one (FG_RTT_F_CLOSED in flags). 0, -ENOENT (none),
 * -EINVAL (not TCP), or another -errno. */
int fg_rtt_lookup(const struct fg_rtt_maps *m, const struct fg_flow_key *fk,
		  struct fg_rtt_val *out);
/* Drop a closed connection's final record once its last flow record is
 * out (optional: the LRU bounds them anyway). 0 or -ENOENT. */
int fg_rtt_forget(const struct fg_rtt_maps *m, const struct fg_flow_key *fk);
/* Mean of the samples in microseconds, rounded; 0 without samples. */
__u32 fg_rtt_mean_us(const struct fg_rtt_val *v);
/* "<pin dir>/rtt[/name]" and the pin `name` there (-ENOENT: not enabled). */
int fg_rtt_pin_path(char *buf, size_t len, const char *name);
int fg_rtt_map_open(const char *name);
/* ID of the sock_ops program of the pinned link, 0 when none. */
__u32 fg_rtt_prog_id(void);
/* The link is there and its cgroup (info->cgroup) still exists. */
bool fg_rtt_attached(const struct fg_rtt_info *info);
int fg_rtt_enable(const char *cgroup); /* NULL: the cgroup2 root */
int fg_rtt_disable(void);
/* The global counters and histogram, summed over CPUs, and the number of
 * live connections (rtt_stats.c); -ENOENT when rtt is not enabled. */
int fg_rtt_stats_read(struct fg_rtt_stats *st, __u64 *live);

/* A log2 histogram, drawn in text, an array of buckets in JSON (out.c). */
void out_hist(const char *key, const char *unit, const __u64 *slots, int n);
/* ---- the [export] section of the daemon's config file (cfgfile.c) ---- */
/* The [export] section, parsed and checked but not acted on here: the
 * IPFIX exporter takes its settings from this struct. */

struct fg_cfg_export {
	bool present; /* the file has an [export] section */
	int ncollectors;
	/* udp://HOST:PORT or tcp://HOST:PORT, port always written out;
	 * HOST an IPv4 address, [IPv6] or a DNS name */
	char collector[FG_MAX_COLLECTORS][FG_URL_LEN];
	__u32 active_timeout;	/* seconds */
	__u32 idle_timeout;	/* seconds */
	__u32 template_refresh; /* seconds */
	__u32 domain;		/* observation domain ID */
	__u32 mtu;		/* bytes, IP and UDP headers included */
};

void fg_cfg_export_default(struct fg_cfg_export *x);
/* One "KEY VALUE" line of the section: collector, active-timeout,
 * idle-timeout, template-refresh, domain, mtu. 0, or -EINVAL with a
 * one-line reason in msg. */
int fg_cfg_export_set(struct fg_cfg_export *x, const char *key, const char *val,
		      char *msg, size_t len);
/* Check and normalise one collector URL (port 4739 when none). */
int fg_cfg_collector_parse(const char *url, char *out, size_t outlen, char *msg,
			   size_t len);

#endif /* FG_CTL_H */
