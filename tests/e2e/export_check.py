#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Sums and checks over what a collector decoded (tests/lib/ipfix.py).

export_check.py QUERY FILE...   decode the session files and print JSON:
  totals  {"flows": n, "packets": p, "octets": o} over flow records
          from the sender (src addresses given by $SRC4/$SRC6), and
          "all_packets"/"all_octets" over every flow record
  tuples  {"proto sport dport vlan": [packets, octets, flags, reasons]}
          for the sender's flows, summed over records
  options the options records
  reasons Counter of flowEndReason over flow records
  msgmax  the largest message (octets) in the files
"""
import collections
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ipfix  # noqa: E402


def from_sender(r):
    return (r.get("src4") == os.environ.get("SRC4") or
            r.get("src6") == os.environ.get("SRC6"))


def msgmax(paths):
    m = 0
    for p in paths:
        data = open(p, "rb").read()
        off = 0
        while off < len(data):
            n, = struct.unpack("!H", data[off + 2:off + 4])
            m = max(m, n)
            off += n
    return m


def main(q, paths):
    if q == "msgmax":
        return {"msgmax": msgmax(paths)}
    recs = [r for s in ipfix.decode_files(paths) for r in s.records]
    flows = [r for r in recs if r["_kind"] == "flow"]
    mine = [r for r in flows if from_sender(r)]
    if q == "totals":
        return {"flows": len(mine),
                "packets": sum(r["packets"] for r in mine),
                "octets": sum(r["octets"] for r in mine),
                "all_packets": sum(r["packets"] for r in flows),
                "all_octets": sum(r["octets"] for r in flows),
                "records": len(flows)}
    if q == "tuples":
        t = collections.defaultdict(lambda: [0, 0, 0, []])
        for r in mine:
            k = "%d %d %d %d" % (r["proto"], r["sport"], r["dport"],
                                 r["vlan"])
            t[k][0] += r["packets"]
            t[k][1] += r["octets"]
            t[k][2] |= r["tcp_flags"]
            if r.get("fg_reason") and r["fg_reason"] not in t[k][3]:
                t[k][3].append(r["fg_reason"])
        return t
    if q == "options":
        return [r for r in recs if r["_kind"] == "options"]
    if q == "reasons":
        return collections.Counter(str(r["end_reason"]) for r in flows)
    if q == "records":
        return flows
    raise SystemExit("unknown query " + q)


if __name__ == "__main__":
    try:
        print(json.dumps(main(sys.argv[1], sys.argv[2:]), sort_keys=True))
    except ipfix.IpfixError as e:
        print("Error: %s" % e, file=sys.stderr)
        sys.exit(1)
