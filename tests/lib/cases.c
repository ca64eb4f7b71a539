// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Crafted cases shared by the host and BPF tests; see cases.h.
 *
 * A builder takes (kind, bad): kind picks a variant, bad = 1 builds the
 * malformed packet and bad = 0 its valid twin. Damage that must leave the
 * rest consistent (TTL 0 with a good checksum) is done before pkt_finish();
 * damage that must survive (a wrong length or checksum) after it.
 */
#include <arpa/inet.h>
#include <string.h>
#include "fg_common.h"
#include "cases.h"

#define S4 FGC_S4
#define D4 FGC_D4
#define S6 FGC_S6
#define D6 FGC_D6

static const __u8 ip4_ra[] = {0x94, 0x04, 0, 0}; /* RFC 2113 */
static const __u8 ip6_ra[] = {0x05, 0x02, 0, 0}; /* RFC 2711, MLD */

/* Ethernet and 0, 1 or 2 VLAN tags (QinQ: 802.1ad outside). */
static void l2(struct pkt *p, int tags)
{
	pkt_init(p);
	pkt_eth(p);
	if (tags == 2)
		pkt_vlan(p, PKT_ETH_QINQ, 200);
	if (tags >= 1)
		pkt_vlan(p, PKT_ETH_VLAN, 100);
}

static struct iphdr *eth_ip4(struct pkt *p, const char *s, const char *d)
{
	l2(p, 0);
	return pkt_ip4(p, s, d);
}

static struct ipv6hdr *eth_ip6(struct pkt *p, const char *s, const char *d)
{
	l2(p, 0);
	return pkt_ip6(p, s, d);
}

static __u8 *at(struct pkt *p, int layer)
{
	return p->b + pkt_off(p, layer);
}

static void set16(__u8 *q, __u16 v)
{
	q[0] = v >> 8;
	q[1] = v & 0xff;
}

/* Cut the frame, before pkt_finish(), so that the last header has n bytes:
 * the IP lengths then agree with the frame and only the header is short. */
static void cut_last(struct pkt *p, unsigned int n)
{
	pkt_trunc(p, pkt_off(p, -1) + n);
}

/* ---- one builder per check ------------------------------------------- */

/* An Ethernet header alone; bad: 13 bytes (kind 0) or 1 byte (kind 1). */
static void b_eth_trunc(struct pkt *p, int k, int bad)
{
	pkt_init(p);
	pkt_eth_type(p, PKT_ETH_TEST);
	pkt_finish(p);
	if (bad)
		pkt_trunc(p, k ? 1 : 13);
}

/* Tagged UDP; bad: the frame ends inside the (inner) tag. */
static void b_vlan_trunc(struct pkt *p, int k, int bad)
{
	l2(p, k ? 2 : 1);
	pkt_ip4(p, S4, D4);
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
	if (bad)
		pkt_trunc(p, 14 + 4 * k + 3);
}

/* bad: the frame ends inside the IPv4 header (0), the IPv6 header (1), or
 * the IPv4 options (2). */
static void b_ip_trunc(struct pkt *p, int k, int bad)
{
	static const __u8 nops[] = {1, 1, 1, 1};

	if (k == 1) {
		eth_ip6(p, S6, D6);
	} else {
		eth_ip4(p, S4, D4);
		if (k == 2)
			pkt_ip4_opts(p, nops, 4);
	}
	pkt_finish(p);
	if (bad)
		pkt_trunc(p, 14 + (k == 1 ? 39 : k == 2 ? 22 : 19));
}

/* The L4 header exactly fits (twin) or is one byte short, both in the IP
 * length and in the frame. */
static void b_l4_trunc(struct pkt *p, int k, int bad)
{
	static const unsigned int need[] = {20, 8, 8, 12, 8, 20, 8};

	if (k < 4)
		eth_ip4(p, S4, D4);
	else
		eth_ip6(p, S6, D6);
	switch (k) {
	case 0:
	case 5:
		pkt_tcp(p, 40000, 80, PKT_SYN);
		break;
	case 1:
	case 6:
		pkt_udp(p, 40000, 53);
		break;
	case 2:
		pkt_icmp(p, 8, 0, 0x00010001);
		break;
	case 3:
		pkt_sctp(p, 5000, 5001, 0);
		break;
	case 4:
		pkt_icmp6(p, 128, 0, 0x00010001);
		break;
	}
	cut_last(p, need[k] - bad);
	pkt_finish(p);
}

/* bad: version 5 (kind 0) or 6 (kind 1) under EtherType IPv4. */
static void b_ip4_version(struct pkt *p, int k, int bad)
{
	struct iphdr *ip = eth_ip4(p, S4, D4);

	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	if (bad)
		ip->version = k ? 6 : 5;
	pkt_finish(p);
}

/* bad: IHL 4 (kind 0) or 0 (kind 1); the checksum covers what IHL says. */
static void b_ip4_ihl(struct pkt *p, int k, int bad)
{
	struct iphdr *ip = eth_ip4(p, S4, D4);

	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	if (bad)
		ip->ihl = k ? 0 : 4;
	pkt_finish(p);
}

/* bad: total length one beyond the frame (0), below the header (1), 0 (2);
 * the checksum is made right again so that only the length is wrong. */
static void b_ip4_totlen(struct pkt *p, int k, int bad)
{
	struct iphdr *ip = eth_ip4(p, S4, D4);
	static const int len[] = {20 + 8 + 8 + 1, 19, 0};

	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
	if (bad) {
		ip->tot_len = htons(len[k]);
		pkt_ip4_fix_csum(ip);
	}
}

/* bad: checksum off by one (0), an option byte changed after the checksum
 * was computed (1), checksum off behind two VLAN tags (2). */
static void b_ip4_csum(struct pkt *p, int k, int bad)
{
	struct iphdr *ip;

	l2(p, k == 2 ? 2 : 0);
	ip = pkt_ip4(p, S4, D4);
	if (k == 1)
		pkt_ip4_opts(p, ip4_ra, sizeof(ip4_ra));
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
	if (bad && k == 1)
		((__u8 *)ip)[23] ^= 0x01; /* the router alert value */
	else if (bad)
		ip->check ^= htons(1);
}

/* A last fragment of 16 bytes at offset 65512 ends at 65527; at 65520 it
 * would end at 65535 + 1. IPv4 (0) and IPv6 (1). */
static void b_frag_oflow(struct pkt *p, int k, int bad)
{
	unsigned int off = bad ? 65520 : 65512;
	struct iphdr *ip;

	if (k) {
		eth_ip6(p, S6, D6);
		pkt_ip6_frag(p, off, 0, 7)[0] = IPPROTO_UDP;
	} else {
		ip = eth_ip4(p, S4, D4);
		ip->protocol = IPPROTO_UDP;
		pkt_ip4_frag(ip, off, 0);
	}
	pkt_data(p, NULL, 16);
	pkt_finish(p);
}

/*
 * IPv4 fragments too small for (or overlapping) the TCP/UDP/ICMP header:
 * 0: first TCP fragment with 8 bytes of TCP header (twin: 20 + 4);
 * 1: TCP fragment at offset 8 (RFC 3128; twin: offset 16);
 * 2: first TCP fragment whose data offset (60) is past its end (twin: 20);
 * 3: first UDP fragment with 4 bytes of UDP header (twin: 8 + 8);
 * 4: first ICMP fragment with 4 bytes of ICMP header (twin: 8 + 8).
 */
