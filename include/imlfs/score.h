/* SPDX-License-Identifier: MIT */
/* score.h — a parsed submission (preds.h) in, the dataset's scores out:
 * a plain struct, and its one JSON writer (scorejson.c), which is the
 * text of every predictions file.
 *
 * Scores per split (JSON keys, in this order): split, images, predicted,
 * missing, unknown, duplicates, invalid, errors (first 20: {"line": N,
 * "error": "..."}), top1_accuracy, top5_accuracy (null unless every
 * prediction given for the split's images has >= 5 labels),
 * multilabel_accuracy, multilabel_accuracy_strict, multilabel_correct,
 * multilabel_images (null for "all").
 *   validation: skip problematic images; correct when the first label is in
 *     correct_multi_labels or unclear_multi_labels (strict: correct only);
 *     per-class accuracy over original classes present, then averaged;
 *     missing predictions are wrong.
 *   imagenet_m: over all its images, no filter, no per-class averaging.
 *   a label set NAME (real for ReaL's), and all for every set mounted:
 *     also NAME_accuracy (over the images with a non-empty list in the
 *     set, the share whose first label is in it; missing predictions are
 *     wrong) and NAME_top5_accuracy (any of the first five; null under the
 *     rule of top5_accuracy): real_accuracy and real_top5_accuracy for
 *     ReaL.  In all/ they come in the order of the sets (ReaL's first).
 */
#ifndef IMLFS_SCORE_H
#define IMLFS_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imlfs/model.h"
#include "imlfs/preds.h"

/* A reading that explains a low score (hints.h): which, the top-1 under
 * it, and for IMLFS_READ_ROWS the array's rows and the split they fit. */
enum imlfs_reading {
	IMLFS_READ_SHIFT_PLUS1,
	IMLFS_READ_SHIFT_MINUS1,
	IMLFS_READ_STRSORT,
	IMLFS_READ_LOCORDER,
	IMLFS_READ_BYCLASS,
	IMLFS_READ_ROWS,
	IMLFS_NREADINGS,
};

struct imlfs_hint {
	enum imlfs_reading reading;
	enum imlfs_split other;   /* ROWS: the split whose image count the rows are */
	uint64_t rows;            /* ROWS: the array's rows */
	double top1;              /* top1_accuracy under the reading */
};

/* A label set's two keys in a split's scores, and their values. */
struct imlfs_set_scores {
	char key1[48];            /* "NAME_accuracy" */
	char key5[48];            /* "NAME_top5_accuracy" */
	double top1, top5;
};
_Static_assert(IMLFS_LABELSET_NAME_MAX + sizeof "_top5_accuracy" <= 48, "a set's keys must fit");

/* One split's scores, field for key.  A real that the JSON shows as null
 * (no denominator, or a rule above) is NAN; imlfs_json_real writes it so. */
struct imlfs_split_scores {
	enum imlfs_split split;
	char name[IMLFS_LABELSET_NAME_MAX + 1];   /* the split's, imlfs_split_name */
	uint64_t images, predicted, missing, unknown, duplicates, invalid;
	double top1_accuracy, top5_accuracy;
	double multilabel_accuracy, multilabel_accuracy_strict;
	bool multilabel;          /* multilabel_correct and _images are numbers, else null */
	uint64_t multilabel_correct, multilabel_images;
	unsigned nsets;           /* the label sets' keys, last but for hints */
	struct imlfs_set_scores sets[IMLFS_LABELSETS_MAX];
	unsigned nhints;          /* "hints" is a key (the last) when there are any */
	struct imlfs_hint hints[IMLFS_NREADINGS];
};

/* One kept error of the submission; its message at msgs + off. */
struct imlfs_score_error {
	uint32_t line;
	uint32_t off;
};

/* The scores predictions file `file` shows for one submission: a split's
 * file, that split's (nsplits 1); the root file, every split present, in
 * enum order.  One allocation of `size` bytes, without pointers, so that a
 * copy is a memcpy (imlfs_scores_dup); the splits and the messages take
 * only their own room (a split's entry is over a kilobyte, for the label
 * sets' keys, and the store keeps a result per file per user), the
 * messages after split[nsplits]. */
