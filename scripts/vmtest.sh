#!/usr/bin/env bash
# Run a command inside a Debian kernel under qemu and return its status.
#
#   scripts/vmtest.sh [-k KERNEL] [--] CMD [ARG...]
#   scripts/vmtest.sh [-k KERNEL] --prepare   (fetch and build only)
#
# KERNEL is a flavour of Debian's current 6.1 kernel, "generic" (default),
# "cloud" or "rt", or a package name (linux-image-6.1.0-57-amd64). The
# package comes from `apt-get download` and is kept, extracted, under
# build/vm/. The guest boots a busybox initramfs holding only the kernel's
# own virtio, 9p and overlay modules; its root is the host's root, read-only
# through 9p under a tmpfs overlay, and this tree is shared read-write at
# the same path, so CMD runs with the host's tools against this build.
# Kernels built without 9p (the cloud flavour) get the same through
# virtio-blk: squashfs images of the host's root (cached, made again when
# dpkg installs something), of this tree (each run) and of the modules,
# each under a tmpfs overlay; what the guest writes to the tree is lost.
# CMD's output (stdout and stderr) comes out of the guest's second serial
# port as it writes it, its status out of the third; the guest's console
# log stays in the run directory when something fails.
#
# Environment: VM_MEM (MiB, 2048), VM_CPUS (1 under emulation, 2 with
# KVM), VM_TIMEOUT (seconds, 1800), VM_KEEP=1 keeps the run directory.
# Exit status: CMD's, or 125 when the VM cannot be made or CMD never ended.
#
# Inside the guest the same script runs as stage 2 (--guest): it mounts
# proc, sys, devtmpfs, bpffs, cgroup2 (at /sys/fs/cgroup, Debian's layout),
# tracefs and debugfs, brings lo up, and runs CMD from the caller's cwd
# with FLOWGATE_TEST_VM=1: the guest's root namespace, root cgroup and
# /sys/fs/bpf are the tests' own (tests/e2e/test_quickstart.sh runs the
# README there as written).
set -euo pipefail

TREE=$(cd "$(dirname "$0")/.." && pwd)
VMDIR=$TREE/build/vm

die() {
	echo "Error: vmtest: $*" >&2
	exit 125
}

# ---- stage 2, in the guest ----------------------------------------------
guest() {
	local run=$1 rc
	# Mount points and home: a root image leaves them out.
	mkdir -p /proc /sys /dev /tmp /run /root /var/tmp /var/log
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	# What udev adds to devtmpfs that scripts use: bash's <(...) is /dev/fd.
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs tmpfs /tmp
	mount -t tmpfs tmpfs /run
	mount -t bpf bpf /sys/fs/bpf
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
	ip link set lo up
	echo vm >/proc/sys/kernel/hostname
	ulimit -l unlimited
	# The host's root has no kmod: busybox's modprobe reads the
	# modules.dep made at extraction, for the kernel's own autoloading.
	echo /sbin/modprobe >/proc/sys/kernel/modprobe
	export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export FLOWGATE_TEST_VM=1
	stty -F /dev/ttyS1 raw -echo
	stty -F /dev/ttyS2 raw -echo
	set +e
	(cd "$(cat "$run/cwd")" && exec bash "$run/cmd") >/dev/ttyS1 2>&1 </dev/null
	rc=$?
	sync
	echo "$rc" >/dev/ttyS2
	echo o >/proc/sysrq-trigger
	sleep 10
}

# ---- host: kernel package ------------------------------------------------
# Prints the name of the image package for a flavour or a package name.
resolve_pkg() {
	local k=$1 meta pkg
	case $k in
	generic | "" | 6.1) meta=linux-image-amd64 ;;
	cloud | rt) meta=linux-image-$k-amd64 ;;
	linux-image-*) meta= pkg=$k ;;
	*) die "unknown kernel '$k' (generic, cloud, rt or a linux-image-* package)" ;;
	esac
	if [ -n "$meta" ]; then
		pkg=$(apt-cache depends "$meta" 2>/dev/null |
			awk '/Depends: linux-image-/ { print $2; exit }')
		[ -n "$pkg" ] || die "apt knows no package $meta (apt-get update?)"
	fi
	# The unsigned build has the same kernel and modules without the
	# signature wrapper, where the archive offers it.
	if [[ $pkg != *-unsigned ]] && apt-cache show "$pkg-unsigned" >/dev/null 2>&1; then
		pkg=$pkg-unsigned
	fi
	echo "$pkg"
}

