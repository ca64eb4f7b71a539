// SPDX-License-Identifier: GPL-2.0
/* IPFIX (RFC 7011) message encoder: see ipfix.h. */
#include <endian.h>
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
#define IPFIX_FLOW_FIELDS(SRC_IE, SRC_LEN, SRC, DST_IE, DST, ICMP_IE)        \
	{1, 8, 0, IPFIX_S_OCTETS},	      /* octetDeltaCount */          \
		{2, 8, 0, IPFIX_S_PACKETS},   /* packetDeltaCount */         \
		{4, 1, 0, IPFIX_S_PROTO},     /* protocolIdentifier */       \
		{7, 2, 0, IPFIX_S_SPORT},     /* sourceTransportPort */      \
		{SRC_IE, SRC_LEN, 0, SRC},    /* sourceIPv4/6Address */      \
		{10, 4, 0, IPFIX_S_IN_IF},    /* ingressInterface */         \
		{11, 2, 0, IPFIX_S_DPORT},    /* destinationTransportPort */ \
		{DST_IE, SRC_LEN, 0, DST},    /* destinationIPv4/6Address */ \
		{14, 4, 0, IPFIX_S_OUT_IF},   /* egressInterface */          \
		{6, 2, 0, IPFIX_S_TCP_FLAGS}, /* tcpControlBits */           \
		{58, 2, 0, IPFIX_S_VLAN},     /* vlanId */                   \
		{245, 2, 0, IPFIX_S_VLAN_INNER}, /* dot1qCustomerVlanId */   \
		{52, 1, 0, IPFIX_S_TTL_MIN},	 /* minimumTTL */            \
		{53, 1, 0, IPFIX_S_TTL_MAX},	 /* maximumTTL */            \
		{61, 1, 0, IPFIX_S_DIRECTION},	 /* flowDirection */         \
		{152, 8, 0, IPFIX_S_START_MS},	 /* flowStartMilliseconds */ \
		{153, 8, 0, IPFIX_S_END_MS},	 /* flowEndMilliseconds */   \
		{136, 1, 0, IPFIX_S_END_REASON}, /* flowEndReason */         \
		{89, 1, 0, IPFIX_S_FWD_STATUS},	 /* forwardingStatus */      \
	{                                                                    \
		ICMP_IE, 2, 0, IPFIX_S_ICMP_TYPE_CODE                        \
	} /* icmpTypeCodeIPv4/6 */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct ipfix_field flow4_fields[] = {
	IPFIX_FLOW_FIELDS(8, 4, IPFIX_S_SRC4, 12, IPFIX_S_DST4, 32),
};

static const struct ipfix_field flow6_fields[] = {
	IPFIX_FLOW_FIELDS(27, 16, IPFIX_S_SRC6, 28, IPFIX_S_DST6, 139),
};

/* Field specifier list of the layouts built at run time. */
struct fbuild {
	struct ipfix_field *f;
	uint8_t *put; /* NULL: not a flow template */
	uint16_t n;
};

/* How ipfix_add_record() writes a field of a flow record. */
static uint8_t put_of(uint8_t src, uint16_t len)
{
	switch (src) {
	case IPFIX_S_SRC4:
		return len == 4 ? IPFIX_PUT_SRC4 : IPFIX_PUT_ANY;
	case IPFIX_S_DST4:
		return len == 4 ? IPFIX_PUT_DST4 : IPFIX_PUT_ANY;
	case IPFIX_S_SRC6:
		return len == 16 ? IPFIX_PUT_SRC6 : IPFIX_PUT_ANY;
	case IPFIX_S_DST6:
		return len == 16 ? IPFIX_PUT_DST6 : IPFIX_PUT_ANY;
	}
	if (src >= IPFIX_S_OPT)
		return IPFIX_PUT_ANY;
	switch (len) {
	case 1:
		return IPFIX_PUT_BE1;
	case 2:
		return IPFIX_PUT_BE2;
	case 4:
		return IPFIX_PUT_BE4;
	case 8:
		return IPFIX_PUT_BE8;
	}
	return IPFIX_PUT_ANY;
}