struct imlfs_scores {
	size_t size;
	enum imlfs_pred_file file;
	unsigned nsplits;
	uint32_t nerrors;         /* every split's "errors": the same list */
	struct imlfs_score_error errors[IMLFS_SCORE_MAX_ERRORS];
	struct imlfs_split_scores split[];
};

/* The message of error k. */
static inline const char *imlfs_scores_error(const struct imlfs_scores *sc, uint32_t k)
{
	return (const char *)&sc->split[sc->nsplits] + sc->errors[k].off;
}

/* One key of a split's JSON object, with its value.  The JSON writer and
 * the report's headline both walk imlfs_score_fields, so that the two
 * cannot differ in keys, order or values. */
enum imlfs_field_type {
	IMLFS_FIELD_STRING,       /* str */
	IMLFS_FIELD_COUNT,        /* count */
	IMLFS_FIELD_REAL,         /* real; NAN is null */
	IMLFS_FIELD_NULL,
	IMLFS_FIELD_ERRORS,       /* the submission's kept errors */
	IMLFS_FIELD_HINTS,        /* the split's hints (hints.h), a list of sentences */
};

struct imlfs_score_field {
	const char *key;
	enum imlfs_field_type type;
	const char *str;
	uint64_t count;
	double real;
};

#define IMLFS_SCORE_MAX_FIELDS (15 + 2 * IMLFS_LABELSETS_MAX)

/* The keys of ss's JSON object in order, into out[IMLFS_SCORE_MAX_FIELDS];
 * returns how many. */
unsigned imlfs_score_fields(const struct imlfs_split_scores *ss, struct imlfs_score_field *out);

/* The scores of predictions p for file f; NULL when out of memory or f
 * is not a predictions file. */
struct imlfs_scores *imlfs_score(const struct imlfs_model *m, const struct imlfs_preds *p,
				 enum imlfs_pred_file f);
/* The scores of one split into *out (errors are p's own: p->errors):
 * 0, or -1 when out of memory. */
int imlfs_score_split(const struct imlfs_model *m, const struct imlfs_preds *p,
		      enum imlfs_split s, struct imlfs_split_scores *out);
/* Split s's entry of sc, or NULL when sc has none. */
const struct imlfs_split_scores *imlfs_scores_of(const struct imlfs_scores *sc,
						 enum imlfs_split s);
struct imlfs_scores *imlfs_scores_dup(const struct imlfs_scores *sc);
void imlfs_scores_free(struct imlfs_scores *sc);

/* scorejson.c: the JSON writer. */

/* Pretty-printed JSON text ending in a newline (malloc'd, NULL when out of
 * memory or f is not a predictions file) of predictions file f: the
 * scores sc (made for f), or — sc NULL — the object saying that nothing
 * was submitted yet, with a one-line usage hint.  Two spaces of indent
 * per level, "key": value, reals as imlfs_json_real writes them: the text
 * jq and Python's json read back to the same values. */
char *imlfs_scores_json(const struct imlfs_model *m, enum imlfs_pred_file f,
			const struct imlfs_scores *sc, size_t *outlen);
/* Parse, score and write in one: the JSON text of file f for the
 * submission text[0..len) (text NULL: nothing submitted), an array of
 * up to IMLFS_NPY_MAX_BYTES (the store's own bound is smaller: it
 * refuses larger submissions before they are scored). */
char *imlfs_score_text(const struct imlfs_model *m, const char *text, size_t len,
		       enum imlfs_pred_file f, size_t *outlen);

/* v as JSON text in out[size]: the shortest of %.15g, %.16g and %.17g
 * that reads back as v (0.025, not 0.025000000000000001, as Python and jq
 * print it), with ".0" on integral values (1.0) and the exponent without
 * '+' or leading zeros (2e-5); "null" for inf and nan.  Returns the
 * length, or -1 when size is too small (32 is enough). */
int imlfs_json_real(char *out, size_t size, double v);

#endif
