/* SPDX-License-Identifier: MIT */
/* test-resample.c — Pillow's resampling over a window (resample.c):
 * hand-computed values, identity when the size is kept, constant images
 * staying constant, any window equal to the same part of the whole
 * output, a source cut to the part the window reads, one channel equal
 * to three equal channels, the scratch reused, and bad geometry refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/resample.h"
#include "testutil.h"

static struct imlfs_scratch scratch;

static int resample(const uint8_t *src, uint32_t w, uint32_t h, unsigned nch, uint32_t ow,
		    uint32_t oh, uint32_t left, uint32_t top, uint32_t ww, uint32_t wh,
		    enum imlfs_filter f, uint8_t *dst)
{
	struct imlfs_resample r = {
		.src = src, .src_w = w, .src_h = h, .src_stride = (size_t)w * nch, .nch = nch,
		.out_w = ow, .out_h = oh, .left = left, .top = top, .win_w = ww, .win_h = wh,
		.filter = f,
	};

	return imlfs_resample_window(&r, dst, (size_t)ww * nch, &scratch);
}

static uint8_t *noise(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n);

	srand(seed);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rand() >> 7);
	return p;
}

/* Values worked out by hand from Pillow's formulas. */
static void test_hand_computed(void)
{
	const uint8_t two[2] = { 10, 21 }, edge[2] = { 0, 255 };
	const uint8_t four[4] = { 0, 100, 200, 40 };
	uint8_t out[8];

	/* 2 -> 1: both taps weigh 0.5; 15.5 rounds up (the + 2^21) */
	CHECK_EQ(resample(two, 2, 1, 1, 1, 1, 0, 0, 1, 1, IMLFS_FILTER_BILINEAR, out), 0);
	CHECK_EQ(out[0], 16);
	CHECK_EQ(resample(edge, 2, 1, 1, 1, 1, 0, 0, 1, 1, IMLFS_FILTER_BICUBIC, out), 0);
	CHECK_EQ(out[0], 128);
	/* the same vertically */
	CHECK_EQ(resample(two, 1, 2, 1, 1, 1, 0, 0, 1, 1, IMLFS_FILTER_BILINEAR, out), 0);
	CHECK_EQ(out[0], 16);
	/* 4 -> 2 bilinear: scale 2, support 2; position 0 has center 1 and
	 * taps 0..2 weighing 0.75, 0.75, 0.25 before normalising (3/7, 3/7,
	 * 1/7): 0 + 300/7 + 200/7 = 71.43 -> 71; position 1, center 3, taps
	 * 1..3 weighing 0.25, 0.75, 0.75 (1/7, 3/7, 3/7): 820/7 = 117.14 */
	CHECK_EQ(resample(four, 4, 1, 1, 2, 1, 0, 0, 2, 1, IMLFS_FILTER_BILINEAR, out), 0);
	CHECK_EQ(out[0], 71);
	CHECK_EQ(out[1], 117);
	/* 2 -> 4 bilinear upscaling: scale 0.5, support 1; centers 0.25,
	 * 0.75, 1.25, 1.75; position 0 has taps 0 (weight 1 - 0.25 = 0.75,
	 * normalised alone to 1): 10; position 1: taps 0, 1 at 0.75, 0.25:
	 * 7.5 + 5.25 = 12.75 -> 13 */
	CHECK_EQ(resample(two, 2, 1, 1, 4, 1, 0, 0, 4, 1, IMLFS_FILTER_BILINEAR, out), 0);
	CHECK_EQ(out[0], 10);
	CHECK_EQ(out[1], 13);
	CHECK_EQ(out[2], 18);
	CHECK_EQ(out[3], 21);
	/* bicubic overshoots and clips: a step 0 0 255 255 upscaled */
	{
		const uint8_t step[4] = { 0, 0, 255, 255 };
		int low = 0, high = 0;

		CHECK_EQ(resample(step, 4, 1, 1, 8, 1, 0, 0, 8, 1, IMLFS_FILTER_BICUBIC, out), 0);
		for (int i = 0; i < 8; i++) {
			low += out[i] == 0;
			high += out[i] == 255;
		}
		CHECK(low >= 2 && high >= 2);
		CHECK(out[3] > 0 && out[3] < 128 && out[4] > 128 && out[4] < 255);
	}
}

