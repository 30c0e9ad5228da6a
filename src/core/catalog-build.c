/* SPDX-License-Identifier: MIT */
/* catalog-build.c — building the directory tree over the model, once, at
 * mount: the root, each split's folders (images/, pixels/, by-class/, the
 * expert-status and label-set views) and the text files.  catalog.c
 * answers lookups over what is built here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog-internal.h"
#include "imlfs/report.h"

/* Children of a plain directory under construction. */
struct kids {
	struct child *v;
	size_t n, cap;
};

static uint32_t add_string(struct imlfs_catalog *c, const char *s)
{
	uint32_t off;

	if (imlfs_buf_addstr(&c->strings, s, strlen(s), &off))
		c->failed = 1;
	return off;
}

static uint32_t new_dir(struct imlfs_catalog *c, uint32_t parent, const char *name, bool images)
{
	if (imlfs_grow(&c->dirs, sizeof *c->dirs, c->ndirs, &c->dirs_cap)) {
		c->failed = 1;
		return 0;
	}
	c->dirs[c->ndirs] = (struct dir){ .name = add_string(c, name), .parent = parent,
					  .images = images };
	return (uint32_t)c->ndirs++;
}

/* name: an offset in c->strings (offsets, since adding a string may move
 * the pool). */
static void add_kid_at(struct imlfs_catalog *c, struct kids *k, uint32_t name,
		       enum imlfs_node_kind kind, uint64_t ino, int64_t index)
{
	if (imlfs_grow(&k->v, sizeof *k->v, k->n, &k->cap)) {
		c->failed = 1;
		return;
	}
	k->v[k->n++] = (struct child){ .name = name,
				       .node = { .ino = ino, .kind = kind, .index = index } };
}

static void add_kid(struct imlfs_catalog *c, struct kids *k, const char *name,
		    enum imlfs_node_kind kind, uint64_t ino, int64_t index)
{
	add_kid_at(c, k, add_string(c, name), kind, ino, index);
}

static void add_pred(struct imlfs_catalog *c, struct kids *k, enum imlfs_pred_file f)
{
	if (imlfs_grow(&k->v, sizeof *k->v, k->n, &k->cap)) {
		c->failed = 1;
		return;
	}
	k->v[k->n].name = add_string(c, "predictions");
	pred_node(f, &k->v[k->n++].node);
}

static void add_reports(struct imlfs_catalog *c, struct kids *k, enum imlfs_pred_file f)
{
	for (int kind = 0; kind < IMLFS_NREPORTS; kind++) {
		if (imlfs_grow(&k->v, sizeof *k->v, k->n, &k->cap)) {
			c->failed = 1;
			return;
		}
		k->v[k->n].name = add_string(c, imlfs_report_name((enum imlfs_report_kind)kind));
		report_node(f, kind, &k->v[k->n++].node);
	}
}

/* The root's report.html, the scorecard (scorecard.h); the root has no
 * per-class.tsv. */
static void add_root_report(struct imlfs_catalog *c, struct kids *k)
{
	if (imlfs_grow(&k->v, sizeof *k->v, k->n, &k->cap)) {
		c->failed = 1;
		return;
	}
	k->v[k->n].name = add_string(c, imlfs_report_name(IMLFS_REPORT_HTML));
	report_node(IMLFS_PRED_ROOT, IMLFS_REPORT_HTML, &k->v[k->n++].node);
}

static void add_subdir(struct imlfs_catalog *c, struct kids *k, uint32_t d)
{
	if (c->failed)
		return;
	add_kid_at(c, k, c->dirs[d].name, IMLFS_NODE_DIR, IMLFS_INO_ROOT + d, d);
}

static int child_cmp(const void *a, const void *b, void *pool)
{
	const struct child *x = a, *y = b;

	return strcmp((const char *)pool + x->name, (const char *)pool + y->name);
}

