/* SPDX-License-Identifier: MIT */
/* mksample.h — what the files of imlfs-mksample share: the options, the
 * plan of the sample (classes, labels, per-image flags), the random stream
 * numbers, and the functions one file calls in another.
 *
 * Internal to the generator (not in include/imlfs): nothing else links it.
 *
 *   mksample.c   options, main, the run and its summary
 *   mkclasses.c  the class list: made up, or read from class_info.json
 *   mkplan.c     the plan: labels, annotated/problematic/ImageNet-M images,
 *                each image's expert labels and JPEG parameters
 *   mkoutput.c   OUTDIR, ".NAME.part" files, the mapping, labels and ReaL files
 *   mkjson.c     the annotation JSON, streamed
 *   mktar.c      the tarball: images encoded in threads, written in order
 *   mkjpeg.c     the JPEG painter and the seeded random generator */
#ifndef IMLFS_MKSAMPLE_H
#define IMLFS_MKSAMPLE_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "imlfs/error.h"
#include "mkjpeg.h"

#define PROG "imlfs-mksample"
#define TAR_NAME "ILSVRC2012_img_val.tar"
#define JSON_NAME "human_accuracy_v3.0.0.json"
#define LABELS_NAME "validation_labels.txt"
#define MAPPING_NAME "LOC_synset_mapping.txt"
#define REAL_NAME "real.json"
#define MAX_CLASSES 65535u          /* the model stores labels as uint16_t */
#define MAX_IMAGES 99999999u        /* the names have 8 digits */

/* Random streams: one per purpose, so adding draws to one leaves the others.
 * The numbers key the output: never renumber them. */
enum { S_WNID = 1, S_LABELS, S_IMAGE, S_PICK, S_ANNOT, S_PROB, S_OUTSIDE,
       S_IMNETM, S_OTHER, S_PAD, S_REAL };

/* Per-image flags of the plan. */
enum { F_ANNOT = 1, F_PROB = 2, F_BAD = 4, F_IMNETM = 8 };

struct opts {
	const char *outdir;
	const char *class_file;
	uint32_t classes, per_class, annotated, pad_mb;
	int classes_set, annotated_set;
	uint64_t seed;
	int tiny;
};

struct cls {
	char *wnid;
	char *name;        /* synset names joined with ", " */
};

struct plan {
	struct opts o;
	uint32_t nclasses;
	struct cls *cls;
	uint32_t n;        /* images; image i (0-based) is ILSVRC2012_val_{i+1} */
	uint32_t *label;
	uint8_t *flags;
	uint32_t nannot, nprob, nprob_outside, nimnetm, nother;
	uint32_t nreal_empty, nreal_multi, nreal_other;   /* counted by write_real */
};

/* What the experts said about one annotated image. */
enum { K_CORRECT, K_WRONG, K_UNCLEAR, NKINDS };

struct annot {
	uint32_t cls[NKINDS][16];
	int n[NKINDS];
	int order[NKINDS];   /* key order in the JSON object, like Python dicts */
};

/* Files written under a temporary name, renamed at the very end. */
struct pending {
	char tmp[PATH_MAX], final[PATH_MAX];
};

struct tarstats {
	uint64_t jpeg_bytes;
	off_t size;
	uint32_t gray, progressive, cmyk, restart;
	uint32_t subsampled;        /* 4:2:2, 4:4:0, 4:1:1 or mixed chroma */
	double seconds;
};

/* mkclasses.c: p->cls[0 .. p->nclasses).  All return 0 or fill err. */
int make_classes(struct plan *p, struct imlfs_error *err);
int load_classes(struct plan *p, const char *path, struct imlfs_error *err);
void free_classes(struct plan *p);
/* qsort_r order of class indices by wnid; arg is the struct cls array. */
int cmp_wnid_idx(const void *a, const void *b, void *arg);

/* mkplan.c: pure functions of the options and the seed. */
int make_plan(struct plan *p, struct imlfs_error *err);
/* The expert labels of image i (i >= p->n for ImageNetV2 keys); returns
 * whether the original label is not correct. */
int make_annot(const struct plan *p, uint32_t i, uint32_t label, struct annot *a);
void image_spec(const struct plan *p, uint32_t i, struct mkjpeg_spec *s);
/* Image i's ReaL labels (real.json) into cls[0 .. return), in file order
 * (not sorted); at most MAX_REAL. */
#define MAX_REAL 4
int make_real(const struct plan *p, uint32_t i, uint32_t *cls);

/* mkoutput.c */
int make_dirs(const char *dir, struct imlfs_error *err);
void catch_signals(void);
void stop_cleanup(void);
int open_part(const struct plan *p, const char *name, struct pending *pd,
	      struct imlfs_error *err);
FILE *open_part_file(const struct plan *p, const char *name, struct pending *pd,
		     struct imlfs_error *err);
int close_part_file(FILE *f, const struct pending *pd, struct imlfs_error *err);
int write_mapping(const struct plan *p, struct pending *pd, struct imlfs_error *err);
int write_labels(const struct plan *p, struct pending *pd, struct imlfs_error *err);
int write_real(struct plan *p, struct pending *pd, struct imlfs_error *err);
int rename_all(struct pending *pd, int n, struct imlfs_error *err);

/* mkjson.c */
int write_json(const struct plan *p, struct pending *pd, off_t *size,
	       struct imlfs_error *err);

/* mktar.c */
int write_tar(const struct plan *p, struct pending *pd, struct tarstats *ts,
	      struct imlfs_error *err);

#endif
