/* SPDX-License-Identifier: MIT */
/* test-report.c — report.html and per-class.tsv: each split's rule for a
 * right top-1, the per-class table (worst first, mean = the metric), the
 * gallery (escaped, percent-encoded, at most 200), the headline scores as
 * the JSON writes them, the page before any submission, and the store's
 * per-uid reports and their sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "imlfs/report.h"
#include "imlfs/score.h"
#include "imlfs/submissions.h"
#include "imlfs/util.h"
#include "testutil.h"

static char *render(const struct imlfs_model *m, enum imlfs_split s, const char *preds,
		    enum imlfs_report_kind kind)
{
	struct imlfs_buf b = { 0 };
	struct imlfs_preds *p = NULL;
	struct imlfs_report *r = NULL;
	struct imlfs_scores *sc = NULL;

	if (preds) {
		p = imlfs_preds_parse(m, preds, strlen(preds));
		CHECK(p != NULL);
		r = imlfs_report_new(m, p, s);
		CHECK(r != NULL);
		sc = imlfs_score(m, p, imlfs_pred_of_split(s));
		CHECK(sc != NULL);
	}
	CHECK_EQ(imlfs_report_render(m, s, r, sc, kind, &b), 0);
	imlfs_report_free(r);
	imlfs_scores_free(sc);
	imlfs_preds_free(p);
	return b.p;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* tu_tree_model: member 0 (class 0) correct {0,1} unclear {2}; 1 (class 1)
 * problematic; 2 (class 0) correct {0}, ImageNet-M; 3 (class 2) correct
 * {2}; 4, 5 not annotated. */
static const char preds[] =
	"ILSVRC2012_val_00000001.JPEG 2\n"     /* unclear: right */
	"ILSVRC2012_val_00000002 2\n"          /* problematic: left out */
	"ILSVRC2012_val_00000003.JPEG 1 0\n";  /* wrong; member 3: no prediction */

static void test_validation(void)
{
	struct imlfs_model m;
	char *tsv, *html;

	tu_tree_model(&m);
	tsv = render(&m, IMLFS_SPLIT_VALIDATION, preds, IMLFS_REPORT_TSV);
	/* class 2 (0 of 1) before class 0 (1 of 2); class 1 has no scored image;
	 * the mean, (0 + 0.5) / 2, is multilabel_accuracy below */
	CHECK_STR(tsv, "index\twnid\tname\timages\tcorrect\taccuracy\n"
		  "2\tn00000003\tsay \"cheese\"\t1\t0\t0.0\n"
		  "0\tn00000001\ttench, Tinca tinca\t2\t1\t0.5\n");
	html = render(&m, IMLFS_SPLIT_VALIDATION, preds, IMLFS_REPORT_HTML);
	CHECK(strstr(html, "<td id=\"score-multilabel_accuracy\">0.25</td>") != NULL);
	CHECK(strstr(html, "<td id=\"score-multilabel_images\">3</td>") != NULL);
	CHECK(strstr(html, "<td id=\"score-split\">validation</td>") != NULL);
	CHECK(strstr(html, "<td id=\"score-top5_accuracy\">null</td>") != NULL);
	/* one mistake with a prediction: member 2, predicted goldfish */
	CHECK_EQ(count(html, "<figure"), 1);
	CHECK(strstr(html, "<img src=\"images/ILSVRC2012_val_00000003.JPEG\"") != NULL);
	CHECK(strstr(html, "1 <code>n00000002</code> goldfish") != NULL);
	CHECK(strstr(html, "1 images with no prediction") != NULL);
	/* names escaped, never raw */
	CHECK(strstr(html, "say &quot;cheese&quot;") != NULL);
	CHECK(strstr(html, "say \"cheese\"") == NULL);
	CHECK(strstr(html, "<script") == NULL);
	CHECK(strstr(html, "http") == NULL);
	free(tsv);
	free(html);

	/* imagenet_m: member 2 only, right with 0 */
	tsv = render(&m, IMLFS_SPLIT_IMAGENET_M, "ILSVRC2012_val_00000003 0\n", IMLFS_REPORT_TSV);
	CHECK_STR(tsv, "index\twnid\tname\timages\tcorrect\taccuracy\n"
		  "0\tn00000001\ttench, Tinca tinca\t1\t1\t1.0\n");
	free(tsv);
	/* all: against the original label; the unclear label is no help */
	tsv = render(&m, IMLFS_SPLIT_ALL, preds, IMLFS_REPORT_TSV);
	CHECK_STR(tsv, "index\twnid\tname\timages\tcorrect\taccuracy\n"
		  "0\tn00000001\ttench, Tinca tinca\t3\t0\t0.0\n"
		  "1\tn00000002\tgoldfish\t2\t0\t0.0\n"
		  "2\tn00000003\tsay \"cheese\"\t1\t0\t0.0\n");
	free(tsv);
	html = render(&m, IMLFS_SPLIT_ALL, preds, IMLFS_REPORT_HTML);
	CHECK_EQ(count(html, "<figure"), 3);   /* members 0, 1, 2 */
	free(html);

	/* before any submission */
	html = render(&m, IMLFS_SPLIT_VALIDATION, NULL, IMLFS_REPORT_HTML);
	CHECK(strstr(html, "Nothing submitted yet") != NULL);
	CHECK(strstr(html, "cat preds.txt &gt; validation/predictions") != NULL);
	CHECK_EQ(count(html, "<figure"), 0);
	free(html);
	tsv = render(&m, IMLFS_SPLIT_VALIDATION, NULL, IMLFS_REPORT_TSV);
	CHECK_STR(tsv, "index\twnid\tname\timages\tcorrect\taccuracy\n");
	free(tsv);
	imlfs_model_free(&m);
}

