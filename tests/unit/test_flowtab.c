// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table's reader library (ctl/lib/flowtab.c) over a table in
 * plain memory, filled by the table's host form (include/fg_flowtab.h:
 * BPF's decision for each packet, in plain C). Two threads stand in
 * for BPF and a reader where the order of their stores matters.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "flowtab.h"
#include "ftmem.h"

struct fg_opts fg_opts;

/* ---- a table in memory and BPF's side of it, on the host ---- */

static struct fg_ft tab;

static void table_new(__u32 nreg, __u32 nb, __u64 seed)
{
	assert_int_equal(ftmem_new(&tab, nreg, nb, seed), 0);
}

static void table_free(void)
{
	ftmem_free(&tab);
}

static struct fg_ft_bucket *bkt(__u32 r, __u32 b)
{
	return &tab.b[(size_t)r * tab.info.nb + b];
}

static void barrier(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* The slot of key k in region r, NULL if none. */
static struct fg_ft_slot *slot_of(__u32 r, const struct fg_flow_key *k,
				  __u32 *bi, int *si);

/* BPF's accounting of one packet of key k (TTL 64) on the CPU of region
 * r, in the table's host form (include/fg_flowtab.h), which
 * tests/bpf/test_ft_host.c holds to BPF's own: the slot it lands in, or
 * NULL (overflow). */
static struct fg_ft_slot *bpf_add(__u32 r, const struct fg_flow_key *k,
				  __u64 octets, __u64 now)
{
	struct fg_pkt p = {.ttl = 64};
	struct fg_ft_op c;

	fg_ft_host_op(&c, &p, k, 1, octets, now, tab.info.seed);
	if (fg_ft_host_account(bkt(r, 0), tab.info.nb, &c))
		return NULL;
	return slot_of(r, k, NULL, NULL);
}

static void bpf_addn(__u32 r, const struct fg_flow_key *k, int n, __u64 octets,
		     __u64 now)
{
	while (n--)
		assert_non_null(bpf_add(r, k, octets, now));
}

static struct fg_flow_key key(__u16 sport)
{
	struct fg_flow_key k = {
		.ifindex = 7,
		.dir = FG_DIR_IN,
		.ip_ver = 4,
		.proto = 17,
		.src = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 1},
		.dst = {[10] = 0xff, [11] = 0xff, 198, 51, 100, 1},
		.sport = htons(sport),
		.dport = htons(53)};

	return k;
}

static struct fg_ft_slot *slot_of(__u32 r, const struct fg_flow_key *k,
				  __u32 *bi, int *si)
{
	union fg_ft_key u = {.w = {0}};
	__u32 b, s;

	u.k = *k;
	for (b = 0; b < tab.info.nb; b++)
		for (s = 0; s < FG_FT_SLOTS; s++)
			if (bkt(r, b)->tag[s] &&
			    fg_ft_key_eq(&bkt(r, b)->slot[s].key, &u)) {
				if (bi)
					*bi = b, *si = s;
				return &bkt(r, b)->slot[s];
			}
	return NULL;
}

static __u64 ended_count(__u32 r)
{
	return bkt(r, 0)->ended;
}

/* ---- geometry ---- */

static void test_geometry(void **state)
{
	struct fg_ft_info a, b;
	int ncpu = libbpf_num_possible_cpus();

	/* N * 5/4 slots over 8-slot buckets and nreg regions, rounded up to
	 * a power of two */
	assert_int_equal(fg_ft_nb(1024, 1), 256);    /* 160 */
	assert_int_equal(fg_ft_nb(1024, 2), 128);    /* 80 */
	assert_int_equal(fg_ft_nb(65536, 2), 8192);  /* 5120 */
	assert_int_equal(fg_ft_nb(65536, 5), 2048);  /* 2048 exactly */
	assert_int_equal(fg_ft_nb(52428, 1), 8192);  /* 65535 slots */
	assert_int_equal(fg_ft_nb(52430, 1), 16384); /* 65537 slots */
	assert_int_equal(fg_ft_nb(1, 64), 1);
	assert_int_equal(fg_ft_nb(0xffffffffu, 1), 1u << 30); /* capped */

	assert_true(ncpu > 0);
	assert_int_equal(fg_ft_info_new(&a, 100000), 0);
	assert_int_equal(fg_ft_info_new(&b, 100000), 0);
	assert_int_equal(a.version, FG_FT_VERSION);
	assert_int_equal(a.nreg, ncpu);
	assert_int_equal(a.nb, fg_ft_nb(100000, ncpu));
	assert_int_equal(a.max_flows, 100000);
	assert_true(a.seed != b.seed); /* random: 2^-64 to fail */
	assert_int_equal(fg_ft_info_new(&a, 0), -EINVAL);
}

