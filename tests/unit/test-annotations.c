/* SPDX-License-Identifier: MIT */
/* test-annotations.c — annotations.c: multi-label runs, flags and counts
 * from a small annotation file, with and without a class list, and every
 * error with its file, line and kind. */
#include <stdlib.h>
#include <string.h>

#include "imlfs/annotations.h"
#include "imlfs/load.h"
#include "testutil.h"

static const char *const names4[] = {
	"ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG",
	"ILSVRC2012_val_00000003.JPEG", "ILSVRC2012_val_00000004.JPEG",
};

static const char *const wn5[] = {"n01000000", "n02000000", "n03000000", "n04000000", "n05000000"};

static void add_classes(struct imlfs_model *m, const char *const *wnids, int n)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ(imlfs_model_add_class(m, wnids[i], 9, wnids[i], 9), i);
	m->have |= IMLFS_HAVE_CLASSES;
	CHECK_EQ(imlfs_model_finish(m), 0);
}

static const char good[] =
	"{\n"
	"  \"other_stuff\": {\"big\": [1, 2.5, \"x\", {\"initial_annots\": 3}], \"z\": null},\n"
	"  \"initial_annots\": {\n"
	"    \"ILSVRC2012_val_00000003.JPEG\": {\"wrong\": [\"n05000000\", \"n01000000\", \"n05000000\"],\n"
	"                                      \"correct\": [\"n04000000\", \"n02000000\", \"n04000000\"]},\n"
	"    \"ILSVRC2012_val_00000001.JPEG\": {\"correct\": [\"n03000000\"], \"unclear\": [\"n02000000\"],"
	" \"notes\": 7},\n"
	"    \"ILSVRC2012_val_00000004\": {},\n"
	"    \"ILSVRC2012_val_00000099.JPEG\": {\"correct\": [\"n01000000\"]},\n"
	"    \"imagenetv2/n01440764/abc.jpeg\": {\"correct\": [\"n99999999\", \"junk\"]}\n"
	"  },\n"
	"  \"problematic_images\": {\n"
	"    \"ILSVRC2012_val_00000003.JPEG\": {\"reason\": \"x\"},\n"
	"    \"ILSVRC2012_val_00000001\": {},\n"
	"    \"ILSVRC2012_val_00000002.JPEG\": {},\n"
	"    \"ILSVRC2012_val_00000098.JPEG\": {}\n"
	"  },\n"
	"  \"imagenet_m\": [\"ILSVRC2012_val_00000001.JPEG\", \"ILSVRC2012_val_00000097.JPEG\"],\n"
	"  \"trailing\": [[[]]]\n"
	"}\n";

static void check_good(const struct imlfs_model *m)
{
	const struct imlfs_member *mb = m->members;

	CHECK_EQ(m->nml, 6);
	/* 1: correct {n03}, unclear {n02}; problematic too (the first member,
	 * index 0, is found like any other) */
	CHECK_EQ(mb[0].flags, IMLFS_M_ANNOTATED | IMLFS_M_IMAGENET_M | IMLFS_M_PROBLEMATIC);
	CHECK_EQ(mb[0].n_correct, 1);
	CHECK_EQ(mb[0].n_unclear, 1);
	CHECK_EQ(mb[0].n_wrong, 0);
	CHECK_EQ(m->ml[mb[0].ml], 2);
	CHECK_EQ(m->ml[mb[0].ml + 1], 1);
	/* 2: problematic only */
	CHECK_EQ(mb[1].flags, IMLFS_M_PROBLEMATIC);
	CHECK_EQ(mb[1].n_correct + mb[1].n_unclear + mb[1].n_wrong, 0);
	/* 3: correct {n02, n04}, wrong {n01, n05}, sorted, no duplicates */
	CHECK_EQ(mb[2].flags, IMLFS_M_ANNOTATED | IMLFS_M_PROBLEMATIC);
	CHECK_EQ(mb[2].n_correct, 2);
	CHECK_EQ(mb[2].n_unclear, 0);
	CHECK_EQ(mb[2].n_wrong, 2);
	CHECK_EQ(mb[2].ml, mb[0].ml + 2);
	CHECK_EQ(m->ml[mb[2].ml + 0], 1);
	CHECK_EQ(m->ml[mb[2].ml + 1], 3);
	CHECK_EQ(m->ml[mb[2].ml + 2], 0);
	CHECK_EQ(m->ml[mb[2].ml + 3], 4);
	/* 4: annotated (key without extension), no labels at all */
	CHECK_EQ(mb[3].flags, IMLFS_M_ANNOTATED);
	CHECK_EQ(mb[3].n_correct + mb[3].n_unclear + mb[3].n_wrong, 0);

	CHECK_EQ(m->stats.annots_total, 5);
	CHECK_EQ(m->stats.annots_other, 1);
	CHECK_EQ(m->stats.annots_not_in_tar, 1);
	CHECK_EQ(m->stats.problematic_total, 4);
	CHECK_EQ(m->stats.problematic_not_in_tar, 1);
	CHECK_EQ(m->stats.imagenet_m_total, 2);
	CHECK_EQ(m->stats.imagenet_m_not_in_tar, 1);
	CHECK(m->have & IMLFS_HAVE_ANNOTATIONS);
	CHECK(m->have & IMLFS_HAVE_IMAGENET_M);
}

