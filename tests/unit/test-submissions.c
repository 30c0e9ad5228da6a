/* SPDX-License-Identifier: MIT */
/* test-submissions.c — the predictions store: bounds (open submissions and
 * pending bytes, per uid and in all), publishing on flush (empty
 * submissions too), per-user isolation, a read-write descriptor's own
 * scores, eviction of users (keep_seconds on a stopped clock), draining,
 * and concurrent writers. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "imlfs/npy.h"
#include "imlfs/score.h"
#include "imlfs/submissions.h"
#include "imlfs/util.h"
#include "testutil.h"

#define NMEMBERS 40

/* The linker's --wrap=imlfs_now (meson.build): the store's clock, stopped
 * at fake_now while that is not negative, so that a result's age can be
 * exactly keep_seconds.  Set only while no scoring runs. */
static double fake_now = -1;
double __real_imlfs_now(void);
double __wrap_imlfs_now(void);
double __wrap_imlfs_now(void)
{
	return fake_now >= 0 ? fake_now : __real_imlfs_now();
}

/* 4 classes; member i has label i % 4, every other one annotated. */
static void build(struct imlfs_model *m)
{
	static const char *wnids[] = { "n01440764", "n01443537", "n01484850", "n01491361" };
	struct imlfs_buf names = { 0 };
	char name[64];

	memset(m, 0, sizeof *m);
	for (int c = 0; c < 4; c++)
		imlfs_model_add_class(m, wnids[c], 9, wnids[c], 9);
	m->members = calloc(NMEMBERS, sizeof *m->members);
	m->ml = calloc(NMEMBERS, sizeof *m->ml);
	for (uint32_t i = 0; i < NMEMBERS; i++) {
		snprintf(name, sizeof name, "ILSVRC2012_val_%08u.JPEG", i + 1);
		imlfs_buf_addstr(&names, name, strlen(name), &m->members[i].name);
		m->members[i].label = (int32_t)(i % 4);
		m->members[i].flags = i % 2 ? 0 : IMLFS_M_ANNOTATED;
		m->members[i].ml = i;
		m->members[i].n_correct = 1;
		m->ml[i] = (uint16_t)(i % 4);
	}
	m->nmembers = m->nml = NMEMBERS;
	m->names = names.p;
	m->have = IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_CLASSES;
	CHECK_EQ(imlfs_model_finish(m), 0);
}

/* "predicted" in a scores text, -1 when it says nothing was submitted. */
static long long predicted(const char *text)
{
	json_t *o = json_loads(text, 0, NULL), *v;
	long long r = -2;

	CHECK(o != NULL);
	if (json_is_false(json_object_get(o, "submitted")))
		r = -1;
	else if ((v = json_object_get(o, "predicted")))
		r = json_integer_value(v);
	else if ((v = json_object_get(json_object_get(o, "all"), "predicted")))
		r = json_integer_value(v);
	json_decref(o);
	return r;
}

static long long latest_predicted(struct imlfs_subs *s, uid_t uid,
				   enum imlfs_pred_file file)
{
	size_t len = 0;
	char *t = imlfs_subs_latest(s, uid, file, &len);
	long long r;

	CHECK(t != NULL);
	CHECK_EQ(len, strlen(t));
	CHECK_EQ(imlfs_subs_latest_size(s, uid, file), len);
	r = predicted(t);
	free(t);
	return r;
}

static long own_predicted(struct imlfs_sub *sub)
{
	size_t len = 0;
	char *t = imlfs_sub_scores(sub, &len);
	long long r;

	CHECK(t != NULL);
	CHECK_EQ(len, strlen(t));
	r = predicted(t);
	free(t);
	return (long)r;
}

/* Lines for members [from, to), each with its right label. */
static char *lines(int from, int to)
{
	struct imlfs_buf b = { 0 };

	for (int i = from; i < to; i++)
		imlfs_buf_printf(&b, "ILSVRC2012_val_%08d.JPEG %d\n", i + 1, i % 4);
	if (!b.p)
		imlfs_buf_add(&b, "", 0);
	return b.p;
}

