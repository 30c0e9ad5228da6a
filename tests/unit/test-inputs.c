/* SPDX-License-Identifier: MIT */
/* test-inputs.c — the table of roles (roles.c) and the inputs resolved by
 * it (inputs.c): defaults found beside the tarball, first name first; a
 * given file over a found one; "beside" the name given, not a link's
 * target; errors in role order, naming the file and what it is. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/inputs.h"
#include "imlfs/md5.h"
#include "testutil.h"

/* Every role but the tarball can be given, found and missed; every
 * published digest is one. */
static void test_table(void)
{
	uint8_t md5[IMLFS_MD5_LEN];

	CHECK(imlfs_roles[IMLFS_ROLE_TARBALL].option == NULL);
	CHECK(imlfs_roles[IMLFS_ROLE_TARBALL].absent == NULL);
	for (int r = 0; r < IMLFS_NROLES; r++) {
		const struct imlfs_role_info *ri = &imlfs_roles[r];

		CHECK(ri->name && ri->file);
		CHECK(!strcmp(imlfs_role_name(r), ri->name));
		if (IMLFS_ROLE_IS_SET(r))   /* by --labelset NAME=FILE, found by inputs.c */
			CHECK(!strcmp(ri->option, "labelset") && !ri->absent && !ri->beside[0]);
		else if (r != IMLFS_ROLE_TARBALL)
			CHECK(ri->option && ri->absent && ri->beside[0]);
		for (int i = 0; i < IMLFS_ROLE_MAX_PUBLISHED; i++)
			if (ri->published[i].name)
				CHECK_EQ(imlfs_md5_parse(ri->published[i].md5, 32, md5), 0);
	}
	CHECK_STR(imlfs_role_name(IMLFS_NROLES), "?");
	CHECK_STR(imlfs_role_name(-1), "?");
}

static int resolve(struct imlfs_inputs *in, const char *tarball, const char *annotations,
		   const char *labels, const char *classes, const char *real,
		   struct imlfs_error *err)
{
	const char *given[IMLFS_NROLES] = {
		[IMLFS_ROLE_TARBALL] = tarball, [IMLFS_ROLE_ANNOTATIONS] = annotations,
		[IMLFS_ROLE_LABELS] = labels, [IMLFS_ROLE_CLASSES] = classes,
		[IMLFS_ROLE_REAL] = real };

	memset(err, 0, sizeof *err);
	return imlfs_inputs_resolve(in, given, err);
}

static void test_beside(void)
{
	struct imlfs_inputs in;
	struct imlfs_error err;
	char *tar = strdup(tu_write("val.tar", "tar"));
	char *mine = strdup(tu_write("mine.txt", "n01440764\n"));

	CHECK_EQ(resolve(&in, tar, NULL, NULL, NULL, NULL, &err), 0);
	CHECK_STR(in.tarball, tar);
	CHECK(!in.annotations && !in.labels && !in.classes && !in.real);
	for (int r = 0; r < IMLFS_NROLES; r++)
		CHECK(!in.beside[r]);
	imlfs_inputs_free(&in);

	/* The first name of each role's list wins; an empty option is none. */
	tu_write("human_accuracy_fixed.json", "{}");
	tu_write("human_accuracy_v3.0.0.json", "{}");
	tu_write("val.txt", "x 1\n");
	tu_write("synset_words.txt", "n01440764 tench\n");
	tu_write("class_info.json", "[]");
	tu_write("real.json", "[]");
	CHECK_EQ(resolve(&in, tar, "", NULL, NULL, NULL, &err), 0);
	CHECK_STR(in.annotations, tu_path("human_accuracy_v3.0.0.json"));
	CHECK_STR(in.labels, tu_path("val.txt"));
	CHECK_STR(in.classes, tu_path("class_info.json"));
	CHECK_STR(in.real, tu_path("real.json"));
	CHECK(!in.beside[IMLFS_ROLE_TARBALL]);
	for (int r = 1; r < IMLFS_ROLE_SET0; r++)
		CHECK(in.beside[r]);
	CHECK(in.path[IMLFS_ROLE_LABELS] == in.labels);
	imlfs_inputs_free(&in);

	/* A given file wins over the one beside. */
	CHECK_EQ(resolve(&in, tar, NULL, mine, NULL, NULL, &err), 0);
	CHECK_STR(in.labels, mine);
	CHECK(!in.beside[IMLFS_ROLE_LABELS] && in.beside[IMLFS_ROLE_CLASSES]);
	imlfs_inputs_free(&in);
	free(mine);
	free(tar);
}

/* Beside the link's name: a folder of links picks the inputs. */
static void test_link(void)
{
	struct imlfs_inputs in;
	struct imlfs_error err;
	char *dir = strdup(tu_path("links"));
	char link[PATH_MAX];

	CHECK_EQ(mkdir(dir, 0700), 0);
	snprintf(link, sizeof link, "%s/val.tar", dir);
	CHECK_EQ(symlink(tu_path("val.tar"), link), 0);
	CHECK_EQ(resolve(&in, link, NULL, NULL, NULL, NULL, &err), 0);
	CHECK_STR(in.tarball, tu_path("val.tar"));   /* absolute, the link resolved */
	CHECK(!in.annotations && !in.labels && !in.classes && !in.real);
	imlfs_inputs_free(&in);
	free(dir);
}

