/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX (RFC 7011) message encoder for flowgate's flow records. Pure byte
 * building: no sockets, no BPF. Every multi-octet value goes out in network
 * byte order. See /work/shared/reference/ipfix.md for the collector quirks
 * behind the choices made here (no empty Sets, 152/153 timestamps, ...).
 *
 * Typical use, one UDP datagram per message:
 *
 *	ipfix_msg_begin(&m, buf, mtu - 28, time(NULL), seq, odid);
 *	ipfix_add_template(&m, &ipfix_tmpl_flow4);	(periodically)
 *	while (more flows) {
 *		err = ipfix_add_flow(&m, &flow);
 *		if (err == -ENOSPC) {
 *			send(buf, ipfix_msg_end(&m));
 *			seq += ipfix_msg_records(&m);
 *			ipfix_msg_begin(&m, buf, ..., seq, odid);
 *			err = ipfix_add_flow(&m, &flow);
 *		}
 *	}
 *	send(buf, ipfix_msg_end(&m)); seq += ipfix_msg_records(&m);
 */
#ifndef FG_IPFIX_H
#define FG_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fg_common.h"

#define IPFIX_VERSION		   10
#define IPFIX_HDR_LEN		   16
#define IPFIX_SET_HDR_LEN	   4
#define IPFIX_MAX_MSG		   65535 /* the header's Length is 16 bits */
#define IPFIX_SET_TEMPLATE	   2
#define IPFIX_SET_OPTIONS_TEMPLATE 3
#define IPFIX_SET_DATA_MIN	   256 /* data Set ID == its Template ID */

/* flowgate's templates (IDs scoped to session + ODID). A layout change
 * always takes a new ID: collectors never see one ID with two layouts. */
#define IPFIX_TID_FLOW4		 256
#define IPFIX_TID_FLOW6		 257
#define IPFIX_TID_FLOW_L2	 258 /* non-IP frames (ARP, LLDP, ...) */
#define IPFIX_TID_SAMPLING	 259 /* options: samplingInterval (34) */
#define IPFIX_TID_SAMPLING_PSAMP 260 /* options: 305/306 */
#define IPFIX_TID_RELIABILITY	 261 /* options: RFC 7011 4.3 */
#define IPFIX_TID_GUARD		 262 /* options: guard drops per iface, reason */
#define IPFIX_TID_IFNAME	 263 /* options: interfaceName per ingressInterface */
#define IPFIX_VARLEN		 65535 /* Field Length of a variable-length field */
/* Layouts with RTT fields have IDs of their own, so that a collector never
 * sees one template ID with two layouts. */
#define IPFIX_TID_FLOW4_RTT 266
#define IPFIX_TID_FLOW6_RTT 267

/* flowgate's own information elements, under the configured enterprise
 * number (default 32473, RFC 5612's documentation number). */
#define IPFIX_PEN_DEFAULT 32473
enum ipfix_fg_ie {
	IPFIX_FG_DROP_REASON = 1,  /* u8: flowgate reason code, 0: forwarded */
	IPFIX_FG_RULE_ID = 2,	   /* u32: rule that dropped/passed, 0: none */
	IPFIX_FG_RTT_MIN_US = 10,  /* u32 */
	IPFIX_FG_RTT_MAX_US = 11,  /* u32 */
	IPFIX_FG_RTT_MEAN_US = 12, /* u32 */
	IPFIX_FG_RTT_SAMPLES = 13, /* u32 */
};

/* flowEndReason (IE 136) values. */
enum ipfix_end_reason {
	IPFIX_END_IDLE = 1,
	IPFIX_END_ACTIVE = 2,
	IPFIX_END_DETECTED = 3, /* e.g. TCP FIN/RST */
	IPFIX_END_FORCED = 4,	/* e.g. exporter shutdown */
	IPFIX_END_LACK_OF_RESOURCES = 5,
};

/*
 * forwardingStatus (IE 89, RFC 7270 + IANA "forwarding-status"): one octet,
 * status in the top two bits (01 forwarded, 10 dropped, 11 consumed), the
 * reason code in the low six bits.
 */
#define IPFIX_FWD_FORWARDED	  0x40 /* 64: forwarded, unknown reason */
#define IPFIX_FWD_DROP_UNKNOWN	  0x80 /* 128 */
#define IPFIX_FWD_DROP_ACL_DENY	  0x81 /* 129 */
#define IPFIX_FWD_DROP_BAD_CSUM	  0x86 /* 134: bad header checksum */
#define IPFIX_FWD_DROP_BAD_TOTLEN 0x87 /* 135: bad total length */
#define IPFIX_FWD_DROP_BAD_HDRLEN 0x88 /* 136: bad header length */
#define IPFIX_FWD_DROP_BAD_TTL	  0x89 /* 137 */

/* Map a flow key's reason (FG_R_NONE: forwarded) to forwardingStatus. */
uint8_t ipfix_fwd_status(uint8_t reason);

