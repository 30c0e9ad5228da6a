/* preds-internal.h — the parsed submission (struct imlfs_preds) that the
 * text parser (score.c) and the .npy parser (npy.c) both fill, so that
 * scoring is one code path whatever the submission's format. */
#ifndef IMLFS_PREDS_INTERNAL_H
#define IMLFS_PREDS_INTERNAL_H

#include <stdint.h>

#include "imlfs/model.h"
#include "imlfs/score.h"

#define IMLFS_TOPK 5
#define IMLFS_ERRMSG_MAX 400

/* The last valid prediction for one member. */
struct imlfs_slot {
	uint32_t count;          /* valid lines (or rows) naming this member */
	uint16_t lab[IMLFS_TOPK];
	uint8_t nlab;            /* labels kept: min(given, 5); 5 means ">= 5" */
};

struct imlfs_perr {
	uint32_t line;
	char msg[IMLFS_ERRMSG_MAX];
};

struct imlfs_preds {
	uint32_t nmembers;
	struct imlfs_slot *slot; /* [nmembers] */
	uint32_t not_in_tar;     /* valid lines naming no member */
	uint32_t invalid;
	uint32_t nerrors;        /* entries used in errors[] */
	struct imlfs_perr errors[IMLFS_SCORE_MAX_ERRORS];
};

/* An empty submission for m (NULL when out of memory). */
struct imlfs_preds *imlfs_preds_alloc(const struct imlfs_model *m);
/* Keep an error message for "line" (the first IMLFS_SCORE_MAX_ERRORS). */
void imlfs_preds_error(struct imlfs_preds *p, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