static void b_tiny_frag(struct pkt *p, int k, int bad)
{
	struct iphdr *ip = eth_ip4(p, S4, D4);
	struct tcphdr *th;

	if (k == 1) {
		ip->protocol = IPPROTO_TCP;
		pkt_ip4_frag(ip, bad ? 8 : 16, 0);
		pkt_data(p, NULL, 16);
		pkt_finish(p);
		return;
	}
	pkt_ip4_frag(ip, 0, 1);
	if (k == 0 || k == 2) {
		th = pkt_tcp(p, 40000, 80, PKT_ACK);
		if (k == 2 && bad)
			th->doff = 15;
		if (k == 0 && bad)
			cut_last(p, 8);
		else
			pkt_data(p, NULL, 4);
	} else {
		if (k == 3)
			pkt_udp(p, 40000, 53);
		else
			pkt_icmp(p, 8, 0, 0x00010001);
		if (bad)
			cut_last(p, 4);
		else
			pkt_data(p, NULL, 8);
	}
	pkt_finish(p);
}

/* bad: version 4 under EtherType IPv6. */
static void b_ip6_version(struct pkt *p, int k, int bad)
{
	struct ipv6hdr *ip = eth_ip6(p, S6, D6);

	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	if (bad)
		ip->version = 4;
	pkt_finish(p);
}

/* bad: payload length one beyond the frame (0) or 65535 (1). */
static void b_ip6_paylen(struct pkt *p, int k, int bad)
{
	struct ipv6hdr *ip = eth_ip6(p, S6, D6);

	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
	if (bad)
		ip->payload_len = htons(k ? 65535 : 8 + 8 + 1);
}

/*
 * Broken extension-header chains (not fragments):
 * 0: hop-by-hop header claiming 16 bytes where the packet has 8;
 * 1: 9 destination-options headers, one past the parser's bound (twin 8);
 * 2: the packet ends 2 bytes into a destination-options header;
 * 3: AH whose length runs past the packet.
 */
static void b_ip6_ext_chain(struct pkt *p, int k, int bad)
{
	__u8 *h = NULL;
	int i;

	eth_ip6(p, S6, D6);
	switch (k) {
	case 0:
		h = pkt_ip6_opts(p, PKT_NH_HOP, NULL, 0);
		break;
	case 1:
		for (i = 0; i < 8 + bad; i++)
			pkt_ip6_opts(p, PKT_NH_DSTOPTS, NULL, 0);
		pkt_udp(p, 40000, 53);
		break;
	case 2:
		pkt_ip6_opts(p, PKT_NH_DSTOPTS, NULL, 0);
		if (bad)
			cut_last(p, 6);
		else
			pkt_udp(p, 40000, 53);
		break;
	case 3:
		h = pkt_ah(p, 0x1000, 12);
		pkt_tcp(p, 40000, 80, PKT_ACK);
		break;
	}
	pkt_finish(p);
	if (bad && k == 0)
		h[1] = 1;
	if (bad && k == 3)
		h[1] = 20;
}

/*
 * IPv6 first fragments (M = 1, offset 0) without the whole header chain
 * (RFC 7112): 0: UDP header cut to 4 bytes; 1: destination options that
 * run past the fragment; 2: TCP data offset past the fragment.
 */
static void b_ip6_frag_chain(struct pkt *p, int k, int bad)
{
	struct tcphdr *th;
	__u8 *h = NULL;

	eth_ip6(p, S6, D6);
	pkt_ip6_frag(p, 0, 1, 9);
	if (k == 0) {
		pkt_udp(p, 40000, 53);
		if (bad)
			cut_last(p, 4);
		else
			pkt_data(p, NULL, 8);
	} else {
		if (k == 1)
			h = pkt_ip6_opts(p, PKT_NH_DSTOPTS, NULL, 0);
		th = pkt_tcp(p, 40000, 80, PKT_ACK);
		if (k == 2 && bad)
			th->doff = 15;
		pkt_data(p, NULL, 4);
	}
	pkt_finish(p);
	if (k == 1 && bad)
		h[1] = 5;
}

/* Sources never valid on the wire (0-6), and bogons (7-9) Linux takes as
 * unicast; the twin comes from S4 / S6. */
static const struct {
	int v6;
	const char *src;
} martians[] = {
	{0, "127.0.0.1"}, {0, "224.0.0.1"}, {0, "255.255.255.255"},
	{1, "::1"},	  {1, "ff02::1"},   {1, "::"},
	{1, "::"}, /* 6: as an echo request, below */
	{0, "0.1.2.3"},	  {0, "240.0.0.1"}, {0, "255.255.255.254"},
};

static void b_martian(struct pkt *p, int k, int bad)
{
	if (k == 6) {
		/* :: may send MLD / RS / NS, not an echo request. */
		eth_ip6(p, bad ? "::" : S6, D6);
		pkt_icmp6(p, 128, 0, 0x00010001);
	} else if (martians[k].v6) {
		eth_ip6(p, bad ? martians[k].src : S6, D6);
		pkt_udp(p, 40000, 53);
	} else {
		eth_ip4(p, bad ? martians[k].src : S4, D4);
		pkt_udp(p, 40000, 53);
	}
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/* Source equals destination: IPv4 TCP SYN (0), IPv6 UDP (1). */
static void b_land(struct pkt *p, int k, int bad)
{
	if (k) {
		eth_ip6(p, S6, bad ? S6 : D6);
		pkt_udp(p, 40000, 53);
	} else {
		eth_ip4(p, S4, bad ? S4 : D4);
		pkt_tcp(p, 80, 80, PKT_SYN);
	}
	pkt_finish(p);
}

/* bad data offset: 4 (0), 6 in a 20-byte segment (1), 15 in a 24-byte
 * segment (2), 4 over IPv6 (3). */
static void b_tcp_doff(struct pkt *p, int k, int bad)
{
	static const int doff[] = {4, 6, 15, 4};
	struct tcphdr *th;

	if (k == 3)
		eth_ip6(p, S6, D6);
	else
		eth_ip4(p, S4, D4);
	th = pkt_tcp(p, 40000, 80, PKT_ACK);
	if (k == 2)
		pkt_data(p, NULL, 4);
	if (bad)
		th->doff = doff[k];
	pkt_finish(p);
}

/* Invalid flag sets, each beside the nearest valid one. */
static const __u8 tcp_flags[][2] = {
	{PKT_SYN | PKT_FIN, PKT_SYN},
	{PKT_SYN | PKT_RST, PKT_RST},
	{PKT_FIN, PKT_FIN | PKT_ACK},
	{0, PKT_ACK},
	{PKT_FIN | PKT_PSH | PKT_URG, PKT_FIN | PKT_PSH | PKT_URG | PKT_ACK},
	{PKT_ECE | PKT_CWR, PKT_ECE | PKT_CWR | PKT_ACK},
	{PKT_SYN | PKT_FIN | PKT_ACK, PKT_SYN | PKT_ACK},
	{0xff, 0xff & ~(PKT_SYN | PKT_FIN)},
};

static void b_tcp_flags(struct pkt *p, int k, int bad)
{
	eth_ip4(p, S4, D4);
	pkt_tcp(p, 40000, 80, tcp_flags[k][!bad]);
	pkt_finish(p);
}

/* Port 0: TCP source (0), TCP destination (1), UDP source (2), UDP
 * destination (3), UDP over IPv6 destination (4). */
static void b_port_zero(struct pkt *p, int k, int bad)
{
	__u16 sport = 40000, dport = k == 0 || k == 1 ? 80 : 53;

	if (bad && (k == 1 || k == 3 || k == 4))
		dport = 0;
	else if (bad)
		sport = 0;
	if (k == 4)
		eth_ip6(p, S6, D6);
	else
		eth_ip4(p, S4, D4);
	if (k < 2)
		pkt_tcp(p, sport, dport, PKT_SYN);
	else
		pkt_udp(p, sport, dport);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/*
 * UDP length: 7 (0), payload + 1 (1), 0 outside a jumbogram (2, IPv6), 7
 * in an IPv4 (3) and an IPv6 (4) first fragment whose twin says 1000 (the
 * datagram goes on in later fragments). Twins are exact.
 */
static void b_udp_len(struct pkt *p, int k, int bad)
{
	static const int len[] = {7, 8 + 8 + 1, 0, 7, 7};
	struct udphdr *uh;
	struct iphdr *ip;

	if (k == 2 || k == 4) {
		eth_ip6(p, S6, D6);
		if (k == 4)
			pkt_ip6_frag(p, 0, 1, 11);
	} else {
		ip = eth_ip4(p, S4, D4);
		if (k == 3)
			pkt_ip4_frag(ip, 0, 1);
	}
	uh = pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, k >= 3 ? 16 : 8);
	pkt_finish(p);
	if (k >= 3 && !bad)
		uh->len = htons(1000);
	if (bad)
		uh->len = htons(len[k]);
}

/* Legal UDP lengths: shorter than the IP payload (RFC 768; the surplus is
 * where UDP options live) over IPv4 (0) and IPv6 (1); 8, no data (2); below
 * a first fragment's payload (3 IPv4, 4 IPv6). */
static void b_udp_short(struct pkt *p, int k, int bad)
{
	struct udphdr *uh;
	struct iphdr *ip;

	if (k == 1 || k == 4) {
		eth_ip6(p, S6, D6);
		if (k == 4)
			pkt_ip6_frag(p, 0, 1, 12);
	} else {
		ip = eth_ip4(p, S4, D4);
		if (k == 3)
			pkt_ip4_frag(ip, 0, 1);
	}
	uh = pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 16);
	pkt_finish(p);
	uh->len = htons(k == 2 ? 8 : 8 + 4);
}

