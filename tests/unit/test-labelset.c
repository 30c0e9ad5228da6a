/* SPDX-License-Identifier: MIT */
/* test-labelset.c — label sets (labelset.h): names, recognising the
 * format, each format's lists and each way its file can be wrong (one line
 * with the place and the status), the bounds and the loader's slots
 * (test-real.c has ReaL's own cases).
 *
 * `test-labelset --real-dir DIR` reads the real files in DIR (../shared/
 * data beside the checkout: imagenet_mturk.json, real.json and
 * class_info.json; meson test "labelset-real-files"): cleanlab's outcome
 * counts, a handful of its images checked by hand, and real.json added as
 * ReaL's set beside it; exit 77 (skip) when they are missing.  It also times a 50,000-line
 * TSV (printed, never asserted). */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/classes.h"
#include "imlfs/labelset.h"
#include "imlfs/load.h"
#include "imlfs/util.h"
#include "testutil.h"

/* n members ILSVRC2012_val_%08u.JPEG (1-based) and nclasses classes
 * n%08u (class c is n0000000c). */
static void make_model(struct imlfs_model *m, uint32_t n, uint32_t nclasses)
{
	char **names = calloc(n ? n : 1, sizeof *names), w[16];

	for (uint32_t i = 0; i < n; i++) {
		names[i] = malloc(32);
		snprintf(names[i], 32, "ILSVRC2012_val_%08u.JPEG", i + 1);
	}
	tu_model(m, (const char *const *)names, n);
	for (uint32_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (uint32_t c = 0; c < nclasses; c++) {
		snprintf(w, sizeof w, "n%08u", c);
		CHECK_EQ(imlfs_model_add_class(m, w, 9, w, 9), (int32_t)c);
	}
	CHECK_EQ(imlfs_model_finish(m), 0);
}

/* The same with original labels: member i has label i % nclasses. */
static void make_labelled(struct imlfs_model *m, uint32_t n, uint32_t nclasses)
{
	make_model(m, n, nclasses);
	for (uint32_t i = 0; i < n; i++)
		m->members[i].label = (int32_t)(i % nclasses);
	m->have |= IMLFS_HAVE_LABELS;
}

static int parse(struct imlfs_labelset *ls, const struct imlfs_model *m, const char *text,
		 unsigned flags, struct imlfs_error *err)
{
	memset(err, 0, sizeof *err);
	return imlfs_labelset_parse(ls, flags & IMLFS_LS_REAL ? "real" : "set", m, "set.txt",
				    text, strlen(text), flags, err);
}

/* Member i's list as text: "-" left out, "" empty, "0 2". */
static const char *list_of(const struct imlfs_labelset *ls, uint32_t i)
{
	static char buf[256];
	const uint16_t *v;
	uint32_t n = imlfs_labelset_labels(ls, i, &v);
	size_t o = 0;

	buf[0] = '\0';
	if (!imlfs_labelset_listed(ls, i))
		return n ? "left out, yet with labels" : "-";
	for (uint32_t k = 0; k < n && o + 8 < sizeof buf; k++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, k ? " %u" : "%u", v[k]);
	return buf;
}

/* Parsing text fails with `code`, one line containing want; a set parsed
 * before stays as it was. */
static void fails(const struct imlfs_model *m, const char *text, unsigned flags, int code,
		  const char *want, int line)
{
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err;

	CHECK_EQ(parse(&ls, m, "ILSVRC2012_val_00000001.JPEG\t\n", 0, &err), 0);
	if (parse(&ls, m, text, flags, &err) != -1 || err.code != code ||
	    !strstr(err.msg, want) || strchr(err.msg, '\n')) {
		fprintf(stderr, "line %d: status %d, message \"%s\"; expected status %d with "
			"\"%s\"\n", line, err.code, err.msg, code, want);
		tu_failures++;
	}
	CHECK_EQ(ls.nlisted, 1);
	CHECK_STR(list_of(&ls, 0), "");
	CHECK_STR(ls.name, "set");
	imlfs_labelset_free(&ls);
}
#define FAILS(m, text, code, want) fails(m, text, 0, code, want, __LINE__)

static void test_names(void)
{
	struct imlfs_error err = { 0 };
	static const char *const good[] = { "a", "mturk", "flaws_2025", "x9_",
		"abcdefghijklmnopqrstuvwxyz012345" };
	static const struct { const char *name, *why; } bad[] = {
		{ "", "it is empty" },
		{ "abcdefghijklmnopqrstuvwxyz0123456", "33 bytes long" },
		{ "Mturk", "lower-case letter" },
		{ "9lives", "lower-case letter" },
		{ "_x", "lower-case letter" },
		{ "m-turk", "byte 2 is not" },
		{ "a.b", "byte 2 is not" },
		{ "all", "uses all already" },
		{ "validation", "uses validation" },
		{ "imagenet_m", "uses imagenet_m" },
		{ "real", "uses real" },
		{ "predictions", "uses predictions" },
		{ "splits", "uses splits" },
		{ "hints", "uses hints" },
		/* keys that would clash: sidecars' *_multi_labels, scores' */
		{ "wrong_multi", "uses wrong_multi" },
		{ "correct_multi", "uses correct_multi" },
		{ "top1", "uses top1" },
		{ "top5", "uses top5" },
		{ "multilabel", "uses multilabel" },
		{ "mturk_top5", "ends in _top5" },
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK_EQ(imlfs_labelset_check_name(good[i], strlen(good[i]), 0, &err), 0);
	CHECK_EQ(err.code, 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		CHECK_EQ(imlfs_labelset_check_name(bad[i].name, strlen(bad[i].name), 0, &err), -1);
		CHECK_EQ(err.code, IMLFS_E_USAGE);
		if (!strstr(err.msg, bad[i].why) || !strstr(err.msg, "[a-z][a-z0-9_]*")) {
			fprintf(stderr, "name \"%s\": \"%s\", expected \"%s\"\n", bad[i].name,
				err.msg, bad[i].why);
			tu_failures++;
		}
	}
	/* "real" is ReaL's own. */
	CHECK_EQ(imlfs_labelset_check_name("real", 4, IMLFS_LS_REAL, &err), 0);
	CHECK_EQ(imlfs_labelset_check_name("all", 3, IMLFS_LS_REAL, &err), -1);
	CHECK_STR(imlfs_labelset_format_name(IMLFS_LS_MTURK), "mturk");
	CHECK_STR(imlfs_labelset_format_name(IMLFS_LS_FLAWS), "flaws");
	CHECK_STR(imlfs_labelset_format_name(IMLFS_LS_TSV), "tsv");
	CHECK_STR(imlfs_labelset_format_name(IMLFS_LS_LISTS), "lists");
}

static void test_recognise(void)
{
	struct imlfs_model m;
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err;
	static const struct { const char *text; enum imlfs_ls_format f; } cases[] = {
		{ "[[0],[],[1]]", IMLFS_LS_LISTS },
		{ "\xef\xbb\xbf \n[ [0],[],[1]]", IMLFS_LS_LISTS },
		{ "[{\"id\": 1, \"given_original_label\": 0, \"our_guessed_label\": 1, \"mturk\": "
		  "{\"given\": 3, \"guessed\": 0, \"neither\": 0, \"both\": 0}}]", IMLFS_LS_MTURK },
		{ "id,proposed_labels\nILSVRC2012_val_00000001.JPEG,1\n", IMLFS_LS_FLAWS },
		{ "\"id\",\"proposed_labels\"\r\nILSVRC2012_val_00000001,1\r\n", IMLFS_LS_FLAWS },
		{ "# mine\n\nILSVRC2012_val_00000002.JPEG\t1\n", IMLFS_LS_TSV },
	};

	make_model(&m, 3, 2);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (parse(&ls, &m, cases[i].text, 0, &err) || ls.format != cases[i].f) {
			fprintf(stderr, "case %zu: %s (format %d)\n", i, err.msg, (int)ls.format);
			tu_failures++;
		}
	}
	imlfs_labelset_free(&ls);
	/* Fits none: one line naming every format tried, status 15. */
	FAILS(&m, "ILSVRC2012_val_00000001.JPEG 1\n", IMLFS_E_LABELSET,
	      "set.txt: line 1: not a label set in a known format: it starts "
	      "\"ILSVRC2012_val_00000001.JPEG 1\"; tried cleanlab's imagenet_mturk.json");
	FAILS(&m, "{\"a\": 1}", IMLFS_E_LABELSET, "Flaws of ImageNet CSV");
	FAILS(&m, "# only a comment\n", IMLFS_E_LABELSET, "IMAGE<TAB>LABEL[,LABEL...] lines");
	FAILS(&m, "", IMLFS_E_LABELSET, "set.txt: line 1: the file is empty");
	/* The byte-order mark is dropped whenever the file holds all of it
	 * (labelset.c: length >= 3), so a file of only a BOM is empty too. */
	FAILS(&m, "\xef\xbb\xbf", IMLFS_E_LABELSET, "set.txt: line 1: the file is empty");
	CHECK_STR(imlfs_exit_name(IMLFS_E_LABELSET), "bad label set");
	CHECK_EQ(IMLFS_E_LABELSET, 15);
	imlfs_model_free(&m);
}

static void test_tsv(void)
{
	struct imlfs_model m;
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err;

	make_model(&m, 6, 4);
	CHECK_EQ(parse(&ls, &m, "# a comment\n\n"
		       "ILSVRC2012_val_00000001.JPEG\t3,1, 3 ,n00000002\r\n"
		       "  \t \n"
		       "val/ILSVRC2012_val_00000003.JPEG\t\n"
		       "ILSVRC2012_val_00000004\tn00000000\n"
		       "ILSVRC2012_val_00000006.JPEG \t 2", 0, &err), 0);
	CHECK_EQ(err.code, 0);
	CHECK_STR(ls.name, "set");
	CHECK_EQ(ls.format, IMLFS_LS_TSV);
	CHECK_EQ(ls.nmembers, 6);
	CHECK_STR(list_of(&ls, 0), "1 2 3");
	CHECK_STR(list_of(&ls, 1), "-");
	CHECK_STR(list_of(&ls, 2), "");
	CHECK_STR(list_of(&ls, 3), "0");
	CHECK_STR(list_of(&ls, 4), "-");
	CHECK_STR(list_of(&ls, 5), "2");
	CHECK_EQ(ls.nlisted, 4);
	CHECK_EQ(ls.nempty, 1);
	CHECK_EQ(ls.nlab, 5);
	CHECK(imlfs_labelset_counts(&ls, 0));
	CHECK(!imlfs_labelset_counts(&ls, 1));   /* left out */
	CHECK(!imlfs_labelset_counts(&ls, 2));   /* empty: scored like left out */
	for (int k = 0; k < IMLFS_LS_NOUTCOMES; k++)
		CHECK_EQ(ls.outcome[k], 0);
	imlfs_labelset_free(&ls);
	CHECK(!ls.off && !ls.lab && !ls.listed && !ls.name[0]);

	FAILS(&m, "ILSVRC2012_val_00000001.JPEG\t1\nILSVRC2012_val_00000002.JPEG 1\n",
	      IMLFS_E_LABELSET, "set.txt: line 2: \"ILSVRC2012_val_00000002.JPEG 1\" has no tab");
	FAILS(&m, "ILSVRC2012_val_00000009.JPEG\t1\n", IMLFS_E_LABELSET,
	      "line 1: \"ILSVRC2012_val_00000009.JPEG\" is not an image of the tarball");
	FAILS(&m, "\tn00000001\n", IMLFS_E_LABELSET, "line 1: \"\" is not an image");
	FAILS(&m, "ILSVRC2012_val_00000001.JPEG\t1\n#\nILSVRC2012_val_00000001\t2\n",
	      IMLFS_E_LABELSET, "line 3: ILSVRC2012_val_00000001.JPEG is listed again (first "
	      "on line 1)");
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\t1,4\n", IMLFS_E_LABELSET,
	      "line 1, column 32: ILSVRC2012_val_00000002.JPEG: class index \"4\" is out of "
	      "range 0..3");
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\t1,,2\n", IMLFS_E_LABELSET,
	      "line 1, column 32: ILSVRC2012_val_00000002.JPEG: an empty label");
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\t1,\n", IMLFS_E_LABELSET, "an empty label");
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\tn09999999\n", IMLFS_E_LABELSET,
	      "wnid n09999999 is not among the mount's 4 classes");
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\ttench\n", IMLFS_E_LABELSET,
	      "label \"tench\" is neither a class index nor a wnid");
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\t1\t2\n", IMLFS_E_LABELSET, "a second tab");
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\t99999999999999999999\n", IMLFS_E_LABELSET,
	      "out of range");
	imlfs_model_free(&m);

	/* Long lists are sorted too (past 16 labels by qsort): 29..0, and 5 again. */
	make_model(&m, 1, 30);
	{
		char text[256] = "ILSVRC2012_val_00000001.JPEG\t", want[256] = "";
		size_t o = strlen(text), w = 0;

		for (int c = 29; c >= 0; c--)
			o += (size_t)snprintf(text + o, sizeof text - o, "%d,", c);
		snprintf(text + o, sizeof text - o, "5\n");
		for (int c = 0; c < 30; c++)
			w += (size_t)snprintf(want + w, sizeof want - w, c ? " %d" : "%d", c);
		CHECK_EQ(parse(&ls, &m, text, 0, &err), 0);
		CHECK_STR(list_of(&ls, 0), want);
		CHECK_EQ(ls.nlab, 30);
		imlfs_labelset_free(&ls);
	}
	imlfs_model_free(&m);

	make_model(&m, 2, 0);
	FAILS(&m, "ILSVRC2012_val_00000002.JPEG\t1\n", IMLFS_E_LABELSET,
	      "this mount has no classes");
	imlfs_model_free(&m);
}

