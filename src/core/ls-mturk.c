/* SPDX-License-Identifier: MIT */
/* ls-mturk.c — the "mturk" label-set format: cleanlab's
 * imagenet_mturk.json, and the paper's majority rule (labelset.h).
 *
 * The list is walked by hand and each entry alone is handed to jansson:
 * the memory at any time is one entry's DOM (entries are refused past
 * IMLFS_MTURK_ENTRY_MAX bytes), however long the file, and an error can
 * name the entry and its line.  The real file has 5,440 entries of about
 * 370 bytes. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/classes.h"
#include "imlfs/util.h"
#include "labelset-internal.h"

#define HINT "the file must be cleanlab's imagenet_mturk.json for this tarball"

struct mp {
	struct ls_parse *p;
	size_t pos;
	uint32_t *seen;        /* bits: members an entry named */
};

static void skip_ws(struct mp *r)
{
	const struct ls_parse *p = r->p;

	while (r->pos < p->len && (p->t[r->pos] == ' ' || p->t[r->pos] == '\t' ||
				   p->t[r->pos] == '\n' || p->t[r->pos] == '\r'))
		r->pos++;
}

/* The end of the JSON value at r->pos (an object or a list, with strings
 * skipped whole), bounded: the syntax itself is jansson's to check. */
static int extent(struct mp *r, uint32_t e, size_t *end)
{
	const struct ls_parse *p = r->p;
	size_t i = r->pos, depth = 0;
	int str = 0;

	for (; i < p->len && i - r->pos < IMLFS_MTURK_ENTRY_MAX; i++) {
		char c = p->t[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = 0;
		} else if (c == '"') {
			str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			*end = i + 1;
			return 0;
		}
	}
	if (i >= p->len)
		return ls_fail_at(r->p, r->pos, "entry %u never ends; the file is cut short or "
				  "damaged; " HINT, e);
	return ls_fail_at(r->p, r->pos, "entry %u is longer than %d bytes; each entry is one "
			  "small object; " HINT, e, IMLFS_MTURK_ENTRY_MAX);
}

/* Integer key `key` of o in lo..hi, in *v. */
static int get_int(struct mp *r, size_t at, uint32_t e, json_t *o, const char *where,
		   const char *key, json_int_t lo, json_int_t hi, json_int_t *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j))
		return ls_fail_at(r->p, at, "entry %u: %s%s is %s, not an integer; " HINT, e,
				  where, key, j ? "of another type" : "missing");
	*v = json_integer_value(j);
	if (*v < lo || *v > hi)
		return ls_fail_at(r->p, at, "entry %u: %s%s is %lld, out of range %lld..%lld; "
				  HINT, e, where, key, (long long)*v, (long long)lo, (long long)hi);
	return 0;
}

/* A "url" ends in .../WNID/ILSVRC2012_val_N.JPEG: N must be the id's file
 * and WNID the given label's, or the file's numbering or class order is
 * not the mount's. */
static int check_url(struct mp *r, size_t at, uint32_t e, json_t *o, uint32_t i,
		     uint32_t given)
{
	const struct imlfs_model *m = r->p->m;
	json_t *j = json_object_get(o, "url");
	const char *u, *base, *dir;
	const char *name = imlfs_member_name(m, i);
	size_t len;

	if (!json_is_string(j))
		return 0;
	u = json_string_value(j);
	len = json_string_length(j);
	base = memrchr(u, '/', len);
	if (!base)
		return 0;
	if (strcmp(base + 1, name) && (strlen(base + 1) != imlfs_stem_len(name) ||
				       memcmp(base + 1, name, imlfs_stem_len(name))))
		return ls_fail_at(r->p, at, "entry %u: id %s, but its url names %.60s; ids are the "
				  "1-based validation file numbers; " HINT, e, name, base + 1);
	dir = base > u ? memrchr(u, '/', (size_t)(base - u)) : NULL;
	if (dir && imlfs_is_wnid(dir + 1, (size_t)(base - dir - 1)) && m->nclasses &&
	    memcmp(dir + 1, imlfs_class_wnid(m, given), 9))
		return ls_fail_at(r->p, at, "entry %u (%s): given_original_label %u is %s here, but "
				  "its url says %.9s; the file's class indices must be the mount's "
				  "(sorted wnids)", e, name, given, imlfs_class_wnid(m, given),
				  dir + 1);
	return 0;
}

