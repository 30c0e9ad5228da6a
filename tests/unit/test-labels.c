/* SPDX-License-Identifier: MIT */
/* test-labels.c — classes.c (three forms, errors, the real class_info.json)
 * and labels.c (TFDS and "FILE LABEL" forms, with and without classes,
 * errors). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/classes.h"
#include "imlfs/labels.h"
#include "imlfs/load.h"
#include "testutil.h"

static const char *const names3[] = {
	"ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG", "ILSVRC2012_val_00000003.JPEG",
};

/* Expect failure with `code` and a message containing the file and each
 * of the (up to two) fragments. */
static void expect_err(int rc, const struct imlfs_error *e, int code, const char *path,
		       const char *frag1, const char *frag2, int line)
{
	if (rc != -1 || e->code != code || !strstr(e->msg, path) ||
	    (frag1 && !strstr(e->msg, frag1)) || (frag2 && !strstr(e->msg, frag2))) {
		fprintf(stderr, "line %d: rc %d code %d (want %d) msg: %s\n  want: %s / %s\n", line, rc,
			e->code, code, e->msg, frag1 ? frag1 : "", frag2 ? frag2 : "");
		tu_failures++;
	}
}
#define EXPECT_ERR(rc, e, code, path, f1, f2) expect_err(rc, e, code, path, f1, f2, __LINE__)

/* A parser on a copy of text without its NUL, as the loader hands over a
 * mapped file: a parser that reads past the end is caught (ASan). */
static int parse_exact(int (*parse)(struct imlfs_model *, const char *, const char *, size_t,
				    struct imlfs_error *),
		       struct imlfs_model *m, const char *name, const char *text,
		       struct imlfs_error *e)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		abort();
	memcpy(copy, text, len);
	rc = parse(m, name, copy, len, e);
	free(copy);
	return rc;
}

static int load_classes_text(struct imlfs_model *m, const char *text, struct imlfs_error *e,
			     const char **path)
{
	memset(m, 0, sizeof *m);
	memset(e, 0, sizeof *e);
	*path = "classes.txt";
	return parse_exact(imlfs_classes_parse, m, *path, text, e);
}

static void test_wnid(void)
{
	CHECK(imlfs_is_wnid("n01440764", 9));
	CHECK(!imlfs_is_wnid("n0144076", 8));
	CHECK(!imlfs_is_wnid("n014407645", 10));
	CHECK(!imlfs_is_wnid("x01440764", 9));
	CHECK(!imlfs_is_wnid("n0144a764", 9));
	CHECK(imlfs_is_wnid("n01440764 tench", 9));
}

static void test_classes_lines(void)
{
	struct imlfs_model m;
	struct imlfs_error e;
	const char *p;

	/* synset_words.txt, CRLF, trailing blank lines and spaces; a wnid with
	 * only blanks after it is named by its wnid. */
	CHECK_EQ(load_classes_text(&m, "n01440764 tench, Tinca tinca\r\n"
				   "n01443537\tgoldfish, Carassius auratus  \r\n"
				   "n01484850\r\n"
				   "n01491361 \t \r\n\r\n  \n", &e, &p), 0);
	CHECK_EQ(e.code, 0);
	CHECK_EQ(m.nclasses, 4);
	CHECK_STR(imlfs_class_name(&m, 3), "n01491361");
	CHECK_STR(imlfs_class_wnid(&m, 0), "n01440764");
	CHECK_STR(imlfs_class_name(&m, 0), "tench, Tinca tinca");
	CHECK_STR(imlfs_class_wnid(&m, 1), "n01443537");
	CHECK_STR(imlfs_class_name(&m, 1), "goldfish, Carassius auratus");
	CHECK_STR(imlfs_class_name(&m, 2), "n01484850");
	CHECK_EQ(imlfs_find_wnid(&m, "n01443537", 9), 1);
	CHECK_EQ(imlfs_find_wnid(&m, "n01484850", 9), 2);
	CHECK_EQ(imlfs_find_wnid(&m, "n09999999", 9), -1);
	CHECK(m.have & IMLFS_HAVE_CLASSES);
	imlfs_model_free(&m);

	/* TFDS labels.txt: one wnid per line, no final newline. */
	CHECK_EQ(load_classes_text(&m, "n01440764\nn01443537", &e, &p), 0);
	CHECK_EQ(m.nclasses, 2);
	CHECK_STR(imlfs_class_name(&m, 1), "n01443537");
	imlfs_model_free(&m);

	EXPECT_ERR(load_classes_text(&m, "", &e, &p), &e, IMLFS_E_CLASSES, p, "line 1", "empty");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, " \r\n\n", &e, &p), &e, IMLFS_E_CLASSES, p, "line 1", "empty");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "n01440764 a\nn0144376 b\n", &e, &p), &e, IMLFS_E_CLASSES, p,
		   "line 2", "\"n0144376\" is not a WordNet id");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "n01440764 a\nn01443537 b\nn01440764 c\n", &e, &p), &e,
		   IMLFS_E_CLASSES, p, "line 3", "n01440764 is listed twice (first on line 1)");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "n01440764 a\n\nn01443537 b\n", &e, &p), &e,
		   IMLFS_E_CLASSES, p, "line 2", "blank line");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "\n{\"a\": 1}", &e, &p), &e, IMLFS_E_CLASSES, p, "line 2",
		   "JSON object");
	imlfs_model_free(&m);

	memset(&e, 0, sizeof e);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_CLASSES, tu_path("no-such-file"), &e), -1);
	CHECK_EQ(e.code, IMLFS_E_MISSING);
	CHECK(strstr(e.msg, "no-such-file") != NULL);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_CLASSES, tu_tmpdir(), &e), -1);
	CHECK_EQ(e.code, IMLFS_E_MISSING);
	imlfs_model_free(&m);
}

