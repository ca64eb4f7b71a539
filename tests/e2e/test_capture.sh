#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# flowgate capture on a veth lab: a known mix of valid and malformed frames
# sent for real, and the pcapng checked through tshark: exactly the dropped
# frames, byte-identical up to snaplen, each with its verdict and reason;
# to a file and to a pipe; stopped by SIGINT, count and duration; a reason
# filter; the token bucket (captured obeys it, the rest is suppressed); a
# ring too small (lost counted, captured + suppressed + lost = selected);
# the TC hooks (fg_tc_in's drops, fg_tc_out's passes going out); and bad
# input.
set -u
. "$(dirname "$0")/../lib/netns.sh"

command -v tshark >/dev/null || bail "no tshark (scripts/deps.sh installs it)"
CHECK=$FG_ROOT/tests/e2e/capture_check.py
D=$(mktemp -d /tmp/fgcap.XXXXXX) || bail "mktemp"
CAP_PIDS=()
cap_cleanup() {
	local p
	for p in "${CAP_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$D"
}
T_CLEANUP_HOOK=cap_cleanup
fg_setup

# Send a set from the sender (pinned to one CPU: one token bucket); the
# frames sent, as JSON, in $D/$1.frames.
send() { # send NAME SET [capture_check.py send options]
	local name=$1 set=$2
	shift 2
	ip netns exec "$NS_TX" taskset -c 0 "$PY" "$CHECK" send \
		--iface "$TX_IF" --src-mac "$TX_MAC" --dst-mac "$RX_MAC" \
		--src4 "$TX_IP4" --dst4 "$RX_IP4" --src6 "$TX_IP6" \
		--dst6 "$RX_IP6" --set "$set" "$@" >"$D/$name.frames"
}

# Start a capture in the background (its pid in CAP_PID, summary JSON in
# $D/NAME.sum, exit code in $D/NAME.rc) and wait until it runs.
cap_start() { # cap_start NAME ARGS...
	local name=$1 i
	shift
	(
		ip netns exec "$NS_RX" "$FLOWGATE" -j capture "$@" \
			>"$D/$name.sum" 2>"$D/$name.err"
		echo $? >"$D/$name.rc"
	) &
	CAP_PIDS+=($!)
	cap_wait_active
}

cap_wait_active() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(jget "$(fg -j stats)" 'd["capture"]["active"]')" = true ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# The flowgate process of the capture (not the subshell around it).
cap_pid() {
	jget "$(fg -j stats)" 'd["capture"].get("pid", "")'
}

cap_wait_done() { # cap_wait_done NAME [seconds]
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		[ -s "$D/$1.rc" ] && return 0
		sleep 0.1
	done
	return 1
}


# Counts over the frames of a send (files too big for an argument).
frames_eval() { # frames_eval NAME EXPR
	"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$D/$1.frames" "$2"
}
nframes() { frames_eval "$1" 'len(d)'; }
ndrops() { frames_eval "$1" 'len([f for f in d if f["drop"]])'; }

# The capture_check.py lines as TAP, prefixed with LABEL (in this shell:
# never at the end of a pipe).
tap_lines() { # tap_lines LABEL < lines
	local st name rest
	while IFS=$'\t' read -r st name rest; do
		if [ "$st" = ok ]; then
			ok "$1: $name"
		else
			not_ok "$1: $name"
			[ -n "$rest" ] && diag "  $rest"
		fi
	done
}

tshark_json() { # tshark_json PCAPNG OUT
	tshark -r "$1" -T json -x >"$2" 2>/dev/null
}

sumget() { jget "$(cat "$D/$1.sum")" "$2"; }

# Every reason's kernel counters in a summary add up: captured +
# suppressed + lost = selected, overall and reason by reason.
conserved() { # conserved NAME
	sumget "$1" 'all(r["captured"] + r["suppressed"] + r["lost"] == r["selected"] for r in d["kernel"]["reasons"] + [d["kernel"]])'
}

out=$(fg -j attach "$RX_IF")
expect_eq "attach exits 0" "$?" 0
expect_eq "attach reports the default ring (4 MiB)" \
	"$(jget "$out" 'd["capture_ring"]')" 4194304
check "counters settle" fg_settle

# ---- 1. drops to a file, stopped by SIGINT --------------------------------
expect_eq "stats: no capture running" \
	"$(jget "$(fg -j stats)" 'd["capture"]["active"]')" false
before=$(fg_rx)
cap_start a drops write "$D/a.pcapng" ||
	not_ok "file: capture starts (stats shows it active)"
send a mix
n=$(nframes a) nd=$(ndrops a)
fg_rx_wait $((before + n)) || diag "not every frame arrived"
pid=$(cap_pid)
kill -INT "$pid"
cap_wait_done a
expect_eq "file: SIGINT ends the capture with exit 0" "$(cat "$D/a.rc")" 0
expect_eq "file: summary says stopped by a signal" \
	"$(sumget a 'd["stopped_by"]')" signal
