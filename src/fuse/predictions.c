/* predictions.c — the predictions files, the only writable nodes, and
 * the report files beside them, read-only snapshots like their reads.
 *
 * A descriptor opened for writing is a submission (core: submissions.c);
 * fi->fh points at a `struct handle` that says which kind it is.  Reads of a
 * read-only descriptor return a snapshot of the caller's latest scores taken
 * at open, so a reader sees one consistent text however it chunks its reads.
 * direct_io everywhere: the contents differ per user and change on every
 * submission, so the page cache must not keep them.  (A read-only mount
 * opens nothing, ops.c: there every uid reads the same "nothing submitted
 * yet", rendered at each read, _read_now.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "handles.h"
#include "reply.h"

struct handle {
	struct imlfs_handle_link link;   /* first: on `open_handles` */
	struct imlfs_sub *sub;    /* set when open for writing */
	char *text;               /* read-only: the snapshot */
	size_t len;
};

/* Every open handle: the kernel may drop the RELEASE of a file closed just
 * before an unmount, and imlfs_pred_free_all() frees what is left. */
static struct imlfs_handle_list open_handles = IMLFS_HANDLE_LIST_INIT;

static void handle_free(struct handle *h)
{
	if (h->sub)
		imlfs_sub_close(h->sub);
	free(h->text);
	free(h);
}

void imlfs_pred_free_all(void)
{
	struct handle *h;

	while ((h = (struct handle *)imlfs_handles_pop(&open_handles)))
		handle_free(h);
}

/* What uid reads from node now: its latest scores, or its report of them
 * (a string to free; NULL when out of memory). */
static char *current_text(struct imlfs_fs *fs, uid_t uid, const struct imlfs_node *node,
			  size_t *len)
{
	if (node->kind == IMLFS_NODE_REPORT)
		return imlfs_subs_report(fs->subs, uid, node->pred,
					 (enum imlfs_report_kind)node->index, len);
	return imlfs_subs_latest(fs->subs, uid, node->pred, len);
}

/* Publish h in fi and answer the open. */
static void reply_open(fuse_req_t req, struct handle *h, struct fuse_file_info *fi)
{
	imlfs_handles_add(&open_handles, &h->link);
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* The caller was interrupted: nobody will release this. */
		imlfs_pred_release(NULL, fi);
	}
}

static struct handle *handle_of(struct fuse_file_info *fi)
{
	return (struct handle *)(uintptr_t)fi->fh;
}

void imlfs_pred_open(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct handle *h = calloc(1, sizeof *h);
	int r = 0;

	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		r = imlfs_subs_open(fs->subs, ctx->uid, node->pred, (fi->flags & O_APPEND) != 0,
				    &h->sub);
	else
		h->text = current_text(fs, ctx->uid, node, &h->len);
	if (r == 0 && !h->sub && !h->text)
		r = -ENOMEM;
	if (r) {
		free(h);
		fuse_reply_err(req, -r);
		return;
	}
	fi->nonseekable = 0;
	reply_open(req, h, fi);
}

void imlfs_report_open(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		       struct fuse_file_info *fi)
{
	struct handle *h = calloc(1, sizeof *h);

	if (h)
		h->text = current_text(fs, fuse_req_ctx(req)->uid, node, &h->len);
	if (!h || !h->text) {
		free(h);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	reply_open(req, h, fi);
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

void imlfs_pred_read(fuse_req_t req, struct imlfs_fs *fs, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	struct pending_read *pr;
	char *text;

	if (h->sub) {
		pr = malloc(sizeof *pr);
		if (!pr) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		*pr = (struct pending_read){ req, size, off };
		imlfs_sub_scores_async(h->sub, read_done, pr);
		return;
	}
	/* Read-only: reply from a copy of the snapshot.  The kernel consumes
	 * the reply inside writev and may wake the reader, whose close() then
	 * frees the snapshot in another thread's release, before writev has
	 * returned here: nothing this thread still touches may be freed there. */
	text = malloc(h->len ? h->len : 1);
	if (!text) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(text, h->text, h->len);
	imlfs_reply_slice(req, text, h->len, size, off);
	free(text);
}

void imlfs_pred_read_now(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			 size_t size, off_t off)
{
	size_t len;
	char *text = current_text(fs, fuse_req_ctx(req)->uid, node, &len);

	if (!text) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	imlfs_reply_slice(req, text, len, size, off);
	free(text);
}

void imlfs_pred_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	long r;

	if (!h->sub) {
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

void imlfs_pred_flush(fuse_req_t req, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);

	/* Score here, not in release: flush runs inside close(), so the
	 * scores are there when close() returns.  The answer may come later,
	 * from a scoring worker: this thread goes back to serving others. */
	if (h->sub)
		imlfs_sub_flush_async(h->sub, flush_done, req);
	else
		fuse_reply_err(req, 0);
}

void imlfs_pred_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);

	imlfs_handles_remove(&open_handles, &h->link);
	handle_free(h);
	if (req)
		fuse_reply_err(req, 0);
}

/* ftruncate(2) cuts (or zero-extends) what its submission has written.
 * truncate(2) by path has no submission to cut: to size 0 it is an empty
 * submission, as `: > file` and `truncate -s 0 file` (which open the file)
 * are, so every way of emptying the file has the same effect; another
 * size has no meaning there, EINVAL.  (O_TRUNC needs nothing here: the
 * kernel does it at open (atomic_o_trunc, ops.c), and every open for
 * writing starts a new, empty submission anyway.) */
int imlfs_pred_truncate(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			struct fuse_file_info *fi, off_t size)
{
	struct handle *h = fi ? handle_of(fi) : NULL;

	if (h)
		return h->sub ? imlfs_sub_truncate(h->sub, size) : -EINVAL;
	if (size != 0)
		return -EINVAL;
	return imlfs_subs_submit(fs->subs, fuse_req_ctx(req)->uid, node->pred, NULL, 0);
}

/* A writable mount's predictions and report files report size 0, as procfs
 * files do, and are read to EOF (direct_io): what they hold depends on the
 * reader, and the kernel keeps one size per inode that any uid can read
 * back (statx with AT_STATX_DONT_SYNC), so a size of the caller's own would
 * tell the next caller how long another user's scores or report are (a
 * report grows with each mistake it shows).  On a read-only mount every uid
 * reads the same "nothing submitted yet", and with no open (ops.c) the page
 * cache serves reads up to the size: there the size is the text's. */
off_t imlfs_pred_size(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node)
{
	if (!fs->readonly)
		return node->kind == IMLFS_NODE_REPORT && node->index == IMLFS_REPORT_HTML ?
			IMLFS_REPORT_HTML_SIZE : 0;
	if (node->kind == IMLFS_NODE_REPORT)
		return (off_t)imlfs_subs_report_size(fs->subs, fuse_req_ctx(req)->uid, node->pred,
						     (enum imlfs_report_kind)node->index);
	return (off_t)imlfs_subs_latest_size(fs->subs, fuse_req_ctx(req)->uid, node->pred);
}
