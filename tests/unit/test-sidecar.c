/* SPDX-License-Identifier: MIT */
/* test-sidecar.c — the exact sidecar text, and JSON string escaping. */
#include <stdlib.h>
#include <string.h>

#include "imlfs/sidecar.h"
#include "testutil.h"

/* Pins imlfs_buf_json_string's escapes (class names go into JSON strings):
 * every control character, 0x01 to 0x1f, is escaped as \u00XX, and nothing
 * from 0x20 up but '"' and '\\'. */
static void test_json_string_controls(void)
{
	struct imlfs_buf b = {0};
	char in[2] = {0}, want[16];

	for (int c = 1; c < 0x80; c++) {
		in[0] = (char)c;
		b.len = 0;
		CHECK_EQ(imlfs_buf_json_string(&b, in), 0);
		if (c < 0x20)
			snprintf(want, sizeof want, "\"\\u%04x\"", c);
		else if (c == '"' || c == '\\')
			snprintf(want, sizeof want, "\"\\%c\"", c);
		else
			snprintf(want, sizeof want, "\"%c\"", c);
		if (!b.p || b.len != strlen(want) || memcmp(b.p, want, b.len)) {
			fprintf(stderr, "json string of byte 0x%02x: %.*s, expected %s\n", c,
				(int)b.len, b.p ? b.p : "", want);
			tu_failures++;
		}
	}
	imlfs_buf_free(&b);
}

int main(void)
{
	struct imlfs_model m = { 0 };
	struct imlfs_buf pool = { 0 }, b = { 0 };
	static const uint16_t ml[] = { 1, 0, 2, 0 };

	m.nmembers = 2;
	m.members = calloc(2, sizeof *m.members);
	imlfs_buf_addstr(&pool, "a\"b.JPEG", 8, &m.members[0].name);
	imlfs_buf_addstr(&pool, "plain.JPEG", 10, &m.members[1].name);
	m.names = pool.p;
	imlfs_model_add_class(&m, "n00000001", 9, "tench, Tinca tinca", 18);
	imlfs_model_add_class(&m, "n00000002", 9, "back\\slash", 10);
	imlfs_model_add_class(&m, "n00000003", 9, "tab\there", 8);
	m.ml = malloc(sizeof ml);
	memcpy(m.ml, ml, sizeof ml);
	m.members[0] = (struct imlfs_member){ .name = m.members[0].name, .label = 1, .ml = 0,
		.n_correct = 1, .n_unclear = 1, .n_wrong = 2, .width = 500, .height = 375,
		.components = 1, .flags = IMLFS_M_ANNOTATED | IMLFS_M_PROBLEMATIC };
	m.members[1].label = IMLFS_NO_LABEL;

	CHECK_EQ(imlfs_sidecar_render(&m, 0, &b), 0);
	CHECK_STR(b.p, "{\n"
		"  \"file_name\": \"a\\\"b.JPEG\",\n"
		"  \"original_label\": 1,\n"
		"  \"original_wnid\": \"n00000002\",\n"
		"  \"original_name\": \"back\\\\slash\",\n"
		"  \"correct_multi_labels\": [1],\n"
		"  \"unclear_multi_labels\": [0],\n"
		"  \"wrong_multi_labels\": [2, 0],\n"
		"  \"real_labels\": null,\n"
		"  \"is_problematic\": true,\n"
		"  \"in_imagenet_m\": false,\n"
		"  \"annotated\": true,\n"
		"  \"width\": 500,\n"
		"  \"height\": 375,\n"
		"  \"components\": 1\n"
		"}\n");
	CHECK_EQ(b.len, strlen(b.p));

	/* no label, no annotation, unreadable JPEG: nulls and empty lists */
	CHECK_EQ(imlfs_sidecar_render(&m, 1, &b), 0);
	CHECK_STR(b.p, "{\n"
		"  \"file_name\": \"plain.JPEG\",\n"
		"  \"original_label\": null,\n"
		"  \"original_wnid\": null,\n"
		"  \"original_name\": null,\n"
		"  \"correct_multi_labels\": [],\n"
		"  \"unclear_multi_labels\": [],\n"
		"  \"wrong_multi_labels\": [],\n"
		"  \"real_labels\": null,\n"
		"  \"is_problematic\": false,\n"
		"  \"in_imagenet_m\": false,\n"
		"  \"annotated\": false,\n"
		"  \"width\": null,\n"
		"  \"height\": null,\n"
		"  \"components\": null\n"
		"}\n");

	/* With a ReaL file: the list, ascending, and [] for an empty one. */
	tu_add_set(&m, "real", IMLFS_LS_REAL, "[[2, 0, 1], []]");
	CHECK_EQ(imlfs_sidecar_render(&m, 0, &b), 0);
	CHECK(strstr(b.p, "  \"wrong_multi_labels\": [2, 0],\n"
		     "  \"real_labels\": [0, 1, 2],\n  \"is_problematic\": true,\n") != NULL);
	CHECK_EQ(imlfs_sidecar_render(&m, 1, &b), 0);
	CHECK(strstr(b.p, "  \"real_labels\": [],\n") != NULL);

	/* Another set: its key after ReaL's, null for an image left out. */
	CHECK_EQ(imlfs_model_finish(&m), 0);   /* the TSV finds its images by name */
	tu_add_set(&m, "mine", 0, "plain.JPEG\t2,1\n");
	CHECK_EQ(imlfs_sidecar_render(&m, 1, &b), 0);
	CHECK(strstr(b.p, "  \"real_labels\": [],\n  \"mine_labels\": [1, 2],\n"
		     "  \"is_problematic\"") != NULL);
	CHECK_EQ(imlfs_sidecar_render(&m, 0, &b), 0);
	CHECK(strstr(b.p, "  \"real_labels\": [0, 1, 2],\n  \"mine_labels\": null,\n") != NULL);
	/* without ReaL's: its key null all the same */
	tu_drop_sets(&m);
	tu_add_set(&m, "mine", 0, "plain.JPEG\t2,1\n");
	CHECK_EQ(imlfs_sidecar_render(&m, 1, &b), 0);
	CHECK(strstr(b.p, "  \"real_labels\": null,\n  \"mine_labels\": [1, 2],\n") != NULL);

	b.len = 0;
	imlfs_buf_json_string(&b, imlfs_class_name(&m, 2));
	CHECK_STR(b.p, "\"tab\\u0009here\"");

	imlfs_buf_free(&b);
	imlfs_model_free(&m);
	test_json_string_controls();
	return tu_done();
}
