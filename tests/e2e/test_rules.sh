#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Operator rules on a veth pair, with real traffic: rules added and removed
# while flowgate runs, exact drop counts per rule and per reason, the rule
# ID in the flow, count before enforcing, ARP and neighbour discovery left
# alone by address rules, rule save / load round trip, a bad file that
# changes nothing, and a steady stream through repeated `rule load`
# switches with every packet accounted for exactly. Then hook tc.
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
DIR=$T_DIR

send() { # send SET ARGS...: from the sender namespace, prints JSON
	ip netns exec "$NS_TX" "$PY" "$FG_ROOT/tests/e2e/rule_send.py" \
		"$TX_IF" "$TX_MAC" "$RX_MAC" "$TX_IP4" "$RX_IP4" "$TX_IP6" \
		"$RX_IP6" "$@"
}

stat() { # stat EXPR over the receiver's stats JSON (interface 0)
	jget "$(fg -j stats dev "$RX_IF")" "$1"
}

rule_drops() {
	stat 'sum(r["dropped_packets"] for r in d["interfaces"][0]["reasons"] if r["reason"] == "rule")'
}

hits() { # hits ID: packets counted by rule ID
	jget "$(fg -j rule list)" \
		"[r['packets'] for r in d['rules'] if r['id'] == $1][0]"
}

# mark: rx_packets (r0) and rule drops (d0) before a send; dropped: the
# rule drops since.
mark() {
	r0=$(fg_rx)
	d0=$(rule_drops)
}
dropped() { echo $(($(rule_drops) - d0)); }

# Wait until rx_packets reaches $1 (bounded), then a little more.
wait_rx() {
	fg_rx_wait "$1"
	sleep 0.2
}

fg attach "$RX_IF" >/dev/null || bail "attach"
fg_settle || bail "the link does not settle"

# ---- add, count, delete ------------------------------------------------------
out=$(fg -j rule add src "$TX_IP4" proto udp dport 9999 action drop \
	comment "e2e drop")
DROP_ID=$(jget "$out" 'd["rules"][0]["id"]')
expect_eq "rule add: first rule gets ID 1" "$DROP_ID" 1
mark
send udp4 9999 50 >/dev/null
send udp4 9998 30 >/dev/null
wait_rx $((r0 + 80))
expect_eq "50 to dport 9999 dropped as reason rule, 30 to 9998 not" \
	"$(dropped)" 50
expect_eq "rx_packets: all 80 seen" "$(($(fg_rx) - r0))" 80
expect_eq "rule 1 counted 50 packets" "$(hits 1)" 50
expect_eq "rule 1 octets: 50 x 46 IP bytes" \
	"$(jget "$(fg -j rule list)" 'd["rules"][0]["octets"]')" 2300
check "rule 1 has a last hit time" \
	test "$(jget "$(fg -j rule list)" 'd["rules"][0]["last_hit_ms"]')" != null
expect_eq "flow dump: the dropped flow names reason rule and rule 1" \
	"$(jget "$(fg -j flow dump dev "$RX_IF" port 9999)" \
		'[(f["verdict"], f["reason"], f["rule_id"], f["packets"]) for f in d["flows"] if f["dir"] == "in"]')" \
	'[["dropped", "rule", 1, 50]]'

# count in front of the drop: both count, the drop still decides
out=$(fg -j rule add src "$TX_IP4" dport 9999 prio 200 action count)
COUNT_ID=$(jget "$out" 'd["rules"][0]["id"]')
expect_eq "second rule gets ID 2, first in order" \
	"$(jget "$out" '(d["rules"][0]["id"], d["rules"][0]["order"])')" '[2, 1]'
mark
send udp4 9999 10 >/dev/null
wait_rx $((r0 + 10))
expect_eq "count then drop: 10 dropped" "$(dropped)" 10
expect_eq "count rule counted 10" "$(hits "$COUNT_ID")" 10
expect_eq "drop rule counted 60" "$(hits 1)" 60

check "rule del 1" fg rule del 1
mark
send udp4 9999 20 >/dev/null
wait_rx $((r0 + 20))
expect_eq "after del: nothing dropped" "$(dropped)" 0
expect_eq "the count rule goes on (30)" "$(hits "$COUNT_ID")" 30
check "rule del of a missing ID fails with exit 1" \
	sh -c "ip netns exec $NS_RX $FLOWGATE rule del 1 2>/dev/null; [ \$? -eq 1 ]"

# ---- ARP and neighbour discovery survive address rules --------------------------
fg rule flush >/dev/null
fg rule add src 192.0.2.0/24 action drop >/dev/null
fg rule add src 2001:db8::/32 action drop >/dev/null
mark
send arp 5 >/dev/null
send ns 5 >/dev/null
send udp6 9 7 >/dev/null
send udp4 9 3 >/dev/null
wait_rx $((r0 + 20))
expect_eq "ARP and ND pass; 7 IPv6 and 3 IPv4 UDP dropped" \
	"$(dropped)" 10
fg rule add proto icmpv6 src 2001:db8::/32 prio 300 action drop >/dev/null
d0=$(rule_drops)
send ns 4 >/dev/null
sleep 0.3
expect_eq "a rule naming icmpv6 drops ND" "$(dropped)" 4

