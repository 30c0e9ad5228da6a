/* SPDX-License-Identifier: MIT */
/* fs.h — what the FUSE glue shares: the mounted file system's state and
 * the operation table (ops.c), which dispatches through the table of file
 * kinds (kinds.h).  Everything here only translates between FUSE requests
 * and the core (catalog, sidecar, submissions). */
#ifndef IMLFS_FUSE_FS_H
#define IMLFS_FUSE_FS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "imlfs/catalog.h"
#include "imlfs/inputs.h"
#include "imlfs/submissions.h"
#include "imlfs/tarcheck.h"

struct imlfs_handle;
struct imlfs_pixcache;
struct imlfs_jobs;

struct imlfs_fs {
	const struct imlfs_catalog *cat;
	const struct imlfs_model *model;
	struct imlfs_subs *subs;
	int tar_fd;               /* the tarball, read with pread/splice only */
	struct imlfs_tarcheck tar; /* is it still as indexed? (each image read) */
	double timeout;           /* entry/attr timeout of immutable nodes */
	const struct imlfs_inputs *inputs;
	struct imlfs_tarhash *tarhash;  /* the tarball's check, for the README */
	char ra_sysfs[64];        /* our bdi's read_ahead_kb (readahead.c), or "" */
	atomic_bool ra_done;
	bool readonly;            /* mounted -o ro: no-open mode (ops.c), from mountinfo */
	pthread_mutex_t handles_lock;  /* guards handles */
	struct imlfs_handle *handles;  /* every open handle (handles.h) */
	pthread_mutex_t readme_lock;   /* guards the two below */
	uint64_t readme_hash;     /* of the README text last rendered for a GETATTR */
	struct timespec readme_mtime;  /* when that text last changed */
	struct imlfs_pixcache *pixcache;  /* recent crops (pixels.c) */
	struct imlfs_jobs *pix_jobs;      /* where crops are decoded (pixels.c) */
	/* pixels.c's counters, printed on SIGUSR1 (stats.c): crops computed
	 * (an image decoded for a spec), of them failed, and crops found in
	 * the cache instead */
	_Atomic uint64_t pix_decodes, pix_failures, pix_hits;
};

extern const struct fuse_lowlevel_ops imlfs_ops;

/* readahead.c: one READ per image (up to 1 MiB).  _find, after mounting:
 * our mount's read_ahead_kb in sysfs, and whether it is read-only
 * (fs->readonly); _raise, on every request that may come first after INIT:
 * sets it once (as root; else nothing changes). */
#define IMLFS_READAHEAD_KB "1024"
void imlfs_readahead_find(struct imlfs_fs *fs, const char *mountpoint);
void imlfs_readahead_raise(struct imlfs_fs *fs);

/* pixels.c: the cache of recent crops shared by every thread (NULL when
 * out of memory). */
struct imlfs_pixcache *imlfs_pixcache_new(void);
void imlfs_pixcache_free(struct imlfs_pixcache *pc);

/* usermount.c: /dev/fuse is there and, as a user, what fusermount3 will
 * ask for (a writable mount point, /dev/fuse, user_allow_other). */
struct imlfs_error;
int imlfs_check_user_mount(const char *mountpoint, int allow_other, struct imlfs_error *err);

#endif
