/* SPDX-License-Identifier: MIT */
/* tarcheck.h — is the tarball still the one that was indexed?
 *
 * Image bytes are served from the descriptor opened at start-up, at the
 * offsets of the index.  If the file changes under the mount, those offsets
 * may point at missing or different bytes.  After each read of member data
 * (and before the reply goes out) the daemon asks imlfs_tarcheck_read(),
 * which fstat()s the descriptor (~0.3 us) and compares with the size and
 * mtime recorded when the tarball was opened for indexing:
 *
 *   same size and mtime     the bytes read are served
 *   smaller                 truncated: a member whose data still lies wholly
 *                           inside the file, and whose tar header in front of
 *                           it is still intact, is served; any other fails
 *   same or larger size,    rewritten in place: every image read fails, since
 *     other mtime           any byte may have changed; remounting re-indexes
 *
 * A failed read is -EIO.  Each change of state is logged once (one line
 * naming the tarball and what to do), read errors at most once per
 * IMLFS_TARCHECK_LOG_EVERY seconds, so a loader retrying forever cannot fill
 * the log.  A tarball renamed over or deleted is not a change: the open
 * descriptor still holds the indexed file, which goes on being served.
 */
#ifndef IMLFS_TARCHECK_H
#define IMLFS_TARCHECK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imlfs/model.h"

#define IMLFS_TARCHECK_LOG_EVERY 10   /* seconds between read-error lines */

enum imlfs_tar_state {
	IMLFS_TAR_OK,          /* as indexed */
	IMLFS_TAR_TRUNCATED,   /* shorter than indexed */
	IMLFS_TAR_CHANGED,     /* rewritten in place */
};

struct imlfs_tarcheck {
	const char *path;      /* for messages */
	int fd;
	uint64_t size;         /* st_size when indexed */
	int64_t mtime_ns;      /* st_mtim when indexed */
	FILE *log;             /* where the lines go; NULL: none */
	bool use_syslog;       /* also to syslog (a daemon's stderr is /dev/null) */
	atomic_int state;      /* the last state logged */
	atomic_llong last_err; /* CLOCK_MONOTONIC second of the last error line */
};

/* Start checking fd against the size and mtime it had when it was indexed
 * (struct imlfs_load_info's tar_size and tar_mtime_ns). */
void imlfs_tarcheck_init(struct imlfs_tarcheck *t, const char *path, int fd, uint64_t size,
			 int64_t mtime_ns, FILE *log);

/* Called after reading `want` bytes of member m's data at offset `off`
 * (relative to the member) and getting `got` of them (or -errno when the
 * read failed).  Returns 0 when those bytes may be served, else -EIO. */
int imlfs_tarcheck_read(struct imlfs_tarcheck *t, const struct imlfs_member *m,
			uint64_t off, size_t want, int64_t got);

#endif
