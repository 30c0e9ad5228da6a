/* SPDX-License-Identifier: MIT */
/* score.c — a parsed submission's scores (score.h), as a plain struct.
 *
 * Everything the per-split counters need is derived from the submission's
 * slots (preds.h): a line for an image outside the split is "unknown"
 * there, a second line for an image inside it a "duplicate".
 *
 * The multi-label metric of the validation split is the one the TFDS
 * imagenet2012_multilabel README gives: problematic images skipped, a
 * prediction correct when its top-1 label is among the correct (lenient:
 * or unclear) multi-labels, accuracy per original class, then the mean
 * over the classes present.  Images with no original label (no labels
 * file) are pooled as one extra class, which makes the metric a plain mean
 * when no labels were given at all.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/score.h"

#define TOPK IMLFS_TOPK

/* Is class c in ml[from .. from+n)? */
static bool in_run(const struct imlfs_model *m, uint32_t from, uint32_t n, uint16_t c)
{
	for (uint32_t k = 0; k < n; k++)
		if (m->ml[from + k] == c)
			return true;
	return false;
}

struct tally {
	uint64_t images, predicted, unknown, duplicates;
	uint64_t labelled, top1, top5;
	bool all5;                     /* every prediction has >= 5 labels */
	uint64_t ml_images, ml_correct, ml_strict;
	/* per label set scored (score_sets): images with a non-empty list */
	uint64_t set_images[IMLFS_LABELSETS_MAX], set_top1[IMLFS_LABELSETS_MAX];
	uint64_t set_top5[IMLFS_LABELSETS_MAX];
	double ml_acc, ml_acc_strict;  /* < 0: no denominator */
};

/* Lenient and strict correctness of member i's prediction. */
static void ml_correct(const struct imlfs_model *m, const struct imlfs_preds *p,
		       uint32_t i, bool *lenient, bool *strict)
{
	const struct imlfs_member *mb = &m->members[i];
	const struct imlfs_slot *s = &p->slot[i];

	*lenient = *strict = false;
	if (!s->count)
		return;
	*strict = in_run(m, mb->ml, mb->n_correct, s->lab[0]);
	*lenient = *strict || in_run(m, mb->ml + mb->n_correct, mb->n_unclear, s->lab[0]);
}

static void tally_top(const struct imlfs_model *m, const struct imlfs_preds *p,
		      uint32_t i, struct tally *t)
{
	const struct imlfs_slot *s = &p->slot[i];
	int32_t label = m->members[i].label;

	t->images++;
	if (s->count) {
		t->predicted++;
		t->duplicates += s->count - 1;
		if (s->nlab < TOPK)
			t->all5 = false;
	}
	if (label < 0)
		return;
	t->labelled++;
	if (!s->count)
		return;
	t->top1 += s->lab[0] == label;
	for (unsigned k = 0; k < s->nlab; k++)
		if (s->lab[k] == label) {
			t->top5++;
			break;
		}
}

/* A label set's accuracy, ReaL's rule (Beyer et al. 2020; the
 * reassessed-imagenet NumPy example, timm's RealLabelsImagenet): over the
 * images whose list in set k is not empty, the share whose top-1 (top-5:
 * any of the first five) is in the list.  A missing prediction is wrong. */
static void tally_set(const struct imlfs_model *m, const struct imlfs_preds *p,
		      uint32_t i, uint32_t k, struct tally *t)
{
	const struct imlfs_slot *s = &p->slot[i];
	const uint16_t *lab;
	uint32_t n = imlfs_labelset_labels(&m->sets[k], i, &lab);
	bool top1 = false, top5 = false;

	if (!n)
		return;
	t->set_images[k]++;
	for (unsigned r = 0; s->count && r < s->nlab; r++)
		for (uint32_t j = 0; j < n; j++)
			if (s->lab[r] == lab[j]) {
				top1 |= r == 0;
				top5 = true;
			}
	t->set_top1[k] += top1;
	t->set_top5[k] += top5;
}

/* The sets whose keys split s has: its own, or every one in all/. */
static void sets_of(const struct imlfs_model *m, enum imlfs_split s, uint32_t *from,
		    uint32_t *to)
{
	*from = *to = 0;
	if (s == IMLFS_SPLIT_ALL)
		*to = m->nsets;
	else if (imlfs_split_set(m, s))
		*to = (*from = (uint32_t)(s - IMLFS_SPLIT_SET0)) + 1;
}

