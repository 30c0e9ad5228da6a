/* SPDX-License-Identifier: MIT */
/* real.c — the ReaL labels file (real.json): one list of class indices per
 * validation image, in sorted member order.
 *
 * Parsed by hand rather than through jsonscan.c (which wants an object at
 * the top) or jansson (a DOM of 50,000 arrays, and only line numbers): the
 * shape is fixed and tiny, one pass over the bytes checks syntax and shape
 * at once, every error can name the byte, the line, the column and the
 * entry, and the only memory is the result.  Within a list, duplicates are
 * dropped as they are read (a per-class stamp), so no list can hold more
 * than the classes, and the loop stops at the first list past the tarball's
 * member count. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/real.h"
#include "imlfs/util.h"

#define HINT "give the real.json of google-research/reassessed-imagenet for this tarball"

struct rp {
	const struct imlfs_model *m;
	const char *path, *t;
	size_t len, pos;
	struct imlfs_error *err;
	uint32_t *off;         /* [nmembers + 1] */
	uint16_t *lab;
	size_t nlab, cap;
	uint32_t *stamp;       /* per class: 1 + the entry that last had it */
};

static int fail_at(struct rp *r, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "PATH: line L, column C (byte B): MESSAGE" */
static int fail_at(struct rp *r, size_t at, const char *fmt, ...)
{
	const char *nl;
	char msg[768];
	size_t col;
	va_list ap;

	if (at > r->len)
		at = r->len;
	nl = at ? memrchr(r->t, '\n', at) : NULL;
	col = at - (nl ? (size_t)(nl - r->t) + 1 : 0) + 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return imlfs_fail(r->err, IMLFS_E_REAL, "%s: line %zu, column %zu (byte %zu): %s", r->path,
			  imlfs_line_of(r->t, r->len, at), col, at, msg);
}

/* What is at the current position, for "found ...". */
static const char *found(const struct rp *r, char *buf, size_t size)
{
	unsigned char c;

	if (r->pos >= r->len)
		return "the end of the file";
	c = (unsigned char)r->t[r->pos];
	if (c == '{')
		return "an object '{'";
	if (c == '"')
		return "a string";
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
	return buf;
}

static void skip_ws(struct rp *r)
{
	while (r->pos < r->len && (r->t[r->pos] == ' ' || r->t[r->pos] == '\t' ||
				   r->t[r->pos] == '\n' || r->t[r->pos] == '\r'))
		r->pos++;
}

static bool at(const struct rp *r, char c)
{
	return r->pos < r->len && r->t[r->pos] == c;
}

static bool digit_at(const struct rp *r, size_t p)
{
	return p < r->len && r->t[p] >= '0' && r->t[p] <= '9';
}

/* The member entry e belongs to, for messages. */
static const char *image_of(const struct rp *r, uint32_t e)
{
	return e < r->m->nmembers ? imlfs_member_name(r->m, e) : "no image";
}

/* One class index of entry e: appended unless entry e has it already. */
static int parse_index(struct rp *r, uint32_t e)
{
	const struct imlfs_model *m = r->m;
	size_t start = r->pos, ndig;
	uint32_t v = 0;
	char buf[16];

	if (!digit_at(r, r->pos))
		return fail_at(r, r->pos, "entry %u (%s): expected a class index (an integer), "
			       "found %s; each entry is a list of class indices, " HINT,
			       e, image_of(r, e), found(r, buf, sizeof buf));
	while (digit_at(r, r->pos)) {
		if (v < 100000)
			v = v * 10 + (uint32_t)(r->t[r->pos] - '0');
		r->pos++;
	}
	ndig = r->pos - start;
	if (at(r, '.') || at(r, 'e') || at(r, 'E'))
		return fail_at(r, start, "entry %u (%s): class index %.*s... is not an integer; "
			       HINT, e, image_of(r, e), (int)(ndig > 12 ? 12 : ndig), r->t + start);
	if (ndig > 1 && r->t[start] == '0')
		return fail_at(r, start, "entry %u (%s): a number with a leading zero is not "
			       "JSON; " HINT, e, image_of(r, e));
	if (ndig > 6 || v >= m->nclasses) {
		const char *more = ndig > 12 ? "..." : "";

		if (!m->nclasses)
			return fail_at(r, start, "entry %u (%s): class index %.*s%s, but this mount "
				       "has no classes; give --labels or --classes too", e,
				       image_of(r, e), (int)(ndig > 12 ? 12 : ndig), r->t + start, more);
		return fail_at(r, start, "entry %u (%s): class index %.*s%s is out of range "
			       "0..%u; the file must use the sorted-wnid class order of the "
			       "classes file (or " HINT ")", e, image_of(r, e),
			       (int)(ndig > 12 ? 12 : ndig), r->t + start, more, m->nclasses - 1);
	}
	if (r->stamp[v] == e + 1)
		return 0;   /* a duplicate within the list */
	r->stamp[v] = e + 1;
	if (r->nlab >= UINT32_MAX || imlfs_grow(&r->lab, sizeof *r->lab, r->nlab, &r->cap))
		return imlfs_fail(r->err, IMLFS_E_NOMEM, "%s: out of memory reading the ReaL labels",
				  r->path);
	r->lab[r->nlab++] = (uint16_t)v;
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Entry e: '[' [index {',' index}] ']'. */
static int parse_entry(struct rp *r, uint32_t e)
{
	size_t first = r->nlab;
	char buf[16];

	if (e >= r->m->nmembers)
		return fail_at(r, r->pos, "entry %u: more lists than the tarball's %u images "
			       "(one list per image, in sorted name order); " HINT,
			       e, r->m->nmembers);
	if (!at(r, '['))
		return fail_at(r, r->pos, "entry %u (%s): expected a list of class indices, "
			       "found %s; " HINT, e, image_of(r, e), found(r, buf, sizeof buf));
	r->pos++;
	skip_ws(r);
	if (at(r, ']')) {
		r->pos++;
	} else {
		for (;;) {
			if (parse_index(r, e))
				return -1;
			skip_ws(r);
			if (at(r, ']')) {
				r->pos++;
				break;
			}
			if (!at(r, ','))
				return fail_at(r, r->pos, "entry %u (%s): expected ',' or ']' after a "
					       "class index, found %s; the file is damaged or not "
					       "real.json", e, image_of(r, e), found(r, buf, sizeof buf));
			r->pos++;
			skip_ws(r);
		}
	}
	if (r->nlab - first > 1)
		qsort(r->lab + first, r->nlab - first, sizeof *r->lab, cmp_u16);
	r->off[e + 1] = (uint32_t)r->nlab;
	return 0;
}

static int parse(struct rp *r)
{
	uint32_t n = 0;
	char buf[16];

	if (r->len >= 3 && !memcmp(r->t, "\xef\xbb\xbf", 3))
		r->pos = 3;   /* a UTF-8 byte-order mark, as some editors write */
	skip_ws(r);
	if (r->pos == r->len)
		return fail_at(r, r->pos, "the file is empty; expected a JSON list of lists of "
			       "class indices; " HINT);
	if (!at(r, '['))
		return fail_at(r, r->pos, "the top level is %s, not a list; expected a JSON list "
			       "of lists of class indices ([[class, ...], ...]); " HINT,
			       found(r, buf, sizeof buf));
	r->pos++;
	skip_ws(r);
	if (at(r, ']')) {
		r->pos++;
	} else {
		for (;; n++) {
			if (parse_entry(r, n))
				return -1;
			skip_ws(r);
			if (at(r, ']')) {
				r->pos++;
				n++;
				break;
			}
			if (!at(r, ','))
				return fail_at(r, r->pos, "expected ',' or ']' after entry %u, found "
					       "%s; the file is damaged or not real.json", n,
					       found(r, buf, sizeof buf));
			r->pos++;
			skip_ws(r);
		}
	}
	skip_ws(r);
	if (r->pos != r->len)
		return fail_at(r, r->pos, "unexpected %s after the list; the file is damaged or "
			       "not real.json", found(r, buf, sizeof buf));
	if (n != r->m->nmembers)
		return fail_at(r, r->pos, "%u lists, but the tarball has %u images (one list per "
			       "image, in sorted name order); " HINT, n, r->m->nmembers);
	return 0;
}

int imlfs_real_parse(struct imlfs_model *m, const char *path, const char *text, size_t len,
		     struct imlfs_error *err)
{
	struct rp r = { .m = m, .path = path, .t = text ? text : "", .len = text ? len : 0,
			.err = err };
	int rc;

	r.off = calloc((size_t)m->nmembers + 1, sizeof *r.off);
	r.stamp = calloc((size_t)m->nclasses + 1, sizeof *r.stamp);
	if (!r.off || !r.stamp) {
		rc = imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory reading the ReaL labels", path);
	} else {
		rc = parse(&r);
	}
	free(r.stamp);
	if (rc) {
		free(r.off);
		free(r.lab);
		return -1;
	}
	free(m->real_off);
	free(m->real);
	m->real_off = r.off;
	m->real = r.lab;
	m->nreal = (uint32_t)r.nlab;
	m->have |= IMLFS_HAVE_REAL;
	return 0;
}
