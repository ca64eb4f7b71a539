// SPDX-License-Identifier: GPL-2.0
/*
 * Driver of bench/export.sh: fills and animates flowgate's pinned flow
 * table without traffic, measures the baselines the exporter is compared
 * with, and counts what reaches a loopback collector.
 *
 *   exp_bench fill N IFINDEX AGE_S    N distinct IPv4 UDP flows (first
 *                                     packet AGE_S ago, last one now)
 *   exp_bench touch SECS PERIOD_MS    every PERIOD_MS, one more packet in
 *                                     every flow of the table (for SECS)
 *   exp_bench read ROUNDS             baseline of a sweep: read the whole
 *                                     table as the exporter does (its flow
 *                                     source over the table's mapping, sum
 *                                     over regions), nothing else; prints
 *                                     the median in us
 *   exp_bench blast PORT COUNT LEN    baseline of sending: COUNT datagrams
 *                                     of LEN octets to 127.0.0.1:PORT;
 *                                     prints the time in us
 *   exp_bench sink PORT OUT           count datagrams, octets and IPFIX
 *                                     data records until SIGTERM, then
 *                                     write them to OUT as JSON
 *   exp_bench expstat                 the exporter's counters (pinned
 *                                     fg_expstats), without the table walk
 *                                     `flowgate stats` does
 *   exp_bench walk N NREG ROUNDS      the whole read alone, no kernel: N
 *                                     flows in a table in memory of NREG
 *                                     regions (flow i in region i % NREG);
 *                                     prints CPU ns per flow
 *   exp_bench core N ROUNDS           the exporter's own work, no kernel:
 *                                     N flows in memory, one more packet
 *                                     each before every sweep, active
 *                                     timeout 1 s, records to /dev/null;
 *                                     prints CPU ns per record (steady for
 *                                     callgrind: instructions per record)
 *
 * The table is the pinned fg_flowtab under FLOWGATE_BPFFS, written
 * through its mapping as the data path writes it (bpf/lib/fg_flow.bpf.h):
 * flow i in region i % nreg, as when the CPUs took the flows in turn.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "export.h"
#include "exp_settings.h"
#include "flow_src.h"
#include "flowtab.h"

struct fg_opts fg_opts; /* the CLI's options, defined by its main() */

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + t.tv_nsec;
}

/* CPU time of this process (user + system), us. */
static __u64 cpu_us(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000ull +
	       r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

static int ft_open(struct fg_ft *t)
{
	int err = fg_ft_open_pinned(t);

	if (err)
		fprintf(stderr, "exp_bench: no pinned %s under %s: %s\n",
			FG_MAP_FLOWTAB, fg_pin_dir(), strerror(-err));
	return err;
}

/* Flow i: 198.51.100.(i % 256):(1024 + i / 256 % 60000) ->
 * 203.0.113.(i / 15360000 % 256):53, UDP. */
static void key_of(struct fg_flow_key *k, __u32 i, __u32 ifindex)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->dir = FG_DIR_IN;
	k->ip_ver = 4;
	k->proto = IPPROTO_UDP;
	k->eth_proto = 0x0800;
	k->src[10] = k->src[11] = k->dst[10] = k->dst[11] = 0xff;
	k->src[12] = 198, k->src[13] = 51, k->src[14] = 100;
	k->src[15] = i % 256;
	k->dst[12] = 203, k->dst[13] = 0, k->dst[14] = 113;
	k->dst[15] = i / 15360000 % 256;
	k->sport = htons(1024 + i / 256 % 60000);
	k->dport = htons(53);
}

static __u32 free_slots(const struct fg_ft_bucket *b)
{
	__u32 i, n = 0;

	for (i = 0; i < FG_FT_SLOTS; i++)
		n += !b->tag[i];
	return n;
}

/* A new flow into region r, as the data path inserts one: a free slot of
 * the emptier of its two buckets, the key and counters under an odd
 * generation, then gen 2, the header's gen8, and the tag last. */
