#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers of tests/e2e/test_capture.sh.

  capture_check.py send --iface IF --set SET [send_mix.py address options]
      send a set of scripts/send_mix.py and print the frames as JSON:
      [{"name", "hex", "drop", "hits"}], in the order sent
  capture_check.py check TSHARK_JSON FRAMES_JSON [--snaplen N] [--ifname IF]
      [--reasons a,b] [--verdict drop|pass|all]
      compare what tshark read (tshark -T json -x) with the frames sent that
      the selection takes: one TAP-like line per assertion, "ok<TAB>name" or
      "not ok<TAB>name<TAB>detail"
  capture_check.py fields TSHARK_JSON
      print each packet's comment, wire length and captured length
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "scripts"))


def send(argv):
    import argparse
    import send_mix
    from scapy.all import conf, sendp
    import ipaddress
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    send_mix.add_frame_args(ap)
    ap.add_argument("--set", default="mix")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    b = ipaddress.IPv6Address(a.dst6).packed
    a.dst6_mac_tail = ":%02x:%02x:%02x" % (b[13], b[14], b[15])
    conf.verb = 0
    fl = send_mix.frames(a, a.set) * max(1, a.repeat)
    raw = [bytes(f) for _, f, _, _ in fl]
    for i in range(0, len(raw), 64):
        sendp(raw[i:i + 64], iface=a.iface, verbose=0)
    json.dump([{"name": n, "hex": r.hex(), "drop": d, "hits": h}
               for (n, _, d, h), r in zip(fl, raw)], sys.stdout)
    print()


def packets(path):
    """(layers, raw bytes) of each packet of tshark -T json -x output."""
    with open(path) as f:
        doc = json.load(f)
    out = []
    for p in doc:
        lay = p["_source"]["layers"]
        raw = lay.get("frame_raw")
        if isinstance(raw, list):
            raw = raw[0]
        out.append((lay, bytes.fromhex(raw or "")))
    return out


def comment(lay):
    """The packet comment, wherever this tshark version puts it."""
    fr = lay.get("frame", {})
    for k in ("frame.comment", "pkt_comment"):
        if k in fr:
            return fr[k]
    pc = lay.get("pkt_comment") or fr.get("frame.comment_tree") or {}
    if isinstance(pc, dict):
        for k in ("frame.comment", "pkt_comment"):
            if k in pc:
                return pc[k]
    return None


def check(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("tshark")
    ap.add_argument("frames")
    ap.add_argument("--snaplen", type=int, default=1536)
    ap.add_argument("--ifname")
    ap.add_argument("--reasons", default="")
    ap.add_argument("--verdict", default="drop")
    a = ap.parse_args(argv)
    with open(a.frames) as f:
        sent = json.load(f)
    reasons = set(filter(None, a.reasons.split(",")))

    def taken(fr):
        if a.verdict == "drop" and not fr["drop"]:
            return False
        if a.verdict == "pass" and fr["drop"]:
            return False
        return not reasons or bool(reasons & set(fr["hits"]))
    want = [fr for fr in sent if taken(fr)]
    got = packets(a.tshark)
    lines = []

    def res(ok, name, detail=""):
        lines.append(("ok" if ok else "not ok") + "\t" + name +
                     ("\t" + detail if not ok and detail else ""))
    res(len(got) == len(want), "%d packets in the capture" % len(want),
        "got %d" % len(got))
    bad_bytes = bad_len = bad_comment = bad_if = bad_dir = 0
    detail = ""
    for (lay, raw), fr in zip(got, want):
        b = bytes.fromhex(fr["hex"])
        fl = lay.get("frame", {})
        if raw != b[:a.snaplen]:
            bad_bytes += 1
            detail = detail or "%s: %d bytes differ" % (fr["name"], len(b))
        if int(fl.get("frame.len", -1)) != len(b) or \
                int(fl.get("frame.cap_len", -1)) != min(len(b), a.snaplen):
            bad_len += 1
        c = comment(lay) or ""
        verdict = "drop" if fr["drop"] else "pass"
        reason = fr["drop"] or "none"
        if "verdict=%s reason=%s " % (verdict, reason) not in c + " ":
            bad_comment += 1
            detail = detail or "%s: comment %r" % (fr["name"], c)
        ift = fl.get("frame.interface_id_tree", {})
        if a.ifname and ift.get("frame.interface_name") != a.ifname:
            bad_if += 1
        flt = fl.get("frame.packet_flags_tree", {})
        if int(flt.get("frame.packet_flags_direction", "0"), 0) != 1:
            bad_dir += 1
    n = min(len(got), len(want))
    res(n and not bad_bytes, "packets byte-identical up to snaplen %d, in "
        "order" % a.snaplen, detail)
    res(n and not bad_len, "wire and captured lengths as sent",
        "%d differ" % bad_len)
    res(n and not bad_comment, "each packet's comment has its verdict and "
        "reason", detail)
    if a.ifname:
        res(n and not bad_if, "interface name %s" % a.ifname,
            "%d differ" % bad_if)
    res(n and not bad_dir, "direction inbound in the EPB flags",
        "%d differ" % bad_dir)
    print("\n".join(lines))


def fields(argv):
    for lay, raw in packets(argv[0]):
        fl = lay.get("frame", {})
        print("%s\t%s\t%s\t%d" % (comment(lay), fl.get("frame.len"),
                                  fl.get("frame.cap_len"), len(raw)))


if __name__ == "__main__":
    {"send": send, "check": check, "fields": fields}[sys.argv[1]](
        sys.argv[2:])
