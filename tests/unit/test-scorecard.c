/* SPDX-License-Identifier: MIT */
/* test-scorecard.c — each split's verdict on a top-1 (scorecard.h): the
 * rules by hand on a small model, then on random models that summing the
 * verdicts over a split gives that split's own score (score.c, a separate
 * tally); the scorecard's disagreements; the root's report.html (the
 * table, escaping, the bound on the list, the page before a submission)
 * and the store's root report per uid. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/labelset.h"
#include "imlfs/preds.h"
#include "imlfs/score.h"
#include "imlfs/scorecard.h"
#include "imlfs/submissions.h"
#include "imlfs/util.h"
#include "testutil.h"

#define ALL IMLFS_SPLIT_ALL
#define VAL IMLFS_SPLIT_VALIDATION
#define IMM IMLFS_SPLIT_IMAGENET_M
#define REAL IMLFS_SPLIT_SET0   /* ReaL's set comes first */
#define RIGHT IMLFS_VERDICT_RIGHT
#define WRONG IMLFS_VERDICT_WRONG
#define OUT IMLFS_VERDICT_OUT

/* Give m ReaL lists: lists[i] a string of class digits ("" empty), as
 * real.json's JSON lists. */
static void add_real(struct imlfs_model *m, const char *const *lists)
{
	struct imlfs_buf t = { 0 };

	imlfs_buf_printf(&t, "[");
	for (uint32_t i = 0; i < m->nmembers; i++) {
		imlfs_buf_printf(&t, i ? ", [" : "[");
		for (const char *c = lists[i]; *c; c++)
			imlfs_buf_printf(&t, c == lists[i] ? "%c" : ", %c", *c);
		imlfs_buf_printf(&t, "]");
	}
	imlfs_buf_printf(&t, "]");
	imlfs_buf_add(&t, "", 0);
	tu_add_set(m, "real", IMLFS_LS_REAL, t.p);
	imlfs_buf_free(&t);
}

/* tu_tree_model (member: label, flags, correct / unclear):
 *   0: 0 annotated {0,1} / {2}     1: 1 annotated problematic {1}
 *   2: 0 annotated imagenet_m {0}  3: 2 annotated {2}, wrong {1}
 *   4: 0                           5: 1 problematic, not annotated
 * with ReaL lists [1], [], [0 2], [2], [], [0 1]. */
static const char *const real_lists[] = { "1", "", "02", "2", "", "01" };

static void test_rules(void)
{
	struct imlfs_model m;

	tu_tree_model(&m);
	add_real(&m, real_lists);
	/* all: the original label; a missing prediction is wrong */
	CHECK_EQ(imlfs_verdict(&m, ALL, 0, 0), RIGHT);
	CHECK_EQ(imlfs_verdict(&m, ALL, 0, 2), WRONG);
	CHECK_EQ(imlfs_verdict(&m, ALL, 0, -1), WRONG);
	m.members[4].label = IMLFS_NO_LABEL;
	CHECK_EQ(imlfs_verdict(&m, ALL, 4, 0), IMLFS_VERDICT_NO_LABEL);
	m.members[4].label = 0;
	/* validation: correct or unclear; problematic left out; only annotated */
	CHECK_EQ(imlfs_verdict(&m, VAL, 0, 2), RIGHT);    /* unclear */
	CHECK_EQ(imlfs_verdict(&m, VAL, 0, 1), RIGHT);    /* correct, not original */
	CHECK_EQ(imlfs_verdict(&m, VAL, 3, 1), WRONG);    /* marked wrong */
	CHECK_EQ(imlfs_verdict(&m, VAL, 3, -1), WRONG);
	CHECK_EQ(imlfs_verdict(&m, VAL, 1, 1), IMLFS_VERDICT_PROBLEMATIC);
	CHECK_EQ(imlfs_verdict(&m, VAL, 4, 0), OUT);
	CHECK_EQ(imlfs_verdict(&m, VAL, 5, 1), OUT);      /* problematic, not annotated */
	/* imagenet_m: the expert labels over its images only */
	CHECK_EQ(imlfs_verdict(&m, IMM, 2, 0), RIGHT);
	CHECK_EQ(imlfs_verdict(&m, IMM, 2, 1), WRONG);
	CHECK_EQ(imlfs_verdict(&m, IMM, 0, 0), OUT);
	/* real: in the list; an empty list is not in real/ */
	CHECK_EQ(imlfs_verdict(&m, REAL, 2, 2), RIGHT);
	CHECK_EQ(imlfs_verdict(&m, REAL, 2, 1), WRONG);
	CHECK_EQ(imlfs_verdict(&m, REAL, 2, -1), WRONG);
	CHECK_EQ(imlfs_verdict(&m, REAL, 1, 1), OUT);
	CHECK(imlfs_verdict_counts(RIGHT) && imlfs_verdict_counts(WRONG));
	CHECK(!imlfs_verdict_counts(OUT) && !imlfs_verdict_counts(IMLFS_VERDICT_PROBLEMATIC) &&
	      !imlfs_verdict_counts(IMLFS_VERDICT_NO_LABEL));
	CHECK_STR(imlfs_verdict_name(RIGHT), "right");
	CHECK_STR(imlfs_verdict_name(OUT), "not in the split");
	imlfs_model_free(&m);
}

