// SPDX-License-Identifier: GPL-2.0
/* Numbers on the command line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"

int fg_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would take "-1", "+1" and " 1": only digits are numbers */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}
