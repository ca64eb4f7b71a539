#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `replay PCAP capture FILE [selection]`: the packets the selection takes,
# written through the same BPF capture path as on an interface, checked
# through tshark against the capture replayed and replay's own verdicts:
# bytes, lengths, the capture's timestamps, comments; the same file twice;
# passes and every link type replay converts; a pipe; the token bucket on
# the capture's clock (an exact count); a ring too small for a batch (lost
# counted, captured + suppressed + lost = selected); several captures on
# one load, a file each ({}).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FG=${FLOWGATE:-$root/build/flowgate}
PY=/usr/bin/python3
CMP=$here/capture_cmp.py
SHARED=$here/captures/shared
D=$(mktemp -d /tmp/fgrcap.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		echo "#   got '$2', want '$3'"
	fi
}
tap_lines() { # tap_lines LABEL < lines
	local st name rest
	while IFS=$'\t' read -r st name rest; do
		if [ "$st" = ok ]; then ok "$1: $name"; else
			not_ok "$1: $name"
			[ -n "$rest" ] && echo "#   $rest"
		fi
	done
}
jsum() { # jsum FILE EXPR: over the last JSON line of FILE (the summary)
	"$PY" -c 'import json, sys; d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"
}
command -v tshark >/dev/null || { echo "1..0 # SKIP no tshark"; exit 0; }

# replay_cmp LABEL PCAP VERDICT LINKHDR [selection...] (LINKHDR: the
# capture's link header, -1 for Ethernet)
replay_cmp() {
	local label=$1 pcap=$2 which=$3 lh=$4 out snap=1536
	shift 4
	[ "${1:-}" = snaplen ] && snap=$2
	out=$D/$label.pcapng
	if ! "$FG" -j replay "$pcap" capture "$out" "$@" >"$D/$label.jsonl"; then
		not_ok "$label: replay exits 0"
		return
	fi
	ok "$label: replay exits 0"
	tshark -r "$pcap" -T json -x >"$D/$label.orig.json" 2>/dev/null
	tshark -r "$out" -T json -x >"$D/$label.out.json" 2>/dev/null ||
		not_ok "$label: tshark reads the file"
	tap_lines "$label" < <("$PY" "$CMP" same "$D/$label.orig.json" \
		"$D/$label.out.json" "$D/$label.jsonl" --verdict "$which" \
		--link-hdr "$lh" --snaplen "$snap")
}

replay_cmp frag "$SHARED/ndpi__ip_fragmented_garbage.pcap" drop -1
expect_eq "frag: summary: 4 tiny-frag selected and captured" \
	"$(jsum "$D/frag.jsonl" '[d["summary"]["capture"]["kernel"]["selected"], d["summary"]["capture"]["kernel"]["captured"], [(r["reason"], r["captured"]) for r in d["summary"]["capture"]["kernel"]["reasons"]]]')" \
	'[4, 4, [["tiny-frag", 4]]]'
"$FG" -j replay "$SHARED/ndpi__ip_fragmented_garbage.pcap" capture \
	"$D/frag2.pcapng" >/dev/null
if cmp -s "$D/frag.pcapng" "$D/frag2.pcapng"; then
	ok "frag: a second replay writes the same file"
else
	not_ok "frag: a second replay writes the same file"
fi
replay_cmp all-raw "$here/captures/raw.pcap" all 0 all
replay_cmp sll "$here/captures/sll.pcap" all 16 snaplen 40 all
replay_cmp scan "$SHARED/ndpi__tcp_scan.pcapng" drop -1 reason tcp-flags

# The token bucket runs on the capture's clock: an exact count.
"$FG" -j replay "$SHARED/ndpi__ip_fragmented_garbage.pcap" capture \
	"$D/lim.pcapng" passes limit 20 burst 5 >"$D/lim.jsonl"
tshark -r "$SHARED/ndpi__ip_fragmented_garbage.pcap" -T json -x \
	>"$D/lim.orig.json" 2>/dev/null
