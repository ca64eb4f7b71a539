// SPDX-License-Identifier: GPL-2.0
/*
 * fg_dpdk: flowgate's guard and flow accounting in a DPDK run-to-completion
 * loop, for bench/dpdk.sh and the differential test tests/dpdk/.
 *
 *   fg_dpdk EAL-OPTIONS -- [-s ring|pcap] [-w empty|parse|fg]
 *           [-l bulk|single] [-t SECONDS] [-f MAX_FLOWS] [-k K] [-j] [PCAP]
 *
 * The code is flowgate's own: include/fg_parse.h (the parser and validator
 * the BPF programs compile) through fg_parse_wire(), whose stages are those
 * fg_xdp runs, and include/fg_flow.h (flow key, flow record update, guard
 * counters, fragment cache), as fg_account() / fg_flow_account() use them
 * in bpf/lib/fg_flow.bpf.h. No rule stage: replay, which the differential
 * test compares against, runs without rules too (fg_rules_off).
 *
 * Sources (-s):
 *   pcap  the ports EAL made from --vdev (net_pcap0,rx_pcap=FILE[,...]):
 *         one RX queue per rx_pcap, one lcore per queue. With infinite_rx=1
 *         the PMD holds the capture in mbufs and copies each into a fresh
 *         mbuf per receive: the figure includes an allocation and a copy.
 *   ring  PCAP is read here (libpcap) into mbufs once, a copy per lcore,
 *         each copy in an rte_ring that is both the RX and the TX queue of
 *         a net_ring port (rte_eth_from_rings): rx_burst takes mbufs off
 *         the ring, and the loop's "free" is a tx_burst that puts them back
 *         at its tail, so the capture replays from memory forever and the
 *         figure is the pipeline alone. A frame the capture cut (snaplen)
 *         carries its length on the wire in a dynamic mbuf field, so that
 *         it is judged as replay judges it. -k K puts each frame K times in
 *         a row into the ring: with K = 32 a burst is one packet, in cache,
 *         as BPF_PROG_TEST_RUN's repeat runs one frame over and over.
 * Work (-w): empty = rx burst and free (recycle) only, the baseline;
 * parse = the guard (parse, checks, counters), no flow table; fg = the
 * guard and flow accounting on every packet.
 *
 * The flow table is flowgate's own (include/fg_flowtab.h): the layout of
 * fg_flowtab, and BPF's decision for each packet in its host form
 * (fg_ft_host_account: two choices, reuse, the fill mark), in one region
 * of fg_ft_nb(MAX_FLOWS, 1) buckets with seed 0, as replay's instance;
 * read at the end through ctl/lib/flowtab.c as replay reads its table.
 * One table, one set of counters (struct fg_ifstats) per lcore, as
 * fg_flowtab's regions and fg_ifstats are per CPU; the fragment cache is
 * shared by all lcores, as fg_frags is. A packet the table has no room
 * for goes to an overflow aggregate (struct fg_ovf_key), as in BPF. With
 * -l bulk (default) the keys of a burst are hashed first and both
 * buckets' header lines of each prefetched, then accounted in packet
 * order; -l single takes each packet on its own, as the BPF program does.
 *
 * -j (one lcore, one pass over the capture, then exit): a line per packet
 * exactly as `flowgate replay -j` prints it ({"index":N,"verdict":...}),
 * a line per flow record, then a summary; the differential test compares
 * them with replay's. Without -j: run for SECONDS (default 2), then print
 * per lcore and in total, one JSON object a line ("lcore", "total"), the
 * packets, ns per packet of the median full burst (the TSC around rx, work
 * and free; bursts in which the thread was preempted fall out) and its
 * Mpps, the same over the whole run ("wall_"), the per-reason counters and
 * the flow accounting's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap.h>
#ifndef DLT_EN10MB
#define DLT_EN10MB 1
#endif

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "fg_common.h"
#include "fg_parse.h"
#include "fg_flow.h"
#include "fg_flowtab.h"
#include "fg.h"
#include "flowtab.h"

#define BURST	       32
#define RX_DESC	       1024
#define PREFETCH_AHEAD 3
/* Histogram of cycles per burst: 8-cycle bins (1/4 cycle a packet) up to
 * 64k cycles. */
