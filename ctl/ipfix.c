// SPDX-License-Identifier: GPL-2.0
/* IPFIX (RFC 7011) message encoder: see ipfix.h. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "ipfix.h"

/*
 * The two data templates. Each table is the single source of both the
 * template record and the data record encoding. IPv4 and IPv6 differ only
 * in the address IEs and the ICMP type/code IE.
 *
 * tcpControlBits is 2 octets (RFC 7125; pmacct 1.7.7 only reads 1, fixed
 * in 1.7.8). forwardingStatus is 1 octet: the IANA registry (rev. 2)
 * defines only that octet, so it is sent reduced-size.
 */
#define IPFIX_FLOW_FIELDS(SRC_IE, SRC_LEN, SRC, DST_IE, DST, ICMP_IE)      \
	{ 1, 8, 0, IPFIX_S_OCTETS },         /* octetDeltaCount */         \
	{ 2, 8, 0, IPFIX_S_PACKETS },        /* packetDeltaCount */        \
	{ 4, 1, 0, IPFIX_S_PROTO },          /* protocolIdentifier */      \
	{ 7, 2, 0, IPFIX_S_SPORT },          /* sourceTransportPort */     \
	{ SRC_IE, SRC_LEN, 0, SRC },         /* sourceIPv4/6Address */     \
	{ 10, 4, 0, IPFIX_S_IN_IF },         /* ingressInterface */        \
	{ 11, 2, 0, IPFIX_S_DPORT },         /* destinationTransportPort */\
	{ DST_IE, SRC_LEN, 0, DST },         /* destinationIPv4/6Address */\
	{ 14, 4, 0, IPFIX_S_OUT_IF },        /* egressInterface */         \
	{ 6, 2, 0, IPFIX_S_TCP_FLAGS },      /* tcpControlBits */          \
	{ 58, 2, 0, IPFIX_S_VLAN },          /* vlanId */                  \
	{ 245, 2, 0, IPFIX_S_VLAN_INNER },   /* dot1qCustomerVlanId */     \
	{ 52, 1, 0, IPFIX_S_TTL_MIN },       /* minimumTTL */              \
	{ 53, 1, 0, IPFIX_S_TTL_MAX },       /* maximumTTL */              \
	{ 61, 1, 0, IPFIX_S_DIRECTION },     /* flowDirection */           \
	{ 152, 8, 0, IPFIX_S_START_MS },     /* flowStartMilliseconds */   \
	{ 153, 8, 0, IPFIX_S_END_MS },       /* flowEndMilliseconds */     \
	{ 136, 1, 0, IPFIX_S_END_REASON },   /* flowEndReason */           \
	{ 89, 1, 0, IPFIX_S_FWD_STATUS },    /* forwardingStatus */        \
	{ ICMP_IE, 2, 0, IPFIX_S_ICMP_TYPE_CODE } /* icmpTypeCodeIPv4/6 */

static const struct ipfix_field flow4_fields[] = {
	IPFIX_FLOW_FIELDS(8, 4, IPFIX_S_SRC4, 12, IPFIX_S_DST4, 32),
};

