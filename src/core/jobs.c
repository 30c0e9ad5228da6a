/* SPDX-License-Identifier: MIT */
/* jobs.c — the fair queue of jobs (jobs.h).
 *
 * A lane per uid with work queued or running: its jobs in order, and how
 * many of them run.  Lanes that may start a job wait in the `ready` list
 * (with ONE_PER_UID: those with jobs queued and none running; with SHARE:
 * those with jobs queued); a worker takes the first lane's first job and
 * puts the lane back at the end when it may start another: that is the
 * round robin.  A lane with nothing queued or running is freed, so the
 * lanes never outnumber the jobs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "imlfs/jobs.h"

struct lane {
	uid_t uid;
	struct imlfs_job *head, *tail;
	unsigned running;
	bool in_ready;
	struct lane *next_ready;  /* in q->ready, when in_ready */
	struct lane *next;        /* in q->lanes */
};

struct imlfs_jobs {
	pthread_mutex_t lock;
	pthread_cond_t work;      /* a lane became ready, or stopping */
	struct lane *lanes;
	struct lane *ready, *ready_tail;
	unsigned nworkers, started;
	enum imlfs_jobs_policy policy;
	pthread_t *threads;
	bool stopping;
	struct imlfs_jobs_stats st;
};

struct imlfs_jobs *imlfs_jobs_new(unsigned workers, enum imlfs_jobs_policy policy)
{
	struct imlfs_jobs *q = calloc(1, sizeof *q);

	if (!q)
		return NULL;
	q->policy = policy;
	q->nworkers = workers ? workers : IMLFS_JOBS_WORKERS;
	q->threads = calloc(q->nworkers, sizeof *q->threads);
	if (!q->threads || pthread_mutex_init(&q->lock, NULL)) {
		free(q->threads);
		free(q);
		return NULL;
	}
	if (pthread_cond_init(&q->work, NULL)) {
		pthread_mutex_destroy(&q->lock);
		free(q->threads);
		free(q);
		return NULL;
	}
	return q;
}

/* Put l at the end of `ready` if it may start a job and is not there;
 * lock held. */
static void make_ready(struct imlfs_jobs *q, struct lane *l)
{
	if (l->in_ready || !l->head ||
	    (q->policy == IMLFS_JOBS_ONE_PER_UID && l->running))
		return;
	l->in_ready = true;
	l->next_ready = NULL;
	if (q->ready_tail)
		q->ready_tail->next_ready = l;
	else
		q->ready = l;
	q->ready_tail = l;
	pthread_cond_signal(&q->work);
}

/* lock held */
static void lane_free(struct imlfs_jobs *q, struct lane *l)
{
	struct lane **p = &q->lanes;

	while (*p != l)
		p = &(*p)->next;
	*p = l->next;
	free(l);
}

static void *worker(void *arg)
{
	struct imlfs_jobs *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct lane *l = q->ready;
		struct imlfs_job *job;

		if (!l) {
			if (q->stopping)
				break;
			pthread_cond_wait(&q->work, &q->lock);
			continue;
		}
		q->ready = l->next_ready;
		if (!q->ready)
			q->ready_tail = NULL;
		l->in_ready = false;
		job = l->head;
		l->head = job->next;
		if (!l->head)
			l->tail = NULL;
		l->running++;
		q->st.running++;
		make_ready(q, l);   /* SHARE: its next job after the others' turns */
		pthread_mutex_unlock(&q->lock);

		job->run(job);      /* may free job: not touched again */

		pthread_mutex_lock(&q->lock);
		l->running--;
		q->st.running--;
		q->st.ran++;
		make_ready(q, l);
		if (!l->head && !l->running)
			lane_free(q, l);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Start the workers not started yet; lock held.  0 when at least one runs. */
static int start_workers(struct imlfs_jobs *q)
{
	while (q->started < q->nworkers &&
	       pthread_create(&q->threads[q->started], NULL, worker, q) == 0)
		q->started++;
	return q->started ? 0 : -ENOMEM;
}

int imlfs_jobs_submit(struct imlfs_jobs *q, struct imlfs_job *job)
{
	struct lane *l;
	int r = 0;

	job->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->stopping) {
		r = -ESHUTDOWN;
		goto out;
	}
	if ((r = start_workers(q)))
		goto out;
	for (l = q->lanes; l && l->uid != job->uid; l = l->next)
		;
	if (!l) {
		l = calloc(1, sizeof *l);
		if (!l) {
			r = -ENOMEM;
			goto out;
		}
		l->uid = job->uid;
		l->next = q->lanes;
		q->lanes = l;
	}
	if (l->tail)
		l->tail->next = job;
	else
		l->head = job;
	l->tail = job;
	/* A lane already waiting keeps its turn; one that may not start a job
	 * now goes back to `ready` when a job of its ends. */
	make_ready(q, l);
out:
	pthread_mutex_unlock(&q->lock);
	return r;
}

void imlfs_jobs_stats(struct imlfs_jobs *q, struct imlfs_jobs_stats *st)
{
	pthread_mutex_lock(&q->lock);
	*st = q->st;
	pthread_mutex_unlock(&q->lock);
}

void imlfs_jobs_free(struct imlfs_jobs *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->started; i++)
		pthread_join(q->threads[i], NULL);
	/* Workers drain the ready lanes before they stop, so none is left. */
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
}
