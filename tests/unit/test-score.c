/* SPDX-License-Identifier: MIT */
/* test-score.c — predictions parsing (preds.c) and every counter and
 * metric of score.c, read back through its JSON writer (scorejson.c) with
 * jansson, an independent reader, on a small hand-built model with
 * hand-computed answers.
 *
 * The model (4 classes, 8 members ILSVRC2012_val_0000000K.JPEG, K = 1..8):
 *   K  label  flags                 correct  unclear  wrong
 *   1  0      annotated             0        1
 *   2  0      annotated             0
 *   3  1      annotated problematic 2
 *   4  1      annotated imagenet_m  1        3
 *   5  2      annotated             2                 0
 *   6  2      -
 *   7  3      annotated imagenet_m  3                 1
 *   8  3      -
 * validation = {1..5, 7}; scored (not problematic) {1, 2, 4, 5, 7} in the
 * classes 0: {1, 2}, 1: {4}, 2: {5}, 3: {7}; imagenet_m = {4, 7}.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "imlfs/preds.h"
#include "imlfs/labelset.h"
#include "imlfs/score.h"
#include "imlfs/util.h"
#include "testutil.h"

/* the predictions files */
#define V IMLFS_PRED_VALIDATION
#define M IMLFS_PRED_IMAGENET_M
#define A IMLFS_PRED_ALL
#define AN IMLFS_M_ANNOTATED
#define PR IMLFS_M_PROBLEMATIC
#define IM IMLFS_M_IMAGENET_M

static const char *wnids[] = { "n01440764", "n01443537", "n01484850", "n01491361" };

/* Append ml run digits ("13" = classes 1 and 3); returns the run length. */
static uint16_t add_run(struct imlfs_model *m, const char *run)
{
	uint16_t n = 0;

	for (; *run; run++, n++) {
		m->ml = realloc(m->ml, (m->nml + 1) * sizeof *m->ml);
		m->ml[m->nml++] = (uint16_t)(*run - '0');
	}
	return n;
}

static void add_member(struct imlfs_model *m, struct imlfs_buf *names, const char *name,
		       int label, uint8_t flags, const char *cor, const char *unc,
		       const char *wrong)
{
	struct imlfs_member *mb;

	m->members = realloc(m->members, (m->nmembers + 1) * sizeof *m->members);
	mb = &m->members[m->nmembers++];
	memset(mb, 0, sizeof *mb);
	imlfs_buf_addstr(names, name, strlen(name), &mb->name);
	mb->label = label;
	mb->flags = flags;
	mb->ml = m->nml;
	mb->n_correct = add_run(m, cor);
	mb->n_unclear = add_run(m, unc);
	mb->n_wrong = add_run(m, wrong);
}

static void build(struct imlfs_model *m, uint32_t have)
{
	static const struct { int label; uint8_t flags; const char *c, *u, *w; } spec[] = {
		{ 0, AN, "0", "1", "" },
		{ 0, AN, "0", "", "" },
		{ 1, AN | PR, "2", "", "" },
		{ 1, AN | IM, "1", "3", "" },
		{ 2, AN, "2", "", "0" },
		{ 2, 0, "", "", "" },
		{ 3, AN | IM, "3", "", "1" },
		{ 3, 0, "", "", "" },
	};
	struct imlfs_buf names = { 0 };
	char name[64];

	memset(m, 0, sizeof *m);
	for (int c = 0; c < 4; c++) {
		snprintf(name, sizeof name, "class %d", c);
		CHECK_EQ(imlfs_model_add_class(m, wnids[c], 9, name, strlen(name)), c);
	}
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "ILSVRC2012_val_%08d.JPEG", i + 1);
		add_member(m, &names, name, have & IMLFS_HAVE_LABELS ? spec[i].label : IMLFS_NO_LABEL,
			   have & IMLFS_HAVE_ANNOTATIONS ? spec[i].flags : 0,
			   spec[i].c, spec[i].u, spec[i].w);
	}
	m->names = names.p;
	m->names_len = (uint32_t)names.len;
	m->have = have;
	CHECK_EQ(imlfs_model_finish(m), 0);
}

/* The JSON of scores sc for file f, as jansson reads it. */
static json_t *as_json(const struct imlfs_model *m, enum imlfs_pred_file f,
		       const struct imlfs_scores *sc)
{
	size_t len = 0;
	char *t = imlfs_scores_json(m, f, sc, &len);
	json_error_t je;
	json_t *o;

	CHECK(t != NULL && len == strlen(t));
	o = json_loads(t, 0, &je);
	if (!o)
		fprintf(stderr, "not JSON (%s): %s\n", je.text, t);
	CHECK(o != NULL);
	free(t);
	return o;
}

static json_t *score(const struct imlfs_model *m, const char *text,
		     enum imlfs_pred_file f)
{
	struct imlfs_preds *p = imlfs_preds_parse(m, text, strlen(text));
	struct imlfs_scores *sc;
	json_t *o;