static const struct ipfix_field flow6_fields[] = {
	IPFIX_FLOW_FIELDS(27, 16, IPFIX_S_SRC6, 28, IPFIX_S_DST6, 139),
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const struct ipfix_template ipfix_tmpl_flow4 = {
	.id = IPFIX_TID_FLOW4,
	.nfields = ARRAY_LEN(flow4_fields),
	.fields = flow4_fields,
};

const struct ipfix_template ipfix_tmpl_flow6 = {
	.id = IPFIX_TID_FLOW6,
	.nfields = ARRAY_LEN(flow6_fields),
	.fields = flow6_fields,
};

/*
 * flowgate reason -> RFC 7270 drop reason. Header-length and checksum
 * errors have codes of their own; truncations are length errors; policy
 * checks (attack patterns, bogus addresses) are what an ACL would deny.
 * Anything not listed (new reasons included) is "dropped: unknown".
 */
uint8_t ipfix_fwd_status(uint8_t reason)
{
	switch (reason) {
	case FG_R_NONE:
		return IPFIX_FWD_FORWARDED;
	case FG_R_IP4_CSUM:
		return IPFIX_FWD_DROP_BAD_CSUM;
	case FG_R_IP_TRUNC:
	case FG_R_IP4_IHL:
	case FG_R_IP6_EXT_CHAIN:
	case FG_R_TCP_DOFF:
		return IPFIX_FWD_DROP_BAD_HDRLEN;
	case FG_R_L4_TRUNC:
	case FG_R_IP4_TOTLEN:
	case FG_R_FRAG_OFLOW:
	case FG_R_IP6_PAYLEN:
	case FG_R_UDP_LEN:
		return IPFIX_FWD_DROP_BAD_TOTLEN;
	case FG_R_TTL_ZERO:
		return IPFIX_FWD_DROP_BAD_TTL;
	case FG_R_TINY_FRAG:
	case FG_R_IP6_FRAG_CHAIN:
	case FG_R_MARTIAN_SRC:
	case FG_R_LAND:
	case FG_R_TCP_FLAGS:
	case FG_R_PORT_ZERO:
	case FG_R_IP6_RH0:
		return IPFIX_FWD_DROP_ACL_DENY;
	default: /* eth/vlan truncation, IP version: no closer code */
		return IPFIX_FWD_DROP_UNKNOWN;
	}
}

size_t ipfix_tmpl_rec_len(const struct ipfix_template *t)
{
	size_t n = 0;
	int i;

	for (i = 0; i < t->nfields; i++)
		n += t->fields[i].len;
	return n;
}

size_t ipfix_tmpl_def_len(const struct ipfix_template *t)
{
	size_t n = 4; /* Template ID, Field Count */
	int i;

	for (i = 0; i < t->nfields; i++)
		n += t->fields[i].pen ? 8 : 4;
	return n;
}

static void put_be(uint8_t *p, uint64_t v, size_t len)
{
	while (len--) {
		p[len] = v & 0xff;
		v >>= 8;
	}
}

static void put_be16(uint8_t *p, uint16_t v)
{
	put_be(p, v, 2);
}

int ipfix_msg_begin(struct ipfix_msg *m, void *buf, size_t cap,
		    uint32_t export_time, uint32_t seq, uint32_t domain_id)
{
	if (!buf || cap < IPFIX_HDR_LEN)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap < IPFIX_MAX_MSG ? cap : IPFIX_MAX_MSG;
	put_be16(m->buf, IPFIX_VERSION);
	put_be16(m->buf + 2, IPFIX_HDR_LEN);
	put_be(m->buf + 4, export_time, 4);
	put_be(m->buf + 8, seq, 4);
	put_be(m->buf + 12, domain_id, 4);
	m->len = IPFIX_HDR_LEN;
	return 0;
}

static size_t set_pad(const struct ipfix_msg *m)
{
	size_t pad = (4 - (m->len - m->set_off) % 4) % 4;

	/* Padding is optional: only if it fits and is shorter than every
	 * record, so a collector cannot mistake it for one (RFC 7011 3.3.1). */
	if (m->len + pad > m->cap || pad >= m->set_min_rec)
		return 0;
	return pad;
}

static void set_close(struct ipfix_msg *m, size_t pad)
{
	if (!m->set_off)
		return;
	if (!m->set_records) {
		/* nfdump 1.7.1 drops the rest of a message after an empty
		 * Set: remove the header instead of emitting one. */
		m->len = m->set_off;
	} else {
		memset(m->buf + m->len, 0, pad);
		m->len += pad;
		put_be16(m->buf + m->set_off + 2, m->len - m->set_off);
	}
	m->set_off = 0;
	m->set_id = 0;
	m->set_records = 0;
	m->set_min_rec = 0;
}

void ipfix_set_end(struct ipfix_msg *m)
{
	if (m->set_off)
		set_close(m, set_pad(m));
}

static void set_open(struct ipfix_msg *m, uint16_t set_id)
{
	put_be16(m->buf + m->len, set_id);
	put_be16(m->buf + m->len + 2, IPFIX_SET_HDR_LEN);
	m->set_off = m->len;
	m->set_id = set_id;
	m->len += IPFIX_SET_HDR_LEN;
}

int ipfix_set_begin(struct ipfix_msg *m, uint16_t set_id)
{
	ipfix_set_end(m);
	if (m->len + IPFIX_SET_HDR_LEN > m->cap)
		return -ENOSPC;
	set_open(m, set_id);
	return 0;
}

size_t ipfix_msg_end(struct ipfix_msg *m)
{
	ipfix_set_end(m);
	put_be16(m->buf + 2, m->len);
	return m->len;
}

uint32_t ipfix_msg_records(const struct ipfix_msg *m)
{
	return m->data_records;
}

/*
 * Room for one record of rlen octets in a Set set_id, opening that Set
 * (and closing the open one) if needed. NULL with *err set when it does
 * not fit; the message is then left exactly as it was.
 */
static uint8_t *reserve(struct ipfix_msg *m, uint16_t set_id, size_t rlen,
			int *err)
{
	uint8_t *p;

	if (IPFIX_HDR_LEN + IPFIX_SET_HDR_LEN + rlen > m->cap) {
		*err = -EMSGSIZE;
		return NULL;
	}
	if (!m->set_off || m->set_id != set_id) {
		size_t pad = m->set_off ? set_pad(m) : 0;
		size_t base = m->len;

		/* An open Set without records disappears when closed. */
		if (m->set_off && !m->set_records)
			base = m->set_off;
		else if (base + pad + IPFIX_SET_HDR_LEN + rlen > m->cap)
			pad = 0; /* padding is optional, the record is not */
		else
			base += pad;
		if (base + IPFIX_SET_HDR_LEN + rlen > m->cap) {
			*err = -ENOSPC;
			return NULL;
		}
		set_close(m, pad);
		set_open(m, set_id);
	} else if (m->len + rlen > m->cap) {
		*err = -ENOSPC;
		return NULL;
	}
	p = m->buf + m->len;
	m->len += rlen;
	m->set_records++;
	if (!m->set_min_rec || rlen < m->set_min_rec)
		m->set_min_rec = rlen;
	if (set_id >= IPFIX_SET_DATA_MIN)
		m->data_records++;
	return p;
}

int ipfix_add_template(struct ipfix_msg *m, const struct ipfix_template *t)
{
	int i, err = 0;
	uint8_t *p;

	p = reserve(m, IPFIX_SET_TEMPLATE, ipfix_tmpl_def_len(t), &err);
	if (!p)
		return err;
	put_be16(p, t->id);
	put_be16(p + 2, t->nfields);
	p += 4;
	for (i = 0; i < t->nfields; i++) {
		const struct ipfix_field *f = &t->fields[i];

		put_be16(p, f->ie | (f->pen ? 0x8000 : 0));
		put_be16(p + 2, f->len);
		p += 4;
		if (f->pen) {
			put_be(p, f->pen, 4);
			p += 4;
		}
	}
	return 0;
}

static int is_icmp(const struct fg_flow_key *k)
{
	return k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;
}

/* Integer value of src for flow f (address sources are handled apart). */
static uint64_t flow_value(const struct ipfix_flow *f, uint8_t src)
{
	const struct fg_flow_key *k = f->key;
	const struct fg_flow_val *v = f->val;

	switch (src) {
	case IPFIX_S_OCTETS:
		return v->octets;
	case IPFIX_S_PACKETS:
		return v->packets;
	case IPFIX_S_PROTO:
		return k->proto;
	case IPFIX_S_SPORT:
		return is_icmp(k) ? 0 : ntohs(k->sport);
	case IPFIX_S_DPORT:
		return is_icmp(k) ? 0 : ntohs(k->dport);
	case IPFIX_S_ICMP_TYPE_CODE:
		return is_icmp(k) ? ntohs(k->dport) : 0;
	case IPFIX_S_IN_IF:
		return k->dir == FG_DIR_IN ? k->ifindex : 0;
	case IPFIX_S_OUT_IF:
		return k->dir == FG_DIR_OUT ? k->ifindex : 0;
	case IPFIX_S_TCP_FLAGS:
		return v->tcp_flags;
	case IPFIX_S_VLAN:
		return k->vlan;
	case IPFIX_S_VLAN_INNER:
		return k->vlan_inner;
	case IPFIX_S_TTL_MIN:
		return v->ttl_min;
	case IPFIX_S_TTL_MAX:
		return v->ttl_max;
	case IPFIX_S_DIRECTION:
		return k->dir; /* enum fg_dir matches flowDirection */
	case IPFIX_S_START_MS:
		return f->start_ms;
	case IPFIX_S_END_MS:
		return f->end_ms;
	case IPFIX_S_END_REASON:
		return f->end_reason;
	case IPFIX_S_FWD_STATUS:
		return ipfix_fwd_status(k->reason);
	default:
		return 0;
	}
}

static void put_field(uint8_t *p, const struct ipfix_field *fd,
		      const struct ipfix_flow *f)
{
	const struct fg_flow_key *k = f->key;

	switch (fd->src) {
	case IPFIX_S_SRC4: /* IPv4 is stored as ::ffff:a.b.c.d */
		memcpy(p, k->src + 12, 4);
		break;
	case IPFIX_S_DST4:
		memcpy(p, k->dst + 12, 4);
		break;
	case IPFIX_S_SRC6:
		memcpy(p, k->src, 16);
		break;
	case IPFIX_S_DST6:
		memcpy(p, k->dst, 16);
		break;
	default:
		put_be(p, flow_value(f, fd->src), fd->len);
	}
}

int ipfix_add_flow(struct ipfix_msg *m, const struct ipfix_flow *f)
{
	const struct ipfix_template *t;
	int i, err = 0;
	uint8_t *p;

	if (f->key->ip_ver == 4)
		t = &ipfix_tmpl_flow4;
	else if (f->key->ip_ver == 6)
		t = &ipfix_tmpl_flow6;
	else
		return -EAFNOSUPPORT;
	p = reserve(m, t->id, ipfix_tmpl_rec_len(t), &err);
	if (!p)
		return err;
	for (i = 0; i < t->nfields; i++) {
		put_field(p, &t->fields[i], f);
		p += t->fields[i].len;
	}
	return 0;
}
