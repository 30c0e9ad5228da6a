/* SPDX-License-Identifier: MIT */
/* scorecard.c — each split's verdict on a top-1 (scorecard.h), and the
 * root's report.html: every split's scores in one table, then the images
 * the splits disagree about.
 *
 * The page is self-contained like a split's report (html-internal.h: the
 * same style and writers): inline CSS, no script, nothing fetched but the
 * listed images, which are the mount's own (a relative "all/images/NAME"
 * from the root, where the page is).  The table's numbers are the root
 * predictions file's, key by key from the same struct and key list as its
 * JSON (imlfs_score_fields), so the page cannot disagree with it and shows
 * whatever keys a split has, a label set's as well.
 * The appends ignore their results: the buffer's failure flag is sticky
 * and checked once at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html-internal.h"
#include "imlfs/scorecard.h"

/* Is top1 among member i's correct or unclear labels (one run in ml[])? */
static bool expert_ok(const struct imlfs_model *m, uint32_t i, int32_t top1)
{
	const struct imlfs_member *mb = &m->members[i];

	for (uint32_t k = 0; k < (uint32_t)mb->n_correct + mb->n_unclear; k++)
		if (m->ml[mb->ml + k] == top1)
			return true;
	return false;
}

/* Is top1 in the ascending list v[0..n)? */
static bool in_list(const uint16_t *v, uint32_t n, int32_t top1)
{
	for (uint32_t k = 0; k < n; k++)
		if (v[k] == top1)
			return true;
	return false;
}

static enum imlfs_verdict right_if(bool ok)
{
	return ok ? IMLFS_VERDICT_RIGHT : IMLFS_VERDICT_WRONG;
}

/* A new split kind (a label set: right when in its list, as real) adds
 * its rule here, and its sentence below. */
enum imlfs_verdict imlfs_verdict(const struct imlfs_model *m, enum imlfs_split s, uint32_t i,
				 int32_t top1)
{
	const struct imlfs_member *mb = &m->members[i];
	const uint16_t *v;
	uint32_t n;

	if (!imlfs_in_split(m, i, s))
		return IMLFS_VERDICT_OUT;
	switch (s) {
	case IMLFS_SPLIT_VALIDATION:
		if (mb->flags & IMLFS_M_PROBLEMATIC)
			return IMLFS_VERDICT_PROBLEMATIC;
		return right_if(top1 >= 0 && expert_ok(m, i, top1));
	case IMLFS_SPLIT_IMAGENET_M:
		return right_if(top1 >= 0 && expert_ok(m, i, top1));
	case IMLFS_SPLIT_ALL:
		if (mb->label < 0)
			return IMLFS_VERDICT_NO_LABEL;
		return right_if(top1 == mb->label);
	default:
		if (imlfs_split_set(m, s)) {   /* a label set's, ReaL's among them */
			n = imlfs_labelset_labels(imlfs_split_set(m, s), i, &v);
			/* (an empty list is not in the set's folder: imlfs_in_split) */
			return n ? right_if(in_list(v, n, top1)) : IMLFS_VERDICT_OUT;
		}
		/* A split without a rule here counts nothing (its row's
		 * "counted" 0 shows it), rather than judging by another's. */
		return IMLFS_VERDICT_OUT;
	}
}

const char *imlfs_verdict_rule(const struct imlfs_model *m, enum imlfs_split s)
{
	switch (s) {
	case IMLFS_SPLIT_VALIDATION:
		return "An image is right when its top-1 prediction is among the labels the "
		       "experts marked correct or unclear; problematic images are left out. "
		       "multilabel_accuracy is the mean of the per-class accuracies of "
		       "validation/report.html.";
	case IMLFS_SPLIT_IMAGENET_M:
		return "An image is right when its top-1 prediction is among the labels the "
		       "experts marked correct or unclear, over all ImageNet-M images.";
	case IMLFS_SPLIT_ALL:
		return "An image is right when its top-1 prediction is its original label.";
	default:
		if (imlfs_split_set(m, s) && imlfs_split_set(m, s) == imlfs_real_set(m))
			return "An image is right when its top-1 prediction is in its ReaL list "
			       "(real_accuracy); images whose list is empty are not in real/.";
		if (imlfs_split_set(m, s))
			return "An image is right when its top-1 prediction is in its list in the "
			       "label set (NAME_accuracy); images the set leaves out or gives no "
			       "label are not in its folder.";
		return "No per-image rule for this split yet: nothing is counted here.";
	}
}

const char *imlfs_verdict_name(enum imlfs_verdict v)
{
	switch (v) {
	case IMLFS_VERDICT_RIGHT: return "right";
	case IMLFS_VERDICT_WRONG: return "wrong";
	case IMLFS_VERDICT_PROBLEMATIC: return "problematic";
	case IMLFS_VERDICT_NO_LABEL: return "no label";
	default: return "not in the split";
	}
}