/* Close a plain directory: its children, sorted, become one block. */
static void end_plain(struct imlfs_catalog *c, uint32_t d, struct kids *k)
{
	if (!c->failed) {
		if (k->n)
			qsort_r(k->v, k->n, sizeof *k->v, child_cmp, c->strings.p);
		c->dirs[d].first = (uint32_t)c->nchildren;
		c->dirs[d].n = (uint32_t)k->n;
		for (size_t i = 0; i < k->n; i++) {
			if (k->v[i].node.kind == IMLFS_NODE_DIR)
				c->dirs[d].nsub++;
			if (imlfs_grow(&c->children, sizeof *c->children, c->nchildren,
				       &c->children_cap)) {
				c->failed = 1;
				break;
			}
			c->children[c->nchildren++] = k->v[i];
		}
	}
	free(k->v);
	*k = (struct kids){ 0 };
}

/* An image directory holding members list[0..n), ascending. */
static uint32_t image_dir(struct imlfs_catalog *c, uint32_t parent, const char *name,
			  const uint32_t *list, uint32_t n)
{
	uint32_t d = new_dir(c, parent, name, true);

	if (c->failed)
		return d;
	c->dirs[d].first = (uint32_t)c->nlists;
	c->dirs[d].n = n;
	for (uint32_t k = 0; k < n; k++) {
		if (imlfs_grow(&c->lists, sizeof *c->lists, c->nlists, &c->lists_cap)) {
			c->failed = 1;
			return d;
		}
		c->lists[c->nlists++] = list[k];
		c->nlink[list[k]]++;
	}
	return d;
}

/* Which classes a member is filed under in a by-class style view. */
enum view { BY_LABEL, CORRECT, UNCLEAR, WRONG, SET_LABELS };

/* (s: the split, whose label set SET_LABELS files by) */
static uint32_t view_classes(const struct imlfs_model *m, uint32_t i, enum view v,
			     enum imlfs_split s, const uint16_t **cls, uint16_t *one)
{
	const struct imlfs_member *mem = &m->members[i];
	const uint16_t *ml = m->ml ? m->ml + mem->ml : NULL;

	switch (v) {
	case BY_LABEL:
		if (mem->label < 0)
			return 0;
		*one = (uint16_t)mem->label;
		*cls = one;
		return 1;
	case CORRECT:
		*cls = ml;
		return mem->n_correct;
	case UNCLEAR:
		*cls = ml ? ml + mem->n_correct : NULL;
		return mem->n_unclear;
	case SET_LABELS:
		return imlfs_labelset_labels(imlfs_split_set(m, s), i, cls);
	default:
		*cls = ml ? ml + mem->n_correct + mem->n_unclear : NULL;
		return mem->n_wrong;
	}
}

/* The two passes of a counting sort of (class, member) pairs of split s
 * under view v: without `out`, count each class's members into start[c+1];
 * with it, place each member at out[start[c]++] (members stay ascending). */
static void class_pairs(const struct imlfs_model *m, enum imlfs_split s, enum view v,
			uint32_t *start, uint32_t *out)
{
	uint16_t one;
	const uint16_t *cls;

	for (uint32_t i = 0; i < m->nmembers; i++) {
		if (!imlfs_in_split(m, i, s))
			continue;
		for (uint32_t n = view_classes(m, i, v, s, &cls, &one), j = 0; j < n; j++) {
			if (out)
				out[start[cls[j]]++] = i;
			else
				start[cls[j] + 1]++;
		}
	}
}

/* A plain directory `name` with one image directory per class (named by
 * wnid) that holds at least one image of split s under view v. */
static uint32_t class_dirs(struct imlfs_catalog *c, uint32_t parent, const char *name,
			   enum imlfs_split s, enum view v)
{
	const struct imlfs_model *m = c->m;
	uint32_t d = new_dir(c, parent, name, false), *start, *members = NULL;
	struct kids k = { 0 };

