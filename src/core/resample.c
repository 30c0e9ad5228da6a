/* SPDX-License-Identifier: MIT */
/* resample.c — Pillow 9.4's 8-bit resampling (libImaging/Resample.c),
 * reimplemented for a window of the output (see resample.h).
 *
 * Pillow's steps, kept exactly because each changes the bytes:
 *  - per output position xx of an axis resized from n_in to n_out:
 *    scale = n_in / n_out, filterscale = max(scale, 1), support =
 *    filter support * filterscale, center = (xx + 0.5) * scale; taps
 *    from (int)(center - support + 0.5) (at least 0) up to, excluding,
 *    (int)(center + support + 0.5) (at most n_in); tap x weighs
 *    filter((x - center + 0.5) * (1 / filterscale)), all in double, the
 *    weights summed in tap order and each divided by the sum (unless 0);
 *  - each weight becomes 22-bit fixed point, rounded half away from zero:
 *    (int)(w * 2^22 +- 0.5);
 *  - a pixel is the int32 sum of byte * weight plus 2^21, shifted right
 *    22 and clipped to 0..255;
 *  - horizontal pass first into 8-bit rows, then vertical; a pass whose
 *    axis keeps its size is skipped (it would be the identity anyway).
 *
 * Here only the window's columns are computed in the horizontal pass,
 * and only for the source rows the window's output rows read; then only
 * the window's rows in the vertical pass.  The source may be just the
 * part that these read (imlfs_resample_source), so that a caller decodes
 * no more of the image than that.  Integer sums do not depend on
 * their order, so the loops are ordered for speed: the vertical pass adds
 * whole rows (one weight, many bytes) into an int32 row of accumulators,
 * which the compiler vectorises.  Weights are computed once per call
 * (a few hundred per axis), never per pixel, and no loop divides.
 *
 * Cost: horizontal taps x window columns x rows read + vertical taps x
 * window pixels, times channels; for a 500x375 photo to 256 and a 224
 * crop about 1.5 M multiply-adds: 0.6 ms bilinear, 0.9 ms bicubic on
 * this machine, against about 1.6 ms to decode the JPEG.  Most of it is
 * the horizontal pass (interleaved RGB, 3-5 taps: scalar code).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/resample.h"

#define PRECISION_BITS 22   /* 32 bits - 8 for a byte - 2 for overshoot */

void imlfs_scratch_free(struct imlfs_scratch *s)
{
	free(s->p);
	s->p = NULL;
	s->cap = 0;
}

int imlfs_scratch_reserve(struct imlfs_scratch *s, size_t n)
{
	void *p;

	if (n <= s->cap)
		return 0;
	/* contents need not survive: free first so two copies never coexist */
	p = malloc(n);
	if (!p)
		return -ENOMEM;
	free(s->p);
	s->p = p;
	s->cap = n;
	return 0;
}

static double bilinear(double x)
{
	if (x < 0.0)
		x = -x;
	return x < 1.0 ? 1.0 - x : 0.0;
}

/* Keys' cubic with a = -0.5, evaluated in Pillow's order of operations. */
static double bicubic(double x)
{
	const double a = -0.5;

	if (x < 0.0)
		x = -x;
	if (x < 1.0)
		return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
	if (x < 2.0)
		return (((x - 5) * x + 8) * x - 4) * a;
	return 0.0;
}

/* The weights of output positions first..first+n-1 of one axis. */
struct axis {
	uint32_t first, n;
	int ksize;          /* room per position */
	int32_t *start;     /* first tap of each position */
	int32_t *count;     /* its number of taps */
	int32_t *k;         /* n * ksize fixed-point weights */
};

/* Room per position, as Pillow's: 2 * ceil(support) + 1. */
static int axis_ksize(uint32_t n_in, uint32_t n_out, enum imlfs_filter f)
{
	double scale = (double)n_in / n_out, support;

	if (scale < 1.0)
		scale = 1.0;
	support = (f == IMLFS_FILTER_BICUBIC ? 2.0 : 1.0) * scale;
	/* ceil(support) without libm: support is positive and below 2^30 */
	return ((int)support + ((int)support < support)) * 2 + 1;
}

/* An axis n_in -> n_out with filter f, in Pillow's terms. */
struct axis_scale {
	double scale, support, ss;   /* ss: 1 / filterscale */
	int32_t n_in;
	double (*filter)(double);
};

