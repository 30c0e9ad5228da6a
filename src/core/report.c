/* SPDX-License-Identifier: MIT */
/* report.c — report.html and per-class.tsv of a split's submission.
 *
 * The page is self-contained: inline CSS, no script, nothing fetched but
 * the gallery's images, which are the mount's own (a relative
 * "images/NAME" from the split's folder), so nothing is copied.  Every
 * name is HTML-escaped, every image name also percent-encoded.  The
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

#include "imlfs/hints.h"
#include "imlfs/report.h"

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

enum verdict { SKIP, RIGHT, WRONG };

/* Is member i, predicted top1 (-1: no prediction), scored in split s,
 * and is it right?  One rule per split (the label sets share one). */
typedef enum verdict judge_fn(const struct imlfs_model *m, enum imlfs_split s, uint32_t i,
			      int32_t top1);

/* Is top1 among member i's correct or unclear labels (one run in ml[])? */
static bool expert_ok(const struct imlfs_model *m, uint32_t i, int32_t top1)
{
	const struct imlfs_member *mb = &m->members[i];

	for (uint32_t k = 0; k < (uint32_t)mb->n_correct + mb->n_unclear; k++)
		if (m->ml[mb->ml + k] == top1)
			return true;
	return false;
}

static enum verdict judge_validation(const struct imlfs_model *m, enum imlfs_split s, uint32_t i,
				      int32_t top1)
{
	uint8_t f = m->members[i].flags;

	if (!(f & IMLFS_M_ANNOTATED) || (f & IMLFS_M_PROBLEMATIC))
		return SKIP;
	return top1 >= 0 && expert_ok(m, i, top1) ? RIGHT : WRONG;
}

static enum verdict judge_imagenet_m(const struct imlfs_model *m, enum imlfs_split s, uint32_t i,
				      int32_t top1)
{
	if (!(m->members[i].flags & IMLFS_M_IMAGENET_M))
		return SKIP;
	return top1 >= 0 && expert_ok(m, i, top1) ? RIGHT : WRONG;
}

/* A label set's rule, ReaL's among them. */
static enum verdict judge_set(const struct imlfs_model *m, enum imlfs_split s, uint32_t i,
			      int32_t top1)
{
	const uint16_t *v;
	uint32_t n = imlfs_labelset_labels(imlfs_split_set(m, s), i, &v);

	if (!n)
		return SKIP;
	for (uint32_t k = 0; k < n; k++)
		if (v[k] == top1)
			return RIGHT;
	return WRONG;
}

static enum verdict judge_all(const struct imlfs_model *m, enum imlfs_split s, uint32_t i,
			       int32_t top1)
{
	if (m->members[i].label < 0)
		return SKIP;
	return top1 == m->members[i].label ? RIGHT : WRONG;
}

/* A new split adds its rule here. */
static judge_fn *judge_of(enum imlfs_split s)
{
	switch (s) {
	case IMLFS_SPLIT_VALIDATION: return judge_validation;
	case IMLFS_SPLIT_IMAGENET_M: return judge_imagenet_m;
	case IMLFS_SPLIT_ALL: return judge_all;
	default: return judge_set;
	}
}

static const char *rule_of(const struct imlfs_model *m, enum imlfs_split s)
{
	switch (s) {
	case IMLFS_SPLIT_VALIDATION:
		return "An image is right when its top-1 prediction is among the labels the "
		       "experts marked correct or unclear; problematic images are left out. "
		       "multilabel_accuracy is the mean of the per-class accuracies below.";
	case IMLFS_SPLIT_IMAGENET_M:
		return "An image is right when its top-1 prediction is among the labels the "
		       "experts marked correct or unclear, over all ImageNet-M images.";
	case IMLFS_SPLIT_ALL:
		return "An image is right when its top-1 prediction is its original label.";
	default:
		return imlfs_real_set(m) == imlfs_split_set(m, s)
		       ? "An image is right when its top-1 prediction is in its ReaL list "
			 "(real_accuracy); images whose list is empty are not in real/."
		       : "An image is right when its top-1 prediction is in its list in this label "
			 "set (NAME_accuracy); images the set leaves out or gives no label are not "
			 "in this folder.";
	}
}

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
	judge_fn *judge = judge_of(s);

	if (!r)
		return NULL;
	r->split = s;
	r->nrows = m->nclasses + 1;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		int32_t top1 = imlfs_preds_top1(p, i);
		enum verdict v;

		if (!imlfs_in_split(m, i, s) || (v = judge(m, s, i, top1)) == SKIP)
			continue;
		if (v == RIGHT) {
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

static void esc(struct imlfs_buf *b, const char *s)
{
	for (const char *run = s;; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\0': break;
		default: continue;
		}
		imlfs_buf_add(b, run, (size_t)(s - run));
		if (!rep)
			return;
		imlfs_buf_add(b, rep, strlen(rep));
		run = s + 1;
	}
}