static void test_classes_json(void)
{
	struct imlfs_model m;
	struct imlfs_error e;
	const char *p;

	CHECK_EQ(load_classes_text(&m, "  [\n {\"cid\": 0, \"wnid\": \"n01440764\", \"synset\": "
				   "[\"tench\", \"Tinca tinca\"], \"gloss\": \"a fish\"},\n"
				   " {\"wnid\": \"n01443537\", \"synset\": [\"goldfish\"]},\n"
				   " {\"cid\": 2, \"wnid\": \"n01484850\", \"synset\": []}\n]\n", &e, &p), 0);
	CHECK_EQ(m.nclasses, 3);
	CHECK_STR(imlfs_class_name(&m, 0), "tench, Tinca tinca");
	CHECK_STR(imlfs_class_name(&m, 1), "goldfish");
	CHECK_STR(imlfs_class_name(&m, 2), "n01484850");
	CHECK_EQ(imlfs_find_wnid(&m, "n01484850", 9), 2);
	imlfs_model_free(&m);

	EXPECT_ERR(load_classes_text(&m, "[\n{\"wnid\": \"n01440764\", \"synset\": [\"a\"]},\n"
				     "{\"wnid\": \"n01443537\", \"synset\": [\"b\"]\n]", &e, &p),
		   &e, IMLFS_E_CLASSES, p, "line 4, column", "damaged JSON");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[]", &e, &p), &e, IMLFS_E_CLASSES, p, "line 1", "empty");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[\n{\"cid\": 0, \"wnid\": \"n01440764\", \"synset\": [\"a\"]},\n"
				     "\n{\"cid\": 5, \"wnid\": \"n01443537\", \"synset\": [\"b\"]}]", &e, &p),
		   &e, IMLFS_E_CLASSES, p, "line 4", "entry 1 has \"cid\" 5");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[{\"cid\": 0, \"wnid\": \"n01440764\", \"synset\": [\"a\"]},\n"
				     "{\"cid\": \"1\", \"wnid\": \"n01443537\", \"synset\": [\"b\"]}]", &e, &p),
		   &e, IMLFS_E_CLASSES, p, "line 2", "not an integer");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[{\"wnid\": \"n0144x764\", \"synset\": [\"a\"]}]", &e, &p), &e,
		   IMLFS_E_CLASSES, p, "line 1", "\"wnid\" is not a WordNet id");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[{\"synset\": [\"a\"]}]", &e, &p), &e,
		   IMLFS_E_CLASSES, p, "line 1", "\"wnid\" is missing");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[{\"wnid\": \"n01440764\"}]", &e, &p), &e,
		   IMLFS_E_CLASSES, p, "line 1", "\"synset\" is missing");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[{\"wnid\": \"n01440764\", \"synset\": [\"a\", 3]}]", &e, &p),
		   &e, IMLFS_E_CLASSES, p, "line 1", "item 1 is not a string");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[\"n01440764\",\n 5]", &e, &p), &e, IMLFS_E_CLASSES, p,
		   "line 1", "entry 0 is not an object");
	imlfs_model_free(&m);
	EXPECT_ERR(load_classes_text(&m, "[{\"wnid\": \"n01440764\", \"synset\": [\"a\"]},\n"
				     " {\"wnid\": \"n01440764\", \"synset\": [\"b\"]}]", &e, &p), &e,
		   IMLFS_E_CLASSES, p, "line 2", "listed twice (first on line 1)");
	imlfs_model_free(&m);
}