static void test_lists(void)
{
	struct imlfs_model m;
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err;

	make_model(&m, 4, 5);
	CHECK_EQ(parse(&ls, &m, "\xef\xbb\xbf [[4, 0, 4, 2],[ ],\n\t[3] ,\r\n[1,0]]\n", 0, &err),
		 0);
	CHECK_EQ(ls.format, IMLFS_LS_LISTS);
	CHECK_STR(list_of(&ls, 0), "0 2 4");
	CHECK_STR(list_of(&ls, 1), "");
	CHECK_STR(list_of(&ls, 2), "3");
	CHECK_STR(list_of(&ls, 3), "0 1");
	CHECK_EQ(ls.nlisted, 4);
	CHECK_EQ(ls.nempty, 1);
	CHECK_EQ(ls.nlab, 6);
	/* Parsing again replaces the lists. */
	CHECK_EQ(parse(&ls, &m, "[[],[],[],[]]", 0, &err), 0);
	CHECK_EQ(ls.nlab, 0);
	CHECK(!ls.lab);
	CHECK_STR(list_of(&ls, 0), "");
	imlfs_labelset_free(&ls);

	FAILS(&m, "[[0],[1],[2]]", IMLFS_E_LABELSET, "3 lists, but the tarball has 4 images");
	FAILS(&m, "[[0],[1],[2],[3],[4]]", IMLFS_E_LABELSET, "entry 4: more lists than");
	FAILS(&m, "[[0],[1],\n[2, 5],[3]]", IMLFS_E_LABELSET,
	      "line 2, column 5: entry 2 (ILSVRC2012_val_00000003.JPEG): class index 5 is out "
	      "of range 0..4");
	FAILS(&m, "[[0],[1.0],[2],[3]]", IMLFS_E_LABELSET, "class index 1... is not an integer");
	FAILS(&m, "[[0],[01],[2],[3]]", IMLFS_E_LABELSET, "leading zero");
	FAILS(&m, "[[0],[\"n00000001\"],[2],[3]]", IMLFS_E_LABELSET, "found a string");
	FAILS(&m, "[[0],[1],[2],[3]] x", IMLFS_E_LABELSET, "unexpected 'x' after the list");
	FAILS(&m, "[[0],[1],[2],[3]", IMLFS_E_LABELSET, "expected ',' or ']' after entry 3");
	FAILS(&m, "[[0] [1]]", IMLFS_E_LABELSET, "expected ',' or ']' after entry 0");
	FAILS(&m, "[[0,]]", IMLFS_E_LABELSET, "expected a class index");
	FAILS(&m, "[[0],1]", IMLFS_E_LABELSET, "entry 1 (ILSVRC2012_val_00000002.JPEG): "
	      "expected a list of class indices, found '1'");
	/* As ReaL: named real, status 13, real.json in the hints, only lists. */
	CHECK_EQ(parse(&ls, &m, "[[0],[],[],[]]", IMLFS_LS_REAL, &err), 0);
	CHECK_STR(ls.name, "real");
	imlfs_labelset_free(&ls);
	fails(&m, "[[0],[1],[2]]", IMLFS_LS_REAL, IMLFS_E_REAL, "reassessed-imagenet", __LINE__);
	fails(&m, "ILSVRC2012_val_00000001.JPEG\t1\n", IMLFS_LS_REAL, IMLFS_E_REAL,
	      "the top level is 'I', not a list", __LINE__);
	fails(&m, "", IMLFS_LS_REAL, IMLFS_E_REAL, "the file is empty", __LINE__);
	imlfs_model_free(&m);
}