static void test_identity(void)
{
	const uint32_t w = 37, h = 23;
	uint8_t *src = noise((size_t)w * h * 4, 1), *out = malloc((size_t)w * h * 4);

	for (int f = IMLFS_FILTER_BILINEAR; f <= IMLFS_FILTER_BICUBIC; f++)
		for (unsigned nch = 1; nch <= 4; nch++) {
			CHECK_EQ(resample(src, w, h, nch, w, h, 0, 0, w, h, f, out), 0);
			CHECK(!memcmp(out, src, (size_t)w * h * nch));
			/* a window of the identity is the source's window */
			CHECK_EQ(resample(src, w, h, nch, w, h, 5, 7, 11, 3, f, out), 0);
			for (int y = 0; y < 3; y++)
				CHECK(!memcmp(out + (size_t)y * 11 * nch,
					      src + ((size_t)(7 + y) * w + 5) * nch, 11 * nch));
		}
	free(src);
	free(out);
}

static void test_constant(void)
{
	static const uint32_t sizes[][4] = {
		{ 500, 375, 341, 256 }, { 375, 500, 256, 341 }, { 9, 1500, 256, 42666 },
		{ 7, 5, 358, 256 }, { 1, 1, 40, 40 }, { 640, 480, 5, 3 }, { 1000, 3, 1, 1 },
	};
	static const uint8_t values[] = { 0, 1, 37, 128, 254, 255 };

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		uint32_t w = sizes[i][0], h = sizes[i][1], ow = sizes[i][2], oh = sizes[i][3];
		uint32_t ww = ow < 32 ? ow : 32, wh = oh < 32 ? oh : 32;
		uint8_t *src = malloc((size_t)w * h * 3), *out = malloc((size_t)ww * wh * 3);

		for (size_t v = 0; v < sizeof values; v++)
			for (int f = IMLFS_FILTER_BILINEAR; f <= IMLFS_FILTER_BICUBIC; f++) {
				int bad = 0;

				memset(src, values[v], (size_t)w * h * 3);
				CHECK_EQ(resample(src, w, h, 3, ow, oh, ow - ww, (oh - wh) / 2, ww,
						  wh, f, out), 0);
				for (size_t j = 0; j < (size_t)ww * wh * 3; j++)
					bad += out[j] != values[v];
				if (bad)
					fprintf(stderr, "%ux%u -> %ux%u of %u: %d bytes changed\n",
						w, h, ow, oh, values[v], bad);
				CHECK_EQ(bad, 0);
			}
		free(src);
		free(out);
	}
}

/* Every window equals the same part of the whole resized image: the
 * window's weights and rows are those of the whole. */
