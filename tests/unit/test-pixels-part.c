/* SPDX-License-Identifier: MIT */
/* test-pixels-part.c — decoding only the part of a JPEG that the crop
 * reads (pixels.c) against decoding it whole, the reference
 * (imlfs_pixels_set_whole): the same bytes and the same failures over
 * JPEGs made by imlfs-mksample's encoder (src/tools/mkjpeg.c) in every
 * subsampling (4:2:0, 4:2:2, 4:4:0, 4:1:1, 4:4:4, mixed), grey, CMYK and
 * YCCK, with restart markers, progressive, at sizes whose part's edges
 * fall anywhere in an iMCU, for specs that read most of the image or
 * little of it; then damaged and truncated copies.  The part's edges are
 * where a wrong margin shows (fancy upsampling, skipped rows), so a
 * margin one iMCU too small fails here.  That parts are decoded at all is
 * checked too: by hand for one image, and by count over the rest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/pixels.h"
#include "mkjpeg.h"
#include "testutil.h"

static const struct imlfs_pixspec specs[] = {
	{ 256, 224, IMLFS_FILTER_BILINEAR },  /* torchvision's classic recipe */
	{ 248, 224, IMLFS_FILTER_BICUBIC },   /* timm's crop_pct 0.9 */
	{ 232, 224, IMLFS_FILTER_BILINEAR },  /* ResNet-50 V2 */
	{ 64, 64, IMLFS_FILTER_BILINEAR },    /* nearly the whole image */
	{ 40, 32, IMLFS_FILTER_BICUBIC },
	{ 512, 96, IMLFS_FILTER_BICUBIC },    /* a small centre: large skips */
	{ 300, 37, IMLFS_FILTER_BILINEAR },
};
#define NSPECS (sizeof specs / sizeof *specs)
#define MAXCROP 224

static struct imlfs_pixels *part_px, *whole_px;
static struct mkjpeg enc;
static unsigned compared, smaller, kept, refused;

static unsigned char *make(int w, int h, int colour, int samp, int progressive, int restart_rows,
			   int restart_mcus, uint64_t seed, unsigned long *len)
{
	struct mkjpeg_spec s = {
		.seed = seed, .width = w, .height = h, .colour = colour, .samp = samp,
		.progressive = progressive, .restart_rows = restart_rows,
		.restart_mcus = restart_mcus, .quality = 85, .detail = 250,
		.hue = (int)(seed % 360),
	};
	unsigned char *j = NULL;

	if (mkjpeg_encode(&enc, &s, &j, len) != 0) {
		fprintf(stderr, "mkjpeg_encode %dx%d: %s\n", w, h, enc.err);
		abort();
	}
	return j;
}

/* One JPEG and spec both ways: the same result, the same bytes. */
static void same(const unsigned char *j, size_t len, const struct imlfs_pixspec *spec,
		 const char *what)
{
	static uint8_t a[MAXCROP * MAXCROP * 3], b[MAXCROP * MAXCROP * 3];
	char wa[512] = "", wb[512] = "";
	size_t n = (size_t)spec->crop * spec->crop * 3;
	int ra, rb;

	memset(a, 0x5a, n);
	memset(b, 0xa5, n);
	ra = imlfs_pixels_crop(part_px, j, len, spec, a, wa, sizeof wa);
	rb = imlfs_pixels_crop(whole_px, j, len, spec, b, wb, sizeof wb);
	compared++;
	if (ra != rb || (ra < 0 && strcmp(wa, wb)) || (ra == 0 && memcmp(a, b, n))) {
		size_t first = 0;

		while (ra == 0 && rb == 0 && first < n && a[first] == b[first])
			first++;
		fprintf(stderr, "%s resize%u-crop%u-%u: part %d (%s), whole %d (%s), first "
			"difference at row %zu column %zu\n", what, spec->resize, spec->crop,
			(unsigned)spec->filter, ra, wa, rb, wb, first / 3 / spec->crop,
			first / 3 % spec->crop);
		tu_failures++;
		return;
	}
	if (ra == 0) {
		struct imlfs_pixels_part p = imlfs_pixels_last_part(part_px);
		struct imlfs_pixels_part q = imlfs_pixels_last_part(whole_px);

		kept++;
		/* the reference is whole; a part is inside the image */
		CHECK(q.x0 == 0 && q.y0 == 0 && q.x1 > 0 && q.y1 > 0);
		CHECK(p.x0 < p.x1 && p.x1 <= q.x1 && p.y0 < p.y1 && p.y1 <= q.y1);
		smaller += (uint64_t)(p.x1 - p.x0) * (p.y1 - p.y0) < (uint64_t)q.x1 * q.y1;
	} else {
		refused++;
	}
}

