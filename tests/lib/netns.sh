# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Harness for the end-to-end tests, in the manner of xdp-tools' test_runner:
# two network namespaces joined by a veth pair, a private bpffs, TAP output
# and a cleanup trap. Source it from a test, then:
#
#   fg_setup              namespaces, veth, addresses, private bpffs, and
#                         T_DIR, a temp dir of the test's own
#   fg attach "$RX_IF"    run build/flowgate inside the receiving namespace
#   fg_rx [DEV]           the receiver's rx_packets counter
#   fg_rx_wait N          until it reaches N (5 s at most)
#   wait_for TRIES CMD... until CMD succeeds, TRIES times 0.1 s apart
#   check "name" CMD...   one TAP line from a command's exit status
#   expect_eq "name" GOT WANT
#   fg_done               prints the plan "1..N", exits non-zero on failure
#
# Every name carries the PID ($$), so parallel and leftover runs never
# collide. The trap stops the background jobs the test left running and
# removes namespaces, links, the bpffs mount and T_DIR on any exit.
#
# Machine facts this works around:
# - `ip netns exec` remounts /sys, so /sys/fs/bpf inside it is a fresh, empty
#   place, and every `mount -t bpf` makes a new empty instance. The pins
#   therefore live on a bpffs mounted in the host mount namespace on a temp
#   dir, which `ip netns exec` still sees (only /sys is replaced).
# - Never `ip link set DEV xdp obj ...` (it confuses libxdp); only `xdp off`.

FG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FLOWGATE=${FLOWGATE:-$FG_ROOT/build/flowgate}
PY=/usr/bin/python3 # the system one has scapy; a pyenv python3 may not

T_ID=$$
NS_TX=fgt-tx-$T_ID # the sender
NS_RX=fgt-rx-$T_ID # the flowgate host
TX_IF=fgt${T_ID}a   # at most 15 characters: "fgt" + PID + one letter
RX_IF=fgt${T_ID}b
TX_IP4=192.0.2.1 RX_IP4=192.0.2.2
TX_IP6=2001:db8::1 RX_IP6=2001:db8::2
TX_MAC=02:00:00:00:00:01 RX_MAC=02:00:00:00:00:02
FG_TMP='' # private bpffs mount point (mktemp), set by fg_setup

# ---- TAP (ok, not_ok, skip, diag, check, expect_eq, bail, fg_done) ----

# shellcheck source=tests/lib/tap.sh
. "$FG_ROOT/tests/lib/tap.sh"

# ---- JSON ----------------------------------------------------------------

# jget JSON EXPR: evaluate a Python expression over the document `d`.
# Strings print bare, everything else as JSON (true, false, null, [..]).
# Prints nothing and fails when the document does not parse or EXPR fails.
jget() {
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
v = eval(sys.argv[2], {"d": d})
print(v if isinstance(v, str) else json.dumps(v))
' "$1" "$2" 2>/dev/null
}

# jvalid TEXT: the text is exactly one JSON document.
jvalid() {
	"$PY" -c 'import json, sys; json.loads(sys.argv[1])' "$1" 2>/dev/null
}

# ---- flowgate --------------------------------------------------------------

# Run the CLI inside the receiving namespace against the private pins.
fg() {
	ip netns exec "$NS_RX" "$FLOWGATE" "$@"
}

# Counters of one interface as the JSON object of `stats -j dev DEV`.
fg_stats_json() {
	fg -j stats dev "${1:-$RX_IF}"
}

fg_rx() { # fg_rx [DEV]
	jget "$(fg_stats_json "${1:-$RX_IF}")" 'd["interfaces"][0]["rx_packets"]'
}

fg_rx_ge() { # fg_rx_ge N: rx_packets is at least N
	local n
	n=$(fg_rx)
	[ "${n:-0}" -ge "$1" ]
}

fg_rx_wait() { wait_for 50 fg_rx_ge "$1"; }

