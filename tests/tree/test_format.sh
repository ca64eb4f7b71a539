#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every C source and header of the tree is as clang-format (.clang-format)
# lays it out: one line per folder, naming the files `make format` would
# change.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
command -v clang-format >/dev/null || { echo "Bail out! no clang-format (make deps)"; exit 1; }
for d in $(git ls-files '*.c' '*.h' | xargs -n1 dirname | sort -u); do
	mapfile -t bad < <(git ls-files "$d/*.c" "$d/*.h" |
		grep -E "^$d/[^/]+$" | xargs clang-format --dry-run --Werror 2>&1 |
		grep -oE '^[^: ]+\.[ch]:[0-9]+:[0-9]+: error' | cut -d: -f1 | sort -u)
	none "$d/ is clang-formatted" "make format changes" "${bad[@]}"
done
fg_done
