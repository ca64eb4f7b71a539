#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What flowgate costs a real web server (BENCHMARKS.md, "A web server"):
# nginx (Debian's) in a namespace behind a veth, `hey` (Debian's) in
# another namespace as the client, at a fixed rate (RATE requests/s,
# default 10000: hey -c CONC -q RATE/CONC) and at the server's saturation
# (no rate limit), for six set-ups, flowgate's each on top of the one
# before:
#
#   none      no flowgate
#   xdp-filter  xdp-filter's program instead (allow policy, no rules): the
#             peer's per-packet cost in the same cold-cache regime
#   flows     flowgate attach (guard + flow accounting, default settings)
#   rtt       + flowgate rtt enable, on a cgroup holding nginx only
#   rules     + 100,000 drop rules (none matches the bench's addresses)
#   capture   + flowgate capture drops sample 100 (to /dev/null)
#
# Interleaved: every round runs the five in turn (ROUNDS, default 5), so
# that the machine's load, which moves (it is shared), falls on all of
# them alike. For each: p50/p99/p99.9 latency at RATE (from hey's
# per-request CSV), the rate reached, the saturation throughput, the
# whole machine's CPU over the fixed-rate run (/proc/stat: busy and
# softirq, in CPUs) and the BPF programs' own run time
# (kernel.bpf_stats_enabled, restored after), per program and in all, as
# ns per request and % of one CPU. Medians over the rounds, with
# min-max; "added" columns are the median of each round's difference
# against that round's `none`.
#
#   bench/web.sh [-j] [-r ROUNDS] [-d SECS] [-R RATE] [-c CONC]
#
# Installs nginx and hey if missing (scripts/deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

json=0 rounds=5 secs=5 rate=10000 conc=50
bl_opts 'j=json r:rounds d:secs R:rate c:conc' "$@"
bl_start "namespaces, XDP, cgroups, bpffs"
bash scripts/deps.sh --bench >&2 || die "cannot install nginx and hey"

ID=$$
NS_C=fgw-c-$ID NS_S=fgw-s-$ID C_IF=fgw${ID}a S_IF=fgw${ID}b
C_IP=192.0.2.1 S_IP=192.0.2.2
CG='' STATS_WAS=''

web_cleanup() {
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		"$FLOWGATE" rtt disable >/dev/null 2>&1 || true
	fi
	if [ -n "$STATS_WAS" ]; then
		sysctl -qw "kernel.bpf_stats_enabled=$STATS_WAS" || true
	fi
	[ -n "${NGINX:-}" ] && bl_stop "$NGINX"
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		rmdir "$CG" 2>/dev/null || true
	fi
}
BL_CLEANUP_HOOK=web_cleanup
bl_bpffs fgweb
bl_veth2 "$NS_C" "$C_IF" "$NS_S" "$S_IF"
ip -n "$NS_C" addr add "$C_IP/24" dev "$C_IF"
ip -n "$NS_S" addr add "$S_IP/24" dev "$S_IF"
TMP=$BL_TMP
fg() { ip netns exec "$NS_S" "$FLOWGATE" "$@"; }

# nginx: one worker (a small server's share of this machine), a 612-byte
# page, no access log.
mkdir -p "$TMP/www" "$TMP/ngx"
head -c 612 /dev/zero | tr '\0' x >"$TMP/www/index.html"
chmod 755 "$TMP" "$TMP/www" # nginx's worker is not root
cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $TMP/ngx/nginx.pid;
error_log $TMP/ngx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $TMP/ngx;
	proxy_temp_path $TMP/ngx;
	fastcgi_temp_path $TMP/ngx;
	uwsgi_temp_path $TMP/ngx;
	scgi_temp_path $TMP/ngx;
	server {
		listen $S_IP:80;
		root $TMP/www;
	}
}
EOF

# A cgroup of its own for nginx: sock_ops sees its sockets only.
cg2=$(bl_cgroup2)
[ -n "$cg2" ] || die "no cgroup v2 mount"
CG=$cg2/fgweb-$ID
mkdir "$CG"
bl_bg sh -c "echo \$\$ >'$CG/cgroup.procs' && exec ip netns exec '$NS_S' nginx -c '$TMP/nginx.conf'"
NGINX=$BL_LAST
for i in $(seq 50); do
	ip netns exec "$NS_C" bash -c "exec 3<>/dev/tcp/$S_IP/80" 2>/dev/null && break
	sleep 0.1
done
[ "$i" -lt 50 ] || die "nginx does not answer on $S_IP:80: $(tail -3 "$TMP/ngx/error.log" 2>&1)"

bl_gen_rules 100000 1 >"$TMP/rules"
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1

