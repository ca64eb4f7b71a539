#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The manual's EXAMPLES run as written: each command line of the block
# between .SH EXAMPLES and the next .SH of doc/flowgate.8, in order, in the
# flowgate namespace of a lab, with eth1 meaning the lab's interface; a
# line ending in & runs in the background and must still be running (and
# answering, for metrics listen) when the block ends. Every line exits 0.
set -u
. "$(dirname "$0")/../lib/netns.sh"

MAN=$FG_ROOT/doc/flowgate.8
BG=()
# shellcheck disable=SC2034 # read by fg_cleanup
T_CLEANUP_HOOK=ex_cleanup
ex_cleanup() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
}

fg_setup
mapfile -t cmds < <(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$MAN" |
	grep '^flowgate ' | sed -e 's/\\-/-/g' -e "s/\\beth1\\b/$RX_IF/g")
[ "${#cmds[@]}" -ge 5 ] || bail "no EXAMPLES in $MAN"
for c in "${cmds[@]}"; do
	words=${c#flowgate }
	if [[ $words == *' &' ]]; then
		words=${words% &}
		# exec: $! is then flowgate itself (ip netns exec execs it),
		# which the cleanup kills, not a shell that would leave it
		# running.
		# shellcheck disable=SC2086 # the example's own words
		eval "exec ip netns exec \"\$NS_RX\" \"\$FLOWGATE\" $words" \
			>/dev/null 2>&1 &
		BG+=("$!")
		sleep 0.5
		check "example runs in the background: $c" kill -0 "$!"
		continue
	fi
	# shellcheck disable=SC2086
	out=$(eval "ip netns exec \"\$NS_RX\" \"\$FLOWGATE\" $words" 2>&1)
	rc=$?
	expect_eq "example exits 0: $c" "$rc" 0
	[ "$rc" -eq 0 ] || printf '%s\n' "$out" | head -3 | sed 's/^/#   /'
done
check "the metrics example answers" ip netns exec "$NS_RX" \
	curl -sf -o /dev/null http://127.0.0.1:9477/metrics
fg_done
