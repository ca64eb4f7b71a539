#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP RTT from sock_ops, end to end: the program on a child cgroup this
# test creates (never the root, so parallel tests are not disturbed), TCP
# connections over IPv4 and IPv6 between two namespaces across a veth
# pair shaped with tbf (this kernel has no netem) so the RTT is
# milliseconds; flowgate's RTT of each socket against the kernel's own
# view (`ss -ti`); the join onto flow records; closed connections leave
# no live state; enable/disable leave nothing behind and touch nothing
# else. The trap detaches and removes the cgroup even on failure.
. "$(dirname "$0")/../lib/netns.sh"

# cgroup v2 where this system mounts it (Debian: /sys/fs/cgroup; hybrid
# layouts: /sys/fs/cgroup/unified): the first cgroup2 mount.
CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CG=${CG_ROOT:-/nonexistent}/fgt-rtt-$$
CG2=$CG-other
PORT=5201
BULK=400000 PINGS=8
# srtt: flowgate keeps the value the RTT callback was given; the kernel
# may have moved it since on ACKs inside the same RTT window (the
# callback runs once per window). The ping-pongs at the end make both
# the same; the tolerance covers an ACK that still lands in between.
TOL_PCT=5 TOL_US=200
PIDS=()

rtt() { "$FLOWGATE" "$@"; } # host namespace: /sys/fs/cgroup is there

rtt_cleanup() {
	local p id i c
	[ -n "${RTT_DIR:-}" ] && touch "$RTT_DIR/done"
	# The peers are in the test cgroup (PIDS are the subshells that put
	# them there): kill what runs in it, by PID, until it is empty.
	for ((i = 0; i < 50; i++)); do
		[ -n "$(cat "$CG/cgroup.procs" 2>/dev/null)" ] || break
		for p in $(cat "$CG/cgroup.procs"); do
			kill "$p" 2>/dev/null
		done
		sleep 0.1
	done
	wait 2>/dev/null
	rtt rtt disable >/dev/null 2>&1
	# Whatever the CLI left: detach by ID, then remove the cgroups (that
	# too detaches; it needs them empty, which the kills made them).
	for c in "$CG" "$CG2"; do
		[ -d "$c" ] || continue
		for id in $(bpftool cgroup show "$c" 2>/dev/null |
			awk '$2 == "cgroup_sock_ops" {print $1}'); do
			bpftool cgroup detach "$c" sock_ops id "$id" 2>/dev/null
		done
		rmdir "$c" 2>/dev/null
	done
	[ -n "${RTT_DIR:-}" ] && rm -rf "$RTT_DIR"
}

fg_setup
trap 'rc=$?; rtt_cleanup; (exit $rc); fg_cleanup' EXIT
[ -n "$CG_ROOT" ] || bail "no cgroup v2 mount in /proc/self/mounts"
mkdir "$CG" || bail "cannot create $CG"
RTT_DIR=$(mktemp -d /tmp/fgrtt.XXXXXX) || bail "mktemp"

# in_cg CMD...: run CMD as a member of the test cgroup
in_cg() {
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"
}

cg_progs() { # sock_ops programs on a cgroup
	bpftool cgroup show "$1" 2>/dev/null | grep -c cgroup_sock_ops
}

# ---- errors leave nothing ------------------------------------------------------
out=$(rtt rtt disable 2>&1)
expect_eq "disable when not enabled: exit 1, one error line" \
	"$?:$(echo "$out" | grep -c '^Error: rtt is not enabled')" "1:1"
out=$(rtt rtt enable cgroup /nonexistent-$$ 2>&1)
expect_eq "enable on a missing cgroup: exit 1, one error line" \
	"$?:$out" "1:Error: cannot open cgroup '/nonexistent-$$': No such file or directory"
out=$(rtt rtt enable cgroup /tmp 2>&1)
expect_eq "enable on a directory that is no cgroup v2: exit 1" \
	"$?:$out" "1:Error: '/tmp' is not a cgroup v2 directory"
check "failed enables left no pins" test ! -e "$FLOWGATE_BPFFS"
rtt rtt enable cgroup >/dev/null 2>&1
expect_eq "enable cgroup without a path: usage, exit 2" "$?" 2
rtt rtt show >/dev/null 2>&1
expect_eq "show when not enabled: exit 1" "$?" 1

