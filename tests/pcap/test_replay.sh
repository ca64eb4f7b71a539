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
# shellcheck source=tests/lib/pcaps.sh
. "$here/../lib/pcaps.sh"
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
# IPFIX export (ipfix FILE): NAME.export.jsonl is the -j output (packets,
# records as exported, summary), NAME.ipfix.jsonl the file decoded by
# tests/lib/ipfix.py (a line per data record, export times included).
# The options are the timeouts of timeouts.pcap (see make_captures.py).
EXPORT=("$CAPS/timeouts.pcap" "$PCAPS/ndpi__tcp_scan.pcapng"
	"$CAPS/ipv6.pcap")
EXPORT_OPTS=(active-timeout 2 idle-timeout 1)
# The text table is checked on this one (run from its directory, so that
# the file line does not depend on where the captures are).
TEXT=ndpi__tcp_scan.pcapng

# TEST_SHORT (the kernel matrix, tests/vm/test_matrix.sh): what the kernel
# decides, against the golden files: every capture's verdicts and flows,
# and the overflow aggregates of a full table. The rest is skipped, checked
# by this layer's run on the host: user space only (the text table, -p,
# the readers, config files, errors, the IPFIX encoding of the exports).
# Under emulation a load of fg_replay (the verifier's work) is 10-25 s,
# and the short form makes two: every golden capture in one replay, and
# max-flows 16.
SHORT=${TEST_SHORT:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
	for f in "${EXPORT[@]}"; do
		export_run "$f" || { echo "export of $f failed" >&2; return 1; }
		g=$(gold_name "$f")
		cp "$tmp/x/out" "${g%.jsonl}.export.jsonl"
		cp "$tmp/x/dec" "${g%.jsonl}.ipfix.jsonl"
	done
	echo "rewrote $GOLD (review with git diff)"
}