/* The headline holds the predictions file's JSON (as jansson reads it)
 * key by key in its order, each scalar written as the JSON writes it and
 * each error with its line, for every split. */
static void test_headline_is_json(void)
{
	static const char junk[] =
		"ILSVRC2012_val_00000001.JPEG 2 1\n"
		"ILSVRC2012_val_00000003 \"x\" <b>\n"       /* a bad label, quoted */
		"not<b>here 0\n"
		"ILSVRC2012_val_00000004.JPEG 7\n";
	struct imlfs_model m;

	tu_tree_model(&m);
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++) {
		struct imlfs_preds *p = imlfs_preds_parse(&m, junk, strlen(junk));
		struct imlfs_scores *sc = imlfs_score(&m, p, imlfs_pred_of_split(s));
		char *text = imlfs_scores_json(&m, imlfs_pred_of_split(s), sc, NULL);
		char *html = render(&m, s, junk, IMLFS_REPORT_HTML), cell[600];
		json_t *o = json_loads(text, 0, NULL), *v;
		const char *key, *at = html;

		CHECK(o != NULL && json_object_size(o) >= 14);
		json_object_foreach(o, key, v) {
			snprintf(cell, sizeof cell, "<td id=\"score-%s\">", key);
			at = at ? strstr(at, cell) : NULL;    /* in the JSON's order */
			CHECK(at != NULL);
			if (!at)
				break;
			at += strlen(cell);
			if (json_is_integer(v))
				snprintf(cell, sizeof cell, "%lld<", (long long)json_integer_value(v));
			else if (json_is_real(v) && imlfs_json_real(cell, sizeof cell, json_real_value(v)) > 0)
				strcat(cell, "<");
			else if (json_is_null(v))
				snprintf(cell, sizeof cell, "null<");
			else if (json_is_string(v))
				snprintf(cell, sizeof cell, "%s<", json_string_value(v));
			else
				snprintf(cell, sizeof cell, "<ol class=\"errors\"><li>line 2: label "
					 "&quot;?x?&quot; is neither");
			CHECK(!strncmp(at, cell, strlen(cell)));
		}
		CHECK_EQ(json_array_size(json_object_get(o, "errors")), 3);
		CHECK_EQ(count(html, "<li>line "), 3);
		CHECK(strstr(html, "<li>line 3: image &quot;not&lt;b&gt;here&quot; is not in the tarball") != NULL);
		CHECK(strstr(html, "not<b>") == NULL);
		json_decref(o);
		free(html);
		free(text);
		imlfs_scores_free(sc);
		imlfs_preds_free(p);
	}
	imlfs_model_free(&m);
}

/* An annotated image with no original label (a labels file shorter than
 * the tarball): scored in validation against its expert labels, and
 * counted in a row of its own at the end of the per-class table. */
static void test_unlabelled_row(void)
{
	struct imlfs_model m;
	char *tsv;

	tu_tree_model(&m);
	m.members[0].label = -1;
	tsv = render(&m, IMLFS_SPLIT_VALIDATION, preds, IMLFS_REPORT_TSV);
	CHECK_STR(tsv, "index\twnid\tname\timages\tcorrect\taccuracy\n"
		  "0\tn00000001\ttench, Tinca tinca\t1\t0\t0.0\n"
		  "2\tn00000003\tsay \"cheese\"\t1\t0\t0.0\n"
		  "-\t-\t(no original label)\t1\t1\t1.0\n");
	free(tsv);
	imlfs_model_free(&m);
}

