// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the host build of the parser/validator (fg_parse.h).
 *
 * Input layout: a 4-byte header picks the configuration, the rest is the
 * frame.
 *   byte 0, bits 0-1: profile (0 default, 1 monitor, 2 strict, 3 every
 *                     action taken from the bytes after the header)
 *           bit 2:    judge by a wire length longer than the frame (a
 *                     capture cut by its snaplen), extra = (byte0 >> 3) * 37
 *   bytes 1-3:        per-check overrides: reason = b & 31, action = b >> 6
 *                     (0 leaves the profile's action); ignored by monitor
 *
 * The frame is copied into a malloc() buffer of exactly its size, so ASan
 * reports any read past data_end. Beyond "no crash, no UB", each run checks
 * the invariants of the verdict with __builtin_trap():
 *   - reason is FG_R_NONE or a valid code, its hits bit is set and its
 *     action is drop;
 *   - every hits bit is a valid code whose action is not off;
 *   - with no check set to drop (monitor) nothing is dropped;
 *   - actions only decide what is recorded and where parsing stops: the
 *     checks that fired are those that fire in monitor mode, up to the one
 *     the packet is dropped for;
 *   - offsets stay inside the packet; a full wire length equal to the frame
 *     gives exactly fg_parse()'s result; the parse is deterministic;
 *   - a view cut short of the packet never makes up a verdict;
 *   - one more VLAN tag, or padding after the IP packet, changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fg_parse.h"

#define HDR_LEN 4

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

static void make_config(const uint8_t *h, const uint8_t *rest, size_t n,
			struct fg_config *cfg)
{
	__u32 profile = h[0] & 3, r;
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FG_CONFIG_VERSION;
	if (profile == FG_PROFILE_MONITOR || profile == FG_PROFILE_STRICT) {
		cfg->profile = profile;
		for (r = 1; r < FG_R_MAX; r++)
			cfg->act[r] = fg_profile_action(profile, r);
		if (profile == FG_PROFILE_MONITOR)
			return;
	} else if (profile == 3) {
		/* Random per-check actions, including 0 (profile default). */
		for (r = 1; r < FG_R_MAX; r++)
			cfg->act[r] = r - 1 < n ? rest[r - 1] & 3 : 0;
	}
	for (i = 1; i < HDR_LEN; i++) {
		r = h[i] & 31;
		if (r && r < FG_R_MAX)
			cfg->act[r] = h[i] >> 6;
	}
}

static int same_pkt(const struct fg_pkt *a, const struct fg_pkt *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void check_verdict(const struct fg_config *cfg, const struct fg_pkt *p,
			  size_t len, size_t wire_len)
{
	__u32 r, any_drop = 0;

	for (r = 1; r < FG_R_MAX; r++)
		any_drop |= fg_action(cfg, r) == FG_ACT_DROP;

	CHECK(p->reason < FG_R_MAX);
	CHECK((p->hits & 1) == 0);
	CHECK((p->hits >> FG_R_MAX) == 0);
	if (p->reason) {
		CHECK(p->hits & (1u << p->reason));
		CHECK(fg_action(cfg, p->reason) == FG_ACT_DROP);
	}
	if (!any_drop)
		CHECK(p->reason == FG_R_NONE);
	for (r = 1; r < FG_R_MAX; r++)
		if (p->hits & (1u << r))
			CHECK(fg_action(cfg, r) != FG_ACT_OFF);

	/* Offsets: l3 starts inside the frame, the IP packet ends inside the
	 * wire packet, and L4 starts inside the IP packet. */
	CHECK(p->l3_off <= len);
	CHECK(p->l3_end <= wire_len);
	if (p->l3_end) {
		CHECK(p->l3_off <= p->l4_off);
		CHECK(p->l4_off <= p->l3_end);
		CHECK(p->l3_off + p->ip_len == p->l3_end);
	}
	CHECK(p->ip_ver == 0 || p->ip_ver == 4 || p->ip_ver == 6);
	CHECK(p->vlan_depth <= 2);
	CHECK(p->ext_count <= FG_IP6_MAX_EXT);
	CHECK(p->frag <= FG_FRAG_LATER);
	/* A short view is only possible when the wire packet is longer. */
	if (wire_len == len)
		CHECK(!p->unseen);
}

/* The path through the parser depends on the packet alone; actions only
 * decide what is recorded and whether to stop. So the checks that fired
 * are the ones monitor mode sees, minus those turned off, up to the drop. */
static void check_against_monitor(const struct fg_config *cfg,
				  const struct fg_pkt *p,
				  const struct fg_pkt *mon)
{
	__u32 off = 0, r;

	for (r = 1; r < FG_R_MAX; r++)
		if (fg_action(cfg, r) == FG_ACT_OFF)
			off |= 1u << r;
	CHECK((p->hits & ~mon->hits) == 0);
	if (!p->reason)
		CHECK(p->hits == (mon->hits & ~off));
}

/* A view cut short of the packet (snaplen, skb linear area) must never
 * make up a verdict: where the parse stopped at the end of the view it says
 * so (unseen) and has seen a subset of the checks; where it did not, it is
 * the same parse as on the whole frame. Monitor mode, so that the whole
 * path is compared. */
static void check_prefix(const uint8_t *buf, size_t len, size_t wire_len,
			 const struct fg_config *mon, const struct fg_pkt *full,
			 size_t cut)
{
	struct fg_pkt p;

	if (cut > len)
		return;
	fg_parse_wire(buf, buf + cut, (__u32)wire_len, mon, &p);
	check_verdict(mon, &p, cut, wire_len);
	if (p.unseen) {
		CHECK((p.hits & ~full->hits) == 0);
		return;
	}
	CHECK(p.hits == full->hits);
	CHECK(p.reason == full->reason);
	CHECK(p.l4_ok == full->l4_ok && p.frag == full->frag);
}

/* The verdict of a variant of the frame must equal the original's. */
static void check_same_as(const uint8_t *buf, size_t len, size_t wire_len,
			  const struct fg_config *mon, const struct fg_pkt *m,
			  __u32 l3_shift)
{
	struct fg_pkt p;

	fg_parse_wire(buf, buf + len, (__u32)wire_len, mon, &p);
	check_verdict(mon, &p, len, wire_len);
	CHECK(p.reason == m->reason && p.hits == m->hits);
	CHECK(p.l4_ok == m->l4_ok && p.frag == m->frag);
	CHECK(p.sport == m->sport && p.dport == m->dport);
	CHECK(p.l3_off == m->l3_off + l3_shift);
}

/* One more 802.1Q tag (while below the two the parser walks) changes
 * nothing but where L3 starts. */
static void check_vlan(const uint8_t *buf, size_t len, size_t wire_len,
		       const struct fg_config *mon, const struct fg_pkt *m)
{
	static const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x2a};
	uint8_t *b;

	if (!m->l3_off || m->vlan_depth >= 2)
		return;
	b = malloc(len + 4);
	if (!b)
		return;
	memcpy(b, buf, 12);
	memcpy(b + 12, tag, 4);
	memcpy(b + 16, buf + 12, len - 12);
	check_same_as(b, len + 4, wire_len + 4, mon, m, 4);
	free(b);
}

/* Bytes after the end the IP header announces (Ethernet padding, trailers)
 * are not part of the packet. A jumbogram's end is the frame's own. */
static void check_padding(const uint8_t *buf, size_t len,
			  const struct fg_config *mon, const struct fg_pkt *m)
{
	uint8_t *b;

	if (!m->l3_end || m->jumbo)
		return;
	b = malloc(len + 8);
	if (!b)
		return;
	memcpy(b, buf, len);
	memset(b + len, 0xa5, 8);
	check_same_as(b, len + 8, len + 8, mon, m, 0);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_config cfg, mon;
	struct fg_pkt p, q, m;
	size_t len, wire_len;
	uint8_t *buf;
	__u32 r;

	if (size < HDR_LEN)
		return 0;
	len = size - HDR_LEN;
	make_config(data, data + HDR_LEN, len, &cfg);
	memset(&mon, 0, sizeof(mon));
	for (r = 1; r < FG_R_MAX; r++)
		mon.act[r] = FG_ACT_COUNT;

	/* Exactly sized (malloc(0) is a valid zero-byte buffer for ASan). */
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + HDR_LEN, len);

	wire_len = len;
	if (data[0] & 4)
		wire_len += (size_t)(data[0] >> 3) * 37;

	fg_parse_wire(buf, buf + len, (__u32)wire_len, &cfg, &p);
	check_verdict(&cfg, &p, len, wire_len);

	fg_parse_wire(buf, buf + len, (__u32)wire_len, &cfg, &q);
	CHECK(same_pkt(&p, &q));

	fg_parse_wire(buf, buf + len, (__u32)wire_len, &mon, &m);
	check_verdict(&mon, &m, len, wire_len);
	CHECK(m.reason == FG_R_NONE);
	check_against_monitor(&cfg, &p, &m);
	check_prefix(buf, len, wire_len, &mon, &m, len / 2);
	check_prefix(buf, len, wire_len, &mon, &m, m.l3_off + 1);
	check_prefix(buf, len, wire_len, &mon, &m, m.l3_off + 20);
	check_prefix(buf, len, wire_len, &mon, &m, m.l4_off);
	check_prefix(buf, len, wire_len, &mon, &m, m.l4_off + 7);
	check_prefix(buf, len, wire_len, &mon, &m, m.l4_off + 19);
	check_vlan(buf, len, wire_len, &mon, &m);
	if (wire_len == len)
		check_padding(buf, len, &mon, &m);

	if (wire_len == len) {
		fg_parse(buf, buf + len, &cfg, &q);
		CHECK(same_pkt(&p, &q));
	}
	free(buf);
	return 0;
}
