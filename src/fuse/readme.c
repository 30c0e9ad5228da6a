/* SPDX-License-Identifier: MIT */
/* readme.c — the README file: the catalogue's text, rendered once, and
 * its last part, the inputs' check against the published files, rendered
 * anew at each open because the tarball's digest is taken in the
 * background (tarhash.h).  A reader gets one snapshot however it chunks
 * its reads (handles.h); direct_io and an attribute timeout of 0 keep the
 * kernel from serving an older text or size.  A read-only mount opens
 * nothing (ops.c): there the text is rendered at each READ, and its mtime
 * tells the kernel when its cached pages are stale (readme_attr). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs.h"
#include "handles.h"
#include "imlfs/readme.h"
#include "imlfs/util.h"
#include "kinds.h"

/* 0, or -ENOMEM. */
static int render(struct imlfs_fs *fs, struct imlfs_buf *b)
{
	size_t len;
	const char *text = imlfs_catalog_text(fs->cat, IMLFS_TEXT_README, &len);

	imlfs_buf_add(b, text, len);
	if (fs->inputs)
		imlfs_readme_verify(b, fs->inputs, fs->model, fs->tarhash);
	return imlfs_buf_check(b);
}

/* On a read-only mount the kernel keeps the README's pages (no-open mode,
 * ops.c): it asks GETATTR before each read (attribute timeout 0) and drops
 * the pages when the size or the mtime differs from what it has
 * (auto_inval_data).  The hashing progress changes the text but not
 * always its size, so the mtime moves whenever the text does. */
static void readme_attr(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			struct fuse_entry_param *e)
{
	struct stat *st = &e->attr;
	struct imlfs_buf b = { 0 };
	uint64_t h;

	e->attr_timeout = 0;
	if (render(fs, &b)) {
		st->st_size = 0;
		imlfs_buf_free(&b);
		return;
	}
	st->st_size = (off_t)b.len;
	if (fs->readonly) {
		h = imlfs_hash(b.p, b.len, IMLFS_HASH_SEED);
		pthread_mutex_lock(&fs->readme_lock);
		if (h != fs->readme_hash) {
			fs->readme_hash = h;
			clock_gettime(CLOCK_REALTIME, &fs->readme_mtime);
		}
		st->st_mtim = fs->readme_mtime;
		pthread_mutex_unlock(&fs->readme_lock);
	}
	imlfs_buf_free(&b);
}

static void readme_open(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			struct fuse_file_info *fi)
{
	struct imlfs_buf b = { 0 };

	if (render(fs, &b)) {
		imlfs_buf_free(&b);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	imlfs_open_snapshot(req, fs, fi, b.p, b.len);
}

static void readme_read(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	struct imlfs_buf b = { 0 };

	if (fi->fh) {
		imlfs_snapshot_read(req, fi, size, off);
		return;
	}
	/* No-open mode: the text as it is now. */
	if (render(fs, &b))
		fuse_reply_err(req, ENOMEM);
	else
		imlfs_reply_slice(req, b.p, b.len, size, off);
	imlfs_buf_free(&b);
}

const struct imlfs_kind imlfs_kind_readme = {
	.attr = readme_attr, .open = readme_open, .read = readme_read,
};
