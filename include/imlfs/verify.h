/* verify.h — are the inputs the published files?  The table of published
 * MD5 digests, matched by an input's role and file name, the words the
 * README and `imlfs --verify` use, and the small file that remembers a
 * tarball's digest.  The MD5 of a buffer or a file is md5.h's.
 *
 * Which digest applies: the input's role and its base name, e.g. the
 * annotations role and "human_accuracy_v3.0.0.json".  A file under another
 * name (human_accuracy_fixed.json, LOC_synset_mapping.txt, a renamed
 * tarball) has no published digest known.
 *
 * Testing aid: IMLFS_TEST_DIGESTS="ROLE:NAME:MD5[,ROLE:NAME:MD5...]" adds
 * entries that take precedence over the built-in table (ROLE: tarball,
 * annotations, labels, classes, real).  It only changes what is reported,
 * never what is served or scored, and only for the user who sets it.
 */
#ifndef IMLFS_VERIFY_H
#define IMLFS_VERIFY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "imlfs/inputs.h"
#include "imlfs/md5.h"
#include "imlfs/model.h"
#include "imlfs/util.h"

/* "tarball", "annotations", "labels", "classes", "real". */
const char *imlfs_role_name(int role);
/* The file that plays `role` among the inputs, or NULL when there is none. */
const char *imlfs_role_path(const struct imlfs_inputs *in, int role);

/* The published MD5 of a file of this role and path (its base name counts):
 * 1 with *md5 filled, or 0 when none is known. */
int imlfs_published_md5(int role, const char *path, uint8_t md5[IMLFS_MD5_LEN]);

/* A parser's note of the bytes it parsed: m->md5 of role. */
void imlfs_verify_note(struct imlfs_model *m, int role, const void *data, size_t len);

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

/* The remembered tarball digest: a small text file beside the index cache
 * (NAME.idx -> NAME.md5) in the cache folder, keyed by the tarball's path,
 * size, mtime, inode and device.  It is read and written only through the
 * checked folder, by the cache's rules (cache.h, "Trust"): a digest in a
 * file that is not the daemon's own is not believed.
 * imlfs_tardigest_file returns the digest's name for an index's name or path
 * (malloc'd; NULL when that is NULL or empty); load returns 1 when the file
 * holds a digest for exactly this path and identity, else 0; save writes it
 * with imlfs_cache_write() (a locked temporary file, renamed over; swept
 * when its writer dies), returning 0 or -errno. */
struct imlfs_cache_dir;
char *imlfs_tardigest_file(const char *cache_file);
int imlfs_tardigest_load(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, uint8_t md5[IMLFS_MD5_LEN]);
int imlfs_tardigest_save(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, const uint8_t md5[IMLFS_MD5_LEN]);

/* `imlfs --verify`: hash every input of `in` (the tarball's digest from
 * file tardigest in folder d when it is valid, and written there after
 * hashing; d NULL: none), print "FILE: STATUS" lines on out, and return 0,
 * or IMLFS_VERIFY_DIFFERS (error.h) when a file with a published digest
 * differs, or IMLFS_E_MISSING when one cannot be read (a line on err). */
int imlfs_verify_command(const struct imlfs_inputs *in, const struct imlfs_cache_dir *d,
			 const char *tardigest, FILE *out, FILE *err);

#endif