	start = calloc((size_t)m->nclasses + 1, sizeof *start);
	if (start) {
		class_pairs(m, s, v, start, NULL);
		for (uint32_t cl = 0; cl < m->nclasses; cl++)
			start[cl + 1] += start[cl];
		members = malloc(((size_t)start[m->nclasses] + 1) * sizeof *members);
	}
	if (!members) {
		free(start);
		c->failed = 1;
		return d;
	}
	class_pairs(m, s, v, start, members);
	/* start[cl] now marks the end of class cl's run. */
	for (uint32_t cl = 0, from = 0; cl < m->nclasses && !c->failed; from = start[cl++]) {
		if (start[cl] > from)
			add_subdir(c, &k, image_dir(c, d, imlfs_class_wnid(m, cl),
						    members + from, start[cl] - from));
	}
	free(members);
	free(start);
	end_plain(c, d, &k);
	return d;
}

/* Members of split s that also have all of `flags` (0: the whole split). */
static uint32_t *split_members(const struct imlfs_model *m, enum imlfs_split s,
			       uint8_t flags, uint32_t *n)
{
	uint32_t *v = imlfs_array_new(m->nmembers, sizeof *v);

	*n = 0;
	for (uint32_t i = 0; v && i < m->nmembers; i++)
		if (imlfs_in_split(m, i, s) && (m->members[i].flags & flags) == flags)
			v[(*n)++] = i;
	return v;
}

static uint32_t flat_dir(struct imlfs_catalog *c, uint32_t parent, const char *name,
			 enum imlfs_split s, uint8_t flags)
{
	uint32_t n, *v = split_members(c->m, s, flags, &n), d;

	if (!v) {
		c->failed = 1;
		return 0;
	}
	d = image_dir(c, parent, name, v, n);
	free(v);
	return d;
}

/* A split's pixels/ (its entries are computed: see the top). */
static uint32_t pixels_dir(struct imlfs_catalog *c, uint32_t parent, enum imlfs_split s)
{
	uint32_t d = new_dir(c, parent, "pixels", false);

	if (c->failed)
		return d;
	c->dirs[d].pixels = true;
	c->dirs[d].split = s;
	c->dirs[d].n = (uint32_t)(1 + 2 * c->nspecs);
	c->dirs[d].nsub = (uint32_t)c->nspecs;
	return d;
}

static uint32_t split_dir(struct imlfs_catalog *c, enum imlfs_split s)
{
	uint32_t d = new_dir(c, 0, imlfs_split_name(c->m, s), false);
	struct kids k = { 0 };

	add_pred(c, &k, imlfs_pred_of_split(s));
	add_reports(c, &k, imlfs_pred_of_split(s));
	c->images_dir[s] = flat_dir(c, d, "images", s, 0);
	add_subdir(c, &k, c->images_dir[s]);
	c->pixels_dir[s] = pixels_dir(c, d, s);
	add_subdir(c, &k, c->pixels_dir[s]);
	if (c->m->have & IMLFS_HAVE_LABELS)
		add_subdir(c, &k, class_dirs(c, d, "by-class", s, BY_LABEL));
	if (imlfs_split_set(c->m, s)) {
		add_subdir(c, &k, class_dirs(c, d, "labels", s, SET_LABELS));
	} else if (s != IMLFS_SPLIT_ALL) {
		add_subdir(c, &k, class_dirs(c, d, "correct", s, CORRECT));
		add_subdir(c, &k, class_dirs(c, d, "unclear", s, UNCLEAR));
		add_subdir(c, &k, class_dirs(c, d, "wrong", s, WRONG));
		add_subdir(c, &k, flat_dir(c, d, "problematic", s, IMLFS_M_PROBLEMATIC));
	}
	end_plain(c, d, &k);
	return d;
}

static void render_classes(struct imlfs_catalog *c)
{
	const struct imlfs_model *m = c->m;
	struct imlfs_buf *b = &c->texts[IMLFS_TEXT_CLASSES];

	for (uint32_t cl = 0; cl < m->nclasses; cl++)
		imlfs_buf_printf(b, "%u\t%s\t%s\n", cl, imlfs_class_wnid(m, cl),
				 imlfs_class_name(m, cl));
	imlfs_buf_add(b, "", 0);
	if (imlfs_buf_check(b))
		c->failed = 1;
}