/* The TFDS validation metric: per-class accuracies, then their mean. */
static int tally_validation(const struct imlfs_model *m, const struct imlfs_preds *p,
			    struct tally *t)
{
	uint32_t nc = m->nclasses + 1;   /* + the pool of unlabelled images */
	uint32_t *cnt = calloc((size_t)nc * 3, sizeof *cnt);
	double sum = 0, sum_strict = 0;
	uint32_t present = 0;

	if (!cnt)
		return -1;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		const struct imlfs_member *mb = &m->members[i];
		bool len, str;

		if (!imlfs_in_split(m, i, IMLFS_SPLIT_VALIDATION) ||
		    (mb->flags & IMLFS_M_PROBLEMATIC))
			continue;
		uint32_t c = mb->label >= 0 && (uint32_t)mb->label < m->nclasses ?
			(uint32_t)mb->label : m->nclasses;

		ml_correct(m, p, i, &len, &str);
		cnt[3 * c]++;
		cnt[3 * c + 1] += len;
		cnt[3 * c + 2] += str;
	}
	for (uint32_t c = 0; c < nc; c++) {
		if (!cnt[3 * c])
			continue;
		present++;
		sum += (double)cnt[3 * c + 1] / cnt[3 * c];
		sum_strict += (double)cnt[3 * c + 2] / cnt[3 * c];
		t->ml_images += cnt[3 * c];
		t->ml_correct += cnt[3 * c + 1];
	}
	free(cnt);
	t->ml_acc = present ? sum / present : -1;
	t->ml_acc_strict = present ? sum_strict / present : -1;
	return 0;
}

static void tally_imagenet_m(const struct imlfs_model *m, const struct imlfs_preds *p,
			     struct tally *t)
{
	for (uint32_t i = 0; i < m->nmembers; i++) {
		bool len, str;

		if (!imlfs_in_split(m, i, IMLFS_SPLIT_IMAGENET_M))
			continue;
		ml_correct(m, p, i, &len, &str);
		t->ml_images++;
		t->ml_correct += len;
		t->ml_strict += str;
	}
	t->ml_acc = t->ml_images ? (double)t->ml_correct / t->ml_images : -1;
	t->ml_acc_strict = t->ml_images ? (double)t->ml_strict / t->ml_images : -1;
}

/* num / den, or NAN (null) without a denominator. */
static double ratio(uint64_t num, uint64_t den)
{
	return den ? (double)num / (double)den : NAN;
}

int imlfs_score_split(const struct imlfs_model *m, const struct imlfs_preds *p,
		      enum imlfs_split s, struct imlfs_split_scores *out)
{
	struct tally t = { .all5 = true, .ml_acc = -1, .ml_acc_strict = -1 };
	bool multi = s == IMLFS_SPLIT_VALIDATION || s == IMLFS_SPLIT_IMAGENET_M;
	uint32_t from, to;

	sets_of(m, s, &from, &to);
	for (uint32_t i = 0; i < m->nmembers && i < p->nmembers; i++) {
		if (imlfs_in_split(m, i, s)) {
			tally_top(m, p, i, &t);
			for (uint32_t k = from; k < to; k++)
				tally_set(m, p, i, k, &t);
		} else
			t.unknown += p->slot[i].count;
	}
	t.unknown += p->not_in_tar;
	if (s == IMLFS_SPLIT_VALIDATION && tally_validation(m, p, &t))
		return -1;
	if (s == IMLFS_SPLIT_IMAGENET_M)
		tally_imagenet_m(m, p, &t);
	*out = (struct imlfs_split_scores){
		.split = s,
		.images = t.images,
		.predicted = t.predicted,
		.missing = t.images - t.predicted,
		.unknown = t.unknown,
		.duplicates = t.duplicates,
		.invalid = p->invalid,
		.top1_accuracy = ratio(t.top1, t.labelled),
		.top5_accuracy = t.all5 ? ratio(t.top5, t.labelled) : NAN,
		.multilabel_accuracy = multi && t.ml_acc >= 0 ? t.ml_acc : NAN,
		.multilabel_accuracy_strict = multi && t.ml_acc_strict >= 0 ? t.ml_acc_strict : NAN,
		.multilabel = multi,
		.multilabel_correct = multi ? t.ml_correct : 0,
		.multilabel_images = multi ? t.ml_images : 0,
		.nsets = to - from,
	};
	snprintf(out->name, sizeof out->name, "%s", imlfs_split_name(m, s));
	for (uint32_t k = from; k < to; k++) {
		struct imlfs_set_scores *e = &out->sets[k - from];

		snprintf(e->key1, sizeof e->key1, "%s_accuracy", m->sets[k].name);
		snprintf(e->key5, sizeof e->key5, "%s_top5_accuracy", m->sets[k].name);
		e->top1 = ratio(t.set_top1[k], t.set_images[k]);
		e->top5 = t.all5 ? ratio(t.set_top5[k], t.set_images[k]) : NAN;
	}
	return 0;
}