	CHECK(p != NULL);
	sc = imlfs_score(m, p, f);
	CHECK(sc != NULL);
	o = as_json(m, f, sc);
	imlfs_scores_free(sc);
	imlfs_preds_free(p);
	return o;
}

static long long geti(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v)) {
		fprintf(stderr, "key %s is not an integer\n", key);
		tu_failures++;
		return -999;
	}
	return json_integer_value(v);
}

/* A real, or -1 for null, or -999 for anything else. */
static double getr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_null(v))
		return -1;
	if (!json_is_real(v)) {
		fprintf(stderr, "key %s is neither real nor null\n", key);
		tu_failures++;
		return -999;
	}
	return json_real_value(v);
}

#define CHECK_NEAR(a, b) do { double _x = (a), _y = (b); if (fabs(_x - _y) > 1e-15) { \
	fprintf(stderr, "%s:%d: %s == %.17g, expected %.17g\n", __FILE__, __LINE__, #a, _x, _y); \
	tu_failures++; } } while (0)

/* Check the counters of one split object. */
static void counts(json_t *o, long long images, long long predicted, long long unknown,
		   long long dups, long long invalid)
{
	CHECK_EQ(geti(o, "images"), images);
	CHECK_EQ(geti(o, "predicted"), predicted);
	CHECK_EQ(geti(o, "missing"), images - predicted);
	CHECK_EQ(geti(o, "unknown"), unknown);
	CHECK_EQ(geti(o, "duplicates"), dups);
	CHECK_EQ(geti(o, "invalid"), invalid);
}

static const int orig[8] = { 0, 0, 1, 1, 2, 2, 3, 3 };

static void test_perfect(const struct imlfs_model *m)
{
	char text[1024] = "";
	json_t *o, *s;

	for (int i = 0; i < 8; i++) {
		int l = orig[i];

		snprintf(text + strlen(text), sizeof text - strlen(text),
			 "ILSVRC2012_val_%08d %d %d %d %d %d\n", i + 1, l, (l + 1) % 4,
			 (l + 2) % 4, (l + 3) % 4, l);
	}
	o = score(m, text, IMLFS_PRED_ROOT);
	CHECK_EQ(json_object_size(o), 3);
	s = json_object_get(o, "all");
	CHECK_STR(json_string_value(json_object_get(s, "split")), "all");
	counts(s, 8, 8, 0, 0, 0);
	CHECK_NEAR(getr(s, "top1_accuracy"), 1.0);
	CHECK_NEAR(getr(s, "top5_accuracy"), 1.0);
	CHECK(json_is_null(json_object_get(s, "multilabel_accuracy")));
	CHECK(json_is_null(json_object_get(s, "multilabel_accuracy_strict")));
	CHECK(json_is_null(json_object_get(s, "multilabel_correct")));
	CHECK(json_is_null(json_object_get(s, "multilabel_images")));
	CHECK_EQ(json_array_size(json_object_get(s, "errors")), 0);

	s = json_object_get(o, "validation");
	CHECK_STR(json_string_value(json_object_get(s, "split")), "validation");
	counts(s, 6, 6, 2, 0, 0);
	CHECK_NEAR(getr(s, "top1_accuracy"), 1.0);
	CHECK_NEAR(getr(s, "multilabel_accuracy"), 1.0);
	CHECK_NEAR(getr(s, "multilabel_accuracy_strict"), 1.0);
	CHECK_EQ(geti(s, "multilabel_correct"), 5);
	CHECK_EQ(geti(s, "multilabel_images"), 5);

	s = json_object_get(o, "imagenet_m");
	counts(s, 2, 2, 6, 0, 0);
	CHECK_NEAR(getr(s, "multilabel_accuracy"), 1.0);
	CHECK_NEAR(getr(s, "multilabel_accuracy_strict"), 1.0);
	CHECK_EQ(geti(s, "multilabel_correct"), 2);
	CHECK_EQ(geti(s, "multilabel_images"), 2);
	json_decref(o);
}

/* Predict (label + 1) % 4, one label each: member 1 then guesses class 1,
 * which is "unclear" for it — lenient right, strict wrong. */
static void test_all_wrong(const struct imlfs_model *m)
{
	char text[1024] = "";
	json_t *o;

	for (int i = 0; i < 8; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
			 "ILSVRC2012_val_%08d.JPEG %d\n", i + 1, (orig[i] + 1) % 4);
	o = score(m, text, A);
	counts(o, 8, 8, 0, 0, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 0.0);
	CHECK_NEAR(getr(o, "top5_accuracy"), -1);   /* one label only: null */
	json_decref(o);

	o = score(m, text, V);
	CHECK_NEAR(getr(o, "top1_accuracy"), 0.0);
	/* class 0: lenient 1/2, strict 0/2; classes 1-3: 0 */
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 0.125);
	CHECK_NEAR(getr(o, "multilabel_accuracy_strict"), 0.0);
	CHECK_EQ(geti(o, "multilabel_correct"), 1);
	CHECK_EQ(geti(o, "multilabel_images"), 5);
	json_decref(o);

	o = score(m, text, M);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 0.0);
	CHECK_EQ(geti(o, "multilabel_correct"), 0);
	CHECK_EQ(geti(o, "multilabel_images"), 2);
	json_decref(o);
}

