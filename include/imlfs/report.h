/* SPDX-License-Identifier: MIT */
/* report.h — what a submission gets wrong: each split's report.html (the
 * headline scores, a per-class table worst first, a gallery of mistakes)
 * and per-class.tsv (the same table as TSV).  No FUSE in here.
 *
 * A report is made once per submission from the parsed predictions and
 * kept instead of them: per-class correct counts and the first
 * IMLFS_REPORT_GALLERY_MAX mistakes, so it costs
 * imlfs_report_bytes(m) (about 4 bytes per class plus 1.6 KiB), never
 * anything per image.  The pages are rendered from it when read.
 *
 * Which top-1 prediction is right depends on the split: its verdict
 * (scorecard.h, imlfs_verdict), one rule per split, the one its headline
 * score uses (validation: the TFDS metric, problematic images left out;
 * all: the original label, unlabelled images left out).
 * Every row of the table is an original class (images with no original
 * label pooled as one row); a missing prediction counts as wrong there,
 * but only images with a prediction are shown in the gallery.
 */
#ifndef IMLFS_REPORT_H
#define IMLFS_REPORT_H

#include <stddef.h>

#include "imlfs/model.h"
#include "imlfs/preds.h"
#include "imlfs/score.h"
#include "imlfs/util.h"

#define IMLFS_REPORT_GALLERY_MAX 200
/* The size a writable mount reports for every report.html (the glue): the
 * same for every reader, as the kernel keeps one size per inode, and above
 * any page, since browsers read a file:// page up to its size (Chromium
 * shows nothing of a file of size 0).  Reads end at the page's real end. */
#define IMLFS_REPORT_HTML_SIZE (64 << 20)

/* The two files beside each split's predictions file. */
enum imlfs_report_kind {
	IMLFS_REPORT_HTML = 0,   /* report.html */
	IMLFS_REPORT_TSV = 1,    /* per-class.tsv */
	IMLFS_NREPORTS = 2,
};

struct imlfs_report;

/* The report of predictions p on split s; NULL when out of memory. */
struct imlfs_report *imlfs_report_new(const struct imlfs_model *m, const struct imlfs_preds *p,
				      enum imlfs_split s);
struct imlfs_report *imlfs_report_dup(const struct imlfs_report *r);
void imlfs_report_free(struct imlfs_report *r);
/* The memory one report of a mount with this model holds. */
size_t imlfs_report_bytes(const struct imlfs_model *m);

/* File name of a report kind: "report.html", "per-class.tsv". */
const char *imlfs_report_name(enum imlfs_report_kind kind);

/* Append report file `kind` of split s to out: with r, the report of a
 * submission whose scores are sc (its headline: sc's split s, as the
 * predictions file's JSON shows it); without (r NULL, sc ignored), the
 * page saying that nothing was submitted and how to submit (the TSV: its
 * header).  0, or -ENOMEM. */
int imlfs_report_render(const struct imlfs_model *m, enum imlfs_split s,
			const struct imlfs_report *r, const struct imlfs_scores *sc,
			enum imlfs_report_kind kind, struct imlfs_buf *out);

#endif
