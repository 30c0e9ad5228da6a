/* SPDX-License-Identifier: MIT */
/* tardigest.h — the remembered tarball digest, so that a remount of the
 * same 6.4 GB file is not hashed again: a small text file beside the index
 * cache (NAME.idx -> NAME.md5) in the cache folder, keyed by the tarball's
 * path, size, mtime, inode and device.  It is read and written only through
 * the checked folder, by the cache's rules (cache.h, "Trust"): a digest in
 * a file that is not the daemon's own is not believed.
 *
 * imlfs_tardigest_file returns the digest's name for an index's name or path
 * (malloc'd; NULL when that is NULL or empty); load returns 1 when the file
 * holds a digest for exactly this path and identity, else 0; save writes it
 * with imlfs_cache_write() (a locked temporary file, renamed over; swept
 * when its writer dies), returning 0 or -errno.
 */
#ifndef IMLFS_TARDIGEST_H
#define IMLFS_TARDIGEST_H

#include <stdint.h>
#include <sys/stat.h>

#include "imlfs/cache.h"
#include "imlfs/md5.h"

char *imlfs_tardigest_file(const char *cache_file);
int imlfs_tardigest_load(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, uint8_t md5[IMLFS_MD5_LEN]);
int imlfs_tardigest_save(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, const uint8_t md5[IMLFS_MD5_LEN]);

#endif