static int spec_cmp(const void *a, const void *b)
{
	char x[IMLFS_PIXSPEC_NAME_SIZE], y[IMLFS_PIXSPEC_NAME_SIZE];

	imlfs_pixspec_format(a, x, sizeof x);
	imlfs_pixspec_format(b, y, sizeof y);
	return strcmp(x, y);
}

/* The specs pixels/ lists: the defaults and src's, sorted, each once. */
static void list_specs(struct imlfs_catalog *c, const struct imlfs_catalog_src *src)
{
	const char *p = IMLFS_PIXELS_DEFAULTS;
	size_t n = 0, cap = 4 + src->npixels;

	c->specs = calloc(cap, sizeof *c->specs);
	if (!c->specs) {
		c->failed = 1;
		return;
	}
	while (*p) {
		size_t len = strcspn(p, ":");

		/* the defaults are constants: they parse */
		if (n < cap && imlfs_pixspec_parse(p, len, &c->specs[n], NULL, 0) == 0)
			n++;
		p += len + (p[len] == ':');
	}
	for (size_t i = 0; i < src->npixels && n < cap; i++)
		c->specs[n++] = src->pixels[i];
	qsort(c->specs, n, sizeof *c->specs, spec_cmp);
	c->nspecs = 0;
	for (size_t i = 0; i < n; i++)
		if (!c->nspecs || spec_cmp(&c->specs[c->nspecs - 1], &c->specs[i]))
			c->specs[c->nspecs++] = c->specs[i];
}

struct imlfs_catalog *imlfs_catalog_new(const struct imlfs_catalog_src *src)
{
	struct imlfs_catalog *c = calloc(1, sizeof *c);
	const struct imlfs_model *m = src->model;
	struct kids k = { 0 };

	if (!c)
		return NULL;
	c->m = m;
	c->src = *src;
	c->nlink = imlfs_array_new(m->nmembers, sizeof *c->nlink);
	c->sidecar_size = imlfs_array_new(m->nmembers, sizeof *c->sidecar_size);
	if (!c->nlink || !c->sidecar_size) {
		imlfs_catalog_free(c);
		return NULL;
	}
	list_specs(c, src);
	new_dir(c, 0, "", false);
	add_kid(c, &k, "README", IMLFS_NODE_README, IMLFS_INO_SPECIAL + IMLFS_TEXT_README,
		IMLFS_TEXT_README);
	add_kid(c, &k, "classes.tsv", IMLFS_NODE_TEXT, IMLFS_INO_SPECIAL + IMLFS_TEXT_CLASSES,
		IMLFS_TEXT_CLASSES);
	add_pred(c, &k, IMLFS_PRED_ROOT);
	add_root_report(c, &k);
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++)
		if (imlfs_split_present(m, s))
			add_subdir(c, &k, split_dir(c, s));
	end_plain(c, 0, &k);
	render_classes(c);
	/* The README describes the finished tree, so it is rendered last, by
	 * its own module through the public API, before anyone else sees c. */
	if (!c->failed && src->readme &&
	    src->readme(c, src->readme_ctx, &c->texts[IMLFS_TEXT_README]))
		c->failed = 1;
	if (c->failed) {
		imlfs_catalog_free(c);
		return NULL;
	}
	return c;
}

void imlfs_catalog_free(struct imlfs_catalog *c)
{
	if (!c)
		return;
	free(c->dirs);
	free(c->children);
	free(c->lists);
	imlfs_buf_free(&c->strings);
	for (int t = 0; t < IMLFS_NTEXTS; t++)
		imlfs_buf_free(&c->texts[t]);
	free(c->nlink);
	free((void *)c->sidecar_size);
	free(c->specs);
	free(c);
}
