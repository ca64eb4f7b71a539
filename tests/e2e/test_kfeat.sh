#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel feature probes (ctl/lib/kfeat.c) as the commands use them. What
# this kernel lacks is forced with FLOWGATE_FAKE_KFEAT (test only): attach,
# replay and rtt enable then fail with one Error: line naming the feature,
# its first Linux release and what still works, leaving no state; what
# still works does; the fallback (libxdp's single-program attach) is taken
# and shown. `status` reports the probes
# as the kernel answers them.
set -u
. "$(dirname "$0")/../lib/netns.sh"

CAP=$FG_ROOT/tests/pcap/captures/ipv4.pcap
REL=$(uname -r)
fg_setup
TMPD=$(mktemp -d /tmp/fgkf.XXXXXX) || bail "mktemp"
kf_cleanup() { rm -rf "$TMPD"; }
T_CLEANUP_HOOK=kf_cleanup

# nothing_left NAME: no pins, no XDP program, no clsact on the link
nothing_left() {
	check "$1: no pins left" test ! -e "$FLOWGATE_BPFFS"
	expect_eq "$1: no XDP program on $RX_IF" "$(xdp_prog_id)" ""
	expect_eq "$1: no clsact qdisc on $RX_IF" \
		"$(tc -n "$NS_RX" qdisc show dev "$RX_IF" | grep -c clsact)" 0
}

# fails NAME WANT_LINE CMD...: exit 1 and exactly WANT_LINE on stderr
fails() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	expect_eq "$name: exit 1, one line" "$rc:$(printf '%s\n' "$out" | wc -l)" "1:1"
	expect_eq "$name: the line" "$out" "$want"
}

# ---- status: the probes as this kernel answers them ----------------------------
s=$(fg -j status)
expect_eq "status: kernel release is uname -r" \
	"$(jget "$s" 'd["kernel"]["release"]')" "$REL"
expect_eq "status: every feature probed, true or false" \
	"$(jget "$s" 'sorted(d["kernel"]["features"]) == sorted(["btf", "xdp", "tc", "tcx", "coarse_clock", "xdp_test_ctx", "sock_ops", "rtt_cb_args", "freplace", "ringbuf", "xdp_load_bytes"]) and all(isinstance(v, bool) for v in d["kernel"]["features"].values())')" \
	true
# What everything flowgate loads needs, and this test's kernels have.
expect_eq "status: xdp, tc, btf, coarse clock, sock_ops, XDP test context" \
	"$(jget "$s" '[d["kernel"]["features"][k] for k in ("xdp", "tc", "btf", "coarse_clock", "sock_ops", "xdp_test_ctx")]')" \
	"[true, true, true, true, true, true]"
btf=$([ -r /sys/kernel/btf/vmlinux ] && echo true || echo false)
expect_eq "status: btf as /sys/kernel/btf/vmlinux says" \
	"$(jget "$s" 'd["kernel"]["features"]["btf"]')" "$btf"
IFS=. read -r maj min _ <<<"$REL"
args=$([ $((maj * 256 + ${min%%[!0-9]*})) -ge $((6 * 256 + 10)) ] && echo exact || echo coarse)
expect_eq "status: RTT samples $args on Linux $maj.${min%%[!0-9]*}" \
	"$(jget "$s" 'd["kernel"]["rtt_samples"]')" "$args"
skipd=$([ -n "${LIBXDP_SKIP_DISPATCHER:-}" ] && echo True || echo False)
expect_eq "status: the fallbacks follow the probes" \
	"$(jget "$s" '(lambda k, f: [k["xdp_attach"] == ("libxdp dispatcher" if f["freplace"] and not '"$skipd"' else "single program"), k["tc_attach"]])(d["kernel"], d["kernel"]["features"])')" \
	'[true, "clsact"]'
s=$(FLOWGATE_FAKE_KFEAT=all fg -j status)
expect_eq "status, everything faked: every feature false, the fallbacks" \
	"$(jget "$s" '(lambda k: [any(k["features"].values()), k["xdp_attach"], k["rtt_samples"]])(d["kernel"])')" \
	'[false, "single program", "coarse"]'
