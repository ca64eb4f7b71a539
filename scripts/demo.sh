#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: a small lab in network namespaces. A host runs flowgate on
# its two links; a client talks to it (scapy traffic plus a real TCP
# exchange), an attacker sends malformed frames. Then it shows what an
# operator looks at: status, the counters, why frames were dropped, and
# that every frame is accounted for. Everything is removed at the end, also
# on Ctrl-C. Needs root; uses only documentation address ranges.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FLOWGATE=${FLOWGATE:-$ROOT/build/flowgate}
PY=/usr/bin/python3 # the system python has scapy
ID=$$
NS_HOST=fgdemo-host-$ID NS_CLI=fgdemo-client-$ID NS_ATK=fgdemo-attacker-$ID
# Links live in their own namespaces from creation on, so their names
# cannot collide with anything else.
H_CLI=h-client H_ATK=h-attacker
CLI_MAC=02:00:00:00:01:01 HC_MAC=02:00:00:00:01:02
ATK_MAC=02:00:00:00:02:01 HA_MAC=02:00:00:00:02:02
TMP='' SERVER='' EXPORTER='' NFCAPD=''

die() {
	echo "demo: $*" >&2
	exit 1
}

cleanup() {
	local rc=$? ns

	trap - EXIT INT TERM
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
	[ -n "$EXPORTER" ] && kill -9 "$EXPORTER" 2>/dev/null
	[ -n "$NFCAPD" ] && kill -9 "$NFCAPD" 2>/dev/null
	[ -n "$TMP" ] && rm -rf "$TMP.nfcapd"
	for ns in "$NS_HOST" "$NS_CLI" "$NS_ATK"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$TMP" ]; then
		umount "$TMP" 2>/dev/null || umount -l "$TMP" 2>/dev/null
		rmdir "$TMP" 2>/dev/null
	fi
	exit "$rc"
}

[ "$(id -u)" -eq 0 ] || die "run as root (namespaces and XDP need it)"
[ -x "$FLOWGATE" ] || die "no $FLOWGATE: run 'make all' first"
"$PY" -c 'import scapy' 2>/dev/null || die "$PY has no scapy (python3-scapy)"
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM

# Pins on a private bpffs: the demo never touches /sys/fs/bpf/flowgate.
TMP=$(mktemp -d /tmp/fgdemo.XXXXXX) || die "mktemp failed"
mount -t bpf bpf "$TMP" || die "cannot mount bpffs"
export FLOWGATE_BPFFS=$TMP/flowgate

# Nothing in the lab sends on its own: IPv6 quietened (quiet_ipv6), static
# neighbours. The last lines compare flow accounting, read after the
# exporter stopped, with what it exported; on a slow host (a VM under
# emulation) the kernels' own chatter otherwise arrives in between.
# shellcheck source=scripts/lab.sh
. "$ROOT/scripts/lab.sh"

link() { # link PEER_NS PEER_MAC HOST_IF HOST_MAC PREFIX4 PREFIX6
	ip link add eth0 netns "$1" address "$2" type veth \
		peer name "$3" netns "$NS_HOST" address "$4" ||
		die "cannot create veth $3"
	quiet_ipv6 "$1" eth0
	quiet_ipv6 "$NS_HOST" "$3"
	ip -n "$1" addr add "$5.1/24" dev eth0
	ip -n "$NS_HOST" addr add "$5.2/24" dev "$3"
	ip -n "$1" addr add "$6::1/64" dev eth0 nodad
	ip -n "$NS_HOST" addr add "$6::2/64" dev "$3" nodad
	ip -n "$1" neigh add "$5.2" lladdr "$4" dev eth0 nud permanent
	ip -n "$1" neigh add "$6::2" lladdr "$4" dev eth0 nud permanent
	ip -n "$NS_HOST" neigh add "$5.1" lladdr "$2" dev "$3" nud permanent
	ip -n "$NS_HOST" neigh add "$6::1" lladdr "$2" dev "$3" nud permanent
	ip -n "$1" link set eth0 up
	ip -n "$NS_HOST" link set "$3" up
}