/* The real ImageNetV2 class_info.json.  meson passes its path, ../shared
 * beside the checkout, as a test of its own ("labels-real-classes"), so a
 * missing file is reported as a skip (exit 77) rather than a quiet pass. */
static int test_classes_real(const char *path)
{
	struct imlfs_model m = {0};
	struct imlfs_error e = {0};

	if (access(path, R_OK) < 0) {
		fprintf(stderr, "skipped: %s: %s\n", path, strerror(errno));
		return 77;
	}
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_CLASSES, path, &e), 0);
	CHECK_EQ(m.nclasses, 1000);
	if (m.nclasses == 1000) {
		CHECK_STR(imlfs_class_wnid(&m, 0), "n01440764");
		CHECK_STR(imlfs_class_name(&m, 0), "tench, Tinca tinca");
		CHECK_STR(imlfs_class_wnid(&m, 999), "n15075141");
		CHECK_EQ(imlfs_find_wnid(&m, "n01443537", 9), 1);
		for (uint32_t c = 1; c < m.nclasses; c++)
			CHECK(strcmp(imlfs_class_wnid(&m, c - 1), imlfs_class_wnid(&m, c)) < 0);
	} else {
		fprintf(stderr, "%s\n", e.msg);
	}
	imlfs_model_free(&m);
	return tu_done();
}

static int load_labels_text(struct imlfs_model *m, const char *text, struct imlfs_error *e,
			    const char **path)
{
	memset(e, 0, sizeof *e);
	*path = "labels.txt";
	return parse_exact(imlfs_labels_parse, m, *path, text, e);
}

static void add_classes(struct imlfs_model *m, const char *const *wnids, int n)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ(imlfs_model_add_class(m, wnids[i], 9, wnids[i], 9), i);
	m->have |= IMLFS_HAVE_CLASSES;
	CHECK_EQ(imlfs_model_finish(m), 0);
}

static const char *const wn3[] = {"n03000000", "n01000000", "n02000000"};