wait_for() { # wait_for TRIES CMD...
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# XDP programs on a link of the receiving namespace: the id of the program
# attached, or with libxdp's dispatcher the ids of its components ("" when
# none). libxdp finds the dispatcher's pins on the test's bpffs, where
# flowgate puts them when /sys/fs/bpf is not a bpffs (ctl/util.c).
xdp_prog_id() {
	ip netns exec "$NS_RX" env LIBXDP_BPFFS="$FG_TMP" \
		"$PY" "$FG_ROOT/tests/lib/xdp_progs.py" "${1:-$RX_IF}"
}

# What the link itself holds: "dispatcher ID", "program ID" or "".
xdp_main_prog() {
	ip netns exec "$NS_RX" env LIBXDP_BPFFS="$FG_TMP" \
		"$PY" "$FG_ROOT/tests/lib/xdp_progs.py" "${1:-$RX_IF}" --main
}

# ---- setup and cleanup ------------------------------------------------------

fg_cleanup() {
	local rc=$? p

	trap - EXIT INT TERM
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	# Deleting a namespace deletes its veth end, and with it the peer and
	# any XDP program on either.
	ip netns del "$NS_RX" 2>/dev/null
	ip netns del "$NS_TX" 2>/dev/null
	ip link del "$TX_IF" 2>/dev/null
	if [ -n "$FG_TMP" ]; then
		umount "$FG_TMP" 2>/dev/null || umount -l "$FG_TMP" 2>/dev/null
		rmdir "$FG_TMP" 2>/dev/null
		rm -rf "$FG_TMP".* # every file a test named after it
	fi
	[ -n "${T_CLEANUP_HOOK:-}" ] && "$T_CLEANUP_HOOK"
	exit "$rc"
}

# quiet_ipv6 NS IF (scripts/lab.sh); what the kernel still sends (MLD
# reports when joining groups) goes out at set-up, and fg_settle waits it
# out.
# shellcheck source=scripts/lab.sh
. "$FG_ROOT/scripts/lab.sh"

fg_setup() {
	[ "$(id -u)" -eq 0 ] || bail "needs root (network namespaces, bpf)"
	[ -x "$FLOWGATE" ] || bail "no $FLOWGATE: run 'make all' first"
	[ -x "$PY" ] || bail "no $PY"
	trap fg_cleanup EXIT
	trap 'exit 130' INT TERM

	FG_TMP=$(mktemp -d /tmp/fgtest.XXXXXX) || bail "mktemp"
	T_DIR=$FG_TMP.d
	mkdir "$T_DIR" || bail "mkdir $T_DIR"
	mount -t bpf bpf "$FG_TMP" || bail "cannot mount bpffs on $FG_TMP"
	export FLOWGATE_BPFFS=$FG_TMP/fg

	ip netns add "$NS_TX" || bail "cannot create namespace $NS_TX"
	ip netns add "$NS_RX" || bail "cannot create namespace $NS_RX"
	ip link add "$TX_IF" address "$TX_MAC" netns "$NS_TX" type veth \
		peer name "$RX_IF" address "$RX_MAC" netns "$NS_RX" ||
		bail "cannot create veth pair"
	quiet_ipv6 "$NS_TX" "$TX_IF"
	quiet_ipv6 "$NS_RX" "$RX_IF"
	ip -n "$NS_TX" addr add "$TX_IP4/24" dev "$TX_IF"
	ip -n "$NS_RX" addr add "$RX_IP4/24" dev "$RX_IF"
	ip -n "$NS_TX" addr add "$TX_IP6/64" dev "$TX_IF" nodad
	ip -n "$NS_RX" addr add "$RX_IP6/64" dev "$RX_IF" nodad
	# Static neighbours: replies of the receiver must not make the
	# sender answer ARP or ND, which would land in the counters.
	ip -n "$NS_RX" neigh add "$TX_IP4" lladdr "$TX_MAC" dev "$RX_IF" \
		nud permanent
	ip -n "$NS_RX" neigh add "$TX_IP6" lladdr "$TX_MAC" dev "$RX_IF" \
		nud permanent
	ip -n "$NS_TX" neigh add "$RX_IP4" lladdr "$RX_MAC" dev "$TX_IF" \
		nud permanent
	ip -n "$NS_TX" neigh add "$RX_IP6" lladdr "$RX_MAC" dev "$TX_IF" \
		nud permanent
	ip -n "$NS_RX" link set lo up
	ip -n "$NS_TX" link set lo up
	ip -n "$NS_RX" link set "$RX_IF" up || bail "$RX_IF does not come up"
	ip -n "$NS_TX" link set "$TX_IF" up || bail "$TX_IF does not come up"
}

# Wait (at most $2 seconds, default 10) until the receiver's rx_packets
# counter has not moved for one second: the kernels' own start-up chatter
# (MLD reports) is over. Fails if it never settles.
fg_settle() {
	local dev=${1:-$RX_IF} max=${2:-10} last cur i stable=0

	last=$(jget "$(fg_stats_json "$dev")" 'd["interfaces"][0]["rx_packets"]')
	for ((i = 0; i < max * 4; i++)); do
		sleep 0.25
		cur=$(jget "$(fg_stats_json "$dev")" \
			'd["interfaces"][0]["rx_packets"]')
		if [ "$cur" = "$last" ]; then
			stable=$((stable + 1))
			[ "$stable" -ge 4 ] && return 0
		else
			stable=0
			last=$cur
		fi
	done
	return 1
}

# Send a named packet set of scripts/send_mix.py from the sender; prints
# its expectation (JSON) on stdout.
fg_send() { # fg_send SET [extra args]
	local set=$1
	shift
	ip netns exec "$NS_TX" "$PY" "$FG_ROOT/scripts/send_mix.py" \
		--iface "$TX_IF" --src-mac "$TX_MAC" --dst-mac "$RX_MAC" \
		--src4 "$TX_IP4" --dst4 "$RX_IP4" --src6 "$TX_IP6" \
		--dst6 "$RX_IP6" --set "$set" "$@"
}

# XDP attach mode of a link as the kernel reports it: drv, skb, hw, multi
# or "" when none.
xdp_mode() {
	ip -n "$NS_RX" -j -d link show dev "${1:-$RX_IF}" | "$PY" -c '
import json, sys
x = json.load(sys.stdin)[0].get("xdp")
print({1: "drv", 2: "skb", 3: "hw", 4: "multi"}.get(x["mode"], "?")
      if x else "")'
}

# fg_round LABEL SET [fg_expect.py options]: send a set of send_mix.py
# from the sender and check every counter of the receiver against what the
# set must give (exact deltas, per reason, bytes included). One TAP line
# per assertion, named "LABEL: ...".
fg_round() {
	local label=$1 set=$2 dir want line name rest
	shift 2
	dir=$FG_TMP.round
	mkdir -p "$dir"
	fg_stats_json >"$dir/before" || {
		not_ok "$label: stats before sending"
		return
	}
	if ! fg_send "$set" >"$dir/frames"; then
		not_ok "$label: send the '$set' frames"
		return
	fi
	want=$(($(jget "$(cat "$dir/before")" \
		'd["interfaces"][0]["rx_packets"]') + \
		$(jget "$(cat "$dir/frames")" 'len(d)')))
	# Every frame has been seen once rx_packets got there (bounded).
	fg_rx_wait "$want"
	sleep 0.2 # anything unexpected arriving late must show too
	fg_stats_json >"$dir/after"
	while IFS=$'\t' read -r line name rest; do
		if [ "$line" = ok ]; then
			ok "$label: $name"
		else
			not_ok "$label: $name"
			diag "  got, want: ${rest//$'\t'/ , }"
		fi
	done < <("$PY" "$FG_ROOT/tests/e2e/fg_expect.py" "$dir/frames" \
		"$dir/before" "$dir/after" "$@" || echo "not ok	fg_expect.py failed	")
	rm -rf "$dir"
}

send_udp() { # send_udp N: N UDP datagrams to the receiver
	ip netns exec "$NS_TX" "$PY" - "$TX_IF" "$RX_MAC" "$TX_IP4" "$RX_IP4" \
		"$1" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, conf, sendp
conf.verb = 0
iface, dmac, src, dst, n = sys.argv[1:6]
sendp([Ether(dst=dmac) / IP(src=src, dst=dst) / UDP(sport=1000 + i, dport=9)
       for i in range(int(n))], iface=iface)
PY
}