static void fadd(struct fbuild *b, uint16_t ie, uint16_t len, uint32_t pen,
		 uint8_t src)
{
	if (b->n >= IPFIX_MAX_FIELDS)
		return;
	if (b->put)
		b->put[b->n] = put_of(src, len);
	b->f[b->n++] = (struct ipfix_field){ie, len, pen, src};
}

/* flowgate's own IEs at the end of a flow template. */
static void fadd_own(struct fbuild *b, const struct ipfix_opts *o)
{
	if (!o->pen)
		return;
	fadd(b, IPFIX_FG_DROP_REASON, 1, o->pen, IPFIX_S_REASON);
	fadd(b, IPFIX_FG_RULE_ID, 4, o->pen, IPFIX_S_RULE_ID);
	if (!o->rtt)
		return;
	fadd(b, IPFIX_FG_RTT_MIN_US, 4, o->pen, IPFIX_S_RTT_MIN);
	fadd(b, IPFIX_FG_RTT_MAX_US, 4, o->pen, IPFIX_S_RTT_MAX);
	fadd(b, IPFIX_FG_RTT_MEAN_US, 4, o->pen, IPFIX_S_RTT_MEAN);
	fadd(b, IPFIX_FG_RTT_SAMPLES, 4, o->pen, IPFIX_S_RTT_SAMPLES);
}

static void layout_flow(struct ipfix_template *t, struct ipfix_field *f,
			uint8_t *put, const struct ipfix_field *base,
			size_t nbase, uint16_t id, const struct ipfix_opts *o)
{
	struct fbuild b = {f, put, 0};
	size_t i;

	for (i = 0; i < nbase; i++) {
		uint16_t len = base[i].len;

		if (base[i].src == IPFIX_S_TCP_FLAGS)
			len = o->tcp_flags_len == 1 ? 1 : 2;
		fadd(&b, base[i].ie, len, 0, base[i].src);
	}
	fadd_own(&b, o);
	*t = (struct ipfix_template){
		.id = id, .nfields = b.n, .fields = f, .scope = 0};
	t->rec_len = ipfix_tmpl_rec_len(t);
	t->put = put;
}

/* Non-IP frames: what is known of them, so that their packets still reach
 * the collector's totals. */
static void layout_l2(struct ipfix_layout *l, const struct ipfix_opts *o)
{
	struct fbuild b = {l->fl2, l->pl2, 0};

	fadd(&b, 1, 8, 0, IPFIX_S_OCTETS);
	fadd(&b, 2, 8, 0, IPFIX_S_PACKETS);
	fadd(&b, 256, 2, 0, IPFIX_S_ETH_TYPE); /* ethernetType */
	fadd(&b, 10, 4, 0, IPFIX_S_IN_IF);
	fadd(&b, 14, 4, 0, IPFIX_S_OUT_IF);
	fadd(&b, 58, 2, 0, IPFIX_S_VLAN);
	fadd(&b, 245, 2, 0, IPFIX_S_VLAN_INNER);
	fadd(&b, 61, 1, 0, IPFIX_S_DIRECTION);
	fadd(&b, 152, 8, 0, IPFIX_S_START_MS);
	fadd(&b, 153, 8, 0, IPFIX_S_END_MS);
	fadd(&b, 136, 1, 0, IPFIX_S_END_REASON);
	fadd(&b, 89, 1, 0, IPFIX_S_FWD_STATUS);
	if (o->pen)
		fadd(&b, IPFIX_FG_DROP_REASON, 1, o->pen, IPFIX_S_REASON);
	l->l2 = (struct ipfix_template){.id = IPFIX_TID_FLOW_L2,
					.nfields = b.n,
					.fields = l->fl2,
					.scope = 0};
	l->l2.rec_len = ipfix_tmpl_rec_len(&l->l2);
	l->l2.put = l->pl2;
}

