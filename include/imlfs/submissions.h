/* SPDX-License-Identifier: MIT */
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
 *   users with results kept          IMLFS_SUB_MAX_USERS         -ENOSPC (see below)
 * Pending bytes are the buffer capacity actually reserved (what costs
 * memory), given back when the submission is closed or truncated to 0.
 * After every write the first bytes decide which of the first two bounds
 * applies to the whole submission: the .npy magic, an array's, else the
 * text's (so a text cannot grow under an array's bound and then lose its
 * magic).  An array's bound is what the mount's largest array needs (every
 * member, nclasses float32 scores, plus header room: 200 MB for ImageNet's
 * 50,000 x 1,000), at least the text bound and at most IMLFS_NPY_MAX_BYTES
 * and uid_pending, so that one uid can always hold one full array while
 * the store's pending bytes stay at 1 GiB (five such arrays at once).
 * Limits are per uid: one person who owns many uids (subordinate uids for
 * rootless containers) has as many shares.
 *
 * Scoring is the slow part (about 0.5 s for 64 MiB of text), so it never
 * runs in the caller's thread: a read or flush that needs scores of a
 * version not scored yet is answered later, from a worker of a fair queue
 * (jobs.h: one scoring per uid at a time, uids in turn), through a
 * callback.  A submission is scored at most once per version: every
 * request for a version already scored is answered from that result.
 *
 * Results are kept for at most IMLFS_SUB_MAX_USERS users; when a new user
 * needs a place, the least recently submitting user's results go, unless
 * they are younger than keep_seconds (IMLFS_SUB_KEEP_SECONDS, an hour):
 * then the new user's flush fails with -ENOSPC and nobody loses scores.
 * With a split's scores a user keeps that submission's report (report.h):
 * imlfs_report_bytes(m), 4 bytes per class plus 1.6 KiB, so at most
 * IMLFS_SUB_MAX_USERS x splits x that in all (1024 x 3 x 5.6 KiB = 17 MiB
 * with 1,000 classes); and the scores the report's page shows (score.h:
 * 1.2 KiB per split plus the kept error messages, which the JSON text
 * holds too).
 * With the root's scores a user keeps the scorecard (scorecard.h:
 * imlfs_scorecard_bytes(), under 2 KiB) and those scores likewise.
 */
#ifndef IMLFS_SUBMISSIONS_H
#define IMLFS_SUBMISSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "imlfs/model.h"
#include "imlfs/report.h"

#define IMLFS_SUB_MAX_BYTES (64u << 20)
#define IMLFS_SUB_UID_MAX_PENDING (256u << 20)
#define IMLFS_SUB_MAX_PENDING (1u << 30)
#define IMLFS_SUB_UID_MAX_OPEN 8
#define IMLFS_SUB_MAX_OPEN 64
#define IMLFS_SUB_MAX_USERS 1024
#define IMLFS_SUB_KEEP_SECONDS 3600

struct imlfs_sub_limits {
	size_t sub_bytes;         /* one submission's text (arrays: npy.h) */
	size_t uid_pending;       /* reserved by one uid's open submissions */
	size_t pending;           /* reserved by all open submissions */
	unsigned uid_open;        /* open submissions of one uid */
	unsigned open;            /* open submissions in all */
	double keep_seconds;      /* results younger than this are never evicted (may be 0) */
};

#define IMLFS_SUB_LIMITS_DEFAULT ((struct imlfs_sub_limits){ \
	.sub_bytes = IMLFS_SUB_MAX_BYTES, .uid_pending = IMLFS_SUB_UID_MAX_PENDING, \
	.pending = IMLFS_SUB_MAX_PENDING, .uid_open = IMLFS_SUB_UID_MAX_OPEN, \
	.open = IMLFS_SUB_MAX_OPEN, .keep_seconds = IMLFS_SUB_KEEP_SECONDS })

struct imlfs_subs;    /* the store */
struct imlfs_sub;     /* one open submission (a descriptor opened for writing) */

/* lim NULL: IMLFS_SUB_LIMITS_DEFAULT.  Every limit but keep_seconds must
 * be non-zero (else NULL, as when out of memory). */
struct imlfs_subs *imlfs_subs_new(const struct imlfs_model *m, const struct imlfs_sub_limits *lim);
/* An array submission's bound under limits lim (NULL: the defaults), as
 * above: what imlfs-score gives the .npy parser, to say what a mount says. */
