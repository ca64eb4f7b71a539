#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# nfcapd/nfdump 1.7.1 (Debian 12) receives flowgate's IPFIX over UDP on
# loopback (it has no IPFIX/TCP) and must decode exactly what was sent:
# every flow's 5-tuple, packets, octets, TCP flags (in one octet and in
# two), VLAN, direction, times; the guard's drops as flows of their own
# (nfdump 1.7.1 does not read forwardingStatus: it shows 0); with sampling,
# N times what was exported, whether the rate is announced as
# samplingInterval (legacy) or as samplingPacketInterval/Space (psamp).
. "$(dirname "$0")/lib.sh"
ix_need nfcapd nfdump
ix_setup

# run TAG SETS EXPORT-ARGS...: nfcapd up, exporter up, send SETS (comma
# separated set:tag pairs), wait until every flow expired, stop both, dump.
IX_RATE=1 # the sampling rate in force

run() {
	local tag=$1 sets=$2 d=$IX_DIR/$1 port pid
	shift 2
	mkdir -p "$d/nf"
	port=$(ix_port udp) || bail "no free UDP port"
	ix_bg "$tag-nfcapd" ip netns exec "$NS_RX" \
		nfcapd -b 127.0.0.1 -p "$port" -w "$d/nf" -t 60
	pid=$IX_LAST
	ix_wait_bound udp "$port" || bail "nfcapd does not listen on $port"
	ix_export_sets "$port" "$d/out.ipfix" "$sets" "$tag" "$@"
	sleep 0.5 # nfcapd reads the last datagrams
	ix_stop "$pid" TERM # writes nfcapd.YYYYMMDDhhmm
	ix_decode "$d/out.ipfix" >"$d/ours.jsonl" ||
		not_ok "$tag: our decoder reads the exporter's file"
	TZ=UTC nfdump -R "$d/nf" -o json >"$d/nfdump.json" 2>"$d/nfdump.err" ||
		not_ok "$tag: nfdump reads what nfcapd stored"
	stored "$tag" "$IX_RATE"
}

# nfcapd's own statistics against every IP flow record exported (all
# directions, the receiver's replies included): nothing dropped on the way.
# With sampling, nfcapd stores the packets scaled by the announced rate.
stored() { # stored TAG [RATE]
	local d=$IX_DIR/$1 stat want

	stat=$(nfdump -R "$d/nf" -I 2>/dev/null)
	want=$("$PY" -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in r if x["_kind"] == "flow" and ("src4" in x or "src6" in x)]
print(len(r), int(sys.argv[2]) * sum(x["packets"] for x in r))' \
		"$d/ours.jsonl" "${2:-1}")
	expect_eq "$1: nfcapd stored every IP flow record exported (flows, packets)" \
		"$(awk '$1 == "Flows:" {f = $2} $1 == "Packets:" {p = $2}
			END {print f, p}' <<<"$stat")" "$want"
	diag "$1: nfcapd $(grep 'Sequence failures' <<<"$stat") (it counts" \
		"only flow records; flowgate's sequence numbers count options" \
		"records too, as RFC 7011 says)"
}

# 1. Defaults (tcpControlBits in 1 octet, sampling announced as legacy),
#    no sampling: everything exact. The slow flows outlast a 1 s active
#    timeout and come in several records.
run a mix:mix,flagsor:tcp,synfin:syn,slow:slow active-timeout 1
ix_compare "nfdump, UDP" nfdump "$IX_DIR/a/nfdump.json" \
	--expect "$IX_DIR/a-mix.exp.json" --expect "$IX_DIR/a-tcp.exp.json" \
	--expect "$IX_DIR/a-syn.exp.json:18" \
	--expect "$IX_DIR/a-slow.exp.json:0:2" --fwd ignored

# 2. tcpControlBits in two octets, rate announced as 305/306: flags
#    exact, counters untouched (305 = 1, 306 = 0 is "no sampling").
run b mix:mix,flagsor:tcp tcp-flags-octets 2 sampling-announce psamp
ix_compare "nfdump, 2-octet flags, psamp 1" nfdump "$IX_DIR/b/nfdump.json" \
	--expect "$IX_DIR/b-mix.exp.json" --expect "$IX_DIR/b-tcp.exp.json"

# 3. Sampling 1 in 4, announced as samplingInterval (34).
fg config set sampling 4 >/dev/null || bail "config set sampling"
IX_RATE=4 run c mix:mix
fg config set sampling 1 >/dev/null
ix_compare "nfdump, sampling 4 (legacy)" nfdump "$IX_DIR/c/nfdump.json" \
	--expect "$IX_DIR/c-mix.exp.json" --scale 4 --raw "$IX_DIR/c/ours.jsonl" \
	--sampled-out "$(delta c-mix)"

# 4. Sampling 1 in 3, announced as samplingPacketInterval/Space.
fg config set sampling 3 >/dev/null || bail "config set sampling"
IX_RATE=3 run d mix:mix sampling-announce psamp
fg config set sampling 1 >/dev/null
ix_compare "nfdump, sampling 3 (psamp)" nfdump "$IX_DIR/d/nfdump.json" \
	--expect "$IX_DIR/d-mix.exp.json" --scale 3 --raw "$IX_DIR/d/ours.jsonl" \
	--sampled-out "$(delta d-mix)"

fg_done
