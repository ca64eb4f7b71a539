// SPDX-License-Identifier: GPL-2.0
/*
 * fg_rtt: TCP round-trip time of the host's own connections, from a
 * sock_ops program attached to a cgroup v2 (`flowgate rtt enable`).
 *
 * The RTT callback is off by default for every socket; the program turns
 * it on (with the state callback) when a connection starts: at
 * TCP_CONNECT_CB for those the host opens, before the SYN leaves, so that
 * the handshake's sample is seen too, and at PASSIVE_ESTABLISHED_CB for
 * those it accepts.
 *
 * What BPF_SOCK_OPS_RTT_CB carries (net/ipv4/tcp_input.c,
 * tcp_rtt_estimator(), kernel 6.10 and later, so this 6.18 too):
 *   args[0]  mrtt_us: the RTT measurement that triggered the update, us;
 *   args[1]  srtt: the smoothed RTT *after* the update, in 1/8 us.
 * skops->srtt_us is tp->srtt_us, still the value *before* the update
 * (also in 1/8 us, despite its name). The callback runs when the
 * estimator starts a new RTT window (snd_una passed rtt_seq) and on the
 * first measurement: about once per round trip, not on every ACK.
 * Samples are therefore mrtt (args[0], exact to the microsecond), and the
 * smoothed value is args[1] >> 3.
 *
 * Kernels before 6.10 call RTT_CB with no arguments (both 0), at the same
 * place. There the sample is the smoothed value before the update,
 * skops->srtt_us >> 3, counted as coarse; the first callback of a
 * connection, where srtt_us is still 0, has no sample at all and is
 * skipped, and the minimum is the kernel's own windowed tp->rtt_min
 * (skops->rtt_min, 4.16+), since smoothed values never reach it.
 *
 * Records are keyed by struct fg_rtt_key (local/remote ends); a close
 * (STATE_CB to TCP_CLOSE, which every end of a full socket passes
 * through: tcp_done(), tcp_close(), tcp_time_wait()) moves the record to
 * the bounded LRU fg_rtt_closed and deletes it, so fg_rtt_conns holds
 * live connections only.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fg_common.h"
#include "fg_rtt.h"

/* A context field read as exactly one 32-bit load. */
#define FG_CTX_U32(f) (*(volatile __u32 *)&(f))

/* From include/linux/socket.h: not in the UAPI headers BPF code sees. */
#define FG_AF_INET  2
#define FG_AF_INET6 10

/* Preallocated: no allocation in softirq, and a full table fails the
 * insert (counted in conn_full) instead of evicting a live record. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_RTT_MAX_CONNS);
	__type(key, struct fg_rtt_key);
	__type(value, struct fg_rtt_val);
} fg_rtt_conns SEC(".maps");

/* Final records of closed connections, so that the exporter can still put
 * the RTT on a connection's last flow record. LRU: the oldest go first,
 * the memory is bounded. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FG_RTT_MAX_CLOSED);
	__type(key, struct fg_rtt_key);
	__type(value, struct fg_rtt_val);
} fg_rtt_closed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_rtt_stats);
} fg_rtt_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FG_RTT_MAX_PORTS);
	__type(key, struct fg_rtt_pkey);
	__type(value, struct fg_rtt_hist);
} fg_rtt_phist SEC(".maps");

/* Written by user space only; part of the object so that it is created
 * and pinned with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_rtt_info);
} fg_rtt_info SEC(".maps");

/* Test only (FLOWGATE_FAKE_KFEAT=rtt_cb_args): take every sample the way
 * kernels before 6.10 give them, so that the coarse path runs on any
 * kernel. Rodata: the verifier drops the branch when it is off. */
const volatile __u8 fg_rtt_coarse = 0;

static const struct fg_rtt_hist fg_zero_hist;

static __always_inline struct fg_rtt_stats *fg_rtt_st(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fg_rtt_stats, &zero);
}

/* floor(log2(v)), 0 for 0 and 1; at most 31. */
static __always_inline __u32 fg_log2(__u32 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (v >> 1);
}

