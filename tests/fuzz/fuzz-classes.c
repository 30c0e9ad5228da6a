/* SPDX-License-Identifier: MIT */
/* fuzz-classes.c — the classes reader (classes.c) over arbitrary bytes
 * given as the classes file: class_info.json through jansson with line
 * numbers for each element, "wnid name" lines and one-wnid lines, the
 * duplicate check, and the lookup of every class it accepted. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/classes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imlfs_model m = { 0 };
	struct imlfs_error err = { 0 };
	if (imlfs_classes_parse(&m, "fuzz.txt", (const char *)data, size, &err) == 0) {
		for (uint32_t c = 0; c < m.nclasses; c++) {
			const char *w = imlfs_class_wnid(&m, c);

			if (!imlfs_is_wnid(w, strlen(w)) || imlfs_find_wnid(&m, w, 9) != (int32_t)c)
				abort();
			(void)imlfs_class_name(&m, c);
		}
	} else if (!err.code || !err.msg[0]) {
		abort();
	}
	imlfs_model_free(&m);
	return 0;
}