size_t imlfs_scorecard_bytes(void)
{
	return sizeof(struct imlfs_scorecard);
}

struct imlfs_scorecard *imlfs_scorecard_new(const struct imlfs_model *m,
					    const struct imlfs_preds *p)
{
	struct imlfs_scorecard *card = calloc(1, sizeof *card);

	if (!card)
		return NULL;
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++)
		if (imlfs_split_present(m, s))
			card->split[card->nsplits++].split = s;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		int32_t top1 = i < p->nmembers ? imlfs_preds_top1(p, i) : -1;
		bool right = false, wrong = false;

		for (unsigned k = 0; k < card->nsplits; k++) {
			enum imlfs_verdict v = imlfs_verdict(m, card->split[k].split, i, top1);

			card->split[k].right += v == IMLFS_VERDICT_RIGHT;
			card->split[k].wrong += v == IMLFS_VERDICT_WRONG;
			right |= v == IMLFS_VERDICT_RIGHT;
			wrong |= v == IMLFS_VERDICT_WRONG;
		}
		/* (no prediction is right nowhere: only predicted images) */
		if (!right || !wrong)
			continue;
		if (card->nshown < IMLFS_SCORECARD_SHOWN_MAX)
			card->shown[card->nshown++] = (struct imlfs_disagreement){
				i, (uint16_t)top1 };
		card->ndisagree++;
	}
	return card;
}

struct imlfs_scorecard *imlfs_scorecard_dup(const struct imlfs_scorecard *card)
{
	struct imlfs_scorecard *d = malloc(sizeof *d);

	if (d)
		memcpy(d, card, sizeof *d);
	return d;
}

void imlfs_scorecard_free(struct imlfs_scorecard *card)
{
	free(card);
}

/* -- the page ------------------------------------------------------------ */

static const char css[] =
	"table.card{font-size:.9em}table.card td{font-family:ui-monospace,monospace;"
	"text-align:right}"
	"table.card td:first-child{text-align:left}"
	"table.dis td{font-size:.9em}table.dis img{display:block;height:4.5em;"
	"max-width:7em;object-fit:cover;background:#eee}"
	"td.right{color:#1b7f3b}td.wrong{color:#b3261e;font-weight:600}td.skip{color:#888}"
	"dt{font-weight:600;margin-top:.4em}";

/* The table's columns: the keys the splits' JSON objects have that say
 * how many and how well (the counts below, every real), in the order they
 * first appear.  A key comes from imlfs_score_fields, whose keys outlive
 * the page. */
#define MAX_COLUMNS (IMLFS_SCORE_MAX_FIELDS * 2)

static bool is_column(const struct imlfs_score_field *f)
{
	static const char *const counts[] = { "images", "predicted", "missing" };

	if (f->type == IMLFS_FIELD_REAL)
		return true;
	for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
		if (f->type == IMLFS_FIELD_COUNT && !strcmp(f->key, counts[k]))
			return true;
	return false;
}

static unsigned columns_of(const struct imlfs_scores *sc, const char **col)
{
	struct imlfs_score_field f[IMLFS_SCORE_MAX_FIELDS];
	unsigned ncol = 0;

	for (unsigned s = 0; s < sc->nsplits; s++) {
		unsigned n = imlfs_score_fields(&sc->split[s], f);

		for (unsigned k = 0; k < n; k++) {
			unsigned c = 0;

			if (!is_column(&f[k]))
				continue;
			while (c < ncol && strcmp(col[c], f[k].key))
				c++;
			if (c == ncol && ncol < MAX_COLUMNS)
				col[ncol++] = f[k].key;
		}
	}
	return ncol;
}

/* The cell of split ss's key `key`: its value as the JSON writes it, or
 * "—" when the split has no such key. */
static void cell(struct imlfs_buf *b, const struct imlfs_split_scores *ss, const char *key)
{
	struct imlfs_score_field f[IMLFS_SCORE_MAX_FIELDS];
	unsigned n = imlfs_score_fields(ss, f);
	const char *name = ss->name;
	char num[32];

	imlfs_buf_printf(b, "<td id=\"card-");
	imlfs_html_esc(b, name);
	imlfs_buf_printf(b, "-");
	imlfs_html_esc(b, key);
	imlfs_buf_printf(b, "\">");
	for (unsigned k = 0; k < n; k++) {
		if (strcmp(f[k].key, key))
			continue;
		if (f[k].type == IMLFS_FIELD_COUNT) {
			imlfs_buf_printf(b, "%" PRIu64 "</td>", f[k].count);
		} else {
			imlfs_html_real(num, sizeof num, f[k].real);
			imlfs_buf_printf(b, "%s</td>", num);
		}
		return;
	}
	imlfs_buf_printf(b, "\xe2\x80\x94</td>");
}

