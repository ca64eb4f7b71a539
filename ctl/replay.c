// SPDX-License-Identifier: GPL-2.0
/* replay PCAP: placeholder, being written. */
#include "fg.h"

int do_replay(int argc, char **argv)
{
	return fg_usage("replay is not built yet");
}
