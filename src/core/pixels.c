/* SPDX-License-Identifier: MIT */
/* pixels.c — JPEG bytes to torchvision's evaluation crop (see pixels.h):
 * decode with TurboJPEG as Pillow decodes with libjpeg, turn CMYK into
 * RGB as Pillow's convert("RGB") does, resample only the crop's window
 * (resample.c), and the .npy header for such arrays.
 *
 * Decoding dominates the cost (a 500x375 JPEG: about 2 ms; its resampled
 * crop: a fraction of that), so nothing is decoded twice and the decode
 * buffer and the resampling scratch are kept between calls.  A grey JPEG
 * is decoded and resampled as one channel and widened to RGB at the end:
 * Pillow resamples three equal channels, which gives three equal results.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "imlfs/npy.h"
#include "imlfs/pixels.h"

struct imlfs_pixels {
	uint64_t max_pixels;
	struct imlfs_scratch img;    /* the decoded image */
	struct imlfs_scratch work;   /* resample.c's weights and rows */
};

struct imlfs_pixels *imlfs_pixels_new(void)
{
	struct imlfs_pixels *px = calloc(1, sizeof *px);

	if (px)
		px->max_pixels = IMLFS_PIXELS_MAX_PIXELS;
	return px;
}

void imlfs_pixels_free(struct imlfs_pixels *px)
{
	if (!px)
		return;
	imlfs_scratch_free(&px->img);
	imlfs_scratch_free(&px->work);
	free(px);
}

void imlfs_pixels_set_max_pixels(struct imlfs_pixels *px, uint64_t max_pixels)
{
	px->max_pixels = max_pixels;
}

void imlfs_pixels_trim(struct imlfs_pixels *px)
{
	imlfs_scratch_free(&px->img);
	imlfs_scratch_free(&px->work);
}

