/* SPDX-License-Identifier: MIT */
/* published.h — is an input the published file?  Its MD5 compared with the
 * published digests of the table of roles (roles.c), and the words the
 * README and `imlfs --verify` use for the answer.  The MD5 of a buffer or a
 * file is md5.h's.
 *
 * Which digest applies: the input's role and its base name, e.g. the
 * annotations role and "human_accuracy_v3.0.0.json".  A file under another
 * name (human_accuracy_fixed.json, LOC_synset_mapping.txt, a renamed
 * tarball) has no published digest known.
 *
 * Testing aid: IMLFS_TEST_DIGESTS="ROLE:NAME:MD5[,ROLE:NAME:MD5...]" adds
 * entries that take precedence over the built-in table (ROLE: a role's name,
 * tarball, annotations, labels, classes, real).  It only changes what is
 * reported, never what is served or scored, and only for the user who sets
 * it.
 */
#ifndef IMLFS_PUBLISHED_H
#define IMLFS_PUBLISHED_H

#include <stdint.h>

#include "imlfs/md5.h"
#include "imlfs/roles.h"
#include "imlfs/util.h"

/* The published MD5 of a file of this role and path (its base name counts):
 * 1 with *md5 filled, or 0 when none is known. */
int imlfs_published_md5(int role, const char *path, uint8_t md5[IMLFS_MD5_LEN]);

/* How an input compares with its published file. */
enum imlfs_vstatus {
	IMLFS_V_UNKNOWN,     /* no published digest known */
	IMLFS_V_SAME,        /* the published file */
	IMLFS_V_DIFFERS,     /* differs from the published file */
	IMLFS_V_PENDING,     /* not checked yet (the tarball: hashing) */
	IMLFS_V_SKIPPED,     /* not checked: -o noverify */
	IMLFS_V_FAILED,      /* not checked: the file could not be hashed */
};

/* Compare md5 with the published digest of (role, path). */
enum imlfs_vstatus imlfs_verify_compare(int role, const char *path, const uint8_t md5[IMLFS_MD5_LEN]);

/* The words for a finished status: "the published file", "differs from the
 * published file (md5 X, published Y)", "no published digest known (md5 X)". */
void imlfs_verify_words(struct imlfs_buf *b, int role, const char *path,
			enum imlfs_vstatus st, const uint8_t md5[IMLFS_MD5_LEN]);

#endif