check "status -p with the kernel object is valid JSON" jvalid "$(fg -p status)"

# ---- attach --------------------------------------------------------------------
fails "attach without XDP" \
	"Error: Linux $REL lacks XDP programs (Linux 4.8 and later, CONFIG_BPF_SYSCALL); still works: attach DEV hook tc (the guard and flows on clsact ingress)" \
	env FLOWGATE_FAKE_KFEAT=xdp ip netns exec "$NS_RX" "$FLOWGATE" attach "$RX_IF"
nothing_left "attach without XDP"
out=$(FLOWGATE_FAKE_KFEAT=xdp fg -j attach "$RX_IF" hook tc)
expect_eq "without XDP, hook tc still works" "$?" 0
expect_eq "  ... on clsact ingress" "$(jget "$(fg -j status)" '[i["hook"] for i in d["interfaces"]]')" '["tc"]'
check "  ... and detaches" fg detach "$RX_IF"
fg purge >/dev/null # detach keeps the policy; purge removes the pins
nothing_left "hook tc without XDP"
fails "attach without the coarse clock" \
	"Error: Linux $REL lacks bpf_ktime_get_coarse_ns() (Linux 5.11 and later); still works: rtt enable (TCP RTT); attach needs it for every hook" \
	env FLOWGATE_FAKE_KFEAT=coarse_clock ip netns exec "$NS_RX" "$FLOWGATE" attach "$RX_IF" hook tc
fails "attach without kernel BTF" \
	"Error: Linux $REL lacks kernel BTF (/sys/kernel/btf/vmlinux) (Linux 5.4 and later, CONFIG_DEBUG_INFO_BTF); still works: rtt enable (TCP RTT); attach needs it for every hook" \
	env FLOWGATE_FAKE_KFEAT=btf ip netns exec "$NS_RX" "$FLOWGATE" attach "$RX_IF"
fails "attach without cls_bpf" \
	"Error: Linux $REL lacks BPF classifiers on clsact (cls_bpf) (Linux 4.5 and later, CONFIG_NET_CLS_BPF); still works: rtt enable, replay; attach counts egress on clsact for every hook" \
	env FLOWGATE_FAKE_KFEAT=tc ip netns exec "$NS_RX" "$FLOWGATE" attach "$RX_IF"
nothing_left "failed attaches"

# Without program extensions libxdp attaches fg_xdp alone: the fallback,
# shown per interface and for the kernel.
out=$(FLOWGATE_FAKE_KFEAT=freplace fg -j attach "$RX_IF")
expect_eq "without freplace: attach exits 0" "$?" 0
expect_eq "  ... fg_xdp alone on the link (the program attach reported)" \
	"$(xdp_prog_id)" "$(jget "$out" 'd["prog_id"]')"
expect_eq "  ... status: single program" \
	"$(jget "$(FLOWGATE_FAKE_KFEAT=freplace fg -j status)" '[[i["xdp_attach"] for i in d["interfaces"]], d["kernel"]["xdp_attach"]]')" \
	'[["single program"], "single program"]'
check "  ... detach" fg detach "$RX_IF"
fg purge >/dev/null
nothing_left "freplace fallback"
# Without bpf_xdp_load_bytes() (5.18) fg_xdp loads with its capture path
# left out (rodata fg_cap_loadable; tests/bpf/test_cap_floor checks the
# program itself), and capture alone is refused, naming the release.
NOLB="Error: Linux $REL lacks bpf_xdp_load_bytes() (the capture's copy from XDP) (Linux 5.18 and later); still works: attach, replay, rtt enable (only capture is missing)"
out=$(FLOWGATE_FAKE_KFEAT=xdp_load_bytes fg -j attach "$RX_IF")
expect_eq "without bpf_xdp_load_bytes: attach exits 0" "$?" 0
check "  ... fg_xdp on the link" test -n "$(xdp_prog_id)"
fails "  ... capture refused" "$NOLB" \
	env FLOWGATE_FAKE_KFEAT=xdp_load_bytes ip netns exec "$NS_RX" \
	"$FLOWGATE" capture count 1 duration 1 write "$TMPD/nolb.pcapng"
