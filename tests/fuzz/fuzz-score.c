/* fuzz-score.c — predictions lines with scoring (score.c): arbitrary bytes
 * as a submission, scored by imlfs_score_text for the root file and every
 * split over a small fixed model with labels, multi-labels, problematic and
 * ImageNet-M images; the output must always be one valid JSON text. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/score.h"

static struct imlfs_model model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!model.nmembers)
		fz_scoring_model(&model);
	for (enum imlfs_pred_file f = 0; f < IMLFS_NPRED; f++) {
		size_t len = 0;
		char *s = imlfs_score_text(&model, (const char *)data, size, f, &len);
		json_error_t je;
		json_t *o;

		if (!s || len != strlen(s))
			abort();
		o = json_loads(s, 0, &je);
		if (!o)
			abort();   /* the scores are not valid JSON */
		json_decref(o);
		free(s);
	}
	return 0;
}
