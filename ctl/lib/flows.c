// SPDX-License-Identifier: GPL-2.0
/* Flow records as every command shows them: per-CPU values summed, times
 * made wall-clock, one print path for text and JSON. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fg.h"

/* A flow's protocol: "-" for a non-IP flow (keyed by EtherType). */
const char *fg_flow_proto(__u8 ip_ver, __u8 proto, char *buf, size_t len)
{
	return ip_ver ? fg_proto_name(proto, buf, len) : "-";
}

/* Sum one flow's per-CPU slots; CPUs that never saw it hold zeros. */
void fg_flow_sum(const struct fg_flow_val *v, int ncpu, struct fg_flow_val *sum)
{
	int c;

	memset(sum, 0, sizeof(*sum));
	sum->ttl_min = 255;
	for (c = 0; c < ncpu; c++) {
		if (!v[c].packets)
			continue;
		sum->packets += v[c].packets;
		sum->octets += v[c].octets;
		/* Every CPU's slot sets its own first time on its first
		 * packet; a 0 would be a slot that never saw one. */
		if (v[c].first_ns &&
		    (!sum->first_ns || v[c].first_ns < sum->first_ns))
			sum->first_ns = v[c].first_ns;
		if (v[c].last_ns >= sum->last_ns) {
			sum->last_ns = v[c].last_ns;
			sum->rule_id = v[c].rule_id; /* the latest */
		}
		sum->tcp_flags |= v[c].tcp_flags;
		if (v[c].ttl_min < sum->ttl_min)
			sum->ttl_min = v[c].ttl_min;
		if (v[c].ttl_max > sum->ttl_max)
			sum->ttl_max = v[c].ttl_max;
	}
}

static __s64 ts_ns(const struct timespec *t)
{
	return (__s64)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns. The realtime read is
 * bracketed by two monotonic reads and the tightest of three tries is
 * kept: a process preempted between two plain reads (a loaded host) would
 * shift every flow time it converts by the time it slept.
 */
__s64 fg_wall_offset_ns(void)
{
	struct timespec m0, rt, m1;
	__s64 best_gap = -1, off = 0;
	int i;

	for (i = 0; i < 3; i++) {
		__s64 gap;

		clock_gettime(CLOCK_MONOTONIC, &m0);
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &m1);
		gap = ts_ns(&m1) - ts_ns(&m0);
		if (best_gap < 0 || gap < best_gap) {
			best_gap = gap;
			off = ts_ns(&rt) - (ts_ns(&m0) + gap / 2);
		}
	}
	return off;
}

/* Monotonic ns (bpf_ktime_get_ns) to wall-clock ms since the epoch. */
__u64 fg_mono_to_wall_ms(__u64 mono_ns)
{
	return ((__s64)mono_ns + fg_wall_offset_ns()) / 1000000;
}

static void tcp_flags_str(__u8 f, char *buf)
{
	const char *letters = "FSRPAUEC";
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (f & (1 << i))
			buf[n++] = letters[i];
	buf[n] = '\0';
}

/* One flow as `flow dump` shows it (an object under key, NULL in a list);
 * to_ms turns its times into wall-clock
 * milliseconds (the kernel's clock in dump, the capture's in replay). */
