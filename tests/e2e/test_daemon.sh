#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# flowgate daemon config FILE, the ConfigMap pattern: a daemon watching a
# Kubernetes-style ConfigMap volume (the file is a symlink through ..data,
# which kubelet swaps with a rename) applies each new version without
# reloading programs, refuses a file that does not parse (the old
# configuration stays, the error is logged once per bad version), re-reads
# on SIGHUP, applies again when the state was removed and made again, and
# leaves everything in force when it stops. Then a plain file replaced by
# rename and written in place. `daemon check` last.
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
DIR=$(mktemp -d /tmp/fgdaemon.XXXXXX)
DPID=
stop_daemon() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	DPID=
}
cleanup_daemon() {
	stop_daemon
	rm -rf "$DIR"
}
T_CLEANUP_HOOK=cleanup_daemon # run by fg_cleanup (netns.sh)
# The daemon goes first: it would make the pins again (and mount a bpffs
# for them) once fg_cleanup has removed the private one.
trap 'rc=$?; stop_daemon; (exit $rc); fg_cleanup' EXIT

send() { # send DPORT N: UDP from the sender
	ip netns exec "$NS_TX" "$PY" "$FG_ROOT/tests/e2e/rule_send.py" \
		"$TX_IF" "$TX_MAC" "$RX_MAC" "$TX_IP4" "$RX_IP4" "$TX_IP6" \
		"$RX_IP6" udp4 "$1" "$2" >/dev/null
}

rule_drops() {
	jget "$(fg -j stats dev "$RX_IF")" \
		'sum(r["dropped_packets"] for r in d["interfaces"][0]["reasons"] if r["reason"] == "rule")'
}

rules_json() { fg -j rule list; }

