/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet capture at the verdict point (include/fg_capture.h). BPF only.
 *
 * Cost when no capture runs: the programs test fg_cap_active(), one load
 * of a global and a branch predicted not taken, and call nothing. The
 * global is in a data section of its own (FG_CAP_CFG_SEC), a one-entry
 * array that user space pins and every program instance reuses, so that
 * `flowgate capture` switches all of them with one map update and no
 * reload. A global is read straight from its map value; an ordinary map
 * would cost a lookup.
 *
 * When it runs, the packet is matched against the selection, sampled and
 * rate limited per CPU (a GCRA token bucket, no division), then copied
 * with bpf_xdp_load_bytes() / bpf_skb_load_bytes() (5.18 / 4.5; they also
 * reach XDP frags and non-linear skbs) into a ring record reserved at one
 * of two constant sizes: the verifier wants a constant reservation, and
 * small packets should not take a full-sized slot.
 */
#ifndef FG_CAPTURE_BPF_H
#define FG_CAPTURE_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_capture.h"
#include "fg_parse.h"
#include "fg_maps.bpf.h"
#include "fg_clock.bpf.h"

struct fg_cap_cfg fg_cap_cfg SEC(".data.fg_cap") = {};

/* Sized by attach (capture-ring SIZE), shared by all CPUs and programs. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FG_CAP_RING_DEFAULT);
} fg_cap_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_CAP_NKEYS);
	__type(key, __u32);
	__type(value, struct fg_cap_count);
} fg_cap_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_cap_cpu);
} fg_cap_cpu SEC(".maps");

static __always_inline int fg_cap_active(void)
{
	return __builtin_expect(*(volatile __u32 *)&fg_cap_cfg.on != 0, 0);
}

/* Replay stamps packets and fills the bucket on the capture's clock, so
 * that two replays write the same file. */
static __always_inline __u64 fg_cap_now(void)
{
	if (fg_capture_clock)
		return fg_pkt_ns;
	return bpf_ktime_get_ns();
}

/* The counters of the packet's reason when it is to be captured, and
 * the time in *now; NULL when it is not (counted already if the selection
 * matched it). The clock is read only for a packet that got that far: it
 * costs more than the tests before it. */
static __always_inline struct fg_cap_count *
fg_cap_select(const struct fg_pkt *p, __u32 ifindex, __u64 *now)
{
	const struct fg_cap_cfg *c = &fg_cap_cfg;
	__u32 verdict = p->reason ? FG_CAP_DROP : FG_CAP_PASS;
	__u32 key = p->reason & (FG_CAP_NKEYS - 1), zero = 0, sample;
	struct fg_cap_count *n;
	struct fg_cap_cpu *st;
	__u64 tat;

	if (!(c->verdicts & verdict))
		return NULL;
	if (c->checks && !(c->checks & p->hits))
		return NULL;
	if (c->rule_id && c->rule_id != p->rule_id)
		return NULL;
	if (c->ifindex && c->ifindex != ifindex)
		return NULL;
	n = bpf_map_lookup_elem(&fg_cap_stats, &key);
	st = bpf_map_lookup_elem(&fg_cap_cpu, &zero);
	if (!n || !st)
		return NULL;
	if (st->gen != c->gen) {
		st->gen = c->gen;
		st->seen = 0;
		st->tat_ns = 0;
	}
	sample = c->sample;
	if (sample > 1 && st->seen++ % sample) {
		n->sampled_out++;
		return NULL;
	}
	n->selected++;
	*now = fg_cap_now();
	if (c->interval_ns) {
		tat = st->tat_ns > *now ? st->tat_ns : *now;
		if (tat - *now > c->burst_ns) {
			n->suppressed++;
			return NULL;
		}
		st->tat_ns = tat + c->interval_ns;
	}
	return n;
}

static __always_inline void fg_cap_fill(struct fg_cap_rec *r,
					const struct fg_pkt *p, __u64 now,
					__u32 ifindex, __u32 rxq, __u32 wire,
					__u32 dir, __u32 flags, __u32 len)
{
	r->ts_ns = now;
	r->ifindex = ifindex;
	r->rx_queue = rxq;
	r->wire_len = wire;
	r->cap_len = len;
	r->reason = p->reason;
	r->hits = p->hits;
	r->rule_id = p->rule_id;
	r->flow_hash = fg_cap_flow_hash(p->src, p->dst, p->sport, p->dport,
					p->proto, p->ip_ver);
	r->dir = dir;
	r->verdict = p->reason ? FG_CAP_DROP : FG_CAP_PASS;
	r->flags = flags | (fg_capture_clock ? FG_CAP_F_WALL : 0);
	r->pad[0] = r->pad[1] = r->pad[2] = r->pad[3] = r->pad[4] = 0;
}

