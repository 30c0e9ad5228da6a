/* SPDX-License-Identifier: MIT */
/* hints.h — readings of a low-scoring submission that would explain its
 * score: the conventions people most often get wrong.  Scores are never
 * changed; a hint only says what top-1 the same submission would get if
 * read another way.
 *
 * Checked only for a split whose top1_accuracy is below IMLFS_HINT_BELOW,
 * so a correct submission costs nothing.  A reading is kept when its top-1
 * explains the score: at least twice the official top-1, at least
 * IMLFS_HINT_GAIN above it, and right on at least IMLFS_HINT_IMAGES more
 * images (so that chance on a split of a few images explains nothing).
 * The readings:
 *   shift+1    every label minus 1 (a 1001-class output, background at 0)
 *   shift-1    every label plus 1
 *   strsort    label k is the k-th of the class numbers sorted as strings
 *              (0, 1, 10, 100, ...: ImageFolder over folders named 0..999)
 *   locorder   label k is the k-th wnid in sorted order (the synset order
 *              of LOC_synset_mapping.txt), when the mounted classes are in
 *              another order
 *   byclass    an array's rows in by-class/ order (ImageFolder over the
 *              split's by-class/ folder) instead of images/ order
 *   rows       an array with the row count of another split: scored as a
 *              submission to that split's predictions file
 */
#ifndef IMLFS_HINTS_H
#define IMLFS_HINTS_H

#include <stddef.h>

#include "imlfs/preds.h"
#include "imlfs/score.h"

#define IMLFS_HINT_BELOW 0.5
#define IMLFS_HINT_GAIN 0.25
#define IMLFS_HINT_IMAGES 10

/* Add to every split of sc (the scores of p, the submission text[0..len)
 * to file f, arrays bounded by npy_cap) whose top-1 is below
 * IMLFS_HINT_BELOW the readings that explain it.  0, or -ENOMEM. */
int imlfs_hints_add(const struct imlfs_model *m, const struct imlfs_preds *p, const char *text,
		    size_t len, enum imlfs_pred_file f, size_t npy_cap, struct imlfs_scores *sc);

/* The sentence of hint h in out[size] (256 is enough); returns its length. */
int imlfs_hint_text(const struct imlfs_model *m, const struct imlfs_hint *h, char *out,
		    size_t size);

#endif
