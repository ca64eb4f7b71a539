#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What a collector decoded against what was sent, for the interop tests.

ix_compare.py --collector nfdump|nfacctd|tshark|ours --records FILE
              --expect FILE[:REASON[:RECORDS]]... [options]

The expectations come from tests/e2e/flow_send.py EXPECT files: one entry
per flow as flowgate keys it (IP version, protocol, addresses, ports,
outer VLAN) with the packets, octets and OR of TCP flags of the very frames
sent, and the wall clock just before its first frame and just after its
last. REASON is the flowgate drop reason the guard gives those frames
(0: forwarded); RECORDS, the fewest records each of those flows must come
in (flows longer than the active timeout). Collector output is read as each
collector writes it:

  nfdump   `nfdump -R DIR -o json` (run with TZ=UTC)
  nfacctd  print plugin, JSON lines (timestamps_utc, print_num_protos,
           custom primitives flow_dir (61), fwd_status (89), fg_reason
           (32473:1))
  tshark   `tshark -T pdml` of the IPFIX messages
  ours     `tests/lib/ipfix.py decode` JSON lines

Only ingress records (flowDirection 0) from the sender's addresses are
compared: the receiver's own replies (TCP resets, ICMP errors) are egress
flows that nothing here predicts. Records of one flow are summed (an
active timeout may split it). Prints one line per check:
"ok|not ok<TAB>name[<TAB>detail...]".

Flow times: the first record's start must lie within TOL of the window
around the send of the flow's first frame, and the last record's end within
TOL of the window around its last (--tol-ms, default
20): flowgate's flow clock is the kernel's coarse clock, which lags by up to
a jiffy (4 ms at HZ=250, 10 ms at HZ=100), and collectors keep at least
milliseconds.

Sampled runs (--scale N --raw OURS): the collector must show N times what
was exported (OURS: our decoder over the same export), and the exported
packets plus flowgate's sampled_out counter (--sampled-out K) must equal
the packets sent.
"""
import argparse
import calendar
import ipaddress
import json
import sys
import time
import xml.etree.ElementTree as ET

NFDUMP_FLAGS = "CEUAPRSF"  # nfdump's tcp_flags string, bit 7 .. bit 0


def addr(a):
    return str(ipaddress.ip_address(a))


def utc_ms(text, fmt):
    """'2026-11-24 22:16:09.397000' / '...T22:16:09.397' -> Unix ms."""
    whole, _, frac = text.partition(".")
    sec = calendar.timegm(time.strptime(whole, fmt))
    return sec * 1000 + int((frac + "000")[:3])


def rec(ver, proto, src, dst, sport, dport, vlan, **kw):
    r = {"key": (ver, proto, addr(src), addr(dst), sport, dport, vlan)}
    r.update(kw)
    return r


# ---- collectors ------------------------------------------------------------

def from_nfdump(path):
    out = []
    for r in json.load(open(path)):
        if r.get("type") != "FLOW":
            continue
        v6 = "src6_addr" in r
        flags = 0
        for i, c in enumerate(r.get("tcp_flags", "........")):
            if c != ".":
                flags |= 1 << (7 - i)
        icmp = r["proto"] in (1, 58)
        out.append(rec(
            6 if v6 else 4, r["proto"],
            r["src6_addr" if v6 else "src4_addr"],
            r["dst6_addr" if v6 else "dst4_addr"],
            0 if icmp else r.get("src_port", 0),
            0 if icmp else r.get("dst_port", 0), r.get("src_vlan", 0),
            packets=r["in_packets"], octets=r["in_bytes"], flags=flags,
            dir=r.get("direction", 0), in_if=r.get("input_snmp"),
            start=utc_ms(r["first"], "%Y-%m-%dT%H:%M:%S"),
            end=utc_ms(r["last"], "%Y-%m-%dT%H:%M:%S"),
            fwd=r.get("fwd_status"), sampled=r.get("sampled")))
    return out, []


def from_nfacctd(path):
    out = []
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if "ip_src" not in r:
            continue
        src = r["ip_src"]
        out.append(rec(
            6 if ":" in src else 4, int(r["ip_proto"]), src, r["ip_dst"],
            r["port_src"], r["port_dst"], r.get("vlan", 0),
            packets=r["packets"], octets=r["bytes"],
            flags=int(r.get("tcp_flags", 0)),
            dir=int(r.get("flow_dir", 0)), in_if=r.get("iface_in"),
            start=utc_ms(r["timestamp_start"], "%Y-%m-%d %H:%M:%S"),
            end=utc_ms(r["timestamp_end"], "%Y-%m-%d %H:%M:%S"),
            fwd=int(r["fwd_status"]) if "fwd_status" in r else None,
            reason=int(r["fg_reason"]) if "fg_reason" in r else None,
            rate=r.get("sampling_rate")))
    return out, []


def _pdml_fields(node, f):
    for c in node.findall("field"):
        n = c.get("name")
        if n and n not in f:
            f[n] = c
        _pdml_fields(c, f)


def from_tshark(path):
    """Every 'Flow N' subtree of every cflow layer: data records of
    flows and options alike."""
    out, opts = [], []
    for proto in ET.parse(path).getroot().iter("proto"):
        if proto.get("name") != "cflow":
            continue
        for node in proto.iter("field"):
            if node.get("name") or not (node.get("show") or "").startswith(
                    "Flow "):
                continue
            f = {}
            _pdml_fields(node, f)
            if "cflow.packets" not in f:
                opts.append({k: v.get("show") for k, v in f.items()})
            elif "cflow.srcaddr" in f or "cflow.srcaddrv6" in f:
                out.append(_tshark_flow(f))  # not the non-IP records
    return out, opts


def _tshark_flow(f):
    def num(name, default=0):
        n = f.get(name)
        return int(n.get("show"), 0) if n is not None else default

    def raw(name):
        return int(f[name].get("value"), 16) if name in f else None

    v6 = "cflow.srcaddrv6" in f
    flags = f.get("cflow.tcpflags") or f.get("cflow.tcpflags16")
    fwd = None
    if "cflow.forwarding_status" in f:
        fwd = int(f["cflow.forwarding_status"].get("unmaskedvalue"), 16)
    return rec(
        6 if v6 else 4, num("cflow.protocol"),
        f["cflow.srcaddrv6" if v6 else "cflow.srcaddr"].get("show"),
        f["cflow.dstaddrv6" if v6 else "cflow.dstaddr"].get("show"),
        num("cflow.srcport"), num("cflow.dstport"), num("cflow.vlanid"),
        packets=num("cflow.packets"), octets=num("cflow.octets"),
        flags=int(flags.get("value"), 16) if flags is not None else 0,
        flags_len=int(flags.get("size")) if flags is not None else 0,
        dir=num("cflow.direction"), in_if=num("cflow.inputint"),
        start=raw("cflow.abstimestart"), end=raw("cflow.abstimeend"),
        fwd=fwd,
        reason=tshark_reason(f.get("cflow.enterprise_private_entry")))


def tshark_reason(e):
    """PEN 32473 IE 1 (dropReason): tshark shows unknown enterprise IEs as
    'Type N: Value (hex bytes): ..'. _pdml_fields keeps the first entry of
    a name, and IE 1 is the first enterprise IE of flowgate's templates."""
    if e is not None and "Type 1:" in (e.get("showname") or ""):
        return int(e.get("value"), 16)
    return None


