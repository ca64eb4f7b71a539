# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Set-up shared by the bench scripts that run flowgate on a veth pair in
# throw-away namespaces (export.sh, metrics.sh, pps.sh, web.sh). Source it
# after defining die(), then:
#
#   bl_bpffs PREFIX        private bpffs on a temp dir ($BL_TMP/bpffs, with
#                          FLOWGATE_BPFFS and LIBXDP_BPFFS under it) and
#                          the cleanup trap
#   bl_veth1 NS A B        one namespace holding both ends of a veth pair
#   bl_veth2 NS1 A NS2 B [MAC_A MAC_B]
#                          a namespace at each end
#   bl_bg CMD...           run in the background, stopped by the cleanup
#                          ($BL_LAST: its PID)
#   bl_stop PID            SIGTERM and wait
#   bl_cpu_of PID          CPU time of a process (user + system), us
#   bl_exp_bench           build build/bench/exp_bench if it is stale
#
# tests/lib/netns.sh is the same idea for the tests, but speaks TAP and
# bails out; a bench prints figures and dies with one line. The cleanup
# removes what was made here, on any exit: background processes, the
# namespaces (and with them the veth pairs and every program on them), the
# bpffs and the temp dir; BL_CLEANUP_HOOK, if set, runs first.

BL_TMP='' BL_NS=() BL_PIDS=()

bl_cleanup() {
	local rc=$? p ns

	trap - EXIT INT TERM
	[ -n "${BL_CLEANUP_HOOK:-}" ] && "$BL_CLEANUP_HOOK"
	for p in "${BL_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${BL_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for ns in "${BL_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -n "$BL_TMP" ]; then
		umount "$BL_TMP/bpffs" 2>/dev/null ||
			umount -l "$BL_TMP/bpffs" 2>/dev/null || true
		rm -rf "$BL_TMP"
	fi
	exit "$rc"
}

# A private bpffs in the host mount namespace: `ip netns exec` replaces
# /sys but still sees it. flowgate pins under it, libxdp keeps its state
# there, and all of it goes with the unmount.
bl_bpffs() { # bl_bpffs PREFIX
	trap bl_cleanup EXIT
	trap 'exit 130' INT TERM
	BL_TMP=$(mktemp -d "/tmp/$1.XXXXXX") || die "mktemp"
	mkdir "$BL_TMP/bpffs"
	mount -t bpf bpf "$BL_TMP/bpffs" ||
		die "cannot mount bpffs on $BL_TMP/bpffs"
	export FLOWGATE_BPFFS=$BL_TMP/bpffs/fg LIBXDP_BPFFS=$BL_TMP/bpffs
}

bl_netns() { # bl_netns NS: a namespace the cleanup deletes
	ip netns add "$1" || die "cannot add namespace $1"
	BL_NS+=("$1")
	ip -n "$1" link set lo up
}

# No IPv6 on the link: nothing but the bench's own traffic crosses it.
bl_no_ipv6() { # bl_no_ipv6 NS DEV
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
}

bl_veth1() { # bl_veth1 NS A B
	bl_netns "$1"
	ip -n "$1" link add "$2" type veth peer name "$3" ||
		die "cannot create the veth pair"
	bl_no_ipv6 "$1" "$2"
	bl_no_ipv6 "$1" "$3"
	ip -n "$1" link set "$2" up
	ip -n "$1" link set "$3" up
}

bl_veth2() { # bl_veth2 NS1 A NS2 B [MAC_A MAC_B]
	local ma=() mb=()

	[ -n "${5:-}" ] && ma=(address "$5")
	[ -n "${6:-}" ] && mb=(address "$6")
	bl_netns "$1"
	bl_netns "$3"
	ip link add "$2" "${ma[@]}" netns "$1" type veth \
		peer name "$4" "${mb[@]}" netns "$3" ||
		die "cannot create the veth pair"
	bl_no_ipv6 "$1" "$2"
	bl_no_ipv6 "$3" "$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

bl_bg() { # bl_bg CMD...
	"$@" &
	BL_PIDS+=("$!")
	BL_LAST=$!
}

bl_stop() { # bl_stop PID
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

bl_cpu_of() { # bl_cpu_of PID
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000000 / hz }' \
		"/proc/$1/stat"
}

# exp_bench links the CLI's objects but main(): state, walks, flow sums.
bl_exp_bench() {
	local exb=$BUILD/bench/exp_bench objs=() o

	mkdir -p "$BUILD/bench"
	[ -x "$exb" ] && [ ! bench/exp_bench.c -nt "$exb" ] &&
		[ ! "$BUILD/flowgate" -nt "$exb" ] && return 0
	while IFS= read -r o; do
		objs+=("$o")
	done < <(find "$BUILD/ctl" -name '*.o' ! -path '*/ctl/main.o')
	# shellcheck disable=SC2046 # make prints several words
	cc -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Iinclude \
		$(make -s print-CTL_INC) -I"$BUILD" bench/exp_bench.c "${objs[@]}" \
		-o "$exb" $(make -s print-LDLIBS)
}
