/* SPDX-License-Identifier: MIT */
/* submission.c — one open submission (a descriptor opened for writing):
 * its buffer within the store's bounds, and its scorings.
 *
 * Each submission has a lock of its own for its buffer, so growing,
 * zero-filling or copying one user's large buffer never holds the store's
 * lock that every other user needs; the store's lock is taken only to count
 * the bytes a buffer reserves.
 *
 * Scores are kept per version (bumped by every change): a read or flush of
 * a version already scored is answered at once from that result.  One that
 * is not waits in the submission's list, and the submission's one scoring
 * job (queued on the store's fair queue, jobs.h) scores the version
 * current when it starts and answers every request it covers; requests
 * that came with a later version make it queue again.  So however many
 * requests a user sends, each version is scored at most once, one job per
 * uid runs at a time, and no request thread waits for a scoring.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/npy.h"
#include "submissions-internal.h"

/* A request waiting for scores. */
struct waiter {
	struct waiter *next;
	uint64_t version;         /* needs scores of at least this version */
	bool flush;               /* then publish them */
	uint64_t seq;             /* a flush's place in order (store clock) */
	imlfs_sub_done *done;
	void *arg;
	int err;                  /* filled when answered */
};

struct imlfs_sub {
	struct imlfs_subs *s;
	struct holder *h;
	uid_t uid;
	enum imlfs_pred_file file;
	bool append;
	pthread_mutex_t lock;     /* everything below */
	char *buf;
	size_t len, cap;
	uint64_t version;         /* bumped by every change */
	bool published;           /* a flush has published it at least once */
	uint64_t published_version;
	bool have_eval;           /* eval holds the scores of eval_version */
	uint64_t eval_version;
	struct outcome eval;
	struct waiter *waiters;   /* requests waiting, in arrival order */
	bool queued;              /* job is queued or running */
	struct imlfs_job job;
};

int imlfs_subs_open(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file, bool append,
		    struct imlfs_sub **out)
{
	struct imlfs_sub *sub;
	struct holder *h = NULL;

	if (!imlfs_pred_valid(file))
		return -EINVAL;
	sub = calloc(1, sizeof *sub);
	if (!sub)
		return -ENOMEM;
	if (pthread_mutex_init(&sub->lock, NULL)) {
		free(sub);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->lock);
	if (s->nopen < s->lim.open) {
		/* uid's holder, or a free one for it: there is one while
		 * fewer than lim.open submissions are open */
		struct holder *free_h = NULL;

		for (unsigned i = 0; i < s->lim.open && !h; i++) {
			if (s->holders[i].nopen && s->holders[i].uid == uid)
				h = &s->holders[i];
			else if (!s->holders[i].nopen && !free_h)
				free_h = &s->holders[i];
		}
		if (!h && free_h) {
			h = free_h;
			h->uid = uid;
			h->pending = 0;
		}
	}
	if (!h || h->nopen >= s->lim.uid_open) {
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_destroy(&sub->lock);
		free(sub);
		return -EMFILE;
	}
	h->nopen++;
	s->nopen++;
	pthread_mutex_unlock(&s->lock);
	sub->s = s;
	sub->h = h;
	sub->uid = uid;
	sub->file = file;
	sub->append = append;
	*out = sub;
	return 0;
}

/* Count a change of sub's buffer capacity from sub->cap to cap in the
 * pending bytes: a growth only when it fits the uid's and the store's
 * budgets (else the error to report), a shrink always.  sub's lock held. */
