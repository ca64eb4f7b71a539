#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# README.md's quick start as its reader runs it, from the top of the tree:
#
# 1. `make demo`: scripts/deps.sh installs nothing (the test layers ran it),
#    nothing is built again, and the lab shows what the README promises:
#    the TCP echo through the guard, every frame conserved, and the
#    packets flow accounting counted = those the exporter sent = those
#    nfcapd stored. Its lab is namespaces and a private bpffs: it runs
#    everywhere.
# 2. "A five-minute tour": every line of its shell blocks, in order, in one
#    shell, unchanged: `flowgate` from PATH, eth1 an interface of the root
#    namespace (a veth here), pins at their default place, nfcapd, the
#    exporter and the metrics endpoint in the background (each must still
#    run at the end), RTT on the root cgroup; then the README's clean-up
#    (detach, purge, rtt disable), which must leave no pin, no XDP program
#    and no sock_ops program behind. That is the whole host's state, so
#    the tour runs only where the whole host belongs to the test: in a VM
#    of scripts/vmtest.sh (FLOWGATE_TEST_VM=1, set by its guest), which
#    `make vmtest` runs it in; elsewhere it is one SKIP line.
#
# Under emulation this takes 6-7 minutes (the demo alone 4: two scapy
# starts of 30 s each), too long for `make test`'s matrix.
set -u
FG_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$FG_ROOT/tests/lib/tap.sh"
PY=/usr/bin/python3
D=$(mktemp -d /tmp/fgqs.XXXXXX) || bail "mktemp"
BG=()
TOUR=0 # the tour changed the host: clean up after it

qs_cleanup() {
	local p
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$TOUR" = 1 ]; then
		"$FG_ROOT/build/flowgate" detach eth1 >/dev/null 2>&1
		"$FG_ROOT/build/flowgate" rtt disable >/dev/null 2>&1
		"$FG_ROOT/build/flowgate" purge >/dev/null 2>&1
		ip link del eth1 2>/dev/null
		rm -rf /tmp/nf
	fi
	rm -rf "$D"
}
trap 'rc=$?; qs_cleanup; exit $rc' EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" -eq 0 ] || bail "needs root (make demo, the tour)"

# ---- 1. make demo ------------------------------------------------------------
# As typed in a fresh shell: no make variables of the caller's make.
(cd "$FG_ROOT" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make demo) \
	>"$D/demo" 2>&1
rc=$?
expect_eq "make demo: exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/#   | /' "$D/demo" | tail -n 20
check "make demo: scripts/deps.sh installs nothing" \
	eval '! grep -n "^deps: \|^Error: missing packages" "$D/demo"'
check "make demo: builds nothing again" \
	eval '! grep -nE "^(cc|gcc|clang|bpftool|mv) " "$D/demo"'
check "make demo: both links attached" \
	test "$(grep -c '^\$ flowgate attach .*XDP program [0-9]' "$D/demo")" = 2
check "make demo: the TCP echo through the guard" \
	grep -q 'the server echoed "hello through flowgate"' "$D/demo"
check "make demo: every frame conserved on both links" \
	eval 'test "$(grep -c " = passed .* + dropped .* OK$" "$D/demo")" = 2 &&
		! grep -q VIOLATED "$D/demo"'
# "flow accounting: A packets; exporter sent B packets in R records;
# nfcapd stored C packets": A = B = C > 0.
acc=$(sed -n 's/.*flow accounting: \([0-9]*\) packets; exporter sent \([0-9]*\) packets in [0-9]* records; nfcapd stored \([0-9]*\) packets.*/\1 \2 \3/p' "$D/demo")
read -r a b c <<<"${acc:-x y z}"
check "make demo: accounted = exported = stored by nfcapd ($acc)" \
	eval '[ "$a" -gt 0 ] 2>/dev/null && [ "$a" = "$b" ] && [ "$b" = "$c" ]'

# ---- 2. the five-minute tour -----------------------------------------------
if [ "${FLOWGATE_TEST_VM:-}" != 1 ]; then
	skip "README tour on the root namespace, default pins, root cgroup" \
		"changes the whole host: runs in make vmtest's VM"
	fg_done
	exit
fi

# The tour's lines: the sh blocks from "## A five-minute tour" to the next
# section, without comments and example output.
"$PY" - "$FG_ROOT/README.md" >"$D/tour" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
tour = text.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
for block in re.findall(r"^```sh\n(.*?)^```", tour, re.S | re.M):
    for line in block.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            print(line)
EOF
check "README tour: at least 15 lines found" test "$(wc -l <"$D/tour")" -ge 15

# eth1, "an interface to spare": a veth of the root namespace.
ip link del eth1 2>/dev/null
ip link add eth1 type veth peer name eth1p || bail "cannot create eth1"
ip link set eth1 up && ip link set eth1p up
TOUR=1
cd "$FG_ROOT" || bail "cd $FG_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL
BGCMD=()
# Each line in this shell (export PATH holds for the next ones).
while IFS= read -r line; do
	cmd=$(sed 's/[[:space:]]\+#[[:space:]].*$//' <<<"$line")
	if [[ $cmd == *big.pcap* ]]; then
		skip "README tour: $cmd" "an example capture nobody has"
		continue
	fi
	if [[ $cmd == *'&' ]]; then
		eval "$cmd" >"$D/bg.${#BG[@]}" 2>&1 </dev/null
		BG+=($!) BGCMD+=("$cmd")
		sleep 3 # as a reader types the next line: the daemon is up
		continue
	fi
	eval "$cmd" >"$D/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "README tour: $cmd"
	else
		not_ok "README tour: $cmd (exit $rc)"
		tail -n 5 "$D/out" | sed 's/^/#   | /'
	fi
done <"$D/tour"
for i in "${!BG[@]}"; do
	if kill -0 "${BG[i]}" 2>/dev/null; then
		ok "README tour: ${BGCMD[i]} still runs"
	else
		not_ok "README tour: ${BGCMD[i]} still runs"
		tail -n 5 "$D/bg.$i" | sed 's/^/#   | /'
	fi
done
for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
BG=()

# The README's clean-up, and nothing left behind.
for cmd in "flowgate detach eth1" "flowgate purge" "flowgate rtt disable"; do
	check "README clean-up: $cmd" $cmd
done
none "clean-up: no pin left under /sys/fs/bpf/flowgate" "pinned" \
	$(find /sys/fs/bpf/flowgate 2>/dev/null)
expect_eq "clean-up: no XDP program on eth1" \
	"$(ip -d link show dev eth1 | grep -o 'prog/xdp id [0-9]*')" ""
CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
expect_eq "clean-up: no sock_ops program on the root cgroup" \
	"$(bpftool cgroup show "$CG_ROOT" 2>/dev/null | grep -c sock_ops)" 0
fg_done
