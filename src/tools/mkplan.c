/* SPDX-License-Identifier: MIT */
/* mkplan.c — the plan of an imlfs-mksample sample: which class each image
 * has, which images are annotated, problematic or in ImageNet-M, what the
 * experts said about each annotated image, its ReaL labels, and how each
 * JPEG looks.
 *
 * Every choice here is a pure function of (seed, purpose, item) through
 * mk_rng_for(), so the writers (mkjson.c, mktar.c, in any thread) can ask
 * for any image's details again and get the same answer; the writers only
 * format what the plan decides. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mksample.h"

static int annot_has(const struct annot *a, uint32_t c)
{
	for (int k = 0; k < NKINDS; k++)
		for (int i = 0; i < a->n[k]; i++)
			if (a->cls[k][i] == c)
				return 1;
	return 0;
}

/* Add a class not yet used: near the label (similar classes are confused
 * most, like dog breeds) or anywhere.  Gives up quietly with few classes. */
static void annot_add(struct annot *a, int kind, struct mk_rng *r, uint32_t nclasses,
		      uint32_t label, int near)
{
	for (int tries = 0; tries < 20 && a->n[kind] < 16; tries++) {
		int64_t n = nclasses, off = mk_range(r, -8, 8);
		uint32_t c = near ? (uint32_t)((((int64_t)label + off) % n + n) % n)
				  : mk_below(r, nclasses);

		if (!annot_has(a, c)) {
			a->cls[kind][a->n[kind]++] = c;
			return;
		}
	}
}

/* The annotation of image i; a pure function of (seed, i).  The first draw
 * decides whether the original label is not correct ("bad"). */
int make_annot(const struct plan *p, uint32_t i, uint32_t label, struct annot *a)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_ANNOT, i);
	int bad = p->nclasses > 1 && mk_chance(&r, 30), extra;

	memset(a, 0, sizeof *a);
	if (!bad) {
		a->cls[K_CORRECT][a->n[K_CORRECT]++] = label;
		extra = mk_chance(&r, 130) ? mk_range(&r, 1, 3) : 0;
		for (int k = 0; k < extra; k++)
			annot_add(a, K_CORRECT, &r, p->nclasses, label, mk_chance(&r, 700));
	} else {
		int kind = mk_chance(&r, 700) ? K_WRONG : K_UNCLEAR;

		a->cls[kind][a->n[kind]++] = label;
		if (mk_chance(&r, 750))
			annot_add(a, K_CORRECT, &r, p->nclasses, label, 1);
	}
	if (mk_chance(&r, 100)) {
		extra = mk_range(&r, 1, 2);
		for (int k = 0; k < extra; k++)
			annot_add(a, K_UNCLEAR, &r, p->nclasses, label, 1);
	}
	if (mk_chance(&r, 700)) {
		extra = mk_chance(&r, 200) ? mk_range(&r, 5, 12) : mk_range(&r, 1, 4);
		for (int k = 0; k < extra; k++)
			annot_add(a, K_WRONG, &r, p->nclasses, label, mk_chance(&r, 400));
	}
	for (int k = 0; k < NKINDS; k++)
		a->order[k] = k;
	for (int k = NKINDS - 1; k > 0; k--) {
		int j = (int)mk_below(&r, (uint32_t)k + 1), t = a->order[k];

		a->order[k] = a->order[j];
		a->order[j] = t;
	}
	return bad;
}

/* Fisher-Yates over the first `take` of v[0..n). */
static void shuffle_prefix(uint32_t *v, uint32_t n, uint32_t take, struct mk_rng *r)
{
	for (uint32_t k = 0; k < take && k + 1 < n; k++) {
		uint32_t j = k + mk_below(r, n - k), t = v[k];

		v[k] = v[j];
		v[j] = t;
	}
}

static void plan_labels(struct plan *p)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_LABELS, 0);

	for (uint32_t i = 0; i < p->n; i++)
		p->label[i] = i / p->o.per_class;
	shuffle_prefix(p->label, p->n, p->n, &r);
}

