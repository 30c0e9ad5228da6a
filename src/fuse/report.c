/* SPDX-License-Identifier: MIT */
/* report.c — each split's report.html and per-class.tsv: the caller's
 * report of its latest submission (report.h), read-only, a snapshot taken
 * at open (handles.h).  Sizes: imlfs_pred_attr (predictions.c). */
#include <errno.h>
#include <stdlib.h>

#include "handles.h"
#include "kinds.h"

static char *render(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		    size_t *len)
{
	return imlfs_subs_report(fs->subs, fuse_req_ctx(req)->uid, node->pred,
				 (enum imlfs_report_kind)node->index, len);
}

static void report_open(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			struct fuse_file_info *fi)
{
	size_t len = 0;
	char *text = render(req, fs, node, &len);

	imlfs_open_snapshot(req, fs, fi, text, len);
}

static void report_read(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t len;
	char *text;

	if (fi->fh) {
		imlfs_snapshot_read(req, fi, size, off);
		return;
	}
	/* No-open mode: rendered now. */
	text = render(req, fs, node, &len);
	if (!text) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	imlfs_reply_slice(req, text, len, size, off);
	free(text);
}

const struct imlfs_kind imlfs_kind_report = {
	.attr = imlfs_pred_attr, .open = report_open, .read = report_read,
};
