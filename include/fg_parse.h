/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The packet parser and validator, written once as portable C. It compiles
 * for BPF (bpf/) and for the host (unit tests, fuzzing, replay checks).
 *
 * Style follows xdp-tools' parsing_helpers.h: a cursor walks the frame and
 * every read is preceded by a bounds check against the end of the frame.
 * In BPF the check against `end` (data_end) is what satisfies the verifier;
 * the checks against `l3_end` (the end the IP header announces) are the
 * semantic ones. Both are needed: l3_end is a scalar to the verifier.
 *
 * The single entry point is fg_parse(). It fills a struct fg_pkt with what
 * later stages need (addresses, ports, flags) and the verdict: p->reason is
 * FG_R_NONE for pass, or the one reason the packet is dropped for.
 */
#ifndef FG_PARSE_H
#define FG_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include "fg_common.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define FG_INLINE static __always_inline

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__bpf__)
/*
 * Verifiers before 6.19 (and 6.18.y before the backport of "bpf: Add
 * bitwise tracking for BPF_END") forget every bound of a register after a
 * byte swap, so a swapped length added to a packet pointer is rejected
 * ("unbounded min value"): 6.1, 6.6 and 6.12 all need this. The mask in
 * asm, which the compiler cannot fold away, gives the 16-bit bound back.
 */
