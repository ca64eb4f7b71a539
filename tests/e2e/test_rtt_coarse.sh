#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_rtt.sh again with the samples kernels before 6.10 give (the RTT
# callback without arguments: the smoothed RTT before each update, the
# first callback skipped, the minimum from the kernel's rtt_min), forced
# on this kernel by FLOWGATE_FAKE_KFEAT=rtt_cb_args (test only: `rtt
# enable` then sets fg_rtt_coarse in the program's rodata).
export FLOWGATE_FAKE_KFEAT=rtt_cb_args
exec bash "$(dirname "$0")/test_rtt.sh"