# wait_log PATTERN N: until the log has N lines matching (at most 6 s).
wait_log() {
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(grep -c -- "$1" "$LOG")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

start_daemon() { # start_daemon FILE LOG
	LOG=$2
	ip netns exec "$NS_RX" "$FLOWGATE" daemon config "$1" 2>"$LOG" &
	DPID=$!
}

# A ConfigMap volume as kubelet writes it: FILE -> ..data/FILE,
# ..data -> ..VERSION; an update makes ..VERSION2 and renames a new
# ..data symlink over the old one.
cm_publish() { # cm_publish VERSION (content on stdin)
	mkdir -p "$DIR/cm/..$1"
	cat >"$DIR/cm/..$1/flowgate.conf"
	ln -sfn "..$1" "$DIR/cm/..data_tmp"
	mv -T "$DIR/cm/..data_tmp" "$DIR/cm/..data"
	[ -e "$DIR/cm/flowgate.conf" ] ||
		ln -s ..data/flowgate.conf "$DIR/cm/flowgate.conf"
}

fg attach "$RX_IF" >/dev/null || bail "attach"
fg_settle || bail "the link does not settle"

cm_publish v1 <<EOF
# flowgate config, version 1
check ttl-zero drop
[export]
collector udp://192.0.2.10:4739
active-timeout 30
[rules]
src $TX_IP4 proto udp dport 9999 action drop comment "v1"
EOF
start_daemon "$DIR/cm/flowgate.conf" "$DIR/cm.log"
wait_log "applied" 1 || not_ok "daemon: first apply"
expect_eq "v1: one rule in force" \
	"$(jget "$(rules_json)" '[(r["dport"], r["comment"]) for r in d["rules"]]')" \
	'[["9999", "v1"]]'
expect_eq "v1: check ttl-zero drop" \
	"$(jget "$(fg -j config show)" '[c["action"] for c in d["checks"] if c["check"] == "ttl-zero"][0]')" \
	drop
prog=$(xdp_prog_id)
d0=$(rule_drops)
send 9999 10
sleep 0.3
expect_eq "v1: 10 packets dropped by the rule" "$(($(rule_drops) - d0))" 10

cm_publish v2 <<EOF
profile monitor
sampling 4
[rules]
src $TX_IP4 proto udp dport 9998 action drop comment "v2"
dport 22 action count
EOF
wait_log "applied" 2 || not_ok "daemon: apply v2"
expect_eq "v2: ConfigMap swap applied, two rules" \
	"$(jget "$(rules_json)" '[r.get("comment", "") for r in d["rules"]]')" \
	'["v2", ""]'
expect_eq "v2: profile monitor, sampling 4, rule drops are counts" \
	"$(jget "$(fg -j config show)" '(d["profile"], d["sampling"], [c["action"] for c in d["checks"] if c["check"] in ("rule", "ttl-zero")])')" \
	'["monitor", 4, ["count", "count"]]'
expect_eq "v2: the same XDP program runs (no reload)" "$(xdp_prog_id)" \
	"$prog"
gen=$(jget "$(rules_json)" 'd["generation"]')

cm_publish v3 <<EOF
profile strict
[rules]
src $TX_IP4 action drop
src 10.0.0.0/33 action drop
EOF
wait_log "Error: " 1 || not_ok "daemon: v3 refused"
expect_eq "v3 refused: the error names file and line, once" \
	"$(grep 'Error: ' "$LOG")" \
	"Error: $DIR/cm/flowgate.conf:4: bad prefix length in '10.0.0.0/33' (0-32 for IPv4); the configuration in force stays"
expect_eq "v3 refused: rules and generation unchanged" \
	"$(jget "$(rules_json)" '(d["generation"], d["count"])')" "[$gen, 2]"
expect_eq "v3 refused: profile unchanged" \
	"$(jget "$(fg -j config show)" 'd["profile"]')" monitor
# The same bad content again (a new ConfigMap version with it): no new line.
cm_publish v3b <"$DIR/cm/..v3/flowgate.conf"
sleep 1
expect_eq "the same bad content again: still one error line" \
	"$(grep -c 'Error: ' "$LOG")" 1

kill -HUP "$DPID"
wait_log "SIGHUP" 1 || not_ok "daemon: SIGHUP"
wait_log "Error: " 2 || not_ok "daemon: SIGHUP re-reads the bad file"
expect_eq "SIGHUP: re-read, refused again (one line for the signal, one for the error)" \
	"$(grep -c '' "$LOG")" 6

cm_publish v4 <<EOF
[rules]
src $TX_IP4 proto udp dport 9999 action drop comment "v4"
EOF
wait_log "applied" 3 || not_ok "daemon: apply v4"
expect_eq "v4 applied after the bad versions" \
	"$(jget "$(rules_json)" '[r["comment"] for r in d["rules"]]')" '["v4"]'
expect_eq "v4: profile back to default (the file is the whole config)" \
	"$(jget "$(fg -j config show)" '(d["profile"], d["sampling"])')" \
	'["default", 1]'

# ---- changes by hand under the daemon: kept, warned, logged, shown ------------
# A hand change is not undone (it may answer an attack): the CLI says the
# daemon owns that state, the daemon logs the drift once per new
# difference, and status shows it, until the state equals the file again.
CM=$DIR/cm/flowgate.conf
daemon_of() { jget "$(fg -j status)" '[d["config_daemon"][k] for k in ("running", "file", "drift")]'; }
expect_eq "status: the config daemon, its file, no drift" "$(daemon_of)" \
	"[true, \"$CM\", \"none\"]"
err=$(fg config set sampling 8 2>&1 >/dev/null)
expect_eq "config set under the daemon: one Warning: naming the daemon and its file" \
	"$(grep -c "^Warning: flowgate daemon (pid [0-9]*) keeps the settings and rules equal to $CM; this change stays until that file changes" <<<"$err"):$(grep -c '' <<<"$err")" \
	"1:1"
expect_eq "  ... and the change is made" \
	"$(jget "$(fg -j config show)" 'd["sampling"]')" 8
drift1="flowgate daemon: changed by hand, differs from $CM: sampling 8 (file: 1); kept until the file changes or SIGHUP"
wait_log "changed by hand" 1 || not_ok "daemon: notices the drift"
expect_eq "the daemon logs the drift, naming what differs" \
	"$(grep -c -x -- "$drift1" "$LOG")" 1
expect_eq "  ... status shows it" "$(daemon_of)" \
	"[true, \"$CM\", \"sampling 8 (file: 1)\"]"
check "  ... with the time it began" \
	test "$(jget "$(fg -j status)" 'd["config_daemon"]["drift_since_ms"] > 0')" = true
id=$(jget "$(fg -j rule add dport 7 action count 2>/dev/null)" 'd["rules"][0]["id"]')
wait_log "changed by hand" 2 || not_ok "daemon: notices the rule"
expect_eq "a rule added by hand: one more line, the rules named" \
	"$(grep -c -x -- "${drift1%%; kept*}, rules; kept until the file changes or SIGHUP" "$LOG")" 1
sleep 2.5 # one more periodic check: nothing new to say
expect_eq "  ... said once (two drift lines in all)" \
	"$(grep -c 'changed by hand' "$LOG")" 2
fg config set sampling 1 >/dev/null 2>&1
fg rule del "$id" >/dev/null 2>&1
wait_log "equal $CM again" 1 || not_ok "daemon: notices the end of the drift"
expect_eq "back as the file says: one line, status without drift" \
	"$(grep -c -x -- "flowgate daemon: settings and rules equal $CM again" "$LOG"):$(daemon_of)" \
	"1:[true, \"$CM\", \"none\"]"

# The last detach keeps the state; purge removes it, the daemon makes it
# again.
fg detach "$RX_IF" >/dev/null
expect_eq "last detach: the rules stay" \
	"$(jget "$(rules_json)" '[r["comment"] for r in d["rules"]]')" '["v4"]'
fg purge >/dev/null || not_ok "purge"
wait_log "made again" 1 || not_ok "daemon: notices the state is gone"
wait_log "applied" 4 || not_ok "daemon: applies again"
expect_eq "state made again: the rules are back" \
	"$(jget "$(rules_json)" '[r["comment"] for r in d["rules"]]')" '["v4"]'
fg attach "$RX_IF" >/dev/null || bail "attach again"
d0=$(rule_drops)
send 9999 7
sleep 0.3
expect_eq "attached again: the rules apply at once" \
	"$(($(rule_drops) - d0))" 7

kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
expect_eq "SIGTERM: the daemon exits 0" "$rc" 0
expect_eq "SIGTERM: one line says so" "$(grep -c 'stopping on signal 15' "$LOG")" 1
expect_eq "after the daemon: the rules stay in force" \
	"$(jget "$(rules_json)" 'd["count"]')" 1
expect_eq "  ... status no longer shows a config daemon" \
	"$(jget "$(fg -j status)" '"config_daemon" in d')" false
expect_eq "  ... and the CLI no longer warns" \
	"$(fg config set sampling 1 2>&1 >/dev/null)" ""
diag "log: $(tr '\n' '|' <"$LOG")"

# ---- a plain file: replaced by rename, then written in place --------------------
CONF=$DIR/plain/flowgate.conf
mkdir -p "$DIR/plain"
echo "[rules]" >"$CONF"
start_daemon "$CONF" "$DIR/plain.log"
wait_log "applied" 1 || not_ok "plain: first apply"
expect_eq "plain: no rules" "$(jget "$(rules_json)" 'd["count"]')" 0
printf '[rules]\r\ndport 1-1023 proto tcp action count\r\nproto arp action count' \
	>"$DIR/plain/.new"
mv "$DIR/plain/.new" "$CONF"
wait_log "applied" 2 || not_ok "plain: rename applied"
expect_eq "plain: replaced by rename (CRLF, no final newline)" \
	"$(jget "$(rules_json)" 'd["count"]')" 2
printf 'profile nonsense\n' >"$CONF"
wait_log "Error: " 1 || not_ok "plain: bad file refused"
expect_eq "plain: written in place with an error, refused" \
	"$(grep 'Error: ' "$LOG")" \
	"Error: $CONF:1: unknown profile 'nonsense' (default, monitor or strict); the configuration in force stays"
rm "$CONF"
wait_log "cannot read" 1 || not_ok "plain: missing file"
expect_eq "plain: the file removed, rules stay" \
	"$(jget "$(rules_json)" 'd["count"]')" 2
stop_daemon

# ---- daemon check ------------------------------------------------------------------
printf 'profile strict\n[export]\ncollector tcp://[2001:db8::9]\n[rules]\naction count\n' \
	>"$DIR/ok.conf"
out=$(fg -j daemon check "$DIR/ok.conf")
expect_eq "daemon check: a valid file" \
	"$(jget "$out" '(d["valid"], d["profile"], d["rules"], d["collectors"])')" \
	'[true, "strict", 1, 1]'
printf '[export]\nmtu 10\n' >"$DIR/bad.conf"
err=$(fg daemon check "$DIR/bad.conf" 2>&1)
expect_eq "daemon check: a bad file, exit 1 and the line" "$?:$err" \
	"1:Error: $DIR/bad.conf:2: mtu '10': a number from 576 to 65535"
"$PY" -c '
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
print(docs[0]["data"]["flowgate.conf"], end="")' "$FG_ROOT/scripts/k8s-daemonset.yaml" >"$DIR/cm-example.conf"
check "the example ConfigMap in scripts/k8s-daemonset.yaml is valid" \
	fg daemon check "$DIR/cm-example.conf"
fg detach "$RX_IF" >/dev/null
fg_done