expect_eq "file: $nd of $n frames dropped and written" \
	"$(sumget a 'd["written"]')" "$nd"
expect_eq "file: the kernel selected and captured them all" \
	"$(sumget a '[d["kernel"]["selected"], d["kernel"]["captured"], d["kernel"]["suppressed"], d["kernel"]["lost"]]')" \
	"[$nd, $nd, 0, 0]"
expect_eq "file: captured by reason as sent" \
	"$(sumget a 'sorted((r["reason"], r["captured"]) for r in d["kernel"]["reasons"])')" \
	"$(jget "$(cat "$D/a.frames")" 'sorted((r, sum(1 for f in d if f["drop"] == r)) for r in set(f["drop"] for f in d if f["drop"]))')"
if tshark_json "$D/a.pcapng" "$D/a.json"; then
	ok "file: tshark reads the file"
	tap_lines "file" < <("$PY" "$CHECK" check "$D/a.json" "$D/a.frames" \
		--ifname "$RX_IF")
else
	not_ok "file: tshark reads the file"
fi
expect_eq "file: tshark -e frame.comment shows each verdict and reason" \
	"$(tshark -r "$D/a.pcapng" -T fields -e frame.comment 2>/dev/null |
		cut -d' ' -f1-2 | sort | uniq -c | awk '{print $1, $3}' | sort | tr '\n' ' ')" \
	"$(jget "$(cat "$D/a.frames")" '" ".join(sorted("%d reason=%s" % (sum(1 for f in d if f["drop"] == r), r) for r in set(f["drop"] for f in d if f["drop"]))) + " "')"
expect_eq "stats: the capture's counters since attach" \
	"$(jget "$(fg -j stats)" '[d["capture"]["active"], d["capture"]["counters"]["captured"]]')" \
	"[false, $nd]"

# TEST_SHORT (the kernel matrix's short selection, tests/vm/test_matrix.sh):
# 1 and 8 only, the XDP and the TC capture; every tshark and scapy start
# costs seconds under emulation. The sections between run otherwise.
if [ -n "${TEST_SHORT:-}" ]; then
	fg detach "$RX_IF" >/dev/null
	skip "sections 2-7: pipe, reason, bucket, refusal, bad input, small ring" \
		"TEST_SHORT (the kernel matrix's short selection)"
else # sections 2-7, not indented

# ---- 2. to a pipe: tshark -r -, snaplen, stopped by count -----------------
(
	ip netns exec "$NS_RX" "$FLOWGATE" -j capture drops snaplen 60 \
		count "$nd" write - 2>"$D/b.sum" |
		tshark -r - -T json -x >"$D/b.json" 2>/dev/null
	echo "${PIPESTATUS[*]}" >"$D/b.rc"
) &
CAP_PIDS+=($!)
cap_wait_active || not_ok "pipe: capture starts"
send b mix
cap_wait_done b
expect_eq "pipe: capture and tshark exit 0 (count reached)" \
	"$(cat "$D/b.rc")" "0 0"
expect_eq "pipe: summary (on stderr) says stopped by count" \
	"$(sumget b '[d["stopped_by"], d["written"]]')" "[\"count\", $nd]"
tap_lines "pipe, snaplen 60" < <("$PY" "$CHECK" check "$D/b.json" \
	"$D/b.frames" --snaplen 60 --ifname "$RX_IF")

# ---- 3. one reason, stopped by duration -------------------------------------
# (long enough for scapy to start and send on a loaded machine)
cap_start c reason tcp-flags duration 10 write "$D/c.pcapng" ||
	not_ok "reason: capture starts"
send c mix
cap_wait_done c 15
expect_eq "reason: duration ends the capture with exit 0" \
	"$(cat "$D/c.rc")" 0
expect_eq "reason: stopped by duration" "$(sumget c 'd["stopped_by"]')" \
	duration
tshark_json "$D/c.pcapng" "$D/c.json"
tap_lines "reason tcp-flags" < <("$PY" "$CHECK" check "$D/c.json" \
	"$D/c.frames" --reasons tcp-flags)

# ---- 4. the token bucket ----------------------------------------------------
# 1 packet a second after a burst of 3, per CPU; the sender runs on one.
start=$(date +%s.%N)
cap_start d drops limit 1 burst 3 write "$D/d.pcapng" ||
	not_ok "limit: capture starts"
send d mix --repeat 5
pid=$(cap_pid)
kill -INT "$pid"
cap_wait_done d
secs=$(echo "$(date +%s.%N) - $start" | bc)
sel=$(sumget d 'd["kernel"]["selected"]')
capd=$(sumget d 'd["kernel"]["captured"]')
expect_eq "limit: every drop selected" "$sel" "$(ndrops d)"
expect_eq "limit: captured + suppressed + lost = selected, by reason" \
	"$(conserved d)" true