static void test_bounds(struct imlfs_subs *s)
{
	struct imlfs_sub *subs[IMLFS_SUB_MAX_OPEN], *x;
	char c = 'x';

	/* a uid at its limit of open submissions does not stop another */
	for (int i = 0; i < IMLFS_SUB_UID_MAX_OPEN; i++)
		CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &subs[i]), 0);
	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &x), -EMFILE);
	/* uids 2, 3, ... fill the store up to its own limit */
	for (int i = IMLFS_SUB_UID_MAX_OPEN; i < IMLFS_SUB_MAX_OPEN; i++)
		CHECK_EQ(imlfs_subs_open(s, (uid_t)(1 + i / IMLFS_SUB_UID_MAX_OPEN),
					 IMLFS_PRED_ALL, false, &subs[i]), 0);
	CHECK_EQ(imlfs_subs_open(s, 100, IMLFS_PRED_ALL, false, &x), -EMFILE);
	/* closing gives the slot back, to the store and to the uid */
	imlfs_sub_close(subs[0]);
	CHECK_EQ(imlfs_subs_open(s, 100, IMLFS_PRED_ALL, false, &subs[0]), 0);
	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &x), -EMFILE);
	imlfs_sub_close(subs[0]);
	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &subs[0]), 0);

	x = subs[1];
	CHECK_EQ(imlfs_sub_write(x, "abc", 3, 0), 3);
	CHECK_EQ(imlfs_sub_write(x, &c, 1, (off_t)IMLFS_SUB_MAX_BYTES), -EFBIG);
	CHECK_EQ(imlfs_sub_write(x, "ab", 2, (off_t)IMLFS_SUB_MAX_BYTES - 1), -EFBIG);
	CHECK_EQ(imlfs_sub_write(x, &c, SIZE_MAX, 0), -EFBIG);
	CHECK_EQ(imlfs_sub_write(x, &c, 1, -1), -EINVAL);
	CHECK_EQ(imlfs_sub_truncate(x, (off_t)IMLFS_SUB_MAX_BYTES + 1), -EFBIG);
	CHECK_EQ(imlfs_sub_truncate(x, -1), -EINVAL);
	/* nothing of the refused writes was stored: still "abc" (one junk line) */
	size_t len;
	char *t = imlfs_sub_scores(x, &len);
	json_t *o = json_loads(t, 0, NULL);

	CHECK_EQ(json_integer_value(json_object_get(o, "invalid")), 1);
	CHECK_EQ(json_integer_value(json_object_get(json_array_get(
		json_object_get(o, "errors"), 0), "line")), 1);
	json_decref(o);
	free(t);
	for (int i = 0; i < IMLFS_SUB_MAX_OPEN; i++)
		imlfs_sub_close(subs[i]);
}

static void test_flush(struct imlfs_subs *s)
{
	struct imlfs_sub *a, *b;
	char *t1 = lines(0, 10), *t2 = lines(10, 13);

	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), -1);
	CHECK_EQ(imlfs_subs_open(s, 100, IMLFS_PRED_ALL, false, &a), 0);
	/* written in two pieces, the second at the end */
	CHECK_EQ(imlfs_sub_write(a, t1, 50, 0), 50);
	CHECK_EQ(imlfs_sub_write(a, t1 + 50, strlen(t1) - 50, 50), (long)strlen(t1) - 50);
	/* the writer sees its own scores before flushing; others see nothing */
	CHECK_EQ(own_predicted(a), 10);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), -1);
	CHECK_EQ(imlfs_sub_flush(a), 0);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), 10);
	/* another user and another file of the same user see nothing */
	CHECK_EQ(latest_predicted(s, 101, IMLFS_PRED_ALL), -1);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_VALIDATION), -1);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ROOT), -1);

	/* a second submission replaces the latest; an unchanged one does not
	 * publish again on flush */
	CHECK_EQ(imlfs_subs_open(s, 100, IMLFS_PRED_ALL, false, &b), 0);
	CHECK_EQ(imlfs_sub_write(b, t2, strlen(t2), 0), (long)strlen(t2));
	CHECK_EQ(imlfs_sub_flush(b), 0);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), 3);
	CHECK_EQ(imlfs_sub_flush(a), 0);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), 3);

	/* a change after the flush publishes on the next one */
	CHECK_EQ(imlfs_sub_write(a, t2, strlen(t2), (off_t)strlen(t1)), (long)strlen(t2));
	CHECK_EQ(own_predicted(a), 13);
	CHECK_EQ(imlfs_sub_flush(a), 0);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), 13);

	/* truncation (O_TRUNC) counts as a change */
	CHECK_EQ(imlfs_sub_truncate(a, 0), 0);
	CHECK_EQ(own_predicted(a), 0);
	CHECK_EQ(imlfs_sub_flush(a), 0);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), 0);

	/* a gap before an offset write is zero-filled, and zeros separate */
	CHECK_EQ(imlfs_sub_write(a, t2, strlen(t2), 1000), (long)strlen(t2));
	CHECK_EQ(own_predicted(a), 3);
	CHECK_EQ(imlfs_sub_truncate(a, 1000 + 30), 0);   /* keeps the first line */
	CHECK_EQ(own_predicted(a), 1);
	imlfs_sub_close(a);
	imlfs_sub_close(b);

	/* the root file holds the root object */
	CHECK_EQ(imlfs_subs_open(s, 100, IMLFS_PRED_ROOT, false, &a), 0);
	CHECK_EQ(imlfs_sub_write(a, t1, strlen(t1), 0), (long)strlen(t1));
	CHECK_EQ(imlfs_sub_flush(a), 0);
	imlfs_sub_close(a);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ROOT), 10);
	CHECK_EQ(latest_predicted(s, 100, IMLFS_PRED_ALL), 0);
	free(t1);
	free(t2);
}