/*
 * Wake the reader only when this record takes the waiting data past a
 * quarter of the ring (1/4, 1/2, 3/4: the ring's size is a power of two).
 * The default wakes it on every record while it keeps up, the usual case
 * at a moderate rate, and waking on every record above a mark does the
 * same once the reader falls behind: an irq_work and a cross-CPU wake-up
 * each, microseconds, ten times the copy. The reader also takes what is
 * waiting each time its 100 ms wait ends (ctl/cmd/capture.c), so a record
 * below the mark waits at most that long. SIZE is the record's room in the
 * ring, header included.
 */
static __always_inline __u64 fg_cap_wake(__u64 size)
{
	__u64 avail = bpf_ringbuf_query(&fg_cap_ring, BPF_RB_AVAIL_DATA);
	__u64 mark = bpf_ringbuf_query(&fg_cap_ring, BPF_RB_RING_SIZE) / 4;

	if (avail >= size && ((avail - size) & -mark) != (avail & -mark))
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * One record of ROOM packet bytes (a constant): reserve, fill, copy LEN
 * (1..ROOM) bytes with LOAD(ctx, 0, dst, len), submit. A failed copy (it
 * cannot fail within the frame) leaves a record without data. The empty
 * asm statements keep clang from merging the two reservations of a caller
 * into one call with a variable size, which the verifier refuses, and from
 * clamping a copy of the length the verifier does not follow. The length
 * is passed as (len - 1, clamped) + 1 for 6.1's verifier (Debian 12),
 * which learns nothing from "len != 0" and refuses a size that may be 0.
 */
#define FG_CAP_PUT(ROOM, LOAD, ...)                                         \
	({                                                                  \
		struct fg_cap_rec *_r = bpf_ringbuf_reserve(                \
			&fg_cap_ring, sizeof(*_r) + (ROOM), 0);             \
		int _ok = _r != NULL;                                       \
                                                                            \
		asm volatile("" ::: "memory");                              \
		if (_r) {                                                   \
			__u64 _x = (__u64)len - 1;                          \
                                                                            \
			fg_cap_fill(_r, p, now, __VA_ARGS__, len);          \
			asm volatile("" : "+r"(_x));                        \
			if (_x > (ROOM)-1)                                  \
				_x = (ROOM)-1;                              \
			if (!len || LOAD(ctx, 0, _r->data, _x + 1))         \
				_r->cap_len = 0;                            \
			bpf_ringbuf_submit(_r,                              \
					   fg_cap_wake(FG_CAP_ROOM(ROOM))); \
		}                                                           \
		_ok;                                                        \
	})

/*
 * The capture of one context type: NAME(ctx, p, wire, dir), called only
 * when fg_cap_active(). FRAME(ctx) is how many bytes can be copied,
 * IFINDEX(ctx) and RXQ(ctx) what the record says, FLAGS its FG_CAP_F_*.
 * A static subprogram, not a global function: kernels before 6.8 verify
 * every global function of a program, called or not, so a global copy
 * with bpf_xdp_load_bytes() (5.18) would make every XDP program refuse
 * to load on 5.12-5.17. A static one is verified only where a call is
 * reached, and fg_xdp calls it only behind a rodata switch
 * (fg_cap_loadable) that the loader sets from the kernel's probe.
 */
#define FG_DEFINE_CAPTURE(NAME, CTX, LOAD, FRAME, IFINDEX, RXQ, FLAGS)    \
	static __noinline int NAME(CTX *ctx, const struct fg_pkt *p,      \
				   __u32 wire, __u32 dir)                 \
	{                                                                 \
		__u32 ifindex, len, snap = fg_cap_cfg.snaplen;            \
		struct fg_cap_count *n;                                   \
		__u64 now;                                                \
		int ok;                                                   \
                                                                          \
		if (!ctx || !p)                                           \
			return 0;                                         \
		ifindex = IFINDEX(ctx);                                   \
		n = fg_cap_select(p, ifindex, &now);                      \
		if (!n)                                                   \
			return 0;                                         \
		len = FRAME(ctx);                                         \
		if (len > wire)                                           \
			len = wire;                                       \
		if (len > snap)                                           \
			len = snap;                                       \
		if (len > FG_CAP_SNAP_MAX)                                \
			len = FG_CAP_SNAP_MAX;                            \
		if (len <= FG_CAP_SNAP_SMALL)                             \
			ok = FG_CAP_PUT(FG_CAP_SNAP_SMALL, LOAD, ifindex, \
					RXQ(ctx), wire, dir, FLAGS);      \
		else                                                      \
			ok = FG_CAP_PUT(FG_CAP_SNAP_MAX, LOAD, ifindex,   \
					RXQ(ctx), wire, dir, FLAGS);      \
		if (ok)                                                   \
			n->captured++;                                    \
		else                                                      \
			n->lost++;                                        \
		return 0;                                                 \
	}

#endif /* FG_CAPTURE_BPF_H */
