/* SPDX-License-Identifier: MIT */
/* mkjpeg.c — paints a photo-like picture from a seed and encodes it with
 * libjpeg (libjpeg-turbo's jpeglib API), in the colour kind, subsampling,
 * progression and restart interval the spec asks for.
 *
 * The content is chosen so that JPEG sizes resemble ImageNet's (about 110 KB
 * for 500x375 at quality 90): a smooth two-colour background, a handful of
 * shaded shapes with hard edges, mid-frequency value noise (the "texture")
 * per-pixel luma grain and colour grain.  The noise carries most of the
 * bytes, so spec->detail scales it.  Only integer arithmetic is used per pixel,
 * which keeps the output independent of libm and fast enough to paint and
 * encode tens of thousands of images in minutes. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "mkjpeg.h"

/* Noise strengths at detail 100, tuned so that ImageNet-shaped images
 * average about 105 KB (see the summary imlfs-mksample prints).  More noise
 * does not help: clipped pixels turn flat and cheap again. */
#define TEXTURE_AMP 48
#define GRAIN 17
#define CHROMA_GRAIN 13
#define CELL_MIN 2
#define CELL_MAX 4

/* Per-pixel grain: xorshift32 is cheaper than splitmix64 per sample. */
static inline uint32_t xs32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static inline uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

struct canvas {
	uint8_t *p;
	int w, h, nc;       /* nc: 1 (gray) or 3 (RGB) */
};

struct colour {
	int c[3];           /* RGB, or c[0] = luma on a gray canvas */
};

/* h 0..359, s and v 0..255. */
static struct colour hsv(int h, int s, int v, int nc)
{
	struct colour out;
	int region = (h % 360) / 60, rem = (h % 60) * 255 / 60;
	int p = v * (255 - s) / 255;
	int q = v * (255 - s * rem / 255) / 255;
	int t = v * (255 - s * (255 - rem) / 255) / 255;
	int r, g, b;

	switch (region) {
	case 0: r = v; g = t; b = p; break;
	case 1: r = q; g = v; b = p; break;
	case 2: r = p; g = v; b = t; break;
	case 3: r = p; g = q; b = v; break;
	case 4: r = t; g = p; b = v; break;
	default: r = v; g = p; b = q; break;
	}
	if (nc == 1) {
		out.c[0] = (77 * r + 150 * g + 29 * b) >> 8;
		out.c[1] = out.c[2] = out.c[0];
	} else {
		out.c[0] = r;
		out.c[1] = g;
		out.c[2] = b;
	}
	return out;
}

/* A colour near the image's dominant hue, or now and then anything. */
static struct colour pick_colour(struct mk_rng *r, int hue, int nc)
{
	int h = mk_chance(r, 250) ? (int)mk_below(r, 360) : (hue + mk_range(r, -35, 35) + 360) % 360;

	return hsv(h, mk_range(r, 20, 170), mk_range(r, 80, 210), nc);
}

/* Linear two-colour gradient in a random direction over the whole canvas. */
static void paint_background(struct canvas *cv, struct mk_rng *r, int hue, int *colx)
{
	struct colour a = pick_colour(r, hue, cv->nc), b = pick_colour(r, hue, cv->nc);
	int dx = mk_range(r, -256, 256), dy = mk_range(r, -256, 256);

	for (int x = 0; x < cv->w; x++)
		colx[x] = (x - cv->w / 2) * dx / cv->w;
	for (int y = 0; y < cv->h; y++) {
		uint8_t *row = cv->p + (size_t)y * cv->w * cv->nc;
		int ty = 128 + (y - cv->h / 2) * dy / cv->h;

		for (int x = 0; x < cv->w; x++) {
			int t = ty + colx[x];

			t = t < 0 ? 0 : t > 256 ? 256 : t;
			for (int k = 0; k < cv->nc; k++)
				row[x * cv->nc + k] = (uint8_t)((a.c[k] * (256 - t) + b.c[k] * t) >> 8);
		}
	}
}