/* Pending bytes, per uid and in all, with small limits: a uid at its
 * limit gets EDQUOT and does not stop the others; a full store gets
 * ENOSPC; closing or truncating to 0 gives the bytes back. */
#define KB 1024
static void test_pending(const struct imlfs_model *m)
{
	const struct imlfs_sub_limits lim = {
		.sub_bytes = 64 * KB, .uid_pending = 128 * KB, .pending = 256 * KB,
		.uid_open = 4, .open = 8,
	};
	const char *line = "ILSVRC2012_val_00000001.JPEG 1\n";
	long llen = (long)strlen(line);
	struct imlfs_subs *s = imlfs_subs_new(m, &lim);
	struct imlfs_sub *a[4], *b[2], *c, *x;
	char *fill = malloc(64 * KB);

	memset(fill, '\n', 64 * KB);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &a[i]), 0);
	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &x), -EMFILE);
	/* uid 1 reserves its 128 KiB in two submissions */
	CHECK_EQ(imlfs_sub_write(a[0], fill, 64 * KB, 0), 64 * KB);
	CHECK_EQ(imlfs_sub_write(a[1], fill, 64 * KB, 0), 64 * KB);
	CHECK_EQ(imlfs_sub_write(a[0], "x", 1, 64 * KB), -EFBIG);   /* per submission first */
	CHECK_EQ(imlfs_sub_write(a[2], line, (size_t)llen, 0), -EDQUOT);
	CHECK_EQ(imlfs_sub_truncate(a[2], 10), -EDQUOT);
	CHECK_EQ(own_predicted(a[2]), 0);                           /* nothing stored */
	/* ... which leaves uid 2 its own 128 KiB: the store is then full */
	CHECK_EQ(imlfs_subs_open(s, 2, IMLFS_PRED_ALL, false, &b[0]), 0);
	CHECK_EQ(imlfs_subs_open(s, 2, IMLFS_PRED_ALL, false, &b[1]), 0);
	CHECK_EQ(imlfs_sub_write(b[0], fill, 64 * KB, 0), 64 * KB);
	CHECK_EQ(imlfs_sub_write(b[1], fill, 64 * KB, 0), 64 * KB);
	CHECK_EQ(imlfs_subs_open(s, 3, IMLFS_PRED_ALL, false, &c), 0);
	CHECK_EQ(imlfs_sub_write(c, line, (size_t)llen, 0), -ENOSPC);
	CHECK_EQ(own_predicted(c), 0);
	/* closing gives the bytes back: c and uid 1 write again (4 KiB each) */
	imlfs_sub_close(a[0]);
	CHECK_EQ(imlfs_sub_write(c, line, (size_t)llen, 0), llen);
	CHECK_EQ(own_predicted(c), 1);
	CHECK_EQ(imlfs_sub_write(a[2], line, (size_t)llen, 0), llen);
	/* 64 + 64 + 64 + 4 + 4 KiB reserved: doubling a[2] to 64 KiB would
	 * pass 256 KiB, but exactly 60 KiB fits */
	CHECK_EQ(imlfs_sub_write(a[2], fill, 60 * KB - (size_t)llen, llen), 60 * KB - llen);
	CHECK_EQ(imlfs_sub_write(a[2], "\n", 1, 60 * KB), -ENOSPC);
	/* truncating to 0 gives the bytes back too */
	CHECK_EQ(imlfs_sub_truncate(b[0], 0), 0);
	CHECK_EQ(imlfs_sub_write(a[2], "\n", 1, 60 * KB), 1);
	CHECK_EQ(own_predicted(a[2]), 1);
	/* a flush does not need room: the scores are not pending bytes */
	CHECK_EQ(imlfs_sub_flush(a[2]), 0);
	CHECK_EQ(latest_predicted(s, 1, IMLFS_PRED_ALL), 1);
	for (int i = 1; i < 4; i++)
		imlfs_sub_close(a[i]);
	imlfs_sub_close(b[0]);
	imlfs_sub_close(b[1]);
	imlfs_sub_close(c);
	/* everything given back: the whole budget is there again */
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(imlfs_subs_open(s, (uid_t)(10 + i / 2), IMLFS_PRED_ALL, false, &a[i]), 0);
		CHECK_EQ(imlfs_sub_write(a[i], fill, 64 * KB, 0), 64 * KB);
	}
	for (int i = 0; i < 4; i++)
		imlfs_sub_close(a[i]);
	free(fill);
	imlfs_subs_free(s);
	/* every limit must be set */
	struct imlfs_sub_limits zero = lim;

	zero.uid_open = 0;
	CHECK(imlfs_subs_new(m, &zero) == NULL);
}

