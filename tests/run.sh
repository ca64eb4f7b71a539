#!/usr/bin/env bash
# Runs every test layer and sums them into one line: "N passed, N failed".
# Every test program speaks TAP: "ok N - name", "not ok N - name",
# "ok N - name # SKIP why". A program that exits non-zero without a
# "not ok" line counts as one failure, so a crash is never a pass.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGS=${TEST_LOGS:-$BUILD/test-logs}
mkdir -p "$LOGS"
export FLOWGATE="$PWD/$BUILD/flowgate"
export FLOWGATE_BPF_OBJ="$PWD/$BUILD/flowgate_xdp.bpf.o"
export CMOCKA_MESSAGE_OUTPUT=TAP

pass=0 fail=0 skip=0
failed_names=()
times=() # "seconds layer/name", for the slowest list at the end

run_one() { # layer name cmd...
	local layer=$1 name=$2 log rc p f s t0
	shift 2
	# TEST_ONLY: an extended regex of the layer/name pairs to run.
	[[ $layer/$name =~ ${TEST_ONLY:-.} ]] || return 0
	log="$LOGS/$layer-$name.log"
	printf '== %s/%s\n' "$layer" "$name"
	t0=$SECONDS
	timeout --kill-after=10 "${TEST_TIMEOUT:-300}" "$@" >"$log" 2>&1
	rc=$?
	times+=("$((SECONDS - t0)) $layer/$name")
	grep -E '^(not )?ok ' "$log" | sed 's/^/   /'
	p=$(grep -Ec '^ok ' "$log" | tr -d ' ')
	s=$(grep -Ec '^ok .*# ?SKIP' "$log" | tr -d ' ')
	f=$(grep -Ec '^not ok ' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "   not ok - $name exited $rc without a failing test line (see $log)"
		tail -n 5 "$log" | sed 's/^/   | /'
	fi
	[ "$f" -gt 0 ] && failed_names+=("$layer/$name")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# Every test of a folder: its C programs (built as $BUILD/tests/NAME) or
# its scripts.
run_bins() { # layer
	local t
	for t in tests/$1/test_*.c; do
		[ -e "$t" ] || continue
		t=$(basename "$t" .c)
		run_one "$1" "$t" "$BUILD/tests/$t"
	done
}
run_scripts() { # layer
	local t
	for t in tests/$1/test_*.sh; do
		[ -e "$t" ] || continue
		run_one "$1" "$(basename "$t" .sh)" bash "$t"
	done
}

# Layer 0: the tree itself (formatting, the docs' paths, include rules).
run_scripts tree
# Layer 1: cmocka unit tests (host build of parser/validator and CLI).
run_bins unit
# Layer 2: BPF tests through BPF_PROG_TEST_RUN (and the differential test).
run_bins bpf
# Layer 3: pcap regression against golden outputs.
run_scripts pcap
# Next to it, the DPDK bench's pipeline against replay, packet for packet
# (skips without dpdk-dev).
run_scripts dpdk
# Layer 4: the guard against Linux's receive path (the kernel as oracle).
run_scripts oracle
# Layer 5: end-to-end on veth pairs in namespaces.
run_scripts e2e
# Layer 6: interop with real IPFIX collectors.
run_scripts interop
# Layer 7: the kernel matrix, the layers above on Debian kernels in a VM
# (tests/vm/test_matrix.sh); it names each kernel's counts. Its selection
# takes about 10-11 minutes on two idle cores under TCG (KVM, where
# /dev/kvm works, is faster); the bound leaves a loaded machine room, and
# the VM's own (scripts/vmtest.sh, VM_TIMEOUT) ends first, so that the
# matrix still reports what ran.
MATRIX_TIMEOUT=${MATRIX_TIMEOUT:-1500}
for t in tests/vm/test_*.sh; do
	[ -e "$t" ] || continue
	n=$(basename "$t" .sh)
	VM_TIMEOUT=$((MATRIX_TIMEOUT - 60)) TEST_TIMEOUT=$MATRIX_TIMEOUT \
		run_one vm "$n" bash "$t"
	[ -e "$LOGS/vm-$n.log" ] && grep -h '^kernel .*passed' "$LOGS/vm-$n.log" | sed 's/^/   /'
done

# Layer 8: installing and packaging (make install, completion, the .deb).
run_scripts pkg

# The slowest tests, so that the time budget (25 minutes) stays visible.
printf '%s\n' "${times[@]}" | sort -rn | head -n 8 |
	awk '{ printf "slow: %5d s  %s\n", $1, $2 }'
[ ${#failed_names[@]} -gt 0 ] && echo "failing: ${failed_names[*]}"
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
