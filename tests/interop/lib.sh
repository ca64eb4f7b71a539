# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Harness of the interop tests: flowgate's exporter against real collectors
# (nfcapd/nfdump, nfacctd, tshark), all inside the receiving namespace of
# tests/lib/netns.sh, on its loopback. Source it after nothing else; then:
#
#   ix_setup                  fg_setup + attach + settle + a work dir
#   ix_port udp|tcp           a free port in the receiving namespace
#   ix_bg NAME CMD...         run CMD in the background, in its own process
#                             group, killed (the group) by the cleanup trap
#   ix_wait_bound udp|tcp P   until something listens on port P there
#   ix_export ARGS...         start `flowgate export ARGS` (waits for its
#                             first sweep)
#   ix_export_stop            SIGTERM: pending deltas go out, then it exits
#   ix_send SET TAG           send a flow_send.py set; its expectation is
#                             $IX_DIR/TAG.exp.json, stats around it in
#                             $IX_DIR/TAG.before/.after
#   ix_wait_idle              until the flow table has expired everything
#   ix_compare ARGS...        TAP lines from ix_compare.py
#
# Every background process is a process group leader (setsid), so the trap
# ends it and anything it forked (nfacctd's plugins) by group, never by
# name.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"

IX_DIR='' IX_PIDS=() IX_EXP=''
IX_TOL_MS=20 # flow times: see ix_compare.py

ix_cleanup() {
	local p

	for p in "${IX_PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null
	done
	for p in "${IX_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- "-$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$p" 2>/dev/null
	done
	[ -n "$IX_DIR" ] && [ -z "${IX_KEEP:-}" ] && rm -rf "$IX_DIR"
	return 0
}

ix_setup() {
	# shellcheck disable=SC2034 # read by fg_cleanup (netns.sh)
	T_CLEANUP_HOOK=ix_cleanup
	fg_setup
	IX_DIR=$(mktemp -d /tmp/fgix.XXXXXX) || bail "mktemp"
	chmod 755 "$IX_DIR" # nfcapd/nfacctd may drop privileges
	fg attach "$RX_IF" >/dev/null || bail "attach $RX_IF"
	fg_settle || bail "$RX_IF does not settle"
	RX_IFINDEX=$(jget "$(fg_stats_json)" 'd["interfaces"][0]["ifindex"]')
}

ix_need() { # ix_need CMD...: bail out (all skipped) without the tools
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null || {
			echo "1..0 # SKIP $c not installed (scripts/deps.sh)"
			exit 0
		}
	done
}

ix_bound() { # ix_bound udp|tcp PORT: something listens there
	local opt=-Hlnu

	[ "$1" = tcp ] && opt=-Hlnt
	[ -n "$(ip netns exec "$NS_RX" ss $opt "sport = :$2")" ]
}

ix_port() {
	local p i

	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 40000))
		ix_bound "$1" "$p" || {
			echo "$p"
			return 0
		}
	done
	return 1
}

ix_wait_bound() { # ix_wait_bound udp|tcp PORT [tenths]
	local i

	for ((i = 0; i < ${3:-100}; i++)); do
		ix_bound "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

ix_bg() { # ix_bg NAME CMD...: stdout+stderr in $IX_DIR/NAME.log
	local name=$1

	shift
	setsid "$@" >"$IX_DIR/$name.log" 2>&1 &
	IX_PIDS+=("$!")
	IX_LAST=$!
}

# Stop a background process (and its group) with a signal and wait.
ix_stop() { # ix_stop PID [SIG]
	local i

	kill "-${2:-TERM}" -- "-$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

ix_exp_json() { jget "$(fg -j stats)" "d.get('exporter', {})$1"; }

ix_export() { # ix_export ARGS...
	local i s0

	s0=$(ix_exp_json '.get("sweeps", 0)')
	ix_bg exporter ip netns exec "$NS_RX" "$FLOWGATE" export "$@"
	IX_EXP=$IX_LAST
	for ((i = 0; i < 50; i++)); do
		[ "$(ix_exp_json '.get("pid", 0)')" = "$IX_EXP" ] &&
			[ "$(ix_exp_json '.get("sweeps", 0)')" != "${s0:-0}" ] &&
			return 0
		kill -0 "$IX_EXP" 2>/dev/null || break
		sleep 0.1
	done
	cat "$IX_DIR/exporter.log" >&2
	return 1
}

ix_export_stop() {
	[ -n "$IX_EXP" ] && ix_stop "$IX_EXP" TERM
	IX_EXP=''
}

ix_send() { # ix_send SET TAG
	fg_stats_json >"$IX_DIR/$2.before"
	ip netns exec "$NS_TX" "$PY" "$FG_ROOT/tests/e2e/flow_send.py" \
		"$TX_IF" "$TX_MAC" "$RX_MAC" "$TX_IP4" "$RX_IP4" "$TX_IP6" \
		"$RX_IP6" "$1" "$IX_DIR/$2.exp.json" >"$IX_DIR/$2.sent" ||
		return 1
	sleep 0.2
	fg_stats_json >"$IX_DIR/$2.after"
}

# Until every flow entry has gone idle and been expired by the exporter
# (idle-timeout + a sweep), at most $1 seconds.
ix_wait_idle() {
	local i n

	for ((i = 0; i < ${1:-8} * 10; i++)); do
		n=$(jget "$(fg -j stats)" 'd["flow_table"]["entries"]')
		[ "$n" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# ix_compare LABEL COLLECTOR FILE [ix_compare.py options]: TAP lines.
ix_compare() {
	local label=$1 coll=$2 file=$3 line name rest

	shift 3
	while IFS=$'\t' read -r line name rest; do
		if [ "$line" = ok ]; then
			ok "$label: $name"
		else
			not_ok "$label: $name"
			[ -n "$rest" ] && printf '%s\n' "$rest" | tr '\t' '\n' |
				sed 's/^/#   /'
		fi
	done < <("$PY" "$FG_ROOT/tests/interop/ix_compare.py" \
		--collector "$coll" --records "$file" --ifindex "$RX_IFINDEX" \
		--tol-ms "$IX_TOL_MS" "$@" ||
		printf 'not ok\tix_compare.py failed\n')
}

# Our own strict decoder over a capture of the exporter's bytes: JSON
# lines, one per data record (flows and options).
ix_decode() { "$PY" "$FG_ROOT/tests/lib/ipfix.py" decode "$@"; }

delta() { # delta TAG: ingress packets sampled out while TAG was sent
	local a b
	a=$(jget "$(cat "$IX_DIR/$1.after")" \
		'd["interfaces"][0]["flows"]["in"]["sampled_out_packets"]')
	b=$(jget "$(cat "$IX_DIR/$1.before")" \
		'd["interfaces"][0]["flows"]["in"]["sampled_out_packets"]')
	echo $((a - b))
}

# Export to udp://127.0.0.1:PORT and to FILE while each of SETS
# ("pcap:name,...") is sent, then wait for the table to drain and stop the
# exporter.
ix_export_sets() { # PORT FILE SETS TAG [export args...]
	local port=$1 file=$2 sets=$3 tag=$4 s
	shift 4
	ix_export collector "udp://127.0.0.1:$port" file "$file" \
		idle-timeout 1 interval 200 "$@" || bail "exporter does not start"
	for s in ${sets//,/ }; do
		ix_send "${s%%:*}" "$tag-${s##*:}" || bail "send ${s%%:*}"
	done
	ix_wait_idle 8 || diag "$tag: flows still in the table after 8 s"
	ix_export_stop
}
