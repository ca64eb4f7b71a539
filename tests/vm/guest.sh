#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the VM (tests/vm/test_matrix.sh): every BPF program loaded on its
# own, and tests/run.sh twice on two selections (TEST_ONLY), all three at
# once (two vCPUs; loading is short beside either half). Each prints its
# whole output when done, loadall's first, so that the "== layer/test"
# headers stay with their lines. Logs go to LOGDIR/1 and LOGDIR/2.
#
#   tests/vm/guest.sh LOGDIR REGEX1 REGEX2
set -u
cd "$(dirname "$0")/../.."
logs=$1 sel=("" "$2" "$3") rc=0
out=$(mktemp -d)
./build/tests/vm_loadall build/*.bpf.o >"$out/0" 2>&1 &
pids[0]=$!
for i in 1 2; do
	TEST_LOGS=$logs/$i TEST_ONLY=${sel[i]} TEST_TIMEOUT=900 \
		bash tests/run.sh >"$out/$i" 2>&1 &
	pids[i]=$!
done
for i in 0 1 2; do
	wait "${pids[i]}" || rc=1
	[ "$i" = 0 ] && echo "== vm/loadall" && sed 's/^/   /' "$out/0" && continue
	cat "$out/$i"
done
rm -rf "$out"
exit "$rc"
