// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Frame builder for tests; see pkt.h for how to use it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkt.h"

static void pkt_die(const char *what)
{
	fprintf(stderr, "pkt: %s\n", what);
	abort();
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->cur_ip = -1;
}

void pkt_addr(int family, const char *s, void *out)
{
	if (inet_pton(family, s, out) != 1) {
		fprintf(stderr, "pkt: bad address '%s'\n", s);
		abort();
	}
}

static void put16(__u8 *q, __u16 v)
{
	q[0] = v >> 8;
	q[1] = v & 0xff;
}

static void put32(__u8 *q, __u32 v)
{
	put16(q, v >> 16);
	put16(q + 2, v & 0xffff);
}

static __u16 get16(const __u8 *q)
{
	return (__u16)(q[0] << 8 | q[1]);
}

/* Append a zeroed header of n bytes as a new layer. */
static __u8 *push(struct pkt *p, int type, unsigned int n)
{
	struct pkt_layer *l;

	if (p->n >= PKT_MAX_LAYERS)
		pkt_die("too many layers");
	if (p->len + n > PKT_MAX)
		pkt_die("frame too long");
	l = &p->l[p->n++];
	l->type = type;
	l->off = p->len;
	l->ip = p->cur_ip;
	l->keep = 0;
	memset(p->b + p->len, 0, n);
	p->len += n;
	return p->b + l->off;
}

/* Write this header's type into the header before: an EtherType where an
 * EtherType is awaited, an IP protocol number where one is. */
static void link_prev(struct pkt *p, int etype, int proto)
{
	if (p->nxt_size == 2 && etype >= 0)
		put16(p->b + p->nxt_off, (__u16)etype);
	else if (p->nxt_size == 1 && proto >= 0)
		p->b[p->nxt_off] = (__u8)proto;
	p->nxt_size = 0;
}

static void await(struct pkt *p, unsigned int off, int size)
{
	p->nxt_off = off;
	p->nxt_size = size;
}

static struct pkt_layer *last(struct pkt *p, int type)
{
	if (!p->n || p->l[p->n - 1].type != type)
		pkt_die("option appended to the wrong header");
	return &p->l[p->n - 1];
}

/* Grow the last header by n bytes (options); nothing may follow it. */
static __u8 *grow(struct pkt *p, unsigned int n)
{
	__u8 *q = p->b + p->len;

	if (p->len + n > PKT_MAX)
		pkt_die("frame too long");
	memset(q, 0, n);
	p->len += n;
	return q;
}

struct ethhdr *pkt_eth(struct pkt *p)
{
	static const __u8 dst[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x02};
	static const __u8 src[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x01};
	struct ethhdr *eth = (void *)push(p, PKT_L_ETH, sizeof(*eth));

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(PKT_ETH_TEST);
	await(p, (__u8 *)&eth->h_proto - p->b, 2);
	return eth;
}

struct ethhdr *pkt_eth_type(struct pkt *p, __u16 type)
{
	struct ethhdr *eth = pkt_eth(p);

	eth->h_proto = htons(type);
	p->nxt_size = 0;
	return eth;
}

__u8 *pkt_vlan(struct pkt *p, __u16 tpid, __u16 vid)
{
	__u8 *h;

	link_prev(p, tpid, -1);
	h = push(p, PKT_L_VLAN, 4);
	put16(h, vid & 0x0fff);
	put16(h + 2, PKT_ETH_TEST);
	await(p, h + 2 - p->b, 2);
	return h;
}

__u8 *pkt_arp(struct pkt *p, int op, const char *sip, const char *tip)
{
	__u8 *h;

	link_prev(p, ETH_P_ARP, -1);
	h = push(p, PKT_L_ARP, 28);
	put16(h, 1); /* Ethernet */
	put16(h + 2, ETH_P_IP);
	h[4] = ETH_ALEN;
	h[5] = 4;
	put16(h + 6, (__u16)op);
	memcpy(h + 8, p->b + ETH_ALEN, ETH_ALEN); /* sender = frame source */
	pkt_addr(AF_INET, sip, h + 14);
	pkt_addr(AF_INET, tip, h + 24);
	if (op == 1 && p->l[0].type == PKT_L_ETH)
		memset(p->b, 0xff, ETH_ALEN);
	return h;
}

struct iphdr *pkt_ip4(struct pkt *p, const char *src, const char *dst)
{
	struct iphdr *ip;

