/* SPDX-License-Identifier: MIT */
/* cache-internal.h — what cache.c shares only with its unit and fuzz tests. */
#ifndef IMLFS_CACHE_INTERNAL_H
#define IMLFS_CACHE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imlfs/inputs.h"
#include "imlfs/model.h"

#include "imlfs/cache.h"

/* The checksum over everything after the header: a four-lane 64-bit
 * multiply-rotate hash.  Part of the file format. */
uint64_t imlfs_cache_checksum(const void *data, size_t len);

/* imlfs_cache_load() on bytes already read: the same checks, the same
 * results (1 or -1 with why). */
int imlfs_cache_parse(struct imlfs_model *m, const void *data, size_t len,
		      const struct imlfs_inputs *in, char *why, size_t whylen);

/* The file's primitives, shared by cache.c and cache-sets.c (the label
 * sets' sections).  One writer describes the format: it runs once without
 * a buffer, only counting the bytes, then again into a buffer of exactly
 * that size, so the size and the bytes cannot drift apart. */
struct cache_writer {
	unsigned char *p;     /* NULL: count only */
	size_t len;
};

struct cache_reader {
	const unsigned char *p;
	size_t len, pos;
	char *why;
	size_t whylen;
};

static inline size_t cache_pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

void cache_put(struct cache_writer *w, const void *data, size_t len);
void cache_put_pad(struct cache_writer *w);
/* Open a section; returns where its header is, for cache_end_section. */
size_t cache_begin_section(struct cache_writer *w, uint32_t tag, uint32_t recsize);
/* Close it: the bytes put since cache_begin_section become its length. */
void cache_end_section(struct cache_writer *w, size_t at);
void cache_put_section(struct cache_writer *w, uint32_t tag, uint32_t recsize,
		       const void *data, size_t len);

/* Say why the file is not used (into r->why); -1. */
int cache_bad(struct cache_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The next section must be `tag` with records of `recsize`; returns its
 * data, or NULL (said). */
const unsigned char *cache_section(struct cache_reader *r, uint32_t tag, uint32_t recsize,
				   const char *what, uint64_t *len);
/* Copy the next section, of exactly `expect` bytes, into its own
 * allocation (NULL when empty): 0 or -1 (said). */
int cache_take(struct cache_reader *r, uint32_t tag, uint32_t recsize, const char *what,
	       uint64_t expect, void **out);

/* cache-sets.c: the model's label sets, written after the multi-labels;
 * read back and checked (the classes must be read already), each set's
 * name and role against the inputs'. */
void cache_put_sets(struct cache_writer *w, const struct imlfs_model *m);
int cache_take_sets(struct cache_reader *r, struct imlfs_model *m, uint32_t nsets,
		    const struct imlfs_inputs *in);

#endif