/* Opening for writing starts a submission even if nothing is written:
 * its first flush publishes it (nothing predicted), later flushes only
 * when it changed. */
static void test_empty(const struct imlfs_model *m)
{
	struct imlfs_subs *s = imlfs_subs_new(m, NULL);
	struct imlfs_sub *a, *b;
	static const enum imlfs_pred_file files[] = { IMLFS_PRED_ROOT, IMLFS_PRED_ALL,
						      IMLFS_PRED_VALIDATION };
	char *t = lines(0, 10);

	for (unsigned k = 0; k < sizeof files / sizeof *files; k++) {
		enum imlfs_pred_file file = files[k];

		CHECK_EQ(imlfs_subs_open(s, 7, file, false, &a), 0);
		CHECK_EQ(imlfs_sub_write(a, t, strlen(t), 0), (long)strlen(t));
		CHECK_EQ(imlfs_sub_flush(a), 0);
		imlfs_sub_close(a);
		CHECK(latest_predicted(s, 7, file) > 0);
		/* open, close: an empty submission */
		CHECK_EQ(imlfs_subs_open(s, 7, file, false, &a), 0);
		CHECK_EQ(own_predicted(a), 0);
		CHECK_EQ(imlfs_sub_flush(a), 0);
		CHECK_EQ(latest_predicted(s, 7, file), 0);
		/* a later, unchanged flush of it does not publish over a newer one */
		CHECK_EQ(imlfs_subs_open(s, 7, file, false, &b), 0);
		CHECK_EQ(imlfs_sub_write(b, t, strlen(t), 0), (long)strlen(t));
		CHECK_EQ(imlfs_sub_flush(b), 0);
		CHECK_EQ(imlfs_sub_flush(a), 0);
		CHECK(latest_predicted(s, 7, file) > 0);
		imlfs_sub_close(a);
		imlfs_sub_close(b);
	}
	free(t);
	imlfs_subs_free(s);
}

/* Each predictions file keeps its own results; a number that is not a
 * file is refused, never taken for another file. */
static void test_files(const struct imlfs_model *m)
{
	struct imlfs_subs *s = imlfs_subs_new(m, NULL);
	struct imlfs_sub *sub = NULL;
	char *t = lines(0, 10);
	size_t len = 0;

	for (enum imlfs_pred_file f = 0; f < IMLFS_NPRED; f++) {
		CHECK_EQ(imlfs_subs_open(s, 7, f, false, &sub), 0);
		CHECK_EQ(imlfs_sub_write(sub, t, strlen(t), 0), (long)strlen(t));
		CHECK_EQ(imlfs_sub_flush(sub), 0);
		imlfs_sub_close(sub);
		for (enum imlfs_pred_file g = 0; g < IMLFS_NPRED; g++)
			CHECK_EQ(latest_predicted(s, 7, g) >= 0, g <= f);
	}
	sub = NULL;
	CHECK_EQ(imlfs_subs_open(s, 7, IMLFS_NPRED, false, &sub), -EINVAL);
	CHECK_EQ(imlfs_subs_open(s, 7, (enum imlfs_pred_file)-1, false, &sub), -EINVAL);
	CHECK(sub == NULL);
	CHECK(imlfs_subs_latest(s, 7, IMLFS_NPRED, &len) == NULL);
	CHECK_EQ(imlfs_subs_latest_size(s, 7, IMLFS_NPRED), 0);
	CHECK(imlfs_score_text(m, NULL, 0, IMLFS_NPRED, &len) == NULL);
	CHECK(imlfs_score_text(m, t, strlen(t), (enum imlfs_pred_file)-1, &len) == NULL);
	free(t);
	imlfs_subs_free(s);
}

/* A whole submission at once (truncate(2) by path to 0): published as a
 * flush would, in order with the flushes, holding nothing open. */
