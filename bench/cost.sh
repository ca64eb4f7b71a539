#!/usr/bin/env bash
# Per-packet cost of the guard with flow accounting, measured with
# BPF_PROG_TEST_RUN: an empty XDP program (the harness's own cost),
# xdp-filter's program from xdp-tools, and fg_xdp (default profile) with its
# flow table warm (updates), full (every packet to the overflow aggregate)
# and cold (every packet an insert; COST_COLD synthesized one-flow frames
# run once each, see bench/cost.c). Prints ns/pkt and the ratios of each
# fg_xdp variant to empty and to xdp-filter, taken in the same rounds.
#
#   bench/cost.sh [-j] [-b] [-e] [-r [-6]] [-k] [-f] [-t] [-B REV] [PCAP]
#     -j  JSON instead of the table
#     -b  breakdown: also fg_xdp with checks off (fg_config), and its
#         parse and accounting halves alone (bench/fg_parts.bpf.c)
#     -e  evicted caches: every frame run once, after writing COST_EVICT_KB
#         (4096) of memory, so that code and data come from memory as on a
#         web server (bench/web.sh); no cold variant
#     -r  rules instead: fg_xdp with 0, 10, 1,000 and 100,000 rules that
#         match nothing, and 10, 1,000, 100,000 of which one matches every
#         packet (bench/rules_fill.c), 100 and 100,000 with /32s next to
#         every address of the capture (deepest lookups), 100,000 of
#         lengths 1-32 (every length), and fg_xdp built without the rule
#         stage; no cold variant. -6: the same sets in IPv6 (no
#         all-lengths set; pair-N: two /128s next to every address, the
#         IPv6 index's deepest case), on ndpi__http_ipv6.pcap unless PCAP
#         is given
#     -k  capture (include/fg_capture.h): fg_xdp with a capture running,
#         of the drops 1 in 1 and 1 in 100, and of every packet 1 in 1
#         and 1 in 100 (its ring read by a thread on another CPU); no
#         cold variant
#     -f  flood: a capture of 2,000 frames from 2,000 sources, half UDP to
#         port 0 (policy drop), half with a bad IPv4 checksum (malformed
#         drop), bench/flood_pcap.py; warm is then one source's flood
#         into a table with room, full a flood into a full table
#     -t  flow tables: fg_xdp against copies of its path with candidate
#         tables (bench/ft_xdp.bpf.c, bench/ft_table.h): ft-b the
#         open-addressed per-CPU bucket array (ft-b2: two bucket choices
#         per key; ft-b2m: and a fill mark above which drops skip the
#         table), ft-c the per-CPU hash with a 20-byte IPv4 key; each
#         warm, full and cold, in the same rounds; ft-none the same path
#         without a flow table, the floor.
#         With -f, cold is a flood of 100,000 distinct sources run once
#         each (COST_FLOOD sources), into an emptied table (-cold) and a
#         full one (-full), ratios on the run-once pass net of the empty
#         program's ("p:" ratios, bench/cost.c)
#     -B REV  also fg_xdp as git revision REV builds it (in a temp dir),
#         the baseline of the ratios fg_xdp-warm/fg_xdp@REV
#   env: COST_REPEAT (5000), COST_ROUNDS (7), COST_COLD (50000; 0: no cold
#        variant), COST_CPU, FLOWGATE_PCAPS, XDP_FILTER_OBJ, BUILD,
#        COST_BEFORE (another fg_xdp object, measured as fg_xdp-before,
#        warm, full and cold), COST_FLOOD (100000: -t -f's sources),
#        COST_DROP_RATE (attach's drop-flow-rate, default 20000; 0 none)
#        COST_EVICT_KB (-e: 4096, about 8 times L2)
# Needs root (BPF_PROG_TEST_RUN); run through `make bench` or after `make`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench
PCAPS=${FLOWGATE_PCAPS:-../shared/pcaps}
ARCH=$(cc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
XDPFILT=${XDP_FILTER_OBJ:-/usr/lib/$ARCH/bpf/xdpfilt_dny_all.o}
FG_OBJ=$BUILD/flowgate_xdp.bpf.o

json=() evict=0 breakdown=0 rules=0 v6="" capture=0 base="" flood=0 tables=0
while getopts jbr6kftB:e o; do
	case $o in
	j) json=(-j) ;;
	b) breakdown=1 ;;
	e) evict=1 ;;
	r) rules=1 ;;
	6) v6=,rules-v6 ;;
	k) capture=1 ;;
	f) flood=1 ;;
	t) tables=1 ;;
	B) base=$OPTARG ;;
	*) sed -n '9,52p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