# ---- save / load / a bad file ------------------------------------------------------
check "rule save" fg rule save "$DIR/saved.rules"
before=$(fg -j rule list)
gen=$(jget "$before" 'd["generation"]')
fg rule flush >/dev/null
check "rule load of the saved file" fg rule load "$DIR/saved.rules"
expect_eq "load of the saved file gives the same rules and IDs" \
	"$(jget "$(fg -j rule list)" '[(r["id"], r.get("src"), r.get("proto"), r["action"]) for r in d["rules"]]')" \
	"$(jget "$before" '[(r["id"], r.get("src"), r.get("proto"), r["action"]) for r in d["rules"]]')"
printf 'src 192.0.2.0/24 action drop\r\ndport 80 action pass\r\nsrc 10.0.0.0/33 action drop' \
	>"$DIR/bad.rules"
gen=$(jget "$(fg -j rule list)" 'd["generation"]')
err=$(fg rule load "$DIR/bad.rules" 2>&1 >/dev/null)
rc=$?
expect_eq "bad file: exit 1" "$rc" 1
expect_eq "bad file: the error names the line" "$err" \
	"Error: $DIR/bad.rules:3: bad prefix length in '10.0.0.0/33' (0-32 for IPv4)"
expect_eq "bad file: nothing changed (generation $gen)" \
	"$(jget "$(fg -j rule list)" '(d["generation"], d["count"])')" "[$gen, 3]"
err=$(fg rule add src 1.2.3 action drop 2>&1 >/dev/null)
expect_eq "rule add with a bad prefix: usage error" "$?:$err" \
	"2:Error: bad address '1.2.3' (IPv4 a.b.c.d or IPv6)"

# ---- a steady stream through repeated switches --------------------------------------
# Both sets pass dport 7000 and drop dport 7001, by different rules in
# different structures: a packet judged by a mix of the two (the source
# index of one, the list without addresses of the other) would drop 7000.
cat >"$DIR/a.rules" <<EOF
dport 7000 prio 200 action pass
src $TX_IP4 prio 100 action drop
dport 7001 prio 300 action drop
EOF
cat >"$DIR/b.rules" <<EOF
src $TX_IP4 prio 200 action pass
dport 7000 prio 100 action drop
proto udp dport 7001 prio 300 action drop
EOF
fg rule load "$DIR/a.rules" >/dev/null || not_ok "load a.rules"
N=20000
mark
p0=$(stat 'd["interfaces"][0]["passed_packets"]')
g0=$(jget "$(fg -j rule list)" 'd["generation"]')
send stream $N 4 >"$DIR/stream.json" &
sender=$!
swaps=0
while kill -0 "$sender" 2>/dev/null; do
	f=$([ $((swaps % 2)) -eq 0 ] && echo b || echo a)
	fg rule load "$DIR/$f.rules" >/dev/null && swaps=$((swaps + 1))
done
wait "$sender"
wait_rx $((r0 + N))
g1=$(jget "$(fg -j rule list)" 'd["generation"]')
diag "$swaps switches (generation $g0 -> $g1) during $N packets"
check "at least 8 switches while the stream ran ($swaps)" test "$swaps" -ge 8
expect_eq "stream: every packet seen" "$(($(fg_rx) - r0))" "$N"
expect_eq "stream: exactly the $((N / 2)) to dport 7001 dropped by rules" \
	"$(dropped)" $((N / 2))
expect_eq "stream: exactly the $((N / 2)) to dport 7000 passed" \
	"$(($(stat 'd["interfaces"][0]["passed_packets"]') - p0))" $((N / 2))
expect_eq "stream: flows agree (7000 forwarded, 7001 dropped by rule)" \
	"$(jget "$(fg -j flow dump dev "$RX_IF" proto udp)" \
		'sorted([(f["dport"], f["verdict"], f.get("reason"), f["packets"]) for f in d["flows"] if f["dir"] == "in" and f["dport"] in (7000, 7001)])')" \
	"[[7000, \"forwarded\", null, $((N / 2))], [7001, \"dropped\", \"rule\", $((N / 2))]]"

# ---- hook tc -----------------------------------------------------------------------
fg detach "$RX_IF" >/dev/null || bail "detach"
expect_eq "detach of the last interface keeps the rules" \
	"$(jget "$(fg -j rule list)" 'd["count"] > 0')" true
check "purge removes them with the pins" fg purge
check "  ... no pins left" test ! -e "$FLOWGATE_BPFFS"
fg attach "$RX_IF" hook tc >/dev/null || bail "attach hook tc"
fg_settle || bail "the link does not settle"
fg rule add src "$TX_IP4" dport 9999 action drop >/dev/null
r0=$(fg_rx)
send udp4 9999 15 >/dev/null
send udp4 9998 5 >/dev/null
wait_rx $((r0 + 20))
expect_eq "hook tc: 15 dropped by the rule" "$(rule_drops)" 15
expect_eq "hook tc: the rule counted 15" "$(hits 1)" 15
fg detach "$RX_IF" >/dev/null
fg purge >/dev/null
check "detach and purge: no pins left" test ! -e "$FLOWGATE_BPFFS"
fg_done
