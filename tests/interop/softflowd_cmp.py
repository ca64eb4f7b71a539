#!/usr/bin/python3
"""Compares the flows of `flowgate replay -j CAPTURE` with softflowd's
(`softflowd -r CAPTURE`, IPFIX into nfcapd, read back with
`nfdump -o json`) and puts every packet of a difference in a class; see
doc/flowgate.8, "replay and softflowd".

    softflowd_cmp.py FLOWGATE_JSONL NFDUMP_JSON [QINQ_FRAMES]
    softflowd_cmp.py --export FLOWGATE_JSONL NFDUMP_JSON
    softflowd_cmp.py --split NFDUMP_JSON FLOWGATE_JSONL...

FLOWGATE_JSONL: flowgate's flows (`flow` lines) or, with an export, the
records it sent (`record` lines). --export checks that those records are
what nfcapd stored from flowgate's own IPFIX export, 5-tuple by 5-tuple.

--split: one replay of several captures exported to one nfcapd, whose
records are in the order they came, capture after capture. Each
FLOWGATE_JSONL (a capture's -j lines, in the replay's order) takes as
many of them as its summary says it exported, the last one the rest too
(so that a record too many or too few shows there, or where the counts
stop matching), written beside it as NAME.nf.json; prints a line per
capture: records exported, records taken.

QINQ_FRAMES: how many frames of the capture carry two VLAN tags (the test
counts them with tshark), for fg-vlan: a tag with VLAN ID 0 leaves no
trace in a flow key.

Both sides are summed per 5-tuple (protocol, addresses, ports; ICMP type
and code in the destination port, as nfdump and flowgate both do), and
reconciled in three steps, each class taking what it can explain:

 1. per 5-tuple, the same packets:
    same          and the same octets
    l2-bytes      other octets: softflowd counts the frame after the link
                  header (Ethernet padding and trailers included, and
                  only what a capture kept of a cut frame), flowgate the
                  length the IP header gives (IPFIX octetDeltaCount)
 2. per address pair, protocol and ports left aside:
    ports         the same packets under other protocols or ports:
                  fragments (softflowd gives later fragments ports 0, and
                  IPv6 ones protocol 0; flowgate lends them the first
                  fragment's ports) and packets flowgate dropped before it
                  read L4 (such a drop flow has ports 0)
    fg-malformed  flowgate has more, all in drop flows: softflowd discards
                  what it cannot parse (bad version or header length,
                  truncated headers)
    fg-vlan       flowgate has more, in VLAN flows or at most as many as
                  the capture has double-tagged frames: softflowd reads
                  one 802.1Q tag, not two (QinQ, 802.1ad)
 3. over the capture:
    unparsed      softflowd has more under some addresses, flowgate has
                  at least as many packets it could not give addresses:
                  dropped before the IP addresses were read (a drop flow
                  with zero addresses) or not IP to it (MPLS, whose IP
                  softflowd reads under the labels)
    unexplained   anything else: the test fails

Frames that are not IP (ARP, LLDP, MPLS...) are flowgate flows of their
own (ip_version 0), which softflowd does not export: `fg-non-ip`, outside
the comparison except as step 3's MPLS pool.

Prints one line per class: class, then flowgate's records, packets and
octets, then softflowd's. Exit status 0 when nothing is unexplained.
"""
import collections
import json
import sys

PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132,
          "gre": 47, "esp": 50}
MPLS = (0x8847, 0x8848)
ZERO = ("0.0.0.0", "::")
CLASSES = ("same", "l2-bytes", "ports", "fg-malformed", "fg-vlan",
           "unparsed", "unexplained", "fg-non-ip")


def entry():
    return {"p": 0, "o": 0, "n": 0, "drop": 0, "vlan": 0}


def add(e, packets, octets, n=1, drop=0, vlan=0):
    e["p"] += packets
    e["o"] += octets
    e["n"] += n
    e["drop"] += drop
    e["vlan"] += vlan


def load_flowgate(path):
    """Per 5-tuple entries, the non-IP entry, and the pool of packets
    without addresses (MPLS frames, drop flows with zero addresses)."""
    t = collections.defaultdict(entry)
    non_ip, pool = entry(), entry()
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            # without an export, the table's flows; with one, the
            # records it sent (a flow's records sum to the flow)
            r = o.get("flow") or o.get("record", {}).get("flow")
            if not r:
                continue
            if r["ip_version"] == 0:
                add(non_ip, r["packets"], r["octets"])
                if r["eth_proto"] in MPLS:
                    add(pool, r["packets"], r["octets"])
                continue
            if "reason" in r and r["src"] in ZERO and r["dst"] in ZERO:
                add(pool, r["packets"], r["octets"], drop=r["packets"])
                continue
            proto = PROTOS.get(r["proto"]) or int(r["proto"])
            if "icmp_type" in r:
                ports = (0, r["icmp_type"] << 8 | r["icmp_code"])
            else:
                ports = (r["sport"], r["dport"])
            drop = r["packets"] if "reason" in r else 0
            vlan = r["packets"] if r["vlan"] or r["vlan_inner"] else 0
            add(t[(proto, r["src"], r["dst"]) + ports], r["packets"],
                r["octets"], drop=drop, vlan=vlan)
    return t, non_ip, pool


