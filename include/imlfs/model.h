/* SPDX-License-Identifier: MIT */
/* model.h — the compact, immutable description of one mount's inputs.
 *
 * Everything the daemon serves is derived from this one structure: the
 * tarball's members (sorted by name), the classes, each member's original
 * label and expert multi-labels.  It is made of a few flat arrays of plain
 * data (no pointers inside), so that the persistent cache (cache.c) can write
 * and read it section by section, and the daemon's steady state stays small.
 *
 * Who fills what:
 *   tarindex.c     members[] offset/size/mtime/name/width/height/components,
 *                  names (the pool of member names), nmembers; sorts by name
 *   classes.c      classes[], ctext (pool of wnids and names), nclasses
 *   labels.c       members[].label (and the classes, when no classes file)
 *   annotations.c  members[].flags, ml/n_correct/n_unclear/n_wrong, ml[]
 *   labelset.c     nsets, sets[] (the label sets, ReaL's among them)
 *   model.c        the derived lookup tables (never cached)
 */
#ifndef IMLFS_MODEL_H
#define IMLFS_MODEL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imlfs/lsdata.h" /* struct imlfs_labelset */
#include "imlfs/md5.h"   /* IMLFS_MD5_LEN */
#include "imlfs/roles.h" /* IMLFS_NROLES */

#define IMLFS_NO_LABEL (-1)
#define IMLFS_MAX_CLASSES 65535   /* multi-labels are stored as uint16_t */
/* The longest file name Linux can open (NAME_MAX).  Member names are
 * refused past it, and past IMLFS_NAME_MAX - 5 before the extension, so
 * that "STEM.json" fits too (tarindex.c; cache.c refuses older caches). */
#define IMLFS_NAME_MAX 255

/* members[].flags */
enum {
	IMLFS_M_ANNOTATED = 1u << 0,   /* has an entry in initial_annots */
	IMLFS_M_PROBLEMATIC = 1u << 1, /* listed in problematic_images */
	IMLFS_M_IMAGENET_M = 1u << 2,  /* listed in imagenet_m */
};

/* model->have: which inputs were given */
enum {
	IMLFS_HAVE_LABELS = 1u << 0,
	IMLFS_HAVE_ANNOTATIONS = 1u << 1,
	IMLFS_HAVE_IMAGENET_M = 1u << 2,  /* the annotation file has "imagenet_m" */
	IMLFS_HAVE_CLASSES = 1u << 3,     /* a classes file was given */
	IMLFS_HAVE_REAL = 1u << 4,        /* a ReaL file (real.json) was given */
};

struct imlfs_member {
	uint64_t offset;      /* byte offset of the member's data in the tarball */
	uint64_t size;        /* member size in bytes */
	int64_t mtime;        /* member's modification time (seconds) */
	uint32_t name;        /* offset of the NUL-terminated name in names */
	int32_t label;        /* original label (class index), or IMLFS_NO_LABEL */
	uint32_t ml;          /* index in ml[] of this member's multi-labels:   */
	uint16_t n_correct;   /*   ml[ml .. +n_correct) correct,                */
	uint16_t n_unclear;   /*   then n_unclear unclear, then n_wrong wrong;  */
	uint16_t n_wrong;     /*   each run ascending                           */
	uint16_t width;       /* from the JPEG header; 0 when unreadable        */
	uint16_t height;
	uint8_t components;   /* 1 gray, 3 colour, 4 CMYK; 0 when unreadable   */
	uint8_t flags;        /* IMLFS_M_* */
};

struct imlfs_class {
	uint32_t wnid;        /* offset in ctext */
	uint32_t name;        /* offset in ctext: "tench, Tinca tinca" */
};

/* Counts the README reports; filled by the parsers, cached with the model. */
struct imlfs_stats {
	uint32_t annots_total;        /* keys in initial_annots */
	uint32_t annots_other;        /* keys not ILSVRC2012_val_* (ImageNetV2) */
	uint32_t annots_not_in_tar;   /* ILSVRC2012_val_* keys absent from the tar */
	uint32_t problematic_total;   /* keys in problematic_images */
	uint32_t problematic_not_in_tar;
	uint32_t imagenet_m_total;    /* entries in imagenet_m */
	uint32_t imagenet_m_not_in_tar;
	uint32_t tar_skipped;         /* non-regular tar entries (dirs, links) */
};

/* MD5 of each small input, taken by the loader from the bytes its parser
 * parsed (load.h; the tarball's is taken in the background: tarhash.h).  Cached with the
 * model, which is keyed on every input's identity. */
