/* SPDX-License-Identifier: MIT */
/* labelset.h — a relabelling of the validation images as data (issue 20):
 * a name, and for each tarball member either "left out" or a list of the
 * class indices that count as right for it.
 *
 * One structure holds every relabelling, whatever its file looked like;
 * the parsers (ls-*.c) only turn bytes into it.  The format is recognised
 * by content (imlfs_labelset_parse):
 *
 *   mturk   cleanlab's imagenet_mturk.json ("Pervasive Label Errors in Test
 *           Sets", Northcutt et al. 2021): a JSON list of objects
 *             {"id": 293, "given_original_label": 0,
 *              "our_guessed_label": 48, "mturk": {"given": 5,
 *              "guessed": 0, "neither": 0, "both": 0}, ...}
 *           id is the 1-based validation file number (ILSVRC2012_val_
 *           %08d.JPEG), not a position in the file; both labels are class
 *           indices (sorted-wnid order), the "..._name" keys are ignored.
 *           The paper's rule decides each listed image: the answer with at
 *           least IMLFS_MTURK_MAJORITY (3) of the (at most 5) votes wins;
 *             given   -> [the original label]
 *             guessed -> [cleanlab's label]
 *             both    -> [both labels]
 *             neither, and no answer with 3 votes -> left out;
 *           images the file does not list keep their original label (the
 *           model's members[].label; left out when the mount has none).
 *           The counts of each outcome are kept (outcome[]): on the real
 *           file given 2,524, guessed 1,428, both 597, neither 293, no
 *           majority 598.  When the mount has labels, each listed image's
 *           given_original_label must be the mount's label; when an entry
 *           has a "url", its file name must be the id's and its folder the
 *           wnid of given_original_label: the two catch a file read with
 *           another id or class convention.
 *   flaws   the "Flaws of ImageNet" clean_validation.csv (Kisel et al.
 *           2025): CSV (RFC 4180 quoting: "...", "" inside, CRLF or LF)
 *           with a header naming at least the columns id and
 *           proposed_labels (the published one is id,original_label,
 *           proposed_labels,validation); id a member's file name, with or
 *           without its extension; proposed_labels one label or a quoted
 *           comma-separated list ("689, 601"), an empty field an empty
 *           list.  original_label, when present and the mount has labels,
 *           must be the mount's label.  Images not listed are left out.
 *   tsv     the generic lines anyone can write:
 *             IMAGE<TAB>LABEL[,LABEL...]
 *           IMAGE a member's name or stem (a directory part is ignored),
 *           LABEL a class index or a wnid, nothing after the tab an empty
 *           list; blank lines and lines starting with '#' are skipped; an
 *           image named twice is an error.  Images not listed are left out.
 *   lists   a JSON list with one list of class indices per member, in
 *           sorted member order, as ReaL's real.json ("Are we done with
 *           ImageNet?", Beyer et al. 2020): every image is listed.
 *
 * Every list is stored ascending with duplicates dropped, so no image has
 * more labels than there are classes.
 *
 * Scoring (the rules of real/, score.c): an image counts when it is listed
 * with at least one label; its top-1 is right when the first predicted
 * class is in its list, its top-5 when any of the first five is; a missing
 * prediction is wrong.  An empty list (no label fits, as ReaL's 3,163 empty
 * lists) is scored like a left-out image: not counted at all
 * (imlfs_labelset_counts).  The two differ only in what an image's sidecar
 * can say: "no label fits" against "this set says nothing".
 *
 * Names: [a-z][a-z0-9_]*, at most IMLFS_LABELSET_NAME_MAX bytes, and none
 * of the names the tree or the root's predictions already use (the splits
 * all, validation, imagenet_m, real; the root's file predictions; the root
 * predictions' keys split, splits, submitted, usage, hints), since a set
 * becomes a folder NAME/ and a key NAME of the root's predictions.  "real"
 * is the ReaL set's own name: only IMLFS_LS_REAL may take it.
 *
 * Errors are one line "PATH: line L[, column C]: what; what to do" with
 * IMLFS_E_LABELSET (IMLFS_E_REAL under IMLFS_LS_REAL, ReaL's status of
 * old), IMLFS_E_USAGE for a bad name, too many sets or a name given twice,
 * IMLFS_E_MISSING for an unreadable file, IMLFS_E_NOMEM.  A failed parse
 * leaves the set as it was.
 */
#ifndef IMLFS_LABELSET_H
#define IMLFS_LABELSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imlfs/error.h"
#include "imlfs/model.h"

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
	 * errors are IMLFS_E_REAL (exit status 13, as real.c's). */
	IMLFS_LS_REAL = 1u << 0,
};

struct imlfs_labelset {
	char name[IMLFS_LABELSET_NAME_MAX + 1];
	enum imlfs_ls_format format;
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

/* The sets of one mount, in the order given. */
struct imlfs_labelsets {
	uint32_t n;
	struct imlfs_labelset set[IMLFS_LABELSETS_MAX];
};

/* "mturk", "flaws", "tsv", "lists". */
const char *imlfs_labelset_format_name(enum imlfs_ls_format f);

/* Is name[0..len) a name a set may take (flags: IMLFS_LS_REAL allows
 * "real")?  0, or -1 with IMLFS_E_USAGE and what a name may be. */
int imlfs_labelset_check_name(const char *name, size_t len, unsigned flags,
			      struct imlfs_error *err);

/* Parse text[0..len) (named path in messages) into *ls, named name, for
 * model m (members, classes and, for mturk's unlisted images, labels).
 * The format is recognised by content; a text that fits none fails with
 * one line naming the formats tried.  On failure *ls is unchanged; on
 * success its old arrays are freed. */
int imlfs_labelset_parse(struct imlfs_labelset *ls, const char *name,
			 const struct imlfs_model *m, const char *path, const char *text,
			 size_t len, unsigned flags, struct imlfs_error *err);

/* The same from a file, refused past IMLFS_LABELSET_FILE_MAX bytes. */
int imlfs_labelset_load(struct imlfs_labelset *ls, const char *name,
			const struct imlfs_model *m, const char *path, unsigned flags,
			struct imlfs_error *err);

/* Add a set from "NAME=FILE" (--labelset's argument): at most
 * IMLFS_LABELSETS_MAX, names distinct. */
int imlfs_labelsets_add(struct imlfs_labelsets *sets, const char *spec,
			const struct imlfs_model *m, struct imlfs_error *err);

void imlfs_labelset_free(struct imlfs_labelset *ls);
void imlfs_labelsets_free(struct imlfs_labelsets *sets);

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
