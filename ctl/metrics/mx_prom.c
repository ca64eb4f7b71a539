// SPDX-License-Identifier: GPL-2.0
/*
 * A snapshot in the Prometheus text exposition format (0.0.4). Names follow
 * Prometheus' guidelines: flowgate_ prefix, base units in the name
 * (_bytes, _seconds), counters end in _total. Labels are few and bounded:
 * interface, direction, reason, queue, output, transport, end_reason,
 * rule_id (capped at FG_MX_MAX_RULES); never an address or a port.
 * Per-reason series are always present, zero or not, so that rate() sees
 * the first drop.
 */
#include <string.h>
#include "mx.h"

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format says (backslash, quote, newline). */
static void label(FILE *f, const char *key, const char *val, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", key);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			fprintf(f, "\\%c", *val);
		else if (*val == '\n')
			fputs("\\n", f);
		else
			fputc(*val, f);
	}
	fputc('"', f);
}

/* name{interface="..."[,k="v"]} value */
static void iface_sample(FILE *f, const char *name, const char *ifname,
			 const char *k, const char *v, __u64 val)
{
	fprintf(f, "%s{", name);
	label(f, "interface", ifname, true);
	if (k)
		label(f, k, v, false);
	fprintf(f, "} %llu\n", (unsigned long long)val);
}

static void plain(FILE *f, const char *name, const char *type, const char *help,
		  __u64 val)
{
	family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)val);
}

/* Microseconds as seconds, exactly (six decimals, trailing zeros cut). */
static void put_us(FILE *f, __u64 us)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu.%06llu",
			 (unsigned long long)(us / 1000000),
			 (unsigned long long)(us % 1000000));

	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	fputs(buf, f);
}

/* Per-interface ingress counters of one field. */
#define IFACES(m, i) for (i = 0; i < (m)->niface; i++)

static void guard(FILE *f, const struct fg_mx *m)
{
	__u64 p, b;
	__u32 r;
	int i;

	family(f, "flowgate_received_packets_total", "counter",
	       "Packets the guard saw on ingress.");
	IFACES(m, i)
	iface_sample(f, "flowgate_received_packets_total", m->ifaces[i].name,
		     NULL, NULL, m->ifaces[i].in.rx_packets);
	family(f, "flowgate_received_bytes_total", "counter",
	       "Bytes of the packets the guard saw on ingress.");
	IFACES(m, i)
	iface_sample(f, "flowgate_received_bytes_total", m->ifaces[i].name,
		     NULL, NULL, m->ifaces[i].in.rx_bytes);
	family(f, "flowgate_passed_packets_total", "counter",
	       "Packets the guard passed.");
	IFACES(m, i)
	iface_sample(f, "flowgate_passed_packets_total", m->ifaces[i].name,
		     NULL, NULL, m->ifaces[i].in.pass_packets);
	family(f, "flowgate_passed_bytes_total", "counter",
	       "Bytes of the packets the guard passed.");
	IFACES(m, i)
	iface_sample(f, "flowgate_passed_bytes_total", m->ifaces[i].name, NULL,
		     NULL, m->ifaces[i].in.pass_bytes);
	/* The sum over reasons, so that "seen = passed + dropped" needs no
	 * aggregation in a query. */
	family(f, "flowgate_dropped_packets_total", "counter",
	       "Packets the guard dropped, every reason.");
	IFACES(m, i)
	{
		fg_ifstats_drops(&m->ifaces[i].in, &p, &b);
		iface_sample(f, "flowgate_dropped_packets_total",
			     m->ifaces[i].name, NULL, NULL, p);
	}
	family(f, "flowgate_dropped_bytes_total", "counter",
	       "Bytes of the packets the guard dropped, every reason.");
	IFACES(m, i)
	{
		fg_ifstats_drops(&m->ifaces[i].in, &p, &b);
		iface_sample(f, "flowgate_dropped_bytes_total",
			     m->ifaces[i].name, NULL, NULL, b);
	}
	family(f, "flowgate_drop_reason_packets_total", "counter",
	       "Packets dropped, by the check that dropped them.");
	IFACES(m, i)
	for (r = 1; r < FG_R_MAX; r++)
		iface_sample(f, "flowgate_drop_reason_packets_total",
			     m->ifaces[i].name, "reason", fg_reason_name(r),
			     m->ifaces[i].in.drop_packets[r]);
	family(f, "flowgate_drop_reason_bytes_total", "counter",
	       "Bytes of the packets dropped, by check.");
	IFACES(m, i)
	for (r = 1; r < FG_R_MAX; r++)
		iface_sample(f, "flowgate_drop_reason_bytes_total",
			     m->ifaces[i].name, "reason", fg_reason_name(r),
			     m->ifaces[i].in.drop_bytes[r]);
	family(f, "flowgate_check_matched_packets_total", "counter",
	       "Packets on which a check fired, whatever its action "
	       "(count or drop).");
	IFACES(m, i)
	for (r = 1; r < FG_R_MAX; r++)
		iface_sample(f, "flowgate_check_matched_packets_total",
			     m->ifaces[i].name, "reason", fg_reason_name(r),
			     m->ifaces[i].in.matched[r]);
}

