/* SPDX-License-Identifier: MIT */
/* verify.h — `imlfs --verify`: are the inputs the published files?  Every
 * input is hashed (the tarball's digest may be remembered: tardigest.h) and
 * compared with its published digest (published.h), one line each.
 */
#ifndef IMLFS_VERIFY_H
#define IMLFS_VERIFY_H

#include <stdio.h>

#include "imlfs/cache.h"
#include "imlfs/inputs.h"

/* Hash every input of `in` (the tarball's digest from file tardigest in
 * folder d when it is valid, and written there after hashing; d NULL:
 * none), print "FILE: STATUS" lines on out, and return 0, or
 * IMLFS_VERIFY_DIFFERS (error.h) when a file with a published digest
 * differs, or IMLFS_E_MISSING when one cannot be read (a line on err). */
int imlfs_verify_command(const struct imlfs_inputs *in, const struct imlfs_cache_dir *d,
			 const char *tardigest, FILE *out, FILE *err);

#endif
