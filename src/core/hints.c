/* SPDX-License-Identifier: MIT */
/* hints.c — readings that explain a low score (hints.h).
 *
 * Each reading is scored by the same code as the official scores
 * (imlfs_score_split) on a copy of the parsed submission with its labels
 * mapped (shift, strsort, locorder) or its rows moved (byclass), or on the
 * same bytes parsed for another split (rows), so a hint's top-1 is exactly
 * what the submission read that way would get.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/hints.h"
#include "imlfs/npy.h"

#define NONE UINT32_MAX

/* images: what the top-1s are shares of. */
static bool explains(double alt, double top1, double images)
{
	return alt >= 2 * top1 && alt >= top1 + IMLFS_HINT_GAIN &&
	       (alt - top1) * images >= IMLFS_HINT_IMAGES;
}

/* top1_accuracy of q on split s into *out: 0 or -ENOMEM. */
static int top1_of(const struct imlfs_model *m, const struct imlfs_preds *q, enum imlfs_split s,
		   double *out)
{
	struct imlfs_split_scores ss;

	if (imlfs_score_split(m, q, s, &ss))
		return -ENOMEM;
	*out = ss.top1_accuracy;
	return 0;
}

/* A copy of p whose labels go through map (NONE: dropped, with every
 * label after it; a prediction whose top-1 is dropped is missing). */
static struct imlfs_preds *mapped(const struct imlfs_model *m, const struct imlfs_preds *p,
				  const uint32_t *map)
{
	struct imlfs_preds *q = imlfs_preds_alloc(m);

	if (!q)
		return NULL;
	for (uint32_t i = 0; i < p->nmembers; i++) {
		const struct imlfs_slot *a = &p->slot[i];
		struct imlfs_slot *b = &q->slot[i];
		uint8_t k;

		if (!a->count)
			continue;
		*b = *a;
		for (k = 0; k < a->nlab && map[a->lab[k]] != NONE; k++)
			b->lab[k] = (uint16_t)map[a->lab[k]];
		b->nlab = k;
		if (!k)
			b->count = 0;
	}
	return q;
}

/* Class numbers 0..n-1 in the order of their decimal strings. */
static int cmp_decimal(const void *a, const void *b)
{
	char x[12], y[12];

	snprintf(x, sizeof x, "%u", *(const uint32_t *)a);
	snprintf(y, sizeof y, "%u", *(const uint32_t *)b);
	return strcmp(x, y);
}

static const struct imlfs_model *sort_model;   /* for cmp_wnid: qsort has no context */
static int cmp_wnid(const void *a, const void *b)
{
	return strcmp(imlfs_class_wnid(sort_model, *(const uint32_t *)a),
		      imlfs_class_wnid(sort_model, *(const uint32_t *)b));
}

/* The label map of a reading, into map[nclasses]: 0, 1 when the reading
 * maps nothing (it would read as the official scores), -ENOMEM. */
static int label_map(const struct imlfs_model *m, enum imlfs_reading r, uint32_t *map)
{
	uint32_t n = m->nclasses;
	bool identity = true;

	for (uint32_t k = 0; k < n; k++)
		map[k] = k;
	switch (r) {
	case IMLFS_READ_SHIFT_PLUS1:
		for (uint32_t k = 0; k < n; k++)
			map[k] = k ? k - 1 : NONE;
		return n > 1 ? 0 : 1;
	case IMLFS_READ_SHIFT_MINUS1:
		for (uint32_t k = 0; k < n; k++)
			map[k] = k + 1 < n ? k + 1 : NONE;
		return n > 1 ? 0 : 1;
	case IMLFS_READ_STRSORT:
		qsort(map, n, sizeof *map, cmp_decimal);
		break;
	case IMLFS_READ_LOCORDER:
		/* qsort's comparator has no context; hints run in one thread
		 * per scoring, so a lock keeps sort_model theirs alone. */
		{
			static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

			pthread_mutex_lock(&lock);
			sort_model = m;
			qsort(map, n, sizeof *map, cmp_wnid);
			pthread_mutex_unlock(&lock);
		}
		break;
	default:
		return 1;
	}
	for (uint32_t k = 0; k < n && identity; k++)
		identity = map[k] == k;
	return identity ? 1 : 0;
}

