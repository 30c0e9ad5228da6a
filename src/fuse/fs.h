/* fs.h — what the FUSE glue shares: the mounted file system's state and
 * the operation table.  Everything here only translates between FUSE
 * requests and the core (catalog, sidecar, submissions). */
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
	pthread_mutex_t readme_lock;   /* guards the two below */
	uint64_t readme_hash;     /* of the README text last rendered for a GETATTR */
	struct timespec readme_mtime;  /* when that text last changed */
};

extern const struct fuse_lowlevel_ops imlfs_ops;

/* predictions.c: the writable files. */
void imlfs_pred_open(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     struct fuse_file_info *fi);
void imlfs_pred_read(fuse_req_t req, struct imlfs_fs *fs, size_t size, off_t off,
		     struct fuse_file_info *fi);
void imlfs_pred_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi);
void imlfs_pred_flush(fuse_req_t req, struct fuse_file_info *fi);
void imlfs_pred_release(fuse_req_t req, struct fuse_file_info *fi);
/* Free the handles whose RELEASE never came (the session has ended). */
void imlfs_pred_free_all(void);
/* st_size of a predictions or report file (0 on a writable mount). */
off_t imlfs_pred_size(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node);
/* The report files (report.html, per-class.tsv): open takes a snapshot of
 * the caller's report, read with imlfs_pred_read, closed with
 * imlfs_pred_flush and imlfs_pred_release. */
void imlfs_report_open(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		       struct fuse_file_info *fi);
/* No-open mode (no file handle): reply with the caller's latest scores or
 * report, rendered now. */
void imlfs_pred_read_now(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			 size_t size, off_t off);
/* Truncate: ftruncate(2) on a descriptor open for writing (fi), or
 * truncate(2) by path (fi NULL); 0 or -errno. */
int imlfs_pred_truncate(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			struct fuse_file_info *fi, off_t size);

/* readme.c: README, whose last part (the inputs' check against the
 * published files) changes while mounted: a snapshot at each open, or on
 * a read-only mount the text as it is at each READ. */
bool imlfs_is_readme(const struct imlfs_node *node);
void imlfs_readme_open(fuse_req_t req, struct imlfs_fs *fs, struct fuse_file_info *fi);
void imlfs_readme_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi);
void imlfs_readme_release(fuse_req_t req, struct fuse_file_info *fi);
/* No-open mode (no file handle): reply with the README rendered now. */
void imlfs_readme_read_now(fuse_req_t req, struct imlfs_fs *fs, size_t size, off_t off);
/* Its size and, on a read-only mount, an mtime that moves whenever its
 * text changes (the kernel then drops its cached pages). */
void imlfs_readme_stat(struct imlfs_fs *fs, struct stat *st);
/* At exit: the snapshots whose release never came. */
void imlfs_readme_free_all(void);

/* readahead.c: one READ per image (up to 1 MiB).  _find, after mounting:
 * our mount's read_ahead_kb in sysfs, and whether it is read-only
 * (fs->readonly); _raise, on every request that may come first after INIT:
 * sets it once (as root; else nothing changes). */
#define IMLFS_READAHEAD_KB "1024"
void imlfs_readahead_find(struct imlfs_fs *fs, const char *mountpoint);
void imlfs_readahead_raise(struct imlfs_fs *fs);

/* usermount.c: /dev/fuse is there and, as a user, what fusermount3 will
 * ask for (a writable mount point, /dev/fuse, user_allow_other). */
struct imlfs_error;
int imlfs_check_user_mount(const char *mountpoint, int allow_other, struct imlfs_error *err);

#endif