static int put(struct fg_ft *t, __u32 r, const struct fg_flow_key *k,
	       const struct fg_flow_val *v)
{
	union fg_ft_key u = {.w = {0}};
	struct fg_ft_bucket *reg = &t->b[(size_t)r * t->info.nb], *b;
	struct fg_ft_slot *s;
	__u64 h;
	__u32 i;

	u.k = *k;
	h = fg_ft_hash(&u, t->info.seed);
	b = &reg[fg_ft_b1(h, t->info.nb)];
	if (free_slots(&reg[fg_ft_b2(h, t->info.nb)]) > free_slots(b))
		b = &reg[fg_ft_b2(h, t->info.nb)];
	for (i = 0; i < FG_FT_SLOTS && b->tag[i]; i++)
		;
	if (i == FG_FT_SLOTS)
		return -ENOSPC;
	s = &b->slot[i];
	s->gen = 1;
	s->key = *k;
	s->val = *v;
	__atomic_store_n(&s->gen, 2, __ATOMIC_RELEASE);
	b->gen8[i] = fg_ft_gen8(2);
	__atomic_store_n(&b->tag[i], fg_ft_tag(h), __ATOMIC_RELEASE);
	reg[0].used++;
	return 0;
}

static int fill(__u32 n, __u32 ifindex, __u32 age_s)
{
	struct fg_flow_key k;
	__u64 now = mono_ns();
	__u32 i, full = 0;
	struct fg_ft t;

	if (ft_open(&t))
		return 1;
	for (i = 0; i < n; i++) {
		struct fg_flow_val v = {
			.packets = 1,
			.octets = 100,
			.ttl_min = 64,
			.ttl_max = 64,
			.first_ns = now - age_s * 1000000000ull,
			.last_ns = now,
		};

		key_of(&k, i, ifindex);
		full += put(&t, i % t.info.nreg, &k, &v) != 0;
	}
	fg_ft_close(&t);
	if (full) {
		fprintf(stderr, "exp_bench: %u of %u flows found no room\n",
			full, n);
		return 1;
	}
	printf("{\"filled\":%u}\n", n);
	return 0;
}

/* One more packet in every flow, as the data path adds one: the counters
 * in place (a reader may see them torn, as it may BPF's). */
static void touch_once(struct fg_ft *t)
{
	size_t nbk = (size_t)t->info.nreg * t->info.nb, i;
	__u64 now = mono_ns();
	__u32 s;

	for (i = 0; i < nbk; i++) {
		struct fg_ft_bucket *b = &t->b[i];

		for (s = 0; s < FG_FT_SLOTS; s++) {
			struct fg_flow_val *v = &b->slot[s].val;

			if (!b->tag[s] || fg_ft_dead(&b->slot[s]))
				continue;
			v->packets++;
			v->octets += 100;
			v->last_ns = now;
		}
	}
}

static int touch(__u32 secs, __u32 period_ms)
{
	__u64 end = mono_ns() + secs * 1000000000ull, next = mono_ns();
	struct timespec ts;
	struct fg_ft t;

	if (ft_open(&t))
		return 1;
	while (next < end) {
		touch_once(&t);
		next += period_ms * 1000000ull;
		if (next > mono_ns()) {
			__u64 d = next - mono_ns();

			ts.tv_sec = d / 1000000000ull;
			ts.tv_nsec = d % 1000000000ull;
			nanosleep(&ts, NULL);
		}
	}
	fg_ft_close(&t);
	return 0;
}

struct rd {
	__u64 flows, packets;
};

static void read_one(const struct fg_flow_key *k, const struct fg_flow_val *sum,
		     void *c)
{
	struct rd *r = c;

	r->flows++;
	r->packets += sum->packets;
}

