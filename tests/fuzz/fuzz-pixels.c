/* SPDX-License-Identifier: MIT */
/* fuzz-pixels.c — JPEG bytes to crop (pixels.c, resample.c) over
 * arbitrary bytes, with small specs (by the input's length modulo 3:
 * resize24-crop24-bilinear, resize40-crop32-bicubic, or
 * resize64-crop16-bilinear, whose small centre makes the decoded part
 * small) and images bounded to 2^20 pixels so that each run stays fast:
 * the result is 0, -EINVAL or -EIO with a reason, and decoding only the
 * part the crop reads gives what decoding the whole image gives: the same
 * result, the same reason, the same bytes (each decoder's buffers are
 * reused from input to input, so no byte may come from stale or unset
 * memory either). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/pixels.h"

static struct imlfs_pixels *part, *whole;

static struct imlfs_pixels *decoder(bool all)
{
	struct imlfs_pixels *px = imlfs_pixels_new();

	if (!px)
		abort();
	imlfs_pixels_set_max_pixels(px, 1u << 20);
	imlfs_pixels_set_whole(px, all);
	return px;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imlfs_pixspec specs[3] = {
		{ 24, 24, IMLFS_FILTER_BILINEAR }, { 40, 32, IMLFS_FILTER_BICUBIC },
		{ 64, 16, IMLFS_FILTER_BILINEAR },
	};
	const struct imlfs_pixspec *spec = &specs[size % 3];
	uint8_t a[40 * 40 * 3], b[40 * 40 * 3];
	char wa[512] = "", wb[512] = "";
	int ra, rb;

	if (!part) {
		part = decoder(false);
		whole = decoder(true);
	}
	memset(a, 0x5a, sizeof a);
	memset(b, 0xa5, sizeof b);
	ra = imlfs_pixels_crop(part, data, size, spec, a, wa, sizeof wa);
	rb = imlfs_pixels_crop(whole, data, size, spec, b, wb, sizeof wb);
	if (ra != rb || strcmp(wa, wb))
		abort();
	if (ra < 0) {
		if ((ra != -EINVAL && ra != -EIO) || !wa[0])
			abort();
		return 0;
	}
	if (memcmp(a, b, (size_t)spec->crop * spec->crop * 3))
		abort();
	return 0;
}
