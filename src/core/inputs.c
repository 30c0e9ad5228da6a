/* SPDX-License-Identifier: MIT */
/* inputs.c — resolving the input file names by the table of roles, and
 * finding the ones not given beside the tarball under their conventional
 * names. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/inputs.h"

/* Check that path is a readable regular file; returns a malloc'd absolute
 * path, or NULL with err set (what: the role's file, "annotation file"). */
static char *check_file(const char *path, const char *what, struct imlfs_error *err)
{
	struct stat st;
	char *abs;

	if (stat(path, &st) < 0) {
		imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot open the %s: %s; check the path",
			   path, what, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		imlfs_fail(err, IMLFS_E_MISSING, "%s: the %s is not a regular file%s", path, what,
			   S_ISDIR(st.st_mode) ? " but a directory; name the file inside it" : "");
		return NULL;
	}
	if (access(path, R_OK) < 0) {
		imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot read the %s: %s; check its permissions",
			   path, what, strerror(errno));
		return NULL;
	}
	abs = realpath(path, NULL);
	if (!abs)
		imlfs_fail(err, IMLFS_E_NOMEM, "%s: %s", path, strerror(errno));
	return abs;
}

/* Look for one of names beside the tarball; returns a malloc'd path or NULL. */
static char *find_beside(const char *tarball, const char *const *names)
{
	const char *slash = strrchr(tarball, '/');
	int dirlen = slash ? (int)(slash - tarball) : 1;
	const char *dir = slash ? tarball : ".";
	char path[PATH_MAX];
	struct stat st;

	for (; *names; names++) {
		if (snprintf(path, sizeof path, "%.*s/%s", dirlen, dir, *names) >= (int)sizeof path)
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0)
			return realpath(path, NULL);
	}
	return NULL;
}

int imlfs_inputs_resolve(struct imlfs_inputs *in, const char *const given[IMLFS_NROLES],
			 struct imlfs_error *err)
{
	const char *tarball = given[IMLFS_ROLE_TARBALL];

	memset(in, 0, sizeof *in);
	for (int r = 0; r < IMLFS_NROLES; r++) {
		const struct imlfs_role_info *role = &imlfs_roles[r];

		if (r == IMLFS_ROLE_TARBALL || (given[r] && *given[r])) {
			in->path[r] = check_file(given[r], role->file, err);
			if (!in->path[r]) {
				imlfs_inputs_free(in);
				return -1;
			}
		} else {
			in->path[r] = find_beside(tarball, role->beside);
			in->beside[r] = in->path[r] != NULL;
		}
	}
	return 0;
}

void imlfs_inputs_free(struct imlfs_inputs *in)
{
	for (int r = 0; r < IMLFS_NROLES; r++)
		free(in->path[r]);
	memset(in, 0, sizeof *in);
}