/*
 * Options templates (RFC 7011 4): sampling in the two forms collectors
 * read (ipfix.md 9.3: samplingInterval alone is understood by nfdump 1.7.1,
 * nfacctd 1.7.7 and goflow2; 305/306 by the first two), exporting process
 * reliability in the shape libfds recognises (4.3), and guard drops per
 * interface and reason, scoped by both.
 */
static const struct ipfix_field sampling_fields[] = {
	{149, 4, 0, IPFIX_S_OPT}, /* scope: observationDomainId */
	{34, 4, 0, IPFIX_S_OPT},  /* samplingInterval */
};

static const struct ipfix_field psamp_fields[] = {
	{149, 4, 0, IPFIX_S_OPT}, /* scope: observationDomainId */
	{305, 4, 0, IPFIX_S_OPT}, /* samplingPacketInterval: 1 */
	{306, 4, 0, IPFIX_S_OPT}, /* samplingPacketSpace: N - 1 */
};

static const struct ipfix_field reliability_fields[] = {
	{144, 4, 0, IPFIX_S_OPT}, /* scope: exportingProcessId */
	{166, 8, 0, IPFIX_S_OPT}, /* notSentFlowTotalCount */
	{167, 8, 0, IPFIX_S_OPT}, /* notSentPacketTotalCount */
	{168, 8, 0, IPFIX_S_OPT}, /* notSentOctetTotalCount */
	{323, 8, 0, IPFIX_S_OPT}, /* observationTimeMilliseconds: first */
	{323, 8, 0, IPFIX_S_OPT}, /* ... and last discard */
};

/* Interface names, so that collectors can show them for ifIndexes
 * (nfdump reads this options record). */
static const struct ipfix_field ifname_fields[] = {
	{10, 4, 0, IPFIX_S_OPT},	    /* scope: ingressInterface */
	{82, IPFIX_VARLEN, 0, IPFIX_S_OPT}, /* interfaceName */
};

static void layout_options(struct ipfix_layout *l, const struct ipfix_opts *o)
{
	struct fbuild b = {l->fguard, NULL, 0};

	l->sampling =
		(struct ipfix_template){.id = IPFIX_TID_SAMPLING,
					.nfields = ARRAY_LEN(sampling_fields),
					.fields = sampling_fields,
					.scope = 1};
	l->sampling_psamp =
		(struct ipfix_template){.id = IPFIX_TID_SAMPLING_PSAMP,
					.nfields = ARRAY_LEN(psamp_fields),
					.fields = psamp_fields,
					.scope = 1};
	l->reliability = (struct ipfix_template){
		.id = IPFIX_TID_RELIABILITY,
		.nfields = ARRAY_LEN(reliability_fields),
		.fields = reliability_fields,
		.scope = 1};
	l->ifname = (struct ipfix_template){.id = IPFIX_TID_IFNAME,
					    .nfields = ARRAY_LEN(ifname_fields),
					    .fields = ifname_fields,
					    .scope = 1};
	/* The reason needs an IE of ours: no enterprise number, no guard
	 * options (the counters stay in `flowgate stats`). */
	if (!o->pen) {
		l->guard = (struct ipfix_template){0};
		return;
	}
	fadd(&b, 10, 4, 0, IPFIX_S_OPT); /* scope: ingressInterface */
	fadd(&b, IPFIX_FG_DROP_REASON, 1, o->pen, IPFIX_S_OPT); /* scope */
	fadd(&b, 89, 1, 0, IPFIX_S_OPT);  /* forwardingStatus */
	fadd(&b, 135, 8, 0, IPFIX_S_OPT); /* droppedPacketTotalCount */
	fadd(&b, 134, 8, 0, IPFIX_S_OPT); /* droppedOctetTotalCount */
	l->guard = (struct ipfix_template){.id = IPFIX_TID_GUARD,
					   .nfields = b.n,
					   .fields = l->fguard,
					   .scope = 2};
}

