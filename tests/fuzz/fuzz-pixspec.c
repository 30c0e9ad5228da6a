/* SPDX-License-Identifier: MIT */
/* fuzz-pixspec.c — spec names (pixspec.c) over arbitrary bytes: a name
 * the parser accepts is canonical, so formatting what it parsed gives
 * back exactly the input bytes, and parsing that gives the same spec; a
 * refused name always comes with a reason. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/pixspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imlfs_pixspec spec, again;
	char why[256] = "", buf[IMLFS_PIXSPEC_NAME_SIZE];
	int n;

	if (imlfs_pixspec_parse((const char *)data, size, &spec, why, sizeof why) < 0) {
		if (!why[0])
			abort();
		return 0;
	}
	if (spec.crop < 1 || spec.crop > spec.resize || spec.resize > IMLFS_PIXSPEC_MAX)
		abort();
	n = imlfs_pixspec_format(&spec, buf, sizeof buf);
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size))
		abort();
	if (imlfs_pixspec_parse(buf, (size_t)n, &again, why, sizeof why) < 0 ||
	    again.resize != spec.resize || again.crop != spec.crop || again.filter != spec.filter)
		abort();
	return 0;
}
