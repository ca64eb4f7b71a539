#!/usr/bin/env bash
# Install the Debian packages flowgate needs to build and test. Idempotent:
# when everything is present it only checks and returns.
set -euo pipefail

build_pkgs=(clang llvm make gcc pkg-config libbpf-dev libxdp-dev xdp-tools bpftool
	libelf-dev zlib1g-dev libpcap-dev libcmocka-dev iproute2 linux-libc-dev
	libmicrohttpd-dev)
test_pkgs=(clang-format nfdump pmacct tshark tcpreplay iperf3 python3-scapy netsniff-ng
	softflowd ethtool python3-yaml
	prometheus curl bash-completion man-db systemd
	debhelper dpkg-dev fakeroot lintian)
# The kernel matrix (tests/vm, scripts/vmtest.sh): qemu, a static busybox,
# squashfs images for kernels without 9p.
test_pkgs+=(qemu-system-x86 busybox-static squashfs-tools)

want=("${build_pkgs[@]}")
[ "${1:-}" = "--build-only" ] || want+=("${test_pkgs[@]}")
# The DPDK bench (bench/dpdk, make bench-dpdk) and its test (tests/dpdk).
[ "${1:-}" = "--build-only" ] || want+=(dpdk-dev)
# --bench: what only the benches use (bench/web.sh: a web server and a
# fixed-rate load generator), never in make test's path.
[ "${1:-}" = "--bench" ] && want=(nginx hey)

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "Error: missing packages (${missing[*]}); run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it up front.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