static void queues(FILE *f, const struct fg_mx *m)
{
	char q[8];
	__u32 n;
	int i;

	family(f, "flowgate_rx_queue_packets_total", "counter",
	       "Packets per RX queue (queue 63 counts 63 and above; queues "
	       "without packets are left out).");
	IFACES(m, i)
	for (n = 0; n <= FG_MAX_RXQ; n++) {
		if (!m->ifaces[i].in.rxq_packets[n])
			continue;
		snprintf(q, sizeof(q), "%u", n);
		iface_sample(f, "flowgate_rx_queue_packets_total",
			     m->ifaces[i].name, "queue", q,
			     m->ifaces[i].in.rxq_packets[n]);
	}
	family(f, "flowgate_rx_queue_bytes_total", "counter",
	       "Bytes per RX queue (as flowgate_rx_queue_packets_total).");
	IFACES(m, i)
	for (n = 0; n <= FG_MAX_RXQ; n++) {
		if (!m->ifaces[i].in.rxq_packets[n])
			continue;
		snprintf(q, sizeof(q), "%u", n);
		iface_sample(f, "flowgate_rx_queue_bytes_total",
			     m->ifaces[i].name, "queue", q,
			     m->ifaces[i].in.rxq_octets[n]);
	}
}

/* A counter per interface and direction: the __u64 at off in the struct
 * that at() gives of interface i's direction d (0 in, 1 out). */
static void dir_family(FILE *f, const struct fg_mx *m, const char *name,
		       const char *help,
		       const void *(*at)(const struct fg_mx *m, int i, int d),
		       size_t off)
{
	const __u64 *v;
	int i, d;

	family(f, name, "counter", help);
	IFACES(m, i)
	for (d = 0; d < 2; d++) {
		v = (const __u64 *)((const char *)at(m, i, d) + off);
		fprintf(f, "%s{", name);
		label(f, "interface", m->ifaces[i].name, true);
		label(f, "direction", d ? "out" : "in", false);
		fprintf(f, "} %llu\n", (unsigned long long)*v);
	}
}

/* The flow accounting counters (struct fg_flowstats). */
static const void *flows_at(const struct fg_mx *m, int i, int d)
{
	return d ? &m->ifaces[i].out.flows : &m->ifaces[i].in.flows;
}

/* The drop budget's counters (fg_ovfrate). */
static const void *rated_at(const struct fg_mx *m, int i, int d)
{
	return d ? &m->ifaces[i].rated_out : &m->ifaces[i].rated_in;
}

static void flow_family(FILE *f, const struct fg_mx *m, const char *name,
			const char *help, size_t off)
{
	dir_family(f, m, name, help, flows_at, off);
}

