/* SPDX-License-Identifier: MIT */
/* preds.h — a parsed submission: each member's last valid prediction,
 * and what was wrong with the rest.  Scoring (score.h) and reports
 * (report.h) read it; they never see the submission's bytes.
 *
 * Text: one line per image, "IMAGE LABEL [LABEL ...]".  IMAGE is a member
 * name, its stem, or any path ending in one; each LABEL a class index or a
 * wnid; the first label is the top-1 prediction, the first five the
 * top-5.  Fields are separated by white space or commas; blank lines and
 * lines whose first non-blank character is '#' are skipped.  A later line
 * for the same image replaces the earlier one (a duplicate).
 *
 * A submission starting with the NumPy .npy magic is an array instead
 * (npy.h), parsed into the same struct, so that scoring is one code path
 * whatever the format: the first bytes decide (imlfs_preds_parse_for).
 *
 * Parsing keeps one small slot per member, never anything per line, so a
 * 50,000-line submission costs one allocation and one pass.  Invalid lines
 * (rows) and images absent from the tarball do not depend on the split,
 * so their first IMLFS_SCORE_MAX_ERRORS messages are kept here, each valid
 * UTF-8 (a byte that is not is written '?'), and repeated in every
 * split's scores.
 */
#ifndef IMLFS_PREDS_H
#define IMLFS_PREDS_H

#include <stddef.h>
#include <stdint.h>

#include "imlfs/model.h"

#define IMLFS_TOPK 5
#define IMLFS_SCORE_MAX_ERRORS 20
#define IMLFS_ERRMSG_MAX 400     /* bytes of one message, its NUL included */

/* The last valid prediction for one member. */
struct imlfs_slot {
	uint32_t count;          /* valid lines (or rows) naming this member */
	uint16_t lab[IMLFS_TOPK];
	uint8_t nlab;            /* labels kept: min(given, 5); 5 means ">= 5" */
};

/* One kept error: the line (an array's row, counted from 1; 0 for the
 * array as a whole) and what to do about it. */
struct imlfs_perr {
	uint32_t line;
	char msg[IMLFS_ERRMSG_MAX];
};

struct imlfs_preds {
	uint32_t nmembers;
	struct imlfs_slot *slot; /* [nmembers] */
	uint32_t not_in_tar;     /* valid lines naming no member */
	uint32_t invalid;        /* lines (rows, arrays) that predict nothing */
	uint32_t nerrors;        /* entries used in errors[] */
	struct imlfs_perr errors[IMLFS_SCORE_MAX_ERRORS];
};

/* An empty submission for m (NULL when out of memory). */
struct imlfs_preds *imlfs_preds_alloc(const struct imlfs_model *m);
void imlfs_preds_free(struct imlfs_preds *p);
/* Keep an error message for "line" (the first IMLFS_SCORE_MAX_ERRORS). */
void imlfs_preds_error(struct imlfs_preds *p, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Member i's top-1 prediction (a class index), or -1 when nothing named it. */
int32_t imlfs_preds_top1(const struct imlfs_preds *p, uint32_t i);

/* Parse predictions text.  Never fails on content (bad lines are counted);
 * returns NULL only when out of memory. */
struct imlfs_preds *imlfs_preds_parse(const struct imlfs_model *m, const char *text, size_t len);
/* Parse an array (imlfs_npy_is) whose rows are split `rows`' images, of
 * at most cap bytes (imlfs_npy_cap: the caller's bound).  Never fails on
 * content; NULL only when out of memory. */
struct imlfs_preds *imlfs_preds_parse_npy(const struct imlfs_model *m, const char *buf,
					  size_t len, enum imlfs_split rows, size_t cap);
/* The submission to predictions file f: an array (its rows are f's
 * split's images, the root file's every member's) when it starts with the
 * .npy magic, else text.  npy_cap as above. */
struct imlfs_preds *imlfs_preds_parse_for(const struct imlfs_model *m, const char *text,
					  size_t len, enum imlfs_pred_file f, size_t npy_cap);

#endif