size_t imlfs_subs_npy_cap(const struct imlfs_model *m, const struct imlfs_sub_limits *lim);
/* Answer every request still waiting for scores and stop the scoring
 * workers (before the callbacks' targets go away: a FUSE session); no
 * scoring is queued after it, so later requests are answered -ESHUTDOWN.
 * s NULL does nothing, as for imlfs_subs_free. */
void imlfs_subs_drain(struct imlfs_subs *s);
void imlfs_subs_free(struct imlfs_subs *s);

/* What the store has done, for an operator (SIGUSR1): plain loads of
 * atomic counters, so a signal handler may call it. */
struct imlfs_subs_stats {
	uint64_t evaluations;     /* submissions parsed and scored */
	uint64_t waited;          /* requests that waited for a scoring */
	uint64_t cached;          /* requests answered from a version's scores */
};
void imlfs_subs_stats(const struct imlfs_subs *s, struct imlfs_subs_stats *st);

/* Start a submission by uid to `file`.  0 and *out, or -EINVAL (file is
 * not a predictions file), -EMFILE (uid's or the store's open limit),
 * -ENOMEM.  An appending submission (a descriptor opened O_APPEND) is new
 * and empty like any other, and each write goes at its own end, whatever
 * offset the caller gives: the kernel's idea of the end is the shared
 * file's size, not this submission's. */
int imlfs_subs_open(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file, bool append,
		    struct imlfs_sub **out);
/* Store len bytes at offset off (at the end when appending).  Returns len,
 * or (with nothing stored) -EFBIG when the submission would exceed its
 * bound, -EDQUOT when its buffer cannot grow within the uid's pending
 * bytes, -ENOSPC within the store's, -ENOMEM. */
long imlfs_sub_write(struct imlfs_sub *sub, const char *buf, size_t len, off_t off);
/* Truncate what was written to `size` bytes (for O_TRUNC / ftruncate);
 * growing it fails as a write would. */
int imlfs_sub_truncate(struct imlfs_sub *sub, off_t size);

/* How a request that needs scores is answered: err 0 and the scores text
 * (valid during the call only; NULL for a flush), or -errno.  Called
 * exactly once, in the caller's thread when the scores are at hand, else
 * later in a scoring worker; after it the submission may be closed at any
 * time, so nothing of it is touched after the call. */
typedef void imlfs_sub_done(void *arg, int err, const char *text, size_t len);
/* Score what was written and publish it as this user's latest for the
 * file: always at the submission's first flush (an empty submission is a
 * submission of nothing), then only when it changed since the last flush.
 * err: 0, -ENOMEM, -ENOSPC (no place for a new user's results),
 * -ESHUTDOWN (drained). */
void imlfs_sub_flush_async(struct imlfs_sub *sub, imlfs_sub_done *done, void *arg);
/* Scores of what this submission has written so far. */
void imlfs_sub_scores_async(struct imlfs_sub *sub, imlfs_sub_done *done, void *arg);
/* The same, waiting for the answer (tools and tests): flush returns err;
 * scores returns a malloc'd copy of the text, NULL on error. */
int imlfs_sub_flush(struct imlfs_sub *sub);
char *imlfs_sub_scores(struct imlfs_sub *sub, size_t *len);
/* End the submission (does not score: flush does).  No request of it may
 * be waiting (the kernel sends RELEASE only after every answer). */
void imlfs_sub_close(struct imlfs_sub *sub);

/* A whole submission at once, scored in the caller's thread: score len
 * bytes of text (NULL: nothing) and publish them as uid's latest for
 * `file`, as an open, a write and a flush would, but holding no open
 * submission (for truncate(2) by path to 0, and tools).  0, or -EINVAL
 * (file is not a predictions file), -EFBIG (over the submission bound),
 * -ENOMEM, -ENOSPC (no place for a new user's results). */
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
 * submission to split file `file`, or the root's report.html (its
 * scorecard, scorecard.h: `file` IMLFS_PRED_ROOT, `kind` IMLFS_REPORT_HTML),
 * rendered now (malloc'd), or the "nothing submitted yet" page; NULL when
 * out of memory or there is no such report (the root's per-class.tsv). */
char *imlfs_subs_report(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			enum imlfs_report_kind kind, size_t *len);
/* Its size (rendered to be measured; 0 when out of memory or there is no
 * such report).  For a read-only mount, where every uid
 * reads the "nothing submitted yet" page: a writable mount reports size 0
 * (the glue), since a size that depends on the caller would leak through
 * the kernel's one cached size per inode. */
size_t imlfs_subs_report_size(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			      enum imlfs_report_kind kind);

#endif