#define HIST_STEP 8
#define HIST_BINS 8192
/* The interface the flow keys carry: replay's (lo) for comparison. */
#define FG_DPDK_IFINDEX 1

enum src { SRC_RING, SRC_PCAP };
enum work { WORK_EMPTY, WORK_PARSE, WORK_FG };
static const char *const work_name[] = {"empty", "parse", "fg"};

static const char *const reason_name[FG_R_MAX] = {[FG_R_NONE] = "pass",
#define FG_X_NAME(code, e, name, def, strict, cls, desc) [code] = name,
						  FG_REASONS(FG_X_NAME)
#undef FG_X_NAME
};

static struct {
	enum src src;
	enum work work;
	bool bulk;
	bool json;
	double seconds;
	__u32 max_flows;
	unsigned int repeat;
	const char *pcap;
	__u16 port;
	unsigned int nq;
} opt = {
	.src = SRC_RING,
	.work = WORK_FG,
	.bulk = true,
	.seconds = 2,
	.max_flows = FG_DEFAULT_MAX_FLOWS,
	.repeat = 1,
};

/* Ring source: offset of the mbuf's dynamic field that holds the frame's
 * length on the wire when the capture kept fewer bytes (else 0). */
static int wire_off = -1;

/* Shared by all lcores, as fg_frags. */
static struct fg_frag_ent *frags;
/* All zero: the default profile. Not const, not static: the compiler must
 * not fold the checks' actions, which the BPF side reads from its config
 * map at run time. */
struct fg_config cfg;
/* ctl/lib's options, which its logging reads: the defaults. */
struct fg_opts fg_opts;

struct lcore {
	unsigned int q;
	struct fg_ft_bucket *ft; /* one region, as replay's table */
	__u32 nb;
	struct rte_hash *ovf;
	struct fg_ovf_val *ovf_vals;
	struct fg_ifstats st; /* guard and flow counters of this lcore */
	__u64 not_captured, index;
	__u64 packets, cycles;
	__u64 hist[HIST_BINS];
} __rte_cache_aligned;

static struct lcore lc[RTE_MAX_LCORE];

static void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	rte_eal_cleanup();
	exit(1);
}

/* ---- flow accounting (fg_flow_account() in its host form) ------------ */

/* The overflow aggregate, keyed by the packet's own fields as
 * fg_ovf_add() keys it (a drop past the fill mark has no flow key). */
static void ovf_add(struct lcore *l, const struct fg_pkt *p, __u64 octets)
{
	struct fg_ovf_key ok = {.ifindex = FG_DPDK_IFINDEX,
				.dir = FG_DIR_IN,
				.ip_ver = p->ip_ver,
				.proto = p->ip_ver ? p->proto : 0};
	struct fg_flowstats *st = &l->st.flows;
	int pos;

	st->insert_fail++;
	st->ovf_pkts++;
	st->ovf_octets += octets;
	pos = rte_hash_add_key(l->ovf, &ok);
	if (pos < 0) {
		st->ovf_lost++; /* still counted, in ovf_pkts */
		return;
	}
	l->ovf_vals[pos].packets++;
	l->ovf_vals[pos].octets += octets;
}

static inline void frag_ports(struct fg_pkt *p, struct fg_flowstats *st)
{
	struct fg_frag_key fk;

	fg_frag_key_fill(&fk, p);
	fg_frag_lend(p, &frags[fg_frag_hash(&fk, 0)], &fk, st);
}

/* Everything of fg_flow_account() before the table: true when the packet
 * goes to a flow record, whose key is then in k. */
static inline bool flow_admit(struct lcore *l, struct fg_pkt *p, __u32 octets,
			      struct fg_flow_key *k)
{
	struct fg_flowstats *st = &l->st.flows;

