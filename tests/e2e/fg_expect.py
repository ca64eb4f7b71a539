#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Compare the counters flowgate reports with what a sent mix must give.

    fg_expect.py FRAMES BEFORE AFTER [--profile P] [--check NAME=ACTION]...

FRAMES is the JSON that scripts/send_mix.py printed; BEFORE and AFTER are
`flowgate -j stats dev DEV` taken around the send. Every frame of the mix
trips at most one check, so its verdict follows from that check's action.
Prints one line per assertion, for the shell's TAP helpers:
    ok<TAB>name      or      not ok<TAB>name<TAB>got<TAB>want
"""
import argparse
import json

# Checks the default profile counts rather than drops (fg_common.h).
DEFAULT_COUNT = {"ttl-zero", "ip6-rh0"}


def action(check, profile, overrides):
    if check in overrides:
        return overrides[check]
    if profile == "monitor":
        return "count"
    if profile == "strict":
        return "drop"
    return "count" if check in DEFAULT_COUNT else "drop"


def expected(frames, profile, overrides):
    e = {"rx_packets": 0, "rx_bytes": 0, "passed_packets": 0,
         "passed_bytes": 0, "dropped_packets": 0, "dropped_bytes": 0}
    reasons = {}
    for f in frames:
        assert len(f["hits"]) <= 1, "frames must trip one check at most"
        e["rx_packets"] += 1
        e["rx_bytes"] += f["len"]
        act = action(f["hits"][0], profile, overrides) if f["hits"] else "off"
        if act != "off":
            r = reasons.setdefault(f["hits"][0], [0, 0, 0])
            r[2] += 1
        if act == "drop":
            r[0] += 1
            r[1] += f["len"]
            e["dropped_packets"] += 1
            e["dropped_bytes"] += f["len"]
        else:
            e["passed_packets"] += 1
            e["passed_bytes"] += f["len"]
    return e, reasons


def counters(stats):
    i = stats["interfaces"][0]
    c = {k: i[k] for k in ("rx_packets", "rx_bytes", "passed_packets",
                           "passed_bytes", "dropped_packets",
                           "dropped_bytes")}
    r = {x["reason"]: [x["dropped_packets"], x["dropped_bytes"], x["matched"]]
         for x in i["reasons"]}
    return c, r, i["conserved"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("frames")
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--profile", default="default")
    ap.add_argument("--check", action="append", default=[],
                    help="NAME=off|count|drop, as set with config set check")
    a = ap.parse_args()
    with open(a.frames) as f:
        frames = json.load(f)
    with open(a.before) as f:
        c0, r0, _ = counters(json.load(f))
    with open(a.after) as f:
        c1, r1, conserved = counters(json.load(f))
    overrides = dict(x.split("=", 1) for x in a.check)
    want, want_r = expected(frames, a.profile, overrides)

    lines = []

    def report(name, got, exp):
        if got == exp:
            lines.append("ok\t%s" % name)
        else:
            lines.append("not ok\t%s\t%s\t%s" % (name, got, exp))

    for k in want:
        report("%s +%d" % (k, want[k]), c1[k] - c0[k], want[k])
    moved = {}
    for r in sorted(set(want_r) | set(r0) | set(r1)):
        got = [x - y for x, y in zip(r1.get(r, [0, 0, 0]),
                                     r0.get(r, [0, 0, 0]))]
        if r not in want_r:
            if got != [0, 0, 0]:
                moved[r] = got
            continue
        exp = want_r[r]
        report("%s dropped +%d (%d bytes), matched +%d" %
               (r, exp[0], exp[1], exp[2]), got, exp)
    report("no other reason moved", moved, {})
    report("counters conserved (rx = passed + dropped)", conserved, True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
