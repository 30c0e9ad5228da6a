/* SPDX-License-Identifier: MIT */
/* test-jobs.c — the fair queue (jobs.h): with ONE_PER_UID a uid never
 * runs two jobs at once, so another uid's job runs beside it; with SHARE a
 * uid alone uses every worker, and a uid that comes later is served at the
 * next free worker, before the first uid's other jobs. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/jobs.h"
#include "testutil.h"

struct tjob {
	struct imlfs_job job;     /* first */
	int id;
	bool hold;                /* wait for `release` before ending */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int started[16], nstarted, ended;
static bool release;

static void run(struct imlfs_job *job)
{
	struct tjob *t = (struct tjob *)job;

	pthread_mutex_lock(&lock);
	started[nstarted++] = t->id;
	pthread_cond_broadcast(&cond);
	while (t->hold && !release)
		pthread_cond_wait(&cond, &lock);
	ended++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* Wait until n jobs have started (or, with ends, ended). */
static void wait_for(int n, bool ends)
{
	pthread_mutex_lock(&lock);
	while ((ends ? ended : nstarted) < n)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void reset(void)
{
	nstarted = ended = 0;
	release = false;
	memset(started, 0, sizeof started);
}

static void let_go(void)
{
	pthread_mutex_lock(&lock);
	release = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void submit(struct imlfs_jobs *q, struct tjob *t, uid_t uid, int id, bool hold)
{
	*t = (struct tjob){ .job = { .uid = uid, .run = run }, .id = id, .hold = hold };
	CHECK_EQ(imlfs_jobs_submit(q, &t->job), 0);
}

static void test_one_per_uid(void)
{
	struct imlfs_jobs *q = imlfs_jobs_new(2, IMLFS_JOBS_ONE_PER_UID);
	struct tjob t[4];

	reset();
	submit(q, &t[0], 1, 10, true);
	submit(q, &t[1], 1, 11, true);
	submit(q, &t[2], 2, 20, true);
	/* uid 1's second job waits for its first; uid 2's runs beside it (the
	 * two workers may start them in either order) */
	wait_for(2, false);
	pthread_mutex_lock(&lock);
	CHECK_EQ(started[0] + started[1], 10 + 20);
	CHECK(started[0] == 10 || started[0] == 20);
	pthread_mutex_unlock(&lock);
	let_go();
	wait_for(3, true);
	CHECK_EQ(started[2], 11);
	imlfs_jobs_free(q);
}

static void test_share(void)
{
	struct imlfs_jobs *q = imlfs_jobs_new(2, IMLFS_JOBS_SHARE);
	struct tjob t[5];

	reset();
	/* uid 1 alone: both workers */
	submit(q, &t[0], 1, 10, true);
	submit(q, &t[1], 1, 11, true);
	wait_for(2, false);
	/* uid 1 queues two more, then uid 2 one: at the next free worker,
	 * uid 2 goes first */
	submit(q, &t[2], 1, 12, false);
	submit(q, &t[3], 1, 13, false);
	submit(q, &t[4], 2, 20, false);
	let_go();
	wait_for(5, true);
	pthread_mutex_lock(&lock);
	CHECK(started[2] == 20 || started[3] == 20);   /* one of the next two */
	CHECK(started[4] != 20);
	pthread_mutex_unlock(&lock);
	imlfs_jobs_free(q);
}

/* The linker's --wrap=calloc (meson.build): the n-th calloc from now fails. */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static int fail_calloc_in;

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_calloc_in && --fail_calloc_in == 0)
		return NULL;
	return __real_calloc(n, size);
}

/* Pins imlfs_jobs_new's "NULL when out of memory" (jobs.h) for each of its
 * allocations: never a queue without its workers' array. */
static void test_nomem(void)
{
	for (int n = 1; n <= 2; n++) {
		fail_calloc_in = n;
		CHECK(imlfs_jobs_new(2, IMLFS_JOBS_SHARE) == NULL);
		CHECK_EQ(fail_calloc_in, 0);
	}
	fail_calloc_in = 0;
}

int main(void)
{
	test_one_per_uid();
	test_share();
	test_nomem();
	return tu_done();
}