	link_prev(p, ETH_P_IP, IPPROTO_IPIP);
	ip = (void *)push(p, PKT_L_IP4, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->id = htons(1);
	ip->ttl = 64;
	ip->protocol = 253; /* RFC 3692 experimental, until a header says */
	pkt_addr(AF_INET, src, &ip->saddr);
	pkt_addr(AF_INET, dst, &ip->daddr);
	p->cur_ip = p->n - 1;
	await(p, (__u8 *)&ip->protocol - p->b, 1);
	return ip;
}

void pkt_ip4_opts(struct pkt *p, const void *opt, unsigned int n)
{
	struct pkt_layer *l = last(p, PKT_L_IP4);
	struct iphdr *ip = (void *)(p->b + l->off);
	unsigned int padded = (n + 3) & ~3u;

	if (ip->ihl * 4 + padded > 60)
		pkt_die("IPv4 options beyond 40 bytes");
	memcpy(grow(p, padded), opt, n); /* padding is EOL (0) */
	ip->ihl += padded / 4;
}

void pkt_ip4_frag(struct iphdr *ip, unsigned int off, int mf)
{
	ip->frag_off = htons((__u16)((off / 8) | (mf ? 0x2000 : 0)));
}

struct ipv6hdr *pkt_ip6(struct pkt *p, const char *src, const char *dst)
{
	struct ipv6hdr *ip;

	link_prev(p, ETH_P_IPV6, IPPROTO_IPV6);
	ip = (void *)push(p, PKT_L_IP6, sizeof(*ip));
	ip->version = 6;
	ip->nexthdr = PKT_NH_NONE;
	ip->hop_limit = 64;
	pkt_addr(AF_INET6, src, &ip->saddr);
	pkt_addr(AF_INET6, dst, &ip->daddr);
	p->cur_ip = p->n - 1;
	await(p, &ip->nexthdr - p->b, 1);
	return ip;
}

__u8 *pkt_ip6_opts(struct pkt *p, int nh, const void *opt, unsigned int n)
{
	unsigned int len = (2 + n + 7) & ~7u, pad = len - 2 - n;
	__u8 *h;

	link_prev(p, -1, nh);
	h = push(p, PKT_L_EXT6, len);
	h[0] = PKT_NH_NONE;
	h[1] = len / 8 - 1;
	if (n)
		memcpy(h + 2, opt, n);
	if (pad == 1) {
		h[2 + n] = 0; /* Pad1 */
	} else if (pad > 1) {
		h[2 + n] = 1; /* PadN */
		h[3 + n] = pad - 2;
	}
	await(p, h - p->b, 1);
	return h;
}

__u8 *pkt_ip6_rh(struct pkt *p, int type, int segleft, int naddr)
{
	__u8 *h;
	int i;

	link_prev(p, -1, PKT_NH_ROUTING);
	h = push(p, PKT_L_EXT6, 8 + 16 * naddr);
	h[0] = PKT_NH_NONE;
	h[1] = 2 * naddr;
	h[2] = type;
	h[3] = segleft;
	for (i = 0; i < naddr; i++) {
		__u8 *a = h + 8 + 16 * i;

		pkt_addr(AF_INET6, "2001:db8::", a);
		a[15] = i + 1;
	}
	await(p, h - p->b, 1);
	return h;
}

__u8 *pkt_ip6_frag(struct pkt *p, unsigned int off, int mf, __u32 id)
{
	__u8 *h;

	link_prev(p, -1, PKT_NH_FRAG);
	h = push(p, PKT_L_FRAG6, 8);
	h[0] = PKT_NH_NONE;
	put16(h + 2, (__u16)((off & ~7u) | (mf ? 1 : 0)));
	put32(h + 4, id);
	await(p, h - p->b, 1);
	return h;
}

__u8 *pkt_ah(struct pkt *p, __u32 spi, unsigned int icv)
{
	unsigned int len = 12 + ((icv + 3) & ~3u);
	__u8 *h;

	link_prev(p, -1, PKT_NH_AH);
	h = push(p, PKT_L_AH, len);
	h[0] = PKT_NH_NONE;
	h[1] = len / 4 - 2;
	put32(h + 4, spi);
	put32(h + 8, 1);
	await(p, h - p->b, 1);
	return h;
}

struct tcphdr *pkt_tcp(struct pkt *p, __u16 sport, __u16 dport, __u8 flags)
{
	__u8 *h;

	link_prev(p, -1, IPPROTO_TCP);
	h = push(p, PKT_L_TCP, 20);
	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, 1000);
	if (flags & PKT_ACK)
		put32(h + 8, 2000);
	h[12] = 5 << 4;
	h[13] = flags;
	put16(h + 14, 65535);
	return (struct tcphdr *)h;
}

void pkt_tcp_opts(struct pkt *p, const void *opt, unsigned int n)
{
	struct pkt_layer *l = last(p, PKT_L_TCP);
	__u8 *h = p->b + l->off;
	unsigned int padded = (n + 3) & ~3u;
	__u8 *q;

	if ((h[12] >> 4) * 4 + padded > 60)
		pkt_die("TCP options beyond 40 bytes");
	q = grow(p, padded);
	memset(q, 1, padded); /* NOP */
	memcpy(q, opt, n);
	h[12] += (padded / 4) << 4;
}