static __always_inline void fg_rtt_port_count(struct fg_rtt_stats *st,
					      const struct fg_rtt_key *k,
					      __u32 flags, __u32 slot)
{
	struct fg_rtt_pkey pk = {};
	struct fg_rtt_hist *h;

	if (flags & FG_RTT_F_ACTIVE) {
		pk.port = bpf_ntohs(k->rport);
		pk.side = FG_RTT_SIDE_REMOTE;
	} else {
		pk.port = bpf_ntohs(k->lport);
	}
	h = bpf_map_lookup_elem(&fg_rtt_phist, &pk);
	if (!h) {
		/* EEXIST (another CPU inserted it first) is fine: look again */
		bpf_map_update_elem(&fg_rtt_phist, &pk, &fg_zero_hist,
				    BPF_NOEXIST);
		h = bpf_map_lookup_elem(&fg_rtt_phist, &pk);
	}
	if (h)
		h->slots[slot & (FG_RTT_SLOTS - 1)]++;
	else if (st)
		st->port_full++;
}

/* A new record, or FG_RTT_F_* flags added to the one there is. */
static __always_inline void fg_rtt_open(const struct fg_rtt_key *k, __u32 flags)
{
	struct fg_rtt_val *v = bpf_map_lookup_elem(&fg_rtt_conns, k);
	struct fg_rtt_val nv = {.flags = flags};
	struct fg_rtt_stats *st;

	if (v) {
		v->flags |= flags;
		return;
	}
	st = fg_rtt_st();
	if (bpf_map_update_elem(&fg_rtt_conns, k, &nv, BPF_NOEXIST)) {
		if (st)
			st->conn_full++;
	} else if (st) {
		st->conns++;
	}
}

/* One RTT sample of connection k. A connection's callbacks run under its
 * socket lock, one at a time, so its record needs no atomics. */
static __always_inline void fg_rtt_sample(const struct fg_rtt_key *k,
					  __u32 mrtt_us, __u32 srtt_us,
					  __u32 min_us, __u32 coarse, __u64 now)
{
	struct fg_rtt_stats *st = fg_rtt_st();
	__u32 slot = fg_log2(mrtt_us), flags = 0;
	struct fg_rtt_val *v;

	if (st) {
		st->samples++;
		st->sum_us += mrtt_us;
		st->coarse += coarse;
		st->hist.slots[slot & (FG_RTT_SLOTS - 1)]++;
	}
	v = bpf_map_lookup_elem(&fg_rtt_conns, k);
	if (!v) {
		/* A connection opened before `rtt enable` (its callbacks were
		 * already on) or whose insert failed: try again. */
		fg_rtt_open(k, 0);
		v = bpf_map_lookup_elem(&fg_rtt_conns, k);
	}
	if (v) {
		if (!v->samples || min_us < v->min_us)
			v->min_us = min_us;
		if (mrtt_us > v->max_us)
			v->max_us = mrtt_us;
		if (!v->samples)
			v->first_ns = now;
		v->samples++;
		v->sum_us += mrtt_us;
		v->last_us = mrtt_us;
		v->srtt_us = srtt_us;
		v->last_ns = now;
		if (coarse)
			v->flags |= FG_RTT_F_COARSE;
		flags = v->flags;
	}
	fg_rtt_port_count(st, k, flags, slot);
}

/* The connection closed: keep its final record in the LRU, drop it from
 * the live table. */
static __always_inline void fg_rtt_close(const struct fg_rtt_key *k, __u64 now)
{
	struct fg_rtt_val *v = bpf_map_lookup_elem(&fg_rtt_conns, k);
	struct fg_rtt_stats *st = fg_rtt_st();
	struct fg_rtt_val fin;

	if (!v) {
		if (st)
			st->untracked++;
		return;
	}
	if (st)
		st->closed++;
	if (!v->samples) {
		/* never measured (a connect that failed): nothing to keep */
		bpf_map_delete_elem(&fg_rtt_conns, k);
		return;
	}
	fin = *v;
	fin.close_ns = now;
	fin.flags |= FG_RTT_F_CLOSED;
	/* an LRU insert evicts the oldest; it fails only without memory */
	if (bpf_map_update_elem(&fg_rtt_closed, k, &fin, BPF_ANY) && st)
		st->closed_lost++;
	bpf_map_delete_elem(&fg_rtt_conns, k);
}

/* ---- sock_ops ------------------------------------------------------------ */

static __always_inline void fg_addr4(__u8 *a, __u32 ip4)
{
	__builtin_memset(a, 0, 10);
	a[10] = a[11] = 0xff;
	__builtin_memcpy(a + 12, &ip4, 4);
}

/* The connection's key, as flows see it. Returns 0, or -1 for a family
 * that is not IP. */
