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

/* Labels 0,1,2,0,1,2; members 3..5 annotated with a few multi-labels,
 * member 2 problematic, 4 and 5 in ImageNet-M. */
static void build(void)
{
	static const uint16_t ml[] = { 0, 1, 2, 1, 0, 2 };

	fz_model(&model, 1);
	model.ml = malloc(sizeof ml);
	if (!model.ml)
		abort();
	memcpy(model.ml, ml, sizeof ml);
	model.nml = sizeof ml / sizeof ml[0];
	for (uint32_t i = 0; i < FZ_NMEMBERS; i++)
		model.members[i].label = (int32_t)(i % FZ_NCLASSES);
	model.members[3] = (struct imlfs_member){ .name = model.members[3].name, .label = 0,
		.ml = 0, .n_correct = 1, .flags = IMLFS_M_ANNOTATED };
	model.members[4] = (struct imlfs_member){ .name = model.members[4].name, .label = 1,
		.ml = 1, .n_correct = 1, .n_wrong = 2, .flags = IMLFS_M_ANNOTATED | IMLFS_M_IMAGENET_M };
	model.members[5] = (struct imlfs_member){ .name = model.members[5].name, .label = 2,
		.ml = 4, .n_correct = 1, .n_unclear = 1,
		.flags = IMLFS_M_ANNOTATED | IMLFS_M_IMAGENET_M | IMLFS_M_PROBLEMATIC };
	model.members[2].flags = IMLFS_M_PROBLEMATIC;
	model.have |= IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!model.nmembers)
		build();
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