static const struct imlfs_scorecard_split *card_of(const struct imlfs_scorecard *card,
						   enum imlfs_split s)
{
	for (unsigned k = 0; k < card->nsplits; k++)
		if (card->split[k].split == s)
			return &card->split[k];
	return NULL;
}

static void table_html(struct imlfs_buf *b, const struct imlfs_scorecard *card,
		       const struct imlfs_scores *sc)
{
	const char *col[MAX_COLUMNS];
	unsigned ncol = columns_of(sc, col);
	char num[32];

	imlfs_buf_printf(b, "<h2>Scores</h2>\n<p class=\"muted\">One row per split (a label set "
			 "is a split); the columns are the keys of <code>predictions</code>, "
			 "&mdash; where a split has no such key. <i>right</i> and <i>counted</i> "
			 "are the split's verdicts on the top-1 under its rule (below).</p>\n"
			 "<div class=\"scroll\"><table class=\"card\" id=\"scorecard\">\n"
			 "<thead><tr><th>split</th>");
	for (unsigned c = 0; c < ncol; c++) {
		imlfs_buf_printf(b, "<th>");
		imlfs_html_esc(b, col[c]);
		imlfs_buf_printf(b, "</th>");
	}
	imlfs_buf_printf(b, "<th>right</th><th>counted</th><th>right / counted</th></tr></thead>\n"
			 "<tbody>\n");
	for (unsigned s = 0; s < sc->nsplits; s++) {
		const struct imlfs_split_scores *ss = &sc->split[s];
		const struct imlfs_scorecard_split *cs = card_of(card, ss->split);
		const char *name = ss->name;
		uint64_t counted = cs ? (uint64_t)cs->right + cs->wrong : 0;

		imlfs_buf_printf(b, "<tr><td><a href=\"");
		imlfs_html_url_seg(b, name);
		imlfs_buf_printf(b, "/report.html\">");
		imlfs_html_esc(b, name);
		imlfs_buf_printf(b, "</a></td>");
		for (unsigned c = 0; c < ncol; c++)
			cell(b, ss, col[c]);
		imlfs_html_real(num, sizeof num, counted ? (double)cs->right / (double)counted
				: NAN);
		imlfs_buf_printf(b, "<td id=\"card-");
		imlfs_html_esc(b, name);
		imlfs_buf_printf(b, "-right\">%" PRIu32 "</td><td id=\"card-", cs ? cs->right : 0);
		imlfs_html_esc(b, name);
		imlfs_buf_printf(b, "-counted\">%" PRIu64 "</td><td id=\"card-", counted);
		imlfs_html_esc(b, name);
		imlfs_buf_printf(b, "-share\">%s</td></tr>\n", num);
	}
	imlfs_buf_printf(b, "</tbody>\n</table></div>\n");
}

static void rules_html(struct imlfs_buf *b, const struct imlfs_model *m, const struct imlfs_scores *sc)
{
	imlfs_buf_printf(b, "<h2>Rules</h2>\n<dl id=\"rules\">\n");
	for (unsigned s = 0; s < sc->nsplits; s++) {
		imlfs_buf_printf(b, "<dt>");
		imlfs_html_esc(b, sc->split[s].name);
		imlfs_buf_printf(b, "</dt><dd>");
		imlfs_html_esc(b, imlfs_verdict_rule(m, sc->split[s].split));
		imlfs_buf_printf(b, "</dd>\n");
	}
	imlfs_buf_printf(b, "</dl>\n");
}

/* Each split's hints, under its name; nothing when no split has any. */
static void hints_html(struct imlfs_buf *b, const struct imlfs_model *m,
		       const struct imlfs_scores *sc)
{
	bool any = false;

	for (unsigned s = 0; s < sc->nsplits; s++)
		any |= sc->split[s].nhints > 0;
	if (!any)
		return;
	imlfs_buf_printf(b, "<h2>Hints</h2>\n<p class=\"muted\">Readings of the submission that "
			 "would explain a low top-1 (the <code>hints</code> of "
			 "<code>predictions</code>).</p>\n");
	for (unsigned s = 0; s < sc->nsplits; s++) {
		const struct imlfs_split_scores *ss = &sc->split[s];

		if (!ss->nhints)
			continue;
		imlfs_buf_printf(b, "<section id=\"hints-");
		imlfs_html_esc(b, ss->name);
		imlfs_buf_printf(b, "\"><h3>");
		imlfs_html_esc(b, ss->name);
		imlfs_buf_printf(b, "</h3>");
		imlfs_html_hints(b, m, ss);
		imlfs_buf_printf(b, "</section>\n");
	}
}