/* A packet with every field the flow key takes set apart from the others. */
static struct fg_pkt key_pkt(__u8 ip_ver)
{
	struct fg_pkt p;
	int i;

	memset(&p, 0, sizeof(p));
	p.reason = 0x1234507; /* the key keeps the low byte */
	p.ip_ver = ip_ver;
	p.proto = 17;
	p.l3_proto = ip_ver == 6 ? 0x86dd : ip_ver == 4 ? 0x0800 : 0x88cc;
	p.vlan_outer = 0x123;
	p.vlan_inner = 0x456;
	p.sport = htons(5353);
	p.dport = htons(53);
	for (i = 0; i < 16; i++) {
		p.src[i] = 0x10 + i;
		p.dst[i] = 0x40 + i;
	}
	if (ip_ver == 4) {
		memset(p.src, 0, 16);
		memset(p.dst, 0, 16);
		p.src[10] = p.src[11] = p.dst[10] = p.dst[11] = 0xff;
		memcpy(p.src + 12, "\xc0\x00\x02\x07", 4);
		memcpy(p.dst + 12, "\xc6\x33\x64\x09", 4);
	}
	return p;
}

/* fg_ft_key_fill (BPF's, a word at a time) writes the very bytes of
 * fg_flow_key_fill and a zero half word, for every kind of key. */
static void test_key_fill(void **state)
{
	__u8 vers[] = {4, 6, 0};
	unsigned i;

	for (i = 0; i < sizeof(vers); i++) {
		struct fg_pkt p = key_pkt(vers[i]);
		union fg_ft_key a, b;

		memset(&a, 0xa5, sizeof(a));
		memset(&b, 0, sizeof(b));
		fg_ft_key_fill(&a, &p, 0x01020304, FG_DIR_OUT);
		fg_flow_key_fill(&b.k, &p, 0x01020304, FG_DIR_OUT);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_int_equal(a.k.reason, 7);
		assert_int_equal(a.k.proto, vers[i] ? 17 : 0);
	}
}

/* An IPv4 key's hash takes every field that tells two IPv4 flows apart
 * (its three words): each one changed changes the hash, the seed too. */
static void test_hash_ip4_fields(void **state)
{
	struct fg_pkt p0 = key_pkt(4);
	union fg_ft_key u;
	__u64 h0;
	int f;

	fg_ft_key_fill(&u, &p0, 7, FG_DIR_IN);
	h0 = fg_ft_hash(&u, 99);
	assert_true(fg_ft_hash(&u, 98) != h0);
	for (f = 0; f < 10; f++) {
		struct fg_pkt p = p0;
		__u32 ifindex = 7, dir = FG_DIR_IN;

		switch (f) {
		case 0:
			ifindex = 8;
			break;
		case 1:
			dir = FG_DIR_OUT;
			break;
		case 2:
			p.proto = 6;
			break;
		case 3:
			p.reason = 3;
			break;
		case 4:
			p.src[15] ^= 1;
			break;
		case 5:
			p.dst[12] ^= 0x80;
			break;
		case 6:
			p.sport = htons(5354);
			break;
		case 7:
			p.dport = htons(54);
			break;
		case 8:
			p.vlan_outer = 0x124;
			break;
		case 9:
			p.vlan_inner = 0;
			break;
		}
		fg_ft_key_fill(&u, &p, ifindex, dir);
		if (fg_ft_hash(&u, 99) == h0)
			fail_msg("field %d of an IPv4 key leaves the hash", f);
	}
}

static void test_open_checks(void **state)
{
	struct fg_ft_info in = {.version = FG_FT_VERSION, .nreg = 2, .nb = 4};
	struct fg_ft_bucket m[8];
	struct fg_ft t;

	assert_int_equal(fg_ft_open_mem(&t, m, sizeof(m), &in), 0);
	assert_int_equal(fg_ft_open_mem(&t, m, sizeof(m) - 1, &in), -EINVAL);
	in.nb = 3; /* not a power of two */
	assert_int_equal(fg_ft_open_mem(&t, m, sizeof(m), &in), -EINVAL);
	in.nb = 4;
	in.version = FG_FT_VERSION + 1;
	assert_int_equal(fg_ft_open_mem(&t, m, sizeof(m), &in), -EINVAL);
	in.version = FG_FT_VERSION;
	in.nreg = 0;
	assert_int_equal(fg_ft_open_mem(&t, m, sizeof(m), &in), -EINVAL);
}

