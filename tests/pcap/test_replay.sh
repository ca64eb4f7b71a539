#!/usr/bin/env bash
# Layer 3: `flowgate replay` against golden outputs (TAP).
#
# Real captures come from ../shared/pcaps beside the repository (override
# with FLOWGATE_PCAPS), crafted ones from tests/pcap/captures (see
# make_captures.py there). The -j output of each is compared byte for byte
# with tests/pcap/golden/NAME.jsonl; `make regen-golden` (this script with
# --regen) rewrites those files from the current binary: read the diff
# before committing it, a golden file is a claim about every verdict.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FG=${FLOWGATE:-$root/build/flowgate}
PCAPS=${FLOWGATE_PCAPS:-$root/../shared/pcaps}
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
)
# Link types other than Ethernet, and frames the test run cannot take.
CRAFTED=(sll.pcap sll2.pcap raw.pcap ipv6.pcap edge.pcap)
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
gold_name() { local b=${1##*/}; echo "$GOLD/${b%.*}.jsonl"; }

# run FILE [ARGS...]: exit code in $rc, output in $tmp/out and $tmp/err.
run() {
	"$FG" replay "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

regen() {
	local f
	mkdir -p "$GOLD"
	for f in "${REAL[@]/#/$PCAPS/}" "${CRAFTED[@]/#/$CAPS/}"; do
		"$FG" replay -j "$f" >"$(gold_name "$f")" ||
			{ echo "replay of $f failed" >&2; return 1; }
	done
	(cd "$PCAPS" && "$FG" replay "$TEXT") >"$GOLD/${TEXT%.*}.txt"
	echo "rewrote $GOLD (review with git diff)"
}

# The output matches its golden file; a difference is shown as a diff.
golden() { # capture
	local f=$1 g
	g=$(gold_name "$f")
	run -j "$f"
	if [ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$g"; then
		ok "golden ${f##*/}"
		return
	fi
	not_ok "golden ${f##*/} (exit $rc)"
	show "$tmp/err"
	[ -e "$g" ] && diff "$g" "$tmp/out" | head -20 | show
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
	# Twice the same capture, twice the same bytes: nothing carries over
	# between runs (private maps), nothing depends on timing.
	f=$PCAPS/ndpi__ip_fragmented_garbage.pcap
	"$FG" replay -j "$f" >"$tmp/a" 2>&1 && "$FG" replay -j "$f" >"$tmp/b" 2>&1
	check "deterministic: two runs, identical output" cmp -s "$tmp/a" "$tmp/b"
else
	skip "text table of $TEXT" "needs privileges and $PCAPS"
	skip "-p keeps one line per packet" "needs privileges and $PCAPS"
	skip "deterministic: two runs, identical output" "needs privileges"
fi

# Errors: one "Error:" line, exit 1 (2 for usage), nothing misleading on
# stdout. The truncated capture's first packet is replayed and printed
# before the error: its verdict is true, the exit code says the rest.
c=$CAPS
if [ "$priv" -eq 1 ]; then
	fails "truncated mid-record: exit 1 at packet 2" 1 \
		"Error: $c/truncated.pcap: truncated capture at packet 2" \
		'{"index":1,"verdict":"pass"}' -- -j "$c/truncated.pcap"
else
	skip "truncated mid-record: exit 1 at packet 2" "needs privileges"
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
	"Error: replay needs a capture file: replay PCAP" "" -- -j
fails "usage: extra argument" 2 \
	"Error: unexpected argument 'extra' (usage: replay PCAP)" "" -- \
	"$c/sll.pcap" extra
fails "usage: unknown option" 2 \
	"Error: unknown option '--fast' (usage: replay PCAP)" "" -- --fast

echo "1..$n"
[ "$failed" -eq 0 ]
