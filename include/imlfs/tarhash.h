/* SPDX-License-Identifier: MIT */
/* tarhash.h — is the mounted tarball the published one?  Its MD5 is taken
 * once, in the background after the mount is ready, and remembered beside
 * the index cache (tardigest.h), so a remount of the same
 * file (path, size, mtime, inode, device) does not read 6.4 GB again.  The
 * cache folder is opened and checked once, at init (cache.h, "Trust"), and
 * the digest is read and written through that descriptor only.
 *
 *   imlfs_tarhash_init()   the remembered digest, or what is left to do
 *   imlfs_tarhash_start()  the hashing thread, when there is work: call it
 *                          once the daemon is mounted (and has forked)
 *   imlfs_tarhash_words()  the README's words for it, at any time, from any
 *                          thread: "not checked yet (hashing: 37 %)" ...
 *   imlfs_tarhash_stop()   stop and join the thread; before fd is closed
 *
 * The thread reads at idle I/O priority and nice 19, in large chunks that
 * bypass or leave the page cache (imlfs_md5_fd).  No published digest for
 * the tarball's name: nothing is read at all.
 *
 * Testing aid: with IMLFS_TEST_HASH_GATE=PATH in its environment the thread
 * waits until PATH exists before it reads anything, so that a test can see
 * "not checked yet" for as long as it needs.  It only delays the check.
 */
#ifndef IMLFS_TARHASH_H
#define IMLFS_TARHASH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "imlfs/cache.h"
#include "imlfs/published.h"
#include "imlfs/tardigest.h"
#include "imlfs/util.h"

struct imlfs_tarhash {
	const char *path;              /* the tarball; not owned */
	int fd;                        /* not owned */
	struct imlfs_cache_dir cache;  /* fd -1: not remembered (no cache) */
	char *digest_file;             /* its name in the cache folder */
	atomic_int state;              /* enum imlfs_vstatus */
	bool have_md5;                 /* md5 is set (read after state) */
	uint8_t md5[IMLFS_MD5_LEN];
	uint64_t total;                /* bytes to hash, for the progress */
	struct imlfs_md5_progress prog;
	char why[160];                 /* IMLFS_V_FAILED: what went wrong */
	const char *gate;              /* IMLFS_TEST_HASH_GATE (see below) */
	pthread_t thread;
	bool started;
};

/* cache_file: the index cache's file (load.h), "" or NULL when none; its
 * folder is used only if it passes the cache's checks, silently otherwise
 * (the index's loader has said why).
 * noverify: do not hash (the state is then IMLFS_V_SKIPPED unless a
 * remembered digest says more).  Returns 0, or -ENOMEM. */
int imlfs_tarhash_init(struct imlfs_tarhash *t, const char *path, int fd,
		       const char *cache_file, bool noverify);
/* Start hashing if there is anything to do: 0, or -errno (then the state
 * says it failed). */
int imlfs_tarhash_start(struct imlfs_tarhash *t);
void imlfs_tarhash_words(struct imlfs_tarhash *t, struct imlfs_buf *b);
void imlfs_tarhash_stop(struct imlfs_tarhash *t);

#endif