static void test_submit(const struct imlfs_model *m)
{
	struct imlfs_sub_limits lim = IMLFS_SUB_LIMITS_DEFAULT;
	struct imlfs_subs *s;
	struct imlfs_sub *a;
	char *t = lines(0, 10);

	lim.sub_bytes = 100;
	s = imlfs_subs_new(m, &lim);
	CHECK(s != NULL);
	CHECK_EQ(imlfs_subs_submit(s, 7, IMLFS_PRED_ALL, t, 62), 0);   /* two lines */
	CHECK_EQ(latest_predicted(s, 7, IMLFS_PRED_ALL), 2);
	CHECK_EQ(latest_predicted(s, 7, IMLFS_PRED_ROOT), -1);
	CHECK_EQ(latest_predicted(s, 8, IMLFS_PRED_ALL), -1);
	CHECK_EQ(imlfs_subs_submit(s, 7, IMLFS_PRED_ALL, NULL, 0), 0);
	CHECK_EQ(latest_predicted(s, 7, IMLFS_PRED_ALL), 0);
	CHECK_EQ(imlfs_subs_submit(s, 7, IMLFS_PRED_ALL, t, 101), -EFBIG);
	CHECK_EQ(imlfs_subs_submit(s, 7, IMLFS_NPRED, NULL, 0), -EINVAL);
	CHECK_EQ(latest_predicted(s, 7, IMLFS_PRED_ALL), 0);
	/* a submission started before it still replaces it when it closes */
	CHECK_EQ(imlfs_subs_open(s, 7, IMLFS_PRED_ROOT, false, &a), 0);
	CHECK_EQ(imlfs_subs_submit(s, 7, IMLFS_PRED_ROOT, NULL, 0), 0);
	CHECK_EQ(latest_predicted(s, 7, IMLFS_PRED_ROOT), 0);
	CHECK_EQ(imlfs_sub_write(a, t, 31, 0), 31);
	CHECK_EQ(imlfs_sub_flush(a), 0);
	CHECK_EQ(latest_predicted(s, 7, IMLFS_PRED_ROOT), 1);
	imlfs_sub_close(a);
	/* it needs no open submission: a uid at its limit of those submits */
	{
		struct imlfs_sub *held[IMLFS_SUB_UID_MAX_OPEN];

		for (int i = 0; i < IMLFS_SUB_UID_MAX_OPEN; i++)
			CHECK_EQ(imlfs_subs_open(s, 9, IMLFS_PRED_ALL, false, &held[i]), 0);
		CHECK_EQ(imlfs_subs_open(s, 9, IMLFS_PRED_ALL, false, &a), -EMFILE);
		CHECK_EQ(imlfs_subs_submit(s, 9, IMLFS_PRED_ALL, t, 31), 0);
		CHECK_EQ(latest_predicted(s, 9, IMLFS_PRED_ALL), 1);
		for (int i = 0; i < IMLFS_SUB_UID_MAX_OPEN; i++)
			imlfs_sub_close(held[i]);
	}
	free(t);
	imlfs_subs_free(s);
}

/* At most IMLFS_SUB_MAX_USERS users: the least recently submitting goes. */
/* With keep_seconds 0, the least recently submitting user makes room. */
static void test_eviction(const struct imlfs_model *m)
{
	struct imlfs_sub_limits lim = IMLFS_SUB_LIMITS_DEFAULT;
	struct imlfs_subs *s;
	struct imlfs_sub *sub;
	const char *line = "ILSVRC2012_val_00000001.JPEG 0\n";

	lim.keep_seconds = 0;
	s = imlfs_subs_new(m, &lim);
	for (uid_t u = 0; u <= IMLFS_SUB_MAX_USERS + 1; u++) {
		/* users 0..1023, then user 0 again (user 1 becomes the oldest),
		 * then a new user 5000 */
		uid_t uid = u < IMLFS_SUB_MAX_USERS ? u : u == IMLFS_SUB_MAX_USERS ? 0 : 5000;

		CHECK_EQ(imlfs_subs_open(s, uid, IMLFS_PRED_ALL, false, &sub), 0);
		CHECK_EQ(imlfs_sub_write(sub, line, strlen(line), 0), (long)strlen(line));
		CHECK_EQ(imlfs_sub_flush(sub), 0);
		imlfs_sub_close(sub);
	}
	CHECK_EQ(latest_predicted(s, 0, IMLFS_PRED_ALL), 1);
	CHECK_EQ(latest_predicted(s, 1, IMLFS_PRED_ALL), -1);
	CHECK_EQ(latest_predicted(s, 2, IMLFS_PRED_ALL), 1);
	CHECK_EQ(latest_predicted(s, 5000, IMLFS_PRED_ALL), 1);
	CHECK_EQ(latest_predicted(s, IMLFS_SUB_MAX_USERS - 1, IMLFS_PRED_ALL), 1);
	imlfs_subs_free(s);
}

/* By default results younger than an hour stay: a new user finds no place
 * (-ENOSPC, at its flush or whole submission) and nobody loses scores. */