/* The same over a real BPF array, where the kernel lets us make one. */
static void test_open_fd(void **state)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE);
	struct fg_ft_info in = {.version = FG_FT_VERSION, .nreg = 2, .nb = 4};
	struct fg_flow_key k = key(1);
	struct fg_flow_val v;
	struct fg_ft t, t2;
	int fd, fd2, fd3;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fg_flowtab", 4,
			    sizeof(struct fg_ft_bucket), 8, &o);
	if (fd < 0)
		skip(); /* no BPF here (not root) */
	fd2 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fg_flowtab", 4,
			     sizeof(struct fg_ft_bucket), 8, NULL);
	fd3 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fg_flowtab", 4,
			     sizeof(struct fg_ft_bucket), 16, &o);
	assert_true(fd2 >= 0 && fd3 >= 0);
	assert_int_equal(fg_ft_open_fd(&t, fd2, &in), -EINVAL); /* no mmap */
	assert_int_equal(fg_ft_open_fd(&t, fd3, &in), -EINVAL); /* 16 != 8 */
	assert_int_equal(fg_ft_open_fd(&t, fd, &in), 0);
	assert_int_equal(t.fd, -1); /* the caller's */
	assert_true(t.mapped);
	/* two mappings of one map: a write through one is read by the other */
	assert_int_equal(fg_ft_open_fd(&t2, fd, &in), 0);
	tab = t;
	bpf_addn(1, &k, 3, 100, 5000);
	assert_int_equal(fg_ft_get(&t2, &k, &v), 0);
	assert_int_equal(v.packets, 3);
	assert_int_equal(v.octets, 300);
	fg_ft_close(&t);
	fg_ft_close(&t2);
	assert_true(fcntl(fd, F_GETFD) >= 0); /* still open */
	close(fd);
	close(fd2);
	close(fd3);
	memset(&tab, 0, sizeof(tab));
}

/* ---- lookups and the walk ---- */

static void test_get(void **state)
{
	struct fg_flow_key a = key(1000), b = key(1001);
	struct fg_flow_val v;

	table_new(3, 16, 0x1234);
	assert_int_equal(fg_ft_get(&tab, &a, &v), -ENOENT);
	bpf_addn(0, &a, 3, 100, 5000);
	bpf_addn(2, &a, 2, 60, 4000);
	bpf_add(2, &a, 60, 9000)->val.tcp_flags = 0x12;
	bpf_addn(1, &b, 1, 40, 7000);
	assert_int_equal(fg_ft_get(&tab, &a, &v), 0);
	assert_int_equal(v.packets, 6);
	assert_int_equal(v.octets, 480);
	assert_int_equal(v.first_ns, 4000);
	assert_int_equal(v.last_ns, 9000);
	assert_int_equal(v.tcp_flags, 0x12);
	assert_int_equal(fg_ft_get(&tab, &b, &v), 0);
	assert_int_equal(v.packets, 1);
	b.sport = htons(1002);
	assert_int_equal(fg_ft_get(&tab, &b, &v), -ENOENT);
	/* the same key hashed with another seed is nowhere */
	tab.info.seed++;
	assert_int_equal(fg_ft_get(&tab, &a, &v), -ENOENT);
	table_free();
}

#define NKEYS 60
struct seen {
	__u64 packets[NKEYS], octets[NKEYS];
	int times[NKEYS];
	int calls, stop_at;
};

static int see(const struct fg_flow_key *k, const struct fg_flow_val *v,
	       void *ctx)
{
	struct seen *s = ctx;
	int i = ntohs(k->sport) - 2000;

	assert_true(i >= 0 && i < NKEYS);
	s->packets[i] += v->packets;
	s->octets[i] += v->octets;
	s->times[i]++;
	if (++s->calls == s->stop_at)
		return 42;
	return 0;
}

/* Keys spread over nreg regions of 16 buckets (a key on one, several or
 * all of them), buckets full enough that keys take their second choice:
 * each key once, its regions summed. */
