/* inputs.c — resolving the input file names, and finding the ones not given
 * beside the tarball under their conventional names. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/inputs.h"

static const char *const annotation_names[] = {
	"human_accuracy_v3.0.0.json", "human_accuracy_fixed.json", NULL };
static const char *const label_names[] = {
	"validation_labels.txt", "val.txt", NULL };
static const char *const class_names[] = {
	"LOC_synset_mapping.txt", "class_info.json", "synset_words.txt", NULL };
static const char *const real_names[] = { "real.json", NULL };

/* Check that path is a readable regular file; returns a malloc'd absolute
 * path, or NULL with err set (what = "annotations", "labels", ...). */
static char *check_file(const char *path, const char *what, struct imlfs_error *err)
{
	struct stat st;
	char *abs;

	if (stat(path, &st) < 0) {
		imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot open the %s file: %s; check the path",
			   path, what, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		imlfs_fail(err, IMLFS_E_MISSING, "%s: the %s file is not a regular file%s", path, what,
			   S_ISDIR(st.st_mode) ? " but a directory; name the file inside it" : "");
		return NULL;
	}
	if (access(path, R_OK) < 0) {
		imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot read the %s file: %s; check its permissions",
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

static int resolve_one(char **out, bool *is_auto, const char *given, const char *tarball,
		       const char *const *names, const char *what, struct imlfs_error *err)
{
	if (given && *given) {
		*out = check_file(given, what, err);
		return *out ? 0 : -1;
	}
	*out = find_beside(tarball, names);
	*is_auto = *out != NULL;
	return 0;
}

int imlfs_inputs_resolve(struct imlfs_inputs *in, const char *tarball,
			 const char *annotations, const char *labels,
			 const char *classes, struct imlfs_error *err)
{
	memset(in, 0, sizeof *in);
	in->tarball = check_file(tarball, "tarball", err);
	if (!in->tarball)
		return -1;
	/* "Beside" means beside the name given, not beside what a symlink
	 * points to: a folder of symlinks is a way to pick inputs. */
	if (resolve_one(&in->annotations, &in->annotations_auto, annotations, tarball,
			annotation_names, "annotations", err) ||
	    resolve_one(&in->labels, &in->labels_auto, labels, tarball,
			label_names, "labels", err) ||
	    resolve_one(&in->classes, &in->classes_auto, classes, tarball,
			class_names, "classes", err)) {
		imlfs_inputs_free(in);
		return -1;
	}
	return 0;
}

int imlfs_inputs_resolve_real(struct imlfs_inputs *in, const char *tarball, const char *real,
			      struct imlfs_error *err)
{
	if (resolve_one(&in->real, &in->real_auto, real, tarball, real_names, "ReaL labels",
			err)) {
		imlfs_inputs_free(in);
		return -1;
	}
	return 0;
}

void imlfs_inputs_free(struct imlfs_inputs *in)
{
	free(in->tarball);
	free(in->annotations);
	free(in->labels);
	free(in->classes);
	free(in->real);
	memset(in, 0, sizeof *in);
}
