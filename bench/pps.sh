#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Real traffic on a veth pair: packets per second that the receiving end's
# XDP program takes in, for flowgate against an empty XDP program and
# xdp-filter, same load, interleaved rounds; prints the medians and the
# ratios flowgate/empty and flowgate/xdp-filter.
#
#   bench/pps.sh [-j] [-v] [-b] [-k] [-f] [-B REV] [-r ROUNDS] [-n PACKETS]
#     -j  JSON instead of the table
#     -v  variants: flowgate with drop-flows off, with sampling 1 in 100,
#         with 1024 flows instead of 1, and in the monitor profile
#     -b  breakdown: fg_xdp's code stopped after each step (parse, interface
#         counters, RX queue counters, flows), bench/fg_steps_xdp.bpf.c
#     -k  capture: flowgate with `flowgate capture drops` running (writing
#         to /dev/null, on another CPU), every drop and 1 in 100
#     -f  flood: UDP to port 0 (dropped by flowgate's port-zero check and
#         by xdp-filter with `xdp-filter port 0`), from 1 source and from
#         100,000 (198.18.0.0/15 x 1 port), flowgate with room for every
#         source (max-flows 262144) and with a full table (max-flows
#         1024, filled by the warm-up), each against empty-drop and
#         xdp-filter on the same frames
#     -B REV  also flowgate as git revision REV builds it (in build/bench),
#         compared with this one ("vs flowgate")
#     -r  rounds (default 5); -n  packets per measurement (default 2000000)
#   env: PPS_SENDER (auto: live frames, or AF_PACKET when the kernel
#        refuses them; live; packet), PPS_CPU (CPU of the sender and so of the receiver's NAPI, default
#        the last one), PPS_BATCH (64), XDP_FILTER_OBJ, BUILD;
#        PPS_RX_CPU=N: the receiver's NAPI threaded and pinned to CPU N
#        (a NIC queue's own CPU): the sender then outruns every receiver,
#        the surplus is dropped at the veth (the "sent, received" warnings
#        are expected) and a rate is the receiver's capacity on one CPU
#
# How: bench/pps_tx sends (or, where the kernel refuses live frames, with
# an AF_PACKET socket bypassing the qdisc, see bench/pps_tx.c; the output
# names the sender, and since that sender costs more per frame, it also
# gives each case's ns per packet above its empty baseline) with BPF_PROG_TEST_RUN in live-frames mode (a
# program returning XDP_TX, ingress = the sending veth end), so the frames
# are transmitted to the peer, whose XDP program is the one measured. The
# peer's NAPI runs in the sender's softirq on the same CPU, so a rate is
# the cost of sending plus receiving; the sending part is the same for
# every program. Received packets are the peer's veth counter
# rx_queue_N_xdp_packets (it counts every frame handed to XDP, dropped or
# not), checked against the programs' own counters where they have one.
# Mpps(wall) = received / wall time of the send; Mpps(cpu) = received /
# CPU time of the sending thread, which includes the inline softirq (no
# IRQ time accounting on this kernel) but not time lost to other tasks on
# that CPU, so it holds up on a busy machine.
#
# Frames: "drop" cases send Ethernet/IPv4/TCP SYN+FIN (flowgate drops it for
# tcp-flags after the full parse and still accounts its flow) against an
# XDP_DROP baseline; "pass" cases send a valid UDP datagram, to a MAC that
# is not the receiver's so the stack drops it at once in ip_rcv, against an
# XDP_PASS baseline (the skb build then dominates both).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
OUT=$BUILD/bench
ARCH=$(cc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
XDPFILT=${XDP_FILTER_OBJ:-/usr/lib/$ARCH/bpf/xdpfilt_dny_all.o}
PPS_TX=$ROOT/$OUT/pps_tx
CPU=${PPS_CPU:-$(($(nproc) - 1))}
BATCH=${PPS_BATCH:-64}
SENDER=${PPS_SENDER:-auto}

json=0 variants=0 breakdown=0 rounds=5 npkts=2000000
capture=0 base="" flood=0
bl_opts 'j=json v=variants b=breakdown k=capture f=flood B:base r:rounds
	n:npkts' "$@"
bl_start "namespaces, XDP, bpffs"
[ -r "$XDPFILT" ] || die "no $XDPFILT (Debian package libxdp1, via xdp-tools)"
command -v xdp-loader >/dev/null || die "no xdp-loader (xdp-tools)"

# ---- build --------------------------------------------------------------

mkdir -p "$OUT"
if [ ! -x "$PPS_TX" ] || [ bench/pps_tx.c -nt "$PPS_TX" ]; then
	cc -O2 -g -Wall -Wextra -Wno-unused-parameter bench/pps_tx.c \
		-o "$PPS_TX" -lbpf -lelf -lz
fi
for b in tx_xdp drop_xdp; do
	if [ ! -r "$OUT/$b.bpf.o" ] || [ "bench/$b.bpf.c" -nt "$OUT/$b.bpf.o" ]; then
		clang -O2 -g -target bpf -D__bpf__ -Wall -I"/usr/include/$ARCH" \
			-c "bench/$b.bpf.c" -o "$OUT/$b.bpf.o"
	fi
done
# fg_xdp's own headers, with the Makefile's BPF_CFLAGS.
if [ ! -r "$OUT/fg_steps_xdp.bpf.o" ] ||
	[ bench/fg_steps_xdp.bpf.c -nt "$OUT/fg_steps_xdp.bpf.o" ] ||
	[ -n "$(find include bpf/lib -newer "$OUT/fg_steps_xdp.bpf.o")" ]; then
	clang -O2 -g -target bpf -D__bpf__ -Wall -Iinclude -Ibpf/lib \
		-I"/usr/include/$ARCH" -c bench/fg_steps_xdp.bpf.c \
		-o "$OUT/fg_steps_xdp.bpf.o"
fi

# -B REV: that revision's flowgate, built with its own tree.
BASE_FG=$ROOT/$OUT/base/build/flowgate
if [ -n "$base" ]; then
	rm -rf "$OUT/base" && mkdir -p "$OUT/base"
	git archive "$base" | tar -x -C "$OUT/base" || die "no revision $base"
	make -s -C "$OUT/base" -j2 BUILD=build build/flowgate >&2 ||
		die "cannot build flowgate $base"
fi

# ---- setup and cleanup ----------------------------------------------------

ID=$$
NS_TX=pps-tx-$ID NS_RX=pps-rx-$ID
TX_IF=pps${ID}a RX_IF=pps${ID}b
TX_MAC=02:00:00:00:00:01 RX_MAC=02:00:00:00:00:02
OTHER_MAC=02:00:00:00:00:99 # not the receiver's: the stack drops at once

bl_bpffs pps
bl_veth2 "$NS_TX" "$TX_IF" "$NS_RX" "$RX_IF" "$TX_MAC" "$RX_MAC"
TMP=$BL_TMP
# PPS_RX_CPU=N: the receiver's NAPI in its own kernel thread on CPU N, as a
# NIC's queue has its own CPU, instead of in the sender's softirq.
# veth has a NAPI instance only while an XDP program is attached: set after
# every attach.
pin_napi() {
	local p
	[ -n "${PPS_RX_CPU:-}" ] || return 0
	ip netns exec "$NS_RX" sh -c "echo 1 >/sys/class/net/$RX_IF/threaded" ||
		die "no threaded NAPI on $RX_IF"
	for p in $(pgrep "^napi/$RX_IF" || true); do
		taskset -pc "$PPS_RX_CPU" "$p" >/dev/null
	done
}

in_tx() { ip netns exec "$NS_TX" "$@"; }
in_rx() { ip netns exec "$NS_RX" "$@"; }

# ---- the programs under test ----------------------------------------------

# attach_CASE / detach_CASE / count_CASE (prints the program's own counter,
# or nothing when it has none).
base_attach() { # base_attach PROG [OBJ]
	in_rx "$PPS_TX" attach -i "$RX_IF" -o "${2:-$OUT/drop_xdp.bpf.o}" -p "$1"
}
base_detach() { in_rx "$PPS_TX" detach -i "$RX_IF"; }
base_count() { in_rx "$PPS_TX" count -i "$RX_IF"; }

fg_attach() {
	in_rx "$FLOWGATE" attach "$RX_IF" >/dev/null
	[ $# -eq 0 ] || in_rx "$FLOWGATE" config set "$@" >/dev/null
}
# detach keeps the settings; purge, so that the next case starts afresh
fg_detach() {
	in_rx "$FLOWGATE" detach "$RX_IF" >/dev/null
	in_rx "$FLOWGATE" purge >/dev/null
}
fg_count() {
	in_rx "$FLOWGATE" -j stats dev "$RX_IF" | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["interfaces"][0]["rx_packets"])'
}

base_fg_attach() { in_rx "$BASE_FG" attach "$RX_IF" "$@" >/dev/null; }
# A revision older than `purge` (before 8e75250's merge) leaves its pins to
# be removed by hand.
base_fg_detach() {
	in_rx "$BASE_FG" detach "$RX_IF" >/dev/null || return
	in_rx "$BASE_FG" purge >/dev/null 2>&1 || rm -rf "$FLOWGATE_BPFFS"
}

# A capture of the drops, 1 in $1, running while the case sends; its
# reader writes to /dev/null.
CAP_PID=
cap_attach() {
	local i
	fg_attach
	ip netns exec "$NS_RX" "$FLOWGATE" -j capture drops sample "$1" \
		write /dev/null >"$BL_TMP/capture.json" 2>&1 &
	CAP_PID=$!
	for ((i = 0; i < 50; i++)); do
		in_rx "$FLOWGATE" -j stats | grep -q '"active":true' && return 0
		sleep 0.1
	done
	return 1
}
cap_detach() {
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	# a rate means little if the ring lost what it did not copy
	log "capture: $("$PY" -c 'import json, sys
k = json.load(open(sys.argv[1]))["kernel"]
print(", ".join("%s %d" % (f, k[f]) for f in
      ("selected", "captured", "suppressed", "lost", "sampled_out")))' \
		"$BL_TMP/capture.json")"
	fg_detach
}

xf_attach() { in_rx xdp-loader load -m native "$RX_IF" "$XDPFILT" >/dev/null; }
xf_detach() { in_rx xdp-loader unload "$RX_IF" --all >/dev/null; }
# xdp-filter's own loader, dropping UDP and TCP to port 0.
xfp_attach() {
	in_rx xdp-filter load -m native "$RX_IF" >/dev/null &&
		in_rx xdp-filter port 0 >/dev/null
}
xfp_detach() { in_rx xdp-filter unload "$RX_IF" >/dev/null; }
fgm_attach() { # fgm_attach MAXFLOWS
	in_rx "$FLOWGATE" attach "$RX_IF" max-flows "$1" >/dev/null
}

# Sum of a group of veth counters (ethtool -S NAME: VALUE lines).
veth_sum() { # veth_sum NS IF REGEX
	ip netns exec "$1" ethtool -S "$2" |
		awk -v re="$3" '$1 ~ re { s += $2 } END { print s + 0 }'
}

ksoftirqd_ticks() {
	local pid
	pid=$(pgrep -x "ksoftirqd/$CPU" || true)
	[ -n "$pid" ] || { echo 0; return; }
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# Cases: NAME GROUP KIND DSTMAC NFLOWS[:NSOURCES] ATTACH DETACH COUNT
# GROUP pairs a case with its baseline: drop (vs "empty-drop"), pass (vs
# "empty-pass").
CASES=(
	"empty-drop|drop|syn-fin|$RX_MAC|1|base_attach xdp_drop|base_detach|"
	"empty-drop+cnt|drop|syn-fin|$RX_MAC|1|base_attach xdp_drop_cnt|base_detach|base_count"
	"xdp-filter|drop|syn-fin|$RX_MAC|1|xf_attach|xf_detach|"
	"flowgate|drop|syn-fin|$RX_MAC|1|fg_attach|fg_detach|fg_count"
	"empty-pass|pass|udp|$OTHER_MAC|1|base_attach xdp_pass|base_detach|"
	"flowgate-pass|pass|udp|$OTHER_MAC|1|fg_attach|fg_detach|fg_count"
)
if [ "$variants" = 1 ]; then
	CASES+=(
		"flowgate/drop-flows-off|drop|syn-fin|$RX_MAC|1|fg_attach drop-flows off|fg_detach|fg_count"
		"flowgate/sampling-100|drop|syn-fin|$RX_MAC|1|fg_attach sampling 100|fg_detach|fg_count"
		"flowgate/1024-flows|drop|syn-fin|$RX_MAC|1024|fg_attach|fg_detach|fg_count"
		"empty-drop/1024-flows|drop|syn-fin|$RX_MAC|1024|base_attach xdp_drop|base_detach|"
		"flowgate/monitor(pass)|pass|syn-fin|$OTHER_MAC|1|fg_attach profile monitor|fg_detach|fg_count"
	)
fi
if [ -n "$base" ]; then
	CASES+=("flowgate@$base|drop|syn-fin|$RX_MAC|1|base_fg_attach|base_fg_detach|fg_count")
fi
if [ "$capture" = 1 ]; then
	CASES+=(
		"flowgate/capture-1|drop|syn-fin|$RX_MAC|1|cap_attach 1|cap_detach|fg_count"
		"flowgate/capture-100|drop|syn-fin|$RX_MAC|1|cap_attach 100|cap_detach|fg_count"
	)
fi
if [ "$flood" = 1 ]; then
	CASES+=(
		"empty/flood-1|flood1|port0|$RX_MAC|1|base_attach xdp_drop|base_detach|"
		"xdp-filter/flood-1|flood1|port0|$RX_MAC|1|xfp_attach|xfp_detach|"
		"flowgate/flood-1|flood1|port0|$RX_MAC|1|fg_attach|fg_detach|fg_count"
		"empty/flood-100k|flood100k|port0|$RX_MAC|1:100000|base_attach xdp_drop|base_detach|"
		"xdp-filter/flood-100k|flood100k|port0|$RX_MAC|1:100000|xfp_attach|xfp_detach|"
		"flowgate/flood-100k-room|flood100k|port0|$RX_MAC|1:100000|fgm_attach 262144|fg_detach|fg_count"
		"flowgate/flood-100k-full|flood100k|port0|$RX_MAC|1:100000|fgm_attach 1024|fg_detach|fg_count"
	)
	[ -z "$base" ] || CASES+=(
		"flowgate@$base/flood-1|flood1|port0|$RX_MAC|1|base_fg_attach|base_fg_detach|fg_count"
		"flowgate@$base/flood-100k-room|flood100k|port0|$RX_MAC|1:100000|base_fg_attach max-flows 262144|base_fg_detach|fg_count"
		"flowgate@$base/flood-100k-full|flood100k|port0|$RX_MAC|1:100000|base_fg_attach max-flows 1024|base_fg_detach|fg_count"
	)
fi
if [ "$breakdown" = 1 ]; then
	for st in parse full; do
		CASES+=("steps/$st|drop|syn-fin|$RX_MAC|1|base_attach step_$st $OUT/fg_steps_xdp.bpf.o|base_detach|")
	done
fi

# One measurement: attach, send, read every counter, detach. Appends a TSV
# line: round case group sent received prog_count ns cpu_ns ksoftirqd_ticks
# tx_xmit tx_errors.
RAW=$TMP/raw.tsv
measure() { # measure ROUND CASE-SPEC
	local round=$1 name group kind dmac nflows att det cnt
	local r0 r1 x0 x1 e0 e1 k0 k1 c0='' c1='' out ns cpu nsrc=1 snd

	IFS='|' read -r name group kind dmac nflows att det cnt <<<"$2"
	case $nflows in *:*) nsrc=${nflows#*:} nflows=${nflows%%:*} ;; esac
	# -S needs the packet sender; every other case uses $SENDER.
	snd=$SENDER
	[ "$nsrc" = 1 ] || snd=packet
	$att || die "$name: attach failed"
	pin_napi
	# Warm up (maps, caches, page pool) outside the measurement.
	in_tx taskset -c "$CPU" "$PPS_TX" send -i "$TX_IF" -n 20000 \
		-b "$BATCH" -k "$kind" -d "$dmac" -F "$nflows" -S "$nsrc" \
		-m "$snd" -o "$OUT/tx_xdp.bpf.o" >/dev/null ||
		die "$name: send failed"
	[ -z "$cnt" ] || c0=$($cnt)
	r0=$(veth_sum "$NS_RX" "$RX_IF" '^rx_queue_[0-9]+_xdp_packets:')
	x0=$(veth_sum "$NS_TX" "$TX_IF" '^tx_queue_[0-9]+_xdp_xmit:')
	e0=$(veth_sum "$NS_TX" "$TX_IF" '^tx_queue_[0-9]+_xdp_xmit_errors:')
	k0=$(ksoftirqd_ticks)
	out=$(in_tx taskset -c "$CPU" "$PPS_TX" send -i "$TX_IF" -n "$npkts" \
		-b "$BATCH" -k "$kind" -d "$dmac" -F "$nflows" -S "$nsrc" \
		-m "$snd" -o "$OUT/tx_xdp.bpf.o") || die "$name: send failed"
	sleep 0.05 # a last NAPI poll deferred to ksoftirqd, if any
	k1=$(ksoftirqd_ticks)
	r1=$(veth_sum "$NS_RX" "$RX_IF" '^rx_queue_[0-9]+_xdp_packets:')
	x1=$(veth_sum "$NS_TX" "$TX_IF" '^tx_queue_[0-9]+_xdp_xmit:')
	e1=$(veth_sum "$NS_TX" "$TX_IF" '^tx_queue_[0-9]+_xdp_xmit_errors:')
	[ -z "$cnt" ] || c1=$($cnt)
	$det || die "$name: detach failed"
	ns=${out#*\"ns\":} ns=${ns%%[!0-9]*}
	cpu=${out#*\"cpu_ns\":} cpu=${cpu%%[!0-9]*}
	snd=${out#*\"sender\":\"} snd=${snd%%\"*}
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" \
		"$name" "$group" "$npkts" $((r1 - r0)) "${c1:+$((c1 - c0))}" \
		"$ns" "$cpu" $((k1 - k0)) $((x1 - x0)) $((e1 - e0)) "$snd" >>"$RAW"
}

log "sender and receiver NAPI on CPU $CPU, $npkts packets per measurement," \
	"batch $BATCH, $rounds rounds of ${#CASES[@]} cases"
: >"$RAW"
for ((r = 0; r < rounds; r++)); do
	# Rotate the order every round, so no case always follows another.
	for ((i = 0; i < ${#CASES[@]}; i++)); do
		measure "$r" "${CASES[(i + r) % ${#CASES[@]}]}"
	done
	log "round $((r + 1))/$rounds done"
done

# ---- report ---------------------------------------------------------------

"$PY" - "$RAW" "$json" "$CPU" "$npkts" "$BATCH" "$rounds" <<'EOF'
import json, statistics as st, sys

raw, as_json, cpu, npkts, batch, rounds = sys.argv[1:]
rows = []
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    rows.append(dict(round=int(f[0]), case=f[1], group=f[2], sent=int(f[3]),
                     recv=int(f[4]), prog=int(f[5]) if f[5] else None,
                     ns=int(f[6]), cpu_ns=int(f[7]), ksoftirqd_ticks=int(f[8]),
                     tx_xmit=int(f[9]), tx_err=int(f[10]), sender=f[11]))
for r in rows:
    r["mpps_wall"] = r["recv"] * 1e3 / r["ns"]
    r["mpps_cpu"] = r["recv"] * 1e3 / r["cpu_ns"]
cases = list(dict.fromkeys(r["case"] for r in rows))
by = {(r["case"], r["round"]): r for r in rows}
base = {"drop": "empty-drop", "pass": "empty-pass",
        "flood1": "empty/flood-1", "flood100k": "empty/flood-100k"}
xfb = {"drop": "xdp-filter", "flood1": "xdp-filter/flood-1",
       "flood100k": "xdp-filter/flood-100k"}
for r in rows:
    r["ns_pkt"] = 1e3 / r["mpps_cpu"] if r["mpps_cpu"] else 0

def spread(v):
    return {"median": round(st.median(v), 3), "min": round(min(v), 3),
            "max": round(max(v), 3)}

def ratios(case, ref, key):
    # Per round, so that both sides saw the same machine state.
    v = [by[(case, k)][key] / by[(ref, k)][key]
         for k in range(int(rounds)) if (case, k) in by and (ref, k) in by]
    return spread(v) if v else None

def above(case, ref):
    # ns per packet (CPU time) above the baseline, per round
    v = [by[(case, k)]["ns_pkt"] - by[(ref, k)]["ns_pkt"]
         for k in range(int(rounds)) if (case, k) in by and (ref, k) in by]
    return spread(v) if v else None

senders = sorted(set(r["sender"] for r in rows))
out = {"cpu": int(cpu), "packets": int(npkts), "batch": int(batch),
       "rounds": int(rounds), "senders": senders, "cases": []}
warn = []
for c in cases:
    rs = [r for r in rows if r["case"] == c]
    g = rs[0]["group"]
    e = {"case": c, "group": g,
         "mpps_wall": spread([r["mpps_wall"] for r in rs]),
         "mpps_cpu": spread([r["mpps_cpu"] for r in rs]),
         "sent": sum(r["sent"] for r in rs),
         "received": sum(r["recv"] for r in rs),
         "tx_xmit_errors": sum(r["tx_err"] for r in rs)}
    progs = [r["prog"] for r in rs if r["prog"] is not None]
    if progs:
        e["program_counted"] = sum(progs)
    ref = base[g]
    e["ns_per_pkt_cpu"] = spread([r["ns_pkt"] for r in rs])
    e["sender"] = ",".join(sorted(set(r["sender"] for r in rs)))
    if c != ref:
        e["vs_" + ref] = {"wall": ratios(c, ref, "mpps_wall"),
                          "cpu": ratios(c, ref, "mpps_cpu")}
        e["ns_above_empty"] = above(c, ref)
    if g == "drop" and c.startswith("flowgate") and c != "flowgate":
        e["vs_flowgate"] = {"wall": ratios(c, "flowgate", "mpps_wall"),
                            "cpu": ratios(c, "flowgate", "mpps_cpu")}
    xf = xfb.get(g)
    if xf and c != xf and (xf, 0) in by:
        e["vs_xdp-filter"] = {"wall": ratios(c, xf, "mpps_wall"),
                              "cpu": ratios(c, xf, "mpps_cpu")}
    out["cases"].append(e)
    if e["received"] != e["sent"]:
        warn.append(f"{c}: sent {e['sent']}, received {e['received']}")
    if progs and e["program_counted"] != e["received"]:
        warn.append(f"{c}: program counted {e['program_counted']}, "
                    f"veth {e['received']}")
    ks = sum(r["ksoftirqd_ticks"] for r in rs) * 4e6  # HZ=250 ticks, ns
    if ks > 0.02 * sum(r["cpu_ns"] for r in rs):
        warn.append(f"{c}: ksoftirqd/{cpu} ran {ks / 1e6:.0f} ms: "
                    "Mpps(cpu) is an overestimate")
out["warnings"] = warn
if as_json == "1":
    print(json.dumps(out, indent=1))
    sys.exit(0)

def fmt(s):
    return f"{s['median']:6.3f} [{s['min']:.3f}-{s['max']:.3f}]"

def rfmt(d, k):
    return fmt(d[k]) if d and d.get(k) else ""

names = {"live": "live frames (BPF_PROG_TEST_RUN)",
         "packet": "AF_PACKET, qdisc bypassed"}
print(f"veth, CPU {cpu}, {npkts} pkts x {rounds} rounds, batch {batch}; "
      "median [min-max]; sender: "
      + ", ".join(names.get(x, x) for x in senders))
print(f"{'case':26} {'Mpps(wall)':>22} {'Mpps(cpu)':>22} "
      f"{'ns/pkt above empty (cpu)':>25}  "
      f"{'ratio vs empty (wall / cpu)':>46}  {'vs xdp-filter (wall / cpu)':>46}")
for e in out["cases"]:
    vb = e.get("vs_" + base[e["group"]])
    vx = e.get("vs_xdp-filter")
    ab = e.get("ns_above_empty")
    abs_ = f"{ab['median']:6.1f} [{ab['min']:.1f}-{ab['max']:.1f}]" if ab else ""
    print(f"{e['case']:26} {fmt(e['mpps_wall']):>22} {fmt(e['mpps_cpu']):>22} "
          f"{abs_:>25}  "
          f"{rfmt(vb, 'wall'):>22} {rfmt(vb, 'cpu'):>23}  "
          f"{rfmt(vx, 'wall'):>22} {rfmt(vx, 'cpu'):>23}")
for e in out["cases"]:
    if e.get("vs_flowgate"):
        print(f"{e['case']:24} vs flowgate (wall / cpu): "
              f"{rfmt(e['vs_flowgate'], 'wall')} / "
              f"{rfmt(e['vs_flowgate'], 'cpu')}")
tot_s = sum(e["sent"] for e in out["cases"])
tot_r = sum(e["received"] for e in out["cases"])
print(f"sent {tot_s}, received {tot_r}; program counters "
      + ("agree" if not any("program counted" in w for w in warn)
         else "DISAGREE") + " with the veth counter")
for w in warn:
    print("warning:", w)
EOF
