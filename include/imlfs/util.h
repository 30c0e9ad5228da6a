/* SPDX-License-Identifier: MIT */
/* util.h — small helpers shared by the core and the tools: a growable byte
 * buffer, a growable array, formatted strings, whole-file reading and
 * mapping, a string hash, mkdir -p and a monotonic clock. */
#ifndef IMLFS_UTIL_H
#define IMLFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A failed append sets `failed`, and every later append is then a no-op, so
 * a text built by many appends can ignore their results and check once at
 * the end (imlfs_buf_check) without ever serving a silently truncated text. */
struct imlfs_buf {
	char *p;
	size_t len, cap;
	bool failed;          /* sticky: an append failed (out of memory) */
};

/* Append bytes; returns 0, or -1 when out of memory or an earlier append
 * failed (buf unchanged). */
int imlfs_buf_add(struct imlfs_buf *b, const void *data, size_t len);
/* Append a NUL-terminated copy of s[0..len) and return its offset through
 * *off (offsets, not pointers, since the buffer may move). */
int imlfs_buf_addstr(struct imlfs_buf *b, const char *s, size_t len, uint32_t *off);
int imlfs_buf_printf(struct imlfs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 0, or -ENOMEM when any append since the last reset failed. */
int imlfs_buf_check(const struct imlfs_buf *b);
/* Empty the buffer (keeping its memory) and forget a failure. */
void imlfs_buf_reset(struct imlfs_buf *b);
void imlfs_buf_free(struct imlfs_buf *b);

/* A zeroed array of n elements of `size` bytes, never NULL for n == 0, so
 * that NULL always means out of memory (calloc(0) may return NULL). */
void *imlfs_array_new(size_t n, size_t size);

/* A new string from a printf format, or NULL when out of memory: asprintf
 * without its "pointer undefined on failure" rule. */
char *imlfs_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Make room for one more element of size `size` in *arr holding *n of *cap;
 * returns 0 or -1 when out of memory. */
int imlfs_grow(void *arrp, size_t size, size_t n, size_t *cap);

struct imlfs_error;
/* Map the whole input file at path read-only, for a loader: *map is the
 * mapping (NULL when the file is empty; munmap it after), *len its size.
 * On failure err names the file (`what`, e.g. "annotation file"), why,
 * and what to do: check the `flag` path, or give the path of `want`.
 * Returns 0 or -1. */
int imlfs_map_input(const char *path, const char *what, const char *flag, const char *want,
		    void **map, size_t *len, struct imlfs_error *err);

/* Read a whole file (NUL-terminated for convenience).  Returns 0 or -errno. */
int imlfs_read_file(const char *path, char **data, size_t *len);

/* mkdir -p: create dir and any missing parents with `mode`; directories that
 * exist already are fine.  dir is cut at each '/' during the walk and put
 * back; on failure it is left cut at the directory that could not be made,
 * for the message.  Returns 0 or -errno. */
int imlfs_mkdirs(char *dir, mode_t mode);

/* Seconds on the monotonic clock, for durations. */
double imlfs_now(void);

/* 64-bit FNV-1a, for hash tables and checksums. */
uint64_t imlfs_hash(const void *data, size_t len, uint64_t seed);
#define IMLFS_HASH_SEED 0xcbf29ce484222325ULL

/* Space, tab or CR: the blanks trimmed from text lines (CRLF files work). */
static inline int imlfs_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next line of text[*pos .. end) with its blanks trimmed: [*s, *e),
 * empty for a blank line.  Advances *pos past the newline; returns 0 when
 * there is no line left. */
int imlfs_next_line(const char **pos, const char *end, const char **s, const char **e);

/* 1-based line number of byte `off` in text[0..len). */
size_t imlfs_line_of(const char *text, size_t len, size_t off);

#endif
