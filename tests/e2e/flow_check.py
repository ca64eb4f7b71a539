#!/usr/bin/python3
"""Flow conservation arithmetic for test_flows.sh.

flow_check.py STATS_JSON FLOWS_JSON DIR prints one JSON object: what flow
accounting saw in direction DIR ("in"/"out") of the interface in STATS, and
where it went: flows (from the dump), overflow aggregates, sampled out,
unflowed. Both documents must come from the same quiet moment.
"""
import json
import sys

stats = json.loads(sys.argv[1])
dump = json.loads(sys.argv[2])
d = sys.argv[3]
iface = stats["interfaces"][0]
fs = iface["flows"][d]
flows = [f for f in dump["flows"] if f["dir"] == d]
ovf = [o for o in dump["overflow"]
       if o["dir"] == d and o["ifindex"] == iface["ifindex"]]
out = {
    "seen": fs["packets"],
    "seen_octets": fs["octets"],
    "flows": sum(f["packets"] for f in flows),
    "flow_octets": sum(f["octets"] for f in flows),
    "overflow": sum(o["packets"] for o in ovf),
    "overflow_octets": sum(o["octets"] for o in ovf),
    "overflow_counter": fs["overflow_packets"],
    "sampled": fs["sampled_out_packets"],
    "sampled_octets": fs["sampled_out_octets"],
    "unflowed": fs["unflowed_packets"],
    "unflowed_octets": fs["unflowed_octets"],
    "entries": len(flows),
}
out["placed"] = out["flows"] + out["overflow"] + out["sampled"] + \
    out["unflowed"]
out["placed_octets"] = out["flow_octets"] + out["overflow_octets"] + \
    out["sampled_octets"] + out["unflowed_octets"]
print(json.dumps(out))