static void test_labels_tfds(void)
{
	struct imlfs_model m;
	struct imlfs_error e;
	const char *p;

	/* No classes: the sorted distinct wnids become classes. */
	tu_model(&m, names3, 3);
	CHECK_EQ(load_labels_text(&m, "n02000000\r\nn01000000\r\nn02000000\r\n\r\n", &e, &p), 0);
	CHECK_EQ(e.code, 0);
	CHECK_EQ(m.nclasses, 2);
	CHECK_STR(imlfs_class_wnid(&m, 0), "n01000000");
	CHECK_STR(imlfs_class_name(&m, 0), "n01000000");
	CHECK_STR(imlfs_class_wnid(&m, 1), "n02000000");
	CHECK_EQ(m.members[0].label, 1);
	CHECK_EQ(m.members[1].label, 0);
	CHECK_EQ(m.members[2].label, 1);
	CHECK(m.have & IMLFS_HAVE_LABELS);
	CHECK(!(m.have & IMLFS_HAVE_CLASSES));
	imlfs_model_free(&m);

	/* With classes: their indices. */
	tu_model(&m, names3, 3);
	add_classes(&m, wn3, 3);
	CHECK_EQ(load_labels_text(&m, "n02000000\nn03000000\nn01000000", &e, &p), 0);
	CHECK_EQ(m.nclasses, 3);
	CHECK_EQ(m.members[0].label, 2);
	CHECK_EQ(m.members[1].label, 0);
	CHECK_EQ(m.members[2].label, 1);
	EXPECT_ERR(load_labels_text(&m, "n02000000\nn04000000\nn01000000\n", &e, &p), &e, IMLFS_E_WNID,
		   p, "line 2", "n04000000 is not among the 3 classes");
	imlfs_model_free(&m);

	tu_model(&m, names3, 3);
	EXPECT_ERR(load_labels_text(&m, "n02000000\nn01000000\n", &e, &p), &e, IMLFS_E_LABELS, p,
		   "2 label lines but the tarball has 3 members", "line 2");
	EXPECT_ERR(load_labels_text(&m, "n02000000\nn01000000\nn01000000\nn01000000\n", &e, &p), &e,
		   IMLFS_E_LABELS, p, "4 label lines but the tarball has 3 members", NULL);
	EXPECT_ERR(load_labels_text(&m, "n02000000\n\nn01000000\nn01000000\n", &e, &p), &e,
		   IMLFS_E_LABELS, p, "line 2", "blank line");
	EXPECT_ERR(load_labels_text(&m, "n02000000\nn0100000\nn01000000\n", &e, &p), &e,
		   IMLFS_E_LABELS, p, "line 2", "\"n0100000\" is not a WordNet id");
	EXPECT_ERR(load_labels_text(&m, "65\n970\n230\n", &e, &p), &e, IMLFS_E_LABELS, p, "line 1",
		   "devkit");
	EXPECT_ERR(load_labels_text(&m, "n02000000\nn01000000 x\nn01000000\n", &e, &p), &e,
		   IMLFS_E_LABELS, p, "line 2", "malformed");
	EXPECT_ERR(load_labels_text(&m, "\n  \r\n", &e, &p), &e, IMLFS_E_LABELS, p, "line 1",
		   "no labels");
	memset(&e, 0, sizeof e);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_LABELS, tu_path("absent.txt"), &e), -1);
	CHECK_EQ(e.code, IMLFS_E_MISSING);
	CHECK(strstr(e.msg, "absent.txt") != NULL);
	CHECK_EQ(m.nclasses, 0);
	imlfs_model_free(&m);
}