static void test_good(void)
{
	struct imlfs_model m;
	struct imlfs_error e = {0};
	const char *p = tu_write("good.json", good);

	/* With classes n01..n05: indices 0..4. */
	tu_model(&m, names4, 4);
	add_classes(&m, wn5, 5);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_ANNOTATIONS, p, &e), 0);
	CHECK_EQ(e.code, 0);
	check_good(&m);
	imlfs_model_free(&m);

	/* Without classes: the same five, from the val entries (not ImageNetV2's,
	 * but including those whose images are not in the tar). */
	tu_model(&m, names4, 4);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_ANNOTATIONS, p, &e), 0);
	CHECK_EQ(m.nclasses, 5);
	for (int c = 0; c < 5; c++)
		CHECK_STR(imlfs_class_wnid(&m, (uint32_t)c), wn5[c]);
	CHECK_STR(imlfs_class_name(&m, 4), "n05000000");
	check_good(&m);
	imlfs_model_free(&m);

	/* The older human_accuracy_fixed.json: no imagenet_m; CRLF and a BOM. */
	tu_model(&m, names4, 4);
	add_classes(&m, wn5, 5);
	p = tu_write("old.json", "\xef\xbb\xbf{\"problematic_images\": {}, \r\n\"initial_annots\": "
		     "{\"ILSVRC2012_val_00000002.JPEG\": {\"unclear\": [\"n05000000\", \"n01000000\"]}}}\r\n");
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_ANNOTATIONS, p, &e), 0);
	CHECK(!(m.have & IMLFS_HAVE_IMAGENET_M));
	CHECK(m.have & IMLFS_HAVE_ANNOTATIONS);
	CHECK_EQ(m.members[1].flags, IMLFS_M_ANNOTATED);
	CHECK_EQ(m.members[1].n_unclear, 2);
	CHECK_EQ(m.ml[m.members[1].ml], 0);
	CHECK_EQ(m.ml[m.members[1].ml + 1], 4);
	CHECK_EQ(m.members[0].flags, 0);
	CHECK_EQ(m.stats.imagenet_m_total, 0);
	imlfs_model_free(&m);
}

static void expect(const char *name, const char *text, int with_classes, int code,
		   const char *frag1, const char *frag2, int line)
{
	struct imlfs_model m;
	struct imlfs_error e = {0};
	const char *p = text ? tu_write(name, text) : tu_path(name);
	int rc;

	tu_model(&m, names4, 4);
	if (with_classes)
		add_classes(&m, wn5, 5);
	rc = imlfs_load_input(&m, IMLFS_ROLE_ANNOTATIONS, p, &e);
	if (rc != -1 || e.code != code || !strstr(e.msg, p) || (frag1 && !strstr(e.msg, frag1)) ||
	    (frag2 && !strstr(e.msg, frag2))) {
		fprintf(stderr, "line %d: rc %d code %d (want %d) msg: %s\n  want: %s / %s\n", line, rc,
			e.code, code, e.msg, frag1 ? frag1 : "", frag2 ? frag2 : "");
		tu_failures++;
	}
	imlfs_model_free(&m);
}
#define EXPECT(name, text, cl, code, f1, f2) expect(name, text, cl, code, f1, f2, __LINE__)

