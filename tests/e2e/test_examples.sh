#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every example of README.md and the man page (doc/flowgate.8), run as a
# reader would copy it (tests/e2e/examples.py finds them): commands exit 0,
# the daemon config example passes `daemon check`. The interface of the
# examples, eth1, is a veth in the test namespace; files they name
# (rules.txt, empty.txt) are in a temp directory, the working directory.
set -u
. "$(dirname "$0")/../lib/netns.sh"

fg_setup
DIR=$(mktemp -d /tmp/fgex.XXXXXX)
cleanup_ex() { rm -rf "$DIR"; }
T_CLEANUP_HOOK=cleanup_ex
ip -n "$NS_RX" link add eth1 type veth peer name eth1p || bail "eth1"
ip -n "$NS_RX" link set eth1 up
ip -n "$NS_RX" link set eth1p up
printf 'src 198.51.100.0/24 action drop comment "attack 42"\n' >"$DIR/rules.txt"
: >"$DIR/empty.txt"

tap_tsv < <("$PY" "$FG_ROOT/tests/e2e/examples.py" run "$NS_RX" "$DIR" ||
	printf 'not ok\texamples.py failed\t\n')
check "examples found in README.md and doc/flowgate.8 ($TAP_N)" test "$TAP_N" -ge 20
fg detach eth1 >/dev/null 2>&1
fg_done
