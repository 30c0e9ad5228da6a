/* load.h — from input files to a finished model: the cache when valid,
 * else the parsers in order (classes, tar, labels, annotations, ReaL), then the
 * cache is written.  Shared by the daemon and imlfs-score. */
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

#endif