/* A member name as one URL path segment: unreserved bytes as they are,
 * every other byte %XX (safe inside an HTML attribute as well). */
static void url_seg(struct imlfs_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-' || c == '~')
			imlfs_buf_add(b, s, 1);
		else
			imlfs_buf_printf(b, "%%%02X", c);
	}
}

/* TSV field: tabs and line breaks (which would break the table) as spaces. */
static void tsv_field(struct imlfs_buf *b, const char *s)
{
	for (; *s; s++)
		imlfs_buf_add(b, strchr("\t\r\n", *s) ? " " : s, 1);
}

static void real_text(char *out, size_t size, double v)
{
	if (imlfs_json_real(out, size, v) < 0)
		snprintf(out, size, "null");
}

/* "INDEX WNID NAME" of class c, escaped. */
static void class_html(struct imlfs_buf *b, const struct imlfs_model *m, uint32_t c)
{
	imlfs_buf_printf(b, "<span class=\"cls\">%u <code>", c);
	esc(b, imlfs_class_wnid(m, c));
	imlfs_buf_add(b, "</code> ", 8);
	esc(b, imlfs_class_name(m, c));
	imlfs_buf_add(b, "</span>", 7);
}

static void labels_html(struct imlfs_buf *b, const struct imlfs_model *m, const uint16_t *v,
			uint32_t n)
{
	if (!n)
		imlfs_buf_printf(b, "none");
	for (uint32_t k = 0; k < n; k++) {
		if (k)
			imlfs_buf_add(b, ", ", 2);
		class_html(b, m, v[k]);
	}
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
	judge_fn *judge = judge_of(r->split);
	uint32_t k = 0;

	if (!v)
		return NULL;
	for (uint32_t c = 0; c < r->nrows; c++)
		v[c] = (struct row){ .c = c, .correct = r->correct[c] };
	for (uint32_t i = 0; i < m->nmembers; i++)
		if (imlfs_in_split(m, i, r->split) && judge(m, r->split, i, -1) != SKIP)
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
		real_text(acc, sizeof acc, (double)v[k].correct / v[k].images);
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

static const char style[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:86em;"
	"padding:0 1em;color:#1d1d1f;background:#fff}"
	"h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;"
	"border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse}th,td{padding:.2em .7em;text-align:left;"
	"border-bottom:1px solid #eee;vertical-align:top}"
	"table.scores td{font-family:ui-monospace,monospace}"
	"table.classes td.num{text-align:right;font-variant-numeric:tabular-nums}"
	"table.classes td:nth-child(3){max-width:22em}"
	"td.acc{min-width:9em;position:relative;z-index:0}"
	"td.acc span.bar{position:absolute;left:0;top:.3em;height:1.3em;background:#f3b4ae;"
	"z-index:-1}"
	"code{font-size:.9em}.muted{color:#666}"
	"pre{background:#f5f5f5;padding:.6em 1em}"
	".top{display:flex;flex-wrap:wrap;gap:0 3em;align-items:flex-start}"
	".top section+section{flex:1 1 30em}"
	".scroll{max-height:32em;overflow:auto;border:1px solid #eee}"
	"thead th{position:sticky;top:0;background:#fff}"
	".gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(15em,1fr));"
	"gap:1em}"
	"figure{margin:0;border:1px solid #ddd;border-radius:4px;padding:.4em;"
	"font-size:.85em;overflow-wrap:anywhere}"
	"figure img{display:block;width:100%;height:11em;object-fit:cover;background:#eee}"
	"figcaption b{display:block;font-size:.92em}.pred{color:#b3261e}";

static void page_head(struct imlfs_buf *b, const struct imlfs_model *m, enum imlfs_split s)
{
	imlfs_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<title>imlfs report: %s</title>\n<style>%s</style>\n</head>\n<body>\n",
			 imlfs_split_name(m, s), style);
}

static void errors_html(struct imlfs_buf *b, const struct imlfs_scores *sc)
{
	if (!sc->nerrors) {
		imlfs_buf_printf(b, "none");
		return;
	}
	imlfs_buf_printf(b, "<ol class=\"errors\">");
	for (uint32_t k = 0; k < sc->nerrors; k++) {
		imlfs_buf_printf(b, "<li>line %" PRIu32 ": ", sc->errors[k].line);
		esc(b, imlfs_scores_error(sc, k));
		imlfs_buf_printf(b, "</li>");
	}
	imlfs_buf_printf(b, "</ol>");
}

/* One value of the scores, written as the JSON writes it. */
/* The hints (hints.h): an ordered list, as the JSON's list of sentences. */
static void hints_html(struct imlfs_buf *b, const struct imlfs_model *m,
		       const struct imlfs_split_scores *ss)
{
	char t[256];

	imlfs_buf_printf(b, "<ol class=\"hints\">");
	for (unsigned k = 0; k < ss->nhints; k++) {
		imlfs_hint_text(m, &ss->hints[k], t, sizeof t);
		imlfs_buf_printf(b, "<li>");
		esc(b, t);
		imlfs_buf_printf(b, "</li>");
	}
	imlfs_buf_printf(b, "</ol>");
}

static void score_value(struct imlfs_buf *b, const struct imlfs_model *m,
			const struct imlfs_scores *sc, const struct imlfs_split_scores *ss,
			const struct imlfs_score_field *f)
{
	char num[32];

	switch (f->type) {
	case IMLFS_FIELD_STRING:
		esc(b, f->str);
		break;
	case IMLFS_FIELD_COUNT:
		imlfs_buf_printf(b, "%" PRIu64, f->count);
		break;
	case IMLFS_FIELD_REAL:
		real_text(num, sizeof num, f->real);
		imlfs_buf_printf(b, "%s", num);
		break;
	case IMLFS_FIELD_NULL:
		imlfs_buf_printf(b, "null");
		break;
	case IMLFS_FIELD_ERRORS:
		errors_html(b, sc);
		break;
	case IMLFS_FIELD_HINTS:
		hints_html(b, m, ss);
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
		esc(b, f[k].key);
		imlfs_buf_printf(b, "</th><td id=\"score-");
		esc(b, f[k].key);
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

		real_text(acc, sizeof acc, a);
		if (v[k].c < m->nclasses) {
			imlfs_buf_printf(b, "<tr><td class=\"num\">%u</td><td><code>", v[k].c);
			esc(b, imlfs_class_wnid(m, v[k].c));
			imlfs_buf_printf(b, "</code></td><td>");
			esc(b, imlfs_class_name(m, v[k].c));
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
	const struct imlfs_labelset *set = imlfs_split_set(m, r->split);

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
		url_seg(b, name);
		imlfs_buf_printf(b, "\"><img src=\"images/");
		url_seg(b, name);
		imlfs_buf_printf(b, "\" alt=\"");
		esc(b, name);
		if (mb->width && mb->height)
			imlfs_buf_printf(b, "\" width=\"%u\" height=\"%u", mb->width, mb->height);
		imlfs_buf_printf(b, "\"></a><figcaption><b>");
		esc(b, name);
		imlfs_buf_printf(b, "</b>predicted: <span class=\"pred\">");
		class_html(b, m, r->gallery[k].top1);
		imlfs_buf_printf(b, "</span><br>original: ");
		if (mb->label >= 0 && (uint32_t)mb->label < m->nclasses)
			class_html(b, m, (uint32_t)mb->label);
		else
			imlfs_buf_printf(b, "none");
		if (mb->flags & IMLFS_M_ANNOTATED) {
			imlfs_buf_printf(b, "<br>correct: ");
			labels_html(b, m, m->ml + mb->ml, mb->n_correct);
			imlfs_buf_printf(b, "<br>unclear: ");
			labels_html(b, m, m->ml + mb->ml + mb->n_correct, mb->n_unclear);
		} else {
			imlfs_buf_printf(b, "<br>expert labels: none (not annotated)");
		}
		if (m->have & IMLFS_HAVE_REAL) {
			const uint16_t *rv;
			uint32_t rn = imlfs_real_labels(m, i, &rv);

			imlfs_buf_printf(b, "<br>ReaL: ");
			labels_html(b, m, rv, rn);
		}
		if (set && set != imlfs_real_set(m)) {
			const uint16_t *sv;
			uint32_t sn = imlfs_labelset_labels(set, i, &sv);

			imlfs_buf_printf(b, "<br>%s: ", set->name);
			labels_html(b, m, sv, sn);
		}
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

	page_head(b, m, s);
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
			 name, rule_of(m, s), name);
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