/* Pick annotated-per-class images of every class. */
static int plan_annotated(struct plan *p)
{
	uint32_t *byclass = malloc(sizeof *byclass * p->n), *fill = calloc(p->nclasses, sizeof *fill);

	if (!byclass || !fill) {
		free(byclass);
		free(fill);
		return -1;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t c = p->label[i];

		byclass[c * p->o.per_class + fill[c]++] = i;
	}
	for (uint32_t c = 0; c < p->nclasses; c++) {
		struct mk_rng r = mk_rng_for(p->o.seed, S_PICK, c);
		uint32_t *v = byclass + (size_t)c * p->o.per_class;

		shuffle_prefix(v, p->o.per_class, p->o.annotated, &r);
		for (uint32_t k = 0; k < p->o.annotated; k++)
			p->flags[v[k]] |= F_ANNOT;
	}
	free(byclass);
	free(fill);
	return 0;
}

/* About 5% of annotated images are problematic: all whose original label is
 * not correct (~3%), and ~2% more; plus a few images outside initial_annots. */
static void plan_problematic(struct plan *p)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_OUTSIDE, 0);
	uint32_t want, tries;
	struct annot a;

	for (uint32_t i = 0; i < p->n; i++) {
		struct mk_rng pr = mk_rng_for(p->o.seed, S_PROB, i);

		if (!(p->flags[i] & F_ANNOT))
			continue;
		p->nannot++;
		if (make_annot(p, i, p->label[i], &a))
			p->flags[i] |= F_BAD | F_PROB;
		else if (mk_chance(&pr, 21))
			p->flags[i] |= F_PROB;
		p->nprob += !!(p->flags[i] & F_PROB);
	}
	want = p->nannot && p->nannot < p->n ? 1 + p->nannot / 200 : 0;
	for (tries = 0; p->nprob_outside < want && tries < want * 50; tries++) {
		uint32_t i = mk_below(&r, p->n);

		if (!(p->flags[i] & (F_ANNOT | F_PROB))) {
			p->flags[i] |= F_PROB;
			p->nprob_outside++;
		}
	}
	p->nprob += p->nprob_outside;
}

/* ImageNet-M: 68 annotated, non-problematic images on the full set. */
static int plan_imagenet_m(struct plan *p)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_IMNETM, 0);
	uint32_t *cand = malloc(sizeof *cand * (p->nannot + 1)), ncand = 0, want;

	if (!cand)
		return -1;
	for (uint32_t i = 0; i < p->n; i++)
		if ((p->flags[i] & (F_ANNOT | F_PROB)) == F_ANNOT)
			cand[ncand++] = i;
	want = p->nannot >= 20000 ? 68 : p->nannot / 8 < 3 ? 3 : p->nannot / 8;
	want = want > 68 ? 68 : want;
	want = want > ncand ? ncand : want;
	shuffle_prefix(cand, ncand, want, &r);
	for (uint32_t k = 0; k < want; k++)
		p->flags[cand[k]] |= F_IMNETM;
	p->nimnetm = want;
	free(cand);
	return 0;
}

int make_plan(struct plan *p, struct imlfs_error *err)
{
	p->n = p->nclasses * p->o.per_class;
	p->label = malloc(sizeof *p->label * p->n);
	p->flags = calloc(p->n, 1);
	if (!p->label || !p->flags)
		return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory planning %" PRIu32 " images", p->n);
	plan_labels(p);
	if (plan_annotated(p) < 0)
		return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory choosing annotated images");
	plan_problematic(p);
	if (plan_imagenet_m(p) < 0)
		return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory choosing ImageNet-M");
	p->nother = p->nannot ? (p->nannot / 20 < 2 ? 2 : p->nannot / 20) : 0;
	return 0;
}

/* The showcase: one image of each way of storing a JPEG that a decoder
 * handles differently, so every sample of SHOWCASE_MIN images or more has
 * them all, whatever the seed.  Zero sizes keep the drawn size. */
