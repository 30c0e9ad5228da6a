/* SPDX-License-Identifier: MIT */
/* report.c — report.html and per-class.tsv of a split's submission.
 *
 * The page is self-contained: inline CSS, no script, nothing fetched but
 * the gallery's images, which are the mount's own (a relative
 * "images/NAME" from the split's folder), so nothing is copied.  Every
 * name is HTML-escaped, every image name also percent-encoded (the
 * writers and the style are html-internal.h's, shared with the root's
 * scorecard).  Which top-1 is right is the split's verdict (scorecard.h),
 * the rule every per-image judgement of the core follows.  The
 * headline scores are the predictions file's, key by key from the same
 * struct and key list as its JSON (imlfs_score_fields), each value written
 * as that JSON writes it, so the page cannot disagree with it.
 * The appends ignore their results: the buffer's failure flag is sticky
 * and checked once at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html-internal.h"
#include "imlfs/report.h"
#include "imlfs/scorecard.h"

struct mistake {
	uint32_t member;
	uint16_t top1;
};

struct imlfs_report {
	enum imlfs_split split;
	uint32_t nrows;            /* classes + 1: the pool of unlabelled images */
	uint32_t nmistakes;        /* wrong, with a prediction */
	uint32_t unpredicted;      /* scored, with no prediction (wrong too) */
	uint32_t ngallery;
	struct mistake gallery[IMLFS_REPORT_GALLERY_MAX];
	uint32_t correct[];        /* [nrows] */
};

/* The table row of member i: its original class, or the pool. */
static uint32_t row_of(const struct imlfs_model *m, uint32_t i)
{
	int32_t l = m->members[i].label;

	return l >= 0 && (uint32_t)l < m->nclasses ? (uint32_t)l : m->nclasses;
}

size_t imlfs_report_bytes(const struct imlfs_model *m)
{
	return sizeof(struct imlfs_report) + ((size_t)m->nclasses + 1) * sizeof(uint32_t);
}

struct imlfs_report *imlfs_report_new(const struct imlfs_model *m, const struct imlfs_preds *p,
				      enum imlfs_split s)
{
	struct imlfs_report *r = calloc(1, imlfs_report_bytes(m));

	if (!r)
		return NULL;
	r->split = s;
	r->nrows = m->nclasses + 1;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		int32_t top1 = imlfs_preds_top1(p, i);
		enum imlfs_verdict v = imlfs_verdict(m, s, i, top1);

		if (!imlfs_verdict_counts(v))
			continue;
		if (v == IMLFS_VERDICT_RIGHT) {
			r->correct[row_of(m, i)]++;
		} else if (top1 < 0) {
			r->unpredicted++;
		} else {
			if (r->ngallery < IMLFS_REPORT_GALLERY_MAX)
				r->gallery[r->ngallery++] = (struct mistake){ i, (uint16_t)top1 };
			r->nmistakes++;
		}
	}
	return r;
}

struct imlfs_report *imlfs_report_dup(const struct imlfs_report *r)
{
	size_t n = sizeof *r + (size_t)r->nrows * sizeof r->correct[0];
	struct imlfs_report *d = malloc(n);

	if (d)
		memcpy(d, r, n);
	return d;
}

void imlfs_report_free(struct imlfs_report *r)
{
	free(r);
}

const char *imlfs_report_name(enum imlfs_report_kind kind)
{
	return kind == IMLFS_REPORT_TSV ? "per-class.tsv" : "report.html";
}

/* TSV field: tabs and line breaks (which would break the table) as spaces. */
static void tsv_field(struct imlfs_buf *b, const char *s)
{
	for (; *s; s++)
		imlfs_buf_add(b, strchr("\t\r\n", *s) ? " " : s, 1);
}

struct row {
	uint32_t c;               /* class, or nclasses: the unlabelled pool */
	uint32_t images, correct;
};

/* Worst first: lower accuracy, then more images, then class order. */
static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	uint64_t l = (uint64_t)x->correct * y->images, r = (uint64_t)y->correct * x->images;

	if (l != r)
		return l < r ? -1 : 1;
	if (x->images != y->images)
		return x->images > y->images ? -1 : 1;
	return x->c < y->c ? -1 : x->c > y->c;
}

/* The per-class rows of the report, sorted, classes with no scored image
 * left out; NULL when out of memory. */
static struct row *rows_of(const struct imlfs_model *m, const struct imlfs_report *r,
			   uint32_t *n)
{
	struct row *v = calloc(r->nrows, sizeof *v);
	uint32_t k = 0;

	if (!v)
		return NULL;
	for (uint32_t c = 0; c < r->nrows; c++)
		v[c] = (struct row){ .c = c, .correct = r->correct[c] };
	for (uint32_t i = 0; i < m->nmembers; i++)
		if (imlfs_verdict_counts(imlfs_verdict(m, r->split, i, -1)))
			v[row_of(m, i)].images++;
	for (uint32_t c = 0; c < r->nrows; c++)
		if (v[c].images)
			v[k++] = v[c];
	qsort(v, k, sizeof *v, row_cmp);
	*n = k;
	return v;
}

