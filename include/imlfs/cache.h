/* SPDX-License-Identifier: MIT */
/* cache.h — the persistent index: one compact binary file per input set.
 *
 * Contract:
 *   imlfs_cache_dir_open() the cache folder, trusted or refused (below)
 *   imlfs_cache_file()  where the cache of these inputs lives (for messages)
 *   imlfs_cache_name()  its name inside the folder
 *   imlfs_cache_load()  fill a model from it, if and only if it is valid:
 *                       format version, every input's identity (path, size,
 *                       mtime, inode, device) and a checksum of the contents
 *                       all match; otherwise say why and leave the model empty
 *   imlfs_cache_save()  write it atomically (temporary file + rename)
 *   imlfs_cache_sweep() remove the temporary files of writers that died
 *   imlfs_cache_read(), imlfs_cache_write()  any other file kept beside the
 *                       index (the remembered tarball digest, tardigest.h)
 * The cache holds every array of struct imlfs_model except the derived
 * lookup tables; the caller runs imlfs_model_finish() after loading.
 *
 * Trust.  A checksum proves nothing against someone who can write the
 * folder: they recompute it.  So the folder is used only when it is the
 * daemon's own: opened without following a symbolic link at its last
 * component (O_NOFOLLOW), then owned by the effective uid and writable by
 * neither group nor others (fstat on that descriptor).  Every file in it is
 * then reached only through that descriptor (openat, renameat, unlinkat)
 * with O_NOFOLLOW|O_NONBLOCK, and read only when it is a regular file owned
 * by the effective uid: a FIFO cannot block, a file planted while the
 * folder was open to others is not believed.  The folder's ancestors are
 * followed as they are: whoever can write one of them can swap the folder
 * for another, so it is only as safe as they are (the default, under your
 * home, is).  A folder that fails the rule costs the cache, never the
 * mount: the caller says why in one line and goes on without it.
 */
#ifndef IMLFS_CACHE_H
#define IMLFS_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "imlfs/error.h"
#include "imlfs/inputs.h"
#include "imlfs/model.h"

#define IMLFS_CACHE_VERSION 3   /* 2: ReaL, the inputs' MD5; 3: label sets, ReaL one of them */

/* A cache folder, opened and checked (see "Trust" above).  fd is -1 when
 * it is not open; path is what the caller named, for messages. */
struct imlfs_cache_dir {
	int fd;
	char *path;
};

/* Default directory: $XDG_CACHE_HOME/imlfs, else $HOME/.cache/imlfs.
 * Returns a malloc'd string, or NULL when neither variable is set. */
char *imlfs_cache_default_dir(void);

/* Open the folder `path` for the cache.  With `create`, a missing folder is
 * made first (mode 0700, and its missing parents: mkdir never follows a
 * symbolic link planted at the last component, and the open refuses one).
 * Returns 0 with d->fd open; 1 when it does not exist and !create (nothing
 * to say: there is no cache yet); -1 when it cannot be used: `why` gets one
 * line naming the folder, what is wrong and what to do ("cache folder DIR
 * is writable by group or others (mode 0777); going on without the cache
 * (chmod go-w DIR, or choose a folder of your own with --cache-dir)").
 * d->path is set in every case; release with imlfs_cache_dir_close()
 * (which does nothing to a zeroed struct). */
int imlfs_cache_dir_open(struct imlfs_cache_dir *d, const char *path, bool create,
			 char *why, size_t whylen);
void imlfs_cache_dir_close(struct imlfs_cache_dir *d);

/* The name of the cache file for these inputs inside a folder, derived
 * from the tarball's absolute path (malloc'd); imlfs_cache_file() is that
 * name inside dir, as a path for messages and the README. */
char *imlfs_cache_name(const struct imlfs_inputs *in);
char *imlfs_cache_file(const char *dir, const struct imlfs_inputs *in);

/* Returns 1 when loaded; 0 when there is no cache file (nothing to say);
 * -1 when the file exists but is not to be used (not a regular file, not
 * yours) or is stale, truncated, corrupt or of another version: `why` gets
 * a one-line reason ("not a regular file", "input changed: LABELS",
 * "checksum mismatch", "truncated", "version 0, expected 1") and m is left
 * empty. */
int imlfs_cache_load(struct imlfs_model *m, const struct imlfs_cache_dir *d, const char *name,
		     const struct imlfs_inputs *in, char *why, size_t whylen);

/* Write the model for these inputs into the open folder.  A failure is
 * reported in err (code IMLFS_E_INTERNAL) and is not fatal to the caller:
 * the mount goes on without a cache. */
int imlfs_cache_save(const struct imlfs_model *m, const struct imlfs_cache_dir *d,
		     const char *name, const struct imlfs_inputs *in, struct imlfs_error *err);

/* Remove the temporary files (NAME.idx.XXXXXX, NAME.md5.XXXXXX) in the
 * folder that writers killed mid-write left behind.  A writer holds an
 * flock on its temporary file until it is renamed, so a live writer's file
 * is never touched.  Returns how many were removed. */
int imlfs_cache_sweep(const struct imlfs_cache_dir *d);

/* The whole of file `name` in the folder, by the rules above: 0 with a
 * malloc'd, NUL-terminated *data; -ENOENT when there is none; another
 * -errno when it cannot or must not be read (why: one line, as for load). */
int imlfs_cache_read(const struct imlfs_cache_dir *d, const char *name, char **data,
		     size_t *len, char *why, size_t whylen);

/* Replace file `name` in the folder with len bytes: a locked temporary file
 * (NAME.XXXXXX, which the sweep knows for .idx and .md5 names) renamed over
 * it, so a reader sees the old file or the new one.  0 or -errno. */
int imlfs_cache_write(const struct imlfs_cache_dir *d, const char *name, const void *data,
		      size_t len);

#endif
