/* SPDX-License-Identifier: MIT */
/* catalog.c — the directory tree over the model.
 *
 * There are two kinds of directory.  A "plain" directory (the root, a split,
 * by-class/, correct/, ...) has a few named children kept sorted by name for
 * binary search.  An "image" directory (images/, by-class/WNID/, problematic/
 * ...) holds a sorted list of member indices and lists each as X.JPEG then
 * X.json; a lookup there parses the name and searches the list, so even
 * 50,000-entry folders cost no per-entry memory beyond one uint32_t.
 *
 * A split's pixels/ folder is a third kind: it lists labels.npy and, for
 * each listed spec, SPEC/ and SPEC.npy, but a lookup parses the name, so
 * any valid spec is found.  Its SPEC/ folders are not in dirs[]: they are
 * computed from their inode numbers (catalog.h), and list the members of
 * the split's images/ folder.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/npy.h"
#include "imlfs/catalog.h"
#include "imlfs/report.h"
#include "imlfs/sidecar.h"
#include "imlfs/util.h"

struct dir {
	uint32_t name;        /* offset in c->strings */
	uint32_t parent;      /* directory id */
	uint32_t nsub;        /* subdirectories, for st_nlink */
	uint32_t first, n;    /* children[] (plain) or lists[] (image) range */
	bool images;
	bool pixels;          /* a split's pixels/: n = 1 + 2 * nspecs */
	enum imlfs_split split;   /* pixels/: whose */
};

struct child {
	uint32_t name;        /* offset in c->strings */
	struct imlfs_node node;
};

struct imlfs_catalog {
	const struct imlfs_model *m;
	struct imlfs_catalog_src src;
	struct dir *dirs;
	size_t ndirs, dirs_cap;
	struct child *children;
	size_t nchildren, children_cap;
	uint32_t *lists;
	size_t nlists, lists_cap;
	struct imlfs_buf strings;
	struct imlfs_buf texts[IMLFS_NTEXTS];
	uint16_t *nlink;                 /* per member: folders holding it */
	_Atomic uint32_t *sidecar_size;  /* per member, 0 = not yet known */
	struct imlfs_pixspec *specs;     /* listed in pixels/, sorted by name */
	size_t nspecs;
	uint32_t images_dir[IMLFS_NSPLITS];  /* each split's images/ (0: none) */
	uint32_t pixels_dir[IMLFS_NSPLITS];  /* and its pixels/ */
	int failed;                      /* out of memory while building */
};

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

