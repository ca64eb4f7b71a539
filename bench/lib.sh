# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Set-up shared by the bench scripts that run flowgate on a veth pair in
# throw-away namespaces (export.sh, metrics.sh, pps.sh, rtt.sh, web.sh) or
# on a private bpffs alone (rules_load.sh).
# Source it from the top of the tree: it sets ROOT, BUILD, FLOWGATE and PY.
# Then:
#
#   bl_opts SPEC "$@"      the command line: SPEC a word per option, "j=json"
#                          a flag (json=1), "n:nflows" one with a value
#                          (nflows=VALUE); defaults set before the call; an
#                          unknown option or an operand prints the usage
#   bl_usage               the header's usage ("#   bench/NAME" up to the
#                          next "#" line) on stderr, exit 2
#   bl_start WHY           root (for WHY) or die, flowgate built; die() and
#                          log() name the script ($json=1 silences log)
#   bl_cgroup2             where cgroup v2 is mounted (never assumed)
#   bl_bpffs PREFIX        private bpffs on a temp dir ($BL_TMP/bpffs, with
#                          FLOWGATE_BPFFS and LIBXDP_BPFFS under it) and
#                          the cleanup trap
#   bl_veth1 NS A B        one namespace holding both ends of a veth pair
#   bl_lab1 TAG            bl_bpffs and bl_veth1 for flowgate on one link:
#                          NS=TAG-PID, DEV=TAGPIDa (attach here),
#                          PEER=TAGPIDb, TMP; in_ns CMD... and fg ARGS...
#                          run there
#   bl_veth2 NS1 A NS2 B [MAC_A MAC_B]
#                          a namespace at each end
#   bl_bg CMD...           run in the background, stopped by the cleanup
#                          ($BL_LAST: its PID)
#   bl_stop PID            SIGTERM and wait
#   bl_cpu_of PID          CPU time of a process (user + system), us
#   bl_exp_bench           build build/bench/exp_bench if it is stale
#   bl_gen_rules N SEED [V6]
#                          N distinct drop rules, one a line (rules_load.sh)
#
# tests/lib/netns.sh is the same idea for the tests, but speaks TAP and
# bails out; a bench prints figures and dies with one line. The cleanup
# removes what was made here, on any exit: background processes, the
# namespaces (and with them the veth pairs and every program on them), the
# bpffs and the temp dir; BL_CLEANUP_HOOK, if set, runs first.

# shellcheck disable=SC2034 # for the scripts that source it
ROOT=$PWD BUILD=${BUILD:-build} PY=/usr/bin/python3
FLOWGATE=$ROOT/$BUILD/flowgate
BL_TMP='' BL_NS=() BL_PIDS=()

bl_usage() {
	awk -v u="#   bench/${0##*/}" 'index($0, u) == 1 { p = 1 }
		p && /^#$/ { exit }
		p { print substr($0, 3) }' "$0" >&2
	exit 2
}

bl_opts() { # bl_opts SPEC "$@"
	local spec=$1 w o letters='' OPTIND=1 OPTARG

	shift
	for w in $spec; do
		letters+=${w:0:1}
		if [ "${w:1:1}" = : ]; then letters+=:; fi
	done
	while getopts "$letters" o; do
		for w in $spec; do
			[ "${w:0:1}" = "$o" ] || continue
			if [ "${w:1:1}" = : ]; then
				printf -v "${w:2}" %s "$OPTARG"
			else
				printf -v "${w:2}" %s 1
			fi
			continue 2
		done
		bl_usage
	done
	[ "$OPTIND" -gt $# ] || bl_usage # no operands
}

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

bl_lab1() { # bl_lab1 TAG
	ID=$$
	NS=$1-$ID DEV=$1${ID}a PEER=$1${ID}b
	bl_bpffs fgbench
	bl_veth1 "$NS" "$DEV" "$PEER"
	TMP=$BL_TMP
}
in_ns() { ip netns exec "$NS" "$@"; }
fg() { in_ns "$FLOWGATE" "$@"; }

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
	local exb=$BUILD/bench/exp_bench objs=()

	mkdir -p "$BUILD/bench"
	[ -x "$exb" ] && [ ! bench/exp_bench.c -nt "$exb" ] &&
		[ ! "$BUILD/flowgate" -nt "$exb" ] && return 0
	# the objects the Makefile links (a stale one of a removed file would
	# clash), all but main.o
	read -ra objs <<<"$(make -s BUILD="$BUILD" print-CTL_LIB)"
	# shellcheck disable=SC2046 # make prints several words
	cc -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Iinclude \
		$(make -s print-CTL_INC) -I"$BUILD" bench/exp_bench.c "${objs[@]}" \
		-o "$exb" $(make -s print-LDLIBS)
}

# N distinct prefixes from a fixed pseudo-random sequence, src and dst
# alternately, action drop: IPv4 of 16-32 bits, none covering the
# documentation ranges the benches send from; V6=mix: IPv6 of 32-128 bits
# in 2000::/3; V6=L: all of length L.
bl_gen_rules() { # bl_gen_rules N SEED [V6]
	/usr/bin/python3 - "$1" "$2" "${3:-}" <<'PY'
import ipaddress, random, sys
n, seed, v6 = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
seen = set()
doc4 = (0xc0000200, 0xc6336400, 0xcb007100)  # 192.0.2/24 198.51.100/24 203.0.113/24
out = []
while v6 and len(out) < n:
    ln = rnd.randint(32, 128) if v6 == "mix" else int(v6)
    a = (1 << 125 | rnd.getrandbits(125)) >> (128 - ln) << (128 - ln)
    if (a, ln) in seen:
        continue
    seen.add((a, ln))
    f = "src" if len(out) % 2 == 0 else "dst"
    out.append("%s %s/%d action drop\n" % (f, ipaddress.IPv6Address(a), ln))
while len(out) < n:
    ln = rnd.randint(16, 32)
    a = rnd.getrandbits(32) & ~((1 << (32 - ln)) - 1) & 0xffffffff
    if a >> 24 in (0, 127) or a >> 24 >= 224 or (a, ln) in seen:
        continue
    if any(d >> (32 - ln) == a >> (32 - ln) for d in doc4):
        continue  # never the benches' own (documentation) addresses
    seen.add((a, ln))
    f = "src" if len(out) % 2 == 0 else "dst"
    out.append("%s %d.%d.%d.%d/%d action drop\n" % (
        f, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, ln))
sys.stdout.write("".join(out))
PY
}

die() { echo "${0##*/}: $*" >&2; exit 1; }
log() { if [ "${json:-0}" != 1 ]; then echo "# $*" >&2; fi; }

bl_start() { # WHY
	[ "$(id -u)" -eq 0 ] || die "needs root ($1)"
	[ -x "$FLOWGATE" ] || make -s all >&2
}

bl_cgroup2() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}
