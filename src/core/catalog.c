/* SPDX-License-Identifier: MIT */
/* catalog.c — the directory tree over the model: node numbers, lookups, stat
 * and listings (catalog-build.c builds the tree, once).
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

#include "catalog-internal.h"
#include "imlfs/npy.h"
#include "imlfs/report.h"
#include "imlfs/sidecar.h"
#include "imlfs/util.h"

/* Pixel inode numbers (catalog.h). */
#define PIX_SPEC_SHIFT 34
#define PIX_SPEC_CODES (1ULL << 21)
#define PIX_SPLIT_NODES (1ULL << 32)
_Static_assert(IMLFS_INO_PREDICTIONS + IMLFS_NPRED <= IMLFS_INO_REPORT,
	       "predictions files' inode numbers run into the reports'");
#define PIX_SPLITS 16ULL   /* splits below it (catalog.h) */
_Static_assert(IMLFS_NSPLITS <= PIX_SPLITS, "pixel inode numbers need more room for splits");
enum { PIX_SPECDIR, PIX_ARRAY, PIX_LABELS };

static uint64_t spec_code(const struct imlfs_pixspec *p)
{
	return (uint64_t)(p->resize - 1) << 11 | (uint64_t)(p->crop - 1) << 1 |
	       (p->filter == IMLFS_FILTER_BICUBIC);
}

static uint64_t pix_split_ino(uint64_t code, int k, enum imlfs_split s)
{
	return IMLFS_INO_PIXELS + (code << PIX_SPEC_SHIFT) + PIX_SPLIT_NODES + PIX_SPLITS * k + s;
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
	k = (low - PIX_SPLIT_NODES) / PIX_SPLITS;
	s = (low - PIX_SPLIT_NODES) % PIX_SPLITS;
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
				"PIXELS)\n", imlfs_split_name(c->m, d->split), name,
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
