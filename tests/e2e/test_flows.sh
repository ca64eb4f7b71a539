#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Flow accounting conserves packets, end to end on a veth pair: for K
# packets sent, per direction, flows + overflow + sampled out + unflowed
# = K exactly, and the same for octets (IP-layer bytes), with a table
# smaller than the number of flows, for IPv4, IPv6, VLAN-tagged and
# fragmented traffic, on XDP ingress, TC egress and TC ingress, and with
# a drop budget (attach drop-flow-rate).
. "$(dirname "$0")/../lib/netns.sh"

fg_setup

send_from() { # send_from NS IFACE SMAC DMAC SET (addresses as seen by NS)
	if [ "$1" = "$NS_TX" ]; then
		ip netns exec "$1" "$PY" "$FG_ROOT/tests/e2e/flow_send.py" "$2" \
			"$3" "$4" "$TX_IP4" "$RX_IP4" "$TX_IP6" "$RX_IP6" "$5"
	else
		ip netns exec "$1" "$PY" "$FG_ROOT/tests/e2e/flow_send.py" "$2" \
			"$3" "$4" "$RX_IP4" "$TX_IP4" "$RX_IP6" "$TX_IP6" "$5"
	fi
}

snapshot() { # snapshot DIR: the conservation figures right now
	"$PY" "$FG_ROOT/tests/e2e/flow_check.py" "$(fg -j stats dev "$RX_IF")" \
		"$(fg -j flow dump dev "$RX_IF")" "$1"
}

# round LABEL DIR SET: send SET towards (in) or from (out) the flowgate
# host; assert the exact delta and conservation from one quiet snapshot.
round() {
	local label=$1 dir=$2 set=$3 before sent after
	before=$(snapshot "$dir") || { not_ok "$label: snapshot"; return; }
	if [ "$dir" = in ]; then
		sent=$(send_from "$NS_TX" "$TX_IF" "$TX_MAC" "$RX_MAC" "$set")
	else
		sent=$(send_from "$NS_RX" "$RX_IF" "$RX_MAC" "$TX_MAC" "$set")
	fi
	sleep 0.3
	after=$(snapshot "$dir") || { not_ok "$label: snapshot"; return; }
	LAST=$after
	expect_eq "$label: packets seen == sent" \
		"$(($(jget "$after" 'd["seen"]') - $(jget "$before" 'd["seen"]')))" \
		"$(jget "$sent" 'd["packets"]')"
	expect_eq "$label: octets seen == sent" \
		"$(($(jget "$after" 'd["seen_octets"]') - \
			$(jget "$before" 'd["seen_octets"]')))" \
		"$(jget "$sent" 'd["octets"]')"
	expect_eq "$label: flows+overflow+sampled+unflowed == seen (packets)" \
		"$(jget "$after" 'd["placed"]')" "$(jget "$after" 'd["seen"]')"
	expect_eq "$label: flows+overflow+sampled+unflowed == seen (octets)" \
		"$(jget "$after" 'd["placed_octets"]')" \
		"$(jget "$after" 'd["seen_octets"]')"
	expect_eq "$label: overflow aggregates == overflow counter" \
		"$(jget "$after" 'd["overflow"]')" \
		"$(jget "$after" 'd["overflow_counter"]')"
}

# TEST_SHORT (the kernel matrix's short selection, tests/vm/test_matrix.sh):
# every round starts scapy, 30 s and more under emulation, so the rounds
# whose subject is the accounting itself (drop flows, sampling, TC
# ingress), which bpf/test_flows checks on the same kernel, run on the
# host only; the table, attach through the dispatcher, stats, dump, flush
# and detach run everywhere.
short_skip() { # short_skip WHAT: true (and a SKIP line) under TEST_SHORT
	[ -n "${TEST_SHORT:-}" ] || return 1
	skip "$1" "TEST_SHORT (the kernel matrix's short selection)"
}

