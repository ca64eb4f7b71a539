/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types shared by the BPF programs and user space. Only fixed-width
 * __u* / __be* types here; every struct that crosses the bpf() boundary has
 * its size asserted at the bottom so a layout change cannot go unnoticed.
 */
#ifndef FG_COMMON_H
#define FG_COMMON_H

#include <linux/types.h>
/* The types of the programs' shared globals (fg_cap_cfg, fg_rule_ctl),
 * which every skeleton's data sections hold. */
#include "fg_capture.h"
#include "fg_rules.h"

/*
 * One typed reason for every check of the guard. The value is the stable
 * code (it is exported in JSON and, later, IPFIX), the name is what the CLI
 * accepts and prints. FG_R_NONE means "no check fired".
 *
 * X(code, ENUM, "name", default-action, strict-action, class, "description")
 *
 * class says what a check is about, for the manual and for the test that
 * holds the guard against Linux's receive path (tests/oracle):
 * MALFORMED: the header is invalid; Linux rejects such packets too.
 * POLICY: the header is valid but the packet is unwanted (attacks, bogus
 * addresses, deprecated features); Linux may well deliver it.
 */
#define FG_REASONS(X)                                                         \
	X(1, ETH_TRUNC, "eth-trunc", DROP, DROP, MALFORMED,                   \
	  "frame shorter than an Ethernet header")                            \
	X(2, VLAN_TRUNC, "vlan-trunc", DROP, DROP, MALFORMED,                 \
	  "frame ends inside an 802.1Q/802.1ad tag")                          \
	X(3, IP_TRUNC, "ip-trunc", DROP, DROP, MALFORMED,                     \
	  "frame shorter than the IPv4/IPv6 header it announces")             \
	X(4, L4_TRUNC, "l4-trunc", DROP, DROP, MALFORMED,                     \
	  "IP payload shorter than its TCP/UDP/ICMP/SCTP header")             \
	X(5, IP4_VERSION, "ip4-version", DROP, DROP, MALFORMED,               \
	  "EtherType IPv4 but IP version is not 4")                           \
	X(6, IP4_IHL, "ip4-ihl", DROP, DROP, MALFORMED,                       \
	  "IPv4 header length below 20")                                      \
	X(7, IP4_TOTLEN, "ip4-totlen", DROP, DROP, MALFORMED,                 \
	  "IPv4 total length beyond the frame or below the header")           \
	X(8, IP4_CSUM, "ip4-csum", DROP, DROP, MALFORMED,                     \
	  "bad IPv4 header checksum")                                         \
	X(9, FRAG_OFLOW, "frag-oflow", DROP, DROP, MALFORMED,                 \
	  "fragment offset + length beyond 65535")                            \
	X(10, TINY_FRAG, "tiny-frag", DROP, DROP, POLICY,                     \
	  "IPv4 first fragment too small for its L4 header, or TCP at "       \
	  "offset 1 (RFC 1858, RFC 3128)")                                    \
	X(11, IP6_VERSION, "ip6-version", DROP, DROP, MALFORMED,              \
	  "EtherType IPv6 but IP version is not 6")                           \
	X(12, IP6_PAYLEN, "ip6-paylen", DROP, DROP, MALFORMED,                \
	  "IPv6 payload length beyond the frame")                             \
	X(13, IP6_EXT_CHAIN, "ip6-ext-chain", DROP, DROP, MALFORMED,          \
	  "IPv6 extension-header chain broken or longer than the bound")      \
	X(14, IP6_FRAG_CHAIN, "ip6-frag-chain", DROP, DROP, POLICY,           \
	  "IPv6 first fragment without the whole header chain (RFC 7112)")    \
	X(15, MARTIAN_SRC, "martian-src", DROP, DROP, POLICY,                 \
	  "source address that is never valid on the wire")                   \
	X(16, LAND, "land", DROP, DROP, POLICY,                               \
	  "source address equals destination address")                        \
	X(17, TCP_DOFF, "tcp-doff", DROP, DROP, MALFORMED,                    \
	  "TCP data offset below 5 or beyond the segment")                    \
	X(18, TCP_FLAGS, "tcp-flags", DROP, DROP, POLICY,                     \
	  "invalid TCP flags: SYN+FIN, SYN+RST, FIN without ACK, none, "      \
	  "FIN+PSH+URG")                                                      \
	X(19, PORT_ZERO, "port-zero", DROP, DROP, POLICY,                     \
	  "TCP or UDP source or destination port 0")                          \
	X(20, UDP_LEN, "udp-len", DROP, DROP, MALFORMED,                      \
	  "UDP length below 8 or different from the IP payload")              \
	X(21, TTL_ZERO, "ttl-zero", COUNT, DROP, POLICY,                      \
	  "IPv4 TTL or IPv6 hop limit 0")                                     \
	X(22, IP6_RH0, "ip6-rh0", COUNT, DROP, POLICY,                        \
	  "IPv6 type 0 routing header (deprecated, RFC 5095)")                \
	X(23, RULE, "rule", DROP, DROP, POLICY,                               \
	  "dropped by an operator rule (flowgate rule)")                      \
	X(24, IP4_OPTS, "ip4-opts", DROP, DROP, MALFORMED,                    \
	  "IPv4 options not well-formed: length past the header, pointer "    \
	  "out of range, an option twice")                                    \
	X(25, IP6_OPTS, "ip6-opts", DROP, DROP, MALFORMED,                    \
	  "IPv6 hop-by-hop or destination options: TLV past its header, "     \
	  "padding over 7 bytes or not zero, router alert length")            \
	X(26, IP6_JUMBO, "ip6-jumbo", DROP, DROP, MALFORMED,                  \
	  "IPv6 payload length 0 without a valid Jumbo Payload option, or "   \
	  "one where none may be (RFC 2675)")                                 \
	X(27, IP6_FRAG_LEN, "ip6-frag-len", DROP, DROP, MALFORMED,            \
	  "IPv6 fragment with M set whose data is not a multiple of 8 bytes " \
	  "(RFC 8200 4.5)")                                                   \
	X(28, BOGON_SRC, "bogon-src", COUNT, DROP, POLICY,                    \
	  "IPv4 source in 240.0.0.0/4 or 0.0.0.0/8 (not 0.0.0.0): unicast "   \
	  "to Linux, unallocated on the Internet")