/* Entry e, the object at [at, end): its member and outcome. */
static int entry(struct mp *r, uint32_t e, size_t at, size_t end)
{
	struct ls_parse *p = r->p;
	const struct imlfs_model *m = p->m;
	static const char *const votes[4] = { "given", "guessed", "both", "neither" };
	json_error_t je;
	json_t *o = json_loadb(p->t + at, end - at, JSON_REJECT_DUPLICATES, &je), *mt;
	json_int_t id, given, guessed, v[4], sum = 0;
	char stem[32];
	int64_t i;
	int rc = -1, win = -1;

	if (!o)
		return ls_fail_at(p, at + (je.position > 0 ? (size_t)je.position - 1 : 0),
				  "entry %u: %s; " HINT, e, je.text);
	if (!json_is_object(o)) {
		ls_fail_at(p, at, "entry %u is not an object; " HINT, e);
		goto out;
	}
	if (get_int(r, at, e, o, "", "id", 1, 99999999, &id) ||
	    get_int(r, at, e, o, "", "given_original_label", 0, (json_int_t)m->nclasses - 1,
		    &given) ||
	    get_int(r, at, e, o, "", "our_guessed_label", 0, (json_int_t)m->nclasses - 1,
		    &guessed))
		goto out;
	snprintf(stem, sizeof stem, "ILSVRC2012_val_%08lld", (long long)id);
	i = ls_member(m, stem, strlen(stem));
	if (i < 0) {
		ls_fail_at(p, at, "entry %u: id %lld, but the tarball has no %s.JPEG; ids are the "
			   "1-based validation file numbers; " HINT, e, (long long)id, stem);
		goto out;
	}
	if (r->seen[i / 32] >> (i % 32) & 1u) {
		ls_fail_at(p, at, "entry %u: id %lld is listed again; give each image one entry",
			   e, (long long)id);
		goto out;
	}
	r->seen[i / 32] |= 1u << (i % 32);
	if ((m->have & IMLFS_HAVE_LABELS) && m->members[i].label >= 0 &&
	    m->members[i].label != given) {
		ls_fail_at(p, at, "entry %u (%s): given_original_label %lld, but the mount's label "
			   "is %d; " HINT " and its class indices", e, stem, (long long)given,
			   m->members[i].label);
		goto out;
	}
	if (check_url(r, at, e, o, (uint32_t)i, (uint32_t)given))
		goto out;
	mt = json_object_get(o, "mturk");
	if (!json_is_object(mt)) {
		ls_fail_at(p, at, "entry %u: mturk is %s, not an object of vote counts; " HINT, e,
			   mt ? "of another type" : "missing");
		goto out;
	}
	for (int k = 0; k < 4; k++) {
		if (get_int(r, at, e, mt, "mturk.", votes[k], 0, IMLFS_MTURK_VOTES, &v[k]))
			goto out;
		sum += v[k];
		if (v[k] >= IMLFS_MTURK_MAJORITY)
			win = k;
	}
	if (sum > IMLFS_MTURK_VOTES) {
		ls_fail_at(p, at, "entry %u: %lld votes, more than the %d each image had; " HINT, e,
			   (long long)sum, IMLFS_MTURK_VOTES);
		goto out;
	}
	/* At most 5 votes: no two answers can both have 3. */
	rc = 0;
	if (win < 0) {
		p->outcome[IMLFS_LS_NO_MAJORITY]++;
	} else if (win == 3) {
		p->outcome[IMLFS_LS_NEITHER]++;
	} else {
		p->outcome[win == 0 ? IMLFS_LS_GIVEN : win == 1 ? IMLFS_LS_GUESSED : IMLFS_LS_BOTH]++;
		ls_list_begin(p);
		if ((win != 1 && ls_list_add(p, (uint32_t)given)) ||
		    (win != 0 && ls_list_add(p, (uint32_t)guessed)) ||
		    ls_list_end(p, (uint32_t)i, e + 1) < 0)
			rc = -1;
	}
out:
	json_decref(o);
	return rc;
}

/* Images no entry names keep their original label. */
static int keep_the_rest(struct mp *r, uint32_t nentries)
{
	struct ls_parse *p = r->p;

	for (uint32_t i = 0; i < p->m->nmembers; i++) {
		int32_t label = p->m->members[i].label;

		if ((r->seen[i / 32] >> (i % 32) & 1u) || label < 0)
			continue;
		ls_list_begin(p);
		if (ls_list_add(p, (uint32_t)label) || ls_list_end(p, i, nentries + 1) < 0)
			return -1;
		p->outcome[IMLFS_LS_KEPT]++;
	}
	return 0;
}

int imlfs_ls_mturk(struct ls_parse *p)
{
	struct mp r = { .p = p };
	uint32_t e = 0;
	int rc = -1;

	if (!p->m->nclasses)
		return ls_fail_line(p, 1, "cleanlab's labels are class indices, but this mount has "
				    "no classes; give --labels or --classes too");
	r.seen = imlfs_array_new((size_t)p->m->nmembers / 32 + 1, sizeof *r.seen);
	if (!r.seen)
		return ls_nomem(p);
	skip_ws(&r);
	r.pos++;   /* the '[' it was recognised by */
	for (;; e++) {
		size_t end = 0;

		skip_ws(&r);
		if (r.pos >= p->len || p->t[r.pos] != '{') {
			ls_fail_at(p, r.pos, "entry %u: expected an object '{', found %s; " HINT, e,
				   r.pos >= p->len ? "the end of the file" : "something else");
			goto out;
		}
		if (extent(&r, e, &end) || entry(&r, e, r.pos, end))
			goto out;
		r.pos = end;
		skip_ws(&r);
		if (r.pos < p->len && p->t[r.pos] == ']')
			break;
		if (r.pos >= p->len || p->t[r.pos] != ',') {
			ls_fail_at(p, r.pos, "expected ',' or ']' after entry %u; the file is cut "
				   "short or damaged; " HINT, e);
			goto out;
		}
		r.pos++;
	}
	r.pos++;
	skip_ws(&r);
	if (r.pos != p->len) {
		ls_fail_at(p, r.pos, "text after the list; the file is damaged; " HINT);
		goto out;
	}
	rc = keep_the_rest(&r, e + 1);
out:
	free(r.seen);
	return rc;
}