static struct axis_scale axis_scale(uint32_t n_in, uint32_t n_out, enum imlfs_filter f)
{
	struct axis_scale a;
	double filterscale;

	a.scale = (double)n_in / n_out;
	filterscale = a.scale < 1.0 ? 1.0 : a.scale;
	a.support = (f == IMLFS_FILTER_BICUBIC ? 2.0 : 1.0) * filterscale;
	a.ss = 1.0 / filterscale;
	a.n_in = (int32_t)n_in;
	a.filter = f == IMLFS_FILTER_BICUBIC ? bicubic : bilinear;
	return a;
}

/* The taps of output position xx: *first and the count, which never
 * exceeds the axis' ksize (the span is at most 2 * support + 1). */
static int32_t axis_taps(const struct axis_scale *a, int32_t xx, double *center, int32_t *first)
{
	int32_t xmin, xmax;

	*center = (xx + 0.5) * a->scale;
	xmin = (int32_t)(*center - a->support + 0.5);
	if (xmin < 0)
		xmin = 0;
	xmax = (int32_t)(*center + a->support + 0.5);
	if (xmax > a->n_in)
		xmax = a->n_in;
	*first = xmin;
	return xmax > xmin ? xmax - xmin : 0;
}

/* Fill a's arrays (allocated) for n_in -> n_out; w is room for ksize
 * doubles. */
static void axis_weights(struct axis *a, uint32_t n_in, uint32_t n_out, enum imlfs_filter f,
			 double *w)
{
	struct axis_scale as = axis_scale(n_in, n_out, f);

	for (uint32_t i = 0; i < a->n; i++) {
		int32_t *k = a->k + (size_t)i * (size_t)a->ksize, xmin, n, x;
		double center, ww = 0.0;

		n = axis_taps(&as, (int32_t)(a->first + i), &center, &xmin);
		for (x = 0; x < n; x++) {
			w[x] = as.filter((x + xmin - center + 0.5) * as.ss);
			ww += w[x];
		}
		for (x = 0; x < n; x++) {
			double v = ww != 0.0 ? w[x] / ww : w[x];

			k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS))
				     : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
		}
		for (; x < a->ksize; x++)
			k[x] = 0;
		a->start[i] = xmin;
		a->count[i] = n;
	}
}

