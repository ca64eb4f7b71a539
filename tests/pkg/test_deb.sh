#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package: `dpkg-buildpackage -b -us -uc` on a copy of the tree
# builds flowgate_*.deb, lintian has no error or warning; then, in a clean
# root (a copy-on-write overlay of this system in a private mount
# namespace, with no flowgate installed, so nothing here is touched), dpkg
# installs it, `flowgate --version`, `man flowgate`, the bash completion
# and `systemd-analyze verify` on the installed units run there, no unit
# is enabled, and a purge leaves no file of the package behind.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" -eq 0 ] || { echo "Bail out! needs root"; exit 1; }
	# Every mount of the test dies with this namespace, on any exit.
	exec unshare -m --propagation private bash "$0" --inside
fi
T=$(mktemp -d /tmp/fgdeb.XXXXXX)
R=$T/ov/root
cleanup() {
	umount -R "$T/ov" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"

# ---- build -------------------------------------------------------------------
# The files of the tree (committed or not, never build output).
mkdir -p "$T/src"
(cd "$ROOT" && git ls-files -co --exclude-standard -z |
	xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$T/src" ||
	bail "cannot copy the tree"
start=$(date +%s)
(cd "$T/src" && dpkg-buildpackage -b -us -uc -j2) >"$T/build.log" 2>&1
rc=$?
diag_secs=$(($(date +%s) - start))
echo "# dpkg-buildpackage: $diag_secs s"
check "dpkg-buildpackage -b -us -uc" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { tail -20 "$T/build.log" | sed 's/^/#   /'; bail "no package"; }
deb=$(ls "$T"/flowgate_*_*.deb 2>/dev/null | head -1)
check "it builds flowgate_*.deb" test -f "$deb"
out=$(lintian "$T"/flowgate_*.changes 2>&1)
tags=$(printf '%s\n' "$out" | grep -E '^[EW]: ')
check "lintian: no error or warning" test -z "$tags"
[ -n "$tags" ] && printf '%s\n' "$tags" | sed 's/^/#   /'
# lintian renders the page at 120 columns; a terminal is often 80: groff
# has nothing to say about either (tables fit, every line adjusts).
for w in 80 120; do
	check "man -l doc/flowgate.8 at $w columns: no groff warning" bash -c \
		"cd '$ROOT' && ! LC_ALL=C.UTF-8 MANROFFSEQ= MANWIDTH=$w man \
		--warnings -E UTF-8 -l -Tutf8 -Z doc/flowgate.8 2>&1 >/dev/null |
		grep ."
done

# ---- a clean root ------------------------------------------------------------
mkdir -p "$T/ov"
mount -t tmpfs tmpfs "$T/ov" || bail "tmpfs"
mkdir -p "$T/ov/up" "$T/ov/work" "$R"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/ov/up,workdir=$T/ov/work" \
	"$R" || bail "cannot mount the overlay root"
mount -t proc proc "$R/proc" || bail "proc"
mount -t tmpfs tmpfs "$R/tmp"
cp "$deb" "$R/tmp/flowgate.deb"
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C.UTF-8 "$@"; }

check "the clean root has no flowgate" bash -c "! chroot '$R' dpkg -s flowgate"
check "dpkg -i flowgate_*.deb" in_root dpkg -i /tmp/flowgate.deb
v=$(in_root flowgate --version)
check "flowgate --version: the package's version" \
	test "$(echo "$v" | head -1)" = "flowgate $(dpkg-deb -f "$deb" Version)"
check "it finds its BPF objects in /usr/lib/flowgate" \
	grep -qx 'bpf_objects *\/usr\/lib\/flowgate\/flowgate_xdp.bpf.o' <<<"$v"
check "man flowgate" bash -c "chroot '$R' env MANPAGER=cat MANWIDTH=80 \
	man flowgate 2>&1 | grep -A1 '^NAME' | grep -q 'flowgate '"
check "bash completion loads from its directory" in_root bash -c '
	. /usr/share/bash-completion/completions/flowgate &&
	complete -p flowgate | grep -q _flowgate'
for u in flowgate-export flowgate-daemon flowgate-metrics; do
	check "systemd-analyze verify $u.service" \
		in_root systemd-analyze verify "/lib/systemd/system/$u.service"
	check "$u.service is not enabled by the package" \
		bash -c "! ls '$R'/etc/systemd/system/*.wants/$u.service 2>/dev/null"
done
check "dpkg --purge flowgate" in_root dpkg --purge flowgate
left=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' |
	while read -r f; do [ -e "$R$f" ] && echo "$f"; done)
check "purge: no file of the package left" test -z "$left"
[ -n "$left" ] && printf '%s\n' "$left" | sed 's/^/#   /'
# (man-db's own cache of the page it rendered above is man-db's.)
left=$(cd "$T/ov/up" && find . -name '*flowgate*' |
	grep -v -e '^./tmp' -e '^./var/cache/man/')
check "purge: nothing named flowgate left anywhere in the root" test -z "$left"
[ -n "$left" ] && printf '%s\n' "$left" | sed 's/^/#   /'
fg_done
