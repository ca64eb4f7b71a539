#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Prometheus endpoint end to end: `flowgate metrics listen` in the
# flowgate namespace over a lab with known traffic and an exporter.
# Asserts that every counter of `stats -j` is in /metrics with the same
# value (traffic stopped), that promtool accepts the exposition, that a
# real Prometheus server scraping it answers its query API with the exact
# counts sent, /healthz (200, 503 with the reason), bad arguments, the JSON
# log lines and a clean stop.
set -u
. "$(dirname "$0")/../lib/netns.sh"

PORT=9464     # the endpoint, on the namespace's loopback
PROM_PORT=9490 # the Prometheus server, likewise
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}

fg_setup
W=$T_DIR
PIDS=()
# shellcheck disable=SC2034 # read by fg_cleanup
T_CLEANUP_HOOK=mx_cleanup
CG=''
mx_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		"$FLOWGATE" rtt disable >/dev/null 2>&1
		rmdir "$CG" 2>/dev/null
	fi
	rm -rf "$W"
}

get() { # get PATH [PORT]: body on stdout, HTTP code in $W/code
	ip netns exec "$NS_RX" curl -s -o - -w '%{stderr}%{http_code}' \
		--max-time 5 "http://127.0.0.1:${2:-$PORT}$1" 2>"$W/code"
}

