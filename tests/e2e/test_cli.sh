#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The CLI on a real interface: exit codes (0 ok, 1 failure, 2 usage), one
# "Error:" line per failure, nothing changed by a failing command, state
# files root-only, privileges named when missing, JSON that parses.
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
ERR=$FG_TMP.err # stderr of the last run()
# shellcheck disable=SC2034 # read by fg_cleanup
T_CLEANUP_HOOK=cli_cleanup
cli_cleanup() { rm -f "$ERR"; }

# run CMD...: sets RC, OUT (stdout), EMSG (stderr) of the command.
run() {
	OUT=$("$@" 2>"$ERR")
	RC=$?
	EMSG=$(cat "$ERR")
}

# expect_fail "name" RC CMD...: exits RC, prints exactly one line on stderr,
# starting "Error: ", and nothing on stdout.
expect_fail() {
	local name=$1 want=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$want" ] && [ -z "$OUT" ] &&
		[ "$(printf '%s\n' "$EMSG" | wc -l)" -eq 1 ] &&
		[[ "$EMSG" == "Error: "* ]]; then
		ok "$name (exit $want, one Error: line)"
	else
		not_ok "$name (exit $want, one Error: line)"
		diag "  exit $RC, stdout '$OUT'"
		diag "  stderr '$EMSG'"
	fi
}

# expect_json "name" CMD...: exits 0 and stdout is one JSON document.
expect_json() {
	local name=$1
	shift
	run "$@"
	if [ "$RC" -eq 0 ] && jvalid "$OUT"; then
		ok "$name: exit 0, JSON parses"
	else
		not_ok "$name: exit 0, JSON parses"
		diag "  exit $RC, stdout '$OUT', stderr '$EMSG'"
	fi
}

# Everything a failing command must not change.
snapshot() {
	echo "config: $(fg -j config show)"
	echo "status: $(fg -j status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for i in d["interfaces"]:
    i.pop("attached_since", None)
print(json.dumps(d, sort_keys=True))')"
	echo "link: $(xdp_prog_id)"
	echo "pins: $(find "$FLOWGATE_BPFFS" -printf '%m %P\n' 2>&1 | sort)"
}

# ---- before any state -------------------------------------------------------

expect_json "config show without state" fg -j config show
expect_eq "config show without state: default profile" \
	"$(jget "$OUT" 'd["profile"]')" default
expect_json "status without state" fg -j status
expect_eq "status without state: loaded false, no interface" \
	"$(jget "$OUT" '[d["loaded"], d["interfaces"]]')" "[false, []]"
expect_fail "stats without state" 1 fg stats
check "help exits 0" fg help
expect_eq "no arguments: usage on stderr, exit 2" \
	"$(fg >/dev/null 2>&1; echo $?)" 2

# ---- attach -----------------------------------------------------------------

expect_json "attach" fg -j attach "$RX_IF"
expect_eq "attach: JSON already_attached false, mode native" \
	"$(jget "$OUT" '[d["dev"], d["already_attached"], d["mode"]]')" \
	"[\"$RX_IF\", false, \"native\"]"
id=$(jget "$OUT" 'd["prog_id"]')
expect_eq "attach: kernel runs the program attach reported" \
	"$(xdp_prog_id)" "$id"

run fg attach "$RX_IF"
if [ "$RC" -eq 0 ] && grep -Eq '^already_attached +yes$' <<<"$OUT"; then
	ok "attach again: exit 0, says already attached"
else
	not_ok "attach again: exit 0, says already attached"
	diag "  exit $RC: $OUT $EMSG"
fi
expect_json "attach again -j" fg -j attach "$RX_IF"
expect_eq "attach again -j: already_attached true, same program" \
	"$(jget "$OUT" '[d["already_attached"], d["prog_id"]]')" "[true, $id]"
expect_eq "attach again: still the same program on the link" \
	"$(xdp_prog_id)" "$id"

