/* SPDX-License-Identifier: MIT */
/* labels.c — the original label of each member (see labels.h): TFDS's
 * one-wnid-per-line validation_labels.txt, or "FILE LABEL" lines.
 *
 * Each line of the text is cut into (first token, second token) once; the
 * two forms then only differ in how a line finds its member.  The text is
 * the file's bytes as they are, with no NUL after them: nothing reads past
 * a token's length.
 */
#include <stdlib.h>
#include <string.h>

#include "imlfs/classes.h"
#include "imlfs/labels.h"
#include "imlfs/util.h"

struct line {
	const char *a, *b;     /* first and second token */
	uint32_t alen, blen;
	uint32_t no;           /* 1-based line number */
	int64_t member;        /* FILE form: the member it names */
};

struct parse {
	struct imlfs_model *m;
	const char *path;
	struct line *v;
	size_t n, cap;
	int file_form;         /* "FILE LABEL" rather than one wnid per line */
};

static int all_digits(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned)(s[i] - '0') >= 10)
			return 0;
	return 1;
}

/* Cut the text into lines of tokens.  Blank lines may only trail in the
 * one-wnid form, where a line's position is what ties it to its member. */
static int split_lines(struct parse *ps, const char *text, size_t len, struct imlfs_error *err)
{
	const char *p = text, *end = text + len, *s, *eol, *t;
	uint32_t no = 0, blank = 0;

	while (imlfs_next_line(&p, end, &s, &eol)) {
		struct line *l;

		no++;
		if (s == eol) {
			if (!blank)
				blank = no;
			continue;
		}
		if (imlfs_grow(&ps->v, sizeof *ps->v, ps->n, &ps->cap))
			return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", ps->path);
		l = &ps->v[ps->n];
		memset(l, 0, sizeof *l);
		l->no = no;
		l->a = s;
		for (t = s; t < eol && *t != ' ' && *t != '\t'; t++)
			;
		l->alen = (uint32_t)(t - s);
		while (t < eol && imlfs_is_blank(*t))
			t++;
		l->b = t;
		l->blen = (uint32_t)(eol - t);
		if (ps->n == 0)
			ps->file_form = l->blen > 0;
		if (!ps->file_form && blank)
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: line %u: blank line before more labels; "
					  "line i is the label of the i-th image, so remove the blank "
					  "line", ps->path, blank);
		if (ps->file_form ? l->blen == 0 || memchr(l->b, ' ', l->blen) || memchr(l->b, '\t', l->blen)
				  : l->blen != 0)
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: line %u: \"%.*s\" is malformed; "
					  "expected %s on every line (as on line %u)", ps->path, no,
					  (int)((eol - s) > 60 ? 60 : eol - s), s,
					  ps->file_form ? "\"FILE LABEL\"" : "one wnid", ps->v[0].no);
		ps->n++;
	}
	if (ps->n == 0)
		return imlfs_fail(err, IMLFS_E_LABELS, "%s: line 1: the file has no labels; give "
				  "validation_labels.txt (one wnid per image) or \"FILE LABEL\" lines",
				  ps->path);
	return 0;
}

/* The label token of each line. */
static void label_tok(const struct parse *ps, const struct line *l, const char **s, size_t *len)
{
	*s = ps->file_form ? l->b : l->a;
	*len = ps->file_form ? l->blen : l->alen;
}

/* Give each line its member: by position, or by the named file. */
static int find_members(struct parse *ps, struct imlfs_error *err)
{
	struct imlfs_model *m = ps->m;
	uint32_t *by = NULL;

	if (!ps->file_form) {
		if (ps->n != m->nmembers)
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: line %u: %zu label lines but the "
					  "tarball has %u members; this form needs exactly one wnid per "
					  "image in sorted name order: use the labels file that belongs "
					  "to this tarball", ps->path, ps->v[ps->n - 1].no, ps->n,
					  m->nmembers);
		for (size_t i = 0; i < ps->n; i++)
			ps->v[i].member = (int64_t)i;
		return 0;
	}
	by = calloc(m->nmembers ? m->nmembers : 1, sizeof *by);
	if (!by)
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", ps->path);
	for (size_t i = 0; i < ps->n; i++) {
		struct line *l = &ps->v[i];
		const char *base = memrchr(l->a, '/', l->alen);
		size_t blen;

		base = base ? base + 1 : l->a;
		blen = l->alen - (size_t)(base - l->a);
		l->member = imlfs_find_member(m, base, blen);
		/* The tar may keep a directory part the labels also have. */
		if (l->member < 0 && base != l->a)
			l->member = imlfs_find_member(m, l->a, l->alen);
		if (l->member < 0 && !memchr(base, '.', blen))
			l->member = imlfs_find_stem(m, base, blen);
		if (l->member < 0) {
			free(by);
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: line %u: \"%.*s\" is not a member of "
					  "the tarball; the labels must belong to this tarball",
					  ps->path, l->no, (int)(l->alen > 200 ? 200 : l->alen), l->a);
		}
		if (by[l->member]) {
			uint32_t first = by[l->member];

			free(by);
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: line %u: %s is labelled again (first on "
					  "line %u); give each image one label", ps->path, l->no,
					  imlfs_member_name(m, (uint32_t)l->member), first);
		}
		by[l->member] = l->no;
	}
	for (uint32_t i = 0; i < m->nmembers; i++) {
		if (!by[i]) {
			uint32_t missing = 0;

			for (uint32_t j = i; j < m->nmembers; j++)
				missing += !by[j];
			free(by);
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: end of file (line %u): member %s has "
					  "no label (%u of %u members have none); every image needs a "
					  "line", ps->path, ps->v[ps->n - 1].no, imlfs_member_name(m, i),
					  missing, m->nmembers);
		}
	}
	free(by);
	return 0;
}

