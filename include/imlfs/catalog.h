/* SPDX-License-Identifier: MIT */
/* catalog.h — the tree: splits, views, directories and inode numbers.
 *
 * Built once from the model; immutable afterwards, so every lookup is
 * lock-free and any number of FUSE threads may use it at once.
 *
 * Inode numbers are stable for the same inputs, and say what a node is:
 *   1 + d                       directory d (the root, d = 0, is 1)
 *   IMLFS_INO_SPECIAL + t       text file t (README, classes.tsv)
 *   IMLFS_INO_PREDICTIONS + f   predictions file f (enum imlfs_pred_file)
 *   IMLFS_INO_REPORT + 2f + k   split file f's report k (report.html,
 *                               per-class.tsv: enum imlfs_report_kind); the
 *                               root's report.html (f = 0, k = 0)
 *   IMLFS_INO_IMAGE + 2i (+1)   member i's image (its sidecar)
 *   IMLFS_INO_PIXELS + ...      the pixels/ files and folders, below
 * An image has one inode wherever it appears (all/images, by-class, correct/
 * ...), like a hard link, and st_nlink counts the folders that hold it.
 *
 * Pixels (SPLIT/pixels/, imlfs(1) PIXELS).  Any valid spec can be looked
 * up, not only the listed ones, so their inodes cannot be numbered as the
 * tree is built: they are computed from what they name.  A spec is 21 bits,
 *   code = (S - 1) << 11 | (C - 1) << 1 | (filter == bicubic)
 * (S and C are at most 1024: 10 bits each), and then
 *   IMLFS_INO_PIXELS + code << 34 + i                   SPEC/NAME.npy of member i
 *   IMLFS_INO_PIXELS + code << 34 + 2^32 + 16k + s      split s's SPEC/ (k = 0),
 *                                                       SPEC.npy (k = 1)
 *   IMLFS_INO_PIXELS + 2^32 + 16 * 2 + s                split s's labels.npy
 * Member indices are below 2^32 and splits below 16, so no two nodes share a
 * number; all are below 2^55 + 2^60, above every image's (below 2^34).  A
 * member's crop has one inode in every split that holds it, as images do:
 * its pages are cached once however it is reached.  pixels/ itself is an
 * ordinary directory (1 + d).
 */
#ifndef IMLFS_CATALOG_H
#define IMLFS_CATALOG_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>

#include "imlfs/model.h"
#include "imlfs/pixels.h"   /* pixspec.h, and the .npy header size */

#define IMLFS_INO_ROOT 1ULL
#define IMLFS_INO_SPECIAL (1ULL << 30)
#define IMLFS_INO_PREDICTIONS (IMLFS_INO_SPECIAL + 16)
#define IMLFS_INO_REPORT (IMLFS_INO_SPECIAL + 64)
#define IMLFS_INO_IMAGE (1ULL << 32)
#define IMLFS_INO_PIXELS (1ULL << 60)

enum imlfs_node_kind {
	IMLFS_NODE_DIR = 1,
	IMLFS_NODE_IMAGE,
	IMLFS_NODE_SIDECAR,
	IMLFS_NODE_TEXT,          /* classes.tsv: a text fixed at mount */
	IMLFS_NODE_README,        /* README: its last part changes while mounted */
	IMLFS_NODE_PREDICTIONS,
	IMLFS_NODE_REPORT,        /* report.html, per-class.tsv: per reader */
	IMLFS_NODE_PIXELS,        /* pixels/SPEC/NAME.npy: one image's crop */
	IMLFS_NODE_PIXARRAY,      /* pixels/SPEC.npy: the split's crops */
	IMLFS_NODE_PIXLABELS,     /* pixels/labels.npy: the split's labels */
};

enum { IMLFS_TEXT_README, IMLFS_TEXT_CLASSES, IMLFS_NTEXTS };

struct imlfs_node {
	uint64_t ino;
	enum imlfs_node_kind kind;
	enum imlfs_pred_file pred;   /* PREDICTIONS, REPORT: which file */
	/* DIR: directory id; IMAGE/SIDECAR: member; TEXT, README: IMLFS_TEXT_*;
	 * PREDICTIONS: 0; REPORT: enum imlfs_report_kind */
	int64_t index;
	/* PIXELS, PIXARRAY and a pixels/SPEC/ DIR: the spec; PIXARRAY,
	 * PIXLABELS and pixels/SPEC/: the split (index is the member for
	 * PIXELS, -1 for the others) */
	struct imlfs_pixspec spec;
	enum imlfs_split split;
};

