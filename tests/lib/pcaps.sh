# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# For the tests that replay captures (tests/pcap/test_replay.sh,
# tests/interop/test_softflowd.sh): TAP (tap.sh) and where things are.
# Source it; it sets
#
#   root    the top of the tree
#   FG      the flowgate binary (FLOWGATE overrides)
#   PCAPS   the real captures: ../shared/pcaps beside the tree
#           (FLOWGATE_PCAPS overrides), or where a clone has no such folder,
#           the copies the goldens use (with their MANIFEST lines) in
#           tests/pcap/captures/shared
#   CAPS    the crafted captures (tests/pcap/captures, make_captures.py)
#   PY      the system python3 (it has scapy)

# shellcheck disable=SC2034 # for the scripts that source it
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034
FG=${FLOWGATE:-$root/build/flowgate}
CAPS=$root/tests/pcap/captures
PCAPS=${FLOWGATE_PCAPS:-$root/../shared/pcaps}
[ -d "$PCAPS" ] || PCAPS=$CAPS/shared
# shellcheck disable=SC2034
PY=/usr/bin/python3

# shellcheck source=tests/lib/tap.sh
. "$root/tests/lib/tap.sh"