# ---- enable, idempotent, exclusive -------------------------------------------------
j=$(rtt -j rtt enable cgroup "$CG") || bail "rtt enable: $j"
expect_eq "enable: enabled, on the test cgroup" \
	"$(jget "$j" '(d["enabled"], d["already_enabled"], d["cgroup"])')" \
	"[true, false, \"$CG\"]"
expect_eq "the program is on the cgroup" "$(cg_progs "$CG")" 1
j=$(rtt -j rtt enable cgroup "$CG")
expect_eq "enable again: exit 0, already_enabled" \
	"$?:$(jget "$j" 'd["already_enabled"]')" "0:true"
expect_eq "enable again: still one program" "$(cg_progs "$CG")" 1
mkdir "$CG2"
out=$(rtt rtt enable cgroup "$CG2" 2>&1)
expect_eq "enable on another cgroup while enabled: exit 1" "$?" 1
check "  ... says where it is enabled" grep -q "already enabled on cgroup '$CG'" <<<"$out"
expect_eq "  ... and attaches nothing there" "$(cg_progs "$CG2")" 0
rmdir "$CG2"

# ---- traffic through a shaped link -------------------------------------------------
fg attach "$RX_IF" >/dev/null || bail "attach"
for ns_if in "$NS_TX $TX_IF" "$NS_RX $RX_IF"; do
	set -- $ns_if
	tc -n "$1" qdisc add dev "$2" root tbf rate 16mbit burst 16kb \
		latency 40ms || bail "tbf on $2"
done
PEERS=$RTT_DIR/peers
in_cg ip netns exec "$NS_RX" "$PY" "$FG_ROOT/tests/e2e/rtt_peer.py" server \
	:: "$PORT" 2 "$RTT_DIR/done" "$BULK" "$PINGS" >>"$PEERS" 2>>"$RTT_DIR/peer.err" &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	grep -q listening "$PEERS" 2>/dev/null && break
	sleep 0.1
done
for dst in "$RX_IP4" "$RX_IP6"; do
	in_cg ip netns exec "$NS_TX" "$PY" "$FG_ROOT/tests/e2e/rtt_peer.py" \
		client "$dst" "$PORT" "$RTT_DIR/done" "$BULK" "$PINGS" \
		>>"$PEERS" 2>>"$RTT_DIR/peer.err" &
	PIDS+=($!)
done
for ((i = 0; i < 300; i++)); do # both ends of both connections report
	[ "$(grep -c '"role": "\(client\|server\)"' "$PEERS")" -ge 4 ] && break
	sleep 0.1
done
n=$(grep -c '"role": "\(client\|server\)"' "$PEERS")
expect_eq "4 sockets: 2 clients, 2 server ends" "$n" 4
[ "$n" = 4 ] || sed 's/^/#   /' "$PEERS" "$RTT_DIR/peer.err"
sleep 0.5 # the last ACKs of the ping-pongs
rtt -j rtt >"$RTT_DIR/rtt.json"
ip netns exec "$NS_TX" ss -tinH >"$RTT_DIR/ss.tx"
ip netns exec "$NS_RX" ss -tinH >"$RTT_DIR/ss.rx"
fg -j flow dump dev "$RX_IF" proto tcp >"$RTT_DIR/flows.json"

tap_from() { # TAP lines from rtt_check.py's output
	local l n d
	while IFS=$'\t' read -r l n d; do
		case $l in
		ok) ok "$n" ;;
		"not ok") not_ok "$n" && diag "  $d" ;;
		*) echo "$l $n" ;;
		esac
	done
}
tap_from < <("$PY" "$FG_ROOT/tests/e2e/rtt_check.py" compare \
	"$RTT_DIR/rtt.json" "$PEERS" "$RTT_DIR/ss.tx" "$RTT_DIR/ss.rx" \
	"$TOL_PCT" "$TOL_US" || echo "not ok	rtt_check.py compare failed")
tap_from < <("$PY" "$FG_ROOT/tests/e2e/rtt_check.py" join \
	"$RTT_DIR/rtt.json" "$RTT_DIR/flows.json" "$PEERS" ||
	echo "not ok	rtt_check.py join failed")