static void walk_merge(__u32 nreg)
{
	__u64 want_p[NKEYS] = {0}, want_o[NKEYS] = {0};
	struct seen s = {.stop_at = -1};
	struct fg_flow_key k;
	struct fg_ft_fill f;
	int i, r, second = 0, slots = 0;

	table_new(nreg, 16, 77);
	for (i = 0; i < NKEYS; i++) {
		k = key(2000 + i);
		for (r = 0; r < (int)nreg; r++) {
			int n = (i + r) % 5;

			if (r && i % 3 == 0)
				continue; /* on region 0 alone */
			if (!n)
				continue;
			bpf_addn(r, &k, n, 10 * (r + 1), 1000 + i);
			want_p[i] += n;
			want_o[i] += (__u64)n * 10 * (r + 1);
			slots++;
		}
	}
	/* some keys are in their second bucket */
	for (r = 0; r < (int)nreg; r++)
		for (i = 0; i < NKEYS; i++) {
			union fg_ft_key u = {.w = {0}};
			__u32 b;
			int si;

			u.k = key(2000 + i);
			if (slot_of(r, &u.k, &b, &si) &&
			    b != fg_ft_b1(fg_ft_hash(&u, 77), 16))
				second++;
		}
	assert_true(second > 0);
	assert_int_equal(fg_ft_walk(&tab, see, &s), 0);
	for (i = 0; i < NKEYS; i++) {
		if (!want_p[i]) {
			assert_int_equal(s.times[i], 0);
			continue;
		}
		assert_int_equal(s.times[i], 1);
		assert_int_equal(s.packets[i], want_p[i]);
		assert_int_equal(s.octets[i], want_o[i]);
	}
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, slots);
	assert_int_equal(f.slots, nreg * 16 * 8);
	assert_int_equal(f.reg_slots, 128);
	assert_int_equal(f.nreg, nreg);
	/* a non-zero return stops the walk with that value */
	memset(&s, 0, sizeof(s));
	s.stop_at = 5;
	assert_int_equal(fg_ft_walk(&tab, see, &s), 42);
	assert_int_equal(s.calls, 5);
	table_free();
}

/* Probing every region for each slot (few regions) */
static void test_walk_merge(void **state)
{
	walk_merge(4);
}

/* and the sorted walk of many regions: the same flows */
static void test_walk_merge_many(void **state)
{
	walk_merge(8);
	walk_merge(13);
}

/* and the walk of two regions, where most keys are on one of them (the
 * tag bitmaps say so without a probe) */
static void test_walk_merge_two(void **state)
{
	walk_merge(2);
	walk_merge(3);
}

/* Keys taken while the walk runs, in both regions, behind the walk's
 * position in region 0 or ahead of it: none reported twice, and every
 * key there before the walk once, with its counts. */
static int see_taking(const struct fg_flow_key *k, const struct fg_flow_val *v,
		      void *ctx)
{
	struct seen *s = ctx;
	struct fg_flow_key n;
	int i, r;

	if (!s->calls)
		for (i = 40; i < NKEYS; i++)
			for (r = 0; r < 2; r++) {
				n = key(2000 + i);
				bpf_addn(r, &n, 1, 10, 5000);
			}
	return see(k, v, ctx);
}

static void test_walk_taken_during(void **state)
{
	struct seen s = {.stop_at = -1};
	struct fg_flow_key k;
	int i, late = 0;

	table_new(2, 16, 5);
	for (i = 0; i < 20; i++) {
		k = key(2000 + i);
		bpf_addn(0, &k, 2, 100, 1000);
		if (i % 4 == 0)
			bpf_addn(1, &k, 1, 100, 1000);
	}
	assert_int_equal(fg_ft_walk(&tab, see_taking, &s), 0);
	for (i = 0; i < 20; i++) {
		assert_int_equal(s.times[i], 1);
		assert_int_equal(s.packets[i], i % 4 ? 2 : 3);
	}
	for (i = 40; i < NKEYS; i++) {
		assert_true(s.times[i] <= 1);
		late += s.times[i];
		/* one region's slot, or both when the walk probed */
		if (s.times[i])
			assert_true(s.packets[i] == 1 || s.packets[i] == 2);
	}
	/* some were taken ahead of the walk in region 0 (reported there,
	 * and so not again from region 1) */
	assert_true(late > 0);
	/* the next walk sees each once, both regions summed */
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	assert_int_equal(fg_ft_walk(&tab, see, &s), 0);
	for (i = 40; i < NKEYS; i++) {
		assert_int_equal(s.times[i], 1);
		assert_int_equal(s.packets[i], 2);
	}
	table_free();
}

/* A key whose first position (region 0) is dead and whose region 2 slot
 * is live: reported once, with region 2's counters. */
