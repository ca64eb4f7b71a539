#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The table of bad inputs (tests/e2e/badinput.py, generated from the valid
# grammar of rules, config files, URLs and command lines): for each, the
# exit code, exactly one Error: line naming the cause, and the state
# (status, rules, config, pins, files) byte-for-byte unchanged. Then what
# the table cannot hold: kill -9 and restart of each daemon, and
# collectors that refuse, reset or stall.
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
DIR=$(mktemp -d /tmp/fgbad.XXXXXX)
PIDS=()
cleanup_bad() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	umount "$DIR/full" 2>/dev/null
	rm -rf "$DIR"
}
T_CLEANUP_HOOK=cleanup_bad
PCAP=$FG_ROOT/tests/pcap/captures/ipv4.pcap
[ -r "$PCAP" ] || bail "no $PCAP"

# The state every case must leave as it is: attached, rules, settings.
fg attach "$RX_IF" >/dev/null || bail "attach"
fg rule add src 198.51.100.0/24 action drop comment "keep me" >/dev/null
fg rule add proto tcp dport 22 action count >/dev/null
fg config set check ttl-zero count >/dev/null
fg config set sampling 3 >/dev/null
# Files the cases aim at: none may change.
echo "rules of the operator" >"$DIR/kept.rules"
mknod "$DIR/node" c 1 3
mkfifo "$DIR/fifo"
ln -s nowhere "$DIR/dangling"
mkdir "$DIR/full"
mount -t tmpfs -o size=64k tmpfs "$DIR/full" || bail "tmpfs"
dd if=/dev/zero of="$DIR/full/filler" bs=4k 2>/dev/null
echo "old rules" >"$DIR/full/r.rules" 2>/dev/null

tap_tsv < <("$PY" "$FG_ROOT/tests/e2e/badinput.py" run "$NS_RX" "$DIR" "$PCAP" ||
	printf 'not ok\tbadinput.py failed\t\n')
check "the table has at least 150 cases ($TAP_N)" test "$TAP_N" -ge 150

# Rules (generation aside: a daemon applying the same file may publish
# it again), settings, attachment, and which pins exist; the config
# daemon's own record (its pid, running or not) aside.
snap() {
	jget "$(fg -j status)" '{k: v for k, v in d.items() if k != "config_daemon"}'
	fg -j rule list | sed 's/"generation":[0-9]*,//'
	fg -j config show
	ls "$FLOWGATE_BPFFS"
}

# ---- kill -9 and restart of each daemon -------------------------------------
cat >"$DIR/fg.conf" <<'EOF'
check ttl-zero count
sampling 3
[rules]
src 198.51.100.0/24 action drop comment "keep me"
proto tcp dport 22 action count
EOF
for daemon in "export file $DIR/out.ipfix interval 200" \
	"daemon config $DIR/fg.conf"; do
	# shellcheck disable=SC2086
	ip netns exec "$NS_RX" "$FLOWGATE" $daemon 2>"$DIR/d.log" &
	p=$!
	PIDS+=("$p")
	sleep 1
	s0=$(snap) # with what the daemon keeps of its own (exporter pins)
	kill -9 "$p"
	wait "$p" 2>/dev/null
	expect_eq "${daemon%% *}: kill -9 leaves rules, config and pins as they were" \
		"$(snap)" "$s0"
	[ "${daemon%% *}" = daemon ] &&
		expect_eq "daemon: after kill -9, status says it is not running" \
			"$(jget "$(fg -j status)" '[d["config_daemon"]["pid"], d["config_daemon"]["running"]]')" \
			"[$p, false]"
	# shellcheck disable=SC2086
	ip netns exec "$NS_RX" "$FLOWGATE" $daemon 2>"$DIR/d.log" &
	p=$!
	PIDS+=("$p")
	sleep 1
	check "${daemon%% *}: starts again after kill -9" kill -0 "$p"
	expect_eq "${daemon%% *}: restarted, nothing changed" "$(snap)" "$s0"
	kill -TERM "$p"
	wait "$p"
	expect_eq "${daemon%% *}: SIGTERM after the restart exits 0" "$?" 0
	expect_eq "${daemon%% *}: no Error: in its log" \
		"$(grep -c '^Error:' "$DIR/d.log")" 0
done

# ---- collectors that refuse, reset or stall ---------------------------------
# A server on 127.0.0.1 of the host namespace, as replay runs there.
serve() { # serve MODE PORT: refuse | reset | stall
	"$PY" - "$1" "$2" <<'EOF' &
import socket, struct, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", port))
s.listen(8)
end = time.time() + 30
while time.time() < end:
    s.settimeout(end - time.time())
    try:
        c, _ = s.accept()
    except OSError:
        break
    if mode == "reset":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        c.close()
    else:
        time.sleep(30)  # stall: never reads
EOF
	PIDS+=("$!")
	sleep 0.5
}
# 3000 flows, about 150 KB of IPFIX: more than a stalled collector's
# window takes.
"$PY" - "$DIR/many.pcap" <<'EOF' || bail "cannot write many.pcap"
import sys
from scapy.all import Ether, IP, UDP, wrpcap
wrpcap(sys.argv[1], [Ether() / IP(src="192.0.2.1", dst="198.51.100.1") /
                     UDP(sport=1024 + i, dport=53) for i in range(3000)])
EOF
for mode in reset stall; do
	port=$((20000 + RANDOM % 20000))
	serve "$mode" "$port"
	out=$("$FLOWGATE" replay "$DIR/many.pcap" collector \
		"tcp://127.0.0.1:$port" 2>&1 >/dev/null)
	rc=$?
	expect_eq "replay to a collector that does $mode: exit 1, one Error: naming the loss" \
		"$rc:$(grep -c '^Error: export: [0-9]* records not sent to tcp://127.0.0.1:' <<<"$out"):$(grep -c '^Error:' <<<"$out")" \
		"1:1:1"
done
out=$("$FLOWGATE" replay "$PCAP" collector tcp://127.0.0.1:1 2>&1 >/dev/null)
expect_eq "replay to a collector that refuses: exit 1, one Error:" \
	"$?:$(grep -c '^Error: export: .* not sent' <<<"$out")" "1:1"

fg_done
