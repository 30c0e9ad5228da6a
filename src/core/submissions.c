/* submissions.c — the predictions files' state: submissions being written
 * and each user's latest scores per file.
 *
 * One mutex guards the whole store (open submissions, their buffers and the
 * per-user results).  Scoring never runs under it: flush and
 * imlfs_sub_scores copy the text out, score the copy, and publish.  Two
 * flushes may finish out of order, so every flush takes a sequence number
 * under the lock and a result is published only over an older one.
 *
 * Fairness: each uid with open submissions has a holder counting them and
 * the buffer bytes they reserve, checked against the uid's and the store's
 * limits before a buffer grows, so one user at its limits leaves room for
 * the others.  At most lim.open submissions are open, hence at most that
 * many holders: a fixed array, a free entry being one with nopen == 0.
 *
 * A split's result keeps its report (report.h) beside the scores: the
 * submission is parsed once for both.  The pages are rendered when read,
 * outside the lock from a copy; their sizes (for stat) are remembered
 * with the result until the next submission replaces it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/npy.h"
#include "imlfs/score.h"
#include "imlfs/submissions.h"

struct result {
	char *text;               /* malloc'd scores, NULL: nothing submitted */
	size_t len;
	uint64_t seq;             /* of the flush that produced it */
	struct imlfs_report *rep; /* a split's: its report, else NULL */
	size_t rep_len[IMLFS_NREPORTS];   /* rendered sizes, 0: not yet known */
};

struct user {
	uid_t uid;
	uint64_t last;            /* store clock at the latest publish */
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
	pthread_mutex_t lock;
	unsigned nopen;
	size_t pending;           /* capacity of all open submissions' buffers */
	struct holder *holders;   /* [lim.open] */
	uint64_t clock;           /* sequence numbers for flushes and users */
	struct user *users;       /* [nusers], unordered */
	unsigned nusers;
	char *none[IMLFS_NPRED];  /* "nothing submitted yet" per file */
	size_t none_len[IMLFS_NPRED];
	struct imlfs_buf none_rep[IMLFS_NPRED][IMLFS_NREPORTS];   /* pages, likewise */
};

struct imlfs_sub {
	struct imlfs_subs *s;
	struct holder *h;
	uid_t uid;
	enum imlfs_pred_file file;
	char *buf;
	size_t len, cap;
	uint64_t version;         /* bumped by every change */
	uint64_t flushed;         /* version at the last flush */
	bool published;           /* a flush has published it at least once */
	char *scores;             /* cache for imlfs_sub_scores */
	size_t scores_len;
	uint64_t scores_version;
};

struct imlfs_subs *imlfs_subs_new(const struct imlfs_model *m, const struct imlfs_sub_limits *lim)
{
	struct imlfs_sub_limits l = lim ? *lim : IMLFS_SUB_LIMITS_DEFAULT;
	struct imlfs_subs *s;

