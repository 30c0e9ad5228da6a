/* SPDX-License-Identifier: MIT */
/* html-internal.h — what the core's two HTML pages share: each split's
 * report.html (report.c) and the root's scorecard (scorecard.c).  One
 * style sheet and one set of writers, so that the pages look alike and
 * escape alike: every name HTML-escaped, every image name in a URL also
 * percent-encoded, every score written as the JSON writes it.
 * The appends ignore their results: the buffer's failure flag is sticky
 * and checked once at the end, by the page's caller. */
#ifndef IMLFS_HTML_INTERNAL_H
#define IMLFS_HTML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imlfs/model.h"
#include "imlfs/score.h"
#include "imlfs/util.h"

/* s, HTML-escaped (& < > " '): safe as text and inside a quoted attribute. */
void imlfs_html_esc(struct imlfs_buf *b, const char *s);
/* A member name as one URL path segment: unreserved bytes as they are,
 * every other byte %XX (safe inside an HTML attribute as well). */
void imlfs_html_url_seg(struct imlfs_buf *b, const char *s);
/* v as the JSON writes it (imlfs_json_real), "null" when it cannot. */
void imlfs_html_real(char *out, size_t size, double v);
/* "INDEX WNID NAME" of class c, escaped. */
void imlfs_html_class(struct imlfs_buf *b, const struct imlfs_model *m, uint32_t c);
/* Classes v[0..n), comma-separated; "none" for none. */
void imlfs_html_labels(struct imlfs_buf *b, const struct imlfs_model *m, const uint16_t *v,
		       uint32_t n);
/* What member i's labels are: original, the experts' correct and unclear
 * (or "not annotated"), ReaL when mounted; lines separated by <br>. */
void imlfs_html_member_labels(struct imlfs_buf *b, const struct imlfs_model *m, uint32_t i);
/* The doctype, the head (title "imlfs report: TITLE", the style sheet,
 * `extra_css` appended) and <body>. */
void imlfs_html_head(struct imlfs_buf *b, const char *title, const char *extra_css);
/* The submission's kept errors as an ordered list, "none" without. */
void imlfs_html_errors(struct imlfs_buf *b, const struct imlfs_scores *sc);
/* Split ss's hints (hints.h) as an ordered list of sentences. */
void imlfs_html_hints(struct imlfs_buf *b, const struct imlfs_model *m,
		      const struct imlfs_split_scores *ss);

#endif
