/* SPDX-License-Identifier: MIT */
/* labelset.c — label sets (labelset.h): names, recognising a file's
 * format, the lookups and the builder the parsers share
 * (labelset-internal.h), and laying the lists out in member order.
 *
 * Recognition looks at the first bytes only, and each test is one the
 * other formats cannot pass: JSON starts with '[' (then '{' for cleanlab's
 * objects, '[' or ']' for lists), the CSV's header starts with the column
 * id, and a TSV's first line that is not blank or a comment has a tab.
 * Whatever is wrong after that is the recognised parser's to say, with its
 * line: a message about a format the user did not mean would not help.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/classes.h"
#include "imlfs/util.h"
#include "labelset-internal.h"

#define FORMATS "cleanlab's imagenet_mturk.json (a JSON list of objects), JSON lists of " \
	"class indices in file order (as ReaL's real.json), the Flaws of ImageNet CSV " \
	"(header id,original_label,proposed_labels,validation) and IMAGE<TAB>LABEL[,LABEL...] " \
	"lines"

/* Taken by the tree, the root's predictions, and the names that would
 * make a set's keys clash with others (see labelset.h). */
static const char *const reserved[] = {
	"all", "validation", "imagenet_m", "real", "predictions",
	"split", "splits", "submitted", "usage", "hints",
	"correct_multi", "unclear_multi", "wrong_multi", "top1", "top5", "multilabel",
};
#define NRESERVED (sizeof reserved / sizeof reserved[0])

const char *imlfs_labelset_format_name(enum imlfs_ls_format f)
{
	switch (f) {
	case IMLFS_LS_MTURK: return "mturk";
	case IMLFS_LS_FLAWS: return "flaws";
	case IMLFS_LS_TSV: return "tsv";
	case IMLFS_LS_LISTS: return "lists";
	default: return "unknown";
	}
}

int imlfs_labelset_check_name(const char *name, size_t len, unsigned flags,
			      struct imlfs_error *err)
{
	char why[96] = "", shown[80];

	if (!len)
		snprintf(why, sizeof why, "it is empty");
	else if (len > IMLFS_LABELSET_NAME_MAX)
		snprintf(why, sizeof why, "it is %zu bytes long", len);
	else if (name[0] < 'a' || name[0] > 'z')
		snprintf(why, sizeof why, "it does not start with a lower-case letter");
	for (size_t i = 1; !why[0] && i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			snprintf(why, sizeof why, "byte %zu is not a-z, 0-9 or '_'", i + 1);
	}
	for (size_t r = 0; !why[0] && r < NRESERVED; r++)
		if (strlen(reserved[r]) == len && !memcmp(name, reserved[r], len) &&
		    !((flags & IMLFS_LS_REAL) && !strcmp(reserved[r], "real")))
			snprintf(why, sizeof why, "the mount uses %s already", reserved[r]);
	if (!why[0] && len >= 5 && !memcmp(name + len - 5, "_top5", 5))
		snprintf(why, sizeof why, "it ends in _top5, which would make its scores' keys "
			 "those of another set");
	if (!why[0])
		return 0;
	return imlfs_fail(err, IMLFS_E_USAGE, "--labelset: %s cannot name a label set: %s; a name "
			  "is [a-z][a-z0-9_]* of at most %d bytes, not ending in _top5, other than "
			  "all, validation, imagenet_m, real, predictions, split, splits, submitted, "
			  "usage, hints, correct_multi, unclear_multi, wrong_multi, top1, top5 and "
			  "multilabel", ls_show(name, len, shown), why, IMLFS_LABELSET_NAME_MAX);
}

