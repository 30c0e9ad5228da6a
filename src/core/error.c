/* SPDX-License-Identifier: MIT */
/* error.c — filling struct imlfs_error, and the exit statuses' table read
 * back for messages and --help (see error.h). */
#include <stdarg.h>
#include <stdio.h>

#include "imlfs/error.h"

static const struct exit_row {
	int status;
	unsigned by;
	const char *name, *meaning;
} exit_rows[] = {
#define IMLFS_EXIT_ROW(id, status, by, name, meaning) { status, by, name, meaning },
	IMLFS_EXIT_TABLE(IMLFS_EXIT_ROW)
#undef IMLFS_EXIT_ROW
};

#define NROWS (sizeof exit_rows / sizeof exit_rows[0])

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
	for (size_t i = 0; i < NROWS; i++)
		if (exit_rows[i].status == code)
			return exit_rows[i].name;
	return "unknown";
}

void imlfs_exit_help(FILE *out, unsigned by)
{
	for (size_t i = 0; i < NROWS; i++)
		if (exit_rows[i].by & by)
			fprintf(out, "  %2d  %-23s  %s\n", exit_rows[i].status, exit_rows[i].name,
				exit_rows[i].meaning);
}

int imlfs_exit_report(FILE *out, const char *prog, int code, const char *msg)
{
	fprintf(out, "%s: %s (exit status %d, %s)\n", prog, msg, code, imlfs_exit_name(code));
	return code;
}