def from_ours(path):
    out, opts = [], []
    for line in open(path):
        r = json.loads(line)
        if r["_kind"] != "flow":
            opts.append(r)
            continue
        if "src4" not in r and "src6" not in r:
            continue  # non-IP frames
        v6 = "src6" in r
        out.append(rec(
            6 if v6 else 4, r["proto"], r["src6" if v6 else "src4"],
            r["dst6" if v6 else "dst4"], r["sport"], r["dport"], r["vlan"],
            packets=r["packets"], octets=r["octets"], flags=r["tcp_flags"],
            dir=r["direction"], in_if=r["in_if"], start=r["start_ms"],
            end=r["end_ms"], fwd=r["fwd_status"], reason=r.get("fg_reason")))
    return out, opts


READERS = {"nfdump": from_nfdump, "nfacctd": from_nfacctd,
           "tshark": from_tshark, "ours": from_ours}


# ---- checks ----------------------------------------------------------------

class Report:
    def __init__(self):
        self.lines = []

    def check(self, name, bad, total=None):
        """bad: list of strings, one per mismatch (empty: ok)."""
        if total is not None:
            name = "%s (%d flows)" % (name, total)
        if bad:
            self.lines.append("not ok\t%s\t%s" % (
                name, "\t".join(bad[:8] + (["... %d more" % (len(bad) - 8)]
                                           if len(bad) > 8 else []))))
        else:
            self.lines.append("ok\t%s" % name)

    def eq(self, name, got, want):
        self.check(name, [] if got == want else
                   ["got %r, want %r" % (got, want)])


def load_expect(specs):
    want = {}
    for spec in specs:
        path, _, rest = spec.partition(":")
        reason, _, minrec = rest.partition(":")
        for e in json.load(open(path)):
            k = (e["ver"], e["proto"], addr(e["src"]), addr(e["dst"]),
                 e["sport"], e["dport"], e["vlan"])
            if k in want:
                raise SystemExit("flow %r in two sets" % (k,))
            e["reason"] = int(reason or 0)
            e["minrec"] = int(minrec or 0)
            want[k] = e
    return want


