/* inputs.h — which files a mount is made of, and where they were found.
 *
 * Options not given are looked for beside the tarball under their
 * conventional names (first match wins):
 *   annotations: human_accuracy_v3.0.0.json, human_accuracy_fixed.json
 *   labels:      validation_labels.txt, val.txt
 *   classes:     LOC_synset_mapping.txt, class_info.json, synset_words.txt
 *   real:        real.json (the ReaL labels, real.h)
 */
#ifndef IMLFS_INPUTS_H
#define IMLFS_INPUTS_H

#include <stdbool.h>

#include "imlfs/error.h"

struct imlfs_inputs {
	char *tarball;        /* absolute path */
	char *annotations;    /* absolute path, or NULL when none */
	char *labels;
	char *classes;
	bool annotations_auto, labels_auto, classes_auto;  /* found beside the tar */
	char *real;           /* the ReaL labels (imlfs_inputs_resolve_real) */
	bool real_auto;
};

/* Resolve the given paths (any may be NULL except tarball) to absolute
 * paths, fill in the missing ones from beside the tarball, and check that
 * each exists and is a readable regular file (IMLFS_E_MISSING otherwise).
 * On success `in` owns malloc'd strings; free with imlfs_inputs_free. */
int imlfs_inputs_resolve(struct imlfs_inputs *in, const char *tarball,
			 const char *annotations, const char *labels,
			 const char *classes, struct imlfs_error *err);
/* The same for the ReaL labels file, after imlfs_inputs_resolve: `real`
 * (may be NULL) or real.json beside the tarball.  On failure `in` is
 * freed, as imlfs_inputs_resolve leaves it. */
int imlfs_inputs_resolve_real(struct imlfs_inputs *in, const char *tarball, const char *real,
			      struct imlfs_error *err);
void imlfs_inputs_free(struct imlfs_inputs *in);

#endif
