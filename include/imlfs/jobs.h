/* SPDX-License-Identifier: MIT */
/* jobs.h — a fair queue of slow work (scoring a submission, decoding
 * pixels), run by a few worker threads of its own so that no request thread
 * waits for it.
 *
 * Each job belongs to a uid, and the uids with work waiting take turns
 * (round robin): a worker that frees up takes the next uid's first job, so
 * a uid with many jobs never holds the others back by more than the jobs
 * running.  Two policies:
 *   IMLFS_JOBS_ONE_PER_UID  at most one job of a uid runs at a time (a
 *                           second uid never waits behind more than the
 *                           first's one running job: scoring)
 *   IMLFS_JOBS_SHARE        a uid alone may use every worker; with others
 *                           waiting, the turns share them out (decoding)
 * The workers start with the first job (after a daemon's fork), and stop in
 * imlfs_jobs_free after running what is queued.  No FUSE here: a job's
 * `run` is the caller's, and replies from it. */
#ifndef IMLFS_JOBS_H
#define IMLFS_JOBS_H

#include <stdint.h>
#include <sys/types.h>

#define IMLFS_JOBS_WORKERS 2

struct imlfs_job {
	struct imlfs_job *next;   /* the queue's: in its uid's lane */
	uid_t uid;
	void (*run)(struct imlfs_job *job);   /* on a worker; may free job */
};

struct imlfs_jobs_stats {
	uint64_t ran;             /* jobs run */
	unsigned running;         /* now */
};

struct imlfs_jobs;

enum imlfs_jobs_policy { IMLFS_JOBS_ONE_PER_UID, IMLFS_JOBS_SHARE };

/* NULL when out of memory.  workers 0: IMLFS_JOBS_WORKERS. */
struct imlfs_jobs *imlfs_jobs_new(unsigned workers, enum imlfs_jobs_policy policy);
/* Queue job (uid and run set) behind its uid's earlier jobs: 0, or
 * -ENOMEM (no lane for a new uid, or no worker could be started: the job
 * is then not queued) or -ESHUTDOWN (the queue is stopping). */
int imlfs_jobs_submit(struct imlfs_jobs *q, struct imlfs_job *job);
void imlfs_jobs_stats(struct imlfs_jobs *q, struct imlfs_jobs_stats *st);
/* Run what is queued, stop the workers, free the queue. */
void imlfs_jobs_free(struct imlfs_jobs *q);

#endif
