#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guard on a real interface: flowgate attached to the receiving end of a
# veth pair, a known mix of valid and malformed frames sent for real from
# the other namespace, and every counter checked exactly (packets and bytes,
# per reason). Then runtime reconfiguration without reload, the monitor
# profile, detach leaving nothing behind, and the same again in skb mode.
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup

prog_id_of_status() {
	jget "$(fg -j status)" \
		'[i["prog_id"] for i in d["interfaces"] if i["dev"] == "'"$RX_IF"'"][0]'
}

# detach_checks MODE: detach and check nothing is left.
detach_checks() {
	check "$1: detach exits 0" fg detach "$RX_IF"
	expect_eq "$1: no XDP program left on $RX_IF" "$(xdp_mode)" ""
	check "$1: purge exits 0" fg purge
	check "$1: no pins left under \$FLOWGATE_BPFFS" \
		test ! -e "$FLOWGATE_BPFFS"
}

for mode in native skb; do
	out=$(fg -j attach "$RX_IF" mode "$mode")
	rc=$?
	expect_eq "$mode: attach exits 0" "$rc" 0
	[ "$rc" -eq 0 ] || {
		diag "$out"
		continue
	}
	id=$(jget "$out" 'd["prog_id"]')
	kmode=$([ "$mode" = native ] && echo drv || echo skb)
	expect_eq "$mode: kernel reports XDP in $kmode mode" "$(xdp_mode)" \
		"$kmode"
	expect_eq "$mode: the program on the link is the one attach reported" \
		"$(xdp_prog_id)" "$id"
	expect_eq "$mode: fresh state runs the default profile" \
		"$(jget "$(fg -j config show)" 'd["profile"]')" default
	check "$mode: counters settle (kernel start-up chatter over)" fg_settle

	fg_round "$mode default" mix

	if [ "$mode" = native ]; then
		# Runtime change: one map update, the same program keeps running.
		check "config set check tcp-flags count" \
			fg config set check tcp-flags count
		expect_eq "tcp-flags reads back as count" \
			"$(jget "$(fg -j config show)" \
				'[c["action"] for c in d["checks"] if c["check"] == "tcp-flags"][0]')" \
			count
		fg_round "tcp-flags count" synfin --check tcp-flags=count
		expect_eq "no reload: status shows the same program id" \
			"$(prog_id_of_status)" "$id"
		expect_eq "no reload: the same program is on the link" \
			"$(xdp_prog_id)" "$id"

		check "config set profile monitor" \
			fg config set profile monitor
		fg_round "monitor" mix --profile monitor
		expect_eq "monitor: still the same program" "$(xdp_prog_id)" \
			"$id"
	fi
	detach_checks "$mode"
done

fg_done