enum fg_reason {
	FG_R_NONE = 0,
#define FG_X_ENUM(code, e, name, def, strict, cls, desc) FG_R_##e = code,
	FG_REASONS(FG_X_ENUM)
#undef FG_X_ENUM
		FG_R_MAX, /* one past the last code */
};

enum fg_class {
	FG_CLASS_MALFORMED = 1,
	FG_CLASS_POLICY = 2,
};

/*
 * Action of one check. 0 is "whatever the default profile says", so that an
 * all-zero config map (a fresh load by any loader) is the default profile.
 */
enum fg_action {
	FG_ACT_DEFAULT = 0,
	FG_ACT_OFF = 1,
	FG_ACT_COUNT = 2, /* monitor only: counted, packet passes */
	FG_ACT_DROP = 3,
};

enum fg_profile {
	FG_PROFILE_DEFAULT = 0,
	FG_PROFILE_MONITOR = 1, /* every check counts, nothing is dropped */
	FG_PROFILE_STRICT = 2,
	FG_PROFILE_MAX,
};

/* Single entry (key 0) of the fg_config array map. All zero is the
 * default: default profile, no sampling, dropped packets counted as flows. */
struct fg_config {
	__u32 version;	/* FG_CONFIG_VERSION once user space wrote it */
	__u32 profile;	/* enum fg_profile, informational for the kernel */
	__u64 override; /* bit r set: act[r] was set explicitly */
	__u8 act[32];	/* enum fg_action per reason code */
	__u32 sampling; /* flow accounting samples 1 in N packets; 0, 1: all */
	__u32 flags;	/* FG_CFG_* */
};

/* Packets the guard drops are not turned into flow records (they are still
 * counted in fg_flowstats.unflowed so totals add up). */
#define FG_CFG_NO_DROP_FLOWS (1u << 0)
#define FG_CONFIG_VERSION    1

/*
 * Flow accounting counters of one interface and direction (part of
 * fg_ifstats). Together with the flow table they
 * conserve packets: every packet accounted is in exactly one of
 * flows, overflow, sampled_out or unflowed.
 */