static void test_keep(const struct imlfs_model *m)
{
	struct imlfs_subs *s = imlfs_subs_new(m, NULL);
	struct imlfs_sub *sub;
	const char *line = "ILSVRC2012_val_00000001.JPEG 0\n";

	for (uid_t u = 0; u < IMLFS_SUB_MAX_USERS; u++)
		CHECK_EQ(imlfs_subs_submit(s, u, IMLFS_PRED_ALL, line, strlen(line)), 0);
	CHECK_EQ(imlfs_subs_open(s, 5000, IMLFS_PRED_ALL, false, &sub), 0);
	CHECK_EQ(imlfs_sub_write(sub, line, strlen(line), 0), (long)strlen(line));
	CHECK_EQ(imlfs_sub_flush(sub), -ENOSPC);
	imlfs_sub_close(sub);
	CHECK_EQ(imlfs_subs_submit(s, 5001, IMLFS_PRED_ALL, line, strlen(line)), -ENOSPC);
	/* a known user still submits */
	CHECK_EQ(imlfs_subs_submit(s, 0, IMLFS_PRED_VALIDATION, line, strlen(line)), 0);
	for (uid_t u = 0; u < IMLFS_SUB_MAX_USERS; u++)
		CHECK_EQ(latest_predicted(s, u, IMLFS_PRED_ALL), 1);
	CHECK_EQ(latest_predicted(s, 5000, IMLFS_PRED_ALL), -1);
	imlfs_subs_free(s);
}

/* keep_seconds is a strict bound (submissions.h): results younger than
 * it are never evicted, results exactly that old may be.  So keep_seconds
 * 0 keeps nothing, even results stamped at this very clock reading. */
static void test_keep_bound(const struct imlfs_model *m)
{
	struct imlfs_sub_limits lim = IMLFS_SUB_LIMITS_DEFAULT;
	const char *line = "ILSVRC2012_val_00000001.JPEG 0\n";
	struct imlfs_subs *s;

	lim.keep_seconds = 8;
	s = imlfs_subs_new(m, &lim);
	fake_now = 1024;   /* binary fractions: the ages below are exact */
	for (uid_t u = 0; u < IMLFS_SUB_MAX_USERS; u++)
		CHECK_EQ(imlfs_subs_submit(s, u, IMLFS_PRED_ALL, line, strlen(line)), 0);
	fake_now = 1024 + 7.5;   /* user 0, the oldest, is 7.5 s old: kept */
	CHECK_EQ(imlfs_subs_submit(s, 5000, IMLFS_PRED_ALL, line, strlen(line)), -ENOSPC);
	CHECK_EQ(latest_predicted(s, 0, IMLFS_PRED_ALL), 1);
	fake_now = 1024 + 8;     /* exactly 8 s old: user 0 makes room */
	CHECK_EQ(imlfs_subs_submit(s, 5000, IMLFS_PRED_ALL, line, strlen(line)), 0);
	CHECK_EQ(latest_predicted(s, 0, IMLFS_PRED_ALL), -1);
	CHECK_EQ(latest_predicted(s, 5000, IMLFS_PRED_ALL), 1);
	CHECK_EQ(latest_predicted(s, 1, IMLFS_PRED_ALL), 1);
	imlfs_subs_free(s);

	lim.keep_seconds = 0;
	s = imlfs_subs_new(m, &lim);
	for (uid_t u = 0; u < IMLFS_SUB_MAX_USERS; u++)
		CHECK_EQ(imlfs_subs_submit(s, u, IMLFS_PRED_ALL, line, strlen(line)), 0);
	CHECK_EQ(imlfs_subs_submit(s, 5000, IMLFS_PRED_ALL, line, strlen(line)), 0);
	CHECK_EQ(latest_predicted(s, 0, IMLFS_PRED_ALL), -1);
	CHECK_EQ(latest_predicted(s, 5000, IMLFS_PRED_ALL), 1);
	imlfs_subs_free(s);
	fake_now = -1;
}

/* Draining, like freeing, takes NULL (submissions.h: a store that was
 * never made), and a second drain, as imlfs_subs_free's after the
 * daemon's own, does nothing more. */
static void test_drain(const struct imlfs_model *m)
{
	struct imlfs_subs *s = imlfs_subs_new(m, NULL);
	const char *line = "ILSVRC2012_val_00000001.JPEG 0\n";

	imlfs_subs_drain(NULL);
	imlfs_subs_free(NULL);
	CHECK(s != NULL);
	CHECK_EQ(imlfs_subs_submit(s, 7, IMLFS_PRED_ALL, line, strlen(line)), 0);
	imlfs_subs_drain(s);
	imlfs_subs_drain(s);
	CHECK_EQ(latest_predicted(s, 7, IMLFS_PRED_ALL), 1);
	imlfs_subs_free(s);
}

