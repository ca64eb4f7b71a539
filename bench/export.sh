#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The IPFIX exporter's costs, each against a baseline measured in the same
# run (BENCHMARKS.md, "IPFIX export"):
#
#  1. a full table of FLOWS flows (default 1048576), every one due at once
#     (first packet 120 s ago, active timeout 60 s): the time of that sweep
#     (read, encode, send over UDP to a counting sink on loopback, mirror
#     the shadow) and so flow records per second; then the next sweep, when
#     nothing is due (read and compare only). Baselines: reading the same
#     table as the exporter reads it (its flow source over the table's
#     mapping, sum over regions: `exp_bench read`) and sending the same
#     number of datagrams of the same size to the same kind of sink
#     (`exp_bench blast`).
#  2. CPU time of the exporter over SECS seconds (default 20) with ACTIVE
#     flows (default 100000) kept active (one more packet each every 500 ms,
#     written by `exp_bench touch`) and active-timeout 1 s: every flow is
#     exported every second (records per sweep says whether `touch` kept
#     up). Baseline: one read of that table per second.
#
#   EXP_BUILD=DIR bench/export.sh runs another build's flowgate and
#   exp_bench (made there) under this protocol: comparisons in one session.
#
#   bench/export.sh [-j] [-n FLOWS] [-a ACTIVE] [-s SECS]
#
# No traffic: the flows are written into flowgate's pinned table through
# its mapping (bench/exp_bench.c), on a veth that flowgate is
# attached to, in a throw-away namespace with a private bpffs.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
EXB=$ROOT/$BUILD/bench/exp_bench
if [ -n "${EXP_BUILD:-}" ]; then
	FLOWGATE=$EXP_BUILD/flowgate EXB=$EXP_BUILD/bench/exp_bench
fi

json=0 nflows=1048576 nactive=100000 secs=20
bl_opts 'j=json n:nflows a:nactive s:secs' "$@"
bl_start "namespaces, XDP, bpffs"

# ---- build, setup and cleanup ------------------------------------------------

[ -n "${EXP_BUILD:-}" ] || bl_exp_bench
bl_lab1 fgb
jq_() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The exporter's counters: straight from its pinned map (`flowgate stats`
# would walk the whole flow table, competing with the sweep measured).
exp_stat() { in_ns "$EXB" expstat | jq_ "d$1"; }

# A free UDP port of the namespace (nothing else runs there).
port() { echo $((20000 + RANDOM % 40000)); }

bg() { bl_bg "$@"; LAST=$BL_LAST; }
stop() { bl_stop "$1"; }

wait_sweeps() { # wait_sweeps N [secs]: until the exporter did N sweeps
	local i

	for ((i = 0; i < ${2:-120} * 10; i++)); do
		[ "$(exp_stat "['sweeps']" 2>/dev/null || echo 0)" -ge "$1" ] &&
			return 0
		sleep 0.1
	done
	die "the exporter did not reach sweep $1"
}

wait_bound() { # wait_bound PORT
	local i

	for ((i = 0; i < 50; i++)); do
		[ -n "$(in_ns ss -Hlnu "sport = :$1")" ] && return 0
		sleep 0.1
	done
	die "nothing listens on UDP port $1"
}

attach() { # attach MAX_FLOWS: prints the ifindex
	fg detach "$DEV" >/dev/null 2>&1 || true
	fg purge >/dev/null 2>&1 || true # a table of the new size, empty
	fg attach "$DEV" max-flows "$1" >/dev/null || die "attach max-flows $1"
	fg -j stats | jq_ "d['interfaces'][0]['ifindex']"
}

load="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before: $load ($(nproc) CPUs)"

cpu_of() { bl_cpu_of "$1"; }

# ---- 1. a full table, every flow due ------------------------------------------

ifindex=$(attach "$nflows")
log "filling $nflows flows"
in_ns "$EXB" fill "$nflows" "$ifindex" 120 >/dev/null || die "fill"
read1=$(in_ns "$EXB" read 5)
p=$(port)
bg ip netns exec "$NS" "$EXB" sink "$p" "$TMP/sink1.json"
sink=$LAST
wait_bound "$p"
# idle-timeout 60: the baselines above take a while on a loaded machine,
# and no flow may turn idle before the second sweep (nothing due).
bg ip netns exec "$NS" "$FLOWGATE" export collector "udp://127.0.0.1:$p" \
	active-timeout 60 idle-timeout 60 interval 5000
exp=$LAST
wait_sweeps 1
cpu1=$(cpu_of "$exp")
# The first sweep reads the whole table: its wall time is the last read's
# (a second sweep may have followed it before this look).
sweep_all=$(exp_stat "['read_sweep_us']")
sw1=$(exp_stat "['sweeps']")
records=$(exp_stat "['records_active']")
msgs=$(exp_stat "['messages']")
octets=$(exp_stat "['octets']")
lost=$(exp_stat "['not_sent']")
reads1=$(exp_stat "['reads']")
wait_sweeps $((sw1 + 1))
cpu2=$(cpu_of "$exp")
sweep_none=$(exp_stat "['sweep_us']")
# whole-table reads by the second sweep (0: it used the exporter's index)
reads_none=$(($(exp_stat "['reads']") - reads1))
stop "$exp"
sleep 0.5
stop "$sink"
recv=$(jq_ "d['records']" <"$TMP/sink1.json")
# Baseline: the same datagrams, sent alone to the same kind of sink.
p=$(port)
bg ip netns exec "$NS" "$EXB" sink "$p" "$TMP/sink2.json"
sink=$LAST
wait_bound "$p"
blast=$(in_ns "$EXB" blast "$p" "$msgs" $((octets / msgs)))
sleep 0.5
stop "$sink"

