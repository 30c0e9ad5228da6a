/* SPDX-License-Identifier: MIT */
/* cache-internal.h — what cache.c shares only with its unit and fuzz tests. */
#ifndef IMLFS_CACHE_INTERNAL_H
#define IMLFS_CACHE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imlfs/cache.h"

/* The checksum over everything after the header: a four-lane 64-bit
 * multiply-rotate hash.  Part of the file format. */
uint64_t imlfs_cache_checksum(const void *data, size_t len);

/* imlfs_cache_load() on bytes already read: the same checks, the same
 * results (1 or -1 with why). */
int imlfs_cache_parse(struct imlfs_model *m, const void *data, size_t len,
		      const struct imlfs_inputs *in, char *why, size_t whylen);

#endif
