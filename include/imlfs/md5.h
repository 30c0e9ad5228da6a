/* SPDX-License-Identifier: MIT */
/* md5.h — the one home of MD5 in imlfs (libnettle): of bytes in memory, of
 * a whole open file, and the 32-hex-digit form.  The loader hashes the
 * bytes each small input's parser parsed (load.c); the tarball is hashed
 * from its descriptor (tarhash.h, imlfs --verify).
 */
#ifndef IMLFS_MD5_H
#define IMLFS_MD5_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMLFS_MD5_LEN 16   /* bytes of an MD5 digest (nettle's MD5_DIGEST_SIZE) */

/* Progress and cancellation of a long hash (p may be NULL). */
struct imlfs_md5_progress {
	_Atomic uint64_t done;         /* bytes hashed so far */
	atomic_bool stop;              /* set to make it return -ECANCELED */
	bool buffered;                 /* for tests: never try O_DIRECT */
	void (*tick)(void *ctx, uint64_t done);   /* after each chunk, if set */
	void *ctx;
};

void imlfs_md5_buf(const void *data, size_t len, uint8_t md5[IMLFS_MD5_LEN]);

/* The same in 1 MiB chunks, with progress and cancellation: 0, or
 * -ECANCELED when p->stop was set (md5 then holds the digest of a prefix). */
int imlfs_md5_mem(const void *data, size_t len, uint8_t md5[IMLFS_MD5_LEN],
		  struct imlfs_md5_progress *p);

/* MD5 of the whole file open at fd, read with pread in large chunks from
 * offset 0 to the end; *len gets the bytes read.  So as not to disturb the
 * page cache that readers of the mount rely on, it reads with O_DIRECT
 * (through /proc/self/fd) where the file system allows it; otherwise it
 * reads through the page cache and drops each chunk again
 * (POSIX_FADV_DONTNEED) unless some of it was cached before.
 * Returns 0, -ECANCELED, or -errno of a failed read. */
int imlfs_md5_fd(int fd, uint8_t md5[IMLFS_MD5_LEN], uint64_t *len, struct imlfs_md5_progress *p);

/* 32 lower-case hex digits and a NUL. */
void imlfs_md5_hex(const uint8_t md5[IMLFS_MD5_LEN], char hex[33]);
/* 0, or -1 when s is not 32 hex digits. */
int imlfs_md5_parse(const char *s, size_t len, uint8_t md5[IMLFS_MD5_LEN]);

#endif