# ---- 2. CPU at ACTIVE flows, active-timeout 1 s -------------------------------

ifindex=$(attach $((nactive + nactive / 4)))
in_ns "$EXB" fill "$nactive" "$ifindex" 0 >/dev/null || die "fill"
read2=$(in_ns "$EXB" read 5)
p=$(port)
bg ip netns exec "$NS" "$EXB" sink "$p" "$TMP/sink3.json"
sink=$LAST
wait_bound "$p"
bg ip netns exec "$NS" "$EXB" touch $((secs + 8)) 500
touch=$LAST
bg ip netns exec "$NS" "$FLOWGATE" export collector "udp://127.0.0.1:$p" \
	active-timeout 1 idle-timeout 1
exp=$LAST
wait_sweeps 3
c0=$(cpu_of "$exp") r0=$(exp_stat "['records_active']") s0=$(date +%s.%N)
w0=$(exp_stat "['sweeps']")
sleep "$secs"
c1=$(cpu_of "$exp") r1=$(exp_stat "['records_active']") s1=$(date +%s.%N)
w1=$(exp_stat "['sweeps']")
sweep_act=$(exp_stat "['sweep_us']")
stop "$exp"
stop "$touch"
sleep 0.5
stop "$sink"
load2="$(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$json" <<EOF
import json, sys
n, a = $nflows, $nactive
read1, blast, read2 = $read1, $blast, $read2
records, recv, lost, msgs, octets = $records, $recv, $lost, $msgs, $octets
wall = $s1 - $s0
cpu = ($c1 - $c0) / 1e6 / wall * 100
sweeps = max($w1 - $w0, 1)
r = {
    "flows": n, "records": records, "received": recv, "not_sent": lost,
    "messages": msgs, "octets": octets,
    # wall clock of a sweep (the exporter's own figure) and the exporter's
    # CPU time over it (/proc/PID/stat, 10 ms resolution)
    "sweep_all_us": $sweep_all, "sweep_all_cpu_us": round($cpu1),
    "sweep_none_us": $sweep_none, "sweep_none_cpu_us": round($cpu2 - $cpu1),
    "sweep_none_reads": $reads_none,
    "read_us": read1["read_us"], "read_cpu_us": read1["cpu_us"],
    "send_us": blast["us"], "send_cpu_us": blast["cpu_us"],
    "active_flows": a, "active_secs": round(wall, 1),
    "active_cpu_pct": round(cpu, 1),
    # the counters move once per sweep
    "active_records_per_sweep": round(($r1 - $r0) / sweeps),
    "active_sweeps_per_s": round(($w1 - $w0) / wall, 2),
    "active_sweep_us": $sweep_act,
    "active_read_us": read2["read_us"], "active_read_cpu_us": read2["cpu_us"],
    "load_before": "$load", "load_after": "$load2",
}
r["records_per_s_wall"] = round(records / (r["sweep_all_us"] / 1e6))
r["records_per_s_cpu"] = round(records / (r["sweep_all_cpu_us"] / 1e6))
r["sweep_all_cpu_vs_read_send_cpu"] = round(
    r["sweep_all_cpu_us"] / (r["read_cpu_us"] + r["send_cpu_us"]), 2)
r["sweep_none_cpu_vs_read_cpu"] = round(
    r["sweep_none_cpu_us"] / r["read_cpu_us"], 2)
r["active_cpu_vs_read_per_s"] = round(
    cpu / (r["active_read_cpu_us"] / 1e4), 1)
if sys.argv[1] == "1":
    print(json.dumps(r))
    sys.exit(0)
ms = lambda us: "%8.1f ms" % (us / 1e3)
print("1. %d flows, every one due at once (active timeout), UDP to a sink" % n)
print("   records exported %d, received by the sink %d (with 2 options"
      " records), not sent %d;"
      " %d messages, %d octets" % (records, recv, lost, msgs, octets))
print("                               wall         CPU")
print("   sweep, every flow due: %s %s  -> %d records/s (CPU)" % (
    ms(r["sweep_all_us"]), ms(r["sweep_all_cpu_us"]), r["records_per_s_cpu"]))
print("   sweep, nothing due:    %s %s  (whole-table reads: %d)" % (
    ms(r["sweep_none_us"]), ms(r["sweep_none_cpu_us"]),
    r["sweep_none_reads"]))
print("   baseline read:         %s %s" % (ms(r["read_us"]),
                                          ms(r["read_cpu_us"])))
print("   baseline send:         %s %s  (%d datagrams)" % (
    ms(r["send_us"]), ms(r["send_cpu_us"]), msgs))
print("   CPU: sweep(all) / (read + send) = %.2f; sweep(none) / read = %.2f"
      % (r["sweep_all_cpu_vs_read_send_cpu"], r["sweep_none_cpu_vs_read_cpu"]))
print("2. %d active flows, active timeout 1 s, over %.1f s" % (a, wall))
print("   exporter CPU %.1f %% of one CPU; %d records per sweep, %.2f sweeps/s,"
      " last sweep %s" % (cpu, r["active_records_per_sweep"],
                          r["active_sweeps_per_s"], ms(r["active_sweep_us"])))
print("   baseline: one read per second = %.2f %% (read: CPU %s); ratio %.1f"
      % (r["active_read_cpu_us"] / 1e4, ms(r["active_read_cpu_us"]),
         r["active_cpu_vs_read_per_s"]))
print("load average before %s, after %s" % ("$load", "$load2"))
EOF
