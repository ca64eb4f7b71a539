# SPDX-License-Identifier: GPL-2.0
# Helpers for labs of network namespaces, sourced by scripts/demo.sh and
# the tests (tests/lib/netns.sh).

# Quieten IPv6 on a link: no DAD, no router solicitations, no link-local
# address, so that the kernel sends nothing on its own that the counters
# would see. (MLD reports when joining groups still go out at set-up.)
quiet_ipv6() { # quiet_ipv6 NS IF
	local k
	for k in accept_dad=0 dad_transmits=0 router_solicitations=0 \
		accept_ra=0 addr_gen_mode=1; do
		ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.$k" >/dev/null
	done
}
