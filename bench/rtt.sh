#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Cost of the RTT path: iperf3 over a veth pair between two namespaces,
# with and without the sock_ops program (flowgate rtt enable on a child
# cgroup holding both iperf3 processes), interleaved runs; throughput and
# CPU per byte, medians, the paired ratios and their spread.
#
#   bench/rtt.sh [-j] [-s] [-r ROUNDS] [-t SECONDS]
#     -j  JSON instead of the table
#     -s  also one run with kernel.bpf_stats_enabled=1 (global: every BPF
#         program on the machine is timed meanwhile) for fg_rtt's own
#         run count and ns per callback
#     -r  rounds, each one run without and one with (default 5)
#     -t  seconds per iperf3 run (default 5)
#   env: RTT_CPUS "client,server" CPUs for iperf3 -A (default 0,1), BUILD
#
# CPU: the user + system time of both iperf3 processes (iperf3's own
# cpu_utilization_percent, from getrusage). This kernel has no IRQ time
# accounting, so the softirq work the processes run inline (the veth
# receive path, TCP's ACK processing and with it the RTT callback) is in
# their system time. It leaves out other tasks, so it holds up on a
# shared machine better than /proc/stat, which is reported too (busy
# jiffies of all CPUs, others' work included).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
CPUS=${RTT_CPUS:-0,1}

json=0 stats=0 rounds=5 secs=5
bl_opts 'j=json s=stats r:rounds t:secs' "$@"
bl_start "namespaces, cgroups, bpffs"
command -v iperf3 >/dev/null || die "no iperf3"
CG2=$(bl_cgroup2)
[ -n "$CG2" ] || die "no cgroup v2 mount"

ID=$$
NA=fgb-a-$ID NB=fgb-b-$ID
CG=$CG2/fgb-rtt-$ID
SRV_PID='' STATS_OLD=''

# Kill what runs in our cgroup (only what this script put there), by PID,
# and wait until it is empty so that it can be removed.
cg_kill() {
	local p i
	[ -r "$1/cgroup.procs" ] || return 0
	for ((i = 0; i < 50; i++)); do
		[ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ] || return 0
		for p in $(cat "$1/cgroup.procs"); do
			kill "$p" 2>/dev/null
		done
		sleep 0.1
	done
}

# Before bl_cleanup's: the cgroup's processes, fg_rtt, the cgroup.
rtt_cleanup() {
	set +e
	[ -n "$STATS_OLD" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	cg_kill "$CG"
	[ -n "$SRV_PID" ] && wait "$SRV_PID" 2>/dev/null
	"$FLOWGATE" rtt disable >/dev/null 2>&1
	for id in $(bpftool cgroup show "$CG" 2>/dev/null |
		awk '$2 == "cgroup_sock_ops" {print $1}'); do
		bpftool cgroup detach "$CG" sock_ops id "$id"
	done
	[ -d "$CG" ] && rmdir "$CG"
}
BL_CLEANUP_HOOK=rtt_cleanup
bl_bpffs fgbrtt
mkdir "$CG"
bl_veth2 "$NA" "fgb${ID}a" "$NB" "fgb${ID}b"
ip -n "$NA" addr add 198.51.100.1/24 dev "fgb${ID}a"
ip -n "$NB" addr add 198.51.100.2/24 dev "fgb${ID}b"
TMP=$BL_TMP

in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }

in_cg ip netns exec "$NB" iperf3 -s -B 198.51.100.2 >/dev/null 2>&1 &
SRV_PID=$!
for ((i = 0; i < 50; i++)); do
	ip netns exec "$NB" ss -ltnH | grep -q ':5201' && break
	sleep 0.1
done

