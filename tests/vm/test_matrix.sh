#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel matrix: the test layers again on the kernels users run, each a
# Debian kernel package booted under qemu by scripts/vmtest.sh. On each:
# every BPF program loaded on its own (tests/vm/loadall.c names what the
# verifier rejects), then tests/run.sh on the selection below, in two
# halves at once (tests/vm/guest.sh). The 6.1
# kernels take libxdp's dispatcher path (freplace works there), so the e2e
# tests run flowgate as a dispatcher component.
#
# Output is TAP for tests/run.sh: one line per test inside the VM, named
# "[KERNEL] layer/test: name", then "kernel KERNEL: N passed, N failed".
# A kernel whose package cannot be fetched is one SKIP line saying so.
#
#   VM_KERNELS   flavours or packages (scripts/vmtest.sh -k), "generic"
#   VM_SUITE     "matrix" (the selection below, for `make test`) or "full"
#                (every layer, for `make vmtest`)
set -u
cd "$(dirname "$0")/../.."
# Two halves of about the same length, one per vCPU (tests/vm/guest.sh);
# under emulation on 6.1 with two idle cores: the BPF layer ~350 s, e2e
# rtt ~100, capture ~115, coexist ~125, guard ~130, flows ~210 (its short
# form), the pcap layer's goldens ~30 (22 captures on two loads of
# fg_replay: 54 s alone on a loaded machine, 279 s as 22 replays); on a loaded machine
# each takes 2-3 times that. The matrix of `make test` keeps what only a VM shows: every
# program loads, the BPF layer, and the e2e tests with libxdp's dispatcher
# in use: coexist (attach beside another XDP program, status, counters,
# attach again, detach), the guard's checks, flows (attach, stats, flow
# dump and flush, max-flows, detach), coarse RTT (6.1 has no RTT callback
# arguments) and capture, flows and capture in their short form
# (TEST_SHORT); and
# the pcap layer's golden regression in its short form: every capture's
# verdicts and flows and the overflow aggregates against the golden files
# (22 captures in two replays, each 10-25 s of verifier work under
# emulation). Every e2e
# test costs minutes under emulation (a Python start takes 1-3 s, scapy's
# import 30 s, tshark's 12 s): the rest of the pcap layer (15 minutes
# there), test_cli and test_quickstart (the
# README run as written, `make demo` and the tour: 7 minutes) run in
# `make vmtest`, which runs them all.
HALF1='^(bpf/|e2e/test_(rtt|capture)$)'
HALF2='^(pcap/test_replay|e2e/test_(coexist|guard|flows))$'
SHORT=1
if [ "${VM_SUITE:-matrix}" = full ]; then
	# every layer but this one (no VM inside the VM)
	HALF1='^(tree|unit|bpf|dpdk|oracle|interop)/' HALF2='^(pcap|e2e|pkg)/'
	SHORT=
	# every layer under emulation: hours, not the short matrix's minutes
	export VM_TIMEOUT=${VM_TIMEOUT:-10800}
fi
n=0 bad=0

tap() { # tap ok|"not ok" TEXT
	n=$((n + 1))
	echo "$1 $n - $2"
}

# Renumber the guest's output: "== layer/test" headers, indented TAP lines
# (tests/run.sh's), loadall's TAP and verifier lines.
relabel() { # relabel KVER
	local kver=$1 test=vm/loadall line res text
	while IFS= read -r line; do
		case $line in
		"== "*) test=${line#== } ;;
		*ok\ *)
			[[ $line =~ ^\ *(not ok|ok)( [0-9]+)?( -)?\ (.*)$ ]] || continue
			res=${BASH_REMATCH[1]} text=${BASH_REMATCH[4]}
			tap "$res" "[$kver] $test: $text"
			;;
		*"#   "* | "# kernel"*) echo "${line#"${line%%[! ]*}"}" ;;
		"slow: "*) echo "# [$kver] $line" ;;
		esac
	done
}

for k in ${VM_KERNELS:-generic}; do
	if ! info=$(scripts/vmtest.sh -k "$k" --prepare 2>&1); then
		tap ok "kernel $k # SKIP cannot fetch or prepare it: ${info##*vmtest: }"
		continue
	fi
	kver=${info##* }
	kver=${kver%-amd64}
	log=build/vm/matrix-$k.log
	VM_CPUS=${VM_CPUS:-2} scripts/vmtest.sh -k "$k" -- \
		env TEST_SHORT=$SHORT bash tests/vm/guest.sh "build/vm/logs-$k" \
		"$HALF1" "$HALF2" >"$log" 2>&1
	rc=$?
	results=$(relabel "$kver" <"$log")
	[ -n "$results" ] && printf '%s\n' "$results"
	p=$(grep -Ec '^ok ' <<<"$results")
	s=$(grep -Ec '^ok .*# ?SKIP' <<<"$results")
	f=$(grep -Ec '^not ok ' <<<"$results")
	n=$((n + p + f))
	if [ "$rc" = 125 ] || [ "$(grep -Ec '^[0-9]+ passed, [0-9]+ failed' "$log")" != 2 ]; then
		tap "not ok" "[$kver] the VM did not run the suite to its end (exit $rc, see $log)"
		tail -n 5 "$log" | sed 's/^/# | /'
		f=$((f + 1))
	fi
	bad=$((bad + f))
	line="kernel $kver: $((p - s)) passed, $f failed"
	[ "$s" -gt 0 ] && line="$line, $s skipped"
	echo "$line"
done
echo "1..$n"
[ "$bad" -eq 0 ]
