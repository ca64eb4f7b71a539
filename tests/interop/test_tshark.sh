#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tshark 4.0 decodes flowgate's IPFIX as it crosses loopback, over UDP and
# over TCP (captured on lo, reassembled), and from the exporter's `file`
# output (RFC 5655), and must show exactly what was sent: every flow's
# 5-tuple, packets, octets, TCP flags in one octet and in two, VLAN,
# direction, times, forwardingStatus and flowgate's drop reason (enterprise
# IE 32473/1), and the sampling announcement (samplingInterval and
# samplingPacketInterval/Space) with the raw counts plus the packets
# sampled out adding up to what was sent.
. "$(dirname "$0")/lib.sh"
ix_need tshark
ix_setup

# capture TAG udp|tcp PORT: tshark on lo of the receiving namespace.
# The exporter sends a run of datagrams of one length as one buffer
# (UDP_SEGMENT), which lo, as veth and NICs with UDP segmentation offload,
# passes on whole, cut only by the receiving socket: a capture there sees
# one packet. With the offload off the kernel cuts the datagrams before
# the capture point, as on a NIC without it; the datagrams are the same
# (the nfdump and pmacct tests receive them with the offload on).
capture() {
	local i

	ip netns exec "$NS_RX" ethtool -K lo tx-udp-segmentation off ||
		bail "ethtool -K lo tx-udp-segmentation off"
	ix_bg "$1-tshark" ip netns exec "$NS_RX" tshark -i lo -f "$2 port $3" \
		-w "$IX_DIR/$1/cap.pcapng" -a duration:60
	CAP=$IX_LAST
	for ((i = 0; i < 100; i++)); do
		# dumpcap says so a moment before it sees packets; a TCP
		# session whose first message (the templates) is missed
		# cannot be decoded at all.
		grep -q "Capturing on" "$IX_DIR/$1-tshark.log" &&
			sleep 0.5 && return 0
		sleep 0.1
	done
	bail "tshark does not capture on lo"
}

# decode TAG WHAT [tshark options]: PDML of a capture or a file.
decode() {
	local tag=$1 what=$2
	shift 2
	tshark -r "$what" -o cflow.max_template_fields:0 "$@" -T pdml \
		>"$IX_DIR/$tag/$(basename "$what").xml" 2>/dev/null ||
		not_ok "$tag: tshark reads $(basename "$what")"
}

