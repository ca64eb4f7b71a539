#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The docs stay true to the tree: every path ARCHITECTURE.md names exists
# (a bare file name in the folder table's row of its folder, elsewhere
# anywhere in the tree), every C file of ctl/ is named there, every fg_
# name it gives is in the code, it answers
# the four "where does it go" questions, README.md stays short, and no
# library includes a command's header or shares a header's name with
# another folder (every ctl/ folder is an include directory).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
A=ARCHITECTURE.md
files=$(git ls-files)

# A path with a slash: exists as a file or a folder (placeholders in
# capitals, <...> and absolute paths are examples, not the tree's).
exists() { [ -e "$1" ] || [ -e "${1%/}" ]; }
# A bare name: a tracked file of that name under one of the folders (or
# anywhere when none is given).
named_in() { # name dir...
	local n=$1 d
	shift
	[ $# -eq 0 ] && set -- ""
	for d in "$@"; do
		printf '%s\n' "$files" | grep -qE "^${d%/}${d:+/}(.*/)?${n//./\\.}$" &&
			return 0
	done
	return 1
}

bad=()
while IFS= read -r line; do
	# The folder table: a row's first cell names its folders.
	dirs=()
	if [[ $line == '| `'* ]]; then
		first=${line#| }
		first=${first%% |*}
		mapfile -t dirs < <(grep -o '`[^`]*`' <<<"$first" | tr -d '`' |
			grep '/$')
	fi
	while IFS= read -r tok; do
		[[ $tok == *' '* || $tok == /* || $tok == *'<'* ]] && continue
		[[ $tok =~ [A-Z]{2,}/ ]] && continue # bpf/HOOK/: a placeholder
		if [[ $tok == */* ]]; then
			exists "$tok" || bad+=("$tok")
		elif [[ $tok =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*\.(c|h|sh|py|8|json)$ ]]; then
			named_in "$tok" "${dirs[@]}" || bad+=("$tok")
		fi
	done < <(grep -o '`[^`]*`' <<<"$line" | tr -d '`')
done <"$A"
none "every path $A names exists" "missing" "${bad[@]}"

# A command file by its object's name in the ctl/cmd/ row.
cmdrow=$(grep '^| `ctl/cmd/`' "$A")
missing=()
for f in $(printf '%s\n' "$files" | grep -E '^ctl/.*\.c$'); do
	grep -q "\`$(basename "$f")\`\|\`$f\`" "$A" && continue
	[[ $f == ctl/cmd/* ]] &&
		grep -qF "\`$(basename "$f" .c)\`" <<<"$cmdrow" && continue
	missing+=("$f")
done
none "every C file of ctl/ is named in $A" "not named" "${missing[@]}"

# Every fg_/FG_ name it gives in code spans is in the code (FG_MAP_* is
# a family, not a name).
gone=()
for id in $(grep -oE '`[^`]*`' "$A" | grep -oE '\b(fg|FG)_[A-Za-z0-9_]*[A-Za-z0-9]\b' |
	sort -u); do
	git grep -qw "$id" -- ctl bpf include scripts Makefile || gone+=("$id")
done
none "every fg_ name $A gives is in the code" "not found" "${gone[@]}"

for q in 'A new command' 'A new map' 'A new BPF hook' 'A new exporter output'; do
	if grep -q "^- \*\*$q\*\*" "$A"; then
		ok "$A says where ${q#A } goes"
	else
		not_ok "$A says where ${q#A } goes"
	fi
done

n=$(wc -l <README.md)
if [ "$n" -le 250 ]; then
	ok "README.md is short ($n lines, at most 250)"
else
	not_ok "README.md is short ($n lines, at most 250)"
fi

# Libraries never include a command: the commands' header is theirs and
# main's alone.
inc=$(printf '%s\n' "$files" | grep -E '^ctl/.*\.[ch]$' |
	grep -vE '^ctl/(cmd/|main\.c$)' | xargs grep -l '#include "cmds.h"')
# shellcheck disable=SC2086 # one file name a word
none "no library includes cmds.h" "includes it" $inc

# One name, one header: with every folder on the include path, a second
# metrics.h would be whichever -I comes first.
dup=$(printf '%s\n' "$files" | grep -E '^(ctl|include)/.*\.h$' |
	xargs -n1 basename | sort | uniq -d)
# A header named like a command file, without a source of that name
# beside it, reads as the command's header (metrics.h was).
for c in $(printf '%s\n' "$files" | grep -E '^ctl/cmd/.*\.c$'); do
	b=$(basename "$c" .c)
	for h in $(printf '%s\n' "$files" | grep -E "^ctl/[a-z]+/$b\.h$"); do
		[ -e "${h%.h}.c" ] || dup="$dup $h"
	done
done
# shellcheck disable=SC2086
none "every header's name is its own, none named like a command" "header" \
	$dup

fg_done
