#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of tests/e2e/test_rtt.sh, one TAP-ready line per assertion:
"ok<TAB>name" or "not ok<TAB>name<TAB>detail".

  rtt_check.py compare RTT_JSON PEERS_JSONL SS_TX SS_RX TOL_PCT TOL_US
      every connection the peers report: flowgate's record exists, its side
      is right, it has samples (coarse ones when sample_mode says so),
      the RTT was noticeable, and its smoothed RTT agrees with `ss -ti`
      (the kernel's tcpi_rtt) within max(TOL_PCT %, TOL_US), or with
      coarse samples lies between the kernel's minrtt and the largest
      sample; its minimum is not below the kernel's.
  rtt_check.py join RTT_JSON FLOWS_JSON PEERS_JSONL
      the flows of every server-side connection, in both directions, turn
      into its connection key the way fg_rtt_key_from_flow() does.
  rtt_check.py gone RTT_JSON PEERS_JSONL
      no live record of these connections; each has a final record.
"""
import ipaddress
import json
import re
import sys


def norm(a):
    """IPv4 on a dual-stack socket (::ffff:a.b.c.d) is IPv4, as in flows."""
    ip = ipaddress.ip_address(a.split("%")[0])
    return str(getattr(ip, "ipv4_mapped", None) or ip)


def conn_key(c):
    return (norm(c["local"]), c["lport"], norm(c["remote"]), c["rport"])


def peers(path):
    with open(path) as f:
        ps = [json.loads(l) for l in f if l.strip()]
    return [p for p in ps if p["role"] in ("client", "server")]


def ss_rtts(path):
    """(local, lport, remote, rport) -> (srtt_us, minrtt_us) from ss -tinH."""
    out, last = {}, None
    addr = r"\[?([0-9a-fA-F:.]+)\]?:(\d+)"
    with open(path) as f:
        for line in f:
            m = re.match(r"^\S+\s+\d+\s+\d+\s+" + addr + r"\s+" + addr, line)
            if m:
                last = (norm(m.group(1)), int(m.group(2)),
                        norm(m.group(3)), int(m.group(4)))
                continue
            r = re.search(r"\brtt:([\d.]+)/", line)
            mn = re.search(r"\bminrtt:([\d.]+)", line)
            if last and r:
                out[last] = (round(float(r.group(1)) * 1000),
                             round(float(mn.group(1)) * 1000) if mn else 0)
                last = None
    return out


def line(ok, name, detail=""):
    print("ok\t%s" % name if ok else "not ok\t%s\t%s" % (name, detail))


def compare(rtt, ps, ss_files, tol_pct, tol_us):
    kern = {}
    for f in ss_files:
        kern.update(ss_rtts(f))
    recs = {conn_key(c): c for c in rtt["connections"]}
    mode = rtt["sample_mode"]
    coarse = mode == "coarse"
    for p in ps:
        k = conn_key(p)
        tag = "%s %s:%d" % (p["role"], k[0], k[1])
        c = recs.get(k)
        line(c is not None, "%s: flowgate has the connection" % tag,
             "keys: %s" % list(recs))
        if c is None:
            continue
        side = "active" if p["role"] == "client" else "passive"
        line(c["side"] == side, "%s: side %s" % (tag, side), c["side"])
        # Before 6.10 (sample_mode coarse) every sample is the smoothed
        # RTT before an update, and the record says so.
        line(c["samples"] >= 10 and c["coarse"] == coarse,
             "%s: at least 10 %s samples" % (tag, mode),
             "%d, coarse %s" % (c["samples"], c["coarse"]))
        line(c["max_us"] >= 2000, "%s: the shaped link made it noticeable "
             "(max >= 2 ms)" % tag, c["max_us"])
        line(c["min_us"] <= c["mean_us"] <= c["max_us"],
             "%s: min <= mean <= max" % tag,
             "%d %d %d" % (c["min_us"], c["mean_us"], c["max_us"]))
        if k not in kern:
            line(False, "%s: ss shows the socket" % tag, list(kern))
            continue
        srtt, minrtt = kern[k]
        tol = max(srtt * tol_pct / 100.0, tol_us)
        if coarse:
            # The value the kernel had before its last window's updates,
            # which the ping-pongs (RTTs far below the bulk's) keep
            # moving: one the kernel had, never below its minimum.
            line(minrtt <= c["srtt_us"] + 1 and
                 c["srtt_us"] <= c["max_us"],
                 "%s: srtt (coarse) between the kernel's minrtt and the "
                 "largest sample" % tag,
                 "flowgate %d us, minrtt %d us, max %d us"
                 % (c["srtt_us"], minrtt, c["max_us"]))
        else:
            line(abs(c["srtt_us"] - srtt) <= tol,
                 "%s: srtt agrees with ss -ti within max(%g%%, %d us)"
                 % (tag, tol_pct, tol_us),
                 "flowgate %d us, kernel %d us" % (c["srtt_us"], srtt))
        # ss prints minrtt rounded to ms with 3 decimals: 1 us of slack
        line(c["min_us"] + 1 >= minrtt,
             "%s: min not below the kernel's minrtt" % tag,
             "flowgate %d us, kernel %d us" % (c["min_us"], minrtt))
        print("#   %s: flowgate srtt %d us min %d max %d mean %d samples %d; "
              "ss rtt %d us minrtt %d us" % (tag, c["srtt_us"], c["min_us"],
                                              c["max_us"], c["mean_us"],
                                              c["samples"], srtt, minrtt))


def join(rtt, flows, ps):
    """fg_rtt_key_from_flow(): egress src = local, ingress dst = local."""
    keys = set()
    for f in flows["flows"]:
        if f.get("proto") != "tcp":
            continue
        a = (norm(f["src"]), f["sport"], norm(f["dst"]), f["dport"])
        keys.add((f["dir"],) + (a if f["dir"] == "out" else
                               (a[2], a[3], a[0], a[1])))
    recs = {conn_key(c) for c in rtt["connections"]}
    for p in ps:
        if p["role"] != "server":
            continue
        k = conn_key(p)
        line(k in recs and ("out",) + k in keys and ("in",) + k in keys,
             "join: both flows of %s:%d -> %s:%d map onto its record"
             % k, "flow keys %s" % sorted(keys))


def gone(rtt, ps):
    live = {conn_key(c) for c in rtt["connections"]}
    fin = {conn_key(c): c for c in rtt["closed"]}
    for p in ps:
        k = conn_key(p)
        tag = "%s %s:%d" % (p["role"], k[0], k[1])
        line(k not in live, "%s: closed, no live record left" % tag)
        c = fin.get(k)
        line(c is not None and "closed_ms" in c and c["samples"] >= 10,
             "%s: its final record is kept for the exporter" % tag,
             json.dumps(c))


def main(a):
    rtt = json.loads(open(a[1]).read())
    if a[0] == "compare":
        compare(rtt, peers(a[2]), a[3:5], float(a[5]), int(a[6]))
    elif a[0] == "join":
        join(rtt, json.loads(open(a[2]).read()), peers(a[3]))
    else:
        gone(rtt, peers(a[2]))


if __name__ == "__main__":
    main(sys.argv[1:])