static __always_inline int fg_rtt_key_of(struct bpf_sock_ops *skops,
					 struct fg_rtt_key *k)
{
	__u32 l[4], r[4], i;

	__builtin_memset(k, 0, sizeof(*k));
	/* local_port is in host order; remote_port holds the port in
	 * network order in its upper half on little-endian, hence ntohl. */
	k->lport = bpf_htons((__u16)skops->local_port);
	k->rport = bpf_htons((__u16)bpf_ntohl(skops->remote_port));
	if (skops->family == FG_AF_INET) {
		k->ip_ver = 4;
		fg_addr4(k->laddr, skops->local_ip4);
		fg_addr4(k->raddr, skops->remote_ip4);
		return 0;
	}
	if (skops->family != FG_AF_INET6)
		return -1;
	/* One 32-bit load per word: clang would merge neighbours into a
	 * 64-bit load, which the verifier refuses on this context. */
	for (i = 0; i < 4; i++) {
		l[i] = FG_CTX_U32(skops->local_ip6[i]);
		r[i] = FG_CTX_U32(skops->remote_ip6[i]);
	}
	__builtin_memcpy(k->laddr, l, 16);
	__builtin_memcpy(k->raddr, r, 16);
	/* IPv4 on a dual-stack socket: IPv4 on the wire, so in flows too */
	k->ip_ver = !l[0] && !l[1] && l[2] == bpf_htonl(0xffff) ? 4 : 6;
	return 0;
}

/* Turn on the RTT and state callbacks of this socket. */
static __always_inline void fg_rtt_watch(struct bpf_sock_ops *skops)
{
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
						 BPF_SOCK_OPS_RTT_CB_FLAG |
						 BPF_SOCK_OPS_STATE_CB_FLAG);
}

SEC("sockops")
int fg_rtt(struct bpf_sock_ops *skops)
{
	__u32 op = skops->op, mrtt, srtt, min, coarse = 0;
	struct fg_rtt_key k;

	/* Only these four matter: do not read the socket's addresses for
	 * the others (RWND_INIT, TIMEOUT_INIT, NEEDS_ECN, ...). */
	if (op != BPF_SOCK_OPS_RTT_CB && op != BPF_SOCK_OPS_TCP_CONNECT_CB &&
	    op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
	    (op != BPF_SOCK_OPS_STATE_CB || skops->args[1] != BPF_TCP_CLOSE))
		return 1;
	if (fg_rtt_key_of(skops, &k))
		return 1;
	switch (op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		fg_rtt_watch(skops);
		fg_rtt_open(&k, FG_RTT_F_ACTIVE);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		fg_rtt_watch(skops);
		fg_rtt_open(&k, FG_RTT_F_PASSIVE);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		mrtt = min = skops->args[0];
		srtt = skops->args[1] >> 3;
		if (fg_rtt_coarse || (!skops->args[0] && !skops->args[1])) {
			/* Before 6.10: see the top of this file. */
			mrtt = srtt = FG_CTX_U32(skops->srtt_us) >> 3;
			if (!mrtt)
				break;
			min = FG_CTX_U32(skops->rtt_min);
			if (!min || min > mrtt)
				min = mrtt;
			coarse = 1;
		}
		fg_rtt_sample(&k, mrtt, srtt, min, coarse,
			      bpf_ktime_get_coarse_ns());
		break;
	case BPF_SOCK_OPS_STATE_CB: /* to TCP_CLOSE */
		fg_rtt_close(&k, bpf_ktime_get_coarse_ns());
		break;
	}
	return 1;
}

/*
 * Tests only (never loaded by the CLI: "?" turns autoload off): sock_ops
 * has no BPF_PROG_TEST_RUN, so tests/bpf/test_rtt.c drives the same
 * record, sample and close code through this syscall program, with a
 * struct fg_rtt_drive as its context.
 */
SEC("?syscall")
int fg_rtt_drive(struct fg_rtt_drive *c)
{
	struct fg_rtt_key k = c->key;

	switch (c->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		fg_rtt_open(&k, c->flags);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		/* syscall programs have no coarse clock */
		fg_rtt_sample(&k, c->args[0], c->args[1] >> 3, c->args[0], 0,
			      bpf_ktime_get_ns());
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (c->args[1] == BPF_TCP_CLOSE)
			fg_rtt_close(&k, bpf_ktime_get_ns());
		break;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
