/* SPDX-License-Identifier: MIT */
/* test-real.c — the ReaL labels, one label set of the mount (labelset.h:
 * the lists format under IMLFS_LS_REAL, added by imlfs_model_add_set as
 * the loader does): the lists as stored (ascending, duplicates dropped,
 * empty ones), and every way a file can be wrong, each with exit status 13
 * and one line naming the place as real.c's did (these are its cases, kept
 * when real.c went); and the loader that reads and hashes it (load.c).
 *
 * `test-real --real-file PATH` parses the real real.json of
 * google-research/reassessed-imagenet (../shared beside the checkout,
 * meson test "real-file"), exit 77 (skip) without it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/load.h"
#include "imlfs/labelset.h"
#include "testutil.h"

/* n members ILSVRC2012_val_%08u.JPEG and nclasses classes n%08u. */
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

static int parse(struct imlfs_model *m, const char *text, struct imlfs_error *err)
{
	memset(err, 0, sizeof *err);
	return imlfs_model_add_set(m, "real", IMLFS_LS_REAL, IMLFS_ROLE_REAL, "real.json", text,
				   strlen(text), err);
}

/* The run of member i as text: "0 2" */
static const char *run(const struct imlfs_model *m, uint32_t i)
{
	static char buf[256];
	const uint16_t *v;
	uint32_t n = imlfs_real_labels(m, i, &v);
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t k = 0; k < n && o + 8 < sizeof buf; k++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, k ? " %u" : "%u", v[k]);
	return buf;
}

static void test_good(void)
{
	struct imlfs_model m;
	struct imlfs_error err;

	make_model(&m, 4, 5);
	CHECK(!imlfs_in_split(&m, 0, IMLFS_SPLIT_SET0));
	CHECK(!imlfs_split_present(&m, IMLFS_SPLIT_SET0));
	CHECK_EQ(parse(&m, "\xef\xbb\xbf [[4, 0, 4, 2],[ ],\n\t[3] ,\r\n[1,0]]\n", &err), 0);
	CHECK_EQ(err.code, 0);
	CHECK(m.have & IMLFS_HAVE_REAL);
	CHECK(imlfs_real_set(&m) == &m.sets[0]);
	CHECK_EQ(m.sets[0].nlab, 6);
	CHECK_EQ(m.sets[0].format, IMLFS_LS_LISTS);
	CHECK_EQ(m.sets[0].nlisted, 4);   /* every image: an empty list is "none fits" */
	CHECK_STR(run(&m, 0), "0 2 4");
	CHECK_STR(run(&m, 1), "");
	CHECK_STR(run(&m, 2), "3");
	CHECK_STR(run(&m, 3), "0 1");
	CHECK(imlfs_in_split(&m, 0, IMLFS_SPLIT_SET0));
	CHECK(!imlfs_in_split(&m, 1, IMLFS_SPLIT_SET0));
	CHECK(imlfs_split_present(&m, IMLFS_SPLIT_SET0));
	CHECK_STR(imlfs_split_name(&m, IMLFS_SPLIT_SET0), "real");
	/* Parsing again replaces the lists. */
	CHECK_EQ(parse(&m, "[[],[],[],[]]", &err), 0);
	CHECK_EQ(m.nsets, 1);
	CHECK_EQ(m.sets[0].nlab, 0);
	CHECK_STR(run(&m, 0), "");
	CHECK(!imlfs_in_split(&m, 0, IMLFS_SPLIT_SET0));
	imlfs_model_free(&m);

	/* No members: only an empty list fits. */
	make_model(&m, 0, 5);
	CHECK_EQ(parse(&m, " [ ] ", &err), 0);
	CHECK_EQ(parse(&m, "[[]]", &err), -1);
	imlfs_model_free(&m);
}