wait_http() { # wait_http PATH PORT: up to 10 s
	local i
	for ((i = 0; i < 100; i++)); do
		get "$1" "$2" >/dev/null && [ "$(cat "$W/code")" != 000 ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# query PROMQL: the value of the one series the query returns ("" if none)
query() {
	ip netns exec "$NS_RX" curl -s --max-time 5 -G \
		--data-urlencode "query=$1" \
		"http://127.0.0.1:$PROM_PORT/api/v1/query" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")' 2>/dev/null
}

# ---- bad arguments: exit 2, one Error line, nothing listens ----------------
for a in "" "listen" "listen 127.0.0.1" "listen 127.0.0.1:0" \
	"listen 127.0.0.1:70000" "listen ::1:9100" "listen host:9100" \
	"serve 127.0.0.1:9100" "listen 127.0.0.1:9100 extra"; do
	# shellcheck disable=SC2086 # the words are the arguments
	out=$(fg metrics $a 2>&1)
	rc=$?
	n=$(printf '%s\n' "$out" | grep -c '^Error: ')
	expect_eq "metrics $a: exit 2, one Error line" "$rc/$n" "2/1"
done
out=$(fg --log-format xml metrics listen 127.0.0.1:$PORT 2>&1)
expect_eq "--log-format xml: exit 2" "$?" 2

fg attach "$RX_IF" >/dev/null || bail "attach"
fg_settle || bail "the link does not settle"

# RTT on a cgroup of our own (found from the mounts, never a fixed path):
# one connection from it gives the histogram samples.
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || bail "no cgroup v2 mounted"
CG=$cg2/fgt-mx-$$
mkdir "$CG" || bail "cannot make $CG"
"$FLOWGATE" rtt enable cgroup "$CG" >/dev/null || bail "rtt enable"

# ---- the endpoint and an exporter (file output) -----------------------------
ip netns exec "$NS_RX" "$FLOWGATE" --log-format json metrics listen \
	"127.0.0.1:$PORT" 2>"$W/log" &
MX=$!
PIDS+=("$MX")
wait_http /healthz "$PORT" || bail "the endpoint does not answer"
ip netns exec "$NS_RX" "$FLOWGATE" --log-format json export \
	file "$W/out.ipfix" active-timeout 1 idle-timeout 1 interval 200 \
	2>"$W/exp.log" &
EXP=$!
PIDS+=("$EXP")
for ((i = 0; i < 50; i++)); do
	[ "$(fg -j stats | jget "$(cat)" '"exporter" in d')" = true ] && break
	sleep 0.1
done

out=$(get /healthz)
expect_eq "/healthz: 200 ok while attached and exporting" \
	"$(cat "$W/code") $out" "200 ok"
get /nothing >/dev/null
expect_eq "/nothing: 404" "$(cat "$W/code")" 404
code=$(ip netns exec "$NS_RX" curl -s -o /dev/null -w '%{http_code}' \
	-X POST "http://127.0.0.1:$PORT/metrics")
expect_eq "POST /metrics: 405" "$code" 405

# ---- Prometheus: a real server scraping the endpoint every second ------------
cat >"$W/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: flowgate
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
EOT
ip netns exec "$NS_RX" "$PROMETHEUS" --config.file="$W/prometheus.yml" \
	--storage.tsdb.path="$W/tsdb" --web.listen-address="127.0.0.1:$PROM_PORT" \
	--storage.tsdb.retention.time=1h --log.level=warn \
	>"$W/prometheus.log" 2>&1 &
PROM=$!
PIDS+=("$PROM")
wait_http /-/ready "$PROM_PORT" || bail "prometheus does not start"

# ---- known traffic: the frames of send_mix.py's "mix" set, twice -----------
before=$(fg_stats_json)
fg_send mix --repeat 2 >"$W/frames" || bail "send the frames"
want_pkts=$(jget "$(cat "$W/frames")" 'len(d)')
want_bytes=$(jget "$(cat "$W/frames")" 'sum(f["len"] for f in d)')
want_tcpflags=$(jget "$(cat "$W/frames")" \
	'sum(1 for f in d if f["drop"] == "tcp-flags")')
rx0=$(jget "$before" 'd["interfaces"][0]["rx_packets"]')
rxb0=$(jget "$before" 'd["interfaces"][0]["rx_bytes"]')
tf0=$(jget "$before" \
	'sum(r["dropped_packets"] for r in d["interfaces"][0]["reasons"]
	     if r["reason"] == "tcp-flags")')
fg_rx_wait $((rx0 + want_pkts))
diag "sent $want_pkts frames, $want_bytes bytes, $want_tcpflags tcp-flags"

# Prometheus sees the totals within a few scrapes.
sel="interface=\"$RX_IF\""
for ((i = 0; i < 100; i++)); do
	got=$(query "flowgate_received_packets_total{$sel}")
	[ "$got" = $((rx0 + want_pkts)) ] && break
	sleep 0.1
done
expect_eq "prometheus: received packets = before + frames sent" \
	"$got" $((rx0 + want_pkts))
expect_eq "prometheus: received bytes = before + bytes sent" \
	"$(query "flowgate_received_bytes_total{$sel}")" $((rxb0 + want_bytes))
expect_eq "prometheus: tcp-flags drops = before + tcp-flags frames sent" \
	"$(query "flowgate_drop_reason_packets_total{$sel,reason=\"tcp-flags\"}")" \
	$((tf0 + want_tcpflags))
expect_eq "prometheus: seen = passed + dropped" \
	"$(query "flowgate_received_packets_total{$sel} - flowgate_passed_packets_total{$sel} - flowgate_dropped_packets_total{$sel}")" 0
expect_eq "prometheus: the drops by reason sum to the drops" \
	"$(query "sum(flowgate_drop_reason_packets_total{$sel}) - sum(flowgate_dropped_packets_total{$sel})")" 0
expect_eq "prometheus: the target is up" \
	"$(query 'up{job="flowgate"}')" 1
expect_eq "prometheus: build_info carries version and kernel" \
	"$(query "count(flowgate_build_info{kernel=\"$(uname -r)\",version=~\".+\"})")" 1

# The Grafana dashboard: every query parses and runs on this server, and
# every flowgate metric it names is one the endpoint serves.
dash=$FG_ROOT/contrib/grafana-flowgate.json
served=$(get /metrics | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p')
bad=$("$PY" - "$dash" "$PROM_PORT" "$NS_RX" $served <<'EOT'
import json, re, subprocess, sys
d = json.load(open(sys.argv[1]))
port, ns, served = sys.argv[2], sys.argv[3], set(sys.argv[4:])
for p in d["panels"]:
    for t in p["targets"]:
        e = t["expr"].replace("$__rate_interval", "1m")
        e = e.replace('"$interface"', '".*"')
        for m in re.findall(r"flowgate_[a-z_]+", e):
            base = re.sub(r"_(bucket|sum|count)$", "", m)
            if m not in served and base not in served:
                print("%s: unknown metric %s" % (p["title"], m))
        r = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-G",
                            "--data-urlencode", "query=" + e,
                            "http://127.0.0.1:%s/api/v1/query" % port],
                           capture_output=True, text=True)
        if json.loads(r.stdout or "{}").get("status") != "success":
            print("%s: %s: %s" % (p["title"], e, r.stdout.strip()))
EOT
)
expect_eq "the Grafana dashboard's queries run and name served metrics" \
	"$bad" ""

# ---- the other daemons' JSON log lines -------------------------------------
kill -HUP "$EXP"
wait_for 50 grep -q '"event":"reload"' "$W/exp.log"
check "export --log-format json: SIGHUP is one JSON line, event reload" \
	"$PY" -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
r = [x for x in d if x["event"] == "reload"]
assert len(r) == 1 and r[0]["level"] == "info" and \
    r[0]["result"] == "templates" and "re-sending" in r[0]["msg"], d
' "$W/exp.log"
printf 'profile default\n[rules]\nproto udp dport 9 action count\n' \
	>"$W/fg.conf"
ip netns exec "$NS_RX" "$FLOWGATE" --log-format json daemon config \
	"$W/fg.conf" 2>"$W/daemon.log" &
DMN=$!
PIDS+=("$DMN")
wait_for 50 grep -q '"event":"applied"' "$W/daemon.log"
kill -TERM "$DMN"
wait "$DMN"
check "daemon config --log-format json: start, applied (with its fields), stop" \
	"$PY" -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert [x["event"] for x in d] == ["start", "applied", "stop"], d
a = d[1]
assert a["file"] == sys.argv[2] and a["rules"] == 1 and \
    a["profile"] == "default" and a["level"] == "info", a
' "$W/daemon.log" "$W/fg.conf"
fg rule flush >/dev/null

# ---- /metrics and stats -j agree exactly (exporter stopped, no traffic) -----
# A TCP connection from the RTT cgroup (the scrapes are outside it).
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" ip netns exec \
	"$NS_RX" curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"
sleep 2.5 # idle timeout 1 s: the exporter's records of the mix are out
kill -TERM "$EXP"
wait "$EXP"
expect_eq "exporter stops cleanly" "$?" 0
fg -j stats >"$W/stats.json"
get /metrics >"$W/metrics.txt"
fg -j stats >"$W/stats2.json"
expect_eq "/metrics: 200" "$(cat "$W/code")" 200
check "stats -j did not move while scraping" cmp "$W/stats.json" "$W/stats2.json"
while IFS=$'\t' read -r verdict name got wnt; do
	if [ "$verdict" = ok ]; then
		ok "$name"
	else
		not_ok "stats -j and /metrics agree: $name"
		diag "  got $got, want $wnt"
	fi
done < <("$PY" "$FG_ROOT/tests/e2e/metrics_check.py" "$W/stats.json" \
	"$W/metrics.txt" || echo "not ok	metrics_check.py failed")
rtt=$("$FLOWGATE" -j rtt show)
samples=$(jget "$rtt" 'd["counters"]["samples"]')
sum_s=$(jget "$rtt" '"%.6f" % (d["counters"]["sum_us"] / 1e6)')
diag "rtt: $samples samples, $sum_s s"
check "the RTT cgroup's connection gave samples" test "${samples:-0}" -gt 0
check "RTT histogram: _count and +Inf are rtt show's samples" bash -c "
	grep -qx 'flowgate_tcp_rtt_seconds_count $samples' '$W/metrics.txt' &&
	grep -qx 'flowgate_tcp_rtt_seconds_bucket{le=\"+Inf\"} $samples' '$W/metrics.txt'"
check "RTT histogram: _sum is rtt show's sum" bash -c "
	v=\$(sed -n 's/^flowgate_tcp_rtt_seconds_sum //p' '$W/metrics.txt')
	[ \"\$(printf '%.6f' \"\$v\")\" = '$sum_s' ]"
check "promtool check metrics: no problems" \
	bash -c "'$PROMTOOL' check metrics < '$W/metrics.txt'"
# (which reason depends on the timing: idle before the stop, forced at it)
check "exporter records by end reason are in the scrape, some of them" \
	awk '/^flowgate_exporter_records_total\{end_reason=/ { n++; t += $2 }
	     END { exit !(n == 5 && t > 0) }' "$W/metrics.txt"
check "one HELP and one TYPE per family" bash -c "
	[ \$(grep -c '^# TYPE' '$W/metrics.txt') = \
	  \$(grep '^# TYPE' '$W/metrics.txt' | sort -u | wc -l) ]"
check "no address or port labels" bash -c "
	! grep -E '[{,](addr|src|dst|sport|dport|port)=' '$W/metrics.txt'"

out=$(get /healthz)
expect_eq "/healthz: 503 once the exporter is gone" \
	"$(cat "$W/code") $out" "503 the exporter is not running"

# ---- detached: 503 with the reason ----------------------------------------
fg detach "$RX_IF" >/dev/null
fg -j stats >/dev/null 2>&1
out=$(get /healthz)
# Detach keeps the pinned state (policy survives it): the reason is the
# interface, not the state.
expect_eq "/healthz after detach: 503 and the reason" \
	"$(cat "$W/code") $out" "503 no interface attached"
check "the scrape still answers after detach" bash -c "
	ip netns exec '$NS_RX' curl -sf http://127.0.0.1:$PORT/metrics |
	grep -q '^flowgate_build_info'"

# ---- stop, and the log ---------------------------------------------------
kill -TERM "$MX"
wait "$MX"
expect_eq "metrics listen stops on SIGTERM with exit 0" "$?" 0
check "log: every line is a JSON object with ts, level and event" \
	"$PY" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no log"
for l in lines:
    d = json.loads(l)
    assert {"ts", "level", "event"} <= set(d), l
ev = [json.loads(l)["event"] for l in lines]
assert ev[0] == "listen" and ev[-1] == "stop", ev
assert "unhealthy" in ev, ev
' "$W/log"
kill -TERM "$PROM"
wait "$PROM" 2>/dev/null
fg_done
