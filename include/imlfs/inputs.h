/* SPDX-License-Identifier: MIT */
/* inputs.h — which files a mount is made of, and where they were found.
 *
 * One file per role (roles.h): the tarball, always given, and each other
 * role's file given by its option or else looked for beside the tarball
 * under the role's conventional names (first match wins; roles.c):
 *   annotations: human_accuracy_v3.0.0.json, human_accuracy_fixed.json
 *   labels:      validation_labels.txt, val.txt
 *   classes:     LOC_synset_mapping.txt, class_info.json, synset_words.txt
 *   real:        real.json (the ReaL labels, labelset.h)
 * The label sets (--labelset NAME=FILE) each take a slot, IMLFS_ROLE_SET0
 * on, in the order given; then the files found beside the tarball under
 * the names imlfs_labelset_beside lists (imagenet_mturk.json as mturk,
 * clean_validation.csv as flaws), unless a set of that name was given.
 * A mount has at most IMLFS_LABELSETS_MAX sets, ReaL's included.
 */
#ifndef IMLFS_INPUTS_H
#define IMLFS_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "imlfs/error.h"
#include "imlfs/roles.h"

struct imlfs_inputs {
	/* Each role's file: an absolute path, or NULL when there is none.
	 * By number for code that goes over every role, by name for code
	 * that handles one role (the tarball is opened and indexed). */
	union {
		char *path[IMLFS_NROLES];
		struct { char *tarball, *annotations, *labels, *classes, *real; };
	};
	bool beside[IMLFS_NROLES];   /* found beside the tarball, not given */
	/* The name of the set in slot k (role IMLFS_ROLE_SET0 + k), when
	 * path[] has its file. */
	char *setname[IMLFS_LABELSETS_MAX];
};

/* A label set's conventional file beside the tarball, and the set's name. */
struct imlfs_labelset_beside {
	const char *file, *name;
};
extern const struct imlfs_labelset_beside imlfs_labelset_beside[];

_Static_assert(offsetof(struct imlfs_inputs, real) ==
	       offsetof(struct imlfs_inputs, path[IMLFS_ROLE_REAL]), "names out of role order");

/* Resolve the files given by role (given[IMLFS_ROLE_TARBALL] must be set;
 * any other may be NULL; a label set's slot is "NAME=FILE", as
 * --labelset takes it) to absolute paths, fill in the missing ones from
 * beside the tarball, and check that each given one exists and is a
 * readable regular file (IMLFS_E_MISSING otherwise, for the first in role
 * order; IMLFS_E_USAGE for a bad NAME=FILE, a name given twice or more
 * than IMLFS_LABELSETS_MAX sets with ReaL's).  "Beside" is beside the
 * name given, not beside what a symbolic link points to: a folder of links is a way to pick inputs.  On success
 * `in` owns malloc'd strings; free with imlfs_inputs_free.  On failure it
 * is already freed. */
int imlfs_inputs_resolve(struct imlfs_inputs *in, const char *const given[IMLFS_NROLES],
			 struct imlfs_error *err);
void imlfs_inputs_free(struct imlfs_inputs *in);

#endif