	if (!l.sub_bytes || !l.uid_pending || !l.pending || !l.uid_open || !l.open)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->m = m;
	s->lim = l;
	/* One full array must fit the uid's pending bytes. */
	s->npy_bytes = imlfs_npy_cap(m, l.sub_bytes, l.uid_pending < IMLFS_NPY_MAX_BYTES ?
				     l.uid_pending : IMLFS_NPY_MAX_BYTES);
	s->users = calloc(IMLFS_SUB_MAX_USERS, sizeof *s->users);
	s->holders = calloc(l.open, sizeof *s->holders);
	if (!s->users || !s->holders || pthread_mutex_init(&s->lock, NULL)) {
		free(s->users);
		free(s->holders);
		free(s);
		return NULL;
	}
	for (enum imlfs_pred_file f = 0; f < IMLFS_NPRED; f++) {
		s->none[f] = imlfs_score_text(m, NULL, 0, f, &s->none_len[f]);
		if (!s->none[f]) {
			imlfs_subs_free(s);
			return NULL;
		}
		for (int k = 0; f != IMLFS_PRED_ROOT && k < IMLFS_NREPORTS; k++) {
			if (imlfs_report_render(m, imlfs_pred_split(f), NULL, NULL, 0,
						(enum imlfs_report_kind)k, &s->none_rep[f][k])) {
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
	imlfs_report_free(r->rep);
	memset(r, 0, sizeof *r);
}

void imlfs_subs_free(struct imlfs_subs *s)
{
	if (!s)
		return;
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

/* uid's holder, or a free one for it (there is one while fewer than
 * lim.open submissions are open); lock held. */
static struct holder *holder_get(struct imlfs_subs *s, uid_t uid)
{
	struct holder *free_h = NULL;

	for (unsigned i = 0; i < s->lim.open; i++) {
		if (s->holders[i].nopen && s->holders[i].uid == uid)
			return &s->holders[i];
		if (!s->holders[i].nopen && !free_h)
			free_h = &s->holders[i];
	}
	if (free_h) {
		free_h->uid = uid;
		free_h->pending = 0;
	}
	return free_h;
}

int imlfs_subs_open(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
		    struct imlfs_sub **out)
{
	struct imlfs_sub *sub;
	struct holder *h;

	if (!imlfs_pred_valid(file))
		return -EINVAL;
	sub = calloc(1, sizeof *sub);
	if (!sub)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	h = s->nopen < s->lim.open ? holder_get(s, uid) : NULL;
	if (!h || h->nopen >= s->lim.uid_open) {
		pthread_mutex_unlock(&s->lock);
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
	*out = sub;
	return 0;
}

/* 0 when sub's buffer may grow to cap bytes within its uid's and the
 * store's pending bytes, else the error to report; lock held. */
static int budget(const struct imlfs_sub *sub, size_t cap)
{
	const struct imlfs_subs *s = sub->s;
	size_t more = cap - sub->cap;

	if (more > s->lim.uid_pending - sub->h->pending)
		return -EDQUOT;
	if (more > s->lim.pending - s->pending)
		return -ENOSPC;
	return 0;
}

/* Set sub's buffer capacity to cap (0: free it), keeping the counts of
 * pending bytes; lock held. */
static int set_cap(struct imlfs_sub *sub, size_t cap)
{
	struct imlfs_subs *s = sub->s;
	char *b = NULL;

	if (cap) {
		b = realloc(sub->buf, cap);
		if (!b)
			return -ENOMEM;
	} else {
		free(sub->buf);
	}
	s->pending = s->pending - sub->cap + cap;
	sub->h->pending = sub->h->pending - sub->cap + cap;
	sub->buf = b;
	sub->cap = cap;
	return 0;
}

/* Make room for `need` (<= max, the submission's bound) bytes; lock held.
 * Capacity doubles, as usual; when the double does not fit the budgets,
 * the need rounded to a page may still fit, so a user's last bytes are not
 * refused for the slack of doubling. */
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
	r = budget(sub, cap);
	if (r && exact < cap && !(r = budget(sub, exact)))
		cap = exact;
	return r ? r : set_cap(sub, cap);
}

/* Set the length to `size` (<= max), zero-filling any gap; lock held. */
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
 * when its first bytes are then the .npy magic, else the text bound (the
 * first bytes decide, at every write); lock held. */
static size_t bound(const struct imlfs_sub *sub, const char *buf, size_t len, off_t off)
{
	char head[IMLFS_NPY_MAGIC_LEN] = { 0 };

	if (sub->len)
		memcpy(head, sub->buf, sub->len < sizeof head ? sub->len : sizeof head);
	if (len && (uint64_t)off < sizeof head)
		memcpy(head + off, buf, len < sizeof head - (size_t)off ? len : sizeof head - (size_t)off);
	return imlfs_npy_is(head, sizeof head) ? sub->s->npy_bytes : sub->s->lim.sub_bytes;
}

/* The larger of the two bounds, checked before taking the lock. */
static size_t any_bound(const struct imlfs_subs *s)
{
	return s->npy_bytes > s->lim.sub_bytes ? s->npy_bytes : s->lim.sub_bytes;
}

long imlfs_sub_write(struct imlfs_sub *sub, const char *buf, size_t len, off_t off)
{
	struct imlfs_subs *s = sub->s;
	size_t max;
	int r = 0;

	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off > any_bound(s) || len > any_bound(s) - (uint64_t)off)
		return -EFBIG;
	if (!len)
		return 0;
	pthread_mutex_lock(&s->lock);
	max = bound(sub, buf, len, off);
	if ((uint64_t)off > max || len > max - (uint64_t)off)
		r = -EFBIG;
	else if ((size_t)off + len > sub->len)
		r = resize(sub, (size_t)off + len, max);
	if (!r) {
		memcpy(sub->buf + off, buf, len);
		sub->version++;
	}
	pthread_mutex_unlock(&s->lock);
	return r ? r : (long)len;
}

int imlfs_sub_truncate(struct imlfs_sub *sub, off_t size)
{
	struct imlfs_subs *s = sub->s;
	size_t max;
	int r = 0;

	if (size < 0)
		return -EINVAL;
	if ((uint64_t)size > any_bound(s))
		return -EFBIG;
	pthread_mutex_lock(&s->lock);
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
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* A copy of the text written so far and its version; lock held. */
static char *copy_text(struct imlfs_sub *sub, size_t *len)
{
	char *t = malloc(sub->len ? sub->len : 1);

	if (t && sub->len)
		memcpy(t, sub->buf, sub->len);
	*len = sub->len;
	return t;
}

/* uid's entry, or NULL; lock held. */
static struct user *user_find(const struct imlfs_subs *s, uid_t uid)
{
	for (unsigned u = 0; u < s->nusers; u++)
		if (s->users[u].uid == uid)
			return &s->users[u];
	return NULL;
}

/* uid's entry, created (evicting the least recently submitting user when
 * full) if missing; lock held. */
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
		for (int f = 0; f < IMLFS_NPRED; f++)
			result_clear(&s->users[u].res[f]);
	}
	memset(&s->users[u], 0, sizeof s->users[u]);
	s->users[u].uid = uid;
	return &s->users[u];
}

/* What one submission publishes: its scores and (a split's) report. */
struct outcome {
	char *scores;             /* malloc'd */
	size_t slen;
	struct imlfs_report *rep;
};

/* Score text[0..len) (NULL: nothing) for file f, parsing it once for the
 * scores and the report: 0, or -ENOMEM with nothing in *o. */
static int evaluate(const struct imlfs_subs *s, enum imlfs_pred_file f, const char *text,
		    size_t len, struct outcome *o)
{
	struct imlfs_preds *p = imlfs_preds_parse_for(s->m, text, text ? len : 0, f);

	*o = (struct outcome){ 0 };
	if (!p)
		return -ENOMEM;
	o->scores = imlfs_score_text_of(s->m, p, f, &o->slen);
	if (o->scores && f != IMLFS_PRED_ROOT &&
	    !(o->rep = imlfs_report_new(s->m, p, imlfs_pred_split(f)))) {
		free(o->scores);
		o->scores = NULL;
	}
	imlfs_preds_free(p);
	return o->scores ? 0 : -ENOMEM;
}

/* Make o, made by the flush numbered seq, uid's latest for file f unless
 * a later flush's already is; lock held.  What it does not take stays in
 * o for the caller to free (outcome_free). */
static void publish(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file f, uint64_t seq,
		    struct outcome *o)
{
	struct user *u = user_get(s, uid);
	struct result *r = &u->res[f];

	if (seq > u->last)
		u->last = seq;
	if (seq <= r->seq)
		return;
	result_clear(r);
	r->text = o->scores;
	r->len = o->slen;
	r->rep = o->rep;
	r->seq = seq;
	*o = (struct outcome){ 0 };
}

static void outcome_free(struct outcome *o)
{
	free(o->scores);
	imlfs_report_free(o->rep);
}

int imlfs_sub_flush(struct imlfs_sub *sub)
{
	struct imlfs_subs *s = sub->s;
	uint64_t version, seq;
	struct outcome o;
	char *text;
	size_t len;
	int r;

	pthread_mutex_lock(&s->lock);
	if (sub->published && sub->version == sub->flushed) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	text = copy_text(sub, &len);
	version = sub->version;
	seq = ++s->clock;
	pthread_mutex_unlock(&s->lock);
	if (!text)
		return -ENOMEM;
	r = evaluate(s, sub->file, text, len, &o);
	free(text);
	if (r)
		return r;

	pthread_mutex_lock(&s->lock);
	publish(s, sub->uid, sub->file, seq, &o);
	if (version > sub->flushed)
		sub->flushed = version;
	sub->published = true;
	pthread_mutex_unlock(&s->lock);
	outcome_free(&o);
	return 0;
}

int imlfs_subs_submit(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file file,
		      const char *text, size_t len)
{
	uint64_t seq;
	struct outcome o;

	if (!imlfs_pred_valid(file))
		return -EINVAL;
	if (!text)
		len = 0;
	if (len > (imlfs_npy_is(text, len) ? s->npy_bytes : s->lim.sub_bytes))
		return -EFBIG;
	pthread_mutex_lock(&s->lock);
	seq = ++s->clock;
	pthread_mutex_unlock(&s->lock);
	if (evaluate(s, file, text ? text : "", len, &o))
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	publish(s, uid, file, seq, &o);
	pthread_mutex_unlock(&s->lock);
	outcome_free(&o);
	return 0;
}

char *imlfs_sub_scores(struct imlfs_sub *sub, size_t *len)
{
	struct imlfs_subs *s = sub->s;
	uint64_t version;
	char *text, *scores, *out = NULL;
	size_t tlen, slen;

	pthread_mutex_lock(&s->lock);
	if (sub->scores && sub->scores_version == sub->version) {
		out = malloc(sub->scores_len + 1);
		if (out) {
			memcpy(out, sub->scores, sub->scores_len + 1);
			*len = sub->scores_len;
		}
		pthread_mutex_unlock(&s->lock);
		return out;
	}
	text = copy_text(sub, &tlen);
	version = sub->version;
	pthread_mutex_unlock(&s->lock);
	if (!text)
		return NULL;
	scores = imlfs_score_text(s->m, text, tlen, sub->file, &slen);
	free(text);
	if (!scores)
		return NULL;
	out = malloc(slen + 1);
	if (!out) {
		free(scores);
		return NULL;
	}
	memcpy(out, scores, slen + 1);
	*len = slen;

	pthread_mutex_lock(&s->lock);
	if (!sub->scores || version >= sub->scores_version) {
		free(sub->scores);
		sub->scores = scores;
		sub->scores_len = slen;
		sub->scores_version = version;
		scores = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	free(scores);
	return out;
}

void imlfs_sub_close(struct imlfs_sub *sub)
{
	struct imlfs_subs *s;

	if (!sub)
		return;
	s = sub->s;
	pthread_mutex_lock(&s->lock);
	set_cap(sub, 0);
	sub->h->nopen--;
	s->nopen--;
	pthread_mutex_unlock(&s->lock);
	free(sub->scores);
	free(sub);
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

/* Render report `kind` of uid's latest for split file f (valid, not the
 * root's): a copy of the result is taken under the lock and rendered
 * outside it; its size is remembered if the result is still the latest. */
static char *report_render(struct imlfs_subs *s, uid_t uid, enum imlfs_pred_file f,
			   enum imlfs_report_kind kind, size_t *len)
{
	struct imlfs_buf b = { 0 };
	struct result none, *r;
	struct imlfs_report *rep = NULL;
	char *scores = NULL;
	size_t slen = 0;
	uint64_t seq;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	r = (struct result *)latest(s, uid, f, &none);
	if (r == &none) {
		/* nothing submitted: the page rendered at start */
		const struct imlfs_buf *p = &s->none_rep[f][kind];

		imlfs_buf_add(&b, p->p ? p->p : "", p->len);
		pthread_mutex_unlock(&s->lock);
		goto out;
	}
	seq = r->seq;
	scores = malloc(r->len + 1);
	rep = r->rep ? imlfs_report_dup(r->rep) : NULL;
	if (scores)
		memcpy(scores, r->text, r->len);
	slen = r->len;
	pthread_mutex_unlock(&s->lock);
	if (!scores || !rep)
		err = -ENOMEM;
	if (!err)
		err = imlfs_report_render(s->m, imlfs_pred_split(f), rep, scores, slen, kind, &b);
	free(scores);
	imlfs_report_free(rep);
	if (!err) {
		pthread_mutex_lock(&s->lock);
		r = (struct result *)latest(s, uid, f, &none);
		if (r != &none && r->seq == seq)
			r->rep_len[kind] = b.len;
		pthread_mutex_unlock(&s->lock);
	}
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

static bool report_file(enum imlfs_pred_file f, enum imlfs_report_kind kind)
{
	return imlfs_pred_valid(f) && f != IMLFS_PRED_ROOT && (unsigned)kind < IMLFS_NREPORTS;
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
	struct result none;
	const struct result *r;
	size_t n = 0;
	char *text;

	if (!report_file(file, kind))
		return 0;
	pthread_mutex_lock(&s->lock);
	r = latest(s, uid, file, &none);
	if (r == &none)
		n = s->none_rep[file][kind].len;
	else
		n = r->rep_len[kind];
	pthread_mutex_unlock(&s->lock);
	if (n)
		return n;
	text = report_render(s, uid, file, kind, &n);
	free(text);
	return text ? n : 0;
}
