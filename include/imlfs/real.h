/* SPDX-License-Identifier: MIT */
/* real.h — the ReaL labels ("Are we done with ImageNet?", Beyer et al.
 * 2020): real.json of google-research/reassessed-imagenet, the other
 * re-annotation of the 50,000 validation images.
 *
 * The file is a JSON list with one entry per validation image, in sorted
 * member order (entry i belongs to the i-th member of members[], which is
 * ILSVRC2012_val_{i+1:08d}.JPEG for the real tarball); each entry is a
 * list of class indices (0..nclasses-1, the sorted-wnid order), possibly
 * empty (3,163 of the real file's lists are).
 *
 * The grammar is this one shape and nothing else, parsed by hand in one
 * pass with no DOM: white space, '[', lists of non-negative integers
 * separated by ',', ']'.  Memory is the result only (one uint32_t per
 * member and one uint16_t per label), and parsing stops at the first list
 * past the tarball's member count, so no file can make it grow beyond
 * that.
 */
#ifndef IMLFS_REAL_H
#define IMLFS_REAL_H

#include <stddef.h>

#include "imlfs/error.h"
#include "imlfs/model.h"

/* Parse text[0..len) (named `path` in messages) into m->real_off,
 * m->real, m->nreal, and set IMLFS_HAVE_REAL.  Each list is stored
 * ascending, duplicates removed.  Requires members and classes.
 * Errors, all IMLFS_E_REAL, one line "PATH: line L, column C (byte B):
 * what; what to do": not a list of lists of integers (the JSON shape or
 * syntax), a class index outside 0..nclasses-1 (with the entry and the
 * image it belongs to), and a list count that differs from the tarball's
 * members.  On failure m is as before. */
int imlfs_real_parse(struct imlfs_model *m, const char *path, const char *text, size_t len,
		     struct imlfs_error *err);

#endif
