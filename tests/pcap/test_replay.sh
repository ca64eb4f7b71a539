#!/usr/bin/env bash
# Layer 3: `flowgate replay` against golden outputs (TAP).
#
# Real captures come from ../shared/pcaps beside the repository (override
# with FLOWGATE_PCAPS), crafted ones from tests/pcap/captures (see
# make_captures.py there). The -j output of each is compared byte for byte
# with two golden files: tests/pcap/golden/NAME.jsonl (a line per packet,
# then the summary) and NAME.flows.jsonl (a line per flow record, then the
# overflow aggregates); `make regen-golden` (this script with --regen)
# rewrites them from the current binary: read the diff before committing
# it, a golden file is a claim about every verdict and every flow.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FG=${FLOWGATE:-$root/build/flowgate}
PCAPS=${FLOWGATE_PCAPS:-$root/../shared/pcaps}
# A clone without ../shared still has the goldens' real captures: copies
# (with their MANIFEST lines) in captures/shared.
[ -d "$PCAPS" ] || PCAPS=$here/captures/shared
CAPS=$here/captures
GOLD=$here/golden

# One or more captures per kind: attack, malformed, vlan, frag, ipv6ext.
REAL=(
	ndpi__tcp_scan.pcapng
	suricata-verify__decode-too-small__test.pcap
	tcpdump__ipv4_invalid_hdr_length.pcap
	tcpdump__ipv6-bad-version.pcap
	tcpdump__802.1ad_QinQ.pcap
	ndpi__ip_fragmented_garbage.pcap
	tcpdump__ipv6-routing-header.pcap
	ndpi__badpackets.pcap
	ndpi__dns_fragmented.pcap
	tcpdump__icmpv6.pcap
	zeek__http-qinq-0.pcap
)
# Link types other than Ethernet, frames the test run cannot take,
# nanosecond timestamps, pcapng, snaplen cuts.
CRAFTED=(sll.pcap sll2.pcap raw.pcap ipv6.pcap ipv4.pcap edge.pcap nsec.pcap
	us.pcapng ns.pcapng snaplen.pcap)
# A table too small for the capture's flows: the overflow aggregates.
SMALL=ndpi__dns_fragmented.pcap
# Long enough for several batches, fragments lent their ports, many flows.
BIG=(suricata-verify__security-8510__defrag-af-confusion-spray-h8.pcap
	ndpi__gnutella.pcap)
