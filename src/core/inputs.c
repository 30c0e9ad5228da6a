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
#include "imlfs/labelset.h"

/* Label sets found beside the tarball when no set of their name is given:
 * the files under the names their authors publish them. */
const struct imlfs_labelset_beside imlfs_labelset_beside[] = {
	{ "imagenet_mturk.json", "mturk" },   /* cleanlab's pervasive label errors */
	{ "clean_validation.csv", "flaws" },  /* the Flaws of ImageNet */
	{ NULL, NULL },
};

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

/* Has a set of this name a slot already? */
static bool set_named(const struct imlfs_inputs *in, const char *name)
{
	for (int k = 0; k < IMLFS_LABELSETS_MAX; k++)
		if (in->setname[k] && !strcmp(in->setname[k], name))
			return true;
	return false;
}

/* The label sets' slots: the given NAME=FILE in order, then the files
 * found beside the tarball while there is room.  ReaL's set counts
 * towards the bound (it is a folder and a scoring pass like the others). */
static int resolve_sets(struct imlfs_inputs *in, const char *const given[IMLFS_NROLES],
			const char *tarball, struct imlfs_error *err)
{
	int room = IMLFS_LABELSETS_MAX - (in->real != NULL), n = 0;

	for (int r = IMLFS_ROLE_SET0; r < IMLFS_NROLES; r++) {
		char name[IMLFS_LABELSET_NAME_MAX + 1];
		const char *file;

		if (!given[r] || !*given[r])
			continue;
		if (imlfs_labelset_spec(given[r], name, &file, err))
			return -1;
		if (set_named(in, name))
			return imlfs_fail(err, IMLFS_E_USAGE, "--labelset %s: the name %s is given "
					  "twice; give each label set its own name", given[r], name);
		if (n >= room)
			return imlfs_fail(err, IMLFS_E_USAGE, "--labelset %s: more than %d label sets%s;"
					  " mount at most %d at a time", given[r],
					  IMLFS_LABELSETS_MAX, in->real ? " with ReaL's real.json" : "",
					  IMLFS_LABELSETS_MAX);
		in->path[IMLFS_ROLE_SET0 + n] = check_file(file, imlfs_roles[r].file, err);
		if (!in->path[IMLFS_ROLE_SET0 + n])
			return -1;
		if (!(in->setname[n] = strdup(name)))
			return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory");
		n++;
	}
	for (const struct imlfs_labelset_beside *b = imlfs_labelset_beside; b->file && n < room; b++) {
		const char *names[] = { b->file, NULL };
		char *path;

		if (set_named(in, b->name) || !(path = find_beside(tarball, names)))
			continue;
		in->path[IMLFS_ROLE_SET0 + n] = path;
		in->beside[IMLFS_ROLE_SET0 + n] = true;
		if (!(in->setname[n] = strdup(b->name)))
			return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory");
		n++;
	}
	return 0;
}

int imlfs_inputs_resolve(struct imlfs_inputs *in, const char *const given[IMLFS_NROLES],
			 struct imlfs_error *err)
{
	const char *tarball = given[IMLFS_ROLE_TARBALL];

	memset(in, 0, sizeof *in);
	for (int r = 0; r < IMLFS_ROLE_SET0; r++) {
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
	if (resolve_sets(in, given, tarball, err)) {
		imlfs_inputs_free(in);
		return -1;
	}
	return 0;
}

void imlfs_inputs_free(struct imlfs_inputs *in)
{
	for (int r = 0; r < IMLFS_NROLES; r++)
		free(in->path[r]);
	for (int k = 0; k < IMLFS_LABELSETS_MAX; k++)
		free(in->setname[k]);
	memset(in, 0, sizeof *in);
}