static void walk_dead_first(__u32 nreg)
{
	struct fg_flow_key a = key(2005);
	struct seen s = {.stop_at = -1};
	struct fg_flow_val v;
	bool ended;

	table_new(nreg, 4, 9);
	bpf_addn(0, &a, 4, 100, 1000);
	assert_int_equal(fg_ft_end(&tab, &a, 2000, 0, &v, &ended), 0);
	assert_true(ended);
	bpf_addn(2, &a, 2, 100, 3000);
	assert_int_equal(fg_ft_walk(&tab, see, &s), 0);
	assert_int_equal(s.times[5], 1);
	assert_int_equal(s.packets[5], 2);
	assert_int_equal(s.octets[5], 200);
	assert_int_equal(s.calls, 1);
	table_free();
}

static void test_walk_dead_first(void **state)
{
	walk_dead_first(3);
	walk_dead_first(6);
}

/* ---- ending flows ---- */

static void test_end(void **state)
{
	struct fg_flow_key a = key(3000), b = key(3001);
	struct fg_ft_slot *s0, *s1;
	struct fg_flow_val v;
	struct fg_ft_fill f;
	bool ended;
	__u32 bi;
	int si;

	table_new(2, 16, 5);
	bpf_addn(0, &a, 3, 100, 1000);
	bpf_addn(1, &a, 2, 50, 1500);
	bpf_addn(0, &b, 1, 40, 1200);
	s0 = slot_of(0, &a, &bi, &si);
	s1 = slot_of(1, &a, NULL, NULL);
	assert_int_equal(s0->gen, 2); /* first generation: even, not 0 */

	assert_int_equal(fg_ft_end(&tab, &a, 5000, 0, &v, &ended), 0);
	assert_true(ended);
	assert_int_equal(v.packets, 5);
	assert_int_equal(v.octets, 400);
	/* each region's slot acked with exactly its counters, then the hint */
	assert_int_equal(s0->ack_pkts, 3);
	assert_int_equal(s0->ack_octets, 300);
	assert_int_equal(s0->ack_ns, 5000);
	assert_int_equal(s0->ack_gen, s0->gen);
	assert_int_equal(bkt(0, bi)->ack8[si], fg_ft_gen8(s0->gen) | 0x80);
	assert_int_equal(s1->ack_pkts, 2);
	assert_true(fg_ft_dead(s0) && fg_ft_dead(s1));
	assert_int_equal(ended_count(0), 1);
	assert_int_equal(ended_count(1), 1);
	assert_int_equal(fg_ft_get(&tab, &a, &v), -ENOENT);
	assert_int_equal(fg_ft_end(&tab, &a, 5000, 0, &v, &ended), -ENOENT);
	assert_false(ended);
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, 1); /* b */
	assert_int_equal(f.reg_max, 1);

	/* a packet that came between the read and the ack: the slot still
	 * holds it (gen unchanged) and it is a flow of its own from the
	 * ack's time */
	s0->val.packets++;
	s0->val.octets += 70;
	s0->val.last_ns = 6000;
	assert_false(fg_ft_dead(s0));
	assert_int_equal(fg_ft_get(&tab, &a, &v), 0);
	assert_int_equal(v.packets, 1);
	assert_int_equal(v.octets, 70);
	assert_int_equal(v.first_ns, 5000);
	assert_int_equal(v.last_ns, 6000);
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, 2);
	/* ended again: the same generation is not counted twice */
	assert_int_equal(fg_ft_end(&tab, &a, 7000, 0, &v, &ended), 0);
	assert_true(ended);
	assert_int_equal(v.packets, 1);
	assert_int_equal(v.octets, 70);
	assert_int_equal(s0->ack_pkts, 4);
	assert_int_equal(ended_count(0), 1);
	assert_true(fg_ft_dead(s0));
	/* the next packet finds the slot dead: a new generation in place,
	 * ended once more when it ends */
	bpf_addn(0, &a, 1, 90, 8000);
	assert_int_equal(s0->gen, 4);
	assert_int_equal(bkt(0, 0)->reused, 1);
	assert_int_equal(fg_ft_get(&tab, &a, &v), 0);
	assert_int_equal(v.packets, 1);
	assert_int_equal(v.first_ns, 8000);
	assert_int_equal(fg_ft_end(&tab, &a, 9000, 0, &v, &ended), 0);
	assert_int_equal(ended_count(0), 2);
	/* live = used + reused - ended in each region */
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, bkt(0, 0)->used + bkt(0, 0)->reused -
					 bkt(0, 0)->ended + bkt(1, 0)->used +
					 bkt(1, 0)->reused - bkt(1, 0)->ended);
	table_free();
}

