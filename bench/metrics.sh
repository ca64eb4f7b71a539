#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What a Prometheus scrape of `flowgate metrics listen` costs at a full flow
# table (BENCHMARKS.md, "Prometheus scrape"), against baselines measured in
# the same run:
#
#  - the endpoint's CPU time (user + system of its process) and wall time
#    (curl) per scrape: with the table empty (ROUNDS scrapes, default 20);
#    the first scrape after FLOWS flows (default 1048576) were written,
#    which counts the table; and ROUNDS scrapes after it, which take the
#    count from that one (it is counted again when older than 100 times
#    the CPU time counting took);
#  - `flowgate -j stats` on the same full table, which counts it every
#    time: the same readers, as the CLI runs them (3 runs).
#
#   bench/metrics.sh [-j] [-n FLOWS] [-r ROUNDS]
#
# No traffic: the flows are written into the pinned table through its
# mapping (bench/exp_bench.c fill), on a veth that flowgate is
# attached to, in a throw-away namespace with a private bpffs.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
EXB=$ROOT/$BUILD/bench/exp_bench

json=0 nflows=1048576 rounds=20
bl_opts 'j=json n:nflows r:rounds' "$@"
bl_start "namespaces, XDP, bpffs"

bl_exp_bench
PORT=9477 MX=''
BL_CLEANUP_HOOK=stop_mx
stop_mx() { if [ -n "$MX" ]; then bl_stop "$MX"; fi; }
bl_lab1 fgm

cpu_of() { bl_cpu_of "$1"; }

# scrapes N: N scrapes; prints "cpu_us_per_scrape wall_us_per_scrape bytes"
scrapes() {
	local c0 c1 t=0 w i bytes n=$1
	c0=$(cpu_of "$MX")
	for ((i = 0; i < n; i++)); do
		w=$(in_ns curl -s -o "$TMP/scrape" -w '%{time_total}' \
			"http://127.0.0.1:$PORT/metrics")
		t=$("$PY" -c "print($t + $w)")
	done
	c1=$(cpu_of "$MX")
	bytes=$(wc -c <"$TMP/scrape")
	"$PY" -c "print(int(($c1 - $c0) / $n), int($t * 1e6 / $n), $bytes)"
}

load="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before: $load ($(nproc) CPUs)"

fg attach "$DEV" max-flows "$nflows" >/dev/null || die "attach max-flows $nflows"
ifindex=$(fg -j stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["interfaces"][0]["ifindex"])')
ip netns exec "$NS" "$FLOWGATE" metrics listen "127.0.0.1:$PORT" 2>"$TMP/mx.log" &
MX=$!
for ((i = 0; i < 50; i++)); do
	in_ns curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
	sleep 0.1
done

read -r empty_cpu empty_wall empty_bytes < <(scrapes "$rounds")
log "empty table: $empty_cpu us CPU, $empty_wall us wall per scrape, $empty_bytes bytes"
log "filling $nflows flows"
in_ns "$EXB" fill "$nflows" "$ifindex" 0 >/dev/null || die "fill"
# The count of the empty table is kept for 100 times the CPU time it took
# (it reads the same header lines as a full one's): one scrape every half
# second until one counts the table again; that one is measured.
for ((i = 0; ; i++)); do
	[ "$i" -lt 240 ] || die "no scrape counted the table in 120 s"
	sleep 0.5
	read -r count_cpu count_wall count_bytes < <(scrapes 1)
	entries=$(sed -n 's/^flowgate_flow_table_entries //p' "$TMP/scrape")
	[ "$entries" = 0 ] || break
done
[ "$entries" = "$nflows" ] || die "the scrape says $entries entries, not $nflows"
log "full table, counted: $count_cpu us CPU, $count_wall us wall"
read -r full_cpu full_wall full_bytes < <(scrapes "$rounds")
age=$(sed -n 's/^flowgate_flow_table_count_age_seconds //p' "$TMP/scrape")
log "full table, count kept: $full_cpu us CPU, $full_wall us wall per scrape (count $age s old)"
t0=$(date +%s%N)
for ((i = 0; i < 3; i++)); do fg -j stats >/dev/null; done
stats_wall=$((($(date +%s%N) - t0) / 1000 / 3))
log "stats -j on the full table: $stats_wall us wall per run"

"$PY" - "$json" "$nflows" "$rounds" "$empty_cpu" "$empty_wall" "$count_cpu" \
	"$count_wall" "$full_cpu" "$full_wall" "$full_bytes" "$stats_wall" \
	"$load" <<'EOT'
import json, sys
(j, n, rounds, ec, ew, cc, cw, fc, fw, fb, sw, load) = sys.argv[1:13]
d = {"flows": int(n), "rounds": int(rounds),
     "scrape_empty_cpu_us": int(ec), "scrape_empty_wall_us": int(ew),
     "scrape_counting_cpu_us": int(cc), "scrape_counting_wall_us": int(cw),
     "scrape_full_cpu_us": int(fc), "scrape_full_wall_us": int(fw),
     "scrape_bytes": int(fb), "stats_full_wall_us": int(sw),
     "counting_over_stats_wall": round(int(cw) / max(int(sw), 1), 2),
     "full_over_empty_cpu": round(int(fc) / max(int(ec), 1), 2),
     "recount_every_s": round(int(cc) * 100 / 1e6, 1),
     "load_before": load}
if j == "1":
    print(json.dumps(d))
else:
    for k, v in d.items():
        print("%-24s %s" % (k, v))
EOT
