#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helper of tests/pcap/test_replay_capture.sh: what `replay PCAP capture
FILE` wrote, as tshark reads it, against the capture replayed (also read by
tshark) and replay's own verdicts (-j lines). Prints "ok<TAB>name" or
"not ok<TAB>name<TAB>detail" lines.

  capture_cmp.py same ORIG.json OUT.json VERDICTS.jsonl [--verdict drop|pass|all]
      [--snaplen N] [--link-hdr N]: the packets of the selected verdicts, in order, with
      their bytes (up to snaplen), wire length, timestamp, and comment
  capture_cmp.py gcra ORIG.json VERDICTS.jsonl PPS BURST [--verdict ...]
      print how many packets a GCRA bucket of PPS and BURST takes on the
      capture's clock (it never goes back)
"""
import json
import sys


def load(path):
    out = []
    for p in json.load(open(path)):
        lay = p["_source"]["layers"]
        fr = lay["frame"]
        raw = lay.get("frame_raw")
        if isinstance(raw, list):
            raw = raw[0]
        sec, _, frac = fr["frame.time_epoch"].partition(".")
        ns = int(sec) * 10**9 + int((frac + "000000000")[:9])
        c = lay.get("pkt_comment", {})
        c = c.get("frame.comment") if isinstance(c, dict) else None
        out.append({"raw": bytes.fromhex(raw or ""), "len": int(fr["frame.len"]),
                    "ns": ns, "comment": c or fr.get("frame.comment")})
    return out


def verdicts(path):
    v = []
    for line in open(path):
        d = json.loads(line)
        if "index" in d:
            v.append((d["index"], d.get("reason")))
    return v


def picked(v, which):
    return [(i, r) for i, r in v if which == "all" or
            (which == "drop") == (r is not None)]


def same(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("orig")
    ap.add_argument("out")
    ap.add_argument("verdicts")
    ap.add_argument("--verdict", default="drop")
    ap.add_argument("--snaplen", type=int, default=1536)
    ap.add_argument("--link-hdr", type=int, default=-1,
                    help="the original's link header, which replay "
                    "replaces by a 14-byte Ethernet header (-1: Ethernet)")
    a = ap.parse_args(argv)
    orig, out = load(a.orig), load(a.out)
    want = picked(verdicts(a.verdicts), a.verdict)
    res = []
    res.append((len(out) == len(want), "%d packets written" % len(want),
                "got %d" % len(out)))
    bad = []
    for (i, r), o in zip(want, out):
        p = dict(orig[i - 1])
        if a.link_hdr >= 0:  # compare what follows the link header
            body = p["raw"][a.link_hdr:]
            p["raw"] = o["raw"][:14] + body
            p["len"] = p["len"] - a.link_hdr + 14
        if o["raw"] != p["raw"][:a.snaplen]:
            bad.append("packet %d: bytes" % i)
        elif o["len"] != p["len"]:
            bad.append("packet %d: length %d, not %d" % (i, o["len"], p["len"]))
        elif o["ns"] != p["ns"]:
            bad.append("packet %d: time %d, not %d" % (i, o["ns"], p["ns"]))
        elif not (o["comment"] or "").startswith(
                "verdict=%s reason=%s " % ("drop" if r else "pass", r or "none")):
            bad.append("packet %d: comment %r" % (i, o["comment"]))
    res.append((want and not bad, "bytes, lengths, times and comments as "
                "replayed", "; ".join(bad[:3])))
    for ok, name, detail in res:
        print(("ok\t%s" % name) if ok else "not ok\t%s\t%s" % (name, detail))


def gcra(argv):
    orig, v = load(argv[0]), verdicts(argv[1])
    pps, burst = int(argv[2]), int(argv[3])
    which = argv[5] if len(argv) > 5 else "drop"
    interval = 10**9 // pps
    tau = (burst - 1) * interval
    tat, clock, n = 0, 0, 0
    sel = set(i for i, _ in picked(v, which))
    for i, p in enumerate(orig, 1):
        clock = max(clock, p["ns"])
        if i not in sel:
            continue
        t = max(tat, clock)
        if t - clock > tau:
            continue
        tat = t + interval
        n += 1
    print(n)


if __name__ == "__main__":
    {"same": same, "gcra": gcra}[sys.argv[1]](sys.argv[2:])
