/* SPDX-License-Identifier: MIT */
/* annotations.c — the expert multi-labels (see annotations.h).
 *
 * The ~200 MB text (mapped by the loader) is validated and cut into
 * top-level members by jsonscan.c without allocating; jansson then builds
 * only the three members imlfs uses (a few MB), which are turned into the
 * model and dropped before return (the loader then hands the freed DOM
 * back to the kernel), so a mounted daemon stays small.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/annotations.h"
#include "imlfs/classes.h"
#include "imlfs/jsonscan.h"
#include "imlfs/util.h"

#define VAL_PREFIX "ILSVRC2012_val_"
#define NOT_ANNOT "the file is not the annotation JSON (human_accuracy_v3.0.0.json)"

enum { K_ANNOTS, K_PROBLEMATIC, K_IMAGENET_M, NKEYS };
static const char *const key_names[NKEYS] = {"initial_annots", "problematic_images", "imagenet_m"};
/* The three runs of a member, in the order they are stored in ml[]. */
static const char *const run_names[3] = {"correct", "unclear", "wrong"};

struct ann {
	struct imlfs_model *m;
	const char *path;
	const char *text;              /* the file's bytes */
	size_t len;
	struct imlfs_json_member mem[NKEYS];
	int found[NKEYS];
	json_t *val[NKEYS];
	json_t **ent;                  /* per member: its initial_annots entry */
	struct imlfs_error *err;
};

static int visit(void *ctx, const struct imlfs_json_member *mem)
{
	struct ann *a = ctx;

	for (int k = 0; k < NKEYS; k++) {
		if (mem->key_len == strlen(key_names[k]) &&
		    memcmp(mem->key, key_names[k], mem->key_len) == 0) {
			a->mem[k] = *mem;   /* a repeated key: the last wins, as in Python */
			a->found[k] = 1;
		}
	}
	return 0;
}

static size_t line_at(const struct ann *a, size_t off)
{
	return imlfs_line_of(a->text, a->len, off);
}

static int syntax_error(struct ann *a, size_t off, const char *what)
{
	const char *nl;
	size_t col;

	if (off > a->len)
		off = a->len;
	nl = memrchr(a->text, '\n', off);
	col = off - (nl ? (size_t)(nl - a->text) + 1 : 0) + 1;
	return imlfs_fail(a->err, IMLFS_E_JSON, "%s: line %zu, column %zu: %s; the file is damaged "
			  "or not the annotation JSON", a->path, line_at(a, off), col, what);
}

/* Offset of the quoted string s in the text of member k, searching from
 * `from`; the member's start when it is not there as written (escapes). */
static size_t find_quoted(const struct ann *a, int k, size_t from, const char *s)
{
	size_t start = a->mem[k].value_off, end = start + a->mem[k].value_len, n = strlen(s);
	const char *p;
	char *needle;

	if (from < start || from > end)
		from = start;
	needle = malloc(n + 3);
	if (!needle)
		return from;
	needle[0] = '"';
	memcpy(needle + 1, s, n);
	needle[n + 1] = '"';
	needle[n + 2] = '\0';
	p = memmem(a->text + from, end - from, needle, n + 2);
	free(needle);
	return p ? (size_t)(p - a->text) : from;
}

/* Line of image's entry in member k, or of wnid within that entry. */
static size_t image_line(const struct ann *a, int k, const char *image, const char *wnid)
{
	size_t off = find_quoted(a, k, 0, image);

	if (wnid)
		off = find_quoted(a, k, off, wnid);
	return line_at(a, off);
}

static int image_error(struct ann *a, int code, int k, const char *image, const char *wnid,
		       const char *what)
{
	size_t line = image_line(a, k, image, wnid);

	if (code == IMLFS_E_WNID)
		return imlfs_fail(a->err, code, "%s: line %zu: image %s: wnid %s is not among the %u "
				  "classes; %s", a->path, line, image, wnid, a->m->nclasses,
				  a->m->have & IMLFS_HAVE_CLASSES ? "use the classes file that has it"
				  : "give the full class list with --classes FILE");
	return imlfs_fail(a->err, code, "%s: line %zu: image %s: %s; " NOT_ANNOT, a->path, line,
			  image, what);
}

static int64_t find_image(const struct imlfs_model *m, const char *name)
{
	size_t len = strlen(name);
	int64_t i = imlfs_find_member(m, name, len);
	const char *dot = strrchr(name, '.');

	/* The tar's names may carry another extension than the file's keys. */
	if (i < 0)
		i = imlfs_find_stem(m, name, dot && dot != name ? (size_t)(dot - name) : len);
	return i;
}

/* Load member k's value with jansson; a syntax error jansson finds that the
 * scanner did not (huge numbers, bad surrogates) is placed in the file. */