# export_run CAPTURE [ARGS...]: replay -j with ipfix NAME.ipfix in $tmp/x
# (a relative name: the summary shows it), decoded into $tmp/x/dec.
export_run() {
	local f=$1 b=${1##*/}
	shift
	rm -rf "$tmp/x" && mkdir -p "$tmp/x"
	(cd "$tmp/x" && "$FG" replay -j "$f" ipfix "${b%.*}.ipfix" \
		"${EXPORT_OPTS[@]}" "$@") >"$tmp/x/out" 2>"$tmp/x/err" &&
		/usr/bin/python3 "$root/tests/lib/ipfix.py" decode \
			"$tmp/x/${b%.*}.ipfix" >"$tmp/x/dec"
}

# replay_each OUTDIR ARGS...: one `replay` of several captures (one load
# of fg_replay), its output cut after each summary line into OUTDIR/0,
# OUTDIR/1, ... (a capture's lines end with its summary); exit code in
# $rc, stderr in OUTDIR/err. The command runs under "${pre[@]}" (empty,
# or taskset).
pre=()
replay_each() {
	local d=$1
	shift
	rm -rf "$d" && mkdir -p "$d"
	"${pre[@]}" "$FG" replay "$@" >"$d/all" 2>"$d/err"
	rc=$?
	cut_each "$d"
}
cut_each() { # DIR: DIR/all cut into DIR/0, DIR/1, ...
	awk -v d="$1" 'BEGIN { n = 0 }
		{ print > (d "/" n) }
		/^\{"summary":/ { close(d "/" n); n++ }' "$1/all"
}

# Capture number $2 of the run in $3 matches its two golden files; a
# difference is shown as a diff.
golden() { # capture index dir
	local f=$1 g cur=$3/$2
	g=$(gold_name "$f")
	touch "$cur"
	split "$cur" "$tmp/cur"
	if cmp -s "$tmp/cur.jsonl" "$g" &&
		cmp -s "$tmp/cur.flows.jsonl" "${g%.jsonl}.flows.jsonl"; then
		ok "golden ${f##*/}"
		return
	fi
	not_ok "golden ${f##*/} (exit $rc of the run of every golden)"
	show "$3/err"
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

# Every golden capture in one replay (one load of fg_replay; each
# capture's output is what a replay of it alone prints, which the golden
# files are). Replay loads an XDP program: without the privilege every
# verdict test is skipped, the usage and file errors still run (they
# come last).
gold=()
for f in "${REAL[@]}"; do
	[ -r "$PCAPS/$f" ] && gold+=("$PCAPS/$f")
done
gold+=("${CRAFTED[@]/#/$CAPS/}")
replay_each "$tmp/gold" -j "${gold[@]}"
priv=1
if [ "$rc" -ne 0 ] && grep -q 'capab\|not permitted' "$tmp/gold/err"; then
	priv=0
fi
i=0
for f in "${REAL[@]/#/$PCAPS/}" "${CRAFTED[@]/#/$CAPS/}"; do
	if [ "$priv" -eq 0 ]; then
		skip "golden ${f##*/}" "needs CAP_BPF and CAP_NET_ADMIN"
	elif [ ! -r "$f" ]; then
		skip "golden ${f##*/}" "no $f (set FLOWGATE_PCAPS)"
	else
		golden "$f" "$i" "$tmp/gold"
		[ "${f##*/}" = "$SMALL" ] && cp "$tmp/gold/$i" "$tmp/whole"
		i=$((i + 1))
	fi
done

if [ -n "$SHORT" ]; then
	run -j "$PCAPS/$SMALL" max-flows 16
	check "max-flows 16: overflow aggregates (golden)" \
		cmp -s "$tmp/out" "$(gold_name "$SMALL" .max16)"
	skip "text table, -p, deterministic on two CPUs" "TEST_SHORT"
elif [ "$priv" -eq 1 ] && [ -r "$PCAPS/$TEXT" ]; then
	(cd "$PCAPS" && "$FG" replay "$TEXT") >"$tmp/out" 2>"$tmp/err"
	check "text table of $TEXT" cmp -s "$tmp/out" "$GOLD/${TEXT%.*}.txt"
	# -p indents the summary only: packet lines stay one per line.
	run -p "$PCAPS/$TEXT"
	check "-p keeps one line per packet" \
		cmp -s <(head -n 30 "$tmp/out") <(head -n 30 "$(gold_name "$TEXT")")
	# A table for 16 flows (4 buckets of 8 slots): the rest of the
	# packets in the overflow aggregates, every packet still accounted
	# (replay checks the sum). Against the whole run: each flow held is
	# its whole record, the aggregates are exactly the flows not held.
	run -j "$PCAPS/$SMALL" max-flows 16
	check "max-flows 16: overflow aggregates (golden)" \
		cmp -s "$tmp/out" "$(gold_name "$SMALL" .max16)"
	cp "$tmp/out" "$tmp/small"
	out=$(/usr/bin/python3 "$here/overflow_check.py" "$tmp/whole" \
		"$tmp/small" 2>&1)
	check "max-flows 16 against the whole run: $out" test $? -eq 0
	# Twice the same capture, twice the same bytes, each run on another
	# CPU: nothing carries over between runs (private maps), nothing
	# depends on timing or on the CPU (replay keeps to one). Each run
	# replays them all, one after the other on one load: nothing carries
	# over from one capture to the next either.
	for c in 0 "$(($(nproc) - 1))"; do
		pre=(taskset -c "$c")
		replay_each "$tmp/cpu$c" -j "${BIG[@]/#/$PCAPS/}"
	done
	pre=()
	i=0
	for f in "${BIG[@]}"; do
		check "deterministic: $f twice, on two CPUs, same bytes" \
			cmp -s "$tmp/cpu0/$i" "$tmp/cpu$(($(nproc) - 1))/$i"
		i=$((i + 1))
	done
else
	skip "text table of $TEXT" "needs privileges and $PCAPS"
	skip "-p keeps one line per packet" "needs privileges and $PCAPS"
	skip "max-flows 16: overflow aggregates (golden)" "needs privileges"
	skip "max-flows 16 against the whole run" "needs privileges"
	for f in "${BIG[@]}"; do
		skip "deterministic: $f twice, on two CPUs, same bytes" \
			"needs privileges and $PCAPS"
	done
fi

# Export: the -j output and the decoded file match their goldens, and a
# second run writes the same bytes (the file is truncated at start: one
# replay, one session). Each run exports every capture, one file each
# ({}.ipfix: NAME.ipfix), on one load.
# export_each DIR: replay -j of $EXPORT with ipfix {}.ipfix in DIR (a
# relative name: the summary shows it), cut as replay_each does, each file
# decoded into DIR/NAME.dec.
export_each() {
	local d=$1 f b
	rm -rf "$d" && mkdir -p "$d"
	(cd "$d" && "$FG" replay -j "${EXPORT[@]}" ipfix "{}.ipfix" \
		"${EXPORT_OPTS[@]}") >"$d/all" 2>"$d/err"
	rc=$?
	cut_each "$d"
	for f in "${EXPORT[@]}"; do
		b=${f##*/}
		[ -e "$d/${b%.*}.ipfix" ] &&
			/usr/bin/python3 "$root/tests/lib/ipfix.py" decode \
				"$d/${b%.*}.ipfix" >"$d/${b%.*}.dec"
	done
}
[ -n "$SHORT" ] && EXPORT=() &&
	skip "export goldens and determinism" "TEST_SHORT"
xok=1
for f in "${EXPORT[@]}"; do
	[ -r "$f" ] || xok=0
done
if [ "$priv" -eq 1 ] && [ "$xok" -eq 1 ] && [ ${#EXPORT[@]} -gt 0 ]; then
	export_each "$tmp/xa"
	export_each "$tmp/xb"
fi
i=0
for f in "${EXPORT[@]}"; do
	b=${f##*/}
	if [ "$priv" -eq 0 ] || [ "$xok" -eq 0 ]; then
		skip "export golden $b" "needs privileges and $f"
		skip "export deterministic: $b twice, same IPFIX bytes" \
			"needs privileges and $f"
		continue
	fi
	g=$(gold_name "$f")
	if [ -e "$tmp/xa/$i" ] &&
		cmp -s "$tmp/xa/$i" "${g%.jsonl}.export.jsonl" &&
		cmp -s "$tmp/xa/${b%.*}.dec" "${g%.jsonl}.ipfix.jsonl"; then
		ok "export golden $b"
	else
		not_ok "export golden $b"
		show "$tmp/xa/err"
		diff "${g%.jsonl}.export.jsonl" "$tmp/xa/$i" | head -10 | show
		diff "${g%.jsonl}.ipfix.jsonl" "$tmp/xa/${b%.*}.dec" |
			head -10 | show
	fi
	check "export deterministic: $b twice, same IPFIX bytes" \
		cmp -s "$tmp/xa/${b%.*}.ipfix" "$tmp/xb/${b%.*}.ipfix"
	i=$((i + 1))
done

# The capture's clock: every record of timeouts.pcap where and when the
# daemon would have sent it (export_check.py has the expected table).
if [ -n "$SHORT" ]; then
	skip "capture clock, config FILE, sampling, the two readers, errors" \
		"TEST_SHORT"
	fg_done
	exit
elif [ "$priv" -eq 1 ]; then
	# timeouts.pcap is the first of the export goldens' run
	check "timeouts.pcap: records, export times and reasons on the capture's clock" \
		/usr/bin/python3 "$here/export_check.py" "$tmp/xa/0" \
		"$tmp/xa/timeouts.dec"
	# The config file's [export] gives the timeouts, the command line
	# wins; its rules and sampling apply to the replay.
	cat >"$tmp/fg.conf" <<-'EOF'
		sampling 1
		[export]
		active-timeout 2
		idle-timeout 1
		[rules]
		src 192.0.2.4/32 action drop comment "D"
	EOF
	EXPORT_OPTS=(config "$tmp/fg.conf")
	export_run "$CAPS/timeouts.pcap"
	EXPORT_OPTS=(active-timeout 2 idle-timeout 1)
	check "config FILE: [export] timeouts, rules applied" \
		/usr/bin/python3 "$here/export_check.py" "$tmp/x/out" \
		"$tmp/x/dec" rule-drops-D
	cat >"$tmp/fg.conf" <<-'EOF'
		[export]
		active-timeout 5
		idle-timeout 5
	EOF
	EXPORT_OPTS=(config "$tmp/fg.conf" active-timeout 2 idle-timeout 1)
	export_run "$CAPS/timeouts.pcap"
	EXPORT_OPTS=(active-timeout 2 idle-timeout 1)
	check "config FILE: the command line's timeouts win" \
		/usr/bin/python3 "$here/export_check.py" "$tmp/x/out" \
		"$tmp/x/dec"
	# Sampling in replay draws from a seeded generator: the same
	# packets are sampled every run, and in every capture of a run (the
	# capture twice in one run, under two names: one IPFIX file each).
	printf 'sampling 3\n' >"$tmp/samp.conf"
	ln -s "$CAPS/timeouts.pcap" "$tmp/again.pcap"
	replay_each "$tmp/samp" -j "$CAPS/timeouts.pcap" "$tmp/again.pcap" \
		config "$tmp/samp.conf" ipfix "$tmp/samp/{}.ipfix"
	sed -i "s#$tmp/samp/[a-z]*.ipfix##" "$tmp/samp/0" "$tmp/samp/1"
	check "sampling 3 in replay: deterministic, some packets sampled out" \
		eval 'cmp -s "$tmp/samp/timeouts.ipfix" "$tmp/samp/again.ipfix" &&
		cmp -s "$tmp/samp/0" "$tmp/samp/1" &&
		grep -q "\"sampled_out_packets\":[1-9]" "$tmp/samp/0"'
	# Classic pcap files are read in place (mapped), the rest through
	# libpcap, which also takes over from a record it should judge (longer
	# than the file's snaplen, cut short). Both readers give the same
	# output: native and byte-swapped files, nanoseconds, a small snaplen.
	/usr/bin/python3 - "$PCAPS/${BIG[0]}" "$CAPS/nsec.pcap" "$tmp/rd" \
		<<-'PYEOF'
		import os, struct, sys
		os.makedirs(sys.argv[3], exist_ok=True)
		for i, path in enumerate(sys.argv[1:3]):
		    src = open(path, 'rb').read()
		    e = '<' if src[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
		    h = list(struct.unpack(e + 'IHHiIII', src[:24]))
		    out, off = [], 24
		    while off + 16 <= len(src):
		        rec = struct.unpack(e + 'IIII', src[off:off + 16])
		        out.append(struct.pack(('>' if e == '<' else '<') + 'IIII', *rec) +
		                   src[off + 16:off + 16 + rec[2]])
		        off += 16 + rec[2]
		    sw = '>' if e == '<' else '<'
		    open(f'{sys.argv[3]}/swapped{i}.pcap', 'wb').write(
		        struct.pack(sw + 'IHHiIII', *h) + b''.join(out))
		    h[5] = 60
		    open(f'{sys.argv[3]}/snap{i}.pcap', 'wb').write(
		        struct.pack(e + 'IHHiIII', *h) + src[24:])
		PYEOF
	# Both readers over all of them, one run each (the cut capture last:
	# its error ends the run).
	rd=("$PCAPS/${BIG[0]}" "$CAPS/nsec.pcap" "$tmp"/rd/*.pcap
		"$CAPS/truncated.pcap")
	replay_each "$tmp/rd/map" -j "${rd[@]}"
	FLOWGATE_PCAP_STDIO=1 replay_each "$tmp/rd/std" -j "${rd[@]}"
	rd_same=0 rd_n=${#rd[@]}
	for i in "${!rd[@]}"; do
		cmp -s "$tmp/rd/map/$i" "$tmp/rd/std/$i" &&
			rd_same=$((rd_same + 1))
	done
	cmp -s "$tmp/rd/map/err" "$tmp/rd/std/err" || rd_same=0
	check "pcap read in place = through libpcap ($rd_same of $rd_n captures: native, swapped, nsec, small snaplen, cut)" \
		test "$rd_same" -eq 7 -a "$rd_n" -eq 7
else
	for t in "timeouts.pcap: capture clock" "config FILE: [export]" \
		"config FILE: command line wins" "sampling 3 in replay" \
		"pcap read in place = through libpcap"; do
		skip "$t" "needs privileges"
	done
fi

# Errors: one "Error:" line, exit 1 (2 for usage), nothing misleading on
# stdout. The truncated capture's first packet is replayed and printed
# before the error: its verdict is true, the exit code says the rest.
c=$CAPS
use="replay PCAP... [max-flows N] [ipfix FILE] [collector URL]... [active-timeout S] [idle-timeout S] [config FILE] | flowgate replay PCAP... capture FILE [drops|passes|all] [reason NAME]... [rule ID] [sample N] [limit PPS [burst N]] [snaplen N] [count N] [capture-ring SIZE]"
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
	"Error: usage: flowgate $use" "" -- -j
fails "usage: extra argument" 2 \
	"Error: unexpected argument 'extra' (see 'flowgate replay help')" "" -- \
	"$c/sll.pcap" max-flows 16 extra
fails "usage: a word before the keywords that is no file" 2 \
	"Error: unexpected argument 'max-flow': no such keyword or capture file (see 'flowgate replay help')" \
	"" -- "$c/sll.pcap" max-flow 16
fails "usage: several captures, one ipfix FILE" 2 \
	"Error: ipfix FILE: with several captures, FILE needs {} (each capture's name)" \
	"" -- "$c/sll.pcap" "$c/raw.pcap" ipfix "$tmp/never.ipfix"
mkdir -p "$tmp/d2"
cp "$c/sll.pcap" "$tmp/d2/"
fails "usage: two captures that name one output file" 2 \
	"Error: ipfix FILE: $c/sll.pcap and $tmp/d2/sll.pcap both give $tmp/sll.ipfix" \
	"" -- "$c/sll.pcap" "$tmp/d2/sll.pcap" ipfix "$tmp/{}.ipfix"
check "usage error: no IPFIX file made" test ! -e "$tmp/sll.ipfix"
fails "usage: unknown option" 2 \
	"Error: unknown option '--fast' (see 'flowgate replay help')" "" -- --fast
fails "usage: max-flows out of range" 2 \
	"Error: max-flows must be a number from 16 to 16777216" "" -- \
	"$c/sll.pcap" max-flows 8
fails "usage: max-flows without a value" 2 \
	"Error: max-flows needs a value" "" -- "$c/sll.pcap" max-flows
fails "usage: idle-timeout above active-timeout" 2 \
	"Error: idle-timeout (5) above active-timeout (2)" "" -- \
	"$c/sll.pcap" ipfix "$tmp/never.ipfix" active-timeout 2 idle-timeout 5
check "usage error: no IPFIX file made" test ! -e "$tmp/never.ipfix"
fails "usage: bad collector" 2 \
	"Error: collector 'http://x': udp://HOST:PORT or tcp://HOST:PORT" "" \
	-- "$c/sll.pcap" collector http://x
printf 'bogus line\n' >"$tmp/bad.conf"
fails "config FILE that does not parse: nothing replayed" 1 \
	"Error: $tmp/bad.conf:1: unknown setting 'bogus' (profile, check, sampling, drop-flows, or a section [export] / [rules])" "" -- \
	"$c/sll.pcap" config "$tmp/bad.conf" ipfix "$tmp/never.ipfix"
check "bad config FILE: no IPFIX file made" test ! -e "$tmp/never.ipfix"

fg_done
