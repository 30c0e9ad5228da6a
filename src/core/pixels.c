/* SPDX-License-Identifier: MIT */
/* pixels.c — JPEG bytes to torchvision's evaluation crop (see pixels.h):
 * decode with libjpeg(-turbo) as Pillow does, turn CMYK into RGB as
 * Pillow's convert("RGB") does, resample only the crop's window
 * (resample.c), and the .npy header for such arrays.
 *
 * Decoding dominates the cost (a 500x375 JPEG: about 2 ms; its resampled
 * crop: a fraction of that), so nothing is decoded twice, the decode
 * buffer and the resampling scratch are kept between calls, and only the
 * part of the image that the crop's resampling reads is decoded (see
 * decode_part).  A grey JPEG is decoded and resampled as one channel and
 * widened to RGB at the end: Pillow resamples three equal channels, which
 * gives three equal results.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* after stdio.h, which jpeglib.h needs */
#include <jpeglib.h>
#include <jerror.h>

#include "imlfs/npy.h"
#include "imlfs/pixels.h"

struct imlfs_pixels {
	uint64_t max_pixels;
	bool whole;                  /* decode every image whole (the reference) */
	struct imlfs_pixels_part last;
	struct imlfs_scratch img;    /* the decoded part and a spare row */
	struct imlfs_scratch rows;   /* libjpeg's row pointers into img */
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
	imlfs_pixels_trim(px);
	free(px);
}

void imlfs_pixels_set_max_pixels(struct imlfs_pixels *px, uint64_t max_pixels)
{
	px->max_pixels = max_pixels;
}

void imlfs_pixels_set_whole(struct imlfs_pixels *px, bool whole)
{
	px->whole = whole;
}

struct imlfs_pixels_part imlfs_pixels_last_part(const struct imlfs_pixels *px)
{
	return px->last;
}