static const char tsv_header[] = "index\twnid\tname\timages\tcorrect\taccuracy\n";

static int render_tsv(const struct imlfs_model *m, const struct imlfs_report *r,
		      struct imlfs_buf *b)
{
	struct row *v = NULL;
	uint32_t n = 0;
	char acc[32];

	imlfs_buf_add(b, tsv_header, sizeof tsv_header - 1);
	if (r && !(v = rows_of(m, r, &n)))
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		imlfs_html_real(acc, sizeof acc, (double)v[k].correct / v[k].images);
		if (v[k].c < m->nclasses) {
			imlfs_buf_printf(b, "%u\t", v[k].c);
			tsv_field(b, imlfs_class_wnid(m, v[k].c));
			imlfs_buf_add(b, "\t", 1);
			tsv_field(b, imlfs_class_name(m, v[k].c));
		} else {
			imlfs_buf_printf(b, "-\t-\t(no original label)");
		}
		imlfs_buf_printf(b, "\t%u\t%u\t%s\n", v[k].images, v[k].correct, acc);
	}
	free(v);
	imlfs_buf_add(b, "", 0);
	return imlfs_buf_check(b);
}

static void score_value(struct imlfs_buf *b, const struct imlfs_model *m,
			const struct imlfs_scores *sc, const struct imlfs_split_scores *ss,
			const struct imlfs_score_field *f)
{
	char num[32];

	switch (f->type) {
	case IMLFS_FIELD_STRING:
		imlfs_html_esc(b, f->str);
		break;
	case IMLFS_FIELD_COUNT:
		imlfs_buf_printf(b, "%" PRIu64, f->count);
		break;
	case IMLFS_FIELD_REAL:
		imlfs_html_real(num, sizeof num, f->real);
		imlfs_buf_printf(b, "%s", num);
		break;
	case IMLFS_FIELD_NULL:
		imlfs_buf_printf(b, "null");
		break;
	case IMLFS_FIELD_ERRORS:
		imlfs_html_errors(b, sc);
		break;
	case IMLFS_FIELD_HINTS:
		imlfs_html_hints(b, m, ss);
		break;
	}
}

/* The headline: split s's scores of sc (none when sc has not that split). */
static void scores_html(struct imlfs_buf *b, const struct imlfs_model *m,
			const struct imlfs_scores *sc, enum imlfs_split s)
{
	const struct imlfs_split_scores *ss = imlfs_scores_of(sc, s);
	struct imlfs_score_field f[IMLFS_SCORE_MAX_FIELDS];
	unsigned n = ss ? imlfs_score_fields(ss, f) : 0;

	imlfs_buf_printf(b, "<section>\n<h2>Scores</h2>\n<table class=\"scores\" id=\"scores\">\n");
	for (unsigned k = 0; k < n; k++) {
		imlfs_buf_printf(b, "<tr><th>");
		imlfs_html_esc(b, f[k].key);
		imlfs_buf_printf(b, "</th><td id=\"score-");
		imlfs_html_esc(b, f[k].key);
		imlfs_buf_printf(b, "\">");
		score_value(b, m, sc, ss, &f[k]);
		imlfs_buf_printf(b, "</td></tr>\n");
	}
	imlfs_buf_printf(b, "</table>\n</section>\n");
}

static void classes_html(struct imlfs_buf *b, const struct imlfs_model *m,
			 const struct row *v, uint32_t n)
{
	char acc[32];

	imlfs_buf_printf(b, "<section>\n<h2>Per class, worst first</h2>\n"
			 "<p class=\"muted\">Rows are original classes; a missing prediction counts "
			 "as wrong; the red bar is the error rate. The same table is in <a href=\"per-class.tsv\">per-class.tsv</a>."
			 "</p>\n<div class=\"scroll\"><table class=\"classes\" id=\"per-class\">\n<thead><tr><th>index</th>"
			 "<th>wnid</th><th>name</th><th>images</th><th>correct</th><th>accuracy</th>"
			 "</tr></thead>\n<tbody>\n");
	for (uint32_t k = 0; k < n; k++) {
		double a = (double)v[k].correct / v[k].images;

		imlfs_html_real(acc, sizeof acc, a);
		if (v[k].c < m->nclasses) {
			imlfs_buf_printf(b, "<tr><td class=\"num\">%u</td><td><code>", v[k].c);
			imlfs_html_esc(b, imlfs_class_wnid(m, v[k].c));
			imlfs_buf_printf(b, "</code></td><td>");
			imlfs_html_esc(b, imlfs_class_name(m, v[k].c));
		} else {
			imlfs_buf_printf(b, "<tr><td class=\"num\">-</td><td>-</td>"
					 "<td>(no original label)");
		}
		imlfs_buf_printf(b, "</td><td class=\"num\">%u</td><td class=\"num\">%u</td>"
				 "<td class=\"num acc\"><span class=\"bar\" style=\"width:%.0f%%\">"
				 "</span>%s</td></tr>\n", v[k].images, v[k].correct,
				 (1 - a) * 100, acc);
	}
	imlfs_buf_printf(b, "</tbody>\n</table></div>\n</section>\n");
}