/* by-class/ order of split rs's rows: member byclass[r] is where an
 * ImageFolder over SPLIT/by-class/ puts row r (classes by wnid, files by
 * name), imgs[r] where images/ puts it.  1 when some image of rs has no
 * original label (by-class/ has fewer images than the array has rows). */
struct member_key {
	const struct imlfs_model *m;
	uint32_t i;
};

static int cmp_byclass(const void *a, const void *b)
{
	const struct member_key *x = a, *y = b;
	int c = strcmp(imlfs_class_wnid(x->m, (uint32_t)x->m->members[x->i].label),
		       imlfs_class_wnid(y->m, (uint32_t)y->m->members[y->i].label));

	return c ? c : strcmp(imlfs_member_name(x->m, x->i), imlfs_member_name(y->m, y->i));
}

static struct imlfs_preds *byclass_rows(const struct imlfs_model *m, const struct imlfs_preds *p,
					enum imlfs_split rs, int *err)
{
	uint32_t n = imlfs_npy_rows(m, rs), r = 0;
	struct member_key *keys = calloc(n ? n : 1, sizeof *keys);
	uint32_t *imgs = calloc(n ? n : 1, sizeof *imgs);
	struct imlfs_preds *q = NULL;

	*err = -ENOMEM;
	if (!keys || !imgs)
		goto out;
	*err = 1;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		if (!imlfs_in_split(m, i, rs))
			continue;
		if (r >= n || m->members[i].label < 0)
			goto out;
		imgs[r] = i;
		keys[r++] = (struct member_key){ m, i };
	}
	if (r != n)
		goto out;
	qsort(keys, n, sizeof *keys, cmp_byclass);
	*err = -ENOMEM;
	q = imlfs_preds_alloc(m);
	if (!q)
		goto out;
	*err = 0;
	for (r = 0; r < n; r++)
		q->slot[keys[r].i] = p->slot[imgs[r]];
out:
	free(keys);
	free(imgs);
	return q;
}

static void add(struct imlfs_split_scores *ss, struct imlfs_hint h)
{
	/* A ROWS reading scores another split: its rows are its images. */
	double images = h.reading == IMLFS_READ_ROWS ? (double)h.rows : (double)ss->images;

	if (ss->nhints < IMLFS_NREADINGS && explains(h.top1, ss->top1_accuracy, images))
		ss->hints[ss->nhints++] = h;
}

static bool low(const struct imlfs_split_scores *ss)
{
	/* NaN (no image to score) is not below anything. */
	return ss->top1_accuracy < IMLFS_HINT_BELOW;
}

/* Offer reading h, whose predictions are q, to every low split of sc:
 * scored on that split, or (ROWS) once on the split h.other.  0 or -ENOMEM. */
static int offer(const struct imlfs_model *m, const struct imlfs_preds *q, struct imlfs_hint h,
		 struct imlfs_scores *sc)
{
	bool scored = false;

	for (unsigned k = 0; k < sc->nsplits; k++) {
		struct imlfs_split_scores *ss = &sc->split[k];

		if (!low(ss))
			continue;
		if (h.reading != IMLFS_READ_ROWS || !scored) {
			if (top1_of(m, q, h.reading == IMLFS_READ_ROWS ? h.other : ss->split, &h.top1))
				return -ENOMEM;
			scored = true;
		}
		add(ss, h);
	}
	return 0;
}

/* Each reading's predictions are made once and offered to every low split
 * (the root file's scores have up to four). */