expect_json "status" fg -j status
expect_eq "status: lists $RX_IF running, native, xdp, with its id" \
	"$(jget "$OUT" '[[i["dev"], i["running"], i["mode"], i["hook"], i["prog_id"]] for i in d["interfaces"]]')" \
	"[[\"$RX_IF\", true, \"native\", \"xdp\", $id]]"
expect_eq "status: pin_dir is \$FLOWGATE_BPFFS, loaded" \
	"$(jget "$OUT" '[d["pin_dir"], d["loaded"]]')" \
	"[\"$FLOWGATE_BPFFS\", true]"
expect_json "status -p (pretty)" fg -p status
expect_json "stats" fg -j stats
expect_json "stats dev" fg -j stats dev "$RX_IF"
expect_eq "stats dev: one interface, conserved" \
	"$(jget "$OUT" '[(i["dev"], i["conserved"]) for i in d["interfaces"]]')" \
	"[[\"$RX_IF\", true]]"
expect_json "config show" fg -j config show
expect_eq "config show: every check of FG_REASONS, with a description" \
	"$(jget "$OUT" 'len([c for c in d["checks"] if c["description"] and c["action"] in ("off", "count", "drop")])')" \
	"$(grep -c '^	X(' "$FG_ROOT/include/fg_common.h")"

# ---- state files are root's only ------------------------------------------

expect_eq "pin dir is mode 0700" "$(stat -c %a "$FLOWGATE_BPFFS")" 700
pins=$(find "$FLOWGATE_BPFFS" -mindepth 1 | wc -l)
bad=$(find "$FLOWGATE_BPFFS" -mindepth 1 ! -perm 0600 -printf '%p %m\n')
if [ "$pins" -gt 0 ] && [ -z "$bad" ]; then
	ok "every pin ($pins) is mode 0600"
else
	not_ok "every pin ($pins) is mode 0600"
	diag "  $bad"
fi

# ---- failures change nothing -----------------------------------------------

before=$(snapshot)
expect_fail "unknown object" 2 fg frobnicate
expect_fail "unknown verb" 2 fg config frob
expect_fail "unknown attach mode" 2 fg attach "$RX_IF" mode turbo
expect_fail "unknown attach argument" 2 fg attach "$RX_IF" speed 10
expect_fail "unknown check" 2 fg config set check no-such-check drop
expect_fail "unknown action" 2 fg config set check tcp-flags maybe
expect_fail "unknown profile" 2 fg config set profile paranoid
expect_fail "config set without value" 2 fg config set check tcp-flags
expect_fail "config show with argument" 2 fg config show extra
expect_fail "stats dev without device" 2 fg stats dev
expect_fail "detach without device" 2 fg detach
expect_fail "status with argument" 2 fg status extra
expect_fail "--bpffs without directory" 2 fg status --bpffs
expect_fail "unknown object, JSON mode too" 2 fg -j frobnicate
expect_fail "attach to a missing device" 1 fg attach fgt-nodev
expect_fail "stats of a missing device" 1 fg stats dev fgt-nodev
expect_fail "detach a missing device" 1 fg detach fgt-nodev
expect_fail "detach a device flowgate is not on" 1 fg detach lo
expect_fail "attach in skb mode where native runs" 1 \
	fg attach "$RX_IF" mode skb

# Privileges: no capabilities at all, then only CAP_NET_ADMIN missing.
nocaps() { # the CLI with CAP_BPF, CAP_SYS_ADMIN, CAP_NET_ADMIN dropped
	ip netns exec "$NS_RX" capsh \
		--drop=cap_bpf,cap_sys_admin,cap_net_admin -- -c '"$0" "$@"' \
		"$FLOWGATE" "$@"
}
nonet() { # the CLI without CAP_NET_ADMIN only
	ip netns exec "$NS_RX" capsh --drop=cap_net_admin -- -c '"$0" "$@"' \
		"$FLOWGATE" "$@"
}
expect_fail "stats without privileges" 1 nocaps stats
expect_eq "stats without privileges: names CAP_BPF" \
	"$(grep -c 'CAP_BPF' <<<"$EMSG")" 1
