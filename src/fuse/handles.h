/* SPDX-License-Identifier: MIT */
/* handles.h — what a file kind keeps in fi->fh: one tagged handle type for
 * every kind, and the one snapshot that the kinds whose text depends on the
 * reader or the moment (README, the scores and reports read-only) take at
 * open, so that a reader sees one text however it chunks its reads.
 *
 * Every handle is on its file system's list (struct imlfs_fs): the kernel
 * may drop the RELEASE of a file closed just before an unmount, and
 * imlfs_handles_free_all() frees what is left when the daemon stops. */
#ifndef IMLFS_FUSE_HANDLES_H
#define IMLFS_FUSE_HANDLES_H

#include "fs.h"

enum imlfs_handle_tag {
	IMLFS_HANDLE_SNAPSHOT = 1,   /* text, len: read-only */
	IMLFS_HANDLE_SUBMISSION,     /* sub: a descriptor open for writing */
};

struct imlfs_handle {
	struct imlfs_handle *prev, *next;   /* on fs->handles */
	enum imlfs_handle_tag tag;
	char *text;               /* SNAPSHOT: malloc'd */
	size_t len;
	struct imlfs_sub *sub;    /* SUBMISSION */
};

/* Answer OPEN with a snapshot of text[0..len) (taken over: freed with the
 * handle; NULL: out of memory, answered ENOMEM), read with direct_io. */
void imlfs_open_snapshot(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi,
			 char *text, size_t len);
/* Answer OPEN with sub as the handle, read and written with direct_io. */
void imlfs_open_submission(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi,
			   struct imlfs_sub *sub);
/* fi's handle (NULL in no-open mode). */
struct imlfs_handle *imlfs_handle_of(const struct fuse_file_info *fi);
/* Answer READ from fi's snapshot. */
void imlfs_snapshot_read(fuse_req_t req, struct fuse_file_info *fi, size_t size, off_t off);
/* Free fi's handle, of any tag, and answer RELEASE (req NULL: nothing to
 * answer, as for an open whose caller was interrupted). */
void imlfs_handle_release(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi);
/* At exit: free the handles whose RELEASE never came. */
void imlfs_handles_free_all(struct imlfs_fs *fs);

/* Reply with text[off .. off+size), clipped to len. */
void imlfs_reply_slice(fuse_req_t req, const char *text, size_t len, size_t size, off_t off);

#endif
