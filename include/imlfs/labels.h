/* SPDX-License-Identifier: MIT */
/* labels.h — the original label of every validation image.
 *
 * Accepted forms (auto-detected from the first non-blank line):
 *   TFDS validation_labels.txt: one wnid per line; line i belongs to the
 *     i-th member in sorted name order (members[] is sorted by name)
 *   "FILE_NAME LABEL" lines (Caffe val.txt); LABEL a class index or a wnid
 * Requires m->members (tarindex).  When m has no classes yet (no classes
 * file), the classes become the sorted distinct wnids of the labels, named
 * by their wnid.
 */
#ifndef IMLFS_LABELS_H
#define IMLFS_LABELS_H

#include <stddef.h>

#include "imlfs/error.h"
#include "imlfs/model.h"

/* Parse text[0..len) (the file's bytes, named `name` in messages): set
 * members[].label for every member and IMLFS_HAVE_LABELS.  Errors:
 * IMLFS_E_LABELS (count differs from the tar's members,
 * a member without a label, a line naming no member, a malformed line —
 * each with the line number); IMLFS_E_WNID (unknown wnid or class index out
 * of range, with the line number; class indices without a classes file). */
int imlfs_labels_parse(struct imlfs_model *m, const char *name, const char *text, size_t len,
		       struct imlfs_error *err);

#endif