static void test_windows(void)
{
	static const uint32_t sizes[][4] = {
		{ 97, 61, 45, 28 }, { 61, 97, 28, 45 }, { 20, 13, 71, 46 }, { 50, 40, 50, 17 },
		{ 50, 40, 23, 40 }, { 3, 200, 40, 2666 }, { 300, 7, 133, 3 },
	};

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		for (unsigned nch = 1; nch <= 4; nch += 2)
			for (int f = IMLFS_FILTER_BILINEAR; f <= IMLFS_FILTER_BICUBIC; f++) {
				uint32_t w = sizes[i][0], h = sizes[i][1], ow = sizes[i][2];
				uint32_t oh = sizes[i][3];
				uint8_t *src = noise((size_t)w * h * nch, (unsigned)i);
				uint8_t *all = malloc((size_t)ow * oh * nch);
				uint8_t *win = malloc((size_t)ow * oh * nch);

				CHECK_EQ(resample(src, w, h, nch, ow, oh, 0, 0, ow, oh, f, all), 0);
				for (int t = 0; t < 20; t++) {
					uint32_t ww = 1 + (uint32_t)rand() % ow;
					uint32_t wh = 1 + (uint32_t)rand() % (oh < 64 ? oh : 64);
					uint32_t l = (uint32_t)rand() % (ow - ww + 1);
					uint32_t tp = (uint32_t)rand() % (oh - wh + 1);
					int same = 1;

					CHECK_EQ(resample(src, w, h, nch, ow, oh, l, tp, ww, wh, f, win), 0);
					for (uint32_t y = 0; y < wh; y++)
						same &= !memcmp(win + (size_t)y * ww * nch,
								all + ((size_t)(tp + y) * ow + l) * nch,
								(size_t)ww * nch);
					if (!same)
						fprintf(stderr, "%ux%u -> %ux%u window %u,%u %ux%u differs\n",
							w, h, ow, oh, l, tp, ww, wh);
					CHECK(same);
				}
				free(src);
				free(all);
				free(win);
			}
}

/* A source cut to what imlfs_resample_source says the window reads gives
 * the window computed from the whole source (all four pass
 * combinations); a part one column or row short of it is refused.  The
 * bytes outside the part are poisoned in the copy, so reading them
 * would show. */
static void test_parts(void)
{
	static const uint32_t sizes[][4] = {
		{ 500, 375, 341, 256 }, { 97, 61, 45, 28 }, { 20, 13, 71, 46 }, { 50, 40, 50, 17 },
		{ 50, 40, 23, 40 }, { 50, 40, 50, 40 }, { 300, 7, 133, 3 },
	};

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		for (unsigned nch = 1; nch <= 3; nch += 2)
			for (int f = IMLFS_FILTER_BILINEAR; f <= IMLFS_FILTER_BICUBIC; f++) {
				uint32_t w = sizes[i][0], h = sizes[i][1], ow = sizes[i][2];
				uint32_t oh = sizes[i][3], ww = ow * 2 / 3 + 1, wh = oh / 2 + 1;
				uint32_t l = (ow - ww) / 2, tp = (oh - wh) / 3, x0, x1, y0, y1;
				size_t n = (size_t)w * h * nch, row = (size_t)w * nch;
				uint8_t *src = noise(n, (unsigned)i + 50), *cut = malloc(n);
				uint8_t *want = malloc((size_t)ww * wh * nch);
				uint8_t *got = malloc((size_t)ww * wh * nch);
				struct imlfs_resample r = {
					.src = src, .src_w = w, .src_h = h, .src_stride = row,
					.nch = nch, .out_w = ow, .out_h = oh, .left = l, .top = tp,
					.win_w = ww, .win_h = wh, .filter = (enum imlfs_filter)f,
				};

				CHECK_EQ(imlfs_resample_window(&r, want, (size_t)ww * nch, &scratch), 0);
				CHECK_EQ(imlfs_resample_source(&r, &x0, &x1, &y0, &y1), 0);
				CHECK(x0 < x1 && x1 <= w && y0 < y1 && y1 <= h);
				/* the part, packed from cut's start, the rest poisoned */
				memset(cut, 0xee, n);
				for (uint32_t y = y0; y < y1; y++)
					memcpy(cut + (size_t)(y - y0) * (x1 - x0) * nch,
					       src + y * row + (size_t)x0 * nch, (size_t)(x1 - x0) * nch);
				r.src = cut;
				r.src_stride = (size_t)(x1 - x0) * nch;
				r.part_x = x0;
				r.part_y = y0;
				r.part_w = x1 - x0;
				r.part_h = y1 - y0;
				memset(got, 0x11, (size_t)ww * wh * nch);
				CHECK_EQ(imlfs_resample_window(&r, got, (size_t)ww * nch, &scratch), 0);
				CHECK(!memcmp(got, want, (size_t)ww * wh * nch));
				/* short of a column on the right, of a row at the top */
				r.part_w--;
				CHECK_EQ(imlfs_resample_window(&r, got, (size_t)ww * nch, &scratch),
					 -EINVAL);
				r.part_w++;
				r.part_y++;
				r.part_h--;
				CHECK_EQ(imlfs_resample_window(&r, got, (size_t)ww * nch, &scratch),
					 -EINVAL);
				free(src);
				free(cut);
				free(want);
				free(got);
			}
}