static void disagreements_html(struct imlfs_buf *b, const struct imlfs_model *m,
			       const struct imlfs_scorecard *card)
{
	imlfs_buf_printf(b, "<h2>Where the splits disagree</h2>\n<p class=\"muted\" "
			 "id=\"disagree-count\">");
	if (card->ndisagree > card->nshown)
		imlfs_buf_printf(b, "The first %" PRIu32 " of %" PRIu32 " images",
				 card->nshown, card->ndisagree);
	else
		imlfs_buf_printf(b, "All %" PRIu32 " images", card->ndisagree);
	imlfs_buf_printf(b, " whose submitted top-1 one split counts right and another wrong, "
			 "in file name order, with each split's verdict and the labels "
			 "behind it.</p>\n<table class=\"dis\" id=\"disagreements\">\n"
			 "<thead><tr><th>image</th><th>top-1</th>");
	for (unsigned k = 0; k < card->nsplits; k++) {
		imlfs_buf_printf(b, "<th>");
		imlfs_html_esc(b, imlfs_split_name(m, card->split[k].split));
		imlfs_buf_printf(b, "</th>");
	}
	imlfs_buf_printf(b, "<th>labels</th></tr></thead>\n<tbody>\n");
	for (uint32_t d = 0; d < card->nshown; d++) {
		uint32_t i = card->shown[d].member;
		const char *name = imlfs_member_name(m, i);

		imlfs_buf_printf(b, "<tr class=\"disagreement\"><td><a href=\"all/images/");
		imlfs_html_url_seg(b, name);
		imlfs_buf_printf(b, "\"><img src=\"all/images/");
		imlfs_html_url_seg(b, name);
		imlfs_buf_printf(b, "\" loading=\"lazy\" alt=\"\"><code>");
		imlfs_html_esc(b, name);
		imlfs_buf_printf(b, "</code></a></td><td>");
		imlfs_html_class(b, m, card->shown[d].top1);
		imlfs_buf_printf(b, "</td>");
		for (unsigned k = 0; k < card->nsplits; k++) {
			enum imlfs_verdict v = imlfs_verdict(m, card->split[k].split, i,
							     card->shown[d].top1);

			imlfs_buf_printf(b, "<td class=\"%s\">%s</td>",
					 v == IMLFS_VERDICT_RIGHT ? "right"
					 : v == IMLFS_VERDICT_WRONG ? "wrong" : "skip",
					 imlfs_verdict_name(v));
		}
		imlfs_buf_printf(b, "<td>");
		imlfs_html_member_labels(b, m, i);
		imlfs_buf_printf(b, "</td></tr>\n");
	}
	imlfs_buf_printf(b, "</tbody>\n</table>\n");
}

static void not_submitted_html(struct imlfs_buf *b, const struct imlfs_model *m)
{
	imlfs_buf_printf(b, "<h1>Scorecard: nothing submitted yet</h1>\n<p id=\"not-submitted\">"
		"Nothing submitted yet: this page shows your own latest submission to the "
		"root's <code>predictions</code>, scored on every split at once:");
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++) {
		if (!imlfs_split_present(m, s))
			continue;
		imlfs_buf_printf(b, " <code>");
		imlfs_html_esc(b, imlfs_split_name(m, s));
		imlfs_buf_printf(b, "</code>");
	}
	imlfs_buf_printf(b, ". To submit, write one line per image, "
		"<code>IMAGE LABEL [LABEL ...]</code> (a class index from classes.tsv or a "
		"wnid; the first label is the top-1 prediction), then reload this page. "
		"From the mount's root:</p>\n<pre>cat preds.txt &gt; predictions\n"
		"cat predictions     # the scores of every split, as JSON</pre>\n");
}

int imlfs_scorecard_render(const struct imlfs_model *m, const struct imlfs_scorecard *card,
			   const struct imlfs_scores *sc, struct imlfs_buf *out)
{
	imlfs_html_head(out, "scorecard", css);
	if (!card || !sc) {
		not_submitted_html(out, m);
	} else {
		imlfs_buf_printf(out, "<h1>Scorecard: your latest submission</h1>\n"
				 "<p class=\"muted\">Every split scored from your latest "
				 "submission to <code>predictions</code>, as it shows them; "
				 "each split's <code>report.html</code> shows its mistakes.</p>\n");
		table_html(out, card, sc);
		rules_html(out, m, sc);
		hints_html(out, m, sc);
		imlfs_buf_printf(out, "<h2>Errors</h2>\n<div id=\"errors\">");
		imlfs_html_errors(out, sc);
		imlfs_buf_printf(out, "</div>\n");
		disagreements_html(out, m, card);
	}
	imlfs_buf_printf(out, "</body>\n</html>\n");
	imlfs_buf_add(out, "", 0);
	return imlfs_buf_check(out) ? -ENOMEM : 0;
}
