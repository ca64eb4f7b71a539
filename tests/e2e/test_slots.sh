#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Interface slots of fg_ifstats (a per-CPU array): attach gives each
# interface the lowest free slot (recorded in fg_ifaces), its counters are
# that slot's entries and no other interface's; detach zeroes and frees the
# slot; re-attach is idempotent (same slot, counters kept); a full slot
# table is a clear error that changes nothing; the catch-all slot 0
# (programs loaded without a slot) shows as "(other)" in stats.
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
command -v bpftool >/dev/null || bail "no bpftool"
# Two more interfaces (veth pairs inside the namespace: no dummy module
# here), deleted with the namespace.
DUM1=fgt${T_ID}c DUM2=fgt${T_ID}d
ip -n "$NS_RX" link add "$DUM1" type veth peer name "fgt${T_ID}e" ||
	bail "veth $DUM1"
ip -n "$NS_RX" link add "$DUM2" type veth peer name "fgt${T_ID}f" ||
	bail "veth $DUM2"
ip -n "$NS_RX" link set "$DUM1" up
ip -n "$NS_RX" link set "$DUM2" up
PINS=$FLOWGATE_BPFFS
NCPU=$(awk -F- '{ print $NF + 1 }' /sys/devices/system/cpu/possible)
IFSTATS_SZ=1920 # sizeof(struct fg_ifstats)

ifindex() { ip netns exec "$NS_RX" cat "/sys/class/net/$1/ifindex"; }

# slot DEV: fg_iface.slot of DEV's record ("" when none), from the raw bytes.
slot() {
	bpftool -j map lookup pinned "$PINS/fg_ifaces" key \
		$(le32 "$(ifindex "$1")") 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)  # null when there is no such record
if d:
    v = d["value"]
    print(int.from_bytes(bytes(int(b, 16) for b in v[48:52]), "little"))'
}

le32() { "$PY" -c 'import sys; print(" ".join(str(b) for b in int(sys.argv[1]).to_bytes(4, "little")))' "$1"; }

# slot_sum KEY: sum over CPUs and every counter of fg_ifstats[KEY].
slot_sum() {
	bpftool -j map lookup pinned "$PINS/fg_ifstats" key $(le32 "$1") |
		"$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(sum(int(b, 16) for c in d["values"] for b in c["value"]))'
}

rx_of() { jget "$(fg_stats_json "$1")" 'd["interfaces"][0]["rx_packets"]'; }

# ---- allocation: lowest free slot, one per interface ------------------------
fg attach "$RX_IF" >/dev/null || bail "attach $RX_IF"
fg attach "$DUM1" hook tc >/dev/null || bail "attach $DUM1"
expect_eq "first interface takes slot 1" "$(slot "$RX_IF")" 1
expect_eq "second interface takes slot 2" "$(slot "$DUM1")" 2
fg_settle || bail "the link does not settle"

before=$(rx_of "$RX_IF")
send_udp 5
sleep 0.3
expect_eq "$RX_IF counts the 5 datagrams" $(($(rx_of "$RX_IF") - before)) 5
expect_eq "$DUM1 counts none of them" "$(rx_of "$DUM1")" 0
expect_eq "slot 2's entries are all zero" \
	$(($(slot_sum 4) + $(slot_sum 5))) 0
expect_eq "the catch-all slot 0 is all zero" \
	$(($(slot_sum 0) + $(slot_sum 1))) 0
expect_eq "stats shows no (other) row while slot 0 is zero" \
	"$(jget "$(fg -j stats)" 'sorted(i["dev"] for i in d["interfaces"])')" \
	"[\"$RX_IF\", \"$DUM1\"]"

# ---- re-attach is idempotent -------------------------------------------------
out=$(fg -j attach "$RX_IF")
expect_eq "re-attach: already attached" \
	"$(jget "$out" 'd["already_attached"]')" true