/* Has file f split s's scores?  A split's file has its split, present or
 * not; the root's every split present. */
static bool of_file(const struct imlfs_model *m, enum imlfs_pred_file f, enum imlfs_split s)
{
	return f == IMLFS_PRED_ROOT ? imlfs_split_present(m, s) : s == imlfs_pred_split(f);
}

struct imlfs_scores *imlfs_score(const struct imlfs_model *m, const struct imlfs_preds *p,
				 enum imlfs_pred_file f)
{
	struct imlfs_scores *sc;
	size_t text = 0, off = 0, nsplits = 0;
	char *msgs;

	if (!imlfs_pred_valid(f))
		return NULL;
	for (uint32_t k = 0; k < p->nerrors; k++)
		text += strlen(p->errors[k].msg) + 1;
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++)
		nsplits += of_file(m, f, s);
	sc = calloc(1, sizeof *sc + nsplits * sizeof sc->split[0] + text);
	if (!sc)
		return NULL;
	sc->size = sizeof *sc + nsplits * sizeof sc->split[0] + text;
	sc->file = f;
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++) {
		if (!of_file(m, f, s))
			continue;
		if (imlfs_score_split(m, p, s, &sc->split[sc->nsplits++])) {
			free(sc);
			return NULL;
		}
	}
	msgs = (char *)&sc->split[sc->nsplits];
	for (uint32_t k = 0; k < p->nerrors; k++) {
		size_t n = strlen(p->errors[k].msg) + 1;

		sc->errors[k] = (struct imlfs_score_error){ p->errors[k].line, (uint32_t)off };
		memcpy(msgs + off, p->errors[k].msg, n);
		off += n;
	}
	sc->nerrors = p->nerrors;
	return sc;
}

unsigned imlfs_score_fields(const struct imlfs_split_scores *ss, struct imlfs_score_field *out)
{
	unsigned n = 0;

#define FIELD(k, t, ...) out[n++] = (struct imlfs_score_field){ .key = k, .type = t, __VA_ARGS__ }
#define COUNT(k, v) FIELD(k, IMLFS_FIELD_COUNT, .count = (v))
#define REAL(k, v) FIELD(k, IMLFS_FIELD_REAL, .real = (v))
	FIELD("split", IMLFS_FIELD_STRING, .str = ss->name);
	COUNT("images", ss->images);
	COUNT("predicted", ss->predicted);
	COUNT("missing", ss->missing);
	COUNT("unknown", ss->unknown);
	COUNT("duplicates", ss->duplicates);
	COUNT("invalid", ss->invalid);
	FIELD("errors", IMLFS_FIELD_ERRORS);
	REAL("top1_accuracy", ss->top1_accuracy);
	REAL("top5_accuracy", ss->top5_accuracy);
	REAL("multilabel_accuracy", ss->multilabel_accuracy);
	REAL("multilabel_accuracy_strict", ss->multilabel_accuracy_strict);
	if (ss->multilabel) {
		COUNT("multilabel_correct", ss->multilabel_correct);
		COUNT("multilabel_images", ss->multilabel_images);
	} else {
		FIELD("multilabel_correct", IMLFS_FIELD_NULL);
		FIELD("multilabel_images", IMLFS_FIELD_NULL);
	}
	/* last, so that the keys before keep their places */
	for (unsigned k = 0; k < ss->nsets && k < IMLFS_LABELSETS_MAX; k++) {
		REAL(ss->sets[k].key1, ss->sets[k].top1);
		REAL(ss->sets[k].key5, ss->sets[k].top5);
	}
	if (ss->nhints)
		FIELD("hints", IMLFS_FIELD_HINTS);
#undef REAL
#undef COUNT
#undef FIELD
	return n;
}

const struct imlfs_split_scores *imlfs_scores_of(const struct imlfs_scores *sc,
						 enum imlfs_split s)
{
	for (unsigned k = 0; sc && k < sc->nsplits; k++)
		if (sc->split[k].split == s)
			return &sc->split[k];
	return NULL;
}

struct imlfs_scores *imlfs_scores_dup(const struct imlfs_scores *sc)
{
	struct imlfs_scores *d = malloc(sc->size);

	if (d)
		memcpy(d, sc, sc->size);
	return d;
}

void imlfs_scores_free(struct imlfs_scores *sc)
{
	free(sc);
}
