/* SPDX-License-Identifier: MIT */
/* scorecard.h — each split's verdict on one image's top-1, and the root's
 * report.html built from them: every split's scores in one table, and the
 * images where the splits disagree about the submitted top-1.  No FUSE.
 *
 * The verdict (imlfs_verdict) is the one place that says, per split, which
 * top-1 is right; every per-image judgement of the core (this page, each
 * split's report.html: report.h) goes through it.  Each rule is the one
 * the split's headline score uses (score.h), so that summing the verdicts
 * over a split gives that score exactly:
 *   all         right when the top-1 is the original label; images with
 *               no original label are not counted         -> top1_accuracy
 *   validation  right when the top-1 is among the experts' correct or
 *               unclear labels; problematic images are not counted
 *                                -> multilabel_correct / multilabel_images
 *               (multilabel_accuracy averages per class: report.h)
 *   imagenet_m  the same over every ImageNet-M image  -> multilabel_accuracy
 *   real        right when the top-1 is in the image's ReaL list; images
 *               whose list is empty are not in real/     -> real_accuracy
 * An image outside the split is not counted; a missing prediction (top1
 * -1) is wrong wherever the image counts.  A split with no rule in the
 * switch counts no image (never another split's rule): a label set added
 * as a split adds its case, "right when in the set's list", as real.
 *
 * A scorecard is made once per root submission from the parsed predictions
 * (like a split's report) and kept instead of them: one pointer-free
 * allocation of imlfs_scorecard_bytes(), about 1.7 KiB, so that a copy is
 * a memcpy and nothing is kept per image.  Its page is rendered when read.
 */
#ifndef IMLFS_SCORECARD_H
#define IMLFS_SCORECARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imlfs/model.h"
#include "imlfs/preds.h"
#include "imlfs/score.h"
#include "imlfs/util.h"

/* The disagreements a page lists (the count says how many there are). */
#define IMLFS_SCORECARD_SHOWN_MAX 200

enum imlfs_verdict {
	IMLFS_VERDICT_OUT = 0,        /* not an image of the split */
	IMLFS_VERDICT_PROBLEMATIC,    /* validation: a problematic image, left out */
	IMLFS_VERDICT_NO_LABEL,       /* all: no original label, left out */
	IMLFS_VERDICT_RIGHT,
	IMLFS_VERDICT_WRONG,
	IMLFS_NVERDICTS,
};

/* Split s's verdict on member i of m whose submitted top-1 is class top1
 * (-1: no prediction for it). */
enum imlfs_verdict imlfs_verdict(const struct imlfs_model *m, enum imlfs_split s, uint32_t i,
				 int32_t top1);

/* Does verdict v count in its split's score (right or wrong)? */
static inline bool imlfs_verdict_counts(enum imlfs_verdict v)
{
	return v == IMLFS_VERDICT_RIGHT || v == IMLFS_VERDICT_WRONG;
}

/* "right", "wrong", "not in the split", "problematic", "no label". */
const char *imlfs_verdict_name(enum imlfs_verdict v);
/* Split s's rule, as a sentence for a page. */
const char *imlfs_verdict_rule(const struct imlfs_model *m, enum imlfs_split s);

/* One split's verdicts summed over its images. */
struct imlfs_scorecard_split {
	enum imlfs_split split;
	uint32_t right, wrong;
};

/* An image where the splits disagree: one counts its top-1 right, another
 * wrong. */
struct imlfs_disagreement {
	uint32_t member;
	uint16_t top1;
};

struct imlfs_scorecard {
	unsigned nsplits;             /* the splits present, in enum order */
	struct imlfs_scorecard_split split[IMLFS_NSPLITS];
	uint32_t ndisagree;           /* every such image */
	uint32_t nshown;              /* the first of them, in file name order */
	struct imlfs_disagreement shown[IMLFS_SCORECARD_SHOWN_MAX];
};

/* The scorecard of predictions p over every split m has; NULL when out
 * of memory. */
struct imlfs_scorecard *imlfs_scorecard_new(const struct imlfs_model *m,
					    const struct imlfs_preds *p);
struct imlfs_scorecard *imlfs_scorecard_dup(const struct imlfs_scorecard *card);
void imlfs_scorecard_free(struct imlfs_scorecard *card);
/* The memory one scorecard holds. */
size_t imlfs_scorecard_bytes(void);

/* Append the root's report.html to out: with card, the page of a root
 * submission whose scores are sc (the root predictions file's: every
 * split present); without (card NULL, sc ignored), the page saying that
 * nothing was submitted and how to submit.  0, or -ENOMEM. */
int imlfs_scorecard_render(const struct imlfs_model *m, const struct imlfs_scorecard *card,
			   const struct imlfs_scores *sc, struct imlfs_buf *out);

#endif
