#!/usr/bin/python3
"""Compare `flowgate replay CAPTURE -j` with `fg_dpdk ... -j CAPTURE`.

    dpdk_diff.py REPLAY_OUT DPDK_OUT

Packet lines must be equal line for line (index, verdict, reason); flow
records equal as a multiset of (key, packets, octets, TCP flags, TTL range)
with replay's names mapped to the numbers fg_dpdk prints (times are not
compared: the capture's clock in replay, the TSC in fg_dpdk); the summary
fields both print must be equal. Prints one line saying what agreed, or
the first differences, and exits 1 on any.
"""
import ipaddress
import json
import sys

PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132,
          "gre": 47, "esp": 50}
FLAGS = "FSRPAUEC"


def addr(s):
    return None if s == "-" else ipaddress.ip_address(s).packed


def replay_flow(f):
    ver = f["ip_version"]
    proto = 0 if not ver else PROTOS.get(f["proto"]) or int(f["proto"])
    if "icmp_type" in f:
        sport, dport = 0, f["icmp_type"] << 8 | f["icmp_code"]
    else:
        sport, dport = f["sport"], f["dport"]
    flags = sum(1 << FLAGS.index(c) for c in f["tcp_flags"])
    return (ver, f.get("eth_proto") if not ver else None, proto,
            addr(f["src"]), addr(f["dst"]), sport, dport, f["vlan"],
            f["vlan_inner"], f.get("reason", "pass"), f["packets"],
            f["octets"], flags, f["ttl_min"], f["ttl_max"])


def dpdk_flow(f):
    ver = f["ip_version"]
    return (ver, f["eth_proto"] if not ver else None, f["proto"],
            addr(f["src"]), addr(f["dst"]), f["sport"], f["dport"],
            f["vlan"], f["vlan_inner"], f["reason"], f["packets"],
            f["octets"], f["tcp_flags"], f["ttl_min"], f["ttl_max"])


def overflow(f):
    """An overflow aggregate of either tool (replay names the protocol)."""
    proto = f["proto"]
    if isinstance(proto, str):
        proto = PROTOS.get(proto) or (0 if proto == "-" else int(proto))
    return ("overflow", f["ip_version"], proto, f["packets"], f["octets"])


def load(path, flow):
    pkts, flows, summary = [], [], None
    with open(path) as fh:
        for line in fh:
            o = json.loads(line)
            if "index" in o:
                pkts.append(o)
            elif "flow" in o:
                flows.append(flow(o["flow"]))
            elif "summary" in o:
                summary = o["summary"]
            elif "overflow" in o:
                flows.append(overflow(o["overflow"]))
    return pkts, flows, summary


def main():
    rp, rf, rs = load(sys.argv[1], replay_flow)
    dp, df, ds = load(sys.argv[2], dpdk_flow)
    errs = []
    if rs is None or ds is None:
        errs.append("no summary line (replay %s, fg_dpdk %s)" %
                    (rs is not None, ds is not None))
    if len(rp) != len(dp):
        errs.append("packets: replay %d lines, fg_dpdk %d" %
                    (len(rp), len(dp)))
    bad = [(a, b) for a, b in zip(rp, dp) if a != b]
    for a, b in bad[:5]:
        errs.append("packet %s: replay %s, fg_dpdk %s" %
                    (a.get("index"), json.dumps(a), json.dumps(b)))
    if len(bad) > 5:
        errs.append("... %d packets differ in all" % len(bad))
    rset, dset = sorted(rf, key=repr), sorted(df, key=repr)
    if rset != dset:
        only_r = [f for f in rset if f not in dset]
        only_d = [f for f in dset if f not in rset]
        errs.append("flows: replay %d, fg_dpdk %d; %d only in replay, "
                    "%d only in fg_dpdk" % (len(rf), len(df), len(only_r),
                                            len(only_d)))
        for f in only_r[:3]:
            errs.append("  replay only: %r" % (f,))
        for f in only_d[:3]:
            errs.append("  fg_dpdk only: %r" % (f,))
    if rs is not None and ds is not None:
        for k in ("packets", "passed", "dropped", "not_captured",
                  "reasons", "flow_records"):
            if rs.get(k) != ds.get(k):
                errs.append("summary %s: replay %s, fg_dpdk %s" %
                            (k, rs.get(k), ds.get(k)))
        for k, v in ds["accounting"].items():
            if rs["accounting"].get(k) != v:
                errs.append("summary accounting.%s: replay %s, fg_dpdk %s"
                            % (k, rs["accounting"].get(k), v))
    if errs:
        print("\n".join(errs))
        return 1
    drops = sum(1 for p in rp if p["verdict"] == "drop")
    ovf = sum(1 for f in rf if f[0] == "overflow")
    print("%d packets (%d dropped), %d flows%s agree" %
          (len(rp), drops, len(rf) - ovf,
           " and %d overflow aggregates" % ovf if ovf else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
