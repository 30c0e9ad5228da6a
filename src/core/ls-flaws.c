/* SPDX-License-Identifier: MIT */
/* ls-flaws.c — the "flaws" label-set format: the CSV of "Flaws of
 * ImageNet" (clean_validation.csv, header id,original_label,
 * proposed_labels,validation), rows like
 *   ILSVRC2012_val_00021106.JPEG,601,"689, 601",+
 * Images not listed are left out.
 *
 * RFC 4180 records: a field is bare (no '"' in it) or quoted, "" inside a
 * quoted one standing for '"'; records end in LF or CRLF, and a quoted
 * field may hold either.  The fields this parser reads (a file name and
 * class indices) can never hold a '"', so a field is kept as its raw
 * bytes: a doubled quote in it makes it a bad name or label, reported as
 * such.  Columns are found by their header name; other columns (validation)
 * are only counted. */
#include <string.h>

#include "labelset-internal.h"

#define HEADER "id,original_label,proposed_labels,validation"
#define MAXCOLS 64

struct field {
	size_t at, len;       /* the content (inside the quotes when quoted) */
};

struct csv {
	struct ls_parse *p;
	size_t pos;
	size_t line;          /* of pos, counted as the records are read */
	size_t rline;         /* where the last record started */
};

/* One record from c->pos: its fields (the first MAXCOLS) and their number.
 * 0, or 1 at the end of the text; -1 on a quoting error. */
static int record(struct csv *c, struct field *f, size_t *nf)
{
	struct ls_parse *p = c->p;
	const char *t = p->t;

	*nf = 0;
	c->rline = c->line;
	if (c->pos >= p->len)
		return 1;
	for (;;) {
		struct field cur;

		if (c->pos < p->len && t[c->pos] == '"') {
			size_t open = c->pos++;

			cur.at = c->pos;
			for (;;) {
				if (c->pos >= p->len)
					return ls_fail_at(p, open, "a quoted field never ends; close "
							  "it with '\"' (a '\"' inside is written "
							  "\"\")");
				if (t[c->pos] == '"') {
					if (c->pos + 1 < p->len && t[c->pos + 1] == '"') {
						c->pos += 2;
						continue;
					}
					break;
				}
				c->line += t[c->pos++] == '\n';
			}
			cur.len = c->pos++ - cur.at;
			if (c->pos < p->len && t[c->pos] == '\r' &&
			    (c->pos + 1 == p->len || t[c->pos + 1] == '\n'))
				c->pos++;   /* CRLF, or a last CR */
			if (c->pos < p->len && t[c->pos] != ',' && t[c->pos] != '\n')
				return ls_fail_at(p, c->pos, "text after a quoted field's closing '\"'; "
						  "write a '\"' inside a quoted field as \"\"");
		} else {
			cur.at = c->pos;
			while (c->pos < p->len && t[c->pos] != ',' && t[c->pos] != '\n') {
				if (t[c->pos] == '"')
					return ls_fail_at(p, c->pos, "a '\"' inside a field that is "
							  "not quoted; quote the field (\"...\") "
							  "and write the '\"' as \"\"");
				c->pos++;
			}
			cur.len = c->pos - cur.at;
			if ((c->pos == p->len || t[c->pos] == '\n') && cur.len &&
			    t[c->pos - 1] == '\r')
				cur.len--;   /* CRLF, or a last CR */
		}
		if (*nf < MAXCOLS)
			f[*nf] = cur;
		(*nf)++;
		if (c->pos >= p->len)
			return 0;
		if (t[c->pos++] == '\n') {
			c->line++;
			return 0;
		}
	}
}

static int is(const struct ls_parse *p, const struct field *f, const char *name)
{
	return f->len == strlen(name) && !memcmp(p->t + f->at, name, f->len);
}