void fg_flow_print(const char *key, const struct fg_flow_key *k,
		   const struct fg_flow_val *v, __u64 (*to_ms)(__u64 ns))
{
	char a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE], fl[9], pr[4];
	bool icmp = k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;

	out_obj_open(key);
	if (!if_indextoname(k->ifindex, ifn))
		snprintf(ifn, sizeof(ifn), "if%u", k->ifindex);
	out_str("dev", ifn);
	out_u64("ifindex", k->ifindex);
	out_str("dir", k->dir == FG_DIR_OUT ? "out" : "in");
	out_u64("ip_version", k->ip_ver);
	if (!k->ip_ver)
		out_u64("eth_proto", k->eth_proto);
	out_str("proto", fg_flow_proto(k->ip_ver, k->proto, pr, sizeof(pr)));
	fg_addr_str(k->src, k->ip_ver, a, sizeof(a));
	out_str("src", k->ip_ver ? a : "-");
	fg_addr_str(k->dst, k->ip_ver, a, sizeof(a));
	out_str("dst", k->ip_ver ? a : "-");
	if (icmp) {
		out_u64("icmp_type", ntohs(k->dport) >> 8);
		out_u64("icmp_code", ntohs(k->dport) & 0xff);
	} else {
		out_u64("sport", ntohs(k->sport));
		out_u64("dport", ntohs(k->dport));
	}
	out_u64("vlan", k->vlan);
	out_u64("vlan_inner", k->vlan_inner);
	out_u64("packets", v->packets);
	out_u64("octets", v->octets);
	tcp_flags_str(v->tcp_flags, fl);
	out_str("tcp_flags", fl);
	out_u64("ttl_min", v->ttl_min);
	out_u64("ttl_max", v->ttl_max);
	out_time_ms("first_ms", to_ms(v->first_ns));
	out_time_ms("last_ms", to_ms(v->last_ns));
	out_str("verdict", k->reason ? "dropped" : "forwarded");
	if (k->reason)
		out_str("reason", fg_reason_name(k->reason));
	if (k->reason == FG_R_RULE)
		out_u64("rule_id", v->rule_id);
	out_obj_close();
}

/* One overflow aggregate (per-CPU values summed), as `flow dump` shows it
 * (an object under key, NULL in a list). */
void fg_ovf_print(const char *key, const struct fg_ovf_key *k, __u64 packets,
		  __u64 octets)
{
	char pr[4];

	out_obj_open(key);
	out_u64("ifindex", k->ifindex);
	out_str("dir", k->dir == FG_DIR_OUT ? "out" : "in");
	out_u64("ip_version", k->ip_ver);
	out_str("proto", fg_flow_proto(k->ip_ver, k->proto, pr, sizeof(pr)));
	out_u64("packets", packets);
	out_u64("octets", octets);
	out_obj_close();
}

/* Flow accounting of one direction. Every packet it saw is in a flow, the
 * overflow aggregate, sampled out, or unflowed (drop flows off). */
void fg_flowstats_print(const char *key, const struct fg_flowstats *f,
			const struct fg_ovf_rate *rated)
{
	out_obj_open(key);
	out_u64("packets", f->packets);
	out_u64("octets", f->octets);
	out_u64("sampled_out_packets", f->sampled_pkts);
	out_u64("sampled_out_octets", f->sampled_octets);
	out_u64("unflowed_packets", f->unflowed_pkts);
	out_u64("unflowed_octets", f->unflowed_octets);
	out_u64("overflow_packets", f->ovf_pkts);
	out_u64("overflow_octets", f->ovf_octets);
	if (rated) {
		out_u64("overflow_rate_packets", rated->packets);
		out_u64("overflow_rate_octets", rated->octets);
	}
	out_u64("inserts_failed", f->insert_fail);
	out_u64("overflow_lost", f->ovf_lost);
	out_u64("frag_ports_lent", f->frag_lent);
	out_u64("frag_orphans", f->frag_orphan);
	out_obj_close();
}

static void endpoint(char *buf, size_t len, const __u8 *a, __u8 ip_ver,
		     __u16 port_be, bool ports)
{
	char s[INET6_ADDRSTRLEN];

	fg_addr_str(a, ip_ver, s, sizeof(s));
	if (!ports)
		snprintf(buf, len, "%s", s);
	else if (ip_ver == 6)
		snprintf(buf, len, "[%s]:%u", s, ntohs(port_be));
	else
		snprintf(buf, len, "%s:%u", s, ntohs(port_be));
}

