/* SPDX-License-Identifier: MIT */
/* load.h — from input files to a finished model: the cache when valid,
 * else the parsers in order (classes, tar, labels, annotations, ReaL, the
 * label sets), then the
 * cache is written.  Shared by the daemon and imlfs-score.
 *
 * The loader is the one reader of the small inputs: it maps each file,
 * hands the bytes to its role's parser (which never opens a file) and takes
 * their MD5 on another core meanwhile (m->md5: published.h says whether
 * they are the published file). */
#ifndef IMLFS_LOAD_H
#define IMLFS_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "imlfs/error.h"
#include "imlfs/inputs.h"
#include "imlfs/model.h"

struct imlfs_load_opts {
	const char *cache_dir;   /* NULL: the default directory */
	bool nocache;            /* neither read nor write a cache */
	FILE *log;               /* warnings and progress; NULL for quiet */
};

/* What happened, for the README and messages. */
struct imlfs_load_info {
	bool from_cache;
	char cache_file[4096];   /* empty when no cache is used */
	double seconds;          /* time to load or build */
	uint64_t tar_size;       /* the tarball as indexed, for imlfs_tarcheck */
	int64_t tar_mtime_ns;
};

/* Open the tarball (O_RDONLY; *tar_fd stays open for pread) and fill m.
 * Returns 0, or -1 with err set; on failure nothing is left open. */
int imlfs_load(struct imlfs_model *m, const struct imlfs_inputs *in,
	       const struct imlfs_load_opts *opts, int *tar_fd,
	       struct imlfs_load_info *info, struct imlfs_error *err);

/* One input of `role` (not the tarball) read, parsed into m and hashed, as
 * imlfs_load does it; m must hold what the role's parser requires (labelset.h,
 * labels.h...).  Returns 0, or -1 with err set: IMLFS_E_MISSING when the
 * file cannot be read ("FILE: cannot open the ReaL labels file: ...; check
 * the --real path"), else the parser's error.  Not for a label set's
 * slot, which needs its name: */
int imlfs_load_input(struct imlfs_model *m, enum imlfs_role role, const char *path,
		     struct imlfs_error *err);
/* The same for the label set `name` in slot `role` (IMLFS_ROLE_SET0 on):
 * added to m->sets (imlfs_model_add_set). */
int imlfs_load_labelset(struct imlfs_model *m, enum imlfs_role role, const char *name,
			const char *path, struct imlfs_error *err);

#endif