def group(recs, senders):
    got = {}
    for r in recs:
        if r["key"][2] not in senders or r["dir"] != 0:
            continue
        got.setdefault(r["key"], []).append(r)
    return got


def fwd_status(reason):
    """forwardingStatus flowgate sends (ctl/export/ipfix.c ipfix_fwd_status) for
    the reasons the sets use: forwarded, tcp-flags (ACL deny)."""
    return {0: 0x40, 18: 0x81}[reason]


def check_flows(rep, args, want, got):
    keys = sorted(want, key=str)
    name = lambda k: "%s %s:%d > %s:%d proto %d vlan %d" % (
        "v%d" % k[0], k[2], k[4], k[3], k[5], k[1], k[6])
    rep.check("every flow sent is there", [name(k) for k in keys
                                            if k not in got], len(keys))
    rep.check("no flow that was not sent",
              [name(k) for k in got if k not in want])
    both = [k for k in keys if k in got]
    total = lambda k, f: sum(r[f] for r in got[k])

    rep.check("packets per flow", [
        "%s: %d, want %d" % (name(k), total(k, "packets"),
                             want[k]["packets"])
        for k in both if total(k, "packets") != want[k]["packets"]],
        len(both))
    rep.check("octets per flow", [
        "%s: %d, want %d" % (name(k), total(k, "octets"), want[k]["octets"])
        for k in both if total(k, "octets") != want[k]["octets"]],
        len(both))
    check_flags(rep, args, want, got, both, name)
    rep.check("VLAN 42 flows keep their VLAN ID", [] if any(
        k[6] == 42 for k in both) or not any(k[6] == 42 for k in keys)
        else ["no VLAN 42 flow decoded"],
        sum(1 for k in both if k[6] == 42))
    rep.check("direction ingress, input interface %d" % args.ifindex, [
        "%s: in_if %s" % (name(k), r["in_if"])
        for k in both for r in got[k] if r["in_if"] != args.ifindex],
        len(both))
    check_times(rep, args, want, got, both, name)
    check_drops(rep, args, want, got, both, name)
    split = [k for k in both if want[k]["minrec"]]
    if split:
        rep.check("long flows in several records (active timeout)", [
            "%s: %d records, want %d or more" % (
                name(k), len(got[k]), want[k]["minrec"])
            for k in split if len(got[k]) < want[k]["minrec"]], len(split))
    sent = sum(e["packets"] for e in want.values())
    rep.eq("total packets of the sender's flows = %d sent" % sent,
           sum(total(k, "packets") for k in got), sent)
    sent_o = sum(e["octets"] for e in want.values())
    rep.eq("total octets of the sender's flows = %d sent" % sent_o,
           sum(total(k, "octets") for k in got), sent_o)


def check_flags(rep, args, want, got, both, name):
    tcp = [k for k in both if k[1] == 6]
    orf = lambda k: eval_or(r["flags"] for r in got[k])
    if args.flags == "zero":
        rep.check("TCP flags shown as 0 (collector ignores this width)", [
            "%s: 0x%02x" % (name(k), orf(k)) for k in tcp if orf(k)],
            len(tcp))
        return
    rep.check("TCP flags OR-ed per flow", [
        "%s: 0x%02x, want 0x%02x" % (name(k), orf(k), want[k]["tcp_flags"])
        for k in tcp if orf(k) != want[k]["tcp_flags"]], len(tcp))
    if args.flags_len:
        rep.check("tcpControlBits in %d octets" % args.flags_len, [
            "%s: %s" % (name(k), r.get("flags_len")) for k in tcp
            for r in got[k] if r.get("flags_len") != args.flags_len])


def eval_or(vals):
    v = 0
    for x in vals:
        v |= x
    return v


def check_times(rep, args, want, got, both, name, subset=False):
    tol, bad = args.tol_ms, []
    for k in both:
        start = min(r["start"] for r in got[k])
        end = max(r["end"] for r in got[k])
        w = want[k]
        lo, hi = w["first_ms"] - tol, w["last_ms"] + tol
        if subset:  # sampled: any packets of the flow
            ok = lo <= start <= end <= hi
        else:
            # A frame left between the clock reads before and after its
            # send (a loaded sender can sleep between them): its time lies
            # in that window, not at one end of it.
            ok = (w["first_ms"] - tol <= start <= w["first_hi_ms"] + tol and
                  w["last_lo_ms"] - tol <= end <= w["last_ms"] + tol and
                  start <= end)
        if not ok:
            bad.append("%s: start %+d ms, end %+d ms" % (
                name(k), start - w["first_ms"], end - w["last_ms"]))
    rep.check("start and end within %d ms of the first and last frame" %
              tol, bad, len(both))


