/* readme.c — the README file: the catalogue's text, rendered once, and
 * its last part, the inputs' check against the published files, rendered
 * anew at each open because the tarball's digest is taken in the
 * background (tarhash.h).  A reader gets one snapshot however it chunks
 * its reads; direct_io and an attribute timeout of 0 keep the kernel from
 * serving an older text or size.  Snapshots are also kept on a list: the
 * kernel may drop the RELEASE of a file closed just before an unmount, and
 * imlfs_readme_free_all() then frees what is left. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "imlfs/readme.h"
#include "reply.h"

struct snapshot {
	char *text;
	size_t len;
	struct snapshot *prev, *next;   /* on `open_snapshots` */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *open_snapshots;

static void unlink_snapshot(struct snapshot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		open_snapshots = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

void imlfs_readme_free_all(void)
{
	pthread_mutex_lock(&lock);
	while (open_snapshots) {
		struct snapshot *s = open_snapshots;

		unlink_snapshot(s);
		free(s->text);
		free(s);
	}
	pthread_mutex_unlock(&lock);
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

off_t imlfs_readme_size(struct imlfs_fs *fs)
{
	struct imlfs_buf b = { 0 };
	off_t n = render(fs, &b) ? 0 : (off_t)b.len;

	imlfs_buf_free(&b);
	return n;
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
	pthread_mutex_lock(&lock);
	s->next = open_snapshots;
	if (s->next)
		s->next->prev = s;
	open_snapshots = s;
	pthread_mutex_unlock(&lock);
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
		pthread_mutex_lock(&lock);
		unlink_snapshot(s);
		pthread_mutex_unlock(&lock);
		free(s->text);
	}
	free(s);
	if (req)
		fuse_reply_err(req, 0);
}