DEFPCAP=ndpi__netflix.pcap
[ -n "$v6" ] && DEFPCAP=ndpi__http_ipv6.pcap
PCAP=${1:-$PCAPS/$DEFPCAP}
if [ "$flood" = 1 ]; then
	mkdir -p "$OUT"
	PCAP=$OUT/flood.pcap
	/usr/bin/python3 bench/flood_pcap.py "$PCAP" 2000
fi
FLOODN=${COST_FLOOD:-100000}
FLOOD_BIG=$OUT/flood-$FLOODN.pcap
if [ "$tables" = 1 ] && [ "$flood" = 1 ] && [ ! -s "$FLOOD_BIG" ]; then
	/usr/bin/python3 bench/flood_pcap.py "$FLOOD_BIG" "$FLOODN"
fi

die() { echo "cost.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "BPF_PROG_TEST_RUN needs root"
[ -r "$PCAP" ] || die "no capture $PCAP (set FLOWGATE_PCAPS or pass a path)"
[ -r "$XDPFILT" ] || die "no $XDPFILT (Debian package libxdp1, via xdp-tools)"
# The CLI's objects too: rules= (bench/rules_fill.c) loads rules with them.
make -s "$FG_OBJ" "$BUILD/flowgate" >&2

# Build only what changed; the headers are part of the tool (fg_config).
mkdir -p "$OUT"
CTL_OBJS=$(make -s BUILD="$BUILD" print-CTL_LIB)
CTL_INC=$(make -s print-CTL_INC)
if [ ! -x "$OUT/cost" ] || [ -n "$(find bench/cost.c bench/rules_fill.c \
	bench/ft_table.h include "$BUILD/ctl" -newer "$OUT/cost" 2>/dev/null)" ]; then
	# shellcheck disable=SC2086 # one word per object
	cc -O2 -g -Wall -Wextra -Wno-unused-parameter -Iinclude $CTL_INC \
		-I"$BUILD" bench/cost.c bench/rules_fill.c $CTL_OBJS \
		-o "$OUT/cost" $(make -s print-LDLIBS)
fi
# Same flags as the Makefile's BPF_CFLAGS, so the pieces match fg_xdp.
for b in empty_xdp fg_parts ft_xdp; do
	if [ ! -r "$OUT/$b.bpf.o" ] || [ "bench/$b.bpf.c" -nt "$OUT/$b.bpf.o" ] ||
		[ -n "$(find include bpf/lib bench/ft_table.h \
			-newer "$OUT/$b.bpf.o" 2>/dev/null)" ]; then
		clang -O2 -g -target bpf -D__bpf__ -Wall -Iinclude -Ibpf/lib \
			-I"/usr/include/$ARCH" -c "bench/$b.bpf.c" -o "$OUT/$b.bpf.o"
	fi
done

# fg_xdp without the rule stage, for what the stage costs with no rules.
if [ "$rules" = 1 ] && { [ ! -r "$OUT/fg_norules.bpf.o" ] ||
	[ -n "$(find include bpf -newer "$OUT/fg_norules.bpf.o")" ]; }; then
	clang -O2 -g -target bpf -D__bpf__ -DFG_BENCH_NO_RULES -Wall -Iinclude \
		-Ibpf/lib -I"/usr/include/$ARCH" -c bpf/xdp/flowgate_xdp.bpf.c \
		-o "$OUT/fg_norules.bpf.o"
fi

# -B REV: that revision's fg_xdp, built with its own tree and flags.
if [ -n "$base" ]; then
	btmp=$(mktemp -d /tmp/fgcost-base.XXXXXX)
	trap 'rm -rf "$btmp"' EXIT
	git archive "$base" | tar -x -C "$btmp" || die "no revision $base"
	make -s -C "$btmp" BUILD=build build/flowgate_xdp.bpf.o >&2 ||
		die "cannot build fg_xdp of $base"
	cp "$btmp/build/flowgate_xdp.bpf.o" "$OUT/fg_base.bpf.o"
	rm -rf "$btmp"
	trap - EXIT
fi

COLD=${COST_COLD:-50000}
[ "$rules" = 1 ] && COLD=0
[ "$capture" = 1 ] && COLD=0
[ "$evict" = 1 ] && COLD=0
cold_src=(-C "$COLD")
[ "$tables" = 1 ] && [ "$flood" = 1 ] && cold_src=(-F "$FLOOD_BIG")
# fg_xdp-warm: the same frame 5000 times, so every run but the first
# updates an existing flow; fg_xdp-full: every slot of fg_flowtab holds a
# dummy flow first; fg_xdp-cold: inserts (run once per frame).
progs=(
	"empty=$OUT/empty_xdp.bpf.o"
	"xdp-filter=$XDPFILT,prog=xdpfilt_dny_all"
	"fg_xdp-warm=$FG_OBJ,prog=fg_xdp"
	"fg_xdp-full=$FG_OBJ,prog=fg_xdp,flows=full"
)
ratios=(-R fg_xdp-warm/empty -R fg_xdp-warm/xdp-filter
	-R fg_xdp-full/empty -R fg_xdp-full/xdp-filter)
if [ -n "$base" ]; then
	progs+=("fg_xdp@$base=$OUT/fg_base.bpf.o,prog=fg_xdp")
	ratios+=(-R "fg_xdp-warm/fg_xdp@$base")
fi
if [ "$capture" = 1 ]; then
	for v in drops/1 drops/100 all/1 all/100; do
		progs+=("fg-cap-${v%/*}-${v#*/}=$FG_OBJ,prog=fg_xdp,capture=$v")
		ratios+=(-R "fg-cap-${v%/*}-${v#*/}/fg_xdp-warm")
	done
fi
# COST_BEFORE=OBJ: another build of fg_xdp (an earlier commit's) in the
# same rounds, for before/after ratios of a change.
if [ -n "${COST_BEFORE:-}" ]; then
	[ -r "$COST_BEFORE" ] || die "no $COST_BEFORE"
	# An object from before fg_flowtab fills its per-CPU hash instead.
	btab=""
	grep -q fg_flowtab "$COST_BEFORE" || btab=,table=fg_flows
	progs+=("fg_xdp-before=$COST_BEFORE,prog=fg_xdp"
		"fg_xdp-before-full=$COST_BEFORE,prog=fg_xdp,flows=full$btab")
	ratios+=(-R fg_xdp-warm/fg_xdp-before -R fg_xdp-before/xdp-filter
		-R fg_xdp-full/fg_xdp-before-full)
fi
if [ "$COLD" -gt 0 ]; then
	progs+=("fg_xdp-cold=$FG_OBJ,prog=fg_xdp,flows=cold")
	ratios+=(-R fg_xdp-cold/empty -R fg_xdp-cold/xdp-filter "${cold_src[@]}")
	if [ -n "${COST_BEFORE:-}" ]; then
		progs+=("fg_xdp-before-cold=$COST_BEFORE,prog=fg_xdp,flows=cold$btab")
		ratios+=(-R fg_xdp-before-cold/xdp-filter)
		[ "$tables" = 1 ] && [ "$flood" = 1 ] &&
			ratios+=(-R "p:fg_xdp-before-cold/xdp-filter"
				-R "p:fg_xdp-before-full/xdp-filter")
	fi
fi
if [ "$tables" = 1 ]; then
	# The candidates beside fg_xdp's warm, full and cold variants: the
	# same parser, checks, rule stage and counters, another table.
	FT=$OUT/ft_xdp.bpf.o
	progs+=("ft-none=$FT,prog=ft_n")
	ratios+=(-R ft-none/xdp-filter)
	for c in b b2 b2m c; do
		tab=ft_bkt
		[ "$c" = c ] && tab=ft_flows4
		progs+=("ft-$c-warm=$FT,prog=ft_$c,table=$tab"
			"ft-$c-full=$FT,prog=ft_$c,table=$tab,flows=full")
		ratios+=(-R "ft-$c-warm/xdp-filter" -R "ft-$c-full/xdp-filter"
			-R "ft-$c-warm/fg_xdp-warm" -R "ft-$c-full/fg_xdp-full")
		if [ "$COLD" -gt 0 ]; then
			progs+=("ft-$c-cold=$FT,prog=ft_$c,table=$tab,flows=cold")
			ratios+=(-R "ft-$c-cold/xdp-filter")
		fi
	done
	if [ "$flood" = 1 ] && [ "$COLD" -gt 0 ]; then
		# Run once per source: the flood's cost with its cache misses.
		for v in fg_xdp ft-b ft-b2 ft-b2m ft-c; do
			ratios+=(-R "p:$v-cold/xdp-filter" -R "p:$v-full/xdp-filter")
		done
	fi
fi
if [ "$rules" = 1 ]; then
	# Replaces the flow-table variants: all of these are warm.
	progs=("${progs[@]:0:2}" "fg-no-stage=$OUT/fg_norules.bpf.o,prog=fg_xdp")
	ratios=()
	for n in 0 10 1000 100000; do
		progs+=("fg-rules-$n=$FG_OBJ,prog=fg_xdp,rules=$n$v6")
		ratios+=(-R "fg-rules-$n/empty" -R "fg-rules-$n/xdp-filter"
			-R "fg-rules-$n/fg-no-stage")
	done
	for n in 10 1000 100000; do
		progs+=("fg-hit-$n=$FG_OBJ,prog=fg_xdp,rules=$n,rules-hit$v6")
		ratios+=(-R "fg-hit-$n/empty" -R "fg-hit-$n/xdp-filter"
			-R "fg-hit-$n/fg-no-stage")
	done
	lens=lens-100000
	# the all-lengths set is IPv4's; the pairs (deepest for IPv6) IPv6's
	[ -n "$v6" ] && lens="pair-100 pair-100000"
	for v in deep-100 deep-100000 $lens; do
		progs+=("fg-$v=$FG_OBJ,prog=fg_xdp,rules=${v#*-},rules-${v%-*}$v6")
		ratios+=(-R "fg-$v/empty" -R "fg-$v/xdp-filter"
			-R "fg-$v/fg-no-stage")
	done
fi
if [ "$breakdown" = 1 ]; then
	# Checks with a computation of their own (the rest are a compare or
	# two on fields the parser reads anyway), then everything off: what
	# is left is parsing and accounting. Then the two halves of fg_xdp
	# on their own (bench/fg_parts.bpf.c).
	progs+=(
		"fg-parse-only=$OUT/fg_parts.bpf.o,prog=fg_parse_only"
		"fg-account-only=$OUT/fg_parts.bpf.o,prog=fg_account_only"
		"fg-lookup-only=$OUT/fg_parts.bpf.o,prog=fg_lookup_only"
		"fg-account-array=$OUT/fg_parts.bpf.o,prog=fg_account_array"
		"fg-flow-only=$OUT/fg_parts.bpf.o,prog=fg_flow_only"
		"fg-flow-lookup=$OUT/fg_parts.bpf.o,prog=fg_flow_lookup"
		"fg-clock-only=$OUT/fg_parts.bpf.o,prog=fg_clock_only"
		"fg-ip4-csum-off=$FG_OBJ,prog=fg_xdp,off=ip4-csum"
		"fg-martian-off=$FG_OBJ,prog=fg_xdp,off=martian-src"
		"fg-all-off=$FG_OBJ,prog=fg_xdp,off=all"
	)
fi

[ "$evict" = 1 ] && json+=(-E "${COST_EVICT_KB:-4096}")
args=("${json[@]}" -r "${COST_ROUNDS:-7}" -n "${COST_REPEAT:-5000}"
	${COST_CPU:+-c "$COST_CPU"} "${ratios[@]}")

# Without a hold in the XDP dispatcher every test_run call costs two RCU
# grace periods (see hold_in_dispatcher() in cost.c): minutes instead of
# seconds. The holds are veth interfaces in a namespace of our own that
# vanishes with the process; nothing on the host is touched.
slow="cost.sh: no veth in a private netns; running unheld (slow)"
if ! unshare -n true 2>/dev/null; then
	echo "$slow" >&2
	exec "$OUT/cost" "${args[@]}" "$PCAP" "${progs[@]}"
fi
exec unshare -n bash -c '
	n=$1 slow=$2 cost=$3
	shift 3
	hold=(-D fgbench)
	for ((i = 0; i < n; i++)); do
		if ! ip link add fgbench$i type veth peer name fgbenchp$i \
			2>/dev/null; then
			echo "$slow" >&2
			hold=()
			break
		fi
	done
	exec "$cost" "${hold[@]}" "$@"' _ "${#progs[@]}" "$slow" "$OUT/cost" \
	"${args[@]}" "$PCAP" "${progs[@]}"