	st->packets++;
	st->octets += octets;
	/* cfg stays the default profile (no sampling, drop flows kept);
	 * the tests are those of fg_flow_account(), though sampling would
	 * take every packet out where BPF draws 1 in N. */
	if (cfg.sampling > 1) {
		st->sampled_pkts++;
		st->sampled_octets += octets;
		return false;
	}
	if (p->reason && (cfg.flags & FG_CFG_NO_DROP_FLOWS)) {
		st->unflowed_pkts++;
		st->unflowed_octets += octets;
		return false;
	}
	if (p->frag != FG_FRAG_NONE && !p->reason)
		frag_ports(p, st);
	*k = (struct fg_flow_key){0}; /* the pad too: it is hashed */
	fg_flow_key_fill(k, p, FG_DPDK_IFINDEX, FG_DIR_IN);
	return true;
}

/* The packet into its slot, or the overflow aggregate. */
static inline void flow_account(struct lcore *l, struct fg_ft_op *c)
{
	if (fg_ft_host_account(l->ft, l->nb, c))
		ovf_add(l, c->p, c->octets);
}

/* ---- the guard (fg_xdp_body() and fg_account()) ---------------------- */

struct judged {
	struct fg_pkt p;
	struct fg_flow_key k;
	__u32 octets;
	bool flow;
};

/* Parse, count, and make the flow key of one packet. */
static inline void judge(struct lcore *l, struct rte_mbuf *m, struct judged *j)
{
	const __u8 *data = rte_pktmbuf_mtod(m, const __u8 *);
	__u32 seen = rte_pktmbuf_data_len(m), wire = rte_pktmbuf_pkt_len(m);
	struct fg_ifstats *s = &l->st;

	if (wire_off >= 0) {
		__u32 w = *RTE_MBUF_DYNFIELD(m, wire_off, __u32 *);

		if (w > wire)
			wire = w;
		if (seen < ETH_HLEN && wire >= ETH_HLEN) {
			/* The capture did not keep the Ethernet header the
			 * packet had: replay passes it, in no counter but
			 * its own, and in no flow. */
			memset(&j->p, 0, sizeof(j->p));
			j->flow = false;
			l->not_captured++;
			return;
		}
	}
	if (wire > FG_MAX_WIRE)
		wire = FG_MAX_WIRE;
	fg_parse_wire(data, data + seen, wire, &cfg, &j->p);
	/* IP packets count their IP-layer bytes, as IPFIX does; other
	 * frames their frame bytes. */
	j->octets = j->p.ip_len ? j->p.ip_len : wire;
	fg_guard_count(s, j->p.reason, j->p.hits, wire);
	s->rxq_packets[l->q & FG_MAX_RXQ]++;
	s->rxq_octets[l->q & FG_MAX_RXQ] += wire;
	j->flow = opt.work == WORK_FG && flow_admit(l, &j->p, j->octets, &j->k);
}

static void print_packet(struct lcore *l, const struct judged *j)
{
	__u32 r = j->p.reason;

	l->index++;
	if (r)
		printf("{\"index\":%llu,\"verdict\":\"drop\","
		       "\"reason\":\"%s\"}\n",
		       l->index, reason_name[r]);
	else
		printf("{\"index\":%llu,\"verdict\":\"pass\"}\n", l->index);
}

/* One burst through the guard and the flow table. */
static inline void fg_burst(struct lcore *l, struct rte_mbuf **m, __u16 n,
			    __u64 now)
{
	struct judged j[BURST];
	struct fg_ft_op c[BURST];
	__u16 i, nk = 0;

	/* As DPDK's examples do: every mbuf header of the burst now, each
	 * packet's first line a few packets ahead of its parse. */
	for (i = 0; i < n; i++)
		rte_prefetch0(m[i]);
	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
	for (i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + PREFETCH_AHEAD],
						       void *));
		judge(l, m[i], &j[i]);
		if (opt.json)
			print_packet(l, &j[i]);
		if (!j[i].flow)
			continue;
		fg_ft_host_op(&c[nk], &j[i].p, &j[i].k, 1, j[i].octets, now, 0);
		if (!opt.bulk) {
			flow_account(l, &c[nk]);
			continue;
		}
		/* Both header lines now: the probe reads them after the
		 * rest of the burst is parsed. */
		rte_prefetch0(&l->ft[fg_ft_b1(c[nk].h, l->nb)]);
		rte_prefetch0(&l->ft[fg_ft_b2(c[nk].h, l->nb)]);
		nk++;
	}
	for (i = 0; i < nk; i++)
		flow_account(l, &c[i]);
}