# busy and total jiffies of all CPUs
stat_busy() { awk '/^cpu /{t=0; for(i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat; }

# run LABEL: one iperf3 run; prints one JSON line
run() {
	local b0 b1
	b0=$(stat_busy)
	in_cg ip netns exec "$NA" iperf3 -c 198.51.100.2 -t "$secs" -A "$CPUS" \
		-J >"$TMP/run.json"
	b1=$(stat_busy)
	"$PY" - "$1" "$TMP/run.json" "$b0" "$b1" <<'EOF'
import json, sys
label, path, b0, b1 = sys.argv[1:]
d = json.load(open(path))
e = d["end"]
byts = e["sum_received"]["bytes"]
secs = e["sum_received"]["seconds"]
cpu = e["cpu_utilization_percent"]
proc_s = (cpu["host_total"] + cpu["remote_total"]) / 100.0 * secs
(x0, t0), (x1, t1) = map(int, b0.split()), map(int, b1.split())
print(json.dumps({"label": label, "gbps": byts * 8 / secs / 1e9,
                  "proc_cpu_s": proc_s,
                  "proc_cpu_s_per_gb": proc_s / (byts / 1e9),
                  "sys_busy_frac": (x1 - x0) / max(1, t1 - t0),
                  "sys_jiffies_per_gb": (x1 - x0) / (byts / 1e9),
                  "retransmits": e["sum_sent"].get("retransmits", 0)}))
EOF
}

enable() { "$FLOWGATE" rtt enable cgroup "$CG" >/dev/null; }
disable() { "$FLOWGATE" rtt disable >/dev/null; }

: >"$TMP/runs"
for ((r = 1; r <= rounds; r++)); do
	# alternate which goes first, so a drift in the machine's load does
	# not always favour the same side
	if ((r % 2)); then order="off on"; else order="on off"; fi
	for lab in $order; do
		[ "$lab" = on ] && enable
		run "$lab" >>"$TMP/runs"
		[ "$lab" = on ] && disable
		log "round $r $lab: $(tail -1 "$TMP/runs")"
	done
done

if [ "$stats" = 1 ]; then
	STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
	enable
	sysctl -qw kernel.bpf_stats_enabled=1
	run stats >>"$TMP/runs"
	pid=$("$FLOWGATE" -j rtt | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])')
	bpftool -j prog show id "$pid" >"$TMP/prog.json"
	"$FLOWGATE" -j rtt >"$TMP/rtt.json"
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	STATS_OLD=''
	disable
else
	echo '{}' >"$TMP/prog.json"
	echo '{}' >"$TMP/rtt.json"
fi

"$PY" - "$TMP/runs" "$TMP/prog.json" "$TMP/rtt.json" "$json" "$secs" <<'EOF'
import json, statistics as st, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
prog, rtt, as_json, secs = (json.load(open(sys.argv[2])),
                            json.load(open(sys.argv[3])),
                            sys.argv[4] == "1", float(sys.argv[5]))
off = [r for r in runs if r["label"] == "off"]
on = [r for r in runs if r["label"] == "on"]
keys = ("gbps", "proc_cpu_s_per_gb", "sys_jiffies_per_gb")
med = {lab: {k: st.median(r[k] for r in rs) for k in keys}
       for lab, rs in (("off", off), ("on", on))}
# paired: each round's on against the same round's off
pairs = {k: [b[k] / a[k] for a, b in zip(off, on)] for k in keys}
out = {"rounds": len(on), "seconds": secs, "median": med,
       "ratio_on_off": {k: {"median": st.median(v), "min": min(v),
                            "max": max(v)} for k, v in pairs.items()},
       "runs": runs}
if prog.get("run_cnt"):
    srun = [r for r in runs if r["label"] == "stats"][0]
    out["prog"] = {"run_cnt": prog["run_cnt"],
                   "ns_per_run": prog["run_time_ns"] / prog["run_cnt"],
                   "runs_per_s": prog["run_cnt"] / secs,
                   "samples": rtt["counters"]["samples"],
                   # its time against the iperf3 processes' CPU time
                   "cpu_share": prog["run_time_ns"] / 1e9 /
                   srun["proc_cpu_s"]}
if as_json:
    print(json.dumps(out, indent=2))
    sys.exit(0)
print("%-22s %12s %12s %22s" % ("", "without", "with", "with/without (min-max)"))
names = {"gbps": "throughput Gbit/s", "proc_cpu_s_per_gb": "iperf3 CPU s/GB",
         "sys_jiffies_per_gb": "all-CPU jiffies/GB"}
for k in keys:
    p = out["ratio_on_off"][k]
    print("%-22s %12.3f %12.3f %8.4f (%.4f-%.4f)" % (
        names[k], med["off"][k], med["on"][k], p["median"], p["min"],
        p["max"]))
print("rounds %d x %g s, interleaved; retransmits %s" % (
    len(on), secs, [r["retransmits"] for r in runs]))
if "prog" in out:
    p = out["prog"]
    print("fg_rtt: %d runs in %g s (%.0f/s), %.0f ns per run, %d RTT samples;"
          " %.3f%% of the iperf3 processes' CPU time"
          % (p["run_cnt"], secs, p["runs_per_s"], p["ns_per_run"],
             p["samples"], 100 * p["cpu_share"]))
EOF