static void test_errors(void)
{
	struct imlfs_inputs in;
	struct imlfs_error err;
	const char *tar = tu_path("val.tar");
	char want[PATH_MAX + 64];

	/* The first missing file in role order is the one named. */
	CHECK_EQ(resolve(&in, tar, NULL, tu_path("no-labels"), NULL, tu_path("no-real"), &err), -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	snprintf(want, sizeof want, "%s: cannot open the labels file: ", tu_path("no-labels"));
	CHECK(strstr(err.msg, want) == err.msg);
	CHECK(strstr(err.msg, "; check the path") != NULL);
	/* nothing is left owned on failure */
	for (int r = 0; r < IMLFS_NROLES; r++)
		CHECK(in.path[r] == NULL);

	CHECK_EQ(resolve(&in, tar, NULL, NULL, NULL, tu_path("no-real"), &err), -1);
	CHECK(strstr(err.msg, "cannot open the ReaL labels file") != NULL);
	CHECK_EQ(resolve(&in, tu_path("no.tar"), NULL, NULL, NULL, NULL, &err), -1);
	CHECK(strstr(err.msg, "no.tar: cannot open the tarball: ") != NULL);
	CHECK_EQ(resolve(&in, tar, tu_tmpdir(), NULL, NULL, NULL, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK(strstr(err.msg, "the annotation file is not a regular file but a directory; "
		      "name the file inside it") != NULL);
}

/* The label sets' slots: the given NAME=FILE in order, then the files
 * found beside the tarball under their names unless a set of that name is
 * given, within IMLFS_LABELSETS_MAX with ReaL's; bad specs and names. */
static void test_sets(void)
{
	char dir[PATH_MAX], tar[PATH_MAX + 16], spec[IMLFS_LABELSETS_MAX + 1][PATH_MAX + 32];
	const char *given[IMLFS_NROLES] = { 0 };
	struct imlfs_inputs in;
	struct imlfs_error err = { 0 };

	snprintf(dir, sizeof dir, "%s", tu_path("sets"));
	CHECK_EQ(mkdir(dir, 0700), 0);
	snprintf(tar, sizeof tar, "%s/val.tar", dir);
	tu_write("sets/val.tar", "tar");
	tu_write("sets/imagenet_mturk.json", "[]");
	tu_write("sets/clean_validation.csv", "id,proposed_labels\n");
	tu_write("sets/mine.tsv", "x\t1\n");
	given[IMLFS_ROLE_TARBALL] = tar;
	snprintf(spec[0], sizeof spec[0], "mine=%s/mine.tsv", dir);
	snprintf(spec[1], sizeof spec[1], "flaws=%s/mine.tsv", dir);
	given[IMLFS_ROLE_SET0] = spec[0];
	given[IMLFS_ROLE_SET0 + 1] = spec[1];
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), 0);
	CHECK_STR(in.setname[0], "mine");
	CHECK_STR(in.setname[1], "flaws");   /* given: clean_validation.csv is not used */
	CHECK_STR(in.setname[2], "mturk");
	CHECK(in.setname[3] == NULL && in.path[IMLFS_ROLE_SET0 + 3] == NULL);
	CHECK_STR(in.path[IMLFS_ROLE_SET0 + 1], tu_path("sets/mine.tsv"));
	CHECK_STR(in.path[IMLFS_ROLE_SET0 + 2], tu_path("sets/imagenet_mturk.json"));
	CHECK(!in.beside[IMLFS_ROLE_SET0] && in.beside[IMLFS_ROLE_SET0 + 2]);
	imlfs_inputs_free(&in);
	/* the two beside, none given */
	given[IMLFS_ROLE_SET0] = given[IMLFS_ROLE_SET0 + 1] = NULL;
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), 0);
	CHECK_STR(in.setname[0], "mturk");
	CHECK_STR(in.setname[1], "flaws");
	imlfs_inputs_free(&in);
	/* the name twice, a bad spec, a bad name, a missing file */
	given[IMLFS_ROLE_SET0] = given[IMLFS_ROLE_SET0 + 1] = spec[0];
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_USAGE);
	CHECK(strstr(err.msg, "the name mine is given twice") != NULL);
	for (int r = 0; r < IMLFS_NROLES; r++)
		CHECK(in.path[r] == NULL);
	given[IMLFS_ROLE_SET0 + 1] = "nofile";
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), -1);
	CHECK(strstr(err.msg, "expected NAME=FILE") != NULL);
	given[IMLFS_ROLE_SET0 + 1] = "Top=x";
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), -1);
	CHECK(strstr(err.msg, "\"Top\" cannot name a label set") != NULL);
	given[IMLFS_ROLE_SET0 + 1] = "other=/nonexistent";
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK(strstr(err.msg, "/nonexistent: cannot open the label set file") != NULL);
	/* eight given and ReaL's: one too many; without ReaL's, none found beside */
	for (int k = 0; k < IMLFS_LABELSETS_MAX; k++) {
		snprintf(spec[k], sizeof spec[k], "s%d=%s/mine.tsv", k, dir);
		given[IMLFS_ROLE_SET0 + k] = spec[k];
	}
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), 0);
	CHECK_STR(in.setname[7], "s7");
	imlfs_inputs_free(&in);
	tu_write("sets/real.json", "[]");
	CHECK_EQ(imlfs_inputs_resolve(&in, given, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_USAGE);
	CHECK(strstr(err.msg, "more than 8 label sets with ReaL's real.json") != NULL);
}

int main(void)
{
	test_table();
	test_beside();
	test_link();
	test_errors();
	test_sets();
	return tu_done();
}
