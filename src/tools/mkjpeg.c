/* mkjpeg.c — paints a photo-like picture from a seed and encodes it with
 * TurboJPEG.
 *
 * The content is chosen so that JPEG sizes resemble ImageNet's (about 110 KB
 * for 500x375 at quality 90): a smooth two-colour background, a handful of
 * shaded shapes with hard edges, mid-frequency value noise (the "texture")
 * per-pixel luma grain and colour grain.  The noise carries most of the
 * bytes, so spec->detail scales it.  Only integer arithmetic is used per pixel,
 * which keeps the output independent of libm and fast enough to paint and
 * encode tens of thousands of images in minutes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

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

/* A fresh TurboJPEG handle for every image: with libjpeg-turbo 2.1.5 a
 * reused handle (in a mix of gray, progressive, 4:2:0 and 4:4:4 encodes)
 * made an image's bytes depend on what that handle had encoded before, so
 * the output depended on which thread got which image.  A handle costs far
 * less than the encode itself. */
static int compress(struct mkjpeg *enc, const struct mkjpeg_spec *spec, const struct canvas *cv,
		    unsigned char **jpeg, unsigned long *len)
{
	tjhandle tj = tjInitCompress();
	int samp = spec->gray ? TJSAMP_GRAY : spec->full_chroma ? TJSAMP_444 : TJSAMP_420;
	int rc = 0;

	*jpeg = NULL;
	*len = 0;
	if (!tj) {
		snprintf(enc->err, sizeof enc->err, "TurboJPEG: %s", tjGetErrorStr2(NULL));
		return -1;
	}
	if (tjCompress2(tj, cv->p, cv->w, 0, cv->h, spec->gray ? TJPF_GRAY : TJPF_RGB, jpeg, len,
			samp, spec->quality, spec->progressive ? TJFLAG_PROGRESSIVE : 0) < 0) {
		snprintf(enc->err, sizeof enc->err, "TurboJPEG: %s", tjGetErrorStr2(tj));
		tjFree(*jpeg);
		*jpeg = NULL;
		rc = -1;
	}
	tjDestroy(tj);
	return rc;
}

int mkjpeg_encode(struct mkjpeg *enc, const struct mkjpeg_spec *spec,
		  unsigned char **jpeg, unsigned long *len)
{
	struct canvas cv = { NULL, spec->width, spec->height, spec->gray ? 1 : 3 };
	size_t need = (size_t)cv.w * cv.h * cv.nc;

	if (need > enc->pixcap) {
		unsigned char *p = realloc(enc->pix, need);

		if (!p) {
			snprintf(enc->err, sizeof enc->err, "out of memory for a %dx%d image", cv.w, cv.h);
			return -1;
		}
		enc->pix = p;
		enc->pixcap = need;
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
	tjFree(jpeg);
}

void mkjpeg_free(struct mkjpeg *enc)
{
	free(enc->pix);
	memset(enc, 0, sizeof *enc);
}