/* Each version is scored once, however many reads and flushes ask for
 * it; a change makes a new version. */
static void test_scored_once(const struct imlfs_model *m)
{
	struct imlfs_subs *s = imlfs_subs_new(m, NULL);
	struct imlfs_subs_stats st;
	struct imlfs_sub *sub;
	char *t = lines(0, 10);

	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &sub), 0);
	CHECK_EQ(imlfs_sub_write(sub, t, strlen(t), 0), (long)strlen(t));
	for (int i = 0; i < 20; i++)
		CHECK_EQ(own_predicted(sub), 10);
	CHECK_EQ(imlfs_sub_flush(sub), 0);
	CHECK_EQ(imlfs_sub_flush(sub), 0);
	imlfs_subs_stats(s, &st);
	CHECK_EQ(st.evaluations, 1);
	CHECK_EQ(st.waited, 1);
	CHECK_EQ(st.cached, 21);
	CHECK_EQ(imlfs_sub_write(sub, "#", 1, 0), 1);     /* a new version */
	CHECK_EQ(own_predicted(sub), 9);
	CHECK_EQ(own_predicted(sub), 9);
	imlfs_subs_stats(s, &st);
	CHECK_EQ(st.evaluations, 2);
	imlfs_sub_close(sub);
	imlfs_subs_free(s);
	free(t);
}

/* An appending submission starts empty and writes at its own end,
 * whatever offset the kernel passes (the shared file's size). */
static void test_append(const struct imlfs_model *m)
{
	struct imlfs_subs *s = imlfs_subs_new(m, NULL);
	struct imlfs_sub *sub;
	char *t = lines(0, 3);
	size_t n = strlen(t);

	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, true, &sub), 0);
	CHECK_EQ(imlfs_sub_write(sub, t, 10, 351), 10);
	CHECK_EQ(imlfs_sub_write(sub, t + 10, n - 10, 7), (long)(n - 10));
	CHECK_EQ(imlfs_sub_flush(sub), 0);
	CHECK_EQ(latest_predicted(s, 1, IMLFS_PRED_ALL), 3);
	imlfs_sub_close(sub);
	imlfs_subs_free(s);
	free(t);
}

struct worker {
	struct imlfs_subs *s;
	uid_t uid;
	int rounds_ok;
};

/* Each thread submits many times in small writes; its final latest must be
 * its own last submission. */
static void *writer(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 20; round++) {
		int n = 1 + (int)((w->uid * 7 + (unsigned)round) % NMEMBERS);
		char *t = lines(0, n);
		size_t len = strlen(t), off = 0;
		struct imlfs_sub *sub;
		bool ok = true;

		if (imlfs_subs_open(w->s, w->uid, IMLFS_PRED_VALIDATION, false, &sub)) {
			free(t);
			continue;
		}
		while (off < len) {
			size_t chunk = len - off < 17 ? len - off : 17;

			ok &= imlfs_sub_write(sub, t + off, chunk, (off_t)off) == (long)chunk;
			off += chunk;
		}
		ok &= imlfs_sub_flush(sub) == 0;
		imlfs_sub_close(sub);
		/* validation = even members: predicted = ceil(n / 2) */
		size_t sl;
		char *sc = imlfs_subs_latest(w->s, w->uid, IMLFS_PRED_VALIDATION, &sl);
		json_t *o = sc ? json_loads(sc, 0, NULL) : NULL;

		ok &= json_integer_value(json_object_get(o, "predicted")) == (n + 1) / 2;
		json_decref(o);
		free(sc);
		free(t);
		w->rounds_ok += ok;
	}
	return NULL;
}

static void test_threads(const struct imlfs_model *m)
{
	struct imlfs_subs *s = imlfs_subs_new(m, NULL);
	pthread_t th[8];
	struct worker w[8];

	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .s = s, .uid = (uid_t)(2000 + i) };
		CHECK_EQ(pthread_create(&th[i], NULL, writer, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(w[i].rounds_ok, 20);
	}
	imlfs_subs_free(s);
}

/* A NumPy .npy stream: prefix and header for a (rows, cols) '<f4' array;
 * returns its length. */
static size_t npy_header(char *out, unsigned rows, unsigned cols)
{
	int n = snprintf(out + 10, 118, "{'descr': '<f4', 'fortran_order': False, "
			 "'shape': (%u, %u), }", rows, cols);

	memcpy(out, "\x93NUMPY\x01\x00", 8);
	memset(out + 10 + n, ' ', (size_t)(117 - n));
	out[127] = '\n';
	out[8] = 118;
	out[9] = 0;
	return 128;
}