static int load_member(struct ann *a, int k)
{
	const struct imlfs_json_member *mem = &a->mem[k];
	json_error_t je;

	a->val[k] = json_loadb(a->text + mem->value_off, mem->value_len,
			       JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!a->val[k])
		return syntax_error(a, mem->value_off + (size_t)(je.position > 0 ? je.position : 0),
				    je.text);
	return 0;
}

static int schema_key(struct ann *a, int k, const char *want)
{
	if (!a->found[k])
		return imlfs_fail(a->err, IMLFS_E_SCHEMA, "%s: line 1: no \"%s\" key at the top level; "
				  NOT_ANNOT, a->path, key_names[k]);
	return imlfs_fail(a->err, IMLFS_E_SCHEMA, "%s: line %zu: \"%s\" is not %s; " NOT_ANNOT,
			  a->path, line_at(a, a->mem[k].value_off), key_names[k], want);
}

/* Check one initial_annots entry's shape. */
static int check_entry(struct ann *a, const char *image, json_t *e)
{
	if (!json_is_object(e))
		return image_error(a, IMLFS_E_SCHEMA, K_ANNOTS, image, NULL,
				   "the value is not an object of wnid lists");
	for (int r = 0; r < 3; r++) {
		json_t *arr = json_object_get(e, run_names[r]), *w;
		size_t i;
		char what[64];

		if (!arr)
			continue;
		snprintf(what, sizeof what, "\"%s\" is not an array of wnids", run_names[r]);
		if (!json_is_array(arr))
			return image_error(a, IMLFS_E_SCHEMA, K_ANNOTS, image, NULL, what);
		json_array_foreach(arr, i, w)
			if (!json_is_string(w))
				return image_error(a, IMLFS_E_SCHEMA, K_ANNOTS, image, NULL, what);
	}
	return 0;
}

