/* SPDX-License-Identifier: MIT */
/* submissions-internal.h — what the store (submissions.c) and one open
 * submission (submission.c) share.  Lock order: a submission's lock, then
 * the store's; never the other way round. */
#ifndef IMLFS_SUBMISSIONS_INTERNAL_H
#define IMLFS_SUBMISSIONS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "imlfs/jobs.h"
#include "imlfs/score.h"
#include "imlfs/scorecard.h"
#include "imlfs/submissions.h"

/* What one scoring yields, and what a flush publishes: the scores as the
 * file's JSON text (rendered once, for every read), the scores themselves
 * and the page they head: a split's report, the root's scorecard. */
struct outcome {
	char *text;               /* malloc'd */
	size_t len;
	struct imlfs_scores *sc;
	struct imlfs_report *rep; /* a split's, else NULL */
	struct imlfs_scorecard *card;   /* the root's, else NULL */
};

struct result {
	char *text;               /* malloc'd JSON text, NULL: nothing submitted */
	size_t len;
	uint64_t seq;             /* of the flush that produced it */
	struct imlfs_scores *sc;  /* its scores, and a split's report or the root's */
	struct imlfs_report *rep; /*   scorecard (NULL: nothing submitted) */
	struct imlfs_scorecard *card;
};

struct user {
	uid_t uid;
	uint64_t last;            /* store clock at the latest publish */
	double when;              /* imlfs_now() at the latest publish */
	struct result res[IMLFS_NPRED];
};

/* One uid's open submissions. */
struct holder {
	uid_t uid;
	unsigned nopen;           /* 0: entry free */
	size_t pending;           /* their buffers' capacity */
};

struct imlfs_subs {
	const struct imlfs_model *m;
	struct imlfs_sub_limits lim;
	size_t npy_bytes;         /* an array submission's bound (imlfs_npy_cap) */
	struct imlfs_jobs *jobs;  /* scoring workers */
	pthread_mutex_t lock;     /* everything below */
	unsigned nopen;
	size_t pending;           /* capacity of all open submissions' buffers */
	struct holder *holders;   /* [lim.open] */
	uint64_t clock;           /* sequence numbers for flushes and users */
	struct user *users;       /* [nusers], unordered */
	unsigned nusers;
	char *none[IMLFS_NPRED];  /* "nothing submitted yet" per file */
	size_t none_len[IMLFS_NPRED];
	/* pages, likewise: each split's reports, the root's report.html */
	struct imlfs_buf none_rep[IMLFS_NPRED][IMLFS_NREPORTS];
	atomic_uint_fast64_t n_evaluations, n_waited, n_cached;   /* imlfs_subs_stats */
};

/* submissions.c */
/* Parse text[0..len) once for file f's scores and report: 0, or -ENOMEM
 * with nothing in *o. */
int imlfs_subs_evaluate(struct imlfs_subs *s, enum imlfs_pred_file f, const char *text,
			size_t len, struct outcome *o);
void imlfs_outcome_free(struct outcome *o);
/* Make a copy of o (made at store clock seq) uid's latest for file f,
 * unless a later flush's already is: 0, -ENOMEM, or -ENOSPC when uid is
 * new and no result may be evicted (limits.keep_seconds). */
int imlfs_subs_publish(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file f, uint64_t seq,
		       const struct outcome *o);
/* The next store clock value (for a flush's place in order). */
uint64_t imlfs_subs_tick(struct imlfs_subs *s);

#endif
