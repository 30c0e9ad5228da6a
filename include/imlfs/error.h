/* error.h — how the core reports a failure the user can fix.
 *
 * Every start-up failure has a kind, and each kind is a distinct, documented
 * exit status of `imlfs` (see docs/imlfs.1, EXIT STATUS).  The message is one
 * line: the file, the place (line, member, byte offset) and what to do.
 * Functions that can fail take a `struct imlfs_error *` and return -1 after
 * filling it with imlfs_fail(); on success they leave it untouched.
 */
#ifndef IMLFS_ERROR_H
#define IMLFS_ERROR_H

enum imlfs_exit {
	IMLFS_OK = 0,
	IMLFS_E_INTERNAL = 1,   /* a bug or an unexpected system failure */
	IMLFS_E_USAGE = 2,      /* bad command line or -o option */
	IMLFS_E_MISSING = 3,    /* an input file is missing or unreadable */
	IMLFS_E_NOTTAR = 4,     /* TARBALL is not a tar, or is compressed */
	IMLFS_E_TRUNCATED = 5,  /* TARBALL is truncated or corrupt */
	IMLFS_E_JSON = 6,       /* annotation file: JSON syntax error */
	IMLFS_E_SCHEMA = 7,     /* annotation file: valid JSON, wrong shape */
	IMLFS_E_LABELS = 8,     /* labels file: malformed, or count mismatch */
	IMLFS_E_CLASSES = 9,    /* classes file: malformed */
	IMLFS_E_WNID = 10,      /* a wnid or class index that no class has */
	IMLFS_E_MOUNT = 11,     /* mount point or FUSE set-up failed */
	IMLFS_E_NOMEM = 12,     /* out of memory */
	IMLFS_E_REAL = 13,      /* ReaL labels file (real.json): malformed, a class
				 * index out of range, or count mismatch */
};

struct imlfs_error {
	int code;               /* enum imlfs_exit, 0 while nothing failed */
	char msg[1024];         /* "FILE: PLACE: what happened; what to do" */
};

/* Record a failure (printf-style message) and return -1. */
int imlfs_fail(struct imlfs_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Short name of an exit code, for the man page and messages. */
const char *imlfs_exit_name(int code);

#endif