/* xorshift: the same random models on every run. */
static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

/* A random model of n members and nc (<= 10) classes: some unlabelled,
 * some annotated (maybe problematic, maybe ImageNet-M) with random runs,
 * ReaL lists with empty ones. */
static void random_model(struct imlfs_model *m, uint32_t n, uint32_t nc)
{
	char **names = calloc(n, sizeof *names);
	char **lists = calloc(n, sizeof *lists);
	char wnid[16];

	for (uint32_t i = 0; i < n; i++) {
		names[i] = malloc(32);
		snprintf(names[i], 32, "ILSVRC2012_val_%08u.JPEG", i + 1);
	}
	tu_model(m, (const char *const *)names, n);
	for (uint32_t c = 0; c < nc; c++) {
		snprintf(wnid, sizeof wnid, "n%08u", c);
		imlfs_model_add_class(m, wnid, 9, "a class", 7);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct imlfs_member *mb = &m->members[i];
		uint8_t status[10];
		uint16_t *run;

		mb->label = rnd(8) ? (int32_t)rnd(nc) : IMLFS_NO_LABEL;
		lists[i] = calloc(nc + 1, 1);
		for (uint32_t c = 0, k = 0; c < nc; c++)
			if (!rnd(3))
				lists[i][k++] = (char)('0' + c);
		if (rnd(3)) {
			mb->flags |= IMLFS_M_ANNOTATED;
			mb->flags |= rnd(6) ? 0 : IMLFS_M_PROBLEMATIC;
			mb->flags |= rnd(3) ? 0 : IMLFS_M_IMAGENET_M;
			/* disjoint runs: a random status per class (3: none),
			 * correct ones first, then unclear, then wrong */
			for (uint32_t c = 0; c < nc; c++)
				status[c] = (uint8_t)rnd(4);
			mb->ml = m->nml;
			m->ml = realloc(m->ml, (m->nml + nc) * sizeof *m->ml);
			run = m->ml + m->nml;
			for (uint8_t st = 0; st < 3; st++)
				for (uint32_t c = 0; c < nc; c++)
					if (status[c] == st)
						*run++ = (uint16_t)c;
			for (uint32_t c = 0; c < nc; c++) {
				mb->n_correct += status[c] == 0;
				mb->n_unclear += status[c] == 1;
				mb->n_wrong += status[c] == 2;
			}
			m->nml += (uint32_t)mb->n_correct + mb->n_unclear + mb->n_wrong;
		} else if (!rnd(10)) {
			mb->flags |= IMLFS_M_PROBLEMATIC;   /* problematic, not annotated */
		}
	}
	add_real(m, (const char *const *)lists);
	m->have |= IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M |
		   IMLFS_HAVE_CLASSES;
	CHECK_EQ(imlfs_model_finish(m), 0);
	for (uint32_t i = 0; i < n; i++) {
		free(names[i]);
		free(lists[i]);
	}
	free(names);
	free(lists);
}

