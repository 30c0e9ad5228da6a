/* SPDX-License-Identifier: MIT */
/* error.h — how the core reports a failure the user can fix, and the exit
 * statuses of `imlfs` and `imlfs-score`.
 *
 * Every start-up failure has a kind, and each kind is a distinct, documented
 * exit status.  The message is one line: the file, the place (line, member,
 * byte offset) and what to do.  Functions that can fail take a
 * `struct imlfs_error *` and return -1 after filling it with imlfs_fail();
 * on success they leave it untouched.
 */
#ifndef IMLFS_ERROR_H
#define IMLFS_ERROR_H

#include <stdio.h>

/* Which program can end with a status. */
#define IMLFS_BY_IMLFS 1u
#define IMLFS_BY_SCORE 2u
#define IMLFS_BY_BOTH (IMLFS_BY_IMLFS | IMLFS_BY_SCORE)

/* The one table of exit statuses: enum name, status, which programs return
 * it, a short name (imlfs_exit_name: the last line of a failed run says it)
 * and a one-line meaning (--help).  README.md, docs/imlfs.1,
 * docs/imlfs-score.1 and tests/mount/test_errors.py list the same statuses
 * under the same names; tests/mount/test_exit_table.py reads this table and
 * fails when one of them differs, so a row changed here must be changed
 * there too.  Statuses are never renumbered: scripts test them. */
#define IMLFS_EXIT_TABLE(X) \
	X(IMLFS_OK,             0, IMLFS_BY_BOTH, "ok", "success") \
	X(IMLFS_E_INTERNAL,     1, IMLFS_BY_BOTH, "internal error", \
	  "a bug or an unexpected system failure") \
	X(IMLFS_E_USAGE,        2, IMLFS_BY_BOTH, "usage error", "bad command line or option") \
	X(IMLFS_E_MISSING,      3, IMLFS_BY_BOTH, "missing input", \
	  "an input file is missing or unreadable") \
	X(IMLFS_E_NOTTAR,       4, IMLFS_BY_BOTH, "not an uncompressed tar", \
	  "TARBALL is not a tar, or is compressed") \
	X(IMLFS_E_TRUNCATED,    5, IMLFS_BY_BOTH, "truncated tar", "TARBALL is truncated or corrupt") \
	X(IMLFS_E_JSON,         6, IMLFS_BY_BOTH, "JSON syntax error", \
	  "annotation file: JSON syntax error") \
	X(IMLFS_E_SCHEMA,       7, IMLFS_BY_BOTH, "annotation schema error", \
	  "annotation file: valid JSON, wrong shape") \
	X(IMLFS_E_LABELS,       8, IMLFS_BY_BOTH, "bad labels file", \
	  "labels file: malformed, or count mismatch") \
	X(IMLFS_E_CLASSES,      9, IMLFS_BY_BOTH, "bad classes file", "classes file: malformed") \
	X(IMLFS_E_WNID,        10, IMLFS_BY_BOTH, "unknown class", \
	  "a wnid or class index that no class has") \
	X(IMLFS_E_MOUNT,       11, IMLFS_BY_IMLFS, "mount failed", "mount point or FUSE set-up failed") \
	X(IMLFS_E_NOMEM,       12, IMLFS_BY_BOTH, "out of memory", "out of memory") \
	X(IMLFS_E_REAL,        13, IMLFS_BY_BOTH, "bad ReaL labels file", \
	  "real.json: malformed, an index out of range, or count mismatch") \
	X(IMLFS_VERIFY_DIFFERS, 14, IMLFS_BY_IMLFS, "input differs", \
	  "--verify: an input differs from its published file") \
	X(IMLFS_E_LABELSET,    15, IMLFS_BY_BOTH, "bad label set", \
	  "--labelset: no known format, malformed, or an unknown image or class")

enum imlfs_exit {
#define IMLFS_EXIT_ENUM(id, status, by, name, meaning) id = status,
	IMLFS_EXIT_TABLE(IMLFS_EXIT_ENUM)
#undef IMLFS_EXIT_ENUM
};

struct imlfs_error {
	int code;               /* enum imlfs_exit, 0 while nothing failed */
	char msg[1024];         /* "FILE: PLACE: what happened; what to do" */
};

/* Record a failure (printf-style message) and return -1. */
int imlfs_fail(struct imlfs_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The table's short name of a status ("unknown" for one not in it). */
const char *imlfs_exit_name(int code);

/* The statuses `by` (IMLFS_BY_IMLFS or IMLFS_BY_SCORE) can return, one
 * line each ("  13  bad ReaL labels file     real.json: ..."), for --help:
 * two spaces or more after the name, which has single spaces only. */
void imlfs_exit_help(FILE *out, unsigned by);

/* A failed run's last line, "PROG: MSG (exit status N, NAME)", on out;
 * returns code, the status to exit with. */
int imlfs_exit_report(FILE *out, const char *prog, int code, const char *msg);

#endif