expect_fail "attach without privileges" 1 nocaps attach "$RX_IF"
expect_fail "attach without CAP_NET_ADMIN" 1 nonet attach "$RX_IF"
expect_eq "attach without CAP_NET_ADMIN: names it" \
	"$(grep -c 'CAP_NET_ADMIN' <<<"$EMSG")" 1
expect_fail "config set without privileges" 1 \
	nocaps config set profile monitor
# As an unprivileged user (nobody), when that user may run the binary.
if setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	test -x "$FLOWGATE" 2>/dev/null; then
	expect_fail "stats as user nobody" 1 ip netns exec "$NS_RX" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$FLOWGATE" stats
	expect_eq "stats as user nobody: names CAP_BPF" \
		"$(grep -c 'CAP_BPF' <<<"$EMSG")" 1
else
	skip "stats as user nobody" "nobody cannot execute $FLOWGATE"
	skip "stats as user nobody: names CAP_BPF" "see above"
fi

# A failed attach leaves no state behind: a second, independent flowgate
# state (--bpffs elsewhere) cannot take the interface the first one holds.
OTHER=$FG_TMP/other
expect_fail "attach from another state where flowgate runs" 1 \
	fg --bpffs "$OTHER" attach "$RX_IF"
check "that failed attach left no state (no $OTHER)" test ! -e "$OTHER"
after=$(snapshot)
expect_eq "none of the failing commands changed config, status, link, pins" \
	"$after" "$before"

# ---- config set, JSON of every verb ------------------------------------------

expect_json "config set check" fg -j config set check port-zero count
expect_eq "config set check: reads back as count, marked override" \
	"$(jget "$(fg -j config show)" '[(c["action"], c["override"]) for c in d["checks"] if c["check"] == "port-zero"][0]')" \
	'["count", true]'
expect_json "config set profile" fg -j config set profile strict
expect_eq "config set profile: strict drops ttl-zero, no override left" \
	"$(jget "$(fg -j config show)" '[d["profile"], [c["action"] for c in d["checks"] if c["check"] == "ttl-zero"][0], any(c["override"] for c in d["checks"])]')" \
	'["strict", "drop", false]'
check "config set profile default" fg config set profile default
expect_eq "config is the initial one again" "$(fg -j config show)" \
	"$(sed -n 's/^config: //p' <<<"$before")"
expect_eq "program never reloaded by config changes" "$(xdp_prog_id)" "$id"

# ---- detach -----------------------------------------------------------------

expect_json "detach" fg -j detach "$RX_IF"
expect_eq "detach: JSON says detached" \
	"$(jget "$OUT" '[d["dev"], d["detached"]]')" "[\"$RX_IF\", true]"
expect_eq "detach: no XDP program on the link" "$(xdp_prog_id)" ""
check "detach: the last interface gone, the policy stays pinned" \
	test -e "$FLOWGATE_BPFFS/fg_config"
expect_fail "detach again" 1 fg detach "$RX_IF"
expect_json "status after detach" fg -j status
expect_eq "status after detach: state kept, no interface" \
	"$(jget "$OUT" '[d["loaded"], d["interfaces"]]')" "[true, []]"
expect_json "purge" fg -j purge
expect_eq "purge: JSON says purged" "$(jget "$OUT" 'd["purged"]')" true
check "purge: no pins left" test ! -e "$FLOWGATE_BPFFS"
expect_json "status after purge" fg -j status
expect_eq "status after purge: nothing loaded" \
	"$(jget "$OUT" '[d["loaded"], d["interfaces"]]')" "[false, []]"

# config set before any attach creates the state, and the next attach
# runs with it.
check "config set before attach" fg config set check tcp-flags count
expect_json "attach after config set" fg -j attach "$RX_IF" mode skb
expect_eq "attach after config set: the setting holds" \
	"$(jget "$(fg -j config show)" '[c["action"] for c in d["checks"] if c["check"] == "tcp-flags"][0]')" \
	count
check "detach (skb)" fg detach "$RX_IF"
expect_eq "detach (skb): no XDP program on the link" "$(xdp_prog_id)" ""

fg_done