/* A random submission: most images with one to six labels, some missing,
 * some twice, a line for no image. */
static char *random_preds(const struct imlfs_model *m, size_t *len)
{
	struct imlfs_buf b = { 0 };

	for (uint32_t i = 0; i < m->nmembers; i++) {
		uint32_t times = rnd(7) ? 1 : rnd(2) ? 0 : 2;

		for (uint32_t t = 0; t < times; t++) {
			imlfs_buf_printf(&b, "%s", imlfs_member_name(m, i));
			for (uint32_t k = 0, n = 1 + rnd(6); k < n; k++)
				imlfs_buf_printf(&b, " %u", rnd(m->nclasses));
			imlfs_buf_printf(&b, "\n");
		}
	}
	imlfs_buf_printf(&b, "ILSVRC2012_val_99999999 0\n");
	*len = b.len;
	return b.p;
}

/* Summing the verdicts over each split gives its score: the counts
 * where the JSON has them, else the ratio, exactly (the same division). */
static void test_sums_match_scores(void)
{
	for (int round = 0; round < 40; round++) {
		struct imlfs_model m;
		size_t len;
		char *text;
		struct imlfs_preds *p;
		struct imlfs_scores *sc;
		struct imlfs_scorecard *card;
		uint32_t n = 1 + rnd(round < 30 ? 40 : 600), unlabelled = 0, disagree = 0;

		random_model(&m, n, 2 + rnd(8));
		text = random_preds(&m, &len);
		p = imlfs_preds_parse(&m, text, len);
		sc = imlfs_score(&m, p, IMLFS_PRED_ROOT);
		card = imlfs_scorecard_new(&m, p);
		CHECK(p && sc && card);
		CHECK_EQ(card->nsplits, sc->nsplits);
		for (uint32_t i = 0; i < n; i++)
			unlabelled += m.members[i].label < 0;
		for (unsigned k = 0; k < card->nsplits; k++) {
			const struct imlfs_scorecard_split *cs = &card->split[k];
			const struct imlfs_split_scores *ss = imlfs_scores_of(sc, cs->split);
			uint64_t counted = (uint64_t)cs->right + cs->wrong;
			double share = counted ? (double)cs->right / (double)counted : NAN;

			CHECK(ss != NULL);
			if (!ss)
				continue;
			switch (cs->split) {
			case ALL:
				CHECK_EQ(counted, n - unlabelled);
				CHECK(share == ss->top1_accuracy || (isnan(share) &&
								     isnan(ss->top1_accuracy)));
				break;
			case VAL:
				/* per-class averaging aside: the counts behind it */
				CHECK_EQ(cs->right, ss->multilabel_correct);
				CHECK_EQ(counted, ss->multilabel_images);
				break;
			case IMM:
				CHECK_EQ(cs->right, ss->multilabel_correct);
				CHECK_EQ(counted, ss->multilabel_images);
				CHECK_EQ(counted, ss->images);
				CHECK(share == ss->multilabel_accuracy ||
				      (isnan(share) && isnan(ss->multilabel_accuracy)));
				break;
			case REAL:
				CHECK_EQ(counted, ss->images);
				CHECK_EQ(ss->nsets, 1);   /* real_accuracy is ReaL's set's top-1 */
				CHECK(share == ss->sets[0].top1 || (isnan(share) &&
								    isnan(ss->sets[0].top1)));
				break;
			default:
				CHECK(!"a split this test does not know");
			}
		}
		/* the disagreements: every image one split counts right and
		 * another wrong, the first ones kept in member order */
		for (uint32_t i = 0; i < n; i++) {
			int32_t top1 = imlfs_preds_top1(p, i);
			unsigned right = 0, wrong = 0;

			for (unsigned k = 0; k < card->nsplits; k++) {
				enum imlfs_verdict v = imlfs_verdict(&m, card->split[k].split, i, top1);

				right += v == RIGHT;
				wrong += v == WRONG;
			}
			if (right && wrong) {
				CHECK(top1 >= 0);
				if (disagree < IMLFS_SCORECARD_SHOWN_MAX) {
					CHECK_EQ(card->shown[disagree].member, i);
					CHECK_EQ(card->shown[disagree].top1, top1);
				}
				disagree++;
			}
		}
		CHECK_EQ(card->ndisagree, disagree);
		CHECK_EQ(card->nshown, disagree < IMLFS_SCORECARD_SHOWN_MAX ? disagree
			 : IMLFS_SCORECARD_SHOWN_MAX);
		imlfs_scorecard_free(card);
		imlfs_scores_free(sc);
		imlfs_preds_free(p);
		free(text);
		imlfs_model_free(&m);
	}
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *page(const struct imlfs_model *m, const char *preds)
{
	struct imlfs_buf b = { 0 };
	struct imlfs_preds *p = NULL;
	struct imlfs_scores *sc = NULL;
	struct imlfs_scorecard *card = NULL;

	if (preds) {
		p = imlfs_preds_parse(m, preds, strlen(preds));
		sc = imlfs_score(m, p, IMLFS_PRED_ROOT);
		card = imlfs_scorecard_new(m, p);
		CHECK(p && sc && card);
	}
	CHECK_EQ(imlfs_scorecard_render(m, card, sc, &b), 0);
	imlfs_scorecard_free(card);
	imlfs_scores_free(sc);
	imlfs_preds_free(p);
	return b.p;
}

static void test_page(void)
{
	struct imlfs_model m;
	char *html;
	/* member 0 top-1 2 (unclear): validation right, all wrong, real wrong;
	 * member 2 top-1 2: validation and imagenet_m wrong, real right;
	 * member 3 top-1 2: right everywhere; member 4 top-1 0: right in all,
	 * in no other split: no disagreement */
	const char *preds = "ILSVRC2012_val_00000001 2\nILSVRC2012_val_00000003 2\n"
			    "ILSVRC2012_val_00000004 2\nILSVRC2012_val_00000005 0\n"
			    "bogus line\n";

	tu_tree_model(&m);
	add_real(&m, real_lists);
	html = page(&m, preds);
	/* the table: a row per split, the JSON's values, "—" for a key a split
	 * has not (real_accuracy of validation) */
	CHECK_EQ(count(html, "<tr><td><a href=\""), 4);
	CHECK(strstr(html, "<a href=\"validation/report.html\">validation</a>") != NULL);
	CHECK(strstr(html, "<td id=\"card-all-images\">6</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-all-predicted\">4</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-all-missing\">2</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-all-top1_accuracy\">0.3333333333333333</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-all-top5_accuracy\">null</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-validation-real_accuracy\">\xe2\x80\x94</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-real-real_accuracy\">0.5</td>") != NULL);
	/* validation: members 0, 2, 3 scored (1 problematic); 0 and 3 right */
	CHECK(strstr(html, "<td id=\"card-validation-right\">2</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-validation-counted\">3</td>") != NULL);
	CHECK(strstr(html, "<td id=\"card-imagenet_m-counted\">1</td>") != NULL);
	/* the disagreements: members 0 and 2 */
	CHECK_EQ(count(html, "<tr class=\"disagreement\">"), 2);
	CHECK(strstr(html, "All 2 images whose submitted top-1") != NULL);
	CHECK(strstr(html, "all/images/ILSVRC2012_val_00000005.JPEG") == NULL);
	CHECK(strstr(html, "<a href=\"all/images/ILSVRC2012_val_00000001.JPEG\">") != NULL);
	CHECK(strstr(html, "all/images/ILSVRC2012_val_00000004.JPEG") == NULL);
	CHECK(strstr(html, "<td class=\"right\">right</td><td class=\"skip\">not in the split"
			   "</td><td class=\"wrong\">wrong</td><td>original:") != NULL);
	/* escaped, never raw; nothing fetched from elsewhere, no script */
	CHECK(strstr(html, "say &quot;cheese&quot;") != NULL);
	CHECK(strstr(html, "say \"cheese\"") == NULL);
	CHECK(strstr(html, "<script") == NULL && strstr(html, "http") == NULL);
	/* the submission's errors, once */
	CHECK_EQ(count(html, "<ol class=\"errors\"><li>line 5: "), 1);
	free(html);

	/* before any submission: how to submit, no table */
	html = page(&m, NULL);
	CHECK(strstr(html, "Nothing submitted yet") != NULL);
	CHECK(strstr(html, "cat preds.txt &gt; predictions") != NULL);
	CHECK(strstr(html, "<code>real</code>") != NULL);
	CHECK(strstr(html, "id=\"scorecard\"") == NULL);
	free(html);
	imlfs_model_free(&m);
}

/* More disagreements than a page lists: the first 200 and the count. */
static void test_bound(void)
{
	struct imlfs_model m;
	struct imlfs_buf t = { 0 };
	char *html;

	random_model(&m, 1500, 3);
	for (uint32_t i = 0; i < m.nmembers; i++) {
		/* right under the original label; wrong wherever experts
		 * disagree, so many images disagree */
		struct imlfs_member *mb = &m.members[i];

		mb->label = 0;
		mb->flags = IMLFS_M_ANNOTATED;
		mb->n_correct = mb->n_unclear = 0;
		imlfs_buf_printf(&t, "%s 0\n", imlfs_member_name(&m, i));
	}
	html = page(&m, t.p);
	CHECK(strstr(html, "The first 200 of 1500 images") != NULL);
	CHECK_EQ(count(html, "<tr class=\"disagreement\">"), IMLFS_SCORECARD_SHOWN_MAX);
	CHECK(strlen(html) < 256 * 1024);
	free(html);
	imlfs_buf_free(&t);
	imlfs_model_free(&m);
}

/* The store keeps each uid's latest root scorecard; the root has no
 * per-class.tsv. */
static void test_store(void)
{
	struct imlfs_model m;
	struct imlfs_subs *s;
	size_t len = 0;
	char *t;
	const char *preds = "ILSVRC2012_val_00000001 2\n";

	tu_tree_model(&m);
	s = imlfs_subs_new(&m, NULL);
	CHECK(s != NULL);
	CHECK(imlfs_subs_report(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_TSV, &len) == NULL);
	CHECK_EQ(imlfs_subs_report_size(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_TSV), 0);
	t = imlfs_subs_report(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_HTML, &len);
	CHECK(t && strstr(t, "Nothing submitted yet") != NULL);
	CHECK_EQ(imlfs_subs_report_size(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_HTML), len);
	free(t);
	CHECK_EQ(imlfs_subs_submit(s, 1, IMLFS_PRED_ROOT, preds, strlen(preds)), 0);
	t = imlfs_subs_report(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_HTML, &len);
	CHECK(t && strstr(t, "All 1 images whose submitted top-1") != NULL);
	CHECK(t && strlen(t) == len);
	free(t);
	/* another uid: nothing; a split's submission makes no root report */
	CHECK_EQ(imlfs_subs_submit(s, 2, IMLFS_PRED_VALIDATION, preds, strlen(preds)), 0);
	t = imlfs_subs_report(s, 2, IMLFS_PRED_ROOT, IMLFS_REPORT_HTML, &len);
	CHECK(t && strstr(t, "Nothing submitted yet") != NULL);
	free(t);
	/* a later root submission replaces the first */
	CHECK_EQ(imlfs_subs_submit(s, 1, IMLFS_PRED_ROOT, "ILSVRC2012_val_00000001 0\n", 26), 0);
	t = imlfs_subs_report(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_HTML, &len);
	CHECK(t && strstr(t, "All 0 images whose submitted top-1") != NULL);
	free(t);
	imlfs_subs_free(s);
	imlfs_model_free(&m);
}

int main(void)
{
	test_rules();
	test_sums_match_scores();
	test_page();
	test_bound();
	test_store();
	return tu_done();
}
