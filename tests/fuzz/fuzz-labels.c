/* SPDX-License-Identifier: MIT */
/* fuzz-labels.c — the labels reader (labels.c) over arbitrary bytes given
 * as the labels file: form detection (one wnid per line or "FILE LABEL"),
 * member lookup by name, path and stem, class indices and wnids, once
 * against the fixed classes and once without any (the classes then come
 * from the labels). */
#include <stdlib.h>

#include "fuzz.h"
#include "imlfs/labels.h"

static void load(const uint8_t *data, size_t size, int with_classes)
{
	struct imlfs_model m;
	struct imlfs_error err = { 0 };

	fz_model(&m, with_classes);
	if (imlfs_labels_parse(&m, "fuzz.txt", (const char *)data, size, &err) == 0) {
		/* on success every member has a label of a known class */
		for (uint32_t i = 0; i < m.nmembers; i++)
			if (m.members[i].label < 0 || (uint32_t)m.members[i].label >= m.nclasses)
				abort();
	} else if (!err.code || !err.msg[0]) {
		abort();
	}
	imlfs_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size, 1);
	load(data, size, 0);
	return 0;
}
