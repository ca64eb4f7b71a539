#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guard against the reference implementation: Linux's own receive path.
#
# Two namespaces joined by a veth pair. Every frame goes in through a packet
# socket on the sender's end, so the receiver runs its normal receive path
# (ip_rcv_core, ip_options_compile, ipv6_rcv, ip6_parse_tlv, ipv6_frag_rcv,
# the TCP/UDP/ICMP input); what became of it is read from the
# skb:kfree_skb / skb:consume_skb tracepoints (a BPF program that keeps the
# receiver's veth end only) and from the namespace's SNMP counters
# (tests/oracle/oracle_run.c). flowgate's verdict on the same bytes is the
# host parser's under the default profile. compare.py sorts the kernel's
# drops into "malformed header", "policy / not for us" and the out-of-scope
# classes, and asserts:
#   - nothing the kernel takes as well-formed is dropped by flowgate, except
#     by a check whose class is policy;
#   - nothing the kernel drops as a malformed header passes flowgate,
#     except the out-of-scope classes.
# The classes of flowgate's checks are FG_REASONS' (config show -j), and
# the out-of-scope list is the manual's (doc/flowgate.8, "The guard and
# Linux"): the test reads both from there and checks the manual's table against
# config show.
#
# The receiver is set up so that a well-formed packet is delivered: a local
# route for every IPv4 and IPv6 destination, rp_filter off, accept_local on
# (every source is "local" under those routes), replies blackholed (they
# would loop back through lo and move the counters), TCP and UDP listeners on
# the ports the mutations use, reassembly timeouts and memory raised so that
# no fragment expires during the run. The sender has no address and IPv6
# off, so it never answers the receiver's replies. Limits:
#   - a lone fragment is held for reassembly, not judged: the kernel's
#     checks on the whole datagram (IPv4 overlength, say) never run, so a
#     held fragment only counts against flowgate if it is a malformed-class
#     drop there (reported as "held");
#   - frames cut by a capture's snaplen are left out; VLAN tags are removed
#     (the receiver has no VLAN devices) and the MACs rewritten;
#   - ports outside the listeners get "no socket" after the header checks,
#     which are the same;
#   - the MTU is 65535: no jumbogram reaches the receiver;
#   - configuration-dependent drops (CIPSO/CALIPSO without a DOI, IOAM,
#     source routes with accept_source_route off) are listed as out of
#     scope in the manual.
#
# Runs on every capture in shared/pcaps (../shared next to the repository,
# or $FLOWGATE_PCAPS; the capture part is skipped when absent) and on
# $ORACLE_MUTATIONS (3000) seeded mutations.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
PY=/usr/bin/python3
RUN=$ROOT/$BUILD/tests/oracle_run
FG=${FLOWGATE:-$ROOT/$BUILD/flowgate}
SEED=${ORACLE_SEED:-16}
COUNT=${ORACLE_MUTATIONS:-3000}
ID=$$
NS_TX=fgo-tx-$ID NS_RX=fgo-rx-$ID
TX_IF=fgo${ID}a RX_IF=fgo${ID}b
TX_MAC=02:00:00:00:01:01 RX_MAC=02:00:00:00:01:02
TMP=$(mktemp -d /tmp/fg-oracle.XXXXXX)
LPID=

cleanup() {
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	ip netns del "$NS_TX" 2>/dev/null
	ip netns del "$NS_RX" 2>/dev/null
	ip link del "$TX_IF" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, tracepoints)"
	exit 0
fi

PCAPS=${FLOWGATE_PCAPS:-}
for d in "$ROOT/../shared/pcaps" "$ROOT/../../shared/pcaps" /work/shared/pcaps; do
	[ -z "$PCAPS" ] && [ -d "$d" ] && PCAPS=$(cd "$d" && pwd)
done

