/* SPDX-License-Identifier: MIT */
/* submissions.c — the store behind the predictions files: each user's
 * latest scores per file, the bounds shared by all open submissions, and
 * the scoring workers.  One open submission (its buffer, its scorings) is
 * submission.c's.
 *
 * One mutex guards the store (users, results, holders, pending bytes).  It
 * is held only for bookkeeping: no scoring, no rendering, no copy of a
 * large buffer runs under it, so no user's slow work holds up another's
 * quick one.  Two flushes may finish out of order, so every flush takes a
 * sequence number when it is asked for and a result is published only
 * over an older one.
 *
 * A split's result keeps its report (report.h) beside the scores: the
 * submission is parsed once for both.  The pages are rendered when read,
 * outside the lock from a copy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/hints.h"
#include "imlfs/npy.h"
#include "imlfs/preds.h"
#include "imlfs/score.h"
#include "imlfs/util.h"
#include "submissions-internal.h"

size_t imlfs_subs_npy_cap(const struct imlfs_model *m, const struct imlfs_sub_limits *lim)
{
	struct imlfs_sub_limits l = lim ? *lim : IMLFS_SUB_LIMITS_DEFAULT;

	/* One full array must fit the uid's pending bytes. */
	return imlfs_npy_cap(m, l.sub_bytes, l.uid_pending < IMLFS_NPY_MAX_BYTES ?
			     l.uid_pending : IMLFS_NPY_MAX_BYTES);
}

struct imlfs_subs *imlfs_subs_new(const struct imlfs_model *m, const struct imlfs_sub_limits *lim)
{
	struct imlfs_sub_limits l = lim ? *lim : IMLFS_SUB_LIMITS_DEFAULT;
	struct imlfs_subs *s;

	if (!l.sub_bytes || !l.uid_pending || !l.pending || !l.uid_open || !l.open ||
	    !(l.keep_seconds >= 0))
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->m = m;
	s->lim = l;
	s->npy_bytes = imlfs_subs_npy_cap(m, &l);
	s->users = calloc(IMLFS_SUB_MAX_USERS, sizeof *s->users);
	s->holders = calloc(l.open, sizeof *s->holders);
	s->jobs = imlfs_jobs_new(0, IMLFS_JOBS_ONE_PER_UID);
	if (!s->users || !s->holders || !s->jobs || pthread_mutex_init(&s->lock, NULL)) {
		imlfs_jobs_free(s->jobs);
		free(s->users);
		free(s->holders);
		free(s);
		return NULL;
	}
	for (enum imlfs_pred_file f = 0; f < IMLFS_NPRED; f++) {
		s->none[f] = imlfs_scores_json(m, f, NULL, &s->none_len[f]);
		if (!s->none[f]) {
			imlfs_subs_free(s);
			return NULL;
		}
		for (int k = 0; k < IMLFS_NREPORTS; k++) {
			int r = f == IMLFS_PRED_ROOT
				? k == IMLFS_REPORT_HTML ? imlfs_scorecard_render(m, NULL, NULL,
										  &s->none_rep[f][k]) : 0
				: imlfs_report_render(m, imlfs_pred_split(f), NULL, NULL,
						      (enum imlfs_report_kind)k, &s->none_rep[f][k]);

			if (r) {
				imlfs_subs_free(s);
				return NULL;
			}
		}
	}
	return s;
}

static void result_clear(struct result *r)
{
	free(r->text);
	imlfs_scores_free(r->sc);
	imlfs_report_free(r->rep);
	imlfs_scorecard_free(r->card);
	memset(r, 0, sizeof *r);
}

void imlfs_subs_drain(struct imlfs_subs *s)
{
	if (!s || !s->jobs)
		return;
	imlfs_jobs_free(s->jobs);   /* runs what is queued, which answers */
	s->jobs = NULL;
}