/* text must fail with status 13 and a message holding each of want[]. */
static void expect_bad(uint32_t n, const char *text, const char *const *want, int line)
{
	struct imlfs_model m;
	struct imlfs_error err;

	make_model(&m, n, 5);
	if (parse(&m, text, &err) != -1 || err.code != IMLFS_E_REAL) {
		fprintf(stderr, "test-real.c:%d: accepted or wrong code %d: %s\n", line, err.code,
			err.msg);
		tu_failures++;
	}
	for (; *want; want++)
		if (!strstr(err.msg, *want)) {
			fprintf(stderr, "test-real.c:%d: \"%s\" lacks \"%s\"\n", line, err.msg, *want);
			tu_failures++;
		}
	if (strchr(err.msg, '\n')) {
		fprintf(stderr, "test-real.c:%d: not one line: %s\n", line, err.msg);
		tu_failures++;
	}
	/* the model is as before */
	CHECK(!m.nsets && !imlfs_real_set(&m) && !(m.have & IMLFS_HAVE_REAL));
	imlfs_model_free(&m);
}

#define BAD(n, text, ...) expect_bad(n, text, (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)

static void test_bad(void)
{
	/* count */
	BAD(3, "[[0], []]", "real.json: line 1, column 10 (byte 9): 2 lists, but the tarball "
	    "has 3 images", "reassessed-imagenet");
	BAD(3, "[[0], [1], [2], [0]]", "column 17 (byte 16): entry 3: more lists than the "
	    "tarball's 3 images");
	BAD(3, "[]", "0 lists, but the tarball has 3 images");
	/* range */
	BAD(3, "[[0],\n [5], []]", "line 2, column 3 (byte 8): entry 1 "
	    "(ILSVRC2012_val_00000002.JPEG): class index 5 is out of range 0..4");
	BAD(3, "[[0], [99999999999999999999], []]", "class index 999999999999... is out of range");
	/* shape */
	BAD(3, "", "line 1, column 1 (byte 0): the file is empty");
	BAD(3, " \n ", "line 2, column 2 (byte 3): the file is empty");
	/* a file of only a byte-order mark: the mark is dropped (it is all
	 * there), and the place still counts its bytes */
	BAD(3, "\xef\xbb\xbf", "line 1, column 4 (byte 3): the file is empty");
	BAD(3, "{\"a\": [[0], [], []]}", "the top level is an object '{', not a list");
	BAD(3, "\"x\"", "the top level is a string, not a list");
	BAD(3, "[1, 2, 3]", "column 2 (byte 1): entry 0 (ILSVRC2012_val_00000001.JPEG): "
	    "expected a list of class indices, found '1'");
	BAD(3, "[[0], {}, []]", "entry 1 (ILSVRC2012_val_00000002.JPEG): expected a list of "
	    "class indices, found an object");
	BAD(3, "[[\"n01440764\"], [], []]", "entry 0 (ILSVRC2012_val_00000001.JPEG): expected a "
	    "class index (an integer), found a string");
	BAD(3, "[[[1]], [], []]", "expected a class index (an integer), found '['");
	BAD(3, "[[1.0], [], []]", "class index 1... is not an integer");
	BAD(3, "[[1e0], [], []]", "is not an integer");
	BAD(3, "[[-1], [], []]", "found '-'");
	BAD(3, "[[01], [], []]", "leading zero");
	BAD(3, "[[1,], [], []]", "column 5 (byte 4): entry 0 (ILSVRC2012_val_00000001.JPEG): "
	    "expected a class index (an integer), found ']'");
	BAD(3, "[[1 2], [], []]", "expected ',' or ']' after a class index, found '2'");
	BAD(3, "[[1], [], []", "expected ',' or ']' after entry 2, found the end of the file");
	BAD(3, "[[1] [], []]", "expected ',' or ']' after entry 0, found '['");
	BAD(3, "[[1], [], [],]", "entry 3: more lists");
	BAD(3, "[[1], [], []] []", "column 15 (byte 14): unexpected '[' after the list");
	BAD(3, "[[1], [], []]\x01", "unexpected byte 0x01 after the list");
	BAD(3, "[[1", "found the end of the file");
	BAD(3, "[[1], [], [null]]", "found 'n'");
}