struct show {
	int colour, samp, progressive, restart_mcus, restart_rows, width, height;
};

static const struct show showcase[] = {
	{ MK_CMYK, MK_444, 0, 0, 0, 0, 0 },        /* Photoshop's and PIL's CMYK */
	{ MK_YCCK, MK_420, 0, 0, 0, 0, 0 },        /* TurboJPEG's CMYK */
	{ MK_CMYK_BARE, MK_444, 0, 0, 0, 0, 0 },   /* no Adobe marker */
	{ MK_YCCK, MK_422, 1, 0, 0, 0, 0 },        /* progressive, 4 components */
	{ MK_YCC, MK_422, 0, 0, 0, 0, 0 },
	{ MK_YCC, MK_440, 0, 0, 0, 0, 0 },
	{ MK_YCC, MK_411, 0, 0, 0, 0, 0 },
	{ MK_YCC, MK_444, 1, 0, 0, 0, 0 },
	{ MK_YCC, MK_MIXED, 0, 0, 0, 0, 0 },      /* Cb and Cr differ */
	{ MK_YCC, MK_420, 0, 0, 1, 0, 0 },         /* a restart every MCU row */
	{ MK_YCC, MK_422, 1, 5, 0, 0, 0 },         /* every 5 MCUs, mid-row, progressive */
	{ MK_GRAY, MK_444, 0, 1, 0, 0, 0 },        /* every MCU */
	{ MK_CMYK, MK_444, 0, 3, 0, 0, 0 },
	{ MK_YCC, MK_420, 0, 0, 0, 1, 1 },
	{ MK_GRAY, MK_444, 0, 0, 0, 1, 1 },
	{ MK_YCC, MK_420, 1, 0, 0, 3, 2 },
	{ MK_YCC, MK_420, 0, 0, 0, 1200, 8 },
	{ MK_YCC, MK_422, 0, 0, 1, 8, 1200 },
};

#define SHOWCASE_MIN (sizeof showcase / sizeof showcase[0])

/* Showcase image k is image k * n / SHOWCASE_MIN + n / (2 * SHOWCASE_MIN):
 * spread over the sample, one per slot. */
static const struct show *show_for(const struct plan *p, uint32_t i)
{
	uint64_t n = p->n, m = SHOWCASE_MIN;

	if (n < m)
		return NULL;
	for (uint64_t k = 0; k < m; k++)
		if (k * n / m + n / (2 * m) == i)
			return &showcase[k];
	return NULL;
}

/* Image i's JPEG: ImageNet's mix of sizes (most 500x375 or 375x500), a few
 * gray, progressive, 4:4:4, 4:2:2, CMYK or restart-marked ones, a colour per
 * class; then the showcase. */