# Fetches and extracts $1 under $VMDIR/$1 once; prints that directory.
fetch_kernel() {
	local pkg=$1 dir=$VMDIR/$1 kver
	if [ ! -e "$dir/ready" ]; then
		rm -rf "$dir" && mkdir -p "$dir/deb"
		if ! (cd "$dir/deb" && apt-get download "$pkg" >/dev/null 2>"$dir/apt.log"); then
			set -- "$(grep -m1 '^E:' "$dir/apt.log")"
			rm -rf "$dir"
			die "cannot download $pkg: ${1:-apt-get download failed}"
		fi
		dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
		kver=$(ls "$dir/root/lib/modules")
		busybox depmod -b "$dir/root" "$kver"
		unpack_vmlinux "$dir"
		rm -rf "$dir/deb"
		touch "$dir/ready"
	fi
	echo "$dir"
}

# The ELF kernel inside vmlinuz, for qemu to start at its PVH entry: under
# emulation, the BIOS and the xz decompression take longer than the boot.
unpack_vmlinux() {
	local dir=$1 z off
	z=$(ls "$dir"/root/boot/vmlinuz-*) || die "no vmlinuz in the package"
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$z" | head -n1 | cut -d: -f1)
	if [ -n "$off" ] && grep -q '^CONFIG_PVH=y' "$dir"/root/boot/config-* &&
		xz -dcq --single-stream <(tail -c +$((off + 1)) "$z") >"$dir/vmlinux"; then
		return 0
	fi
	ln -sf "$z" "$dir/vmlinux" # another compression: the BIOS decompresses it
}

