/* SPDX-License-Identifier: MIT */
/* html.c — the writers and the style sheet the core's HTML pages share
 * (html-internal.h): a split's report.html and the root's scorecard. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "html-internal.h"
#include "imlfs/hints.h"

void imlfs_html_esc(struct imlfs_buf *b, const char *s)
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

void imlfs_html_url_seg(struct imlfs_buf *b, const char *s)
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

void imlfs_html_real(char *out, size_t size, double v)
{
	if (imlfs_json_real(out, size, v) < 0)
		snprintf(out, size, "null");
}

void imlfs_html_class(struct imlfs_buf *b, const struct imlfs_model *m, uint32_t c)
{
	imlfs_buf_printf(b, "<span class=\"cls\">%u <code>", c);
	imlfs_html_esc(b, imlfs_class_wnid(m, c));
	imlfs_buf_add(b, "</code> ", 8);
	imlfs_html_esc(b, imlfs_class_name(m, c));
	imlfs_buf_add(b, "</span>", 7);
}

void imlfs_html_labels(struct imlfs_buf *b, const struct imlfs_model *m, const uint16_t *v,
		       uint32_t n)
{
	if (!n)
		imlfs_buf_printf(b, "none");
	for (uint32_t k = 0; k < n; k++) {
		if (k)
			imlfs_buf_add(b, ", ", 2);
		imlfs_html_class(b, m, v[k]);
	}
}

void imlfs_html_member_labels(struct imlfs_buf *b, const struct imlfs_model *m, uint32_t i)
{
	const struct imlfs_member *mb = &m->members[i];

	imlfs_buf_printf(b, "original: ");
	if (mb->label >= 0 && (uint32_t)mb->label < m->nclasses)
		imlfs_html_class(b, m, (uint32_t)mb->label);
	else
		imlfs_buf_printf(b, "none");
	if (mb->flags & IMLFS_M_ANNOTATED) {
		imlfs_buf_printf(b, "<br>correct: ");
		imlfs_html_labels(b, m, m->ml + mb->ml, mb->n_correct);
		imlfs_buf_printf(b, "<br>unclear: ");
		imlfs_html_labels(b, m, m->ml + mb->ml + mb->n_correct, mb->n_unclear);
	} else {
		imlfs_buf_printf(b, "<br>expert labels: none (not annotated)");
	}
	if (m->have & IMLFS_HAVE_REAL) {
		const uint16_t *rv;
		uint32_t rn = imlfs_real_labels(m, i, &rv);

		imlfs_buf_printf(b, "<br>ReaL: ");
		imlfs_html_labels(b, m, rv, rn);
	}
	for (uint32_t k = 0; k < m->nsets; k++) {   /* the other label sets' lists */
		const struct imlfs_labelset *ls = &m->sets[k];
		const uint16_t *sv;
		uint32_t sn = imlfs_labelset_labels(ls, i, &sv);

		if (ls == imlfs_real_set(m) || !imlfs_labelset_listed(ls, i))
			continue;
		imlfs_buf_printf(b, "<br>");
		imlfs_html_esc(b, ls->name);
		imlfs_buf_printf(b, ": ");
		imlfs_html_labels(b, m, sv, sn);
	}
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

void imlfs_html_head(struct imlfs_buf *b, const char *title, const char *extra_css)
{
	imlfs_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<title>imlfs report: ");
	imlfs_html_esc(b, title);
	imlfs_buf_printf(b, "</title>\n<style>%s%s</style>\n</head>\n<body>\n", style,
			 extra_css ? extra_css : "");
}

void imlfs_html_errors(struct imlfs_buf *b, const struct imlfs_scores *sc)
{
	if (!sc->nerrors) {
		imlfs_buf_printf(b, "none");
		return;
	}
	imlfs_buf_printf(b, "<ol class=\"errors\">");
	for (uint32_t k = 0; k < sc->nerrors; k++) {
		imlfs_buf_printf(b, "<li>line %" PRIu32 ": ", sc->errors[k].line);
		imlfs_html_esc(b, imlfs_scores_error(sc, k));
		imlfs_buf_printf(b, "</li>");
	}
	imlfs_buf_printf(b, "</ol>");
}

void imlfs_html_hints(struct imlfs_buf *b, const struct imlfs_model *m,
		      const struct imlfs_split_scores *ss)
{
	char t[256];

	imlfs_buf_printf(b, "<ol class=\"hints\">");
	for (unsigned k = 0; k < ss->nhints; k++) {
		imlfs_hint_text(m, &ss->hints[k], t, sizeof t);
		imlfs_buf_printf(b, "<li>");
		imlfs_html_esc(b, t);
		imlfs_buf_printf(b, "</li>");
	}
	imlfs_buf_printf(b, "</ol>");
}
