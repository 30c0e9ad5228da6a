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
 *                               per-class.tsv: enum imlfs_report_kind)
 *   IMLFS_INO_IMAGE + 2i (+1)   member i's image (its sidecar)
 * An image has one inode wherever it appears (all/images, by-class, correct/
 * ...), like a hard link, and st_nlink counts the folders that hold it.
 */
#ifndef IMLFS_CATALOG_H
#define IMLFS_CATALOG_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "imlfs/model.h"

#define IMLFS_INO_ROOT 1ULL
#define IMLFS_INO_SPECIAL (1ULL << 30)
#define IMLFS_INO_PREDICTIONS (IMLFS_INO_SPECIAL + 16)
#define IMLFS_INO_REPORT (IMLFS_INO_SPECIAL + 64)
#define IMLFS_INO_IMAGE (1ULL << 32)

enum imlfs_node_kind {
	IMLFS_NODE_DIR = 1,
	IMLFS_NODE_IMAGE,
	IMLFS_NODE_SIDECAR,
	IMLFS_NODE_TEXT,          /* classes.tsv: a text fixed at mount */
	IMLFS_NODE_README,        /* README: its last part changes while mounted */
	IMLFS_NODE_PREDICTIONS,
	IMLFS_NODE_REPORT,        /* report.html, per-class.tsv: per reader */
};

enum { IMLFS_TEXT_README, IMLFS_TEXT_CLASSES, IMLFS_NTEXTS };

struct imlfs_node {
	uint64_t ino;
	enum imlfs_node_kind kind;
	enum imlfs_pred_file pred;   /* PREDICTIONS, REPORT: which file */
	/* DIR: directory id; IMAGE/SIDECAR: member; TEXT, README: IMLFS_TEXT_*;
	 * PREDICTIONS: 0; REPORT: enum imlfs_report_kind */
	int64_t index;
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
};

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
/* Number of directories (for statfs and tests). */
uint32_t imlfs_catalog_ndirs(const struct imlfs_catalog *c);

#endif
