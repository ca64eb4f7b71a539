#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A replay into a table too small for its capture, against the same
capture replayed into a table that holds every flow (both `replay -j`):
every flow the small table held is exactly the whole run's record of its
key (a key either finds room at its first packet and keeps it, or never
does: nothing ends without an export), the overflow aggregates are exactly
the other flows summed per IP version and protocol, and flows plus
aggregates are every packet and octet accounted.

    overflow_check.py FULL.jsonl SMALL.jsonl

Prints one line; exit 0 when all of it holds."""
import collections
import json
import sys

KEY = ("dir", "ip_version", "proto", "src", "dst", "sport", "dport", "vlan",
       "vlan_inner")


def load(path):
    flows, ovf, summary = {}, {}, None
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            if "flow" in d:
                k = tuple(d["flow"][a] for a in KEY)
                if k in flows:
                    sys.exit("%s: flow %r twice" % (path, k))
                flows[k] = d["flow"]
            elif "overflow" in d:
                o = d["overflow"]
                ovf[(o["ip_version"], o["proto"])] = (o["packets"],
                                                      o["octets"])
            elif "summary" in d:
                summary = d["summary"]
    return flows, ovf, summary


def main():
    full, full_ovf, _ = load(sys.argv[1])
    held, ovf, summ = load(sys.argv[2])
    if full_ovf:
        sys.exit("the full run overflowed too")
    bad = [k for k, v in held.items() if full.get(k) != v]
    if bad:
        sys.exit("%d held flows differ from the full run's, first %r" %
                 (len(bad), bad[0]))
    rest = collections.defaultdict(lambda: [0, 0])
    for k, v in full.items():
        if k not in held:
            r = rest[(v["ip_version"], v["proto"])]
            r[0] += v["packets"]
            r[1] += v["octets"]
    rest = {k: tuple(v) for k, v in rest.items()}
    if rest != ovf:
        sys.exit("overflow %r, the flows not held sum to %r" % (ovf, rest))
    acc = summ["accounting"]
    pk = sum(v["packets"] for v in held.values()) + \
        sum(p for p, _ in ovf.values())
    oc = sum(v["octets"] for v in held.values()) + \
        sum(o for _, o in ovf.values())
    if (pk, oc) != (acc["packets"], acc["octets"]) or \
            sum(p for p, _ in ovf.values()) != acc["overflow_packets"]:
        sys.exit("flows + overflow %d packets %d octets, accounted %d %d"
                 % (pk, oc, acc["packets"], acc["octets"]))
    print("%d of %d flows held exactly, %d packets in %d aggregates, "
          "%d packets accounted" % (len(held), len(full), acc[
              "overflow_packets"], len(ovf), pk))


main()