rx() { ip netns exec "$NS_RX" "$@"; }
setup() {
	ip netns add "$NS_TX" && ip netns add "$NS_RX" &&
	ip link add "$TX_IF" netns "$NS_TX" address "$TX_MAC" mtu 65535 type veth \
		peer name "$RX_IF" netns "$NS_RX" address "$RX_MAC" mtu 65535 &&
	ip netns exec "$NS_TX" sysctl -qw "net.ipv6.conf.$TX_IF.disable_ipv6=1" &&
	ip -n "$NS_TX" link set "$TX_IF" up &&
	rx sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.all.accept_local=1 \
		net.ipv4.conf.default.accept_local=1 \
		net.ipv4.ipfrag_time=600 net.ipv4.ipfrag_high_thresh=268435456 \
		net.ipv6.ip6frag_time=600 \
		net.ipv6.ip6frag_high_thresh=268435456 \
		net.ipv6.conf.default.accept_dad=0 &&
	rx sysctl -qw "net.ipv4.conf.$RX_IF.rp_filter=0" \
		"net.ipv4.conf.$RX_IF.accept_local=1" \
		"net.ipv6.conf.$RX_IF.accept_dad=0" &&
	ip -n "$NS_RX" link set lo up &&
	ip -n "$NS_RX" link set "$RX_IF" up &&
	ip -n "$NS_RX" route add local 0.0.0.0/0 dev lo table local &&
	ip -n "$NS_RX" -6 route add local ::/0 dev lo table local &&
	ip -n "$NS_RX" route add blackhole default table 100 &&
	ip -n "$NS_RX" -6 route add blackhole default table 100 &&
	for f in -4 -6; do
		ip -n "$NS_RX" $f rule add pref 10 iif lo lookup 100 &&
		ip -n "$NS_RX" $f rule add pref 20 lookup local &&
		ip -n "$NS_RX" $f rule del pref 0 lookup local || return 1
	done
}

n=0 fail=0
tap() { # ok|fail text
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

if setup >"$TMP/setup.log" 2>&1; then
	tap ok "receiver: local routes for every destination, rp_filter off, accept_local"
else
	sed 's/^/# /' "$TMP/setup.log"
	tap fail "namespaces and veth set up"
	echo "1..$n"
	exit 1
fi

# Listeners (TCP and UDP, both families) on the ports the mutations use;
# UDP is read so that no socket buffer fills.
rx "$PY" - >"$TMP/listen.log" 2>&1 <<'PYEOF' &
import select, socket
socks = []
for port in (80, 53, 7, 9999):
    for typ in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET6, typ)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port))
        if typ == socket.SOCK_STREAM:
            s.listen(4096)
        s.setblocking(False)
        socks.append(s)
print("listening", flush=True)
while True:
    r, _, _ = select.select(socks, [], [], 1.0)
    for s in r:
        try:
            if s.type == socket.SOCK_STREAM:
                c, _ = s.accept()
                c.close()
            else:
                s.recv(65536)
        except OSError:
            pass
PYEOF
LPID=$!
for _ in $(seq 50); do grep -q listening "$TMP/listen.log" 2>/dev/null && break; sleep 0.1; done
if grep -q listening "$TMP/listen.log"; then
	tap ok "listeners on TCP/UDP ports 80, 53, 7, 9999"
else
	tap fail "listeners on TCP/UDP ports 80, 53, 7, 9999"
fi

"$FG" -j config show >"$TMP/config.json" 2>"$TMP/config.err"
if "$PY" tests/oracle/compare.py doc doc/flowgate.8 "$TMP/config.json"; then
	tap ok "manual checks table = FG_REASONS (code, name, default, strict, class)"
else
	tap fail "manual checks table = FG_REASONS (code, name, default, strict, class)"
fi

judge() { # name capture...
	local name=$1
	shift
	if ! "$RUN" "/run/netns/$NS_RX" "/run/netns/$NS_TX" "$RX_IF" "$TX_IF" \
		"$RX_MAC" "$TX_MAC" "$@" >"$TMP/$name.tsv" 2>"$TMP/$name.err"; then
		sed 's/^/# /' "$TMP/$name.err" | head -20
		tap fail "$name: frames injected and judged"
		return
	fi
	[ -n "${ORACLE_KEEP:-}" ] && cp "$TMP/$name.tsv" "$ORACLE_KEEP.$name.tsv"
	if "$PY" tests/oracle/compare.py judge "$TMP/$name.tsv" doc/flowgate.8 \
		"$TMP/config.json" "$name"; then
		tap ok "$name: kernel and flowgate agree, but for documented policy"
	else
		tap fail "$name: kernel and flowgate agree, but for documented policy"
	fi
}

if [ -n "$PCAPS" ]; then
	judge captures "$PCAPS"/*.pcap "$PCAPS"/*.pcapng
else
	n=$((n + 1))
	echo "ok $n - captures # SKIP no shared/pcaps next to the repository (set FLOWGATE_PCAPS)"
fi

if "$PY" tests/oracle/frames.py "$RX_MAC" "$TX_MAC" "$SEED" "$COUNT" \
	"$TMP/mut.pcap" 2>"$TMP/frames.err"; then
	judge mutations "$TMP/mut.pcap"
else
	sed 's/^/# /' "$TMP/frames.err" | tail -5
	tap fail "mutations generated"
fi

echo "1..$n"
exit $fail
