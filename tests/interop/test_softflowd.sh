#!/usr/bin/env bash
# Layer 5: flowgate replay against an independent implementation (TAP).
#
# softflowd 1.1.0 reads each capture (`softflowd -r`) and exports IPFIX to
# nfcapd 1.7.1 on a free loopback port; nfdump reads the flows back as
# JSON. `flowgate replay -j CAPTURE... collector udp://...` exports the
# same captures' records, all of them in one replay (one load of
# fg_replay), to an nfcapd of its own in the same way; a first test per
# capture checks that nfcapd stored exactly the records replay says it
# sent (-j `record` lines: 5-tuple by 5-tuple, packets and octets, and
# the totals): flowgate's export loses nothing (it pauses 1 ms every 64
# datagrams). softflowd_cmp.py then sums both sides per 5-tuple and puts
# every packet that differs in a class (see its header and doc/flowgate.8,
# "replay and softflowd"); a test fails on anything unexplained.
# flowgate's side of that comparison is replay's record lines (checked
# equal to nfcapd's just before): they keep what nfdump does not show
# (drop reasons, VLAN tags, non-IP frames), which the classes need.
# softflowd's own export over UDP can lose datagrams when nfcapd falls
# behind: a run where nfcapd received fewer records than softflowd says
# it sent is retried, and skipped if it keeps losing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/pcaps.sh
. "$here/../lib/pcaps.sh"

# Ethernet, SLL and raw IP: the link types both read (softflowd reads
# neither LINKTYPE_IPV4/IPV6 nor SLL2). Real traffic, scans, fragments,
# VLAN and QinQ, MPLS, malformed headers, snaplen cuts.
CAPTURES=(
	"$PCAPS/ndpi__netflix.pcap"
	"$PCAPS/ndpi__gnutella.pcap"
	"$PCAPS/ndpi__alexa-app.pcapng"
	"$PCAPS/ndpi__synscan.pcap"
	"$PCAPS/ndpi__tcp_scan.pcapng"
	"$PCAPS/ndpi__dns_fragmented.pcap"
	"$PCAPS/ndpi__fuzz-2006-06-26-2594.pcap"
	"$PCAPS/ndpi__badpackets.pcap"
	"$PCAPS/ndpi__vnc.pcap"
	"$PCAPS/suricata-verify__security-8510__defrag-af-confusion-spray-h8.pcap"
	"$PCAPS/suricata-verify__ipv6-malformed-fragments-15__frag-15.pcap"
	"$PCAPS/tcpreplay__test.pcap"
	"$PCAPS/zeek__vlan-collisions.pcap"
	"$PCAPS/zeek__http-qinq-0.pcap"
	"$PCAPS/tcpdump__icmpv6.pcap"
	"$CAPS/sll.pcap"
	"$CAPS/raw.pcap"
	"$CAPS/snaplen.pcap"
)