void imlfs_subs_free(struct imlfs_subs *s)
{
	if (!s)
		return;
	imlfs_subs_drain(s);
	for (unsigned u = 0; u < s->nusers; u++)
		for (int f = 0; f < IMLFS_NPRED; f++)
			result_clear(&s->users[u].res[f]);
	for (int f = 0; f < IMLFS_NPRED; f++) {
		free(s->none[f]);
		for (int k = 0; k < IMLFS_NREPORTS; k++)
			imlfs_buf_free(&s->none_rep[f][k]);
	}
	free(s->users);
	free(s->holders);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void imlfs_subs_stats(const struct imlfs_subs *s, struct imlfs_subs_stats *st)
{
	st->evaluations = atomic_load(&s->n_evaluations);
	st->waited = atomic_load(&s->n_waited);
	st->cached = atomic_load(&s->n_cached);
}

uint64_t imlfs_subs_tick(struct imlfs_subs *s)
{
	uint64_t seq;

	pthread_mutex_lock(&s->lock);
	seq = ++s->clock;
	pthread_mutex_unlock(&s->lock);
	return seq;
}

/* uid's entry, or NULL; lock held. */
static struct user *user_find(const struct imlfs_subs *s, uid_t uid)
{
	for (unsigned u = 0; u < s->nusers; u++)
		if (s->users[u].uid == uid)
			return &s->users[u];
	return NULL;
}

/* uid's entry, created if missing: in a free place, else in the least
 * recently submitting user's, unless that one's results are younger than
 * keep_seconds (NULL then: results are not taken from a user who may not
 * have read them yet, whoever asks); lock held. */
static struct user *user_get(struct imlfs_subs *s, uid_t uid)
{
	struct user *found = user_find(s, uid);
	unsigned u, old = 0;

	if (found)
		return found;
	if (s->nusers < IMLFS_SUB_MAX_USERS) {
		u = s->nusers++;
	} else {
		for (u = 1; u < s->nusers; u++)
			if (s->users[u].last < s->users[old].last)
				old = u;
		u = old;
		if (imlfs_now() - s->users[u].when < s->lim.keep_seconds)
			return NULL;
		for (int f = 0; f < IMLFS_NPRED; f++)
			result_clear(&s->users[u].res[f]);
	}
	memset(&s->users[u], 0, sizeof s->users[u]);
	s->users[u].uid = uid;
	return &s->users[u];
}

int imlfs_subs_evaluate(struct imlfs_subs *s, enum imlfs_pred_file f, const char *text,
			size_t len, struct outcome *o)
{
	struct imlfs_preds *p = imlfs_preds_parse_for(s->m, text, text ? len : 0, f, s->npy_bytes);
	struct imlfs_scores *sc = p ? imlfs_score(s->m, p, f) : NULL;

	*o = (struct outcome){ 0 };
	atomic_fetch_add(&s->n_evaluations, 1);
	if (sc && imlfs_hints_add(s->m, p, text, text ? len : 0, f, s->npy_bytes, sc)) {
		imlfs_scores_free(sc);
		sc = NULL;
	}
	if (sc)
		o->text = imlfs_scores_json(s->m, f, sc, &o->len);
	if (o->text) {
		o->sc = sc;
		sc = NULL;
		if (f == IMLFS_PRED_ROOT)
			o->card = imlfs_scorecard_new(s->m, p);
		else
			o->rep = imlfs_report_new(s->m, p, imlfs_pred_split(f));
		if (!o->rep && !o->card)
			imlfs_outcome_free(o);
	}
	imlfs_scores_free(sc);
	imlfs_preds_free(p);
	return o->text ? 0 : -ENOMEM;
}

void imlfs_outcome_free(struct outcome *o)
{
	free(o->text);
	imlfs_scores_free(o->sc);
	imlfs_report_free(o->rep);
	imlfs_scorecard_free(o->card);
	*o = (struct outcome){ 0 };
}

int imlfs_subs_publish(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file f, uint64_t seq,
		       const struct outcome *o)
{
	struct result fresh = { .len = o->len, .seq = seq };
	struct user *u;
	int r = 0;

	/* The copies are made before taking the lock: a report holds one
	 * entry per class. */
	fresh.text = malloc(o->len + 1);
	if (fresh.text)
		memcpy(fresh.text, o->text, o->len + 1);
	if (o->sc)
		fresh.sc = imlfs_scores_dup(o->sc);
	if (o->rep)
		fresh.rep = imlfs_report_dup(o->rep);
	if (o->card)
		fresh.card = imlfs_scorecard_dup(o->card);
	if (!fresh.text || (o->sc && !fresh.sc) || (o->rep && !fresh.rep) ||
	    (o->card && !fresh.card)) {
		result_clear(&fresh);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->lock);
	u = user_get(s, uid);
	if (!u) {
		r = -ENOSPC;
	} else {
		if (seq > u->last) {
			u->last = seq;
			u->when = imlfs_now();
		}
		if (seq > u->res[f].seq) {
			struct result old = u->res[f];

			u->res[f] = fresh;
			fresh = old;     /* freed below, outside the lock */
		}
	}
	pthread_mutex_unlock(&s->lock);
	result_clear(&fresh);
	return r;
}

int imlfs_subs_submit(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
		      const char *text, size_t len)
{
	uint64_t seq;
	struct outcome o;
	int r;

	if (!imlfs_pred_valid(file))
		return -EINVAL;
	if (!text)
		len = 0;
	if (len > (imlfs_npy_is(text, len) ? s->npy_bytes : s->lim.sub_bytes))
		return -EFBIG;
	seq = imlfs_subs_tick(s);
	if (imlfs_subs_evaluate(s, file, text ? text : "", len, &o))
		return -ENOMEM;
	r = imlfs_subs_publish(s, uid, file, seq, &o);
	imlfs_outcome_free(&o);
	return r;
}

/* The text to show uid for file f (a valid one); lock held. */
static const struct result *latest(const struct imlfs_subs *s, uid_t uid,
				   enum imlfs_pred_file f, struct result *none)
{
	const struct user *u = user_find(s, uid);

	if (u && u->res[f].text)
		return &u->res[f];
	none->text = s->none[f];
	none->len = s->none_len[f];
	return none;
}

char *imlfs_subs_latest(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			size_t *len)
{
	struct result none;
	const struct result *r;
	char *out;

	if (!imlfs_pred_valid(file))
		return NULL;
	pthread_mutex_lock(&s->lock);
	r = latest(s, uid, file, &none);
	out = malloc(r->len + 1);
	if (out) {
		memcpy(out, r->text, r->len);
		out[r->len] = '\0';
		*len = r->len;
	}
	pthread_mutex_unlock(&s->lock);
	return out;
}

size_t imlfs_subs_latest_size(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file)
{
	struct result none;
	size_t n;

	if (!imlfs_pred_valid(file))
		return 0;
	pthread_mutex_lock(&s->lock);
	n = latest(s, uid, file, &none)->len;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Render report `kind` of uid's latest for file f (report_file): a
 * split's report or the root's scorecard, from a copy of the result taken
 * under the lock, rendered outside it. */
static char *report_render(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file f,
			   enum imlfs_report_kind kind, size_t *len)
{
	struct imlfs_buf b = { 0 };
	struct result none;
	const struct result *r;
	struct imlfs_report *rep = NULL;
	struct imlfs_scorecard *card = NULL;
	struct imlfs_scores *sc = NULL;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	r = latest(s, uid, f, &none);
	if (r == &none) {
		/* nothing submitted: the page rendered at start */
		const struct imlfs_buf *p = &s->none_rep[f][kind];

		imlfs_buf_add(&b, p->p ? p->p : "", p->len);
		pthread_mutex_unlock(&s->lock);
		goto out;
	}
	sc = r->sc ? imlfs_scores_dup(r->sc) : NULL;
	rep = r->rep ? imlfs_report_dup(r->rep) : NULL;
	card = r->card ? imlfs_scorecard_dup(r->card) : NULL;
	pthread_mutex_unlock(&s->lock);
	if (!sc || (f == IMLFS_PRED_ROOT ? !card : !rep))
		err = -ENOMEM;
	else if (f == IMLFS_PRED_ROOT)
		err = imlfs_scorecard_render(s->m, card, sc, &b);
	else
		err = imlfs_report_render(s->m, imlfs_pred_split(f), rep, sc, kind, &b);
	imlfs_scores_free(sc);
	imlfs_report_free(rep);
	imlfs_scorecard_free(card);
out:
	if (err || imlfs_buf_check(&b)) {
		imlfs_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	if (!b.p)
		imlfs_buf_add(&b, "", 0);
	if (imlfs_buf_check(&b)) {
		imlfs_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* A split's report.html and per-class.tsv; the root's report.html (its
 * scorecard: the root has no per-class table of its own). */
static bool report_file(enum imlfs_pred_file f, enum imlfs_report_kind kind)
{
	if (f == IMLFS_PRED_ROOT)
		return kind == IMLFS_REPORT_HTML;
	return imlfs_pred_valid(f) && (unsigned)kind < IMLFS_NREPORTS;
}

char *imlfs_subs_report(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			enum imlfs_report_kind kind, size_t *len)
{
	if (!report_file(file, kind))
		return NULL;
	return report_render(s, uid, file, kind, len);
}

size_t imlfs_subs_report_size(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
			      enum imlfs_report_kind kind)
{
	size_t n = 0;
	char *text;

	if (!report_file(file, kind))
		return 0;
	text = report_render(s, uid, file, kind, &n);
	free(text);
	return text ? n : 0;
}