static int walk_one_mem(const struct fg_flow_key *k,
			const struct fg_flow_val *sum, void *c)
{
	read_one(k, sum, c);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int read_rounds(int rounds)
{
	struct fg_flow_src *src;
	__u64 t[64], c0;
	struct fg_ft ft;
	struct rd r;
	int i;

	if (rounds < 1 || rounds > 64 || ft_open(&ft))
		return 1;
	if (fg_flow_src_tab_new(&src, &ft, false))
		return 1;
	c0 = cpu_us();
	for (i = 0; i < rounds; i++) {
		__u64 t0 = mono_ns();

		r = (struct rd){0};
		if (src->ops->walk(src, read_one, &r))
			return 1;
		t[i] = mono_ns() - t0;
	}
	fg_flow_src_free(src);
	fg_ft_close(&ft);
	qsort(t, rounds, sizeof(t[0]), cmp_u64);
	printf("{\"flows\":%llu,\"read_us\":%llu,\"min_us\":%llu,"
	       "\"cpu_us\":%llu}\n",
	       (unsigned long long)r.flows,
	       (unsigned long long)t[rounds / 2] / 1000,
	       (unsigned long long)t[0] / 1000,
	       (unsigned long long)(cpu_us() - c0) / rounds);
	return 0;
}

static int walk_mem(__u32 n, __u32 nreg, int rounds)
{
	struct fg_ft_info in = {.version = FG_FT_VERSION, .nreg = nreg};
	struct fg_flow_key k;
	struct rd r = {0};
	struct fg_ft ft;
	__u32 i, full = 0;
	size_t len;
	__u64 c0;
	void *mem;
	int j;

	if (!n || !nreg || rounds < 1)
		return 1;
	in.nb = fg_ft_nb(n, nreg);
	len = (size_t)nreg * in.nb * sizeof(struct fg_ft_bucket);
	mem = calloc(1, len);
	if (!mem || fg_ft_open_mem(&ft, mem, len, &in))
		return 1;
	for (i = 0; i < n; i++) {
		struct fg_flow_val v = {.packets = 1, .octets = 100};

		key_of(&k, i, 1);
		full += put(&ft, i % nreg, &k, &v) != 0;
	}
	c0 = cpu_us();
	for (j = 0; j < rounds; j++) {
		r = (struct rd){0};
		if (fg_ft_walk(&ft, walk_one_mem, &r))
			return 1;
	}
	printf("{\"flows\":%llu,\"no_room\":%u,\"cpu_ns_per_flow\":%.1f}\n",
	       (unsigned long long)r.flows, full,
	       (cpu_us() - c0) * 1000.0 / rounds / (r.flows ? r.flows : 1));
	fg_ft_close(&ft);
	free(mem);
	return 0;
}

static int udp_to(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return fd;
}

/* Sending alone, as the exporter sends (connected socket, MSG_DONTWAIT). */
static int blast(int port, __u32 count, __u32 len)
{
	int fd = udp_to(port);
	char buf[65536] = {0};
	__u64 t0, c0;
	__u32 i, ok = 0;

	if (fd < 0 || len > sizeof(buf))
		return 1;
	t0 = mono_ns();
	c0 = cpu_us();
	for (i = 0; i < count; i++)
		ok += send(fd, buf, len, MSG_DONTWAIT) == (ssize_t)len;
	printf("{\"datagrams\":%u,\"sent\":%u,\"octets\":%u,\"us\":%llu,"
	       "\"cpu_us\":%llu}\n",
	       count, ok, len, (unsigned long long)(mono_ns() - t0) / 1000,
	       (unsigned long long)(cpu_us() - c0));
	return 0;
}

static volatile sig_atomic_t stop;

static void on_term(int s)
{
	stop = 1;
}

/* Record length of every template seen (no variable-length fields). */
static __u16 rec_len[65536];

static __u64 ipfix_records(const __u8 *b, size_t n)
{
	size_t off = 16;
	__u64 recs = 0;

	while (off + 4 <= n) {
		__u16 sid = b[off] << 8 | b[off + 1];
		__u16 slen = b[off + 2] << 8 | b[off + 3];
		size_t p = off + 4, end = off + slen;

		if (slen < 4 || end > n)
			break;
		while ((sid == 2 || sid == 3) && p + 4 <= end) {
			__u16 tid = b[p] << 8 | b[p + 1];
			__u16 cnt = b[p + 2] << 8 | b[p + 3], l = 0, f;

			p += sid == 3 ? 6 : 4;
			for (f = 0; f < cnt && p + 4 <= end; f++) {
				l += b[p + 2] << 8 | b[p + 3];
				p += b[p] & 0x80 ? 8 : 4;
			}
			rec_len[tid] = l;
		}
		if (sid >= 256 && rec_len[sid])
			recs += (slen - 4) / rec_len[sid];
		off = end;
	}
	return recs;
}

static int sink(int port, const char *out)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sigaction sa = {.sa_handler = on_term};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 256 << 20;
	__u64 dgrams = 0, octets = 0, recs = 0;
	static __u8 buf[65536];
	FILE *f;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	/* root: beyond rmem_max, so a sweep's burst is not dropped here */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 16)
			continue;
		dgrams++;
		octets += n;
		recs += ipfix_records(buf, n);
	}
	f = fopen(out, "w");
	if (!f)
		return 1;
	fprintf(f, "{\"datagrams\":%llu,\"octets\":%llu,\"records\":%llu}\n",
		(unsigned long long)dgrams, (unsigned long long)octets,
		(unsigned long long)recs);
	fclose(f);
	return 0;
}