/* The labels of member i in field f: one, or a comma-separated list. */
static int labels(struct ls_parse *p, uint32_t i, const struct field *f)
{
	const char *image = imlfs_member_name(p->m, i), *s = p->t + f->at, *e = s + f->len;

	while (s < e && *s == ' ')
		s++;
	if (s == e)
		return 0;   /* an empty list: no label fits */
	for (;;) {
		const char *c = memchr(s, ',', (size_t)(e - s)), *te;
		uint32_t cls;

		if (!c)
			c = e;
		for (te = c; te > s && te[-1] == ' '; te--)
			;
		if (te == s)
			return ls_fail_at(p, (size_t)(s - p->t), "%s: an empty label in "
					  "proposed_labels; write one class index, or several in "
					  "quotes: \"689, 601\"", image);
		if (ls_label(p, s, (size_t)(te - s), (size_t)(s - p->t), image, &cls) ||
		    ls_list_add(p, cls))
			return -1;
		if (c == e)
			return 0;
		for (s = c + 1; s < e && *s == ' '; s++)
			;
	}
}

/* original_label, when the mount has labels, must be the mount's: a file
 * for another tarball or class order would otherwise score quietly wrong. */
static int check_original(struct ls_parse *p, uint32_t i, const struct field *f)
{
	const char *image = imlfs_member_name(p->m, i);
	int32_t mine = p->m->members[i].label;
	uint32_t cls;

	if (!f->len)
		return 0;
	if (ls_label(p, p->t + f->at, f->len, f->at, image, &cls))
		return -1;
	if ((p->m->have & IMLFS_HAVE_LABELS) && mine >= 0 && (uint32_t)mine != cls)
		return ls_fail_at(p, f->at, "%s: original_label %u, but the mount's label is %d; "
				  "the file must belong to this tarball and use the class indices "
				  "of its classes file", image, cls, mine);
	return 0;
}

int imlfs_ls_flaws(struct ls_parse *p)
{
	struct csv c = { .p = p, .line = 1 };
	struct field f[MAXCOLS];
	size_t nf, ncols, id = MAXCOLS, orig = MAXCOLS, prop = MAXCOLS;
	char shown[80];
	int rc;

	rc = record(&c, f, &nf);
	if (rc < 0)
		return -1;
	ncols = nf;   /* recognised by "id,": the header has 2 fields or more */
	if (ncols > MAXCOLS)
		return ls_fail_line(p, 1, "the header has %zu columns, more than %d; expected "
				    HEADER, ncols, MAXCOLS);
	for (size_t k = 0; k < ncols; k++) {
		size_t *col = is(p, &f[k], "id") ? &id : is(p, &f[k], "original_label") ? &orig :
			      is(p, &f[k], "proposed_labels") ? &prop : NULL;

		if (col && *col != MAXCOLS)
			return ls_fail_at(p, f[k].at, "the header names column %.*s twice; expected "
					  HEADER, (int)f[k].len, p->t + f[k].at);
		if (col)
			*col = k;
	}
	if (id == MAXCOLS || prop == MAXCOLS)
		return ls_fail_line(p, 1, "the header has no column %s; expected " HEADER,
				    id == MAXCOLS ? "id" : "proposed_labels");
	while (!(rc = record(&c, f, &nf))) {
		size_t line = c.rline;
		int64_t i;

		if (nf == 1 && !f[0].len)
			continue;   /* a blank line */
		if (nf != ncols)
			return ls_fail_line(p, line, "%zu fields, but the header has %zu (" HEADER
					    "); quote a field that holds a ',' (\"689, 601\")", nf,
					    ncols);
		i = ls_member(p->m, p->t + f[id].at, f[id].len);
		if (i < 0)
			return ls_fail_at(p, f[id].at, "%s is not an image of the tarball; the "
					  "file must belong to this tarball",
					  ls_show(p->t + f[id].at, f[id].len, shown));
		if (orig != MAXCOLS && check_original(p, (uint32_t)i, &f[orig]))
			return -1;
		ls_list_begin(p);
		if (labels(p, (uint32_t)i, &f[prop]))
			return -1;
		rc = ls_list_end(p, (uint32_t)i, line > UINT32_MAX ? UINT32_MAX : (uint32_t)line);
		if (rc < 0)
			return -1;
		if (rc)
			return ls_fail_line(p, line, "%s is listed again (first on line %u); give "
					    "each image one row", imlfs_member_name(p->m, (uint32_t)i),
					    p->where[i]);
	}
	return rc < 0 ? -1 : 0;
}