static void rate_family(FILE *f, const struct fg_mx *m, const char *name,
			const char *help, size_t off)
{
	dir_family(f, m, name, help, rated_at, off);
}

#define FLOW(name, field, help)                   \
	flow_family(f, m, "flowgate_" name, help, \
		    offsetof(struct fg_flowstats, field))

static void flows(FILE *f, const struct fg_mx *m)
{
	FLOW("flow_packets_total", packets, "Packets flow accounting saw.");
	FLOW("flow_bytes_total", octets, "IP-layer bytes flow accounting saw.");
	FLOW("flow_sampled_out_packets_total", sampled_pkts,
	     "Packets left out of flows by sampling.");
	FLOW("flow_sampled_out_bytes_total", sampled_octets,
	     "Bytes left out of flows by sampling.");
	FLOW("flow_unflowed_packets_total", unflowed_pkts,
	     "Dropped packets not made into flows (drop-flows off).");
	FLOW("flow_unflowed_bytes_total", unflowed_octets,
	     "Bytes of the dropped packets not made into flows.");
	FLOW("flow_overflow_packets_total", ovf_pkts,
	     "Packets counted in the overflow aggregates: no room in the "
	     "flow table (both buckets of the flow full, or a drop into a "
	     "CPU region above the fill mark).");
	FLOW("flow_overflow_bytes_total", ovf_octets,
	     "Bytes counted in the overflow aggregates.");
	rate_family(f, m, "flowgate_flow_overflow_rate_packets_total",
		    "Dropped packets the drop budget (attach drop-flow-rate) "
		    "sent to the overflow aggregates (part of "
		    "flowgate_flow_overflow_packets_total).",
		    offsetof(struct fg_ovf_rate, packets));
	rate_family(f, m, "flowgate_flow_overflow_rate_bytes_total",
		    "Bytes of the dropped packets the drop budget sent to the "
		    "overflow aggregates.",
		    offsetof(struct fg_ovf_rate, octets));
	FLOW("flow_inserts_failed_total", insert_fail,
	     "Packets whose flow found no room (the overflow aggregates "
	     "counted them).");
	FLOW("flow_overflow_lost_packets_total", ovf_lost,
	     "Packets the overflow aggregate itself had no room for.");
	FLOW("fragments_ports_lent_total", frag_lent,
	     "Later fragments given the ports of their first fragment.");
	FLOW("fragments_orphaned_total", frag_orphan,
	     "Later fragments whose first fragment was not seen.");
	if (m->table_err)
		return;
	plain(f, "flowgate_flow_table_entries", "gauge",
	      "Slots of the flow table holding a flow (a flow seen on two "
	      "CPUs holds two).",
	      m->flows);
	plain(f, "flowgate_flow_table_capacity", "gauge",
	      "Flows the table was made for (attach max-flows), spread over "
	      "the CPUs' regions.",
	      m->capacity);
	plain(f, "flowgate_flow_table_slots", "gauge",
	      "Slots of the flow table, all CPUs' regions.", m->slots);
	family(f, "flowgate_flow_table_region_fill_ratio", "gauge",
	       "Live slots of the fullest CPU region over its slots.");
	fprintf(f, "flowgate_flow_table_region_fill_ratio %.6f\n",
		m->region_fill);
	family(f, "flowgate_flow_table_region_mark_ratio", "gauge",
	       "The fill above which a region's dropped packets go to the "
	       "overflow aggregates without a flow of their own.");
	fprintf(f, "flowgate_flow_table_region_mark_ratio %.6f\n",
		m->region_mark);
	family(f, "flowgate_flow_table_count_age_seconds", "gauge",
	       "Age of flowgate_flow_table_entries: the table is counted "
	       "again when its count is older than 100 times the CPU time "
	       "counting took.");
	fprintf(f, "flowgate_flow_table_count_age_seconds %.3f\n",
		m->table_age);
}

