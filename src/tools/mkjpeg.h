/* SPDX-License-Identifier: MIT */
/* mkjpeg.h — synthetic photo-like JPEGs for imlfs-mksample in every storage
 * a JPEG decoder meets (colour kinds, subsampling, restart markers), and the small
 * seeded random generator the sample generator is built on.
 *
 * Everything is a pure function of its seed, so images can be encoded in
 * any order, on any number of threads, and come out byte-identical. */
#ifndef IMLFS_MKJPEG_H
#define IMLFS_MKJPEG_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64: tiny, fast, and good enough to drive test data. */
struct mk_rng {
	uint64_t s;
};

static inline uint64_t mk_next(struct mk_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A generator for one purpose (`stream`) of one item (`index`): independent
 * of how many numbers any other item drew. */
static inline struct mk_rng mk_rng_for(uint64_t seed, uint64_t stream, uint64_t index)
{
	struct mk_rng r = { seed ^ (stream * 0xd1b54a32d192ed03ULL) };

	mk_next(&r);
	r.s ^= index * 0x8cb92ba72f3d8dd7ULL;
	mk_next(&r);
	return r;
}

/* Uniform in [0, n); n > 0. */
static inline uint32_t mk_below(struct mk_rng *r, uint32_t n)
{
	return (uint32_t)(((mk_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline int mk_range(struct mk_rng *r, int lo, int hi)
{
	return lo + (int)mk_below(r, (uint32_t)(hi - lo + 1));
}

/* True with probability per_mille / 1000. */
static inline int mk_chance(struct mk_rng *r, uint32_t per_mille)
{
	return mk_below(r, 1000) < per_mille;
}

/* How the colour is stored.  Photoshop writes CMYK with an Adobe APP14
 * marker (transform 0) and inverted samples, 255 meaning no ink; PIL writes
 * it the same way and reads every 4-component JPEG as inverted.  So all
 * three 4-component kinds hold inverted samples and look right in PIL. */
enum mk_colour {
	MK_YCC,             /* 3 components, YCbCr, JFIF marker (the usual) */
	MK_GRAY,            /* 1 component, JFIF marker */
	MK_YCCK,            /* 4 components, Adobe transform 2 (TurboJPEG's CMYK) */
	MK_CMYK,            /* 4 components, Adobe transform 0 (Photoshop, PIL) */
	MK_CMYK_BARE,       /* 4 components, no APP14: libjpeg assumes CMYK */
	MK_NCOLOURS
};

/* Chroma subsampling.  4:2:0 is 0 so that a zeroed spec is the usual JPEG.
 * MK_MIXED gives Cb and Cr planes of different sizes (luma 2x2, Cb 1x1,
 * Cr 2x1): valid, decoded by libjpeg and PIL, but TurboJPEG 2.1 has no name
 * for it and its tjDecompressHeader3 fails on it. */
enum mk_samp { MK_420, MK_422, MK_440, MK_411, MK_444, MK_MIXED, MK_NSAMPS };

struct mkjpeg_spec {
	uint64_t seed;      /* all content derives from this */
	int width, height;  /* 1 .. 65535 */
	int colour;         /* enum mk_colour */
	int samp;           /* enum mk_samp (ignored for MK_GRAY) */
	int progressive;    /* jpeg_simple_progression */
	int restart_mcus;   /* > 0: a DRI marker, RSTn every this many MCUs */
	int restart_rows;   /* > 0: the same, every this many MCU rows */
	int quality;        /* 1 .. 100 */
	int detail;         /* texture strength, percent of the default (0 .. 400) */
	int hue;            /* 0 .. 359: the dominant colour (per class) */
};

/* One encoder per thread: its pixel and row buffers. */
struct mkjpeg {
	unsigned char *pix, *row;
	size_t pixcap, rowcap;
	char err[256];
};

/* Returns 0 (it cannot fail; kept for symmetry with mkjpeg_free). */
int mkjpeg_init(struct mkjpeg *enc);
/* Paint and encode one image with libjpeg.  On success *jpeg (free with
 * mkjpeg_release) holds *len bytes.  Returns 0, or -1 with the reason in enc->err. */
int mkjpeg_encode(struct mkjpeg *enc, const struct mkjpeg_spec *spec,
		  unsigned char **jpeg, unsigned long *len);
void mkjpeg_release(unsigned char *jpeg);
void mkjpeg_free(struct mkjpeg *enc);

#endif
