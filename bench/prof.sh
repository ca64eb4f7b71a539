#!/usr/bin/env bash
# Where fg_xdp spends its time, per source line: perf samples (cpu-clock,
# no PMU needed) of bench/cost's loop over a capture, mapped through the
# JIT's line table (bench/lines.c) to the lines of bpf/ and include/.
#
#   bench/prof.sh [-f|-c] [-e] [-s SECONDS] [-n LINES] [PCAP]
#     -f  the table full (every packet to the overflow aggregate)
#     -c  cold: 50,000 one-flow frames into an emptied table, then once
#         more (updates), over and over: half the runs are inserts
#     -e  caches evicted before every run (cost.sh -e)
#     -s  seconds sampled (10); -n  lines printed (40)
#   env: COST_CPU (1), COST_EVICT_KB (4096), BUILD, FLOWGATE_PCAPS
# Prints the share of samples per function, then per source line. The
# sampling interrupt lands after the instruction that was waiting, so a
# line's share includes the stall of the one before it.
# Needs root and perf (Debian's linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench
PCAPS=${FLOWGATE_PCAPS:-../shared/pcaps}
flows="" cold=() repeat=5000 evict=() secs=10 top=40
while getopts fces:n: o; do
	case $o in
	f) flows=,flows=full ;;
	c) flows=,flows=cold cold=(-C 50000) repeat=1 ;;
	e) evict=(-E "${COST_EVICT_KB:-4096}") ;;
	s) secs=$OPTARG ;;
	n) top=$OPTARG ;;
	*) sed -n '6,13p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
PCAP=${1:-$PCAPS/ndpi__netflix.pcap}
die() { echo "prof.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root"
command -v perf >/dev/null || die "no perf (Debian package linux-perf)"
# cost.sh builds bench/cost; one round of nothing does it.
COST_ROUNDS=1 COST_REPEAT=1 COST_COLD=0 bash bench/cost.sh "$PCAP" >/dev/null
cc -O2 -Wall -Wextra bench/lines.c -o "$OUT/lines" -lbpf

tmp=$(mktemp -d /tmp/fgprof.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal exits through the EXIT trap too (bash alone skips it).
trap 'exit 1' INT TERM HUP
cpu=${COST_CPU:-1}
[ "$(nproc)" -gt 1 ] || cpu=0
# Enough rounds to outlast the sampling; killed after it. unshare and
# bash exec, so $! is cost's pid.
unshare -n bash -c 'ip link add fgprof0 type veth peer name fgprofp0 &&
	exec "$@"' _ "$OUT/cost" -D fgprof -c "$cpu" -r 101 -n "$repeat" \
	"${evict[@]}" "${cold[@]}" "$PCAP" "fg=$BUILD/flowgate_xdp.bpf.o,prog=fg_xdp$flows" \
	>/dev/null 2>"$tmp/cost.err" &
pid=$!
sleep 2
kill -0 "$pid" 2>/dev/null || die "cost stopped: $(cat "$tmp/cost.err")"
# The process alone (its syscalls run the programs): not what else runs
# on its CPU.
perf record -q -e cpu-clock -F 20000 -p "$pid" -o "$tmp/perf.data" \
	-- sleep "$secs" 2>/dev/null
# perf prints a symbol only beside its address.
perf script -i "$tmp/perf.data" -F ip,sym 2>/dev/null >"$tmp/samples"
"$OUT/lines" fg_xdp >"$tmp/lines"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null || true
pid=""
/usr/bin/python3 - "$tmp/samples" "$tmp/lines" "$top" <<'EOF'
import bisect, collections, functools, os, sys

@functools.lru_cache(maxsize=None)
def read(path):
    try:
        return open(path).read().split("\n")
    except OSError:
        return []

def source(path, line):
    rows = read(path)
    return rows[line - 1].strip() if 0 < line <= len(rows) else ""
samples, lines, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs = []  # (address, function, file:line or "-", source)
for row in open(lines):
    a, func, where, *src = row.rstrip("\n").split("\t")
    recs.append((int(a, 16), func, where, src[0].strip() if src else ""))
recs.sort()
addrs = [r[0] for r in recs]
per_func, per_line, text = collections.Counter(), collections.Counter(), {}
total = n = 0
for row in open(samples):
    total += 1
    ip = int(row.split()[0], 16)
    i = bisect.bisect_right(addrs, ip) - 1
    if i < 0 or recs[i][2] == "-" or "bpf_prog_" not in row:
        continue
    a, func, where, src = recs[i]
    n += 1
    per_func[func] += 1
    per_line[where] += 1
    text[where] = src
print(f"samples: {total} on the CPU, {n} in fg_xdp's functions "
      f"({100.0 * n / max(total, 1):.1f} %)")
for f, c in per_func.most_common():
    print(f"{100.0 * c / n:6.1f} %  {f}")
print()
for w, c in per_line.most_common(top):
    path, _, line = w.rpartition(":")
    src = text[w] or source(path, int(line))
    print(f"{100.0 * c / n:6.1f} %  {os.path.relpath(path):<30} {line:>5}  {src[:70]}")
EOF