r=$(cat "$RTT_DIR/rtt.json")
# Exact samples from 6.10 on, coarse ones before (or with
# FLOWGATE_FAKE_KFEAT=rtt_cb_args, test_rtt_coarse.sh): as status says.
mode=$(jget "$(fg -j status)" 'd["kernel"]["rtt_samples"]')
expect_eq "sample mode: as status says for this kernel ($mode)" \
	"$(jget "$r" 'd["sample_mode"]')" "$mode"
expect_eq "counters: conserved, nothing lost, every sample $mode" \
	"$(jget "$r" '[d["counters"][k] for k in ("conserved", "conn_table_full", "port_table_full")] + [d["counters"]["coarse_samples"] == (d["counters"]["samples"] if d["sample_mode"] == "coarse" else 0)]')" \
	"[true, 0, 0, true]"
expect_eq "histogram holds every sample" \
	"$(jget "$r" 'sum(b["count"] for b in d["histogram"])')" \
	"$(jget "$r" 'd["counters"]["samples"]')"
expect_eq "per-port: accepted under local $PORT, opened under remote $PORT" \
	"$(jget "$r" 'sorted((p["port"], p["side"]) for p in d["ports"])')" \
	"[[$PORT, \"local\"], [$PORT, \"remote\"]]"
expect_eq "filter addr $TX_IP6: the two ends of the IPv6 connection" \
	"$(jget "$(rtt -j rtt addr "$TX_IP6")" 'sorted(c["side"] for c in d["connections"])')" \
	'["active", "passive"]'
expect_eq "filter port $PORT: all four; port 1: none" \
	"$(jget "$(rtt -j rtt port "$PORT")" 'len(d["connections"])'):$(jget "$(rtt -j rtt port 1)" 'len(d["connections"])')" \
	"4:0"
check "text output draws the histogram" \
	grep -q 'usecs .*: count    distribution' <(rtt rtt port "$PORT")

# ---- close: no live state, final records kept ----------------------------------
touch "$RTT_DIR/done"
wait "${PIDS[@]}" 2>/dev/null
PIDS=()
sleep 0.3
rtt -j rtt >"$RTT_DIR/rtt.json"
tap_from < <("$PY" "$FG_ROOT/tests/e2e/rtt_check.py" gone \
	"$RTT_DIR/rtt.json" "$PEERS" || echo "not ok	rtt_check.py gone failed")
expect_eq "live table empty, 4 closes counted, none untracked or lost" \
	"$(jget "$(cat "$RTT_DIR/rtt.json")" '[d["counters"][k] for k in ("live_connections", "closed", "untracked_closes", "closed_lost")]')" \
	"[0, 4, 0, 0]"

# ---- IPFIX: the exporter joins RTT onto the TCP flow records --------------------
# A clean stop exports every flow (forced end); the connections are closed,
# so their final RTT records are used.
ip netns exec "$NS_RX" "$FLOWGATE" export file "$RTT_DIR/out.ipfix" \
	interval 200 2>>"$RTT_DIR/export.err" &
EXPP=$!
PIDS+=("$EXPP")
# Running (its signal handlers set) before it is stopped: a start takes
# seconds under emulation (the kernel matrix).
for ((i = 0; i < 150; i++)); do
	[ "$(jget "$(fg -j stats)" 'd.get("exporter", {}).get("running")')" = true ] &&
		break
	sleep 0.2
done
sleep 0.6
kill -TERM "$EXPP"
wait "$EXPP" 2>/dev/null
PIDS=()
"$PY" "$FG_ROOT/tests/lib/ipfix.py" decode "$RTT_DIR/out.ipfix" \
	>"$RTT_DIR/records" 2>>"$RTT_DIR/export.err"
got=$("$PY" - "$RTT_DIR/records" "$PORT" <<'PYEOF'
import json, sys
port = int(sys.argv[2])
recs = [json.loads(l) for l in open(sys.argv[1])]
tcp = [r for r in recs if r["_kind"] == "flow" and r.get("proto") == 6 and
       port in (r.get("sport"), r.get("dport"))]
good = [r for r in tcp if r["fg_rtt_samples"] > 0 and
        r["fg_rtt_min_us"] <= r["fg_rtt_mean_us"] <= r["fg_rtt_max_us"] and
        r["fg_rtt_max_us"] >= 2000]
print(len(tcp), len(good))
PYEOF
)
read -r ntcp ngood <<<"$got"
check "IPFIX: the 2 connections' flows are exported ($ntcp records)" \
	test "${ntcp:-0}" -ge 4
