/* cache.h — the persistent index: one compact binary file per input set.
 *
 * Contract:
 *   imlfs_cache_file()  where the cache of these inputs lives
 *   imlfs_cache_load()  fill a model from it, if and only if it is valid:
 *                       format version, every input's identity (path, size,
 *                       mtime, inode, device) and a checksum of the contents
 *                       all match; otherwise say why and leave the model empty
 *   imlfs_cache_save()  write it atomically (temporary file + rename)
 *   imlfs_cache_sweep() remove the temporary files of writers that died
 * The cache holds every array of struct imlfs_model except the derived
 * lookup tables; the caller runs imlfs_model_finish() after loading.
 */
#ifndef IMLFS_CACHE_H
#define IMLFS_CACHE_H

#include <stddef.h>

#include "imlfs/error.h"
#include "imlfs/inputs.h"
#include "imlfs/model.h"

#define IMLFS_CACHE_VERSION 2   /* 2: the ReaL labels and their file; the small inputs' MD5 */

/* Default directory: $XDG_CACHE_HOME/imlfs, else $HOME/.cache/imlfs.
 * Returns a malloc'd string, or NULL when neither variable is set. */
char *imlfs_cache_default_dir(void);

/* The cache file for these inputs inside dir: a name derived from the
 * tarball's absolute path (malloc'd). */
char *imlfs_cache_file(const char *dir, const struct imlfs_inputs *in);

/* Returns 1 when loaded; 0 when there is no cache file (nothing to say);
 * -1 when the file exists but is stale, truncated, corrupt or of another
 * version: `why` gets a one-line reason ("input changed: LABELS", "checksum
 * mismatch", "truncated", "version 0, expected 1") and m is left empty. */
int imlfs_cache_load(struct imlfs_model *m, const char *file,
		     const struct imlfs_inputs *in, char *why, size_t whylen);

/* Write the model for these inputs; creates the directory (mode 0700) when
 * missing.  A failure is reported in err (code IMLFS_E_INTERNAL) and is not
 * fatal to the caller: the mount goes on without a cache. */
int imlfs_cache_save(const struct imlfs_model *m, const char *file,
		     const struct imlfs_inputs *in, struct imlfs_error *err);

/* Remove the temporary files (NAME.idx.XXXXXX) in file's directory that
 * writers killed mid-write left behind.  A writer holds an flock on its
 * temporary file until it is renamed, so a live writer's file is never
 * touched.  Returns how many were removed. */
int imlfs_cache_sweep(const char *file);

#endif
