/* SPDX-License-Identifier: MIT */
/* md5.c — MD5 of bytes and of an open file, and its hex form (see md5.h).
 * MD5 comes from libnettle, which libarchive links anyway. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nettle/md5.h>

#include "imlfs/md5.h"

#define MEM_CHUNK (1u << 20)   /* between two looks at p->stop */

int imlfs_md5_mem(const void *data, size_t len, uint8_t md5[IMLFS_MD5_LEN],
		  struct imlfs_md5_progress *p)
{
	const unsigned char *d = data;
	struct md5_ctx c;
	size_t off = 0;
	int rc = 0;

	md5_init(&c);
	while (off < len) {
		size_t n = len - off < MEM_CHUNK ? len - off : MEM_CHUNK;

		if (p && atomic_load(&p->stop)) {
			rc = -ECANCELED;
			break;
		}
		md5_update(&c, n, d + off);
		off += n;
		if (p)
			atomic_store(&p->done, off);
		if (p && p->tick)
			p->tick(p->ctx, off);
	}
	md5_digest(&c, IMLFS_MD5_LEN, md5);
	return rc;
}

void imlfs_md5_buf(const void *data, size_t len, uint8_t md5[IMLFS_MD5_LEN])
{
	imlfs_md5_mem(data, len, md5, NULL);
}

void imlfs_md5_hex(const uint8_t md5[IMLFS_MD5_LEN], char hex[33])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < IMLFS_MD5_LEN; i++) {
		hex[2 * i] = digits[md5[i] >> 4];
		hex[2 * i + 1] = digits[md5[i] & 15];
	}
	hex[32] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int imlfs_md5_parse(const char *s, size_t len, uint8_t md5[IMLFS_MD5_LEN])
{
	if (len != 32)
		return -1;
	for (int i = 0; i < IMLFS_MD5_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		md5[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ---- hashing a file ------------------------------------------------------ */

#define CHUNK (8u << 20)       /* large preads: few system calls, long I/Os */
#define ALIGN 4096             /* O_DIRECT buffer and offset alignment */

/* Was any page of [off, off+len) in the page cache?  Asked of a mapping of
 * the range (mincore); when that fails, assume yes, so nothing is dropped. */
static bool any_cached(int fd, uint64_t off, size_t len)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t pages, i;
	unsigned char *vec;
	void *map;
	bool any = true;

	if (ps <= 0 || off % (uint64_t)ps)
		return true;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
	if (map == MAP_FAILED)
		return true;
	pages = (len + (size_t)ps - 1) / (size_t)ps;
	vec = malloc(pages);
	if (vec && mincore(map, len, vec) == 0)
		for (any = false, i = 0; i < pages && !any; i++)
			any = vec[i] & 1;
	free(vec);
	munmap(map, len);
	return any;
}

int imlfs_md5_fd(int fd, uint8_t md5[IMLFS_MD5_LEN], uint64_t *len, struct imlfs_md5_progress *p)
{
	char proc[64];
	struct md5_ctx c;
	uint64_t off = 0;
	unsigned char *buf;
	int dfd, bfd = -1, rc = 0;

	buf = aligned_alloc(ALIGN, CHUNK);
	if (!buf)
		return -ENOMEM;
	/* The same open file, without the page cache: reading 6.4 GB through
	 * it would push out the images and indexes readers have cached. */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	dfd = p && p->buffered ? -1 : open(proc, O_RDONLY | O_DIRECT | O_CLOEXEC);
	md5_init(&c);
	for (;;) {
		ssize_t n;
		bool cached = false;
		int rfd;

		if (p && atomic_load(&p->stop)) {
			rc = -ECANCELED;
			break;
		}
		if (dfd >= 0) {
			n = pread(dfd, buf, CHUNK, (off_t)off);
			if (n < 0 && errno == EINVAL) {
				/* Opened, but this file system refuses direct reads. */
				close(dfd);
				dfd = -1;
				continue;
			}
		} else {
			if (bfd < 0) {
				/* A description of our own, without readahead:
				 * pages read ahead would look cached by a reader
				 * at the next chunk, and the mount's readers keep
				 * theirs on fd. */
				bfd = open(proc, O_RDONLY | O_CLOEXEC);
				if (bfd >= 0)
					posix_fadvise(bfd, 0, 0, POSIX_FADV_RANDOM);
			}
			rfd = bfd >= 0 ? bfd : fd;
			cached = any_cached(rfd, off, CHUNK);
			n = pread(rfd, buf, CHUNK, (off_t)off);
			if (n > 0 && !cached)
				posix_fadvise(rfd, (off_t)off, n, POSIX_FADV_DONTNEED);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		md5_update(&c, (size_t)n, buf);
		off += (uint64_t)n;
		if (p)
			atomic_store(&p->done, off);
		if (p && p->tick)
			p->tick(p->ctx, off);
		/* A direct read ends short only at the end of the file, and
		 * one more from an unaligned offset would fail. */
		if (dfd >= 0 && n % ALIGN)
			break;
	}
	if (dfd >= 0)
		close(dfd);
	if (bfd >= 0)
		close(bfd);
	free(buf);
	md5_digest(&c, IMLFS_MD5_LEN, md5);
	*len = off;
	return rc;
}