/* Where the encoder takes a field's value from (struct ipfix_flow). */
enum ipfix_src {
	IPFIX_S_ZERO = 0, /* all-zero value, e.g. an IE not filled yet */
	IPFIX_S_OCTETS,
	IPFIX_S_PACKETS,
	IPFIX_S_PROTO,
	IPFIX_S_SPORT, /* 0 for ICMP/ICMPv6 */
	IPFIX_S_DPORT, /* 0 for ICMP/ICMPv6 */
	IPFIX_S_SRC4,
	IPFIX_S_DST4,
	IPFIX_S_SRC6,
	IPFIX_S_DST6,
	IPFIX_S_IN_IF,	/* key ifindex if dir is ingress, else 0 */
	IPFIX_S_OUT_IF, /* key ifindex if dir is egress, else 0 */
	IPFIX_S_TCP_FLAGS,
	IPFIX_S_VLAN,
	IPFIX_S_VLAN_INNER,
	IPFIX_S_TTL_MIN,
	IPFIX_S_TTL_MAX,
	IPFIX_S_DIRECTION,
	IPFIX_S_START_MS,
	IPFIX_S_END_MS,
	IPFIX_S_END_REASON,
	IPFIX_S_FWD_STATUS,
	IPFIX_S_ICMP_TYPE_CODE, /* key dport for ICMP/ICMPv6, else 0 */
	IPFIX_S_ETH_TYPE,	/* EtherType of a non-IP frame */
	IPFIX_S_REASON,		/* flowgate reason code */
	IPFIX_S_RULE_ID,
	IPFIX_S_RTT_MIN,
	IPFIX_S_RTT_MAX,
	IPFIX_S_RTT_MEAN,
	IPFIX_S_RTT_SAMPLES,
	IPFIX_S_OPT, /* options record: value i of the caller's array */
};

/* One Field Specifier plus the source of its value. pen != 0 sets the
 * enterprise bit. Integers are written in len octets (reduced-size
 * encoding when len is below the IE's native size), addresses as is. */
struct ipfix_field {
	uint16_t ie;
	uint16_t len; /* octets, or IPFIX_VARLEN (options strings only) */
	uint32_t pen;
	uint8_t src; /* enum ipfix_src */
};

/* How a flow record writes a field, set by the layout; 0: the general
 * way. */

enum ipfix_put {
	IPFIX_PUT_ANY = 0,
	IPFIX_PUT_BE1,
	IPFIX_PUT_BE2,
	IPFIX_PUT_BE4,
	IPFIX_PUT_BE8,
	IPFIX_PUT_SRC4,
	IPFIX_PUT_DST4,
	IPFIX_PUT_SRC6,
	IPFIX_PUT_DST6,
};

#define IPFIX_MAX_FIELDS 32

/*
 * A flow template's fields grouped by how they are written (enum
 * ipfix_put), each with its offset in the record: a record is then a few
 * loops of one kind each instead of a switch per field, whose jump from
 * one field to the next the CPU mispredicts (ipfix_layout_init builds it).
 */
struct ipfix_plan {
	uint8_t first[IPFIX_PUT_DST6 +
		      2]; /* kind k: at[first[k], first[k+1]) */
	struct ipfix_put_at {
		uint16_t off;  /* in the record */
		uint8_t src;   /* its value (enum ipfix_src) */
		uint8_t field; /* its index in the template */
	} at[IPFIX_MAX_FIELDS];
};

struct ipfix_template {
	uint16_t id;
	uint16_t nfields;
	const struct ipfix_field *fields;
	uint16_t scope; /* options template: scope fields first; 0: data */
	/* Octets of a record of a flow template (fixed-length fields
	 * only), how each field is written (enum ipfix_put) and the plan
	 * that follows from it, set by ipfix_layout_init(); 0 and NULL:
	 * worked out at each record. */
	uint16_t rec_len;
	const uint8_t *put;
	const struct ipfix_plan *plan;
};

extern const struct ipfix_template ipfix_tmpl_flow4;
extern const struct ipfix_template ipfix_tmpl_flow6;

/* Octets of one data record (variable-length fields counted as empty,
 * with their one-octet length) / one template record of t. */
size_t ipfix_tmpl_rec_len(const struct ipfix_template *t);
size_t ipfix_tmpl_def_len(const struct ipfix_template *t);

/* RTT of the TCP connection behind a flow (sock_ops), microseconds. */
struct ipfix_rtt {
	uint32_t min_us, max_us, mean_us, samples;
};

/* One flow record to export. */
struct ipfix_flow {
	const struct fg_flow_key *key;
	const struct fg_flow_val *val; /* summed over CPUs */
	uint64_t start_ms;	       /* wall clock, ms since the Unix epoch */
	uint64_t end_ms;
	uint8_t end_reason; /* enum ipfix_end_reason */
	uint32_t rule_id;
	const struct ipfix_rtt *rtt; /* NULL: no RTT known (fields are 0) */
};

