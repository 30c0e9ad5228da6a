/* SPDX-License-Identifier: MIT */
/* test-pixels.c — JPEG to crop (pixels.c) without Python: torchvision's
 * geometry (sizes, half-to-even offsets), the .npy headers numpy writes,
 * crops of JPEGs compressed here (uniform colours stay uniform through
 * grey, RGB and CMYK; the decoder and its buffers are reused), and the
 * errors of corrupt, truncated, oversized or unsupported input.  The
 * byte-exact comparison with PIL + torchvision is in
 * tests/mount/test_pixels_exact.py. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "imlfs/pixels.h"
#include "testutil.h"

static void geometry(uint32_t w, uint32_t h, unsigned s, unsigned c, uint32_t rw, uint32_t rh,
		     uint32_t left, uint32_t top)
{
	struct imlfs_pixspec spec = { s, c, IMLFS_FILTER_BILINEAR };
	uint32_t a, b, l, t;

	imlfs_pixels_geometry(w, h, &spec, &a, &b, &l, &t);
	CHECK_EQ(a, rw);
	CHECK_EQ(b, rh);
	CHECK_EQ(l, left);
	CHECK_EQ(t, top);
}

static void test_geometry(void)
{
	/* int(256 * 500 / 375) = 341; (341 - 224) / 2 = 58.5 -> 58 (even) */
	geometry(500, 375, 256, 224, 341, 256, 58, 16);
	geometry(375, 500, 256, 224, 256, 341, 16, 58);
	/* 33.5 -> 34, 32.5 -> 32: Python's round goes to the even side */
	geometry(291, 256, 256, 224, 291, 256, 34, 16);
	geometry(256, 289, 256, 224, 256, 289, 16, 32);
	geometry(256, 256, 256, 224, 256, 256, 16, 16);
	geometry(500, 333, 232, 224, 348, 232, 62, 4);   /* 348.348... truncated */
	geometry(1500, 9, 256, 224, 42666, 256, 21221, 16);
	geometry(9, 1500, 256, 224, 256, 42666, 16, 21221);
	geometry(1, 1, 40, 32, 40, 40, 4, 4);
	geometry(2, 3, 40, 32, 40, 60, 4, 14);
	/* 7 * 1024 / 3 = 2389.33 */
	geometry(7, 3, 1024, 1024, 2389, 1024, 682, 0);
	geometry(65535, 1, 1024, 1, 67107840, 1024, 33553920, 512);
}

static void test_npy_header(void)
{
	char h[IMLFS_PIXELS_NPY_HEADER_MAX + 1];
	static const char want[] = "\x93NUMPY\x01\x00v\x00{'descr': '|u1', "
				   "'fortran_order': False, 'shape': (224, 224, 3), }";
	size_t n = imlfs_pixels_npy_header(h, 224, -1);

	/* np.save(np.zeros((224, 224, 3), np.uint8)) with numpy 1.24 */
	CHECK_EQ(n, 128);
	CHECK(!memcmp(h, want, sizeof want - 1));
	for (size_t i = sizeof want - 1; i < 127; i++)
		CHECK_EQ(h[i], ' ');
	CHECK_EQ(h[127], '\n');
	n = imlfs_pixels_npy_header(h, 32, 50000);
	CHECK_EQ(n, 128);
	h[n] = 0;
	CHECK(strstr(h + 10, "'shape': (50000, 32, 32, 3), }") != NULL);
	CHECK_EQ(h[127], '\n');
	CHECK_EQ((unsigned char)h[8] | (unsigned char)h[9] << 8, 118);
	n = imlfs_pixels_npy_header(h, 1024, INT64_MAX);
	CHECK_EQ(n, 128);
	CHECK_EQ(imlfs_pixels_npy_header(h, 1025, 1), 0);
}

/* A w x h JPEG of one colour (pf: TJPF_GRAY, TJPF_RGB or TJPF_CMYK). */
static unsigned char *make_jpeg(int w, int h, int pf, const uint8_t *px, int subsamp,
				unsigned long *len)
{
	int nch = tjPixelSize[pf];
	uint8_t *img = malloc((size_t)w * h * nch);
	unsigned char *out = NULL;
	tjhandle tj = tjInitCompress();

	for (size_t i = 0; i < (size_t)w * h; i++)
		memcpy(img + i * nch, px, nch);
	*len = 0;
	if (!tj || tjCompress2(tj, img, w, w * nch, h, pf, &out, len, subsamp, 95, 0) != 0) {
		fprintf(stderr, "tjCompress2: %s\n", tjGetErrorStr2(tj));
		abort();
	}
	tjDestroy(tj);
	free(img);
	return out;
}

