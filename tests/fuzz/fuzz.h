/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host-side fuzz targets share: the CLI's options (main.c has
 * them in the binary; each target is a program of one file), CHECK (a
 * property that fails is a crash libFuzzer keeps), and the check of a
 * grammar error against the text it came from.
 */
#ifndef FG_FUZZ_H
#define FG_FUZZ_H

#include <stdint.h>
#include <string.h>
#include "fg.h"

struct fg_opts fg_opts;

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

static inline unsigned int fuzz_lines(const uint8_t *d, size_t n)
{
	unsigned int l = 1;
	size_t i;

	for (i = 0; i < n; i++)
		l += d[i] == '\n';
	return l;
}

/* An error has a message, and a line inside the text. */
static inline void fuzz_check_perr(const struct fg_perr *e, const uint8_t *d,
				   size_t n)
{
	CHECK(e->msg[0] && memchr(e->msg, '\0', sizeof(e->msg)));
	CHECK(e->line <= fuzz_lines(d, n));
}

#endif /* FG_FUZZ_H */
