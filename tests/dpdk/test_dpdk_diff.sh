#!/usr/bin/env bash
# The DPDK bench's pipeline (bench/dpdk/fg_dpdk.c) against
# `flowgate replay -j` (TAP). On every shared capture (../shared/pcaps
# beside the repository, or FLOWGATE_PCAPS) and on the crafted Ethernet
# captures of tests/pcap/captures (runts, snaplen cuts, pcapng), fg_dpdk
# -j on one lcore (ring source: the capture in mbufs) must give replay's
# verdict and reason packet for packet, its flow records (key, packets,
# octets, TCP flags, TTL range) and its summary counts (tests/dpdk/
# dpdk_diff.py), also with tables too small (the overflow aggregates).
# Then the net_pcap source must agree with the ring source on a capture
# the PMD can read as it is (no snaplen cuts: net_pcap keeps only the
# captured length). Replay takes the captures on one load of fg_replay
# (several captures, doc/flowgate.8). Skips, saying why, without
# dpdk-dev or without the shared captures.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
FG=${FLOWGATE:-$root/$BUILD/flowgate}
APP=$root/$BUILD/bench/fg_dpdk
PCAPS=${FLOWGATE_PCAPS:-$root/../shared/pcaps}
CRAFTED=(edge.pcap snaplen.pcap nsec.pcap ns.pcapng us.pcapng timeouts.pcap)
PREFIX=fgdpdk-test-$$
EAL=(-l 0 --no-huge --no-pci -m 1024 --no-shconf --no-telemetry
	--file-prefix="$PREFIX" --log-level=error)

if ! pkg-config --exists libdpdk 2>/dev/null; then
	echo "1..1"
	echo "ok 1 - dpdk differential test # SKIP dpdk-dev not installed" \
		"(no pkg-config libdpdk; scripts/deps.sh installs it)"
	exit 0
fi
if [ ! -d "$PCAPS" ]; then
	echo "1..1"
	echo "ok 1 - dpdk differential test # SKIP no shared captures at" \
		"$PCAPS (set FLOWGATE_PCAPS)"
	exit 0
fi
if [ ! -x "$APP" ] || [ -n "$(find "$root/bench/dpdk" "$root/include" \
	-newer "$APP" 2>/dev/null)" ]; then
	make -s -C "$root" "$BUILD/bench/fg_dpdk" >&2 ||
		{ echo "not ok 1 - build fg_dpdk"; exit 1; }
fi

tmp=$(mktemp -d)
# EAL leaves its (empty, with --no-shconf) runtime directory behind, and
# /var/run/dpdk, removed when no other DPDK process has one there.
trap 'rm -rf "$tmp"; rmdir /var/run/dpdk/$PREFIX /var/run/dpdk 2>/dev/null' EXIT
n=0 failed=0

check() { # name ok? output
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1: $(tail -n 1 "$3")"
	else
		echo "not ok $n - $1"
		sed 's/^/#   /' "$3" | head -n 20
		failed=$((failed + 1))
	fi
}

dpdk() { # out err args...
	local out=$1 err=$2
	shift 2
	timeout 120 "$APP" "${EAL[@]}" -- "$@" >"$out" 2>"$err"
}

caps=()
for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng; do
	[ -e "$f" ] && caps+=("$f")
done
for f in "${CRAFTED[@]}"; do
	caps+=("$root/tests/pcap/captures/$f")
done
[ ${#caps[@]} -gt 0 ] || { echo "not ok 1 - no captures in $PCAPS"; exit 1; }

# replay_cut DIR "OPTIONS" CAPTURE...: replay -j of the captures on one
# load of fg_replay (the verifier's work is most of a short capture's
# replay), each capture's lines (they end with its summary) in DIR/0,
# DIR/1, ... The first capture that fails ends a run: its stderr goes to
# DIR/N.err and the captures after it run again, on a load of their own.
replay_cut() {
	local d=$1 i=0 rc opts
	read -r -a opts <<<"$2"
	shift 2
	local caps=("$@")
	mkdir -p "$d"
	while [ "$i" -lt ${#caps[@]} ]; do
		"$FG" replay -j "${caps[@]:i}" "${opts[@]}" >"$d/run" 2>"$d/err"
		rc=$?
		awk -v d="$d" -v n="$i" '{ print > (d "/" n) }
			/^\{"summary":/ { close(d "/" n); n++ }' "$d/run"
		while [ "$i" -lt ${#caps[@]} ] &&
			tail -n 1 "$d/$i" 2>/dev/null | grep -q '^{"summary":'; do
			i=$((i + 1))
		done
		# a failure after the last summary is the last capture's
		[ "$rc" -ne 0 ] && [ "$i" -eq ${#caps[@]} ] && i=$((i - 1))
		[ "$rc" -eq 0 ] && break
		cp "$d/err" "$d/$i.err"
		i=$((i + 1))
	done
}

compare() { # capture max-flows ("" for the default) replay-output-dir index
	local cap=$1 r=$3/$4 name
	local dargs=(${2:+-f "$2"})
	name=$(basename "$cap")${2:+ (max-flows $2)}
	if [ -e "$r.err" ] || [ ! -e "$r" ]; then
		check "$name: replay failed" 1 "$r.err"
		return
	fi
	if ! dpdk "$tmp/d" "$tmp/why" -s ring "${dargs[@]}" -j "$cap"; then
		check "$name: fg_dpdk failed" 1 "$tmp/why"
		return
	fi
	/usr/bin/python3 "$here/dpdk_diff.py" "$r" "$tmp/d" >"$tmp/why" 2>&1
	check "$name: fg_dpdk agrees with replay" $? "$tmp/why"
}

# Every capture on one load: a replay of several prints for each capture
# what a replay of it alone prints.
replay_cut "$tmp/all" "" "${caps[@]}"
i=0
for cap in "${caps[@]}"; do
	compare "$cap" "" "$tmp/all" "$i"
	i=$((i + 1))
done
# Tables too small for the captures' flows: the overflow aggregates.
for c in ndpi__dns_fragmented.pcap:16 ndpi__gnutella.pcap:256; do
	[ -r "$PCAPS/${c%:*}" ] || continue
	replay_cut "$tmp/${c#*:}" "max-flows ${c#*:}" "$PCAPS/${c%:*}"
	compare "$PCAPS/${c%:*}" "${c#*:}" "$tmp/${c#*:}" 0
done

# The same pipeline fed by net_pcap: the PMD reads the file itself.
cap=$PCAPS/ndpi__netflix.pcap
if [ -r "$cap" ]; then
	dpdk "$tmp/ring" "$tmp/e1" -s ring -j "$cap"
	r1=$?
	EAL+=(--vdev="net_pcap0,rx_pcap=$cap")
	dpdk "$tmp/pcap" "$tmp/e2" -s pcap -j
	r2=$?
	{
		cat "$tmp/e1" "$tmp/e2"
		if [ $r1 = 0 ] && [ $r2 = 0 ] && cmp -s "$tmp/ring" "$tmp/pcap"
		then
			echo "$(grep -c '"index"' "$tmp/pcap") packet lines and" \
				"$(grep -c '"flow"' "$tmp/pcap") flows identical"
		else
			diff "$tmp/ring" "$tmp/pcap" | head -n 10
			false
		fi
	} >"$tmp/why"
	check "ndpi__netflix.pcap: net_pcap source agrees with ring source" \
		$? "$tmp/why"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
