#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Time to load 100,000 rules with the CLI, as an operator would: a rule
# file of N IPv4 prefixes (16-32 bits, src and dst alternately, from a
# fixed pseudo-random sequence), on a private bpffs with no interface
# attached (the maps are the same). Steps, each timed around the whole
# `flowgate` process:
#   first    rule load FILE into a fresh state (makes the state too)
#   same     rule load FILE again (every rule keeps its ID)
#   other    rule load FILE2 (another N rules: all new)
#   add      rule add of one rule with N in force
#   del      rule del of it
#   list     rule list -j (N rules and their counters)
#   save     rule save
#   flush    rule flush
# and, after the first load, the memory of the rule maps (bpftool's
# memlock of fg_rule* and fg_rules; NO_PREALLOC maps report their
# max_entries-based estimate, see the note printed).
#   bench/rules_load.sh [N] [ROUNDS]   (defaults 100000, 5; medians)
# RULES_V6=mix: IPv6 prefixes of 32-128 bits in 2000::/3 instead (the
# lengths of bench/cost.sh -r -6); RULES_V6=L: all of length L (48, 128).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-100000}
ROUNDS=${2:-5}
bl_start bpffs
make -s "$BUILD/flowgate" >&2 # a stale one too
bl_bpffs fgrload
TMP=$BL_TMP

gen() { bl_gen_rules "$N" "$1" "${RULES_V6:-}"; } # gen SEED
gen 1 >"$TMP/a.rules"
gen 2 >"$TMP/b.rules"

ms() { # ms CMD...: wall time of one run, in ms
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

mem() { # the rule maps' memlock as bpftool reports it, one line each
	local ids="" m
	# fg_rule_idx6: the IPv6 tries before fg_rule_mb6/tl6 replaced them
	for m in fg_rule_ctl fg_rule_mb4 fg_rule_idx6 fg_rule_mb6 \
		fg_rule_tl6 fg_rule_lsts fg_rule_glob fg_rules fg_rule_hits \
		fg_rule_defs; do
		[ -e "$FLOWGATE_BPFFS/$m" ] || continue
		ids+=" $(bpftool -j map show pinned "$FLOWGATE_BPFFS/$m" |
			/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
	done
	# the index maps and lists in their slots
	for m in fg_rule_mb4 fg_rule_idx6 fg_rule_mb6 fg_rule_tl6 \
		fg_rule_lsts; do
		[ -e "$FLOWGATE_BPFFS/$m" ] || continue
		ids+=" $(bpftool -j map dump pinned "$FLOWGATE_BPFFS/$m" |
			/usr/bin/python3 -c '
import json, sys
for e in json.load(sys.stdin):
    v = e.get("value", e.get("formatted", {}).get("value"))
    if v is not None:
        print(v if isinstance(v, int) else int.from_bytes(
            bytes(int(b, 16) for b in v), "little"))')"
	done
	# shellcheck disable=SC2086 # one word per map ID
	for m in $ids; do bpftool -j map show id "$m"; echo; done |
		/usr/bin/python3 -c '
import json, sys
tot = 0
for line in sys.stdin:
    if not line.strip():
        continue
    m = json.loads(line)
    tot += m.get("bytes_memlock", 0)
    print("  %-14s %-14s max %7d  memlock %10d" % (m["name"], m["type"],
          m["max_entries"], m.get("bytes_memlock", 0)))
print("  total memlock %d bytes" % tot)'
}

declare -A t
steps=(first same other add del list save flush)
for ((r = 0; r < ROUNDS; r++)); do
	t[first]+=" $(ms "$FLOWGATE" rule load "$TMP/a.rules")"
	[ "$r" -eq 0 ] && memout=$(mem)
	t[same]+=" $(ms "$FLOWGATE" rule load "$TMP/a.rules")"
	t[other]+=" $(ms "$FLOWGATE" rule load "$TMP/b.rules")"
	t[add]+=" $(ms "$FLOWGATE" rule add src 192.0.2.0/24 prio 7 action drop)"
	id=$("$FLOWGATE" -j rule list | /usr/bin/python3 -c '
import json, sys
print([r["id"] for r in json.load(sys.stdin)["rules"] if r["prio"] == 7][0])')
	t[del]+=" $(ms "$FLOWGATE" rule del "$id")"
	t[list]+=" $(ms "$FLOWGATE" -j rule list)"
	t[save]+=" $(ms "$FLOWGATE" rule save "$TMP/saved.rules")"
	t[flush]+=" $(ms "$FLOWGATE" rule flush)"
	# next round starts from no state, like the first
	rm -rf "$FLOWGATE_BPFFS"
done
printf 'rule maps with %s rules in force (the index maps are the inner\n' "$N"
printf 'maps in the slots of fg_rule_mb4/mb6/tl6/lsts; for maps without\n'
printf 'preallocation (fg_rule_defs, tries) memlock is the kernel'"'"'s\n'
printf 'max_entries estimate):\n'
echo "$memout"
printf '%s rules, %s rounds (ms, median and range)\n' "$N" "$ROUNDS"
for s in "${steps[@]}"; do
	# shellcheck disable=SC2086 # the times are words
	printf '%-6s %s\n' "$s" "$(printf '%s\n' ${t[$s]} | sort -n |
		awk '{v[NR] = $1} END {printf "%6d  (%d .. %d)", v[int((NR + 1) / 2)], v[1], v[NR]}')"
done