check "  ... no capture file written" test ! -e "$TMPD/nolb.pcapng"
check "  ... detach" fg detach "$RX_IF"
fg purge >/dev/null
nothing_left "attach without bpf_xdp_load_bytes"
# As the kernel answers: the interface as the kernel line says.
out=$(fg -j attach "$RX_IF")
expect_eq "attach as the kernel allows: exit 0" "$?" 0
s=$(fg -j status)
expect_eq "  ... status: the interface's path is the kernel's" \
	"$(jget "$s" '[i["xdp_attach"] for i in d["interfaces"]]')" \
	"[\"$(jget "$s" 'd["kernel"]["xdp_attach"]')\"]"
check "  ... detach" fg detach "$RX_IF"
fg purge >/dev/null

# ---- replay ----------------------------------------------------------------------
# run_replay DIR [VAR=VALUE...]: replay -j with IPFIX to x.ipfix in DIR
run_replay() {
	local d=$TMPD/$1
	shift
	mkdir -p "$d"
	(cd "$d" && env "$@" "$FLOWGATE" -j replay "$CAP" ipfix x.ipfix \
		>out.json 2>err)
}
run_replay a FLOWGATE_FAKE_KFEAT=
expect_eq "replay with export: exit 0, nothing on stderr" \
	"$?:$(cat "$TMPD/a/err")" "0:"
fails "replay capture without bpf_xdp_load_bytes" "$NOLB" \
	env FLOWGATE_FAKE_KFEAT=xdp_load_bytes "$FLOWGATE" replay "$CAP" \
	capture "$TMPD/nolb.pcapng"
check "  ... no capture file written" test ! -e "$TMPD/nolb.pcapng"
run_replay e FLOWGATE_FAKE_KFEAT=xdp_load_bytes
expect_eq "replay without capture still works there: exit 0, nothing on stderr" \
	"$?:$(cat "$TMPD/e/err")" "0:"
check "  ... the same summary" cmp -s "$TMPD/a/out.json" "$TMPD/e/out.json"
check "  ... the same IPFIX file" cmp -s "$TMPD/a/x.ipfix" "$TMPD/e/x.ipfix"
fails "replay without XDP test contexts" \
	"Error: Linux $REL lacks XDP test runs with a context (BPF_PROG_TEST_RUN ctx_in) (Linux 5.15 and later); still works: attach, rtt enable (replay only is missing)" \
	env FLOWGATE_FAKE_KFEAT=xdp_test_ctx "$FLOWGATE" replay "$CAP"
fails "replay without XDP" \
	"Error: Linux $REL lacks XDP programs (Linux 4.8 and later, CONFIG_BPF_SYSCALL); still works: rtt enable, attach DEV hook tc" \
	env FLOWGATE_FAKE_KFEAT=xdp "$FLOWGATE" replay "$CAP"

# ---- config, rules, daemon: the pinned state is the XDP object's maps ----------
fails "config set without the coarse clock" \
	"Error: Linux $REL lacks bpf_ktime_get_coarse_ns() (Linux 5.11 and later); still works: rtt enable (config, rules and the daemon keep their state in the XDP object's maps)" \
	env FLOWGATE_FAKE_KFEAT=coarse_clock "$FLOWGATE" config set profile strict
check "  ... no state made" test ! -e "$FLOWGATE_BPFFS"

# ---- rtt enable ------------------------------------------------------------------
fails "rtt enable without sock_ops" \
	"Error: Linux $REL lacks sock_ops programs (Linux 4.13 and later, CONFIG_CGROUP_BPF); still works: attach, replay (only TCP RTT is missing)" \
	env FLOWGATE_FAKE_KFEAT=sock_ops "$FLOWGATE" rtt enable
check "  ... no RTT state made" test ! -e "$FLOWGATE_BPFFS"

fg_done
