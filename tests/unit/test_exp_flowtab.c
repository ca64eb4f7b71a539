// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter (ctl/export/export.c) over the flow table's source
 * (flow_src_tab.c), on a table in plain memory filled by the table's
 * host form (include/fg_flowtab.h, BPF's decision in plain C): a flow
 * ends by the exporter's acknowledgement of exactly what it read, a
 * packet that races the end is exported as one more record, a packet
 * after it is a new flow, and what another reader (flow flush) ended meanwhile
 * is not exported twice nor lost. Every test checks that the records carry
 * every packet counted, once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "export.h"
#include "exp_settings.h"
#include "flow_src.h"
#include "flowtab.h"
#include "ftmem.h"

struct fg_opts fg_opts;

#define S  1000000000ull
#define T0 (1000 * S)

static struct fg_ft tab;

static void table_new(void)
{
	assert_int_equal(ftmem_new(&tab, 1, 16, 0), 0);
}

static void table_free(void)
{
	ftmem_free(&tab);
}

static void key_of(union fg_ft_key *u, int i)
{
	memset(u, 0, sizeof(*u));
	u->k.ifindex = 1;
	u->k.ip_ver = 4;
	u->k.proto = 17;
	u->k.eth_proto = 0x0800;
	u->k.src[15] = i;
	u->k.dst[15] = 200;
	u->k.sport = 1000 + i;
	u->k.dport = 53;
}

/* The key's slot (any generation), or NULL. */
static struct fg_ft_slot *slot_of(const union fg_ft_key *u,
				  struct fg_ft_bucket **bk, int *si)
{
	__u64 h = fg_ft_hash(u, 0);
	__u32 b[2] = {fg_ft_b1(h, tab.info.nb), fg_ft_b2(h, tab.info.nb)};
	int i, s;

	for (i = 0; i < 2; i++)
		for (s = 0; s < FG_FT_SLOTS; s++)
			if (tab.b[b[i]].tag[s] == fg_ft_tag(h) &&
			    fg_ft_key_eq(&tab.b[b[i]].slot[s].key, u)) {
				*bk = &tab.b[b[i]];
				*si = s;
				return &tab.b[b[i]].slot[s];
			}
	return NULL;
}

/* A packet of flow i at now (100 octets, TTL 64), as BPF counts it: the
 * table's host form (include/fg_flowtab.h), which tests/bpf/test_ft_host.c
 * holds to BPF's own. */
static void packet(int i, __u64 now)
{
	struct fg_pkt p = {.ttl = 64};
	struct fg_ft_op c;
	union fg_ft_key u;

	key_of(&u, i);
	fg_ft_host_op(&c, &p, &u.k, 1, 100, now, tab.info.seed);
	assert_int_equal(fg_ft_host_account(tab.b, tab.info.nb, &c), 0);
}

/* ---- the exporter and what it sent ---- */

struct sent {
	__u64 packets, octets, records;
	__u64 by_reason[8];
	void (*hook)(void); /* run at each record: what races a sweep */
};

static struct sent sent;

static void on_record(const struct ipfix_flow *f, void *ctx)
{
	sent.packets += f->val->packets;
	sent.octets += f->val->octets;
	sent.records++;
	sent.by_reason[f->end_reason & 7]++;
	if (sent.hook)
		sent.hook();
}

static struct fg_flow_src *src;
static struct fg_exporter *exp_;
/* the overflow aggregate's maps, when a test made them (-1: none) */
static int ovf_hash = -1, ovf_arr = -1;

static void exporter_new(bool exclusive)
{
	struct fg_exp_maps m = {.overflow = ovf_hash,
				.ifstats = -1,
				.config = -1,
				.state = -1,
				.ifaces = -1,
				.ovfarr = ovf_arr};
	struct fg_exp_settings s;

	memset(&sent, 0, sizeof(sent));
	table_new();
	assert_int_equal(fg_flow_src_tab_new(&src, &tab, exclusive), 0);
	m.flows = src;
	fg_exp_settings_default(&s);
	s.active_s = 60;
	s.idle_s = 5;
	s.tick_ms = 1000;
	snprintf(s.file, sizeof(s.file), "/dev/null");
	s.on_record = on_record;
	assert_int_equal(fg_exporter_new(&exp_, &s, &m), 0);
}

static void exporter_free(void)
{
	fg_exporter_free(exp_);
	fg_flow_src_free(src);
	table_free();
}

static void sweep(__u64 now)
{
	assert_int_equal(fg_exporter_sweep(exp_, now, now / 1000000, false), 0);
}

static struct fg_ft_slot *slot(int i)
{
	struct fg_ft_bucket *b;
	union fg_ft_key u;
	int si;

	key_of(&u, i);
	return slot_of(&u, &b, &si);
}

static __u64 live(void)
{
	struct fg_ft_fill f;

	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	return f.live;
}

/* An idle flow: one record, then its slot is dead (acknowledged exactly);
 * a packet after the end is a new flow, exported on its own. */
static void test_idle_end(void **state)
{
	struct fg_exp_stats st;

	exporter_new(false);
	packet(1, T0);
	packet(1, T0 + S);
	packet(1, T0 + 2 * S);
	sweep(T0 + 3 * S); /* read, not idle yet */
	assert_int_equal(sent.records, 0);
	sweep(T0 + 8 * S);
	assert_int_equal(sent.records, 1);
	assert_int_equal(sent.packets, 3);
	assert_int_equal(sent.by_reason[IPFIX_END_IDLE], 1);
	assert_true(fg_ft_dead(slot(1)));
	assert_int_equal(slot(1)->ack_pkts, 3);
	assert_int_equal(live(), 0);
	sweep(T0 + 9 * S);
	assert_int_equal(sent.records, 1);
	packet(1, T0 + 10 * S); /* a new generation in the same slot */
	assert_int_equal(slot(1)->val.packets, 1);
	sweep(T0 + 11 * S);
	sweep(T0 + 16 * S);
	assert_int_equal(sent.records, 2);
	assert_int_equal(sent.packets, 4);
	fg_exporter_stats(exp_, &st);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.raced, 0);
	exporter_free();
}

