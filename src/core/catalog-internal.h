/* SPDX-License-Identifier: MIT */
/* catalog-internal.h — the catalogue's structure, shared by the code that
 * builds the tree (catalog-build.c) and the code that answers lookups,
 * stats and listings over it (catalog.c); see catalog.c for the kinds of
 * directory. */
#ifndef IMLFS_CATALOG_INTERNAL_H
#define IMLFS_CATALOG_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "imlfs/catalog.h"
#include "imlfs/util.h"

struct dir {
	uint32_t name;        /* offset in c->strings */
	uint32_t parent;      /* directory id */
	uint32_t nsub;        /* subdirectories, for st_nlink */
	uint32_t first, n;    /* children[] (plain) or lists[] (image) range */
	bool images;
	bool pixels;          /* a split's pixels/: n = 1 + 2 * nspecs */
	enum imlfs_split split;   /* pixels/: whose */
};

struct child {
	uint32_t name;        /* offset in c->strings */
	struct imlfs_node node;
};

struct imlfs_catalog {
	const struct imlfs_model *m;
	struct imlfs_catalog_src src;
	struct dir *dirs;
	size_t ndirs, dirs_cap;
	struct child *children;
	size_t nchildren, children_cap;
	uint32_t *lists;
	size_t nlists, lists_cap;
	struct imlfs_buf strings;
	struct imlfs_buf texts[IMLFS_NTEXTS];
	uint16_t *nlink;                 /* per member: folders holding it */
	_Atomic uint32_t *sidecar_size;  /* per member, 0 = not yet known */
	struct imlfs_pixspec *specs;     /* listed in pixels/, sorted by name */
	size_t nspecs;
	uint32_t images_dir[IMLFS_NSPLITS];  /* each split's images/ (0: none) */
	uint32_t pixels_dir[IMLFS_NSPLITS];  /* and its pixels/ */
	int failed;                      /* out of memory while building */
};

/* The node of predictions file f. */
static inline void pred_node(enum imlfs_pred_file f, struct imlfs_node *node)
{
	*node = (struct imlfs_node){ .ino = IMLFS_INO_PREDICTIONS + f,
				     .kind = IMLFS_NODE_PREDICTIONS, .pred = f };
}

/* The node of predictions file f's report file `kind`. */
static inline void report_node(enum imlfs_pred_file f, int kind, struct imlfs_node *node)
{
	*node = (struct imlfs_node){ .ino = IMLFS_INO_REPORT + 2ULL * f + (uint64_t)kind,
				     .kind = IMLFS_NODE_REPORT, .pred = f, .index = kind };
}

#endif
