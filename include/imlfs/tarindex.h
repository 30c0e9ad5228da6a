/* SPDX-License-Identifier: MIT */
/* tarindex.h — the tarball's member table, from headers only.
 *
 * The tarball is scanned once with libarchive over a seekable reader: member
 * data is skipped with lseek, never read (except the first few KiB of each
 * member, which sit right after its header, to read the JPEG header for the
 * sidecars).  Each regular member is recorded with its data offset, size and
 * mtime; its name is the part after the last '/' (so "./X.JPEG" and
 * "val/X.JPEG" give "X.JPEG").  Members are then sorted by name.  Bytes are
 * later served with pread(2) at members[i].offset.
 */
#ifndef IMLFS_TARINDEX_H
#define IMLFS_TARINDEX_H

#include "imlfs/error.h"
#include "imlfs/model.h"

/* Called now and then while indexing (for progress on stderr). */
typedef void (*imlfs_progress_fn)(void *ctx, uint32_t members, uint64_t bytes_done,
				  uint64_t bytes_total);

/* Index `path` (open on `fd`, which stays open and is only read through
 * pread/lseek) into m->members, m->names, m->nmembers, m->stats.tar_skipped.
 * Failures: IMLFS_E_NOTTAR (not a tar; compressed — the message names the
 * compression and says to decompress first; no regular members),
 * IMLFS_E_TRUNCATED (header or data past the end, with the member name and
 * byte offset), IMLFS_E_MISSING (read errors), IMLFS_E_NOMEM.
 * Duplicate member names are an IMLFS_E_NOTTAR error naming both offsets,
 * and so is a name longer than IMLFS_NAME_MAX (or a stem longer than
 * IMLFS_NAME_MAX - 5), which could be listed but never opened. */
int imlfs_tar_index(struct imlfs_model *m, const char *path, int fd,
		    imlfs_progress_fn progress, void *ctx, struct imlfs_error *err);

#endif