static void rules(FILE *f, const struct fg_mx *m)
{
	char id[16];
	int i;

	if (m->rules_err)
		return;
	plain(f, "flowgate_rules", "gauge", "Operator rules in force.",
	      m->rules_total);
	plain(f, "flowgate_rule_series_omitted", "gauge",
	      "Rules without series of their own: only the first 100 rules "
	      "in rule list order have them.",
	      m->rules_total - m->nrules);
	family(f, "flowgate_rule_matched_packets_total", "counter",
	       "Packets an operator rule matched.");
	for (i = 0; i < m->nrules; i++) {
		snprintf(id, sizeof(id), "%u", m->rules[i].id);
		fprintf(f, "flowgate_rule_matched_packets_total{");
		label(f, "rule_id", id, true);
		fprintf(f, "} %llu\n",
			(unsigned long long)m->rules[i].hit.packets);
	}
	family(f, "flowgate_rule_matched_bytes_total", "counter",
	       "Bytes of the packets an operator rule matched.");
	for (i = 0; i < m->nrules; i++) {
		snprintf(id, sizeof(id), "%u", m->rules[i].id);
		fprintf(f, "flowgate_rule_matched_bytes_total{");
		label(f, "rule_id", id, true);
		fprintf(f, "} %llu\n",
			(unsigned long long)m->rules[i].hit.octets);
	}
}

/* One counter of every output, by its offset in fg_exp_outstats. */
static void out_family(FILE *f, const struct fg_mx *m, const char *name,
		       const char *type, const char *help, size_t off, bool u32)
{
	const struct fg_exp_outstats *o;
	const char *p;
	__u32 i;

	family(f, name, type, help);
	for (i = 0; i < m->exp.nouts; i++) {
		o = &m->exp.out[i];
		p = (const char *)o + off;
		fprintf(f, "%s{", name);
		label(f, "output", o->url, true);
		label(f, "transport", fg_exp_out_kind(o->kind), false);
		fprintf(f, "} %llu\n",
			u32 ? (unsigned long long)*(const __u32 *)p
			    : (unsigned long long)*(const __u64 *)p);
	}
}

#define OUT(name, type, field, help)                            \
	out_family(f, m, "flowgate_exporter_" name, type, help, \
		   offsetof(struct fg_exp_outstats, field),     \
		   sizeof(((struct fg_exp_outstats *)0)->field) == 4)

static void exporter(FILE *f, const struct fg_mx *m)
{
	static const char *const reasons[] = {"active_timeout", "idle_timeout",
					      "end_of_flow", "forced_end",
					      "lack_of_resources"};
	const struct fg_exp_stats *e = &m->exp;
	const __u64 recs[] = {e->rec_active, e->rec_idle, e->rec_end,
			      e->rec_forced, e->rec_overflow};
	int i;

	if (m->exp_err)
		return;
	plain(f, "flowgate_exporter_up", "gauge",
	      "1 while the IPFIX exporter process runs.", m->exp_running);
	plain(f, "flowgate_exporter_start_time_seconds", "gauge",
	      "When the exporter started (Unix time).", e->started_ms / 1000);
	family(f, "flowgate_exporter_records_total", "counter",
	       "Flow records exported, by flowEndReason.");
	for (i = 0; i < 5; i++)
		fprintf(f,
			"flowgate_exporter_records_total{end_reason=\"%s\"} "
			"%llu\n",
			reasons[i], (unsigned long long)recs[i]);
	plain(f, "flowgate_exporter_packets_total", "counter",
	      "Packets in the flow records exported.", e->packets);
	plain(f, "flowgate_exporter_bytes_total", "counter",
	      "Bytes in the flow records exported.", e->octets);
	plain(f, "flowgate_exporter_flows_expired_total", "counter",
	      "Flows the exporter deleted from the table.", e->expired);
	plain(f, "flowgate_exporter_raced_packets_total", "counter",
	      "Packets counted after an expiring flow's final read, "
	      "exported as one more record.",
	      e->raced);
	plain(f, "flowgate_exporter_sweeps_total", "counter",
	      "Sweeps of the flow table.", e->sweeps);
	family(f, "flowgate_exporter_last_sweep_duration_seconds", "gauge",
	       "How long the last sweep took.");
	fputs("flowgate_exporter_last_sweep_duration_seconds ", f);
	put_us(f, e->sweep_ns / 1000);
	fputc('\n', f);
	OUT("messages_total", "counter", messages,
	    "IPFIX messages sent (UDP, file) or written to the socket (TCP).");
	OUT("output_records_total", "counter", records,
	    "Data records sent to the output (flows and options).");
	OUT("output_bytes_total", "counter", octets,
	    "IPFIX bytes sent to the output.");
	OUT("not_sent_records_total", "counter", lost_records,
	    "Records not sent: send error or spool overflow.");
	OUT("not_sent_packets_total", "counter", lost_packets,
	    "Flow packets in the records not sent.");
	OUT("not_sent_bytes_total", "counter", lost_octets,
	    "Flow bytes in the records not sent.");
	OUT("spool_bytes", "gauge", spool_bytes,
	    "Bytes waiting for a TCP collector.");
	OUT("spool_messages", "gauge", spool_msgs,
	    "Messages waiting for a TCP collector.");
	OUT("connects_total", "counter", connects,
	    "TCP connections made to the collector.");
	OUT("output_up", "gauge", up,
	    "1 while the output delivers (TCP: connected).");
}

