/* SPDX-License-Identifier: MIT */
/* roles.h — the input files of a mount, one table entry per role: how the
 * user names it, where it is looked for, which published file it may be,
 * and the words for it.  inputs.c resolves the files by this table, cache.c
 * keys the index on it, published.c compares with its digests, verify.c
 * and the README go over it; the loader (load.h) parses each role's bytes.
 *
 * A new input is one enum value and one entry in roles.c (and, if it is
 * parsed, one step in load.c); the cache's key section changes with the
 * count of roles, so cache.h's format version goes up with it.
 */
#ifndef IMLFS_ROLES_H
#define IMLFS_ROLES_H

#include "imlfs/lsdata.h"   /* IMLFS_LABELSETS_MAX */

/* The order is part of the cache file's format (its key section, the
 * digests' array): append, never reorder. */
enum imlfs_role {
	IMLFS_ROLE_TARBALL,
	IMLFS_ROLE_ANNOTATIONS,
	IMLFS_ROLE_LABELS,
	IMLFS_ROLE_CLASSES,
	IMLFS_ROLE_REAL,
	/* The label sets' files (--labelset NAME=FILE, labelset.h), one
	 * slot each in the order given, then those found beside the
	 * tarball: a set's name is not the role's but the inputs' (inputs.h
	 * setname[]).  ReaL's real.json keeps its own role above, and with
	 * it its option, its name beside the tarball and its digest. */
	IMLFS_ROLE_SET0,
	IMLFS_NROLES = IMLFS_ROLE_SET0 + IMLFS_LABELSETS_MAX,
};

/* Is role r a label set's slot? */
#define IMLFS_ROLE_IS_SET(r) ((r) >= IMLFS_ROLE_SET0 && (r) < IMLFS_NROLES)

#define IMLFS_ROLE_MAX_BESIDE 3     /* default names of one role */
#define IMLFS_ROLE_MAX_PUBLISHED 1  /* published files of one role */

struct imlfs_role_info {
	/* "annotations": the role's word in IMLFS_TEST_DIGESTS, in the
	 * README's input rows and in "input changed: annotations ...". */
	const char *name;
	/* The option that names the file: --OPTION FILE, --OPTION=FILE and
	 * -o OPTION=FILE (imlfs), --OPTION F (imlfs-score); NULL for the
	 * tarball, which is the first argument.  The label sets' slots share
	 * "labelset", given as many times as there are sets (NAME=FILE). */
	const char *option;
	/* What the file is, in messages: "cannot open the annotation file". */
	const char *file;
	/* The README's words when there is no such file ("none: only all/ is
	 * served; give --annotations FILE"); NULL: there always is one. */
	const char *absent;
	/* Looked for beside the tarball when not given, first match wins
	 * (NULL-terminated); the first is the name messages suggest. */
	const char *beside[IMLFS_ROLE_MAX_BESIDE + 1];
	/* The published file by its base name and MD5 (32 hex digits): a file
	 * of another name has no published digest known. */
	struct { const char *name, *md5; } published[IMLFS_ROLE_MAX_PUBLISHED];
};

extern const struct imlfs_role_info imlfs_roles[IMLFS_NROLES];

/* imlfs_roles[role].name, or "?" for a number that is no role. */
const char *imlfs_role_name(int role);

#endif