check "limit: captured ($capd) within the burst (3) + 1/s over ${secs}s, on one CPU" \
	"$PY" -c "import sys; sys.exit(not 3 <= $capd <= 3 + int($secs) + 1)"
check "limit: the rest is counted as suppressed" \
	test "$(sumget d 'd["kernel"]["suppressed"]')" -eq $((sel - capd))
expect_eq "limit: the file holds what was captured" \
	"$(tshark -r "$D/d.pcapng" 2>/dev/null | wc -l)" "$capd"

# ---- 5. a second capture is refused ---------------------------------------
cap_start e drops write "$D/e.pcapng"
out=$(fg capture drops write "$D/f.pcapng" 2>&1)
expect_eq "one at a time: a second capture exits 1" "$?" 1
check "one at a time: it says why" grep -q "^Error: a capture is already running" <<<"$out"
check "one at a time: it wrote no file" test ! -e "$D/f.pcapng"
expect_eq "one at a time: the first still runs" \
	"$(jget "$(fg -j stats)" 'd["capture"]["active"]')" true
kill -INT "$(cap_pid)"
cap_wait_done e
expect_eq "one at a time: the first ends normally" "$(cat "$D/e.rc")" 0

# ---- 6. bad input -------------------------------------------------------------
out=$(fg capture drops 2>&1)
expect_eq "usage: no output is exit 2" "$?" 2
check "usage: it names write" grep -q "^Error: .*write FILE" <<<"$out"
out=$(fg capture reason no-such-check write "$D/g.pcapng" 2>&1)
expect_eq "usage: unknown reason is exit 2" "$?" 2
out=$(fg capture dev nosuchdev0 write "$D/g.pcapng" 2>&1)
expect_eq "no such device: exit 1" "$?" 1
check "no such device: nothing written" test ! -e "$D/g.pcapng"
out=$(fg capture snaplen 5000 write "$D/g.pcapng" 2>&1)
expect_eq "snaplen beyond the record: exit 2" "$?" 2

# ---- 7. a ring too small: lost counted ----------------------------------------
fg detach "$RX_IF" >/dev/null
out=$(fg -j attach "$RX_IF" capture-ring 4k)
expect_eq "small ring: attach capture-ring 4k" \
	"$(jget "$out" 'd["capture_ring"]')" 4096
fg_settle
# The reader stalls behind a pipe (64 KiB) until every drop has come: the
# capture blocks on it and the ring (22 small records) fills.
before=$(fg_rx)
(
	ip netns exec "$NS_RX" "$FLOWGATE" -j capture drops write - \
		2>"$D/h.sum" | {
		while [ ! -e "$D/h.go" ]; do sleep 0.1; done
		cat >"$D/h.pcapng"
	}
	echo "${PIPESTATUS[0]}" >"$D/h.rc"
) &
CAP_PIDS+=($!)
cap_wait_active || not_ok "small ring: capture starts"
pid=$(cap_pid)
send h bad --repeat 100
fg_rx_wait $((before + $(nframes h))) || diag "not every frame arrived"
touch "$D/h.go"
kill -INT "$pid"
cap_wait_done h 15
expect_eq "small ring: exit 0" "$(cat "$D/h.rc")" 0
sel=$(sumget h 'd["kernel"]["selected"]')
expect_eq "small ring: every drop selected" "$sel" "$(ndrops h)"
check "small ring: packets were lost to the full ring ($(sumget h 'd["kernel"]["lost"]'))" \
	test "$(sumget h 'd["kernel"]["lost"]')" -gt 0
expect_eq "small ring: captured + suppressed + lost = selected, by reason" \
	"$(conserved h)" true
expect_eq "small ring: written = captured" \
	"$(sumget h 'd["written"] == d["kernel"]["captured"]')" true
expect_eq "small ring: tshark reads them all" \
	"$(tshark -r "$D/h.pcapng" 2>/dev/null | wc -l)" \
	"$(sumget h 'd["written"]')"
fg detach "$RX_IF" >/dev/null
fi # sections 2-7

# ---- 8. TC: fg_tc_in's drops, fg_tc_out's passes going out --------------------
fg -j attach "$RX_IF" hook tc >/dev/null
fg_settle
cap_start i all write "$D/i.pcapng" || not_ok "tc: capture starts"
before=$(fg_rx)
send i mix
sleep 0.5
kill -INT "$(cap_pid)"
cap_wait_done i
expect_eq "tc: exit 0" "$(cat "$D/i.rc")" 0
tshark -r "$D/i.pcapng" -T fields -e frame.packet_flags_direction \
	-e frame.comment 2>/dev/null >"$D/i.fields"
expect_eq "tc: every dropped frame captured inbound" \
	"$(grep -c '^0x00000001.verdict=drop' "$D/i.fields")" "$(ndrops i)"
check "tc: replies going out captured as passes, outbound" \
	grep -q '^0x00000002.verdict=pass reason=none' "$D/i.fields"
fg detach "$RX_IF" >/dev/null

fg_done