# The ids of flowgate's programs on this bench: on the link (XDP, TC) and
# on nginx's cgroup (sock_ops).
prog_ids() {
	{
		ip netns exec "$NS_S" bpftool -j net show dev "$S_IF"
		echo
		bpftool -j cgroup show "$CG"
		echo
	} | "$PY" -c '
import json, sys
ids = set()
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("id", "prog_id") and isinstance(v, int):
                ids.add(v)
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
for line in sys.stdin.read().split("\n"):
    line = line.strip()
    if line:
        walk(json.loads(line))
print(" ".join(str(i) for i in sorted(ids)))'
}

# "name run_time_ns run_cnt" of each program id given.
prog_stats() {
	local id
	for id in "$@"; do
		bpftool -j prog show id "$id" 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("name", "?"), d.get("run_time_ns", 0), d.get("run_cnt", 0))'
	done
}

cpu_stat() { awk '$1 == "cpu" { print $2, $3, $4, $5, $6, $7, $8, $9 }' /proc/stat; }

# run CONFIG ROUND: one fixed-rate and one saturation run; one JSON line.
run() {
	local cfg=$1 r=$2 ids st0 st1 c0 c1 t0 t1 sat

	ids=$(prog_ids)
	# shellcheck disable=SC2086 # a list of ids
	st0=$(prog_stats $ids)
	c0=$(cpu_stat) t0=$(date +%s.%N)
	ip netns exec "$NS_C" hey -z "${secs}s" -c "$conc" \
		-q $((rate / conc)) -o csv "http://$S_IP/" >"$TMP/fixed.csv" 2>/dev/null
	c1=$(cpu_stat) t1=$(date +%s.%N)
	# shellcheck disable=SC2086
	st1=$(prog_stats $ids)
	ip netns exec "$NS_C" hey -z "${secs}s" -c "$conc" "http://$S_IP/" \
		>"$TMP/sat.txt" 2>/dev/null
	sat=$(awk '/Requests\/sec:/ { print $2 }' "$TMP/sat.txt")
	"$PY" - "$cfg" "$r" "$t0" "$t1" "$c0" "$c1" "$st0" "$st1" "${sat:-0}" \
		"$TMP/fixed.csv" "$(nproc)" <<'EOF'
import csv, json, sys
cfg, r, t0, t1, c0, c1, st0, st1, sat, path, ncpu = sys.argv[1:]
wall = float(t1) - float(t0)
lat, ok = [], 0
with open(path) as f:
    for row in csv.DictReader(f):
        lat.append(float(row["response-time"]))
        ok += row["status-code"] == "200"
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e3 if lat else 0
a = [int(x) for x in c0.split()]
b = [int(x) for x in c1.split()]
d = [y - x for x, y in zip(a, b)]
tot = sum(d) or 1
busy = tot - d[3] - d[4]
def progs(s):
    o = {}
    for line in s.splitlines():
        n, t, c = line.split()
        o.setdefault(n, [0, 0])
        o[n][0] += int(t)
        o[n][1] += int(c)
    return o
p0, p1 = progs(st0), progs(st1)
bpf = {n: (p1[n][0] - p0.get(n, [0, 0])[0], p1[n][1] - p0.get(n, [0, 0])[1])
       for n in p1}
n = len(lat)
print(json.dumps({
    "config": cfg, "round": int(r), "requests": n, "ok": ok,
    "rate": round(ok / wall), "sat_rps": float(sat),
    "p50_ms": pct(50), "p99_ms": pct(99), "p999_ms": pct(99.9),
    "cpu_busy": busy / tot * int(ncpu), "cpu_softirq": d[6] / tot * int(ncpu),
    "bpf_ns": {k: v[0] for k, v in bpf.items()},
    "bpf_runs": {k: v[1] for k, v in bpf.items()},
    "bpf_pct": sum(v[0] for v in bpf.values()) / wall / 1e7,
    "bpf_ns_per_req": sum(v[0] for v in bpf.values()) / max(n, 1),
}))
EOF
}

CONFIGS=(none xdp-filter flows rtt rules capture)
xf() { ip netns exec "$NS_S" xdp-filter "$@" >/dev/null 2>&1; }
setup() { # setup CONFIG: from the one before it
	case $1 in
	none) ;;
	xdp-filter) xf load "$S_IF" || die "xdp-filter load" ;;
	flows)
		xf unload "$S_IF" || die "xdp-filter unload"
		fg attach "$S_IF" >/dev/null || die "attach"
		;;
	rtt) "$FLOWGATE" rtt enable cgroup "$CG" >/dev/null || die "rtt enable" ;; # /sys of the host: its cgroups
	rules) fg rule load "$TMP/rules" >/dev/null || die "rule load" ;;
	capture)
		bl_bg ip netns exec "$NS_S" "$FLOWGATE" capture dev "$S_IF" drops \
			sample 100 write /dev/null >>"$TMP/capture.txt" 2>&1
		CAP=$BL_LAST
		sleep 0.5
		;;
	esac
}
teardown() { # back to none
	if [ -n "${CAP:-}" ]; then
		bl_stop "$CAP"
		CAP=
	fi
	"$FLOWGATE" rtt disable >/dev/null 2>&1 || true
	fg detach "$S_IF" >/dev/null 2>&1 || true
	fg purge >/dev/null 2>&1 || true
	xf unload "$S_IF" || true
}