/* Check label syntax: a class index or a wnid. */
static int check_labels(struct parse *ps, struct imlfs_error *err)
{
	for (size_t i = 0; i < ps->n; i++) {
		const struct line *l = &ps->v[i];
		const char *s;
		size_t len;

		label_tok(ps, l, &s, &len);
		if (all_digits(s, len) && ps->file_form) {
			if (ps->m->nclasses == 0)
				return imlfs_fail(err, IMLFS_E_WNID, "%s: line %u: labels use class indices; "
						  "give --classes FILE so they can be named", ps->path, l->no);
			continue;
		}
		if (!imlfs_is_wnid(s, len))
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: line %u: \"%.*s\" is not a %s; %s",
					  ps->path, l->no, (int)(len > 60 ? 60 : len), s,
					  ps->file_form ? "class index or WordNet id" : "WordNet id",
					  !ps->file_form && all_digits(s, len)
					  ? "numbered ground truth (the devkit's) does not use class indices; "
					    "use TFDS validation_labels.txt or \"FILE LABEL\" lines"
					  : "expected a wnid like n01440764");
	}
	return 0;
}

static int cmp_wnid(const void *a, const void *b)
{
	return memcmp(*(const char *const *)a, *(const char *const *)b, 9);
}

/* No classes file: the classes are the sorted distinct wnids, named by
 * themselves (labels are all wnids here: check_labels saw to that). */
static int make_classes(struct parse *ps, struct imlfs_error *err)
{
	const char **w = malloc(ps->n * sizeof *w);

	if (!w)
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", ps->path);
	for (size_t i = 0; i < ps->n; i++) {
		size_t len;

		label_tok(ps, &ps->v[i], &w[i], &len);
	}
	qsort(w, ps->n, sizeof *w, cmp_wnid);
	for (size_t i = 0; i < ps->n; i++) {
		if (i && memcmp(w[i], w[i - 1], 9) == 0)
			continue;
		if (ps->m->nclasses >= IMLFS_MAX_CLASSES) {
			free(w);
			return imlfs_fail(err, IMLFS_E_LABELS, "%s: more than %d distinct wnids",
					  ps->path, IMLFS_MAX_CLASSES);
		}
		if (imlfs_model_add_class(ps->m, w[i], 9, w[i], 9) < 0) {
			free(w);
			return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", ps->path);
		}
	}
	free(w);
	if (imlfs_model_finish(ps->m))
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", ps->path);
	return 0;
}

static int assign(struct parse *ps, struct imlfs_error *err)
{
	struct imlfs_model *m = ps->m;

	for (size_t i = 0; i < ps->n; i++) {
		const struct line *l = &ps->v[i];
		const char *s;
		size_t len;
		long long c;

		label_tok(ps, l, &s, &len);
		if (all_digits(s, len) && ps->file_form) {
			/* By hand: strtoll would read past the token at the
			 * end of the text, which has no NUL after it. */
			c = len > 6 ? -1 : 0;
			for (size_t k = 0; c >= 0 && k < len; k++)
				c = c * 10 + (s[k] - '0');
			if (c < 0 || c >= m->nclasses)
				return imlfs_fail(err, IMLFS_E_WNID, "%s: line %u: class index %.*s is out of "
						  "range; the classes file has %u classes (0 to %u)", ps->path,
						  l->no, (int)(len > 20 ? 20 : len), s, m->nclasses,
						  m->nclasses - 1);
		} else {
			c = imlfs_find_wnid(m, s, len);
			if (c < 0)
				return imlfs_fail(err, IMLFS_E_WNID, "%s: line %u: wnid %.*s is not among the "
						  "%u classes; use a classes file that has it", ps->path,
						  l->no, (int)len, s, m->nclasses);
		}
		m->members[l->member].label = (int32_t)c;
	}
	return 0;
}

int imlfs_labels_parse(struct imlfs_model *m, const char *name, const char *text, size_t len,
		       struct imlfs_error *err)
{
	struct parse ps = {.m = m, .path = name};
	int rc = split_lines(&ps, text ? text : "", text ? len : 0, err);

	if (!rc)
		rc = check_labels(&ps, err);
	if (!rc)
		rc = find_members(&ps, err);
	if (!rc && m->nclasses == 0)
		rc = make_classes(&ps, err);
	if (!rc)
		rc = assign(&ps, err);
	if (!rc)
		m->have |= IMLFS_HAVE_LABELS;
	free(ps.v);
	return rc;
}
