#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A manual page made from `flowgate help` and `flowgate version`, for trees
# without the manual source doc/flowgate.8: mkman-fallback.sh BINARY
set -euo pipefail
bin=$1
ver=$("$bin" --version | head -1 | cut -d' ' -f2)
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/" -e 's/-/\\-/g'; }
cat <<EOT
.TH FLOWGATE 8 "" "flowgate $ver" "System Administration"
.SH NAME
flowgate \- XDP/TC guard, flow accounting, IPFIX export and metrics
.SH SYNOPSIS
.nf
EOT
"$bin" help | sed -n '/^Usage:/,/^Options:/p' | sed '$d' |
	sed -e 's/^Usage: //' -e 's/^ *//' | esc
cat <<'EOT'
.fi
.SH DESCRIPTION
flowgate drops malformed packets at the NIC (XDP, or TC), counts every
flow in the kernel, measures TCP round-trip times, exports flows as IPFIX
to collectors and serves its counters to Prometheus.
A command names an OBJECT, then a verb and its arguments, as in bpftool.
.SH OPTIONS
.nf
EOT
"$bin" help | sed -n '/^Options:/,$p' | sed -e 's/^Options: //' -e 's/^ *//' | esc
cat <<'EOT'
.fi
.SH EXAMPLES
.nf
flowgate attach eth0
flowgate \-j stats
flowgate metrics listen 127.0.0.1:9477
flowgate \-\-version
.fi
.SH FILES
.TP
.I /sys/fs/bpf/flowgate
pinned maps and programs (\-\-bpffs, $FLOWGATE_BPFFS)
.TP
.I /usr/lib/flowgate
the plain BPF objects, for other loaders ($FLOWGATE_BPF_OBJ)
.SH SEE ALSO
.BR bpftool (8),
.BR xdp\-loader (8)
EOT
