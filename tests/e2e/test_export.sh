#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The IPFIX exporter end to end: real traffic on a veth pair, the exporter
# in the flowgate namespace, collectors (tests/lib/ipfix.py, a strict
# decoder) on its loopback. Asserts exact totals (every packet sent is in
# exactly one record's delta), per-flow fields, timeouts, overflow and
# non-IP records, options, restarts and kill -9, a TCP collector outage
# with the spool, and bad arguments.
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
W=$FG_TMP.exp
mkdir -p "$W"
PIDS=()
# shellcheck disable=SC2034 # read by fg_cleanup
T_CLEANUP_HOOK=exp_cleanup
exp_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$W"
}
export SRC4=$TX_IP4 SRC6=$TX_IP6
CHECK="$PY $FG_ROOT/tests/e2e/export_check.py"

send() { # send SET: from the sender to the flowgate host
	ip netns exec "$NS_TX" "$PY" "$FG_ROOT/tests/e2e/flow_send.py" \
		"$TX_IF" "$TX_MAC" "$RX_MAC" "$TX_IP4" "$RX_IP4" "$TX_IP6" \
		"$RX_IP6" "$1"
}

# sink KIND DIR: a collector on 127.0.0.1:4739 in the flowgate namespace,
# up before the exporter starts (UDP templates sent earlier would be lost).
sink() {
	local i
	ip netns exec "$NS_RX" "$PY" "$FG_ROOT/tests/lib/ipfix.py" sink "$1" \
		4739 "$2" &
	SINK=$!
	PIDS+=("$SINK")
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NS_RX" ss -lntuH 2>/dev/null |
			grep -q ':4739 ' && return 0
		sleep 0.1
	done
	bail "the collector does not start"
}

exporter() { # exporter LOG ARGS...: in the background, sets EXP
	local log=$1
	shift
	ip netns exec "$NS_RX" "$FLOWGATE" export "$@" 2>>"$log" &
	EXP=$!
	PIDS+=("$EXP")
}

stop() { # stop PID [SIGNAL]: and wait for it
	kill "-${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# Flow accounting's own totals, both directions: what the records must sum
# to (everything seen but sampled out or unflowed).
placed() {
	fg -j stats dev "$RX_IF" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)["interfaces"][0]["flows"]
p = sum(d[x]["packets"] - d[x]["sampled_out_packets"] -
        d[x]["unflowed_packets"] for x in ("in", "out"))
o = sum(d[x]["octets"] - d[x]["sampled_out_octets"] -
        d[x]["unflowed_octets"] for x in ("in", "out"))
print(p, o)'
}

fg attach "$RX_IF" >/dev/null || bail "attach"
fg_settle || bail "the link does not settle"

# ---- bad arguments: exit 2, one line, nothing started ----------------------
for a in "" "collector http://192.0.2.9" "collector udp://" \
	"collector udp://127.0.0.1 mtu 100" "file" \
	"collector udp://127.0.0.1 idle-timeout 0" \
	"collector udp://127.0.0.1 idle-timeout 90 active-timeout 30" \
	"collector udp://127.0.0.1 sampling-announce loud" \
	"collector udp://127.0.0.1 spool 1k" "collector udp://127.0.0.1 bogus 1"; do
	# shellcheck disable=SC2086 # word splitting wanted
	out=$(fg export $a 2>&1)
	rc=$?
	expect_eq "export $a: exit 2, one Error: line" \
		"$rc $(printf '%s\n' "$out" | grep -c '^Error: ')" "2 1"