static void test_missing(const struct imlfs_model *m)
{
	const char *text = "ILSVRC2012_val_00000001 0\nILSVRC2012_val_00000004 1\n";
	json_t *o;

	o = score(m, text, A);
	counts(o, 8, 2, 0, 0, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 2.0 / 8);
	json_decref(o);

	o = score(m, text, V);
	counts(o, 6, 2, 0, 0, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 2.0 / 6);
	/* class 0: 1/2, class 1: 1/1, classes 2, 3: 0 (missing is wrong) */
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 1.5 / 4);
	CHECK_NEAR(getr(o, "multilabel_accuracy_strict"), 1.5 / 4);
	CHECK_EQ(geti(o, "multilabel_correct"), 2);
	json_decref(o);

	o = score(m, text, M);
	counts(o, 2, 1, 1, 0, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 0.5);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 0.5);
	CHECK_EQ(geti(o, "multilabel_correct"), 1);
	json_decref(o);

	o = score(m, "", V);
	counts(o, 6, 0, 0, 0, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 0.0);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 0.0);
	json_decref(o);
}

/* A later line replaces an earlier one; duplicates are counted per split. */
static void test_duplicates(const struct imlfs_model *m)
{
	const char *text =
		"ILSVRC2012_val_00000001.JPEG 3\n"
		"ILSVRC2012_val_00000006.JPEG 2\n"
		"ILSVRC2012_val_00000001.JPEG 0\n"   /* replaces the first: right */
		"ILSVRC2012_val_00000006 1\n"        /* replaces line 2: wrong */
		"ILSVRC2012_val_00000001 0\n";
	json_t *o;

	o = score(m, text, A);
	counts(o, 8, 2, 0, 3, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 1.0 / 8);
	json_decref(o);
	o = score(m, text, V);
	counts(o, 6, 1, 2, 2, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 1.0 / 6);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 0.5 / 4);
	json_decref(o);
	o = score(m, text, M);
	counts(o, 2, 0, 5, 0, 0);
	json_decref(o);
}

/* Paths, stems, wnids, commas, comments, blank lines, CRLF. */
static void test_syntax(const struct imlfs_model *m)
{
	const char *text =
		"# a comment\r\n"
		"\r\n"
		"   \t# indented comment 1 2 3\n"
		"/data/val/ILSVRC2012_val_00000001.JPEG n01440764\r\n"
		"val/n01440764/ILSVRC2012_val_00000002,0,1,2,3,0\n"
		"ILSVRC2012_val_00000003.JPEG,,  ,n01443537\t\n"
		"  ILSVRC2012_val_00000004  , n01443537 , 0\n"
		",,\n"
		"ILSVRC2012_val_00000005.JPEG 002";
	json_t *o = score(m, text, A);

	counts(o, 8, 5, 0, 0, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), 5.0 / 8);
	CHECK_NEAR(getr(o, "top5_accuracy"), -1);
	CHECK_EQ(json_array_size(json_object_get(o, "errors")), 0);
	json_decref(o);
}

static json_t *error_at(json_t *o, size_t k)
{
	return json_array_get(json_object_get(o, "errors"), k);
}