load="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before: $load ($(nproc) CPUs); $rounds rounds of ${secs} s runs"
: >"$TMP/rows"
for r in $(seq "$rounds"); do
	for c in "${CONFIGS[@]}"; do
		setup "$c"
		run "$c" "$r" >>"$TMP/rows"
		log "round $r $c: $(tail -1 "$TMP/rows" | cut -c1-160)"
	done
	teardown
done
load2="$(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$json" "$TMP/rows" "$rate" "$load" "$load2" <<'EOF'
import json, os, statistics, sys
js, path, rate, l0, l1 = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]
cfgs = ["none", "xdp-filter", "flows", "rtt", "rules", "capture"]
by = {(r["config"], r["round"]): r for r in rows}
rounds = sorted({r["round"] for r in rows})
def stat(vals):
    vals = sorted(vals)
    return {"median": statistics.median(vals), "min": vals[0], "max": vals[-1]}
out = {"rate": int(rate), "rounds": len(rounds), "load_before": l0,
       "load_after": l1, "configs": {}}
keys = ["rate", "p50_ms", "p99_ms", "p999_ms", "sat_rps", "cpu_busy",
        "cpu_softirq", "bpf_pct", "bpf_ns_per_req"]
for c in cfgs:
    rs = [by[(c, i)] for i in rounds if (c, i) in by]
    if not rs:
        continue
    o = {k: stat([r[k] for r in rs]) for k in keys}
    base = [by[("none", i)] for i in rounds if (c, i) in by]
    o["added_p99_ms"] = stat([r["p99_ms"] - b["p99_ms"] for r, b in zip(rs, base)])
    o["added_cpu"] = stat([r["cpu_busy"] - b["cpu_busy"] for r, b in zip(rs, base)])
    o["sat_vs_none"] = stat([r["sat_rps"] / b["sat_rps"] if b["sat_rps"] else 0
                             for r, b in zip(rs, base)])
    progs = sorted({p for r in rs for p in r["bpf_ns"]})
    o["prog_ns_per_run"] = {p: stat([r["bpf_ns"].get(p, 0) / max(r["bpf_runs"].get(p, 0), 1)
                                     for r in rs]) for p in progs}
    o["prog_runs_per_req"] = {p: stat([r["bpf_runs"].get(p, 0) / max(r["requests"], 1)
                                       for r in rs]) for p in progs}
    out["configs"][c] = o
if js == "1":
    print(json.dumps(out))
    sys.exit(0)
m = lambda s, f="%.3f": (f % s["median"]) + " (" + (f % s["min"]) + "-" + (f % s["max"]) + ")"
print("nginx behind a veth, hey at %s requests/s and at saturation; %d rounds, medians (min-max)"
      % (rate, len(rounds)))
for c, o in out["configs"].items():
    print("%-8s rate %s  p50 %s  p99 %s  p99.9 %s ms" % (
        c, m(o["rate"], "%.0f"), m(o["p50_ms"]), m(o["p99_ms"]), m(o["p999_ms"])))
    print("         added p99 %s ms; saturation %s req/s, %s of none" % (
        m(o["added_p99_ms"]), m(o["sat_rps"], "%.0f"), m(o["sat_vs_none"], "%.3f")))
    print("         machine CPU %s CPUs (softirq %s), added %s CPUs" % (
        m(o["cpu_busy"], "%.2f"), m(o["cpu_softirq"], "%.2f"), m(o["added_cpu"], "%.2f")))
    if o["prog_ns_per_run"]:
        print("         BPF %s %% of one CPU, %s ns per request" % (
            m(o["bpf_pct"], "%.2f"), m(o["bpf_ns_per_req"], "%.0f")))
        for p, s in o["prog_ns_per_run"].items():
            print("           %-16s %s ns per run, %s runs per request" % (
                p, m(s, "%.0f"), m(o["prog_runs_per_req"][p], "%.2f")))
print("load average before %s, after %s (%d CPUs)" % (l0, l1, os.cpu_count()))
EOF