struct imlfs_catalog;
struct imlfs_buf;

/* Writes a text file's contents from the finished tree into an empty
 * buffer: 0, or -errno (then there is no catalogue).  The README's is
 * imlfs_readme_render (readme.h). */
typedef int imlfs_catalog_text_fn(const struct imlfs_catalog *c, const void *ctx,
				  struct imlfs_buf *out);

/* What the catalogue needs besides the model: for the README and stat. */
struct imlfs_catalog_src {
	const struct imlfs_model *model;
	imlfs_catalog_text_fn *readme;   /* NULL: an empty README */
	const void *readme_ctx;          /* passed to readme */
	time_t mtime;          /* of directories and text files: the tarball's */
	uid_t uid;             /* owner of every node */
	gid_t gid;
	/* Specs listed in every pixels/ besides the defaults (imlfs(1)
	 * PIXELS: -o pixels=); duplicates are listed once. */
	const struct imlfs_pixspec *pixels;
	size_t npixels;
	/* Where to say why a name in pixels/ is not found (the daemon's -d);
	 * NULL: nowhere. */
	FILE *debug;
};

/* The specs every pixels/ lists, ':'-separated (imlfs(1) PIXELS). */
#define IMLFS_PIXELS_DEFAULTS \
	"resize256-crop224-bilinear:resize232-crop224-bilinear:resize248-crop224-bicubic"

/* NULL when out of memory. */
struct imlfs_catalog *imlfs_catalog_new(const struct imlfs_catalog_src *src);
void imlfs_catalog_free(struct imlfs_catalog *c);

/* The node of an inode number: 0, or -ENOENT. */
int imlfs_catalog_node(const struct imlfs_catalog *c, uint64_t ino, struct imlfs_node *node);
/* Look a name up in directory `parent`: 0, -ENOENT, or -ENOTDIR. */
int imlfs_catalog_lookup(const struct imlfs_catalog *c, uint64_t parent, const char *name,
			 struct imlfs_node *node);
/* Attributes (predictions and report files get size 0: the caller knows
 * their size). */
void imlfs_catalog_stat(const struct imlfs_catalog *c, const struct imlfs_node *node,
			struct stat *st);
/* Entry number `idx` (0 ".", 1 "..", then the children) of directory `dir`:
 * 0 with its name in buf and node filled, 1 past the end, -ENOTDIR/-ENOENT. */
int imlfs_catalog_dirent(const struct imlfs_catalog *c, uint64_t dir, uint64_t idx,
			 char *buf, size_t cap, struct imlfs_node *node);
/* Number of entries (with "." and "..") of a directory. */
uint64_t imlfs_catalog_dirsize(const struct imlfs_catalog *c, uint64_t dir);

/* Text file contents (README, classes.tsv). */
const char *imlfs_catalog_text(const struct imlfs_catalog *c, int text, size_t *len);
/* Size of member i's sidecar (rendered once, then remembered). */
uint32_t imlfs_catalog_sidecar_size(const struct imlfs_catalog *c, uint32_t i);
const struct imlfs_model *imlfs_catalog_model(const struct imlfs_catalog *c);
/* The members of split s in the order of SPLIT/images/ (ascending), which
 * is the order of the rows of SPLIT/pixels/SPEC.npy and labels.npy: their
 * number, and the first in *v. */
uint32_t imlfs_catalog_split_members(const struct imlfs_catalog *c, enum imlfs_split s,
				     const uint32_t **v);
/* The .npy (1.0) header of an int16 array of n elements (labels.npy), as
 * numpy 1.24's np.save writes it: its length (128). */
size_t imlfs_catalog_labels_header(char buf[IMLFS_PIXELS_NPY_HEADER_MAX], uint32_t n);
/* Number of directories (for statfs and tests). */
uint32_t imlfs_catalog_ndirs(const struct imlfs_catalog *c);

#endif
