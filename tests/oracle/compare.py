#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Compare the kernel's fate of each frame with flowgate's verdict
(oracle_run's TSV), or check the manual's checks table against FG_REASONS.

  compare.py doc MANUAL CONFIG_JSON
  compare.py judge TSV MANUAL CONFIG_JSON NAME

MANUAL is doc/flowgate.8: its checks table and its out-of-scope table
("The guard and Linux") are the documented lists this test holds to.
"""
import json
import re
import sys
from collections import Counter

# How the kernel's fate of a frame is read (enum skb_drop_reason names,
# /proc/net/snmp{,6} counters):
# - malformed: dropped for a header error: these reasons, or a counter that
#   moves only for header errors (the kernel frees some with NOT_SPECIFIED);
# - accepted: delivered, or dropped after every header check by reasons of
#   socket or TCP state (no socket on the port, TCP flags for the state);
# - undecided: dropped for policy before the headers were all checked
#   (routing, source or destination address, unknown protocol or option,
#   source routes), or a fragment held for reassembly. Neither assertion
#   applies; the counts are reported.
K_MALFORMED = {"IP_INHDR", "PKT_TOO_SMALL", "HDR_TRUNC", "IP_CSUM",
               "IPV6_BAD_EXTHDR", "INVALID_PROTO"}
C_MALFORMED = {"IpInHdrErrors", "IpInTruncatedPkts", "Ip6InHdrErrors",
               "Ip6InTruncatedPkts", "UdpInErrors", "Udp6InErrors",
               "TcpInErrs"}
K_ACCEPTED = {"NO_SOCKET", "SOCKET_FILTER", "SOCKET_RCVBUFF",
              "SOCKET_BACKLOG", "PROTO_MEM", "SOCKET_CLOSE"}
C_HELD = {"IpReasmReqds", "Ip6ReasmReqds"}
# This frame completed a datagram with fragments of earlier frames: what the
# kernel says is about the datagram, not the frame.
C_REASM = {"IpReasmOKs", "Ip6ReasmOKs"}


def roff_text(s):
    return s.replace("\\-", "-").replace("\\e", "\\")


def manual_checks(path):
    """The checks table of the manual (doc/flowgate.8, tbl rows
    "code@check@default@strict@class@T{"), by code."""
    rows = {}
    for line in open(path):
        f = roff_text(line.rstrip("\n")).split("@")
        if len(f) >= 5 and f[0].isdigit() and f[4] in ("malformed", "policy"):
            rows[int(f[0])] = tuple(f[1:5])
    return rows


def out_of_scope(path):
    """Kernel verdicts the manual lists as out of scope: the names in the
    first column of the rows of "The guard and Linux" whose second column
    is "out of scope" (a first column may be a T{ block)."""
    names, block, lines = set(), [], open(path).read().split("\n")
    for line in lines:
        line = roff_text(line)
        if line.startswith("T{"):
            block = []
            continue
        if line.startswith("T}@out of scope@"):
            names |= set(" ".join(block).split())
            continue
        if "@out of scope@" in line:
            names |= set(line.split("@")[0].split())
        block.append(line)
    return names


def config(path):
    return {c["code"]: c for c in json.load(open(path))["checks"]}


def doc(readme, cfg_path):
    cfg, rows, ok = config(cfg_path), manual_checks(readme), True
    for code, c in sorted(cfg.items()):
        want = (c["check"], c["action"], None, c["class"])
        got = rows.get(code)
        if not got or got[0] != want[0] or got[1] != want[1] or got[3] != want[3]:
            print("# code %d: manual %s, FG_REASONS %s" % (code, got, want))
            ok = False
    for code in rows:
        if code not in cfg:
            print("# code %d in the manual only" % code)
            ok = False
    return ok


def kernel_class(reasons, deltas, facts, oos):
    """oos:<what>, malformed:<why>, accepted[:<reason>], undecided:<why>."""
    rs = [r for r in reasons.split(",") if r not in ("-", "")]
    cs = {d.split("+")[0] for d in deltas.split(",") if d != "-"}
    fs = {x for x in facts.split(",") if x != "-"}
    for x in rs + sorted(cs) + sorted(fs):
        if x in oos:
            return "oos:" + x
    if cs & C_REASM:
        return "undecided:reassembled"
    for r in rs:
        if r in K_MALFORMED:
            return "malformed:" + r
    for c in sorted(cs):
        if c in C_MALFORMED:
            return "malformed:" + c
    for r in rs:
        if r not in K_ACCEPTED and not (r.startswith("TCP_") and r != "TCP_CSUM"):
            return "undecided:" + r
    if rs:
        return "accepted:" + rs[0]
    if cs & C_HELD:
        return "undecided:held-for-reassembly"
    return "accepted"


def judge(tsv, readme, cfg_path, name):
    oos = out_of_scope(readme)
    cfg = config(cfg_path)
    policy = {c["check"] for c in cfg.values() if c["class"] == "policy"}
    tally, bad = Counter(), []
    for line in open(tsv):
        f = line.rstrip("\n").split("\t")
        if len(f) < 8:
            continue
        idx, origin, reasons, _, deltas, fg, _, facts = f[:8]
        if reasons.startswith("send-error"):
            tally["not sent (larger than the MTU)"] += 1
            continue
        if reasons == "timeout":
            bad.append((origin, "no verdict from the kernel"))
            continue
        k = kernel_class(reasons, deltas, facts, oos)
        kk = k.split(":")[0]
        tally["kernel %s" % kk] += 1
        verdict = "pass" if fg == "none" else fg
        if kk == "accepted":
            if fg != "none" and fg not in policy:
                bad.append((origin, "kernel %s, flowgate drops it: %s" % (k, fg)))
            elif fg != "none":
                tally["  accepted by the kernel, dropped by policy check %s" % fg] += 1
        elif kk == "malformed":
            if fg == "none":
                bad.append((origin, "kernel drops it (%s), flowgate passes" % k))
            else:
                tally["  malformed to both (flowgate %s)" % fg] += 1
        elif kk == "undecided":
            tally["  undecided (%s), flowgate %s" % (k[10:], verdict)] += 1
        else:
            tally["  out of scope (%s), flowgate %s" % (k[4:], verdict)] += 1
    n = sum(v for k, v in tally.items() if k.startswith("kernel "))
    print("# %s: %d frames compared, %d disagreements" % (name, n, len(bad)))
    for k, v in sorted(tally.items(), key=lambda kv: (not kv[0].startswith("kernel"), -kv[1])):
        print("#   %-72s %d" % (k, v))
    kinds = Counter(re.sub(r"#\d+", "", b[0]) + ": " + b[1] for b in bad)
    for k, v in kinds.most_common(25):
        print("# disagreement %s: %d" % (k, v))
    return not bad


if __name__ == "__main__":
    if sys.argv[1] == "doc":
        sys.exit(0 if doc(sys.argv[2], sys.argv[3]) else 1)
    sys.exit(0 if judge(*sys.argv[2:6]) else 1)