void image_spec(const struct plan *p, uint32_t i, struct mkjpeg_spec *s)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_IMAGE, i);
	uint32_t u = mk_below(&r, 1000);
	int lng, shrt, portrait = mk_chance(&r, 300);
	const struct show *sh;

	memset(s, 0, sizeof *s);
	if (p->o.tiny) {
		s->width = mk_range(&r, 16, 64);
		s->height = mk_range(&r, 16, 64);
	} else if (u < 850) {
		s->width = u < 680 ? 500 : 375;
		s->height = u < 680 ? 375 : 500;
	} else {
		lng = u < 950 ? mk_range(&r, 200, 500) : mk_range(&r, 501, 1000);
		shrt = lng * mk_range(&r, 55, 100) / 100;
		s->width = portrait ? shrt : lng;
		s->height = portrait ? lng : shrt;
	}
	/* A few of each kind, and at least one when there are 3 images. */
	s->colour = mk_chance(&r, 15) || (p->n >= 3 && i == p->n / 3) ? MK_GRAY : MK_YCC;
	s->progressive = mk_chance(&r, 20) || (p->n >= 3 && i == 2 * p->n / 3);
	s->quality = mk_chance(&r, 600) ? 90 : mk_range(&r, 85, 95);
	s->samp = s->colour != MK_GRAY && mk_chance(&r, 100) ? MK_444 : MK_420;
	if (p->o.tiny)
		s->detail = mk_range(&r, 0, 15);
	else if (u = mk_below(&r, 100), u < 85)
		s->detail = mk_range(&r, 80, 150);
	else
		s->detail = u < 95 ? mk_range(&r, 40, 80) : mk_range(&r, 150, 220);
	s->hue = (int)(p->label[i] * 137u % 360u);
	s->seed = mk_next(&r);
	/* Drawn after the seed, so that an image drawing none of these is the
	 * one earlier versions wrote for the same seed. */
	if (s->samp == MK_420 && s->colour == MK_YCC && mk_chance(&r, 20))
		s->samp = MK_422;
	if (mk_chance(&r, 10))
		s->restart_rows = 1;
	if (s->colour == MK_YCC && mk_chance(&r, 2)) {
		s->colour = MK_CMYK;        /* as Photoshop writes it: no subsampling */
		s->samp = MK_444;
	}
	sh = show_for(p, i);
	if (sh) {
		s->colour = sh->colour;
		s->samp = sh->samp;
		s->progressive = sh->progressive;
		s->restart_mcus = sh->restart_mcus;
		s->restart_rows = sh->restart_rows;
		if (sh->width) {
			s->width = sh->width;
			s->height = sh->height;
		}
	}
}

static int real_has(const uint32_t *cls, int n, uint32_t c)
{
	for (int k = 0; k < n; k++)
		if (cls[k] == c)
			return 1;
	return 0;
}

/* A class near the label (off by 1..8 either way), as ReaL's re-labellers
 * most often added or preferred a similar class. */
static uint32_t real_near(const struct plan *p, uint32_t label, struct mk_rng *r)
{
	int64_t n = p->nclasses, off = mk_range(r, 1, 8) * (mk_chance(r, 500) ? -1 : 1);

	return (uint32_t)((((int64_t)label + off) % n + n) % n);
}

/* Like the real file: ~6% of the lists empty, ~15% with several labels,
 * ~8% without the original label; in file order, which is not sorted.
 * With 5 images or more, images n/5, 2n/5 and 3n/5 are one of each kind
 * (empty, several, original left out), so small samples have all three. */
int make_real(const struct plan *p, uint32_t i, uint32_t *cls)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_REAL, i);
	uint32_t label = p->label[i], u = mk_below(&r, 1000);
	int n = 0, kind = u < 60 ? 0 : u < 210 ? 1 : u < 290 ? 2 : 3, extra;

	if (p->n >= 5 && (i == p->n / 5 || i == 2 * p->n / 5 || i == 3 * p->n / 5))
		kind = i == p->n / 5 ? 0 : i == 2 * p->n / 5 ? 1 : 2;
	if (p->nclasses < 2 && kind != 0)
		kind = 3;
	switch (kind) {
	case 0:
		return 0;
	case 1:
		cls[n++] = label;
		extra = mk_range(&r, 1, MAX_REAL - 1);
		for (int k = 0, tries = 0; k < extra && tries < 20; tries++) {
			uint32_t c = real_near(p, label, &r);

			if (!real_has(cls, n, c)) {
				cls[n++] = c;
				k++;
			}
		}
		/* the original label is not always first */
		if (n > 1 && mk_chance(&r, 500)) {
			uint32_t t = cls[0];

			cls[0] = cls[n - 1];
			cls[n - 1] = t;
		}
		return n;
	case 2:
		cls[n++] = real_near(p, label, &r);
		if (mk_chance(&r, 250)) {
			uint32_t c = real_near(p, label, &r);

			if (c != label && !real_has(cls, n, c))
				cls[n++] = c;
		}
		return n;
	default:
		cls[n++] = label;
		return n;
	}
}