want=$("$PY" "$CMP" gcra "$D/lim.orig.json" "$D/lim.jsonl" 20 5 \
	--verdict pass)
expect_eq "limit 20 burst 5: captured as the bucket says on the capture's clock" \
	"$(jsum "$D/lim.jsonl" 'd["summary"]["capture"]["kernel"]["captured"]')" "$want"
expect_eq "limit: the rest suppressed, nothing lost" \
	"$(jsum "$D/lim.jsonl" '[k["suppressed"] == k["selected"] - k["captured"], k["lost"]] if (k := d["summary"]["capture"]["kernel"]) else 0')" \
	"[true, 0]"
expect_eq "limit: 1,248 passes selected" \
	"$(jsum "$D/lim.jsonl" 'd["summary"]["capture"]["kernel"]["selected"]')" \
	"$(jsum "$D/lim.jsonl" 'd["summary"]["passed"]')"

# Several captures on one load, capture {}.pcapng: a file each, the same
# bytes as a replay of it alone (the token bucket's state, the capture's
# counters and the ring start afresh for each); the same capture twice,
# under two names.
mkdir -p "$D/multi"
ln -s "$SHARED/ndpi__ip_fragmented_garbage.pcap" "$D/again.pcap"
"$FG" -j replay "$SHARED/ndpi__ip_fragmented_garbage.pcap" "$D/again.pcap" \
	"$here/captures/raw.pcap" capture "$D/multi/{}.pcapng" passes \
	limit 20 burst 5 >"$D/multi.jsonl"
for f in "$D/again.pcap" "$here/captures/raw.pcap"; do
	b=${f##*/}
	"$FG" -j replay "$f" capture "$D/${b%.*}-alone.pcapng" passes \
		limit 20 burst 5 >/dev/null
done
same=0
cmp -s "$D/lim.pcapng" "$D/multi/ndpi__ip_fragmented_garbage.pcapng" &&
	same=$((same + 1))
# the file names the capture replayed: again.pcap's is its own
cmp -s "$D/again-alone.pcapng" "$D/multi/again.pcapng" &&
	same=$((same + 1))
cmp -s "$D/raw-alone.pcapng" "$D/multi/raw.pcapng" && same=$((same + 1))
expect_eq "three captures on one load, capture {}.pcapng: each file as alone" \
	"$same" 3

# A 4 KiB ring takes 22 small records, fewer than a batch's drops; to a
# pipe, tshark reading it.
"$FG" -j replay "$SHARED/ndpi__badpackets.pcap" capture - capture-ring 4k \
	2>"$D/ring.jsonl" | tshark -r - 2>/dev/null | wc -l >"$D/ring.count"
k='d["summary"]["capture"]["kernel"]'
expect_eq "small ring: all 93 drops selected" "$(jsum "$D/ring.jsonl" "$k[\"selected\"]")" 93
lost=$(jsum "$D/ring.jsonl" "$k[\"lost\"]")
if [ "$lost" -gt 0 ]; then ok "small ring: $lost lost to the full ring"; else
	not_ok "small ring: packets lost to the full ring"
fi
expect_eq "small ring: captured + suppressed + lost = selected" \
	"$(jsum "$D/ring.jsonl" "$k[\"captured\"] + $k[\"suppressed\"] + $k[\"lost\"] == $k[\"selected\"]")" true
expect_eq "small ring: tshark reads from the pipe every packet written" \
	"$(cat "$D/ring.count")" "$(jsum "$D/ring.jsonl" 'd["summary"]["capture"]["written"]')"

out=$("$FG" replay "$SHARED/ndpi__badpackets.pcap" capture "$D/x.pcapng" \
	capture-ring 5000 2>&1)
expect_eq "a ring size not a power of two: exit 2" "$?" 2
[ -e "$D/x.pcapng" ] && not_ok "bad input: no file written" ||
	ok "bad input: no file written"

echo "1..$n"
[ "$failed" -eq 0 ]
