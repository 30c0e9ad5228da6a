/* SPDX-License-Identifier: MIT */
/* jsonscan.h — validate a JSON text without building it, and find the
 * extent of a top-level object's members.
 *
 * The real annotation file is ~200 MB, nearly all of it under keys imlfs
 * ignores; jansson's DOM of it costs >1 GB.  So the whole text is checked
 * for syntax by this scanner (no allocation), and only the members we need
 * are handed to jansson (json_loadb on their byte range).
 */
#ifndef IMLFS_JSONSCAN_H
#define IMLFS_JSONSCAN_H

#include <stddef.h>

struct imlfs_json_member {
	const char *key;        /* raw key bytes (between the quotes, escapes kept) */
	size_t key_len;
	size_t value_off;       /* byte offset of the value's first character */
	size_t value_len;       /* length of the value text */
};

/* Visit each member of the top-level object of text[0..len).  The callback
 * returns 0 to continue, or non-zero to stop (that value is returned).
 * Returns 0 on success; on a syntax error returns -1 and sets *err_off to the
 * byte offset of the error and *err_what to a static description
 * ("expected ':'", "unterminated string", "top level is not an object", ...).
 * The whole text is validated (RFC 8259), including values never visited. */
int imlfs_json_scan(const char *text, size_t len,
		    int (*visit)(void *ctx, const struct imlfs_json_member *mem),
		    void *ctx, size_t *err_off, const char **err_what);

#endif