const char *ls_show(const char *s, size_t len, char buf[80])
{
	size_t n = len > 60 ? 60 : len, o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < n; i++)
		buf[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (n < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int vfail(struct ls_parse *p, size_t line, size_t col, size_t byte, const char *fmt,
		 va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* ReaL's messages have always named the byte too: kept, for whoever
	 * matches them. */
	if (col && (p->flags & IMLFS_LS_REAL))
		return imlfs_fail(p->err, p->code, "%s: line %zu, column %zu (byte %zu): %s", p->path,
				  line, col, byte, msg);
	if (col)
		return imlfs_fail(p->err, p->code, "%s: line %zu, column %zu: %s", p->path, line,
				  col, msg);
	return imlfs_fail(p->err, p->code, "%s: line %zu: %s", p->path, line, msg);
}

int ls_fail_at(struct ls_parse *p, size_t at, const char *fmt, ...)
{
	const char *nl;
	size_t col;
	va_list ap;
	int rc;

	if (at > p->len)
		at = p->len;
	nl = at ? memrchr(p->t, '\n', at) : NULL;
	col = at - (nl ? (size_t)(nl - p->t) + 1 : 0) + 1 + (nl ? 0 : p->bom);
	va_start(ap, fmt);
	rc = vfail(p, imlfs_line_of(p->t, p->len, at), col, at + p->bom, fmt, ap);
	va_end(ap);
	return rc;
}

int ls_fail_line(struct ls_parse *p, size_t line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p, line, 0, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int ls_nomem(struct ls_parse *p)
{
	return imlfs_fail(p->err, IMLFS_E_NOMEM, "%s: out of memory reading the label set",
			  p->path);
}

int64_t ls_member(const struct imlfs_model *m, const char *s, size_t len)
{
	const char *base = len ? memrchr(s, '/', len) : NULL;
	int64_t i;

	base = base ? base + 1 : s;
	i = imlfs_find_member(m, base, len - (size_t)(base - s));
	if (i < 0 && base != s)
		i = imlfs_find_member(m, s, len);   /* a tar that keeps the folder */
	if (i < 0 && !memchr(base, '.', len - (size_t)(base - s)))
		i = imlfs_find_stem(m, base, len - (size_t)(base - s));
	return i;
}

int ls_label(struct ls_parse *p, const char *s, size_t len, size_t at, const char *image,
	     uint32_t *cls)
{
	const struct imlfs_model *m = p->m;
	char shown[80];
	size_t ndig = 0;

	while (ndig < len && s[ndig] >= '0' && s[ndig] <= '9')
		ndig++;
	if (len && ndig == len) {
		uint32_t v = 0;

		for (size_t i = 0; i < len && v < 1000000; i++)
			v = v * 10 + (uint32_t)(s[i] - '0');
		if (!m->nclasses)
			return ls_fail_at(p, at, "%s: class index %s, but this mount has no classes; "
					  "give --labels or --classes too", image,
					  ls_show(s, len, shown));
		if (v >= m->nclasses)
			return ls_fail_at(p, at, "%s: class index %s is out of range 0..%u; label "
					  "sets use the class indices of the classes file (sorted "
					  "wnids), or wnids", image, ls_show(s, len, shown),
					  m->nclasses - 1);
		*cls = v;
		return 0;
	}
	if (imlfs_is_wnid(s, len)) {
		int32_t c = imlfs_find_wnid(m, s, len);

		if (c < 0)
			return ls_fail_at(p, at, "%s: wnid %.*s is not among the mount's %u classes; "
					  "use a classes file that has it", image, (int)len, s,
					  m->nclasses);
		*cls = (uint32_t)c;
		return 0;
	}
	return ls_fail_at(p, at, "%s: label %s is neither a class index nor a wnid (like "
			  "n01440764)", image, ls_show(s, len, shown));
}

void ls_list_begin(struct ls_parse *p)
{
	p->run = p->npool;
	p->serial++;
}

int ls_list_add(struct ls_parse *p, uint32_t cls)
{
	if (p->stamp[cls] == p->serial)
		return 0;   /* a repeat within the list */
	p->stamp[cls] = p->serial;
	if (p->npool >= UINT32_MAX || imlfs_grow(&p->pool, sizeof *p->pool, p->npool, &p->cap))
		return ls_nomem(p);
	p->pool[p->npool++] = (uint16_t)cls;
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int ls_list_end(struct ls_parse *p, uint32_t i, uint32_t where)
{
	if (p->where[i]) {
		p->npool = p->run;
		return 1;
	}
	/* Most lists have a label or two: insertion sort, without qsort's
	 * call per comparison (and glibc's malloc); qsort for long ones. */
	if (p->npool - p->run > 16) {
		qsort(p->pool + p->run, p->npool - p->run, sizeof *p->pool, cmp_u16);
	} else {
		for (size_t k = p->run + 1; k < p->npool; k++) {
			uint16_t v = p->pool[k];
			size_t j = k;

			for (; j > p->run && p->pool[j - 1] > v; j--)
				p->pool[j] = p->pool[j - 1];
			p->pool[j] = v;
		}
	}
	p->where[i] = where;
	p->first[i] = (uint32_t)p->run;
	p->count[i] = (uint32_t)(p->npool - p->run);
	return 0;
}

/* The lists in member order into ls (its old arrays freed). */
static int lay_out(struct ls_parse *p, struct imlfs_labelset *ls, const char *name,
		   enum imlfs_ls_format f)
{
	uint32_t n = p->m->nmembers, nlisted = 0, nempty = 0;
	uint32_t *off = calloc((size_t)n + 1, sizeof *off);
	uint32_t *listed = imlfs_array_new(((size_t)n + 31) / 32, sizeof *listed);
	uint16_t *lab = p->npool ? malloc(p->npool * sizeof *lab) : NULL;

	if (!off || !listed || (p->npool && !lab)) {
		free(off);
		free(listed);
		free(lab);
		return ls_nomem(p);
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t c = p->where[i] ? p->count[i] : 0;

		if (p->where[i]) {
			listed[i / 32] |= 1u << (i % 32);
			nlisted++;
			nempty += !c;
		}
		if (c)
			memcpy(lab + off[i], p->pool + p->first[i], c * sizeof *lab);
		off[i + 1] = off[i] + c;
	}
	imlfs_labelset_free(ls);
	snprintf(ls->name, sizeof ls->name, "%s", name);
	ls->format = f;
	ls->nmembers = n;
	ls->off = off;
	ls->lab = lab;
	ls->nlab = off[n];
	ls->listed = listed;
	ls->nlisted = nlisted;
	ls->nempty = nempty;
	memcpy(ls->outcome, p->outcome, sizeof ls->outcome);
	return 0;
}

/* The format of p's text, or -1 with the message when it fits none. */
static int recognise(struct ls_parse *p, enum imlfs_ls_format *f_out)
{
	const char *t = p->t, *s, *e, *end = t + p->len;
	size_t i = 0;
	char shown[80];

	if (p->flags & IMLFS_LS_REAL) {
		*f_out = IMLFS_LS_LISTS;   /* its parser says what else it found */
		return 0;
	}
	while (i < p->len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	if (i < p->len && t[i] == '[') {
		for (i++; i < p->len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' ||
					  t[i] == '\n'); i++)
			;
		*f_out = i < p->len && t[i] == '{' ? IMLFS_LS_MTURK : IMLFS_LS_LISTS;
		return 0;
	}
	if ((p->len >= 3 && !memcmp(t, "id,", 3)) || (p->len >= 5 && !memcmp(t, "\"id\",", 5))) {
		*f_out = IMLFS_LS_FLAWS;
		return 0;
	}
	/* The first line that is not blank or a comment, tabs kept. */
	for (s = t; s < end; s = e < end ? e + 1 : end) {
		const char *f;

		e = memchr(s, '\n', (size_t)(end - s));
		if (!e)
			e = end;
		for (f = s; f < e && (*f == ' ' || *f == '\t' || *f == '\r'); f++)
			;
		if (f == e || *f == '#')
			continue;
		if (memchr(s, '\t', (size_t)(e - s))) {
			*f_out = IMLFS_LS_TSV;
			return 0;
		}
		break;
	}
	if (!p->len)
		return ls_fail_line(p, 1, "the file is empty; a label set is one of " FORMATS);
	for (i = 0; i < p->len && i < 40 && t[i] != '\n'; i++)
		;
	return ls_fail_line(p, 1, "not a label set in a known format: it starts %s; tried "
			    FORMATS, ls_show(t, i, shown));
}

int imlfs_labelset_parse(struct imlfs_labelset *ls, const char *name,
			 const struct imlfs_model *m, const char *path, const char *text,
			 size_t len, unsigned flags, struct imlfs_error *err)
{
	struct ls_parse p = { .m = m, .path = path, .t = text ? text : "", .len = text ? len : 0,
			      .flags = flags, .err = err,
			      .code = flags & IMLFS_LS_REAL ? IMLFS_E_REAL : IMLFS_E_LABELSET };
	enum imlfs_ls_format f = IMLFS_LS_LISTS;
	int rc;

	if (imlfs_labelset_check_name(name, strlen(name), flags, err))
		return -1;
	if (p.len > IMLFS_LABELSET_FILE_MAX)
		return imlfs_fail(err, p.code, "%s: %zu bytes, more than a label set may have "
				  "(%u MiB); give a smaller file (one line per image is enough)",
				  path, p.len, IMLFS_LABELSET_FILE_MAX >> 20);
	if (p.len >= 3 && !memcmp(p.t, "\xef\xbb\xbf", 3)) {
		p.t += 3;   /* a UTF-8 byte-order mark, as some editors write */
		p.len -= 3;
		p.bom = 3;
	}
	if (recognise(&p, &f))
		return -1;
	p.first = imlfs_array_new(m->nmembers, sizeof *p.first);
	p.count = imlfs_array_new(m->nmembers, sizeof *p.count);
	p.where = imlfs_array_new(m->nmembers, sizeof *p.where);
	p.stamp = imlfs_array_new(m->nclasses, sizeof *p.stamp);
	if (!p.first || !p.count || !p.where || !p.stamp)
		rc = ls_nomem(&p);
	else if (f == IMLFS_LS_MTURK)
		rc = imlfs_ls_mturk(&p);
	else if (f == IMLFS_LS_FLAWS)
		rc = imlfs_ls_flaws(&p);
	else if (f == IMLFS_LS_TSV)
		rc = imlfs_ls_tsv(&p);
	else
		rc = imlfs_ls_lists(&p);
	if (!rc)
		rc = lay_out(&p, ls, name, f);
	free(p.first);
	free(p.count);
	free(p.where);
	free(p.stamp);
	free(p.pool);
	return rc;
}

int imlfs_labelset_spec(const char *spec, char name[IMLFS_LABELSET_NAME_MAX + 1],
			const char **file, struct imlfs_error *err)
{
	const char *eq = strchr(spec, '=');
	char shown[80];
	size_t nlen;

	if (!eq || !eq[1])
		return imlfs_fail(err, IMLFS_E_USAGE, "--labelset %s: expected NAME=FILE, for "
				  "example mturk=imagenet_mturk.json", ls_show(spec, strlen(spec),
									   shown));
	nlen = (size_t)(eq - spec);
	if (imlfs_labelset_check_name(spec, nlen, 0, err))
		return -1;
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	*file = eq + 1;
	return 0;
}

int imlfs_model_add_set(struct imlfs_model *m, const char *name, unsigned flags,
			enum imlfs_role role, const char *path, const char *text, size_t len,
			struct imlfs_error *err)
{
	bool real = flags & IMLFS_LS_REAL;
	uint32_t k = m->nsets;
	struct imlfs_labelset ls = { 0 };

	for (uint32_t j = 0; j < m->nsets; j++) {
		if (real && (m->sets[j].flags & IMLFS_LS_REAL))
			k = j;   /* parsed again: replaced */
		else if (!strcmp(m->sets[j].name, name))
			return imlfs_fail(err, IMLFS_E_USAGE, "%s: the label set name %s is taken "
					  "already; give each label set its own name", path, name);
	}
	if (k >= IMLFS_LABELSETS_MAX)
		return imlfs_fail(err, IMLFS_E_USAGE, "%s: more than %d label sets; mount at most "
				  "%d at a time", path, IMLFS_LABELSETS_MAX, IMLFS_LABELSETS_MAX);
	if (imlfs_labelset_parse(&ls, name, m, path, text, len, flags, err))
		return -1;
	ls.flags = flags & IMLFS_LS_REAL;
	ls.role = role;
	if (k < m->nsets) {
		imlfs_labelset_free(&m->sets[k]);
	} else {
		if (real && k) {
			/* ReaL's is set 0, whatever was loaded before it, so
			 * that real/ keeps its split and inode numbers */
			memmove(&m->sets[1], &m->sets[0], m->nsets * sizeof m->sets[0]);
			k = 0;
		}
		m->nsets++;
	}
	m->sets[k] = ls;
	if (real)
		m->have |= IMLFS_HAVE_REAL;
	return 0;
}

void imlfs_labelset_free(struct imlfs_labelset *ls)
{
	free(ls->off);
	free(ls->lab);
	free(ls->listed);
	memset(ls, 0, sizeof *ls);
}