/* Packets between the sweep's read and its end: one more record, and the
 * end acknowledges them too (the slot is dead after). */
static void race_two(void)
{
	packet(2, T0 + 7 * S);
	packet(2, T0 + 7 * S);
	sent.hook = NULL;
}

static void test_raced(void **state)
{
	struct fg_exp_stats st;

	exporter_new(false);
	packet(2, T0);
	packet(2, T0 + S);
	packet(2, T0 + 2 * S);
	sweep(T0 + 3 * S);
	sent.hook = race_two;
	sweep(T0 + 8 * S);
	assert_int_equal(sent.records, 2);
	assert_int_equal(sent.packets, 5);
	assert_int_equal(sent.octets, 500);
	fg_exporter_stats(exp_, &st);
	assert_int_equal(st.raced, 2);
	assert_true(fg_ft_dead(slot(2)));
	assert_int_equal(slot(2)->ack_pkts, 5);
	sweep(T0 + 20 * S);
	assert_int_equal(sent.packets, 5);
	exporter_free();
}

/* flow flush ends the flow between the sweep's read and its end, and a
 * packet comes after the flush: that packet is a flow of its own, sent
 * once; the flushed packets were the sweep's record already. */
static void flush_then_packet(void)
{
	union fg_ft_key u;
	struct fg_flow_val v;
	bool ended;

	key_of(&u, 3);
	assert_int_equal(fg_ft_end(&tab, &u.k, T0 + 7 * S, 0, &v, &ended), 0);
	assert_true(ended);
	packet(3, T0 + 7 * S + 1);
	sent.hook = NULL;
}

static void test_flush_between(void **state)
{
	exporter_new(false);
	packet(3, T0);
	packet(3, T0 + S);
	sweep(T0 + 2 * S);
	sent.hook = flush_then_packet;
	sweep(T0 + 8 * S);
	assert_int_equal(sent.records, 2);
	assert_int_equal(sent.packets, 3);
	assert_true(fg_ft_dead(slot(3)));
	sweep(T0 + 30 * S);
	assert_int_equal(sent.packets, 3);
	exporter_free();
}

/* The exclusive source (replay's): a flow the index says is idle is read
 * and ended in one fetch; one not idle after all is left as it was. Ten
 * more flows, due later, keep the sweep to lookups. */