static void test_end_idle(void **state)
{
	struct fg_flow_key a = key(3100);
	struct fg_flow_val v;
	bool ended = true;

	table_new(2, 4, 0);
	bpf_addn(0, &a, 2, 100, 1000);
	bpf_addn(1, &a, 1, 100, 4000); /* the latest packet counts */
	assert_int_equal(fg_ft_end(&tab, &a, 4999, 1000, &v, &ended), 0);
	assert_false(ended);
	assert_int_equal(v.packets, 3); /* still its value */
	assert_int_equal(slot_of(0, &a, NULL, NULL)->ack_gen, 0);
	assert_int_equal(fg_ft_get(&tab, &a, &v), 0);
	assert_int_equal(ended_count(0) + ended_count(1), 0);
	assert_int_equal(fg_ft_end(&tab, &a, 5000, 1000, &v, &ended), 0);
	assert_true(ended);
	assert_int_equal(v.packets, 3);
	assert_int_equal(fg_ft_get(&tab, &a, &v), -ENOENT);
	table_free();
}

struct sel {
	int seen, done;
	__u64 done_pkts;
};

static int sel_odd(const struct fg_flow_key *k, const struct fg_flow_val *v,
		   void *ctx)
{
	((struct sel *)ctx)->seen++;
	return ntohs(k->sport) & 1;
}

static int sel_done(const struct fg_flow_key *k, const struct fg_flow_val *v,
		    void *ctx)
{
	struct sel *s = ctx;

	assert_true(ntohs(k->sport) & 1);
	s->done++;
	s->done_pkts += v->packets;
	return 0;
}

static int sel_fail(const struct fg_flow_key *k, const struct fg_flow_val *v,
		    void *ctx)
{
	return -EIO;
}

/* Flows on regions r0 and r1 of nreg (the odd ones of every 4th on
 * both). */
static void end_each(__u32 nreg, __u32 r0, __u32 r1)
{
	struct sel s = {0};
	struct fg_flow_key k;
	struct fg_flow_val v;
	struct fg_ft_fill f;
	int i;

	table_new(nreg, 8, 3);
	for (i = 0; i < 20; i++) {
		k = key(4000 + i);
		bpf_addn(i % 2 ? r1 : r0, &k, 1 + i, 10, 100);
		if (i % 4 == 1)
			bpf_addn(i % 2 ? r0 : r1, &k, 1, 10, 200);
	}
	assert_int_equal(fg_ft_end_each(&tab, 1000, sel_odd, sel_done, &s), 10);
	assert_int_equal(s.seen, 20);
	assert_int_equal(s.done, 10);
	/* odd i: 1 + i packets each, +1 where i % 4 == 1 */
	assert_int_equal(s.done_pkts,
			 (2 + 4 + 6 + 8 + 10 + 12 + 14 + 16 + 18 + 20) + 5);
	for (i = 0; i < 20; i++) {
		k = key(4000 + i);
		assert_int_equal(fg_ft_get(&tab, &k, &v), i % 2 ? -ENOENT : 0);
	}
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, 10);
	assert_int_equal(ended_count(r0) + ended_count(r1), 15);
	/* nothing left to select; an error stops it */
	memset(&s, 0, sizeof(s));
	assert_int_equal(fg_ft_end_each(&tab, 1000, sel_odd, sel_done, &s), 0);
	assert_int_equal(s.seen, 10);
	assert_int_equal(fg_ft_end_each(&tab, 1000, sel_fail, NULL, NULL),
			 -EIO);
	table_free();
}

static void test_end_each(void **state)
{
	end_each(2, 0, 1);
	end_each(7, 2, 6); /* the sorted walk */
}

/* ---- fill ---- */

static void test_fill(void **state)
{
	struct fg_flow_key k;
	struct fg_ft_fill f;
	struct fg_flow_val v;
	bool ended;
	int i, ovf = 0;

	table_new(2, 1, 11); /* a bucket a region */
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, 0);
	assert_int_equal(f.slots, 16);
	/* region 1 full to overflowing, region 0 with 5 */
	for (i = 0; i < 12; i++) {
		k = key(5000 + i);
		ovf += !bpf_add(1, &k, 10, 100);
	}
	for (i = 0; i < 5; i++) {
		k = key(5000 + i);
		bpf_add(0, &k, 10, 100);
	}
	assert_int_equal(ovf, 12 - 8);
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, 13);
	assert_int_equal(f.reg_max, 8);
	assert_int_equal(f.reg_slots, 8);
	/* ended in both regions: out of the fill; a slot taken again by
	 * another key (its hint stale) is in it */
	k = key(5001);
	assert_int_equal(fg_ft_end(&tab, &k, 200, 0, &v, &ended), 0);
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, 11);
	assert_int_equal(f.reg_max, 7);
	k = key(6000);
	assert_non_null(bpf_add(1, &k, 10, 300)); /* only the dead slot */
	assert_int_equal(bkt(1, 0)->reused, 1);
	assert_int_equal(fg_ft_fill(&tab, &f), 0);
	assert_int_equal(f.live, 12);
	assert_int_equal(f.reg_max, 8);
	table_free();
}

