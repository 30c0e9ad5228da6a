/* SPDX-License-Identifier: MIT */
/* classes.h — the class list: index, wnid and name of each class.
 *
 * Accepted forms (auto-detected):
 *   ImageNetV2 class_info.json: [{"cid": 0, "wnid": "n01440764",
 *       "synset": ["tench", "Tinca tinca"], ...}, ...]
 *   "wnid name, name..." lines (LOC_synset_mapping.txt, synset_words.txt)
 *   one wnid per line (TFDS labels.txt); the name is then the wnid
 * The class index is the position in the file; the name is the synset names
 * joined with ", ".
 */
#ifndef IMLFS_CLASSES_H
#define IMLFS_CLASSES_H

#include <stddef.h>

#include "imlfs/error.h"
#include "imlfs/model.h"

/* Parse text[0..len) (the file's bytes, named `path` in messages): fill
 * m->classes/ctext/nclasses and set IMLFS_HAVE_CLASSES.  Errors:
 * IMLFS_E_CLASSES (with line number: bad wnid, duplicate
 * wnid, empty file, JSON error with line:column). */
int imlfs_classes_parse(struct imlfs_model *m, const char *path, const char *text, size_t len,
			struct imlfs_error *err);

/* Does s[0..len) look like a WordNet id ("n" and 8 digits)? */
int imlfs_is_wnid(const char *s, size_t len);

#endif