/* t's fields grouped by how they are written (t->put), into pl. */
static void plan_build(struct ipfix_template *t, struct ipfix_plan *pl)
{
	uint16_t off[IPFIX_MAX_FIELDS], o = 0;
	int i, k, n = 0;

	for (i = 0; i < t->nfields; i++) {
		off[i] = o;
		o += t->fields[i].len;
	}
	for (k = 0; k <= IPFIX_PUT_DST6; k++) {
		pl->first[k] = n;
		for (i = 0; i < t->nfields; i++) {
			uint8_t src = t->fields[i].src;

			if (t->put[i] != k)
				continue;
			pl->at[n++] = (struct ipfix_put_at){
				off[i], src <= IPFIX_S_OPT ? src : 0, i};
		}
	}
	pl->first[k] = n;
	t->plan = pl;
}

void ipfix_layout_init(struct ipfix_layout *l, const struct ipfix_opts *o)
{
	struct ipfix_opts own = *o;

	if (!own.pen)
		own.rtt = false;
	memset(l, 0, sizeof(*l));
	layout_flow(&l->flow4, l->f4, l->p4, flow4_fields,
		    ARRAY_LEN(flow4_fields),
		    own.rtt ? IPFIX_TID_FLOW4_RTT : IPFIX_TID_FLOW4, &own);
	layout_flow(&l->flow6, l->f6, l->p6, flow6_fields,
		    ARRAY_LEN(flow6_fields),
		    own.rtt ? IPFIX_TID_FLOW6_RTT : IPFIX_TID_FLOW6, &own);
	layout_l2(l, &own);
	plan_build(&l->flow4, &l->plan4);
	plan_build(&l->flow6, &l->plan6);
	plan_build(&l->l2, &l->planl2);
	layout_options(l, &own);
}

const struct ipfix_template *ipfix_layout_tmpl(const struct ipfix_layout *l,
					       uint8_t ip_ver)
{
	return ip_ver == 4 ? &l->flow4 : ip_ver == 6 ? &l->flow6 : &l->l2;
}

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
		n += t->fields[i].len == IPFIX_VARLEN ? 1 : t->fields[i].len;
	return n;
}

/* Octets a variable-length value takes, its length prefix included. */
static size_t varlen_size(size_t n)
{
	return n < 255 ? 1 + n : 3 + n;
}

static uint8_t *put_varlen(uint8_t *p, const char *v, size_t n)
{
	if (n < 255) {
		*p++ = n;
	} else {
		*p++ = 255;
		*p++ = n >> 8;
		*p++ = n & 0xff;
	}
	memcpy(p, v, n);
	return p + n;
}

size_t ipfix_tmpl_def_len(const struct ipfix_template *t)
{
	/* Template ID, Field Count (and Scope Field Count for options) */
	size_t n = t->scope ? 6 : 4;
	int i;

	for (i = 0; i < t->nfields; i++)
		n += t->fields[i].pen ? 8 : 4;
	return n;
}

/* Big-endian, in the few widths templates use as one store each: a flow
 * record has some twenty fields and every flow of a sweep is one. */
static void put_be(uint8_t *p, uint64_t v, size_t len)
{
	uint16_t v16;
	uint32_t v32;

	switch (len) {
	case 1:
		*p = v;
		return;
	case 2:
		v16 = htobe16(v);
		memcpy(p, &v16, 2);
		return;
	case 4:
		v32 = htobe32(v);
		memcpy(p, &v32, 4);
		return;
	case 8:
		v = htobe64(v);
		memcpy(p, &v, 8);
		return;
	}
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

	p = reserve(m,
		    t->scope ? IPFIX_SET_OPTIONS_TEMPLATE : IPFIX_SET_TEMPLATE,
		    ipfix_tmpl_def_len(t), &err);
	if (!p)
		return err;
	put_be16(p, t->id);
	put_be16(p + 2, t->nfields);
	p += 4;
	if (t->scope) {
		put_be16(p, t->scope);
		p += 2;
	}
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
	case IPFIX_S_ETH_TYPE:
		return k->eth_proto;
	case IPFIX_S_REASON:
		return k->reason;
	case IPFIX_S_RULE_ID:
		return f->rule_id;
	case IPFIX_S_RTT_MIN:
		return f->rtt ? f->rtt->min_us : 0;
	case IPFIX_S_RTT_MAX:
		return f->rtt ? f->rtt->max_us : 0;
	case IPFIX_S_RTT_MEAN:
		return f->rtt ? f->rtt->mean_us : 0;
	case IPFIX_S_RTT_SAMPLES:
		return f->rtt ? f->rtt->samples : 0;
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
	if (f->key->ip_ver == 4)
		return ipfix_add_record(m, &ipfix_tmpl_flow4, f);
	if (f->key->ip_ver == 6)
		return ipfix_add_record(m, &ipfix_tmpl_flow6, f);
	return -EAFNOSUPPORT;
}