int imlfs_hints_add(const struct imlfs_model *m, const struct imlfs_preds *p, const char *text,
		    size_t len, enum imlfs_pred_file f, size_t npy_cap, struct imlfs_scores *sc)
{
	enum imlfs_split rs = f == IMLFS_PRED_ROOT ? IMLFS_SPLIT_ALL : imlfs_pred_split(f);
	struct imlfs_npy_header h;
	char why[IMLFS_NPY_WHY_MAX];
	struct imlfs_preds *q;
	uint32_t *map;
	bool any = false;
	int r = 0;

	for (unsigned k = 0; k < sc->nsplits; k++)
		any |= low(&sc->split[k]);
	if (!any)
		return 0;
	map = calloc(m->nclasses ? m->nclasses : 1, sizeof *map);
	if (!map)
		return -ENOMEM;
	for (enum imlfs_reading rd = IMLFS_READ_SHIFT_PLUS1; rd <= IMLFS_READ_LOCORDER; rd++) {
		r = label_map(m, rd, map);
		if (r < 0)
			goto out;
		if (r) {
			r = 0;
			continue;
		}
		q = mapped(m, p, map);
		r = q ? offer(m, q, (struct imlfs_hint){ .reading = rd }, sc) : -ENOMEM;
		imlfs_preds_free(q);
		if (r)
			goto out;
	}
	if (!text || !imlfs_npy_is(text, len))
		goto out;
	q = byclass_rows(m, p, rs, &r);
	if (r < 0)
		goto out;
	r = q ? offer(m, q, (struct imlfs_hint){ .reading = IMLFS_READ_BYCLASS }, sc) : 0;
	imlfs_preds_free(q);
	if (r || imlfs_npy_header(text, len, &h, why, sizeof why) || h.ndim < 1 ||
	    h.shape[0] == imlfs_npy_rows(m, rs))
		goto out;
	for (enum imlfs_split s2 = 0; s2 < IMLFS_NSPLITS; s2++) {
		if (s2 == rs || !imlfs_split_present(m, s2) || h.shape[0] != imlfs_npy_rows(m, s2))
			continue;
		q = imlfs_preds_parse_npy(m, text, len, s2, npy_cap);
		r = q ? offer(m, q, (struct imlfs_hint){ .reading = IMLFS_READ_ROWS, .other = s2,
							 .rows = h.shape[0] }, sc) : -ENOMEM;
		imlfs_preds_free(q);
		break;
	}
out:
	free(map);
	return r;
}

int imlfs_hint_text(const struct imlfs_model *m, const struct imlfs_hint *h, char *out,
		    size_t size)
{
	char t[32];
	int n = 0;

	imlfs_json_real(t, sizeof t, h->top1);
	switch (h->reading) {
	case IMLFS_READ_SHIFT_PLUS1:
		n = snprintf(out, size, "labels look shifted by +1 (a %u-class output with "
			     "background at 0?): with every label minus 1, top-1 would be %s",
			     m->nclasses + 1, t);
		break;
	case IMLFS_READ_SHIFT_MINUS1:
		n = snprintf(out, size, "labels look shifted by -1: with every label plus 1, "
			     "top-1 would be %s", t);
		break;
	case IMLFS_READ_STRSORT:
		n = snprintf(out, size, "labels look like positions in the class numbers sorted "
			     "as strings (0, 1, 10, 100, ...: ImageFolder over folders named "
			     "0..%u?): read that way, top-1 would be %s", m->nclasses - 1, t);
		break;
	case IMLFS_READ_LOCORDER:
		n = snprintf(out, size, "labels look like positions in the wnid-sorted synset "
			     "order of LOC_synset_mapping.txt, not the mounted classes' order: "
			     "read that way, top-1 would be %s", t);
		break;
	case IMLFS_READ_BYCLASS:
		n = snprintf(out, size, "the array's rows look like they are in by-class/ order "
			     "(ImageFolder over by-class/?), not images/ order: with the rows read "
			     "in by-class/ order, top-1 would be %s", t);
		break;
	case IMLFS_READ_ROWS:
		n = snprintf(out, size, "the array has %llu rows, as many as %s/ has images: "
			     "submitted to %s/predictions, top-1 would be %s",
			     (unsigned long long)h->rows, imlfs_split_name(m, h->other),
			     imlfs_split_name(m, h->other), t);
		break;
	default:
		n = snprintf(out, size, "?");
	}
	return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
}
