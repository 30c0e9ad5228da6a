/* error.c — filling struct imlfs_error. */
#include <stdarg.h>
#include <stdio.h>

#include "imlfs/error.h"

int imlfs_fail(struct imlfs_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

const char *imlfs_exit_name(int code)
{
	switch (code) {
	case IMLFS_OK: return "ok";
	case IMLFS_E_INTERNAL: return "internal error";
	case IMLFS_E_USAGE: return "usage error";
	case IMLFS_E_MISSING: return "missing input";
	case IMLFS_E_NOTTAR: return "not an uncompressed tar";
	case IMLFS_E_TRUNCATED: return "truncated tar";
	case IMLFS_E_JSON: return "JSON syntax error";
	case IMLFS_E_SCHEMA: return "annotation schema error";
	case IMLFS_E_LABELS: return "bad labels file";
	case IMLFS_E_CLASSES: return "bad classes file";
	case IMLFS_E_WNID: return "unknown class";
	case IMLFS_E_MOUNT: return "mount failed";
	case IMLFS_E_NOMEM: return "out of memory";
	case IMLFS_E_REAL: return "bad ReaL labels file";
	}
	return "unknown";
}
