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
 * becomes a folder NAME/ and a key NAME of the root's predictions.  Nor
 * any that would make a key clash: a set's keys are NAME_labels in the
 * sidecars and NAME_accuracy, NAME_top5_accuracy in the scores, so
 * correct_multi, unclear_multi, wrong_multi (the sidecars' *_multi_labels),
 * top1, top5, multilabel (the scores' keys) and any name ending in _top5
 * (A_top5's NAME_accuracy would be A's NAME_top5_accuracy) are refused.
 * "real" is the ReaL set's own name: only IMLFS_LS_REAL may take it.
 *
 * Errors are one line "PATH: line L[, column C]: what; what to do" with
 * IMLFS_E_LABELSET (under IMLFS_LS_REAL, IMLFS_E_REAL and "PATH: line L,
 * column C (byte B): ...", ReaL's status and places of old), IMLFS_E_USAGE for a bad name, too many sets or a name given twice,
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

/* --labelset's argument "NAME=FILE": the name checked and copied into
 * name, *file pointing into spec.  0, or -1 with IMLFS_E_USAGE. */
int imlfs_labelset_spec(const char *spec, char name[IMLFS_LABELSET_NAME_MAX + 1],
			const char **file, struct imlfs_error *err);

/* Parse text[0..len) into a set of m named name (flags as for
 * imlfs_labelset_parse; role: its file's input role) and add it to the
 * model's sets: ReaL's (IMLFS_LS_REAL) replaces an earlier ReaL set and
 * sets IMLFS_HAVE_REAL, any other is appended (IMLFS_E_USAGE past
 * IMLFS_LABELSETS_MAX, or for a name the model has already).  On failure
 * m is as before.  The loader (load.h) reads the files and calls this. */
int imlfs_model_add_set(struct imlfs_model *m, const char *name, unsigned flags,
			enum imlfs_role role, const char *path, const char *text, size_t len,
			struct imlfs_error *err);

void imlfs_labelset_free(struct imlfs_labelset *ls);

#endif