void imlfs_pixels_trim(struct imlfs_pixels *px)
{
	imlfs_scratch_free(&px->img);
	imlfs_scratch_free(&px->rows);
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

/* One image's decoding: libjpeg's state and what went wrong.
 *
 * Which damaged JPEGs fail is kept from the TurboJPEG 2.1 decoder this
 * replaced (tjDecompressHeader3, then tjDecompress2 with
 * TJFLAG_LIMITSCANS), whose outcome matched Pillow's on every case of
 * tests/mount/test_pixels_exact.py and of the fuzzer's regressions:
 *  - a fatal libjpeg error fails, whatever came before it;
 *  - libjpeg's warnings are ignored (Pillow drops them) except when the
 *    first one is "Premature end of JPEG file": Pillow fails on data that
 *    ends early.  Only the first warning counts because TurboJPEG kept
 *    only its message (libjpeg shows the first warning alone), so a
 *    truncation after, say, a bad Huffman code is kept (pixels.h);
 *  - a progressive JPEG of more than 500 scans fails (a decoding-time
 *    bomb: TurboJPEG's LIMITSCANS, which changes no pixel);
 *  - failures while reading the header are "not a JPEG that can be
 *    decoded" (-EINVAL), later ones "corrupt JPEG data" (-EIO). */
struct job {
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr err;
	struct jpeg_progress_mgr progress;
	jmp_buf jump;
	bool in_header;
	int first_warning;             /* its msg_code; 0 before any warning */
	char msg[JMSG_LENGTH_MAX];     /* the fatal error's, else the first warning's */
};

static struct job *job_of(j_common_ptr c)
{
	return (struct job *)c->client_data;
}

static void on_error(j_common_ptr c)
{
	struct job *j = job_of(c);

	c->err->format_message(c, j->msg);
	longjmp(j->jump, 1);
}

static void on_message(j_common_ptr c, int level)
{
	struct job *j = job_of(c);

	/* level >= 0: trace messages, below libjpeg's default trace level */
	if (level < 0) {
		if (!c->err->num_warnings++) {
			j->first_warning = c->err->msg_code;
			c->err->format_message(c, j->msg);
		}
	}
}

static void no_output(j_common_ptr c)
{
	(void)c;
}

static void on_progress(j_common_ptr c)
{
	struct job *j = job_of(c);

	if (((j_decompress_ptr)c)->input_scan_number > 500) {
		snprintf(j->msg, sizeof j->msg, "Progressive JPEG image has more than 500 scans");
		longjmp(j->jump, 1);
	}
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

/* The part of a w x h image to decode for a crop that reads columns
 * [sx0, sx1) and rows [sy0, sy1) (imlfs_resample_source): those widened
 * on every side by an iMCU and one more pixel (kept inside the image), so
 * that every pixel the resampling reads comes out as in a whole decode.
 * What a part's edges do differently from a whole decode, as
 * test-pixels-part finds with libjpeg-turbo 2.1.5:
 *  - jpeg_crop_scanline moves the left edge down to an iMCU boundary
 *    (8 x the largest horizontal sampling factor) and treats both edges
 *    as the image's: fancy upsampling (h2v1, h2v2) repeats the edge chroma
 *    sample instead of reading its neighbour beyond, which changes the
 *    part's outermost column on each side (no margin fails the test, one
 *    column passes it);
 *  - jpeg_skip_scanlines skips whole iMCU rows without upsampling them,
 *    but the rows after it are exact even with no margin: for upsampling
 *    with context rows (h2v2, h1v2) it decodes, rather than skips, the
 *    iMCU row above the first row wanted (jdapistd.c);
 *  - rows below the part are exact (libjpeg decodes an iMCU row ahead for
 *    context).
 * A whole iMCU more than that on every side is insurance for a libjpeg
 * whose crop or skip gets more of the edge differently; it costs about a
 * fifth more pixels decoded for a 500x375 photo and a 224 crop. */
static void widen(j_decompress_ptr d, uint32_t sx0, uint32_t sx1, uint32_t sy0, uint32_t sy1,
		  struct imlfs_pixels_part *p)
{
	uint32_t w = d->image_width, h = d->image_height;
	uint32_t mx = (uint32_t)(d->min_DCT_scaled_size * d->max_h_samp_factor) + 1;
	uint32_t my = (uint32_t)(d->min_DCT_scaled_size * d->max_v_samp_factor) + 1;

	p->x0 = sx0 > mx ? sx0 - mx : 0;
	p->x1 = w - sx1 > mx ? sx1 + mx : w;
	p->y0 = sy0 > my ? sy0 - my : 0;
	p->y1 = h - sy1 > my ? sy1 + my : h;
}

/* Decode columns [p->x0, p->x1) and rows [p->y0, p->y1) of the started
 * decompression d into px->img, nch bytes a pixel, rows of
 * (p->x1 - p->x0) pixels; p->x0 may move down (jpeg_crop_scanline's iMCU
 * alignment).  The whole image is entropy-decoded in any case, as Pillow
 * decodes it, so that data it refuses past the part is refused here too
 * (a bad marker, data that ends early): rows after the part are skipped,
 * except the last, which is read (jpeg_skip_scanlines to the end would
 * mark the input done without decoding it), and jpeg_finish_decompress
 * reads on to EOI. */
static int decode_part(struct imlfs_pixels *px, j_decompress_ptr d, unsigned nch,
		       struct imlfs_pixels_part *p, char *why, size_t whysz)
{
	uint32_t h = d->output_height, nrows = p->y1 - p->y0;
	JDIMENSION x = p->x0, cw = p->x1 - p->x0;
	JSAMPROW *rows, spare;
	size_t stride;
	uint8_t *img;

	if (cw < d->output_width) {
		jpeg_crop_scanline(d, &x, &cw);
		p->x0 = x;
		p->x1 = x + cw;
	}
	stride = (size_t)cw * nch;
	/* the part, then one spare row for the image's last row */
	if (imlfs_scratch_reserve(&px->img, stride * (nrows + 1u)) < 0 ||
	    imlfs_scratch_reserve(&px->rows, nrows * sizeof *rows) < 0)
		return fail(why, whysz, -ENOMEM, "out of memory decoding a %" PRIu32 "x%" PRIu32
			    " JPEG", (uint32_t)d->image_width, h);
	img = px->img.p;
	rows = px->rows.p;
	for (uint32_t i = 0; i < nrows; i++)
		rows[i] = img + i * stride;
	spare = img + nrows * stride;
	if (p->y0 > 0 && jpeg_skip_scanlines(d, p->y0) != p->y0)
		return fail(why, whysz, -EIO, "corrupt JPEG data: cannot skip %" PRIu32 " rows",
			    p->y0);
	while (d->output_scanline < p->y1) {
		JDIMENSION at = d->output_scanline - p->y0;

		/* a memory source never suspends: no rows would be a bug */
		if (jpeg_read_scanlines(d, rows + at, nrows - at) == 0)
			return fail(why, whysz, -EIO, "corrupt JPEG data: libjpeg stopped at "
				    "row %" PRIu32, (uint32_t)d->output_scanline);
	}
	if (p->y1 < h) {
		if (h - 1 > p->y1 && jpeg_skip_scanlines(d, h - 1 - p->y1) != h - 1 - p->y1)
			return fail(why, whysz, -EIO, "corrupt JPEG data: cannot skip %" PRIu32
				    " rows", h - 1 - p->y1);
		if (jpeg_read_scanlines(d, &spare, 1) != 1)
			return fail(why, whysz, -EIO, "corrupt JPEG data: libjpeg stopped at "
				    "row %" PRIu32, (uint32_t)d->output_scanline);
	}
	jpeg_finish_decompress(d);
	return 0;
}

/* imlfs_pixels_crop from the moment j's decompressor exists.  libjpeg
 * longjmps out of here on a fatal error (to imlfs_pixels_crop). */
static int decode(struct imlfs_pixels *px, struct job *j, const unsigned char *jpeg,
		  size_t len, const struct imlfs_pixspec *spec, uint8_t *out, char *why,
		  size_t whysz)
{
	j_decompress_ptr d = &j->d;
	uint32_t w, h, rw, rh, left, top, c, sx0, sx1, sy0, sy1;
	struct imlfs_pixels_part part;
	struct imlfs_resample r;
	unsigned nch;
	int rc;

	jpeg_mem_src(d, jpeg, (unsigned long)len);
	/* without an image (tables only) libjpeg stops at EOI */
	if (jpeg_read_header(d, FALSE) != JPEG_HEADER_OK)
		return fail(why, whysz, -EINVAL, "not a JPEG that can be decoded: no image in it");
	if (j->first_warning == JWRN_JPEG_EOF)
		return fail(why, whysz, -EINVAL, "not a JPEG that can be decoded: %s", j->msg);
	switch (d->jpeg_color_space) {
	case JCS_GRAYSCALE:
		d->out_color_space = JCS_GRAYSCALE;
		nch = 1;
		break;
	case JCS_RGB:
	case JCS_YCbCr:
		d->out_color_space = JCS_RGB;
		nch = 3;
		break;
	case JCS_CMYK:
	case JCS_YCCK:   /* libjpeg turns YCCK into CMYK, as for Pillow */
		d->out_color_space = JCS_CMYK;
		nch = 4;
		break;
	default:
		return fail(why, whysz, -EINVAL, "not a JPEG that can be decoded: its colour "
			    "space is unknown (%d components, not 1, 3 or 4)", d->num_components);
	}
	w = d->image_width;
	h = d->image_height;
	if ((uint64_t)w * (uint64_t)h > px->max_pixels)
		return fail(why, whysz, -EINVAL, "the image is too large: %" PRIu32 "x%" PRIu32
			    " pixels, more than the %" PRIu64 " allowed", w, h, px->max_pixels);
	j->in_header = false;
	/* libjpeg's defaults otherwise (islow IDCT, fancy upsampling), as
	 * Pillow uses them */
	jpeg_start_decompress(d);

	imlfs_pixels_geometry(w, h, spec, &rw, &rh, &left, &top);
	c = spec->crop;
	r = (struct imlfs_resample){
		.src_w = w, .src_h = h, .nch = nch == 4 ? 3 : nch, .out_w = rw, .out_h = rh,
		.left = left, .top = top, .win_w = c, .win_h = c, .filter = spec->filter,
	};
	part = (struct imlfs_pixels_part){ 0, 0, w, h };
	/* A multi-scan JPEG (progressive, or components in separate scans)
	 * is entropy-decoded whole by jpeg_start_decompress, so a part would
	 * save only some IDCT and colour conversion, and its edges would need
	 * more care (block smoothing of incomplete scans reads neighbouring
	 * blocks): decoded whole.  So is anything resample.c would refuse,
	 * for it to say why after decoding, as always. */
	if (!px->whole && !jpeg_has_multiple_scans(d) &&
	    imlfs_resample_source(&r, &sx0, &sx1, &sy0, &sy1) == 0)
		widen(d, sx0, sx1, sy0, sy1, &part);
	rc = decode_part(px, d, nch, &part, why, whysz);
	if (rc < 0)
		return rc;
	/* after warnings alone the image is complete, and Pillow keeps it,
	 * unless the data ended early */
	if (j->first_warning == JWRN_JPEG_EOF)
		return fail(why, whysz, -EIO, "corrupt JPEG data: %s", j->msg);
	px->last = part;
	if (nch == 4) {
		cmyk_to_rgb(px->img.p, (size_t)(part.x1 - part.x0) * (part.y1 - part.y0));
		nch = 3;
	}
	r.src = px->img.p;
	r.part_x = part.x0;
	r.part_y = part.y0;
	r.part_w = part.x1 - part.x0;
	r.part_h = part.y1 - part.y0;
	r.src_stride = (size_t)r.part_w * nch;
	rc = imlfs_resample_window(&r, out, (size_t)c * nch, &px->work);
	if (rc < 0)
		return fail(why, whysz, rc, "cannot resample a %" PRIu32 "x%" PRIu32 " image to %"
			    PRIu32 "x%" PRIu32 ": %s", w, h, rw, rh, strerror(-rc));
	if (nch == 1) {
		/* grey to RGB, from the end so that nothing is overwritten unread */
		for (size_t i = (size_t)c * c; i-- > 0;)
			out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = out[i];
	}
	return 0;
}

/* decode with a new decompressor in *j, which the caller destroys.  The
 * only setjmp: libjpeg's fatal errors land here. */
static int run(struct imlfs_pixels *px, struct job *j, const unsigned char *jpeg, size_t len,
	       const struct imlfs_pixspec *spec, uint8_t *out, char *why, size_t whysz)
{
	j->d.err = jpeg_std_error(&j->err);
	j->err.error_exit = on_error;
	j->err.emit_message = on_message;
	j->err.output_message = no_output;
	j->d.client_data = j;
	j->progress.progress_monitor = on_progress;
	j->in_header = true;
	if (setjmp(j->jump)) {
		if (j->in_header)
			return fail(why, whysz, -EINVAL, "not a JPEG that can be decoded: %s", j->msg);
		return fail(why, whysz, -EIO, "corrupt JPEG data: %s", j->msg);
	}
	jpeg_create_decompress(&j->d);
	/* jpeg_create_decompress clears all but err and client_data */
	j->d.progress = &j->progress;
	return decode(px, j, jpeg, len, spec, out, why, whysz);
}

int imlfs_pixels_crop(struct imlfs_pixels *px, const unsigned char *jpeg, size_t len,
		      const struct imlfs_pixspec *spec, uint8_t *out, char *why, size_t whysz)
{
	char name[IMLFS_PIXSPEC_NAME_SIZE];
	struct job j;
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
	memset(&j, 0, sizeof j);
	px->last = (struct imlfs_pixels_part){ 0, 0, 0, 0 };
	rc = run(px, &j, jpeg, len, spec, out, why, whysz);
	/* frees all libjpeg allocated, also after a fatal error */
	jpeg_destroy_decompress(&j.d);
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
