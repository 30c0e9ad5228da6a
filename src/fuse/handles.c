/* SPDX-License-Identifier: MIT */
/* handles.c — see handles.h. */
#include "handles.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void imlfs_reply_slice(fuse_req_t req, const char *text, size_t len, size_t size, off_t off)
{
	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, text + off, len - (size_t)off < size ? len - (size_t)off : size);
}

static void list_add(struct imlfs_fs *fs, struct imlfs_handle *h)
{
	pthread_mutex_lock(&fs->handles_lock);
	h->prev = NULL;
	h->next = fs->handles;
	if (h->next)
		h->next->prev = h;
	fs->handles = h;
	pthread_mutex_unlock(&fs->handles_lock);
}

/* lock held */
static void list_unlink(struct imlfs_fs *fs, struct imlfs_handle *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		fs->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
}

static void handle_free(struct imlfs_handle *h)
{
	if (h->tag == IMLFS_HANDLE_SUBMISSION)
		imlfs_sub_close(h->sub);
	free(h->text);
	free(h);
}

struct imlfs_handle *imlfs_handle_of(const struct fuse_file_info *fi)
{
	return (struct imlfs_handle *)(uintptr_t)fi->fh;
}

/* Publish h in fi and answer the open. */
static void reply_open(fuse_req_t req, struct imlfs_fs *fs, struct imlfs_handle *h,
		       struct fuse_file_info *fi)
{
	list_add(fs, h);
	fi->fh = (uintptr_t)h;
	/* The text differs per reader or moment: the page cache must not
	 * keep it. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = h->tag == IMLFS_HANDLE_SNAPSHOT;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* The caller was interrupted: nobody will release this. */
		imlfs_handle_release(NULL, fs, fi);
	}
}

void imlfs_open_snapshot(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi,
			 char *text, size_t len)
{
	struct imlfs_handle *h = text ? calloc(1, sizeof *h) : NULL;

	if (!h) {
		free(text);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->tag = IMLFS_HANDLE_SNAPSHOT;
	h->text = text;
	h->len = len;
	reply_open(req, fs, h, fi);
}

void imlfs_open_submission(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi,
			   struct imlfs_sub *sub)
{
	struct imlfs_handle *h = calloc(1, sizeof *h);

	if (!h) {
		imlfs_sub_close(sub);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->tag = IMLFS_HANDLE_SUBMISSION;
	h->sub = sub;
	reply_open(req, fs, h, fi);
}

void imlfs_snapshot_read(fuse_req_t req, struct fuse_file_info *fi, size_t size, off_t off)
{
	struct imlfs_handle *h = imlfs_handle_of(fi);
	char *copy;

	/* Reply from a copy.  The kernel consumes the reply inside writev and
	 * may wake the reader, whose close() then frees the snapshot in
	 * another thread's release, before writev has returned here: nothing
	 * this thread still touches may be freed there. */
	copy = malloc(h->len ? h->len : 1);
	if (!copy) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(copy, h->text, h->len);
	imlfs_reply_slice(req, copy, h->len, size, off);
	free(copy);
}

void imlfs_handle_release(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi)
{
	struct imlfs_handle *h = imlfs_handle_of(fi);

	if (h) {
		pthread_mutex_lock(&fs->handles_lock);
		list_unlink(fs, h);
		pthread_mutex_unlock(&fs->handles_lock);
		handle_free(h);
	}
	if (req)
		fuse_reply_err(req, 0);
}

void imlfs_handles_free_all(struct imlfs_fs *fs)
{
	struct imlfs_handle *h;

	for (;;) {
		pthread_mutex_lock(&fs->handles_lock);
		h = fs->handles;
		if (h)
			list_unlink(fs, h);
		pthread_mutex_unlock(&fs->handles_lock);
		if (!h)
			break;
		handle_free(h);
	}
}