struct shape {
	int kind;            /* 0 ellipse, 1 rectangle, 2 stripes */
	int cx, cy, rx, ry;  /* centre and half sizes */
	int alpha;           /* 1..256 */
	int sx, sy;          /* shading slope, 1/256 per pixel */
	int period;          /* stripes */
	struct colour col;
};

static int inside(const struct shape *s, int x, int y)
{
	int64_t dx = x - s->cx, dy = y - s->cy;

	switch (s->kind) {
	case 0:
		return dx * dx * s->ry * s->ry + dy * dy * s->rx * s->rx <=
		       (int64_t)s->rx * s->rx * s->ry * s->ry;
	case 2:
		return ((x + y + 4096 * s->period) / s->period) % 2 == 0;
	default:
		return 1;
	}
}

static void paint_shape(struct canvas *cv, const struct shape *s)
{
	int x0 = s->cx - s->rx, x1 = s->cx + s->rx, y0 = s->cy - s->ry, y1 = s->cy + s->ry;

	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 >= cv->w ? cv->w - 1 : x1;
	y1 = y1 >= cv->h ? cv->h - 1 : y1;
	for (int y = y0; y <= y1; y++) {
		uint8_t *row = cv->p + (size_t)y * cv->w * cv->nc;

		for (int x = x0; x <= x1; x++) {
			int shade = ((x - s->cx) * s->sx + (y - s->cy) * s->sy) >> 8;

			if (!inside(s, x, y))
				continue;
			for (int k = 0; k < cv->nc; k++) {
				uint8_t *p = &row[x * cv->nc + k];
				int c = clamp8(s->col.c[k] + shade);

				*p = (uint8_t)((*p * (256 - s->alpha) + c * s->alpha) >> 8);
			}
		}
	}
}

static void paint_shapes(struct canvas *cv, struct mk_rng *r, int hue)
{
	int n = mk_range(r, 2, 6) + (cv->w * cv->h) / 40000;
	int big = cv->w > cv->h ? cv->w : cv->h;

	for (int i = 0; i < n; i++) {
		struct shape s;

		s.kind = mk_chance(r, 120) ? 2 : (int)mk_below(r, 2);
		s.cx = (int)mk_below(r, (uint32_t)cv->w);
		s.cy = (int)mk_below(r, (uint32_t)cv->h);
		s.rx = mk_range(r, 1, big / 3 + 1);
		s.ry = mk_range(r, 1, big / 3 + 1);
		s.alpha = mk_chance(r, 500) ? 256 : mk_range(r, 60, 230);
		s.sx = mk_range(r, -160, 160);
		s.sy = mk_range(r, -160, 160);
		s.period = mk_range(r, 2, 9);
		s.col = pick_colour(r, hue, cv->nc);
		paint_shape(cv, &s);
	}
}

/* How strong each noise is, in pixel levels (uniform +-level). */
struct texture {
	int amp;        /* value noise: smooth blotches `cell` pixels wide */
	int cell;
	int grain;      /* per-pixel luma grain */
	int chroma;     /* colour grain in 2x2 blocks, the chroma sampling unit */
};

/* The luma offset of each pixel of row y: bilinear value noise plus grain. */
static void luma_row(const struct texture *t, const int8_t *grid, int gw, int y, int w,
		     int *rowv, int *d, uint32_t *gs)
{
	int gy = y / t->cell, wy = (y % t->cell) * 256 / t->cell;

	for (int c = 0; c < gw; c++)
		rowv[c] = (grid[gy * gw + c] * (256 - wy) + grid[(gy + 1) * gw + c] * wy) >> 8;
	for (int x = 0; x < w; x++) {
		int gx = x / t->cell, wx = (x % t->cell) * 256 / t->cell;
		int n = (rowv[gx] * (256 - wx) + rowv[gx + 1] * wx) >> 8;

		d[x] = (n * t->amp >> 7) + (((int)(xs32(gs) & 255) - 128) * t->grain >> 7);
	}
}