/* Arrays have their own bound, larger than the text's: the first bytes
 * decide which applies, also when the magic comes in pieces; truncate and
 * a whole submission follow the same rule; a full array scores. */
static void test_npy_bound(const struct imlfs_model *m)
{
	const struct imlfs_sub_limits lim = {
		.sub_bytes = 1 * KB, .uid_pending = 1024 * KB, .pending = 4096 * KB,
		.uid_open = 4, .open = 8,
	};
	size_t cap = imlfs_npy_cap(m, lim.sub_bytes, lim.uid_pending);
	struct imlfs_subs *s = imlfs_subs_new(m, &lim);
	struct imlfs_sub *t, *a, *b;
	char *fill = calloc(1, cap + 1);
	size_t hl;

	CHECK(cap > 16 * KB && cap < 32 * KB);
	memset(fill, '\n', 2 * KB);
	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &t), 0);
	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &a), 0);
	CHECK_EQ(imlfs_subs_open(s, 1, IMLFS_PRED_ALL, false, &b), 0);
	/* text: 1 KiB */
	CHECK_EQ(imlfs_sub_write(t, fill, 2 * KB, 0), -EFBIG);
	CHECK_EQ(imlfs_sub_write(t, fill, 1 * KB, 0), 1 * KB);
	CHECK_EQ(imlfs_sub_truncate(t, 2 * KB), -EFBIG);
	CHECK_EQ(imlfs_subs_submit(s, 1, IMLFS_PRED_ALL, fill, 2 * KB), -EFBIG);
	/* an array, its magic written in two pieces: up to cap */
	hl = npy_header(fill, NMEMBERS, 4);
	CHECK_EQ(imlfs_sub_write(a, fill, 3, 0), 3);
	CHECK_EQ(imlfs_sub_write(a, fill + 3, 2 * KB, 3), 2 * KB);
	CHECK_EQ(imlfs_sub_write(a, fill, 1, (off_t)cap), -EFBIG);
	CHECK_EQ(imlfs_sub_write(a, fill, cap - 2 * KB - 3, 2 * KB + 3), (long)(cap - 2 * KB - 3));
	CHECK_EQ(imlfs_sub_truncate(a, (off_t)cap + 1), -EFBIG);
	CHECK_EQ(imlfs_sub_truncate(a, (off_t)(hl + NMEMBERS * 4 * 4)), 0);
	CHECK_EQ(imlfs_sub_flush(a), 0);
	CHECK_EQ(latest_predicted(s, 1, IMLFS_PRED_ALL), NMEMBERS);   /* zero scores: top-1 0 */
	CHECK_EQ(imlfs_sub_truncate(b, 4 * KB), -EFBIG);              /* no magic yet */
	CHECK_EQ(imlfs_sub_write(b, fill, hl, 0), (long)hl);
	CHECK_EQ(imlfs_sub_truncate(b, 4 * KB), 0);
	CHECK_EQ(imlfs_subs_submit(s, 1, IMLFS_PRED_ALL, fill, 4 * KB), 0);
	CHECK_EQ(latest_predicted(s, 1, IMLFS_PRED_ALL), 0);          /* trailing bytes */
	/* an array past the text bound cannot become a text: its magic stays */
	CHECK_EQ(imlfs_sub_write(b, "ILSVRC", 6, 0), -EFBIG);
	CHECK_EQ(imlfs_sub_write(b, "I", 1, 0), -EFBIG);
	CHECK_EQ(imlfs_sub_write(b, "\x93NUMPY", 6, 0), 6);           /* the same bytes: fine */
	CHECK_EQ(imlfs_sub_truncate(b, 1 * KB), 0);
	CHECK_EQ(imlfs_sub_write(b, "ILSVRC", 6, 0), 6);              /* within the text bound */
	imlfs_sub_close(t);
	imlfs_sub_close(a);
	imlfs_sub_close(b);
	imlfs_subs_free(s);
	free(fill);
}

int main(void)
{
	struct imlfs_model m;
	struct imlfs_subs *s;

	build(&m);
	s = imlfs_subs_new(&m, NULL);
	CHECK(s != NULL);
	test_bounds(s);
	test_flush(s);
	imlfs_subs_free(s);
	test_pending(&m);
	test_empty(&m);
	test_files(&m);
	test_submit(&m);
	test_eviction(&m);
	test_keep(&m);
	test_keep_bound(&m);
	test_drain(&m);
	test_scored_once(&m);
	test_append(&m);
	test_threads(&m);
	test_npy_bound(&m);
	imlfs_model_free(&m);
	return tu_done();
}
