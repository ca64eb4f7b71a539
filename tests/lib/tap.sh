# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP for the script tests (tests/run.sh counts the lines): source it, then
#
#   check "name" CMD...      one line from a command's exit status
#   expect_eq "name" GOT WANT
#   none "name" "what" ITEM...  ok when no ITEM is given, else each a diag
#   ok / not_ok / skip "name" "why" / diag / bail "why"
#   show [FILE...]           files (or stdin) as diag lines
#   tap_tsv < LINES          a helper's "ok|not ok<TAB>name<TAB>why" lines
#                            (TAP_N: how many)
#   fg_done                  prints the plan "1..N", fails on any failure

T_N=0 T_FAIL=0

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}

not_ok() {
	T_N=$((T_N + 1))
	T_FAIL=$((T_FAIL + 1))
	echo "not ok $T_N - $*"
}

skip() { # skip "name" "why"
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

diag() { echo "# $*"; }

show() { sed 's/^/# /' "$@"; }

# check "name" CMD...: ok when CMD exits 0; its output goes to the diag.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/#   /'
	fi
	return 0
}

expect_eq() { # expect_eq "name" GOT WANT
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "  got:  '$2'"
		diag "  want: '$3'"
	fi
}

none() { # none "name" "what" ITEM...
	local name=$1 what=$2
	shift 2
	if [ $# -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name"
		printf "#   $what: %s\n" "$@"
	fi
}

tap_tsv() {
	local res name why

	TAP_N=0
	while IFS=$'\t' read -r res name why; do
		TAP_N=$((TAP_N + 1))
		if [ "$res" = ok ]; then
			ok "$name"
		else
			not_ok "$name"
			diag "  $why"
		fi
	done
}

# Setup failed: nothing after it means anything. TAP's "Bail out!" stops
# the run; the exit status makes run.sh count it as a failure.
bail() {
	echo "Bail out! $*"
	exit 1
}

fg_done() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}