static inline uint8_t clip8(int32_t v)
{
	v >>= PRECISION_BITS;   /* arithmetic shift, as Pillow's */
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The horizontal pass over one row: a->n output pixels of nch bytes. */
static void horizontal_row(const struct axis *a, const uint8_t *in, uint8_t *out, unsigned nch)
{
	const int32_t half = 1 << (PRECISION_BITS - 1);

	if (nch == 3) {
		for (uint32_t i = 0; i < a->n; i++) {
			const int32_t *k = a->k + (size_t)i * (size_t)a->ksize;
			const uint8_t *p = in + (size_t)a->start[i] * 3;
			int32_t s0 = half, s1 = half, s2 = half;

			for (int32_t x = 0; x < a->count[i]; x++, p += 3) {
				s0 += p[0] * k[x];
				s1 += p[1] * k[x];
				s2 += p[2] * k[x];
			}
			out[0] = clip8(s0);
			out[1] = clip8(s1);
			out[2] = clip8(s2);
			out += 3;
		}
	} else if (nch == 1) {
		for (uint32_t i = 0; i < a->n; i++) {
			const int32_t *k = a->k + (size_t)i * (size_t)a->ksize;
			const uint8_t *p = in + a->start[i];
			int32_t s0 = half;

			for (int32_t x = 0; x < a->count[i]; x++)
				s0 += p[x] * k[x];
			*out++ = clip8(s0);
		}
	} else {
		for (uint32_t i = 0; i < a->n; i++) {
			const int32_t *k = a->k + (size_t)i * (size_t)a->ksize;

			for (unsigned c = 0; c < nch; c++) {
				const uint8_t *p = in + (size_t)a->start[i] * nch + c;
				int32_t s = half;

				for (int32_t x = 0; x < a->count[i]; x++, p += nch)
					s += *p * k[x];
				*out++ = clip8(s);
			}
		}
	}
}

/* The vertical pass for one output row: rows holds source rows from
 * row0 on (already offset to the window's first byte), n bytes of each
 * are used; acc holds n int32.  Blocks of 16 bytes with a fixed count
 * let gcc -O2 vectorise (its cheapest cost model refuses loops that need
 * a scalar epilogue); restrict tells it acc overlaps no pixel. */
static void vertical_row(const struct axis *a, uint32_t i, const uint8_t *rows, size_t stride,
			 int32_t row0, size_t n, int32_t *restrict acc, uint8_t *restrict out)
{
	const int32_t *k = a->k + (size_t)i * (size_t)a->ksize;
	const uint8_t *restrict p = rows + (size_t)(a->start[i] - row0) * stride;
	size_t n16 = n & ~(size_t)15;

	for (size_t x = 0; x < n; x++)
		acc[x] = 1 << (PRECISION_BITS - 1);
	for (int32_t y = 0; y < a->count[i]; y++, p += stride) {
		int32_t ky = k[y];
		size_t x;

		for (x = 0; x < n16; x += 16)
			for (size_t j = 0; j < 16; j++)
				acc[x + j] += p[x + j] * ky;
		for (; x < n; x++)
			acc[x] += p[x] * ky;
	}
	for (size_t x = 0; x < n; x++)
		out[x] = clip8(acc[x]);
}

/* *sum += b * c, false on overflow. */
static bool add_mul(size_t *sum, size_t b, size_t c)
{
	size_t m;

	if (__builtin_mul_overflow(b, c, &m) || __builtin_add_overflow(*sum, m, sum))
		return false;
	return true;
}

/* Carve n bytes at *off out of the block being laid out (16-byte aligned
 * pieces); false on overflow. */
static bool carve(size_t *need, size_t *off, size_t count, size_t size)
{
	*need = (*need + 15) & ~(size_t)15;
	*off = *need;
	return add_mul(need, count, size);
}

/* Geometry imlfs_resample_window refuses. */
static bool bad_geometry(const struct imlfs_resample *r)
{
	return !r->src_w || !r->src_h || !r->out_w || !r->out_h || !r->win_w || !r->win_h ||
	       r->nch < 1 || r->nch > 4 || r->left > r->out_w ||
	       r->win_w > r->out_w - r->left || r->top > r->out_h ||
	       r->win_h > r->out_h - r->top ||
	       (r->filter != IMLFS_FILTER_BILINEAR && r->filter != IMLFS_FILTER_BICUBIC) ||
	       r->src_w > INT32_MAX / 4 || r->src_h > INT32_MAX / 4 ||
	       r->out_w > INT32_MAX / 4 || r->out_h > INT32_MAX / 4;
}

/* The source span [*lo, *hi) that output positions first..first+n-1 of
 * an axis n_in -> n_out read.  Tap spans only move forward as the
 * position grows, so the first and last positions' spans bound them; a
 * kept size reads its own positions. */
static void axis_span(uint32_t n_in, uint32_t n_out, enum imlfs_filter f, uint32_t first,
		      uint32_t n, uint32_t *lo, uint32_t *hi)
{
	struct axis_scale as;
	int32_t a, b, count;
	double center;

	if (n_in == n_out) {
		*lo = first;
		*hi = first + n;
		return;
	}
	as = axis_scale(n_in, n_out, f);
	axis_taps(&as, (int32_t)first, &center, &a);
	count = axis_taps(&as, (int32_t)(first + n - 1), &center, &b);
	/* every position has a tap (its center lies inside the source and the
	 * support is at least 1), so the span is never empty; kept safe */
	*lo = (uint32_t)a;
	*hi = b + count > a ? (uint32_t)(b + count) : (uint32_t)a + 1;
}

int imlfs_resample_source(const struct imlfs_resample *r, uint32_t *x0, uint32_t *x1,
			  uint32_t *y0, uint32_t *y1)
{
	if (bad_geometry(r))
		return -EINVAL;
	axis_span(r->src_w, r->out_w, r->filter, r->left, r->win_w, x0, x1);
	axis_span(r->src_h, r->out_h, r->filter, r->top, r->win_h, y0, y1);
	return 0;
}

int imlfs_resample_window(const struct imlfs_resample *r, uint8_t *dst, size_t dst_stride,
			  struct imlfs_scratch *s)
{
	bool need_h, need_v;
	struct axis ah = { 0 }, av = { 0 };
	size_t rowbytes, need = 0, off_h, off_v, off_w, off_acc, off_tmp;
	uint32_t x0, x1, y0, y1, px = r->part_x, py = r->part_y, pw = r->part_w, ph = r->part_h;
	uint8_t *base, *tmp;
	int kmax;

	if (!r->src || !dst || imlfs_resample_source(r, &x0, &x1, &y0, &y1) < 0)
		return -EINVAL;
	if (!pw && !ph && !px && !py) {
		pw = r->src_w;
		ph = r->src_h;
	}
	/* the part lies in the source and holds what the window reads */
	if (px > r->src_w || pw > r->src_w - px || py > r->src_h || ph > r->src_h - py ||
	    x0 < px || x1 > px + pw || y0 < py || y1 > py + ph)
		return -EINVAL;
	need_h = r->out_w != r->src_w;
	need_v = r->out_h != r->src_h;
	rowbytes = (size_t)r->win_w * r->nch;

	ah.first = r->left;
	ah.n = r->win_w;
	ah.ksize = need_h ? axis_ksize(r->src_w, r->out_w, r->filter) : 0;
	av.first = r->top;
	av.n = r->win_h;
	av.ksize = need_v ? axis_ksize(r->src_h, r->out_h, r->filter) : 0;
	kmax = ah.ksize > av.ksize ? ah.ksize : av.ksize;

	/* One block: weights of both axes, one tap row of doubles, a row of
	 * accumulators and (when both passes run) the horizontal result: the
	 * source rows y0..y1-1 that the window's output rows read. */
	if (!carve(&need, &off_h, (size_t)ah.n * (2 + (size_t)ah.ksize), sizeof(int32_t)) ||
	    !carve(&need, &off_v, (size_t)av.n * (2 + (size_t)av.ksize), sizeof(int32_t)) ||
	    !carve(&need, &off_w, (size_t)kmax + 1, sizeof(double)) ||
	    !carve(&need, &off_acc, rowbytes, sizeof(int32_t)) ||
	    !carve(&need, &off_tmp, need_h && need_v ? (size_t)(y1 - y0) : 0, rowbytes) ||
	    imlfs_scratch_reserve(s, need) < 0)
		return -ENOMEM;
	base = s->p;
	ah.start = (int32_t *)(base + off_h);
	ah.count = ah.start + ah.n;
	ah.k = ah.count + ah.n;
	av.start = (int32_t *)(base + off_v);
	av.count = av.start + av.n;
	av.k = av.count + av.n;
	tmp = base + off_tmp;
	if (need_h) {
		axis_weights(&ah, r->src_w, r->out_w, r->filter, (double *)(base + off_w));
		/* taps counted from the part's first column (all at or after x0) */
		for (uint32_t i = 0; i < ah.n; i++)
			ah.start[i] -= (int32_t)px;
	}
	if (need_v)
		axis_weights(&av, r->src_h, r->out_h, r->filter, (double *)(base + off_w));

	if (need_h && !need_v) {
		for (uint32_t i = 0; i < r->win_h; i++)
			horizontal_row(&ah, r->src + (size_t)(r->top + i - py) * r->src_stride,
				       dst + (size_t)i * dst_stride, r->nch);
	} else if (need_v) {
		/* vertical_row reads row y at rows + (y - row0) * stride */
		const uint8_t *rows = r->src + (size_t)(r->left - px) * r->nch;
		size_t stride = r->src_stride;
		int32_t row0 = (int32_t)py;

		if (need_h) {
			for (uint32_t y = y0; y < y1; y++)
				horizontal_row(&ah, r->src + (size_t)(y - py) * r->src_stride,
					       tmp + (size_t)(y - y0) * rowbytes, r->nch);
			rows = tmp;
			stride = rowbytes;
			row0 = (int32_t)y0;
		}
		for (uint32_t i = 0; i < r->win_h; i++)
			vertical_row(&av, i, rows, stride, row0, rowbytes,
				     (int32_t *)(base + off_acc), dst + (size_t)i * dst_stride);
	} else {
		/* neither axis changes size: the window is a plain crop */
		for (uint32_t i = 0; i < r->win_h; i++)
			memcpy(dst + (size_t)i * dst_stride,
			       r->src + (size_t)(r->top + i - py) * r->src_stride +
			       (size_t)(r->left - px) * r->nch, rowbytes);
	}
	return 0;
}
