/* readme.c — the README file: the catalogue's text, rendered once, and
 * its last part, the inputs' check against the published files, rendered
 * anew at each open because the tarball's digest is taken in the
 * background (tarhash.h).  A reader gets one snapshot however it chunks
 * its reads; direct_io and an attribute timeout of 0 keep the kernel from
 * serving an older text or size.  Snapshots are also kept on a list: the
 * kernel may drop the RELEASE of a file closed just before an unmount, and
 * imlfs_readme_free_all() then frees what is left.  A read-only mount opens
 * nothing (ops.c): there the text is rendered at each READ, and its mtime
 * tells the kernel when its cached pages are stale (imlfs_readme_stat). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs.h"
#include "handles.h"
#include "imlfs/readme.h"
#include "imlfs/util.h"
#include "reply.h"

struct snapshot {
	struct imlfs_handle_link link;   /* first: on `open_snapshots` */
	char *text;
	size_t len;
};

static struct imlfs_handle_list open_snapshots = IMLFS_HANDLE_LIST_INIT;

void imlfs_readme_free_all(void)
{
	struct snapshot *s;

	while ((s = (struct snapshot *)imlfs_handles_pop(&open_snapshots))) {
		free(s->text);
		free(s);
	}
}

bool imlfs_is_readme(const struct imlfs_node *node)
{
	return node->kind == IMLFS_NODE_TEXT && node->index == IMLFS_TEXT_README;
}

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
void imlfs_readme_stat(struct imlfs_fs *fs, struct stat *st)
{
	struct imlfs_buf b = { 0 };
	uint64_t h;

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

void imlfs_readme_read_now(fuse_req_t req, struct imlfs_fs *fs, size_t size, off_t off)
{
	struct imlfs_buf b = { 0 };

	if (render(fs, &b))
		fuse_reply_err(req, ENOMEM);
	else
		imlfs_reply_slice(req, b.p, b.len, size, off);
	imlfs_buf_free(&b);
}

void imlfs_readme_open(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi)
{
	struct snapshot *s = calloc(1, sizeof *s);
	struct imlfs_buf b = { 0 };

	if (!s || render(fs, &b)) {
		free(s);
		imlfs_buf_free(&b);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	s->text = b.p;
	s->len = b.len;
	imlfs_handles_add(&open_snapshots, &s->link);
	fi->fh = (uintptr_t)s;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)
		imlfs_readme_release(NULL, fi);   /* interrupted: no release will come */
}

void imlfs_readme_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct snapshot *s = (struct snapshot *)(uintptr_t)fi->fh;
	char *copy;

	/* From a copy, as predictions.c does: the reader's close may free
	 * the snapshot in another thread before this reply has returned. */
	copy = malloc(s->len ? s->len : 1);
	if (!copy) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(copy, s->text, s->len);
	imlfs_reply_slice(req, copy, s->len, size, off);
	free(copy);
}

void imlfs_readme_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct snapshot *s = (struct snapshot *)(uintptr_t)fi->fh;

	if (s) {
		imlfs_handles_remove(&open_snapshots, &s->link);
		free(s->text);
	}
	free(s);
	if (req)
		fuse_reply_err(req, 0);
}