static void test_junk(const struct imlfs_model *m)
{
	const char *text =
		"ILSVRC2012_val_00000001.JPEG 0\n"          /* 1: valid */
		"ILSVRC2012_val_00000001.JPEG\n"            /* 2: no label */
		"ILSVRC2012_val_00000001.JPEG 4\n"          /* 3: out of range */
		"ILSVRC2012_val_00000001.JPEG n99999999\n"  /* 4: unknown wnid */
		"ILSVRC2012_val_00000001.JPEG -1\n"         /* 5: bad number */
		"ILSVRC2012_val_00000001.JPEG 0 1 x\n"      /* 6: bad later label */
		"nothere.JPEG 1\n"                          /* 7: not in tar */
		"nothere.JPEG zz\n"                         /* 8: invalid first */
		"ILSVRC2012_val_00000001.JPEG 99999999999999999999\n" /* 9 */
		"ILSVRC2012_val_00000002.JPEG 0 # trailing\n"; /* 10: '#' a label */
	json_t *o, *e;

	o = score(m, text, V);
	counts(o, 6, 1, 1, 0, 8);
	CHECK_NEAR(getr(o, "top1_accuracy"), 1.0 / 6);   /* invalid lines replace nothing */
	CHECK_EQ(json_array_size(json_object_get(o, "errors")), 9);
	static const int lines[] = { 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	for (size_t k = 0; k < 9; k++) {
		e = error_at(o, k);
		CHECK_EQ(json_integer_value(json_object_get(e, "line")), lines[k]);
		CHECK(json_string_length(json_object_get(e, "error")) > 10);
	}
	CHECK(strstr(json_string_value(json_object_get(error_at(o, 0), "error")), "no label"));
	CHECK(strstr(json_string_value(json_object_get(error_at(o, 1), "error")), "out of range"));
	CHECK(strstr(json_string_value(json_object_get(error_at(o, 2), "error")), "n99999999"));
	/* Both label messages give the whole range of indices, 0..nclasses - 1
	 * (4 classes here), so the user knows which index would fit. */
	CHECK(strstr(json_string_value(json_object_get(error_at(o, 1), "error")),
		     "class index 4 is out of range 0..3;"));
	CHECK(strstr(json_string_value(json_object_get(error_at(o, 2), "error")),
		     "label \"n99999999\" is neither a class index (0..3) nor a known wnid"));
	CHECK(strstr(json_string_value(json_object_get(error_at(o, 5), "error")), "not in the tarball"));
	json_decref(o);

	/* images merely outside the split are no error */
	o = score(m, "ILSVRC2012_val_00000006.JPEG 2\n", V);
	counts(o, 6, 0, 1, 0, 0);
	CHECK_EQ(json_array_size(json_object_get(o, "errors")), 0);
	json_decref(o);
}

static void test_error_cap(const struct imlfs_model *m)
{
	char text[4096] = "";
	json_t *o;

	for (int i = 0; i < 30; i++)
		strcat(text, i % 2 ? "junk\n" : "missing.JPEG 1\n");
	o = score(m, text, A);
	counts(o, 8, 0, 15, 0, 15);
	CHECK_EQ(json_array_size(json_object_get(o, "errors")), IMLFS_SCORE_MAX_ERRORS);
	CHECK_EQ(json_integer_value(json_object_get(error_at(o, 19), "line")), 20);
	json_decref(o);
}

/* top-5 is a number only when every prediction of the split has >= 5. */
static void test_top5(const struct imlfs_model *m)
{
	const char *text =
		"ILSVRC2012_val_00000001 2 3 2 1 0\n"       /* 5th: right */
		"ILSVRC2012_val_00000002 1 2 3 1 2 0\n"     /* 6th: not top-5 */
		"ILSVRC2012_val_00000003 1 0 0 0 0\n"       /* top-1 right */
		"ILSVRC2012_val_00000006 2 2 2 2\n";        /* only 4, outside validation */
	json_t *o;

	o = score(m, text, A);
	CHECK_NEAR(getr(o, "top5_accuracy"), -1);
	CHECK_NEAR(getr(o, "top1_accuracy"), 2.0 / 8);
	json_decref(o);
	o = score(m, text, V);
	CHECK_NEAR(getr(o, "top5_accuracy"), 2.0 / 6);
	CHECK_NEAR(getr(o, "top1_accuracy"), 1.0 / 6);
	/* member 3 is problematic: its right answer does not count */
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 0.0);
	CHECK_EQ(geti(o, "multilabel_images"), 5);
	json_decref(o);
	/* no prediction at all: vacuously every prediction has five */
	o = score(m, "", M);
	CHECK_NEAR(getr(o, "top5_accuracy"), 0.0);
	json_decref(o);
}

/* Per-class averaging: the problematic image 3 leaves class 1 with one
 * image; strict and lenient differ on member 1 (unclear) and 4 (unclear 3). */
static void test_per_class(const struct imlfs_model *m)
{
	const char *text =
		"ILSVRC2012_val_00000001 1\n"   /* unclear: lenient only */
		"ILSVRC2012_val_00000002 2\n"   /* wrong */
		"ILSVRC2012_val_00000003 0\n"   /* problematic: ignored */
		"ILSVRC2012_val_00000004 3\n"   /* unclear: lenient only */
		"ILSVRC2012_val_00000005 2\n"   /* correct */
		"ILSVRC2012_val_00000007 1\n";  /* marked wrong */
	json_t *o;

	o = score(m, text, V);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), (0.5 + 1 + 1 + 0) / 4);
	CHECK_NEAR(getr(o, "multilabel_accuracy_strict"), (0.0 + 0 + 1 + 0) / 4);
	CHECK_EQ(geti(o, "multilabel_correct"), 3);
	CHECK_EQ(geti(o, "multilabel_images"), 5);
	json_decref(o);
	o = score(m, text, M);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 0.5);
	CHECK_NEAR(getr(o, "multilabel_accuracy_strict"), 0.0);
	CHECK_EQ(geti(o, "multilabel_correct"), 1);
	json_decref(o);
}

/* The same images and metrics when problematic images are in imagenet_m:
 * no filter there. */
static void test_imagenet_m_unfiltered(void)
{
	struct imlfs_model m;
	json_t *o;

	build(&m, IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M);
	m.members[2].flags |= IM;   /* problematic member 3 joins imagenet_m */
	o = score(&m, "ILSVRC2012_val_00000003 2\nILSVRC2012_val_00000004 1\n", M);
	counts(o, 3, 2, 0, 0, 0);
	CHECK_EQ(geti(o, "multilabel_correct"), 2);
	CHECK_EQ(geti(o, "multilabel_images"), 3);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), 2.0 / 3);
	CHECK_NEAR(getr(o, "multilabel_accuracy_strict"), 2.0 / 3);
	json_decref(o);
	imlfs_model_free(&m);
}