static void time_str(char *buf, size_t len, __u64 ms)
{
	time_t sec = ms / 1000;
	struct tm tm;
	size_t n;

	if (!ms || !gmtime_r(&sec, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03uZ", (unsigned int)(ms % 1000));
}

/* One flow on one line (text `flow dump`, in the manner of conntrack -L):
 * dir dev proto src > dst, counters, TCP flags, TTLs, times, verdict. */
void fg_flow_line(FILE *f, const struct fg_flow_key *k,
		  const struct fg_flow_val *v, __u64 (*to_ms)(__u64 ns))
{
	bool icmp = k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;
	char ifn[IF_NAMESIZE], src[64], dst[64], pr[8], fl[9], t1[40], t2[40];

	if (!if_indextoname(k->ifindex, ifn))
		snprintf(ifn, sizeof(ifn), "if%u", k->ifindex);
	fprintf(f, "%-3s %s ", k->dir == FG_DIR_OUT ? "out" : "in", ifn);
	if (!k->ip_ver) {
		fprintf(f, "eth 0x%04x", k->eth_proto);
	} else {
		endpoint(src, sizeof(src), k->src, k->ip_ver, k->sport, !icmp);
		endpoint(dst, sizeof(dst), k->dst, k->ip_ver, k->dport, !icmp);
		fprintf(f, "%s %s > %s",
			fg_flow_proto(k->ip_ver, k->proto, pr, sizeof(pr)), src,
			dst);
		if (icmp)
			fprintf(f, " type %u code %u", ntohs(k->dport) >> 8,
				ntohs(k->dport) & 0xff);
	}
	if (k->vlan)
		fprintf(f, " vlan %u", k->vlan);
	if (k->vlan_inner)
		fprintf(f, " vlan_inner %u", k->vlan_inner);
	fprintf(f, " packets %llu octets %llu", (unsigned long long)v->packets,
		(unsigned long long)v->octets);
	tcp_flags_str(v->tcp_flags, fl);
	if (fl[0])
		fprintf(f, " flags %s", fl);
	if (k->ip_ver)
		fprintf(f, " ttl %u-%u", v->ttl_min, v->ttl_max);
	time_str(t1, sizeof(t1), to_ms(v->first_ns));
	time_str(t2, sizeof(t2), to_ms(v->last_ns));
	fprintf(f, " first %s last %s %s", t1, t2,
		k->reason ? "dropped" : "forwarded");
	if (k->reason)
		fprintf(f, " reason %s", fg_reason_name(k->reason));
	if (k->reason == FG_R_RULE)
		fprintf(f, " rule %u", v->rule_id);
	fputc('\n', f);
}

/* Interface, direction, family, protocol: the whole order of the overflow
 * aggregates, which are keyed by these, and the head of the flows'. */
int fg_ovf_key_cmp(const struct fg_ovf_key *a, const struct fg_ovf_key *b)
{
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	if (a->ip_ver != b->ip_ver)
		return a->ip_ver < b->ip_ver ? -1 : 1;
	return a->proto < b->proto ? -1 : a->proto > b->proto;
}

/* The key of the overflow aggregate a flow would fall into. */
static struct fg_ovf_key ovf_key(const struct fg_flow_key *k)
{
	return (struct fg_ovf_key){.ifindex = k->ifindex,
				   .dir = k->dir,
				   .ip_ver = k->ip_ver,
				   .proto = k->proto};
}

/* The order of text `flow dump`: the overflow aggregates' order, then the
 * addresses and ports, as the eye scans them. */
int fg_flow_key_cmp(const struct fg_flow_key *a, const struct fg_flow_key *b)
{
	struct fg_ovf_key x = ovf_key(a), y = ovf_key(b);
	int c = fg_ovf_key_cmp(&x, &y);

	if (c)
		return c;
	c = memcmp(a->src, b->src, sizeof(a->src));
	if (!c && a->sport != b->sport)
		c = ntohs(a->sport) < ntohs(b->sport) ? -1 : 1;
	if (!c)
		c = memcmp(a->dst, b->dst, sizeof(a->dst));
	if (!c && a->dport != b->dport)
		c = ntohs(a->dport) < ntohs(b->dport) ? -1 : 1;
	return c ? c : memcmp(a, b, sizeof(*a));
}