# The text table is checked on this one (run from its directory, so that
# the file line does not depend on where the captures are).
TEXT=ndpi__tcp_scan.pcapng

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # name command...: ok iff the command succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
show() { sed 's/^/# /' "$@"; }
gold_name() { local b=${1##*/}; echo "$GOLD/${b%.*}${2:-}.jsonl"; }
# split OUT BASE: flow and overflow lines to BASE.flows.jsonl, the rest
# (packets, summary) to BASE.jsonl.
split() {
	grep -E '^\{"(flow|overflow)":' "$1" >"$2.flows.jsonl"
	grep -vE '^\{"(flow|overflow)":' "$1" >"$2.jsonl"
}

# run FILE [ARGS...]: exit code in $rc, output in $tmp/out and $tmp/err.
run() {
	"$FG" replay "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

regen() {
	local f g
	mkdir -p "$GOLD"
	for f in "${REAL[@]/#/$PCAPS/}" "${CRAFTED[@]/#/$CAPS/}"; do
		g=$(gold_name "$f")
		"$FG" replay -j "$f" >"$tmp/out" ||
			{ echo "replay of $f failed" >&2; return 1; }
		split "$tmp/out" "${g%.jsonl}"
	done
	"$FG" replay -j "$PCAPS/$SMALL" max-flows 16 \
		>"$(gold_name "$SMALL" .max16)"
	(cd "$PCAPS" && "$FG" replay "$TEXT") >"$GOLD/${TEXT%.*}.txt"
	echo "rewrote $GOLD (review with git diff)"
}

# The output matches its two golden files; a difference is shown as a
# diff.
golden() { # capture
	local f=$1 g
	g=$(gold_name "$f")
	run -j "$f"
	split "$tmp/out" "$tmp/cur"
	if [ "$rc" -eq 0 ] && cmp -s "$tmp/cur.jsonl" "$g" &&
		cmp -s "$tmp/cur.flows.jsonl" "${g%.jsonl}.flows.jsonl"; then
		ok "golden ${f##*/}"
		return
	fi
	not_ok "golden ${f##*/} (exit $rc)"
	show "$tmp/err"
	[ -e "$g" ] && diff "$g" "$tmp/cur.jsonl" | head -20 | show
	[ -e "${g%.jsonl}.flows.jsonl" ] &&
		diff "${g%.jsonl}.flows.jsonl" "$tmp/cur.flows.jsonl" |
		head -20 | show
}

# Fails with exit code $2 and exactly the one line $3 on stderr, and
# stdout is exactly $4 (empty by default).
fails() { # name code error-line [stdout] -- args...
	local name=$1 code=$2 line=$3 out=${4:-}
	shift 5
	run "$@"
	if [ "$rc" -eq "$code" ] && [ "$(cat "$tmp/err")" = "$line" ] &&
		[ "$(cat "$tmp/out")" = "$out" ]; then
		ok "$name"
		return
	fi
	not_ok "$name (exit $rc, want $code)"
	show "$tmp/err" "$tmp/out"
}

if [ "${1:-}" = --regen ]; then
	regen
	exit
fi

if [ ! -x "$FG" ]; then
	echo "1..0 # SKIP no flowgate binary at $FG (make all)"
	exit 1
fi

# Replay loads an XDP program: without the privilege every verdict test
# is skipped, the usage and file errors still run (they come first).
run "$CAPS/sll.pcap"
priv=1
if [ "$rc" -ne 0 ] && grep -q 'capab\|not permitted' "$tmp/err"; then
	priv=0
fi

for f in "${REAL[@]}"; do
	if [ "$priv" -eq 0 ]; then
		skip "golden $f" "needs CAP_BPF and CAP_NET_ADMIN"
	elif [ ! -r "$PCAPS/$f" ]; then
		skip "golden $f" "no $PCAPS/$f (set FLOWGATE_PCAPS)"
	else
		golden "$PCAPS/$f"
	fi
done
for f in "${CRAFTED[@]}"; do
	if [ "$priv" -eq 0 ]; then
		skip "golden $f" "needs CAP_BPF and CAP_NET_ADMIN"
	else
		golden "$CAPS/$f"
	fi
done

if [ "$priv" -eq 1 ] && [ -r "$PCAPS/$TEXT" ]; then
	(cd "$PCAPS" && "$FG" replay "$TEXT") >"$tmp/out" 2>"$tmp/err"
	check "text table of $TEXT" cmp -s "$tmp/out" "$GOLD/${TEXT%.*}.txt"
	# -p indents the summary only: packet lines stay one per line.
	run -p "$PCAPS/$TEXT"
	check "-p keeps one line per packet" \
		cmp -s <(head -n 30 "$tmp/out") <(head -n 30 "$(gold_name "$TEXT")")
	# A table of 16 flows: the rest of the packets in the overflow
	# aggregates, every packet still accounted (replay checks the sum).
	run -j "$PCAPS/$SMALL" max-flows 16
	check "max-flows 16: overflow aggregates (golden)" \
		cmp -s "$tmp/out" "$(gold_name "$SMALL" .max16)"
	# Twice the same capture, twice the same bytes, each run on another
	# CPU: nothing carries over between runs (private maps), nothing
	# depends on timing or on the CPU (replay keeps to one).
	for f in "${BIG[@]}"; do
		taskset -c 0 "$FG" replay -j "$PCAPS/$f" >"$tmp/a" 2>&1
		taskset -c "$(($(nproc) - 1))" "$FG" replay -j "$PCAPS/$f" \
			>"$tmp/b" 2>&1
		check "deterministic: $f twice, on two CPUs, same bytes" \
			cmp -s "$tmp/a" "$tmp/b"
	done
else
	skip "text table of $TEXT" "needs privileges and $PCAPS"
	skip "-p keeps one line per packet" "needs privileges and $PCAPS"
	skip "max-flows 16: overflow aggregates (golden)" "needs privileges"
	for f in "${BIG[@]}"; do
		skip "deterministic: $f twice, on two CPUs, same bytes" \
			"needs privileges and $PCAPS"
	done
fi

# Errors: one "Error:" line, exit 1 (2 for usage), nothing misleading on
# stdout. The truncated capture's first packet is replayed and printed
# before the error: its verdict is true, the exit code says the rest.
c=$CAPS
use="replay PCAP [max-flows N]"
if [ "$priv" -eq 1 ]; then
	fails "truncated mid-record: exit 1 at packet 2" 1 \
		"Error: $c/truncated.pcap: truncated capture at packet 2" \
		'{"index":1,"verdict":"pass"}' -- -j "$c/truncated.pcap"
	fails "pcapng with two link types" 1 \
		"Error: $c/two-links.pcapng: cannot read packet 1: an interface has a type 101 different from the type of the first interface" \
		"" -- -j "$c/two-links.pcapng"
else
	skip "truncated mid-record: exit 1 at packet 2" "needs privileges"
	skip "pcapng with two link types" "needs privileges"
fi
fails "not a capture" 1 \
	"Error: $c/not-a-capture.pcap: not a pcap or pcapng capture" "" -- \
	-j "$c/not-a-capture.pcap"
fails "nonexistent file" 1 \
	"Error: $c/missing.pcap: No such file or directory" "" -- \
	-j "$c/missing.pcap"
fails "unsupported link type" 1 \
	"Error: $c/wifi.pcap: link type IEEE802_11 (105) is not supported (Ethernet, Linux cooked SLL/SLL2 and raw IP are)" \
	"" -- "$c/wifi.pcap"
fails "usage: no capture" 2 \
	"Error: replay needs a capture file: $use" "" -- -j
fails "usage: extra argument" 2 \
	"Error: unexpected argument 'extra' (usage: $use)" "" -- \
	"$c/sll.pcap" extra
fails "usage: unknown option" 2 \
	"Error: unknown option '--fast' (usage: $use)" "" -- --fast
fails "usage: max-flows out of range" 2 \
	"Error: max-flows must be a number from 16 to 16777216" "" -- \
	"$c/sll.pcap" max-flows 8
fails "usage: max-flows without a value" 2 \
	"Error: max-flows needs a value" "" -- "$c/sll.pcap" max-flows

echo "1..$n"
[ "$failed" -eq 0 ]
