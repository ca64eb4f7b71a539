#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# flowgate shares an interface with another XDP program through libxdp's
# dispatcher: xdp-filter (xdp-tools, allow-all policy, which passes every
# packet on) and flowgate on one veth end, both count the same datagrams,
# detaching either leaves the other running and counting, and nothing is
# left once both are gone. Needs a kernel that runs the dispatcher
# (freplace); elsewhere libxdp attaches one program alone: SKIP.
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
command -v xdp-filter >/dev/null || bail "no xdp-filter (xdp-tools)"

# xdp-filter in the receiving namespace with its state and libxdp's on the
# test's bpffs: `ip netns exec` replaced /sys, so bind it at /sys/fs/bpf,
# where xdp-filter and libxdp look.
xfilter() {
	ip netns exec "$NS_RX" sh -c 'mount --bind "$0" /sys/fs/bpf &&
		exec xdp-filter "$@"' "$FG_TMP" "$@"
}

# Packets xdp-filter passed (its XDP_PASS counter), "" when not loaded.
xf_passed() { xfilter status 2>/dev/null | awk '$1 == "XDP_PASS" { print $2 }'; }

rx_of() { jget "$(fg_stats_json)" 'd["interfaces"][0]["rx_packets"]'; }

# wait_for CMD WANT: until CMD prints WANT (at most 5 s); prints the last.
wait_for() {
	local i got
	for ((i = 0; i < 25; i++)); do
		got=$($1)
		[ "$got" = "$2" ] && break
		sleep 0.2
	done
	echo "$got"
}

OUT=$(fg -j attach "$RX_IF") || bail "flowgate attach: $OUT"
FG_ID=$(jget "$OUT" 'd["prog_id"]')
main=$(xdp_main_prog)
if [ "${main%% *}" != dispatcher ]; then
	skip "flowgate and xdp-filter share $RX_IF" \
		"kernel $(uname -r) refuses libxdp's dispatcher (freplace): one XDP program per interface, the link holds ${main:-nothing}"
	fg_done
	exit
fi
ok "flowgate runs as a component of libxdp's dispatcher (${main})"
expect_eq "the component is flowgate's program" "$(xdp_prog_id)" "$FG_ID"

check "xdp-filter loads next to flowgate (allow policy)" \
	xfilter load -m native -p allow "$RX_IF"
XF_ID=$(xdp_prog_id | tr ' ' '\n' | grep -vx "$FG_ID")
expect_eq "the dispatcher runs both programs" \
	"$(xdp_prog_id | tr ' ' '\n' | sort -n | tr '\n' ' ')" \
	"$(printf '%s\n' "$FG_ID" "$XF_ID" | sort -n | tr '\n' ' ')"
OUT=$(fg -j status)
expect_eq "status: flowgate running with its own program id" \
	"$(jget "$OUT" '[[i["running"], i["prog_id"]] for i in d["interfaces"]]')" \
	"[[true, $FG_ID]]"
OUT=$(fg -j attach "$RX_IF")
expect_eq "attach again: already attached, same program" \
	"$(jget "$OUT" '[d["already_attached"], d["prog_id"]]')" "[true, $FG_ID]"

fg_settle || bail "the link does not settle"
rx0=$(rx_of) xf0=$(xf_passed)
send_udp 20
expect_eq "flowgate counts the 20 datagrams" \
	$(($(wait_for rx_of $((rx0 + 20))) - rx0)) 20
expect_eq "xdp-filter passes the same 20" \
	$(($(wait_for xf_passed $((xf0 + 20))) - xf0)) 20

# ---- flowgate leaves: xdp-filter keeps running ----------------------------
check "flowgate detach" fg detach "$RX_IF"
expect_eq "after flowgate's detach: only xdp-filter on the link" \
	"$(xdp_prog_id)" "$XF_ID"
xf0=$(xf_passed)
send_udp 7
expect_eq "xdp-filter still passes traffic (7)" \
	$(($(wait_for xf_passed $((xf0 + 7))) - xf0)) 7

# ---- flowgate joins again, then xdp-filter leaves ---------------------------
OUT=$(fg -j attach "$RX_IF")
FG_ID=$(jget "$OUT" 'd["prog_id"]')
expect_eq "flowgate attaches again next to xdp-filter" \
	"$(xdp_prog_id | tr ' ' '\n' | sort -n | tr '\n' ' ')" \
	"$(printf '%s\n' "$FG_ID" "$XF_ID" | sort -n | tr '\n' ' ')"
check "xdp-filter unload" xfilter unload "$RX_IF"
expect_eq "after xdp-filter's unload: only flowgate on the link" \
	"$(xdp_prog_id)" "$FG_ID"
expect_eq "status: flowgate still running" \
	"$(jget "$(fg -j status)" '[i["running"] for i in d["interfaces"]]')" \
	"[true]"
fg_settle || bail "the link does not settle"
rx0=$(rx_of)
send_udp 9
expect_eq "flowgate still counts traffic (9)" \
	$(($(wait_for rx_of $((rx0 + 9))) - rx0)) 9

check "flowgate detach" fg detach "$RX_IF"
expect_eq "nothing left on the link" "$(xdp_main_prog)" ""
fg_done