struct imlfs_input_md5 {
	uint32_t have;                 /* bit r: md5[r] is set (r an imlfs_role) */
	uint32_t pad;
	uint8_t md5[IMLFS_NROLES][IMLFS_MD5_LEN];
};

struct imlfs_model {
	uint32_t nmembers;
	struct imlfs_member *members;  /* sorted by name (strcmp) */
	char *names;                   /* NUL-terminated member names */
	uint32_t names_len;

	uint32_t nclasses;
	struct imlfs_class *classes;   /* in class-index order */
	char *ctext;
	uint32_t ctext_len;

	uint16_t *ml;                  /* multi-label class indices */
	uint32_t nml;

	/* The label sets (labelset.h), each split IMLFS_SPLIT_SET0 + its
	 * index: ReaL's first when there is one (IMLFS_HAVE_REAL), then the
	 * others in the order of their roles.  Kept apart from members[] so
	 * that a mount without them pays nothing, and the member layout (and
	 * its cache section) stays. */
	uint32_t nsets;
	struct imlfs_labelset sets[IMLFS_LABELSETS_MAX];

	uint32_t have;                 /* IMLFS_HAVE_* */
	struct imlfs_stats stats;
	struct imlfs_input_md5 md5;

	/* Derived by imlfs_model_finish(); never cached. */
	uint32_t *name_tab;            /* open addressing: member index + 1 */
	uint32_t *stem_tab;            /* same, keyed by name without extension */
	uint32_t *wnid_tab;            /* class index + 1, keyed by wnid */
	uint32_t name_mask, wnid_mask;
};

/* The splits, each a folder of the tree.  A new built-in split is added
 * here, before IMLFS_SPLIT_SET0: this is the one list to extend, the
 * predictions files below follow it (its file is imlfs_pred_of_split of
 * it).  Its folder name and membership are the switches in
 * imlfs_split_name, imlfs_split_present and imlfs_in_split.  The label
 * sets take the last IMLFS_LABELSETS_MAX values, set k split
 * IMLFS_SPLIT_SET0 + k, named by the set: ReaL's real/ is split 3 as it
 * always was (its set comes first), and a set's folder, files and inode
 * numbers are a built-in split's. */
enum imlfs_split {
	IMLFS_SPLIT_ALL = 0,
	IMLFS_SPLIT_VALIDATION = 1,   /* annotated images (TFDS 'validation') */
	IMLFS_SPLIT_IMAGENET_M = 2,   /* the ImageNet-M images */
	IMLFS_SPLIT_SET0 = 3,         /* label set 0's images with a label */
	IMLFS_NSPLITS = IMLFS_SPLIT_SET0 + IMLFS_LABELSETS_MAX,
};

/* The predictions files: the root's (the scores of every split present)
 * and one in each split's folder.  This one number says which file and is
 * used as it is everywhere: as the inode offset (IMLFS_INO_PREDICTIONS + f,
 * catalog.h), as the index of per-file arrays (submissions.c), in the
 * catalogue's nodes (imlfs_node.pred) and in the scoring and submission
 * APIs (score.h, submissions.h).
 *
 * Why a second enum rather than a "root" value in enum imlfs_split: the
 * root file is not a split (it has no images of its own, imlfs_in_split
 * and imlfs_score_split mean nothing for it), and gcc's -Wenum-conversion
 * (in -Wextra, an error with -Dwerror=true) now flags a split passed where
 * a file is meant.  The root comes first and split s's file is 1 + s, so
 * the files follow the splits without a second list to keep in step, and
 * inode numbers are those of earlier versions.  The only conversions are
 * the two helpers below: where a split's folder or imlfs-score --split
 * names a file, and where a split's file is scored (score.c).  Both assert
 * the range, and the APIs that take a file reject one that is not
 * (imlfs_pred_valid), so no stray number can stand for another file. */
enum imlfs_pred_file {
	IMLFS_PRED_ROOT = 0,
	IMLFS_PRED_ALL = 1 + IMLFS_SPLIT_ALL,
	IMLFS_PRED_VALIDATION = 1 + IMLFS_SPLIT_VALIDATION,
	IMLFS_PRED_IMAGENET_M = 1 + IMLFS_SPLIT_IMAGENET_M,
	IMLFS_PRED_SET0 = 1 + IMLFS_SPLIT_SET0,
	IMLFS_NPRED = 1 + IMLFS_NSPLITS,
};

static inline const char *imlfs_member_name(const struct imlfs_model *m, uint32_t i)
{
	return m->names + m->members[i].name;
}

static inline const char *imlfs_class_wnid(const struct imlfs_model *m, uint32_t c)
{
	return m->ctext + m->classes[c].wnid;
}