static int expstat(void)
{
	int fd = fg_map_open(FG_MAP_EXPSTATS);
	struct fg_exp_stats st;
	__u32 key = 0;

	if (fd < 0 || bpf_map_lookup_elem(fd, &key, &st))
		return 1;
	printf("{\"pid\":%u,\"sweeps\":%llu,\"sweep_us\":%llu,"
	       "\"read_sweep_us\":%llu,"
	       "\"records_active\":%llu,\"messages\":%llu,\"octets\":%llu,"
	       "\"not_sent\":%llu,\"reads\":%llu,\"lookups\":%llu}\n",
	       st.pid, (unsigned long long)st.sweeps,
	       (unsigned long long)st.sweep_ns / 1000,
	       (unsigned long long)st.read_sweep_ns / 1000,
	       (unsigned long long)st.rec_active,
	       (unsigned long long)st.out[0].messages,
	       (unsigned long long)st.out[0].octets,
	       (unsigned long long)st.out[0].lost_records,
	       (unsigned long long)st.reads, (unsigned long long)st.lookups);
	return 0;
}

/* ---- core: the exporter over an in-memory flow source ------------------ */

struct mem_src {
	struct fg_flow_src src;
	struct fg_flow_key *k;
	struct fg_flow_val *v;
	__u32 n;
};

static int mem_walk(struct fg_flow_src *s, fg_flow_fn fn, void *ctx)
{
	struct mem_src *m = (struct mem_src *)s;
	__u32 i;

	for (i = 0; i < m->n; i++)
		fn(&m->k[i], &m->v[i], ctx);
	return 0;
}

static void mem_fetch(struct fg_flow_src *s, const struct fg_flow_req *q,
		      struct fg_flow_got *g, size_t n, __u64 now_ns,
		      __u64 idle_ns)
{
	size_t i;

	for (i = 0; i < n; i++)
		g[i].err = -ENOENT; /* every sweep reads the whole table */
}

static void mem_free(struct fg_flow_src *s)
{
}

static const struct fg_flow_src_ops mem_ops = {mem_walk, mem_fetch, mem_free};

static int core(__u32 n, __u32 rounds)
{
	struct mem_src m = {{&mem_ops, 1, false}, NULL, NULL, n};
	struct fg_exp_maps maps = {&m.src, -1, -1, -1, -1, -1, 0, -1};
	__u64 t0 = 1000 * 1000000000ull, c0, c1, rec0 = 0;
	struct fg_exp_settings s;
	struct fg_exporter *e;
	struct fg_exp_stats st;
	__u32 i, r;
	int err;

	m.k = calloc(n, sizeof(*m.k));
	m.v = calloc(n, sizeof(*m.v));
	if (!m.k || !m.v)
		return 1;
	for (i = 0; i < n; i++) {
		key_of(&m.k[i], i, 1);
		m.v[i] = (struct fg_flow_val){.packets = 1,
					      .octets = 100,
					      .first_ns = t0 - 10000000000ull,
					      .last_ns = t0,
					      .ttl_min = 64,
					      .ttl_max = 64};
	}
	fg_exp_settings_default(&s);
	s.active_s = 1;
	s.idle_s = 1;
	s.tick_ms = 1000;
	snprintf(s.file, sizeof(s.file), "/dev/null");
	err = fg_exporter_new(&e, &s, &maps);
	if (err)
		return 1;
	c0 = cpu_us();
	for (r = 0; r <= rounds; r++) {
		__u64 now = t0 + (r + 1) * 1000000000ull;

		if (r == 1) { /* the first sweep fills the index: not counted */
			fg_exporter_stats(e, &st);
			rec0 = st.rec_active + st.rec_idle;
			c0 = cpu_us();
		}
		for (i = 0; i < n; i++) {
			m.v[i].packets++;
			m.v[i].octets += 100;
			m.v[i].last_ns = now - 1000000;
		}
		fg_exporter_sweep(e, now, now / 1000000, false);
	}
	c1 = cpu_us();
	fg_exporter_stats(e, &st);
	printf("{\"records\": %llu, \"cpu_ns_per_record\": %.1f}\n",
	       (unsigned long long)(st.rec_active + st.rec_idle - rec0),
	       (c1 - c0) * 1000.0 /
		       (double)(st.rec_active + st.rec_idle - rec0 + !rounds));
	fg_exporter_free(e);
	free(m.k);
	free(m.v);
	return 0;
}

int main(int argc, char **argv)
{
	fg_libs_init();
	if (argc == 5 && !strcmp(argv[1], "fill"))
		return fill(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "touch"))
		return touch(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "read"))
		return read_rounds(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "blast"))
		return blast(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "sink"))
		return sink(atoi(argv[2]), argv[3]);
	if (argc == 2 && !strcmp(argv[1], "expstat"))
		return expstat();
	if (argc == 5 && !strcmp(argv[1], "walk"))
		return walk_mem(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "core"))
		return core(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: see bench/exp_bench.c\n");
	return 2;
}