static int account(struct imlfs_sub *sub, size_t cap)
{
	struct imlfs_subs *s = sub->s;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (cap > sub->cap) {
		size_t more = cap - sub->cap;

		if (more > s->lim.uid_pending - sub->h->pending)
			r = -EDQUOT;
		else if (more > s->lim.pending - s->pending)
			r = -ENOSPC;
	}
	if (!r) {
		s->pending = s->pending - sub->cap + cap;
		sub->h->pending = sub->h->pending - sub->cap + cap;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Set sub's buffer capacity to cap (0: free it); sub's lock held.  The
 * bytes are counted first and given back if the allocation fails. */
static int set_cap(struct imlfs_sub *sub, size_t cap)
{
	size_t old = sub->cap;
	char *b = NULL;
	int r;

	if (cap > old && (r = account(sub, cap)))
		return r;
	if (cap) {
		b = realloc(sub->buf, cap);
		if (!b) {
			if (cap > old) {
				sub->cap = cap;    /* what account() counted */
				account(sub, old);
				sub->cap = old;
			}
			return -ENOMEM;
		}
	} else {
		free(sub->buf);
	}
	if (cap < old)
		account(sub, cap);
	sub->buf = b;
	sub->cap = cap;
	return 0;
}

/* Make room for `need` (<= max, the submission's bound) bytes; sub's lock
 * held.  Capacity doubles, as usual; when the double does not fit the
 * budgets, the need rounded to a page may still fit, so a user's last
 * bytes are not refused for the slack of doubling. */
static int reserve(struct imlfs_sub *sub, size_t need, size_t max)
{
	size_t cap = sub->cap ? sub->cap : 4096, exact = (need + 4095) & ~(size_t)4095;
	int r;

	if (need <= sub->cap)
		return 0;
	while (cap < need && cap < max)
		cap *= 2;
	if (cap > max)
		cap = max;
	if (exact > cap)
		exact = cap;
	r = set_cap(sub, cap);
	if ((r == -EDQUOT || r == -ENOSPC) && exact < cap)
		r = set_cap(sub, exact);
	return r;
}

/* Set the length to `size` (<= max), zero-filling any gap; sub's lock held. */
static int resize(struct imlfs_sub *sub, size_t size, size_t max)
{
	int r = reserve(sub, size, max);

	if (r)
		return r;
	if (size > sub->len)
		memset(sub->buf + sub->len, 0, size - sub->len);
	sub->len = size;
	return 0;
}

/* The bound on sub once len bytes of buf are written at off: an array's
 * when its first bytes are then the .npy magic, else the text bound;
 * sub's lock held. */
static size_t bound(const struct imlfs_sub *sub, const char *buf, size_t len, size_t off)
{
	char head[IMLFS_NPY_MAGIC_LEN] = { 0 };

	if (sub->len)
		memcpy(head, sub->buf, sub->len < sizeof head ? sub->len : sizeof head);
	if (len && off < sizeof head)
		memcpy(head + off, buf, len < sizeof head - off ? len : sizeof head - off);
	return imlfs_npy_is(head, sizeof head) ? sub->s->npy_bytes : sub->s->lim.sub_bytes;
}

/* The larger of the two bounds, checked before taking any lock. */
static size_t any_bound(const struct imlfs_subs *s)
{
	return s->npy_bytes > s->lim.sub_bytes ? s->npy_bytes : s->lim.sub_bytes;
}

long imlfs_sub_write(struct imlfs_sub *sub, const char *buf, size_t len, off_t off)
{
	size_t max, at, end;
	int r = 0;

	if (off < 0)
		return -EINVAL;
	if (len > any_bound(sub->s))
		return -EFBIG;
	if (!len)
		return 0;
	pthread_mutex_lock(&sub->lock);
	at = sub->append ? sub->len : (uint64_t)off > any_bound(sub->s) ? SIZE_MAX : (size_t)off;
	if (at == SIZE_MAX || len > any_bound(sub->s) - at) {
		r = -EFBIG;
		goto out;
	}
	end = at + len;
	max = bound(sub, buf, len, at);
	/* The bound holds for everything the submission will then hold, not
	 * just this write: a text does not keep an array's bound. */
	if ((end > sub->len ? end : sub->len) > max)
		r = -EFBIG;
	else if (end > sub->len)
		r = resize(sub, end, max);
	if (!r) {
		memcpy(sub->buf + at, buf, len);
		sub->version++;
	}
out:
	pthread_mutex_unlock(&sub->lock);
	return r ? r : (long)len;
}

int imlfs_sub_truncate(struct imlfs_sub *sub, off_t size)
{
	size_t max;
	int r = 0;

	if (size < 0)
		return -EINVAL;
	if ((uint64_t)size > any_bound(sub->s))
		return -EFBIG;
	pthread_mutex_lock(&sub->lock);
	max = bound(sub, NULL, 0, 0);
	if ((uint64_t)size > max) {
		r = -EFBIG;
	} else if ((size_t)size != sub->len) {
		r = resize(sub, (size_t)size, max);
		if (!r)
			sub->version++;
	}
	if (!r && !size)
		set_cap(sub, 0);     /* cannot fail; gives the pending bytes back */
	pthread_mutex_unlock(&sub->lock);
	return r;
}

/* Publish the scores of eval_version for a flush waiting (w) or asked now
 * (seq), unless that version is published already; sub's lock held. */
static int publish_eval(struct imlfs_sub *sub, uint64_t seq)
{
	int r;

	if (sub->published && sub->published_version == sub->eval_version)
		return 0;
	r = imlfs_subs_publish(sub->s, sub->uid, sub->file, seq, &sub->eval);
	if (!r) {
		sub->published = true;
		sub->published_version = sub->eval_version;
	}
	return r;
}

/* A malloc'd copy of the scores of eval_version, or NULL; sub's lock held. */
static char *eval_text(const struct imlfs_sub *sub)
{
	char *t = malloc(sub->eval.len + 1);

	if (t)
		memcpy(t, sub->eval.text, sub->eval.len + 1);
	return t;
}

/* Answer the waiters of list w (flushes with their own err, reads with
 * text, or err when it is NULL), freeing them.  No lock held: sub may be
 * gone once the first is answered. */
static void answer(struct waiter *w, const char *text, size_t len, int err)
{
	while (w) {
		struct waiter *next = w->next;

		if (w->flush)
			w->done(w->arg, w->err, NULL, 0);
		else
			w->done(w->arg, text ? 0 : err, text, text ? len : 0);
		free(w);
		w = next;
	}
}

static void run_scoring(struct imlfs_job *job);

/* Queue sub's scoring job unless it is queued or running; sub's lock
 * held.  0, or the error to answer the waiters with. */
static int queue_scoring(struct imlfs_sub *sub)
{
	int r;

	if (sub->queued)
		return 0;
	sub->job.uid = sub->uid;
	sub->job.run = run_scoring;
	r = sub->s->jobs ? imlfs_jobs_submit(sub->s->jobs, &sub->job) : -ESHUTDOWN;
	if (!r)
		sub->queued = true;
	return r;
}

/* Take the waiters whose version is scored now out of sub's list and
 * publish for the flushes among them; sub's lock held. */
static struct waiter *take_answered(struct imlfs_sub *sub, int err)
{
	struct waiter *done = NULL, **tail = &done, **p = &sub->waiters;

	while (*p) {
		struct waiter *w = *p;

		if (!err && w->version > sub->eval_version) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = NULL;
		w->err = err ? err : w->flush ? publish_eval(sub, w->seq) : 0;
		*tail = w;
		tail = &w->next;
	}
	return done;
}

/* The job: score the current version and answer what it covers. */
static void run_scoring(struct imlfs_job *job)
{
	struct imlfs_sub *sub = (struct imlfs_sub *)((char *)job - offsetof(struct imlfs_sub, job));
	struct outcome o;
	struct waiter *done;
	uint64_t version;
	char *text, *reply = NULL;
	size_t len;
	int r;

	/* The copy is the only work done under the lock: the caller's writes
	 * wait for it, nobody else does. */
	pthread_mutex_lock(&sub->lock);
	version = sub->version;
	len = sub->len;
	text = malloc(len ? len : 1);
	if (text && len)
		memcpy(text, sub->buf, len);
	pthread_mutex_unlock(&sub->lock);

	r = text ? imlfs_subs_evaluate(sub->s, sub->file, text, len, &o) : -ENOMEM;
	free(text);

	pthread_mutex_lock(&sub->lock);
	if (!r && (!sub->have_eval || version > sub->eval_version)) {
		imlfs_outcome_free(&sub->eval);
		sub->eval = o;
		sub->eval_version = version;
		sub->have_eval = true;
	} else if (!r) {
		imlfs_outcome_free(&o);
	}
	sub->queued = false;
	done = take_answered(sub, r);
	if (sub->have_eval)
		reply = eval_text(sub);
	len = sub->have_eval ? sub->eval.len : 0;
	/* Requests for a later version: score again, after the other uids'
	 * turns (the queue's round robin). */
	if (sub->waiters && (r = queue_scoring(sub))) {
		struct waiter **tail = &done;

		while (*tail)
			tail = &(*tail)->next;
		*tail = sub->waiters;
		for (struct waiter *w = sub->waiters; w; w = w->next)
			w->err = r;
		sub->waiters = NULL;
	}
	pthread_mutex_unlock(&sub->lock);
	answer(done, reply, len, reply ? 0 : -ENOMEM);
	free(reply);
}

/* Answer now when the current version is scored, else wait for it. */
static void request(struct imlfs_sub *sub, bool flush, imlfs_sub_done *done, void *arg)
{
	struct imlfs_subs *s = sub->s;
	struct waiter *w = calloc(1, sizeof *w);
	char *text = NULL;
	size_t len = 0;
	int r = 0;

	if (!w) {
		done(arg, -ENOMEM, NULL, 0);
		return;
	}
	*w = (struct waiter){ .flush = flush, .done = done, .arg = arg };
	if (flush)
		w->seq = imlfs_subs_tick(s);
	pthread_mutex_lock(&sub->lock);
	w->version = sub->version;
	if (sub->have_eval && sub->eval_version == sub->version) {
		if (flush) {
			r = publish_eval(sub, w->seq);
		} else {
			text = eval_text(sub);
			len = sub->eval.len;
			r = text ? 0 : -ENOMEM;
		}
		pthread_mutex_unlock(&sub->lock);
		atomic_fetch_add(&s->n_cached, 1);
		free(w);
		done(arg, r, text, len);
		free(text);
		return;
	}
	w->next = NULL;
	{
		struct waiter **tail = &sub->waiters;

		while (*tail)
			tail = &(*tail)->next;
		*tail = w;
	}
	r = queue_scoring(sub);
	if (r) {
		/* Only w can be waiting: any other would have a job queued. */
		sub->waiters = NULL;
	}
	pthread_mutex_unlock(&sub->lock);
	if (r) {
		free(w);
		done(arg, r, NULL, 0);
		return;
	}
	atomic_fetch_add(&s->n_waited, 1);
}

void imlfs_sub_flush_async(struct imlfs_sub *sub, imlfs_sub_done *done, void *arg)
{
	request(sub, true, done, arg);
}

void imlfs_sub_scores_async(struct imlfs_sub *sub, imlfs_sub_done *done, void *arg)
{
	request(sub, false, done, arg);
}

/* The waiting forms, for tools and tests. */
struct sync_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool answered;
	int err;
	char *text;
	size_t len;
};

static void sync_done(void *arg, int err, const char *text, size_t len)
{
	struct sync_wait *w = arg;

	pthread_mutex_lock(&w->lock);
	w->err = err;
	if (text) {
		w->text = malloc(len + 1);
		if (w->text) {
			memcpy(w->text, text, len + 1);
			w->len = len;
		}
	}
	w->answered = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void sync_request(struct imlfs_sub *sub, bool flush, struct sync_wait *w)
{
	*w = (struct sync_wait){ .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	request(sub, flush, sync_done, w);
	pthread_mutex_lock(&w->lock);
	while (!w->answered)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

int imlfs_sub_flush(struct imlfs_sub *sub)
{
	struct sync_wait w;

	sync_request(sub, true, &w);
	return w.err;
}

char *imlfs_sub_scores(struct imlfs_sub *sub, size_t *len)
{
	struct sync_wait w;

	sync_request(sub, false, &w);
	if (w.err || !w.text) {
		free(w.text);
		return NULL;
	}
	*len = w.len;
	return w.text;
}

void imlfs_sub_close(struct imlfs_sub *sub)
{
	if (!sub)
		return;
	pthread_mutex_lock(&sub->lock);
	set_cap(sub, 0);
	pthread_mutex_unlock(&sub->lock);
	pthread_mutex_lock(&sub->s->lock);
	sub->h->nopen--;
	sub->s->nopen--;
	pthread_mutex_unlock(&sub->s->lock);
	imlfs_outcome_free(&sub->eval);
	pthread_mutex_destroy(&sub->lock);
	free(sub);
}