/*
 * The exporter's templates, built from its settings: tcpControlBits in 1
 * octet (pmacct 1.7.7 reads nothing else) or 2 (RFC 7125), flowgate's own
 * IEs under an enterprise number, RTT fields or not.
 */
struct ipfix_opts {
	uint8_t tcp_flags_len; /* 1 or 2 */
	uint32_t pen;	       /* 0: no enterprise IEs */
	bool rtt;	       /* RTT IEs (needs pen) */
};

struct ipfix_layout {
	struct ipfix_template flow4, flow6, l2;
	struct ipfix_template sampling, sampling_psamp, reliability, guard;
	struct ipfix_template ifname;
	struct ipfix_field f4[IPFIX_MAX_FIELDS], f6[IPFIX_MAX_FIELDS];
	struct ipfix_field fl2[IPFIX_MAX_FIELDS], fguard[8];
	uint8_t p4[IPFIX_MAX_FIELDS], p6[IPFIX_MAX_FIELDS];
	uint8_t pl2[IPFIX_MAX_FIELDS];
	struct ipfix_plan plan4, plan6, planl2;
};

void ipfix_layout_init(struct ipfix_layout *l, const struct ipfix_opts *o);
/* The data template a flow goes out with: IPv4, IPv6 or layer 2. */
const struct ipfix_template *ipfix_layout_tmpl(const struct ipfix_layout *l,
					       uint8_t ip_ver);

/* Values of the options templates' fields, in template order. */
enum {
	IPFIX_SAMPLING_NVALS = 2, /* observationDomainId, N */
	IPFIX_PSAMP_NVALS = 3,	  /* observationDomainId, 1, N - 1 */
	/* exportingProcessId, notSent flows, packets, octets, time of the
	 * first and of the last discard (ms) */
	IPFIX_RELIABILITY_NVALS = 6,
	/* ingressInterface, reason, forwardingStatus, dropped packets,
	 * dropped octets (needs an enterprise number for the reason) */
	IPFIX_GUARD_NVALS = 5,
};

/* A message being built in a caller-owned buffer. */
struct ipfix_msg {
	uint8_t *buf;
	size_t cap;	/* min(buffer size, IPFIX_MAX_MSG) */
	size_t len;	/* octets used so far */
	size_t set_off; /* offset of the open Set's header; 0: none open */
	uint16_t set_id;
	uint32_t set_records; /* records in the open Set */
	size_t set_min_rec;   /* its shortest record: padding must be shorter */
	uint32_t data_records; /* data records in the whole message */
};

/*
 * Start a message: cap is the largest message allowed (buffer size, or path
 * MTU minus IP/UDP headers). seq is the number of data records sent in this
 * session and domain before this message (RFC 7011 3.1).
 */
int ipfix_msg_begin(struct ipfix_msg *m, void *buf, size_t cap,
		    uint32_t export_time, uint32_t seq, uint32_t domain_id);
/* Open a Set (closing any open one). -ENOSPC if its header does not fit. */
int ipfix_set_begin(struct ipfix_msg *m, uint16_t set_id);
/* Close the open Set: a Set without records is removed, never emitted;
 * otherwise it is padded to a multiple of 4 octets when room allows. */
void ipfix_set_end(struct ipfix_msg *m);
/* Close the open Set, write the Length; returns the message length. */
size_t ipfix_msg_end(struct ipfix_msg *m);
/* Data records in the message: add it to seq for the next message. */
uint32_t ipfix_msg_records(const struct ipfix_msg *m);

/*
 * Append a template record / a flow record, opening the right Set if the
 * open one is not it. -ENOSPC: it does not fit, the message is unchanged;
 * end it and retry in a new message. -EMSGSIZE: it would not fit even in
 * an empty message. ipfix_add_flow: -EAFNOSUPPORT for non-IP flows.
 */
int ipfix_add_template(struct ipfix_msg *m, const struct ipfix_template *t);
int ipfix_add_flow(struct ipfix_msg *m, const struct ipfix_flow *f);
/* A flow record with template t (ipfix_add_flow uses the base templates
 * ipfix_tmpl_flow4/6, which have no enterprise IEs). */
int ipfix_add_record(struct ipfix_msg *m, const struct ipfix_template *t,
		     const struct ipfix_flow *f);
/* An options data record: vals[i] is field i's value (integers only). */
int ipfix_add_options(struct ipfix_msg *m, const struct ipfix_template *t,
		      const uint64_t *vals);
/* The same, with strs[i] the value of variable-length field i (RFC 7011
 * 7: one length octet up to 254, else 255 and two octets; at most 65535
 * octets). strs may be NULL where a field is not variable. */
int ipfix_add_options_str(struct ipfix_msg *m, const struct ipfix_template *t,
			  const uint64_t *vals, const char *const *strs);

#endif /* FG_IPFIX_H */
