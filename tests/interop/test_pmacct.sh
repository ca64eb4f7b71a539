#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pmacct's nfacctd 1.7.7 receives flowgate's IPFIX over UDP on loopback
# (it has no IPFIX/TCP) and must decode exactly what was sent: every flow's
# 5-tuple, packets, octets, TCP flags, VLAN, direction, times, and the drop
# reason of the guard's drops; with sampling, N times what was exported
# (nfacctd_renormalize) whether the rate is announced as samplingInterval
# (legacy) or as samplingPacketInterval/Space (psamp).
#
# Custom primitives for what nfacctd has no name for: flowDirection (61),
# forwardingStatus (89) and flowgate's dropReason (32473:1).
. "$(dirname "$0")/lib.sh"
ix_need nfacctd
ix_setup

SETS4=(--expect "$IX_DIR/%-mix.exp.json" --expect "$IX_DIR/%-tcp.exp.json"
	--expect "$IX_DIR/%-syn.exp.json:18" --expect "$IX_DIR/%-slow.exp.json:0:2")

nfacctd_conf() { # nfacctd_conf DIR PORT
	cat >"$1/primitives.lst" <<-EOF
		name=flow_dir field_type=61 len=1 semantics=u_int
		name=fwd_status field_type=89 len=1 semantics=u_int
		name=fg_reason field_type=32473:1 len=1 semantics=u_int
	EOF
	cat >"$1/nfacctd.conf" <<-EOF
		daemonize: false
		nfacctd_ip: 127.0.0.1
		nfacctd_port: $2
		nfacctd_renormalize: true
		timestamps_utc: true
		print_num_protos: true
		aggregate_primitives: $1/primitives.lst
		plugins: print[p]
		print_output[p]: json
		print_output_file[p]: $1/flows.json
		print_output_file_append[p]: true
		print_refresh_time[p]: 1
		aggregate[p]: src_host,dst_host,src_port,dst_port,proto,tcpflags,in_iface,out_iface,vlan,timestamp_start,timestamp_end,sampling_rate,flow_dir,fwd_status,fg_reason
	EOF
}

# run TAG SETS EXPORT-ARGS...: nfacctd up, exporter up, send SETS (comma
# separated set:tag pairs), wait until every flow expired, stop both.
run() {
	local tag=$1 sets=$2 d=$IX_DIR/$1 port pid
	shift 2
	mkdir -p "$d"
	port=$(ix_port udp) || bail "no free UDP port"
	nfacctd_conf "$d" "$port"
	ix_bg "$tag-nfacctd" ip netns exec "$NS_RX" nfacctd -f "$d/nfacctd.conf"
	pid=$IX_LAST
	ix_wait_bound udp "$port" || bail "nfacctd does not listen on $port"
	ix_export_sets "$port" "$d/out.ipfix" "$sets" "$tag" "$@"
	sleep 0.5 # nfacctd reads the last datagrams
	ix_stop "$pid" INT # purges its cache into flows.json
	ix_decode "$d/out.ipfix" >"$d/ours.jsonl" ||
		not_ok "$tag: our decoder reads the exporter's file"
	check "$tag: nfacctd parsed every template and record" \
		bash -c "! grep -Ei 'malformed|unable|expecting flow' $IX_DIR/$tag-nfacctd.log"
}

# 1. Defaults (tcpControlBits in 1 octet), no sampling; the slow flows
#    outlast a 1 s active timeout and come in several records.
run a mix:mix,flagsor:tcp,synfin:syn,slow:slow active-timeout 1
ix_compare "nfacctd, UDP" nfacctd "$IX_DIR/a/flows.json" \
	"${SETS4[@]//%/a}" --fwd exact --reason

# 2. Sampling 1 in 4, announced as samplingInterval (34). nfacctd scales
#    the counters (nfacctd_renormalize) and then shows sampling_rate 1.
fg config set sampling 4 >/dev/null || bail "config set sampling"
run b mix:mix
fg config set sampling 1 >/dev/null
ix_compare "nfacctd, sampling 4 (legacy)" nfacctd "$IX_DIR/b/flows.json" \
	--expect "$IX_DIR/b-mix.exp.json" --scale 4 --raw "$IX_DIR/b/ours.jsonl" \
	--sampled-out "$(delta b-mix)"

# 3. Sampling 1 in 4 announced as 305/306 (psamp), tcpControlBits in two
#    octets: nfacctd 1.7.7 reads flags only from one octet (fixed in 1.7.8).
fg config set sampling 4 >/dev/null || bail "config set sampling"
run c mix:mix,flagsor:tcp sampling-announce psamp tcp-flags-octets 2
fg config set sampling 1 >/dev/null
ix_compare "nfacctd, sampling 4 (psamp), 2-octet flags" nfacctd \
	"$IX_DIR/c/flows.json" --expect "$IX_DIR/c-mix.exp.json" \
	--expect "$IX_DIR/c-tcp.exp.json" --scale 4 --raw "$IX_DIR/c/ours.jsonl" \
	--sampled-out $(($(delta c-mix) + $(delta c-tcp))) --flags zero

fg_done