static void test_exclusive(void **state)
{
	struct fg_exp_stats st;
	int i;

	exporter_new(true);
	packet(4, T0);
	packet(5, T0);
	for (i = 10; i < 20; i++)
		packet(i, T0 + S - 1);
	sweep(T0 + S);	       /* all read: due at their idle time */
	packet(5, T0 + 4 * S); /* 5 is not idle at T0 + 5.5 s after all */
	sweep(T0 + 5 * S + S / 2);
	fg_exporter_stats(exp_, &st);
	assert_int_equal(st.reads, 1);
	assert_int_equal(st.lookups, 2);
	assert_int_equal(sent.records, 1);
	assert_int_equal(sent.packets, 1);
	assert_true(fg_ft_dead(slot(4)));
	assert_false(fg_ft_dead(slot(5)));
	assert_int_equal(slot(5)->ack_gen, 0);
	sweep(T0 + 11 * S);
	assert_int_equal(sent.records, 12);
	assert_int_equal(sent.packets, 13);
	assert_true(fg_ft_dead(slot(5)));
	assert_int_equal(live(), 0);
	exporter_free();
}

/* SIGTERM's forced sweep: every pending delta, nothing ended. */
static void test_forced(void **state)
{
	exporter_new(false);
	packet(6, T0);
	packet(7, T0);
	packet(7, T0);
	assert_int_equal(fg_exporter_sweep(exp_, T0 + S, T0 / 1000000, true),
			 0);
	assert_int_equal(sent.records, 2);
	assert_int_equal(sent.packets, 3);
	assert_int_equal(sent.by_reason[IPFIX_END_FORCED], 2);
	assert_int_equal(live(), 2);
	exporter_free();
}

/* pkts more in slot's fg_ovfarr entry (UDP over IPv4, in), CPU 0's. */
static void ovf_add(__u32 slot, __u32 ifindex, __u64 pkts)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fg_ovf_cnt *v = calloc(ncpu, sizeof(*v));
	__u32 i = fg_ovf_index(slot, FG_DIR_IN, fg_ovf_class(4, 17));

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(ovf_arr, &i, v), 0);
	v[0].ifindex = ifindex;
	v[0].packets += pkts;
	v[0].octets += pkts * 100;
	assert_int_equal(bpf_map_update_elem(ovf_arr, &i, v, BPF_ANY), 0);
	free(v);
}

/*
 * The overflow aggregate's array: a sweep copies the slots that can hold
 * counts (slot 0, those attached, those a whole read found holding
 * packets) and the whole array every 64 reads, where a slot attached and
 * detached between two sweeps is found: every packet goes out once.
 */
static void test_ovf_slots(void **state)
{
	__u64 t = T0, a = 61 * S; /* sweeps an active timeout apart */
	int i;

	ovf_arr =
		bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "fg_ovfarr", 4,
			       sizeof(struct fg_ovf_cnt), FG_OVF_ENTRIES, NULL);
	ovf_hash = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "fg_overflow",
				  sizeof(struct fg_ovf_key),
				  sizeof(struct fg_ovf_val), 64, NULL);
	if (ovf_arr < 0 || ovf_hash < 0)
		skip(); /* no BPF here (not root) */
	exporter_new(false);
	ovf_add(FG_SLOT_OTHER, 7, 3);
	ovf_add(5, 9, 4); /* its interface detached before we started */
	sweep(t);	  /* the first: the whole array */
	assert_int_equal(sent.packets, 7);
	assert_int_equal(sent.by_reason[IPFIX_END_LACK_OF_RESOURCES], 2);
	ovf_add(5, 9, 1);
	ovf_add(9, 11, 2); /* attached and detached since the last sweep */
	sweep(t += a);	   /* slots 0-5: slot 5 held packets */
	assert_int_equal(sent.packets, 8);
	for (i = 2; i < 64; i++)
		sweep(t += a);
	assert_int_equal(sent.packets, 8);
	sweep(t += a); /* the 64th read after the first: whole */
	assert_int_equal(sent.packets, 10);
	assert_int_equal(sent.records, 4);
	sweep(t += a); /* nothing twice */
	assert_int_equal(sent.packets, 10);
	ovf_add(9, 11, 5); /* read at every sweep from now on */
	sweep(t += a);
	assert_int_equal(sent.packets, 15);
	assert_int_equal(sent.octets, 1500);
	exporter_free();
	close(ovf_arr);
	close(ovf_hash);
	ovf_arr = ovf_hash = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_end),
		cmocka_unit_test(test_raced),
		cmocka_unit_test(test_flush_between),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_forced),
		cmocka_unit_test(test_ovf_slots),
	};

	fg_libs_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