/* ---- generations: odd and torn ---- */

static void test_odd_gen(void **state)
{
	struct fg_flow_key a = key(7000);
	struct seen s = {.stop_at = -1};
	struct fg_ft_slot *sl, c;
	struct fg_flow_val v;
	bool ended = true;

	table_new(1, 2, 0);
	bpf_addn(0, &a, 2, 10, 100);
	sl = slot_of(0, &a, NULL, NULL);
	sl->gen++; /* BPF in the middle of a rewrite */
	assert_int_equal(fg_ft_read(sl, &c), -EAGAIN);
	assert_int_equal(fg_ft_get(&tab, &a, &v), -ENOENT);
	assert_int_equal(fg_ft_end(&tab, &a, 500, 0, &v, &ended), -ENOENT);
	assert_false(ended);
	assert_int_equal(sl->ack_gen, 0); /* nothing written */
	assert_int_equal(ended_count(0), 0);
	assert_int_equal(fg_ft_walk(&tab, see, &s), 0);
	assert_int_equal(s.calls, 0);
	sl->gen++;
	assert_int_equal(fg_ft_read(sl, &c), 0);
	assert_int_equal(c.gen, 4);
	assert_int_equal(fg_ft_get(&tab, &a, &v), 0);
	table_free();
}

/* A writer rewriting one slot over and over (key, counters, every field
 * from one number n) and a reader that must only ever see one n. */
static volatile int stop;

static void *rewriter(void *arg)
{
	struct fg_ft_bucket *b = bkt(0, 0);
	struct fg_ft_slot *sl = &b->slot[3];
	__u32 n = 1;

	while (!stop) {
		__atomic_store_n(&sl->gen, sl->gen + 1, __ATOMIC_RELEASE);
		barrier();
		sl->key.sport = n & 0xffff;
		sl->key.ifindex = n;
		sl->val.packets = n;
		sl->val.octets = (__u64)n * 100;
		sl->val.last_ns = n;
		barrier();
		__atomic_store_n(&sl->gen, sl->gen + 1, __ATOMIC_RELEASE);
		n++;
	}
	return NULL;
}

static void test_torn(void **state)
{
	struct fg_ft_slot c;
	pthread_t th;
	int i, ok = 0;

	table_new(1, 1, 0);
	bkt(0, 0)->tag[3] = 1;
	stop = 0;
	assert_int_equal(pthread_create(&th, NULL, rewriter, NULL), 0);
	for (i = 0; i < 200000; i++) {
		if (fg_ft_read(&bkt(0, 0)->slot[3], &c))
			continue;
		ok++;
		assert_false(c.gen & 1);
		if (c.key.ifindex != c.val.packets ||
		    c.val.octets != c.val.packets * 100 ||
		    c.val.last_ns != c.val.packets ||
		    c.key.sport != (c.val.packets & 0xffff))
			fail_msg("torn copy: ifindex %u packets %llu octets "
				 "%llu gen %u",
				 c.key.ifindex,
				 (unsigned long long)c.val.packets,
				 (unsigned long long)c.val.octets, c.gen);
	}
	stop = 1;
	pthread_join(th, NULL);
	assert_true(ok > 0);
	table_free();
}

/* BPF counting packets of one key while a reader ends the flow over and
 * over: every packet is in exactly one of the ends or in what is left. */
static __u64 racer_pkts, racer_full;
static volatile __u64 reader_ends;

/* At least 300,000 packets, and on until the reader has ended the flow
 * 100 times (a loaded machine may not run both threads at once), within
 * 100 million. */
static void *racer(void *arg)
{
	struct fg_flow_key a = key(8000);
	__u64 n;

	for (n = 0; n < 100000000; n++) {
		if (n >= 300000 && reader_ends >= 100)
			break;
		if (!bpf_add(0, &a, 3, n + 1)) {
			racer_full++;
			break;
		}
	}
	racer_pkts = n;
	stop = 1;
	return NULL;
}