/* Every pixel of the crop within 1 of rgb (JPEG's rounding). */
static int uniform(const uint8_t *out, unsigned c, const uint8_t rgb[3])
{
	for (size_t i = 0; i < (size_t)c * c; i++)
		for (int k = 0; k < 3; k++)
			if (abs(out[3 * i + k] - rgb[k]) > 1)
				return 0;
	return 1;
}

static void test_uniform(void)
{
	struct imlfs_pixels *px = imlfs_pixels_new();
	struct imlfs_pixspec spec = { 40, 32, IMLFS_FILTER_BICUBIC };
	uint8_t out[32 * 32 * 3], grey = 77, rgb[3] = { 200, 30, 90 };
	/* stored CMYK, read inverted by Pillow: C = 255 - 55, K = 205 ->
	 * R = 205 - (200 * 205 + 128 + ...) / 255 = 205 - 161 = 44 */
	uint8_t cmyk[4] = { 55, 255, 0, 205 }, want_cmyk[3] = { 44, 205, 0 };
	uint8_t want_grey[3] = { 77, 77, 77 };
	char why[256];
	unsigned long len;
	unsigned char *j;

	CHECK(px != NULL);
	j = make_jpeg(61, 45, TJPF_GRAY, &grey, TJSAMP_GRAY, &len);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), 0);
	CHECK(uniform(out, 32, want_grey));
	tjFree(j);
	j = make_jpeg(45, 61, TJPF_RGB, rgb, TJSAMP_420, &len);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), 0);
	CHECK(uniform(out, 32, rgb));
	tjFree(j);
	/* TurboJPEG writes CMYK pixels as YCCK */
	j = make_jpeg(30, 20, TJPF_CMYK, cmyk, TJSAMP_444, &len);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), 0);
	CHECK(uniform(out, 32, want_cmyk));
	/* the bound on pixels: 600 is enough, 599 not */
	imlfs_pixels_set_max_pixels(px, 600);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), 0);
	imlfs_pixels_set_max_pixels(px, 599);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), -EINVAL);
	CHECK(strstr(why, "too large: 30x20 pixels") != NULL);
	imlfs_pixels_set_max_pixels(px, IMLFS_PIXELS_MAX_PIXELS);
	tjFree(j);
	/* trimmed, the decoder starts again from nothing */
	imlfs_pixels_trim(px);
	j = make_jpeg(1, 1, TJPF_RGB, rgb, TJSAMP_444, &len);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), 0);
	CHECK(uniform(out, 32, rgb));
	tjFree(j);
	imlfs_pixels_free(px);
	imlfs_pixels_free(NULL);
}

static void test_errors(void)
{
	struct imlfs_pixels *px = imlfs_pixels_new();
	struct imlfs_pixspec spec = { 40, 32, IMLFS_FILTER_BILINEAR }, bad = { 32, 40, 3 };
	uint8_t out[32 * 32 * 3], rgb[3] = { 1, 2, 3 };
	char why[256];
	unsigned long len;
	int rc;
	unsigned char *j = make_jpeg(64, 48, TJPF_RGB, rgb, TJSAMP_420, &len);

	why[0] = 0;
	CHECK_EQ(imlfs_pixels_crop(px, (const unsigned char *)"GIF89a", 6, &spec, out, why,
				   sizeof why), -EINVAL);
	CHECK(strstr(why, "not a JPEG") != NULL);
	CHECK_EQ(imlfs_pixels_crop(px, (const unsigned char *)"\xff\xd8\x00\xff", 4, &spec, out,
				   why, sizeof why), -EINVAL);
	CHECK(strstr(why, "does not start with the bytes FF D8 FF") != NULL);
	CHECK_EQ(imlfs_pixels_crop(px, j, 0, &spec, out, why, sizeof why), -EINVAL);
	CHECK_EQ(imlfs_pixels_crop(px, NULL, 0, &spec, out, why, sizeof why), -EINVAL);
	/* header complete, data cut: Pillow's "image file is truncated" */
	CHECK_EQ(imlfs_pixels_crop(px, j, len - 40, &spec, out, why, sizeof why), -EIO);
	CHECK(strstr(why, "corrupt JPEG data: Premature end of JPEG file") != NULL);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &bad, out, why, sizeof why), -EINVAL);
	CHECK(strstr(why, "not a valid pixel spec") != NULL);
	/* and after all that the decoder still works */
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), 0);
	CHECK(uniform(out, 32, rgb));
	/* corrupt the second half (tables and data): an error with a reason
	 * or an image, never a crash (ASan checks the rest) */
	for (unsigned long i = len / 2; i < len - 2; i++)
		j[i] = (unsigned char)(j[i] * 31 + 7);
	why[0] = 0;
	rc = imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why);
	CHECK(rc == 0 || ((rc == -EIO || rc == -EINVAL) && why[0]));
	tjFree(j);
	imlfs_pixels_free(px);
}

