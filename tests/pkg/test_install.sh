#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make install with PREFIX and DESTDIR into a temp dir: every file where it
# belongs, the installed binary runs and finds its BPF objects from its own
# path, the manual renders, the completion loads, the units pass
# systemd-analyze verify (their ExecStart pointed at the installed binary),
# the example config passes `daemon check`; make uninstall leaves no file.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/fginst.XXXXXX)
trap 'rm -rf "$D"' EXIT

# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"

P=/opt/fgtest
out=$(make -s -C "$ROOT" install DESTDIR="$D" PREFIX=$P 2>&1)
check "make install DESTDIR PREFIX=$P" test $? -eq 0
[ -n "$out" ] && printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
want="$P/lib/flowgate/flowgate_rtt.bpf.o
$P/lib/flowgate/flowgate_tc.bpf.o
$P/lib/flowgate/flowgate_xdp.bpf.o
$P/lib/systemd/system/flowgate-daemon.service
$P/lib/systemd/system/flowgate-export.service
$P/lib/systemd/system/flowgate-metrics.service
$P/sbin/flowgate
$P/share/bash-completion/completions/flowgate
$P/share/doc/flowgate/examples/flowgate.conf
$P/share/doc/flowgate/examples/grafana-flowgate.json
$P/share/man/man8/flowgate.8.gz"
got=$(cd "$D" && find . -type f | sed 's|^\.||' | sort)
if [ "$got" = "$want" ]; then
	ok "the installed files, each in its place"
else
	not_ok "the installed files, each in its place"
	diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
fi
check "no file outside DESTDIR's PREFIX" test "$(ls "$D")" = opt

bin=$D$P/sbin/flowgate
v=$(env -u FLOWGATE_BPF_OBJ "$bin" -j --version)
check "installed flowgate --version runs" test -n "$v"
check "it finds the BPF objects from its own path" \
	/usr/bin/python3 -c '
import json, os, sys
d = json.loads(sys.argv[1])
assert os.path.realpath(d["bpf_objects"]) == sys.argv[2], d["bpf_objects"]
' "$v" "$D$P/lib/flowgate/flowgate_xdp.bpf.o"
v=$(FLOWGATE_BPF_OBJ=$ROOT/build/flowgate_xdp.bpf.o "$bin" -j --version)
check "FLOWGATE_BPF_OBJ still overrides it" /usr/bin/python3 -c '
import json, sys
assert json.loads(sys.argv[1])["bpf_objects"] == sys.argv[2]
' "$v" "$ROOT/build/flowgate_xdp.bpf.o"
check "version matches the build's" test "$("$bin" --version | head -1)" = \
	"$("$ROOT/build/flowgate" --version | head -1)"
check "man renders the installed page, NAME section first" bash -c "
	MANWIDTH=80 man -l '$D$P/share/man/man8/flowgate.8.gz' 2>/dev/null |
	grep -A1 '^NAME' | grep -q 'flowgate '"
check "the completion loads and registers _flowgate" bash -c "
	. '$D$P/share/bash-completion/completions/flowgate' &&
	complete -p flowgate | grep -q _flowgate"
for u in "$D$P"/lib/systemd/system/*.service; do
	n=$(basename "$u")
	check "$n runs the installed binary" grep -q "^ExecStart=$P/sbin/flowgate " "$u"
	sed "s|$P/sbin/flowgate|$bin|g" "$u" >"$D/$n"
	check "systemd-analyze verify $n" systemd-analyze verify --man=no "$D/$n"
	rm -f "$D/$n"
done
check "the example config passes daemon check" \
	"$bin" daemon check "$D$P/share/doc/flowgate/examples/flowgate.conf"

out=$(make -s -C "$ROOT" uninstall DESTDIR="$D" PREFIX=$P 2>&1)
check "make uninstall" test $? -eq 0
left=$(cd "$D" && find . -type f)
check "no file left after uninstall" test -z "$left"
[ -n "$left" ] && printf '%s\n' "$left" | sed 's/^/#   /'
fg_done
