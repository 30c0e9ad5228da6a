/* mkjpeg.h — synthetic photo-like JPEGs for imlfs-mksample, and the small
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

struct mkjpeg_spec {
	uint64_t seed;      /* all content derives from this */
	int width, height;  /* 1 .. 65535 */
	int gray;           /* one component (TJSAMP_GRAY) */
	int progressive;    /* TJFLAG_PROGRESSIVE */
	int full_chroma;    /* TJSAMP_444 rather than the usual TJSAMP_420 */
	int quality;        /* 1 .. 100 */
	int detail;         /* texture strength, percent of the default (0 .. 400) */
	int hue;            /* 0 .. 359: the dominant colour (per class) */
};

/* One encoder per thread: its pixel buffer. */
struct mkjpeg {
	unsigned char *pix;
	size_t pixcap;
	char err[256];
};

/* Returns 0 (it cannot fail; kept for symmetry with mkjpeg_free). */
int mkjpeg_init(struct mkjpeg *enc);
/* Paint and encode one image.  On success *jpeg (free with mkjpeg_release)
 * holds *len bytes.  Returns 0, or -1 with the reason in enc->err. */
int mkjpeg_encode(struct mkjpeg *enc, const struct mkjpeg_spec *spec,
		  unsigned char **jpeg, unsigned long *len);
void mkjpeg_release(unsigned char *jpeg);
void mkjpeg_free(struct mkjpeg *enc);

#endif
