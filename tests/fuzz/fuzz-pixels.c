/* SPDX-License-Identifier: MIT */
/* fuzz-pixels.c — JPEG bytes to crop (pixels.c, resample.c) over
 * arbitrary bytes, with small specs (resize40-crop32-bicubic, or
 * resize24-crop24-bilinear for inputs of even length) and images bounded
 * to 2^20 pixels so that each run stays fast: the result is 0, -EINVAL or
 * -EIO with a reason, and a crop is the same when made twice with the
 * decoder's buffers reused (no byte comes from stale or unset memory). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/pixels.h"

static struct imlfs_pixels *px;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imlfs_pixspec specs[2] = {
		{ 24, 24, IMLFS_FILTER_BILINEAR }, { 40, 32, IMLFS_FILTER_BICUBIC },
	};
	const struct imlfs_pixspec *spec = &specs[size % 2];
	uint8_t a[40 * 40 * 3], b[40 * 40 * 3];
	char why[512] = "";
	int rc;

	if (!px) {
		px = imlfs_pixels_new();
		if (!px)
			abort();
		imlfs_pixels_set_max_pixels(px, 1u << 20);
	}
	rc = imlfs_pixels_crop(px, data, size, spec, a, why, sizeof why);
	if (rc < 0) {
		if ((rc != -EINVAL && rc != -EIO) || !why[0])
			abort();
		return 0;
	}
	memset(b, 0xa5, sizeof b);
	if (imlfs_pixels_crop(px, data, size, spec, b, why, sizeof why) != 0 ||
	    memcmp(a, b, (size_t)spec->crop * spec->crop * 3))
		abort();
	return 0;
}