/* The node of predictions file f. */
static void pred_node(enum imlfs_pred_file f, struct imlfs_node *node)
{
	*node = (struct imlfs_node){ .ino = IMLFS_INO_PREDICTIONS + f,
				     .kind = IMLFS_NODE_PREDICTIONS, .pred = f };
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

/* The node of predictions file f's report file `kind`. */
static void report_node(enum imlfs_pred_file f, int kind, struct imlfs_node *node)
{
	*node = (struct imlfs_node){ .ino = IMLFS_INO_REPORT + 2ULL * f + (uint64_t)kind,
				     .kind = IMLFS_NODE_REPORT, .pred = f, .index = kind };
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
enum view { BY_LABEL, CORRECT, UNCLEAR, WRONG, REAL_LABELS };

static uint32_t view_classes(const struct imlfs_model *m, uint32_t i, enum view v,
			     const uint16_t **cls, uint16_t *one)
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
	case REAL_LABELS:
		return imlfs_real_labels(m, i, cls);
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
		for (uint32_t n = view_classes(m, i, v, &cls, &one), j = 0; j < n; j++) {
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
	uint32_t d = new_dir(c, 0, imlfs_split_name(s), false);
	struct kids k = { 0 };

	add_pred(c, &k, imlfs_pred_of_split(s));
	add_reports(c, &k, imlfs_pred_of_split(s));
	c->images_dir[s] = flat_dir(c, d, "images", s, 0);
	add_subdir(c, &k, c->images_dir[s]);
	c->pixels_dir[s] = pixels_dir(c, d, s);
	add_subdir(c, &k, c->pixels_dir[s]);
	if (c->m->have & IMLFS_HAVE_LABELS)
		add_subdir(c, &k, class_dirs(c, d, "by-class", s, BY_LABEL));
	if (s == IMLFS_SPLIT_REAL) {
		add_subdir(c, &k, class_dirs(c, d, "labels", s, REAL_LABELS));
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

/* Pixel inode numbers (catalog.h). */
#define PIX_SPEC_SHIFT 34
#define PIX_SPEC_CODES (1ULL << 21)
#define PIX_SPLIT_NODES (1ULL << 32)
enum { PIX_SPECDIR, PIX_ARRAY, PIX_LABELS };

static uint64_t spec_code(const struct imlfs_pixspec *p)
{
	return (uint64_t)(p->resize - 1) << 11 | (uint64_t)(p->crop - 1) << 1 |
	       (p->filter == IMLFS_FILTER_BICUBIC);
}

static uint64_t pix_split_ino(uint64_t code, int k, enum imlfs_split s)
{
	return IMLFS_INO_PIXELS + (code << PIX_SPEC_SHIFT) + PIX_SPLIT_NODES + 8ULL * k + s;
}

static void pixels_node(uint32_t member, const struct imlfs_pixspec *p, struct imlfs_node *node)
{
	*node = (struct imlfs_node){ .kind = IMLFS_NODE_PIXELS, .index = member, .spec = *p,
				     .ino = IMLFS_INO_PIXELS + (spec_code(p) << PIX_SPEC_SHIFT) +
					    member };
}

/* Split s's SPEC/ (k PIX_SPECDIR), SPEC.npy (PIX_ARRAY) or labels.npy
 * (PIX_LABELS, p NULL). */
static void pix_split_node(enum imlfs_split s, int k, const struct imlfs_pixspec *p,
			   struct imlfs_node *node)
{
	static const enum imlfs_node_kind kinds[] = {
		[PIX_SPECDIR] = IMLFS_NODE_DIR, [PIX_ARRAY] = IMLFS_NODE_PIXARRAY,
		[PIX_LABELS] = IMLFS_NODE_PIXLABELS,
	};

	*node = (struct imlfs_node){ .kind = kinds[k], .index = -1, .split = s,
				     .ino = pix_split_ino(p ? spec_code(p) : 0, k, s) };
	if (p)
		node->spec = *p;
}

/* Is node a pixels/SPEC/ folder (not in dirs[])? */
static bool is_specdir(const struct imlfs_node *node)
{
	return node->kind == IMLFS_NODE_DIR && node->ino >= IMLFS_INO_PIXELS;
}

static int pixels_ino(const struct imlfs_catalog *c, uint64_t ino, struct imlfs_node *node)
{
	uint64_t x = ino - IMLFS_INO_PIXELS, code = x >> PIX_SPEC_SHIFT,
		 low = x & ((1ULL << PIX_SPEC_SHIFT) - 1), k, s;
	struct imlfs_pixspec p = { .resize = (unsigned)(code >> 11) + 1,
				   .crop = (unsigned)((code >> 1) & 1023) + 1,
				   .filter = code & 1 ? IMLFS_FILTER_BICUBIC : IMLFS_FILTER_BILINEAR };

	if (code >= PIX_SPEC_CODES || p.crop > p.resize)
		return -ENOENT;
	if (low < PIX_SPLIT_NODES) {
		if (low >= c->m->nmembers)
			return -ENOENT;
		pixels_node((uint32_t)low, &p, node);
		return 0;
	}
	k = (low - PIX_SPLIT_NODES) / 8;
	s = (low - PIX_SPLIT_NODES) % 8;
	if (s >= IMLFS_NSPLITS || !c->pixels_dir[s] || k > PIX_LABELS ||
	    (k == PIX_LABELS && code != 0))
		return -ENOENT;
	pix_split_node((enum imlfs_split)s, (int)k, k == PIX_LABELS ? NULL : &p, node);
	return 0;
}

int imlfs_catalog_node(const struct imlfs_catalog *c, uint64_t ino, struct imlfs_node *node)
{
	*node = (struct imlfs_node){ .ino = ino };
	if (ino >= IMLFS_INO_PIXELS) {
		return pixels_ino(c, ino, node);
	} else if (ino >= IMLFS_INO_IMAGE) {
		uint64_t k = ino - IMLFS_INO_IMAGE;

		if (k / 2 >= c->m->nmembers)
			return -ENOENT;
		node->kind = k % 2 ? IMLFS_NODE_SIDECAR : IMLFS_NODE_IMAGE;
		node->index = (int64_t)(k / 2);
	} else if (ino >= IMLFS_INO_REPORT) {
		uint64_t f = (ino - IMLFS_INO_REPORT) / 2;

		if (f == IMLFS_PRED_ROOT ? (ino - IMLFS_INO_REPORT) % 2 != IMLFS_REPORT_HTML
		    : f >= IMLFS_NPRED ||
		      !imlfs_split_present(c->m, imlfs_pred_split((enum imlfs_pred_file)f)))
			return -ENOENT;
		report_node((enum imlfs_pred_file)f, (int)((ino - IMLFS_INO_REPORT) % 2), node);
	} else if (ino >= IMLFS_INO_PREDICTIONS) {
		uint64_t f = ino - IMLFS_INO_PREDICTIONS;

		if (f >= IMLFS_NPRED || (f != IMLFS_PRED_ROOT &&
		    !imlfs_split_present(c->m, imlfs_pred_split((enum imlfs_pred_file)f))))
			return -ENOENT;
		pred_node((enum imlfs_pred_file)f, node);
	} else if (ino >= IMLFS_INO_SPECIAL) {
		if (ino - IMLFS_INO_SPECIAL >= IMLFS_NTEXTS)
			return -ENOENT;
		node->index = (int64_t)(ino - IMLFS_INO_SPECIAL);
		node->kind = node->index == IMLFS_TEXT_README ? IMLFS_NODE_README : IMLFS_NODE_TEXT;
	} else {
		if (ino < IMLFS_INO_ROOT || ino - IMLFS_INO_ROOT >= c->ndirs)
			return -ENOENT;
		node->kind = IMLFS_NODE_DIR;
		node->index = (int64_t)(ino - IMLFS_INO_ROOT);
	}
	return 0;
}

static void image_node(uint32_t member, bool sidecar, struct imlfs_node *node)
{
	node->kind = sidecar ? IMLFS_NODE_SIDECAR : IMLFS_NODE_IMAGE;
	node->index = member;
	node->ino = IMLFS_INO_IMAGE + 2ULL * member + sidecar;
}

static bool dir_holds(const struct imlfs_catalog *c, const struct dir *d, uint32_t member)
{
	const uint32_t *lo = c->lists + d->first, *hi = lo + d->n;

	while (lo < hi) {
		const uint32_t *mid = lo + (hi - lo) / 2;

		if (*mid == member)
			return true;
		if (*mid < member)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int lookup_image(const struct imlfs_catalog *c, const struct dir *d, const char *name,
			struct imlfs_node *node)
{
	size_t len = strlen(name);
	bool sidecar = imlfs_is_sidecar_name(name, len);
	int64_t i = sidecar ? imlfs_find_stem(c->m, name, len - 5) : imlfs_find_member(c->m, name, len);

	if (i < 0 || !dir_holds(c, d, (uint32_t)i))
		return -ENOENT;
	image_node((uint32_t)i, sidecar, node);
	return 0;
}

static bool ends_npy(const char *name, size_t len)
{
	return len > 4 && memcmp(name + len - 4, ".npy", 4) == 0;
}

/* In pixels/: labels.npy, SPEC.npy or SPEC. */
static int lookup_pixels(const struct imlfs_catalog *c, const struct dir *d, const char *name,
			 struct imlfs_node *node)
{
	size_t len = strlen(name);
	bool npy = ends_npy(name, len);
	struct imlfs_pixspec p;
	char why[160];

	if (strcmp(name, "labels.npy") == 0) {
		pix_split_node(d->split, PIX_LABELS, NULL, node);
		return 0;
	}
	if (imlfs_pixspec_parse(name, npy ? len - 4 : len, &p, why, sizeof why)) {
		/* Only with -d: a user's typo is told once by the kernel's
		 * cached negative entry, which says nothing, so say why here. */
		if (c->src.debug)
			fprintf(c->src.debug, "imlfs: %s/pixels/%s: no such %s: %s (imlfs(1), "
				"PIXELS)\n", imlfs_split_name(d->split), name,
				npy ? "array" : "folder", why);
		return -ENOENT;
	}
	pix_split_node(d->split, npy ? PIX_ARRAY : PIX_SPECDIR, &p, node);
	return 0;
}

/* In pixels/SPEC/: NAME.npy for each image NAME.JPEG of the split. */
static int lookup_crop(const struct imlfs_catalog *c, const struct imlfs_node *dir,
		       const char *name, struct imlfs_node *node)
{
	size_t len = strlen(name);
	int64_t i = ends_npy(name, len) ? imlfs_find_stem(c->m, name, len - 4) : -1;

	if (i < 0 || !dir_holds(c, &c->dirs[c->images_dir[dir->split]], (uint32_t)i))
		return -ENOENT;
	pixels_node((uint32_t)i, &dir->spec, node);
	return 0;
}

int imlfs_catalog_lookup(const struct imlfs_catalog *c, uint64_t parent, const char *name,
			 struct imlfs_node *node)
{
	struct imlfs_node p;
	const struct dir *d;
	size_t lo, hi;

	if (imlfs_catalog_node(c, parent, &p))
		return -ENOENT;
	if (p.kind != IMLFS_NODE_DIR)
		return -ENOTDIR;
	if (is_specdir(&p)) {
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return imlfs_catalog_node(c, name[1] ? IMLFS_INO_ROOT +
						  c->pixels_dir[p.split] : parent, node);
		return lookup_crop(c, &p, name, node);
	}
	d = &c->dirs[p.index];
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return imlfs_catalog_node(c, name[1] ? IMLFS_INO_ROOT + d->parent : parent, node);
	if (d->images)
		return lookup_image(c, d, name, node);
	if (d->pixels)
		return lookup_pixels(c, d, name, node);
	for (lo = d->first, hi = (size_t)d->first + d->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, c->strings.p + c->children[mid].name);

		if (r == 0) {
			*node = c->children[mid].node;
			return 0;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

uint32_t imlfs_catalog_sidecar_size(const struct imlfs_catalog *c, uint32_t i)
{
	uint32_t size = atomic_load_explicit(&c->sidecar_size[i], memory_order_relaxed);

	if (!size) {
		struct imlfs_buf b = { 0 };

		if (imlfs_sidecar_render(c->m, i, &b) == 0) {
			size = (uint32_t)b.len;
			atomic_store_explicit(&c->sidecar_size[i], size, memory_order_relaxed);
		}
		imlfs_buf_free(&b);
	}
	return size;
}

void imlfs_catalog_stat(const struct imlfs_catalog *c, const struct imlfs_node *node,
			struct stat *st)
{
	const struct imlfs_member *mem = NULL;

	memset(st, 0, sizeof *st);
	st->st_ino = node->ino;
	st->st_uid = c->src.uid;
	st->st_gid = c->src.gid;
	st->st_blksize = 128 * 1024;
	st->st_mtime = st->st_ctime = st->st_atime = c->src.mtime;
	st->st_nlink = 1;
	switch (node->kind) {
	case IMLFS_NODE_DIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = is_specdir(node) ? 2 : 2 + c->dirs[node->index].nsub;
		break;
	case IMLFS_NODE_PIXELS:
		mem = &c->m->members[node->index];
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 0;
		for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++)
			st->st_nlink += c->pixels_dir[s] &&
					imlfs_in_split(c->m, (uint32_t)node->index, s);
		st->st_size = IMLFS_PIXELS_NPY_HEADER_MAX +
			      3 * (off_t)node->spec.crop * node->spec.crop;
		st->st_mtime = st->st_ctime = st->st_atime = (time_t)mem->mtime;
		break;
	case IMLFS_NODE_PIXARRAY:
		st->st_mode = S_IFREG | 0444;
		st->st_size = IMLFS_PIXELS_NPY_HEADER_MAX + 3 * (off_t)node->spec.crop *
			      node->spec.crop * c->dirs[c->images_dir[node->split]].n;
		break;
	case IMLFS_NODE_PIXLABELS:
		st->st_mode = S_IFREG | 0444;
		st->st_size = IMLFS_PIXELS_NPY_HEADER_MAX +
			      2 * (off_t)c->dirs[c->images_dir[node->split]].n;
		break;
	case IMLFS_NODE_IMAGE:
	case IMLFS_NODE_SIDECAR:
		mem = &c->m->members[node->index];
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = c->nlink[node->index] ? c->nlink[node->index] : 1;
		st->st_size = node->kind == IMLFS_NODE_IMAGE ? (off_t)mem->size
			: (off_t)imlfs_catalog_sidecar_size(c, (uint32_t)node->index);
		st->st_mtime = st->st_ctime = st->st_atime = (time_t)mem->mtime;
		break;
	case IMLFS_NODE_TEXT:
	case IMLFS_NODE_README:
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)c->texts[node->index].len;
		break;
	case IMLFS_NODE_PREDICTIONS:
		st->st_mode = S_IFREG | 0666;
		break;
	case IMLFS_NODE_REPORT:
		st->st_mode = S_IFREG | 0444;
		break;
	}
	st->st_blocks = (st->st_size + 511) / 512;
}

/* Entry idx (counted after . and ..) of pixels/: labels.npy, then each
 * listed spec's folder and array. */
static int pixels_dirent(const struct imlfs_catalog *c, const struct dir *d, uint64_t idx,
			 char *buf, size_t cap, struct imlfs_node *node)
{
	char name[IMLFS_PIXSPEC_NAME_SIZE];
	const struct imlfs_pixspec *p;

	if (idx >= d->n)
		return 1;
	if (idx == 0) {
		pix_split_node(d->split, PIX_LABELS, NULL, node);
		snprintf(buf, cap, "labels.npy");
		return 0;
	}
	p = &c->specs[(idx - 1) / 2];
	imlfs_pixspec_format(p, name, sizeof name);
	pix_split_node(d->split, (idx - 1) % 2 ? PIX_ARRAY : PIX_SPECDIR, p, node);
	snprintf(buf, cap, "%s%s", name, (idx - 1) % 2 ? ".npy" : "");
	return 0;
}

/* Entry idx of pixels/SPEC/: ., .., then NAME.npy for each image. */
static int specdir_dirent(const struct imlfs_catalog *c, const struct imlfs_node *dir,
			  uint64_t idx, char *buf, size_t cap, struct imlfs_node *node)
{
	const struct dir *img = &c->dirs[c->images_dir[dir->split]];
	const char *name;

	if (idx < 2) {
		imlfs_catalog_node(c, idx ? IMLFS_INO_ROOT + c->pixels_dir[dir->split] : dir->ino,
				   node);
		snprintf(buf, cap, "%s", idx ? ".." : ".");
		return 0;
	}
	if (idx - 2 >= img->n)
		return 1;
	pixels_node(c->lists[img->first + idx - 2], &dir->spec, node);
	name = imlfs_member_name(c->m, (uint32_t)node->index);
	snprintf(buf, cap, "%.*s.npy", (int)imlfs_stem_len(name), name);
	return 0;
}

int imlfs_catalog_dirent(const struct imlfs_catalog *c, uint64_t dir, uint64_t idx,
			 char *buf, size_t cap, struct imlfs_node *node)
{
	struct imlfs_node p;
	const struct dir *d;
	const char *name;

	if (imlfs_catalog_node(c, dir, &p))
		return -ENOENT;
	if (p.kind != IMLFS_NODE_DIR)
		return -ENOTDIR;
	if (is_specdir(&p))
		return specdir_dirent(c, &p, idx, buf, cap, node);
	d = &c->dirs[p.index];
	if (idx < 2) {
		imlfs_catalog_node(c, idx ? IMLFS_INO_ROOT + d->parent : dir, node);
		snprintf(buf, cap, "%s", idx ? ".." : ".");
		return 0;
	}
	idx -= 2;
	if (d->pixels)
		return pixels_dirent(c, d, idx, buf, cap, node);
	if (!d->images) {
		if (idx >= d->n)
			return 1;
		*node = c->children[d->first + idx].node;
		snprintf(buf, cap, "%s", c->strings.p + c->children[d->first + idx].name);
		return 0;
	}
	if (idx >= 2ULL * d->n)
		return 1;
	image_node(c->lists[d->first + idx / 2], idx % 2, node);
	name = imlfs_member_name(c->m, (uint32_t)node->index);
	if (idx % 2)
		snprintf(buf, cap, "%.*s.json", (int)imlfs_stem_len(name), name);
	else
		snprintf(buf, cap, "%s", name);
	return 0;
}

uint64_t imlfs_catalog_dirsize(const struct imlfs_catalog *c, uint64_t dir)
{
	struct imlfs_node p;

	if (imlfs_catalog_node(c, dir, &p) || p.kind != IMLFS_NODE_DIR)
		return 0;
	if (is_specdir(&p))
		return 2 + (uint64_t)c->dirs[c->images_dir[p.split]].n;
	return 2 + (uint64_t)c->dirs[p.index].n * (c->dirs[p.index].images ? 2 : 1);
}

uint32_t imlfs_catalog_split_members(const struct imlfs_catalog *c, enum imlfs_split s,
				     const uint32_t **v)
{
	const struct dir *d;

	if ((unsigned)s >= IMLFS_NSPLITS || !c->images_dir[s]) {
		*v = NULL;
		return 0;
	}
	d = &c->dirs[c->images_dir[s]];
	*v = c->lists + d->first;
	return d->n;
}

size_t imlfs_catalog_labels_header(char buf[IMLFS_PIXELS_NPY_HEADER_MAX], uint32_t n)
{
	char dict[IMLFS_PIXELS_NPY_HEADER_MAX];
	int dl = snprintf(dict, sizeof dict, "{'descr': '<i2', 'fortran_order': False, "
			  "'shape': (%" PRIu32 ",), }", n);
	int ll = snprintf(NULL, 0, "%" PRIu32, n);

	return imlfs_npy_wrap_header(buf, dict, (size_t)dl, (unsigned)ll);
}

const char *imlfs_catalog_text(const struct imlfs_catalog *c, int text, size_t *len)
{
	*len = c->texts[text].len;
	return c->texts[text].p ? c->texts[text].p : "";
}

const struct imlfs_model *imlfs_catalog_model(const struct imlfs_catalog *c)
{
	return c->m;
}

uint32_t imlfs_catalog_ndirs(const struct imlfs_catalog *c)
{
	return (uint32_t)c->ndirs;
}