static int add_texture(struct canvas *cv, struct mk_rng *r, const struct texture *t)
{
	int gw = cv->w / t->cell + 2, gh = cv->h / t->cell + 2, cw = cv->w / 2 + 1;
	int8_t *grid = malloc((size_t)gw * gh), *chroma = malloc((size_t)cw * 3);
	int *rowv = malloc(sizeof *rowv * (size_t)gw), *d = malloc(sizeof *d * (size_t)cv->w);
	uint32_t gs = (uint32_t)mk_next(r) | 1;
	int rc = -1;

	if (!grid || !chroma || !rowv || !d)
		goto out;
	for (int i = 0; i < gw * gh; i++)
		grid[i] = (int8_t)(mk_next(r) >> 56);
	for (int y = 0; y < cv->h; y++) {
		uint8_t *row = cv->p + (size_t)y * cv->w * cv->nc;

		luma_row(t, grid, gw, y, cv->w, rowv, d, &gs);
		if (cv->nc == 1) {
			for (int x = 0; x < cv->w; x++)
				row[x] = clamp8(row[x] + d[x]);
			continue;
		}
		if (y % 2 == 0)
			for (int i = 0; i < cw * 3; i++)
				chroma[i] = (int8_t)(((int)(xs32(&gs) & 255) - 128) * t->chroma >> 7);
		for (int x = 0; x < cv->w; x++)
			for (int k = 0; k < 3; k++)
				row[x * 3 + k] = clamp8(row[x * 3 + k] + d[x] + chroma[x / 2 * 3 + k]);
	}
	rc = 0;
out:
	free(grid);
	free(chroma);
	free(rowv);
	free(d);
	return rc;
}

static int paint(const struct mkjpeg_spec *spec, struct canvas *cv)
{
	struct mk_rng r = { spec->seed };
	int *colx = malloc(sizeof *colx * (size_t)cv->w);
	struct texture t;

	if (!colx)
		return -1;
	paint_background(cv, &r, spec->hue, colx);
	free(colx);
	paint_shapes(cv, &r, spec->hue);
	t.amp = TEXTURE_AMP * spec->detail / 100;
	t.cell = mk_range(&r, CELL_MIN, CELL_MAX);
	t.grain = GRAIN * spec->detail / 100;
	t.chroma = CHROMA_GRAIN * spec->detail / 100;
	return add_texture(cv, &r, &t);
}

int mkjpeg_init(struct mkjpeg *enc)
{
	memset(enc, 0, sizeof *enc);
	return 0;
}

/* ---- libjpeg ----------------------------------------------------------
 *
 * libjpeg rather than TurboJPEG: TurboJPEG 2.1 cannot write restart
 * intervals or Photoshop's Adobe CMYK, and it reads TJ_OPTIMIZE, TJ_RESTART,
 * TJ_PROGRESSIVE and TJ_ARITHMETIC from the environment, which would make
 * the bytes depend on the caller's shell.  The settings below are the ones
 * tjCompress2 of libjpeg-turbo 2.1 made (setCompDefaults), so the images
 * TurboJPEG could write come out byte-identical to what it wrote.
 *
 * Everything a run touches lives in one struct job of the caller's, not in
 * locals of the function that calls setjmp, so nothing is clobbered by the
 * longjmp of an error. */

struct job_err {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char *msg;          /* enc->err */
	size_t msglen;
};

/* The JPEG in a buffer of our own that grows by doubling: jpeg_mem_dest
 * would leak its buffer when an error aborts the run. */
struct job_dest {
	struct jpeg_destination_mgr pub;
	unsigned char *buf;
	size_t cap, len;
};

struct job {
	struct jpeg_compress_struct c;
	struct job_err err;
	struct job_dest dest;
};

static void job_error_exit(j_common_ptr c)
{
	struct job_err *e = (struct job_err *)c->err;
	char text[JMSG_LENGTH_MAX];

	e->pub.format_message(c, text);
	snprintf(e->msg, e->msglen, "libjpeg: %s", text);
	longjmp(e->jb, 1);
}

/* Warnings (corrupt-data notices) concern decoding; an encoder has none
 * worth printing from inside a library. */
static void job_output_message(j_common_ptr c)
{
	(void)c;
}