static void test_flaws(void)
{
	struct imlfs_model m;
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err;

	make_labelled(&m, 6, 10);
	CHECK_EQ(parse(&ls, &m, "id,original_label,proposed_labels,validation\r\n"
		       "ILSVRC2012_val_00000001.JPEG,0,\"9, 0\",+\r\n"
		       "ILSVRC2012_val_00000003.JPEG,2,2,\"a \"\"quoted\"\"\r\nnote\"\r\n"
		       "\r\n"
		       "ILSVRC2012_val_00000004,3,\"\",*\r\n"
		       "\"ILSVRC2012_val_00000006.JPEG\",5,\"7,8,7\",\n", 0, &err), 0);
	CHECK_EQ(err.code, 0);
	CHECK_EQ(ls.format, IMLFS_LS_FLAWS);
	CHECK_STR(list_of(&ls, 0), "0 9");
	CHECK_STR(list_of(&ls, 1), "-");
	CHECK_STR(list_of(&ls, 2), "2");
	CHECK_STR(list_of(&ls, 3), "");
	CHECK_STR(list_of(&ls, 4), "-");
	CHECK_STR(list_of(&ls, 5), "7 8");
	CHECK_EQ(ls.nlisted, 4);
	CHECK_EQ(ls.nempty, 1);
	/* Columns found by name, in any order, others ignored. */
	CHECK_EQ(parse(&ls, &m, "id,note,proposed_labels\nILSVRC2012_val_00000002.JPEG,x,n00000004\n",
		       0, &err), 0);
	CHECK_STR(list_of(&ls, 1), "4");
	CHECK_EQ(ls.nlisted, 1);
	/* A last CR without its LF ends the field, quoted or not. */
	CHECK_EQ(parse(&ls, &m, "id,proposed_labels\r\nILSVRC2012_val_00000002.JPEG,3\r", 0, &err),
		 0);
	CHECK_STR(list_of(&ls, 1), "3");
	CHECK_EQ(parse(&ls, &m, "id,proposed_labels\r\nILSVRC2012_val_00000002.JPEG,\"3\"\r", 0,
		       &err), 0);
	CHECK_STR(list_of(&ls, 1), "3");
	imlfs_labelset_free(&ls);

	FAILS(&m, "id,original_label\nILSVRC2012_val_00000001.JPEG,0\n", IMLFS_E_LABELSET,
	      "line 1: the header has no column proposed_labels; expected "
	      "id,original_label,proposed_labels,validation");
	FAILS(&m, "id,proposed_labels,id\n", IMLFS_E_LABELSET, "names column id twice");
	FAILS(&m, "id,proposed_labels\nILSVRC2012_val_00000001.JPEG,1,2\n", IMLFS_E_LABELSET,
	      "line 2: 3 fields, but the header has 2");
	FAILS(&m, "id,proposed_labels\nILSVRC2012_val_00000001.JPEG,\"1,\n2\n", IMLFS_E_LABELSET,
	      "line 2, column 30: a quoted field never ends");
	FAILS(&m, "id,proposed_labels\nILSVRC2012_val_00000001.JPEG,\"1\"2\n", IMLFS_E_LABELSET,
	      "line 2, column 33: text after a quoted field's closing");
	FAILS(&m, "id,proposed_labels\nILSVRC2012_val_00000001.JPEG,1\"2\n", IMLFS_E_LABELSET,
	      "line 2, column 31: a '\"' inside a field that is not quoted");
	FAILS(&m, "id,proposed_labels\nILSVRC2012_val_00000007.JPEG,1\n", IMLFS_E_LABELSET,
	      "line 2, column 1: \"ILSVRC2012_val_00000007.JPEG\" is not an image of the tarball");
	FAILS(&m, "id,proposed_labels\nILSVRC2012_val_00000001.JPEG,1\n"
	      "ILSVRC2012_val_00000001,2\n", IMLFS_E_LABELSET,
	      "line 3: ILSVRC2012_val_00000001.JPEG is listed again (first on line 2)");
	/* A quoted field over two lines: the next record's line is counted. */
	FAILS(&m, "id,proposed_labels,v\nILSVRC2012_val_00000001.JPEG,1,\"a\nb\"\n"
	      "ILSVRC2012_val_00000002.JPEG,\"1,,2\",\n", IMLFS_E_LABELSET,
	      "line 4, column 33: ILSVRC2012_val_00000002.JPEG: an empty label in proposed_labels");
	FAILS(&m, "id,proposed_labels\nILSVRC2012_val_00000002.JPEG,10\n", IMLFS_E_LABELSET,
	      "class index \"10\" is out of range 0..9");
	FAILS(&m, "id,original_label,proposed_labels\nILSVRC2012_val_00000002.JPEG,2,2\n",
	      IMLFS_E_LABELSET, "line 2, column 30: ILSVRC2012_val_00000002.JPEG: "
	      "original_label 2, but the mount's label is 1");
	FAILS(&m, "id,original_label,proposed_labels\nILSVRC2012_val_00000002.JPEG,x,2\n",
	      IMLFS_E_LABELSET, "label \"x\" is neither");
	imlfs_model_free(&m);
}

