#!/usr/bin/python3
"""Checks replay's export of timeouts.pcap (make_captures.py) with
active-timeout 2 and idle-timeout 1, against what the daemon would have
sent watching that traffic live with sweeps every whole second:

    export_check.py REPLAY_JSONL DECODED_IPFIX_JSONL [rule-drops-D]

REPLAY_JSONL is `flowgate replay -j ... ipfix FILE`, DECODED the file
through `tests/lib/ipfix.py decode`. Every record must be in the table
below, with its export time (the sweep's, on the capture's clock), its
flowEndReason, packets and flow times; the IPFIX message headers must
carry the same export times. With rule-drops-D, flow D was dropped by a
rule of the config file (and is still a record).
"""
import json
import sys

T0 = 1700000000000  # ms, the capture's first second
REASONS = {"idle": 1, "active": 2, "end": 3, "forced": 4}
# export ms, reason, source, packets, first ms, last ms (from T0)
WANT = [
    (2000, "idle", "192.0.2.2", 2, 200, 400),      # B: silent after 0.4
    (2000, "active", "192.0.2.1", 4, 0, 1500),     # A: 2 s slices
    (4000, "active", "192.0.2.1", 4, 2000, 3500),
    (5000, "end", "192.0.2.3", 2, 3100, 3300),     # C: FIN
    (6000, "active", "192.0.2.1", 4, 4000, 5500),
    (8000, "active", "192.0.2.1", 4, 6000, 7500),
    (8000, "idle", "192.0.2.4", 1, 6500, 6500),    # D
    (10000, "active", "192.0.2.1", 4, 8000, 9500),
    (11000, "idle", "192.0.2.5", 1, 9900, 9900),   # E
    (31000, "forced", "192.0.2.6", 1, 30250, 30250),  # F: capture ends
]
# Ticks 0..11, then the 20 s gap costs one sweep (30), then the final one.
SWEEPS = 14


def fail(msg):
    print("# " + msg)
    sys.exit(1)


def main():
    rule_d = len(sys.argv) > 3 and sys.argv[3] == "rule-drops-D"
    got, summary = [], None
    for line in open(sys.argv[1]):
        o = json.loads(line)
        if "summary" in o:
            summary = o["summary"]
        if "record" not in o:
            continue
        r, f = o["record"], o["record"]["flow"]
        got.append((r["export_ms"] - T0, r["end_reason"], f["src"],
                    f["packets"], f["first_ms"] - T0, f["last_ms"] - T0))
        dropped = f["verdict"] == "dropped"
        if dropped != (rule_d and f["src"] == "192.0.2.4"):
            fail("verdict of %s: %s" % (f["src"], f["verdict"]))
        if dropped and f.get("reason") != "rule":
            fail("D dropped for %s" % f.get("reason"))
    if got != WANT:
        fail("records %s, want %s" % (got, WANT))
    if summary["export"]["sweeps"] != SWEEPS:
        fail("sweeps %d, want %d" % (summary["export"]["sweeps"], SWEEPS))
    ipfix = []
    for line in open(sys.argv[2]):
        o = json.loads(line)
        if o["_kind"] != "flow":
            continue
        ipfix.append((o["_export"] * 1000 - T0, o["end_reason"], o["src4"],
                      o["packets"], o["start_ms"] - T0, o["end_ms"] - T0))
    want = [(w[0], REASONS[w[1]]) + w[2:] for w in WANT]
    if ipfix != want:
        fail("IPFIX records %s, want %s" % (ipfix, want))
    return 0


if __name__ == "__main__":
    sys.exit(main())