/* ---- the loop --------------------------------------------------------- */

static inline void done_with(struct rte_mbuf **m, __u16 n, unsigned int q)
{
	__u16 sent = 0;

	if (opt.src == SRC_PCAP || opt.json) {
		rte_pktmbuf_free_bulk(m, n);
		return;
	}
	/* Back to the tail of the ring they came from: the replay goes on. */
	while (sent < n)
		sent += rte_eth_tx_burst(opt.port, q, m + sent, n - sent);
}

/* Cycles of one full burst's iteration (rx, work, free) into the
 * histogram: its median leaves out the bursts during which the lcore's
 * thread was preempted, or an interrupt ran, on a shared machine. */
static inline void hist_add(struct lcore *l, __u64 cycles)
{
	__u64 b = cycles / HIST_STEP;

	l->hist[b < HIST_BINS ? b : HIST_BINS - 1]++;
}

static int run(void *arg)
{
	struct lcore *l = arg;
	struct rte_mbuf *m[BURST];
	__u64 hz = rte_get_tsc_hz(), start, stop, now, prev;
	__u16 n;

	start = rte_rdtsc();
	stop = start + (__u64)(opt.seconds * hz);
	prev = now = start;
	for (;;) {
		n = rte_eth_rx_burst(opt.port, l->q, m, BURST);
		if (!n) {
			now = rte_rdtsc();
			prev = now;
			if (opt.json || now >= stop)
				break; /* -j: one pass, the capture is over */
			continue;
		}
		l->packets += n;
		/* Flow times: the TSC once per burst, where the BPF side
		 * reads the coarse clock per packet. */
		if (opt.work != WORK_EMPTY)
			fg_burst(l, m, n, prev * 1000000000ull / hz);
		done_with(m, n, l->q);
		now = rte_rdtsc();
		if (n == BURST)
			hist_add(l, now - prev);
		prev = now;
		if (!opt.json && now >= stop)
			break;
	}
	l->cycles = now - start;
	return 0;
}

/* ---- set-up ----------------------------------------------------------- */

static struct rte_mempool *pool_create(const char *name, unsigned int n)
{
	struct rte_mempool *mp;

	n = n < 1023 ? 1023 : n;
	mp = rte_pktmbuf_pool_create(name, n, n > 4096 ? 256 : 32, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	if (!mp)
		die("mbuf pool of %u: %s", n, rte_strerror(rte_errno));
	return mp;
}

/* Configure and start the port: nrx RX queues, ntx TX queues. The ring
 * PMD's queues are its rings whatever the pool; the pcap PMD's RX queue
 * allocates from it. */
static void port_start(unsigned int nrx, unsigned int ntx,
		       struct rte_mempool *mp)
{
	struct rte_eth_conf conf = {0};
	unsigned int q;
	int ret;