for ns in "$NS_HOST" "$NS_CLI" "$NS_ATK"; do
	ip netns add "$ns" || die "cannot create namespace $ns"
	ip -n "$ns" link set lo up
done
link "$NS_CLI" "$CLI_MAC" "$H_CLI" "$HC_MAC" 192.0.2 2001:db8:1
link "$NS_ATK" "$ATK_MAC" "$H_ATK" "$HA_MAC" 198.51.100 2001:db8:2

# What the operator types, shown as such.
fgshow() {
	echo "\$ flowgate $*"
	ip netns exec "$NS_HOST" "$FLOWGATE" "$@" | sed 's/^/  /; s/ *$//'
}
fgj() { ip netns exec "$NS_HOST" "$FLOWGATE" -j "$@"; }

send() { # send NS IF SRC_MAC DST_MAC PREFIX4 PREFIX6 SET REPEAT
	ip netns exec "$1" "$PY" "$ROOT/scripts/send_mix.py" --iface "$2" \
		--src-mac "$3" --dst-mac "$4" --src4 "$5.1" --dst4 "$5.2" \
		--src6 "$6::1" --dst6 "$6::2" --set "$7" --repeat "$8" |
		"$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

cat <<EOF
== flowgate demo: a host guarded by flowgate, a client and an attacker ==
  client    192.0.2.1    --veth--  $H_CLI    192.0.2.2     host
  attacker  198.51.100.1 --veth--  $H_ATK  198.51.100.2  (flowgate)

EOF
for dev in "$H_CLI" "$H_ATK"; do
	out=$(fgj attach "$dev") || die "attach $dev failed"
	echo "\$ flowgate attach $dev   # $("$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
print("XDP program %d, %s mode" % (d["prog_id"], d["mode"]))' "$out")"
done

# A real collector: nfdump's nfcapd on the host's loopback, fed by the
# exporter (idle flows leave after 2 s, long ones every 5 s).
mkdir -p "$TMP.nfcapd"
ip netns exec "$NS_HOST" nfcapd -b 127.0.0.1 -p 4739 -w "$TMP.nfcapd" \
	-t 60 >/dev/null 2>&1 &
NFCAPD=$!
for _ in $(seq 50); do
	ip netns exec "$NS_HOST" ss -lnuH | grep -q ':4739 ' && break
	sleep 0.1
done
ip netns exec "$NS_HOST" "$FLOWGATE" export collector udp://127.0.0.1:4739 \
	active-timeout 5 idle-timeout 2 interval 250 2>/dev/null &
EXPORTER=$!
echo "\$ flowgate export collector udp://127.0.0.1:4739 active-timeout 5 idle-timeout 2 &"
echo "  (nfcapd from nfdump listens on 127.0.0.1:4739)"
echo

n=$(send "$NS_CLI" eth0 "$CLI_MAC" "$HC_MAC" 192.0.2 2001:db8:1 valid 20) ||
	die "client traffic failed"
echo "client:   sent $n valid frames (TCP, UDP, ICMP, ARP, ND; IPv4, IPv6, VLAN)"

# A real TCP exchange through the guard: an echo server on the host.
ip netns exec "$NS_HOST" "$PY" -c '
import socket
s = socket.create_server(("192.0.2.2", 7007))
s.settimeout(10)
c, _ = s.accept()
c.settimeout(5)
c.sendall(c.recv(100))
c.close()' &
SERVER=$!
reply=$(ip netns exec "$NS_CLI" "$PY" -c '
import socket, time
for _ in range(50):  # the server may not listen yet
    try:
        c = socket.create_connection(("192.0.2.2", 7007), timeout=5)
        break
    except ConnectionRefusedError:
        time.sleep(0.1)
c.sendall(b"hello through flowgate")
print(c.recv(100).decode())' 2>/dev/null)
wait "$SERVER" 2>/dev/null
SERVER=
echo "client:   TCP to 192.0.2.2:7007, the server echoed \"${reply:-(nothing!)}\""

n=$(send "$NS_ATK" eth0 "$ATK_MAC" "$HA_MAC" 198.51.100 2001:db8:2 bad 4) ||
	die "attacker traffic failed"
echo "attacker: sent $n malformed frames (scans, bad lengths, spoofed sources...)"
sleep 0.5
echo

fgshow status | grep -v -e '^  pin_dir' -e attached_since -e ifindex -e hook
echo
fgshow stats dev "$H_ATK" | sed -e '/reasons:/,$d' -e '/ifindex/d'
echo
echo "Why $H_ATK dropped frames (descriptions from 'flowgate config show'):"
"$PY" - "$(fgj stats dev "$H_ATK")" "$(fgj config show)" <<'EOF'
import json, sys, textwrap
st = json.loads(sys.argv[1])["interfaces"][0]
desc = {c["check"]: (c["description"], c["action"])
        for c in json.loads(sys.argv[2])["checks"]}
print("  %-14s %7s %7s  %s" % ("check", "dropped", "matched", "meaning"))
for r in sorted(st["reasons"], key=lambda r: -r["matched"]):
    d, act = desc[r["reason"]]
    note = "" if act == "drop" else " (%s only)" % act
    d = textwrap.shorten(d, 54 - len(note), placeholder="...") + note
    print("  %-14s %7d %7d  %s" % (r["reason"], r["dropped_packets"],
                                   r["matched"], d))
EOF
echo
echo "Conservation (every frame passed, or dropped for exactly one reason):"
"$PY" - "$(fgj stats)" <<'EOF'
import json, sys
for i in json.loads(sys.argv[1])["interfaces"]:
    print("  %-10s rx %4d = passed %4d + dropped %4d   %s" % (
        i["dev"], i["rx_packets"], i["passed_packets"], i["dropped_packets"],
        "OK" if i["conserved"] else "VIOLATED"))
EOF

echo
echo "IPFIX: waiting for the flows to go idle, then stopping the exporter..."
sleep 2.5
kill -TERM "$EXPORTER"
wait "$EXPORTER" 2>/dev/null
EXPORTER=
kill -TERM "$NFCAPD"
wait "$NFCAPD" 2>/dev/null
NFCAPD=
echo "\$ nfdump -R ... -O bytes -n 8   # what the collector stored"
nfdump -q -R "$TMP.nfcapd" -O bytes -n 8 \
	-o "fmt:%ts %pr %sap -> %dap %pkt %byt %flg" 2>/dev/null |
	sed 's/^/  /'
"$PY" - "$(fgj stats)" "$(nfdump -q -R "$TMP.nfcapd" -o csv 2>/dev/null |
	awk -F, '$12 ~ /^[0-9]+$/ { p += $12 } END { print p + 0 }')" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
ex = d.get("exporter", {})
acc = sum(i["flows"][x]["packets"] - i["flows"][x]["sampled_out_packets"] -
          i["flows"][x]["unflowed_packets"]
          for i in d["interfaces"] for x in ("in", "out"))
rec = sum(ex.get(k, 0) for k in (
    "records_idle_timeout", "records_active_timeout", "records_end_detected",
    "records_forced_end", "records_overflow"))
print("  flow accounting: %d packets; exporter sent %d packets in %d records;"
      " nfcapd stored %s packets" % (acc, ex.get("packets", 0), rec,
                                     sys.argv[2]))
EOF
for dev in "$H_CLI" "$H_ATK"; do
	fgj detach "$dev" >/dev/null || die "detach $dev failed"
done
# detach keeps rules and settings for the next attach; purge removes them
fgj purge >/dev/null || die "purge failed"
echo
echo "Detached; removing the lab. Next: 'flowgate config set profile monitor'"
echo "counts every check without dropping; man -l doc/flowgate.8 has the rest."
