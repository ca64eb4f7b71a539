#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Compare a /metrics scrape with `flowgate -j stats` read at the same
instant (traffic stopped): every counter stats prints must be in the scrape
with the same value. Prints TAP-less lines "ok<TAB>name" or
"not ok<TAB>name<TAB>got<TAB>want" for the caller to number.

    metrics_check.py STATS.json METRICS.txt
"""
import json
import re
import sys

stats = json.load(open(sys.argv[1]))
samples = {}
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    m = line_re.match(line.strip())
    if not m:
        print("not ok\tparse line\t%r\t" % line.strip())
        continue
    labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"',
                                     m.group(3) or "")))
    samples[(m.group(1), labels)] = float(m.group(4))


def get(name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


bad = 0
checked = 0


def want(what, got, value):
    global bad, checked
    checked += 1
    if got is None or got != value:
        bad += 1
        print("not ok\t%s\t%s\t%s" % (what, got, value))


FLOW = {"packets": "flow_packets_total", "octets": "flow_bytes_total",
        "sampled_out_packets": "flow_sampled_out_packets_total",
        "sampled_out_octets": "flow_sampled_out_bytes_total",
        "unflowed_packets": "flow_unflowed_packets_total",
        "unflowed_octets": "flow_unflowed_bytes_total",
        "overflow_packets": "flow_overflow_packets_total",
        "overflow_octets": "flow_overflow_bytes_total",
        "overflow_rate_packets": "flow_overflow_rate_packets_total",
        "overflow_rate_octets": "flow_overflow_rate_bytes_total",
        "inserts_failed": "flow_inserts_failed_total",
        "overflow_lost": "flow_overflow_lost_packets_total",
        "frag_ports_lent": "fragments_ports_lent_total",
        "frag_orphans": "fragments_orphaned_total"}
IFACE = {"rx_packets": "received_packets_total",
         "rx_bytes": "received_bytes_total",
         "passed_packets": "passed_packets_total",
         "passed_bytes": "passed_bytes_total",
         "dropped_packets": "dropped_packets_total",
         "dropped_bytes": "dropped_bytes_total"}

ft = stats.get("flow_table")
if ft:
    want("flow table entries", get("flowgate_flow_table_entries"),
         ft["entries"])
    want("flow table capacity", get("flowgate_flow_table_capacity"),
         ft["max_flows"])
    want("flow table slots", get("flowgate_flow_table_slots"), ft["slots"])
    for name, key in (("region_fill_ratio", "fullest_region"),
                      ("region_mark_ratio", "fill_mark")):
        r = get("flowgate_flow_table_" + name)
        want("flow table " + name,
             None if r is None else round(r * ft["region_slots"]), ft[key])
for i in stats["interfaces"]:
    dev = i["dev"]
    for k, n in IFACE.items():
        want("%s %s" % (dev, k), get("flowgate_" + n, interface=dev), i[k])
    listed = set()
    for r in i["reasons"]:
        listed.add(r["reason"])
        for k, n in (("dropped_packets", "drop_reason_packets_total"),
                     ("dropped_bytes", "drop_reason_bytes_total"),
                     ("matched", "check_matched_packets_total")):
            want("%s %s %s" % (dev, r["reason"], k),
                 get("flowgate_" + n, interface=dev, reason=r["reason"]),
                 r[k])
    # Reasons stats leaves out are zero in the scrape, and present.
    for (name, labels), v in samples.items():
        d = dict(labels)
        if d.get("interface") == dev and "reason" in d and \
                d["reason"] not in listed:
            want("%s %s %s zero" % (dev, d["reason"], name), v, 0)
    for d in ("in", "out"):
        for k, n in FLOW.items():
            want("%s %s flows %s" % (dev, d, k),
                 get("flowgate_" + n, interface=dev, direction=d),
                 i["flows"][d][k])
e = stats.get("exporter")
if e:
    for k, r in (("records_active_timeout", "active_timeout"),
                 ("records_idle_timeout", "idle_timeout"),
                 ("records_end_detected", "end_of_flow"),
                 ("records_forced_end", "forced_end"),
                 ("records_overflow", "lack_of_resources")):
        want("exporter " + k, get("flowgate_exporter_records_total",
                                  end_reason=r), e[k])
    for k, n in (("packets", "packets_total"), ("octets", "bytes_total"),
                 ("flows_expired", "flows_expired_total"),
                 ("sweeps", "sweeps_total"),
                 ("raced_packets", "raced_packets_total")):
        want("exporter " + k, get("flowgate_exporter_" + n), e[k])
    want("exporter up", get("flowgate_exporter_up"), int(e["running"]))
    for o in e["outputs"]:
        lab = {"output": o["output"], "transport": o["transport"]}
        for k, n in (("messages", "messages_total"),
                     ("records", "output_records_total"),
                     ("octets", "output_bytes_total"),
                     ("not_sent_records", "not_sent_records_total"),
                     ("not_sent_packets", "not_sent_packets_total"),
                     ("not_sent_octets", "not_sent_bytes_total"),
                     ("spool_octets", "spool_bytes"),
                     ("spool_messages", "spool_messages"),
                     ("connects", "connects_total")):
            want("output %s %s" % (o["output"], k),
                 get("flowgate_exporter_" + n, **lab), o[k])
        want("output %s up" % o["output"],
             get("flowgate_exporter_output_up", **lab), int(o["up"]))
if not bad:
    print("ok\t%d values of stats -j equal in /metrics" % checked)
