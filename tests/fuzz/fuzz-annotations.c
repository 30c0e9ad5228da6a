/* SPDX-License-Identifier: MIT */
/* fuzz-annotations.c — the annotation loader (annotations.c) and the JSON
 * scanner under it (jsonscan.c) over arbitrary bytes given as the
 * annotation file: syntax checking without allocation, the hand-off of
 * member extents to jansson, the schema checks and the conversion into
 * multi-labels, once with the fixed classes and once without any (the
 * classes then come from the file's wnids).  The scanner's own result on
 * the bytes is also compared with jansson's: any object jansson accepts
 * (nested at most as deep as the scanner allows) the scanner must accept,
 * or a valid annotation file would be refused.  Texts with a NUL byte are
 * left out (jansson takes `{"a":1<NUL>}` for an object; RFC 8259 does not).
 * The converse does not hold: jansson also refuses numbers it cannot store
 * and lone surrogates. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/annotations.h"
#include "imlfs/jsonscan.h"

static int count(void *ctx, const struct imlfs_json_member *mem)
{
	size_t *len = ctx;

	/* every member lies within the text */
	if (mem->value_off > len[0] || mem->value_len > len[0] - mem->value_off ||
	    mem->key_len > len[0])
		abort();
	len[1]++;
	return 0;
}

/* Deepest nesting of containers, outside strings. */
static size_t depth(const uint8_t *t, size_t n)
{
	size_t d = 0, max = 0;
	int in_str = 0;

	for (size_t i = 0; i < n; i++) {
		if (in_str) {
			if (t[i] == '\\')
				i++;
			else if (t[i] == '"')
				in_str = 0;
		} else if (t[i] == '"') {
			in_str = 1;
		} else if (t[i] == '{' || t[i] == '[') {
			if (++d > max)
				max = d;
		} else if ((t[i] == '}' || t[i] == ']') && d) {
			d--;
		}
	}
	return max;
}

static void load(const uint8_t *data, size_t size, int with_classes)
{
	struct imlfs_model m;
	struct imlfs_error err = { 0 };

	fz_model(&m, with_classes);
	if (imlfs_annotations_parse(&m, "fuzz.json", (const char *)data, size, &err) == 0) {
		/* every stored multi-label names a class */
		for (uint32_t j = 0; j < m.nml; j++)
			if (m.ml[j] >= m.nclasses)
				abort();
	} else if (!err.code || !err.msg[0]) {
		abort();
	}
	imlfs_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ctx[2] = { size, 0 }, off = 0;
	const char *what = NULL;
	int rc = imlfs_json_scan((const char *)data, size, count, ctx, &off, &what);
	json_t *j;

	if (rc == -1 && (!what || off > size))
		abort();
	j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, NULL);
	if (j && json_is_object(j) && rc != 0 && depth(data, size) <= 1000 &&
	    !memchr(data, 0, size)) {
		fprintf(stderr, "jansson accepts, the scanner refuses at byte %zu: %s\n", off, what);
		abort();
	}
	json_decref(j);
	load(data, size, 1);
	load(data, size, 0);
	return 0;
}
