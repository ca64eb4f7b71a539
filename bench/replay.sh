#!/usr/bin/env bash
# Replay speed: `flowgate replay` against `softflowd -r` on the same large
# capture, interleaved in the same run (the machine is shared: the ratio
# of each round is what counts, the median of the rounds is reported).
#
#   bench/replay.sh [PCAP]
#   env: REPLAY_PACKETS (3000000) packets of the capture built when no
#        PCAP is given (bench/big_pcap.py from ../shared/pcaps, in
#        $REPLAY_DIR, default /tmp/flowgate-bench, never in the tree);
#        REPLAY_VARIANTS (4: the shared captures' ~12k flows in 4 address
#        variants, ~48k flows; 0: every round its own, ~412k flows);
#        REPLAY_MAX_FLOWS (65536, the default; 524288 holds the 412k);
#        REPLAY_ROUNDS (3); FLOWGATE_PCAPS.
#
# flowgate: `flowgate replay PCAP max-flows N` (text summary, no -j), and
# the same with `ipfix FILE` (its IPFIX export, to a file in $DIR). After
# the rounds, one replay exports with `collector udp://` to a second
# nfcapd: its records sent against nfcapd's count is flowgate's loss.
# softflowd: `softflowd -r PCAP -v 10 -d -n 127.0.0.1:PORT` exporting to a
# running nfcapd (what a user would do). nfcapd's count of the records it
# received, against softflowd's count of those it sent, is softflowd's
# export loss. Also printed: flowgate's fixed cost (loading the object
# and its flow table, measured on a one-packet capture with the same
# table), so that the per-packet rate shows on its own.
# Needs root (BPF_PROG_TEST_RUN), softflowd, nfcapd, editcap.
set -euo pipefail
cd "$(dirname "$0")/.."
FG=${FLOWGATE:-build/flowgate}
PCAPS=${FLOWGATE_PCAPS:-../shared/pcaps}
DIR=${REPLAY_DIR:-/tmp/flowgate-bench}
N=${REPLAY_PACKETS:-3000000}
ROUNDS=${REPLAY_ROUNDS:-3}
MAXF=${REPLAY_MAX_FLOWS:-65536}
VARIANTS=${REPLAY_VARIANTS:-4}
PY=/usr/bin/python3

