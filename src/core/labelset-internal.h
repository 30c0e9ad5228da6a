/* SPDX-License-Identifier: MIT */
/* labelset-internal.h — what the label-set parsers (ls-*.c) share with
 * labelset.c: one parse's state, the error helpers, the lookups of images
 * and labels, and the builder that collects the lists.
 *
 * A parser reads its bytes and, for each image it lists, calls
 * ls_list_begin, ls_list_add per label and ls_list_end with the member;
 * it never touches the result.  The lists arrive in any member order
 * (the TSV and the CSV name images in any order), so they go into one pool
 * first and labelset.c lays them out in member order once the parser has
 * succeeded: a failed parse leaves nothing behind but the pool.
 */
#ifndef IMLFS_LABELSET_INTERNAL_H
#define IMLFS_LABELSET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imlfs/labelset.h"

struct ls_parse {
	const struct imlfs_model *m;
	const char *path;
	const char *t;               /* the text (after a UTF-8 byte-order mark) */
	size_t len;
	size_t bom;                  /* bytes of the skipped mark, for positions */
	unsigned flags;
	int code;                    /* IMLFS_E_LABELSET, or IMLFS_E_REAL */
	struct imlfs_error *err;

	/* The builder.  Member i's list is pool[first[i] .. +count[i]) when
	 * where[i] (the line, or entry + 1, that listed it) is not 0. */
	uint32_t *first, *count, *where;
	uint16_t *pool;
	size_t npool, cap;
	size_t run;                  /* where the open list starts in pool */
	uint32_t *stamp;             /* per class: serial of the last list with it */
	uint32_t serial;
	uint32_t outcome[IMLFS_LS_NOUTCOMES];
};

/* The parsers: 0, or -1 with p->err filled. */
int imlfs_ls_mturk(struct ls_parse *p);
int imlfs_ls_flaws(struct ls_parse *p);
int imlfs_ls_tsv(struct ls_parse *p);
int imlfs_ls_lists(struct ls_parse *p);

/* "PATH: line L, column C: MESSAGE" for byte `at` of p->t; -1. */
int ls_fail_at(struct ls_parse *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "PATH: line L: MESSAGE"; -1. */
int ls_fail_line(struct ls_parse *p, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Out of memory; -1. */
int ls_nomem(struct ls_parse *p);

/* s[0..len) quoted for a message (cut at 60 bytes, control bytes as '?'),
 * in buf[80]. */
const char *ls_show(const char *s, size_t len, char buf[80]);

/* The member named s[0..len): its name, its stem ("ILSVRC2012_val_
 * 00000001"), or either after a directory part; -1 when none. */
int64_t ls_member(const struct imlfs_model *m, const char *s, size_t len);

/* Label s[0..len) (a class index or a wnid) at byte `at`, for `image`:
 * its class in *cls, or -1 with the message. */
int ls_label(struct ls_parse *p, const char *s, size_t len, size_t at, const char *image,
	     uint32_t *cls);

/* The builder: open a list, add classes (< nclasses; repeats dropped),
 * close it as member i's, listed at `where` (a line or entry + 1, not 0).
 * ls_list_end returns 1, and drops the list, when i is listed already
 * (where[i] says where); -1 when out of memory. */
void ls_list_begin(struct ls_parse *p);
int ls_list_add(struct ls_parse *p, uint32_t cls);
int ls_list_end(struct ls_parse *p, uint32_t i, uint32_t where);

#endif