	ret = rte_eth_dev_configure(opt.port, nrx, ntx, &conf);
	if (ret)
		die("configure port %u: %s", opt.port, rte_strerror(-ret));
	for (q = 0; q < nrx; q++) {
		ret = rte_eth_rx_queue_setup(opt.port, q, RX_DESC,
					     rte_socket_id(), NULL, mp);
		if (ret)
			die("RX queue %u: %s", q, rte_strerror(-ret));
	}
	for (q = 0; q < ntx; q++) {
		ret = rte_eth_tx_queue_setup(opt.port, q, RX_DESC,
					     rte_socket_id(), NULL);
		if (ret)
			die("TX queue %u: %s", q, rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(opt.port);
	if (ret)
		die("start port %u: %s", opt.port, rte_strerror(-ret));
}

/* One frame into an mbuf chain of default-sized segments (a NIC's). */
static struct rte_mbuf *frame_mbuf(struct rte_mempool *mp, const __u8 *d,
				   __u32 caplen, __u32 wire)
{
	struct rte_mbuf *head = NULL, *seg;
	__u32 off = 0, room;

	do {
		seg = rte_pktmbuf_alloc(mp);
		if (!seg)
			die("mbuf pool exhausted loading %s", opt.pcap);
		room = rte_pktmbuf_tailroom(seg);
		if (room > caplen - off)
			room = caplen - off;
		memcpy(rte_pktmbuf_append(seg, room), d + off, room);
		off += room;
		if (!head)
			head = seg;
		else if (rte_pktmbuf_chain(head, seg))
			die("%s: a frame of %u bytes needs too many segments",
			    opt.pcap, caplen);
	} while (off < caplen);
	*RTE_MBUF_DYNFIELD(head, wire_off, __u32 *) = wire > caplen ? wire : 0;
	return head;
}

/* Ring source: the capture, a copy per lcore, each in its ring. */
static void ring_setup(unsigned int nq)
{
	static const struct rte_mbuf_dynfield wire_desc = {
		.name = "fg_dpdk_wire_len",
		.size = sizeof(__u32),
		.align = __alignof__(__u32),
	};
	struct rte_ring *rings[RTE_MAX_LCORE];
	char err[PCAP_ERRBUF_SIZE], name[32];
	struct rte_mempool *mp;
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned int q, i, npkt = 0, nseg = 0, size;
	pcap_t *pc;
	int ret;

	wire_off = rte_mbuf_dynfield_register(&wire_desc);
	if (wire_off < 0)
		die("mbuf dynamic field: %s", rte_strerror(rte_errno));
	/* Count first: pool and rings are sized to the capture. */
	pc = pcap_open_offline(opt.pcap, err);
	if (!pc)
		die("%s", err);
	if (pcap_datalink(pc) != DLT_EN10MB)
		die("%s: link type %d, not Ethernet", opt.pcap,
		    pcap_datalink(pc));
	while ((ret = pcap_next_ex(pc, &h, &d)) == 1) {
		npkt++;
		nseg += h->caplen / (RTE_MBUF_DEFAULT_DATAROOM) + 1;
	}
	if (ret == PCAP_ERROR)
		die("%s: %s", opt.pcap, pcap_geterr(pc));
	pcap_close(pc);
	if (!npkt)
		die("%s: no packets", opt.pcap);
	mp = pool_create("fg_ring_pool", nseg * nq + 64);
	size = rte_align32pow2(npkt * opt.repeat + 1);
	for (q = 0; q < nq; q++) {
		snprintf(name, sizeof(name), "fg_ring%u", q);
		rings[q] = rte_ring_create(name, size, rte_socket_id(),
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rings[q])
			die("ring of %u: %s", size, rte_strerror(rte_errno));
		pc = pcap_open_offline(opt.pcap, err);
		if (!pc)
			die("%s", err);
		while (pcap_next_ex(pc, &h, &d) == 1) {
			struct rte_mbuf *m =
				frame_mbuf(mp, d, h->caplen, h->len);

			/* -k: the same mbuf K times in a row (read only,
			 * never freed while the port runs). */
			for (i = 0; i < opt.repeat; i++)
				if (rte_ring_enqueue(rings[q], m))
					die("ring full");
		}
		pcap_close(pc);
	}
	ret = rte_eth_from_rings("net_ring_fg", rings, nq, rings, nq,
				 rte_socket_id());
	if (ret < 0)
		die("net_ring port: %s", rte_strerror(rte_errno));
	opt.port = ret;
	port_start(nq, nq, mp);
}

static void pcap_setup(unsigned int nq)
{
	struct rte_eth_dev_info info;
	__u16 port;
	int ret;

	if (rte_eth_dev_count_avail() != 1)
		die("-s pcap wants exactly one port (--vdev=net_pcap0,"
		    "rx_pcap=FILE,...), EAL made %u",
		    rte_eth_dev_count_avail());
	RTE_ETH_FOREACH_DEV(port)
	opt.port = port;
	ret = rte_eth_dev_info_get(opt.port, &info);
	if (ret)
		die("port %u: %s", opt.port, rte_strerror(-ret));
	if (info.max_rx_queues < nq)
		die("port %u has %u RX queues (one rx_pcap= each), %u lcores",
		    opt.port, info.max_rx_queues, nq);
	/* infinite_rx holds the whole capture in this pool, and each
	 * receive takes a fresh mbuf from it too. */
	port_start(nq, 0, pool_create("fg_pcap_pool", 16383 * nq));
}

static void tables_setup(struct lcore *l, unsigned int id)
{
	char name[32];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = 4096, /* as fg_overflow */
		.key_len = sizeof(struct fg_ovf_key),
		.hash_func = rte_hash_crc,
		.socket_id = rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	/* Replay's geometry for the same max-flows: one region. */
	l->nb = fg_ft_nb(opt.max_flows, 1);
	l->ft = rte_zmalloc(NULL, sizeof(*l->ft) * l->nb, RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "fg_ovf%u", id);
	l->ovf = rte_hash_create(&hp);
	l->ovf_vals = rte_zmalloc(NULL, sizeof(*l->ovf_vals) * 4097,
				  RTE_CACHE_LINE_SIZE);
	if (!l->ft || !l->ovf || !l->ovf_vals)
		die("flow table for %u flows: %s", opt.max_flows,
		    rte_strerror(rte_errno));
}

/* ---- output ----------------------------------------------------------- */

static void addr_str(const __u8 *a, __u8 ver, char *buf, size_t len)
{
	if (ver == 4)
		inet_ntop(AF_INET, a + 12, buf, len);
	else if (ver == 6)
		inet_ntop(AF_INET6, a, buf, len);
	else
		snprintf(buf, len, "-");
}

/* A flow record, with the key's fields as numbers (the test maps replay's
 * names to them); no times: those are the capture's in replay, the TSC's
 * here. */
static int print_flow(const struct fg_flow_key *k, const struct fg_flow_val *v,
		      void *ctx)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	__u64 *n = ctx;

	(*n)++;
	if (!opt.json)
		return 0;
	addr_str(k->src, k->ip_ver, s, sizeof(s));
	addr_str(k->dst, k->ip_ver, d, sizeof(d));
	printf("{\"flow\":{\"ip_version\":%u,\"eth_proto\":%u,"
	       "\"proto\":%u,\"src\":\"%s\",\"dst\":\"%s\","
	       "\"sport\":%u,\"dport\":%u,\"vlan\":%u,"
	       "\"vlan_inner\":%u,\"packets\":%llu"
	       ",\"octets\":%llu,\"tcp_flags\":%u,"
	       "\"ttl_min\":%u,\"ttl_max\":%u,\"reason\":\"%s\"}}\n",
	       k->ip_ver, k->eth_proto, k->proto, s, d, ntohs(k->sport),
	       ntohs(k->dport), k->vlan, k->vlan_inner, v->packets, v->octets,
	       v->tcp_flags, v->ttl_min, v->ttl_max, reason_name[k->reason]);
	return 0;
}

/* The records as replay reads its table: fg_ft_walk over the mapping. */
static __u64 print_flows(struct lcore *l)
{
	struct fg_ft_info info = {.version = FG_FT_VERSION,
				  .nreg = 1,
				  .nb = l->nb,
				  .max_flows = opt.max_flows,
				  .seed = 0};
	struct fg_ft ft;
	__u64 n = 0;
	int err;

	err = fg_ft_open_mem(&ft, l->ft, sizeof(*l->ft) * l->nb, &info);
	if (!err)
		err = fg_ft_walk(&ft, print_flow, &n);
	if (err)
		die("flow table: %s", strerror(-err));
	fg_ft_close(&ft);
	return n;
}

/* -j: the overflow aggregates (the table was full). */
static void print_overflow(struct lcore *l)
{
	const struct fg_ovf_key *k;
	__u32 it = 0;
	void *data;
	int pos;

	while ((pos = rte_hash_iterate(l->ovf, (const void **)&k, &data,
				       &it)) >= 0)
		printf("{\"overflow\":{\"ip_version\":%u,\"proto\":%u,"
		       "\"packets\":%llu,\"octets\":%llu}}\n",
		       k->ip_ver, k->proto, l->ovf_vals[pos].packets,
		       l->ovf_vals[pos].octets);
}

static void print_reasons(const struct fg_ifstats *s)
{
	const char *sep = "";
	unsigned int r;

	printf("\"reasons\":{");
	for (r = 1; r < FG_R_MAX; r++) {
		if (!s->drop_packets[r])
			continue;
		printf("%s\"%s\":%llu", sep, reason_name[r],
		       (unsigned long long)s->drop_packets[r]);
		sep = ",";
	}
	printf("}");
}

static void print_accounting(const struct fg_flowstats *f, __u64 records)
{
	printf("\"flow_records\":%llu,\"accounting\":{\"packets\":%llu,"
	       "\"octets\":%llu,\"overflow_packets\":%llu,"
	       "\"inserts_failed\":%llu,\"frag_ports_lent\":%llu,"
	       "\"frag_orphans\":%llu}",
	       records, (unsigned long long)f->packets,
	       (unsigned long long)f->octets, (unsigned long long)f->ovf_pkts,
	       (unsigned long long)f->insert_fail,
	       (unsigned long long)f->frag_lent,
	       (unsigned long long)f->frag_orphan);
}

/* -j: the summary, with replay's field names. */
static void print_summary(struct lcore *l, __u64 records)
{
	const struct fg_ifstats *s = &l->st;
	__u64 dropped = s->rx_packets - s->pass_packets;

	printf("{\"summary\":{\"packets\":%llu,\"passed\":%llu,"
	       "\"dropped\":%llu,\"not_captured\":%llu,",
	       l->packets,
	       (unsigned long long)(s->pass_packets + l->not_captured),
	       (unsigned long long)dropped,
	       (unsigned long long)l->not_captured);
	print_reasons(s);
	printf(",");
	print_accounting(&s->flows, records);
	printf("}}\n");
}

/* ns per packet of the median full burst (0: no full burst). */
static double hist_median_ns(const struct lcore *l)
{
	__u64 total = 0, seen = 0;
	unsigned int b;

	for (b = 0; b < HIST_BINS; b++)
		total += l->hist[b];
	for (b = 0; total && b < HIST_BINS; b++) {
		seen += l->hist[b];
		if (seen * 2 >= total)
			return (b + 0.5) * HIST_STEP * 1e9 / rte_get_tsc_hz() /
			       BURST;
	}
	return 0;
}

/* Bench: a line per lcore, then the total. ns_per_pkt is the median
 * burst's, mpps its inverse; wall_* count every cycle of the run. */
static void print_bench(unsigned int nq)
{
	static const char *const src[] = {"ring", "pcap"};
	__u64 hz = rte_get_tsc_hz(), pk = 0, maxc = 0;
	double mpps = 0;
	unsigned int q;

	for (q = 0; q < nq; q++) {
		struct lcore *l = &lc[q];
		double secs = (double)l->cycles / hz, ns = hist_median_ns(l);

		pk += l->packets;
		if (l->cycles > maxc)
			maxc = l->cycles;
		mpps += ns > 0 ? 1e3 / ns : 0;
		printf("{\"lcore\":%u,\"source\":\"%s\",\"work\":\"%s\","
		       "\"lookup\":\"%s\",\"packets\":%llu,\"seconds\":%.3f,"
		       "\"ns_per_pkt\":%.2f,\"mpps\":%.3f,"
		       "\"wall_ns_per_pkt\":%.2f,\"wall_mpps\":%.3f,"
		       "\"passed\":%llu,",
		       q, src[opt.src], work_name[opt.work],
		       opt.bulk ? "bulk" : "single", l->packets, secs, ns,
		       ns > 0 ? 1e3 / ns : 0,
		       l->packets ? secs * 1e9 / l->packets : 0,
		       secs > 0 ? l->packets / secs / 1e6 : 0,
		       (unsigned long long)l->st.pass_packets);
		print_reasons(&l->st);
		printf(",");
		print_accounting(&l->st.flows, print_flows(l));
		printf("}\n");
	}
	printf("{\"total\":{\"lcores\":%u,\"packets\":%llu,\"mpps\":%.3f,"
	       "\"wall_mpps\":%.3f}}\n",
	       nq, pk, mpps, maxc ? pk / ((double)maxc / hz) / 1e6 : 0);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fg_dpdk EAL-OPTIONS -- [-s ring|pcap] [-w "
		"empty|parse|fg] "
		"[-l bulk|single] [-t SECONDS] [-f MAX_FLOWS] [-k K] [-j] "
		"[PCAP]\n");
	rte_eal_cleanup();
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	char *end;
	int c;

	while ((c = getopt(argc, argv, "s:w:l:t:f:k:j")) != -1) {
		switch (c) {
		case 's':
			if (!strcmp(optarg, "ring"))
				opt.src = SRC_RING;
			else if (!strcmp(optarg, "pcap"))
				opt.src = SRC_PCAP;
			else
				usage();
			break;
		case 'w':
			for (c = 0; c <= WORK_FG; c++)
				if (!strcmp(optarg, work_name[c]))
					break;
			if (c > WORK_FG)
				usage();
			opt.work = c;
			break;
		case 'l':
			if (!strcmp(optarg, "bulk"))
				opt.bulk = true;
			else if (!strcmp(optarg, "single"))
				opt.bulk = false;
			else
				usage();
			break;
		case 't':
			opt.seconds = strtod(optarg, &end);
			if (*end || opt.seconds <= 0)
				usage();
			break;
		case 'f':
			opt.max_flows = strtoul(optarg, &end, 0);
			if (*end || opt.max_flows < FG_MIN_FLOWS ||
			    opt.max_flows > FG_MAX_FLOWS)
				usage();
			break;
		case 'k':
			opt.repeat = strtoul(optarg, &end, 0);
			if (*end || opt.repeat < 1 || opt.repeat > 1024)
				usage();
			break;
		case 'j':
			opt.json = true;
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		opt.pcap = argv[optind++];
	if (optind != argc || (opt.src == SRC_RING && !opt.pcap))
		usage();
	if (opt.json && (opt.work != WORK_FG || opt.repeat != 1))
		usage();
	if (opt.repeat != 1 && opt.src != SRC_RING)
		usage();
}

int main(int argc, char **argv)
{
	unsigned int id, q = 0;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		die("EAL: %s", rte_strerror(rte_errno));
	parse_args(argc - ret, argv + ret);
	opt.nq = rte_lcore_count();
	if (opt.json && opt.nq != 1)
		die("-j runs on one lcore (EAL -l N), not %u", opt.nq);
	frags = rte_zmalloc(NULL, sizeof(*frags) * FG_MAX_FRAGS,
			    RTE_CACHE_LINE_SIZE);
	if (!frags)
		die("fragment cache: %s", rte_strerror(rte_errno));
	if (opt.src == SRC_RING)
		ring_setup(opt.nq);
	else
		pcap_setup(opt.nq);
	RTE_LCORE_FOREACH(id)
	{
		lc[q].q = q;
		tables_setup(&lc[q], q);
		q++;
	}
	/* Workers first, then the main lcore; queue q on the q-th lcore. */
	q = 1;
	RTE_LCORE_FOREACH_WORKER(id)
	rte_eal_remote_launch(run, &lc[q++], id);
	run(&lc[0]);
	rte_eal_mp_wait_lcore();

	if (opt.json) {
		__u64 records = print_flows(&lc[0]);

		print_overflow(&lc[0]);
		print_summary(&lc[0], records);
	} else {
		print_bench(opt.nq);
	}
	rte_eth_dev_stop(opt.port);
	rte_eth_dev_close(opt.port);
	rte_eal_cleanup();
	return 0;
}
