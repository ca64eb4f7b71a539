#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Issue 15, one assertion per promise: a command never destroys what it was
# not asked to change (rule save targets, policy across detach/attach, empty
# rule files), the state reported is the state that exists (stats of an
# interface not attached, rtt not enabled, a full flow table), no loss is
# silent (a refusing TCP collector, collector URLs), and errors name the
# real cause (directories, trailing comments, rule numbers, IPv4-mapped
# prefixes).
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
DIR=$T_DIR

# fails NAME RC PATTERN CMD...: exit code RC and exactly one "Error:" line,
# which matches PATTERN (grep -E).
fails() {
	local name=$1 want=$2 pat=$3 out rc n
	shift 3
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	n=$(grep -c '^Error: ' <<<"$out")
	if [ "$rc" = "$want" ] && [ "$n" = 1 ] && grep -qE -- "$pat" <<<"$out"; then
		ok "$name"
	else
		not_ok "$name"
		diag "  exit $rc (want $want), $n Error: lines, output:"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

send() { # send SET: flow_send.py's packets from the sender
	ip netns exec "$NS_TX" "$PY" "$FG_ROOT/tests/e2e/flow_send.py" \
		"$TX_IF" "$TX_MAC" "$RX_MAC" "$TX_IP4" "$RX_IP4" "$TX_IP6" \
		"$RX_IP6" "$1" >/dev/null
}

rules_of() { jget "$(fg -j rule list)" '[(r["id"], r.get("src"), r["action"]) for r in d["rules"]]'; }

# ---- rule save: targets --------------------------------------------------------
fg rule add src 198.51.100.0/24 action drop comment "#1 attack" >/dev/null ||
	bail "rule add"
fg rule add proto tcp dport 22 action count >/dev/null || bail "rule add"

mknod "$DIR/null" c 1 3
fails "save to a device node: refused" 1 "not a regular file" \
	fg rule save "$DIR/null"
check "  ... the device node is still one" test -c "$DIR/null"
mkfifo "$DIR/fifo"
fails "save to a FIFO: refused" 1 "not a regular file" fg rule save "$DIR/fifo"
check "  ... the FIFO is still one" test -p "$DIR/fifo"
fails "save to a directory: 'is a directory'" 1 "is a directory" \
	fg rule save "$DIR"
check "  ... no temporary file left in it" \
	sh -c "! ls '$DIR' | grep -q tmp"

echo old >"$DIR/target"
ln -s target "$DIR/link"
check "save through a symlink" fg rule save "$DIR/link"
check "  ... the link stays a link" test -L "$DIR/link"
check "  ... its target holds the rules" grep -q "dport 22" "$DIR/target"

echo old >"$DIR/kept"
chmod 0640 "$DIR/kept"
chown nobody:nogroup "$DIR/kept"
check "save over an existing file" fg rule save "$DIR/kept"
expect_eq "  ... it keeps its mode and owner" \
	"$(stat -c '%a %U:%G' "$DIR/kept")" "640 nobody:nogroup"

out=$(cd "$DIR" && fg rule save -)
expect_eq "save -: the rules on stdout" \
	"$(grep -c ' action ' <<<"$out")" 2
check "  ... no file named '-'" test ! -e "$DIR/-"
expect_eq "  ... the comment starting with # is quoted" \
	"$(grep -c 'comment "#1 attack"' <<<"$out")" 1

# ---- rule load: empty files, what a load changes ---------------------------------
before=$(rules_of)
: >"$DIR/empty"
fails "load of an empty file: refused" 1 "has no rule.*--allow-empty" \
	fg rule load "$DIR/empty"
fails "load of /dev/null: refused" 1 "has no rule" fg rule load /dev/null
printf '# only a comment\n\n' >"$DIR/comments"
fails "load of a file of comments: refused" 1 "has no rule" \
	fg rule load "$DIR/comments"
expect_eq "  ... the rules are as they were" "$(rules_of)" "$before"
fails "load of a directory: 'is a directory'" 1 "Is a directory" \
	fg rule load "$DIR"
printf 'src 198.51.100.0/24 action drop comment "#1 attack"  # kept\n' \
	>"$DIR/one"
printf 'src 203.0.113.0/24 action drop # added\n' >>"$DIR/one"
j=$(fg -j rule load "$DIR/one")
expect_eq "load reports added, removed, kept" \
	"$(jget "$j" '[d["rules"], d["added"], d["removed"], d["kept"]]')" \
	"[2, 1, 1, 1]"
j=$(fg -j rule load "$DIR/empty" --allow-empty)
expect_eq "load --allow-empty: every rule removed, said so" \
	"$?:$(jget "$j" '[d["rules"], d["removed"]]')" "0:[0, 2]"

# ---- rule errors name the rule -----------------------------------------------------
fg rule add src 192.0.2.99 action drop >/dev/null
fails "duplicate rule add: 'the new rule', no rule number" 1 \
	"the new rule has the same match and prio as rule [0-9]+" \
	fg rule add src 192.0.2.99 action drop
for i in $(seq 1 17); do echo "proto udp dport $i action count"; done \
	>"$DIR/glob"
fails "17 rules without an address: the 17th line named" 1 \
	"glob:17: .*line 17 is one too many" fg rule load "$DIR/glob"
fails "src ::ffff:198.51.100.1 refused" 2 "IPv4-mapped.*198\.51\.100\.1" \
	fg rule add src ::ffff:198.51.100.1 action drop
fails "dst ::ffff:0:0/96 refused" 2 "IPv4-mapped" \
	fg rule add dst ::ffff:0:0/96 action drop

# ---- policy survives detach / attach ---------------------------------------------
fg config set profile strict >/dev/null
fg config set sampling 4 >/dev/null
fg config set check ttl-zero count >/dev/null
policy() {
	jget "$(fg -j config show)" '[d["profile"], d["sampling"], [c["action"] for c in d["checks"] if c["check"] == "ttl-zero"]]'
	rules_of
}
p0=$(policy)
fg attach "$RX_IF" >/dev/null || bail "attach"
fg detach "$RX_IF" >/dev/null || bail "detach"
expect_eq "detach of the last interface keeps rules, profile, checks, sampling" \
	"$(policy)" "$p0"
fg attach "$RX_IF" >/dev/null || bail "attach again"
expect_eq "  ... and the next attach runs with them" "$(policy)" "$p0"
fails "purge while attached: refused" 1 "detach every interface" fg purge
expect_eq "  ... nothing removed" "$(policy)" "$p0"

# ---- config reset: settings to their defaults, rules and attachments stay --------
fg config set drop-flows off >/dev/null
r0=$(rules_of)
x0=$(xdp_prog_id)
c0=$(fg -j config show)
j=$(fg -j config reset)
expect_eq "config reset: says what it changed" \
	"$?:$(jget "$j" '[[c["setting"], c["from"], c["to"]] for c in d["changed"] if not c["setting"].startswith("check ")]')" \
	'0:[["profile", "strict", "default"], ["sampling", "4", "1"], ["drop-flows", "off", "on"]]'
fresh=$(FLOWGATE_BPFFS=$FG_TMP/none "$FLOWGATE" -j config show)
want=$("$PY" -c '
import json, sys
was, new = (json.loads(a) for a in sys.argv[1:])
print([["check " + a["check"], a["action"], b["action"]] for a, b in
       zip(was["checks"], new["checks"]) if a["action"] != b["action"]])' \
	"$c0" "$fresh")
expect_eq "  ... and every check whose action it changed" \
	"$(jget "$j" 'str([[c["setting"], c["from"], c["to"]] for c in d["changed"] if c["setting"].startswith("check ")])')" \
	"$want"
expect_eq "  ... config show is a fresh state's, no override left" \
	"$(fg -j config show)" "$fresh"
expect_eq "  ... rules and the attachment stay" "$(rules_of):$(xdp_prog_id)" \
	"$r0:$x0"
expect_eq "config reset again: nothing changed" "$(fg -j config reset)" \
	'{"changed":[]}'
expect_eq "  ... in text: 'changed nothing'" "$(fg config reset)" \
	"$(printf '%-16s %s' changed nothing)"
expect_eq "config reset without pinned state: nothing changed, nothing made" \
	"$(FLOWGATE_BPFFS=$FG_TMP/none "$FLOWGATE" -j config reset):$(test -e "$FG_TMP/none" && echo made)" \
	'{"changed":[]}:'
fails "config reset ARG: usage" 2 "config reset" fg config reset now

# ---- no state yet: a refused change, or a flush of nothing, makes no pins -------
none() { FLOWGATE_BPFFS=$FG_TMP/none "$FLOWGATE" "$@"; }
for i in $(seq 1 17); do echo "proto udp dport $i action count"; done \
	>"$DIR/glob17"
fails "no state: rule del 1 refused" 1 "no rule with ID 1" none rule del 1
fails "no state: rule load over a limit refused" 1 "glob17:17: .*one too many" \
	none rule load "$DIR/glob17"
fails "no state: rule add on a missing device refused" 1 \
	"no such device 'fgnosuch0'" none rule add dev fgnosuch0 action drop
expect_eq "no state: rule flush deletes nothing" \
	"$(none -j rule flush)" '{"deleted":0,"generation":0}'
check "  ... and none of them made pins" test ! -e "$FG_TMP/none"

# ---- stats, rtt, the flow table ----------------------------------------------------
fails "stats dev lo (not attached): says so" 1 "not attached to lo" \
	fg stats dev lo
j=$(fg -j stats dev "$RX_IF")
expect_eq "stats: no region of the table is above its fill mark" \
	"$(jget "$j" 'd["flow_table"]["above_mark"]')" false
fails "rtt before rtt enable: 'not enabled', no permission talk" 1 \
	"rtt is not enabled" fg rtt
expect_eq "  ... not blaming capabilities" "$(fg rtt 2>&1 | grep -c CAP_)" 0
fg config set sampling 1 >/dev/null # every packet makes its flow
fg config set profile default >/dev/null
send udp400 # 40 flows
send tcpflags
sleep 0.3
n=$(jget "$(fg -j flow dump)" 'd["total_flows"]')
[ "${n:-0}" -ge 40 ] || bail "not the 41 flows sent ($n)"
txt=$(fg flow dump)
expect_eq "flow dump text: one line per flow, then the totals" \
	"$(grep -c ' packets ' <<<"$txt"):$(tail -1 <<<"$txt" | grep -c '^[0-9]* flows, ')" \
	"$n:1"
sorted_ok=$("$PY" -c '
import re, sys
lines = [l for l in sys.stdin.read().splitlines() if " packets " in l]
dirs = [l.split()[0] for l in lines]
ports = [tuple(int(p) for p in re.findall(r":(\d+) ", l + " ")[:2])
         for l in lines if l.startswith("in ") and " udp " in l]
print(dirs == sorted(dirs) and len(ports) >= 40 and ports == sorted(ports))' <<<"$txt")
expect_eq "  ... sorted: in before out, then by protocol, address, port" \
	"$sorted_ok" True
json_order=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
lines = [l for l in sys.stdin.read().splitlines() if " packets " in l]
def same(f, l):
    t = l.split()
    return (t[0] == f["dir"] and t[2] == f["proto"] and f["src"] in l
            and f["dst"] in l and ("packets %d octets %d" % (f["packets"],
                                                         f["octets"])) in l
            and ("sport" not in f or (":%d > " % f["sport"]) in l
                 and (":%d packets" % f["dport"]) in l))
print(len(lines) == len(d["flows"]) and
      all(same(f, l) for f, l in zip(d["flows"], lines)))' \
	<(fg -j flow dump) <<<"$txt")
expect_eq "flow dump -j: the flows in the text's sorted order" "$json_order" True
check "  ... times are readable (ISO 8601, UTC)" \
	grep -qE 'first 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z last' <<<"$txt"
check "  ... JSON keeps the numbers" \
	test "$(jget "$(fg -j flow dump)" 'isinstance(d["flows"][0]["first_ms"], int)')" = true
top=$(fg -j flow top count 1 interval 1 sort packets)
expect_eq "flow top count 1: rates of the last interval (idle: 0), not totals" \
	"$(jget "$top" '[max(f["packets_per_s"] for f in d["top"]), min(f["packets"] for f in d["top"]) > 0]')" \
	"[0, true]"
j=$(fg -j config set sampling 2)
expect_eq "config set: prints only what changed" "$j" \
	'{"changed":[{"setting":"sampling","from":"1","to":"2"}]}'
expect_eq "config set to the same value: nothing changed" \
	"$(fg -j config set sampling 2)" '{"changed":[]}'
expect_eq "  ... in text: 'changed nothing', not an empty list" \
	"$(fg config set sampling 2)" "$(printf '%-16s %s' changed nothing)"
j=$(fg -j flow flush)
expect_eq "flow flush: says what it deleted" \
	"$(jget "$j" 'd["deleted_flows"]')" "$n"
expect_eq "  ... none of it ever exported: all of it said lost" \
	"$(jget "$j" '[d["not_exported_flows"] == d["deleted_flows"], d["not_exported_packets"] == d["deleted_packets"] > 0, d["not_exported_octets"] == d["deleted_octets"]]')" \
	"[true, true, true]"
expect_eq "  ... the table is empty" \
	"$(jget "$(fg -j flow dump)" 'd["total_flows"]')" 0
# An output that cannot write: the loss is logged when it starts, counted,
# and the output shows degraded.
ip netns exec "$NS_RX" "$FLOWGATE" export file /dev/full idle-timeout 1 \
	interval 100 2>"$DIR/exp.log" &
EXP=$!
send udp400
wait_for 100 grep -q "not sent" "$DIR/exp.log"
expect_eq "export to /dev/full: the loss is logged once, with its cause" \
	"$(grep -c 'export: /dev/full: records not sent (No space left on device)' "$DIR/exp.log")" 1
o=$(jget "$(fg -j stats)" '[(o["up"], o["degraded"], o["not_sent_records"] > 0) for o in d["exporter"]["outputs"]]')
expect_eq "  ... stats: the output is down, degraded, counting" "$o" \
	"[[false, true, true]]"
kill -TERM "$EXP"
wait "$EXP"
# The same loss with --log-format json: the line is JSON like every other.
ip netns exec "$NS_RX" "$FLOWGATE" --log-format json export file /dev/full \
	idle-timeout 1 interval 100 2>"$DIR/expj.log" &
EXP=$!
send udp400
wait_for 100 grep -q "not sent" "$DIR/expj.log"
kill -TERM "$EXP"
wait "$EXP"
expect_eq "  ... with --log-format json: every line JSON, the loss one event" \
	"$("$PY" -c '
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
print([(l["event"], l["output"], l["error"]) for l in ls
       if l["event"] == "output_loss"])' "$DIR/expj.log")" \
	"[('output_loss', '/dev/full', 'No space left on device')]"

# ---- a TCP collector that goes away and comes back --------------------------------
# Loss episodes: the spool (64 KiB) overflows while the collector is away.
# The episode's start and end are logged; what is still spooled at SIGTERM
# is discarded after the drain, and said. Then the 10 s limit over UDP
# (the real interval: the two parts take ~30 s).
fg config set sampling 1 >/dev/null
URL=tcp://127.0.0.1:4739
LOG=$DIR/tcp.log
SINK=
sink_up() {
	ip netns exec "$NS_RX" "$PY" "$FG_ROOT/tests/lib/ipfix.py" sink tcp \
		4739 "$DIR/sink" &
	SINK=$!
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NS_RX" ss -ltnH | grep -q ':4739 ' && return
		sleep 0.1
	done
	bail "the collector does not start"
}
sink_down() { kill -KILL "$SINK"; wait "$SINK" 2>/dev/null; SINK=; }
# wait_log N PATTERN [TRIES]: until the log has N lines matching. The line
# came after WL_MISS (the last look that did not find it) and before WL_SEEN.
wait_log() {
	local t
	for ((i = 0; i < ${3:-200}; i++)); do
		t=$EPOCHREALTIME
		if [ "$(grep -c -- "$2" "$LOG")" -ge "$1" ]; then
			WL_SEEN=$EPOCHREALTIME
			return 0
		fi
		WL_MISS=$t
		sleep 0.1
	done
	return 1
}
# 3000 one-packet UDP flows (~150 KiB of records), plain frames: scapy
# takes seconds for them on a loaded machine, and the test is about time.
blast() {
	ip netns exec "$NS_TX" "$PY" -c '
import socket, struct, sys
dev, smac, dmac, sip, dip = sys.argv[1:]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
eth = mac(dmac) + mac(smac) + b"\x08\x00"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
for i in range(3000):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 29, i, 0, 64, 17, 0,
                    socket.inet_aton(sip), socket.inet_aton(dip))
    c = sum(struct.unpack("!10H", h))
    c = (c & 0xffff) + (c >> 16)
    c = ~((c & 0xffff) + (c >> 16)) & 0xffff
    h = h[:10] + struct.pack("!H", c) + h[12:]
    s.send(eth + h + struct.pack("!HHHH", 1024 + i, 5353, 9, 0) + b"m")
' "$TX_IF" "$TX_MAC" "$RX_MAC" "$TX_IP4" "$RX_IP4"
}
lt() { "$PY" -c "import sys; sys.exit(not $1 < $2)"; }
up_wait() { # until the exporter says it is connected
	for ((i = 0; i < 200; i++)); do
		[ "$(jget "$(fg -j stats)" 'd["exporter"]["outputs"][0]["up"]')" = true ] && return 0
		sleep 0.1
	done
	return 1
}
not_sent() { jget "$(fg -j stats)" 'd["exporter"]["outputs"][0]["not_sent_records"]'; }
started="export: $URL: records not sent (the TCP spool is full); counted as not_sent in flowgate stats"
again="export: $URL: delivering again; [0-9]* records were not sent"
f0=$T_FAIL
sink_up
ip netns exec "$NS_RX" "$FLOWGATE" export collector "$URL" spool 64k \
	idle-timeout 1 interval 100 2>"$LOG" &
EXP=$!
up_wait || bail "the exporter does not connect"
sink_down
WL_MISS=$EPOCHREALTIME
blast
wait_log 1 "records not sent"
expect_eq "collector away, spool full: the loss is logged when it starts" \
	"$(grep -c -- "$started" "$LOG")" 1
sink_up
up_wait
wait_log 1 "delivering again" 30 # logged as the spool goes out
n1=$(not_sent)
expect_eq "collector back: 'delivering again', with the records lost" \
	"$(grep -c -- "$again" "$LOG"):$(grep -o '[0-9]* records were not sent' "$LOG")" \
	"1:$n1 records were not sent"
check "  ... which are some ($n1)" test "${n1:-0}" -gt 0
# Away at SIGTERM: what is still spooled after the drain is discarded, said.
sink_down
blast
for ((i = 0; i < 200; i++)); do
	[ "$(jget "$(fg -j stats)" 'd["exporter"]["outputs"][0]["spool_messages"] > 0 and not d["exporter"]["outputs"][0]["up"]')" = true ] && break
	sleep 0.1
done
kill -TERM "$EXP"
wait "$EXP"
expect_eq "SIGTERM, collector away: the spool's discard is logged" \
	"$?:$(grep -c "export: $URL: [1-9][0-9]* records still spooled after 5000 ms discarded at shutdown" "$LOG")" \
	"0:1"
[ "$T_FAIL" -gt "$f0" ] && sed 's/^/#   exporter: /' "$LOG"

# UDP to a port nobody listens on: the kernel refuses the send after each
# ICMP port unreachable, of a datagram or of a segmented run of them, so
# every sweep makes short loss episodes. At most one is said per 10 s,
# the others (the sweeps of three more blasts) with the next line.
f0=$T_FAIL
URL=udp://127.0.0.1:4740
LOG=$DIR/udp.log
ip netns exec "$NS_RX" "$FLOWGATE" export collector "$URL" idle-timeout 1 \
	interval 100 2>"$LOG" &
EXP=$!
blast
wait_log 1 "records not sent" || bail "no loss to $URL"
t1s=$WL_SEEN
wait_log 1 "delivering again"
sleep 1
expect_eq "UDP, many short losses at once: one line for the first one's start and end" \
	"$(grep -c "export: $URL: records not sent (Connection refused); counted as not_sent in flowgate stats$" "$LOG"):$(grep -c "export: $URL: delivering again; [1-9][0-9]* records were not sent$" "$LOG"):$(wc -l <"$LOG")" \
	"1:1:2"
for _ in 1 2 3; do
	blast
	sleep 1
done
while lt "$EPOCHREALTIME" "$t1s + 10.2"; do sleep 0.2; done
blast
wait_log 2 "records not sent"
sleep 1
expect_eq "  ... 10 s later, the next loss is said with the quiet ones counted" \
	"$(grep -Ec "export: $URL: records not sent \(Connection refused\); counted as not_sent in flowgate stats; [1-9][0-9]* shorter losses since the last report$" "$LOG"):$(grep -c 'records not sent' "$LOG")" \
	"1:2"
kill -TERM "$EXP"
wait "$EXP"
[ "$T_FAIL" -gt "$f0" ] && sed 's/^/#   exporter: /' "$LOG"

# ---- flow flush under an exporter: what went out is not called lost --------------
# An exporter stopped with SIGTERM exports every delta (forced end) and
# keeps the flows; the next one runs with long timeouts, so the second 400
# packets of the same 40 flows are not exported when they are flushed.
f0=$T_FAIL
fg flow flush >/dev/null
ip netns exec "$NS_RX" "$FLOWGATE" export file "$DIR/fl1.ipfix" \
	active-timeout 60 idle-timeout 60 interval 100 2>"$DIR/fl.log" &
EXP=$!
send udp400
sleep 1
kill -TERM "$EXP"
wait "$EXP"
ip netns exec "$NS_RX" "$FLOWGATE" export file "$DIR/fl2.ipfix" \
	active-timeout 60 idle-timeout 60 interval 100 2>>"$DIR/fl.log" &
EXP=$!
sleep 0.5
send udp400
j=$(fg -j flow flush proto udp)
kill -TERM "$EXP"
wait "$EXP"
expect_eq "flow flush under an exporter: deleted, and of that not exported" \
	"$(jget "$j" '[d["deleted_flows"], d["deleted_packets"], d["not_exported_flows"], d["not_exported_packets"]]')" \
	"[40, 800, 40, 400]"
t=$(SRC4=$TX_IP4 SRC6=none "$PY" "$FG_ROOT/tests/e2e/export_check.py" totals \
	"$DIR/fl1.ipfix" "$DIR/fl2.ipfix")
expect_eq "  ... exported + not exported = deleted (packets, octets)" \
	"$(jget "$t" '[d["packets"], d["octets"]]')" \
	"$(jget "$j" '[d["deleted_packets"] - d["not_exported_packets"], d["deleted_octets"] - d["not_exported_octets"]]')"
[ "$T_FAIL" -gt "$f0" ] && sed 's/^/#   exporter: /' "$DIR/fl.log"

# ---- two collectors away at once: each one's outage is said ------------------------
# The log's 10 s limit is per event and output: one collector's
# "reconnecting" line never hides another's.
f0=$T_FAIL
LOG=$DIR/two.log
A=tcp://127.0.0.1:4741
B=tcp://127.0.0.1:4742
ip netns exec "$NS_RX" "$FLOWGATE" export collector "$A" collector "$B" \
	interval 100 2>"$LOG" &
EXP=$!
wait_log 2 "; reconnecting" 50
sleep 2 # more attempts: each output's are limited on their own
expect_eq "two refusing TCP collectors: each one's outage is logged, once" \
	"$(grep -c "^export: $A: .*; reconnecting$" "$LOG"):$(grep -c "^export: $B: .*; reconnecting$" "$LOG"):$(grep -c suppressed "$LOG")" \
	"1:1:0"
kill -TERM "$EXP"
wait "$EXP"
[ "$T_FAIL" -gt "$f0" ] && sed 's/^/#   exporter: /' "$LOG"

fg detach "$RX_IF" >/dev/null
check "purge when nothing is attached" fg purge
check "  ... no pins left" test ! -e "$FLOWGATE_BPFFS"

# ---- ip netns exec: no throw-away pins, no program nobody sees ------------------
out=$(env -u FLOWGATE_BPFFS ip netns exec "$NS_RX" "$FLOWGATE" attach "$RX_IF" 2>&1)
expect_eq "attach under ip netns exec without a bpffs: refused, exit 1" \
	"$?:$(grep -c '^Error: .*would vanish with this command' <<<"$out")" "1:1"
expect_eq "  ... before attaching anything" "$(xdp_prog_id)" ""
# Programs whose pins are gone (their bpffs unmounted): status finds them
# through the kernel, detach takes them off.
orphan() { # attach from a bpffs that then goes away
	local o
	o=$(mktemp -d /tmp/fgorph.XXXXXX)
	mount -t bpf bpf "$o"
	FLOWGATE_BPFFS=$o/fg fg attach "$RX_IF" >/dev/null || bail "attach (orphan)"
	umount "$o"
	rmdir "$o"
}
clsact() { ip netns exec "$NS_RX" tc qdisc show dev "$RX_IF" | grep -c clsact; }
# someone else's filter: classic BPF "accept", priority 100, handle 9
foreign() {
	ip netns exec "$NS_RX" tc filter add dev "$RX_IF" "$1" prio 100 \
		handle 9 protocol all bpf bytecode '1,6 0 0 0,' ||
		bail "tc filter add"
}
foreign_kept() {
	ip netns exec "$NS_RX" tc filter show dev "$RX_IF" "$1" |
		grep -c "handle 0x9 .*bytecode '1,6 0 0 0'"
}
orphan
st=$(fg -j status)
expect_eq "status finds a flowgate program with no pins (orphan)" \
	"$(jget "$st" '[(o["dev"], "xdp_prog_id" in o, "tc_egress_prog_id" in o) for o in d["orphans"]]')" \
	"[[\"$RX_IF\", true, true]]"
j=$(fg -j detach "$RX_IF")
expect_eq "detach removes the orphan, says the clsact qdisc went too" \
	"$?:$(jget "$j" '[d["detached"], d["orphan"], d["clsact"]]')" \
	'0:[true, true, "removed"]'
expect_eq "  ... no XDP program left, no orphan reported" \
	"$(xdp_prog_id):$(jget "$(fg -j status)" 'len(d["orphans"])')" ":0"
expect_eq "  ... nor the clsact qdisc its attach created" "$(clsact)" 0
orphan
foreign egress
j=$(fg -j detach "$RX_IF") || bail "detach (orphan)"
expect_eq "orphan detach, another filter on clsact: qdisc and filter kept" \
	"$(clsact):$(foreign_kept egress):$(jget "$(fg -j status)" 'len(d["orphans"])'):$(jget "$j" 'd["clsact"]')" \
	"1:1:0:kept: other filters on it"
ip netns exec "$NS_RX" tc qdisc del dev "$RX_IF" clsact

# ---- detach: the clsact qdisc ------------------------------------------------------
fg attach "$RX_IF" >/dev/null || bail "attach"
j=$(fg -j detach "$RX_IF") || bail "detach"
expect_eq "detach: the clsact qdisc attach created is removed, and said" \
	"$(clsact):$(jget "$j" 'd["clsact"]')" "0:removed"
fg attach "$RX_IF" >/dev/null || bail "attach"
foreign ingress
j=$(fg -j detach "$RX_IF") || bail "detach"
expect_eq "detach, another filter on clsact: qdisc and filter kept, and said" \
	"$(clsact):$(foreign_kept ingress):$(jget "$j" 'd["clsact"]')" \
	"1:1:kept: other filters on it"
fg attach "$RX_IF" >/dev/null || bail "attach"
j=$(fg -j detach "$RX_IF") || bail "detach"
expect_eq "detach of a clsact attach found: qdisc and filter kept" \
	"$(clsact):$(foreign_kept ingress):$(jget "$j" 'd["clsact"]')" \
	"1:1:kept: it was there before attach"
ip netns exec "$NS_RX" tc filter del dev "$RX_IF" ingress prio 100
fg attach "$RX_IF" >/dev/null || bail "attach"
fg detach "$RX_IF" >/dev/null || bail "detach"
expect_eq "detach of an empty clsact attach found: it stays" "$(clsact)" 1
ip netns exec "$NS_RX" tc qdisc del dev "$RX_IF" clsact

# ---- collectors: one validator, no silent loss ---------------------------------------
PCAP=$FG_ROOT/tests/pcap/captures/$(ls "$FG_ROOT/tests/pcap/captures" | grep -m1 '\.pcap$')
for u in udp://127.0.0.1:99999 udp://127.0.0.1:0 udp://127.0.0.1:abc \
	udp://256.1.1.1 udp://10.1 udp://127.0.0.1: 'tcp://[2001:db8::1'; do
	fails "export collector $u: refused" 2 "collector '.*'" \
		"$FLOWGATE" export collector "$u"
	fails "replay collector $u: refused" 2 "collector '.*'" \
		"$FLOWGATE" replay "$PCAP" collector "$u"
	printf '[export]\ncollector %s\n' "$u" >"$DIR/c.conf"
	fails "daemon check collector $u: refused" 1 "c.conf:2: collector" \
		"$FLOWGATE" daemon check "$DIR/c.conf"
done
fails "replay to a refusing TCP collector: exit 1, records not sent" 1 \
	"records not sent to tcp://127.0.0.1:1" \
	"$FLOWGATE" replay "$PCAP" collector tcp://127.0.0.1:1

# ---- an old layout's flow table (fg_flows, a per-CPU hash) -------------------------
# What an upgrade finds: the old table pinned instead of fg_flowtab. It is
# read and flushed, and replaced by attach only once empty and unused.
f0=$T_FAIL
PINS=$FLOWGATE_BPFFS
bpft() { ip netns exec "$NS_RX" bpftool "$@"; }
fg detach "$RX_IF" >/dev/null 2>&1
fg purge >/dev/null || not_ok "purge before the old layout's test"
fg config set sampling 1 >/dev/null # state, without the old table
rm -f "$PINS/fg_flowtab" "$PINS/fg_ftinfo"
bpft map create "$PINS/fg_flows" type percpu_hash key 52 value 40 \
	entries 16 name fg_flows || bail "bpftool map create"
# lo, in, udp, ::ffff:192.0.2.1:1000 > ::ffff:198.51.100.1:53, 3 packets
key="1 0 0 0 0 4 17 0 $(printf '0 %.0s' {1..10}) 255 255 192 0 2 1 \
$(printf "0 %.0s" {1..10}) 255 255 198 51 100 1 3 232 0 53 0 0 0 0 0 8 0 0"
val="3 0 0 0 0 0 0 0 44 1 0 0 0 0 0 0 1 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0 \
0 64 64 0 0 0 0 0"
# shellcheck disable=SC2086
bpft map update pinned "$PINS/fg_flows" key $key value $val ||
	bail "bpftool map update"
ncpu=$(bpft -j map lookup pinned "$PINS/fg_flows" key $key |
	"$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["values"]))')
expect_eq "old layout: status names it" \
	"$(jget "$(fg -j status)" 'd["flow_table"]["layout"]')" \
	"fg_flows (old layout)"
expect_eq "old layout: flow dump reads it (its CPUs summed)" \
	"$(jget "$(fg -j flow dump)" '[(f["sport"], f["dport"], f["packets"], f["octets"]) for f in d["flows"]]')" \
	"[[1000, 53, $((3 * ncpu)), $((300 * ncpu))]]"
fails "old layout holding flows: attach refused, naming the way out" 1 \
	"old layout \\(fg_flows\\) still holds flows.*flow flush" \
	fg attach "$RX_IF"
check "  ... the old table is still there, no new one made" \
	test -e "$PINS/fg_flows" -a ! -e "$PINS/fg_flowtab" -a ! -e "$PINS/fg_ftinfo"
check "  ... and nothing attached" \
	test "$(jget "$(fg -j status)" 'len(d["interfaces"])')" = 0
expect_eq "old layout: flow flush deletes its flows, all of them not exported" \
	"$(jget "$(fg -j flow flush)" '[d["deleted_flows"], d["deleted_packets"], d["not_exported_packets"]]')" \
	"[1, $((3 * ncpu)), $((3 * ncpu))]"
fg attach "$RX_IF" >/dev/null || not_ok "old layout, empty: attach"
check "  ... attach replaced the empty old table" \
	test ! -e "$PINS/fg_flows" -a -e "$PINS/fg_flowtab" -a -e "$PINS/fg_ftinfo"
expect_eq "  ... status: the new layout" \
	"$(jget "$(fg -j status)" '[d["flow_table"]["layout"], d["flow_table"]["max_flows"]]')" \
	'["fg_flowtab", 65536]'
# An old table while interfaces count into it (what an upgrade without
# detach leaves): refused, even empty.
bpft map create "$PINS/fg_flows" type percpu_hash key 52 value 40 \
	entries 16 name fg_flows || bail "bpftool map create"
fails "old layout under attached interfaces: attach refused" 1 \
	"old layout \\(fg_flows\\) and interfaces count into it.*detach" \
	fg attach lo
check "  ... the old table is still there" test -e "$PINS/fg_flows"
rm -f "$PINS/fg_flows"
# A table of another release (its fg_ftinfo of another version; 1: the
# release before, its keys hashed into other buckets): never loaded with
# a geometry or a hash read wrong.
fg detach "$RX_IF" >/dev/null || not_ok "detach"
rm -f "$PINS/fg_flowtab" "$PINS/fg_ftinfo"
bpft map create "$PINS/fg_ftinfo" type array key 4 value 24 entries 1 \
	name fg_ftinfo || bail "bpftool map create"
bpft map update pinned "$PINS/fg_ftinfo" key 0 0 0 0 value 1 \
	$(printf '0 %.0s' {1..23}) || bail "bpftool map update"
fails "another release's table: attach refused, naming purge" 1 \
	"another flowgate release's \\(fg_ftinfo\\).*purge" fg attach "$RX_IF"
check "  ... nothing attached, no table made" \
	test "$(jget "$(fg -j status)" 'len(d["interfaces"])')" = 0 -a \
	! -e "$PINS/fg_flowtab"
rm -f "$PINS/fg_ftinfo"
fg attach "$RX_IF" >/dev/null || not_ok "attach after the other release's table"
[ "$T_FAIL" -gt "$f0" ] && fg -j status | sed 's/^/#   status: /'

# ---- config files: trailing comments, directories ------------------------------------
cat >"$DIR/ok.conf" <<'EOF'
# flowgate daemon configuration
profile default            # default | monitor | strict
check ttl-zero drop        # any check
[export]                   # for flowgate export config FILE
collector udp://192.0.2.10:4739      # up to 8
[rules]
src 198.51.100.0/24 action drop comment "attack #42"   # trailing
EOF
check "daemon check: trailing # comments accepted" \
	"$FLOWGATE" daemon check "$DIR/ok.conf"
fails "daemon check DIR: 'is a directory'" 1 "Is a directory" \
	"$FLOWGATE" daemon check "$DIR"

fg_done