/* Length of a record of t with these strings in its variable fields. */
static size_t rec_len(const struct ipfix_template *t, const char *const *strs,
		      size_t *vlen)
{
	size_t n = 0;
	int i;

	for (i = 0; i < t->nfields; i++) {
		if (t->fields[i].len != IPFIX_VARLEN) {
			n += t->fields[i].len;
			continue;
		}
		vlen[i] = strs && strs[i] ? strlen(strs[i]) : 0;
		if (vlen[i] > 65535)
			vlen[i] = 65535;
		n += varlen_size(vlen[i]);
	}
	return n;
}

/* One data record of t: flow fields from f, options fields (IPFIX_S_OPT)
 * from vals (integers) or strs (variable length), in template order. */
static int add_rec(struct ipfix_msg *m, const struct ipfix_template *t,
		   const struct ipfix_flow *f, const uint64_t *vals,
		   const char *const *strs)
{
	size_t vlen[IPFIX_MAX_FIELDS];
	int i, err = 0;
	uint8_t *p;

	if (t->nfields > IPFIX_MAX_FIELDS)
		return -EINVAL;
	p = reserve(m, t->id, rec_len(t, strs, vlen), &err);
	if (!p)
		return err;
	for (i = 0; i < t->nfields; i++) {
		if (t->fields[i].len == IPFIX_VARLEN) {
			p = put_varlen(p, strs && strs[i] ? strs[i] : "",
				       vlen[i]);
			continue;
		}
		if (t->fields[i].src == IPFIX_S_OPT)
			put_be(p, vals[i], t->fields[i].len);
		else
			put_field(p, &t->fields[i], f);
		p += t->fields[i].len;
	}
	return 0;
}

int ipfix_add_options(struct ipfix_msg *m, const struct ipfix_template *t,
		      const uint64_t *vals)
{
	return add_rec(m, t, NULL, vals, NULL);
}

int ipfix_add_options_str(struct ipfix_msg *m, const struct ipfix_template *t,
			  const uint64_t *vals, const char *const *strs)
{
	return add_rec(m, t, NULL, vals, strs);
}

/* Every integer source of flow f at once, as flow_value() gives them:
 * straight-line code, instead of a switch per field. */
