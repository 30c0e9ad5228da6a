/* submissions.h — the predictions files' state: open submissions being
 * written, and each user's latest scores per file.  Thread-safe (the FUSE
 * loop is multithreaded); no FUSE in here, the glue only translates.
 *
 * A "file" is a predictions file, enum imlfs_pred_file (model.h).
 * Bounds (struct imlfs_sub_limits, defaults below), so that no user can
 * take what the others need:
 *   one submission's text            IMLFS_SUB_MAX_BYTES         -EFBIG
 *   one .npy array submission        imlfs_npy_cap (npy.h)       -EFBIG
 *   buffers of one uid's open ones   IMLFS_SUB_UID_MAX_PENDING   -EDQUOT
 *   buffers of all open submissions  IMLFS_SUB_MAX_PENDING       -ENOSPC
 *   open submissions of one uid      IMLFS_SUB_UID_MAX_OPEN      -EMFILE
 *   open submissions in all          IMLFS_SUB_MAX_OPEN          -EMFILE
 * Pending bytes are the buffer capacity actually reserved (what costs
 * memory), given back when the submission is closed or truncated to 0.
 * The first bytes decide which of the first two bounds applies, at every
 * write: the .npy magic, an array's, else the text's.  An array's bound is
 * what the mount's largest array needs (every member, nclasses float32
 * scores, plus header room: 200 MB for ImageNet's 50,000 x 1,000), at
 * least the text bound and at most IMLFS_NPY_MAX_BYTES and uid_pending,
 * so that one uid can always hold one full array while the store's
 * pending bytes stay at 1 GiB (five such arrays at once).
 * Results are kept for at most IMLFS_SUB_MAX_USERS users (least recently
 * submitting user dropped first).  With a split's scores a user keeps that
 * submission's report (report.h): imlfs_report_bytes(m), 4 bytes per class
 * plus 1.6 KiB, so at most IMLFS_SUB_MAX_USERS x splits x that in all
 * (1024 x 3 x 5.6 KiB = 17 MiB with 1,000 classes).
 */
#ifndef IMLFS_SUBMISSIONS_H
#define IMLFS_SUBMISSIONS_H

#include <stddef.h>
#include <sys/types.h>

#include "imlfs/model.h"
#include "imlfs/report.h"

#define IMLFS_SUB_MAX_BYTES (64u << 20)
#define IMLFS_SUB_UID_MAX_PENDING (256u << 20)
#define IMLFS_SUB_MAX_PENDING (1u << 30)
#define IMLFS_SUB_UID_MAX_OPEN 8
#define IMLFS_SUB_MAX_OPEN 64
#define IMLFS_SUB_MAX_USERS 1024

struct imlfs_sub_limits {
	size_t sub_bytes;         /* one submission's text (arrays: npy.h) */
	size_t uid_pending;       /* reserved by one uid's open submissions */
	size_t pending;           /* reserved by all open submissions */
	unsigned uid_open;        /* open submissions of one uid */
	unsigned open;            /* open submissions in all */
};

#define IMLFS_SUB_LIMITS_DEFAULT ((struct imlfs_sub_limits){ \
	.sub_bytes = IMLFS_SUB_MAX_BYTES, .uid_pending = IMLFS_SUB_UID_MAX_PENDING, \
	.pending = IMLFS_SUB_MAX_PENDING, .uid_open = IMLFS_SUB_UID_MAX_OPEN, \
	.open = IMLFS_SUB_MAX_OPEN })

struct imlfs_subs;    /* the store */
struct imlfs_sub;     /* one open submission (a descriptor opened for writing) */

/* lim NULL: IMLFS_SUB_LIMITS_DEFAULT.  Every limit must be non-zero (else
 * NULL, as when out of memory). */
struct imlfs_subs *imlfs_subs_new(const struct imlfs_model *m, const struct imlfs_sub_limits *lim);
void imlfs_subs_free(struct imlfs_subs *s);

/* Start a submission by uid to `file`.  0 and *out, or -EINVAL (file is
 * not a predictions file), -EMFILE (uid's or the store's open limit),
 * -ENOMEM. */
int imlfs_subs_open(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
		    struct imlfs_sub **out);
/* Store len bytes at offset off (normally the end).  Returns len, or (with
 * nothing stored) -EFBIG when the submission would exceed sub_bytes,
 * -EDQUOT when its buffer cannot grow within the uid's pending bytes,
 * -ENOSPC within the store's, -ENOMEM. */
long imlfs_sub_write(struct imlfs_sub *sub, const char *buf, size_t len, off_t off);
/* Truncate what was written to `size` bytes (for O_TRUNC / ftruncate);
 * growing it fails as a write would. */
int imlfs_sub_truncate(struct imlfs_sub *sub, off_t size);
/* Score what was written and publish it as this user's latest for the
 * file: always at the submission's first flush (an empty submission is a
 * submission of nothing), then only when it changed since the last flush.
 * Returns 0 or -ENOMEM. */
int imlfs_sub_flush(struct imlfs_sub *sub);
/* Scores of what this submission has written so far (malloc'd text). */
char *imlfs_sub_scores(struct imlfs_sub *sub, size_t *len);
/* End the submission (does not score: flush does). */
void imlfs_sub_close(struct imlfs_sub *sub);

/* A whole submission at once: score len bytes of text (NULL: nothing) and
 * publish them as uid's latest for `file`, as an open, a write and a flush
 * would, but holding no open submission (for truncate(2) by path to 0).
 * 0, or -EINVAL (file is not a predictions file), -EFBIG (over the
 * submission bound), -ENOMEM. */
int imlfs_subs_submit(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
		      const char *text, size_t len);

/* Snapshot of uid's latest scores for `file` (malloc'd), or the "nothing
 * submitted yet" text when there is none; NULL when out of memory or file
 * is not a predictions file. */
char *imlfs_subs_latest(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			size_t *len);
/* Its size, for st_size (0 when file is not a predictions file). */
size_t imlfs_subs_latest_size(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file);

/* Report file `kind` (report.html, per-class.tsv) of uid's latest
 * submission to split file `file` (not the root's), rendered now
 * (malloc'd), or the "nothing submitted yet" page; NULL when out of memory
 * or file is not a split's predictions file. */
char *imlfs_subs_report(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			enum imlfs_report_kind kind, size_t *len);
/* Its size, for st_size (remembered until the next submission; 0 when
 * out of memory or file is not a split's predictions file). */
size_t imlfs_subs_report_size(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			      enum imlfs_report_kind kind);

#endif
