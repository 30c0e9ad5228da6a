/* SPDX-License-Identifier: MIT */
/* predictions.c — the predictions files, the only writable nodes.
 *
 * A descriptor opened for writing is a submission (core: submission.c),
 * held in a tagged handle (handles.h); one opened read-only gets a
 * snapshot of the caller's latest scores taken at open, so a reader sees
 * one consistent text however it chunks its reads.  direct_io everywhere:
 * the contents differ per user and change on every submission, so the
 * page cache must not keep them.  (A read-only mount opens nothing, ops.c:
 * there every uid reads the same "nothing submitted yet", rendered at
 * each read.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "handles.h"
#include "kinds.h"

/* A writable mount's predictions and report files report size 0, as procfs
 * files do, and are read to EOF (direct_io), except report.html (report.h:
 * a fixed size that browsers read up to): what they hold depends on the
 * reader, and the kernel keeps one size per inode that any uid can read
 * back (statx with AT_STATX_DONT_SYNC), so a size of the caller's own would
 * tell the next caller how long another user's scores or report are (a
 * report grows with each mistake it shows).  On a read-only mount every uid
 * reads the same "nothing submitted yet", and with no open (ops.c) the page
 * cache serves reads up to the size: there the size is the text's.  Both
 * kinds of file ask every time. */
void imlfs_pred_attr(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     struct fuse_entry_param *e)
{
	uid_t uid = fuse_req_ctx(req)->uid;

	e->attr_timeout = 0;
	if (!fs->readonly)
		e->attr.st_size = node->kind == IMLFS_NODE_REPORT && node->index == IMLFS_REPORT_HTML
			? IMLFS_REPORT_HTML_SIZE : 0;
	else if (node->kind == IMLFS_NODE_REPORT)
		e->attr.st_size = (off_t)imlfs_subs_report_size(fs->subs, uid, node->pred,
								(enum imlfs_report_kind)node->index);
	else
		e->attr.st_size = (off_t)imlfs_subs_latest_size(fs->subs, uid, node->pred);
}

static void pred_open(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		      struct fuse_file_info *fi)
{
	uid_t uid = fuse_req_ctx(req)->uid;
	struct imlfs_sub *sub;
	char *text;
	size_t len = 0;
	int r;

	if ((fi->flags & O_ACCMODE) == O_RDONLY) {
		text = imlfs_subs_latest(fs->subs, uid, node->pred, &len);
		imlfs_open_snapshot(req, fs, fi, text, len);
		return;
	}
	r = imlfs_subs_open(fs->subs, uid, node->pred, (fi->flags & O_APPEND) != 0, &sub);
	if (r) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->nonseekable = 0;
	imlfs_open_submission(req, fs, fi, sub);
}

/* A read of a submission's own scores, answered when they are at hand
 * (submissions.h: maybe later, from a scoring worker). */
struct pending_read {
	fuse_req_t req;
	size_t size;
	off_t off;
};

static void read_done(void *arg, int err, const char *text, size_t len)
{
	struct pending_read *pr = arg;

	if (err)
		fuse_reply_err(pr->req, -err);
	else
		imlfs_reply_slice(pr->req, text, len, pr->size, pr->off);
	free(pr);
}

static void pred_read(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		      size_t size, off_t off, struct fuse_file_info *fi)
{
	struct imlfs_handle *h = imlfs_handle_of(fi);
	struct pending_read *pr;
	size_t len;
	char *text;

	if (!h) {
		/* No-open mode: the caller's latest, now. */
		text = imlfs_subs_latest(fs->subs, fuse_req_ctx(req)->uid, node->pred, &len);
		if (!text) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		imlfs_reply_slice(req, text, len, size, off);
		free(text);
		return;
	}
	if (h->tag == IMLFS_HANDLE_SNAPSHOT) {
		imlfs_snapshot_read(req, fi, size, off);
		return;
	}
	pr = malloc(sizeof *pr);
	if (!pr) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*pr = (struct pending_read){ req, size, off };
	imlfs_sub_scores_async(h->sub, read_done, pr);
}

static void pred_write(fuse_req_t req, struct imlfs_fs *fs, const char *buf, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct imlfs_handle *h = imlfs_handle_of(fi);
	long r;

	if (!h || h->tag != IMLFS_HANDLE_SUBMISSION) {
		fuse_reply_err(req, EBADF);
		return;
	}
	r = imlfs_sub_write(h->sub, buf, size, off);
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void flush_done(void *arg, int err, const char *text, size_t len)
{
	fuse_reply_err((fuse_req_t)arg, -err);
}

/* Score here, not in release: flush runs inside close(), so the scores are
 * there when close() returns.  The answer may come later, from a scoring
 * worker: this thread goes back to serving others. */
static void pred_flush(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi)
{
	struct imlfs_handle *h = imlfs_handle_of(fi);

	if (h && h->tag == IMLFS_HANDLE_SUBMISSION)
		imlfs_sub_flush_async(h->sub, flush_done, req);
	else
		fuse_reply_err(req, 0);
}

/* ftruncate(2) cuts (or zero-extends) what its submission has written.
 * truncate(2) by path has no submission to cut: to size 0 it is an empty
 * submission, as `: > file` and `truncate -s 0 file` (which open the file)
 * are, so every way of emptying the file has the same effect; another
 * size has no meaning there, EINVAL.  (O_TRUNC needs nothing here: the
 * kernel does it at open (atomic_o_trunc, ops.c), and every open for
 * writing starts a new, empty submission anyway.) */
static int pred_truncate(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			 struct fuse_file_info *fi, off_t size)
{
	struct imlfs_handle *h = fi ? imlfs_handle_of(fi) : NULL;

	if (h)
		return h->tag == IMLFS_HANDLE_SUBMISSION ? imlfs_sub_truncate(h->sub, size) : -EINVAL;
	if (size != 0)
		return -EINVAL;
	return imlfs_subs_submit(fs->subs, fuse_req_ctx(req)->uid, node->pred, NULL, 0);
}

const struct imlfs_kind imlfs_kind_predictions = {
	.attr = imlfs_pred_attr, .open = pred_open, .read = pred_read,
	.write = pred_write, .flush = pred_flush, .truncate = pred_truncate,
};