static void dest_init(j_compress_ptr c)
{
	struct job_dest *d = (struct job_dest *)c->dest;

	d->cap = 64 * 1024;
	d->buf = malloc(d->cap);
	if (!d->buf)
		ERREXIT1(c, JERR_OUT_OF_MEMORY, 1);
	d->pub.next_output_byte = d->buf;
	d->pub.free_in_buffer = d->cap;
}

static boolean dest_grow(j_compress_ptr c)
{
	struct job_dest *d = (struct job_dest *)c->dest;
	unsigned char *p = realloc(d->buf, d->cap * 2);

	if (!p)
		ERREXIT1(c, JERR_OUT_OF_MEMORY, 2);
	d->buf = p;
	d->pub.next_output_byte = p + d->cap;
	d->pub.free_in_buffer = d->cap;
	d->cap *= 2;
	return TRUE;
}

static void dest_term(j_compress_ptr c)
{
	struct job_dest *d = (struct job_dest *)c->dest;

	d->len = d->cap - d->pub.free_in_buffer;
}

/* Sampling factors of Y, Cb and Cr per enum mk_samp; K has Y's, as
 * TurboJPEG and Photoshop write it. */
static const struct {
	int h[3], v[3];
} factors[MK_NSAMPS] = {
	[MK_420] = { { 2, 1, 1 }, { 2, 1, 1 } },
	[MK_422] = { { 2, 1, 1 }, { 1, 1, 1 } },
	[MK_440] = { { 1, 1, 1 }, { 2, 1, 1 } },
	[MK_411] = { { 4, 1, 1 }, { 1, 1, 1 } },
	[MK_444] = { { 1, 1, 1 }, { 1, 1, 1 } },
	[MK_MIXED] = { { 2, 1, 2 }, { 2, 1, 1 } },
};

static void set_params(struct jpeg_compress_struct *c, const struct mkjpeg_spec *spec)
{
	static const J_COLOR_SPACE stored[MK_NCOLOURS] = {
		JCS_YCbCr, JCS_GRAYSCALE, JCS_YCCK, JCS_CMYK, JCS_CMYK };
	int samp = spec->samp >= 0 && spec->samp < MK_NSAMPS ? spec->samp : MK_420;

	switch (spec->colour) {
	case MK_GRAY:
		c->in_color_space = JCS_GRAYSCALE;
		c->input_components = 1;
		break;
	case MK_YCC:
		c->in_color_space = JCS_EXT_RGB;
		c->input_components = 3;
		break;
	default:
		c->in_color_space = JCS_CMYK;
		c->input_components = 4;
		break;
	}
	jpeg_set_defaults(c);
	jpeg_set_quality(c, spec->quality, TRUE);
	c->dct_method = spec->quality >= 96 ? JDCT_ISLOW : JDCT_FASTEST;
	jpeg_set_colorspace(c, stored[spec->colour]);
	if (spec->colour == MK_CMYK_BARE)
		c->write_Adobe_marker = FALSE;
	if (spec->progressive)
		jpeg_simple_progression(c);
	c->restart_interval = spec->restart_mcus > 0 ? (unsigned)spec->restart_mcus : 0;
	c->restart_in_rows = spec->restart_rows > 0 ? spec->restart_rows : 0;
	if (spec->colour == MK_GRAY)
		samp = MK_444;
	for (int k = 0; k < c->num_components; k++) {
		c->comp_info[k].h_samp_factor = factors[samp].h[k % 3];
		c->comp_info[k].v_samp_factor = factors[samp].v[k % 3];
	}
}

/* Photoshop's inverted CMYK for one RGB row: K from the brightest channel,
 * then C, M and Y of what is left, all stored as 255 - ink.  PIL's
 * CMYK-to-RGB conversion, (255 - ink) * (255 - k) / 255, gives back
 * about the painted RGB. */
