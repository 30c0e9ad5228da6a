/* SPDX-License-Identifier: MIT */
/* fuzz-npy.c — NumPy .npy submissions (npy.c, preds.c): arbitrary bytes
 * after the .npy magic (prepended when the input lacks it, so that every
 * input is an array) as a submission to the root file and every split's
 * over a small fixed model whose splits have 6, 3 and 2 rows, checked as
 * fz_check_scores checks; a header the parser accepts must describe data
 * inside the input, and an array it opens must have rows that are in the
 * input and yield class indices in range or say why not. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/npy.h"

static struct imlfs_model model;

/* Every row of the array as "all"'s, if it opens: inside buf, and its
 * labels classes of the model, or a reason. */
static void check_rows(const char *buf, size_t len)
{
	struct imlfs_npy_array a;
	char why[IMLFS_NPY_WHY_MAX];

	if (imlfs_npy_open(&model, buf, len, IMLFS_SPLIT_ALL, IMLFS_NPY_MAX_BYTES, &a, why,
			   sizeof why)) {
		if (!why[0])
			abort();
		return;
	}
	if (a.rows != model.nmembers ||
	    (const char *)a.data + (size_t)a.rows * a.rowbytes != buf + len)
		abort();   /* an opened array is exactly the rest of the input */
	for (uint32_t r = 0; r < a.rows; r++) {
		uint16_t lab[IMLFS_NPY_MAX_K];
		int n = imlfs_npy_row(&model, &a, r, r, lab, IMLFS_NPY_MAX_K, why, sizeof why);

		if (n < 0 ? !why[0] : n < 1 || n > IMLFS_NPY_MAX_K)
			abort();
		for (int k = 0; k < n; k++)
			if (lab[k] >= model.nclasses)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imlfs_npy_header h;
	char why[400];
	char *buf;
	size_t len = size;

	if (!model.nmembers)
		fz_scoring_model(&model);
	if (imlfs_npy_is((const char *)data, size)) {
		buf = malloc(size ? size : 1);
		if (!buf)
			abort();
		memcpy(buf, data, size);
	} else {
		len = IMLFS_NPY_MAGIC_LEN + size;
		buf = malloc(len);
		if (!buf)
			abort();
		memcpy(buf, IMLFS_NPY_MAGIC, IMLFS_NPY_MAGIC_LEN);
		memcpy(buf + IMLFS_NPY_MAGIC_LEN, data, size);
	}
	if (!imlfs_npy_header(buf, len, &h, why, sizeof why)) {
		if (h.data_off > len || (h.kind != 'f' && h.kind != 'i') ||
		    (h.width != 2 && h.width != 4 && h.width != 8))
			abort();   /* an accepted header out of bounds */
	} else if (!why[0] || strlen(why) >= sizeof why) {
		abort();       /* a refusal must say why */
	}
	check_rows(buf, len);
	fz_check_scores(&model, buf, len);
	free(buf);
	return 0;
}