# geometry MAX_FLOWS REGIONS: what max-flows makes, as the manual says: each
# CPU's region gets the power of two of buckets (8 slots each) that holds
# 5/4 of MAX_FLOWS / REGIONS flows.
geometry() {
	"$PY" -c 'import sys
n, r = int(sys.argv[1]), int(sys.argv[2])
want = (n * 5 // 4 + 8 * r - 1) // (8 * r)
nb = 1
while nb < want:
    nb *= 2
print([r, nb * 8, r * nb * 8, nb * 8 // 8 * 7])' "$1" "$2"
}

# ---- XDP ingress, table of 64 for ~220 flows -------------------------------
fg attach "$RX_IF" max-flows 64 >/dev/null || bail "attach"
fg_settle || bail "the link does not settle"
ncpu=$(jget "$(fg -j status)" 'd["flow_table"]["regions"]')
expect_eq "status: the table's layout and geometry for max-flows 64" \
	"$(jget "$(fg -j status)" '[d["flow_table"][k] for k in ("layout", "max_flows", "slots")]')" \
	"$(jget "$(geometry 64 "$ncpu")" '["fg_flowtab", 64, d[2]]')"
round "xdp in, table full" in mix
# The table is shared by both directions (the host's own chatter too).
st=$(fg -j stats dev "$RX_IF")
expect_eq "xdp in: stats gives the geometry (regions, slots, mark)" \
	"$(jget "$st" '[d["flow_table"][k] for k in ("regions", "region_slots", "slots", "fill_mark")]')" \
	"$(geometry 64 "$ncpu")"
# ~220 flows into regions of 8 buckets: every bucket of the busy region
# fills, but for the drops that went to the overflow above the mark.
expect_eq "xdp in: the fullest region is above the fill mark, and stats says so" \
	"$(jget "$st" '[(f["above_mark"], f["fill_mark"] < f["fullest_region"] <= f["region_slots"], f["entries"] >= f["fullest_region"]) for f in [d["flow_table"]]][0]')" \
	"[true, true, true]"
check "xdp in: overflow took the rest" \
	test "$(jget "$LAST" 'd["overflow"]')" -gt 0
nflows=$(jget "$(fg -j flow dump)" 'd["total_flows"]')
check "xdp in: each of the $nflows flows holds a slot or more (a slot a CPU)" \
	test "$nflows" -gt 0 -a "$nflows" -le "$(jget "$st" 'd["flow_table"]["entries"]')"
q=$(fg -j stats dev "$RX_IF" queues)
expect_eq "queues: every XDP packet on an RX queue" \
	"$(jget "$q" 'sum(x["packets"] for x in d["interfaces"][0]["rx_queues"])')" \
	"$(jget "$q" 'd["interfaces"][0]["rx_packets"]')"
top=$(fg -j flow top count 1 rows 5 sort packets)
expect_eq "flow top: header and the 5 heaviest flows" \
	"$(jget "$top" '(d["flows"], d["max_flows"], len(d["top"]), d["overflow_packets"] > 0)')" \
	"[$(jget "$(fg -j flow dump)" 'd["total_flows"]'), 64, 5, true]"
round "tc out, table full" out udp400
check "attach with another max-flows is refused" \
	sh -c "! ip netns exec $NS_RX $FLOWGATE attach lo max-flows 128"
fg detach "$RX_IF" >/dev/null || bail "detach"
check "detached, the full table stays with its size" \
	test "$(jget "$(fg -j status)" 'd["max_flows"]')" = 64
fg purge >/dev/null || bail "purge" # the next part wants a big table

# ---- the drop budget, on a fresh state (its aggregates go with the purge) ----
if ! short_skip "round: drops past the budget"; then
# The drop budget: 1 drop a second per CPU is a drop a window (1/16 s or
# so); the burst's other drops go to the overflow aggregate, counted
# apart in stats.
fg attach "$RX_IF" drop-flow-rate 1 >/dev/null || bail "attach drop-flow-rate 1"
fg_settle || bail "the link does not settle"
expect_eq "status: the interface's drop-flow-rate, a drop a window of 50-100 ms" \
	"$(jget "$(fg -j status)" '[(i["drop_flow_rate"], (i["drop_flows_per_window"], 50 <= i["drop_window_ms"] <= 100) == ((1, True) if d["kernel"]["hz"] else (0, False))) for i in d["interfaces"]]')" \
	"[[1, true]]"
rin() { jget "$(fg -j stats dev "$RX_IF")" "d[\"interfaces\"][0][\"flows\"][\"in\"][\"$1\"]"; }
r0=$(rin overflow_rate_packets) o0=$(rin overflow_packets)
round "drops past the budget" in synfin
r1=$(rin overflow_rate_packets) o1=$(rin overflow_packets)
check "drop budget: of 20 drops in a burst, $((r1 - r0)) by the budget to the aggregate (counted there too: $((o1 - o0)))" \
	test $((r1 - r0)) -gt 0 -a $((r1 - r0)) -lt 20 -a $((o1 - o0)) -ge $((r1 - r0))
fg detach "$RX_IF" >/dev/null || bail "detach"
fg purge >/dev/null || bail "purge"
fi

# ---- big table: fragments, drop flows, sampling --------------------------------
fg attach "$RX_IF" >/dev/null || bail "attach"
fg_settle || bail "the link does not settle"
round "fragments" in frag
frag=$(fg -j flow dump dev "$RX_IF" port 5555)
expect_eq "fragments: one flow with the first fragment's ports" \
	"$(jget "$frag" '[(f["sport"], f["dport"], f["packets"]) for f in d["flows"] if f["dir"] == "in"]')" \
	'[[5555, 6666, 3]]'
expect_eq "fragments: two later fragments got their ports" \
	"$(jget "$(fg -j stats dev "$RX_IF")" 'd["interfaces"][0]["flows"]["in"]["frag_ports_lent"]')" 2
if ! short_skip "rounds: dropped packets as flows, drop-flows off, sampling"; then
round "dropped packets as flows" in synfin
drops=$(fg -j flow dump dev "$RX_IF" port 41000)
expect_eq "dropped flow: verdict and reason" \
	"$(jget "$drops" '[(f["verdict"], f.get("reason"), f["packets"], f["tcp_flags"]) for f in d["flows"]]')" \
	'[["dropped", "tcp-flags", 20, "FS"]]'
fg config set drop-flows off >/dev/null
round "drop-flows off" in synfin
expect_eq "drop-flows off: the 20 are unflowed" \
	"$(jget "$LAST" 'd["unflowed"]')" 20
fg config set drop-flows on >/dev/null
fg config set sampling 4 >/dev/null
round "sampling 1 in 4" in udp400
s=$(jget "$LAST" 'd["sampled"]')
check "sampling: about 3/4 sampled out ($s of 400)" \
	test "$s" -gt 200 -a "$s" -lt 380
fg config set sampling 1 >/dev/null
fi
fg detach "$RX_IF" >/dev/null || bail "detach"
n=$(jget "$(fg -j flow dump)" 'd["total_flows"]')
check "resize while the table holds $n flows: refused" \
	sh -c "! ip netns exec $NS_RX $FLOWGATE attach $RX_IF max-flows 64 2>/dev/null"
expect_eq "  ... the flows are still there" \
	"$(jget "$(fg -j flow dump)" 'd["total_flows"]')" "$n"
expect_eq "flow flush ends them, says how many" \
	"$(jget "$(fg -j flow flush)" 'd["deleted_flows"]')" "$n"
expect_eq "  ... and the table holds none: their slots are free to take" \
	"$(jget "$(fg -j stats)" '[d["flow_table"]["entries"], d["flow_table"]["fullest_region"]]')" \
	"[0, 0]"
expect_eq "  ... nor does flow dump show them" \
	"$(jget "$(fg -j flow dump)" 'd["total_flows"]')" 0

# ---- TC ingress instead of XDP -------------------------------------------------
fg attach "$RX_IF" hook tc max-flows 64 >/dev/null || bail "attach hook tc"
expect_eq "an empty table takes another max-flows: a new table" \
	"$(jget "$(fg -j status)" '[d["flow_table"][k] for k in ("max_flows", "slots")]')" \
	"$(jget "$(geometry 64 "$ncpu")" '[64, d[2]]')"
expect_eq "hook tc: no XDP program" "$(xdp_prog_id)" ""
fg_settle || bail "the link does not settle"
short_skip "round: tc in, table full" || round "tc in, table full" in mix
# An interface deleted while attached: detach forgets its record.
ip -n "$NS_RX" link add fgt$$x type veth peer name fgt$$y
ip -n "$NS_RX" link set fgt$$x up
fg attach fgt$$x >/dev/null || not_ok "attach a second interface"
ip -n "$NS_RX" link del fgt$$x
expect_eq "detach of a deleted interface: exit 0, device_gone" \
	"$(jget "$(fg -j detach fgt$$x)" 'd.get("device_gone")')" true
expect_eq "its record is gone, the other interface stays" \
	"$(jget "$(fg -j status)" '[i["dev"] for i in d["interfaces"]]')" \
	"[\"$RX_IF\"]"
fg detach "$RX_IF" >/dev/null
expect_eq "detach: no clsact qdisc left" \
	"$(tc -n "$NS_RX" qdisc show dev "$RX_IF" | grep -c clsact)" 0
check "purge: no pins left" sh -c "ip netns exec $NS_RX $FLOWGATE purge >/dev/null && test ! -e $FLOWGATE_BPFFS"
fg_done