/* One channel gives what each of three equal channels gives: what lets
 * pixels.c resample grey JPEGs once. */
static void test_grey_as_rgb(void)
{
	const uint32_t w = 83, h = 59, ow = 40, oh = 28;
	uint8_t *g = noise((size_t)w * h, 9), *rgb = malloc((size_t)w * h * 3);
	uint8_t *og = malloc((size_t)ow * oh), *orgb = malloc((size_t)ow * oh * 3);
	int same = 1;

	for (size_t i = 0; i < (size_t)w * h; i++)
		rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g[i];
	CHECK_EQ(resample(g, w, h, 1, ow, oh, 0, 0, ow, oh, IMLFS_FILTER_BICUBIC, og), 0);
	CHECK_EQ(resample(rgb, w, h, 3, ow, oh, 0, 0, ow, oh, IMLFS_FILTER_BICUBIC, orgb), 0);
	for (size_t i = 0; i < (size_t)ow * oh; i++)
		same &= orgb[3 * i] == og[i] && orgb[3 * i + 1] == og[i] && orgb[3 * i + 2] == og[i];
	CHECK(same);
	free(g);
	free(rgb);
	free(og);
	free(orgb);
}

static void test_refused(void)
{
	uint8_t src[12] = { 0 }, out[64];

	CHECK_EQ(resample(src, 2, 2, 3, 4, 4, 0, 0, 5, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 2, 2, 3, 4, 4, 1, 0, 4, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 2, 2, 3, 4, 4, 0, 4, 1, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 2, 2, 3, 4, 4, 0, 0, 0, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 2, 2, 3, 0, 4, 0, 0, 1, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 0, 2, 3, 4, 4, 0, 0, 1, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 2, 2, 5, 4, 4, 0, 0, 1, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 2, 2, 3, 4, 4, 0, 0, 1, 1, (enum imlfs_filter)1, out), -EINVAL);
	CHECK_EQ(resample(NULL, 2, 2, 3, 4, 4, 0, 0, 1, 1, IMLFS_FILTER_BILINEAR, out), -EINVAL);
	CHECK_EQ(resample(src, 2, 2, 3, 4, 4, 3, 3, 1, 1, IMLFS_FILTER_BICUBIC, out), 0);
}

/* The scratch grows to what the largest call needed and is reused. */
static void test_scratch(void)
{
	uint8_t *src = noise(300 * 200 * 3, 4), out[16 * 16 * 3];
	void *p;
	size_t cap;

	CHECK_EQ(resample(src, 300, 200, 3, 150, 100, 10, 10, 16, 16, IMLFS_FILTER_BICUBIC, out), 0);
	p = scratch.p;
	cap = scratch.cap;
	CHECK(p != NULL && cap > 0);
	CHECK_EQ(resample(src, 300, 200, 3, 150, 100, 0, 0, 8, 8, IMLFS_FILTER_BILINEAR, out), 0);
	CHECK(scratch.p == p && scratch.cap == cap);
	CHECK_EQ(imlfs_scratch_reserve(&scratch, cap * 2), 0);
	CHECK(scratch.cap == cap * 2);
	imlfs_scratch_free(&scratch);
	CHECK(scratch.p == NULL && scratch.cap == 0);
	free(src);
}

int main(void)
{
	test_hand_computed();
	test_identity();
	test_constant();
	test_windows();
	test_parts();
	test_grey_as_rgb();
	test_refused();
	test_scratch();
	imlfs_scratch_free(&scratch);
	return tu_done();
}
