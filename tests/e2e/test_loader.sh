#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The plain object build/flowgate_xdp.bpf.o works with another loader:
# xdp-loader (libxdp) attaches fg_xdp with its maps empty, and the program
# then judges traffic with the default profile: valid frames pass, a
# SYN+FIN is dropped. Seen from the outside, by veth's own XDP counters
# (ethtool -S): packets seen and drops.
. "$(dirname "$0")/../lib/netns.sh"

OBJ=${FLOWGATE_BPF_OBJ:-$FG_ROOT/build/flowgate_xdp.bpf.o}
fg_setup
command -v xdp-loader >/dev/null || bail "no xdp-loader (xdp-tools)"
# xdp-loader keeps its state under bpffs/xdp: give it the private mount.
export LIBXDP_BPFFS=$FG_TMP

xdp_count() { # xdp_count packets|drops: veth's native XDP counters
	ip netns exec "$NS_RX" ethtool -S "$RX_IF" |
		awk -v k="rx_queue_0_xdp_$1:" '$1 == k { print $2 }'
}

check "xdp-loader loads the plain object (native mode)" \
	ip netns exec "$NS_RX" xdp-loader load -m native "$RX_IF" "$OBJ"
expect_eq "program on the link is fg_xdp" \
	"$(ip netns exec "$NS_RX" bpftool prog show id "$(xdp_prog_id)" |
		awk 'NR == 1 { print $4 }')" fg_xdp

# The links' start-up chatter (MLD reports) must be over: wait until the
# counter stands still for a second (at most 10 s).
last=-1 stable=0
for ((i = 0; i < 40 && stable < 4; i++)); do
	cur=$(xdp_count packets)
	if [ "$cur" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
	last=$cur
	sleep 0.25
done
[ "$stable" -ge 4 ] || bail "the link does not settle"
before_seen=$(xdp_count packets) before_drop=$(xdp_count drops)
ip netns exec "$NS_TX" "$PY" - "$TX_IF" "$RX_MAC" "$TX_IP4" "$RX_IP4" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, TCP, conf, sendp
conf.verb = 0
iface, dmac, src, dst = sys.argv[1:5]
e = Ether(dst=dmac)
sendp([e / IP(src=src, dst=dst) / UDP(sport=1000 + i, dport=9999) / b"ok"
       for i in range(5)] +
      [e / IP(src=src, dst=dst) / TCP(sport=2000, dport=80, flags="SF")] * 3,
      iface=iface)
PY
sleep 0.3
expect_eq "fg_xdp saw the 8 frames" \
	"$(($(xdp_count packets) - before_seen))" 8
expect_eq "and dropped the 3 SYN+FIN, default profile from empty maps" \
	"$(($(xdp_count drops) - before_drop))" 3
check "xdp-loader unloads it" \
	ip netns exec "$NS_RX" xdp-loader unload "$RX_IF" --all
expect_eq "no XDP program left" "$(xdp_prog_id)" ""
fg_done
