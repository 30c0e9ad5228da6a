/* SPDX-License-Identifier: MIT */
/* ls-tsv.c — the "tsv" label-set format anyone can write:
 *   IMAGE<TAB>LABEL[,LABEL...]
 * one image per line, labels class indices or wnids, '#' comment lines and
 * blank lines skipped; images not listed are left out.
 *
 * Lines are cut by hand rather than with imlfs_next_line, which trims
 * tabs: "IMAGE<TAB>" (an empty list: no label fits) must stay apart from
 * "IMAGE" (no tab: a mistake). */
#include <string.h>

#include "labelset-internal.h"

#define FORM "expected IMAGE<TAB>LABEL[,LABEL...] (labels class indices or wnids)"

static int blank(char c)
{
	return c == ' ' || c == '\r';
}

/* The labels of member i in [s, e), on line `no`. */
static int labels(struct ls_parse *p, uint32_t i, const char *s, const char *e, size_t no)
{
	const char *image = imlfs_member_name(p->m, i);

	while (s < e && blank(*s))
		s++;
	if (s == e)
		return 0;   /* an empty list */
	for (;;) {
		const char *c = memchr(s, ',', (size_t)(e - s)), *te;
		uint32_t cls;

		if (!c)
			c = e;
		for (te = c; te > s && blank(te[-1]); te--)
			;
		if (te == s)
			return ls_fail_at(p, (size_t)(s - p->t), "%s: an empty label in the list; "
					  FORM, image);
		if (memchr(s, '\t', (size_t)(te - s)))
			return ls_fail_line(p, no, "%s: a second tab; " FORM, image);
		if (ls_label(p, s, (size_t)(te - s), (size_t)(s - p->t), image, &cls) ||
		    ls_list_add(p, cls))
			return -1;
		if (c == e)
			return 0;
		for (s = c + 1; s < e && blank(*s); s++)
			;
	}
}

int imlfs_ls_tsv(struct ls_parse *p)
{
	const char *t = p->t, *end = t + p->len, *s = t;
	size_t no = 0;
	char shown[80];

	for (const char *next; s < end; s = next) {
		const char *eol = memchr(s, '\n', (size_t)(end - s)), *e, *f, *tab, *ie;
		int64_t i;
		int rc;

		no++;
		if (!eol)
			eol = end;
		next = eol < end ? eol + 1 : end;
		for (e = eol; e > s && e[-1] == '\r'; e--)
			;
		for (f = s; f < e && (blank(*f) || *f == '\t'); f++)
			;
		if (f == e || *f == '#')
			continue;
		for (f = s; f < e && blank(*f); f++)
			;
		tab = memchr(f, '\t', (size_t)(e - f));
		if (!tab)
			return ls_fail_line(p, no, "%s has no tab; " FORM,
					    ls_show(f, (size_t)(e - f), shown));
		for (ie = tab; ie > f && blank(ie[-1]); ie--)
			;
		i = ls_member(p->m, f, (size_t)(ie - f));
		if (i < 0)
			return ls_fail_line(p, no, "%s is not an image of the tarball; name each "
					    "image by its file name (ILSVRC2012_val_00000001.JPEG) or "
					    "its stem", ls_show(f, (size_t)(ie - f), shown));
		ls_list_begin(p);
		if (labels(p, (uint32_t)i, tab + 1, e, no))
			return -1;
		rc = ls_list_end(p, (uint32_t)i, no > UINT32_MAX ? UINT32_MAX : (uint32_t)no);
		if (rc < 0)
			return -1;
		if (rc)
			return ls_fail_line(p, no, "%s is listed again (first on line %u); give "
					    "each image one line", imlfs_member_name(p->m, (uint32_t)i),
					    p->where[i]);
	}
	return 0;   /* recognised by a line with a tab: something was listed */
}
