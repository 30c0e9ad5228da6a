/* SPDX-License-Identifier: MIT */
/* npy.h — NumPy .npy arrays as submissions: the format alone.  What a
 * parsed submission holds, and which parser a submission gets, is
 * preds.h's; this module knows nothing of it, nor of the store's bounds
 * (the caller gives the bound, imlfs_npy_cap).
 *
 * A submission whose first bytes are the .npy magic ("\x93NUMPY") is an
 * array, anything else text lines (preds.h): the first bytes decide.  The
 * array is 2-D, C order, little-endian, with one row per image of the
 * split whose predictions file it is written to, in sorted member-name
 * order (the order of images/); the root file's rows are those of "all".
 *   scores   '<f2', '<f4', '<f8': nclasses columns; the top-5 are the five
 *            highest scores, ties to the lower class index; a row holding
 *            a NaN is invalid (counted in "invalid", with an error).
 *   indices  '<i4', '<i8': k columns, 1 <= k <= nclasses, class indices
 *            with the top-1 first (logits.topk(5).indices); a row with an
 *            index out of 0..nclasses-1 is invalid.
 * Anything else (another dtype or byte order, Fortran order, a shape that
 * does not fit, a bad header, truncated data or bytes after the data, more
 * than imlfs_npy_cap) is one invalid submission that predicts nothing,
 * with one error saying what was expected.  Errors of a row have "line"
 * the row number counted from 1; errors of the array as a whole line 0.
 *
 * Format versions 1.0 (2-byte header length), 2.0 and 3.0 (4-byte; 3.0's
 * header is UTF-8, which changes nothing for the ASCII keys and dtypes
 * accepted here).  The header is parsed as the Python dict literal numpy
 * writes, keys in any order, with white space and a trailing comma where
 * Python allows them; numpy's limit of 10,000 header bytes applies.
 */
#ifndef IMLFS_NPY_H
#define IMLFS_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imlfs/model.h"

#define IMLFS_NPY_MAGIC "\x93NUMPY"
#define IMLFS_NPY_MAGIC_LEN 6
#define IMLFS_NPY_MAX_HEADER 10000        /* as numpy's _MAX_HEADER_SIZE */
#define IMLFS_NPY_MAX_BYTES (256u << 20)   /* no array is ever allowed more */
#define IMLFS_NPY_HEADER_ROOM (16u << 10)  /* room for prefix and header */
#define IMLFS_NPY_MAX_K 5                  /* labels a row yields at most: a top-5 */
#define IMLFS_NPY_WHY_MAX 400              /* room for any message of this module */

/* Write a version 1.0 header around dict[0..dl) (the header's Python
 * dict, e.g. "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }")
 * as numpy's np.save does: the magic, the length, the dict, room for the
 * first dimension to grow to 21 digits (it has lead_digits now), spaces and
 * a newline up to a multiple of 64 bytes.  buf needs dl + 96 bytes.
 * Returns the header's length, 0 when lead_digits > 21 or dl > 65000. */
size_t imlfs_npy_wrap_header(char *buf, const char *dict, size_t dl, unsigned lead_digits);

/* Does a submission of these bytes start with the .npy magic? */
bool imlfs_npy_is(const char *buf, size_t len);

/* What an array's header says. */
struct imlfs_npy_header {
	unsigned major, minor;   /* format version */
	size_t data_off;         /* where the array data starts */
	char kind;               /* 'f' scores (float), 'i' class indices (int) */
	unsigned width;          /* bytes per element: 2, 4 or 8 */
	bool fortran;            /* fortran_order */
	unsigned ndim;
	uint64_t shape[2];       /* the first two dimensions, as far as given */
};

/* Parse the prefix and header of buf[len] (one of the dtypes above): 0,
 * or -1 with one line saying what is wrong in why[whysz]. */
int imlfs_npy_header(const char *buf, size_t len, struct imlfs_npy_header *h,
		     char *why, size_t whysz);

/* The rows an array for split s has: its member count. */
uint32_t imlfs_npy_rows(const struct imlfs_model *m, enum imlfs_split s);

/* The most bytes an array submission may have: what the largest array
 * (every member, nclasses float32 columns) needs plus header room, but
 * never less than text_cap (the text bound) nor more than bound. */
size_t imlfs_npy_cap(const struct imlfs_model *m, size_t text_cap, size_t bound);

/* An array checked against a split by imlfs_npy_open: where its rows are. */
struct imlfs_npy_array {
	struct imlfs_npy_header h;
	uint32_t rows;                /* the split's member count */
	const unsigned char *data;    /* row r at data + r * rowbytes */
	size_t rowbytes;
};

/* Check buf[len] (imlfs_npy_is) as the array for split s, of at most cap
 * bytes: 0 with *a, or -1 with the one error of the whole array, and what
 * was expected, in why[whysz]. */
int imlfs_npy_open(const struct imlfs_model *m, const char *buf, size_t len, enum imlfs_split s,
		   size_t cap, struct imlfs_npy_array *a, char *why, size_t whysz);

/* Row r (from 0) of a, the row of member i: its first min(k, columns)
 * labels (k <= IMLFS_NPY_MAX_K; scores: the highest first, ties to the
 * lower class index; indices: as given) in lab, and their count; or -1
 * with the row's error in why[whysz] (a NaN, an index out of range). */
int imlfs_npy_row(const struct imlfs_model *m, const struct imlfs_npy_array *a, uint32_t r,
		  uint32_t i, uint16_t *lab, unsigned k, char *why, size_t whysz);

#endif