def load_nfdump(path):
    t = collections.defaultdict(entry)
    with open(path) as f:
        text = f.read().strip()
    # nfdump 1.7.1 prints "[" and "]" with nothing valid between them
    # when there are no flows.
    for r in json.loads(text) if "{" in text else []:
        if r.get("type") != "FLOW":
            continue
        src = r.get("src4_addr") or r.get("src6_addr")
        dst = r.get("dst4_addr") or r.get("dst6_addr")
        if "icmp_type" in r:
            ports = (0, r["icmp_type"] << 8 | r["icmp_code"])
        else:
            ports = (r.get("src_port", 0), r.get("dst_port", 0))
        add(t[(r["proto"], src, dst) + ports], r["in_packets"],
            r["in_bytes"])
    return t


class Result:
    def __init__(self):
        self.c = {k: [0] * 6 for k in CLASSES}
        self.detail = []

    def put(self, cls, fg, sf, what=None):
        v = self.c[cls]
        for i, e in enumerate((fg, sf)):
            if e:
                v[3 * i] += e["n"]
                v[3 * i + 1] += e["p"]
                v[3 * i + 2] += e["o"]
        if cls == "unexplained":
            self.detail.append(f"{what}: flowgate {fg} softflowd {sf}")


def classify(fg, sf, non_ip, pool, qinq):
    res = Result()
    pairs = collections.defaultdict(lambda: (entry(), entry()))
    for k in sorted(set(fg) | set(sf), key=str):
        a, b = fg.get(k), sf.get(k)
        if a and b and a["p"] == b["p"]:
            res.put("same" if a["o"] == b["o"] else "l2-bytes", a, b)
            continue
        ga, gb = pairs[k[1:3]]
        for e, g in ((a, ga), (b, gb)):
            if e:
                add(g, e["p"], e["o"], e["n"], e["drop"], e["vlan"])
    excess = entry()  # softflowd's packets left for step 3
    for k, (a, b) in sorted(pairs.items(), key=str):
        more = a["p"] - b["p"]
        if more == 0:
            res.put("ports", a, b)
        elif more > 0 and a["drop"] >= more:
            res.put("fg-malformed", a, b)
        elif more > 0 and a["vlan"] >= more:
            res.put("fg-vlan", a, b)
        elif more > 0 and qinq >= more:
            qinq -= more
            res.put("fg-vlan", a, b)
        elif more < 0:
            # What both have is a ports difference; the rest is step 3's.
            share = {"p": a["p"], "o": min(a["o"], b["o"]), "n": 0}
            res.put("ports", a, share)
            add(excess, -more, b["o"] - share["o"], b["n"])
        else:
            res.put("unexplained", a, b, k)
    if excess["p"] <= pool["p"]:
        used = {"p": excess["p"], "o": 0, "n": 0}
        res.put("unparsed", used, excess)
        rest = {"p": pool["p"] - excess["p"], "o": pool["o"], "n": pool["n"]}
        if rest["p"]:
            res.put("fg-malformed", rest, None)
    else:
        res.put("unexplained", pool, excess, "softflowd's surplus")
    if non_ip["n"]:
        res.put("fg-non-ip", non_ip, None)
    return res


def same_export(fg_jsonl, nfdump_json):
    """--export: the records replay says it exported (its -j lines) are
    what nfcapd stored, per 5-tuple, packets and octets."""
    fg, non_ip, pool = load_flowgate(fg_jsonl)
    nf = load_nfdump(nfdump_json)
    bad = [k for k in fg if (fg[k]["p"], fg[k]["o"], fg[k]["n"]) !=
           (nf.get(k, entry())["p"], nf.get(k, entry())["o"],
            nf.get(k, entry())["n"])]
    total = 0
    with open(fg_jsonl) as f:
        for line in f:
            total += json.loads(line).get("record", {}).get(
                "flow", {}).get("packets", 0)
    nf_total = sum(e["p"] for e in nf.values())
    for k in bad[:5]:
        print("# %s: replay %s, nfcapd %s" % (k, fg[k], nf.get(k)))
    print("# %d 5-tuples, %d packets exported, %d in nfcapd (non-IP %d)"
          % (len(fg), total, nf_total, non_ip["p"]))
    return 1 if bad or total != nf_total else 0


def exported(fg_jsonl):
    """The records a capture's summary says it exported (0 without a
    summary: the capture that failed)."""
    with open(fg_jsonl) as f:
        lines = f.read().splitlines()
    if not lines or not lines[-1].startswith('{"summary":'):
        return 0
    e = json.loads(lines[-1])["summary"]["export"]
    return sum(e[k] for k in e if k.startswith("records_"))


def split(nfdump_json, fg_jsonls):
    """--split: nfcapd's records cut capture by capture."""
    with open(nfdump_json) as f:
        text = f.read().strip()
    recs = json.loads(text) if "{" in text else []
    at = 0
    for i, path in enumerate(fg_jsonls):
        sent = exported(path)
        part, n = [], 0
        while at < len(recs) and (n < sent or i == len(fg_jsonls) - 1):
            n += recs[at].get("type") == "FLOW"
            part.append(recs[at])
            at += 1
        with open(path.removesuffix(".jsonl") + ".nf.json", "w") as f:
            json.dump(part, f)
        print(sent, n)
    return 0


def main():
    if sys.argv[1] == "--export":
        return same_export(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "--split":
        return split(sys.argv[2], sys.argv[3:])
    fg, non_ip, pool = load_flowgate(sys.argv[1])
    sf = load_nfdump(sys.argv[2])
    qinq = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    res = classify(fg, sf, non_ip, pool, qinq)
    for cls in CLASSES:
        v = res.c[cls]
        if v[0] or v[1] or v[3] or v[4]:
            print(cls, *v)
    for d in res.detail:
        print("#", d)
    return 1 if res.detail else 0


if __name__ == "__main__":
    sys.exit(main())
