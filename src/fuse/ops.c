/* SPDX-License-Identifier: MIT */
/* ops.c — FUSE low-level callbacks: each translates one request into
 * catalogue calls or a call through the file's kind (kinds.h), which
 * answers it exactly once; ops.c never asks what kind a file is.
 *
 * Immutable nodes get long entry and attribute timeouts and keep_cache, so
 * the kernel answers repeated stats and reads itself; directory listings
 * are readdirplus and cached by the kernel, so `ls -l` and `find` cost one
 * request per buffer, not one per entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fs.h"
#include "handles.h"
#include "kinds.h"

static struct imlfs_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void fill_entry(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		       struct fuse_entry_param *e)
{
	const struct imlfs_kind *kind;

	memset(e, 0, sizeof *e);
	e->ino = node->ino;
	imlfs_catalog_stat(fs->cat, node, &e->attr);
	e->entry_timeout = fs->timeout;
	e->attr_timeout = fs->timeout;
	kind = imlfs_kind_of(node);
	if (kind && kind->attr)
		kind->attr(req, fs, node, e);
	e->attr.st_blocks = (e->attr.st_size + 511) / 512;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Always send attributes with listings (`ls -l`, `find -size`). */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	/* open(O_TRUNC) in the OPEN request (libfuse's default, made sure of
	 * here): without it the kernel would follow the open with a truncate
	 * by path, which is an empty submission (predictions.c) published
	 * before the opener's own. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct imlfs_fs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct imlfs_node node;
	int r = imlfs_catalog_lookup(fs->cat, parent, name, &node);

	imlfs_readahead_raise(fs);
	if (r == -ENOENT) {
		/* A cacheable negative entry: the tree never changes. */
		memset(&e, 0, sizeof e);
		e.entry_timeout = fs->timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (r) {
		fuse_reply_err(req, -r);
		return;
	}
	fill_entry(req, fs, &node, &e);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct imlfs_fs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct imlfs_node node;

	imlfs_readahead_raise(fs);   /* the mount's first request, often */
	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_entry(req, fs, &node, &e);
	fuse_reply_attr(req, &e.attr, e.attr_timeout);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct imlfs_fs *fs = fs_of(req);
	const struct imlfs_kind *kind;
	struct imlfs_node node;
	int r;

	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* Only truncating a file that can be truncated (a predictions file:
	 * `>` in a shell) is allowed; timestamps on it are accepted and
	 * ignored so `touch` works. */
	kind = imlfs_kind_of(&node);
	if (!kind || !kind->truncate ||
	    (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) &&
	    (r = kind->truncate(req, fs, &node, fi, attr->st_size))) {
		fuse_reply_err(req, -r);
		return;
	}
	op_getattr(req, ino, fi);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct imlfs_fs *fs = fs_of(req);
	struct imlfs_node node;

	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (node.kind != IMLFS_NODE_DIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct imlfs_fs *fs = fs_of(req);
	char *buf = malloc(size), name[512];
	size_t used = 0;
	struct imlfs_node node;
	int r = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (uint64_t idx = (uint64_t)off;; idx++) {
		struct fuse_entry_param e;
		size_t n;

		r = imlfs_catalog_dirent(fs->cat, ino, idx, name, sizeof name, &node);
		if (r)
			break;
		fill_entry(req, fs, &node, &e);
		if (plus)
			n = fuse_add_direntry_plus(req, buf + used, size - used, name, &e,
						   (off_t)idx + 1);
		else
			n = fuse_add_direntry(req, buf + used, size - used, name, &e.attr,
					      (off_t)idx + 1);
		if (n > size - used)
			break;
		used += n;
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, true);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct imlfs_fs *fs = fs_of(req);
	const struct imlfs_kind *kind;
	struct imlfs_node node;

	imlfs_readahead_raise(fs);
	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	kind = imlfs_kind_of(&node);
	if (!kind) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	/* No-open mode.  On a read-only mount nobody can submit, so no file's
	 * content depends on who opens it or when it was opened: the scores
	 * and reports read "nothing submitted yet" for every uid, and the
	 * README's changes show in its size and mtime (readme.c).  ENOSYS
	 * makes the kernel stop sending OPEN and RELEASE for every regular
	 * file of the connection and keep their pages cached: a first read
	 * is then a READ alone, a re-read no request at all. */
	if (fs->readonly) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!kind->write && ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (kind->open) {
		kind->open(req, fs, &node, fi);
		return;
	}
	/* Immutable: keep the kernel's cached pages across opens, and no
	 * FLUSH round trip on close (nothing to flush; halves the requests a
	 * cached re-read costs). */
	fi->keep_cache = 1;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct imlfs_fs *fs = fs_of(req);
	const struct imlfs_kind *kind;
	struct imlfs_node node;

	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	kind = imlfs_kind_of(&node);
	if (!kind)
		fuse_reply_err(req, EISDIR);
	else
		kind->read(req, fs, &node, size, off, fi);
}