die() { echo "replay.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "BPF_PROG_TEST_RUN needs root"
for c in softflowd nfcapd editcap; do
	command -v $c >/dev/null || die "no $c"
done
[ -x "$FG" ] || make -s "$FG" >&2
mkdir -p "$DIR"

PCAP=${1:-$DIR/replay-$N-v$VARIANTS.pcap}
if [ ! -r "$PCAP" ]; then
	srcs=()
	for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng; do
		b=$(basename "${f%.*}")
		if [ "$(head -c4 "$f" | od -An -tx1 | tr -d ' ')" = 0a0d0d0a ]; then
			editcap -F pcap "$f" "$DIR/$b.pcap"
			f=$DIR/$b.pcap
		fi
		srcs+=("$f")
	done
	VARIANTS=$VARIANTS $PY bench/big_pcap.py "$PCAP" "$N" "${srcs[@]}" \
		2>/dev/null >&2
fi
ONE=$DIR/one.pcap
editcap -r "$PCAP" "$ONE" 1 2>/dev/null

now() { date +%s.%N; }
secs() { awk "BEGIN { print $2 - $1 }"; }
calc() { awk "BEGIN { print $1 }"; } # awk, not bc: one package less

port=$($PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
nfdir=$(mktemp -d)
nfcapd -b 127.0.0.1 -p "$port" -w "$nfdir" -B 4194304 >"$nfdir.log" 2>&1 &
nfpid=$!
# Under set -e a failing kill (a collector already stopped) would end
# the trap before its rm: each step may fail on its own.
cleanup() {
	kill $nfpid ${nfpid2:-} 2>/dev/null || true
	wait $nfpid ${nfpid2:-} 2>/dev/null || true
	rm -rf "$nfdir" "$nfdir.log" "$nfdir.sf" "$nfdir.cpu" ${nfdir2:+"$nfdir2" "$nfdir2.log" "$nfdir2.fg"}
}
trap cleanup EXIT
sleep 0.5

packets=$("$FG" replay "$PCAP" max-flows "$MAXF" | awk '$1 == "packets" { print $2; exit }')
fg_t=() sf_t=() fixed_t=() fx_t=() sfc=() fxc=() sent=0
# Both exporting runs are also timed in CPU (user + system, bash's time):
# on a shared machine wall time is mostly the other processes' share.
TIMEFORMAT='%U %S'
for r in $(seq "$ROUNDS"); do
	t0=$(now)
	"$FG" replay "$ONE" max-flows "$MAXF" >/dev/null
	t1=$(now)
	"$FG" replay "$PCAP" max-flows "$MAXF" >/dev/null
	t2=$(now)
	{ time softflowd -r "$PCAP" -n "127.0.0.1:$port" -v 10 -d >"$nfdir.sf" 2>&1; } 2>"$nfdir.cpu"
	sfc+=("$(awk '{ print $1 + $2 }' "$nfdir.cpu")")
	t3=$(now)
	{ time "$FG" replay "$PCAP" max-flows "$MAXF" ipfix "$DIR/replay.ipfix" >/dev/null; } 2>"$nfdir.cpu"
	fxc+=("$(awk '{ print $1 + $2 }' "$nfdir.cpu")")
	fx_t+=("$(secs "$t3" "$(now)")")
	fixed_t+=("$(secs "$t0" "$t1")")
	fg_t+=("$(secs "$t1" "$t2")")
	sf_t+=("$(secs "$t2" "$t3")")
	s=$(sed -n 's/^Flows exported: [0-9]* (\([0-9]*\) records).*/\1/p' "$nfdir.sf")
	sent=$((sent + s))
	printf 'round %d: flowgate %.3f s, with ipfix FILE %.3f s (CPU %.3f s), softflowd %.3f s (CPU %.3f s), ratios %.2f, %.2f, CPU %.2f\n' \
		"$r" "${fg_t[-1]}" "${fx_t[-1]}" "${fxc[-1]}" "${sf_t[-1]}" "${sfc[-1]}" \
		"$(calc "${sf_t[-1]} / ${fg_t[-1]}")" \
		"$(calc "${sf_t[-1]} / ${fx_t[-1]}")" \
		"$(calc "${sfc[-1]} / ${fxc[-1]}")"
done
sleep 1
kill -TERM $nfpid
wait $nfpid || true
# nfcapd logs a "Flows:" line per file it closes (every 5 minutes of the
# clock): a run across that boundary has two, summed.
got=$(sed -n 's/.*Flows: \([0-9]*\), Packets.*/\1/p' "$nfdir.log" |
	awk '{ s += $1 } END { print s + 0 }')
seqerr=$(sed -n 's/.*Sequence Errors: \([0-9]*\),.*/\1/p' "$nfdir.log" |
	awk '{ s += $1 } END { print s + 0 }')

# flowgate's own export over UDP, into a second nfcapd.
port2=$($PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
nfdir2=$(mktemp -d)
nfcapd -b 127.0.0.1 -p "$port2" -w "$nfdir2" -B 4194304 >"$nfdir2.log" 2>&1 &
nfpid2=$!
sleep 0.5
t0=$(now)
"$FG" replay "$PCAP" max-flows "$MAXF" collector "udp://127.0.0.1:$port2" >"$nfdir2.fg"
fu_t=$(secs "$t0" "$(now)")
sleep 1
kill -TERM $nfpid2
wait $nfpid2 || true
fg_sent=$(awk '$1 ~ /^records_/ && $1 != "records" { s += $2 } END { print s }' "$nfdir2.fg")
fg_got=$(sed -n 's/.*Flows: \([0-9]*\), Packets.*/\1/p' "$nfdir2.log" |
	awk '{ s += $1 } END { print s + 0 }')

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fg=$(median "${fg_t[@]}")
sf=$(median "${sf_t[@]}")
fx=$(median "${fixed_t[@]}")
fi_=$(median "${fx_t[@]}")
ratios=() xratios=() cratios=()
for i in "${!fg_t[@]}"; do
	ratios+=("$(calc "${sf_t[$i]} / ${fg_t[$i]}")")
	xratios+=("$(calc "${sf_t[$i]} / ${fx_t[$i]}")")
	cratios+=("$(calc "${sfc[$i]} / ${fxc[$i]}")")
done
flows=$("$FG" replay "$PCAP" max-flows "$MAXF" |
	awk '$1 == "flow_records" { f = $2 } $1 == "overflow_packets" { o = $2 }
	END { print f " flows, " o " packets to the overflow aggregate" }')
echo "capture: $PCAP ($packets packets, $flows), max-flows $MAXF, $ROUNDS rounds, medians:"
printf '  flowgate replay  %.3f s  %.2f M packets/s (fixed cost %.3f s: %.2f M packets/s without it)\n' \
	"$fg" "$(calc "$packets / $fg / 1000000")" "$fx" \
	"$(calc "$packets / ($fg - $fx) / 1000000")"
printf '  flowgate replay ipfix FILE  %.3f s  %.2f M packets/s\n' "$fi_" \
	"$(calc "$packets / $fi_ / 1000000")"
printf '  flowgate replay collector udp://  %.3f s (one run)\n' "$fu_t"
printf '  softflowd -r     %.3f s  %.2f M packets/s\n' "$sf" \
	"$(calc "$packets / $sf / 1000000")"
printf '  softflowd / flowgate time: %.2f (median of the rounds'"'"' ratios; > 1: flowgate faster)\n' \
	"$(median "${ratios[@]}")"
printf '  softflowd / flowgate with ipfix FILE (both export): %.2f (median of the rounds'"'"' ratios)\n' \
	"$(median "${xratios[@]}")"
printf '  softflowd / flowgate with ipfix FILE, CPU time: %.2f (median; softflowd %.3f s, flowgate %.3f s)\n' \
	"$(median "${cratios[@]}")" "$(median "${sfc[@]}")" "$(median "${fxc[@]}")"
echo "  softflowd's export: $sent records sent, $got received by nfcapd ($((sent - got)) lost), $seqerr sequence errors"
echo "  flowgate's export: $fg_sent records sent, $fg_got received by nfcapd ($((fg_sent - fg_got)) lost)"
echo "  load: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