/* One cleanlab entry. */
static char *entry(char *buf, size_t size, unsigned id, unsigned given, unsigned guessed,
		   unsigned g, unsigned q, unsigned n, unsigned b)
{
	snprintf(buf, size, "{\"id\": %u, \"given_original_label\": %u, \"our_guessed_label\": "
		 "%u, \"mturk\": {\"given\": %u, \"guessed\": %u, \"neither\": %u, \"both\": %u}}",
		 id, given, guessed, g, q, n, b);
	return buf;
}

static void test_mturk(void)
{
	struct imlfs_model m;
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err;
	char e[6][256], text[2048];

	/* labels i % 10: member i (id i + 1) has label i */
	make_labelled(&m, 8, 10);
	snprintf(text, sizeof text, "[\n  %s,\n  %s,\n  %s,\n  %s,\n  %s,\n  %s\n]\n",
		 entry(e[0], 256, 1, 0, 5, 4, 1, 0, 0),     /* given */
		 entry(e[1], 256, 2, 1, 6, 1, 3, 1, 0),     /* guessed */
		 entry(e[2], 256, 3, 2, 7, 0, 0, 2, 3),     /* both */
		 entry(e[3], 256, 4, 3, 8, 0, 1, 4, 0),     /* neither */
		 entry(e[4], 256, 6, 5, 9, 2, 1, 0, 2),     /* no majority */
		 entry(e[5], 256, 8, 7, 1, 0, 0, 0, 0));    /* no votes: no majority */
	CHECK_EQ(parse(&ls, &m, text, 0, &err), 0);
	CHECK_EQ(err.code, 0);
	CHECK_EQ(ls.format, IMLFS_LS_MTURK);
	CHECK_STR(list_of(&ls, 0), "0");
	CHECK_STR(list_of(&ls, 1), "6");
	CHECK_STR(list_of(&ls, 2), "2 7");
	CHECK_STR(list_of(&ls, 3), "-");
	CHECK_STR(list_of(&ls, 4), "4");   /* not listed: its original label */
	CHECK_STR(list_of(&ls, 5), "-");
	CHECK_STR(list_of(&ls, 6), "6");
	CHECK_STR(list_of(&ls, 7), "-");
	CHECK_EQ(ls.outcome[IMLFS_LS_GIVEN], 1);
	CHECK_EQ(ls.outcome[IMLFS_LS_GUESSED], 1);
	CHECK_EQ(ls.outcome[IMLFS_LS_BOTH], 1);
	CHECK_EQ(ls.outcome[IMLFS_LS_NEITHER], 1);
	CHECK_EQ(ls.outcome[IMLFS_LS_NO_MAJORITY], 2);
	CHECK_EQ(ls.outcome[IMLFS_LS_KEPT], 2);
	CHECK_EQ(ls.nlisted, 5);
	CHECK_EQ(ls.nempty, 0);
	/* Without original labels, unlisted images are left out. */
	for (uint32_t i = 0; i < m.nmembers; i++)
		m.members[i].label = IMLFS_NO_LABEL;
	m.have &= ~(uint32_t)IMLFS_HAVE_LABELS;
	CHECK_EQ(parse(&ls, &m, text, 0, &err), 0);
	CHECK_STR(list_of(&ls, 4), "-");
	CHECK_STR(list_of(&ls, 2), "2 7");
	CHECK_EQ(ls.outcome[IMLFS_LS_KEPT], 0);
	CHECK_EQ(ls.nlisted, 3);
	/* An empty list: every image keeps its (absent) label. */
	imlfs_labelset_free(&ls);
	imlfs_model_free(&m);

	make_labelled(&m, 8, 10);
	/* the url: file name of the id, folder the given label's wnid */
	CHECK_EQ(parse(&ls, &m, "[{\"id\": 2, \"url\": \"https://x//val/n00000001/"
		       "ILSVRC2012_val_00000002.JPEG\", \"given_original_label\": 1, "
		       "\"our_guessed_label\": 3, \"given_original_label_name\": \"one\", "
		       "\"mturk\": {\"given\": 0, \"guessed\": 5, \"neither\": 0, \"both\": 0}}]",
		       0, &err), 0);
	CHECK_STR(list_of(&ls, 1), "3");
	imlfs_labelset_free(&ls);
	FAILS(&m, "[{\"id\": 2, \"url\": \"https://x/n00000001/ILSVRC2012_val_00000003.JPEG\", "
	      "\"given_original_label\": 1, \"our_guessed_label\": 3, \"mturk\": {\"given\": 0, "
	      "\"guessed\": 5, \"neither\": 0, \"both\": 0}}]", IMLFS_E_LABELSET,
	      "entry 0: id ILSVRC2012_val_00000002.JPEG, but its url names "
	      "ILSVRC2012_val_00000003.JPEG");
	FAILS(&m, "[{\"id\": 2, \"url\": \"https://x/n00000004/ILSVRC2012_val_00000002.JPEG\", "
	      "\"given_original_label\": 1, \"our_guessed_label\": 3, \"mturk\": {\"given\": 0, "
	      "\"guessed\": 5, \"neither\": 0, \"both\": 0}}]", IMLFS_E_LABELSET,
	      "given_original_label 1 is n00000001 here, but its url says n00000004");
	/* id 0-based by mistake: the labels disagree */
	FAILS(&m, "[\n\n  {\"id\": 1, \"given_original_label\": 1, \"our_guessed_label\": 3, "
	      "\"mturk\": {\"given\": 5, \"guessed\": 0, \"neither\": 0, \"both\": 0}}]",
	      IMLFS_E_LABELSET, "set.txt: line 3, column 3: entry 0 (ILSVRC2012_val_00000001): "
	      "given_original_label 1, but the mount's label is 0");
	FAILS(&m, "[x]", IMLFS_E_LABELSET, "expected a list of class indices");   /* lists */
	snprintf(text, sizeof text, "[%s]", entry(e[0], 256, 9, 8, 1, 5, 0, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "entry 0: id 9, but the tarball has no "
	      "ILSVRC2012_val_00000009.JPEG; ids are the 1-based validation file numbers");
	snprintf(text, sizeof text, "[%s, %s]", entry(e[0], 256, 2, 1, 1, 5, 0, 0, 0),
		 entry(e[1], 256, 2, 1, 1, 5, 0, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "entry 1: id 2 is listed again");
	snprintf(text, sizeof text, "[%s]", entry(e[0], 256, 2, 1, 10, 5, 0, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "our_guessed_label is 10, out of range 0..9");
	snprintf(text, sizeof text, "[%s]", entry(e[0], 256, 2, 1, 1, 3, 3, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "entry 0: 6 votes, more than the 5");
	snprintf(text, sizeof text, "[%s]", entry(e[0], 256, 2, 1, 1, 6, 0, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "mturk.given is 6, out of range 0..5");
	FAILS(&m, "[{\"id\": 2, \"given_original_label\": 1, \"our_guessed_label\": 1.5}]",
	      IMLFS_E_LABELSET, "entry 0: our_guessed_label is of another type, not an integer");
	FAILS(&m, "[{\"id\": 2, \"given_original_label\": 1, \"our_guessed_label\": 1}]",
	      IMLFS_E_LABELSET, "entry 0: mturk is missing");
	FAILS(&m, "[{\"id\": 2, \"id\": 3}]", IMLFS_E_LABELSET, "entry 0: duplicate object key");
	FAILS(&m, "[{\"given_original_label\": 1}]", IMLFS_E_LABELSET, "entry 0: id is missing");
	FAILS(&m, "[{\"id\": 2,\n \"x\": tru}]", IMLFS_E_LABELSET, "set.txt: line 2");
	FAILS(&m, "[{\"id\": \"}\"", IMLFS_E_LABELSET, "line 1, column 2: entry 0 never ends");
	FAILS(&m, "[{}, 3]", IMLFS_E_LABELSET, "entry 0: id is missing");
	snprintf(text, sizeof text, "[%s 3]", entry(e[0], 256, 2, 1, 1, 5, 0, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "expected ',' or ']' after entry 0");
	snprintf(text, sizeof text, "[%s, 3]", entry(e[0], 256, 2, 1, 1, 5, 0, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "entry 1: expected an object '{'");
	snprintf(text, sizeof text, "[%s] ]", entry(e[0], 256, 2, 1, 1, 5, 0, 0, 0));
	FAILS(&m, text, IMLFS_E_LABELSET, "text after the list");
	{
		/* one entry past IMLFS_MTURK_ENTRY_MAX */
		size_t n = IMLFS_MTURK_ENTRY_MAX + 64;
		char *big = malloc(n + 1);

		memset(big, ' ', n);
		memcpy(big, "[{\"id\": 2, ", 11);
		memcpy(big + n - 2, "}]", 2);
		big[n] = '\0';
		FAILS(&m, big, IMLFS_E_LABELSET, "entry 0 is longer than 65536 bytes");
		free(big);
	}
	imlfs_model_free(&m);
	make_model(&m, 2, 0);
	/* Pins ls-mturk.c's message: a place in the file (line 1), as every
	 * user error has, even for a rule on the whole file. */
	FAILS(&m, "[{\"id\": 1}]", IMLFS_E_LABELSET, "set.txt: line 1: cleanlab's labels are "
	      "class indices, but this mount has no classes; give --labels or --classes too");
	imlfs_model_free(&m);
}

static void test_bounds(void)
{
	struct imlfs_model m;
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err = { 0 };
	const char *path = tu_write("set.tsv", "ILSVRC2012_val_00000001.JPEG\t1\n"), *file;
	char name[IMLFS_LABELSET_NAME_MAX + 1], setname[16], *big;

	make_model(&m, 2, 3);
	/* Past IMLFS_LABELSET_FILE_MAX: refused before reading a byte (the
	 * pages calloc leaves untouched are never faulted in). */
	big = calloc(IMLFS_LABELSET_FILE_MAX + 1, 1);
	CHECK(big);
	CHECK_EQ(imlfs_labelset_parse(&ls, "big", &m, "big.tsv", big, IMLFS_LABELSET_FILE_MAX + 1,
				      0, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_LABELSET);
	CHECK(strstr(err.msg, "big.tsv: 67108865 bytes, more than a label set may have (64 MiB)"));
	free(big);
	/* --labelset's NAME=FILE */
	CHECK_EQ(imlfs_labelset_spec("a=b=c", name, &file, &err), 0);
	CHECK_STR(name, "a");
	CHECK_STR(file, "b=c");
	CHECK_EQ(imlfs_labelset_spec("b", name, &file, &err), -1);
	CHECK(strstr(err.msg, "--labelset \"b\": expected NAME=FILE"));
	CHECK_EQ(imlfs_labelset_spec("b=", name, &file, &err), -1);
	CHECK_EQ(imlfs_labelset_spec("Real=x", name, &file, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_USAGE);
	CHECK_EQ(imlfs_labelset_spec("real=x", name, &file, &err), -1);
	CHECK(strstr(err.msg, "the mount uses real already"));
	/* Through the loader, as a mount reads them: at most
	 * IMLFS_LABELSETS_MAX, names distinct, each file hashed. */
	for (int k = 0; k < IMLFS_LABELSETS_MAX; k++) {
		snprintf(setname, sizeof setname, "set%d", k);
		CHECK_EQ(imlfs_load_labelset(&m, IMLFS_ROLE_SET0 + k, setname, path, &err), 0);
	}
	CHECK_EQ(m.nsets, IMLFS_LABELSETS_MAX);
	CHECK_STR(m.sets[3].name, "set3");
	CHECK_EQ(m.sets[3].role, IMLFS_ROLE_SET0 + 3);
	CHECK(m.md5.have & 1u << (IMLFS_ROLE_SET0 + 3));
	CHECK_STR(list_of(&m.sets[3], 0), "1");
	CHECK_EQ(imlfs_model_add_set(&m, "one_more", 0, IMLFS_ROLE_SET0, "x", "", 0, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_USAGE);
	CHECK(strstr(err.msg, "more than 8 label sets"));
	CHECK_EQ(m.nsets, IMLFS_LABELSETS_MAX);
	tu_drop_sets(&m);
	m.md5.have = 0;
	CHECK_EQ(imlfs_load_labelset(&m, IMLFS_ROLE_SET0, "a", path, &err), 0);
	CHECK_EQ(imlfs_load_labelset(&m, IMLFS_ROLE_SET0 + 1, "a", path, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_USAGE);
	CHECK(strstr(err.msg, "the label set name a is taken already"));
	CHECK_EQ(imlfs_load_labelset(&m, IMLFS_ROLE_SET0 + 1, "b", "/nonexistent/set.tsv", &err),
		 -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK(strstr(err.msg, "/nonexistent/set.tsv: cannot open the label set file"));
	CHECK(strstr(err.msg, "check the --labelset path"));
	CHECK_EQ(imlfs_load_labelset(&m, IMLFS_ROLE_SET0 + 1, "b", "/", &err), -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK_EQ(imlfs_load_labelset(&m, IMLFS_ROLE_SET0 + 1, "b", tu_write("bad.tsv", "x\n"),
				     &err), -1);
	CHECK_EQ(err.code, IMLFS_E_LABELSET);
	CHECK(strstr(err.msg, "bad.tsv: line 1: not a label set"));
	CHECK_EQ(m.nsets, 1);
	CHECK(!(m.md5.have & 1u << (IMLFS_ROLE_SET0 + 1)));   /* hashed only when parsed */
	/* ReaL's comes first whenever it is added */
	CHECK_EQ(imlfs_model_add_set(&m, "real", IMLFS_LS_REAL, IMLFS_ROLE_REAL, "real.json",
				     "[[0], []]", 9, &err), 0);
	CHECK_EQ(m.nsets, 2);
	CHECK_STR(m.sets[0].name, "real");
	CHECK_STR(m.sets[1].name, "a");
	CHECK(m.have & IMLFS_HAVE_REAL);
	CHECK_STR(imlfs_split_name(&m, IMLFS_SPLIT_SET0 + 1), "a");
	imlfs_model_free(&m);
}

/* 50,000 TSV lines of five wnids, parsed and timed (printed only). */
static void test_large_tsv(void)
{
	struct imlfs_model m;
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err = { 0 };
	struct imlfs_buf b = { 0 };
	double t0;

	make_model(&m, 50000, 1000);
	for (uint32_t i = 0; i < m.nmembers; i++)
		imlfs_buf_printf(&b, "ILSVRC2012_val_%08u.JPEG\tn%08u,n%08u,%u,%u,n%08u\n", i + 1,
				 i % 1000, (i * 7) % 1000, (i * 13) % 1000, (i * 31) % 1000,
				 (i + 1) % 1000);
	CHECK_EQ(imlfs_buf_check(&b), 0);
	t0 = imlfs_now();
	CHECK_EQ(imlfs_labelset_parse(&ls, "big", &m, "big.tsv", b.p, b.len, 0, &err), 0);
	printf("a 50,000-line TSV of five labels each (%zu bytes) parsed in %.1f ms\n", b.len,
	       (imlfs_now() - t0) * 1e3);
	CHECK_EQ(ls.nlisted, 50000);
	CHECK_STR(list_of(&ls, 49999), "0 969 987 993 999");
	imlfs_labelset_free(&ls);
	imlfs_buf_free(&b);
	imlfs_model_free(&m);
}

/* The given labels of cleanlab's entries, as the mount's labels, so that
 * its check passes and unlisted images keep a label (i % 1000). */
static int mturk_labels(struct imlfs_model *m, const char *path)
{
	json_t *j = json_load_file(path, 0, NULL), *v;
	size_t k;

	if (!json_is_array(j))
		return -1;
	for (uint32_t i = 0; i < m->nmembers; i++)
		m->members[i].label = (int32_t)(i % 1000);
	json_array_foreach(j, k, v) {
		json_int_t id = json_integer_value(json_object_get(v, "id"));

		if (id >= 1 && id <= m->nmembers)
			m->members[id - 1].label =
				(int32_t)json_integer_value(json_object_get(v, "given_original_label"));
	}
	json_decref(j);
	m->have |= IMLFS_HAVE_LABELS;
	return 0;
}

static int test_real_files(const char *dir)
{
	char mturk[4096], real[4096], classes[4096];
	struct imlfs_model m = { 0 };
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err = { 0 };
	char **names;
	double t0;

	snprintf(mturk, sizeof mturk, "%s/imagenet_mturk.json", dir);
	snprintf(real, sizeof real, "%s/real.json", dir);
	snprintf(classes, sizeof classes, "%s/class_info.json", dir);
	if (access(mturk, R_OK) || access(real, R_OK) || access(classes, R_OK)) {
		fprintf(stderr, "skipped: %s: the real files are missing: %s\n", dir,
			strerror(errno));
		return 77;
	}
	names = calloc(50000, sizeof *names);
	for (uint32_t i = 0; i < 50000; i++) {
		names[i] = malloc(32);
		snprintf(names[i], 32, "ILSVRC2012_val_%08u.JPEG", i + 1);
	}
	tu_model(&m, (const char *const *)names, 50000);
	for (uint32_t i = 0; i < 50000; i++)
		free(names[i]);
	free(names);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_CLASSES, classes, &err), 0);
	CHECK_EQ(imlfs_model_finish(&m), 0);
	CHECK_EQ(m.nclasses, 1000);
	CHECK_EQ(mturk_labels(&m, mturk), 0);

	t0 = imlfs_now();
	CHECK_EQ(imlfs_load_labelset(&m, IMLFS_ROLE_SET0, "mturk", mturk, &err), 0);
	printf("%s: parsed in %.1f ms\n", mturk, (imlfs_now() - t0) * 1e3);
	if (err.code)
		fprintf(stderr, "%s\n", err.msg);
	if (m.nsets != 1)
		return tu_done();
	ls = m.sets[0];
	CHECK_EQ(ls.format, IMLFS_LS_MTURK);
	/* The counts, with a 3-of-5 majority. */
	CHECK_EQ(ls.outcome[IMLFS_LS_GIVEN], 2524);
	CHECK_EQ(ls.outcome[IMLFS_LS_GUESSED], 1428);
	CHECK_EQ(ls.outcome[IMLFS_LS_BOTH], 597);
	CHECK_EQ(ls.outcome[IMLFS_LS_NEITHER], 293);
	CHECK_EQ(ls.outcome[IMLFS_LS_NO_MAJORITY], 598);
	CHECK_EQ(ls.outcome[IMLFS_LS_KEPT], 50000 - 5440);
	CHECK_EQ(ls.nlisted, 50000 - 293 - 598);
	CHECK_EQ(ls.nempty, 0);
	/* By hand from the file:
	 *   id 1: given 65, guessed 57, votes 4/1/0/0 (given) -> [65]
	 *   id 2: 970 and 795, 0/0/0/5 (both)                 -> [795, 970]
	 *   id 33: 150 and 360, given 1, guessed 3, neither 1 -> [360]
	 *   id 37: 32 and 26, guessed 1, neither 4            -> left out
	 *   id 41: 516 and 431, given 2, neither 1, both 2    -> left out
	 *   id 228: 173 and 537, given 2, both 3              -> [173, 537]
	 *   id 3: not in the file                             -> its label, 2 here */
	CHECK_STR(list_of(&ls, 0), "65");
	CHECK_STR(list_of(&ls, 1), "795 970");
	CHECK_STR(list_of(&ls, 32), "360");
	CHECK_STR(list_of(&ls, 36), "-");
	CHECK_STR(list_of(&ls, 40), "-");
	CHECK_STR(list_of(&ls, 227), "173 537");
	CHECK_STR(list_of(&ls, 2), "2");

	/* real.json as the mount reads it: ReaL's set, put first. */
	t0 = imlfs_now();
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, real, &err), 0);
	printf("%s: parsed in %.1f ms\n", real, (imlfs_now() - t0) * 1e3);
	CHECK_EQ(m.nsets, 2);
	CHECK_STR(m.sets[0].name, "real");
	CHECK_STR(m.sets[1].name, "mturk");
	CHECK_EQ(m.sets[0].nempty, 3163);
	CHECK_EQ(m.sets[0].nlisted, 50000);
	CHECK_STR(list_of(&m.sets[0], 1), "795 970");
	imlfs_model_free(&m);
	return tu_done();
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--real-dir"))
		return test_real_files(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test-labelset [--real-dir DIR]\n");
		return 2;
	}
	test_names();
	test_recognise();
	test_tsv();
	test_lists();
	test_flaws();
	test_mturk();
	test_bounds();
	test_large_tsv();
	return tu_done();
}