static inline const char *imlfs_class_name(const struct imlfs_model *m, uint32_t c)
{
	return m->ctext + m->classes[c].name;
}

/* The label set of split s, or NULL when s is a built-in split or a set
 * this mount does not have. */
static inline const struct imlfs_labelset *imlfs_split_set(const struct imlfs_model *m,
							    enum imlfs_split s)
{
	uint32_t k = (uint32_t)s - IMLFS_SPLIT_SET0;

	return s >= IMLFS_SPLIT_SET0 && k < m->nsets ? &m->sets[k] : NULL;
}

/* The ReaL set, or NULL without a ReaL file. */
static inline const struct imlfs_labelset *imlfs_real_set(const struct imlfs_model *m)
{
	return m->nsets && (m->sets[0].flags & IMLFS_LS_REAL) ? &m->sets[0] : NULL;
}

/* Member i's ReaL labels (ascending): their number, and the first in *v.
 * 0 for an empty list and when there is no ReaL file. */
static inline uint32_t imlfs_real_labels(const struct imlfs_model *m, uint32_t i,
					 const uint16_t **v)
{
	const struct imlfs_labelset *ls = imlfs_real_set(m);

	*v = NULL;
	return ls ? imlfs_labelset_labels(ls, i, v) : 0;
}

/* Is member i an image of split s? */
static inline bool imlfs_in_split(const struct imlfs_model *m, uint32_t i, enum imlfs_split s)
{
	const struct imlfs_labelset *ls;

	switch (s) {
	case IMLFS_SPLIT_ALL: return true;
	case IMLFS_SPLIT_VALIDATION: return m->members[i].flags & IMLFS_M_ANNOTATED;
	case IMLFS_SPLIT_IMAGENET_M: return m->members[i].flags & IMLFS_M_IMAGENET_M;
	default:
		ls = imlfs_split_set(m, s);
		return ls && imlfs_labelset_counts(ls, i);
	}
}

/* Is f one of the predictions files (0 <= f < IMLFS_NPRED)? */
static inline bool imlfs_pred_valid(enum imlfs_pred_file f)
{
	return (unsigned)f < IMLFS_NPRED;
}

/* Split s's predictions file. */
static inline enum imlfs_pred_file imlfs_pred_of_split(enum imlfs_split s)
{
	assert((unsigned)s < IMLFS_NSPLITS);
	return (enum imlfs_pred_file)(IMLFS_PRED_ALL + (s - IMLFS_SPLIT_ALL));
}

/* The split of a split's predictions file (not the root's). */
static inline enum imlfs_split imlfs_pred_split(enum imlfs_pred_file f)
{
	assert(f != IMLFS_PRED_ROOT && imlfs_pred_valid(f));
	return (enum imlfs_split)(IMLFS_SPLIT_ALL + (f - IMLFS_PRED_ALL));
}

/* Split name as used in the tree and in scores: "all", "validation",
 * "imagenet_m", a label set's name ("real" for ReaL's); "" for a set the
 * model does not have. */
const char *imlfs_split_name(const struct imlfs_model *m, enum imlfs_split s);
/* Does the model have this split at all (annotations given, imagenet_m
 * key, the label set given)? */
bool imlfs_split_present(const struct imlfs_model *m, enum imlfs_split s);

/* Length of the name without its last extension ("X.JPEG" -> "X"). */
size_t imlfs_stem_len(const char *name);
/* Does name[0..len) end in ".json" after its first byte?  Such is the name
 * of every sidecar (stem + ".json"), so no member may have one: "X.json"
 * would share its name with its own sidecar. */
bool imlfs_is_sidecar_name(const char *name, size_t len);

/* Build the lookup tables; call after parsing or loading the cache.
 * Returns 0 or -1 (out of memory). */
int imlfs_model_finish(struct imlfs_model *m);
void imlfs_model_free(struct imlfs_model *m);

/* Lookups; return the index or -1.  `len` bytes of `s`, no NUL needed. */
int64_t imlfs_find_member(const struct imlfs_model *m, const char *s, size_t len);
/* By stem: "ILSVRC2012_val_00000001" finds "ILSVRC2012_val_00000001.JPEG". */
int64_t imlfs_find_stem(const struct imlfs_model *m, const char *s, size_t len);
int32_t imlfs_find_wnid(const struct imlfs_model *m, const char *s, size_t len);

/* Add a class (used by classes.c and labels.c); returns its index or -1. */
int32_t imlfs_model_add_class(struct imlfs_model *m, const char *wnid, size_t wlen,
			      const char *name, size_t nlen);

#endif
