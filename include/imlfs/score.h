/* score.h — predictions in, the dataset's scores out.
 *
 * Predictions text: one line per image, "IMAGE LABEL [LABEL ...]".  IMAGE is
 * a member name, its stem, or any path ending in one; each LABEL a class
 * index or a wnid; the first label is the top-1 prediction, the first five
 * the top-5.  Fields are separated by white space or commas; blank lines and
 * lines whose first non-blank character is '#' are skipped.  A later line
 * for the same image replaces the earlier one (a duplicate).  A submission
 * starting with the NumPy .npy magic is an array instead (npy.h), parsed
 * into the same struct imlfs_preds, so that scoring is shared.
 *
 * Scores per split (JSON keys): split, images, predicted, missing, unknown,
 * duplicates, invalid, errors (first 20: {"line": N, "error": "..."}),
 * top1_accuracy, top5_accuracy (null unless every prediction given for the
 * split's images has >= 5 labels), multilabel_accuracy,
 * multilabel_accuracy_strict, multilabel_correct, multilabel_images (null
 * for "all").
 *   validation: skip problematic images; correct when the first label is in
 *     correct_multi_labels or unclear_multi_labels (strict: correct only);
 *     per-class accuracy over original classes present, then averaged;
 *     missing predictions are wrong.
 *   imagenet_m: over all its images, no filter, no per-class averaging.
 *   real (and all, when a ReaL file is mounted): also real_accuracy (over
 *     the images with a non-empty ReaL list, the share whose first label
 *     is in it; missing predictions are wrong) and real_top5_accuracy (any
 *     of the first five; null under the rule of top5_accuracy).
 */
#ifndef IMLFS_SCORE_H
#define IMLFS_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "imlfs/model.h"

#define IMLFS_SCORE_MAX_ERRORS 20

struct imlfs_preds;   /* a parsed submission, independent of any split */

/* Parse predictions text.  Never fails on content (bad lines are counted);
 * returns NULL only when out of memory. */
struct imlfs_preds *imlfs_preds_parse(const struct imlfs_model *m, const char *text, size_t len);
/* The same for a submission to predictions file f: a NumPy array (npy.h:
 * its rows are f's split's images, the root file's every member's) when it
 * starts with the .npy magic, else text. */
struct imlfs_preds *imlfs_preds_parse_for(const struct imlfs_model *m, const char *text,
					  size_t len, enum imlfs_pred_file f);
void imlfs_preds_free(struct imlfs_preds *p);
/* Member i's top-1 prediction (a class index), or -1 when no line named it. */
int32_t imlfs_preds_top1(const struct imlfs_preds *p, uint32_t i);

/* Scores of one split as a new JSON object (NULL when out of memory). */
json_t *imlfs_score_split(const struct imlfs_model *m, const struct imlfs_preds *p,
			  enum imlfs_split s);
/* The scores predictions file f shows: a split's file, that split's
 * object; IMLFS_PRED_ROOT, {"all": {...}, "validation": {...},
 * "imagenet_m": {...}, "real": {...}} over the splits present.  NULL when out of memory
 * or f is not a predictions file. */
json_t *imlfs_score(const struct imlfs_model *m, const struct imlfs_preds *p,
		    enum imlfs_pred_file f);

/* Pretty-printed JSON text ending in a newline (malloc'd, NULL when out of
 * memory or f is not a predictions file) for predictions file f with the
 * scores of `text`, or — text == NULL — the object saying that nothing was
 * submitted yet, with a one-line usage hint.  Reals are written as
 * imlfs_json_real writes them. */
char *imlfs_score_text(const struct imlfs_model *m, const char *text, size_t len,
		       enum imlfs_pred_file f, size_t *outlen);
/* The same from predictions already parsed (p NULL: nothing submitted). */
char *imlfs_score_text_of(const struct imlfs_model *m, const struct imlfs_preds *p,
			  enum imlfs_pred_file f, size_t *outlen);

/* v as JSON text in out[size]: the shortest of %.15g, %.16g and %.17g
 * that reads back as v (0.025, not 0.025000000000000001, as Python and jq
 * print it), with ".0" on integral values (1.0) and the exponent without
 * '+' or leading zeros (2e-5); "null" for inf and nan.  Returns the
 * length, or -1 when size is too small (32 is enough). */
int imlfs_json_real(char *out, size_t size, double v);

#endif
