/* SPDX-License-Identifier: GPL-2.0 */
/* `flowgate replay`'s driver (replay.c), for its command. */
#ifndef FG_CTL_REPLAY_H
#define FG_CTL_REPLAY_H

#include "replay_args.h"

/* Replay a capture as the arguments say and print the report. */
int fg_replay_run(const struct fg_replay_args *a);

#endif /* FG_CTL_REPLAY_H */