static void test_errors(void)
{
	EXPECT("absent.json", NULL, 1, IMLFS_E_MISSING, "cannot open", NULL);
	EXPECT("", NULL, 1, IMLFS_E_MISSING, "Is a directory", NULL); /* the tmpdir itself */
	EXPECT("empty.json", "", 1, IMLFS_E_JSON, "line 1, column 1: empty", "not the annotation JSON");
	EXPECT("array.json", "\n [1]", 1, IMLFS_E_JSON, "line 2, column 2: top level is not an object",
	       NULL);
	EXPECT("syntax.json", "{\"initial_annots\": {},\n  \"problematic_images\": {\"a\": [1,,2]}}", 1,
	       IMLFS_E_JSON, "line 2, column 34: unexpected character", "damaged");
	/* Errors after the used members are still found. */
	EXPECT("late.json", "{\"initial_annots\": {}, \"problematic_images\": {},\n\n\"x\": \"a\tb\"}", 1,
	       IMLFS_E_JSON, "line 3, column 8: control character", NULL);
	/* Only jansson objects to this one; its place is in the file. */
	EXPECT("bigint.json", "{\"initial_annots\": {},\n \"problematic_images\": {\"x\": "
	       "{\"n\": 123456789012345678901234567890}}}", 1, IMLFS_E_JSON, "line 2, column", "integer");
	EXPECT("noannots.json", "{\"problematic_images\": {}}", 1, IMLFS_E_SCHEMA,
	       "no \"initial_annots\" key", NULL);
	EXPECT("noprob.json", "{\"initial_annots\": {}}", 1, IMLFS_E_SCHEMA,
	       "no \"problematic_images\" key", NULL);
	EXPECT("annotsarr.json", "{\"problematic_images\": {},\n \"initial_annots\": []}", 1,
	       IMLFS_E_SCHEMA, "line 2: \"initial_annots\" is not an object", NULL);
	EXPECT("probarr.json", "{\"initial_annots\": {},\n\n \"problematic_images\": 3}", 1,
	       IMLFS_E_SCHEMA, "line 3: \"problematic_images\" is not an object", NULL);
	EXPECT("mobj.json", "{\"initial_annots\": {}, \"problematic_images\": {},\n \"imagenet_m\": {}}", 1,
	       IMLFS_E_SCHEMA, "line 2: \"imagenet_m\" is not an array", NULL);
	EXPECT("mitem.json", "{\"initial_annots\": {}, \"problematic_images\": {},\n \"imagenet_m\": "
	       "[\"ILSVRC2012_val_00000001.JPEG\", 5]}", 1, IMLFS_E_SCHEMA,
	       "line 2: \"imagenet_m\" entry 1 is not an image name", NULL);
	EXPECT("entry.json", "{\"problematic_images\": {}, \"initial_annots\": {\n"
	       "\"ILSVRC2012_val_00000001.JPEG\": {},\n\"ILSVRC2012_val_00000099.JPEG\": [\"n01000000\"]}}",
	       1, IMLFS_E_SCHEMA, "line 3: image ILSVRC2012_val_00000099.JPEG: the value is not an object",
	       NULL);
	EXPECT("run.json", "{\"problematic_images\": {}, \"initial_annots\": {\n"
	       "\"ILSVRC2012_val_00000001.JPEG\": {},\n\n\"ILSVRC2012_val_00000002.JPEG\": "
	       "{\"wrong\": \"n01000000\"}}}", 1, IMLFS_E_SCHEMA,
	       "line 4: image ILSVRC2012_val_00000002.JPEG: \"wrong\" is not an array", NULL);
	EXPECT("runitem.json", "{\"problematic_images\": {}, \"initial_annots\": {\n"
	       "\"ILSVRC2012_val_00000002.JPEG\": {\"correct\": [\"n01000000\", null]}}}", 1,
	       IMLFS_E_SCHEMA, "line 2: image ILSVRC2012_val_00000002.JPEG: \"correct\" is not an array",
	       NULL);
	EXPECT("wnid.json", "{\"problematic_images\": {}, \"initial_annots\": {\n"
	       "\"ILSVRC2012_val_00000002.JPEG\": {\"correct\": [\"n01000000\"],\n"
	       "  \"wrong\": [\"n02000000\",\n   \"n07000000\"]}}}", 1, IMLFS_E_WNID,
	       "line 4: image ILSVRC2012_val_00000002.JPEG: wnid n07000000 is not among the 5 classes",
	       "use the classes file");
	/* Without a class list the annotations' own wnids must be wnids. */
	EXPECT("notwnid.json", "{\"problematic_images\": {}, \"initial_annots\": {\n"
	       "\"ILSVRC2012_val_00000002.JPEG\": {\"correct\": [\"n01000000\"],\n"
	       "  \"wrong\": [\"dog\"]}}}", 0, IMLFS_E_WNID,
	       "line 3: image ILSVRC2012_val_00000002.JPEG: \"dog\" is not a WordNet id", NULL);
}

/* Classes that came from the labels (no classes file) and miss a wnid. */
static void test_derived_classes(void)
{
	struct imlfs_model m;
	struct imlfs_error e = {0};
	const char *p = tu_write("d.json", "{\"problematic_images\": {}, \"initial_annots\": {"
				 "\"ILSVRC2012_val_00000001.JPEG\": {\"correct\": [\"n03000000\"]}}}");

	tu_model(&m, names4, 4);
	CHECK_EQ(imlfs_model_add_class(&m, "n01000000", 9, "n01000000", 9), 0);
	CHECK_EQ(imlfs_model_finish(&m), 0);
	CHECK_EQ(imlfs_load_input(&m, IMLFS_ROLE_ANNOTATIONS, p, &e), -1);
	CHECK_EQ(e.code, IMLFS_E_WNID);
	CHECK(strstr(e.msg, "line 1: image ILSVRC2012_val_00000001.JPEG: wnid n03000000") != NULL);
	CHECK(strstr(e.msg, "--classes FILE") != NULL);
	imlfs_model_free(&m);
}

int main(void)
{
	test_good();
	test_errors();
	test_derived_classes();
	return tu_done();
}
