/* SPDX-License-Identifier: MIT */
/* readme.h — the text of the mount's README: the inputs and how the index
 * was loaded, every folder with its counts (read off the finished tree),
 * the files, and what the parsers reported.
 *
 * Built on the public catalogue API only; the catalogue calls it while it
 * is being made (imlfs_catalog_src.readme), so the README is part of an
 * immutable catalogue like every other node:
 *
 *   struct imlfs_readme_src rs = { .inputs = &in, .load = &info };
 *   imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m,
 *           .readme = imlfs_readme_render, .readme_ctx = &rs, ... });
 */
#ifndef IMLFS_README_H
#define IMLFS_README_H

#include "imlfs/catalog.h"
#include "imlfs/inputs.h"
#include "imlfs/load.h"
#include "imlfs/util.h"

/* Either may be NULL (as in tests): "?" and no index line. */
struct imlfs_readme_src {
	const struct imlfs_inputs *inputs;
	const struct imlfs_load_info *load;
};

/* Append the README of catalogue c to b; ctx is a struct imlfs_readme_src
 * (NULL: none).  0, or -ENOMEM when out of memory (b's text is then
 * incomplete and must not be served). */
int imlfs_readme_render(const struct imlfs_catalog *c, const void *ctx, struct imlfs_buf *b);

/* The README's last part, which changes while the mount runs (the
 * tarball's digest is taken in the background): whether each input is the
 * published file.  The daemon appends it to the catalogue's README at each
 * open.  th may be NULL (the tarball: not checked).  0 or -ENOMEM. */
struct imlfs_tarhash;
int imlfs_readme_verify(struct imlfs_buf *b, const struct imlfs_inputs *in,
			const struct imlfs_model *m, struct imlfs_tarhash *th);

#endif