/* Three of the specs, a different three for each seq: over a few images
 * of a kind, every spec (a test of all seven for every image would take
 * too long under ASan). */
static void three_specs(const unsigned char *j, size_t len, unsigned seq, const char *what)
{
	for (unsigned k = 0; k < 3; k++)
		same(j, len, &specs[(seq + 2 * k) % NSPECS], what);
}

/* The part of a 500x375 4:2:0 photo for resize256-crop224-bilinear, by
 * hand: resized to 341x256, the crop at (58, 16); columns 58..281 read
 * source columns 84..413 (centers (x + 0.5) * 500/341, support 500/341),
 * rows 16..239 read rows 23..351; widened by an iMCU (16) and one pixel,
 * 67..430 and 6..368, the left edge moved down to the iMCU at 64. */
static void test_hand_computed(void)
{
	unsigned long len;
	unsigned char *j = make(500, 375, MK_YCC, MK_420, 0, 0, 0, 1, &len);
	uint8_t out[MAXCROP * MAXCROP * 3];
	struct imlfs_pixels_part p;
	char why[256];

	CHECK_EQ(imlfs_pixels_crop(part_px, j, len, &specs[0], out, why, sizeof why), 0);
	p = imlfs_pixels_last_part(part_px);
	CHECK_EQ(p.x0, 64);
	CHECK_EQ(p.x1, 431);
	CHECK_EQ(p.y0, 6);
	CHECK_EQ(p.y1, 369);
	same(j, len, &specs[0], "500x375 4:2:0");
	/* progressive: decoded whole (entropy decoding is whole anyway) */
	mkjpeg_release(j);
	j = make(500, 375, MK_YCC, MK_420, 1, 0, 0, 1, &len);
	CHECK_EQ(imlfs_pixels_crop(part_px, j, len, &specs[0], out, why, sizeof why), 0);
	p = imlfs_pixels_last_part(part_px);
	CHECK(p.x0 == 0 && p.y0 == 0 && p.x1 == 500 && p.y1 == 375);
	mkjpeg_release(j);
}

/* Every storage at sizes chosen so that the part's edges land at every
 * offset inside an iMCU (16 or 32 pixels) across the specs. */
static void test_storages(void)
{
	static const int sizes[][2] = {
		{ 500, 375 }, { 375, 500 }, { 333, 257 }, { 257, 333 }, { 301, 299 },
		{ 640, 480 }, { 513, 347 }, { 97, 211 }, { 17, 33 }, { 1200, 8 }, { 8, 1200 },
		{ 1, 1 }, { 2, 3 }, { 260, 900 },
	};
	static const char *const sampname[] = { "4:2:0", "4:2:2", "4:4:0", "4:1:1", "4:4:4",
						"mixed" };
	char what[128];
	uint64_t seed = 100;

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		for (int samp = 0; samp < MK_NSAMPS; samp++) {
			int w = sizes[i][0], h = sizes[i][1];
			unsigned long len;
			unsigned char *j = make(w, h, MK_YCC, samp, 0, 0, 0, seed++, &len);

			snprintf(what, sizeof what, "%dx%d %s", w, h, sampname[samp]);
			three_specs(j, len, (unsigned)seed, what);
			mkjpeg_release(j);
		}
		for (int colour = MK_GRAY; colour < MK_NCOLOURS; colour++) {
			/* not mixed: with K as big as Y, 11 blocks an MCU, over
			 * libjpeg's limit of 10 */
			int w = sizes[i][0], h = sizes[i][1], samp = (int)(i % MK_MIXED);
			unsigned long len;
			unsigned char *j = make(w, h, colour, samp, 0, (int)(i % 3 == 0),
						i % 3 == 1 ? 5 : 0, seed++, &len);

			snprintf(what, sizeof what, "%dx%d colour %d %s, restarts %zu", w, h, colour,
				 sampname[samp], i % 3);
			three_specs(j, len, (unsigned)seed, what);
			mkjpeg_release(j);
		}
	}
}