def check_drops(rep, args, want, got, both, name):
    if args.fwd != "skip":
        bad = []
        for k in both:
            expect = 0 if args.fwd == "ignored" else \
                fwd_status(want[k]["reason"])
            bad += ["%s: %s, want %d" % (name(k), r["fwd"], expect)
                    for r in got[k] if r["fwd"] != expect]
        rep.check("forwardingStatus %s" % (
            "shown as 0 (ignored by this collector)"
            if args.fwd == "ignored" else "64 forwarded, 129 dropped (ACL)"),
            bad, len(both))
    if args.reason:
        rep.check("flowgate drop reason (PEN IE 1)", [
            "%s: %s, want %d" % (name(k), r.get("reason"),
                                 want[k]["reason"])
            for k in both for r in got[k]
            if r.get("reason") != want[k]["reason"]], len(both))
    drops = [k for k in want if want[k]["reason"]]
    if drops:
        rep.check("dropped flows decoded", [
            name(k) for k in drops if k not in got], len(drops))


def check_sampled(rep, args, want, got, raw):
    n = args.scale
    name = lambda k: "%s:%d > %s:%d" % (k[2], k[4], k[3], k[5])
    total = lambda g, k, f: sum(r[f] for r in g[k])
    rep.check("exported flows are flows that were sent",
              [name(k) for k in raw if k not in want])
    rep.check("the collector has every exported flow",
              [name(k) for k in raw if k not in got], len(raw))
    rep.check("no flow that was not exported",
              [name(k) for k in got if k not in raw])
    both = [k for k in raw if k in got]
    for f in ("packets", "octets"):
        rep.check("%s = %d x exported, per flow" % (f, n), [
            "%s: %d, exported %d" % (name(k), total(got, k, f),
                                     total(raw, k, f))
            for k in both if total(got, k, f) != n * total(raw, k, f)],
            len(both))
    tcp = [k for k in both if k[1] == 6]
    orf = lambda k: eval_or(r["flags"] for r in got[k])
    if args.flags == "zero":
        rep.check("TCP flags shown as 0 (collector ignores this width)",
                  [name(k) for k in tcp if orf(k)], len(tcp))
    else:
        rep.check("sampled flows' TCP flags within what was sent", [
            name(k) for k in tcp if orf(k) & ~want[k]["tcp_flags"]],
            len(tcp))
    check_times(rep, args, want, got, both, name, subset=True)
    if args.rate is not None:
        rep.check("sampling rate %d on every record" % args.rate, [
            "%s: %s" % (name(k), r.get("rate")) for k in both
            for r in got[k] if r.get("rate") != args.rate], len(both))
    sent = sum(e["packets"] for e in want.values())
    exported = sum(total(raw, k, "packets") for k in raw)
    rep.eq("exported %d + sampled out %d = %d sent" % (
        exported, args.sampled_out, sent), exported + args.sampled_out,
        sent)
    rep.check("sampling took some and left some",
              [] if 0 < exported < sent else ["exported %d of %d" %
                                              (exported, sent)])


def check_options(rep, opts, wanted):
    for spec in wanted:
        field, _, value = spec.partition("=")
        hits = [o.get(field) for o in opts if field in o]
        rep.check("options record %s = %s" % (field, value), [] if any(
            str(h) == value for h in hits) else
            ["seen: %s" % (sorted(set(map(str, hits))) or "none")])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--collector", required=True, choices=READERS)
    ap.add_argument("--records", required=True)
    ap.add_argument("--expect", action="append", required=True)
    ap.add_argument("--senders", default="192.0.2.1,2001:db8::1")
    ap.add_argument("--ifindex", type=int, required=True)
    ap.add_argument("--tol-ms", type=int, default=20)
    ap.add_argument("--flags", choices=("exact", "zero"), default="exact")
    ap.add_argument("--flags-len", type=int, default=0)
    ap.add_argument("--fwd", choices=("exact", "ignored", "skip"),
                    default="skip")
    ap.add_argument("--reason", action="store_true")
    ap.add_argument("--scale", type=int, default=0)
    ap.add_argument("--raw")
    ap.add_argument("--sampled-out", type=int, default=0)
    ap.add_argument("--rate", type=int)
    ap.add_argument("--option", action="append", default=[])
    args = ap.parse_args()

    senders = {addr(a) for a in args.senders.split(",")}
    want = load_expect(args.expect)
    recs, opts = READERS[args.collector](args.records)
    got = group(recs, senders)
    rep = Report()
    if args.scale:
        raw, _ = from_ours(args.raw)
        check_sampled(rep, args, want, got, group(raw, senders))
    else:
        check_flows(rep, args, want, got)
    check_options(rep, opts, args.option)
    print("\n".join(rep.lines))


if __name__ == "__main__":
    main()