/* 252 images of class 0 (two with awkward names), all predicted 1. */
static void test_gallery_bound(void)
{
	static char names[252][32];
	const char *v[252];
	struct imlfs_buf p = { 0 };
	struct imlfs_model m;
	char *html;

	strcpy(names[0], "a%b.JPEG");
	strcpy(names[1], "c<d>&.JPEG");
	for (int i = 2; i < 252; i++)
		snprintf(names[i], sizeof names[i], "img_%04d.JPEG", i);
	for (int i = 0; i < 252; i++)
		v[i] = names[i];
	tu_model(&m, v, 252);
	imlfs_model_add_class(&m, "n00000001", 9, "zero", 4);
	imlfs_model_add_class(&m, "n00000002", 9, "one", 3);
	for (int i = 0; i < 252; i++) {
		m.members[i].label = 0;
		imlfs_buf_printf(&p, "%s 1\n", names[i]);
	}
	html = render(&m, IMLFS_SPLIT_ALL, p.p, IMLFS_REPORT_HTML);
	CHECK_EQ(count(html, "<figure"), IMLFS_REPORT_GALLERY_MAX);
	CHECK(strstr(html, "The first 200 of ") != NULL);
	CHECK(strstr(html, "src=\"images/a%25b.JPEG\"") != NULL);
	CHECK(strstr(html, "src=\"images/c%3Cd%3E%26.JPEG\"") != NULL);
	CHECK(strstr(html, "alt=\"c&lt;d&gt;&amp;.JPEG\"") != NULL);
	CHECK(strlen(html) < 200 * 1024);
	free(html);
	imlfs_buf_free(&p);
	imlfs_model_free(&m);
}

static void test_store(void)
{
	struct imlfs_model m;
	struct imlfs_subs *s;
	size_t len = 0;
	char *t;

	tu_tree_model(&m);
	s = imlfs_subs_new(&m, NULL);
	CHECK(s != NULL);
	/* (the root's report.html, the scorecard: test-scorecard.c) */
	CHECK(imlfs_subs_report(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_TSV, &len) == NULL);
	CHECK_EQ(imlfs_subs_report_size(s, 1, IMLFS_PRED_ROOT, IMLFS_REPORT_TSV), 0);
	CHECK_EQ(imlfs_subs_submit(s, 1, IMLFS_PRED_VALIDATION, preds, strlen(preds)), 0);
	for (int k = 0; k < IMLFS_NREPORTS; k++) {
		t = imlfs_subs_report(s, 1, IMLFS_PRED_VALIDATION, (enum imlfs_report_kind)k, &len);
		CHECK(t != NULL);
		CHECK_EQ(strlen(t), len);
		CHECK_EQ(imlfs_subs_report_size(s, 1, IMLFS_PRED_VALIDATION,
						(enum imlfs_report_kind)k), len);
		free(t);
	}
	t = imlfs_subs_report(s, 1, IMLFS_PRED_VALIDATION, IMLFS_REPORT_TSV, &len);
	CHECK(strstr(t, "tench, Tinca tinca\t2\t1\t0.5\n") != NULL);
	free(t);
	/* another uid, another file: nothing submitted */
	t = imlfs_subs_report(s, 2, IMLFS_PRED_VALIDATION, IMLFS_REPORT_HTML, &len);
	CHECK(strstr(t, "Nothing submitted yet") != NULL);
	CHECK_EQ(imlfs_subs_report_size(s, 2, IMLFS_PRED_VALIDATION, IMLFS_REPORT_HTML), len);
	free(t);
	t = imlfs_subs_report(s, 1, IMLFS_PRED_ALL, IMLFS_REPORT_HTML, &len);
	CHECK(strstr(t, "Nothing submitted yet") != NULL);
	free(t);
	/* a later submission replaces the report and its remembered size */
	t = "ILSVRC2012_val_00000001 0\nILSVRC2012_val_00000003 0\nILSVRC2012_val_00000004 2\n";
	CHECK_EQ(imlfs_subs_submit(s, 1, IMLFS_PRED_VALIDATION, t, strlen(t)), 0);
	t = imlfs_subs_report(s, 1, IMLFS_PRED_VALIDATION, IMLFS_REPORT_TSV, &len);
	CHECK(strstr(t, "tench, Tinca tinca\t2\t2\t1.0\n") != NULL);
	CHECK_EQ(imlfs_subs_report_size(s, 1, IMLFS_PRED_VALIDATION, IMLFS_REPORT_TSV), len);
	free(t);
	imlfs_subs_free(s);
	imlfs_model_free(&m);
}

int main(void)
{
	test_validation();
	test_headline_is_json();
	test_unlabelled_row();
	test_gallery_bound();
	test_store();
	return tu_done();
}
