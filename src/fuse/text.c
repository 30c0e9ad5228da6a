/* SPDX-License-Identifier: MIT */
/* text.c — classes.tsv: a text the catalogue made at mount, immutable. */
#include "handles.h"
#include "kinds.h"

static void read_text(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		      size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t len;
	const char *text = imlfs_catalog_text(fs->cat, (int)node->index, &len);

	imlfs_reply_slice(req, text, len, size, off);
}

const struct imlfs_kind imlfs_kind_text = { .read = read_text };