static void test_end_race(void **state)
{
	struct fg_flow_key a = key(8000);
	__u64 pkts = 0, octets = 0, ends = 0;
	struct fg_flow_val v;
	pthread_t th;
	bool ended;

	table_new(1, 2, 0);
	stop = 0;
	reader_ends = 0;
	assert_int_equal(pthread_create(&th, NULL, racer, NULL), 0);
	while (!stop) {
		if (fg_ft_end(&tab, &a, 1, 0, &v, &ended))
			continue;
		assert_true(ended);
		pkts += v.packets;
		octets += v.octets;
		reader_ends = ++ends;
	}
	pthread_join(th, NULL);
	if (!fg_ft_get(&tab, &a, &v)) {
		pkts += v.packets;
		octets += v.octets;
	}
	assert_int_equal(racer_full, 0);
	assert_true(racer_pkts >= 300000);
	assert_int_equal(pkts, racer_pkts);
	assert_int_equal(octets, 3 * racer_pkts);
	assert_true(ends >= 100);
	/* one slot, never more: ends of one generation counted once */
	assert_int_equal(bkt(0, 0)->used, 1);
	assert_true(bkt(0, 0)->ended <= bkt(0, 0)->reused + 1);
	assert_true(bkt(0, 0)->ended >= bkt(0, 0)->reused);
	table_free();
}

/* The drop budget per window, and its word in a region's first bucket. */
static void test_drop_budget(void **state)
{
	struct fg_ft_bucket head = {};
	int i, spent = 0;

	/* windows of 2^s ticks, at least FG_FT_WINDOW_MS (50 ms) */
	assert_int_equal(fg_ft_drop_shift(250), 4);  /* 64 ms */
	assert_int_equal(fg_ft_drop_shift(1000), 6); /* 64 ms */
	assert_int_equal(fg_ft_drop_shift(100), 3);  /* 80 ms */
	assert_int_equal(fg_ft_drop_shift(300), 4);  /* 53 ms */
	assert_int_equal(fg_ft_drop_shift(0), 0);
	assert_int_equal(fg_ft_drop_budget(0, 250), 0);	  /* no limit */
	assert_int_equal(fg_ft_drop_budget(20000, 0), 0); /* HZ unknown */
	assert_int_equal(fg_ft_drop_budget(10000, 250), 640);
	assert_int_equal(fg_ft_drop_budget(10001, 250), 641); /* rounded up */
	assert_int_equal(fg_ft_drop_budget(10000, 1000), 640);
	assert_int_equal(fg_ft_drop_budget(1, 1000), 1); /* at least 1 */
	assert_int_equal(fg_ft_drop_budget(100000000, 100),
			 FG_FT_DROPS_MAX); /* capped */
	for (i = 0; i < 10; i++)
		spent += fg_ft_budget_spent(&head, 7, 3);
	assert_int_equal(spent, 7);
	assert_int_equal(head.drops, 7u << FG_FT_DROPS_BITS | 3);
	assert_int_equal(fg_ft_budget_spent(&head, 8, 3), 0); /* renewed */
	assert_int_equal(head.drops, 8u << FG_FT_DROPS_BITS | 1);
	/* The tick's low 12 bits: 4096 ticks later reads as the same. */
	assert_int_equal(fg_ft_budget_spent(&head, 8 + 4096, 3), 0);
	assert_int_equal(head.drops, 8u << FG_FT_DROPS_BITS | 2);
	/* The whole tick counter wraps as the word's bits do. */
	head.drops = 0xfffu << FG_FT_DROPS_BITS | 3;
	assert_int_equal(fg_ft_budget_spent(&head, 0xffffffffu, 3), 1);
	assert_int_equal(fg_ft_budget_spent(&head, 0, 3), 0);
	assert_int_equal(head.drops, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_drop_budget),
		cmocka_unit_test(test_key_fill),
		cmocka_unit_test(test_hash_ip4_fields),
		cmocka_unit_test(test_open_checks),
		cmocka_unit_test(test_open_fd),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_walk_merge),
		cmocka_unit_test(test_walk_merge_many),
		cmocka_unit_test(test_walk_merge_two),
		cmocka_unit_test(test_walk_taken_during),
		cmocka_unit_test(test_walk_dead_first),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_end_idle),
		cmocka_unit_test(test_end_each),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_odd_gen),
		cmocka_unit_test(test_torn),
		cmocka_unit_test(test_end_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