# Appends module $2 and, first, what it depends on, as paths relative to
# the modules directory $1, to the list in $order (each once).
add_module() {
	local mdir=$1 name=${2//-/_} f d
	grep -qx "$name" "$order.names" 2>/dev/null && return 0
	f=$(cd "$mdir" && find kernel -name "$2.ko" -o -name "$name.ko" | head -n1)
	[ -n "$f" ] || die "module $2 not in $mdir"
	for d in $(tr '\0' '\n' <"$mdir/$f" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$mdir" "$d"
	done
	echo "$name" >>"$order.names"
	echo "$f" >>"$order"
}

# Builds $1/initramfs.gz: busybox, /init, and the modules to reach 9p,
# overlay and virtio-blk (squashfs for kernels without 9p).
make_initramfs() {
	local dir=$1 kver mdir tmp m order
	[ "$dir/initramfs.gz" -nt "$TREE/scripts/vmtest.sh" ] && return 0
	kver=$(ls "$dir/root/lib/modules")
	mdir=$dir/root/lib/modules/$kver
	tmp=$(mktemp -d "$VMDIR/initramfs.XXXXXX")
	order=$tmp/modules.order
	: >"$order"
	for m in virtio_pci 9pnet_virtio 9p overlay virtio_blk squashfs; do
		if [ -n "$(cd "$mdir" && find kernel -name "$m.ko")" ]; then
			add_module "$mdir" "$m"
		fi
	done
	rm -f "$order.names"
	mkdir -p "$tmp/bin" "$tmp/lib/modules"
	cp /bin/busybox "$tmp/bin/busybox"
	while read -r m; do cp "$mdir/$m" "$tmp/lib/modules/"; done <"$order"
	sed 's|.*/||' "$order" >"$tmp/modules"
	rm "$order"
	cat >"$tmp/init" <<'EOF'
#!/bin/busybox sh
# Stage 1: load the modules, stack a tmpfs over the host's root (9p, or a
# squashfs on /dev/vda), mount the tree read-write, and run stage 2.
/bin/busybox --install -s /bin
mkdir -p /proc /dev
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in $(cat /modules); do insmod /lib/modules/$m || echo "init: insmod $m failed"; done
fail() { echo "init: $*"; poweroff -f; }
# overlay DIR LOWER: a tmpfs over LOWER, mounted on DIR.
overlay() {
	mkdir -p "/rw$1/u" "/rw$1/w" "$1"
	mount -t overlay overlay -o "lowerdir=$2,upperdir=/rw$1/u,workdir=/rw$1/w" "$1"
}
mkdir -p /lower /rw /newroot /tree /mods
mount -t tmpfs tmpfs /rw
if [ -e /dev/vda ]; then
	mount -t squashfs -o ro /dev/vda /lower || fail "cannot mount the root image"
	mount -t squashfs -o ro /dev/vdb /tree || fail "cannot mount the tree image"
	mount -t squashfs -o ro /dev/vdc /mods || fail "cannot mount the modules"
	overlay /newroot /lower
	mkdir -p "/newroot$FG_TREE" "/newroot/lib/modules/$FG_KVER" /newroot/sbin
	overlay "/newroot$FG_TREE" /tree
	mount --bind /mods "/newroot/lib/modules/$FG_KVER"
else
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro \
		hostroot /lower || fail "cannot mount the host's root"
	overlay /newroot /lower
	mkdir -p "/newroot$FG_TREE" "/newroot/lib/modules/$FG_KVER" /newroot/sbin
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=mmap \
		tree "/newroot$FG_TREE" || fail "cannot mount the tree"
	mount --bind "/newroot$FG_KDIR/root/lib/modules/$FG_KVER" \
		"/newroot/lib/modules/$FG_KVER"
fi
[ -e /newroot/sbin/modprobe ] || ln -s /bin/busybox /newroot/sbin/modprobe
umount /proc /dev
exec switch_root /newroot /bin/bash "$FG_TREE/scripts/vmtest.sh" --guest "$FG_RUN"
EOF
	chmod +x "$tmp/init"
	(cd "$tmp" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$dir/initramfs.gz.tmp"
	mv "$dir/initramfs.gz.tmp" "$dir/initramfs.gz"
	rm -rf "$tmp"
}

# ---- host: images for kernels without 9p -------------------------------
# What of the host's root the guest never needs: other mounts, caches,
# documentation, compilers (the build happens on the host).
ROOT_EXCLUDES=(proc sys dev run tmp mnt media srv home root opt old_root
	lost+found boot var/cache var/tmp var/log usr/local usr/src usr/include
	usr/share/doc usr/share/man usr/share/info usr/share/locale
	'usr/lib/llvm-*' usr/lib/gcc usr/lib/jvm usr/lib/google-cloud-sdk)
# and this tree (the second image), and what lies beside it but the
# shared captures (tests/pcap reads ../shared/pcaps).
tree_excludes() {
	local d
	echo "${TREE#/}"
	[ "$(dirname "$TREE")" = / ] && return
	for d in "$(dirname "$TREE")"/*; do
		[ "$d" = "$TREE" ] || [ "${d##*/}" = shared ] || echo "${d#/}"
	done
}

# Sets VM_DISKS to the qemu arguments of the three images.
make_images() {
	local dir=$1 run=$2 kver skip
	kver=$(ls "$dir/root/lib/modules")
	command -v mksquashfs >/dev/null || die "mksquashfs missing (scripts/deps.sh)"
	if [ ! -e "$VMDIR/root.sqfs" ] || [ /var/lib/dpkg/status -nt "$VMDIR/root.sqfs" ]; then
		echo "vmtest: making $VMDIR/root.sqfs from / (once)" >&2
		mapfile -t skip < <(tree_excludes)
		nice mksquashfs / "$VMDIR/root.sqfs.tmp" -noappend -quiet -no-progress \
			-comp lz4 -one-file-system -wildcards \
			-e "${ROOT_EXCLUDES[@]}" "${skip[@]}" >"$VMDIR/root.sqfs.log" 2>&1 ||
			die "cannot make the root image (see $VMDIR/root.sqfs.log)"
		mv "$VMDIR/root.sqfs.tmp" "$VMDIR/root.sqfs"
	fi
	[ -e "$dir/modules.sqfs" ] ||
		mksquashfs "$dir/root/lib/modules/$kver" "$dir/modules.sqfs" -noappend \
			-quiet -no-progress -comp lz4 >/dev/null || die "cannot make the modules image"
	mksquashfs "$TREE" "$run/tree.sqfs" -noappend -quiet -no-progress -comp lz4 \
		-wildcards -e 'build/vm/linux-image-*' 'build/vm/*.sqfs*' 'build/vm/run.*/*.sqfs' \
		>/dev/null || die "cannot make the tree image"
	VM_DISKS=()
	for f in "$VMDIR/root.sqfs" "$run/tree.sqfs" "$dir/modules.sqfs"; do
		VM_DISKS+=(-drive "file=$f,if=virtio,format=raw,readonly=on")
	done
}

# ---- host: boot ---------------------------------------------------------
# KVM when /dev/kvm can boot this kernel to its first panic (no root); a
# nested /dev/kvm may exist and fail on the first MSR or hang. The answer
# is kept per kernel; VM_ACCEL=tcg or kvm skips the probe.
kvm_works() {
	local dir=$1
	case ${VM_ACCEL:-auto} in
	tcg) return 1 ;;
	kvm) return 0 ;;
	esac
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	if [ ! -e "$dir/kvm" ]; then
		timeout 15 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nographic \
			-no-reboot -nic none -kernel "$dir/vmlinux" \
			-append "console=ttyS0 panic=-1" </dev/null 2>&1 |
			grep -q 'Kernel panic' && echo yes >"$dir/kvm" || echo no >"$dir/kvm"
	fi
	[ "$(cat "$dir/kvm")" = yes ]
}

run_vm() {
	local dir=$1 run kver accel cpu cpus qpid rc=125 tailpid share
	shift
	kver=$(ls "$dir/root/lib/modules")
	run=$(mktemp -d "$VMDIR/run.XXXXXX")
	printf '%q ' "$@" >"$run/cmd"
	pwd >"$run/cwd"
	: >"$run/out"
	if [ -n "$(cd "$dir/root/lib/modules/$kver" && find kernel -name 9p.ko)" ]; then
		share=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
			-virtfs "local,path=$TREE,mount_tag=tree,security_model=none,multidevs=remap")
	else
		make_images "$dir" "$run"
		share=("${VM_DISKS[@]}")
	fi
	if kvm_works "$dir"; then
		accel=(-accel kvm) cpu=(-cpu host) cpus=${VM_CPUS:-2}
	else
		accel=(-accel tcg) cpu=(-cpu max) cpus=${VM_CPUS:-1}
	fi
	timeout --kill-after=10 "${VM_TIMEOUT:-1800}" qemu-system-x86_64 \
		"${accel[@]}" "${cpu[@]}" -smp "$cpus" -m "${VM_MEM:-2048}" \
		-display none -monitor none -no-reboot -nic none \
		-serial "file:$run/console.log" -serial "file:$run/out" \
		-serial "file:$run/status" \
		-kernel "$dir/vmlinux" -initrd "$dir/initramfs.gz" \
		-append "console=ttyS0 quiet panic=-1 FG_TREE=$TREE FG_RUN=$run FG_KVER=$kver FG_KDIR=$dir" \
		"${share[@]}" </dev/null >"$run/qemu.log" 2>&1 &
	qpid=$!
	# Interrupted: no VM and no run directory left behind.
	trap 'kill "$qpid" 2>/dev/null; wait "$qpid"; rm -rf "$run"; exit 130' INT TERM
	tail -n +1 -f --pid="$qpid" "$run/out" &
	tailpid=$!
	wait "$qpid" || true
	wait "$tailpid" 2>/dev/null || true
	rc=$(tr -dc 0-9 <"$run/status")
	if [ -z "$rc" ]; then
		rc=125
		echo "Error: vmtest: $kver: the command did not finish; console:" >&2
		tail -n 30 "$run/qemu.log" "$run/console.log" | sed 's/^/  | /' >&2
	fi
	if [ "$rc" != 125 ] && [ -z "${VM_KEEP:-}" ]; then
		rm -rf "$run"
	else
		echo "vmtest: run directory $run" >&2
	fi
	return "$rc"
}

main() {
	local kernel=generic pkg dir prepare=
	while [ $# -gt 0 ]; do
		case $1 in
		--guest) guest "$2"; exit 0 ;;
		-k) kernel=$2; shift 2 ;;
		--prepare) prepare=1; shift ;;
		--) shift; break ;;
		-h | --help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
		-*) die "unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || [ -n "$prepare" ] ||
		die "no command (usage: scripts/vmtest.sh [-k KERNEL] [--prepare] CMD...)"
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/deps.sh)"
	mkdir -p "$VMDIR"
	pkg=$(resolve_pkg "$kernel")
	dir=$(fetch_kernel "$pkg")
	make_initramfs "$dir"
	if [ -n "$prepare" ]; then
		echo "vmtest: $pkg ready, kernel $(ls "$dir/root/lib/modules")"
		return 0
	fi
	run_vm "$dir" "$@"
}

main "$@"
