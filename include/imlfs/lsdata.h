/* SPDX-License-Identifier: MIT */
/* lsdata.h — the data of a label set (labelset.h says what one is and how
 * its files are parsed): the bounds, the formats, the structure itself and
 * its lookups.  Apart from labelset.h because the model holds its mount's
 * sets (model.h) and labelset.h's parsers need the model: this header
 * needs nothing, so both can include it. */
#ifndef IMLFS_LSDATA_H
#define IMLFS_LSDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds: a mount has at most IMLFS_LABELSETS_MAX sets (each costs a
 * folder, a scoring pass and a column of the scorecard), a file at most
 * IMLFS_LABELSET_FILE_MAX bytes (the largest real one, cleanlab's, is
 * 2 MB; a 50,000-line TSV of 5 wnids each is under 4 MB), a name at most
 * IMLFS_LABELSET_NAME_MAX bytes, and one mturk entry at most
 * IMLFS_MTURK_ENTRY_MAX bytes (the real ones are about 370). */
#define IMLFS_LABELSETS_MAX 8
#define IMLFS_LABELSET_FILE_MAX (64u << 20)
#define IMLFS_LABELSET_NAME_MAX 32
#define IMLFS_MTURK_ENTRY_MAX 65536
#define IMLFS_MTURK_MAJORITY 3
#define IMLFS_MTURK_VOTES 5

enum imlfs_ls_format {
	IMLFS_LS_MTURK,
	IMLFS_LS_FLAWS,
	IMLFS_LS_TSV,
	IMLFS_LS_LISTS,
	IMLFS_LS_NFORMATS,
};

/* The outcomes of the mturk rule (all zero for the other formats). */
enum imlfs_ls_outcome {
	IMLFS_LS_GIVEN,         /* listed, "given" won: the original label */
	IMLFS_LS_GUESSED,       /* listed, "guessed" won: cleanlab's label */
	IMLFS_LS_BOTH,          /* listed, "both" won: the two labels */
	IMLFS_LS_NEITHER,       /* listed, "neither" won: left out */
	IMLFS_LS_NO_MAJORITY,   /* listed, no answer had 3 votes: left out */
	IMLFS_LS_KEPT,          /* not listed, original label kept */
	IMLFS_LS_NOUTCOMES,
};

/* imlfs_labelset_parse flags */
enum {
	/* The ReaL set: may be named "real", only the lists format, and its
	 * errors are IMLFS_E_REAL (exit status 13, ReaL's of old). */
	IMLFS_LS_REAL = 1u << 0,
};

struct imlfs_labelset {
	char name[IMLFS_LABELSET_NAME_MAX + 1];
	enum imlfs_ls_format format;
	uint32_t flags;            /* IMLFS_LS_REAL for ReaL's set */
	uint32_t role;             /* the input role of its file (roles.h), for its digest */
	uint32_t nmembers;         /* of the model it was parsed for */
	/* Member i's labels are lab[off[i] .. off[i + 1]), ascending; it is
	 * listed (maybe with none) when bit i of listed[] is set, else left
	 * out (and has none).  Flat arrays, as the model's ReaL arrays, so
	 * that the index cache can store them as they are. */
	uint32_t *off;             /* [nmembers + 1] */
	uint16_t *lab;             /* [nlab], NULL when nlab is 0 */
	uint32_t nlab;
	uint32_t *listed;          /* [(nmembers + 31) / 32] bits (never NULL) */
	uint32_t nlisted;          /* members listed */
	uint32_t nempty;           /* of them, with an empty list */
	uint32_t outcome[IMLFS_LS_NOUTCOMES];
};

static inline bool imlfs_labelset_listed(const struct imlfs_labelset *ls, uint32_t i)
{
	return ls->listed[i / 32] >> (i % 32) & 1u;
}

/* Member i's labels (ascending): their number, and the first in *v; 0 for
 * an empty list and for a member left out. */
static inline uint32_t imlfs_labelset_labels(const struct imlfs_labelset *ls, uint32_t i,
					     const uint16_t **v)
{
	uint32_t n = ls->off[i + 1] - ls->off[i];

	*v = n ? ls->lab + ls->off[i] : NULL;
	return n;
}

/* Does member i count when scoring the set: listed with a label? */
static inline bool imlfs_labelset_counts(const struct imlfs_labelset *ls, uint32_t i)
{
	return ls->off[i + 1] > ls->off[i];
}

#endif