tmp=$(mktemp -d)
nfpid=
cleanup() {
	[ -n "$nfpid" ] && kill "$nfpid" 2>/dev/null && wait "$nfpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

missing=
for c in softflowd nfcapd nfdump tshark "$PY"; do
	command -v "$c" >/dev/null || missing="$missing $c"
done
[ -x "$FG" ] || missing="$missing $FG"

free_port() {
	"$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

nfcapd_start() { # DIR: a fresh nfcapd on a free port, in $port
	local i
	rm -rf "$1" && mkdir -p "$1"
	port=$(free_port)
	nfcapd -b 127.0.0.1 -p "$port" -w "$1" -B 4194304 \
		>"$tmp/nfcapd.log" 2>&1 &
	nfpid=$!
	for i in $(seq 50); do
		ss -Hlun "sport = :$port" | grep -q . && break
		sleep 0.1
	done
}

nfcapd_stop() { # DIR OUT: nfcapd writes its file, nfdump reads it
	sleep 0.3 # the last datagrams, still in the socket buffer
	kill -TERM "$nfpid" # nfcapd writes its file on the way out
	wait "$nfpid"
	nfpid=
	nfdump -R "$1" -o json >"$2" 2>/dev/null
}

# nfcapd's count of the records it received (a line per file it wrote:
# it starts a new one every 5 minutes of the wall clock).
nfcapd_flows() {
	sed -n 's/.*Flows: \([0-9]*\), Packets.*/\1/p' "$tmp/nfcapd.log" |
		awk '{ n += $1 } END { print n + 0 }'
}

# flowgate_runs CAPTURE...: replay -> IPFIX -> nfcapd -> nfdump JSON, all
# the captures in one replay (one load of fg_replay) to one nfcapd, whose
# records come capture after capture (softflowd_cmp.py --split cuts
# them by the counts replay gives: a record lost shows at its capture and
# shifts the ones after it). For capture I: $tmp/fg/I.jsonl its -j lines, I.nf.json the
# records nfcapd stored from it, I.sent and I.got how many; I.err when
# the replay failed at it (the captures after it then run again, to a
# new nfcapd).
flowgate_runs() {
	local d=$tmp/fg caps=("$@") i=0 j k rc
	mkdir -p "$d"
	while [ "$i" -lt ${#caps[@]} ]; do
		nfcapd_start "$tmp/nfcapd-fg"
		"$FG" replay -j "${caps[@]:i}" collector "udp://127.0.0.1:$port" \
			>"$d/run" 2>"$d/err"
		rc=$?
		nfcapd_stop "$tmp/nfcapd-fg" "$d/nf.json"
		awk -v d="$d" -v n="$i" '{ print > (d "/" n ".jsonl") }
			/^\{"summary":/ { close(d "/" n ".jsonl"); n++ }' "$d/run"
		j=$i
		while [ "$j" -lt ${#caps[@]} ] &&
			tail -n 1 "$d/$j.jsonl" 2>/dev/null | grep -q '^{"summary":'
		do
			j=$((j + 1))
		done
		if [ "$rc" -ne 0 ] || [ "$j" -lt ${#caps[@]} ]; then
			# The capture that failed: the one cut short, or the last
			# one with a summary (records not sent, said after it)
			# unless the error names the next one (not readable).
			[ "$rc" -eq 0 ] &&
				echo "exit 0 without a summary for ${caps[j]}" >>"$d/err"
			[ "$j" -eq ${#caps[@]} ] && j=$((j - 1))
			[ ! -e "$d/$j.jsonl" ] && [ "$j" -gt "$i" ] &&
				! grep -qF "Error: ${caps[j]}:" "$d/err" && j=$((j - 1))
			cp "$d/err" "$d/$j.err"
			touch "$d/$j.jsonl"
			j=$((j + 1))
		fi
		# shellcheck disable=SC2046 # file names without blanks
		"$PY" "$here/softflowd_cmp.py" --split "$d/nf.json" \
			$(seq -f "$d/%g.jsonl" "$i" $((j - 1))) >"$d/counts" &&
			for ((k = i; k < j; k++)); do
				read -r sent got
				echo "$sent" >"$d/$k.sent"
				echo "$got" >"$d/$k.got"
			done <"$d/counts"
		i=$j
	done
}

# softflowd_flows CAPTURE OUT: softflowd -> nfcapd -> nfdump JSON in OUT.
# Returns 3 when nfcapd received fewer records than softflowd sent.
softflowd_flows() {
	local cap=$1 out=$2 dir=$tmp/nfcapd i sent got
	# A 4 MB socket buffer: softflowd sends a capture's records in one
	# burst, without pacing.
	nfcapd_start "$dir"
	# -r with -d: no pid file, no control socket (with -c it would wait
	# on that socket after the capture, for ever).
	timeout 120 softflowd -r "$cap" -n "127.0.0.1:$port" -v 10 -A milli \
		-d >"$tmp/softflowd.log" 2>&1
	nfcapd_stop "$dir" "$out"
	sent=$(sed -n 's/^Flows exported: [0-9]* (\([0-9]*\) records).*/\1/p' \
		"$tmp/softflowd.log")
	got=$(nfcapd_flows)
	lost=$((${sent:-0} - ${got:-0}))
	[ "$lost" -eq 0 ] || return 3
}

# Frames with two VLAN tags: softflowd reads one.
qinq_frames() {
	tshark -r "$1" -Y 'eth.type == 0x88a8 || eth.type == 0x9100 ||
		vlan.etype == 0x8100 || vlan.etype == 0x88a8' 2>/dev/null |
		wc -l
}

compare() { # capture index: flowgate's side in $tmp/fg/index.*
	local cap=$1 f=$tmp/fg/$2 name=${1##*/} try rc sent got
	if [ -e "$f.err" ] || [ ! -e "$f.got" ]; then
		not_ok "$name: flowgate replay failed"
		show "$f.err"
		return
	fi
	sent=$(cat "$f.sent") got=$(cat "$f.got")
	"$PY" "$here/softflowd_cmp.py" --export "$f.jsonl" "$f.nf.json" \
		>"$tmp/ex.txt"
	rc=$?
	if [ "$sent" = "$got" ] && [ "$rc" -eq 0 ]; then
		ok "$name: flowgate's IPFIX export in nfcapd, all $sent records"
	else
		not_ok "$name: flowgate's IPFIX export in nfcapd ($sent sent, $got received)"
	fi
	show "$tmp/ex.txt"
	for try in 1 2 3; do
		softflowd_flows "$cap" "$tmp/sf.json"
		rc=$?
		[ "$rc" -eq 0 ] && break
	done
	if [ "$rc" -ne 0 ]; then
		skip "$name: flowgate and softflowd flows reconcile" \
			"softflowd's UDP export lost $lost records, 3 runs"
		return
	fi
	if "$PY" "$here/softflowd_cmp.py" "$f.jsonl" "$tmp/sf.json" \
		"$(qinq_frames "$cap")" >"$tmp/cmp.txt"; then
		ok "$name: flowgate and softflowd flows reconcile"
	else
		not_ok "$name: flowgate and softflowd flows reconcile"
	fi
	# class, flowgate records/packets/octets, softflowd's
	show "$tmp/cmp.txt"
	cat "$tmp/cmp.txt" >>"$tmp/all.txt"
}

if [ -n "$missing" ]; then
	skip "softflowd cross-check" "missing:$missing"
	fg_done
	exit
fi
if ! "$FG" replay "$CAPS/sll.pcap" >/dev/null 2>&1; then
	skip "softflowd cross-check" "flowgate replay needs CAP_BPF and CAP_NET_ADMIN"
	fg_done
	exit
fi
: >"$tmp/all.txt"
have=()
for cap in "${CAPTURES[@]}"; do
	[ -r "$cap" ] && have+=("$cap")
done
flowgate_runs "${have[@]}"
i=0
for cap in "${CAPTURES[@]}"; do
	if [ ! -r "$cap" ]; then
		skip "${cap##*/}: flowgate and softflowd flows reconcile" \
			"no $cap (set FLOWGATE_PCAPS)"
		continue
	fi
	compare "$cap" "$i"
	i=$((i + 1))
done
# The sum over all captures, one line per class (the manual's table).
echo "# all captures: class fg_records fg_packets fg_octets sf_records sf_packets sf_octets"
awk '!/^#/ { for (i = 2; i <= 7; i++) s[$1, i] += $i; seen[$1] = 1 }
	END { for (c in seen) { printf "# %s", c
		for (i = 2; i <= 7; i++) printf " %d", s[c, i]; print "" } }' \
	"$tmp/all.txt" | sort
fg_done