static void rgb_to_inverted_cmyk(const uint8_t *rgb, uint8_t *out, int w)
{
	for (int x = 0; x < w; x++, rgb += 3, out += 4) {
		int mx = rgb[0] > rgb[1] ? rgb[0] : rgb[1];

		mx = mx > rgb[2] ? mx : rgb[2];
		for (int k = 0; k < 3; k++)
			out[k] = (uint8_t)(mx ? 255 - (mx - rgb[k]) * 255 / mx : 255);
		out[3] = (uint8_t)mx;
	}
}

static int run_job(struct job *j, struct mkjpeg *enc, const struct mkjpeg_spec *spec,
		   const struct canvas *cv)
{
	j->c.err = jpeg_std_error(&j->err.pub);
	j->err.pub.error_exit = job_error_exit;
	j->err.pub.output_message = job_output_message;
	j->err.msg = enc->err;
	j->err.msglen = sizeof enc->err;
	if (setjmp(j->err.jb))
		return -1;
	jpeg_create_compress(&j->c);
	j->dest.pub.init_destination = dest_init;
	j->dest.pub.empty_output_buffer = dest_grow;
	j->dest.pub.term_destination = dest_term;
	j->c.dest = &j->dest.pub;
	j->c.image_width = (JDIMENSION)cv->w;
	j->c.image_height = (JDIMENSION)cv->h;
	set_params(&j->c, spec);
	jpeg_start_compress(&j->c, TRUE);
	while (j->c.next_scanline < j->c.image_height) {
		JSAMPROW row = cv->p + (size_t)j->c.next_scanline * cv->w * cv->nc;

		if (j->c.input_components == 4) {
			rgb_to_inverted_cmyk(row, enc->row, cv->w);
			row = enc->row;
		}
		jpeg_write_scanlines(&j->c, &row, 1);
	}
	jpeg_finish_compress(&j->c);
	return 0;
}

static int compress(struct mkjpeg *enc, const struct mkjpeg_spec *spec, const struct canvas *cv,
		    unsigned char **jpeg, unsigned long *len)
{
	struct job j;
	int rc;

	memset(&j, 0, sizeof j);
	*jpeg = NULL;
	*len = 0;
	rc = run_job(&j, enc, spec, cv);
	jpeg_destroy_compress(&j.c);
	if (rc < 0) {
		free(j.dest.buf);
		return -1;
	}
	*jpeg = j.dest.buf;
	*len = (unsigned long)j.dest.len;
	return 0;
}

static int reserve(unsigned char **p, size_t *cap, size_t need)
{
	unsigned char *q;

	if (need <= *cap)
		return 0;
	q = realloc(*p, need);
	if (!q)
		return -1;
	*p = q;
	*cap = need;
	return 0;
}

int mkjpeg_encode(struct mkjpeg *enc, const struct mkjpeg_spec *spec,
		  unsigned char **jpeg, unsigned long *len)
{
	struct canvas cv = { NULL, spec->width, spec->height, spec->colour == MK_GRAY ? 1 : 3 };

	if (spec->colour < 0 || spec->colour >= MK_NCOLOURS || spec->samp < 0 ||
	    spec->samp >= MK_NSAMPS) {
		snprintf(enc->err, sizeof enc->err, "unknown colour kind %d or subsampling %d",
			 spec->colour, spec->samp);
		return -1;
	}
	if (reserve(&enc->pix, &enc->pixcap, (size_t)cv.w * cv.h * cv.nc) < 0 ||
	    reserve(&enc->row, &enc->rowcap, (size_t)cv.w * 4) < 0) {
		snprintf(enc->err, sizeof enc->err, "out of memory for a %dx%d image", cv.w, cv.h);
		return -1;
	}
	cv.p = enc->pix;
	if (paint(spec, &cv) < 0) {
		snprintf(enc->err, sizeof enc->err, "out of memory painting a %dx%d image", cv.w, cv.h);
		return -1;
	}
	return compress(enc, spec, &cv, jpeg, len);
}

void mkjpeg_release(unsigned char *jpeg)
{
	free(jpeg);
}

void mkjpeg_free(struct mkjpeg *enc)
{
	free(enc->pix);
	free(enc->row);
	memset(enc, 0, sizeof *enc);
}