/* Random sizes and storages, two specs each. */
static void test_random(void)
{
	struct mk_rng r = mk_rng_for(7, 1, 0);
	char what[160];

	for (int i = 0; i < 40; i++) {
		int w = mk_range(&r, 1, 720), h = mk_range(&r, 1, 720);
		int colour = mk_chance(&r, 150) ? mk_range(&r, 0, MK_NCOLOURS - 1) : MK_YCC;
		int samp = mk_range(&r, 0, colour >= MK_YCCK ? MK_MIXED - 1 : MK_NSAMPS - 1);
		int prog = mk_chance(&r, 80);
		int rrows = mk_chance(&r, 100) ? mk_range(&r, 1, 3) : 0;
		int rmcus = !rrows && mk_chance(&r, 100) ? mk_range(&r, 1, 9) : 0;
		unsigned long len;
		unsigned char *j = make(w, h, colour, samp, prog, rrows, rmcus, 1000 + (uint64_t)i,
					&len);

		snprintf(what, sizeof what, "random %d: %dx%d colour %d samp %d prog %d restarts "
			 "%d/%d", i, w, h, colour, samp, prog, rrows, rmcus);
		for (int k = 0; k < 2; k++)
			same(j, len, &specs[mk_below(&r, NSPECS)], what);
		mkjpeg_release(j);
	}
}

/* Damaged copies: the part decodes or fails exactly as the whole does,
 * with the same reason (data past the part is still entropy-decoded:
 * damage at the bottom, a cut before EOI, must fail the part too). */
static void test_damage(void)
{
	struct mk_rng r = mk_rng_for(8, 2, 0);
	char what[160];

	for (int i = 0; i < 12; i++) {
		int w = mk_range(&r, 200, 640), h = mk_range(&r, 200, 640);
		unsigned long len;
		unsigned char *j = make(w, h, MK_YCC, i % MK_NSAMPS, i % 8 == 7, i % 5 == 0, 0,
					2000 + (uint64_t)i, &len);
		unsigned char *d = malloc(len);

		/* cut: at the end (no EOI), near the end, in the middle */
		for (unsigned long cut = 2; cut < len; cut = cut * 3 + (unsigned long)i) {
			snprintf(what, sizeof what, "%dx%d cut %lu of %lu", w, h, cut, len);
			same(j, len - cut, &specs[(size_t)i % NSPECS], what);
		}
		/* a few bytes changed in the last third of the data (not EOI),
		 * where only the part's skipped rows lie */
		for (int k = 0; k < 4; k++) {
			memcpy(d, j, len);
			for (int n = 0; n <= k % 3; n++)
				d[len - 3 - mk_below(&r, (uint32_t)(len / 3))] = (unsigned char)mk_next(&r);
			snprintf(what, sizeof what, "%dx%d damaged %d", w, h, k);
			same(d, len, &specs[(size_t)(i + k) % NSPECS], what);
		}
		free(d);
		mkjpeg_release(j);
	}
}

int main(void)
{
	part_px = imlfs_pixels_new();
	whole_px = imlfs_pixels_new();
	CHECK(part_px && whole_px && mkjpeg_init(&enc) == 0);
	imlfs_pixels_set_whole(whole_px, true);
	test_hand_computed();
	test_storages();
	test_random();
	test_damage();
	printf("%u comparisons: %u crops (%u from a part smaller than the image), %u refused "
	       "both ways\n", compared, kept, smaller, refused);
	/* parts were decoded, and damage was refused, often enough to mean
	 * something */
	CHECK(smaller > kept / 2);
	CHECK(refused >= 10);
	imlfs_pixels_free(part_px);
	imlfs_pixels_free(whole_px);
	mkjpeg_free(&enc);
	return tu_done();
}
