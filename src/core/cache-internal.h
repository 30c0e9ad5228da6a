/* cache-internal.h — what cache.c shares only with its unit test. */
#ifndef IMLFS_CACHE_INTERNAL_H
#define IMLFS_CACHE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The checksum over everything after the header: a four-lane 64-bit
 * multiply-rotate hash.  Part of the file format. */
uint64_t imlfs_cache_checksum(const void *data, size_t len);

#endif