/* TTL / hop limit 0: IPv4 (0), IPv6 (1). Counted by default. */
static void b_ttl_zero(struct pkt *p, int k, int bad)
{
	struct ipv6hdr *ip6;
	struct iphdr *ip;

	if (k) {
		ip6 = eth_ip6(p, S6, D6);
		if (bad)
			ip6->hop_limit = 0;
	} else {
		ip = eth_ip4(p, S4, D4);
		if (bad)
			ip->ttl = 0;
	}
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/* Routing header type 0 (twin: type 2, Mobile IPv6); counted by default. */
static void b_ip6_rh0(struct pkt *p, int k, int bad)
{
	eth_ip6(p, S6, D6);
	pkt_ip6_rh(p, bad ? 0 : 2, 1, 1);
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/* ---- checks that fire together --------------------------------------- */

/* 0: TTL 0 (count) then SYN+FIN (drop); 1: TTL 0 from 127.0.0.1;
 * 2: hop limit 0 with a type 0 routing header (both count);
 * 3: a bad checksum stops the parse before the TTL is looked at. */
static void b_combo(struct pkt *p, int k, int bad)
{
	struct iphdr *ip;

	if (k == 2) {
		eth_ip6(p, S6, D6)->hop_limit = 0;
		pkt_ip6_rh(p, 0, 1, 1);
		pkt_udp(p, 40000, 53);
		pkt_finish(p);
		return;
	}
	ip = eth_ip4(p, k == 1 ? "127.0.0.1" : S4, D4);
	ip->ttl = 0;
	if (k == 0)
		pkt_tcp(p, 40000, 80, PKT_SYN | PKT_FIN);
	else
		pkt_udp(p, 40000, 53);
	pkt_finish(p);
	if (k == 3)
		ip->check ^= htons(1);
}

/* ---- what the default profile must let through ----------------------- */

static void b_arp(struct pkt *p, int k, int bad)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_arp(p, k ? 2 : 1, S4, "192.0.2.254");
	pkt_finish(p);
	pkt_pad(p, 60 - p->len);
}

/* DHCPDISCOVER: 0.0.0.0:68 -> 255.255.255.255:67, BOOTP + options. */
static void b_dhcp(struct pkt *p, int k, int bad)
{
	static const __u8 opts[] = {0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255};
	struct ethhdr *eth;
	__u8 *bootp;

	pkt_init(p);
	eth = pkt_eth(p);
	memset(eth->h_dest, 0xff, ETH_ALEN);
	pkt_ip4(p, "0.0.0.0", "255.255.255.255");
	pkt_udp(p, 68, 67);
	bootp = pkt_data(p, NULL, 236 + sizeof(opts));
	memset(bootp, 0, 236);
	bootp[0] = 1; /* BOOTREQUEST */
	bootp[1] = 1;
	bootp[2] = ETH_ALEN;
	memcpy(bootp + 4, "\x12\x34\x56\x78", 4);
	memcpy(bootp + 28, eth->h_source, ETH_ALEN);
	memcpy(bootp + 236, opts, sizeof(opts));
	pkt_finish(p);
}

/* Neighbour discovery: 0 NS from :: (DAD), 1 NS, 2 NA, 3 RS from ::,
 * 4 RA. Hop limit 255 as RFC 4861 requires. */
static void b_nd(struct pkt *p, int k, int bad)
{
	static const char *const src[] = {"::", "fe80::1", "fe80::2",
					  "::", "fe80::1"};
	static const char *const dst[] = {"ff02::1:ff00:1", "ff02::1:ff00:2",
					  "fe80::1", "ff02::2", "ff02::1"};
	static const __u8 type[] = {135, 135, 136, 133, 134};
	static const __u32 rest[] = {0, 0, 0x60000000, 0, 64u << 24 | 1800};
	__u8 target[16];

	eth_ip6(p, src[k], dst[k])->hop_limit = 255;
	pkt_icmp6(p, type[k], 0, rest[k]);
	if (k <= 2) {
		pkt_addr(AF_INET6, k == 0 ? S6 : "fe80::2", target);
		pkt_data(p, target, 16);
	} else if (k == 4) {
		pkt_data(p, NULL, 8); /* reachable time, retrans timer */
		memset(at(p, -1), 0, 8);
	}
	pkt_finish(p);
}

static void igmp_csum(struct pkt *p)
{
	__u8 *h = at(p, -1);
	unsigned int n = p->len - pkt_off(p, -1);

	set16(h + 2, 0);
	set16(h + 2, pkt_csum(h, n, 0));
}

/* IGMP with the router alert option: 0 v2 report, 1 v3 report,
 * 2 general query from 0.0.0.0 (a snooping switch without an address). */
static void b_igmp(struct pkt *p, int k, int bad)
{
	static const __u8 v2[] = {0x16, 0, 0, 0, 239, 1, 2, 3};
	static const __u8 v3[] = {0x22, 0, 0, 0, 0,   0, 0, 1,
				  4,	0, 0, 0, 239, 1, 2, 3};
	static const __u8 q[] = {0x11, 100, 0, 0, 0, 0, 0, 0};
	static const char *const src[] = {S4, S4, "0.0.0.0"};
	static const char *const dst[] = {"239.1.2.3", "224.0.0.22",
					  "224.0.0.1"};
	struct iphdr *ip = eth_ip4(p, src[k], dst[k]);

	ip->ttl = 1;
	ip->protocol = IPPROTO_IGMP;
	pkt_ip4_opts(p, ip4_ra, sizeof(ip4_ra));
	if (k == 0)
		pkt_data(p, v2, sizeof(v2));
	else if (k == 1)
		pkt_data(p, v3, sizeof(v3));
	else
		pkt_data(p, q, sizeof(q));
	igmp_csum(p);
	pkt_finish(p);
}

/* MLD behind a hop-by-hop router alert: 0 MLDv2 report, 1 MLDv1 report
 * from :: (RFC 3590), 2 MLDv1 done, 3 MLDv2 report from ::. */
static void b_mld(struct pkt *p, int k, int bad)
{
	static const __u8 type[] = {143, 131, 132, 143};
	__u8 rec[20] = {4, 0, 0, 0};

	eth_ip6(p, k == 1 || k == 3 ? "::" : "fe80::1",
		k == 2	 ? "ff02::2"
		: k == 1 ? "ff02::fb"
			 : "ff02::16")
		->hop_limit = 1;
	pkt_ip6_opts(p, PKT_NH_HOP, ip6_ra, sizeof(ip6_ra));
	pkt_icmp6(p, type[k], 0, type[k] == 143 ? 1 : 0);
	if (type[k] == 143) {
		pkt_addr(AF_INET6, "ff02::fb", rec + 4);
		pkt_data(p, rec, sizeof(rec));
	} else {
		pkt_addr(AF_INET6, "ff02::fb", rec);
		pkt_data(p, rec, 16);
	}
	pkt_finish(p);
}

/* Multicast UDP: 0 IPv4 to 239.1.2.3, 1 IPv6 mDNS to ff02::fb. */
static void b_mcast(struct pkt *p, int k, int bad)
{
	if (k) {
		eth_ip6(p, "fe80::1", "ff02::fb")->hop_limit = 255;
		pkt_udp(p, 5353, 5353);
	} else {
		eth_ip4(p, S4, "239.1.2.3")->ttl = 1;
		pkt_udp(p, 5000, 5000);
	}
	pkt_data(p, NULL, 32);
	pkt_finish(p);
}

/* Tunnels and IPsec: 0 GRE over IPv4 carrying IPv4 ICMP, 1 GRE over IPv6
 * carrying IPv6 UDP, 2 ESP over IPv4, 3 ESP over IPv6, 4 6in4, 5 AH over
 * IPv4 with TCP inside. */
static void b_tunnel(struct pkt *p, int k, int bad)
{
	if (k & 1)
		eth_ip6(p, S6, D6);
	else
		eth_ip4(p, S4, D4);
	switch (k) {
	case 0:
		pkt_gre(p, 0);
		pkt_ip4(p, "203.0.113.1", "203.0.113.2");
		pkt_icmp(p, 8, 0, 0x00010001);
		break;
	case 1:
		pkt_gre(p, 0);
		pkt_ip6(p, "2001:db8:2::1", "2001:db8:2::2");
		pkt_udp(p, 40000, 53);
		break;
	case 2:
	case 3:
		pkt_esp(p, 0x1000, 1);
		break;
	case 4:
		pkt_ip6(p, "2001:db8:2::1", "2001:db8:2::2");
		pkt_udp(p, 40000, 53);
		break;
	case 5:
		pkt_ah(p, 0x1000, 12);
		pkt_tcp(p, 40000, 80, PKT_ACK);
		break;
	}
	pkt_data(p, NULL, 32);
	pkt_finish(p);
}

/* SCTP INIT over IPv4 (0), IPv6 (1), and from port 0 (2): the port-zero
 * check is for TCP and UDP only. */
static void b_sctp(struct pkt *p, int k, int bad)
{
	if (k == 1)
		eth_ip6(p, S6, D6);
	else
		eth_ip4(p, S4, D4);
	pkt_sctp(p, k == 2 ? 0 : 5000, 5001, 0);
	pkt_finish(p);
}

/*
 * ICMP: 0 echo request; 1 port unreachable quoting an IPv4+UDP header of a
 * 128-byte datagram; 2 time exceeded quoting 8 bytes of TCP; 3 ICMPv6 echo
 * request; 4 ICMPv6 packet too big quoting an IPv6+UDP header.
 */
static void b_icmp(struct pkt *p, int k, int bad)
{
	struct ipv6hdr *ip6;
	struct udphdr *uh;
	struct iphdr *ip;

	if (k == 3 || k == 4) {
		eth_ip6(p, D6, S6);
		pkt_icmp6(p, k == 3 ? 128 : 2, 0, k == 3 ? 0x00010001 : 1280);
	} else {
		eth_ip4(p, D4, S4);
		pkt_icmp(p,
			 k == 0	  ? 8
			 : k == 1 ? 3
				  : 11,
			 k == 1 ? 3 : 0, k ? 0 : 0x00010001);
	}
	if (k == 0 || k == 3) {
		pkt_data(p, NULL, 32);
	} else if (k == 4) {
		ip6 = pkt_ip6(p, S6, D6);
		pkt_keep(p);
		ip6->payload_len = htons(1400);
		uh = pkt_udp(p, 40000, 53);
		pkt_keep(p);
		uh->len = htons(1400);
		pkt_data(p, NULL, 32);
	} else {
		ip = pkt_ip4(p, S4, D4);
		pkt_keep(p);
		ip->tot_len = htons(128);
		ip->ttl = k == 2 ? 1 : 64;
		if (k == 1) {
			uh = pkt_udp(p, 40000, 53);
			pkt_keep(p);
			uh->len = htons(108);
		} else {
			pkt_tcp(p, 40000, 80, PKT_SYN);
			cut_last(p, 8);
		}
	}
	pkt_finish(p);
}

/* IPv6 fragment header with offset 0 and M = 0 (RFC 6946): a whole packet,
 * its UDP length checked like any other. */
static void b_atomic6(struct pkt *p, int k, int bad)
{
	eth_ip6(p, S6, D6);
	pkt_ip6_frag(p, 0, 0, 0x1234);
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/* IPv4 options: 0 router alert, 1 record route (3 slots), 2 timestamp,
 * 3 forty bytes of NOP (IHL 15). */
static void b_ip4_opts(struct pkt *p, int k, int bad)
{
	static const __u8 rr[] = {7, 15, 4};
	static const __u8 ts[] = {68, 12, 5, 0};
	__u8 buf[40];

	eth_ip4(p, S4, D4);
	memset(buf, 0, sizeof(buf));
	if (k == 0) {
		pkt_ip4_opts(p, ip4_ra, sizeof(ip4_ra));
	} else if (k == 1) {
		memcpy(buf, rr, sizeof(rr));
		pkt_ip4_opts(p, buf, 15);
	} else if (k == 2) {
		memcpy(buf, ts, sizeof(ts));
		pkt_ip4_opts(p, buf, 12);
	} else {
		memset(buf, 1, sizeof(buf));
		pkt_ip4_opts(p, buf, 40);
	}
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/* Not IP: 0 LLDP, 1 802.3 length frame with LLC (STP BPDU), 2 three VLAN
 * tags (only two are parsed, the rest is not IP to the parser). */
static void b_non_ip(struct pkt *p, int k, int bad)
{
	static const __u8 lldp[] = {0x02, 0x07, 0x04, 0x02, 0,	  0,   0,   0,
				    0x01, 0x04, 0x05, 0x07, 'e',  't', 'h', '0',
				    0x06, 0x02, 0x00, 0x78, 0x00, 0x00};
	static const __u8 stp_dst[] = {0x01, 0x80, 0xc2, 0, 0, 0};
	struct ethhdr *eth;
	__u8 bpdu[38] = {0x42, 0x42, 0x03};

	pkt_init(p);
	if (k == 2) {
		pkt_eth(p);
		pkt_vlan(p, PKT_ETH_QINQ, 300);
		pkt_vlan(p, PKT_ETH_VLAN, 200);
		pkt_vlan(p, PKT_ETH_VLAN, 100);
		pkt_ip4(p, S4, D4);
		pkt_udp(p, 40000, 53);
		pkt_finish(p);
		return;
	}
	eth = pkt_eth_type(p, k ? sizeof(bpdu) : PKT_ETH_LLDP);
	memcpy(eth->h_dest, stp_dst, ETH_ALEN);
	if (k)
		pkt_data(p, bpdu, sizeof(bpdu));
	else
		eth->h_dest[5] = 0x0e;
	if (!k)
		pkt_data(p, lldp, sizeof(lldp));
	pkt_finish(p);
	if (p->len < 60)
		pkt_pad(p, 60 - p->len);
}

/*
 * IPv6 Jumbo Payload option (RFC 2675) in a small frame, as a GRO packet or
 * a forgery would show it; none of these is a jumbogram:
 * 0: payload length 0 and a hop-by-hop header without the option, UDP;
 * 1: the option says 1000 (a jumbogram is longer than 65535), UDP length 0;
 * 2: the same with TCP;
 * 3: the option with a payload length that is not 0;
 * 4: the option at 4n instead of 4n + 2;
 * 5: the option says 70000, beyond the packet.
 * The twin carries a PadN of the option's size and the right payload
 * length (a valid jumbogram is longer than a test run takes: see
 * test_parse's test_jumbogram and test_diff).
 */
static void b_ip6_jumbo(struct pkt *p, int k, int bad)
{
	__u8 opt[8] = {0xc2, 4}, twin[8] = {1, 4};
	__u32 n = k == 5 ? 70000 : 1000;
	struct ipv6hdr *ip = eth_ip6(p, S6, D6);
	struct udphdr *uh = NULL;
	unsigned int olen = 6;

	if (k == 4) {
		/* Pad1 Pad1 at 2, 3: the option starts at 4 (twin: an
		 * option with no rules there). */
		memmove(opt + 2, opt, 6);
		opt[0] = opt[1] = 0;
		olen = 8;
		twin[0] = twin[1] = 0;
		twin[2] = 30;
		twin[3] = 4;
	}
	opt[olen - 4] = n >> 24;
	opt[olen - 3] = n >> 16;
	opt[olen - 2] = n >> 8;
	opt[olen - 1] = n;
	if (bad && k != 3)
		pkt_keep(p);
	pkt_ip6_opts(p, PKT_NH_HOP, bad && k ? opt : twin, olen);
	if (k == 2) {
		pkt_tcp(p, 40000, 80, PKT_ACK);
	} else {
		uh = pkt_udp(p, 40000, 53);
		if (bad && k)
			pkt_keep(p);
	}
	pkt_data(p, NULL, 64);
	pkt_finish(p);
	if (bad && k != 3)
		ip->payload_len = 0;
	if (uh && bad && k && k != 3)
		uh->len = 0;
}

/*
 * Hop-by-hop (0, 2-6) and destination (1) option TLVs, each beside a twin
 * that differs in the offending bytes (30 is an option whose type says
 * "skip if unknown"):
 * 0, 1: an option running 1 byte past its header (twin: ends it);
 * 2: 8 Pad1 in a row (twin: 7 then a 7-byte option);
 * 3: PadN whose padding is not zero;
 * 4: router alert of 3 bytes of value (twin: 2);
 * 5: 9 options (twin: 8, Linux's default limit);
 * 6: a type byte ending the header with no length after it.
 */
static void b_ip6_opts(struct pkt *p, int k, int bad)
{
	static const __u8 pad8[14] = {0, 0, 0, 0, 0, 0, 0, 0, 30, 4};
	static const __u8 pad7[14] = {0, 0, 0, 0, 0, 0, 0, 30, 5};
	static const __u8 ra3[5] = {5, 3, 0, 0, 0}, ra2[4] = {5, 2};
	__u8 o[18] = {0};
	unsigned int n = 6, i;

	eth_ip6(p, S6, D6);
	switch (k) {
	case 0:
	case 1:
		o[0] = 30;
		o[1] = bad ? 5 : 4;
		break;
	case 2:
		memcpy(o, bad ? pad8 : pad7, 14);
		n = 14;
		break;
	case 3:
		o[0] = 1;
		o[1] = 4;
		o[5] = bad;
		break;
	case 4:
		memcpy(o, bad ? ra3 : ra2, bad ? 5 : 4);
		n = bad ? 5 : 4;
		break;
	case 5:
		n = bad ? 18 : 16;
		for (i = 0; i < n; i += 2)
			o[i] = 30;
		break;
	case 6:
		o[0] = 30;
		o[1] = 2;
		o[5] = bad ? 30 : 0;
		break;
	}
	pkt_ip6_opts(p, k == 1 ? PKT_NH_DSTOPTS : PKT_NH_HOP, o, n);
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/*
 * IPv4 options against ip_options_compile()'s rules (30 is an option with
 * no rules of its own); the twin differs in the offending bytes:
 * 0: length 8 in a 4-byte header part (twin 4); 1: length 1 (twin 2);
 * 2: record route pointer 3 (twin 4); 3: record route pointer 5 with 3
 * bytes left (twin 8, full); 4: timestamp pointer 4 (twin 5);
 * 5: timestamp with addresses (flag 1) and room for a time only (twin:
 * flag 0); 6: record route twice (twin: then option 30); 7: a type byte
 * ending the header (twin: EOL); 8: a full timestamp whose overflow count
 * is 15 (twin 14); 9: router alert of length 2 (twin 4).
 */
static void b_ip4_opts_bad(struct pkt *p, int k, int bad)
{
	__u8 o[16] = {0};
	unsigned int n = 4;

	eth_ip4(p, S4, D4);
	switch (k) {
	case 0:
		o[0] = 30;
		o[1] = bad ? 8 : 4;
		break;
	case 1:
		o[0] = 30;
		o[1] = bad ? 1 : 2;
		o[2] = 1;
		break;
	case 2:
	case 3:
		o[0] = 7;
		o[1] = 7;
		o[2] = k == 2 ? (bad ? 3 : 4) : (bad ? 5 : 8);
		n = 8;
		break;
	case 4:
		o[0] = 68;
		o[1] = 12;
		o[2] = bad ? 4 : 5;
		n = 12;
		break;
	case 5:
		o[0] = 68;
		o[1] = 8;
		o[2] = 5;
		o[3] = bad;
		n = 8;
		break;
	case 6:
		o[0] = 7;
		o[1] = 7;
		o[2] = 4;
		o[7] = bad ? 7 : 30;
		o[8] = 7;
		o[9] = 4;
		n = 16;
		break;
	case 7:
		o[0] = o[1] = o[2] = 1;
		o[3] = bad ? 30 : 0;
		break;
	case 8:
		o[0] = 68;
		o[1] = 8;
		o[2] = 9;
		o[3] = bad ? 0xf0 : 0xe0;
		n = 8;
		break;
	case 9:
		o[0] = 148;
		o[1] = bad ? 2 : 4;
		o[2] = bad;
		break;
	}
	pkt_ip4_opts(p, o, n);
	pkt_udp(p, 40000, 53);
	pkt_data(p, NULL, 8);
	pkt_finish(p);
}

/* IPv6 fragments with M set carry a multiple of 8 bytes: a first fragment
 * with 13 (twin 16), a later one with 20 (twin 24), and a first fragment
 * whose payload starts with another (atomic) fragment header, 28 bytes
 * (twin 32): to Linux that header is payload. */
static void b_ip6_frag_len(struct pkt *p, int k, int bad)
{
	struct udphdr *uh = NULL;

	eth_ip6(p, S6, D6);
	if (k == 2) {
		pkt_ip6_frag(p, 0, 1, 15);
		pkt_ip6_frag(p, 0, 0, 16);
		uh = pkt_udp(p, 40000, 53);
		pkt_data(p, NULL, bad ? 12 : 16);
	} else if (k) {
		pkt_ip6_frag(p, 64, 1, 13)[0] = IPPROTO_UDP;
		pkt_data(p, NULL, bad ? 20 : 24);
	} else {
		pkt_ip6_frag(p, 0, 1, 14);
		uh = pkt_udp(p, 40000, 53);
		pkt_data(p, NULL, bad ? 5 : 8);
	}
	pkt_finish(p);
	if (uh)
		uh->len = htons(1000);
}

/* Non-first fragments whose payload looks like a TCP header with SYN+FIN
 * and port 0: payload, not a header, so it must pass. IPv4 at offset 24
 * (0), IPv6 at offset 24 (1), IPv4 at 65520 ending at exactly 65535 (2). */
static void b_later_frag(struct pkt *p, int k, int bad)
{
	__u8 tcp[20] = {0};
	struct iphdr *ip;

	tcp[12] = 5 << 4;
	tcp[13] = PKT_SYN | PKT_FIN;
	if (k == 1) {
		eth_ip6(p, S6, D6);
		pkt_ip6_frag(p, 24, 0, 5)[0] = IPPROTO_TCP;
	} else {
		ip = eth_ip4(p, S4, D4);
		ip->protocol = k == 2 ? IPPROTO_UDP : IPPROTO_TCP;
		pkt_ip4_frag(ip, k == 2 ? 65520 : 24, 0);
	}
	pkt_data(p, tcp, k == 2 ? 15 : 20);
	pkt_finish(p);
}

/* Odd but valid: 0 IPv4 with Ethernet padding after it, 1 IPv6 with
 * padding, 2 TCP with options (data offset 10), 3 a six-header IPv6 chain,
 * 4 IPv6 No Next Header, 5 VLAN-tagged UDP, 6 QinQ UDP, 7 IPv6 first
 * fragment with a whole UDP header and the datagram's full length, 8 TCP
 * with Don't Fragment set (most TCP is), 9 a priority-tagged frame (VID 0,
 * PCP 5). */
static void b_misc(struct pkt *p, int k, int bad)
{
	static const __u8 tcpopt[] = {2,  4, 0x05, 0xb4, 4, 2, 3, 3, 7, 8,
				      10, 0, 0,	   0,	 1, 0, 0, 0, 0};
	struct udphdr *uh = NULL;
	struct iphdr *ip = NULL;

	if (k == 9) {
		l2(p, 0);
		pkt_vlan(p, PKT_ETH_VLAN, 0)[0] = 5 << 5;
		pkt_ip4(p, S4, D4);
		pkt_udp(p, 40000, 53);
		pkt_finish(p);
		return;
	}
	if (k == 5 || k == 6) {
		l2(p, k - 4);
		pkt_ip4(p, S4, D4);
		pkt_udp(p, 40000, 53);
		pkt_finish(p);
		return;
	}
	if (k == 0 || k == 2 || k == 8)
		ip = eth_ip4(p, S4, D4);
	else
		eth_ip6(p, S6, D6);
	switch (k) {
	case 8:
		ip->frag_off = htons(0x4000);
		pkt_tcp(p, 40000, 80, PKT_ACK | PKT_PSH);
		pkt_data(p, NULL, 100);
		break;
	case 0:
	case 1:
		pkt_udp(p, 40000, 53);
		pkt_data(p, NULL, 2);
		pkt_finish(p);
		pkt_pad(p, k ? 8 : 60 - p->len);
		return;
	case 2:
		pkt_tcp(p, 40000, 80, PKT_SYN);
		pkt_tcp_opts(p, tcpopt, sizeof(tcpopt));
		break;
	case 3:
		pkt_ip6_opts(p, PKT_NH_HOP, ip6_ra, sizeof(ip6_ra));
		pkt_ip6_opts(p, PKT_NH_DSTOPTS, NULL, 0);
		pkt_ip6_rh(p, 4, 0, 1);
		pkt_ip6_frag(p, 0, 0, 3);
		pkt_ah(p, 0x1000, 12);
		pkt_ip6_opts(p, PKT_NH_DSTOPTS, NULL, 0);
		pkt_tcp(p, 40000, 80, PKT_ACK);
		break;
	case 4:
		pkt_data(p, NULL, 8);
		break;
	case 7:
		pkt_ip6_frag(p, 0, 1, 4);
		uh = pkt_udp(p, 40000, 53);
		pkt_data(p, NULL, 16);
		break;
	}
	pkt_finish(p);
	if (uh)
		uh->len = htons(1000);
}

/* ---- the table --------------------------------------------------------- */

#define BIT(r) (1u << FG_R_##r)
/* A malformed case and its twin. */
#define PAIR(name, fn, k, r)                           \
	{name, fn, k, 1, FG_R_##r, BIT(r)},            \
	{                                              \
		name " [twin]", fn, k, 0, FG_R_NONE, 0 \
	}
/* Same for a check the default profile only counts. */
#define PAIR_COUNT(name, fn, k, r)                     \
	{name, fn, k, 1, FG_R_NONE, BIT(r)},           \
	{                                              \
		name " [twin]", fn, k, 0, FG_R_NONE, 0 \
	}
#define PASS(name, fn, k)                    \
	{                                    \
		name, fn, k, 0, FG_R_NONE, 0 \
	}

const struct fgc_case fgc_cases[] = {
	PAIR("eth-trunc/13-bytes", b_eth_trunc, 0, ETH_TRUNC),
	PAIR("eth-trunc/1-byte", b_eth_trunc, 1, ETH_TRUNC),
	PAIR("vlan-trunc/802.1q", b_vlan_trunc, 0, VLAN_TRUNC),
	PAIR("vlan-trunc/qinq-inner", b_vlan_trunc, 1, VLAN_TRUNC),
	PAIR("ip-trunc/ip4", b_ip_trunc, 0, IP_TRUNC),
	PAIR("ip-trunc/ip6", b_ip_trunc, 1, IP_TRUNC),
	PAIR("ip-trunc/ip4-options", b_ip_trunc, 2, IP_TRUNC),
	PAIR("l4-trunc/tcp", b_l4_trunc, 0, L4_TRUNC),
	PAIR("l4-trunc/udp", b_l4_trunc, 1, L4_TRUNC),
	PAIR("l4-trunc/icmp", b_l4_trunc, 2, L4_TRUNC),
	PAIR("l4-trunc/sctp", b_l4_trunc, 3, L4_TRUNC),
	PAIR("l4-trunc/icmp6", b_l4_trunc, 4, L4_TRUNC),
	PAIR("l4-trunc/tcp6", b_l4_trunc, 5, L4_TRUNC),
	PAIR("l4-trunc/udp6", b_l4_trunc, 6, L4_TRUNC),
	PAIR("ip4-version/5", b_ip4_version, 0, IP4_VERSION),
	PAIR("ip4-version/6", b_ip4_version, 1, IP4_VERSION),
	PAIR("ip4-ihl/4", b_ip4_ihl, 0, IP4_IHL),
	PAIR("ip4-ihl/0", b_ip4_ihl, 1, IP4_IHL),
	PAIR("ip4-totlen/beyond-frame", b_ip4_totlen, 0, IP4_TOTLEN),
	PAIR("ip4-totlen/below-header", b_ip4_totlen, 1, IP4_TOTLEN),
	PAIR("ip4-totlen/zero", b_ip4_totlen, 2, IP4_TOTLEN),
	PAIR("ip4-csum/header", b_ip4_csum, 0, IP4_CSUM),
	PAIR("ip4-csum/options", b_ip4_csum, 1, IP4_CSUM),
	PAIR("ip4-csum/qinq", b_ip4_csum, 2, IP4_CSUM),
	PAIR("frag-oflow/ip4", b_frag_oflow, 0, FRAG_OFLOW),
	PAIR("frag-oflow/ip6", b_frag_oflow, 1, FRAG_OFLOW),
	PAIR("tiny-frag/tcp-8-bytes", b_tiny_frag, 0, TINY_FRAG),
	PAIR("tiny-frag/tcp-offset-8", b_tiny_frag, 1, TINY_FRAG),
	PAIR("tiny-frag/tcp-doff-past-fragment", b_tiny_frag, 2, TINY_FRAG),
	PAIR("tiny-frag/udp-4-bytes", b_tiny_frag, 3, TINY_FRAG),
	PAIR("tiny-frag/icmp-4-bytes", b_tiny_frag, 4, TINY_FRAG),
	PAIR("ip6-version/4", b_ip6_version, 0, IP6_VERSION),
	PAIR("ip6-paylen/beyond-frame", b_ip6_paylen, 0, IP6_PAYLEN),
	PAIR("ip6-paylen/65535", b_ip6_paylen, 1, IP6_PAYLEN),
	PAIR("ip6-ext-chain/hbh-length", b_ip6_ext_chain, 0, IP6_EXT_CHAIN),
	PAIR("ip6-ext-chain/9-headers", b_ip6_ext_chain, 1, IP6_EXT_CHAIN),
	PAIR("ip6-ext-chain/cut-in-header", b_ip6_ext_chain, 2, IP6_EXT_CHAIN),
	PAIR("ip6-ext-chain/ah-length", b_ip6_ext_chain, 3, IP6_EXT_CHAIN),
	PAIR("ip6-frag-chain/udp-cut", b_ip6_frag_chain, 0, IP6_FRAG_CHAIN),
	PAIR("ip6-frag-chain/dstopts-past-fragment", b_ip6_frag_chain, 1,
	     IP6_FRAG_CHAIN),
	PAIR("ip6-frag-chain/tcp-doff-past-fragment", b_ip6_frag_chain, 2,
	     IP6_FRAG_CHAIN),
	PAIR("martian-src/127.0.0.1", b_martian, 0, MARTIAN_SRC),
	PAIR("martian-src/224.0.0.1", b_martian, 1, MARTIAN_SRC),
	PAIR("martian-src/255.255.255.255", b_martian, 2, MARTIAN_SRC),
	PAIR("martian-src/::1", b_martian, 3, MARTIAN_SRC),
	PAIR("martian-src/ff02::1", b_martian, 4, MARTIAN_SRC),
	PAIR("martian-src/::-udp", b_martian, 5, MARTIAN_SRC),
	PAIR("martian-src/::-echo-request", b_martian, 6, MARTIAN_SRC),
	PAIR_COUNT("bogon-src/0.1.2.3", b_martian, 7, BOGON_SRC),
	PAIR_COUNT("bogon-src/240.0.0.1", b_martian, 8, BOGON_SRC),
	PAIR_COUNT("bogon-src/255.255.255.254", b_martian, 9, BOGON_SRC),
	PAIR("land/ip4-tcp", b_land, 0, LAND),
	PAIR("land/ip6-udp", b_land, 1, LAND),
	PAIR("tcp-doff/4", b_tcp_doff, 0, TCP_DOFF),
	PAIR("tcp-doff/past-segment", b_tcp_doff, 1, TCP_DOFF),
	PAIR("tcp-doff/60-in-24", b_tcp_doff, 2, TCP_DOFF),
	PAIR("tcp-doff/ip6-4", b_tcp_doff, 3, TCP_DOFF),
	PAIR("tcp-flags/syn-fin", b_tcp_flags, 0, TCP_FLAGS),
	PAIR("tcp-flags/syn-rst", b_tcp_flags, 1, TCP_FLAGS),
	PAIR("tcp-flags/fin-no-ack", b_tcp_flags, 2, TCP_FLAGS),
	PAIR("tcp-flags/none", b_tcp_flags, 3, TCP_FLAGS),
	PAIR("tcp-flags/fin-psh-urg", b_tcp_flags, 4, TCP_FLAGS),
	PAIR("tcp-flags/ece-cwr-only", b_tcp_flags, 5, TCP_FLAGS),
	PAIR("tcp-flags/syn-fin-ack", b_tcp_flags, 6, TCP_FLAGS),
	PAIR("tcp-flags/all", b_tcp_flags, 7, TCP_FLAGS),
	PAIR("port-zero/tcp-sport", b_port_zero, 0, PORT_ZERO),
	PAIR("port-zero/tcp-dport", b_port_zero, 1, PORT_ZERO),
	PAIR("port-zero/udp-sport", b_port_zero, 2, PORT_ZERO),
	PAIR("port-zero/udp-dport", b_port_zero, 3, PORT_ZERO),
	PAIR("port-zero/udp6-dport", b_port_zero, 4, PORT_ZERO),
	PAIR("udp-len/7", b_udp_len, 0, UDP_LEN),
	PAIR("udp-len/long-by-1", b_udp_len, 1, UDP_LEN),
	PAIR("udp-len/ip6-zero-not-jumbo", b_udp_len, 2, UDP_LEN),
	PAIR("udp-len/ip4-first-frag-7", b_udp_len, 3, UDP_LEN),
	PAIR("udp-len/ip6-first-frag-7", b_udp_len, 4, UDP_LEN),
	PAIR_COUNT("ttl-zero/ip4", b_ttl_zero, 0, TTL_ZERO),
	PAIR_COUNT("ttl-zero/ip6", b_ttl_zero, 1, TTL_ZERO),
	PAIR_COUNT("ip6-rh0/type-0", b_ip6_rh0, 0, IP6_RH0),
	PAIR("ip4-opts/length-past-header", b_ip4_opts_bad, 0, IP4_OPTS),
	PAIR("ip4-opts/length-1", b_ip4_opts_bad, 1, IP4_OPTS),
	PAIR("ip4-opts/rr-pointer-3", b_ip4_opts_bad, 2, IP4_OPTS),
	PAIR("ip4-opts/rr-pointer-no-room", b_ip4_opts_bad, 3, IP4_OPTS),
	PAIR("ip4-opts/ts-pointer-4", b_ip4_opts_bad, 4, IP4_OPTS),
	PAIR("ip4-opts/ts-addr-no-room", b_ip4_opts_bad, 5, IP4_OPTS),
	PAIR("ip4-opts/rr-twice", b_ip4_opts_bad, 6, IP4_OPTS),
	PAIR("ip4-opts/type-without-length", b_ip4_opts_bad, 7, IP4_OPTS),
	PAIR("ip4-opts/ts-overflow-15", b_ip4_opts_bad, 8, IP4_OPTS),
	PAIR("ip4-opts/ra-length-2", b_ip4_opts_bad, 9, IP4_OPTS),
	PAIR("ip6-opts/hbh-tlv-past-header", b_ip6_opts, 0, IP6_OPTS),
	PAIR("ip6-opts/dst-tlv-past-header", b_ip6_opts, 1, IP6_OPTS),
	PAIR("ip6-opts/8-pad1", b_ip6_opts, 2, IP6_OPTS),
	PAIR("ip6-opts/padn-not-zero", b_ip6_opts, 3, IP6_OPTS),
	PAIR("ip6-opts/router-alert-3", b_ip6_opts, 4, IP6_OPTS),
	PAIR("ip6-opts/9-options", b_ip6_opts, 5, IP6_OPTS),
	PAIR("ip6-opts/type-without-length", b_ip6_opts, 6, IP6_OPTS),
	PAIR("ip6-jumbo/paylen-0-no-option", b_ip6_jumbo, 0, IP6_JUMBO),
	PAIR("ip6-jumbo/udp-1000", b_ip6_jumbo, 1, IP6_JUMBO),
	PAIR("ip6-jumbo/tcp-1000", b_ip6_jumbo, 2, IP6_JUMBO),
	PAIR("ip6-jumbo/paylen-not-0", b_ip6_jumbo, 3, IP6_JUMBO),
	PAIR("ip6-jumbo/misaligned", b_ip6_jumbo, 4, IP6_JUMBO),
	PAIR("ip6-jumbo/past-packet", b_ip6_jumbo, 5, IP6_JUMBO),
	PAIR("ip6-frag-len/first-13", b_ip6_frag_len, 0, IP6_FRAG_LEN),
	PAIR("ip6-frag-len/later-20", b_ip6_frag_len, 1, IP6_FRAG_LEN),
	PAIR("ip6-frag-len/first-then-atomic-28", b_ip6_frag_len, 2,
	     IP6_FRAG_LEN),

	{"combo/ttl0-then-syn-fin", b_combo, 0, 1, FG_R_TCP_FLAGS,
	 BIT(TTL_ZERO) | BIT(TCP_FLAGS)},
	{"combo/ttl0-from-127.0.0.1", b_combo, 1, 1, FG_R_MARTIAN_SRC,
	 BIT(TTL_ZERO) | BIT(MARTIAN_SRC)},
	{"combo/hlim0-and-rh0-both-counted", b_combo, 2, 1, FG_R_NONE,
	 BIT(TTL_ZERO) | BIT(IP6_RH0)},
	{"combo/csum-stops-before-ttl", b_combo, 3, 1, FG_R_IP4_CSUM,
	 BIT(IP4_CSUM)},

	PASS("pass/arp-request", b_arp, 0),
	PASS("pass/arp-reply", b_arp, 1),
	PASS("pass/dhcp-discover", b_dhcp, 0),
	PASS("pass/nd-ns-dad-from-any", b_nd, 0),
	PASS("pass/nd-ns", b_nd, 1),
	PASS("pass/nd-na", b_nd, 2),
	PASS("pass/nd-rs-from-any", b_nd, 3),
	PASS("pass/nd-ra", b_nd, 4),
	PASS("pass/igmpv2-report-router-alert", b_igmp, 0),
	PASS("pass/igmpv3-report-router-alert", b_igmp, 1),
	PASS("pass/igmp-query-from-0.0.0.0", b_igmp, 2),
	PASS("pass/mldv2-report-hbh-router-alert", b_mld, 0),
	PASS("pass/mldv1-report-from-any", b_mld, 1),
	PASS("pass/mld-done", b_mld, 2),
	PASS("pass/mldv2-report-from-any", b_mld, 3),
	PASS("pass/multicast-udp4", b_mcast, 0),
	PASS("pass/multicast-udp6-mdns", b_mcast, 1),
	PASS("pass/gre4", b_tunnel, 0),
	PASS("pass/gre6", b_tunnel, 1),
	PASS("pass/esp4", b_tunnel, 2),
	PASS("pass/esp6", b_tunnel, 3),
	PASS("pass/6in4", b_tunnel, 4),
	PASS("pass/ah4-tcp", b_tunnel, 5),
	PASS("pass/sctp4-init", b_sctp, 0),
	PASS("pass/sctp6-init", b_sctp, 1),
	PASS("pass/sctp-port-0", b_sctp, 2),
	PASS("pass/icmp-echo", b_icmp, 0),
	PASS("pass/icmp-port-unreachable", b_icmp, 1),
	PASS("pass/icmp-time-exceeded", b_icmp, 2),
	PASS("pass/icmp6-echo", b_icmp, 3),
	PASS("pass/icmp6-packet-too-big", b_icmp, 4),
	PASS("pass/ip6-atomic-fragment", b_atomic6, 0),
	PASS("pass/ip4-opt-router-alert", b_ip4_opts, 0),
	PASS("pass/ip4-opt-record-route", b_ip4_opts, 1),
	PASS("pass/ip4-opt-timestamp", b_ip4_opts, 2),
	PASS("pass/ip4-opt-40-nops", b_ip4_opts, 3),
	PASS("pass/lldp", b_non_ip, 0),
	PASS("pass/802.3-llc-stp", b_non_ip, 1),
	PASS("pass/three-vlan-tags", b_non_ip, 2),
	PASS("pass/udp4-length-below-payload", b_udp_short, 0),
	PASS("pass/udp6-length-below-payload", b_udp_short, 1),
	PASS("pass/udp-length-8-with-data", b_udp_short, 2),
	PASS("pass/udp4-first-frag-length-below", b_udp_short, 3),
	PASS("pass/udp6-first-frag-length-below", b_udp_short, 4),
	PASS("pass/ip4-later-frag-syn-fin-payload", b_later_frag, 0),
	PASS("pass/ip6-later-frag-syn-fin-payload", b_later_frag, 1),
	PASS("pass/ip4-frag-ends-at-65535", b_later_frag, 2),
	PASS("pass/ip4-ethernet-padding", b_misc, 0),
	PASS("pass/ip6-ethernet-padding", b_misc, 1),
	PASS("pass/tcp-options", b_misc, 2),
	PASS("pass/ip6-six-header-chain", b_misc, 3),
	PASS("pass/ip6-no-next-header", b_misc, 4),
	PASS("pass/vlan-802.1q", b_misc, 5),
	PASS("pass/vlan-qinq", b_misc, 6),
	PASS("pass/ip6-first-frag-udp", b_misc, 7),
	PASS("pass/ip4-dont-fragment", b_misc, 8),
	PASS("pass/vlan-priority-tagged", b_misc, 9),
};

const unsigned int fgc_ncases = sizeof(fgc_cases) / sizeof(fgc_cases[0]);