static void rtt(FILE *f, const struct fg_mx *m)
{
	const struct fg_rtt_stats *s = &m->rtt;
	__u64 cum = 0;
	int i;

	if (m->rtt_err)
		return;
	/* Slot i holds [2^i, 2^(i+1)) us (slot 0 also 0), the last one
	 * everything above: it is the +Inf bucket. */
	family(f, "flowgate_tcp_rtt_seconds", "histogram",
	       "TCP round-trip time samples of the host's connections "
	       "(sock_ops).");
	for (i = 0; i < FG_RTT_SLOTS - 1; i++) {
		cum += s->hist.slots[i];
		fputs("flowgate_tcp_rtt_seconds_bucket{le=\"", f);
		put_us(f, 2ull << i);
		fprintf(f, "\"} %llu\n", (unsigned long long)cum);
	}
	cum += s->hist.slots[FG_RTT_SLOTS - 1];
	fprintf(f, "flowgate_tcp_rtt_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)cum);
	fputs("flowgate_tcp_rtt_seconds_sum ", f);
	put_us(f, s->sum_us);
	fprintf(f, "\nflowgate_tcp_rtt_seconds_count %llu\n",
		(unsigned long long)cum);
	plain(f, "flowgate_tcp_connections", "gauge",
	      "TCP connections tracked now.", m->rtt_live);
	plain(f, "flowgate_tcp_connections_opened_total", "counter",
	      "TCP connections entered in the table.", s->conns);
	plain(f, "flowgate_tcp_connections_closed_total", "counter",
	      "TCP connections closed.", s->closed);
	plain(f, "flowgate_tcp_connection_table_full_total", "counter",
	      "TCP connection records refused: table full.", s->conn_full);
}

void fg_mx_prom(FILE *f, const struct fg_mx *m, const struct fg_mx_build *b)
{
	family(f, "flowgate_build_info", "gauge",
	       "Version of flowgate and kernel release, as labels.");
	fputs("flowgate_build_info{", f);
	label(f, "version", b->version, true);
	label(f, "kernel", b->kernel, false);
	fputs("} 1\n", f);
	plain(f, "flowgate_up", "gauge",
	      "1 when flowgate's pinned state could be read.", !m->state_err);
	if (!m->state_err) {
		guard(f, m);
		queues(f, m);
		flows(f, m);
		rules(f, m);
	}
	exporter(f, m);
	rtt(f, m);
	family(f, "flowgate_scrape_read_duration_seconds", "gauge",
	       "Time this scrape took to read the counters.");
	fprintf(f, "flowgate_scrape_read_duration_seconds %.6f\n",
		m->read_seconds);
}