done
out=$(fg export collector udp://no-such-host.invalid:4739 2>&1)
expect_eq "unresolvable collector: exit 1, one Error: line" \
	"$? $(printf '%s\n' "$out" | grep -c '^Error: ')" "1 1"

# ---- UDP and file: every packet in exactly one record -----------------------
sink udp "$W/udp"
exporter "$W/log" collector udp://127.0.0.1:4739 file "$W/out.ipfix" \
	active-timeout 2 idle-timeout 1 interval 200
sleep 0.5
mix=$(send mix)
syn=$(send synfin)
tcp=$(send tcpflags)
l2=$(send lldp)
sent_p=$(($(jget "$mix" 'd["packets"]') + $(jget "$syn" 'd["packets"]') +
	$(jget "$tcp" 'd["packets"]')))
sent_o=$(($(jget "$mix" 'd["octets"]') + $(jget "$syn" 'd["octets"]') +
	$(jget "$tcp" 'd["octets"]')))
sleep 2.5 # every flow idle for more than 1 s: exported and expired
t=$($CHECK totals "$W/out.ipfix")
expect_eq "file: packets from the sender == sent ($sent_p)" \
	"$(jget "$t" 'd["packets"]')" "$sent_p"
expect_eq "file: octets from the sender == sent" \
	"$(jget "$t" 'd["octets"]')" "$sent_o"
st=$(fg -j stats)
expect_eq "idle flows left the table" \
	"$(jget "$st" 'd["flow_table"]["entries"]')" 0
expect_eq "stats: exporter running, 2 outputs" \
	"$(jget "$st" '[d["exporter"]["running"], len(d["exporter"]["outputs"])]')" \
	"[true, 2]"
stop "$EXP"
read -r pp po < <(placed)
t=$($CHECK totals "$W/out.ipfix")
expect_eq "file: all records == flow accounting's packets (both dirs)" \
	"$(jget "$t" 'd["all_packets"]') $(jget "$t" 'd["all_octets"]')" \
	"$pp $po"
u=$($CHECK totals "$W"/udp/*)
expect_eq "UDP collector got the same records as the file" \
	"$(jget "$u" '[d["records"], d["all_packets"], d["all_octets"]]')" \
	"$(jget "$t" '[d["records"], d["all_packets"], d["all_octets"]]')"
m=$($CHECK msgmax "$W"/udp/*)
check "UDP messages fit a 1500 MTU (<= 1472 octets)" \
	test "$(jget "$m" 'd["msgmax"]')" -le 1472
tu=$($CHECK tuples "$W/out.ipfix")
expect_eq "UDP 10000 -> 53: 2 packets, 96 octets" \
	"$(jget "$tu" 'd["17 10000 53 0"][:2]')" "[2, 96]"
expect_eq "VLAN 42 flow 30000 -> 9: 5 packets, vlan in the record" \
	"$(jget "$tu" 'd["17 30000 9 42"][0]')" 5
expect_eq "TCP 42000 -> 80: flags OR == FIN|SYN|PSH|ACK" \
	"$(jget "$tu" 'd["6 42000 80 0"][2]')" 27
expect_eq "fragments lent their ports: 5555 -> 6666, 3 packets" \
	"$(jget "$tu" 'd["17 5555 6666 0"][0]')" 3
expect_eq "SYN+FIN: 20 packets, dropped for tcp-flags (18)" \
	"$(jget "$tu" 'd["6 41000 80 0"][0]') $(jget "$tu" 'd["6 41000 80 0"][3]')" \
	"20 [18]"
recs=$($CHECK records "$W/out.ipfix")
expect_eq "SYN+FIN record: forwardingStatus dropped/ACL deny (129)" \
	"$(jget "$recs" '[r["fwd_status"] for r in d if r.get("sport") == 41000][0]')" 129
expect_eq "LLDP: one non-IP record, EtherType 0x88cc, 3 frames" \
	"$(jget "$recs" '[[r["eth_type"], r["packets"], r["octets"]] for r in d if r["_tid"] == 258 and r["eth_type"] == 0x88cc]')" \
	"[[35020, 3, $(jget "$l2" 'd["octets"]')]]"
expect_eq "times: start <= end, and within the run" \
	"$(jget "$recs" 'all(0 < r["start_ms"] <= r["end_ms"] for r in d)')" true
opts=$($CHECK options "$W/out.ipfix")
expect_eq "options: sampling 1 announced (samplingInterval)" \
	"$(jget "$opts" '[r["sampling_interval"] for r in d if r["_tid"] == 259][0]')" 1
expect_eq "options: reliability, nothing lost" \
	"$(jget "$opts" '[r["not_sent_flows"] for r in d if r["_tid"] == 261][-1]')" 0
expect_eq "options: guard drops, tcp-flags 20 packets on $RX_IF" \
	"$(jget "$opts" '[r["dropped_packets_total"] for r in d if r["_tid"] == 262 and r.get("fg_reason") == 18][-1]')" 20
rxidx=$(ip netns exec "$NS_RX" cat "/sys/class/net/$RX_IF/ifindex")
expect_eq "options: interfaceName (variable length) of ingressInterface $rxidx" \
	"$(jget "$opts" '[r["if_name"] for r in d if r["_tid"] == 263 and r["in_if"] == '"$rxidx"'][:1]')" \
	"[\"$RX_IF\"]"
stop "$SINK" KILL

# ---- one exporter per pin directory; SIGHUP re-sends templates --------------
rm -f "$W/out.ipfix"
exporter "$W/log" file "$W/out.ipfix" interval 200
sleep 0.5
out=$(fg export file "$W/other.ipfix" 2>&1)
expect_eq "a second exporter is refused (exit 1, one Error: line)" \
	"$? $(printf '%s\n' "$out" | grep -c '^Error: .*already runs')" "1 1"
n1=$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\x00\x02\x00"))' "$W/out.ipfix")
kill -HUP "$EXP"
sleep 0.6
n2=$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\x00\x02\x00"))' "$W/out.ipfix")
check "SIGHUP: templates sent again ($n1 -> $n2 template sets)" test "$n2" -gt "$n1"
check "SIGHUP: still running" kill -0 "$EXP"
stop "$EXP"

# ---- config FILE: [export] of the daemon's file, followed on change ---------
rm -rf "$W/udp"
sink udp "$W/udp"
printf '%s\n' "[export]" "collector udp://127.0.0.1:4739" "domain 5" \
	"idle-timeout 1" "active-timeout 5" >"$W/fg.conf"
ip netns exec "$NS_RX" "$FLOWGATE" daemon config "$W/fg.conf" 2>>"$W/dlog" &
DMN=$!
PIDS+=("$DMN")
exporter "$W/log" config "$W/fg.conf" interval 200
sleep 0.5
send udp400 >/dev/null
sleep 1.6
sed -i 's/^domain 5/domain 6/' "$W/fg.conf"
sleep 1
send udp400 >/dev/null
sleep 1.6
doms=$("$PY" "$FG_ROOT/tests/lib/ipfix.py" decode "$W"/udp/* | "$PY" -c '
import json, sys
from collections import Counter
r = [json.loads(l) for l in sys.stdin]
c = Counter(x["_domain"] for x in r
            if x["_kind"] == "flow" and x.get("dport") == 53)
print(c[5], c[6])')
expect_eq "config FILE: domain 5 from [export], 6 once the daemon saw the change" \
	"$doms" "40 40"
check "the daemon told the exporter" grep -q "told to re-read" "$W/dlog"
stop "$EXP"
stop "$DMN"
stop "$SINK" KILL

# ---- sampling changed: what was counted at the old rate goes out first ------
rm -f "$W/out.ipfix"
exporter "$W/log" file "$W/out.ipfix" active-timeout 60 idle-timeout 30 \
	interval 200
sleep 0.3
send udp400 >/dev/null
sleep 0.5
fg config set sampling 4 >/dev/null
sleep 0.6
stop "$EXP"
fg config set sampling 1 >/dev/null
order=$("$PY" "$FG_ROOT/tests/lib/ipfix.py" decode "$W/out.ipfix" | "$PY" -c '
import json, sys
r = [json.loads(l) for l in sys.stdin]
s4 = [i for i, x in enumerate(r) if x.get("sampling_interval") == 4]
fl = [i for i, x in enumerate(r) if x["_kind"] == "flow" and x.get("dport") == 53]
print(len(fl), sum(r[i]["packets"] for i in fl),
      bool(s4) and max(fl) < s4[0],
      sorted(set(r[i]["end_reason"] for i in fl)))')
expect_eq "sampling 1 -> 4: the 40 flows (400 packets) go out before the new rate, as forced end" \
	"$order" "40 400 True [4]"

# ---- active timeout: a long flow exports deltas and keeps its slot ----------
rm -rf "$W/out.ipfix" "$W/udp"
exporter "$W/log" file "$W/out.ipfix" active-timeout 1 idle-timeout 1 \
	interval 200
FLOW_INTER=0.01 send steady >"$W/steady" # ~8 s, 8 flows
sleep 2
stop "$EXP"
s=$(cat "$W/steady")
t=$($CHECK totals "$W/out.ipfix")
expect_eq "long flows: deltas sum to the packets sent" \
	"$(jget "$t" 'd["packets"]')" "$(jget "$s" 'd["packets"]')"
r=$($CHECK reasons "$W/out.ipfix")
check "long flows: several active-timeout records (flowEndReason 2)" \
	test "$(jget "$r" 'd.get("2", 0)')" -ge 16

# ---- SIGTERM flushes pending deltas as forced end ---------------------------
rm -f "$W/out.ipfix"
exporter "$W/log" file "$W/out.ipfix" active-timeout 60 idle-timeout 30 \
	interval 200
sleep 0.3
mix=$(send mix)
sleep 0.5
stop "$EXP"
t=$($CHECK totals "$W/out.ipfix")
r=$($CHECK reasons "$W/out.ipfix")
expect_eq "SIGTERM: every pending delta exported" \
	"$(jget "$t" 'd["packets"]')" "$(jget "$mix" 'd["packets"]')"
expect_eq "SIGTERM: flowEndReason forced end (4)" \
	"$(jget "$r" 'sorted(d)')" '["4"]'

# ---- restarts and kill -9 while traffic flows -------------------------------
# What is exported before a crash is remembered in fg_expstate; a crash
# can repeat at most the deltas of the sweep it interrupted, never lose.
rm -f "$W/out.ipfix"
: >"$W/kills"
(FLOW_INTER=0.01 send steady >"$W/steady") &
SENDER=$!
PIDS+=("$SENDER")
for i in 1 2 3 4 5; do
	exporter "$W/log" file "$W/out.ipfix" active-timeout 1 \
		idle-timeout 1 interval 200
	sleep "0.$((RANDOM % 9 + 1))"
	stop "$EXP" KILL
	echo "$i" >>"$W/kills"
done
exporter "$W/log" file "$W/out.ipfix" active-timeout 1 idle-timeout 1 \
	interval 200
wait "$SENDER"
sleep 2
stop "$EXP"
s=$(cat "$W/steady")
t=$($CHECK totals "$W/out.ipfix")
got=$(jget "$t" 'd["packets"]')
want=$(jget "$s" 'd["packets"]')
check "kill -9 x5: nothing lost (exported $got >= sent $want)" \
	test "$got" -ge "$want"
# A sweep exports at most ~1.2 s of this 100 packet/s stream again.
check "kill -9 x5: duplicates bounded (exported - sent = $((got - want)) <= 5 x 120)" \
	test $((got - want)) -le 600
diag "kill -9: $((got - want)) packets exported twice over 5 crashes"

# ---- an export state an older version left (a hash by flow key) ------------
# is moved into this version's mmapped rows at start, every shadow kept:
# what the last exporter sent does not go out again, nothing new is missed.
oldstate() {
	ip netns exec "$NS_RX" "$PY" "$FG_ROOT/tests/e2e/expstate_old.py" "$@"
}
rm -f "$W/out.ipfix"
exporter "$W/log" file "$W/out.ipfix" active-timeout 60 idle-timeout 30 \
	interval 200
sleep 0.3
a=$(send udp400)
sleep 0.5
stop "$EXP" # SIGTERM: every delta out, the flows stay in the table
t=$($CHECK totals "$W/out.ipfix")
expect_eq "state layout: the first exporter sent round 1" \
	"$(jget "$t" 'd["packets"]')" "$(jget "$a" 'd["packets"]')"
old=$(oldstate "$FLOWGATE_BPFFS")
check "state layout: the older layout made ($old)" \
	test "$(jget "$old" 'd["shadows"]')" -ge 40
rm -f "$W/out.ipfix"
b=$(send udp400)
exporter "$W/log" file "$W/out.ipfix" active-timeout 60 idle-timeout 30 \
	interval 200
sleep 0.6
stop "$EXP"
t=$($CHECK totals "$W/out.ipfix")
expect_eq "state layout: after the move, only round 2 is exported" \
	"$(jget "$t" 'd["packets"]')" "$(jget "$b" 'd["packets"]')"
expect_eq "state layout: fg_expstate is an mmapable array now" \
	"$(jget "$(oldstate info "$FLOWGATE_BPFFS")" \
		'[d["type"], d["flags"] & 0x400]')" "[2, 1024]"
check "state layout: the move is logged" \
	grep -q "export state moved" "$W/log"

# ---- TCP: the collector goes away; the spool keeps everything --------------
rm -rf "$W/tcp"
sink tcp "$W/tcp"
exporter "$W/log" collector tcp://127.0.0.1:4739 active-timeout 60 \
	idle-timeout 1 interval 200
sleep 0.5
a=$(send udp400)
sleep 2
stop "$SINK" KILL
b=$(send mix)
sleep 2.5 # flows expire while the collector is down: into the spool
sp=$(fg -j stats | "$PY" -c 'import json,sys
o = json.load(sys.stdin)["exporter"]["outputs"][0]
print(o["up"], o["spool_messages"] > 0)')
expect_eq "TCP: collector down, records wait in the spool" "$sp" "False True"
sink tcp "$W/tcp"
sleep 4 # reconnect backoff: 1 s, then 2 s
stop "$EXP"
t=$($CHECK totals "$W"/tcp/*)
expect_eq "TCP: after the outage, every packet arrived once" \
	"$(jget "$t" 'd["packets"]')" \
	"$(($(jget "$a" 'd["packets"]') + $(jget "$b" 'd["packets"]')))"
stop "$SINK" KILL

# ---- TCP: a spool too small for the outage counts what it discards ----------
rm -rf "$W/tcp"
exporter "$W/log" collector tcp://127.0.0.1:4739 active-timeout 60 \
	idle-timeout 1 interval 200 spool 64k file "$W/out.ipfix"
sleep 0.3
send many >/dev/null
sleep 2
o=$(fg -j stats | "$PY" -c 'import json,sys
o = json.load(sys.stdin)["exporter"]["outputs"][0]
print(o["not_sent_records"], o["not_sent_packets"], o["spool_octets"])')
read -r nrec npk spo <<<"$o"
check "small spool: discards counted ($nrec records, $npk packets)" \
	test "$nrec" -gt 0 -a "$npk" -gt 0
check "small spool: stays within 64 KiB + one message ($spo)" \
	test "$spo" -le $((65536 + 65000))
rm -f "$W/out.ipfix"
stop "$EXP"

# ---- a table too small: overflow records keep the totals --------------------
fg detach "$RX_IF" >/dev/null
fg attach "$RX_IF" max-flows 16 >/dev/null || bail "attach max-flows 16"
fg_settle
rm -f "$W/out.ipfix"
exporter "$W/log" file "$W/out.ipfix" active-timeout 1 idle-timeout 1 \
	interval 200
sleep 0.3
u=$(send udp400)
sleep 2.5
stop "$EXP"
t=$($CHECK totals "$W/out.ipfix")
recs=$($CHECK records "$W/out.ipfix")
ovf=$(jget "$recs" 'sum(r["packets"] for r in d if r["end_reason"] == 5 and r["src4"] == "0.0.0.0" and r["direction"] == 0)')
expect_eq "overflow: flows + lack-of-resources records == sent" \
	"$(($(jget "$t" 'd["packets"]') + ovf))" "$(jget "$u" 'd["packets"]')"
check "overflow: some packets went to lack-of-resources records ($ovf)" \
	test "$ovf" -gt 0

# ---- detach while exporting: the table stays, the exporter carries on ---------
fg detach "$RX_IF" >/dev/null
fg purge >/dev/null || bail "purge" # a fresh table of the default size
fg attach "$RX_IF" >/dev/null || bail "attach"
rm -f "$W/out.ipfix"
exporter "$W/log" file "$W/out.ipfix" active-timeout 60 idle-timeout 30 \
	interval 200
sleep 0.3
a=$(send udp400)
sleep 0.5
fg detach "$RX_IF" >/dev/null
sleep 0.6
check "detach: the exporter keeps running" kill -0 "$EXP"
expect_eq "detach: the table keeps what it held, still to be exported" \
	"$(jget "$(fg -j flow dump dev "$RX_IF" proto udp)" 'sum(f["packets"] for f in d["flows"] if f["dir"] == "in")')" \
	"$(jget "$a" 'd["packets"]')"
fg attach "$RX_IF" >/dev/null || bail "re-attach"
b=$(send udp400)
sleep 1.5
stop "$EXP"
t=$($CHECK totals "$W/out.ipfix")
expect_eq "re-attach: the same table goes on; SIGTERM exports both rounds" \
	"$(jget "$t" 'd["packets"]')" \
	"$(($(jget "$a" 'd["packets"]') + $(jget "$b" 'd["packets"]')))"

grep -q "^Error" "$W/log" && diag "exporter log: $(grep '^Error' "$W/log" | head -3)"
fg_done
