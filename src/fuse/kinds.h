/* SPDX-License-Identifier: MIT */
/* kinds.h — each kind of file is one table of callbacks, as a kernel file
 * system has file_operations: ops.c finds a node's kind (imlfs_kind_of)
 * and calls through it, and never asks what kind a file is.  A new kind
 * of file is one new file with its table and one entry in kinds.c.
 *
 * Every callback answers its request exactly once (maybe later, from
 * another thread: predictions.c).  A NULL entry means: */
#ifndef IMLFS_FUSE_KINDS_H
#define IMLFS_FUSE_KINDS_H

#include "fs.h"

struct imlfs_kind {
	/* Attributes beyond the catalogue's (imlfs_catalog_stat): st_size and
	 * the attribute timeout.  NULL: as catalogued, cached for fs->timeout. */
	void (*attr)(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     struct fuse_entry_param *e);
	/* Answer OPEN.  NULL: immutable content, opened read-only with the
	 * kernel's cache kept and no FLUSH at close.  Opens for writing reach
	 * only kinds with `write`; the others get EROFS in ops.c. */
	void (*open)(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     struct fuse_file_info *fi);
	/* Answer READ; fi->fh is 0 in no-open mode (a read-only mount). */
	void (*read)(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     size_t size, off_t off, struct fuse_file_info *fi);
	/* Answer WRITE.  NULL: read-only (EROFS). */
	void (*write)(fuse_req_t req, struct imlfs_fs *fs, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi);
	/* Answer FLUSH.  NULL: nothing to flush (0). */
	void (*flush)(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi);
	/* Truncate (setattr's size; fi NULL: by path): 0 or -errno.  NULL:
	 * EROFS. */
	int (*truncate)(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			struct fuse_file_info *fi, off_t size);
	/* RELEASE needs no entry: whatever a kind keeps in fi->fh is a tagged
	 * handle (handles.h), freed the same way for every kind. */
};

/* The kinds, each in the file named after it. */
extern const struct imlfs_kind imlfs_kind_image;        /* image.c */
extern const struct imlfs_kind imlfs_kind_sidecar;      /* image.c */
extern const struct imlfs_kind imlfs_kind_text;         /* text.c: classes.tsv */
extern const struct imlfs_kind imlfs_kind_readme;       /* readme.c */
extern const struct imlfs_kind imlfs_kind_predictions;  /* predictions.c */
extern const struct imlfs_kind imlfs_kind_report;       /* report.c: report.html, per-class.tsv */
/* pixels.c: pixels/SPEC/NAME.npy, pixels/SPEC.npy, pixels/labels.npy */
extern const struct imlfs_kind imlfs_kind_pixels, imlfs_kind_pixarray, imlfs_kind_pixlabels;

/* predictions.c: the attributes of predictions and report files, whose
 * text depends on the reader (used by both kinds' tables). */
void imlfs_pred_attr(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     struct fuse_entry_param *e);

/* image.c: bytes [off, off+size) of member mem into buf, checked against
 * the tarball as indexed: 0, or -EIO (gone or changed). */
int imlfs_image_pread(struct imlfs_fs *fs, const struct imlfs_member *mem, uint64_t off,
		      void *buf, size_t size);

/* The kind of a file node; NULL for a directory. */
const struct imlfs_kind *imlfs_kind_of(const struct imlfs_node *node);

#endif