struct udphdr *pkt_udp(struct pkt *p, __u16 sport, __u16 dport)
{
	__u8 *h;

	link_prev(p, -1, IPPROTO_UDP);
	h = push(p, PKT_L_UDP, 8);
	put16(h, sport);
	put16(h + 2, dport);
	return (struct udphdr *)h;
}

static __u8 *icmp_any(struct pkt *p, int type_l, int proto, __u8 type,
		      __u8 code, __u32 rest)
{
	__u8 *h;

	link_prev(p, -1, proto);
	h = push(p, type_l, 8);
	h[0] = type;
	h[1] = code;
	put32(h + 4, rest);
	return h;
}

__u8 *pkt_icmp(struct pkt *p, __u8 type, __u8 code, __u32 rest)
{
	return icmp_any(p, PKT_L_ICMP, IPPROTO_ICMP, type, code, rest);
}

__u8 *pkt_icmp6(struct pkt *p, __u8 type, __u8 code, __u32 rest)
{
	return icmp_any(p, PKT_L_ICMP6, IPPROTO_ICMPV6, type, code, rest);
}

__u8 *pkt_sctp(struct pkt *p, __u16 sport, __u16 dport, __u32 vtag)
{
	__u8 *h;

	link_prev(p, -1, IPPROTO_SCTP);
	h = push(p, PKT_L_SCTP, 12 + 20);
	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, vtag);
	h[12] = 1;		   /* INIT */
	put16(h + 14, 20);	   /* chunk length */
	put32(h + 16, 0x01020304); /* initiate tag */
	put32(h + 20, 65536);	   /* a_rwnd */
	put16(h + 24, 1);	   /* outbound streams */
	put16(h + 26, 1);	   /* inbound streams */
	put32(h + 28, 1);	   /* initial TSN */
	return h;
}

__u8 *pkt_gre(struct pkt *p, __u16 proto)
{
	__u8 *h;

	link_prev(p, -1, IPPROTO_GRE);
	h = push(p, PKT_L_GRE, 4);
	put16(h + 2, proto);
	if (!proto)
		await(p, h + 2 - p->b, 2);
	return h;
}

__u8 *pkt_esp(struct pkt *p, __u32 spi, __u32 seq)
{
	__u8 *h;

	link_prev(p, -1, IPPROTO_ESP);
	h = push(p, PKT_L_ESP, 8);
	put32(h, spi);
	put32(h + 4, seq);
	return h;
}

__u8 *pkt_data(struct pkt *p, const void *src, unsigned int n)
{
	__u8 *h = push(p, PKT_L_RAW, n);
	unsigned int i;

	p->nxt_size = 0;
	if (src)
		memcpy(h, src, n);
	else
		for (i = 0; i < n; i++)
			h[i] = (__u8)i;
	return h;
}

void pkt_keep(struct pkt *p)
{
	if (p->n)
		p->l[p->n - 1].keep = 1;
}

unsigned int pkt_off(const struct pkt *p, int i)
{
	if (i < 0)
		i += p->n;
	if (i < 0 || i >= p->n)
		pkt_die("no such layer");
	return p->l[i].off;
}

unsigned int pkt_off_of(const struct pkt *p, int type)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->l[i].type == type)
			return p->l[i].off;
	return p->len;
}

/* ---- lengths and checksums ---------------------------------------------- */

/* End of the IP packet of layer i as its header says, within the frame. */
static unsigned int ip_end(const struct pkt *p, int i)
{
	const struct pkt_layer *l = &p->l[i];
	const __u8 *h = p->b + l->off;
	unsigned int end;

	if (l->type == PKT_L_IP4)
		end = l->off + get16(h + 2);
	else if (get16(h + 4) == 0 && h[6] == PKT_NH_HOP)
		end = p->len; /* jumbogram */
	else
		end = l->off + 40 + get16(h + 4);
	return end < p->len ? end : p->len;
}

