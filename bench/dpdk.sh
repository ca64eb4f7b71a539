#!/usr/bin/env bash
# flowgate's guard and flow accounting in DPDK (bench/dpdk/fg_dpdk.c)
# against the same logic as XDP (bench/cost.sh), on one capture, in one run.
#
#   bench/dpdk.sh [-b] [PCAP]  (make bench-dpdk builds, then runs this)
#     -b  breakdown: bench/cost.sh -b as well, for the XDP side's parse
#         alone (fg-parse-only) next to ring-parse-hot (takes ~3x longer)
#
# DPDK rows (EAL: --no-huge --no-pci -m 1024, one lcore on the CPU cost.sh
# uses, then two lcores): ns per packet of the median burst of 32 (bursts
# in which the thread was preempted fall out) and its Mpps; "wall" counts
# every cycle of the run instead.
#   ring-empty  net_ring replaying the capture's mbufs from memory: rx burst,
#               tx burst back onto the same ring (the loop's "free")
#   ring-parse  + fg_parse_wire() and the guard's counters, no flow table
#   ring-parse-hot  the same, each frame 32 times in a row (see below)
#   ring-fg     + flow accounting (fg_flowtab.h's host form): the whole of
#               fg_xdp's work
#   ring-fg-hot the same with each frame 32 times in a row, so that the
#               packet and its flow are in cache, as in BPF_PROG_TEST_RUN
#   ring-fg-single  ring-fg with each packet hashed and accounted on its own
#               (-l single), as BPF does, instead of a burst's keys hashed
#               and their buckets prefetched first
#   pcap-empty  net_pcap,infinite_rx=1: the PMD copies every packet into a
#               fresh mbuf, then rx burst + free
#   pcap-fg     the same + the guard and flow accounting
# XDP rows: bench/cost.sh -j on the same capture (empty program, fg_xdp
# with a warm flow table; xdp-filter for reference), run after them.
# Ratios: fg_xdp over ring-fg-hot (same cache conditions), and net of each
# side's own empty loop.
#
# env: DPDK_SECONDS (2) per DPDK run, DPDK_ROUNDS (3; the figure is the
# median over rounds), DPDK_CPU (the one lcore: the last CPU, as cost.sh),
# DPDK_CPUS2 (the two: 0-LAST), FLOWGATE_PCAPS, BUILD; COST_* as cost.sh.
# Needs root (BPF_PROG_TEST_RUN) and dpdk-dev (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PCAPS=${FLOWGATE_PCAPS:-../shared/pcaps}
breakdown=()
while getopts b o; do
	case $o in
	b) breakdown=(-b) ;;
	*) sed -n '2,31p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
PCAP=${1:-$PCAPS/ndpi__netflix.pcap}
APP=$BUILD/bench/fg_dpdk
SECS=${DPDK_SECONDS:-2}
ROUNDS=${DPDK_ROUNDS:-3}
last=$(($(nproc) - 1))
CPU1=${DPDK_CPU:-$last}
CPU2=${DPDK_CPUS2:-0-$last}