expect_eq "re-attach: same slot" "$(slot "$RX_IF")" 1
expect_eq "re-attach: counters kept" $(($(rx_of "$RX_IF") - before)) 5

# ---- detach zeroes and frees the slot ----------------------------------------
check "detach $RX_IF" fg detach "$RX_IF"
expect_eq "detach: slot 1's entries zeroed" \
	$(($(slot_sum 2) + $(slot_sum 3))) 0
expect_eq "detach: no record left" "$(slot "$RX_IF")" ""
expect_eq "detach: $DUM1 keeps slot 2" "$(slot "$DUM1")" 2
fg attach "$RX_IF" >/dev/null || bail "attach $RX_IF again"
expect_eq "attach again: the freed slot 1" "$(slot "$RX_IF")" 1
expect_eq "attach again: counters start at zero" "$(rx_of "$RX_IF")" 0

# ---- a full slot table -------------------------------------------------------
# 254 records of interfaces that do not exist take slots 3..256.
batch=$FG_TMP.batch
"$PY" - "$PINS/fg_ifaces" >"$batch" <<'PY'
import sys
pin = sys.argv[1]
def hexs(b): return " ".join("0x%02x" % x for x in b)
for i, slot in enumerate(range(3, 257)):
    ifindex = 1000000 + i
    v = (ifindex.to_bytes(4, "little") + bytes(12) + bytes(8) +
         b"fake".ljust(16, b"\0") + bytes(8) + slot.to_bytes(4, "little") +
         bytes(4))
    print("map update pinned %s key %s value %s" %
          (pin, hexs(ifindex.to_bytes(4, "little")), hexs(v)))
PY
check "fill the slot table with 254 fake records" \
	bpftool batch file "$batch"
err=$(fg attach "$DUM2" hook tc 2>&1 >/dev/null)
expect_eq "attach with every slot taken: exit 1" "$?" 1
expect_eq "  ... one clear line" "$err" \
	"Error: all 256 interface slots are in use; detach an interface first"
expect_eq "  ... no record made" "$(slot "$DUM2")" ""
expect_eq "  ... no TC filter left on $DUM2" \
	"$(tc -n "$NS_RX" filter show dev "$DUM2" egress)" ""
expect_eq "  ... the others keep their slots" \
	"$(slot "$RX_IF") $(slot "$DUM1")" "1 2"
sed -i 's/^map update \(pinned [^ ]*\) \(key \(0x.. \)\{4\}\).*/map delete \1 \2/' \
	"$batch"
check "remove the fake records" bpftool batch file "$batch"
fg attach "$DUM2" hook tc >/dev/null
expect_eq "attach after slots were freed: slot 3" "$(slot "$DUM2")" 3

# ---- the catch-all slot 0 reaches the user ------------------------------------
# What a program loaded without a slot would count (3 packets of 100 bytes
# passed, per CPU: bpftool writes the value on every CPU).
val=$("$PY" -c '
import struct, sys
b = struct.pack("<4Q", 3, 300, 3, 300) + bytes(int(sys.argv[1]) - 32)
print(" ".join(str(x) for x in b))' "$IFSTATS_SZ")
check "count 3 packets per CPU in slot 0" \
	bpftool map update pinned "$PINS/fg_ifstats" key 0 0 0 0 value $val
st=$(fg -j stats)
expect_eq "stats: an (other) row, ifindex 0" \
	"$(jget "$st" '[(i["dev"], i["ifindex"]) for i in d["interfaces"]][-1]')" \
	'["(other)", 0]'
expect_eq "  ... with slot 0's counters, conserved" \
	"$(jget "$st" '[(i["rx_packets"], i["passed_bytes"], i["conserved"]) for i in d["interfaces"] if i["dev"] == "(other)"][0]')" \
	"[$((3 * NCPU)), $((300 * NCPU)), true]"
txt=$(fg stats)
check "  ... and in text" grep -q "(other)" <<<"$txt"
fg_done