/* The kind of ino's node, or NULL (a directory, or no such node). */
static const struct imlfs_kind *kind_of_ino(fuse_req_t req, fuse_ino_t ino)
{
	struct imlfs_node node;

	if (imlfs_catalog_node(fs_of(req)->cat, ino, &node))
		return NULL;
	return imlfs_kind_of(&node);
}

/* Writes smaller than this leave their few pages be: an madvise costs more. */
#define DROP_PAYLOAD_MIN (64u << 10)

/* Hand the whole pages of a big WRITE's payload back to the kernel once it
 * has been copied.  The payload sits in the worker thread's 1 MiB receive
 * buffer (libfuse's, malloc'd once per thread and kept while the thread
 * lives), which nobody reads again: the next request overwrites it.  Without
 * this each thread that ever received a big write keeps 1 MiB resident, and
 * the daemon's RSS steps up by 1 MiB whenever a busy moment adds a thread
 * (a soak, contrib/soak.sh, saw +7.9 % from one such step). */
static void drop_payload_pages(const char *buf, size_t size)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)buf + page - 1) & ~(page - 1);
	uintptr_t to = ((uintptr_t)buf + size) & ~(page - 1);

	if (size >= DROP_PAYLOAD_MIN && to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	const struct imlfs_kind *kind = kind_of_ino(req, ino);

	if (!kind || !kind->write)
		fuse_reply_err(req, EROFS);
	else
		kind->write(req, fs_of(req), buf, size, off, fi);
	drop_payload_pages(buf, size);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct imlfs_kind *kind = kind_of_ino(req, ino);

	/* No-open mode sends FLUSH at every close, with no handle and nothing
	 * to flush: ENOSYS makes the kernel stop sending it (no_flush). */
	if (fs_of(req)->readonly)
		fuse_reply_err(req, ENOSYS);
	else if (kind && kind->flush)
		kind->flush(req, fs_of(req), fi);
	else
		fuse_reply_err(req, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* Whatever a kind keeps in fi->fh is a tagged handle (handles.h). */
	imlfs_handle_release(req, fs_of(req), fi);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct imlfs_fs *fs = fs_of(req);
	struct statvfs sv;
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < fs->model->nmembers; i++)
		bytes += fs->model->members[i].size;
	memset(&sv, 0, sizeof sv);
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = (bytes + 4095) / 4096;
	sv.f_files = 2ULL * fs->model->nmembers + imlfs_catalog_ndirs(fs->cat) + 6;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

/* Everything that would change the tree. */
static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d)
{
	fuse_reply_err(req, EROFS);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
	fuse_reply_err(req, EROFS);
}

static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
	fuse_reply_err(req, EROFS);
}

static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	fuse_reply_err(req, EROFS);
}

static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np,
		      const char *nn, unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *nn)
{
	fuse_reply_err(req, EROFS);
}

static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m,
		      struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *n, const char *v,
			size_t s, int f)
{
	fuse_reply_err(req, EROFS);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *n)
{
	fuse_reply_err(req, EROFS);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t o, off_t l,
			 struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

/* No forget: inodes are computed, not allocated, and libfuse's default
 * answers it.  No readlink: the tree holds no symlinks. */
const struct fuse_lowlevel_ops imlfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.statfs = op_statfs,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_unlink,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.create = op_create,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.fallocate = op_fallocate,
};
