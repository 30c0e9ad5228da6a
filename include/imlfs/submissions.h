/* submissions.h — the predictions files' state: open submissions being
 * written, and each user's latest scores per file.  Thread-safe (the FUSE
 * loop is multithreaded); no FUSE in here, the glue only translates.
 *
 * A "file" is a split index (enum imlfs_split) or IMLFS_SCORE_ROOT.
 * Bounds: IMLFS_SUB_MAX_BYTES per submission (-EFBIG beyond), at most
 * IMLFS_SUB_MAX_OPEN open at once (-EMFILE beyond), results kept for at most
 * IMLFS_SUB_MAX_USERS users (least recently submitting user dropped first).
 */
#ifndef IMLFS_SUBMISSIONS_H
#define IMLFS_SUBMISSIONS_H

#include <stddef.h>
#include <sys/types.h>

#include "imlfs/model.h"

#define IMLFS_SUB_MAX_BYTES (64u << 20)
#define IMLFS_SUB_MAX_OPEN 64
#define IMLFS_SUB_MAX_USERS 1024

struct imlfs_subs;    /* the store */
struct imlfs_sub;     /* one open submission (a descriptor opened for writing) */

struct imlfs_subs *imlfs_subs_new(const struct imlfs_model *m);
void imlfs_subs_free(struct imlfs_subs *s);

/* Start a submission by uid to `file`.  0 and *out, or -EMFILE, -ENOMEM. */
int imlfs_subs_open(struct imlfs_subs *s, uid_t uid, int file, struct imlfs_sub **out);
/* Store len bytes at offset off (normally the end).  Returns len, or -EFBIG
 * when the submission would exceed the bound (nothing stored), -ENOMEM. */
long imlfs_sub_write(struct imlfs_sub *sub, const char *buf, size_t len, off_t off);
/* Truncate what was written to `size` bytes (for O_TRUNC / ftruncate). */
int imlfs_sub_truncate(struct imlfs_sub *sub, off_t size);
/* Score what was written, if anything changed since the last flush, and
 * publish it as this user's latest for the file.  Returns 0 or -ENOMEM. */
int imlfs_sub_flush(struct imlfs_sub *sub);
/* Scores of what this submission has written so far (malloc'd text). */
char *imlfs_sub_scores(struct imlfs_sub *sub, size_t *len);
/* End the submission (does not score: flush does). */
void imlfs_sub_close(struct imlfs_sub *sub);

/* Snapshot of uid's latest scores for `file` (malloc'd), or the "nothing
 * submitted yet" text when there is none. */
char *imlfs_subs_latest(struct imlfs_subs *s, uid_t uid, int file, size_t *len);
/* Its size, for st_size. */
size_t imlfs_subs_latest_size(struct imlfs_subs *s, uid_t uid, int file);

#endif