static void test_labels_file(void)
{
	struct imlfs_model m;
	struct imlfs_error e;
	const char *p;

	/* Caffe val.txt with class indices, paths, any order. */
	tu_model(&m, names3, 3);
	add_classes(&m, wn3, 3);
	CHECK_EQ(load_labels_text(&m, "val/ILSVRC2012_val_00000003.JPEG 2\r\n"
				  "ILSVRC2012_val_00000001.JPEG\t0\r\n"
				  "/x/y/ILSVRC2012_val_00000002.JPEG   1  \r\n\r\n", &e, &p), 0);
	CHECK_EQ(m.members[0].label, 0);
	CHECK_EQ(m.members[1].label, 1);
	CHECK_EQ(m.members[2].label, 2);
	/* Pins labels.c's class indices: a zero-padded one ("%06d") is read by
	 * its value, as a predictions file's is. */
	CHECK_EQ(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 000002\n"
				  "ILSVRC2012_val_00000002.JPEG 00001\n"
				  "ILSVRC2012_val_00000003.JPEG 0\n", &e, &p), 0);
	CHECK_EQ(m.members[0].label, 2);
	CHECK_EQ(m.members[1].label, 1);
	CHECK_EQ(m.members[2].label, 0);
	/* Wnid labels with classes; a file name without extension. */
	CHECK_EQ(load_labels_text(&m, "ILSVRC2012_val_00000003.JPEG n01000000\n"
				  "ILSVRC2012_val_00000001 n03000000\n"
				  "ILSVRC2012_val_00000002.JPEG 0\n", &e, &p), 0);
	CHECK_EQ(m.members[0].label, 0);
	CHECK_EQ(m.members[1].label, 0);
	CHECK_EQ(m.members[2].label, 1);

	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000002.JPEG 3\n"
				    "ILSVRC2012_val_00000003.JPEG 1\n", &e, &p), &e, IMLFS_E_WNID, p,
		   "line 2", "class index 3 is out of range");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000002.JPEG 99999999999999999999\n"
				    "ILSVRC2012_val_00000003.JPEG 1\n", &e, &p), &e,
		   IMLFS_E_WNID, p, "line 2", "out of range");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000002.JPEG n09000000\n"
				    "ILSVRC2012_val_00000003.JPEG 1\n", &e, &p), &e, IMLFS_E_WNID, p,
		   "line 2", "n09000000 is not among");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000009.JPEG 1\n", &e, &p), &e, IMLFS_E_LABELS, p,
		   "line 2", "\"ILSVRC2012_val_00000009.JPEG\" is not a member");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000002.JPEG 1\n"
				    "\n"
				    "a/ILSVRC2012_val_00000001.JPEG 2\n", &e, &p), &e, IMLFS_E_LABELS, p,
		   "line 4", "labelled again (first on line 1)");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000003.JPEG 1\n", &e, &p), &e, IMLFS_E_LABELS, p,
		   "(line 2): member ILSVRC2012_val_00000002.JPEG has no label", "1 of 3");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000002.JPEG 1 2\n", &e, &p), &e, IMLFS_E_LABELS, p,
		   "line 2", "malformed");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000002.JPEG\n", &e, &p), &e, IMLFS_E_LABELS, p,
		   "line 2", "malformed");
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 0\n"
				    "ILSVRC2012_val_00000002.JPEG -1\n", &e, &p), &e, IMLFS_E_LABELS, p,
		   "line 2", "\"-1\" is not a class index or WordNet id");
	imlfs_model_free(&m);

	/* No classes: wnids make the classes; indices cannot be named. */
	tu_model(&m, names3, 3);
	EXPECT_ERR(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG n01000000\n"
				    "ILSVRC2012_val_00000002.JPEG 1\n", &e, &p), &e, IMLFS_E_WNID, p,
		   "line 2", "give --classes FILE");
	CHECK_EQ(m.nclasses, 0);
	CHECK_EQ(load_labels_text(&m, "ILSVRC2012_val_00000002.JPEG n05000000\n"
				  "ILSVRC2012_val_00000003.JPEG n05000000\n"
				  "ILSVRC2012_val_00000001.JPEG n04000000\n", &e, &p), 0);
	CHECK_EQ(m.nclasses, 2);
	CHECK_STR(imlfs_class_wnid(&m, 0), "n04000000");
	CHECK_STR(imlfs_class_wnid(&m, 1), "n05000000");
	CHECK_EQ(m.members[0].label, 0);
	CHECK_EQ(m.members[1].label, 1);
	CHECK_EQ(m.members[2].label, 1);
	imlfs_model_free(&m);

	/* Classes from a file, then labels by index. */
	memset(&m, 0, sizeof m);
	tu_model(&m, names3, 3);
	memset(&e, 0, sizeof e);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_CLASSES,
				  tu_write("syn.txt", "n01000000 one\nn02000000 two\n"), &e), 0);
	CHECK_EQ(load_labels_text(&m, "ILSVRC2012_val_00000001.JPEG 1\nILSVRC2012_val_00000002.JPEG 0\n"
				  "ILSVRC2012_val_00000003.JPEG n02000000\n", &e, &p), 0);
	CHECK_EQ(m.members[0].label, 1);
	CHECK_EQ(m.members[1].label, 0);
	CHECK_EQ(m.members[2].label, 1);
	CHECK_STR(imlfs_class_name(&m, m.members[0].label), "two");
	/* An index at the very end of the bytes, no newline after it: read
	 * within its length (the loader's mapping has no NUL after the file). */
	CHECK_EQ(load_labels_text(&m, "ILSVRC2012_val_00000002.JPEG 1\nILSVRC2012_val_00000003.JPEG 0\n"
				  "ILSVRC2012_val_00000001.JPEG 1", &e, &p), 0);
	CHECK_EQ(m.members[0].label, 1);
	CHECK_EQ(m.members[2].label, 0);
	CHECK_EQ(load_labels_text(&m, "ILSVRC2012_val_00000002.JPEG 1\nILSVRC2012_val_00000003.JPEG 0\n"
				  "ILSVRC2012_val_00000001.JPEG 2", &e, &p), -1);
	CHECK(strstr(e.msg, "line 3: class index 2 is out of range") != NULL);
	imlfs_model_free(&m);
}

/* test-labels, or test-labels --real-classes PATH for test_classes_real. */
int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--real-classes"))
		return test_classes_real(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test-labels [--real-classes PATH]\n");
		return 2;
	}
	test_wnid();
	test_classes_lines();
	test_classes_json();
	test_labels_tfds();
	test_labels_file();
	return tu_done();
}