static void flow_values(const struct ipfix_flow *f, uint64_t *v)
{
	const struct fg_flow_key *k = f->key;
	const struct ipfix_rtt *r = f->rtt;
	int icmp = is_icmp(k);

	v[IPFIX_S_ZERO] = 0;
	v[IPFIX_S_OCTETS] = f->val->octets;
	v[IPFIX_S_PACKETS] = f->val->packets;
	v[IPFIX_S_PROTO] = k->proto;
	v[IPFIX_S_SPORT] = icmp ? 0 : ntohs(k->sport);
	v[IPFIX_S_DPORT] = icmp ? 0 : ntohs(k->dport);
	v[IPFIX_S_ICMP_TYPE_CODE] = icmp ? ntohs(k->dport) : 0;
	v[IPFIX_S_IN_IF] = k->dir == FG_DIR_IN ? k->ifindex : 0;
	v[IPFIX_S_OUT_IF] = k->dir == FG_DIR_OUT ? k->ifindex : 0;
	v[IPFIX_S_TCP_FLAGS] = f->val->tcp_flags;
	v[IPFIX_S_VLAN] = k->vlan;
	v[IPFIX_S_VLAN_INNER] = k->vlan_inner;
	v[IPFIX_S_TTL_MIN] = f->val->ttl_min;
	v[IPFIX_S_TTL_MAX] = f->val->ttl_max;
	v[IPFIX_S_DIRECTION] = k->dir;
	v[IPFIX_S_START_MS] = f->start_ms;
	v[IPFIX_S_END_MS] = f->end_ms;
	v[IPFIX_S_END_REASON] = f->end_reason;
	v[IPFIX_S_FWD_STATUS] = ipfix_fwd_status(k->reason);
	v[IPFIX_S_ETH_TYPE] = k->eth_proto;
	v[IPFIX_S_REASON] = k->reason;
	v[IPFIX_S_RULE_ID] = f->rule_id;
	v[IPFIX_S_RTT_MIN] = r ? r->min_us : 0;
	v[IPFIX_S_RTT_MAX] = r ? r->max_us : 0;
	v[IPFIX_S_RTT_MEAN] = r ? r->mean_us : 0;
	v[IPFIX_S_RTT_SAMPLES] = r ? r->samples : 0;
	v[IPFIX_S_OPT] = 0;
}

/*
 * Flow templates have fixed-length fields only: their length is known
 * once (t->rec_len, when the layout set it), no field needs a string or
 * an options value, and every value is computed once per record (a flow
 * record has some twenty fields, and every flow of a sweep is one).
 */
/* The end of the plan's fields of kind k (they follow those of k - 1). */
static inline const struct ipfix_put_at *upto(const struct ipfix_plan *pl,
					      int k)
{
	return pl->at + pl->first[k + 1];
}

int ipfix_add_record(struct ipfix_msg *m, const struct ipfix_template *t,
		     const struct ipfix_flow *f)
{
	const struct ipfix_plan *pl = t->plan;
	const struct fg_flow_key *k = f->key;
	const struct ipfix_put_at *a;
	uint64_t v[IPFIX_S_OPT + 1], x;
	uint32_t x32;
	uint16_t x16;
	int err = 0;
	uint8_t *p;

	if (!t->rec_len || !t->put || !pl)
		return add_rec(m, t, f, NULL, NULL);
	p = reserve(m, t->id, t->rec_len, &err);
	if (!p)
		return err;
	flow_values(f, v);
	for (a = pl->at; a < upto(pl, IPFIX_PUT_ANY); a++)
		put_field(p + a->off, &t->fields[a->field], f);
	for (; a < upto(pl, IPFIX_PUT_BE1); a++)
		p[a->off] = v[a->src];
	for (; a < upto(pl, IPFIX_PUT_BE2); a++) {
		x16 = htobe16(v[a->src]);
		memcpy(p + a->off, &x16, 2);
	}
	for (; a < upto(pl, IPFIX_PUT_BE4); a++) {
		x32 = htobe32(v[a->src]);
		memcpy(p + a->off, &x32, 4);
	}
	for (; a < upto(pl, IPFIX_PUT_BE8); a++) {
		x = htobe64(v[a->src]);
		memcpy(p + a->off, &x, 8);
	}
	/* IPv4 is stored as ::ffff:a.b.c.d */
	for (; a < upto(pl, IPFIX_PUT_SRC4); a++)
		memcpy(p + a->off, k->src + 12, 4);
	for (; a < upto(pl, IPFIX_PUT_DST4); a++)
		memcpy(p + a->off, k->dst + 12, 4);
	for (; a < upto(pl, IPFIX_PUT_SRC6); a++)
		memcpy(p + a->off, k->src, 16);
	for (; a < upto(pl, IPFIX_PUT_DST6); a++)
		memcpy(p + a->off, k->dst, 16);
	return 0;
}