# run TAG SETS EXPORT-ARGS...: send SETS (comma separated set:tag), wait
# until every flow expired, stop the exporter.
run() {
	local tag=$1 sets=$2 s
	shift 2
	ix_export "$@" idle-timeout 1 interval 200 ||
		bail "exporter does not start"
	for s in ${sets//,/ }; do
		ix_send "${s%%:*}" "$tag-${s##*:}" || bail "send ${s%%:*}"
	done
	ix_wait_idle 8 || diag "$tag: flows still in the table after 8 s"
	ix_export_stop
}

# No sequence number warning: tshark counts data records of every kind
# per domain, as RFC 7011 does.
no_seq_warnings() { # no_seq_warnings TAG FILE [tshark options]
	local tag=$1 f=$2 n
	shift 2
	n=$(tshark -r "$f" "$@" -q -z expert 2>/dev/null |
		grep -c "Unexpected flow sequence")
	expect_eq "$tag: tshark sees no sequence number gap" "$n" 0
}

EXACT=(--fwd exact --reason)

# 1. UDP (captured) and the file output, defaults (1-octet flags); the
#    slow flows outlast a 1 s active timeout and come in several records.
mkdir -p "$IX_DIR/a"
port=$(ix_port udp) || bail "no free UDP port"
ix_bg a-sink ip netns exec "$NS_RX" "$PY" "$FG_ROOT/tests/lib/ipfix.py" \
	sink udp "$port" "$IX_DIR/a/udp"
ix_wait_bound udp "$port" || bail "the UDP sink does not listen"
capture a udp "$port"
run a mix:mix,flagsor:tcp,synfin:syn,slow:slow \
	collector "udp://127.0.0.1:$port" file "$IX_DIR/a/out.ipfix" \
	active-timeout 1
sleep 0.3
ix_stop "$CAP" INT
decode a "$IX_DIR/a/cap.pcapng" -d "udp.port==$port,cflow"
decode a "$IX_DIR/a/out.ipfix"
SETS=(--expect "$IX_DIR/a-mix.exp.json" --expect "$IX_DIR/a-tcp.exp.json"
	--expect "$IX_DIR/a-syn.exp.json:18" --expect "$IX_DIR/a-slow.exp.json:0:2")
ix_compare "tshark, UDP" tshark "$IX_DIR/a/cap.pcapng.xml" "${SETS[@]}" \
	"${EXACT[@]}" --flags-len 1 --option cflow.sampling_interval=1
ix_compare "tshark, file" tshark "$IX_DIR/a/out.ipfix.xml" "${SETS[@]}" \
	"${EXACT[@]}" --flags-len 1
no_seq_warnings "a, UDP" "$IX_DIR/a/cap.pcapng" -d "udp.port==$port,cflow"

# 2. TCP (captured, reassembled by tshark), tcpControlBits in two octets.
mkdir -p "$IX_DIR/b"
port=$(ix_port tcp) || bail "no free TCP port"
ix_bg b-sink ip netns exec "$NS_RX" "$PY" "$FG_ROOT/tests/lib/ipfix.py" \
	sink tcp "$port" "$IX_DIR/b/tcp"
ix_wait_bound tcp "$port" || bail "the TCP sink does not listen"
capture b tcp "$port"
run b mix:mix,flagsor:tcp,synfin:syn collector "tcp://127.0.0.1:$port" \
	tcp-flags-octets 2
sleep 0.3
ix_stop "$CAP" INT
decode b "$IX_DIR/b/cap.pcapng" -d "tcp.port==$port,cflow"
SETS=(--expect "$IX_DIR/b-mix.exp.json" --expect "$IX_DIR/b-tcp.exp.json"
	--expect "$IX_DIR/b-syn.exp.json:18")
ix_compare "tshark, TCP" tshark "$IX_DIR/b/cap.pcapng.xml" "${SETS[@]}" \
	"${EXACT[@]}" --flags-len 2
ix_decode "$IX_DIR"/b/tcp/session-*.bin >"$IX_DIR/b/ours.jsonl" ||
	not_ok "b: our strict decoder reads the TCP stream"
ix_compare "our decoder, TCP" ours "$IX_DIR/b/ours.jsonl" "${SETS[@]}" \
	"${EXACT[@]}"
no_seq_warnings "b, TCP" "$IX_DIR/b/cap.pcapng" -d "tcp.port==$port,cflow"

# 3. Sampling 1 in 4 announced both ways, file output: tshark shows the
#    raw counts and both announcements.
mkdir -p "$IX_DIR/c"
fg config set sampling 4 >/dev/null || bail "config set sampling"
run c mix:mix,flagsor:tcp file "$IX_DIR/c/out.ipfix" sampling-announce both
fg config set sampling 1 >/dev/null
decode c "$IX_DIR/c/out.ipfix"
ix_decode "$IX_DIR/c/out.ipfix" >"$IX_DIR/c/ours.jsonl" ||
	not_ok "c: our decoder reads the exporter's file"
ix_compare "tshark, file, sampling 4 (both)" tshark \
	"$IX_DIR/c/out.ipfix.xml" --expect "$IX_DIR/c-mix.exp.json" \
	--expect "$IX_DIR/c-tcp.exp.json" --scale 1 --raw "$IX_DIR/c/ours.jsonl" \
	--sampled-out $(($(delta c-mix) + $(delta c-tcp))) \
	--option cflow.sampling_interval=4 \
	--option cflow.sampling_packet_interval=1 \
	--option cflow.sampling_packet_space=3

fg_done