/* The JPEG without its DQT segments (it then cannot be decoded alone):
 * in place, the new length returned. */
static unsigned long strip_dqt(unsigned char *j, unsigned long len)
{
	unsigned long i = 2;

	while (i + 4 <= len && j[i] == 0xff && j[i + 1] != 0xda) {
		unsigned long n = 2 + ((unsigned long)j[i + 2] << 8 | j[i + 3]);

		if (j[i + 1] == 0xdb) {
			memmove(j + i, j + i + n, len - i - n);
			len -= n;
		} else {
			i += n;
		}
	}
	return len;
}

/* No table of one image is used for the next: libjpeg would keep them
 * in a reused decompressor, Pillow starts each image afresh. */
static void test_no_borrowed_tables(void)
{
	struct imlfs_pixels *px = imlfs_pixels_new();
	struct imlfs_pixspec spec = { 24, 24, IMLFS_FILTER_BILINEAR };
	uint8_t out[24 * 24 * 3], rgb[3] = { 9, 99, 199 };
	char why[256];
	unsigned long len, len2;
	unsigned char *j = make_jpeg(40, 30, TJPF_RGB, rgb, TJSAMP_420, &len);
	unsigned char *k = make_jpeg(40, 30, TJPF_RGB, rgb, TJSAMP_420, &len2);

	len2 = strip_dqt(k, len2);
	CHECK(len2 < len);
	CHECK_EQ(imlfs_pixels_crop(px, j, len, &spec, out, why, sizeof why), 0);
	CHECK_EQ(imlfs_pixels_crop(px, k, len2, &spec, out, why, sizeof why), -EIO);
	CHECK(strstr(why, "Quantization table 0x00 was not defined") != NULL);
	tjFree(j);
	tjFree(k);
	imlfs_pixels_free(px);
}

/* Pins pixels.c's list of libjpeg warnings, its first entry included: an
 * Adobe APP14 segment with an unknown colour transform (and no JFIF one) is
 * a libjpeg warning, which Pillow ignores; the image is still YCbCr. */
static void test_adobe_warning(void)
{
	static const unsigned char app14[] = { 0xff, 0xee, 0x00, 0x0e, 'A', 'd', 'o', 'b', 'e',
					       0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x05 };
	struct imlfs_pixels *px = imlfs_pixels_new();
	struct imlfs_pixspec spec = { 40, 32, IMLFS_FILTER_BILINEAR };
	uint8_t out[32 * 32 * 3], rgb[3] = { 20, 140, 220 };
	char why[256] = "";
	unsigned long len;
	unsigned char *j = make_jpeg(48, 40, TJPF_RGB, rgb, TJSAMP_444, &len), *k;
	size_t app0;

	/* TurboJPEG's JFIF APP0 right after SOI, replaced by the APP14 */
	CHECK(len > 6 && j[2] == 0xff && j[3] == 0xe0);
	app0 = 2 + ((size_t)j[4] << 8 | j[5]);
	k = malloc(len - app0 + sizeof app14);
	memcpy(k, j, 2);
	memcpy(k + 2, app14, sizeof app14);
	memcpy(k + 2 + sizeof app14, j + 2 + app0, len - 2 - app0);
	CHECK_EQ(imlfs_pixels_crop(px, k, len - app0 + sizeof app14, &spec, out, why, sizeof why),
		 0);
	CHECK(uniform(out, 32, rgb));
	free(k);
	tjFree(j);
	imlfs_pixels_free(px);
}

int main(void)
{
	test_geometry();
	test_npy_header();
	test_uniform();
	test_errors();
	test_no_borrowed_tables();
	test_adobe_warning();
	return tu_done();
}
