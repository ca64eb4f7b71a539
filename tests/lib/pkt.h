/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small frame builder for tests. A frame is built outermost header first;
 * each header is pushed with sane defaults and the builder links it to the
 * header before (EtherType, IP protocol, IPv6 Next Header). pkt_finish()
 * then fills in what depends on what follows: IPv4 total length and header
 * checksum, IPv6 payload length, UDP length, TCP/UDP/ICMP/ICMPv6/SCTP
 * checksums, innermost first so that an ICMP error's checksum covers the
 * finished header it quotes.
 *
 * The push functions return a pointer to the header inside the frame. To get
 * a malformed packet, change a field through it: before pkt_finish() when
 * the rest must stay consistent (a TTL 0 with a valid checksum), after it
 * when the damage must survive (a wrong checksum or length). pkt_keep() on
 * the last header keeps pkt_finish() off its length field (for a header an
 * ICMP error quotes, or a jumbogram's zero lengths); checksums are always
 * recomputed.
 *
 *	struct pkt p;
 *	struct iphdr *ip;
 *
 *	pkt_init(&p);
 *	pkt_eth(&p);
 *	ip = pkt_ip4(&p, "192.0.2.1", "198.51.100.2");
 *	pkt_tcp(&p, 40000, 80, PKT_SYN);
 *	ip->ttl = 0;
 *	pkt_finish(&p);
 *
 * Addresses are strings (inet_pton); a bad one aborts: a test with a typo in
 * an address must not run with a zero address. L4 checksums use the IPv6
 * header's destination, not a routing header's final one.
 */
#ifndef FG_TEST_PKT_H
#define FG_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define PKT_MAX	       2048
#define PKT_MAX_LAYERS 24

/* TCP flag bits, as in byte 13 of the header. */
#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10
#define PKT_URG 0x20
#define PKT_ECE 0x40
#define PKT_CWR 0x80

/* EtherTypes and protocol numbers the standard headers do not all name. */
#define PKT_ETH_VLAN   0x8100
#define PKT_ETH_QINQ   0x88a8
#define PKT_ETH_LLDP   0x88cc
#define PKT_ETH_TEST   0x88b5 /* IEEE 802 local experimental */
#define PKT_NH_HOP     0
#define PKT_NH_ROUTING 43
#define PKT_NH_FRAG    44
#define PKT_NH_AH      51
#define PKT_NH_NONE    59
#define PKT_NH_DSTOPTS 60

enum pkt_layer_type {
	PKT_L_ETH = 1,
	PKT_L_VLAN,
	PKT_L_ARP,
	PKT_L_IP4,
	PKT_L_IP6,
	PKT_L_EXT6, /* hop-by-hop, routing, destination options */
	PKT_L_FRAG6,
	PKT_L_AH,
	PKT_L_TCP,
	PKT_L_UDP,
	PKT_L_ICMP,
	PKT_L_ICMP6,
	PKT_L_SCTP,
	PKT_L_GRE,
	PKT_L_ESP,
	PKT_L_RAW,
};

struct pkt_layer {
	int type;	  /* enum pkt_layer_type */
	unsigned int off; /* from the start of the frame */
	int ip;		  /* index of the enclosing IP layer, or -1 */
	int keep;	  /* pkt_finish() leaves the length alone */
};

struct pkt {
	/* Puts b at 2 mod 4 (like the kernel's NET_IP_ALIGN): an IP header
	 * after 14, 18 or 22 bytes of Ethernet is then 4-byte aligned. */
	__u16 headroom;
	__u8 b[PKT_MAX];
	unsigned int len;
	int n; /* layers pushed */
	struct pkt_layer l[PKT_MAX_LAYERS];
	/* Where the next header's type goes: offset and size (1 for an IP
	 * protocol, 2 for an EtherType); nxt_size 0 when nothing waits. */
	unsigned int nxt_off;
	int nxt_size;
	int cur_ip; /* innermost IP layer so far, or -1 */
};

void pkt_init(struct pkt *p);

/* Headers. Each returns a pointer to itself inside p->b. */
struct ethhdr *pkt_eth(struct pkt *p);
/* Ethernet with an explicit EtherType (or an 802.3 length) that no later
 * header will overwrite. */
struct ethhdr *pkt_eth_type(struct pkt *p, __u16 type);
/* One VLAN tag; tpid is PKT_ETH_VLAN or PKT_ETH_QINQ. */
__u8 *pkt_vlan(struct pkt *p, __u16 tpid, __u16 vid);
/* ARP request (op 1) or reply (op 2) for IPv4 over Ethernet. */
__u8 *pkt_arp(struct pkt *p, int op, const char *sip, const char *tip);
struct iphdr *pkt_ip4(struct pkt *p, const char *src, const char *dst);
/* Append IPv4 options (padded with EOL to 4 bytes) to the IPv4 header just
 * pushed; must come before any later header. */
void pkt_ip4_opts(struct pkt *p, const void *opt, unsigned int n);
/* Fragment fields: offset in bytes (multiple of 8), more-fragments flag. */
void pkt_ip4_frag(struct iphdr *ip, unsigned int off, int mf);
struct ipv6hdr *pkt_ip6(struct pkt *p, const char *src, const char *dst);
/* Hop-by-hop (PKT_NH_HOP) or destination options (PKT_NH_DSTOPTS) header
 * holding the given options, padded with PadN to a multiple of 8. */
__u8 *pkt_ip6_opts(struct pkt *p, int nh, const void *opt, unsigned int n);
/* Routing header of type `type` with `naddr` addresses (2001:db8::N). */
__u8 *pkt_ip6_rh(struct pkt *p, int type, int segleft, int naddr);
/* Fragment header: offset in bytes (multiple of 8), M flag. */
__u8 *pkt_ip6_frag(struct pkt *p, unsigned int off, int mf, __u32 id);
/* Authentication header with an ICV of icv bytes (multiple of 4). */
__u8 *pkt_ah(struct pkt *p, __u32 spi, unsigned int icv);
struct tcphdr *pkt_tcp(struct pkt *p, __u16 sport, __u16 dport, __u8 flags);
/* TCP options (padded with NOP to 4 bytes) after the header just pushed. */
void pkt_tcp_opts(struct pkt *p, const void *opt, unsigned int n);
struct udphdr *pkt_udp(struct pkt *p, __u16 sport, __u16 dport);
/* ICMP / ICMPv6: type, code and 4 bytes of rest-of-header (id/seq, MTU...) */
__u8 *pkt_icmp(struct pkt *p, __u8 type, __u8 code, __u32 rest);
__u8 *pkt_icmp6(struct pkt *p, __u8 type, __u8 code, __u32 rest);
/* SCTP common header with one INIT chunk. */
__u8 *pkt_sctp(struct pkt *p, __u16 sport, __u16 dport, __u32 vtag);
/* GRE (RFC 2784, no options) carrying EtherType `proto`; the next header
 * pushed is its payload. */
__u8 *pkt_gre(struct pkt *p, __u16 proto);
/* ESP header (SPI, sequence); the payload is opaque. */
__u8 *pkt_esp(struct pkt *p, __u32 spi, __u32 seq);
/* Raw bytes (a NULL src gives a 0x00, 0x01, ... pattern). */
__u8 *pkt_data(struct pkt *p, const void *src, unsigned int n);

/* Keep pkt_finish() off the last pushed header's length field. */
void pkt_keep(struct pkt *p);
/* Fill in lengths and checksums. Idempotent. */
void pkt_finish(struct pkt *p);
/* Cut the frame to n bytes (after pkt_finish: a truncated capture). */
void pkt_trunc(struct pkt *p, unsigned int n);
/* Append n zero bytes (after pkt_finish: Ethernet padding). */
void pkt_pad(struct pkt *p, unsigned int n);
/* Offset of layer i (negative: from the last, -1 = last). */
unsigned int pkt_off(const struct pkt *p, int i);
/* Offset of the first layer of this type, or the frame length if none. */
unsigned int pkt_off_of(const struct pkt *p, int type);

/* Whole frames more than one test sends. */
/* TCP SYN+FIN 192.0.2.1:40000 -> 198.51.100.2:80: dropped for tcp-flags by
 * the default profile. */
void pkt_synfin(struct pkt *p);
/* A jumbogram (RFC 2675) from s6 to d6: UDP 40000 -> 53 with length 0,
 * announcing n bytes of payload in a Jumbo Payload option; the frame
 * holds the first `data` of them (a capture cut short). */
void pkt_jumbo_udp(struct pkt *p, const char *s6, const char *d6, __u32 n,
		   unsigned int data);

/* Helpers also useful to tests. */
void pkt_addr(int family, const char *s, void *out);
__u16 pkt_csum(const void *data, unsigned int n, __u32 sum);
void pkt_ip4_fix_csum(struct iphdr *ip);
/* Hex dump to stderr, for failure messages. */
void pkt_dump(const struct pkt *p);

#endif /* FG_TEST_PKT_H */
