/* fuzz-npy.c — NumPy .npy submissions (npy.c): arbitrary bytes after the
 * .npy magic (prepended when the input lacks it, so that every input is
 * an array) as a submission, scored by imlfs_score_text for the root file
 * and every split over a small fixed model whose splits have 6, 3 and 2
 * rows; the output must always be one valid JSON text, and a header the
 * parser accepts must describe data inside the input. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/npy.h"
#include "imlfs/score.h"

static struct imlfs_model model;

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
	fz_check_scores(&model, buf, len);
	free(buf);
	return 0;
}