/* Walk initial_annots: shapes, counts, and each member's entry. */
static int scan_annots(struct ann *a, size_t *nwnids)
{
	struct imlfs_model *m = a->m;
	const char *image;
	json_t *e;

	json_object_foreach(a->val[K_ANNOTS], image, e) {
		int64_t i;

		m->stats.annots_total++;
		if (strncmp(image, VAL_PREFIX, strlen(VAL_PREFIX)) != 0) {
			m->stats.annots_other++;
			continue;
		}
		if (check_entry(a, image, e))
			return -1;
		for (int r = 0; r < 3; r++)
			*nwnids += json_array_size(json_object_get(e, run_names[r]));
		i = find_image(m, image);
		if (i < 0)
			m->stats.annots_not_in_tar++;
		else
			a->ent[i] = e;
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* No labels and no classes file: the classes are the sorted distinct
 * wnids of the ILSVRC2012 entries (all of them, so that a partial tarball
 * gets the same classes as the full one). */
static int make_classes(struct ann *a, size_t nwnids)
{
	const char **w = malloc((nwnids ? nwnids : 1) * sizeof *w), *image;
	size_t n = 0;
	json_t *e;
	int rc = 0;

	if (!w)
		return imlfs_fail(a->err, IMLFS_E_NOMEM, "%s: out of memory", a->path);
	json_object_foreach(a->val[K_ANNOTS], image, e) {
		if (strncmp(image, VAL_PREFIX, strlen(VAL_PREFIX)) != 0)
			continue;
		for (int r = 0; r < 3 && !rc; r++) {
			json_t *arr = json_object_get(e, run_names[r]), *s;
			size_t i;

			json_array_foreach(arr, i, s) {
				const char *str = json_string_value(s);

				if (!imlfs_is_wnid(str, json_string_length(s))) {
					rc = imlfs_fail(a->err, IMLFS_E_WNID, "%s: line %zu: image %s: \"%s\" "
							"is not a WordNet id like n01440764; " NOT_ANNOT,
							a->path, image_line(a, K_ANNOTS, image, str), image, str);
					break;
				}
				w[n++] = str;
			}
		}
		if (rc)
			break;
	}
	qsort(w, n, sizeof *w, cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		if (i && strcmp(w[i], w[i - 1]) == 0)
			continue;
		if (imlfs_model_add_class(a->m, w[i], 9, w[i], 9) < 0)
			rc = imlfs_fail(a->err, IMLFS_E_NOMEM, "%s: out of memory or more than %d "
					"classes", a->path, IMLFS_MAX_CLASSES);
	}
	free(w);
	if (!rc && imlfs_model_finish(a->m))
		rc = imlfs_fail(a->err, IMLFS_E_NOMEM, "%s: out of memory", a->path);
	return rc;
}

static int cmp_u16(const void *x, const void *y)
{
	return (int)*(const uint16_t *)x - (int)*(const uint16_t *)y;
}

/* Store each annotated member's three runs, in member order. */
static int fill_members(struct ann *a, size_t nwnids)
{
	struct imlfs_model *m = a->m;
	uint16_t *ml = realloc(m->ml, ((size_t)m->nml + nwnids + 1) * sizeof *ml);

	if (!ml)
		return imlfs_fail(a->err, IMLFS_E_NOMEM, "%s: out of memory", a->path);
	m->ml = ml;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		struct imlfs_member *mb = &m->members[i];
		json_t *e = a->ent[i];
		uint16_t n[3];

		if (!e)
			continue;
		mb->ml = m->nml;
		for (int r = 0; r < 3; r++) {
			json_t *arr = json_object_get(e, run_names[r]), *s;
			uint16_t *run = ml + m->nml;
			size_t j, k = 0;

			json_array_foreach(arr, j, s) {
				int32_t c = imlfs_find_wnid(m, json_string_value(s), json_string_length(s));

				if (c < 0)
					return image_error(a, IMLFS_E_WNID, K_ANNOTS,
							   imlfs_member_name(m, i), json_string_value(s), NULL);
				run[k++] = (uint16_t)c;
			}
			qsort(run, k, sizeof *run, cmp_u16);
			n[r] = 0;
			for (size_t t = 0; t < k; t++)
				if (t == 0 || run[t] != run[t - 1])
					run[n[r]++] = run[t];
			m->nml += n[r];
		}
		mb->n_correct = n[0];
		mb->n_unclear = n[1];
		mb->n_wrong = n[2];
		mb->flags |= IMLFS_M_ANNOTATED;
	}
	/* Room was made for every listed wnid; keep only what was stored. */
	ml = realloc(m->ml, ((size_t)m->nml + 1) * sizeof *ml);
	if (ml)
		m->ml = ml;
	return 0;
}

static int fill_flags(struct ann *a)
{
	struct imlfs_model *m = a->m;
	const char *image;
	json_t *e;
	size_t j;

	json_object_foreach(a->val[K_PROBLEMATIC], image, e) {
		int64_t i = find_image(m, image);

		m->stats.problematic_total++;
		if (i < 0)
			m->stats.problematic_not_in_tar++;
		else
			m->members[i].flags |= IMLFS_M_PROBLEMATIC;
	}
	if (!a->val[K_IMAGENET_M])
		return 0;
	json_array_foreach(a->val[K_IMAGENET_M], j, e) {
		int64_t i;

		if (!json_is_string(e))
			return imlfs_fail(a->err, IMLFS_E_SCHEMA, "%s: line %zu: \"imagenet_m\" entry %zu is "
					  "not an image name; " NOT_ANNOT, a->path,
					  line_at(a, a->mem[K_IMAGENET_M].value_off), j);
		m->stats.imagenet_m_total++;
		i = find_image(m, json_string_value(e));
		if (i < 0)
			m->stats.imagenet_m_not_in_tar++;
		else
			m->members[i].flags |= IMLFS_M_IMAGENET_M;
	}
	m->have |= IMLFS_HAVE_IMAGENET_M;
	return 0;
}

static int convert(struct ann *a)
{
	size_t nwnids = 0;

	if (!a->found[K_ANNOTS] || !json_is_object(a->val[K_ANNOTS]))
		return schema_key(a, K_ANNOTS, "an object (image -> wnid lists)");
	if (!a->found[K_PROBLEMATIC] || !json_is_object(a->val[K_PROBLEMATIC]))
		return schema_key(a, K_PROBLEMATIC, "an object (image -> details)");
	if (a->found[K_IMAGENET_M] && !json_is_array(a->val[K_IMAGENET_M]))
		return schema_key(a, K_IMAGENET_M, "an array of image names");
	a->ent = calloc(a->m->nmembers ? a->m->nmembers : 1, sizeof *a->ent);
	if (!a->ent)
		return imlfs_fail(a->err, IMLFS_E_NOMEM, "%s: out of memory", a->path);
	if (scan_annots(a, &nwnids))
		return -1;
	if (a->m->nclasses == 0 && make_classes(a, nwnids))
		return -1;
	if (fill_members(a, nwnids) || fill_flags(a))
		return -1;
	a->m->have |= IMLFS_HAVE_ANNOTATIONS;
	return 0;
}

static int parse(struct ann *a)
{
	size_t off = 0;
	const char *what = NULL;

	if (imlfs_json_scan(a->text, a->len, visit, a, &off, &what))
		return syntax_error(a, off, what ? what : "syntax error");
	for (int k = 0; k < NKEYS; k++)
		if (a->found[k] && load_member(a, k))
			return -1;
	return convert(a);
}

int imlfs_annotations_parse(struct imlfs_model *m, const char *name, const char *text, size_t len,
			    struct imlfs_error *err)
{
	struct ann a = {.m = m, .path = name, .text = text ? text : "", .len = text ? len : 0,
			.err = err};
	int rc = parse(&a);

	for (int k = 0; k < NKEYS; k++)
		json_decref(a.val[k]);
	free(a.ent);
	return rc;
}