static int fail(char *why, size_t whysz, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whysz, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && whysz) {
		va_start(ap, fmt);
		vsnprintf(why, whysz, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Did the last TurboJPEG call fail only through libjpeg warnings, which
 * Pillow ignores (its decoder drops libjpeg's messages)?  tjGetErrorCode
 * cannot tell: TurboJPEG 2.1 says TJERR_WARNING for a fatal error that
 * followed a warning, leaving the image half decoded.  Its message can:
 * it is the fatal error's when there was one, else the first warning's,
 * so a failure counts as warnings only when the message is one of
 * libjpeg-turbo 2.1's warnings (jerror.h, JWRN_*).  "Premature end of
 * JPEG file" is not among them: Pillow fails on data that ends early. */
static bool only_warnings(tjhandle tj)
{
	static const char *const warnings[] = {
		"Unknown Adobe color transform code",
		"Corrupt JPEG data: ",   /* bad codes, extraneous bytes, markers */
		"Inconsistent progression sequence for component",
		"Warning: unknown JFIF revision number",
		"Invalid SOS parameters for sequential JPEG",
		"Application transferred too many scanlines",
	};
	const char *msg = tjGetErrorStr2(tj);

	if (tjGetErrorCode(tj) != TJERR_WARNING || !msg)
		return false;
	for (size_t i = 0; i < sizeof warnings / sizeof *warnings; i++)
		if (!strncmp(msg, warnings[i], strlen(warnings[i])))
			return true;
	return false;
}

/* Python's round(d / 2) for d >= 0: halves go to the even neighbour. */
static uint32_t half_to_even(uint32_t d)
{
	uint32_t m = d / 2;

	return d % 2 && m % 2 ? m + 1 : m;
}

void imlfs_pixels_geometry(uint32_t w, uint32_t h, const struct imlfs_pixspec *spec,
			   uint32_t *rw, uint32_t *rh, uint32_t *left, uint32_t *top)
{
	uint32_t shorter = w <= h ? w : h, longer = w <= h ? h : w, s = spec->resize;
	/* int(S * long / short): an exact product, one correctly rounded
	 * division in double (Python's int / int), truncated */
	uint32_t l = (uint32_t)((double)((uint64_t)s * longer) / (double)shorter);

	*rw = w <= h ? s : l;
	*rh = w <= h ? l : s;
	*left = half_to_even(*rw - spec->crop);
	*top = half_to_even(*rh - spec->crop);
}

/* Pillow's "CMYK;I" unpacking (every byte inverted) then cmyk2rgb, in
 * place: n pixels of 4 bytes become n pixels of 3 (each written no later
 * than it is read). */
static void cmyk_to_rgb(uint8_t *p, size_t n)
{
	const uint8_t *in = p;

	for (size_t i = 0; i < n; i++, in += 4, p += 3) {
		/* nk = 255 - inverted K = K as stored */
		int nk = in[3];

		for (int c = 0; c < 3; c++) {
			int t = (255 - in[c]) * nk + 128;         /* MULDIV255's rounding */
			int v = nk - (((t >> 8) + t) >> 8);

			p[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

/* imlfs_pixels_crop with the decompressor tj. */
static int decode(struct imlfs_pixels *px, tjhandle tj, const unsigned char *jpeg, size_t len,
		  const struct imlfs_pixspec *spec, uint8_t *out, char *why, size_t whysz)
{
	int w = 0, h = 0, subsamp, cs = -1, pf, rc;
	unsigned nch;
	uint32_t rw, rh, left, top, c;
	struct imlfs_resample r;

	/* A header with sampling factors TurboJPEG has no name for fails
	 * after the size and colour space are known; libjpeg decodes it, as
	 * for Pillow, so only the size and colour space matter here. */
	if (tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &subsamp, &cs) != 0 &&
	    !only_warnings(tj) &&
	    !(strstr(tjGetErrorStr2(tj), "Could not determine subsampling type") &&
	      w > 0 && h > 0 && cs >= 0)) {
		return fail(why, whysz, -EINVAL, "not a JPEG that can be decoded: %s",
			    tjGetErrorStr2(tj));
	}
	/* TurboJPEG 2.1 succeeds without a size on a tables-only stream */
	if (w < 1 || h < 1)
		return fail(why, whysz, -EINVAL, "not a JPEG that can be decoded: no image in it");
	if ((uint64_t)w * (uint64_t)h > px->max_pixels)
		return fail(why, whysz, -EINVAL, "the image is too large: %dx%d pixels, more than "
			    "the %" PRIu64 " allowed", w, h, px->max_pixels);
	switch (cs) {
	case TJCS_GRAY:
		pf = TJPF_GRAY;
		nch = 1;
		break;
	case TJCS_CMYK:
	case TJCS_YCCK:   /* libjpeg turns YCCK into CMYK, as for Pillow */
		pf = TJPF_CMYK;
		nch = 4;
		break;
	default:
		pf = TJPF_RGB;
		nch = 3;
		break;
	}
	if (imlfs_scratch_reserve(&px->img, (size_t)w * (size_t)h * nch) < 0)
		return fail(why, whysz, -ENOMEM, "out of memory decoding a %dx%d JPEG", w, h);
	/* Flags: libjpeg's defaults (islow IDCT, fancy upsampling) as Pillow
	 * uses them; LIMITSCANS only refuses progressive JPEGs of absurdly
	 * many scans (a decoding-time bomb), and changes no pixel. */
	if (tjDecompress2(tj, jpeg, (unsigned long)len, px->img.p, w, w * (int)nch, h, pf,
			  TJFLAG_LIMITSCANS) != 0 && !only_warnings(tj)) {
		/* (after warnings alone the image is complete, and Pillow keeps
		 * it too) */
		return fail(why, whysz, -EIO, "corrupt JPEG data: %s", tjGetErrorStr2(tj));
	}
	if (nch == 4) {
		cmyk_to_rgb(px->img.p, (size_t)w * (size_t)h);
		nch = 3;
	}
	imlfs_pixels_geometry((uint32_t)w, (uint32_t)h, spec, &rw, &rh, &left, &top);
	c = spec->crop;
	r = (struct imlfs_resample){
		.src = px->img.p, .src_w = (uint32_t)w, .src_h = (uint32_t)h,
		.src_stride = (size_t)w * nch, .nch = nch, .out_w = rw, .out_h = rh,
		.left = left, .top = top, .win_w = c, .win_h = c, .filter = spec->filter,
	};
	rc = imlfs_resample_window(&r, out, (size_t)c * nch, &px->work);
	if (rc < 0)
		return fail(why, whysz, rc, "cannot resample a %dx%d image to %" PRIu32 "x%" PRIu32
			    ": %s", w, h, rw, rh, strerror(-rc));
	if (nch == 1) {
		/* grey to RGB, from the end so that nothing is overwritten unread */
		for (size_t i = (size_t)c * c; i-- > 0;)
			out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = out[i];
	}
	return 0;
}

int imlfs_pixels_crop(struct imlfs_pixels *px, const unsigned char *jpeg, size_t len,
		      const struct imlfs_pixspec *spec, uint8_t *out, char *why, size_t whysz)
{
	char name[IMLFS_PIXSPEC_NAME_SIZE];
	tjhandle tj;
	int rc;

	if (!spec || imlfs_pixspec_format(spec, name, sizeof name) < 0)
		return fail(why, whysz, -EINVAL, "not a valid pixel spec (1 <= crop <= resize <= %u)",
			    IMLFS_PIXSPEC_MAX);
	if (!jpeg || len > ULONG_MAX)
		return fail(why, whysz, -EINVAL, "no JPEG data");
	/* Pillow opens as a JPEG only what starts with FF D8 FF; libjpeg
	 * would skip junk after SOI with a mere warning */
	if (len < 3 || jpeg[0] != 0xff || jpeg[1] != 0xd8 || jpeg[2] != 0xff)
		return fail(why, whysz, -EINVAL, "not a JPEG: it does not start with the bytes "
			    "FF D8 FF");
	/* A new decompressor for each image, as Pillow's: libjpeg keeps the
	 * Huffman and quantisation tables of earlier images in a decompressor,
	 * so a reused one would decode an image that lacks a table with the
	 * previous image's (fuzz-pixels found that).  It costs microseconds
	 * beside the decoding. */
	tj = tjInitDecompress();
	if (!tj)
		return fail(why, whysz, -ENOMEM, "cannot start a JPEG decoder: %s",
			    tjGetErrorStr2(NULL));
	rc = decode(px, tj, jpeg, len, spec, out, why, whysz);
	tjDestroy(tj);
	return rc;
}

size_t imlfs_pixels_npy_header(char buf[IMLFS_PIXELS_NPY_HEADER_MAX], unsigned crop, int64_t n)
{
	char dict[IMLFS_PIXELS_NPY_HEADER_MAX], lead[24];
	int dl, ll;

	if (n < 0)
		dl = snprintf(dict, sizeof dict, "{'descr': '|u1', 'fortran_order': False, "
			      "'shape': (%u, %u, 3), }", crop, crop);
	else
		dl = snprintf(dict, sizeof dict, "{'descr': '|u1', 'fortran_order': False, "
			      "'shape': (%" PRId64 ", %u, %u, 3), }", n, crop, crop);
	/* numpy leaves room for the first dimension to grow to 21 digits */
	ll = snprintf(lead, sizeof lead, "%" PRId64, n < 0 ? (int64_t)crop : n);
	if (crop > IMLFS_PIXSPEC_MAX || dl < 0 || (size_t)dl >= sizeof dict || ll > 21)
		return 0;
	return imlfs_npy_wrap_header(buf, dict, (size_t)dl, (unsigned)ll);
}
