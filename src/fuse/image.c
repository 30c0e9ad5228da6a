/* SPDX-License-Identifier: MIT */
/* image.c — the images and their JSON sidecars: immutable, so the kernel
 * keeps their pages and entries (the default open of kinds.h).
 *
 * Image bytes go from the tarball to the kernel by splice through a pipe
 * of the thread's own, and each read is checked against the tarball as it
 * was indexed before it is sent (tarcheck.h): bytes that are gone or
 * changed fail with EIO, never a short or wrong read.  Sidecars are
 * rendered from the model at each read (sidecar.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "handles.h"
#include "imlfs/sidecar.h"
#include "kinds.h"

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

/* Bytes [off, off+size) of member mem into buf, checked against the
 * tarball as it was indexed (tarcheck.h): 0, or -EIO when they are gone
 * or changed (never a short or wrong read). */
int imlfs_image_pread(struct imlfs_fs *fs, const struct imlfs_member *mem, uint64_t off,
		      void *buf, size_t size)
{
	size_t got = 0;
	int64_t r = 0;

	while (got < size) {
		ssize_t n = pread(fs->tar_fd, (char *)buf + got, size - got,
				  (off_t)(mem->offset + off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return imlfs_tarcheck_read(&fs->tar, mem, off, size, r < 0 ? r : (int64_t)got) ? -EIO : 0;
}

/* Without a pipe, or for a read the pipe cannot hold: pread into memory. */
static void read_image_copy(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_member *mem,
			    size_t size, off_t off)
{
	char *buf = malloc(size);

	if (!buf)
		fuse_reply_err(req, ENOMEM);
	else if (imlfs_image_pread(fs, mem, (uint64_t)off, buf, size))
		fuse_reply_err(req, EIO);
	else
		fuse_reply_buf(req, buf, size);
	free(buf);
}

static void read_image(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		       size_t size, off_t off, struct fuse_file_info *fi)
{
	const struct imlfs_member *mem = &fs->model->members[node->index];
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

static void read_sidecar(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			 size_t size, off_t off, struct fuse_file_info *fi)
{
	struct imlfs_buf b = { 0 };

	if (imlfs_sidecar_render(fs->model, (uint32_t)node->index, &b))
		fuse_reply_err(req, ENOMEM);
	else
		imlfs_reply_slice(req, b.p, b.len, size, off);
	imlfs_buf_free(&b);
}

const struct imlfs_kind imlfs_kind_image = { .read = read_image };
const struct imlfs_kind imlfs_kind_sidecar = { .read = read_sidecar };