die() { echo "dpdk.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "BPF_PROG_TEST_RUN and DPDK need root"
[ -r "$PCAP" ] || die "no capture $PCAP (set FLOWGATE_PCAPS or pass a path)"
pkg-config --exists libdpdk ||
	die "no libdpdk: install dpdk-dev (bash scripts/deps.sh)"
make -s "$APP" >&2

out=$BUILD/bench/dpdk-last
mkdir -p "$out"
rm -f "$out"/*.json
PREFIX=fgdpdk-bench-$$
trap 'rmdir /var/run/dpdk/$PREFIX /var/run/dpdk 2>/dev/null || true' EXIT
EAL=(--no-huge --no-pci -m 1024 --no-shconf --no-telemetry
	--file-prefix="$PREFIX" --log-level=error)

dpdk() { # label cpus args...
	local label=$1 cpus=$2
	shift 2
	"$APP" -l "$cpus" "${EAL[@]}" "$@" >>"$out/$label.json" ||
		die "fg_dpdk failed ($label)"
}
vdev() { # queues: one rx_pcap per queue
	local v=net_pcap0,infinite_rx=1 i
	for ((i = 0; i < $1; i++)); do v+=",rx_pcap=$PCAP"; done
	echo "--vdev=$v"
}

nq2=$(($(echo "$CPU2" | tr ',-' '  ' | wc -w)))
[[ $CPU2 == *-* ]] && nq2=$((${CPU2#*-} - ${CPU2%-*} + 1))
echo "dpdk.sh: $PCAP, $ROUNDS rounds of ${SECS} s per DPDK variant," \
	"lcores $CPU1 then $CPU2; then bench/cost.sh" >&2
sets=("1:$CPU1")
[ "$nq2" -gt 1 ] && sets+=("$nq2:$CPU2") # one CPU: no two-lcore rows
for ((r = 0; r < ROUNDS; r++)); do
	for c in "${sets[@]}"; do
		n=${c%%:*} cpus=${c#*:}
		dpdk "ring-empty.$n" "$cpus" -- -s ring -w empty -t "$SECS" "$PCAP"
		dpdk "ring-parse.$n" "$cpus" -- -s ring -w parse -t "$SECS" "$PCAP"
		dpdk "ring-parse-hot.$n" "$cpus" -- -s ring -w parse -k 32 \
			-t "$SECS" "$PCAP"
		dpdk "ring-fg.$n" "$cpus" -- -s ring -w fg -t "$SECS" "$PCAP"
		dpdk "ring-fg-hot.$n" "$cpus" -- -s ring -w fg -k 32 -t "$SECS" \
			"$PCAP"
		dpdk "ring-fg-single.$n" "$cpus" -- -s ring -w fg -l single \
			-t "$SECS" "$PCAP"
		dpdk "pcap-empty.$n" "$cpus" "$(vdev "$n")" -- -s pcap -w empty \
			-t "$SECS"
		dpdk "pcap-fg.$n" "$cpus" "$(vdev "$n")" -- -s pcap -w fg \
			-t "$SECS"
	done
done
COST_COLD=0 bash bench/cost.sh -j "${breakdown[@]}" "$PCAP" >"$out/cost.json"

/usr/bin/python3 - "$out" "$PCAP" "$CPU1" "$CPU2" <<'EOF'
import glob, json, os, statistics, sys

out, pcap, cpu1, cpu2 = sys.argv[1:5]
med = statistics.median
rows = {}
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    label = os.path.basename(path)[:-5]
    if label == "cost":
        continue
    name, nq = label.rsplit(".", 1)
    runs = [json.loads(l) for l in open(path)]
    lcores = [r for r in runs if "lcore" in r]
    totals = [r["total"] for r in runs if "total" in r]
    rows[(name, int(nq))] = {
        "ns": med(r["ns_per_pkt"] for r in lcores),
        "mpps": med(t["mpps"] for t in totals),
        "wall_mpps": med(t["wall_mpps"] for t in totals),
        "passed": lcores[0]["passed"], "packets": lcores[0]["packets"],
        "flows": lcores[0]["flow_records"],
    }
cost = json.load(open(os.path.join(out, "cost.json")))
xdp = {p["label"]: p["ns_per_pkt"] for p in cost["programs"]}

print("capture %s: %d frames; DPDK lcore(s) %s / %s, XDP on CPU %s"
      % (pcap, cost["frames"], cpu1, cpu2, cost["cpu"]))
print()
print("%-34s %7s %10s %9s %10s" % ("variant", "lcores", "ns/pkt",
                                     "Mpps", "wall Mpps"))
order = ["ring-empty", "ring-parse", "ring-parse-hot", "ring-fg",
         "ring-fg-hot", "ring-fg-single", "pcap-empty", "pcap-fg"]
for nq in sorted({k[1] for k in rows}):
    for name in order:
        r = rows.get((name, nq))
        if r:
            print("%-34s %7d %10.2f %9.2f %10.2f" % (
                "dpdk " + name, nq, r["ns"], r["mpps"], r["wall_mpps"]))
for label in ("empty", "xdp-filter", "fg-parse-only", "fg-account-only",
              "fg_xdp-warm"):
    if label in xdp:
        ns = xdp[label]
        print("%-34s %7d %10.2f %9.2f %10s" % ("xdp test_run " + label, 1,
                                                ns, 1e3 / ns, "-"))
print()
one = {k[0]: v["ns"] for k, v in rows.items() if k[1] == 1}
fg, e = xdp["fg_xdp-warm"], xdp["empty"]
ratios = [
    ("fg_xdp / dpdk ring-fg-hot", fg / one["ring-fg-hot"]),
    ("fg_xdp / dpdk ring-fg", fg / one["ring-fg"]),
    ("xdp empty / dpdk ring-empty", e / one["ring-empty"]),
    ("(fg_xdp - xdp empty) / (ring-fg-hot - ring-empty)",
     (fg - e) / (one["ring-fg-hot"] - one["ring-empty"])),
    ("(fg_xdp - xdp empty) / (ring-fg - ring-empty)",
     (fg - e) / (one["ring-fg"] - one["ring-empty"])),
    ("dpdk ring-fg / ring-fg-hot (memory)",
     one["ring-fg"] / one["ring-fg-hot"]),
    ("dpdk pcap-fg / ring-fg (PMD copy)", one["pcap-fg"] / one["ring-fg"]),
    ("dpdk ring-fg-single / ring-fg (per packet / burst hashed first)",
     one["ring-fg-single"] / one["ring-fg"]),
]
if "fg-parse-only" in xdp:
    ratios.append(("(xdp fg-parse-only - empty) / (ring-parse-hot - empty)",
                   (xdp["fg-parse-only"] - e) /
                   (one["ring-parse-hot"] - one["ring-empty"])))
    ratios.append(("(fg_xdp - fg-parse-only) / (ring-fg-hot - ring-parse-hot)",
                   (fg - xdp["fg-parse-only"]) /
                   (one["ring-fg-hot"] - one["ring-parse-hot"])))
two = {k[0]: v for k, v in rows.items() if k[1] > 1}
if "ring-fg" in two:
    ratios.append(("dpdk ring-fg Mpps, %d lcores / 1" % max(k[1] for k in rows),
                   two["ring-fg"]["mpps"] / rows[("ring-fg", 1)]["mpps"]))
for name, v in ratios:
    print("%-62s %6.2f" % (name, v))
r = rows[("ring-fg", 1)]
print()
print("check: dpdk ring-fg passed %d of %d packets, %d flow records;"
      " fg_xdp passed %d of %d frames, %d flows"
      % (r["passed"], r["packets"], r["flows"],
         next(p["pass"] for p in cost["programs"]
              if p["label"] == "fg_xdp-warm"), cost["measured"],
         next(p["flows"]["entries"] for p in cost["programs"]
              if p["label"] == "fg_xdp-warm")))
EOF
