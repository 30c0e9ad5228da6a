/* SPDX-License-Identifier: MIT */
/* annotations.h — the expert multi-labels (TFDS imagenet2012_multilabel
 * source file human_accuracy_v3.0.0.json, or the older
 * human_accuracy_fixed.json without "imagenet_m").
 *
 * Used keys: "initial_annots" (image -> {"correct"|"wrong"|"unclear": [wnid]}),
 * "problematic_images" (image -> metadata), "imagenet_m" ([image]).  Keys of
 * initial_annots not starting with "ILSVRC2012_val_" are ImageNetV2 images
 * and are ignored.  Every other top-level key is skipped without building it
 * (see jsonscan.h).
 */
#ifndef IMLFS_ANNOTATIONS_H
#define IMLFS_ANNOTATIONS_H

#include <stddef.h>

#include "imlfs/error.h"
#include "imlfs/model.h"

/* Parse text[0..len) (the file's bytes, named `name` in messages).
 * Requires members and classes (m->wnid lookups work: imlfs_model_finish
 * was called).  Sets members[].flags, .ml, .n_correct/.n_unclear/.n_wrong
 * (each run sorted ascending, duplicates removed), m->ml, m->nml, the
 * annotation counts in m->stats, IMLFS_HAVE_ANNOTATIONS and, when the key
 * exists, IMLFS_HAVE_IMAGENET_M.
 * Images named in the file but absent from the tar are counted in m->stats
 * (the README reports them) and otherwise ignored.
 * Errors: IMLFS_E_JSON (syntax, "FILE: line L, column C:
 * ..."); IMLFS_E_SCHEMA (missing initial_annots or problematic_images, a
 * value of the wrong type, with the image name and line); IMLFS_E_WNID (a
 * wnid no class has, with the image name and line). */
int imlfs_annotations_parse(struct imlfs_model *m, const char *name, const char *text, size_t len,
			    struct imlfs_error *err);

#endif