static __always_inline __u16 fg_ntohs_bpf(__u16 x)
{
	__u64 v = __builtin_bswap16(x);

	asm volatile("%0 &= 0xffff" : "+r"(v));
	return (__u16)v;
}
#define fg_ntohs(x) fg_ntohs_bpf((__u16)(x))
#define fg_ntohl(x) ((__u32)__builtin_bswap32((__u32)(x)))
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define fg_ntohs(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define fg_ntohl(x) ((__u32)__builtin_bswap32((__u32)(x)))
#else
#define fg_ntohs(x) ((__u16)(x))
#define fg_ntohl(x) ((__u32)(x))
#endif
/* A field that never meets a pointer (a protocol, flags, an ID, a length
 * only compared) needs no bound: a plain swap. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define fg_ntohs_val(x) ((__u16)__builtin_bswap16((__u16)(x)))
#else
#define fg_ntohs_val(x) ((__u16)(x))
#endif
/* A constant needs no bound: folded at compile time, not through the asm. */
#define fg_htons(x)                                                    \
	(__builtin_constant_p(x) ? (__u16)fg_const_bswap16((__u16)(x)) \
				 : fg_ntohs(x))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define fg_const_bswap16(x) __builtin_bswap16(x)
#define fg_htonl(x)	    ((__u32)__builtin_bswap32((__u32)(x)))
#else
#define fg_const_bswap16(x) (x)
#define fg_htonl(x)	    ((__u32)(x))
#endif

/*
 * A header field of 2 or 4 bytes, read as one load. Header bytes sit at
 * any alignment in a buffer (an IPv4 address after 14 bytes of Ethernet is
 * at 2 mod 4), and a copy through __u8 pointers makes clang emit a load
 * per byte in BPF, which has no unaligned-load instruction of its own. BPF
 * loads them whole: the verifier checks packet alignment only where it
 * must (strict alignment), and then against NET_IP_ALIGN, by which the
 * fields read here are aligned. The host reads them with memcpy(), which
 * compiles to one load and keeps UBSan's alignment check (fuzzing) quiet.
 */
#ifdef __bpf__
#define fg_load16(q) (*(const __u16 *)(const void *)(q))
#define fg_load32(q) (*(const __u32 *)(const void *)(q))
#else
static inline __u16 fg_load16(const void *q)
{
	__u16 v;

	__builtin_memcpy(&v, q, sizeof(v));
	return v;
}

static inline __u32 fg_load32(const void *q)
{
	__u32 v;

	__builtin_memcpy(&v, q, sizeof(v));
	return v;
}
#endif

#ifdef __clang__
#define FG_UNROLL _Pragma("unroll")
#else
#define FG_UNROLL _Pragma("GCC unroll 16")
#endif

/* Bound on the IPv6 extension-header walk: 8 headers is more than any
 * legitimate chain carries (RFC 8200 §4.1 order has at most 7 kinds), and
 * small enough for the verifier. */
#define FG_IP6_MAX_EXT 8

enum fg_frag {
	FG_FRAG_NONE = 0,  /* not a fragment, or an atomic fragment */
	FG_FRAG_FIRST = 1, /* offset 0, more fragments */
	FG_FRAG_LATER = 2, /* offset > 0: no L4 header here */
};

struct fg_pkt {
	__u32 reason;	  /* enum fg_reason of the drop; FG_R_NONE = pass */
	__u32 hits;	  /* bit r: check r fired (count or drop) */
	__u16 l3_proto;	  /* EtherType after VLAN tags, host order */
	__u16 vlan_outer; /* VID of the outer tag, 0 if untagged */
	__u16 vlan_inner; /* VID of the inner tag, 0 if none */
	__u16 pad0;
	__u8 vlan_depth;
	__u8 ip_ver; /* 4, 6, or 0 when not IP */
	__u8 proto;  /* L4 protocol after IPv6 extension headers */
	__u8 ttl;
	__u8 frag;  /* enum fg_frag */
	__u8 l4_ok; /* ports / ICMP type were parsed */
	__u8 tcp_flags;
	__u8 ext_count; /* IPv6 extension headers walked */
	__u8 jumbo;	/* IPv6 jumbogram: length from the frame */
	__u8 unseen;	/* parse stopped where the view ended, not the packet */
	__u8 frag_odd;	/* IPv6 fragment, M set, data not a multiple of 8 */
	__u8 pad;
	__be16 sport;
	__be16 dport; /* ICMP: type << 8 | code, as IPFIX puts it */
	__u8 src[16] __attribute__((aligned(4))); /* IPv4: ::ffff:a.b.c.d */
	__u8 dst[16] __attribute__((aligned(4)));
	/* Offsets from the start of the frame, handed between stages. */
	__u32 l3_off;
	__u32 l4_off;
	__u32 l3_end;  /* end of the IP packet as its header announces it */
	__u32 ip_len;  /* IP-layer length (header + payload), as IPFIX counts */
	__u32 frag_id; /* IPv4 identification / IPv6 fragment header ID */
	__u8 l4_hlen;  /* TCP header length with options, UDP 8 */
	__u8 pad1[3];
	__u32 rule_id; /* set by the rule stage with reason FG_R_RULE */
};

/* What fg_parse_head / fg_parse_ext6 say comes next. */
enum fg_stage {
	FG_STAGE_DONE = 0, /* verdict final */
	FG_STAGE_EXT6 = 1, /* walk IPv6 extension headers at l4_off */
	FG_STAGE_L4 = 2,   /* parse the L4 header at l4_off, then addresses */
	FG_STAGE_ADDR = 3, /* no L4 header to read: address checks only */
};

struct fg_vlanhdr {
	__be16 tci;
	__be16 encap_proto;
};

/* ---- actions ----------------------------------------------------------- */

/* Action a profile gives to a check. Called with constants on the BPF side,
 * so the switch folds away. */
FG_INLINE __u8 fg_profile_action(__u32 profile, __u32 r)
{
	if (profile == FG_PROFILE_MONITOR)
		return FG_ACT_COUNT;
	switch (r) {
#define FG_X_ACT(code, e, name, def, strict, cls, desc)               \
	case FG_R_##e:                                                \
		return profile == FG_PROFILE_STRICT ? FG_ACT_##strict \
						    : FG_ACT_##def;
		FG_REASONS(FG_X_ACT)
#undef FG_X_ACT
	}
	return FG_ACT_OFF;
}

/* Effective action: an explicit one from the config map, else the default
 * profile's. A zeroed (or absent) config is therefore the default profile. */
FG_INLINE __u8 fg_action(const struct fg_config *cfg, __u32 r)
{
	__u8 a = cfg->act[r & 31];

	return a ? a : fg_profile_action(FG_PROFILE_DEFAULT, r);
}

/* Record that check r fired; true when the packet must be dropped for it.
 * Only the first dropping check sets the reason: callers stop on true. */
FG_INLINE int fg_hit(struct fg_pkt *p, const struct fg_config *cfg, __u32 r)
{
	__u8 a = fg_action(cfg, r);

	if (a == FG_ACT_OFF)
		return 0;
	p->hits |= 1u << r;
	if (a != FG_ACT_DROP)
		return 0;
	p->reason = r;
	return 1;
}

/* A 32-bit big-endian field at any alignment (an IPv6 header after 14
 * bytes of Ethernet puts the fragment ID and the jumbo length at 2 mod 4). */
FG_INLINE __u32 fg_get32(const __u8 *q)
{
	return (__u32)q[0] << 24 | (__u32)q[1] << 16 | (__u32)q[2] << 8 | q[3];
}

/* ---- bounds ------------------------------------------------------------ */

/* Keep the compiler from rewriting a bounds check into a form the verifier
 * cannot follow (e.g. merging two checks, or hoisting one into a
 * precomputed trip count). */
#define fg_barrier_var(v) asm volatile("" : "+r"(v))

/* Make clang read the fields stored in struct fg_pkt back from it where
 * they are checked, instead of holding each in a register from its store
 * to its check: in BPF's ten registers that spilled every one (a store of
 * the spill beside the store to p, and a reload), the store to p being
 * needed anyway. Used where one pointer ends the view and the packet
 * (fg_xdp's head on a NIC, 55 spill-slot accesses to 15); with two ends
 * live (TC) the reloads did not pay. A no-op on the host, which has
 * registers enough. */
#ifdef __bpf__
#define fg_reread_pkt(p) asm volatile("" : : "r"(p) : "memory")
#else
#define fg_reread_pkt(p) \
	do {             \
	} while (0)
#endif

/*
 * Two ends bound every read. `end` is how far we can read: data_end in BPF,
 * the captured bytes in a capture. `lim` is how far the packet goes: the
 * wire length for L2/L3 headers, the end the IP header announces for what
 * follows it. They differ when a capture's snaplen or an skb's linear area
 * is shorter than the packet: a header past `end` but within `lim` was not
 * seen, which is no reason to call the packet truncated.
 * The OK path passes the test against `end` first, for the verifier; n is a
 * constant or a bounded value at every call site.
 */
enum fg_fit {
	FG_FIT_OK = 0,
	FG_FIT_SHORT = 1,  /* the packet is shorter than the header */
	FG_FIT_UNSEEN = 2, /* the header is in the packet, not in our view */
};

FG_INLINE int fg_fit(const __u8 *q, __u32 n, const __u8 *end, const __u8 *lim)
{
	if (q + n > end)
		return q + n > lim ? FG_FIT_SHORT : FG_FIT_UNSEEN;
	/* One pointer for both ends (fg_xdp's head on a NIC): what is in the
	 * view is in the packet, and the compiler drops the second test. */
	if (__builtin_constant_p(end == lim) && end == lim)
		return FG_FIT_OK;
	fg_barrier_var(q);
	return q + n > lim ? FG_FIT_SHORT : FG_FIT_OK;
}

/* A header did not fit: count check r if the packet is short, or note that
 * the rest was not seen. Either way parsing stops (returns -1). */
FG_INLINE int fg_no_fit(struct fg_pkt *p, const struct fg_config *cfg, int fit,
			__u32 r)
{
	if (fit == FG_FIT_UNSEEN)
		p->unseen = 1;
	else
		fg_hit(p, cfg, r);
	return -1;
}

/* ---- L2 ---------------------------------------------------------------- */

/* Returns 0 to go on with p->l3_proto set, -1 to stop. */
FG_INLINE int fg_parse_eth(const __u8 **pos, const __u8 *end, const __u8 *wend,
			   const struct fg_config *cfg, struct fg_pkt *p)
{
	const struct ethhdr *eth = (const void *)*pos;
	const struct fg_vlanhdr *vh;
	__be16 proto;
	int i, fit;

	fit = fg_fit(*pos, sizeof(*eth), end, wend);
	if (fit)
		return fg_no_fit(p, cfg, fit, FG_R_ETH_TRUNC);
	proto = fg_load16(&eth->h_proto);
	*pos = (const __u8 *)(eth + 1);

	FG_UNROLL
	for (i = 0; i < 2; i++) {
		if (proto != fg_htons(ETH_P_8021Q) &&
		    proto != fg_htons(ETH_P_8021AD))
			break;
		vh = (const void *)*pos;
		fit = fg_fit(*pos, sizeof(*vh), end, wend);
		if (fit)
			return fg_no_fit(p, cfg, fit, FG_R_VLAN_TRUNC);
		if (i == 0)
			p->vlan_outer = fg_ntohs_val(vh->tci) & 0x0fff;
		else
			p->vlan_inner = fg_ntohs_val(vh->tci) & 0x0fff;
		p->vlan_depth = i + 1;
		proto = vh->encap_proto;
		*pos = (const __u8 *)(vh + 1);
	}
	p->l3_proto = fg_ntohs_val(proto);
	return 0;
}

/* ---- IPv4 -------------------------------------------------------------- */

/* One's-complement sum of the header; hlen is 20..60 and the first 20 bytes
 * are known to be in the frame. Summed as 32-bit words into 64 bits and
 * folded to 16 (RFC 1071 1.2: the sum does not depend on the word size or
 * byte order, and 0xffff is its own swap): half the loads and adds of a
 * 16-bit sum. Options are summed a word at a time with a fresh check each,
 * under a constant bound (10) for the verifier. */
FG_INLINE int fg_ip4_csum_ok(const __u8 *ip, const __u8 *end, __u32 hlen)
{
	const __u8 *o = ip + 20;
	__u64 sum;
	int i;

	sum = (__u64)fg_load32(ip) + fg_load32(ip + 4) + fg_load32(ip + 8) +
	      fg_load32(ip + 12) + fg_load32(ip + 16);
	for (i = 0; i < 10; i++) {
		if (20 + (__u32)i * 4 >= hlen)
			break;
		fg_barrier_var(o);
		if (o + 4 > end)
			return 0;
		sum += fg_load32(o);
		o += 4;
	}
	/* A fold keeps the sum mod 0xffff (2^16 is 1 mod 0xffff), and the
	 * header is right iff that is 0. At most 15 words are below 2^36,
	 * below 2^20 + 2^16 after one fold and at most 0xffff + 17 after
	 * two, where the only multiple of 0xffff is 0xffff itself: the sum
	 * is not 0, the version nibble is 4. */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* dst is 4-aligned (struct fg_pkt's addresses): whole words. */
FG_INLINE void fg_map_v4(__u8 *dst, const __u8 *addr4)
{
	__u32 *w = (__u32 *)(void *)dst;

	w[0] = 0;
	w[1] = 0;
	w[2] = fg_htonl(0xffff);
	w[3] = fg_load32(addr4);
}

/* An IPv6 address into a 4-aligned dst. */
FG_INLINE void fg_copy16(__u8 *dst, const __u8 *src)
{
	__u32 *w = (__u32 *)(void *)dst;

	w[0] = fg_load32(src);
	w[1] = fg_load32(src + 4);
	w[2] = fg_load32(src + 8);
	w[3] = fg_load32(src + 12);
}

/*
 * Make the verifier forget what it knows of *v but its mask: the value goes
 * through a 2-byte stack slot, which it keeps no value for. A bounded loop
 * is verified once per round and per distinct state; counters that differ
 * by path (how many NOPs, how much padding) multiply the states of a round
 * until the program is "too large". Forgotten, they are alike and pruned.
 * On the host this is a store and a load.
 */
FG_INLINE void fg_forget(__u16 *slot, __u32 *v, __u32 mask)
{
	*(volatile __u16 *)slot = (__u16)*v;
	*v = *(volatile __u16 *)slot & mask;
}

/* IPv4 option numbers ip_options_compile() gives rules to. */
#define FG_IPOPT_END  0
#define FG_IPOPT_NOOP 1
#define FG_IPOPT_RR   7
#define FG_IPOPT_TS   68
#define FG_IPOPT_LSRR 131
#define FG_IPOPT_SSRR 137
#define FG_IPOPT_RA   148

/* Is the option at b[off] (len bytes, in the buffer) not well-formed by
 * its own rules? Record route and source routes: a pointer from 4 and, for
 * record route while there is room left, room for one more address.
 * Timestamp (RFC 791): a pointer from 5, flags 1 and 3 need 8 bytes a
 * slot, and a full option must not overflow its overflow count. Router
 * alert: 4 bytes. */
FG_INLINE int fg_ip4_opt_bad(__u8 t, __u32 len, __u32 ptr, __u32 oflw_fl)
{
	__u32 fl = oflw_fl & 0x0f;

	if (t == FG_IPOPT_RR || t == FG_IPOPT_LSRR || t == FG_IPOPT_SSRR) {
		if (len < 3 || ptr < 4)
			return 1;
		return t == FG_IPOPT_RR && ptr <= len && ptr + 3 > len;
	}
	if (t == FG_IPOPT_TS) {
		if (len < 4 || ptr < 5)
			return 1;
		if (ptr <= len)
			return ptr + 3 > len ||
			       ((fl == 1 || fl == 3) && ptr + 7 > len);
		return fl != 3 && (oflw_fl >> 4) == 15;
	}
	return t == FG_IPOPT_RA && len < 4;
}

/*
 * The options of a header that is in the view [ip, ip + hlen), with the
 * rules of Linux's ip_options_compile(): every option fits the header,
 * each follows its own rules (fg_ip4_opt_bad), and record route, timestamp
 * and source route appear once each. Returns 1 when they are not
 * well-formed.
 * The options are first copied to the stack as 16-bit slots, bit 8 set in
 * those within the header: the walk then reads a buffer instead of
 * checking every packet read, and learns where the header ends from the
 * slots rather than by comparing with its length. Both keep the number of
 * states the verifier tracks through the loop small. Every option takes at
 * least one byte, so 40 rounds walk any header.
 */
#define FG_OPT_IN 0x100

FG_INLINE int fg_ip4_opts_bad(const __u8 *ip, const __u8 *end, __u32 hlen)
{
	__u16 b[64];
	const __u8 *o = ip + 20;
	__u32 n = hlen - 20, off = 0, len, seen = 0, bit;
	__u16 t;
	int i;

	__builtin_memset(b, 0, sizeof(b));
	FG_UNROLL
	for (i = 0; i < 10; i++) {
		if ((__u32)i * 4 >= n)
			break;
		fg_barrier_var(o);
		if (o + 4 > end)
			return 0;
		b[i * 4] = FG_OPT_IN | o[0];
		b[i * 4 + 1] = FG_OPT_IN | o[1];
		b[i * 4 + 2] = FG_OPT_IN | o[2];
		b[i * 4 + 3] = FG_OPT_IN | o[3];
		o += 4;
	}
	for (i = 0; i < 40; i++) {
		/* Forget which path made off what it is: the states of one
		 * round are then alike and pruned. */
		fg_forget(&b[63], &off, 63);
		fg_forget(&b[62], &seen, 7);
		t = b[off];
		if (t == FG_OPT_IN + FG_IPOPT_NOOP) {
			off++;
			continue;
		}
		/* Past the header, or End of Options. */
		if (t == 0 || t == FG_OPT_IN + FG_IPOPT_END)
			return 0;
		len = b[(off + 1) & 63];
		if (!(len & FG_OPT_IN))
			return 1; /* a type byte ends the header */
		len &= 0xff;
		if (len < 2 || off + len > 40 ||
		    !(b[(off + len - 1) & 63] & FG_OPT_IN))
			return 1;
		if (fg_ip4_opt_bad(t & 0xff, len, b[(off + 2) & 63] & 0xff,
				   b[(off + 3) & 63] & 0xff))
			return 1;
		bit = t == FG_OPT_IN + FG_IPOPT_RR   ? 1
		      : t == FG_OPT_IN + FG_IPOPT_TS ? 2
		      : t == FG_OPT_IN + FG_IPOPT_LSRR ||
				      t == FG_OPT_IN + FG_IPOPT_SSRR
			      ? 4
			      : 0;
		if (seen & bit)
			return 1;
		seen |= bit;
		off += len;
	}
	return 0;
}

/* Returns 0 with *pos at L4 and *l3_end set, or -1 to stop. */
FG_INLINE int fg_parse_ip4(const __u8 **pos, const __u8 *end, const __u8 *wend,
			   const __u8 **l3_end, const struct fg_config *cfg,
			   struct fg_pkt *p)
{
	const __u8 *ip = *pos;
	__u32 hlen, totlen, off;
	__u16 fo;
	int fit;

	fit = fg_fit(ip, 20, end, wend);
	if (fit)
		return fg_no_fit(p, cfg, fit, FG_R_IP_TRUNC);
	p->ip_ver = 4;
	if ((ip[0] >> 4) != 4) {
		fg_hit(p, cfg, FG_R_IP4_VERSION);
		return -1;
	}
	hlen = (ip[0] & 0x0f) * 4;
	if (hlen < 20) {
		fg_hit(p, cfg, FG_R_IP4_IHL);
		return -1;
	}
	fit = fg_fit(ip, hlen, end, wend);
	if (fit)
		return fg_no_fit(p, cfg, fit, FG_R_IP_TRUNC);
	totlen = fg_ntohs(*(const __be16 *)(ip + 2));
	if (totlen < hlen || totlen > (__u32)(wend - ip)) {
		fg_hit(p, cfg, FG_R_IP4_TOTLEN);
		return -1;
	}
	p->ip_len = totlen;
	p->frag_id = fg_ntohs_val(*(const __be16 *)(ip + 4));
	p->ttl = ip[8];
	p->proto = ip[9];
	fg_map_v4(p->src, ip + 12);
	fg_map_v4(p->dst, ip + 16);
	if (__builtin_constant_p(end == wend) && end == wend)
		fg_reread_pkt(p);

	if (fg_action(cfg, FG_R_IP4_CSUM) != FG_ACT_OFF &&
	    !fg_ip4_csum_ok(ip, end, hlen) && fg_hit(p, cfg, FG_R_IP4_CSUM))
		return -1;
	if (p->ttl == 0 && fg_hit(p, cfg, FG_R_TTL_ZERO))
		return -1;

	fo = fg_ntohs_val(*(const __be16 *)(ip + 6));
	off = (__u32)(fo & 0x1fff) * 8;
	if (off)
		p->frag = FG_FRAG_LATER;
	else if (fo & 0x2000)
		p->frag = FG_FRAG_FIRST;
	if (off + (totlen - hlen) > 65535 && fg_hit(p, cfg, FG_R_FRAG_OFLOW))
		return -1;
	/* RFC 3128: a TCP fragment at offset 8 can rewrite the flags of the
	 * first one; nothing legitimate sends it. */
	if (off == 8 && p->proto == IPPROTO_TCP &&
	    fg_hit(p, cfg, FG_R_TINY_FRAG))
		return -1;

	*pos = ip + hlen;
	*l3_end = ip + totlen;
	return 0;
}

/* ---- IPv6 -------------------------------------------------------------- */

#define FG_NH_HOP      0
#define FG_NH_ROUTING  43
#define FG_NH_FRAGMENT 44
#define FG_NH_AH       51
#define FG_NH_NONE     59
#define FG_NH_DSTOPTS  60
#define FG_NH_MOBILITY 135

FG_INLINE int fg_is_ext(__u8 nh)
{
	return nh == FG_NH_HOP || nh == FG_NH_ROUTING || nh == FG_NH_FRAGMENT ||
	       nh == FG_NH_AH || nh == FG_NH_DSTOPTS || nh == FG_NH_MOBILITY;
}

#define FG_TLV_PAD1  0
#define FG_TLV_PADN  1
#define FG_TLV_RA    5
#define FG_TLV_JUMBO 0xc2
/* Linux's default for net.ipv6.max_{hbh,dst}_opts_number. Together with
 * at most 7 bytes of padding in a row it also bounds the walk: 8 options
 * and 9 runs of up to 7 Pad1 are 71 TLVs. */
#define FG_TLV_MAX_OPTS 8
#define FG_TLV_MAX	(FG_TLV_MAX_OPTS + (FG_TLV_MAX_OPTS + 1) * 7 + 1)

/* What the TLV walk found besides a verdict: a Jumbo Payload option. */
struct fg_tlv {
	__u32 jumbo_len;
	__u32 has_jumbo;
};

/*
 * The option walks are loops that the verifier would walk again for every
 * path into them (VLAN tags, each extension header): BPF programs run them
 * as global functions, checked once (fg_ctx.bpf.h). The parser calls them
 * through this hook with the header's offset from the start of the frame;
 * the host's (fg_tlv_host) just walks.
 */
typedef __u32 (*fg_tlv_fn)(void *cookie, __u32 off, __u32 hlen, __u32 hbh,
			   struct fg_tlv *t);

/* PadN carries zeros (RFC 4942 2.1.9.5); o + olen is in the view and olen
 * is at most 7 here. */
FG_INLINE int fg_padn_bad(const __u8 *o, const __u8 *end, __u32 olen)
{
	int j;

	for (j = 2; j < 7; j++) {
		if ((__u32)j >= olen)
			break;
		if (o + j + 1 > end)
			return 0;
		if (o[j])
			return 1;
	}
	return 0;
}

/*
 * The TLVs of a hop-by-hop (hbh) or destination options header [h, h + hlen)
 * that is in the view, with the rules of Linux's ip6_parse_tlv(): every
 * option fits the header and the last one ends it, padding runs are at most
 * 7 bytes and PadN is zeros, at most FG_TLV_MAX_OPTS other options, router
 * alert is 4 bytes. A hop-by-hop Jumbo Payload option must be 6 bytes at
 * 4n + 2 (RFC 2675); its length goes to t for the caller to check.
 * Returns FG_R_NONE, FG_R_IP6_OPTS or FG_R_IP6_JUMBO. Unknown options pass
 * whatever their type's action bits say: acting on them is the business of
 * the node they are for.
 */
FG_INLINE __u32 fg_ip6_tlv_bad(const __u8 *h, const __u8 *end, __u32 hlen,
			       int hbh, struct fg_tlv *t)
{
	__u32 off = 2, olen, pad = 0, n = 0;
	const __u8 *o;
	__u16 w[4];
	int i;

	for (i = 0; i < FG_TLV_MAX; i++) {
		if (off >= hlen)
			return FG_R_NONE; /* off == hlen: options end it */
		/* As in fg_ip4_opts_bad: forget how the counters came
		 * about, so that the states of one round are alike. */
		fg_forget(&w[0], &off, 0x7ff);
		fg_forget(&w[1], &pad, 0xff);
		fg_forget(&w[2], &n, 0xff);
		fg_forget(&w[3], &hlen, 0xfff);
		o = h + off;
		if (o + 1 > end)
			return FG_R_NONE; /* not reached: the header is seen */
		if (o[0] == FG_TLV_PAD1) {
			if (++pad > 7)
				return FG_R_IP6_OPTS;
			off++;
			continue;
		}
		/* The header is in the view: a type byte that ends the view
		 * ends the header, with no length after it. */
		if (o + 2 > end)
			return FG_R_IP6_OPTS;
		olen = (__u32)o[1] + 2;
		if (off + 2 > hlen || off + olen > hlen)
			return FG_R_IP6_OPTS;
		if (o[0] == FG_TLV_PADN) {
			pad += olen;
			if (pad > 7 || fg_padn_bad(o, end, olen))
				return FG_R_IP6_OPTS;
		} else {
			if (++n > FG_TLV_MAX_OPTS)
				return FG_R_IP6_OPTS;
			pad = 0;
			if (hbh && o[0] == FG_TLV_RA && olen != 4)
				return FG_R_IP6_OPTS;
			if (hbh && o[0] == FG_TLV_JUMBO) {
				if (olen != 6 || (off & 3) != 2)
					return FG_R_IP6_JUMBO;
				if (o + 6 > end)
					return FG_R_NONE;
				t->has_jumbo = 1;
				t->jumbo_len = fg_get32(o + 2);
			}
		}
		off += olen;
	}
	return FG_R_IP6_OPTS;
}

/* The jumbogram rules of RFC 2675 (Linux's ipv6_hop_jumbo), for the
 * hop-by-hop header h right after the fixed header: a Jumbo Payload option
 * if and only if the payload length is 0, a length above 65535 that the
 * packet holds. A valid one moves *l3_end to where it says. */
FG_INLINE int fg_ip6_jumbo_bad(const __u8 *h, const __u8 **l3_end,
			       const struct fg_tlv *t, struct fg_pkt *p)
{
	if (!t->has_jumbo)
		return p->jumbo;
	if (!p->jumbo || t->jumbo_len <= 65535 ||
	    t->jumbo_len > (__u32)(*l3_end - h))
		return 1;
	*l3_end = h + (t->jumbo_len & FG_MAX_WIRE);
	p->ip_len = 40 + t->jumbo_len;
	return 0;
}

/* A broken chain in a first fragment is the RFC 7112 case. */
FG_INLINE int fg_chain_broken(struct fg_pkt *p, const struct fg_config *cfg,
			      int fit)
{
	return fg_no_fit(p, cfg, fit,
			 p->frag == FG_FRAG_FIRST ? FG_R_IP6_FRAG_CHAIN
						  : FG_R_IP6_EXT_CHAIN);
}

/* Walk the extension headers starting at h; on return p->proto is the upper
 * layer and *pos points at it. Returns 0 to go on to L4, 1 when there is no
 * L4 header to parse (a later fragment, No Next Header), -1 to stop. */
FG_INLINE int fg_parse_ip6_ext(const __u8 *data, const __u8 **pos,
			       const __u8 *end, const __u8 **l3_endp,
			       const struct fg_config *cfg, struct fg_pkt *p,
			       fg_tlv_fn tlv, void *cookie)
{
	const __u8 *h = *pos, *l3_end = *l3_endp;
	struct fg_tlv t;
	__u32 len, off, r;
	__u16 fo;
	__u8 nh = p->proto;
	int i, fit;

	for (i = 0; i < FG_IP6_MAX_EXT; i++) {
		if (!fg_is_ext(nh))
			break;
		/* Every extension header is at least 8 bytes long. */
		fit = fg_fit(h, 8, end, l3_end);
		if (fit)
			return fg_chain_broken(p, cfg, fit);
		if (nh == FG_NH_FRAGMENT) {
			fo = fg_ntohs_val(*(const __be16 *)(h + 2));
			p->frag_id = fg_get32(h + 4);
			off = (__u32)(fo >> 3) * 8;
			if (off)
				p->frag = FG_FRAG_LATER;
			else if (fo & 1)
				p->frag = FG_FRAG_FIRST;
			if (off + (__u32)(l3_end - (h + 8)) > 65535 &&
			    fg_hit(p, cfg, FG_R_FRAG_OFLOW))
				return -1;
			/* RFC 8200 4.5: all but the last fragment carry a
			 * multiple of 8 bytes. Judged after the header chain,
			 * in the order Linux checks them. A fragment header
			 * after the first is payload to Linux: it cannot make
			 * the first one right. */
			p->frag_odd |=
				(fo & 1) && ((__u32)(l3_end - (h + 8)) & 7);
			len = 8;
		} else if (nh == FG_NH_AH) {
			len = ((__u32)h[1] + 2) * 4;
		} else {
			len = ((__u32)h[1] + 1) * 8;
		}
		if (nh == FG_NH_ROUTING && h[2] == 0 &&
		    fg_hit(p, cfg, FG_R_IP6_RH0))
			return -1;
		fit = fg_fit(h, len, end, l3_end);
		if (fit)
			return fg_chain_broken(p, cfg, fit);
		if (nh == FG_NH_HOP || nh == FG_NH_DSTOPTS) {
			t.has_jumbo = 0;
			t.jumbo_len = 0;
			r = tlv(cookie, (__u32)(h - data), len,
				i == 0 && nh == FG_NH_HOP, &t);
			if (!r && i == 0 && nh == FG_NH_HOP &&
			    fg_ip6_jumbo_bad(h, &l3_end, &t, p))
				r = FG_R_IP6_JUMBO;
			if (r && fg_hit(p, cfg, r))
				return -1;
			*l3_endp = l3_end;
		}
		nh = h[0];
		h += len;
		p->ext_count = i + 1;
		p->proto = nh;
		if (p->frag == FG_FRAG_LATER)
			return 1; /* the rest is fragmentable payload */
	}
	if (fg_is_ext(nh)) {
		fg_hit(p, cfg, FG_R_IP6_EXT_CHAIN);
		return -1;
	}
	*pos = h;
	return nh == FG_NH_NONE ? 1 : 0;
}

/* Fixed IPv6 header. Returns 0 with *pos after it, -1 to stop. */
FG_INLINE int fg_parse_ip6(const __u8 **pos, const __u8 *end, const __u8 *wend,
			   const __u8 **l3_end, const struct fg_config *cfg,
			   struct fg_pkt *p)
{
	const __u8 *ip = *pos;
	__u32 paylen;
	int fit;

	fit = fg_fit(ip, 40, end, wend);
	if (fit)
		return fg_no_fit(p, cfg, fit, FG_R_IP_TRUNC);
	p->ip_ver = 6;
	if ((ip[0] >> 4) != 6) {
		fg_hit(p, cfg, FG_R_IP6_VERSION);
		return -1;
	}
	paylen = fg_ntohs(*(const __be16 *)(ip + 4));
	p->proto = ip[6];
	p->ttl = ip[7];
	fg_copy16(p->src, ip + 8);
	fg_copy16(p->dst, ip + 24);
	if (paylen == 0 && p->proto == FG_NH_HOP) {
		/* Jumbogram (RFC 2675, BIG TCP): the length is in the
		 * hop-by-hop option; the frame bounds it. */
		*l3_end = wend;
		p->jumbo = 1;
	} else {
		if (ip + 40 + paylen > wend) {
			fg_hit(p, cfg, FG_R_IP6_PAYLEN);
			return -1;
		}
		*l3_end = ip + 40 + paylen;
	}
	p->ip_len = (__u32)(*l3_end - ip);
	if (p->ttl == 0 && fg_hit(p, cfg, FG_R_TTL_ZERO))
		return -1;
	*pos = ip + 40;
	return 0;
}

/* ---- L4 ---------------------------------------------------------------- */

/* The L4 header does not fit: in a first fragment that is a fragmentation
 * attack (RFC 1858 / RFC 7112), otherwise plain truncation. */
FG_INLINE int fg_l4_short(struct fg_pkt *p, const struct fg_config *cfg,
			  int fit)
{
	__u32 r = FG_R_L4_TRUNC;

	if (p->frag == FG_FRAG_FIRST)
		r = p->ip_ver == 4 ? FG_R_TINY_FRAG : FG_R_IP6_FRAG_CHAIN;
	return fg_no_fit(p, cfg, fit, r);
}

FG_INLINE int fg_tcp_flags_bad(__u8 f)
{
	const __u8 fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10,
		   urg = 0x20;

	if ((f & (syn | fin)) == (syn | fin) ||
	    (f & (syn | rst)) == (syn | rst))
		return 1;
	if ((f & fin) && !(f & ack))
		return 1;
	if ((f & 0x3f) == 0)
		return 1;
	/* Xmas scan. With ACK, FIN+PSH+URG is legal (urgent data on the last
	 * segment), and without ACK it is already "FIN without ACK": kept as
	 * its own test so the rule reads as documented. */
	return (f & (fin | psh | urg | ack)) == (fin | psh | urg);
}

FG_INLINE int fg_ports(const __u8 *l4, const struct fg_config *cfg,
		       struct fg_pkt *p)
{
	p->l4_ok = 1;
	p->sport = *(const __be16 *)l4;
	p->dport = *(const __be16 *)(l4 + 2);
	if (p->proto == IPPROTO_SCTP)
		return 0;
	if ((p->sport == 0 || p->dport == 0) && fg_hit(p, cfg, FG_R_PORT_ZERO))
		return -1;
	return 0;
}

FG_INLINE int fg_parse_udp(const __u8 *l4, __u32 rem,
			   const struct fg_config *cfg, struct fg_pkt *p)
{
	__u32 ulen = fg_ntohs_val(*(const __be16 *)(l4 + 4));

	if (fg_ports(l4, cfg, p))
		return -1;
	/* A jumbogram's UDP length is 0 (RFC 2675). A length shorter than the
	 * IP payload is legal (RFC 768; Linux trims the surplus, UDP options
	 * live in it); a first fragment carries only the start of the
	 * datagram, so there only the minimum applies. */
	p->l4_hlen = 8;
	if (ulen == 0 && p->jumbo)
		return 0;
	if ((ulen < 8 || (p->frag == FG_FRAG_NONE && ulen > rem)) &&
	    fg_hit(p, cfg, FG_R_UDP_LEN))
		return -1;
	return 0;
}

FG_INLINE int fg_parse_tcp(const __u8 *l4, __u32 rem,
			   const struct fg_config *cfg, struct fg_pkt *p)
{
	__u32 doff = (l4[12] >> 4) * 4;

	p->tcp_flags = l4[13];
	p->l4_hlen = doff;
	if (fg_ports(l4, cfg, p))
		return -1;
	if (doff < 20 && fg_hit(p, cfg, FG_R_TCP_DOFF))
		return -1;
	if (doff > rem) {
		if (p->frag == FG_FRAG_FIRST)
			return fg_l4_short(p, cfg, FG_FIT_SHORT);
		if (fg_hit(p, cfg, FG_R_TCP_DOFF))
			return -1;
	}
	if (fg_tcp_flags_bad(p->tcp_flags) && fg_hit(p, cfg, FG_R_TCP_FLAGS))
		return -1;
	return 0;
}

FG_INLINE int fg_parse_l4(const __u8 *l4, const __u8 *end, const __u8 *l3_end,
			  const struct fg_config *cfg, struct fg_pkt *p)
{
	__u32 rem = (__u32)(l3_end - l4);
	int fit;

	switch (p->proto) {
	case IPPROTO_TCP:
		fit = fg_fit(l4, 20, end, l3_end);
		if (fit)
			return fg_l4_short(p, cfg, fit);
		return fg_parse_tcp(l4, rem, cfg, p);
	case IPPROTO_UDP:
		fit = fg_fit(l4, 8, end, l3_end);
		if (fit)
			return fg_l4_short(p, cfg, fit);
		return fg_parse_udp(l4, rem, cfg, p);
	case IPPROTO_SCTP:
		fit = fg_fit(l4, 12, end, l3_end);
		if (fit)
			return fg_l4_short(p, cfg, fit);
		return fg_ports(l4, cfg, p);
	case IPPROTO_ICMP:
	case 58: /* ICMPv6 */
		fit = fg_fit(l4, 8, end, l3_end);
		if (fit)
			return fg_l4_short(p, cfg, fit);
		p->l4_ok = 1;
		p->dport = fg_load16(l4); /* type, code: already in order */
		return 0;
	}
	return 0;
}

/* ---- addresses --------------------------------------------------------- */

FG_INLINE int fg_is_zero16(const __u8 *a)
{
	const __u32 *w = (const void *)a;

	return (w[0] | w[1] | w[2] | w[3]) == 0;
}

FG_INLINE int fg_eq16(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const void *)a, *y = (const void *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		(x[3] ^ y[3])) == 0;
}

/* ICMPv6 messages that RFC 4861 / RFC 3590 allow from the unspecified
 * address: MLD reports and done, router and neighbour solicitation (DAD). */
FG_INLINE int fg_icmp6_from_any_ok(const struct fg_pkt *p)
{
	__u8 type = fg_ntohs_val(p->dport) >> 8;

	return p->proto == 58 && p->l4_ok &&
	       (type == 131 || type == 132 || type == 133 || type == 135 ||
		type == 143);
}

/* An IPv4 packet's addresses as words in host order: both are
 * ::ffff:a.b.c.d (fg_map_v4), so the last word holds all that differs. */
FG_INLINE __u32 fg_src4(const struct fg_pkt *p)
{
	return fg_ntohl(((const __u32 *)(const void *)p->src)[3]);
}

FG_INLINE __u32 fg_dst4(const struct fg_pkt *p)
{
	return fg_ntohl(((const __u32 *)(const void *)p->dst)[3]);
}

/* IPv4 source a.b.c.d = s: 0.0.0.0/8 and 240.0.0.0/4 are bogons
 * (fg_bogon4). */
FG_INLINE int fg_martian4(__u32 s)
{
	__u32 a = s >> 24;

	if (a == 255)
		return s == 0xffffffff;
	return a == 127 || (a >= 224 && a < 240);
}

/* IPv4 sources Linux takes as unicast (0.0.0.0/8 since 5.3, 240.0.0.0/4
 * always) but that no one is allocated on the Internet; clouds hand out
 * class E to pods. 0.0.0.0 itself is DHCP's (and IGMP's) "no address yet",
 * 255.255.255.255 a martian. */
FG_INLINE int fg_bogon4(__u32 s)
{
	__u32 a = s >> 24;

	if (a == 0)
		return s != 0;
	return a >= 240 && !fg_martian4(s);
}

FG_INLINE int fg_martian_src(const struct fg_pkt *p)
{
	const __u8 *s = p->src;

	if (p->ip_ver == 4)
		return fg_martian4(fg_src4(p));
	if (s[0] == 0xff)
		return 1; /* multicast source */
	/* An ICMPv6 header the view cut off (not the packet) may be one of
	 * those: no verdict on what was not seen. */
	if (fg_is_zero16(s))
		return !fg_icmp6_from_any_ok(p) &&
		       !(p->proto == 58 && p->unseen);
	/* ::1 */
	{
		const __u32 *w = (const void *)s;

		return (w[0] | w[1] | w[2]) == 0 && s[12] == 0 && s[13] == 0 &&
		       s[14] == 0 && s[15] == 1;
	}
}

FG_INLINE int fg_check_addrs4(const struct fg_config *cfg, struct fg_pkt *p)
{
	__u32 s = fg_src4(p);

	if (fg_martian4(s) && fg_hit(p, cfg, FG_R_MARTIAN_SRC))
		return -1;
	if (fg_bogon4(s) && fg_hit(p, cfg, FG_R_BOGON_SRC))
		return -1;
	/* Land, but not from 0.0.0.0/8, which is the bogon check's. */
	if (s == fg_dst4(p) && (s >> 24) != 0 && fg_hit(p, cfg, FG_R_LAND))
		return -1;
	return 0;
}

FG_INLINE int fg_check_addrs(const struct fg_config *cfg, struct fg_pkt *p)
{
	if (p->ip_ver == 4)
		return fg_check_addrs4(cfg, p);
	if (fg_martian_src(p) && fg_hit(p, cfg, FG_R_MARTIAN_SRC))
		return -1;
	/* Land: the same source and destination, but not the unspecified
	 * address. */
	if (fg_eq16(p->src, p->dst) && !fg_is_zero16(p->src) &&
	    fg_hit(p, cfg, FG_R_LAND))
		return -1;
	return 0;
}

/* ---- stages and entry point ------------------------------------------- */
/*
 * The parse runs in three stages that hand over through offsets in fg_pkt.
 * The host simply calls them in a row (fg_parse). The BPF programs wrap the
 * last two in global functions, so that the verifier checks each stage once
 * rather than once per path through the stages before it. An IPv4 packet
 * without options, most of the traffic, is done in the first.
 */

/* An IPv4 packet's L4 header (stage FG_STAGE_L4 only) at l4, then the
 * address checks. */
FG_INLINE void fg_parse_tail4(const __u8 *l4, const __u8 *end,
			      const __u8 *l3_end, int stage,
			      const struct fg_config *cfg, struct fg_pkt *p)
{
	if (stage == FG_STAGE_L4) {
		fg_parse_l4(l4, end, l3_end, cfg, p);
		if (p->reason)
			return;
	}
	fg_check_addrs4(cfg, p);
}

/* Ethernet, VLAN tags and the fixed IP header. [data, data_end) is what
 * can be read, [data, wire_end) the packet as it was on the wire. */
FG_INLINE int fg_parse_head(const void *data, const void *data_end,
			    const void *wire_end, const struct fg_config *cfg,
			    struct fg_pkt *p)
{
	const __u8 *pos = data, *end = data_end, *wend = wire_end;
	const __u8 *l3_end = wend;
	int next;

	__builtin_memset(p, 0, sizeof(*p));
	if (fg_parse_eth(&pos, end, wend, cfg, p))
		return FG_STAGE_DONE;
	p->l3_off = (__u32)(pos - (const __u8 *)data);
	if (p->l3_proto == ETH_P_IP) {
		const __u8 *ip = pos;

		if (fg_parse_ip4(&pos, end, wend, &l3_end, cfg, p))
			return FG_STAGE_DONE;
		/* Never read L4 in a later fragment: those bytes are payload.
		 */
		next = p->frag == FG_FRAG_LATER ? FG_STAGE_ADDR : FG_STAGE_L4;
		p->l4_off = (__u32)(pos - (const __u8 *)data);
		p->l3_end = (__u32)(l3_end - (const __u8 *)data);
		if (pos != ip + 20)
			return next; /* options come first (fg_parse_opts4) */
		/* Without options the rest follows here, on the pointers at
		 * hand: in BPF the common packet then reloads and bounds no
		 * offset and calls no stage. */
		fg_parse_tail4(ip + 20, end, l3_end, next, cfg, p);
		return FG_STAGE_DONE;
	} else if (p->l3_proto == ETH_P_IPV6) {
		if (fg_parse_ip6(&pos, end, wend, &l3_end, cfg, p))
			return FG_STAGE_DONE;
		next = FG_STAGE_EXT6;
	} else {
		return FG_STAGE_DONE; /* not IP: passes untouched */
	}
	p->l4_off = (__u32)(pos - (const __u8 *)data);
	p->l3_end = (__u32)(l3_end - (const __u8 *)data);
	return next;
}

/* IPv6 extension headers from l4_off; moves p->l4_off past them. */
FG_INLINE int fg_parse_ext6(const void *data, const void *data_end,
			    __u32 l4_off, __u32 l3_end,
			    const struct fg_config *cfg, struct fg_pkt *p,
			    fg_tlv_fn tlv, void *cookie)
{
	const __u8 *pos = (const __u8 *)data + l4_off;
	const __u8 *l3e = (const __u8 *)data + l3_end;
	int ret;

	ret = fg_parse_ip6_ext(data, &pos, data_end, &l3e, cfg, p, tlv, cookie);
	if (ret < 0)
		return FG_STAGE_DONE;
	p->l4_off = (__u32)(pos - (const __u8 *)data);
	p->l3_end = (__u32)(l3e - (const __u8 *)data);
	return ret == 0 ? FG_STAGE_L4 : FG_STAGE_ADDR;
}

/* IPv4 options, between the fixed header and L4 (stage FG_STAGE_L4 or
 * FG_STAGE_ADDR): returns the next stage. The header [l3_off, l4_off) is
 * in the view. */
FG_INLINE int fg_parse_opts4(const void *data, const void *data_end,
			     __u32 l3_off, __u32 l4_off, int stage,
			     const struct fg_config *cfg, struct fg_pkt *p)
{
	if (l4_off <= l3_off + 20 ||
	    fg_action(cfg, FG_R_IP4_OPTS) == FG_ACT_OFF)
		return stage;
	if (fg_ip4_opts_bad((const __u8 *)data + l3_off, data_end,
			    l4_off - l3_off) &&
	    fg_hit(p, cfg, FG_R_IP4_OPTS))
		return FG_STAGE_DONE;
	return stage;
}

/* L4 header (stage FG_STAGE_L4 only), then the address checks. */
FG_INLINE void fg_parse_tail(const void *data, const void *data_end,
			     __u32 l4_off, __u32 l3_end, int stage,
			     const struct fg_config *cfg, struct fg_pkt *p)
{
	if (stage == FG_STAGE_L4) {
		fg_parse_l4((const __u8 *)data + l4_off, data_end,
			    (const __u8 *)data + l3_end, cfg, p);
		if (p->reason)
			return;
	}
	if (p->frag_odd && fg_hit(p, cfg, FG_R_IP6_FRAG_LEN))
		return;
	fg_check_addrs(cfg, p);
}

/* The whole parse, for the host. p->reason is the verdict. wire_len is the
 * packet's length on the wire (>= data_end - data: a capture may hold only
 * the first bytes). */
struct fg_view {
	const __u8 *data, *end;
};

static inline __u32 fg_tlv_host(void *cookie, __u32 off, __u32 hlen, __u32 hbh,
				struct fg_tlv *t)
{
	const struct fg_view *v = cookie;

	return fg_ip6_tlv_bad(v->data + off, v->end, hlen, hbh, t);
}

static inline void fg_parse_wire(const void *data, const void *data_end,
				 __u32 wire_len, const struct fg_config *cfg,
				 struct fg_pkt *p)
{
	const __u8 *wend = (const __u8 *)data + wire_len;
	struct fg_view v = {data, data_end};
	int stage;

	if (wend < (const __u8 *)data_end)
		wend = data_end;
	stage = fg_parse_head(data, data_end, wend, cfg, p);

	if (stage != FG_STAGE_DONE && p->ip_ver == 4)
		stage = fg_parse_opts4(data, data_end, p->l3_off, p->l4_off,
				       stage, cfg, p);
	if (stage == FG_STAGE_EXT6)
		stage = fg_parse_ext6(data, data_end, p->l4_off, p->l3_end, cfg,
				      p, fg_tlv_host, &v);
	if (stage != FG_STAGE_DONE)
		fg_parse_tail(data, data_end, p->l4_off, p->l3_end, stage, cfg,
			      p);
}

/* The whole frame was seen (XDP, or a capture without snaplen cut). */
static inline void fg_parse(const void *data, const void *data_end,
			    const struct fg_config *cfg, struct fg_pkt *p)
{
	fg_parse_wire(data, data_end,
		      (__u32)((const __u8 *)data_end - (const __u8 *)data), cfg,
		      p);
}

#endif /* FG_PARSE_H */