static void gallery_html(struct imlfs_buf *b, const struct imlfs_model *m,
			 const struct imlfs_report *r)
{
	imlfs_buf_printf(b, "<h2>Mistakes</h2>\n<p class=\"muted\">");
	if (r->nmistakes > r->ngallery)
		imlfs_buf_printf(b, "The first %u of %u images", r->ngallery, r->nmistakes);
	else
		imlfs_buf_printf(b, "All %u images", r->nmistakes);
	imlfs_buf_printf(b, " whose top-1 prediction is wrong, in file name order.");
	if (r->unpredicted)
		imlfs_buf_printf(b, " %u images with no prediction (wrong as well) are not shown.",
				 r->unpredicted);
	imlfs_buf_printf(b, "</p>\n<div class=\"gallery\" id=\"gallery\">\n");
	for (uint32_t k = 0; k < r->ngallery; k++) {
		uint32_t i = r->gallery[k].member;
		const struct imlfs_member *mb = &m->members[i];
		const char *name = imlfs_member_name(m, i);

		imlfs_buf_printf(b, "<figure class=\"mistake\"><a href=\"images/");
		imlfs_html_url_seg(b, name);
		imlfs_buf_printf(b, "\"><img src=\"images/");
		imlfs_html_url_seg(b, name);
		imlfs_buf_printf(b, "\" alt=\"");
		imlfs_html_esc(b, name);
		if (mb->width && mb->height)
			imlfs_buf_printf(b, "\" width=\"%u\" height=\"%u", mb->width, mb->height);
		imlfs_buf_printf(b, "\"></a><figcaption><b>");
		imlfs_html_esc(b, name);
		imlfs_buf_printf(b, "</b>predicted: <span class=\"pred\">");
		imlfs_html_class(b, m, r->gallery[k].top1);
		imlfs_buf_printf(b, "</span><br>");
		imlfs_html_member_labels(b, m, i);
		imlfs_buf_printf(b, "</figcaption></figure>\n");
	}
	imlfs_buf_printf(b, "</div>\n");
}

static int render_html(const struct imlfs_model *m, enum imlfs_split s,
		       const struct imlfs_report *r, const struct imlfs_scores *sc,
		       struct imlfs_buf *b)
{
	const char *name = imlfs_split_name(m, s);
	struct row *v = NULL;
	uint32_t n = 0;

	imlfs_html_head(b, name, NULL);
	if (!r) {
		imlfs_buf_printf(b, "<h1>%s: nothing submitted yet</h1>\n<p id=\"not-submitted\">"
			"Nothing submitted yet: this page shows your own latest submission to "
			"<code>%s/predictions</code>. To submit, write one line per image, "
			"<code>IMAGE LABEL [LABEL ...]</code> (a class index from classes.tsv or a "
			"wnid; the first label is the top-1 prediction), then reload this page. "
			"From the mount's root:</p>\n<pre>cat preds.txt &gt; %s/predictions\n"
			"cat %s/predictions     # the scores, as JSON</pre>\n</body>\n</html>\n",
			name, name, name, name);
		imlfs_buf_add(b, "", 0);
		return imlfs_buf_check(b);
	}
	if (!(v = rows_of(m, r, &n)))
		return -ENOMEM;
	imlfs_buf_printf(b, "<h1>%s: your latest submission</h1>\n<p class=\"muted\">%s "
			 "The numbers are those of <code>%s/predictions</code>.</p>\n",
			 name, imlfs_verdict_rule(m, s), name);
	imlfs_buf_printf(b, "<div class=\"top\">\n");
	scores_html(b, m, sc, s);
	classes_html(b, m, v, n);
	imlfs_buf_printf(b, "</div>\n");
	gallery_html(b, m, r);
	imlfs_buf_printf(b, "</body>\n</html>\n");
	free(v);
	imlfs_buf_add(b, "", 0);
	return imlfs_buf_check(b);
}

int imlfs_report_render(const struct imlfs_model *m, enum imlfs_split s,
			const struct imlfs_report *r, const struct imlfs_scores *sc,
			enum imlfs_report_kind kind, struct imlfs_buf *out)
{
	if (kind == IMLFS_REPORT_TSV)
		return render_tsv(m, r, out);
	return render_html(m, s, r, sc, out);
}