/* No classes (no labels nor classes file): every index is out of range. */
static void test_no_classes(void)
{
	struct imlfs_model m;
	struct imlfs_error err;

	make_model(&m, 1, 0);
	CHECK_EQ(parse(&m, "[[]]", &err), 0);
	CHECK_EQ(parse(&m, "[[0]]", &err), -1);
	CHECK(strstr(err.msg, "this mount has no classes; give --labels or --classes") != NULL);
	imlfs_model_free(&m);
}

/* Through the loader (load.h), as a mount reads it: the file's errors,
 * and its MD5 noted for the README only when it was parsed. */
static void test_files(void)
{
	static const char text[] = "[[1, 0], [4]]\n";
	struct imlfs_model m;
	struct imlfs_error err = { 0 };
	uint8_t md5[IMLFS_MD5_LEN];

	make_model(&m, 2, 5);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, tu_path("none.json"), &err), -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK(strstr(err.msg, "none.json: cannot open the ReaL labels file") != NULL);
	CHECK(strstr(err.msg, "check the --real path") != NULL);
	memset(&err, 0, sizeof err);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, tu_tmpdir(), &err), -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK(strstr(err.msg, "give the path of real.json") != NULL);
	memset(&err, 0, sizeof err);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, tu_write("empty.json", ""), &err), -1);
	CHECK_EQ(err.code, IMLFS_E_REAL);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, tu_write("bad.json", "[[9], []]"), &err), -1);
	CHECK_EQ(err.code, IMLFS_E_REAL);
	CHECK_EQ(m.md5.have, 0);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, tu_write("real.json", text), &err), 0);
	CHECK_STR(run(&m, 0), "0 1");
	CHECK_STR(run(&m, 1), "4");
	imlfs_md5_buf(text, strlen(text), md5);
	CHECK_EQ(m.md5.have, 1u << IMLFS_ROLE_REAL);
	CHECK(!memcmp(m.md5.md5[IMLFS_ROLE_REAL], md5, sizeof md5));
	/* The tarball is indexed from its descriptor, never parsed from bytes. */
	memset(&err, 0, sizeof err);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_TARBALL, tu_path("real.json"), &err), -1);
	CHECK_EQ(err.code, IMLFS_E_INTERNAL);
	imlfs_model_free(&m);
}

/* The real file: 50,000 lists, 3,163 of them empty, 1,000 classes. */
static int test_real_file(const char *path)
{
	struct imlfs_model m;
	struct imlfs_error err = { 0 };
	uint32_t empty = 0, multi = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("SKIP: %s is not here\n", path);
		return 77;
	}
	fclose(f);
	make_model(&m, 50000, 1000);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, path, &err), 0);
	CHECK_STR(err.msg, "");
	for (uint32_t i = 0; i < m.nmembers && m.nsets; i++) {
		const uint16_t *v;
		uint32_t n = imlfs_real_labels(&m, i, &v);

		empty += n == 0;
		multi += n > 1;
		for (uint32_t k = 1; k < n; k++)
			CHECK(v[k - 1] < v[k]);
	}
	CHECK_EQ(empty, 3163);
	CHECK(multi > 0);
	/* the file's first entries: [], [970, 795], [230, 231] */
	CHECK_STR(run(&m, 0), "");
	CHECK_STR(run(&m, 1), "795 970");
	CHECK_STR(run(&m, 2), "230 231");
	imlfs_model_free(&m);
	/* against a tarball of another size */
	make_model(&m, 49999, 1000);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_REAL, path, &err), -1);
	CHECK(strstr(err.msg, "entry 49999: more lists than the tarball's 49999 images") != NULL);
	imlfs_model_free(&m);
	return tu_done();
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--real-file"))
		return test_real_file(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test-real [--real-file PATH]\n");
		return 2;
	}
	test_good();
	test_bad();
	test_no_classes();
	test_files();
	return tu_done();
}
