/* SPDX-License-Identifier: MIT */
/* resample.h — Pillow's separable resampling of 8-bit images, computed
 * only over an output window (a crop of the resized image).
 *
 * The result is byte for byte what Pillow 9.4's Image.resize((out_w,
 * out_h), BILINEAR or BICUBIC) gives for an "L" or "RGB" image, cropped
 * to the window: each output pixel depends only on its own coefficients,
 * which depend on the full input and output sizes, never on the window.
 * Pillow's arithmetic is kept: coefficients in double with the filter's
 * support widened by the reduction factor, normalised, turned into 22-bit
 * fixed point; a horizontal pass first, rounded and clipped to 8 bits,
 * then a vertical pass; a pass whose size does not change is skipped.
 *
 * Bit-exactness relies on IEEE double arithmetic without contraction
 * into fused multiply-adds (meson's -std=c11 sets -ffp-contract=off) and
 * on the same operation order as Pillow's, which resample.c keeps.
 */
#ifndef IMLFS_RESAMPLE_H
#define IMLFS_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

enum imlfs_filter {
	IMLFS_FILTER_BILINEAR = 2,   /* PIL.Image.BILINEAR: triangle, support 1 */
	IMLFS_FILTER_BICUBIC = 3,    /* PIL.Image.BICUBIC: Keys, a = -0.5, support 2 */
};

/* Memory a caller keeps between calls so that buffers are reused: zero it
 * before the first use, imlfs_scratch_free it at the end. */
struct imlfs_scratch {
	void *p;
	size_t cap;
};
void imlfs_scratch_free(struct imlfs_scratch *s);
/* Room for at least n bytes in s->p (its contents are not kept): 0, or
 * -ENOMEM with s unchanged. */
int imlfs_scratch_reserve(struct imlfs_scratch *s, size_t n);

/* One resampling: the source image, the size it is resized to and the
 * window of that resized image to compute. */
struct imlfs_resample {
	const uint8_t *src;        /* rows of pixels, nch bytes each: */
	uint32_t src_w, src_h;     /* the whole source's size ... */
	/* ... of which src holds columns [part_x, part_x + part_w) and rows
	 * [part_y, part_y + part_h), src pointing at pixel (part_x, part_y);
	 * part_w = part_h = 0 (with part_x = part_y = 0): the whole source.
	 * A part lets a caller decode only what imlfs_resample_source says
	 * the window reads. */
	uint32_t part_x, part_y, part_w, part_h;
	size_t src_stride;         /* bytes from one row to the next */
	unsigned nch;              /* interleaved channels: 1 to 4 */
	uint32_t out_w, out_h;     /* the whole resized image */
	uint32_t left, top;        /* the window inside it ... */
	uint32_t win_w, win_h;     /* ... and its size */
	enum imlfs_filter filter;
};

/* The source pixels the window reads (r's part is ignored): columns
 * [*x0, *x1) and rows [*y0, *y1), never empty.  Returns 0, or -EINVAL as
 * imlfs_resample_window does for r's geometry. */
int imlfs_resample_source(const struct imlfs_resample *r, uint32_t *x0, uint32_t *x1,
			  uint32_t *y0, uint32_t *y1);

/* Write the window's win_h rows of win_w pixels (nch bytes each) to dst,
 * rows dst_stride bytes apart.  Returns 0; -EINVAL when a size is 0, the
 * window is not inside out_w x out_h, nch or the filter is not one of the
 * above or the part does not hold what imlfs_resample_source names;
 * -ENOMEM when s cannot grow (dst is then unspecified). */
int imlfs_resample_window(const struct imlfs_resample *r, uint8_t *dst, size_t dst_stride,
			  struct imlfs_scratch *s);

#endif
