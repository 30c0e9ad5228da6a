/* ops.c — FUSE low-level callbacks: each translates one request into
 * catalog or submission calls and replies exactly once.
 *
 * Immutable nodes (everything but the predictions files) get long entry and
 * attribute timeouts and keep_cache, so the kernel answers repeated stats and
 * reads itself; directory listings are readdirplus and cached by the kernel,
 * so `ls -l` and `find` cost one request per buffer, not one per entry.
 * Image bytes go from the tarball to the kernel by splice through a pipe
 * of the thread's own, and each read is checked against the tarball as it
 * was indexed before it is sent (read_image, tarcheck.h): bytes that are
 * gone or changed fail with EIO, never a short or wrong read.
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
#include "imlfs/sidecar.h"
#include "reply.h"

static struct imlfs_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void fill_entry(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof *e);
	e->ino = node->ino;
	imlfs_catalog_stat(fs->cat, node, &e->attr);
	e->entry_timeout = fs->timeout;
	e->attr_timeout = fs->timeout;
	if (node->kind == IMLFS_NODE_PREDICTIONS || node->kind == IMLFS_NODE_REPORT) {
		/* The caller's latest scores or report (predictions.c says
		 * which size it reports); ask every time. */
		e->attr.st_size = imlfs_pred_size(req, fs, node);
		e->attr_timeout = 0;
	} else if (imlfs_is_readme(node)) {
		/* Its last part changes while mounted (readme.c). */
		imlfs_readme_stat(fs, &e->attr);
		e->attr_timeout = 0;
	}
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
	struct imlfs_node node;
	int r;

	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* Only truncating a predictions file (`>` in a shell) is allowed;
	 * timestamps on it are accepted and ignored so `touch` works. */
	if (node.kind != IMLFS_NODE_PREDICTIONS ||
	    (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) &&
	    (r = imlfs_pred_truncate(req, fs, &node, fi, attr->st_size))) {
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
	struct imlfs_node node;

	imlfs_readahead_raise(fs);
	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (node.kind == IMLFS_NODE_DIR) {
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
	if (node.kind == IMLFS_NODE_PREDICTIONS) {
		imlfs_pred_open(req, fs, &node, fi);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (imlfs_is_readme(&node)) {
		imlfs_readme_open(req, fs, fi);
		return;
	}
	if (node.kind == IMLFS_NODE_REPORT) {
		imlfs_report_open(req, fs, &node, fi);
		return;
	}
	/* Immutable: keep the kernel's cached pages across opens, and no
	 * FLUSH round trip on close (nothing to flush; halves the requests a
	 * cached re-read costs). */
	fi->keep_cache = 1;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
}

static void read_sidecar(fuse_req_t req, struct imlfs_fs *fs, uint32_t i, size_t size, off_t off)
{
	struct imlfs_buf b = { 0 };

	if (imlfs_sidecar_render(fs->model, i, &b))
		fuse_reply_err(req, ENOMEM);
	else
		imlfs_reply_slice(req, b.p, b.len, size, off);
	imlfs_buf_free(&b);
}

/* Each FUSE thread's pipe.  An image's bytes are spliced from the tarball
 * into it, counted and checked (tarcheck.h), and only then spliced on to
 * the kernel: a short splice (the tarball shrank) is caught before anything
 * is sent, at the cost of one pipe-to-pipe splice.  Letting libfuse splice
 * straight from the tarball would send a short read silently. */
struct tpipe {
	int fd[2];
	size_t cap;               /* bytes it holds: F_GETPIPE_SZ */
};

#define PIPE_WANT (1 << 20)       /* the largest read (256 pages of 4 KiB) */

static pthread_key_t pipe_key;
static pthread_once_t pipe_once = PTHREAD_ONCE_INIT;
static bool pipe_key_ok;
static size_t page_size;

static void pipe_free(void *p)
{
	struct tpipe *tp = p;

	close(tp->fd[0]);
	close(tp->fd[1]);
	free(tp);
}

static void pipe_key_make(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	page_size = ps > 0 ? (size_t)ps : 4096;
	pipe_key_ok = pthread_key_create(&pipe_key, pipe_free) == 0;
}

/* The thread's pipe, made on first use; NULL when pipes are not to be had. */
static struct tpipe *thread_pipe(void)
{
	struct tpipe *tp;
	int cap;

	if (pthread_once(&pipe_once, pipe_key_make) || !pipe_key_ok)
		return NULL;
	tp = pthread_getspecific(pipe_key);
	if (tp)
		return tp;
	tp = malloc(sizeof *tp);
	if (!tp)
		return NULL;
	if (pipe2(tp->fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(tp);
		return NULL;
	}
	fcntl(tp->fd[0], F_SETPIPE_SZ, PIPE_WANT);
	cap = fcntl(tp->fd[0], F_GETPIPE_SZ);
	tp->cap = cap > 0 ? (size_t)cap : 0;
	if (pthread_setspecific(pipe_key, tp)) {
		pipe_free(tp);
		return NULL;
	}
	return tp;
}

/* A pipe left holding bytes (a failed reply) would corrupt the next one. */
static void pipe_drop(struct tpipe *tp)
{
	pthread_setspecific(pipe_key, NULL);
	pipe_free(tp);
}

/* Splice [pos, pos+size) into the pipe: bytes moved (fewer at the end of
 * the file), or -errno, after which the pipe must be dropped. */
static int64_t splice_in(int fd, uint64_t pos, struct tpipe *tp, size_t size)
{
	loff_t p = (loff_t)pos;
	size_t got = 0;

	while (got < size) {
		ssize_t n = splice(fd, &p, tp->fd[1], NULL, size - got, SPLICE_F_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (int64_t)got;
}

/* Without a pipe, or for a read the pipe cannot hold: pread into memory. */
static void read_image_copy(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_member *mem,
			    size_t size, off_t off)
{
	char *buf = malloc(size);
	size_t got = 0;
	int64_t r = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	while (got < size) {
		ssize_t n = pread(fs->tar_fd, buf + got, size - got,
				  (off_t)(mem->offset + (uint64_t)off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (imlfs_tarcheck_read(&fs->tar, mem, (uint64_t)off, size, r < 0 ? r : (int64_t)got))
		fuse_reply_err(req, EIO);
	else
		fuse_reply_buf(req, buf, size);
	free(buf);
}

static void read_image(fuse_req_t req, struct imlfs_fs *fs, uint32_t i, size_t size, off_t off)
{
	const struct imlfs_member *mem = &fs->model->members[i];
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);
	struct tpipe *tp;
	uint64_t pos;
	int64_t got;
	int n;

	if ((uint64_t)off >= mem->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > mem->size - (uint64_t)off)
		size = (size_t)(mem->size - (uint64_t)off);
	pos = mem->offset + (uint64_t)off;
	tp = thread_pipe();
	/* Each page the range touches takes one of the pipe's slots. */
	if (!tp || (pos % page_size + size + page_size - 1) / page_size > tp->cap / page_size) {
		read_image_copy(req, fs, mem, size, off);
		return;
	}
	got = splice_in(fs->tar_fd, pos, tp, size);
	if (got == -EAGAIN || got == -EINVAL) {
		/* The pipe is full after all, or this file cannot splice. */
		pipe_drop(tp);
		read_image_copy(req, fs, mem, size, off);
		return;
	}
	if (imlfs_tarcheck_read(&fs->tar, mem, (uint64_t)off, size, got)) {
		pipe_drop(tp);
		fuse_reply_err(req, EIO);
		return;
	}
	bv.buf[0].size = size;
	bv.buf[0].flags = FUSE_BUF_IS_FD;
	bv.buf[0].fd = tp->fd[0];
	fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
	if (ioctl(tp->fd[0], FIONREAD, &n) < 0 || n != 0)
		pipe_drop(tp);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct imlfs_fs *fs = fs_of(req);
	struct imlfs_node node;
	const char *text;
	size_t len;

	if (imlfs_catalog_node(fs->cat, ino, &node)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	switch (node.kind) {
	case IMLFS_NODE_IMAGE:
		read_image(req, fs, (uint32_t)node.index, size, off);
		break;
	case IMLFS_NODE_SIDECAR:
		read_sidecar(req, fs, (uint32_t)node.index, size, off);
		break;
	case IMLFS_NODE_TEXT:
		if (imlfs_is_readme(&node)) {
			if (fi->fh)
				imlfs_readme_read(req, size, off, fi);
			else
				imlfs_readme_read_now(req, fs, size, off);
			break;
		}
		text = imlfs_catalog_text(fs->cat, (int)node.index, &len);
		imlfs_reply_slice(req, text, len, size, off);
		break;
	case IMLFS_NODE_PREDICTIONS:
	case IMLFS_NODE_REPORT:
		if (fi->fh)
			imlfs_pred_read(req, fs, size, off, fi);
		else
			imlfs_pred_read_now(req, fs, &node, size, off);
		break;
	default:
		fuse_reply_err(req, EISDIR);
	}
}

static bool is_kind(fuse_req_t req, fuse_ino_t ino, enum imlfs_node_kind kind)
{
	struct imlfs_node node;

	return imlfs_catalog_node(fs_of(req)->cat, ino, &node) == 0 && node.kind == kind;
}

static bool is_predictions(fuse_req_t req, fuse_ino_t ino)
{
	return is_kind(req, ino, IMLFS_NODE_PREDICTIONS);
}

/* Predictions and report files keep a handle in fi->fh (predictions.c). */
static bool has_handle(fuse_req_t req, fuse_ino_t ino)
{
	return is_predictions(req, ino) || is_kind(req, ino, IMLFS_NODE_REPORT);
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
	if (!is_predictions(req, ino))
		fuse_reply_err(req, EROFS);
	else
		imlfs_pred_write(req, buf, size, off, fi);
	drop_payload_pages(buf, size);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* No-open mode sends FLUSH at every close, with no handle and nothing
	 * to flush: ENOSYS makes the kernel stop sending it (no_flush). */
	if (fs_of(req)->readonly)
		fuse_reply_err(req, ENOSYS);
	else if (has_handle(req, ino))
		imlfs_pred_flush(req, fi);
	else
		fuse_reply_err(req, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct imlfs_node node;

	if (!fi->fh)
		fuse_reply_err(req, 0);
	else if (has_handle(req, ino))
		imlfs_pred_release(req, fi);
	else if (imlfs_catalog_node(fs_of(req)->cat, ino, &node) == 0 && imlfs_is_readme(&node))
		imlfs_readme_release(req, fi);
	else
		fuse_reply_err(req, 0);
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