struct fg_flowstats {
	__u64 packets; /* packets seen by flow accounting */
	__u64 octets;
	__u64 sampled_pkts; /* not sampled: left out of flows on purpose */
	__u64 sampled_octets;
	__u64 unflowed_pkts; /* dropped, with FG_CFG_NO_DROP_FLOWS */
	__u64 unflowed_octets;
	__u64 ovf_pkts; /* table full: went to fg_overflow */
	__u64 ovf_octets;
	__u64 insert_fail; /* flow inserts that failed (table full) */
	__u64 ovf_lost;	   /* overflow aggregate itself full: counted here */
	__u64 frag_lent;   /* later fragments given the first one's ports */
	__u64 frag_orphan; /* later fragments whose first was not seen */
};

/* Dropped packets that the drop budget (attach drop-flow-rate) sent to
 * the overflow aggregate, of one interface and direction: value of the
 * per-CPU array fg_ovfrate, indexed as fg_ifstats (fg_slot_key). A part
 * of fg_flowstats.ovf_pkts, apart so that pins of fg_ifstats made by an
 * older attach keep their layout. */
struct fg_ovf_rate {
	__u64 packets;
	__u64 octets;
};

/* RX queues 0..62 are counted one by one; 63 and above share slot 63.
 * 64 slots: a power of two, so that BPF can mask the index. */
#define FG_MAX_RXQ 63

/*
 * Per-interface counters (value of the per-CPU array fg_ifstats, index
 * fg_slot_key(slot, dir): one inlined lookup per packet serves everything). The
 * guard's counters are ingress only. Every packet the program sees increments
 * rx_packets once and exactly one verdict counter: pass or drop[reason].
 * matched[r] counts every packet on which check r fired, whatever its action
 * (count or drop), so monitor-mode hits are visible.
 */
struct fg_ifstats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 pass_packets;
	__u64 pass_bytes;
	__u64 drop_packets[32];
	__u64 drop_bytes[32];
	__u64 matched[32];
	struct fg_flowstats flows;
	__u64 rxq_packets[FG_MAX_RXQ + 1]; /* XDP's rx_queue_index */
	__u64 rxq_octets[FG_MAX_RXQ + 1];
};

/* ifindex shown for the catch-all slot: nothing goes uncounted. */
#define FG_IFINDEX_OTHER 0
#define FG_MAX_IFACES	 256

/*
 * fg_ifstats holds two entries (ingress, egress) per slot. attach gives each
 * interface a slot 1..FG_MAX_IFACES (fg_iface.slot) and writes it into its
 * program instances' rodata (fg_slot) before load, so that the data path
 * indexes an array instead of hashing the ifindex. Slot 0 counts programs
 * loaded without a slot: another loader's, replay's, the tests'.
 */
#define FG_SLOT_OTHER 0
#define FG_NSLOTS     (FG_MAX_IFACES + 1)
static inline __u32 fg_slot_key(__u32 slot, __u32 dir)
{
	return slot * 2 + dir;
}

/* Value of the fg_ifaces hash (keyed by ifindex): what `attach` did. */
struct fg_iface {
	__u32 ifindex;
	__u32 mode;	   /* enum fg_attach_mode (XDP hook) */
	__u32 prog_id;	   /* ingress program: fg_xdp, or fg_tc_in */
	__u32 hook;	   /* enum fg_hook: where ingress is handled */
	__u64 attach_time; /* CLOCK_REALTIME seconds */
	char ifname[16];
	__u32 out_prog_id; /* fg_tc_out on clsact egress */
	__u32 flags;	   /* FG_IFACE_* */
	__u32 slot;	 /* its counters: fg_ifstats[fg_slot_key(slot, dir)] */
	__u32 drop_rate; /* drop-flow-rate its programs load with; 0 none */
};

/* attach created the clsact qdisc, so detach removes it. */
#define FG_IFACE_OWN_QDISC (1u << 0)

/* Our cls_bpf filters on clsact ingress/egress. */
#define FG_TC_HANDLE 0x464c
#define FG_TC_PRIO   0x10

enum fg_attach_mode {
	FG_MODE_NATIVE = 1,
	FG_MODE_SKB = 2,
};

enum fg_hook {
	FG_HOOK_XDP = 1,
	FG_HOOK_TC = 2,
};