__u16 pkt_csum(const void *data, unsigned int n, __u32 sum)
{
	const __u8 *q = data;
	unsigned int i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get16(q + i);
	if (n & 1)
		sum += q[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

void pkt_ip4_fix_csum(struct iphdr *ip)
{
	ip->check = 0;
	ip->check = htons(pkt_csum(ip, ip->ihl * 4, 0));
}

/* Sum of the pseudo header of IP layer i for n bytes of protocol proto. */
static __u32 pseudo_sum(const struct pkt *p, int i, __u8 proto, unsigned int n)
{
	const __u8 *h = p->b + p->l[i].off;
	__u32 sum = proto + (n & 0xffff) + (n >> 16);
	const __u8 *a = h + 12;
	int k, words = 4;

	if (p->l[i].type == PKT_L_IP6) {
		a = h + 8;
		words = 16;
	}
	for (k = 0; k < words; k++)
		sum += get16(a + 2 * k);
	return sum;
}

static __u32 crc32c(const __u8 *q, unsigned int n)
{
	__u32 crc = ~0u;
	unsigned int i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= q[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return ~crc;
}

static void fix_len(struct pkt *p, int i)
{
	struct pkt_layer *l = &p->l[i];
	__u8 *h = p->b + l->off;

	if (l->keep)
		return;
	if (l->type == PKT_L_IP4)
		put16(h + 2, (__u16)(p->len - l->off));
	else if (l->type == PKT_L_IP6)
		put16(h + 4, (__u16)(p->len - l->off - 40));
	else if (l->type == PKT_L_UDP && l->ip >= 0)
		put16(h + 4, (__u16)(ip_end(p, l->ip) - l->off));
}

static void fix_csum(struct pkt *p, int i)
{
	struct pkt_layer *l = &p->l[i];
	__u8 *h = p->b + l->off;
	unsigned int n;
	__u16 c;

	if (l->type == PKT_L_IP4) {
		pkt_ip4_fix_csum((struct iphdr *)h);
		return;
	}
	if (l->ip < 0 || ip_end(p, l->ip) < l->off)
		return;
	n = ip_end(p, l->ip) - l->off;
	switch (l->type) {
	case PKT_L_TCP:
		if (n < 18)
			return;
		put16(h + 16, 0);
		put16(h + 16, pkt_csum(h, n, pseudo_sum(p, l->ip, 6, n)));
		break;
	case PKT_L_UDP:
		if (n < 8)
			return;
		put16(h + 6, 0);
		c = pkt_csum(h, n, pseudo_sum(p, l->ip, 17, n));
		put16(h + 6, c ? c : 0xffff);
		break;
	case PKT_L_ICMP:
		if (n < 4)
			return;
		put16(h + 2, 0);
		put16(h + 2, pkt_csum(h, n, 0));
		break;
	case PKT_L_ICMP6:
		if (n < 4)
			return;
		put16(h + 2, 0);
		put16(h + 2, pkt_csum(h, n, pseudo_sum(p, l->ip, 58, n)));
		break;
	case PKT_L_SCTP: {
		__u32 crc;

		if (n < 12)
			return;
		memset(h + 8, 0, 4);
		crc = crc32c(h, n);
		/* Stored least significant byte first (RFC 9260 App. B). */
		h[8] = crc & 0xff;
		h[9] = (crc >> 8) & 0xff;
		h[10] = (crc >> 16) & 0xff;
		h[11] = crc >> 24;
		break;
	}
	}
}

void pkt_finish(struct pkt *p)
{
	int i;

	/* Lengths outermost first: a UDP length is bounded by its IP's. */
	for (i = 0; i < p->n; i++)
		fix_len(p, i);
	/* Checksums innermost first: an ICMP error covers what it quotes. */
	for (i = p->n - 1; i >= 0; i--)
		fix_csum(p, i);
}

void pkt_trunc(struct pkt *p, unsigned int n)
{
	if (n < p->len)
		p->len = n;
}

void pkt_pad(struct pkt *p, unsigned int n)
{
	memset(grow(p, n), 0, n);
}

void pkt_dump(const struct pkt *p)
{
	unsigned int i;

	for (i = 0; i < p->len; i++)
		fprintf(stderr, "%02x%s", p->b[i],
			(i % 16 == 15 || i + 1 == p->len) ? "\n" : " ");
}

void pkt_synfin(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ip4(p, "192.0.2.1", "198.51.100.2");
	pkt_tcp(p, 40000, 80, PKT_SYN | PKT_FIN);
	pkt_finish(p);
}

void pkt_jumbo_udp(struct pkt *p, const char *s6, const char *d6, __u32 n,
		   unsigned int data)
{
	__u8 opt[6] = {0xc2,	       4,      (__u8)(n >> 24), (__u8)(n >> 16),
		       (__u8)(n >> 8), (__u8)n};
	struct udphdr *uh;

	pkt_init(p);
	pkt_eth(p);
	pkt_ip6(p, s6, d6);
	pkt_keep(p);
	pkt_ip6_opts(p, PKT_NH_HOP, opt, sizeof(opt));
	uh = pkt_udp(p, 40000, 53);
	pkt_keep(p);
	uh->len = 0;
	pkt_data(p, NULL, data);
	pkt_finish(p);
}
