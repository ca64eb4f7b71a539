// SPDX-License-Identifier: GPL-2.0
/*
 * `make doc`: the manual's source on stdin, written to stdout with its
 * generated parts (synopsis, checks table) made afresh by fg_man_regen().
 * tests/unit/test_help.c fails when the committed page differs.
 */
#include <stdio.h>
#include "fg.h"
#include "cmds.h"

struct fg_opts fg_opts;

int main(void)
{
	return fg_man_regen(stdin, stdout) ? 1 : 0;
}
