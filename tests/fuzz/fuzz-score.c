/* fuzz-score.c — predictions lines with scoring (score.c): arbitrary bytes
 * as a submission, scored by imlfs_score_text for the root file and every
 * split over a small fixed model with labels, multi-labels, problematic and
 * ImageNet-M images; the output must always be one valid JSON text. */
#include "fuzz.h"

static struct imlfs_model model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!model.nmembers)
		fz_scoring_model(&model);
	fz_check_scores(&model, (const char *)data, size);
	return 0;
}