enum fg_dir {
	FG_DIR_IN = 0,
	FG_DIR_OUT = 1,
};

/*
 * Flow table (fg_flowtab, include/fg_flowtab.h). One record per direction
 * of a conversation, per interface and per verdict: the dropped packets of
 * a flow are a record of their own, with the drop reason, so that every
 * record has one forwarding status.
 */
struct fg_flow_key {
	__u32 ifindex;
	__u8 dir;    /* enum fg_dir */
	__u8 ip_ver; /* 4, 6; 0 for non-IP frames (eth_proto says what) */
	__u8 proto;
	__u8 reason;  /* FG_R_NONE: forwarded; else dropped for this reason */
	__u8 src[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u8 dst[16];
	__be16 sport;
	__be16 dport; /* ICMP/ICMPv6: type << 8 | code (icmpTypeCode) */
	__u16 vlan;   /* outer VLAN ID, 0 if untagged */
	__u16 vlan_inner;
	__u16 eth_proto; /* EtherType after VLAN tags, host order */
	__u16 pad;
};

struct fg_flow_val {
	__u64 packets;
	__u64 octets;	/* IP-layer bytes (frame bytes for non-IP) */
	__u64 first_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 last_ns;
	__u8 tcp_flags; /* OR over the packets */
	__u8 ttl_min;
	__u8 ttl_max;
	__u8 pad;
	__u32 rule_id; /* reason rule: the rule that dropped it */
};

/* One CPU's value in what bpf(2) returns of a per-CPU map: 8-octet
 * aligned. */
#define FG_FLOW_VAL_STRIDE ((sizeof(struct fg_flow_val) + 7) / 8 * 8)

/* No room in the flow table (both of the key's buckets full, or a drop
 * into a region above its fill mark): the packet goes to the per-CPU
 * overflow aggregate of its interface, direction, IP version and
 * protocol (maps fg_ovfarr and fg_overflow, read as one by
 * ctl/lib/ovf.c). */
struct fg_ovf_key {
	__u32 ifindex;
	__u8 dir;
	__u8 ip_ver;
	__u8 proto;
	__u8 pad;
};

struct fg_ovf_val {
	__u64 packets;
	__u64 octets;
};

/*
 * The overflow aggregate's fast half (map fg_ovfarr): a per-CPU array
 * indexed by the instance's slot, direction and protocol class, so that a
 * packet without room costs an array lookup, not a hash of its key. The
 * class is an exact protocol, so that readers rebuild the very key of
 * fg_overflow, which keeps only the rare rest: class 0 non-IP, then per
 * IP version (4: 1-7, 6: 8-14) TCP, UDP, ICMP (ICMPv6 for 6), SCTP, GRE,
 * ESP and protocol 0 (headers too short to say). -1: no class.
 */
#define FG_OVF_NCLASS  16
#define FG_OVF_ENTRIES (2 * FG_NSLOTS * FG_OVF_NCLASS)

/* fg_ovf_class() + 1 by IP version (row 0: 4, row 1: 6) and protocol, 0
 * for none: a load instead of a switch, whose branches cost BPF about
 * 4 ns a packet of a full table, and mispredict where protocols mix. */
#define FG_OVF_CLS_ROW(r, v)                                               \
	[(r) << 8 | 6] = 1 + (v), [(r) << 8 | 17] = 2 + (v),               \
		    [(r) << 8 | 132] = 4 + (v), [(r) << 8 | 47] = 5 + (v), \
		    [(r) << 8 | 50] = 6 + (v), [(r) << 8 | 0] = 7 + (v)
static const __u8 fg_ovf_cls[2 << 8] = {
	FG_OVF_CLS_ROW(0, 1), [1] = 4,		  /* IPv4; ICMP */
	FG_OVF_CLS_ROW(1, 8), [1 << 8 | 58] = 11, /* IPv6; ICMPv6 */
};

static inline int fg_ovf_class(__u32 ip_ver, __u32 proto)
{
	__u32 i = (ip_ver & 2) << 7 | (proto & 0xff);

	/* 4 and 6 are the only versions v with v | 2 == 6. */
	if ((ip_ver | 2) != 6)
		return ip_ver || proto ? -1 : 0;
	/* Linux 6.1's verifier loses the bounds of the OR: the mask is what
	 * it follows, and the empty asm keeps clang from dropping it. */
	asm volatile("" : "+r"(i));
	i &= sizeof(fg_ovf_cls) - 1;
	return (int)fg_ovf_cls[i] - 1;
}

/* fg_ovf_class()'s inverse: the IP version and protocol of class c. */
static inline void fg_ovf_class_key(__u32 c, __u8 *ip_ver, __u8 *proto)
{
	static const __u8 pr[8] = {0, 6, 17, 1, 132, 47, 50, 0};

	*ip_ver = !c || c > 14 ? 0 : c <= 7 ? 4 : 6;
	*proto = !*ip_ver ? 0 : c <= 7 ? pr[c] : c == 10 ? 58 : pr[c - 7];
}

/* One CPU's entry of fg_ovfarr: the counts, and the interface they are
 * of. An entry with packets belongs to its ifindex until it is read
 * (never zeroed while the interface may be exported), so a slot taken
 * again by another interface, or instances without a slot that see
 * several interfaces, send that entry's packets to fg_overflow instead
 * of adding them to another interface's. */
struct fg_ovf_cnt {
	__u64 packets;
	__u64 octets;
	__u32 ifindex;
	__u32 pad;
};

static inline __u32 fg_ovf_index(__u32 slot, __u32 dir, __u32 c)
{
	return (slot * 2 + dir) * FG_OVF_NCLASS + c;
}

/* fg_account()'s interface argument: ifindex, with the direction in
 * bit 31. */
#define FG_KEY_OUT (1u << 31)
static inline __u32 fg_dir_key(__u32 ifindex, __u32 dir)
{
	return ifindex | (dir == FG_DIR_OUT ? FG_KEY_OUT : 0);
}

#define FG_DEFAULT_MAX_FLOWS 65536
#define FG_MIN_FLOWS	     16
#define FG_MAX_FLOWS	     (1u << 24)
#define FG_MAX_FRAGS	     8192 /* a power of two (slots are masked) */
/* attach drop-flow-rate: dropped packets a second that each CPU puts in
 * flow records (the rest of a flood goes to the overflow aggregate); 0
 * no limit. The default is above an edge host's ordinary drops (a few
 * thousand a second; the budget's window, about 1/16 s, takes a burst of
 * 640 at once, include/fg_flowtab.h) and a small part of a flood's
 * millions. */
#define FG_DROP_RATE_DEFAULT 10000
#define FG_DROP_RATE_MAX     10000000

/* Longest packet the BPF side judges by its wire length: an IPv4 packet of
 * 65535 bytes behind two VLAN tags fits; longer ones (GSO, jumbograms) are
 * judged as if they ended there. */
#define FG_MAX_WIRE 0x1ffff
/* fg_wire_len (a recorded packet, BPF_PROG_TEST_RUN) with this bit set:
 * the packet's wire length is the rest, even when it is shorter than the
 * frame (frames below the 14 bytes a test run requires are padded) or 0.
 * Without it, 0 means "the whole frame". */
#define FG_WIRE_SET (1u << 31)

#define FG_PIN_DEFAULT "/sys/fs/bpf/flowgate"

#ifndef __bpf__
_Static_assert(FG_R_MAX <= 32, "reason codes must fit the 32-slot arrays");
_Static_assert(FG_R_MAX <= 64, "override is a 64-bit mask");
_Static_assert(sizeof(struct fg_config) == 56, "fg_config layout");
_Static_assert(sizeof(struct fg_flow_key) == 52, "fg_flow_key layout");
_Static_assert(sizeof(struct fg_flow_val) == 40, "fg_flow_val layout");
_Static_assert(sizeof(struct fg_ovf_key) == 8, "fg_ovf_key layout");
_Static_assert(sizeof(struct fg_flowstats) == 12 * 8, "fg_flowstats layout");
_Static_assert(sizeof(struct fg_ifstats) ==
		       32 + 3 * 32 * 8 + 12 * 8 + 2 * (FG_MAX_RXQ + 1) * 8,
	       "fg_ifstats layout");
_Static_assert(sizeof(struct fg_iface) == 56, "fg_iface layout");
_Static_assert(FG_R_MAX <= FG_CAP_NKEYS, "a capture counter per reason");
#endif

#endif /* FG_COMMON_H */