expect_eq "IPFIX: each carries RTT min <= mean <= max (>= 2 ms), samples > 0" \
	"${ngood:-0}" "${ntcp:-x}"
n=$(tshark -r "$RTT_DIR/out.ipfix" -V 2>/dev/null |
	grep -c 'Type: 1[0-3] \[pen: Example Enterprise Number')
check "IPFIX: tshark decodes the 4 RTT IEs in both templates ($n)" \
	test "$n" -ge 8

# ---- many short connections: more records than one batch read ------------------
N=300 PORT2=5202
in_cg ip netns exec "$NS_RX" "$PY" -c '
import socket, sys
ls = socket.create_server(("", int(sys.argv[1])), backlog=64)
ls.settimeout(30)
for _ in range(int(sys.argv[2])):
    c, _ = ls.accept()
    c.recv(100)
    c.sendall(b"r" * 100)
    c.recv(100)  # EOF once the client has read the reply
    c.close()
' "$PORT2" "$N" 2>>"$RTT_DIR/peer.err" &
PIDS+=($!)
sleep 0.3
in_cg ip netns exec "$NS_TX" "$PY" -c '
import socket, sys
for _ in range(int(sys.argv[3])):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
    s.sendall(b"q" * 100)
    got = 0
    while got < 100:
        got += len(s.recv(100 - got))
    s.close()
' "$RX_IP4" "$PORT2" "$N" 2>>"$RTT_DIR/peer.err"
wait "${PIDS[@]}" 2>/dev/null
PIDS=()
sleep 0.3
# 600 records are more than one argument may hold (128 KiB): use a file
rtt -j rtt port "$PORT2" >"$RTT_DIR/many.json"
jfile() { "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$@"; }
expect_eq "$N short connections: both ends of each kept as closed, none live" \
	"$(jfile "$RTT_DIR/many.json" '(len(d["closed"]), len(d["connections"]), sorted(set(c["side"] for c in d["closed"])))')" \
	"[$((2 * N)), 0, [\"active\", \"passive\"]]"
expect_eq "  ... every one measured, nothing lost or untracked" \
	"$(jfile "$RTT_DIR/many.json" '(min(c["samples"] for c in d["closed"]) >= 1, [d["counters"][k] for k in ("conserved", "conn_table_full", "closed_lost", "untracked_closes", "live_connections")])')" \
	"[true, [true, 0, 0, 0, 0]]"

# ---- each side's state is its own ------------------------------------------------
fg detach "$RX_IF" >/dev/null
check "detaching the last interface keeps the RTT pins" \
	test -e "$FLOWGATE_BPFFS/rtt/link"
check "  ... and rtt show still works" rtt rtt
fg attach "$RX_IF" >/dev/null || bail "attach again"
j=$(rtt -j rtt disable)
expect_eq "disable: exit 0, detached" "$?:$(jget "$j" 'd["detached"]')" "0:true"
expect_eq "disable: no program left on the cgroup" "$(cg_progs "$CG")" 0
check "disable: no RTT pins left" test ! -e "$FLOWGATE_BPFFS/rtt"
check "disable: flowgate's own pins untouched" \
	test -e "$FLOWGATE_BPFFS/fg_config" -a -e "$FLOWGATE_BPFFS/fg_flowtab" \
		-a -e "$FLOWGATE_BPFFS/fg_ftinfo"

# ---- the cgroup removed while enabled ------------------------------------------
mkdir "$CG2" && rtt rtt enable cgroup "$CG2" >/dev/null
rmdir "$CG2"
expect_eq "cgroup removed while enabled: show says not attached" \
	"$(jget "$(rtt -j rtt)" '(d["enabled"], d["attached"])')" "[true, false]"
j=$(rtt -j rtt enable cgroup "$CG")
expect_eq "  ... enable on another cgroup replaces the dead link" \
	"$?:$(jget "$j" '(d["already_enabled"], d["cgroup"])')" \
	"0:[false, \"$CG\"]"
expect_eq "  ... and runs there" "$(cg_progs "$CG")" 1
rtt rtt disable >/dev/null
fg detach "$RX_IF" >/dev/null
fg purge >/dev/null
check "then detach and purge: nothing left under the pin dir" \
	test ! -e "$FLOWGATE_BPFFS"
fg_done