static void test_text(const struct imlfs_model *m)
{
	size_t len = 0;
	char *t = imlfs_score_text(m, NULL, 0, V, &len);
	json_t *o;

	CHECK(t != NULL);
	CHECK_EQ(len, strlen(t));
	CHECK(len > 0 && t[len - 1] == '\n');
	CHECK(strstr(t, "\n  \"split\": \"validation\"") != NULL);   /* JSON_INDENT(2) */
	o = json_loads(t, 0, NULL);
	CHECK(json_is_false(json_object_get(o, "submitted")));
	CHECK(strstr(json_string_value(json_object_get(o, "usage")), "IMAGE LABEL") != NULL);
	json_decref(o);
	free(t);

	t = imlfs_score_text(m, "ILSVRC2012_val_00000001 0\n", 26, IMLFS_PRED_ROOT, &len);
	CHECK(t != NULL && t[len - 1] == '\n');
	o = json_loads(t, 0, NULL);
	CHECK_EQ(json_object_size(o), 3);
	CHECK_NEAR(getr(json_object_get(o, "all"), "top1_accuracy"), 1.0 / 8);
	CHECK(strstr(t, "0.125") != NULL);
	json_decref(o);
	free(t);

	/* reals in their shortest form: validation top-1 is 2 of 6, 1/3; a
	 * number inside a string (an error's quote) is left as it was */
	const char *two = "ILSVRC2012_val_00000001 0\nILSVRC2012_val_00000002 0\n"
			  "ILSVRC2012_val_00000003 0.10000000000000001\n";

	t = imlfs_score_text(m, two, strlen(two), IMLFS_PRED_ROOT, &len);
	CHECK(t != NULL && len == strlen(t) && t[len - 1] == '\n');
	o = json_loads(t, 0, NULL);
	CHECK(o != NULL);
	CHECK(getr(json_object_get(o, "validation"), "top1_accuracy") == 1.0 / 3);
	CHECK(strstr(t, "\"top1_accuracy\": 0.3333333333333333,\n") != NULL);
	CHECK(strstr(t, "0.33333333333333331") == NULL);
	CHECK(strstr(t, "\"top1_accuracy\": 0.25,\n") != NULL);        /* all: 2 of 8 */
	CHECK(strstr(t, "\"top1_accuracy\": 0.0,\n") != NULL);         /* imagenet_m: none */
	CHECK(strstr(t, "label \\\"0.10000000000000001\\\"") != NULL);
	json_decref(o);
	free(t);

	/* the text is taken by length, no NUL needed */
	t = imlfs_score_text(m, "ILSVRC2012_val_00000001 0 junk", 25, A, &len);
	o = json_loads(t, 0, NULL);
	CHECK_EQ(geti(o, "invalid"), 0);
	CHECK_EQ(geti(o, "predicted"), 1);
	json_decref(o);
	free(t);
}

/* Each real as the shortest text that reads back as it, like Python's
 * repr; integral values keep ".0"; never inf or nan. */
