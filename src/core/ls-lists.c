/* SPDX-License-Identifier: MIT */
/* ls-lists.c — the "lists" label-set format: a JSON list with one list of
 * class indices per member, in sorted member order, as ReaL's real.json.
 *
 * Read by hand in one pass, no DOM, stopping at the first list past the
 * member count, so that memory is the result only.  It is also ReaL's
 * parser: under IMLFS_LS_REAL (load.c's real.json) the hints name
 * real.json and the places name the byte too, as ReaL's did before it was
 * a label set (test-real.c keeps those cases). */
#include <stdio.h>
#include <string.h>

#include "labelset-internal.h"

struct lp {
	struct ls_parse *p;
	size_t pos;
	const char *hint;
};

static void skip_ws(struct lp *r)
{
	const struct ls_parse *p = r->p;

	while (r->pos < p->len && (p->t[r->pos] == ' ' || p->t[r->pos] == '\t' ||
				   p->t[r->pos] == '\n' || p->t[r->pos] == '\r'))
		r->pos++;
}

static int at(const struct lp *r, char c)
{
	return r->pos < r->p->len && r->p->t[r->pos] == c;
}

static int digit_at(const struct lp *r, size_t i)
{
	return i < r->p->len && r->p->t[i] >= '0' && r->p->t[i] <= '9';
}

/* What is at the current position, for "found ...". */
static const char *found(const struct lp *r, char *buf, size_t size)
{
	unsigned char c;

	if (r->pos >= r->p->len)
		return "the end of the file";
	c = (unsigned char)r->p->t[r->pos];
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

static const char *image_of(const struct lp *r, uint32_t e)
{
	return e < r->p->m->nmembers ? imlfs_member_name(r->p->m, e) : "no image";
}

/* One class index of entry e. */
static int parse_index(struct lp *r, uint32_t e)
{
	struct ls_parse *p = r->p;
	size_t start = r->pos, ndig;
	uint32_t v = 0;
	char buf[16];
	int cut;

	if (!digit_at(r, r->pos))
		return ls_fail_at(p, r->pos, "entry %u (%s): expected a class index (an integer), "
				  "found %s; each entry is a list of class indices; %s", e,
				  image_of(r, e), found(r, buf, sizeof buf), r->hint);
	while (digit_at(r, r->pos)) {
		if (v < 100000)
			v = v * 10 + (uint32_t)(p->t[r->pos] - '0');
		r->pos++;
	}
	ndig = r->pos - start;
	cut = (int)(ndig > 12 ? 12 : ndig);
	if (at(r, '.') || at(r, 'e') || at(r, 'E'))
		return ls_fail_at(p, start, "entry %u (%s): class index %.*s... is not an integer; "
				  "%s", e, image_of(r, e), cut, p->t + start, r->hint);
	if (ndig > 1 && p->t[start] == '0')
		return ls_fail_at(p, start, "entry %u (%s): a number with a leading zero is not "
				  "JSON; %s", e, image_of(r, e), r->hint);
	if (ndig > 6 || v >= p->m->nclasses) {
		const char *more = ndig > 12 ? "..." : "";

		if (!p->m->nclasses)
			return ls_fail_at(p, start, "entry %u (%s): class index %.*s%s, but this "
					  "mount has no classes; give --labels or --classes too", e,
					  image_of(r, e), cut, p->t + start, more);
		return ls_fail_at(p, start, "entry %u (%s): class index %.*s%s is out of range "
				  "0..%u; the file must use the sorted-wnid class order of the "
				  "classes file (%s)", e, image_of(r, e), cut, p->t + start, more,
				  p->m->nclasses - 1, r->hint);
	}
	return ls_list_add(p, v);
}

/* Entry e: '[' [index {',' index}] ']'. */
static int parse_entry(struct lp *r, uint32_t e)
{
	struct ls_parse *p = r->p;
	char buf[16];

	if (e >= p->m->nmembers)
		return ls_fail_at(p, r->pos, "entry %u: more lists than the tarball's %u images "
				  "(one list per image, in sorted name order); %s", e,
				  p->m->nmembers, r->hint);
	if (!at(r, '['))
		return ls_fail_at(p, r->pos, "entry %u (%s): expected a list of class indices, "
				  "found %s; %s", e, image_of(r, e), found(r, buf, sizeof buf),
				  r->hint);
	r->pos++;
	skip_ws(r);
	ls_list_begin(p);
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
				return ls_fail_at(p, r->pos, "entry %u (%s): expected ',' or ']' "
						  "after a class index, found %s; the file is "
						  "damaged or not JSON lists", e, image_of(r, e),
						  found(r, buf, sizeof buf));
			r->pos++;
			skip_ws(r);
		}
	}
	/* Entries come in member order, one each: never listed twice. */
	return ls_list_end(p, e, e + 1) < 0 ? -1 : 0;
}

int imlfs_ls_lists(struct ls_parse *p)
{
	struct lp r = { .p = p };
	uint32_t n = 0;
	char buf[16];

	r.hint = p->flags & IMLFS_LS_REAL
		? "give the real.json of google-research/reassessed-imagenet for this tarball"
		: "a label set of JSON lists has one list of class indices per image of the "
		  "tarball, in sorted name order, as ReaL's real.json";
	skip_ws(&r);
	if (r.pos == p->len)
		return ls_fail_at(p, r.pos, "the file is empty; expected a JSON list of lists of "
				  "class indices; %s", r.hint);
	if (!at(&r, '['))
		return ls_fail_at(p, r.pos, "the top level is %s, not a list; expected a JSON "
				  "list of lists of class indices ([[class, ...], ...]); %s",
				  found(&r, buf, sizeof buf), r.hint);
	r.pos++;
	skip_ws(&r);
	if (at(&r, ']')) {
		r.pos++;
	} else {
		for (;; n++) {
			if (parse_entry(&r, n))
				return -1;
			skip_ws(&r);
			if (at(&r, ']')) {
				r.pos++;
				n++;
				break;
			}
			if (!at(&r, ','))
				return ls_fail_at(p, r.pos, "expected ',' or ']' after entry %u, "
						  "found %s; the file is damaged or not JSON lists",
						  n, found(&r, buf, sizeof buf));
			r.pos++;
			skip_ws(&r);
		}
	}
	skip_ws(&r);
	if (r.pos != p->len)
		return ls_fail_at(p, r.pos, "unexpected %s after the list; the file is damaged or "
				  "not JSON lists", found(&r, buf, sizeof buf));
	if (n != p->m->nmembers)
		return ls_fail_at(p, r.pos, "%u lists, but the tarball has %u images (one list per "
				  "image, in sorted name order); %s", n, p->m->nmembers, r.hint);
	return 0;
}
