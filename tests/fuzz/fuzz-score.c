/* SPDX-License-Identifier: MIT */
/* fuzz-score.c — predictions lines (preds.c) with scoring (score.c), the
 * JSON writer (scorejson.c) and the report pages (report.c, and the
 * root's scorecard.c, whose verdicts must sum to the scores): arbitrary
 * bytes as a submission to the root file and every split's, over a small
 * fixed model with labels, multi-labels, problematic and ImageNet-M
 * images; the JSON must always be valid and say what the scores struct
 * holds (fz_check_scores). */
#include "fuzz.h"

static struct imlfs_model model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!model.nmembers)
		fz_scoring_model(&model);
	fz_check_scores(&model, (const char *)data, size);
	return 0;
}