static void test_reals(void)
{
	static const struct { double v; const char *text; } cases[] = {
		{ 0.025, "0.025" }, { 0.1, "0.1" }, { 1.0 / 3, "0.3333333333333333" },
		{ 2.0 / 3, "0.6666666666666666" }, { 0.5, "0.5" }, { 1.0, "1.0" },
		{ 0.0, "0.0" }, { 1.0 / 6, "0.16666666666666666" },   /* 17 needed */
		{ 0.1 + 0.2, "0.30000000000000004" }, { 1.0 / 8, "0.125" },
		{ 2e-5, "2e-5" }, { 1e16, "1e16" }, { 123456789.0, "123456789.0" },
		{ -0.75, "-0.75" }, { 1e-300 / 3, "3.3333333333333334e-301" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int n = imlfs_json_real(out, sizeof out, cases[i].v);

		CHECK_STR(out, cases[i].text);
		CHECK_EQ(n, strlen(cases[i].text));
		CHECK(strtod(out, NULL) == cases[i].v);
	}
	CHECK_EQ(imlfs_json_real(out, sizeof out, INFINITY), 4);
	CHECK_STR(out, "null");
	imlfs_json_real(out, sizeof out, NAN);
	CHECK_STR(out, "null");
	CHECK_EQ(imlfs_json_real(out, 4, 0.025), -1);
}

/* Error messages reach the JSON as jansson would write them (the
 * escapes '"', '\\', \b \f \n \r \t, \u00XX in capitals, UTF-8 as it is),
 * and a byte that is not UTF-8 (a member name's, a cut character) as '?',
 * so that the text is always valid JSON. */
static void test_escapes(const struct imlfs_model *m)
{
	static const char raw[] = "q\"b\\ \b\f\n\r\t\x01\x1f\x7f / caf\xc3\xa9 \xff\xc3 "
				  "\xed\xa0\x80 \xf0\x9f\x98\x80";
	static const char kept[] = "q\"b\\ \b\f\n\r\t\x01\x1f\x7f / caf\xc3\xa9 ?? "
				   "??? \xf0\x9f\x98\x80";
	struct imlfs_preds *p = imlfs_preds_alloc(m);
	struct imlfs_scores *sc;
	json_t *want = json_string(kept);
	char *t, *w;

	CHECK(want != NULL);
	imlfs_preds_error(p, 7, "%s", raw);
	CHECK_STR(p->errors[0].msg, kept);
	sc = imlfs_score(m, p, A);
	t = imlfs_scores_json(m, A, sc, NULL);
	w = json_dumps(want, JSON_ENCODE_ANY);
	CHECK(t && w && strstr(t, w) != NULL);
	CHECK(strstr(t, "\\u001F") != NULL && strstr(t, "\\n") != NULL);
	json_decref(json_loads(t, 0, NULL));
	free(w);
	free(t);
	json_decref(want);
	imlfs_scores_free(sc);
	/* a message cut inside a character keeps valid UTF-8 */
	memset(p->errors, 0, sizeof p->errors);
	p->nerrors = 0;
	char long_msg[IMLFS_ERRMSG_MAX + 8];

	memset(long_msg, 'a', IMLFS_ERRMSG_MAX - 2);
	memcpy(long_msg + IMLFS_ERRMSG_MAX - 2, "\xc3\xa9", 3);
	imlfs_preds_error(p, 1, "%s", long_msg);
	CHECK_EQ(strlen(p->errors[0].msg), IMLFS_ERRMSG_MAX - 1);
	CHECK_EQ(p->errors[0].msg[IMLFS_ERRMSG_MAX - 2], '?');
	imlfs_preds_free(p);
}

/* No labels, no annotations: only "all", top-1 null; and NUL bytes are
 * separators (zero-filled gaps in a submission). */
static void test_bare(void)
{
	struct imlfs_model m;
	json_t *o;
	const char text[] = "ILSVRC2012_val_00000001 0\n\0\0\0ILSVRC2012_val_00000002\0001\n";

	build(&m, IMLFS_HAVE_CLASSES);
	o = score(&m, "ILSVRC2012_val_00000001 0\n", IMLFS_PRED_ROOT);
	CHECK_EQ(json_object_size(o), 1);
	CHECK(json_object_get(o, "all") != NULL);
	CHECK_NEAR(getr(json_object_get(o, "all"), "top1_accuracy"), -1);
	json_decref(o);

	struct imlfs_preds *p = imlfs_preds_parse(&m, text, sizeof text - 1);
	struct imlfs_split_scores ss;

	CHECK_EQ(imlfs_score_split(&m, p, IMLFS_SPLIT_ALL, &ss), 0);
	CHECK_EQ(ss.images, 8);
	CHECK_EQ(ss.predicted, 2);
	CHECK_EQ(ss.missing, 6);
	CHECK(isnan(ss.top1_accuracy));   /* no labels: null */
	/* an absent split scores as empty, in its own file too */
	CHECK_EQ(imlfs_score_split(&m, p, IMLFS_SPLIT_VALIDATION, &ss), 0);
	CHECK_EQ(ss.images, 0);
	CHECK_EQ(ss.unknown, 2);
	CHECK(isnan(ss.top1_accuracy) && isnan(ss.multilabel_accuracy));
	CHECK(ss.multilabel && ss.multilabel_images == 0);
	struct imlfs_scores *sc = imlfs_score(&m, p, IMLFS_PRED_VALIDATION);

	CHECK(sc && sc->nsplits == 1 && imlfs_scores_of(sc, IMLFS_SPLIT_VALIDATION));
	o = as_json(&m, IMLFS_PRED_VALIDATION, sc);
	imlfs_scores_free(sc);
	counts(o, 0, 0, 2, 0, 0);
	CHECK_NEAR(getr(o, "top1_accuracy"), -1);
	CHECK_NEAR(getr(o, "multilabel_accuracy"), -1);
	CHECK_EQ(geti(o, "multilabel_images"), 0);
	json_decref(o);
	imlfs_preds_free(p);
	imlfs_model_free(&m);
}

/* 50,000 members, 50,000 lines: the full set's size (how fast is the bench's
 * business, not a unit test's). */
static void test_full_size(void)
{
	struct imlfs_model m;
	struct imlfs_buf names = { 0 }, text = { 0 };
	char name[64];
	size_t len;

	memset(&m, 0, sizeof m);
	for (int c = 0; c < 1000; c++) {
		snprintf(name, sizeof name, "n%08d", c);
		imlfs_model_add_class(&m, name, 9, name, 9);
	}
	m.members = calloc(50000, sizeof *m.members);
	m.ml = calloc(50000, sizeof *m.ml);
	for (uint32_t i = 0; i < 50000; i++) {
		snprintf(name, sizeof name, "ILSVRC2012_val_%08u.JPEG", i + 1);
		imlfs_buf_addstr(&names, name, strlen(name), &m.members[i].name);
		m.members[i].label = (int32_t)(i % 1000);
		m.members[i].flags = i % 5 < 2 ? AN : 0;
		m.members[i].ml = i;
		m.members[i].n_correct = 1;
		m.ml[i] = (uint16_t)(i % 1000);
		imlfs_buf_printf(&text, "ILSVRC2012_val_%08u.JPEG %u %u %u %u %u\n", i + 1,
				 i % 1000, (i + 1) % 1000, (i + 2) % 1000, 7, 8);
	}
	m.nmembers = m.nml = 50000;
	m.names = names.p;
	m.have = IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_CLASSES;
	CHECK_EQ(imlfs_model_finish(&m), 0);
	char *out = imlfs_score_text(&m, text.p, text.len, IMLFS_PRED_ROOT, &len);

	CHECK(out != NULL);
	json_t *o = json_loads(out, 0, NULL);
	CHECK_NEAR(getr(json_object_get(o, "validation"), "multilabel_accuracy"), 1.0);
	CHECK_EQ(geti(json_object_get(o, "validation"), "images"), 20000);
	CHECK_NEAR(getr(json_object_get(o, "all"), "top5_accuracy"), 1.0);
	json_decref(o);
	free(out);
	imlfs_buf_free(&text);
	imlfs_model_free(&m);
}

/* ReaL accuracy: over the images with a non-empty list; top-1 in the
 * list, or any of the first five; missing is wrong; in real/ and all/. */
static void test_real(struct imlfs_model *m)
{
	struct imlfs_error err = { 0 };
	json_t *o, *s;
	const char *preds =
		"ILSVRC2012_val_00000001 0 1 2 3 0\n"   /* [0]: top-1 */
		"ILSVRC2012_val_00000002 0 1 2 3 0\n"   /* [] : not counted */
		"ILSVRC2012_val_00000003 2 0 0 0 0\n"   /* [1 2]: top-1 */
		"ILSVRC2012_val_00000004 1 2 3 1 0\n"   /* [0]: the 5th only */
		"ILSVRC2012_val_00000005 0 0 0 0 1\n"   /* [2 3]: neither */
		"ILSVRC2012_val_00000006 0 1 2 3 0\n"   /* [] */
		"ILSVRC2012_val_00000008 1 1 1 1 1\n";  /* [1]: top-1; 7 missing */

	o = score(m, preds, IMLFS_PRED_ALL);
	CHECK(json_object_get(o, "real_accuracy") == NULL);   /* no ReaL file */
	json_decref(o);
	CHECK_EQ(imlfs_model_add_set(m, "real", IMLFS_LS_REAL, IMLFS_ROLE_REAL, "r",
				     "[[0],[],[2,1],[0],[3,2],[],[3],[1]]", 35, &err), 0);
	o = score(m, preds, IMLFS_PRED_SET0);
	CHECK_STR(json_string_value(json_object_get(o, "split")), "real");
	counts(o, 6, 5, 2, 0, 0);
	CHECK_NEAR(getr(o, "real_accuracy"), 0.5);
	CHECK_NEAR(getr(o, "real_top5_accuracy"), 4.0 / 6);
	CHECK(json_is_null(json_object_get(o, "multilabel_accuracy")));
	json_decref(o);
	o = score(m, preds, IMLFS_PRED_ALL);
	counts(o, 8, 7, 0, 0, 0);
	CHECK_NEAR(getr(o, "real_accuracy"), 0.5);
	CHECK_NEAR(getr(o, "real_top5_accuracy"), 4.0 / 6);
	json_decref(o);
	o = score(m, preds, IMLFS_PRED_VALIDATION);
	CHECK(json_object_get(o, "real_accuracy") == NULL);
	json_decref(o);
	o = score(m, preds, IMLFS_PRED_ROOT);
	s = json_object_get(o, "real");
	CHECK(s != NULL);
	CHECK_NEAR(getr(s, "real_accuracy"), 0.5);
	json_decref(o);
	/* a prediction with fewer than five labels: top-5 is null */
	o = score(m, "ILSVRC2012_val_00000001 0 1\n", IMLFS_PRED_SET0);
	CHECK_NEAR(getr(o, "real_accuracy"), 1.0 / 6);
	CHECK(json_is_null(json_object_get(o, "real_top5_accuracy")));
	json_decref(o);
	/* every list empty: no denominator, null */
	CHECK_EQ(imlfs_model_add_set(m, "real", IMLFS_LS_REAL, IMLFS_ROLE_REAL, "r",
				     "[[],[],[],[],[],[],[],[]]", 25, &err), 0);
	o = score(m, preds, IMLFS_PRED_ALL);
	CHECK(json_is_null(json_object_get(o, "real_accuracy")));
	json_decref(o);
	CHECK_EQ(m->nsets, 1);   /* parsed again: replaced */
}

/* Another label set: its split, named by it, with its own keys after the
 * others; all/ has every set's, ReaL's first; the root an object per set. */
static void test_labelset_scores(struct imlfs_model *m)
{
	static const char set[] =
		"ILSVRC2012_val_00000001\t1\n"      /* top-1 0: wrong, top-5 right */
		"ILSVRC2012_val_00000002\t0,3\n"    /* top-1 0: right */
		"ILSVRC2012_val_00000003\t\n"       /* listed, no label: not counted */
		"ILSVRC2012_val_00000007\t3\n";     /* not predicted: wrong */
	struct imlfs_error err = { 0 };
	const char *preds =
		"ILSVRC2012_val_00000001 0 1 2 3 0\n"
		"ILSVRC2012_val_00000002 0 1 2 3 0\n"
		"ILSVRC2012_val_00000003 2 0 0 0 0\n"
		"ILSVRC2012_val_00000004 1 2 3 1 0\n";
	const char *keys[IMLFS_SCORE_MAX_FIELDS];
	json_t *o, *s;
	size_t n = 0;
	const char *k;
	json_t *v;

	CHECK_EQ(imlfs_model_add_set(m, "mine", 0, IMLFS_ROLE_SET0, "mine.tsv", set, strlen(set),
				     &err), 0);
	CHECK_STR(imlfs_split_name(m, IMLFS_SPLIT_SET0 + 1), "mine");
	CHECK(imlfs_split_present(m, IMLFS_SPLIT_SET0 + 1));
	CHECK(!imlfs_split_present(m, IMLFS_SPLIT_SET0 + 2));
	CHECK_STR(imlfs_split_name(m, IMLFS_SPLIT_SET0 + 2), "");
	o = score(m, preds, IMLFS_PRED_SET0 + 1);
	CHECK_STR(json_string_value(json_object_get(o, "split")), "mine");
	counts(o, 3, 2, 2, 0, 0);
	CHECK_NEAR(getr(o, "mine_accuracy"), 1.0 / 3);
	CHECK_NEAR(getr(o, "mine_top5_accuracy"), 2.0 / 3);
	CHECK(json_object_get(o, "real_accuracy") == NULL);
	json_decref(o);
	o = score(m, preds, IMLFS_PRED_ALL);
	json_object_foreach(o, k, v)
		if (n < IMLFS_SCORE_MAX_FIELDS)
			keys[n++] = k;
	CHECK(n >= 4);
	CHECK_STR(keys[n - 4], "real_accuracy");
	CHECK_STR(keys[n - 3], "real_top5_accuracy");
	CHECK_STR(keys[n - 2], "mine_accuracy");
	CHECK_STR(keys[n - 1], "mine_top5_accuracy");
	CHECK_NEAR(getr(o, "mine_accuracy"), 1.0 / 3);
	json_decref(o);
	o = score(m, preds, IMLFS_PRED_ROOT);
	s = json_object_get(o, "mine");
	CHECK(s && json_is_object(s));
	CHECK_NEAR(getr(s, "mine_top5_accuracy"), 2.0 / 3);
	json_decref(o);
}

/* Pins imlfs_json_real's size rule (score.h; scorejson.c): with room for
 * the text and its NUL it writes it, with one byte less it says -1 (never a
 * cut number).  (A number with an exponent needs the room of printf's form,
 * 2e-05, before it is shortened to 2e-5: only the -1 is checked for those.) */
static void test_json_real_exact_size(void)
{
	static const double v[] = { 1.5, 0.025, 2e-5, 1.0, 100.0, -0.1, 1e300 };
	char full[64], out[64];

	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		int n = imlfs_json_real(full, sizeof full, v[i]);

		CHECK(n > 0);
		if (n <= 0)
			continue;
		memset(out, 'x', sizeof out);
		if (!strchr(full, 'e')) {
			CHECK_EQ(imlfs_json_real(out, (size_t)n + 1, v[i]), n);
			CHECK_STR(out, full);
		}
		if (imlfs_json_real(out, (size_t)n, v[i]) != -1) {
			fprintf(stderr, "json_real(%s) in %d bytes: not -1\n", full, n);
			tu_failures++;
		}
	}
}

int main(void)
{
	struct imlfs_model m;

	build(&m, IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M |
	      IMLFS_HAVE_CLASSES);
	test_perfect(&m);
	test_all_wrong(&m);
	test_missing(&m);
	test_duplicates(&m);
	test_syntax(&m);
	test_junk(&m);
	test_error_cap(&m);
	test_top5(&m);
	test_per_class(&m);
	test_text(&m);
	test_escapes(&m);
	test_real(&m);
	test_labelset_scores(&m);
	imlfs_model_free(&m);
	test_imagenet_m_unfiltered();
	test_bare();
	test_reals();
	test_full_size();
	test_json_real_exact_size();
	return tu_done();
}
